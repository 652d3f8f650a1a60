//! `strata audit add|anchor|verify` on real PostgreSQL: for each pattern, rows inserted, updated
//! and deleted and the audit read back; the change log refused to the application role and to
//! everyone else by its trigger; a tamper-evident log with a row deleted by a superuser (triggers
//! disabled) and its last rows deleted after an anchor, both caught by `audit verify`; the
//! generated migration lints clean and downgrades cleanly.

mod common;
use common::*;
use std::path::Path;

const BASE_UP: &str = "CREATE TABLE orders (id bigint PRIMARY KEY, amount int NOT NULL);";
const BASE_DOWN: &str = "DROP TABLE orders;";

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    strata(dir, None, args)
}

/// Runs SQL as the test's superuser; the error's text when it fails.
fn try_exec(db: &Db, sql: &str) -> Result<(), String> {
    let Db::Pg(pg) = db else { unreachable!() };
    pg.client().batch_execute(sql).map_err(|e| {
        e.as_db_error()
            .map(|d| d.message().to_owned())
            .unwrap_or_else(|| e.to_string())
    })
}

/// Drops a role the test created (roles belong to the cluster, not the test's database), also when
/// the test fails; dropped before the database.
struct RoleGuard {
    name: String,
    url: String,
}

impl Drop for RoleGuard {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let role = self.name.replace('"', "\"\"");
            let _ =
                client.batch_execute(&format!("DROP OWNED BY \"{role}\"; DROP ROLE \"{role}\";"));
        }
    }
}

/// A project on `db` with the base migration applied, and the migration `audit add` wrote.
fn project_with(db: &Db, config_extra: &str, add: &[&str]) -> (Project, String) {
    let project = Project::new();
    project.config(&format!(
        "migrations_dir = \"migrations\"\n\n[env.development]\nurl = \"{}\"\n{config_extra}",
        db.url()
    ));
    project.migration("a1", &[], BASE_UP, BASE_DOWN);
    let dir = project.path();
    assert_exit(&run(dir, &["upgrade"]), 0);
    let mut args = vec!["audit", "add"];
    args.extend_from_slice(add);
    let out = run(dir, &args);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("wrote migrations/"), "{}", text(&out));
    let file = std::fs::read_dir(dir.join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| !p.ends_with("a1_m.sql"))
        .expect("the audit migration");
    let sql = std::fs::read_to_string(&file).unwrap();
    assert!(sql.contains("-- strata:revises a1"), "{sql}");
    // Reviewable: lints clean, and only then applied.
    let out = run(dir, &["lint"]);
    assert_exit(&out, 0);
    assert!(
        text(&out).contains("0 error(s), 0 warning(s)"),
        "{}",
        text(&out)
    );
    assert_exit(&run(dir, &["upgrade"]), 0);
    (project, sql)
}

#[test]
fn cdc_tamper_evident_log() {
    let db = Db::pg();
    let Db::Pg(pg) = &db else { unreachable!() };
    let role = format!("app_{}", pg.name.rsplit('_').next().unwrap());
    db.exec(&format!(
        "CREATE ROLE \"{role}\"; ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO \"{role}\";"
    ));
    let _role = RoleGuard {
        name: role.clone(),
        url: db.url().to_owned(),
    };
    let (project, sql) = project_with(
        &db,
        &format!("\n[audit]\napp_roles = [\"{role}\"]\n"),
        &["orders", "--pattern", "cdc", "--tamper-evident"],
    );
    assert!(sql.contains(&format!("FROM \"{role}\";")), "{sql}");
    assert!(sql.contains("-- strata:destructive-downgrade"), "{sql}");
    let dir = project.path();

    db.exec(
        "INSERT INTO orders VALUES (1, 10), (2, 20);
         UPDATE orders SET amount = 11 WHERE id = 1;
         DELETE FROM orders WHERE id = 2;
         INSERT INTO orders VALUES (3, 30);",
    );
    let log = db.strings(
        "SELECT concat_ws(' ', table_name, operation, pk::text, old_data->>'amount', new_data->>'amount', \
         changed_by = current_user, txid > 0, prev_hash IS NOT NULL) FROM audit_log ORDER BY id",
    );
    assert_eq!(
        log,
        [
            "public.orders INSERT {\"id\": 1} 10 t t f",
            "public.orders INSERT {\"id\": 2} 20 t t t",
            "public.orders UPDATE {\"id\": 1} 10 11 t t t",
            "public.orders DELETE {\"id\": 2} 20 t t t",
            "public.orders INSERT {\"id\": 3} 30 t t t",
        ]
    );

    // The application role cannot change or remove audit rows (revoked), nor can anyone else
    // (the trigger), short of disabling the triggers.
    for stmt in ["UPDATE audit_log SET pk = '{}'", "DELETE FROM audit_log"] {
        let e = try_exec(&db, &format!("SET ROLE \"{role}\"; {stmt}")).unwrap_err();
        assert!(
            e.contains("permission denied"),
            "{stmt} as the app role: {e}"
        );
        let e = try_exec(&db, stmt).unwrap_err();
        assert!(e.contains("append-only"), "{stmt} as a superuser: {e}");
    }
    let e = try_exec(&db, "TRUNCATE audit_log").unwrap_err();
    assert!(e.contains("append-only"), "{e}");

    let out = run(dir, &["audit", "verify"]);
    assert_exit(&out, 0);
    assert!(text(&out).contains("no anchor yet"), "{}", text(&out));
    let out = run(dir, &["audit", "anchor"]);
    assert_exit(&out, 0);
    let head = db.strings("SELECT max(id)::text FROM audit_log")[0].clone();
    assert!(
        stdout(&out).contains(&format!("anchored public.audit_log at row {head}")),
        "{}",
        text(&out)
    );
    let anchors = db.strings(
        "SELECT concat_ws(' ', kind, revision, checksum = substr(message, length(message) - 63)) \
         FROM strata_history WHERE message LIKE 'audit anchor: public.audit_log %'",
    );
    assert_eq!(anchors, ["stamp audit-anchor t"]);
    assert_eq!(db.heads().len(), 1, "an anchor does not move the heads");
    assert_exit(&run(dir, &["audit", "verify"]), 0);

    // A superuser deletes a row in the middle, triggers disabled: the next row is named.
    let ids = db.strings("SELECT id::text FROM audit_log ORDER BY audit_log.id");
    db.exec(&format!(
        "SET session_replication_role = replica; DELETE FROM audit_log WHERE id = {};",
        ids[1]
    ));
    let out = run(dir, &["audit", "verify"]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains(&format!(
            "public.audit_log: the chain breaks at row {}: its prev_hash is not the hash of the row before it",
            ids[2]
        )),
        "{}",
        text(&out)
    );

    // Deleting the last rows leaves an intact chain, but the anchored row is gone.
    db.exec(&format!(
        "SET session_replication_role = replica; DELETE FROM audit_log WHERE id >= {};",
        ids[1]
    ));
    let out = run(dir, &["audit", "verify"]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains(&format!("row {head}, anchored in the history, is gone")),
        "{}",
        text(&out)
    );
    assert!(!stdout(&out).contains("chain breaks"), "{}", text(&out));

    // An edited row is caught by its hash.
    db.exec(
        "SET session_replication_role = replica; UPDATE audit_log SET new_data = '{\"id\": 1, \"amount\": 99}' WHERE id = (SELECT min(id) FROM audit_log);",
    );
    let out = run(dir, &["audit", "verify"]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains(&format!(
            "the chain breaks at row {}: its content does not match its hash",
            ids[0]
        )),
        "{}",
        text(&out)
    );

    // A disabled trigger on the audited table is named.
    db.exec("ALTER TABLE orders DISABLE TRIGGER strata_audit_cdc;");
    let out = run(dir, &["audit", "verify"]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("public.orders: the trigger strata_audit_cdc is disabled"),
        "{}",
        text(&out)
    );

    // The down removes everything the up added.
    assert_exit(&run(dir, &["downgrade", "a1"]), 0);
    assert!(!db.table_exists("audit_log"));
    assert!(db
        .strings("SELECT tgname::text FROM pg_trigger WHERE tgname LIKE 'strata_audit%'")
        .is_empty());
    assert!(db
        .strings("SELECT proname::text FROM pg_proc WHERE proname LIKE 'audit_log_%'")
        .is_empty());
    let out = run(dir, &["audit", "verify"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("nothing to verify"), "{}", text(&out));
}

#[test]
fn cdc_second_table_joins_the_existing_log() {
    let db = Db::pg();
    let (project, _) = project_with(&db, "", &["orders", "--pattern", "cdc", "--tamper-evident"]);
    let dir = project.path();
    let heads = db.heads();
    project.migration(
        "b2",
        &[heads[0].as_str()],
        "CREATE TABLE refunds (id bigint PRIMARY KEY, order_id bigint NOT NULL);",
        "DROP TABLE refunds;",
    );
    assert_exit(&run(dir, &["upgrade"]), 0);
    let out = run(dir, &["audit", "add", "refunds", "--pattern", "cdc"]);
    assert_exit(&out, 0);
    assert!(
        text(&out).contains("the audit log public.audit_log exists"),
        "{}",
        text(&out)
    );
    let out = run(dir, &["lint"]);
    assert_exit(&out, 0);
    assert_exit(&run(dir, &["upgrade"]), 0);
    db.exec("INSERT INTO orders VALUES (1, 10); INSERT INTO refunds VALUES (5, 1);");
    assert_eq!(
        db.strings("SELECT table_name || ' ' || pk::text FROM audit_log ORDER BY audit_log.id"),
        ["public.orders {\"id\": 1}", "public.refunds {\"id\": 5}"]
    );
    let out = run(dir, &["audit", "verify"]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("2 audit trail(s) verified"),
        "{}",
        text(&out)
    );
    // Its down drops the trigger only; the log and its rows stay.
    assert_exit(&run(dir, &["downgrade", "b2"]), 0);
    assert_eq!(db.strings("SELECT count(*)::text FROM audit_log"), ["2"]);
    assert_exit(&run(dir, &["audit", "verify"]), 0);
}

#[test]
fn versioned_rows() {
    let db = Db::pg();
    let (project, _) = project_with(&db, "", &["orders", "--pattern", "versioned"]);
    db.exec(
        "INSERT INTO orders (id, amount) VALUES (1, 10), (2, 20);
         UPDATE orders SET amount = 11 WHERE id = 1;
         UPDATE orders SET amount = 12 WHERE id = 1;
         DELETE FROM orders WHERE id = 2;
         INSERT INTO orders (id, amount) VALUES (2, 21);",
    );
    let rows = db.strings(
        "SELECT concat_ws(' ', id, amount, version, is_current, valid_to IS NOT NULL) FROM orders ORDER BY id, version",
    );
    assert_eq!(
        rows,
        [
            "1 10 1 f t",
            "1 11 2 f t",
            "1 12 3 t f",
            "2 20 1 f t",
            "2 21 2 t f",
        ]
    );
    // History is left alone by updates and deletes; one current row per key.
    db.exec("UPDATE orders SET amount = 0 WHERE id = 1 AND NOT is_current; DELETE FROM orders WHERE id = 1 AND NOT is_current;");
    assert_eq!(
        db.strings("SELECT count(*)::text FROM orders WHERE id = 1"),
        ["3"]
    );
    assert!(try_exec(
        &db,
        "INSERT INTO orders (id, amount, version) VALUES (1, 5, 9) ON CONFLICT DO NOTHING; \
         UPDATE orders SET is_current = true WHERE id = 2 AND version = 1"
    )
    .is_ok());
    assert_eq!(
        db.strings("SELECT count(*)::text FROM orders WHERE is_current"),
        ["2"]
    );
    assert_exit(&run(project.path(), &["audit", "verify"]), 0);

    assert_exit(&run(project.path(), &["downgrade", "a1"]), 0);
    assert_eq!(
        db.strings("SELECT concat_ws(' ', id, amount) FROM orders ORDER BY id"),
        ["1 12", "2 21"]
    );
    assert!(db
        .strings("SELECT attname::text FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname IN ('version', 'is_current') AND NOT attisdropped")
        .is_empty());
    assert_eq!(
        db.strings("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'p'"),
        ["PRIMARY KEY (id)"]
    );
}

#[test]
fn temporal_history() {
    let db = Db::pg();
    let (project, _) = project_with(&db, "", &["orders", "--pattern", "temporal"]);
    db.exec("INSERT INTO orders (id, amount) VALUES (1, 10), (2, 20);");
    let t1 = db.strings("SELECT clock_timestamp()::text")[0].clone();
    db.exec("UPDATE orders SET amount = 11 WHERE id = 1;");
    db.exec("DELETE FROM orders WHERE id = 2;");
    let history = db.strings(
        "SELECT concat_ws(' ', id, amount, NOT upper_inf(valid_period)) FROM orders_history ORDER BY id, lower(valid_period)",
    );
    assert_eq!(history, ["1 10 t", "2 20 t"]);
    let as_of = |ts: &str| {
        db.strings(&format!(
            "SELECT concat_ws(' ', id, amount) FROM orders_as_of('{ts}') ORDER BY id"
        ))
    };
    assert_eq!(as_of(&t1), ["1 10", "2 20"]);
    let now = db.strings("SELECT clock_timestamp()::text")[0].clone();
    assert_eq!(as_of(&now), ["1 11"]);

    assert_exit(&run(project.path(), &["audit", "verify"]), 0);
    db.exec("DROP TRIGGER strata_audit_temporal_keep ON orders;");
    let out = run(project.path(), &["audit", "verify"]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("public.orders: the trigger strata_audit_temporal_keep is missing"),
        "{}",
        text(&out)
    );
    db.exec("CREATE TRIGGER strata_audit_temporal_keep AFTER UPDATE OR DELETE ON orders FOR EACH ROW EXECUTE FUNCTION orders_audit_temporal();");

    assert_exit(&run(project.path(), &["downgrade", "a1"]), 0);
    assert!(!db.table_exists("orders_history"));
    assert!(db
        .strings("SELECT proname::text FROM pg_proc WHERE proname LIKE 'orders_%'")
        .is_empty());
}

#[test]
fn bad_input_is_refused_before_anything_is_written() {
    let db = Db::pg();
    let project = Project::new();
    project.config(&format!(
        "migrations_dir = \"migrations\"\n\n[env.development]\nurl = \"{}\"\n",
        db.url()
    ));
    project.migration("a1", &[], BASE_UP, BASE_DOWN);
    let dir = project.path();
    assert_exit(&run(dir, &["upgrade"]), 0);
    let files = || std::fs::read_dir(dir.join("migrations")).unwrap().count();

    let out = run(dir, &["audit", "add", "nope", "--pattern", "cdc"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("no table `nope`"), "{}", text(&out));
    let out = run(
        dir,
        &[
            "audit",
            "add",
            "orders",
            "--pattern",
            "temporal",
            "--tamper-evident",
        ],
    );
    assert_exit(&out, 2);
    assert!(text(&out).contains("cdc pattern only"), "{}", text(&out));

    // A table others reference cannot take row versions in its key.
    db.exec("CREATE TABLE lines (order_id bigint REFERENCES orders);");
    let out = run(dir, &["audit", "add", "orders", "--pattern", "versioned"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("--pattern temporal"), "{}", text(&out));
    assert_eq!(files(), 1, "nothing written");

    let lite = Db::sqlite();
    let out = strata(
        dir,
        Some(lite.url()),
        &["audit", "add", "t", "--pattern", "cdc"],
    );
    assert_exit(&out, 2);
    assert!(text(&out).contains("PostgreSQL only"), "{}", text(&out));
}

#[test]
fn names_that_need_quoting() {
    let db = Db::pg();
    let project = Project::new();
    project.config(&format!(
        "migrations_dir = \"migrations\"\n\n[env.development]\nurl = \"{}\"\n",
        db.url()
    ));
    project.migration(
        "a1",
        &[],
        "CREATE SCHEMA \"My Schema\";\nCREATE TABLE \"My Schema\".\"Odd \"\"Name\" (\"Key'\" int PRIMARY KEY, v text);",
        "DROP TABLE \"My Schema\".\"Odd \"\"Name\";\nDROP SCHEMA \"My Schema\";",
    );
    let dir = project.path();
    assert_exit(&run(dir, &["upgrade"]), 0);
    for pattern in ["cdc", "temporal"] {
        let mut args = vec!["audit", "add", "My Schema.Odd \"Name", "--pattern", pattern];
        if pattern == "cdc" {
            args.push("--tamper-evident");
        }
        let out = run(dir, &args);
        assert_exit(&out, 0);
    }
    assert_exit(&run(dir, &["lint"]), 0);
    assert_exit(&run(dir, &["upgrade"]), 0);
    db.exec(
        "INSERT INTO \"My Schema\".\"Odd \"\"Name\" VALUES (1, 'a'); \
         UPDATE \"My Schema\".\"Odd \"\"Name\" SET v = 'b';",
    );
    assert_eq!(
        db.strings("SELECT operation || ' ' || pk::text FROM \"My Schema\".audit_log ORDER BY audit_log.id"),
        ["INSERT {\"Key'\": 1}", "UPDATE {\"Key'\": 1}"]
    );
    assert_eq!(
        db.strings("SELECT v FROM \"My Schema\".\"Odd \"\"Name_history\""),
        ["a"]
    );
    assert_exit(&run(dir, &["audit", "verify"]), 0);
    assert_exit(&run(dir, &["audit", "anchor"]), 0);
    assert_exit(&run(dir, &["audit", "verify"]), 0);
    assert_exit(&run(dir, &["downgrade", "a1"]), 0);
    assert!(db
        .strings("SELECT relname::text FROM pg_class WHERE relnamespace = '\"My Schema\"'::regnamespace AND relname <> 'Odd \"Name' AND relname NOT LIKE 'Odd \"Name_pkey'")
        .is_empty());
}

/// Concurrent writers take turns on a tamper-evident log: the chain stays intact and in id order.
#[test]
fn tamper_evident_chain_under_concurrent_writers() {
    let db = Db::pg();
    let (project, _) = project_with(&db, "", &["orders", "--pattern", "cdc", "--tamper-evident"]);
    let url = db.url().to_owned();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                for i in 0..50 {
                    let id = w * 1000 + i;
                    client
                        .batch_execute(&format!(
                            "BEGIN; INSERT INTO orders VALUES ({id}, 1); UPDATE orders SET amount = 2 WHERE id = {id}; COMMIT;"
                        ))
                        .unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(db.strings("SELECT count(*)::text FROM audit_log"), ["400"]);
    let out = run(project.path(), &["audit", "verify"]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("every chain intact"),
        "{}",
        text(&out)
    );
}
