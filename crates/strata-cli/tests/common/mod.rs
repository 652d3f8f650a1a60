//! Shared helpers for the CLI's integration tests: a project folder, the `strata` binary, a
//! database of either engine.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use strata_testkit::{TempPg, TempSqlite};

pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("migrations")).unwrap();
        std::fs::write(
            dir.path().join("strata.toml"),
            "migrations_dir = \"migrations\"\n",
        )
        .unwrap();
        Project { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join("migrations").join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn config(&self, text: &str) {
        std::fs::write(self.path().join("strata.toml"), text).unwrap();
    }

    /// Writes a migration with the given id, parents and SQL.
    pub fn migration(&self, id: &str, revises: &[&str], up: &str, down: &str) -> PathBuf {
        let mut text = format!("-- strata:message {id}\n");
        if !revises.is_empty() {
            text.push_str(&format!("-- strata:revises {}\n", revises.join(" ")));
        }
        text.push_str(&format!("\n-- strata:up\n{up}\n\n-- strata:down\n{down}\n"));
        self.write(&format!("{id}_m.sql"), &text)
    }
}

/// Runs `strata` in `dir` with `--url url` (when given) and no DATABASE_URL from the environment.
pub fn strata(dir: &Path, url: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strata"));
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("STRATA_ENV")
        .env("NO_COLOR", "1");
    if let Some(url) = url {
        cmd.arg("--url").arg(url);
    }
    cmd.args(args).output().expect("run strata")
}

pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[track_caller]
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "expected exit {code}, got {:?}\n{}",
        output.status.code(),
        text(output)
    );
}

/// A database of either engine, with the queries the tests need.
pub enum Db {
    Pg(TempPg),
    Sqlite(TempSqlite),
}

impl Db {
    pub fn pg() -> Db {
        Db::Pg(TempPg::new())
    }

    pub fn sqlite() -> Db {
        Db::Sqlite(TempSqlite::new())
    }

    pub fn url(&self) -> &str {
        match self {
            Db::Pg(db) => &db.url,
            Db::Sqlite(db) => &db.url,
        }
    }

    /// Rows of one text column.
    pub fn strings(&self, sql: &str) -> Vec<String> {
        match self {
            Db::Pg(db) => {
                let mut client = db.client();
                client
                    .query(sql, &[])
                    .unwrap()
                    .iter()
                    .map(|r| r.get::<_, String>(0))
                    .collect()
            }
            Db::Sqlite(db) => {
                let conn = rusqlite::Connection::open(&db.path).unwrap();
                let mut stmt = conn.prepare(sql).unwrap();
                let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
                rows.map(|r| r.unwrap()).collect()
            }
        }
    }

    /// Runs SQL (several statements allowed) outside strata.
    pub fn exec(&self, sql: &str) {
        match self {
            Db::Pg(db) => db.client().batch_execute(sql).unwrap(),
            Db::Sqlite(db) => rusqlite::Connection::open(&db.path)
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
        }
    }

    pub fn heads(&self) -> Vec<String> {
        self.strings("SELECT revision FROM strata_version ORDER BY revision")
    }

    /// `kind revision` for every history row, in order.
    pub fn events(&self) -> Vec<String> {
        self.strings("SELECT kind || ' ' || revision FROM strata_history ORDER BY id")
    }

    pub fn table_exists(&self, name: &str) -> bool {
        let sql = match self {
            Db::Pg(_) => format!(
                "SELECT relname::text FROM pg_class WHERE relname = '{name}' AND relkind = 'r'"
            ),
            Db::Sqlite(_) => {
                format!("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = '{name}'")
            }
        };
        !self.strings(&sql).is_empty()
    }
}
