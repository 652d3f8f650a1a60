//! `strata lint` end to end: the inputs it reads (plain, strata, diesel, up/down pairs), its
//! formats and exit codes, `[lint]` levels and waivers, the pending/all modes against a real
//! database, and the lint check of `upgrade` (`lint = "enforce" | "warn"`).

mod common;
use common::*;
use std::path::Path;
use std::process::{Command, Output};

/// Runs `strata` in `dir` with extra environment variables (and without GITHUB_ACTIONS from the
/// environment the tests run in).
fn strata_env(dir: &Path, envs: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strata"));
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("STRATA_ENV")
        .env_remove("GITHUB_ACTIONS")
        .env("NO_COLOR", "1");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.args(args).output().expect("run strata")
}

fn lint(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["lint"];
    all.extend_from_slice(args);
    strata_env(dir, &[], &all)
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(output))
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", text(output)))
}

/// The findings of the JSON output, as `rule file:line`.
fn findings(output: &Output) -> Vec<String> {
    json(output)["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            format!(
                "{} {}:{}",
                f["rule"].as_str().unwrap(),
                f["file"].as_str().unwrap(),
                f["line"]
            )
        })
        .collect()
}

fn rules_of(output: &Output) -> Vec<String> {
    json(output)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

fn write(dir: &Path, relative: &str, text: &str) {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const INDEX_SQL: &str =
    "-- an index for lookups\nCREATE INDEX orders_user_idx ON orders (user_id);\n";

#[test]
fn plain_file_finding_in_json_shape_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "add_index.sql", INDEX_SQL);

    let out = lint(dir.path(), &["--format", "json", "add_index.sql"]);
    assert_exit(&out, 1);
    let value = json(&out);
    let all = value["findings"].as_array().unwrap();
    assert_eq!(all.len(), 1, "{value:#}");
    let f = &all[0];
    assert_eq!(f["rule"], "non-concurrent-index");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["file"], "add_index.sql");
    assert_eq!(f["line"], 2);
    assert_eq!(f["column"], 1);
    assert_eq!(
        f["statement"],
        "CREATE INDEX orders_user_idx ON orders (user_id)"
    );
    assert!(f["message"].as_str().unwrap().contains("orders"));
    assert!(f["lock"].as_str().unwrap().contains("SHARE on orders"));
    assert!(f["help"].as_str().unwrap().contains("CONCURRENTLY"));
    assert!(
        value.get("parse_errors").is_none(),
        "no parse_errors key without failures"
    );

    // --json is --format json.
    let out = strata_env(dir.path(), &[], &["--json", "lint", "add_index.sql"]);
    assert_exit(&out, 1);
    assert_eq!(rules_of(&out), vec!["non-concurrent-index"]);

    // Human: the rule, the location, a snippet with a caret, the lock and the safe form.
    let out = lint(dir.path(), &["add_index.sql"]);
    assert_exit(&out, 1);
    let human = stdout(&out);
    assert!(human.contains("error[non-concurrent-index]"), "{human}");
    assert!(human.contains("--> add_index.sql:2:1"), "{human}");
    assert!(
        human.contains("2 | CREATE INDEX orders_user_idx ON orders (user_id);"),
        "{human}"
    );
    assert!(human.contains("= lock: SHARE on orders"), "{human}");
    assert!(
        human.contains("= help: CREATE INDEX CONCURRENTLY orders_user_idx"),
        "{human}"
    );
    assert!(!human.contains('\x1b'), "no colors when not on a terminal");

    // A safe file: exit 0.
    write(
        dir.path(),
        "safe.sql",
        "CREATE TABLE invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total numeric NOT NULL);\n",
    );
    let out = lint(dir.path(), &["--format", "json", "safe.sql"]);
    assert_exit(&out, 0);
    assert!(findings(&out).is_empty(), "{}", text(&out));

    // A plain file runs in a transaction (as sqlx, diesel and dbmate run one), unless its first
    // line is sqlx's `-- no-transaction`.
    write(
        dir.path(),
        "concurrently.sql",
        "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\n",
    );
    let out = lint(dir.path(), &["--format", "json", "concurrently.sql"]);
    assert_exit(&out, 1);
    assert_eq!(rules_of(&out), vec!["concurrently-in-transaction"]);
    write(
        dir.path(),
        "concurrently.sql",
        "-- no-transaction\nCREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\n",
    );
    let out = lint(dir.path(), &["--format", "json", "concurrently.sql"]);
    assert_exit(&out, 0);
    assert!(findings(&out).is_empty(), "{}", text(&out));
}

#[test]
fn parse_error_is_bad_input_at_file_line_and_the_rest_is_still_linted() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a_bad.sql",
        "SELECT 1;\n\nALTER TABLE accounts ADD COLUMN;\n",
    );
    write(dir.path(), "b_index.sql", INDEX_SQL);

    let out = lint(dir.path(), &["a_bad.sql", "b_index.sql"]);
    assert_exit(&out, 2);
    let all = text(&out);
    assert!(
        all.contains("a_bad.sql:3: syntax error at or near"),
        "{all}"
    );
    assert!(all.contains("error[non-concurrent-index]"), "{all}");

    let out = lint(
        dir.path(),
        &["--format", "json", "a_bad.sql", "b_index.sql"],
    );
    assert_exit(&out, 2);
    let value = json(&out);
    assert_eq!(value["parse_errors"][0]["file"], "a_bad.sql");
    assert_eq!(value["parse_errors"][0]["line"], 3);
    assert!(value["parse_errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("syntax error"));
    assert_eq!(findings(&out), vec!["non-concurrent-index b_index.sql:2"]);
}

#[test]
fn unreadable_paths_are_bad_input_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = lint(dir.path(), &["no_such_file.sql"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("no_such_file.sql"), "{}", text(&out));
    write(dir.path(), "latin1.sql", "");
    std::fs::write(dir.path().join("latin1.sql"), b"SELECT '\xe9';\n").unwrap();
    let out = lint(dir.path(), &["latin1.sql"]);
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("latin1.sql: not UTF-8"),
        "{}",
        text(&out)
    );
}

#[test]
fn strata_files_report_file_lines_and_honour_their_header() {
    let p = Project::new();
    p.write(
        "a1_index.sql",
        "-- strata:message add an index\n\n-- strata:up\n-- comment\n\nCREATE INDEX orders_user_idx ON orders (user_id);\n\n-- strata:down\nDROP INDEX orders_user_idx;\n",
    );
    let out = lint(p.path(), &["--format", "json", "migrations/a1_index.sql"]);
    assert_exit(&out, 1);
    assert!(
        findings(&out).contains(&"non-concurrent-index migrations/a1_index.sql:6".to_owned()),
        "{:?}",
        findings(&out)
    );
    // The same through the project (--all) and through the folder.
    let out = lint(p.path(), &["--all", "--format", "json"]);
    assert_exit(&out, 1);
    assert!(findings(&out).contains(&"non-concurrent-index migrations/a1_index.sql:6".to_owned()));
    let out = lint(p.path(), &["--format", "json", "migrations"]);
    assert!(findings(&out).contains(&"non-concurrent-index migrations/a1_index.sql:6".to_owned()));

    // A file-wide waiver in the header (with its reason) silences the rule.
    p.write(
        "a1_index.sql",
        "-- strata:message add an index\n-- strata:lint-ignore-file non-concurrent-index the table is tiny\n\n-- strata:up\nCREATE INDEX orders_user_idx ON orders (user_id);\n\n-- strata:down\nDROP INDEX orders_user_idx;\n",
    );
    let out = lint(p.path(), &["--format", "json", "migrations/a1_index.sql"]);
    assert!(
        !rules_of(&out).contains(&"non-concurrent-index".to_owned()),
        "{}",
        text(&out)
    );

    // CONCURRENTLY in a strata file: strata runs it outside a transaction by itself.
    p.write(
        "a1_index.sql",
        "-- strata:message add an index\n\n-- strata:up\nCREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\n\n-- strata:down\nDROP INDEX CONCURRENTLY orders_user_idx;\n",
    );
    let out = lint(p.path(), &["--format", "json", "migrations/a1_index.sql"]);
    assert!(
        !rules_of(&out).contains(&"concurrently-in-transaction".to_owned()),
        "{}",
        text(&out)
    );
}

#[test]
fn a_malformed_strata_file_is_bad_input_with_its_diagnostics() {
    let p = Project::new();
    p.write(
        "a1_x.sql",
        "-- strata:message x\n\n-- strata:up\nCREATE TABLE t (id bigint PRIMARY KEY);\n",
    );
    let out = lint(p.path(), &["migrations/a1_x.sql"]);
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("migrations/a1_x.sql:3: missing the `-- strata:down` section"),
        "{}",
        text(&out)
    );
}

#[test]
fn diesel_folders_in_diesel_order_with_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("migrations");
    // diesel orders by version with dashes removed: 20191231000000 runs before 2020-01-01-...,
    // although '-' sorts before '1' in a plain name sort.
    write(
        &m,
        "20191231000000_create/up.sql",
        "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n",
    );
    write(&m, "20191231000000_create/down.sql", "DROP TABLE orders;\n");
    write(
        &m,
        "2020-01-01-000000_x/up.sql",
        "CREATE INDEX orders_user_idx ON orders (user_id);\n",
    );
    write(
        &m,
        "2020-01-01-000000_x/down.sql",
        "DROP INDEX orders_user_idx;\n",
    );
    write(
        &m,
        "2020-02-01-000000_y/up.sql",
        "CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);\n",
    );
    write(
        &m,
        "2020-02-01-000000_y/down.sql",
        "DROP INDEX CONCURRENTLY accounts_email_idx;\n",
    );
    write(
        &m,
        "2020-02-01-000000_y/metadata.toml",
        "run_in_transaction = false\n",
    );
    write(
        &m,
        "2020-03-01-000000_z/up.sql",
        "\nCREATE INDEX accounts_name_idx ON accounts (name);\n",
    );
    // No down.sql at all.
    write(&m, "README.md", "notes\n");
    write(&m, "seed_data.sql", "INSERT INTO accounts VALUES (1);\n");

    let out = lint(dir.path(), &["--format", "json", "migrations"]);
    assert_exit(&out, 1);
    // Without a database the table created earlier is not new for a later migration.
    assert_eq!(
        findings(&out)
            .into_iter()
            .filter(|f| f.starts_with("non-concurrent-index"))
            .collect::<Vec<_>>(),
        vec![
            "non-concurrent-index migrations/2020-01-01-000000_x/up.sql:1",
            "non-concurrent-index migrations/2020-03-01-000000_z/up.sql:2"
        ],
        "{}",
        text(&out)
    );
    // With a database that has no orders yet, it is: so the order is diesel's (the create runs
    // first, although '-' sorts before '1' in a plain name sort).
    let db = Db::pg();
    let out = lint(
        dir.path(),
        &["--url", db.url(), "--format", "json", "migrations"],
    );
    assert_eq!(
        findings(&out)
            .into_iter()
            .filter(|f| f.starts_with("non-concurrent-index"))
            .collect::<Vec<_>>(),
        vec!["non-concurrent-index migrations/2020-03-01-000000_z/up.sql:2"],
        "the index on orders is on a table created earlier in the run; {}",
        text(&out)
    );
    assert!(
        !rules_of(&out).contains(&"concurrently-in-transaction".to_owned()),
        "metadata.toml says run_in_transaction = false: {}",
        text(&out)
    );
    assert!(
        text(&out).contains("seed_data.sql"),
        "the loose file is named as skipped: {}",
        text(&out)
    );

    // One diesel migration named on its own.
    let out = lint(
        dir.path(),
        &["--format", "json", "migrations/2020-01-01-000000_x"],
    );
    assert_exit(&out, 1);
    assert_eq!(
        findings(&out)
            .into_iter()
            .filter(|f| f.starts_with("non-concurrent-index"))
            .collect::<Vec<_>>(),
        vec!["non-concurrent-index migrations/2020-01-01-000000_x/up.sql:1"]
    );
}

#[test]
fn diesel_parse_error_in_a_down_names_the_down_file() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m");
    write(&m, "2020-01-01-000000_x/up.sql", "SELECT 1;\n");
    write(
        &m,
        "2020-01-01-000000_x/down.sql",
        "SELECT 1;\nSELECT FROM WHERE;\n",
    );
    let out = lint(dir.path(), &["--format", "json", "m"]);
    assert_exit(&out, 2);
    let value = json(&out);
    assert_eq!(
        value["parse_errors"][0]["file"],
        "m/2020-01-01-000000_x/down.sql"
    );
    assert_eq!(value["parse_errors"][0]["line"], 2);
}

#[test]
fn up_down_pairs_pair_up_in_numeric_order() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("db");
    write(
        &m,
        "2_create.up.sql",
        "CREATE TABLE t (id bigint PRIMARY KEY, a int);\n",
    );
    write(&m, "2_create.down.sql", "DROP TABLE t;\n");
    // 10 runs after 2 (numeric order).
    write(&m, "10_t_index.up.sql", "CREATE INDEX t_a_idx ON t (a);\n");
    write(&m, "10_t_index.down.sql", "DROP INDEX t_a_idx;\n");
    write(
        &m,
        "11_accounts_index.up.sql",
        "-- accounts exists already\nCREATE INDEX accounts_a_idx ON accounts (a);\n",
    );
    write(
        &m,
        "11_accounts_index.down.sql",
        "DROP INDEX accounts_a_idx;\n",
    );
    // With a database that lacks t (a first deploy): t is new for 10, created by 2.
    let db = Db::pg();
    let out = lint(dir.path(), &["--url", db.url(), "--format", "json", "db"]);
    assert_exit(&out, 1);
    assert_eq!(
        findings(&out)
            .into_iter()
            .filter(|f| f.starts_with("non-concurrent-index"))
            .collect::<Vec<_>>(),
        vec!["non-concurrent-index db/11_accounts_index.up.sql:2"],
        "{}",
        text(&out)
    );

    // The pair named file by file is the same migration.
    let out = lint(
        dir.path(),
        &[
            "--format",
            "json",
            "db/11_accounts_index.up.sql",
            "db/11_accounts_index.down.sql",
        ],
    );
    assert_exit(&out, 1);
    assert_eq!(
        findings(&out)
            .into_iter()
            .filter(|f| f.starts_with("non-concurrent-index"))
            .collect::<Vec<_>>(),
        vec!["non-concurrent-index db/11_accounts_index.up.sql:2"]
    );
}

#[test]
fn sarif_is_2_1_0() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "add_index.sql", INDEX_SQL);
    let out = lint(dir.path(), &["--format", "sarif", "add_index.sql"]);
    assert_exit(&out, 1);
    let value = json(&out);
    assert_eq!(value["version"], "2.1.0");
    let result = &value["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "non-concurrent-index");
    assert_eq!(result["level"], "error");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "add_index.sql"
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    let rules = value["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(
        rules.len(),
        strata_lint::RULES.len() + strata_lint::data::RULES.len()
    );
    assert!(rules.iter().any(|r| r["id"] == "data-duplicates"));
    // Opt-in rules are listed, disabled.
    let enabled = |id: &str| {
        rules.iter().find(|r| r["id"] == id).unwrap()["defaultConfiguration"]["enabled"].clone()
    };
    assert_eq!(enabled("prefer-bigint"), false);
    assert_eq!(enabled("drop-database"), true);
}

#[test]
fn github_annotations_explicit_and_automatic() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "add_index.sql", INDEX_SQL);
    let expected = "::error file=add_index.sql,line=2,col=1,title=strata non-concurrent-index::";

    let out = lint(dir.path(), &["--format", "github", "add_index.sql"]);
    assert_exit(&out, 1);
    assert!(stdout(&out).starts_with(expected), "{}", text(&out));
    assert_eq!(stdout(&out).lines().count(), 1, "one line per finding");

    let out = strata_env(
        dir.path(),
        &[("GITHUB_ACTIONS", "true")],
        &["lint", "add_index.sql"],
    );
    assert_exit(&out, 1);
    assert!(stdout(&out).starts_with(expected), "{}", text(&out));

    // An explicit format wins.
    let out = strata_env(
        dir.path(),
        &[("GITHUB_ACTIONS", "true")],
        &["lint", "--format", "json", "add_index.sql"],
    );
    assert_eq!(rules_of(&out), vec!["non-concurrent-index"]);

    // Parse errors are annotations too.
    write(dir.path(), "bad.sql", "SELECT FROM WHERE;\n");
    let out = lint(dir.path(), &["--format", "github", "bad.sql"]);
    assert_exit(&out, 2);
    assert!(
        stdout(&out).starts_with("::error file=bad.sql,line=1,title=strata parse error::"),
        "{}",
        text(&out)
    );
}

#[test]
fn lint_table_levels_override_and_validate() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "add_index.sql", INDEX_SQL);
    write(
        dir.path(),
        "strata.toml",
        "[lint]\npg_version = 13\nsmall_table_rows = 5000\n\"non-concurrent-index\" = \"warning\"\n",
    );
    let out = lint(dir.path(), &["--format", "json", "add_index.sql"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["findings"][0]["severity"], "warning");
    let out = lint(dir.path(), &["add_index.sql"]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("warning[non-concurrent-index]"),
        "{}",
        text(&out)
    );

    write(
        dir.path(),
        "strata.toml",
        "[lint]\n\"non-concurrent-index\" = \"off\"\n",
    );
    let out = lint(dir.path(), &["--format", "json", "add_index.sql"]);
    assert_exit(&out, 0);
    assert!(findings(&out).is_empty(), "{}", text(&out));

    // An unknown rule id, at its line, with a suggestion.
    write(
        dir.path(),
        "strata.toml",
        "migrations_dir = \"migrations\"\n\n[lint]\npg_version = 15\nnon_concurrent_index = \"off\"\n",
    );
    let out = lint(dir.path(), &["add_index.sql"]);
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("strata.toml:5: unknown rule `non_concurrent_index` in [lint]"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("did you mean `non-concurrent-index`"),
        "{}",
        text(&out)
    );

    // A level that is not one.
    write(
        dir.path(),
        "strata.toml",
        "[lint]\n\"drop-table\" = \"fatal\"\n",
    );
    let out = lint(dir.path(), &["add_index.sql"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("strata.toml:2:"), "{}", text(&out));
}

#[test]
fn opt_in_rules_and_naming_patterns_from_the_lint_table() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "create.sql",
        "CREATE TABLE orders (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  user_id integer NOT NULL REFERENCES users\n);\nCREATE INDEX orders_user_idx ON orders (user_id);\n",
    );
    // Off by default.
    let out = lint(dir.path(), &["--format", "json", "create.sql"]);
    let rules = rules_of(&out);
    for rule in ["prefer-bigint", "require-table-schema", "naming-convention"] {
        assert!(!rules.iter().any(|r| r == rule), "{rule}: {}", text(&out));
    }
    // On with a level ("on": its usual level), and naming-convention with its patterns.
    write(
        dir.path(),
        "strata.toml",
        "[lint]\n\"prefer-bigint\" = \"on\"\n\"require-table-schema\" = \"info\"\n\n[lint.naming]\nindex = \"^idx_\"\nforeign_key = '^fk_\\w+$'\n",
    );
    let out = lint(dir.path(), &["--format", "json", "create.sql"]);
    assert_exit(&out, 0);
    let findings = &json(&out)["findings"];
    let of = |rule: &str| -> Vec<&serde_json::Value> {
        findings
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == rule)
            .collect()
    };
    assert_eq!(of("prefer-bigint").len(), 1, "{}", text(&out));
    assert_eq!(of("prefer-bigint")[0]["severity"], "warning");
    assert_eq!(of("require-table-schema")[0]["severity"], "info");
    let naming: Vec<String> = of("naming-convention")
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        naming,
        [
            "this foreign key has no name, so PostgreSQL calls it orders_user_id_fkey, which does not match the project's convention ^fk_\\w+$",
            "the index name orders_user_idx does not match the project's convention ^idx_",
        ],
        "{}",
        text(&out)
    );
    // A level turns naming-convention off even with patterns.
    write(
        dir.path(),
        "strata.toml",
        "[lint]\n\"naming-convention\" = \"off\"\n\n[lint.naming]\nindex = \"^idx_\"\n",
    );
    let out = lint(dir.path(), &["--format", "json", "create.sql"]);
    assert!(
        !rules_of(&out).iter().any(|r| r == "naming-convention"),
        "{}",
        text(&out)
    );
    // A pattern that is not a regular expression, at its line.
    write(
        dir.path(),
        "strata.toml",
        "[lint]\npg_version = 15\n\n[lint.naming]\nindex = \"^idx_(\"\n",
    );
    let out = lint(dir.path(), &["create.sql"]);
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("strata.toml:5: `lint.naming.index` is not a valid regular expression"),
        "{}",
        text(&out)
    );
}

#[test]
fn waivers_need_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "waived.sql",
        "-- strata:lint-ignore non-concurrent-index orders has 200 rows\nCREATE INDEX orders_user_idx ON orders (user_id);\n",
    );
    let out = lint(dir.path(), &["--format", "json", "waived.sql"]);
    assert_exit(&out, 0);
    assert!(findings(&out).is_empty(), "{}", text(&out));

    write(
        dir.path(),
        "unreasoned.sql",
        "-- strata:lint-ignore non-concurrent-index\nCREATE INDEX orders_user_idx ON orders (user_id);\n",
    );
    let out = lint(dir.path(), &["--format", "json", "unreasoned.sql"]);
    assert_exit(&out, 1);
    let rules = rules_of(&out);
    assert!(
        rules.contains(&"invalid-waiver".to_owned()),
        "{}",
        text(&out)
    );
    assert!(
        rules.contains(&"non-concurrent-index".to_owned()),
        "a waiver without a reason waives nothing: {}",
        text(&out)
    );
}

#[test]
fn revision_lints_the_file_it_writes() {
    let p = Project::new();
    let out = strata(
        p.path(),
        None,
        &["revision", "-m", "first", "--rev-id", "a1"],
    );
    assert_exit(&out, 0);
    assert!(
        !text(&out).contains("error["),
        "the template has nothing to report: {}",
        text(&out)
    );
}

fn pg_project(url: &str, mode: &str) -> Project {
    let p = Project::new();
    p.config(&format!(
        "migrations_dir = \"migrations\"\ndefault_env = \"ci\"\n\n[env.ci]\nurl = \"{url}\"\nlint = \"{mode}\"\n"
    ));
    p
}

#[test]
fn pending_lints_only_what_is_not_applied_and_all_lints_everything() {
    let db = Db::pg();
    let p = pg_project(db.url(), "off");
    p.migration(
        "a1",
        &[],
        "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, state text);",
        "DROP TABLE orders;",
    );
    assert_exit(&strata(p.path(), None, &["upgrade"]), 0);
    p.migration(
        "b1",
        &["a1"],
        "CREATE INDEX orders_user_idx ON orders (user_id);",
        "DROP INDEX orders_user_idx;",
    );

    let out = lint(p.path(), &["--format", "json"]);
    assert_exit(&out, 1);
    assert_eq!(
        findings(&out)
            .into_iter()
            .filter(|f| f.starts_with("non-concurrent-index"))
            .collect::<Vec<_>>(),
        vec!["non-concurrent-index migrations/b1_m.sql:5"]
    );
    let out = lint(p.path(), &[]);
    assert!(
        stdout(&out).contains("checked 1 migration(s)"),
        "{}",
        text(&out)
    );

    // --all: both files, in graph order (orders is created earlier in the same run).
    let out = lint(p.path(), &["--all"]);
    assert!(
        stdout(&out).contains("checked 2 migration(s)"),
        "{}",
        text(&out)
    );

    // Nothing pending.
    assert_exit(&strata(p.path(), None, &["upgrade"]), 0);
    let out = lint(p.path(), &[]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("nothing pending to lint"),
        "{}",
        text(&out)
    );
    let out = lint(p.path(), &["--json"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out), serde_json::json!({ "findings": [] }));
}

#[test]
fn pending_without_a_database_is_a_runtime_error_with_a_hint() {
    let p = Project::new();
    p.migration("a1", &[], "SELECT 1;", "SELECT 1;");
    let out = strata_env(
        p.path(),
        &[],
        &[
            "--url",
            "postgres://strata@127.0.0.1:1/nothing?connect_timeout=2",
            "lint",
        ],
    );
    assert_exit(&out, 3);
    assert!(text(&out).contains("--all"), "{}", text(&out));
    // With paths or --all no database is needed; an unreachable one is a notice.
    let out = strata_env(
        p.path(),
        &[],
        &[
            "--url",
            "postgres://strata@127.0.0.1:1/nothing?connect_timeout=2",
            "lint",
            "--all",
        ],
    );
    assert_exit(&out, 0);
    assert!(
        text(&out).contains("without the database"),
        "{}",
        text(&out)
    );
}

#[test]
fn sqlite_project_pending_without_a_database_file_lints_everything() {
    let p = Project::new();
    p.migration("a1", &[], "CREATE INDEX i ON t (a);", "DROP INDEX i;");
    let out = lint(p.path(), &["--format", "json"]);
    assert_exit(&out, 1);
    assert_eq!(
        findings(&out)
            .into_iter()
            .filter(|f| f.starts_with("non-concurrent-index"))
            .count(),
        1
    );
    assert!(
        !p.path().join("strata.db").exists(),
        "lint creates no database"
    );
}

#[test]
fn upgrade_under_enforce_is_blocked_by_error_findings() {
    let db = Db::pg();
    let p = pg_project(db.url(), "enforce");
    p.migration(
        "a1",
        &[],
        "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);",
        "DROP TABLE orders;",
    );
    assert_exit(&strata(p.path(), None, &["upgrade"]), 0);
    p.migration(
        "b1",
        &["a1"],
        "CREATE INDEX orders_user_idx ON orders (user_id);",
        "DROP INDEX orders_user_idx;",
    );
    let out = strata(p.path(), None, &["upgrade"]);
    assert_exit(&out, 1);
    assert!(
        text(&out).contains("error[non-concurrent-index]"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("nothing was applied"), "{}", text(&out));
    assert_eq!(db.heads(), vec!["a1"]);

    // --dry-run says the same; --json gets the findings on stdout.
    assert_exit(&strata(p.path(), None, &["upgrade", "--dry-run"]), 1);
    let out = strata(p.path(), None, &["upgrade", "--json"]);
    assert_exit(&out, 1);
    assert_eq!(rules_of(&out), vec!["non-concurrent-index"]);
    // Offline SQL runs nothing: no lint.
    assert_exit(&strata(p.path(), None, &["upgrade", "--sql"]), 0);

    // Under warn the findings are printed and the upgrade goes on.
    let p_warn = pg_project(db.url(), "warn");
    for name in ["a1_m.sql", "b1_m.sql"] {
        std::fs::copy(
            p.path().join("migrations").join(name),
            p_warn.path().join("migrations").join(name),
        )
        .unwrap();
    }
    let out = strata(p_warn.path(), None, &["upgrade"]);
    assert_exit(&out, 0);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("error[non-concurrent-index]"),
        "{}",
        text(&out)
    );
    assert!(stdout(&out).contains("▲ b1"), "{}", text(&out));
    assert_eq!(db.heads(), vec!["b1"]);
}

#[test]
fn upgrade_lints_by_default_as_warn_and_not_when_off() {
    let db = Db::pg();
    let p = Project::new();
    p.migration(
        "a1",
        &[],
        "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);",
        "DROP TABLE orders;",
    );
    let url = db.url().to_owned();
    assert_exit(&strata(p.path(), Some(&url), &["upgrade"]), 0);
    p.migration(
        "b1",
        &["a1"],
        "CREATE INDEX orders_user_idx ON orders (user_id);",
        "DROP INDEX orders_user_idx;",
    );
    let out = strata(p.path(), Some(&url), &["upgrade"]);
    assert_exit(&out, 0);
    assert!(
        text(&out).contains("non-concurrent-index"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("going on"), "{}", text(&out));
    assert_eq!(db.heads(), vec!["b1"]);
}

#[test]
fn upgrade_on_sqlite_is_not_linted() {
    let db = Db::sqlite();
    let p = Project::new();
    p.config(&format!(
        "migrations_dir = \"migrations\"\ndefault_env = \"dev\"\n\n[env.dev]\nurl = \"{}\"\nlint = \"enforce\"\n",
        db.url()
    ));
    p.migration(
        "a1",
        &[],
        "CREATE TABLE orders (id integer PRIMARY KEY, user_id integer);\nCREATE INDEX orders_user_idx ON orders (user_id);",
        "DROP TABLE orders;",
    );
    p.migration(
        "b1",
        &["a1"],
        "CREATE INDEX orders_user_idx2 ON orders (user_id);",
        "DROP INDEX orders_user_idx2;",
    );
    let out = strata(p.path(), None, &["upgrade"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), vec!["b1"]);
}

/// `upgrade` lints what it is about to run (the lint mode of the environment decides). Needs the `adding-not-null-column` rule.
#[test]
fn acceptance_enforce_blocks_a_not_null_column_until_waived() {
    let db = Db::pg();
    let p = pg_project(db.url(), "enforce");
    p.migration(
        "a1",
        &[],
        "CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL);",
        "DROP TABLE accounts;",
    );
    let out = strata(p.path(), None, &["upgrade"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), vec!["a1"]);

    p.migration(
        "b1",
        &["a1"],
        "ALTER TABLE accounts ADD COLUMN plan text NOT NULL;",
        "ALTER TABLE accounts DROP COLUMN plan;",
    );
    let out = strata(p.path(), None, &["upgrade"]);
    assert_exit(&out, 1);
    assert!(
        text(&out).contains("adding-not-null-column"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("migrations/b1_m.sql:5"),
        "{}",
        text(&out)
    );
    assert_eq!(db.heads(), vec!["a1"], "nothing applied");
    assert!(db
        .strings("SELECT column_name::text FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'plan'")
        .is_empty());

    p.migration(
        "b1",
        &["a1"],
        "-- strata:lint-ignore adding-not-null-column table is empty at deploy time\nALTER TABLE accounts ADD COLUMN plan text NOT NULL;",
        "ALTER TABLE accounts DROP COLUMN plan;",
    );
    let out = strata(p.path(), None, &["upgrade"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), vec!["b1"]);
}

/// Needs the `modified-applied-migration` rule.
#[test]
fn modified_applied_migration_with_the_database() {
    let db = Db::pg();
    let p = pg_project(db.url(), "off");
    p.migration(
        "a1",
        &[],
        "CREATE TABLE accounts (id bigint PRIMARY KEY);",
        "DROP TABLE accounts;",
    );
    assert_exit(&strata(p.path(), None, &["upgrade"]), 0);
    let out = lint(p.path(), &["--all", "--format", "json"]);
    assert!(
        !rules_of(&out).contains(&"modified-applied-migration".to_owned()),
        "{}",
        text(&out)
    );
    p.migration(
        "a1",
        &[],
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);",
        "DROP TABLE accounts;",
    );
    let out = lint(p.path(), &["--all", "--format", "json"]);
    assert_exit(&out, 1);
    assert!(
        rules_of(&out).contains(&"modified-applied-migration".to_owned()),
        "{}",
        text(&out)
    );
}

/// Needs the `empty-downgrade` rule: a diesel migration with an empty down, and a plain file
/// (which has no down to be empty).
#[test]
fn empty_downgrade_in_diesel_but_not_for_plain_files() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m");
    write(
        &m,
        "2020-01-01-000000_x/up.sql",
        "ALTER TABLE accounts ADD COLUMN note text;\n",
    );
    write(&m, "2020-01-01-000000_x/down.sql", "-- Not reversible\n");
    let out = lint(dir.path(), &["--format", "json", "m"]);
    assert_exit(&out, 1);
    assert!(
        rules_of(&out).contains(&"empty-downgrade".to_owned()),
        "{}",
        text(&out)
    );
    write(
        dir.path(),
        "plain.sql",
        "ALTER TABLE accounts ADD COLUMN note text;\n",
    );
    let out = lint(dir.path(), &["--format", "json", "plain.sql"]);
    assert!(
        !rules_of(&out).contains(&"empty-downgrade".to_owned()),
        "{}",
        text(&out)
    );
}

/// Needs the `concurrently-in-transaction` rule: diesel runs a migration without
/// `run_in_transaction = false` in a transaction.
#[test]
fn concurrently_in_a_diesel_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m");
    write(
        &m,
        "2020-01-01-000000_x/up.sql",
        "CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);\n",
    );
    write(
        &m,
        "2020-01-01-000000_x/down.sql",
        "DROP INDEX CONCURRENTLY accounts_email_idx;\n",
    );
    let out = lint(dir.path(), &["--format", "json", "m"]);
    assert_exit(&out, 1);
    let found = findings(&out);
    assert!(
        found.contains(&"concurrently-in-transaction m/2020-01-01-000000_x/up.sql:1".to_owned()),
        "{found:?}"
    );
    assert!(
        found.contains(&"concurrently-in-transaction m/2020-01-01-000000_x/down.sql:1".to_owned()),
        "{found:?}"
    );
}

#[test]
fn a_sqlite_project_has_nothing_to_lint_but_named_files_are_linted() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(
        p,
        "strata.toml",
        "[env.development]\nurl = \"sqlite://app.db\"\n",
    );
    write(
        p,
        "migrations/a1_trigger.sql",
        "-- strata:up\nCREATE TABLE t (id integer PRIMARY KEY);\nCREATE TRIGGER t_ins AFTER INSERT ON t\nBEGIN\n    SELECT 1;\nEND;\n\n-- strata:down\nDROP TRIGGER t_ins;\nDROP TABLE t;\n",
    );
    for args in [&["--all"][..], &[][..]] {
        let out = lint(p, args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("SQLite"),
            "says why"
        );
    }
    let out = lint(p, &["--all", "--format", "json"]);
    assert_eq!(json(&out)["findings"], serde_json::json!([]));
    // Named explicitly, a file is linted as PostgreSQL: SQLite's trigger body does not parse.
    let out = lint(p, &["migrations/a1_trigger.sql"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Two diesel migrations: the first creates a table, the second indexes it.
fn create_then_index(dir: &Path) {
    write(
        dir,
        "migrations/2024-01-01-000000_orders/up.sql",
        "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\nCREATE INDEX orders_id_user_idx ON orders (id, user_id);\n",
    );
    write(
        dir,
        "migrations/2024-01-01-000000_orders/down.sql",
        "DROP TABLE orders;\n",
    );
    write(
        dir,
        "migrations/2024-02-01-000000_orders_user/up.sql",
        "CREATE INDEX orders_user_idx ON orders (user_id);\n",
    );
    write(
        dir,
        "migrations/2024-02-01-000000_orders_user/down.sql",
        "DROP INDEX orders_user_idx;\n",
    );
}

#[test]
fn history_without_a_database_a_table_is_new_only_in_its_own_migration() {
    let dir = tempfile::tempdir().unwrap();
    create_then_index(dir.path());
    let later = "non-concurrent-index migrations/2024-02-01-000000_orders_user/up.sql:1";
    // A folder: the later migration's index is on an existing table (it may run long after).
    let out = lint(dir.path(), &["--format", "json", "migrations"]);
    assert_exit(&out, 1);
    let found = findings(&out);
    assert!(found.contains(&later.to_owned()), "{found:?}");
    // The index in the creating migration is not a finding.
    assert!(
        !found
            .iter()
            .any(|f| f.starts_with("non-concurrent-index migrations/2024-01-01")),
        "{found:?}"
    );
    // --all in a project of another tool (no strata.toml): its migrations folder, by layout.
    let out = lint(dir.path(), &["--all", "--format", "json"]);
    assert_exit(&out, 1);
    assert!(findings(&out).contains(&later.to_owned()), "{}", text(&out));
    // The later migration alone reports the same.
    let out = lint(
        dir.path(),
        &[
            "--format",
            "json",
            "migrations/2024-02-01-000000_orders_user",
        ],
    );
    assert_exit(&out, 1);
    assert_eq!(findings(&out), vec![later.to_owned()]);
}

#[test]
fn history_with_a_database_what_it_lacks_is_new() {
    let db = Db::pg();
    let dir = tempfile::tempdir().unwrap();
    create_then_index(dir.path());
    let later = "non-concurrent-index migrations/2024-02-01-000000_orders_user/up.sql:1";
    // A first deploy: the database has no orders yet, so the later index is on a new table.
    let out = lint(
        dir.path(),
        &["--url", db.url(), "--format", "json", "migrations"],
    );
    assert_exit(&out, 0);
    assert!(
        !findings(&out)
            .iter()
            .any(|f| f.starts_with("non-concurrent-index")),
        "{}",
        text(&out)
    );
    // Once orders exists there, it is not new.
    db.exec("CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint)");
    let out = lint(
        dir.path(),
        &["--url", db.url(), "--format", "json", "migrations"],
    );
    assert_exit(&out, 1);
    assert!(findings(&out).contains(&later.to_owned()), "{}", text(&out));
    // Size-aware: a small table (analyzed, under small_table_rows) drops to info.
    db.exec("INSERT INTO orders SELECT g, g FROM generate_series(1, 10) g; ANALYZE orders");
    let out = lint(
        dir.path(),
        &["--url", db.url(), "--format", "json", "migrations"],
    );
    let value = json(&out);
    let index = value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "non-concurrent-index")
        .unwrap_or_else(|| panic!("{value:#}"));
    assert_eq!(index["severity"], "info", "{value:#}");
}

#[test]
fn one_diesel_folder_or_its_files_are_one_migration() {
    let dir = tempfile::tempdir().unwrap();
    create_then_index(dir.path());
    // The folder: up and down, named by file.
    let out = lint(
        dir.path(),
        &["--format", "json", "migrations/2024-01-01-000000_orders"],
    );
    assert!(
        stdout(&lint(dir.path(), &["migrations/2024-01-01-000000_orders"]))
            .contains("checked 1 migration(s), 3 statement(s)"),
        "{}",
        text(&out)
    );
    // Its table is created in its own up: neither the index nor the down's DROP is a finding.
    assert!(
        !rules_of(&out)
            .iter()
            .any(|r| r == "non-concurrent-index" || r == "drop-table"),
        "{}",
        text(&out)
    );
    // NAME/up.sql NAME/down.sql: the same one migration.
    let out = lint(
        dir.path(),
        &[
            "migrations/2024-01-01-000000_orders/up.sql",
            "migrations/2024-01-01-000000_orders/down.sql",
        ],
    );
    assert!(
        stdout(&out).contains("checked 1 migration(s), 3 statement(s)"),
        "{}",
        text(&out)
    );
    // In the folder itself.
    let out = strata_env(
        &dir.path().join("migrations/2024-01-01-000000_orders"),
        &[],
        &["lint", "--format", "json", "up.sql", "down.sql"],
    );
    assert!(
        !rules_of(&out).iter().any(|r| r == "drop-table"),
        "{}",
        text(&out)
    );
}

#[test]
fn go_tool_layouts_underscore_pairs_pop_goose_dbmate() {
    let dir = tempfile::tempdir().unwrap();
    // `_up.sql` / `_down.sql`: paired, so the down undoes its own up.
    write(
        dir.path(),
        "go/0001_orders_up.sql",
        "CREATE TABLE orders (id bigint PRIMARY KEY);\n",
    );
    write(
        dir.path(),
        "go/0001_orders_down.sql",
        "DROP TABLE orders;\n",
    );
    let out = lint(dir.path(), &["--format", "json", "go"]);
    assert!(
        stdout(&lint(dir.path(), &["go"])).contains("checked 1 migration(s), 2 statement(s)"),
        "{}",
        text(&out)
    );
    assert!(
        !rules_of(&out).iter().any(|r| r == "drop-table"),
        "{}",
        text(&out)
    );

    // A strata migration whose slug ends in `_up` is not half of a pair.
    write(
        dir.path(),
        "st/20260101000000_clean_up.sql",
        "-- strata:message clean up\n\n-- strata:up\nCREATE INDEX CONCURRENTLY orders_a_idx ON orders (a);\n\n-- strata:down\nDROP INDEX CONCURRENTLY orders_a_idx;\n",
    );
    // Read as strata's (which runs it outside a transaction by itself), not as a plain file.
    let out = lint(dir.path(), &["--format", "json", "st"]);
    assert!(
        !rules_of(&out)
            .iter()
            .any(|r| r == "concurrently-in-transaction"),
        "{}",
        text(&out)
    );

    // pop: `.autocommit` runs outside a transaction; another dialect is skipped.
    write(
        dir.path(),
        "pop/20240101000000_idx.autocommit.up.sql",
        "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\n",
    );
    write(
        dir.path(),
        "pop/20240101000000_idx.autocommit.down.sql",
        "DROP INDEX CONCURRENTLY orders_user_idx;\n",
    );
    write(
        dir.path(),
        "pop/20240102000000_idx2.up.sql",
        "CREATE INDEX CONCURRENTLY orders_state_idx ON orders (state);\n",
    );
    write(
        dir.path(),
        "pop/20240102000000_idx2.down.sql",
        "DROP INDEX orders_state_idx;\n",
    );
    write(
        dir.path(),
        "pop/20240103000000_x.mysql.up.sql",
        "ALTER TABLE orders ADD COLUMN x int AFTER id;\n",
    );
    let out = lint(dir.path(), &["--format", "json", "pop"]);
    let found = findings(&out);
    assert_eq!(
        found
            .iter()
            .filter(|f| f.starts_with("concurrently-in-transaction"))
            .collect::<Vec<_>>(),
        vec!["concurrently-in-transaction pop/20240102000000_idx2.up.sql:1"],
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("a mysql migration"), "{}", text(&out));

    // goose: sections, NO TRANSACTION, file lines.
    write(
        dir.path(),
        "goose/20240101000000_idx.sql",
        "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\n\n-- +goose Down\nDROP INDEX CONCURRENTLY orders_user_idx;\n",
    );
    write(
        dir.path(),
        "goose/20240102000000_fn.sql",
        "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;\n-- +goose StatementEnd\nCREATE INDEX CONCURRENTLY orders_state_idx ON orders (state);\n-- +goose Down\nDROP FUNCTION f();\n",
    );
    let out = lint(dir.path(), &["--format", "json", "goose"]);
    let found = findings(&out);
    assert_eq!(
        found
            .iter()
            .filter(|f| f.starts_with("concurrently-in-transaction"))
            .collect::<Vec<_>>(),
        vec!["concurrently-in-transaction goose/20240102000000_fn.sql:5"],
        "{}",
        text(&out)
    );
    assert!(
        !found.iter().any(|f| f.starts_with("empty-downgrade")),
        "{found:?}"
    );

    // dbmate: `transaction:false` per section; a down that is empty under a schema change.
    write(
        dir.path(),
        "dbmate/20240101000000_idx.sql",
        "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\n\n-- migrate:down\n",
    );
    let out = lint(dir.path(), &["--format", "json", "dbmate"]);
    let found = findings(&out);
    assert!(
        !found
            .iter()
            .any(|f| f.starts_with("concurrently-in-transaction")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("empty-downgrade dbmate/20240101000000_idx.sql")),
        "{found:?}"
    );
}

#[test]
fn explicit_blocks_in_a_migration_outside_a_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let meta = "run_in_transaction = false\n";
    // BEGIN; SELECT 1; COMMIT; in a non-transactional diesel migration: a real transaction, fine.
    write(dir.path(), "m/2024-01-01-000000_a/metadata.toml", meta);
    write(
        dir.path(),
        "m/2024-01-01-000000_a/up.sql",
        "BEGIN;\nSELECT 1;\nCOMMIT;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_idx ON orders (user_id);\n",
    );
    write(dir.path(), "m/2024-01-01-000000_a/down.sql", "SELECT 1;\n");
    // VALIDATE inside the block that added the constraint NOT VALID: a finding.
    write(dir.path(), "m/2024-01-02-000000_b/metadata.toml", meta);
    write(
        dir.path(),
        "m/2024-01-02-000000_b/up.sql",
        "BEGIN;\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;\nCOMMIT;\n",
    );
    write(
        dir.path(),
        "m/2024-01-02-000000_b/down.sql",
        "ALTER TABLE orders DROP CONSTRAINT orders_user_fk;\n",
    );
    let out = lint(dir.path(), &["--format", "json", "m"]);
    let found = findings(&out);
    assert!(
        !found.iter().any(|f| f.starts_with("transaction-control")),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|f| f.starts_with("concurrently-in-transaction")),
        "{found:?}"
    );
    assert!(
        found.contains(&"constraint-without-not-valid m/2024-01-02-000000_b/up.sql:3".to_owned()),
        "{found:?}"
    );
    // In a transactional diesel migration, a COMMIT before CREATE INDEX CONCURRENTLY ends the
    // transaction it was in: transaction-control, but not concurrently-in-transaction.
    write(
        dir.path(),
        "t/2024-01-01-000000_a/up.sql",
        "ALTER TABLE orders ADD COLUMN note text;\nCOMMIT;\nCREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);\n",
    );
    let out = lint(dir.path(), &["--format", "json", "t"]);
    let found = findings(&out);
    assert!(
        found.contains(&"transaction-control t/2024-01-01-000000_a/up.sql:2".to_owned()),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|f| f.starts_with("concurrently-in-transaction")),
        "{found:?}"
    );
}

/// A project on `db` with `[lint]` settings, and its cache folder for the measured throughput.
fn data_project(db: &Db, lint_table: &str) -> Project {
    let p = Project::new();
    p.config(&format!(
        "migrations_dir = \"migrations\"\ndefault_env = \"ci\"\n\n[env.ci]\nurl = \"{}\"\nlint = \"enforce\"\n\n[lint]\n{lint_table}\n",
        db.url()
    ));
    p
}

fn lint_in(p: &Project, args: &[&str]) -> Output {
    let cache = p.path().join("cache");
    let mut all = vec!["lint"];
    all.extend_from_slice(args);
    strata_env(
        p.path(),
        &[("STRATA_CACHE_DIR", cache.to_str().unwrap())],
        &all,
    )
}

fn finding_of<'v>(value: &'v serde_json::Value, rule: &str) -> Vec<&'v serde_json::Value> {
    value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

#[test]
fn data_checks_find_duplicates_nulls_orphans_and_unconvertible_values() {
    let db = Db::pg();
    db.exec(
        "CREATE TABLE users (id bigint PRIMARY KEY);
         INSERT INTO users SELECT generate_series(1, 100);
         CREATE TABLE orders (id bigint PRIMARY KEY, code text, user_id bigint, qty text, note text);
         INSERT INTO orders SELECT g, 'c' || g, g, g::text, 'n' FROM generate_series(1, 200) g;
         -- planted: 3 duplicate codes, 4 NULL user_ids, 5 orphans (user 500), 2 bad quantities
         UPDATE orders SET code = 'dup' || (id % 3) WHERE id <= 9;
         UPDATE orders SET user_id = NULL WHERE id BETWEEN 10 AND 13;
         UPDATE orders SET user_id = 500 WHERE id BETWEEN 20 AND 24;
         UPDATE orders SET user_id = 1 WHERE id > 100 AND user_id IS NOT NULL;
         UPDATE orders SET qty = 'many' WHERE id IN (30, 31);
         ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
         ANALYZE",
    );
    let p = data_project(&db, "data_checks = \"10s\"");
    p.write(
        "checks.sql",
        "SET lock_timeout = '1s';\n\
         CREATE UNIQUE INDEX orders_code_key ON orders (code);\n\
         ALTER TABLE orders ALTER COLUMN user_id SET NOT NULL;\n\
         ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;\n\
         ALTER TABLE orders ADD CONSTRAINT orders_user_fk2 FOREIGN KEY (user_id) REFERENCES users (id);\n\
         ALTER TABLE orders ALTER COLUMN qty TYPE integer USING qty::integer;\n\
         ALTER TABLE orders ALTER COLUMN note SET NOT NULL;\n",
    );
    let out = lint_in(&p, &["--format", "json", "migrations/checks.sql"]);
    assert_exit(&out, 1);
    let value = json(&out);
    let dup = finding_of(&value, "data-duplicates");
    assert_eq!(dup.len(), 1, "{value:#}");
    assert_eq!(dup[0]["line"], 2);
    assert_eq!(dup[0]["severity"], "error");
    let message = dup[0]["message"].as_str().unwrap();
    assert!(message.contains("will fail"), "{message}");
    assert!(message.contains("3 duplicate keys on (code)"), "{message}");
    // The query in the help shows them.
    let help = dup[0]["help"].as_str().unwrap();
    let see = help.lines().last().unwrap().trim();
    assert_eq!(db.strings(see).len(), 3, "{see}");
    let nulls = finding_of(&value, "data-nulls");
    assert_eq!(nulls.len(), 1, "{value:#}");
    assert_eq!(nulls[0]["line"], 3);
    assert!(nulls[0]["message"]
        .as_str()
        .unwrap()
        .contains("4 rows with user_id NULL"));
    // VALIDATE of the constraint the database has (NOT VALID), and a new foreign key.
    let orphans = finding_of(&value, "data-orphans");
    assert_eq!(orphans.len(), 2, "{value:#}");
    assert_eq!(
        (orphans[0]["line"].clone(), orphans[1]["line"].clone()),
        (4.into(), 5.into())
    );
    for o in &orphans {
        assert!(
            o["message"]
                .as_str()
                .unwrap()
                .contains("5 rows whose (user_id) matches no row of users"),
            "{o}"
        );
    }
    let bad = finding_of(&value, "data-unconvertible");
    assert_eq!(bad.len(), 1, "{value:#}");
    assert!(bad[0]["message"]
        .as_str()
        .unwrap()
        .contains("2 rows whose qty does not convert to integer"));
    // note has no NULL: no finding on line 7.
    assert!(!value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "data-nulls" && f["line"] == 7));
    // Nothing was changed by the checks (the temporary function is gone with its transaction).
    assert_eq!(
        db.strings("SELECT count(*)::text FROM orders WHERE qty = 'many'"),
        ["2"]
    );
    assert!(db
        .strings("SELECT proname::text FROM pg_proc WHERE proname = 'strata_converts'")
        .is_empty());

    // Off: no data findings.
    let off = data_project(&db, "data_checks = \"off\"");
    off.write(
        "checks.sql",
        &std::fs::read_to_string(p.path().join("migrations/checks.sql")).unwrap(),
    );
    let out = lint_in(&off, &["--format", "json", "migrations/checks.sql"]);
    assert!(
        !rules_of(&out).iter().any(|r| r.starts_with("data-")),
        "{}",
        text(&out)
    );
}

#[test]
fn data_checks_skip_what_an_earlier_pending_migration_changes() {
    let db = Db::pg();
    db.exec(
        "CREATE TABLE orders (id bigint PRIMARY KEY, code text);
         INSERT INTO orders SELECT g, 'c' || (g % 5) FROM generate_series(1, 20) g; ANALYZE",
    );
    let p = data_project(&db, "");
    p.migration(
        "a1",
        &[],
        "DELETE FROM orders a USING orders b WHERE a.code = b.code AND a.id > b.id;",
        "SELECT 1;",
    );
    p.migration(
        "b1",
        &["a1"],
        "CREATE UNIQUE INDEX orders_code_key ON orders (code);",
        "DROP INDEX orders_code_key;",
    );
    // The dedupe runs first: no false "will fail".
    let out = lint_in(&p, &["--format", "json"]);
    assert!(
        !rules_of(&out).contains(&"data-duplicates".to_owned()),
        "{}",
        text(&out)
    );
    // The index alone (its migration named on its own) meets today's duplicates.
    let out = lint_in(&p, &["--format", "json", "migrations/b1_m.sql"]);
    assert!(
        rules_of(&out).contains(&"data-duplicates".to_owned()),
        "{}",
        text(&out)
    );
    // upgrade lints without reading the data: blocked by the lint's own findings (lint =
    // "enforce"), never by a data check.
    let out = strata_env(p.path(), &[], &["--json", "upgrade", "--dry-run"]);
    assert!(!stdout(&out).contains("data-duplicates"), "{}", text(&out));
    assert!(!text(&out).contains("data checks"), "{}", text(&out));
}

#[test]
fn data_checks_keep_to_their_time_budget_on_a_large_table() {
    let db = Db::pg();
    db.exec(
        "CREATE TABLE big AS SELECT g AS id, g AS k, g::text AS t FROM generate_series(1, 5000000) g;
         UPDATE big SET k = 7 WHERE id % 1000 = 0;
         ANALYZE big",
    );
    let p = data_project(&db, "data_checks = \"1s\"");
    p.write(
        "big.sql",
        "SET lock_timeout = '1s';\nCREATE UNIQUE INDEX big_k_key ON big (k);\nALTER TABLE big ALTER COLUMN t TYPE integer USING t::integer;\nALTER TABLE big ALTER COLUMN t SET NOT NULL;\n",
    );
    let started = std::time::Instant::now();
    let out = lint_in(&p, &["--format", "json", "migrations/big.sql"]);
    let took = started.elapsed();
    // The budget (1 s) plus a margin for starting, parsing and the catalog reads.
    assert!(
        took < std::time::Duration::from_millis(3500),
        "took {took:?}: {}",
        text(&out)
    );
    let all = text(&out);
    assert!(all.contains("data checks:"), "{all}");
    assert!(
        all.contains("sampled: big") || all.contains("cut short"),
        "the notice says the checks were sampled or cut short: {all}"
    );
    // A duplicate found in the sample is reported as a lower bound, saying it was sampled.
    let value = json(&out);
    for f in finding_of(&value, "data-duplicates") {
        let message = f["message"].as_str().unwrap();
        assert!(
            message.contains("at least") && message.contains("sampled"),
            "{message}"
        );
    }
}

#[test]
fn calibrate_caches_the_throughput_and_durations_name_the_lock_held() {
    let db = Db::pg();
    db.exec(
        "CREATE TABLE orders (id bigint PRIMARY KEY, note text);
         INSERT INTO orders SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g; ANALYZE",
    );
    let p = data_project(&db, "");
    // Without a measurement: no durations, and the notice says how to get them.
    p.write(
        "rewrite.sql",
        "SET lock_timeout = '1s';\nALTER TABLE orders ALTER COLUMN id TYPE numeric;\n",
    );
    let out = lint_in(&p, &["--format", "json", "migrations/rewrite.sql"]);
    assert!(
        !rules_of(&out).contains(&"estimated-duration".to_owned()),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("strata lint --calibrate"),
        "{}",
        text(&out)
    );

    let out = lint_in(&p, &["--json", "--calibrate"]);
    assert_exit(&out, 0);
    let measured = json(&out);
    let cache = std::path::PathBuf::from(measured["cache"].as_str().unwrap());
    assert!(cache.starts_with(p.path().join("cache")), "{cache:?}");
    for key in [
        "scan_bytes_per_s",
        "rewrite_bytes_per_s",
        "build_bytes_per_s",
    ] {
        assert!(measured[key].as_f64().unwrap() > 1000.0, "{measured:#}");
    }
    // Nothing left behind by the measurement.
    assert!(!db.table_exists("strata_calibration"));
    // A slow server (as cached): the rewrite holds its lock for long.
    let mut cached: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    for key in [
        "scan_bytes_per_s",
        "rewrite_bytes_per_s",
        "build_bytes_per_s",
    ] {
        cached[key] = serde_json::json!(20_000.0);
    }
    std::fs::write(&cache, cached.to_string()).unwrap();
    let out = lint_in(&p, &["--format", "json", "migrations/rewrite.sql"]);
    let value = json(&out);
    let d = finding_of(&value, "estimated-duration");
    assert_eq!(d.len(), 1, "{value:#}");
    let message = d[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("holds ACCESS EXCLUSIVE on orders for about "),
        "{message}"
    );
    assert!(message.contains("full table rewrite"), "{message}");
    assert!(d[0]["lock"]
        .as_str()
        .unwrap()
        .starts_with("ACCESS EXCLUSIVE on orders for about"));
}

#[test]
fn the_target_version_reaches_the_rules() {
    // PostgreSQL 12+ skips the SET NOT NULL scan when a validated CHECK (col IS NOT NULL) proves
    // it; 11 does not. `[lint] pg_version` decides, also over a connected server's version.
    let db = Db::pg();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "m.sql",
        "ALTER TABLE orders ADD CONSTRAINT orders_user_nn CHECK (user_id IS NOT NULL) NOT VALID;\nCOMMIT;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_nn;\nALTER TABLE orders ALTER COLUMN user_id SET NOT NULL;\n",
    );
    let fires = |version: &str, url: Option<&str>| {
        write(
            dir.path(),
            "strata.toml",
            &format!("[lint]\npg_version = {version}\n"),
        );
        let mut args = vec!["--format", "json", "m.sql"];
        if let Some(url) = url {
            args.extend(["--url", url]);
        }
        rules_of(&lint(dir.path(), &args)).contains(&"setting-not-null".to_owned())
    };
    assert!(fires("11", None));
    assert!(!fires("12", None));
    // The server is 15; the target 11 wins.
    assert!(fires("11", Some(db.url())));
}

#[test]
fn a_first_deploy_that_creates_a_table_then_indexes_it_is_not_blocked() {
    let db = Db::pg();
    let p = pg_project(db.url(), "enforce");
    p.migration(
        "a1",
        &[],
        "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);",
        "DROP TABLE orders;",
    );
    p.migration(
        "b1",
        &["a1"],
        "CREATE INDEX orders_user_idx ON orders (user_id);",
        "DROP INDEX orders_user_idx;",
    );
    // upgrade's check: the database has no orders yet, so b1's index is on a new table.
    let out = strata(p.path(), None, &["upgrade"]);
    assert_exit(&out, 0);
    assert!(db.table_exists("orders"));
    // Once orders exists, the same index in a later migration is a finding that blocks.
    p.migration(
        "c1",
        &["b1"],
        "CREATE INDEX orders_id_user_idx ON orders (id, user_id);",
        "DROP INDEX orders_id_user_idx;",
    );
    let out = strata(p.path(), None, &["upgrade"]);
    assert_exit(&out, 1);
    assert!(
        text(&out).contains("non-concurrent-index"),
        "{}",
        text(&out)
    );
    // Without a database, --all reports b1's index too (it may run long after a1).
    let out = lint(
        p.path(),
        &[
            "--all",
            "--format",
            "json",
            "--url",
            "postgres://nobody@127.0.0.1:1/none",
        ],
    );
    assert!(
        findings(&out)
            .iter()
            .any(|f| f.starts_with("non-concurrent-index migrations/b1_m.sql")),
        "{}",
        text(&out)
    );
}
