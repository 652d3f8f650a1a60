//! `strata advise`: schema design advice from a live PostgreSQL database, on real databases with
//! planted problems and on a clean schema.

mod common;
use common::*;
use serde_json::Value;

const PLANTED: &str = include_str!("advise/planted.sql");
const CLEAN: &str = include_str!("advise/clean.sql");

fn findings(out: &std::process::Output) -> Vec<Value> {
    let json: Value =
        serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}\n{}", text(out)));
    json["findings"].as_array().expect("findings").clone()
}

/// The one finding of `rule` whose object contains `object`.
#[track_caller]
fn finding<'a>(all: &'a [Value], rule: &str, object: &str) -> &'a Value {
    let matching: Vec<&Value> = all
        .iter()
        .filter(|f| f["rule"] == rule && f["object"].as_str().unwrap().contains(object))
        .collect();
    assert_eq!(matching.len(), 1, "{rule} on {object}: {all:#?}");
    matching[0]
}

fn relation_count(db: &Db) -> String {
    db.strings("SELECT count(*)::text FROM pg_class")[0].clone()
}

#[test]
fn planted_problems_are_found_with_their_evidence() {
    let db = Db::pg();
    db.exec(PLANTED);
    let before = relation_count(&db);
    let project = Project::new();
    let out = strata(
        project.path(),
        Some(db.url()),
        &["advise", "--format", "json"],
    );
    // The int4 sequence at 90% is an error: exit 1.
    assert_exit(&out, 1);
    let all = findings(&out);
    for f in &all {
        for key in ["rule", "severity", "object", "evidence", "help"] {
            assert!(f[key].is_string(), "{key} in {f}");
        }
    }

    let seq = finding(&all, "sequence-near-overflow", "public.orders.id");
    assert_eq!(seq["severity"], "error");
    assert!(
        seq["evidence"]
            .as_str()
            .unwrap()
            .contains("90.0% used, column type int4"),
        "{seq}"
    );
    assert!(
        seq["help"].as_str().unwrap().contains("TYPE bigint"),
        "{seq}"
    );

    let zip = finding(&all, "functional-dependency", "zip → city, state)");
    let evidence = zip["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("2,000 of 2,000 rows agree (100.0%; 150 distinct zip values"),
        "{zip}"
    );
    let help = zip["help"].as_str().unwrap();
    assert!(help.contains(r#"CREATE TABLE "public"."orders_zip" ("zip" text PRIMARY KEY, "city" text, "state" text)"#), "{help}");
    assert!(
        help.contains("FOREIGN KEY (\"zip\") REFERENCES") && help.contains("DROP COLUMN \"city\""),
        "{help}"
    );

    let customer = finding(
        &all,
        "functional-dependency",
        "customer_id → customer_name, customer_email",
    );
    assert!(
        customer["help"]
            .as_str()
            .unwrap()
            .contains("already references public.customers"),
        "{customer}"
    );

    let tags = finding(&all, "delimited-list", "public.orders.tags");
    assert!(
        tags["evidence"]
            .as_str()
            .unwrap()
            .contains("separated by ','"),
        "{tags}"
    );

    finding(
        &all,
        "repeating-group",
        "public.orders(phone1, phone2, phone3)",
    );

    let fk = finding(
        &all,
        "foreign-key-without-index",
        "public.line_items(order_id)",
    );
    let evidence = fk["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("references public.orders (3,000 rows")
            && evidence.contains("public.line_items (5,000 rows"),
        "{fk}"
    );
    assert!(
        fk["help"]
            .as_str()
            .unwrap()
            .contains("CREATE INDEX CONCURRENTLY"),
        "{fk}"
    );

    let dup = finding(&all, "duplicate-index", "orders_zip_idx2");
    assert!(
        dup["evidence"]
            .as_str()
            .unwrap()
            .contains("same columns as orders_zip_idx"),
        "{dup}"
    );

    let jsonb = finding(&all, "jsonb-stable-keys", "public.orders.attrs");
    let evidence = jsonb["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("'source' is in 2,000 (100.0%) always as text"),
        "{jsonb}"
    );
    assert!(
        !evidence.contains("'note'"),
        "a key in one document of seven is not stable: {jsonb}"
    );

    let missing_fk = finding(&all, "missing-foreign-key", "public.payments.order_id");
    assert!(
        missing_fk["evidence"]
            .as_str()
            .unwrap()
            .contains("keys of public.orders (id)"),
        "{missing_fk}"
    );
    finding(&all, "float-for-money", "public.payments.amount");
    finding(
        &all,
        "timestamp-without-time-zone",
        "public.payments.paid_at",
    );
    finding(&all, "serial-not-identity", "public.orders.id");
    // phone2 has NULLs: no NOT NULL to suggest.
    assert!(
        !all.iter()
            .any(|f| f["rule"] == "missing-not-null" && f["object"] == "public.orders.phone2"),
        "{all:#?}"
    );

    // Nothing was created or changed.
    assert_eq!(relation_count(&db), before);
}

#[test]
fn a_clean_schema_gets_no_warning_or_error() {
    let db = Db::pg();
    db.exec(CLEAN);
    // Use the indexes, then wait until the statistics show it (a backend flushes them as it ends).
    db.exec(
        "SET enable_seqscan = off; SELECT count(*) FROM orders WHERE customer_id = 5; \
         SELECT count(*) FROM order_lines WHERE product_id = 3; SELECT count(*) FROM order_lines WHERE order_id = 7;",
    );
    let mut used = false;
    for _ in 0..100 {
        let unused = db.strings(
            "SELECT count(*)::text FROM pg_stat_user_indexes WHERE idx_scan = 0 \
             AND indexrelname IN ('orders_customer_id_idx', 'order_lines_product_id_idx')",
        );
        if unused[0] == "0" {
            used = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(used, "the index statistics never showed the scans");
    let project = Project::new();
    let out = strata(
        project.path(),
        Some(db.url()),
        &["advise", "--format", "json", "--min-stats-age", "0s"],
    );
    assert_exit(&out, 0);
    let all = findings(&out);
    let serious: Vec<&Value> = all.iter().filter(|f| f["severity"] != "info").collect();
    assert!(serious.is_empty(), "{serious:#?}");

    // Human output ends with the summary.
    let out = strata(project.path(), Some(db.url()), &["advise"]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("0 error(s), 0 warning(s)"),
        "{}",
        text(&out)
    );
}

#[test]
fn unused_indexes_wait_for_enough_statistics() {
    let db = Db::pg();
    db.exec(PLANTED);
    let project = Project::new();
    let out = strata(
        project.path(),
        Some(db.url()),
        &["advise", "--format", "json"],
    );
    let all = findings(&out);
    let note = finding(&all, "unused-index", "(database)");
    assert_eq!(note["severity"], "info");
    assert!(
        note["evidence"]
            .as_str()
            .unwrap()
            .contains("not enough history"),
        "{note}"
    );

    let out = strata(
        project.path(),
        Some(db.url()),
        &["advise", "--format", "json", "--min-stats-age", "0s"],
    );
    let all = findings(&out);
    let unused = finding(&all, "unused-index", "public.orders_zip_idx2");
    assert!(
        unused["evidence"]
            .as_str()
            .unwrap()
            .contains("0 scans since"),
        "{unused}"
    );
    // Indexes that enforce a constraint are never reported.
    assert!(
        !all.iter().any(
            |f| f["rule"] == "unused-index" && f["object"].as_str().unwrap().ends_with("_pkey")
        ),
        "{all:#?}"
    );
}

#[test]
fn scope_flags_and_bad_input() {
    let db = Db::pg();
    db.exec(PLANTED);
    let project = Project::new();
    let out = strata(
        project.path(),
        Some(db.url()),
        &["advise", "--format", "json", "--table", "public.payments"],
    );
    assert_exit(&out, 0);
    let all = findings(&out);
    assert!(
        all.iter()
            .all(|f| f["object"].as_str().unwrap().contains("payments")
                || f["object"] == "(database)"),
        "{all:#?}"
    );

    let out = strata(
        project.path(),
        Some(db.url()),
        &["advise", "--table", "nosuch"],
    );
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("--table nosuch: no such table"),
        "{}",
        text(&out)
    );
    let out = strata(
        project.path(),
        Some(db.url()),
        &["advise", "--schema", "nosuch"],
    );
    assert_exit(&out, 2);
    let out = strata(project.path(), Some(db.url()), &["advise", "--sample", "0"]);
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("sample at least 1 row"),
        "{}",
        text(&out)
    );
    let out = strata(
        project.path(),
        Some(db.url()),
        &["advise", "--budget", "soon"],
    );
    assert_exit(&out, 2);
    let sqlite = Db::sqlite();
    sqlite.exec("CREATE TABLE t (id integer primary key)");
    let out = strata(project.path(), Some(sqlite.url()), &["advise"]);
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("PostgreSQL databases only"),
        "{}",
        text(&out)
    );
}

#[test]
fn sarif_and_html_formats() {
    let db = Db::pg();
    db.exec(PLANTED);
    let project = Project::new();
    let out = strata(
        project.path(),
        Some(db.url()),
        &["advise", "--format", "sarif"],
    );
    assert_exit(&out, 1);
    let sarif: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results
        .iter()
        .any(|r| r["ruleId"] == "sequence-near-overflow" && r["level"] == "error"));

    let out = strata(
        project.path(),
        Some(db.url()),
        &["advise", "--format", "html"],
    );
    assert_exit(&out, 1);
    let html = stdout(&out);
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    // Self-contained: nothing is fetched at view time (the SVG namespace URI is a name, not a fetch).
    for fetch in [
        "src=\"http",
        "href=\"http",
        "<link",
        "<script",
        "@import",
        "url(http",
    ] {
        assert!(!html.contains(fetch), "{fetch} in {html}");
    }
    assert!(
        html.contains("<section id=\"error\">")
            && html.contains("data-rule=\"functional-dependency\""),
        "{html}"
    );
    assert!(html.contains("zip → city, state"), "{html}");
    // The schema diagram is inline SVG with every table, before the findings.
    let erd = html
        .split("<section id=\"erd\">")
        .nth(1)
        .expect("an erd section");
    let erd = erd.split("</section>").next().unwrap();
    assert!(erd.contains("<svg") && erd.contains("</svg>"), "{erd}");
    for table in [
        "public.customers",
        "public.orders",
        "public.line_items",
        "public.payments",
    ] {
        assert!(erd.contains(table), "{table} in {erd}");
    }
    assert!(html.find("id=\"erd\"").unwrap() < html.find("id=\"error\"").unwrap());
    // Tables with findings are coloured: orders has an error (the sequence).
    assert!(erd.contains("#f4b4b4"), "{erd}");
    assert!(
        html.contains("<section id=\"sizes\">") && html.contains("<td>public.orders</td>"),
        "{html}"
    );
}

#[test]
fn fix_writes_migrations_that_lint_clean_and_round_trip() {
    let db = Db::pg();
    db.exec(PLANTED);
    let project = Project::new();
    // The planted schema as the project's baseline, applied (stamped) where it already is, so
    // `strata test` can build it in a scratch database under the files --fix writes.
    std::fs::create_dir_all(project.path().join("migrations")).unwrap();
    std::fs::write(
        project.path().join("migrations/20200101000000_planted.sql"),
        format!(
            "-- strata:message planted\n-- strata:irreversible the planted baseline\n\n-- strata:up\n{PLANTED}\n-- strata:down\n"
        ),
    )
    .unwrap();
    assert_exit(
        &strata(
            project.path(),
            Some(db.url()),
            &["stamp", "20200101000000", "--reason", "baseline"],
        ),
        0,
    );
    let out = strata(
        project.path(),
        Some(db.url()),
        &["advise", "--fix", "--format", "json"],
    );
    assert_exit(&out, 1);
    assert!(text(&out).contains("--fix wrote"), "{}", text(&out));
    let mut files: Vec<String> = std::fs::read_dir(project.path().join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| !f.starts_with("20200101000000"))
        .collect();
    files.sort();
    let slugs: Vec<&str> = files.iter().map(|f| f.split_once('_').unwrap().1).collect();
    assert_eq!(
        slugs,
        [
            "index_line_items_order_id.sql",
            "index_orders_customer_id.sql",
            "decompose_orders_zip.sql",
            "drop_duplicate_index_orders_zip_idx2.sql",
            "index_payments_order_id.sql",
            "fk_payments_order_id.sql",
        ],
        "{files:?}"
    );
    let decompose =
        std::fs::read_to_string(project.path().join("migrations").join(&files[2])).unwrap();
    assert!(
        decompose
            .contains("SET LOCAL lock_timeout = '5s';\nCREATE TABLE \"public\".\"orders_zip\""),
        "{decompose}"
    );

    // Clean for the linter, offline (each file alone) and with the database (the pending ones).
    let paths: Vec<String> = files.iter().map(|f| format!("migrations/{f}")).collect();
    let mut args = vec!["lint"];
    args.extend(paths.iter().map(String::as_str));
    let out = strata(project.path(), None, &args);
    assert_exit(&out, 0);
    assert!(
        text(&out).contains("0 error(s), 0 warning(s)"),
        "{}",
        text(&out)
    );
    let out = strata(project.path(), Some(db.url()), &["lint"]);
    assert_exit(&out, 0);
    assert!(
        text(&out).contains("0 error(s), 0 warning(s)"),
        "{}",
        text(&out)
    );

    // Each fix's down undoes its up, in a scratch database (`strata test` builds the baseline
    // there, then steps up, down and up again through every fix).
    // (`--url` would name the scratch database itself: the environment's server is given instead.)
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(project.path())
        .env("DATABASE_URL", db.url())
        .env("NO_COLOR", "1")
        .args(["test", "--only", "stairway", "--format", "json"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["ok"], true, "{report:#}");
    let stair = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "stairway")
        .expect("stairway");
    let cases: Vec<String> = stair["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["skipped"] != true)
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    for file in &files {
        let id = file.split_once('_').unwrap().0;
        assert!(
            cases.iter().any(|c| c.contains(id)),
            "{id} not stepped through: {report:#}"
        );
    }

    // Applied, the problems are gone; rolled back, they are back.
    assert_exit(&strata(project.path(), Some(db.url()), &["upgrade"]), 0);
    let out = strata(
        project.path(),
        Some(db.url()),
        &["advise", "--format", "json"],
    );
    let all = findings(&out);
    for rule in [
        "foreign-key-without-index",
        "duplicate-index",
        "missing-foreign-key",
    ] {
        assert!(!all.iter().any(|f| f["rule"] == rule), "{rule}: {all:#?}");
    }
    assert_eq!(db.strings("SELECT count(*)::text FROM orders_zip"), ["150"]);
    assert_exit(
        &strata(
            project.path(),
            Some(db.url()),
            &["downgrade", "20200101000000"],
        ),
        0,
    );
    let out = strata(
        project.path(),
        Some(db.url()),
        &["advise", "--format", "json"],
    );
    let all = findings(&out);
    finding(&all, "duplicate-index", "orders_zip_idx2");
    finding(&all, "missing-foreign-key", "public.payments.order_id");
}

#[test]
fn erd_and_graph_diagrams() {
    let db = Db::pg();
    db.exec(PLANTED);
    let project = Project::new();
    let out = strata(project.path(), Some(db.url()), &["erd", "--format", "dot"]);
    assert_exit(&out, 0);
    let dot = stdout(&out);
    assert!(dot.starts_with("digraph erd {"), "{dot}");
    assert!(
        dot.contains("public.line_items|id : bigint PK|order_id : integer FK|qty : integer"),
        "{dot}"
    );
    assert_eq!(dot.matches(" -> ").count(), 2, "two foreign keys: {dot}");

    let out = strata(
        project.path(),
        Some(db.url()),
        &["erd", "--format", "mermaid", "--table", "customers"],
    );
    assert_exit(&out, 0);
    let mermaid = stdout(&out);
    assert!(
        mermaid.starts_with("erDiagram\n  public_customers {\n    bigint id PK\n"),
        "{mermaid}"
    );
    assert!(!mermaid.contains("public_orders"), "{mermaid}");

    // SVG laid out by layout-rs (Graphviz is used instead when installed).
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_strata"));
    let out = cmd
        .current_dir(project.path())
        .env("STRATA_LAYOUT", "builtin")
        .args(["--url", db.url(), "erd"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let svg = stdout(&out);
    assert!(
        svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
        "{svg}"
    );
    for table in [
        "public.customers",
        "public.orders",
        "public.line_items",
        "public.payments",
    ] {
        assert!(svg.contains(table), "{table} in {svg}");
    }

    let out = strata(
        project.path(),
        Some(db.url()),
        &["erd", "--table", "nosuch"],
    );
    assert_exit(&out, 2);

    project.migration(
        "20260101000000",
        &[],
        "CREATE TABLE a (id int);",
        "DROP TABLE a;",
    );
    project.migration(
        "20260102000000",
        &["20260101000000"],
        "CREATE TABLE b (id int);",
        "DROP TABLE b;",
    );
    let out = strata(project.path(), None, &["graph", "--format", "svg"]);
    assert_exit(&out, 0);
    let svg = stdout(&out);
    assert!(
        svg.starts_with("<svg") && svg.contains("20260102000000"),
        "{svg}"
    );
}

#[test]
fn the_time_budget_bounds_the_run() {
    let db = Db::pg();
    db.exec(PLANTED);
    let project = Project::new();
    let started = std::time::Instant::now();
    let out = strata(
        project.path(),
        Some(db.url()),
        &["advise", "--budget", "1ms", "--format", "json"],
    );
    // The catalog is still read (the sequence at 90% is an error); the samples are not.
    assert_exit(&out, 1);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the time budget (1ms) ran out before 4 of 4 tables were sampled"),
        "{err}"
    );
    assert!(err.contains("Raise --budget or lower --sample"), "{err}");
    let all = findings(&out);
    finding(&all, "sequence-near-overflow", "public.orders.id");
    assert!(
        !all.iter().any(|f| f["rule"] == "functional-dependency"),
        "no sample, no dependency: {all:#?}"
    );
}

#[test]
fn an_invalid_index_left_by_a_failed_concurrent_build_is_an_error() {
    let db = Db::pg();
    db.exec(
        "CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL); \
         INSERT INTO accounts (email) VALUES ('a@example.com'), ('a@example.com');",
    );
    if let Db::Pg(pg) = &db {
        let failed = pg.client().batch_execute(
            "CREATE UNIQUE INDEX CONCURRENTLY accounts_email_key ON accounts (email)",
        );
        assert!(failed.is_err(), "the duplicate makes the build fail");
    }
    let project = Project::new();
    let out = strata(
        project.path(),
        Some(db.url()),
        &["advise", "--format", "json"],
    );
    assert_exit(&out, 1);
    let all = findings(&out);
    let invalid = finding(&all, "invalid-index", "public.accounts_email_key");
    assert_eq!(invalid["severity"], "error");
    assert!(
        invalid["evidence"].as_str().unwrap().contains("is INVALID"),
        "{invalid}"
    );
    assert!(
        invalid["help"]
            .as_str()
            .unwrap()
            .contains("REINDEX INDEX CONCURRENTLY \"public\".\"accounts_email_key\";"),
        "{invalid}"
    );
}
