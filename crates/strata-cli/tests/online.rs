//! Online (expand/contract) migrations through the `strata` binary: `upgrade` stops at
//! an online migration after its expand phase, `complete` and `rollback`, `status`, refusal
//! while one is in progress, bad files before anything changes, and `kill -9` during the
//! backfill and during `complete`.

mod common;
use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ACCOUNTS: &str = "-- strata:up\nCREATE TABLE accounts (id bigint PRIMARY KEY, balance integer NOT NULL, name text NOT NULL);\nINSERT INTO accounts SELECT g, g, 'n' || g FROM generate_series(1, ROWS) g;\n-- strata:down\nDROP TABLE accounts;\n";

const ONLINE: &str = "message = \"bigint balance, name -> full_name\"\nrevises = \"a1\"\n\n[[operations]]\ntype = \"alter_column\"\ntable = \"accounts\"\ncolumn = \"balance\"\ndata_type = \"bigint\"\nup = \"balance::bigint\"\ndown = \"balance::integer\"\n\n[[operations]]\ntype = \"rename_column\"\ntable = \"accounts\"\nfrom = \"name\"\nto = \"full_name\"\n";

fn project(rows: usize) -> Project {
    let project = Project::new();
    project.write(
        "a1_accounts.sql",
        &ACCOUNTS.replace("ROWS", &rows.to_string()),
    );
    project.write("b2_online.toml", ONLINE);
    project.write(
        "c3_after.sql",
        "-- strata:revises b2\n-- strata:up\nCREATE TABLE later (id int PRIMARY KEY);\n-- strata:down\nDROP TABLE later;\n",
    );
    project
}

/// Names strata's helper objects and version schemas use; none may be left after complete or
/// rollback.
fn leftovers(db: &Db) -> Vec<String> {
    db.strings(
        "SELECT attname::text FROM pg_attribute WHERE attname LIKE '\\_strata%' AND NOT attisdropped \
         UNION ALL SELECT tgname::text FROM pg_trigger WHERE tgname LIKE '\\_strata%' \
         UNION ALL SELECT proname::text FROM pg_proc WHERE proname LIKE '\\_strata%' \
         UNION ALL SELECT conname::text FROM pg_constraint WHERE conname LIKE '\\_strata%' \
         UNION ALL SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'strata\\_v\\_%'",
    )
}

#[test]
fn upgrade_stops_at_an_online_migration_and_complete_records_it() {
    let project = project(2000);
    let db = Db::pg();
    let url = Some(db.url());
    let out = strata(project.path(), url, &["upgrade"]);
    assert_exit(&out, 0);
    assert!(
        text(&out).contains("started online migration b2"),
        "{}",
        text(&out)
    );
    assert_eq!(db.heads(), ["a1"]);
    let out = strata(project.path(), url, &["status", "--search-path"]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).trim(), "\"strata_v_b2\",\"public\"");
    // As printed, it works in SET and in PGOPTIONS.
    let psql = Command::new("psql")
        .args([
            "-X",
            "-At",
            "-d",
            db.url(),
            "-c",
            "SELECT current_schemas(false)::text",
        ])
        .env(
            "PGOPTIONS",
            format!("-c search_path={}", stdout(&out).trim()),
        )
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&psql.stdout).trim(),
        "{strata_v_b2,public}",
        "{}",
        String::from_utf8_lossy(&psql.stderr)
    );

    // Past an unfinished online migration: refused, nothing applied.
    let out = strata(project.path(), url, &["upgrade"]);
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("online migration b2 is in progress"),
        "{}",
        text(&out)
    );
    assert!(!db.table_exists("later"));

    // Old and new clients at the same time, each seeing the other's writes.
    db.exec("INSERT INTO accounts (id, balance, name) VALUES (100001, 7, 'old client')");
    db.exec("SET search_path = strata_v_b2, public; INSERT INTO accounts (id, balance, full_name) VALUES (100002, 8, 'new client')");
    assert_eq!(
        db.strings("SELECT name FROM public.accounts WHERE id = 100002"),
        ["new client"]
    );
    assert_eq!(
        db.strings(
            "SELECT full_name || ':' || balance::text FROM strata_v_b2.accounts WHERE id = 100001"
        ),
        ["old client:7"]
    );

    let out = strata(project.path(), url, &["status", "--json"]);
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["in_progress"], "b2");
    assert_eq!(json["migrations"][0]["phase"], "active");

    let out = strata(project.path(), url, &["complete"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), ["b2"]);
    assert!(
        db.events().contains(&"up b2".to_owned()),
        "{:?}",
        db.events()
    );
    assert_eq!(
        db.strings("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attname = 'balance'"),
        ["bigint"]
    );
    assert_eq!(
        db.strings("SELECT full_name FROM accounts WHERE id IN (1, 100001, 100002) ORDER BY id"),
        ["n1", "old client", "new client"]
    );
    assert!(leftovers(&db).is_empty(), "{:?}", leftovers(&db));
    assert_exit(&strata(project.path(), url, &["upgrade"]), 0);
    assert_eq!(db.heads(), ["c3"]);
    // Nothing to complete any more; downgrade past it is refused.
    assert_exit(&strata(project.path(), url, &["complete"]), 0);
    let out = strata(project.path(), url, &["downgrade", "a1"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("online migration"), "{}", text(&out));
}

#[test]
fn rollback_keeps_every_row_and_leaves_nothing() {
    let project = project(500);
    let db = Db::pg();
    let url = Some(db.url());
    assert_exit(&strata(project.path(), url, &["start"]), 0);
    db.exec("INSERT INTO accounts (id, balance, name) VALUES (9001, 1, 'old')");
    db.exec("SET search_path = strata_v_b2, public; INSERT INTO accounts (id, balance, full_name) VALUES (9002, 2, 'new')");
    let out = strata(project.path(), url, &["rollback"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), ["a1"]);
    assert_eq!(
        db.strings("SELECT name || ':' || balance::text FROM accounts WHERE id > 9000 ORDER BY id"),
        ["old:1", "new:2"]
    );
    assert_eq!(db.strings("SELECT count(*)::text FROM accounts"), ["502"]);
    assert!(leftovers(&db).is_empty(), "{:?}", leftovers(&db));
    let out = strata(project.path(), url, &["status"]);
    assert!(
        stdout(&out).contains("no online migration in progress"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_bad_online_migration_exits_2_at_its_line_before_anything_changes() {
    let project = project(10);
    project.write(
        "b2_online.toml",
        "message = \"x\"\nrevises = \"a1\"\n\n[[operations]]\ntype = \"rename_colum\"\ntable = \"accounts\"\n",
    );
    let db = Db::pg();
    let url = Some(db.url());
    let out = strata(project.path(), url, &["upgrade"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("b2_online.toml:5"), "{}", text(&out));
    assert!(
        text(&out).contains("rename_column"),
        "did you mean: {}",
        text(&out)
    );
    assert!(!db.table_exists("accounts"), "a1 must not run either");

    // A missing column, once the table exists: reported at the field's line, nothing created.
    assert_exit(&strata(project.path(), url, &["upgrade", "a1"]), 0);
    project.write(
        "b2_online.toml",
        "message = \"x\"\nrevises = \"a1\"\n\n[[operations]]\ntype = \"rename_column\"\ntable = \"accounts\"\nfrom = \"nosuch\"\nto = \"other\"\n",
    );
    let out = strata(project.path(), url, &["start"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("b2_online.toml:7"), "{}", text(&out));
    assert!(!db.table_exists("strata_online_state"));
    assert!(leftovers(&db).is_empty());

    // An unknown field.
    project.write(
        "b2_online.toml",
        "message = \"x\"\nrevises = \"a1\"\n\n[[operations]]\ntype = \"rename_column\"\ntable = \"accounts\"\nfrom = \"name\"\nto = \"other\"\nsize = 3\n",
    );
    let out = strata(project.path(), url, &["start"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("b2_online.toml:9"), "{}", text(&out));
}

fn spawn(project: &Project, url: &str, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(project.path())
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .arg("--url")
        .arg(url)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn kill_9_during_the_backfill_then_start_again_finishes_with_the_data_intact() {
    let project = project(20_000);
    let db = Db::pg();
    let url = db.url().to_owned();
    assert_exit(&strata(project.path(), Some(&url), &["upgrade", "a1"]), 0);
    let mut child = spawn(
        &project,
        &url,
        &["start", "--batch-size", "200", "--pause", "20ms"],
    );
    // Some batches are committed, not all.
    wait_for("the backfill to be under way", || {
        let has = !db
            .strings("SELECT attname::text FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attname = '_strata_new_balance'")
            .is_empty();
        has && db.strings("SELECT count(_strata_new_balance)::text FROM accounts")[0] != "0"
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let filled: i64 = db.strings("SELECT count(_strata_new_balance)::text FROM accounts")[0]
        .parse()
        .unwrap();
    assert!(
        filled > 0 && filled < 20_000,
        "killed mid-backfill: {filled}"
    );
    assert_eq!(
        db.strings("SELECT phase FROM strata_online_state WHERE migration = 'b2'"),
        ["expanding"]
    );

    let out = strata(project.path(), Some(&url), &["start"]);
    assert_exit(&out, 0);
    assert_exit(&strata(project.path(), Some(&url), &["complete"]), 0);
    assert_eq!(
        db.strings(
            "SELECT count(*)::text FROM accounts WHERE balance = id AND full_name = 'n' || id"
        ),
        ["20000"]
    );
    assert!(leftovers(&db).is_empty(), "{:?}", leftovers(&db));
    assert_eq!(db.heads(), ["b2"]);
}

#[test]
fn kill_9_during_complete_then_complete_again_finishes() {
    let project = project(2000);
    let db = Db::pg();
    let url = db.url().to_owned();
    assert_exit(&strata(project.path(), Some(&url), &["upgrade"]), 0);
    // A reader holds a lock on the table, so complete's swap waits for it (with lock_timeout
    // and retries) — and is killed while it waits.
    let Db::Pg(pg) = &db else { unreachable!() };
    let mut blocker = pg.client();
    blocker
        .batch_execute("BEGIN; LOCK TABLE accounts IN ACCESS SHARE MODE")
        .unwrap();
    let mut child = spawn(&project, &url, &["complete"]);
    wait_for("complete to wait on the lock", || {
        !db.strings("SELECT pid::text FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = 'strata'")
            .is_empty()
    });
    child.kill().unwrap();
    child.wait().unwrap();
    blocker.batch_execute("ROLLBACK").unwrap();
    assert_eq!(
        db.heads(),
        ["a1"],
        "not recorded before the contract phase ends"
    );
    assert_eq!(
        db.strings("SELECT phase FROM strata_online_state WHERE migration = 'b2'"),
        ["contracting"],
        "killed during complete"
    );

    let out = strata(project.path(), Some(&url), &["complete"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), ["b2"]);
    assert_eq!(
        db.strings(
            "SELECT count(*)::text FROM accounts WHERE balance = id AND full_name = 'n' || id"
        ),
        ["2000"]
    );
    assert!(leftovers(&db).is_empty(), "{:?}", leftovers(&db));
}

#[test]
fn revision_online_writes_a_toml_template_in_the_graph() {
    let project = project(1);
    let out = strata(
        project.path(),
        None,
        &[
            "revision",
            "--online",
            "-m",
            "rename owner",
            "--rev-id",
            "d4",
        ],
    );
    assert_exit(&out, 0);
    let path = stdout(&out).trim().to_owned();
    assert!(path.ends_with("d4_rename_owner.toml"), "{path}");
    let text = std::fs::read_to_string(project.path().join(&path)).unwrap();
    assert!(text.contains("revises = \"c3\""), "{text}");
    let out = strata(project.path(), None, &["heads"]);
    assert!(stdout(&out).contains("d4"), "{}", text);
}

#[test]
fn plain_backfill_in_batches_resumes_and_needs_a_condition() {
    let project = Project::new();
    let db = Db::pg();
    let url = Some(db.url());
    db.exec("CREATE TABLE t (id int PRIMARY KEY, x int); INSERT INTO t SELECT g, NULL FROM generate_series(1, 1000) g; UPDATE t SET x = 0 WHERE id <= 10");
    let out = strata(
        project.path(),
        url,
        &[
            "backfill",
            "--table",
            "t",
            "--set",
            "x = id * 2",
            "--where",
            "x IS NULL",
            "--batch-size",
            "99",
        ],
    );
    assert_exit(&out, 0);
    assert!(
        text(&out).contains("backfilled 990 rows of"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("in 10 batches"), "{}", text(&out));
    assert_eq!(
        db.strings("SELECT count(*)::text FROM t WHERE x = id * 2"),
        ["990"]
    );
    // Again: nothing left to do.
    let out = strata(
        project.path(),
        url,
        &[
            "backfill",
            "--table",
            "t",
            "--set",
            "x = id * 2",
            "--where",
            "x IS NULL",
        ],
    );
    assert_exit(&out, 0);
    assert!(text(&out).contains("backfilled 0 rows"), "{}", text(&out));
    let out = strata(
        project.path(),
        url,
        &["backfill", "--table", "t", "--set", "x = 1"],
    );
    assert_exit(&out, 2);
    assert!(text(&out).contains("--where"), "{}", text(&out));
}

/// While strata's DDL waits for a lock, every new query on the table queues behind it; the lock
/// watcher cancels strata's statement once it has kept others waiting for --max-blocking, and
/// the step is retried later.
#[test]
fn the_lock_watcher_cancels_a_waiting_statement_that_blocks_others() {
    let project = project(1000);
    project.config("migrations_dir = \"migrations\"\n[env.development]\nlock_timeout = \"30s\"\n");
    let db = Db::pg();
    let url = db.url().to_owned();
    assert_exit(&strata(project.path(), Some(&url), &["upgrade", "a1"]), 0);
    let Db::Pg(pg) = &db else { unreachable!() };
    let mut blocker = pg.client();
    blocker
        .batch_execute("BEGIN; SELECT count(*) FROM accounts")
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(project.path())
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .args(["--url", &url, "start", "--max-blocking", "200ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("strata's ALTER to wait on the lock", || {
        !db.strings("SELECT pid::text FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = 'strata'")
            .is_empty()
    });
    // The application's query queues behind strata's lock request — until the watcher steps in.
    let started = Instant::now();
    assert_eq!(db.strings("SELECT count(*)::text FROM accounts"), ["1000"]);
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(5),
        "the application waited {waited:?} (lock_timeout is 30 s)"
    );
    blocker.batch_execute("COMMIT").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 0);
    assert!(
        text(&out).contains("lock watcher cancelled"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("started online migration b2"),
        "{}",
        text(&out)
    );
}

#[test]
fn dropping_a_table_others_depend_on_is_refused_before_anything_changes() {
    let project = Project::new();
    project.write(
        "a1_orgs.sql",
        "-- strata:up\nCREATE TABLE orgs (id int PRIMARY KEY);\nCREATE TABLE users (id int PRIMARY KEY, org int REFERENCES orgs);\nCREATE VIEW org_ids AS SELECT id FROM orgs;\n-- strata:down\nDROP VIEW org_ids; DROP TABLE users; DROP TABLE orgs;\n",
    );
    project.write(
        "b2_drop.toml",
        "message = \"drop orgs\"\nrevises = \"a1\"\n\n[[operations]]\ntype = \"drop_table\"\ntable = \"orgs\"\n",
    );
    let db = Db::pg();
    let url = Some(db.url());
    assert_exit(&strata(project.path(), url, &["upgrade", "a1"]), 0);
    let out = strata(project.path(), url, &["start"]);
    assert_exit(&out, 2);
    let all = text(&out);
    assert!(all.contains("b2_drop.toml:6"), "{all}");
    assert!(all.contains("users_org_fkey"), "{all}");
    assert!(
        all.contains("view public.org_ids") || all.contains("org_ids"),
        "{all}"
    );
    assert!(!db.table_exists("strata_online_state"));
}
