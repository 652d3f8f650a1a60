//! The example program, run as a user runs it, against real SQLite and PostgreSQL databases.

use std::process::Command;
use strata_testkit::{TempPg, TempSqlite};

fn run(url: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_embedded-app"))
        .arg(url)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run the example");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn applies_its_embedded_migrations_once(url: &str) {
    let (code, text) = run(url);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("2 migration(s) applied; at 20261202090000"),
        "{text}"
    );
    let (code, text) = run(url);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("0 migration(s) applied; at 20261202090000"),
        "{text}"
    );
}

#[test]
fn on_sqlite() {
    let db = TempSqlite::new();
    applies_its_embedded_migrations_once(&db.url);
    let conn = rusqlite_check(&db.path);
    assert_eq!(conn, ["body", "created_at", "id"]);
}

#[test]
fn on_postgres() {
    let db = TempPg::new();
    applies_its_embedded_migrations_once(&db.url);
    let mut client = db.client();
    let columns: Vec<String> = client
        .query(
            "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'notes' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(columns, ["body", "created_at", "id"]);
    let ups: i64 = client
        .query_one("SELECT count(*) FROM strata_history WHERE kind = 'up'", &[])
        .unwrap()
        .get(0);
    assert_eq!(ups, 2, "each applied once");
}

#[test]
fn a_bad_url_is_refused_without_its_password() {
    let (code, text) = run("mysql://app:hunter2@localhost/db");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("unrecognised database URL"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

/// The columns of `notes` in the SQLite file, through strata's own engine.
fn rusqlite_check(path: &std::path::Path) -> Vec<String> {
    let url = format!("sqlite://{}", path.display());
    let mut db = strata::connect(&url).unwrap();
    let mut found = Vec::new();
    for column in ["body", "created_at", "id"] {
        if db.execute(&format!("SELECT {column} FROM notes;")).is_ok() {
            found.push(column.to_owned());
        }
    }
    found
}
