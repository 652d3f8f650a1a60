//! Where online migrations fall in an upgrade — refuse while one is in progress, apply the plain
//! migrations before the first one and stop after its expand phase, resume an interrupted expand
//! phase — over real SQLite files, with a small online runner of its own behind the engine's
//! `OnlineMigrations` trait (PostgreSQL's, in strata-online, is tested through the CLI).
//!
//! The test runner keeps its state in a real table, `fake_online`, and its "expand phase" runs
//! the SQL of the `# step: …` lines of the `.toml` file, one step at a time, recording how far it
//! got, so an interruption (an injected failure) resumes where it stopped.

use std::path::PathBuf;
use std::time::Duration;
use strata_engine::migrator::{EngineError, Reporter, Silent};
use strata_engine::state::StateTables;
use strata_engine::{
    Database, DbError, Expanded, InProgress, Migrator, NoOnlineMigrations, OnlineAction,
    OnlineMigrations, OnlineProgress, OnlineRunError, OnlineState, Settings,
};
use strata_files::{MigrationFile, Migrations};
use strata_sqlite::Sqlite;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct RunnerError(String);

fn db_error(e: DbError) -> RunnerError {
    RunnerError(e.to_string())
}

/// An online runner over a real SQLite database.
#[derive(Default)]
struct TestRunner {
    /// Fail (once) just before this step (0-based), as an interrupted expand phase would.
    fail_before: Option<usize>,
    /// `read <id>`, `expand <id> resume=<bool>`, in order.
    calls: Vec<String>,
}

fn steps_of(file: &MigrationFile) -> Vec<String> {
    file.online_source
        .as_deref()
        .unwrap_or("")
        .lines()
        .filter_map(|l| l.strip_prefix("# step: "))
        .map(str::to_owned)
        .collect()
}

fn one_value(db: &Sqlite, sql: &str) -> Option<String> {
    db.connection()
        .query_row(sql, [], |r| r.get::<_, String>(0))
        .ok()
}

impl OnlineMigrations<Sqlite> for TestRunner {
    type Error = RunnerError;

    fn in_progress(&mut self, db: &mut Sqlite) -> Result<Option<InProgress>, RunnerError> {
        let Some(row) = one_value(
            db,
            "SELECT revision || ' ' || state FROM fake_online WHERE state NOT IN ('completed', 'rolled_back')",
        ) else {
            return Ok(None);
        };
        let (revision, state) = row.split_once(' ').unwrap();
        let state = match state {
            "expanding" => OnlineState::Expanding,
            "active" => OnlineState::Active,
            "contracting" => OnlineState::Contracting,
            "aborting" => OnlineState::Aborting,
            other => return Err(RunnerError(format!("unknown state {other}"))),
        };
        Ok(Some(InProgress {
            revision: revision.to_owned(),
            state,
            version_schema: format!("v_{revision}"),
            search_path: format!("\"v_{revision}\",\"main\""),
        }))
    }

    fn read(&mut self, file: &MigrationFile) -> Result<(), RunnerError> {
        self.calls.push(format!("read {}", file.id));
        if steps_of(file).is_empty() {
            return Err(RunnerError(format!("{}: no steps", file.path)));
        }
        Ok(())
    }

    fn expand(
        &mut self,
        db: &mut Sqlite,
        file: &MigrationFile,
        resume: bool,
        reporter: &mut dyn Reporter,
    ) -> Result<Expanded, RunnerError> {
        self.calls
            .push(format!("expand {} resume={resume}", file.id));
        let id = &file.id;
        let steps = steps_of(file);
        if !resume {
            db.execute(&format!(
                "CREATE TABLE IF NOT EXISTS fake_online (revision text PRIMARY KEY, state text NOT NULL, next integer NOT NULL);\n\
                 INSERT INTO fake_online VALUES ('{id}', 'expanding', 0);"
            ))
            .map_err(db_error)?;
        }
        let next: usize = one_value(
            db,
            &format!("SELECT CAST(next AS text) FROM fake_online WHERE revision = '{id}'"),
        )
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
        let mut ran = 0;
        for (i, sql) in steps.iter().enumerate().skip(next) {
            if self.fail_before == Some(i) {
                self.fail_before = None;
                return Err(RunnerError(format!("expand step {} failed", i + 1)));
            }
            reporter.online_progress(&OnlineProgress::Step {
                phase: "expand",
                number: i + 1,
                total: steps.len(),
                description: sql,
            });
            db.execute(&format!(
                "BEGIN;\n{sql};\nUPDATE fake_online SET next = {} WHERE revision = '{id}';\nCOMMIT;",
                i + 1
            ))
            .map_err(db_error)?;
            ran += 1;
        }
        db.execute(&format!(
            "UPDATE fake_online SET state = 'active' WHERE revision = '{id}';"
        ))
        .map_err(db_error)?;
        Ok(Expanded {
            state: OnlineState::Active,
            version_schema: format!("v_{id}"),
            search_path: format!("\"v_{id}\",\"main\""),
            rows: ran,
        })
    }
}

/// What the engine told the user.
#[derive(Default)]
struct Heard(Vec<String>);

impl Reporter for Heard {
    fn notice(&mut self, text: &str) {
        self.0.push(format!("notice: {text}"));
    }
    fn online_progress(&mut self, progress: &OnlineProgress<'_>) {
        if let OnlineProgress::Step {
            phase,
            number,
            total,
            ..
        } = progress
        {
            self.0.push(format!("{phase} step {number}/{total}"));
        }
    }
}

/// A project folder with a migrations directory and a SQLite database file.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("migrations")).unwrap();
        Fixture { dir }
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.migrations_dir().join(name), text).unwrap();
    }

    fn migrations_dir(&self) -> PathBuf {
        self.dir.path().join("migrations")
    }

    fn load(&self) -> Migrations {
        strata_files::load(&self.migrations_dir(), self.dir.path()).unwrap()
    }

    fn db(&self) -> Sqlite {
        let url = format!("sqlite://{}", self.dir.path().join("db.sqlite").display());
        Sqlite::open(&url, Duration::from_secs(5)).unwrap()
    }

    fn table_exists(&self, table: &str) -> bool {
        self.db()
            .execute(&format!("SELECT 1 FROM {table};"))
            .is_ok()
    }

    fn heads(&self) -> Vec<String> {
        self.db().read_heads(&StateTables::default()).unwrap()
    }

    fn events(&self) -> Vec<String> {
        self.db()
            .read_history(&StateTables::default())
            .unwrap()
            .into_iter()
            .map(|r| format!("{} {}", r.kind, r.revision))
            .collect()
    }

    fn online_state(&self) -> Option<String> {
        one_value(
            &self.db(),
            "SELECT state || ' ' || CAST(next AS text) FROM fake_online",
        )
    }
}

/// a1 (plain) → b2 (online, two steps, the second logging to `log`) → c3 (plain).
fn project() -> Fixture {
    let f = Fixture::new();
    f.write(
        "a1_accounts.sql",
        "-- strata:up\nCREATE TABLE accounts (id int);\nCREATE TABLE log (what text);\n-- strata:down\nDROP TABLE log;\nDROP TABLE accounts;\n",
    );
    f.write(
        "b2_expand.toml",
        "message = \"expand accounts\"\nrevises = \"a1\"\n# step: CREATE TABLE accounts_new (id int); INSERT INTO log VALUES ('step 1')\n# step: CREATE TABLE accounts_view (id int); INSERT INTO log VALUES ('step 2')\n",
    );
    f.write(
        "c3_later.sql",
        "-- strata:revises b2\n-- strata:up\nCREATE TABLE later (id int);\n-- strata:down\nDROP TABLE later;\n",
    );
    f
}

fn refusal<E: std::fmt::Display>(
    result: Result<impl std::fmt::Debug, OnlineRunError<E>>,
) -> String {
    match result {
        Err(OnlineRunError::Engine(e @ EngineError::Invalid { .. })) => {
            assert_eq!(e.exit_code(), 2);
            match &e {
                EngineError::Invalid { message, hint } => {
                    format!("{message} | {}", hint.as_deref().unwrap_or(""))
                }
                _ => unreachable!(),
            }
        }
        Err(other) => panic!("expected a refusal, got {other}"),
        Ok(value) => panic!("expected a refusal, got {value:?}"),
    }
}

#[test]
fn upgrade_applies_the_plain_migrations_then_expands_and_stops() {
    let f = project();
    let m = f.load();
    let mut db = f.db();
    let mut runner = TestRunner::default();
    let mut heard = Heard::default();
    let upgraded = Migrator::new(&mut db, &m, Settings::default())
        .upgrade_online("head", &mut runner, &mut heard)
        .unwrap();
    let applied: Vec<&str> = upgraded
        .applied
        .iter()
        .map(|a| a.revision.as_str())
        .collect();
    assert_eq!(applied, ["a1"]);
    let stop = upgraded.stopped_at.expect("stopped at b2");
    assert_eq!(stop.revision, "b2");
    assert_eq!(stop.action, OnlineAction::Started);
    assert_eq!(stop.state, OnlineState::Active);
    assert_eq!(stop.search_path, "\"v_b2\",\"main\"");
    assert_eq!(stop.rows, 2, "both steps ran");
    assert_eq!(runner.calls, ["read b2", "expand b2 resume=false"]);
    assert_eq!(heard.0, ["expand step 1/2", "expand step 2/2"]);
    // a1 applied and recorded, b2 expanded but not recorded, c3 not run.
    assert!(f.table_exists("accounts_new") && f.table_exists("accounts_view"));
    assert!(!f.table_exists("later"));
    assert_eq!(f.heads(), ["a1"]);
    assert_eq!(f.events(), ["up a1"]);
    assert_eq!(f.online_state().as_deref(), Some("active 2"));

    // Past the expanded migration: refused, nothing applied.
    let mut runner = TestRunner::default();
    let text = refusal(
        Migrator::new(&mut db, &m, Settings::default()).upgrade_online(
            "head",
            &mut runner,
            &mut Silent,
        ),
    );
    assert!(
        text.starts_with("online migration b2 is in progress (active)"),
        "{text}"
    );
    assert!(text.contains("`strata complete`"), "{text}");
    assert!(runner.calls.is_empty(), "{:?}", runner.calls);
    assert!(!f.table_exists("later"));

    // Up to it: already expanded, nothing to do.
    let upgraded = Migrator::new(&mut db, &m, Settings::default())
        .upgrade_online("b2", &mut runner, &mut Silent)
        .unwrap();
    assert!(upgraded.applied.is_empty());
    let stop = upgraded.stopped_at.unwrap();
    assert_eq!(
        (stop.revision.as_str(), stop.action),
        ("b2", OnlineAction::AlreadyExpanded)
    );
    // `start` reaches it too, with c3 after it, and does nothing either.
    let started = Migrator::new(&mut db, &m, Settings::default())
        .start_online(&mut runner, &mut Silent)
        .unwrap();
    assert_eq!(
        started.stopped_at.map(|s| s.action),
        Some(OnlineAction::AlreadyExpanded)
    );
    assert!(runner.calls.is_empty(), "{:?}", runner.calls);
    assert_eq!(
        f.db()
            .connection()
            .query_row("SELECT count(*) FROM log", [], |r| r.get::<_, i64>(0))
            .unwrap(),
        2,
        "each step ran once"
    );
    assert_eq!(f.events(), ["up a1"]);
}

#[test]
fn an_online_migration_in_progress_refuses_every_other_run() {
    let f = project();
    let m = f.load();
    let mut db = f.db();
    Migrator::new(&mut db, &m, Settings::default())
        .upgrade("a1", &mut Silent)
        .unwrap();
    // Another online migration is being completed.
    db.execute(
        "CREATE TABLE fake_online (revision text PRIMARY KEY, state text NOT NULL, next integer NOT NULL);\n\
         INSERT INTO fake_online VALUES ('z9', 'contracting', 1);",
    )
    .unwrap();
    let mut runner = TestRunner::default();
    for target in ["head", "b2", "a1"] {
        let text = refusal(
            Migrator::new(&mut db, &m, Settings::default()).upgrade_online(
                target,
                &mut runner,
                &mut Silent,
            ),
        );
        assert!(
            text.starts_with("online migration z9 is in progress (contracting)"),
            "{target}: {text}"
        );
        assert!(
            text.contains("run `strata complete` again to finish it"),
            "{text}"
        );
    }
    let text = refusal(
        Migrator::new(&mut db, &m, Settings::default()).downgrade_online(
            "base",
            &mut runner,
            &mut Silent,
        ),
    );
    assert!(text.contains("z9 is in progress"), "{text}");
    assert!(runner.calls.is_empty(), "{:?}", runner.calls);
    assert!(f.table_exists("accounts"), "the downgrade did not run");
    assert!(!f.table_exists("accounts_new") && !f.table_exists("later"));
    assert_eq!(f.events(), ["up a1"]);

    // b2 itself, being rolled back: refused too (only an interrupted expand phase resumes).
    db.execute("UPDATE fake_online SET revision = 'b2', state = 'aborting';")
        .unwrap();
    let text = refusal(
        Migrator::new(&mut db, &m, Settings::default()).upgrade_online(
            "b2",
            &mut runner,
            &mut Silent,
        ),
    );
    assert!(text.contains("b2 is in progress (aborting)"), "{text}");
    assert!(text.contains("`strata rollback` again"), "{text}");
    assert!(runner.calls.is_empty(), "{:?}", runner.calls);
}

#[test]
fn an_interrupted_expand_phase_is_resumed_where_it_stopped() {
    let f = project();
    let m = f.load();
    let mut db = f.db();
    let mut runner = TestRunner {
        fail_before: Some(1),
        ..TestRunner::default()
    };
    let mut heard = Heard::default();
    let err = Migrator::new(&mut db, &m, Settings::default())
        .upgrade_online("head", &mut runner, &mut heard)
        .unwrap_err();
    assert!(
        matches!(&err, OnlineRunError::Online(e) if e.0 == "expand step 2 failed"),
        "{err}"
    );
    assert_eq!(
        heard.0,
        [
            "expand step 1/2",
            "notice: the 1 migration(s) before b2 were applied; b2 was not started"
        ]
    );
    assert_eq!(f.heads(), ["a1"], "a1 stays applied");
    assert_eq!(f.online_state().as_deref(), Some("expanding 1"));
    assert!(f.table_exists("accounts_new") && !f.table_exists("accounts_view"));

    // Run again: the expand phase resumes at its second step; nothing else runs.
    let mut heard = Heard::default();
    let upgraded = Migrator::new(&mut db, &m, Settings::default())
        .upgrade_online("head", &mut runner, &mut heard)
        .unwrap();
    assert!(upgraded.applied.is_empty());
    let stop = upgraded.stopped_at.unwrap();
    assert_eq!(stop.action, OnlineAction::Resumed);
    assert_eq!(stop.state, OnlineState::Active);
    assert_eq!(stop.rows, 1, "only the step left");
    assert_eq!(
        runner.calls,
        [
            "read b2",
            "expand b2 resume=false",
            "read b2",
            "expand b2 resume=true"
        ]
    );
    assert_eq!(
        heard.0,
        ["notice: resuming the expand phase of b2", "expand step 2/2"]
    );
    assert!(f.table_exists("accounts_view"));
    assert_eq!(
        f.db()
            .connection()
            .query_row("SELECT group_concat(what, ',') FROM log", [], |r| r
                .get::<_, String>(0))
            .unwrap(),
        "step 1,step 2"
    );
    assert!(!f.table_exists("later"));
    assert_eq!(f.events(), ["up a1"]);
}

#[test]
fn an_unreadable_online_migration_stops_the_run_before_anything_runs() {
    let f = project();
    f.write(
        "b2_expand.toml",
        "message = \"no steps\"\nrevises = \"a1\"\n",
    );
    let m = f.load();
    let mut db = f.db();
    let mut runner = TestRunner::default();
    let err = Migrator::new(&mut db, &m, Settings::default())
        .upgrade_online("head", &mut runner, &mut Silent)
        .unwrap_err();
    assert!(err.to_string().contains("no steps"), "{err}");
    assert_eq!(runner.calls, ["read b2"]);
    assert!(!f.table_exists("accounts"), "a1 did not run");
    assert!(!f.table_exists("strata_version"), "nothing was created");
}

#[test]
fn start_without_a_pending_online_migration_changes_nothing() {
    let f = Fixture::new();
    f.write(
        "a1_accounts.sql",
        "-- strata:up\nCREATE TABLE accounts (id int);\n-- strata:down\nDROP TABLE accounts;\n",
    );
    let m = f.load();
    let mut db = f.db();
    let mut runner = TestRunner::default();
    let started = Migrator::new(&mut db, &m, Settings::default())
        .start_online(&mut runner, &mut Silent)
        .unwrap();
    assert!(started.applied.is_empty() && started.stopped_at.is_none());
    assert!(!f.table_exists("accounts"));
    // An upgrade without online migrations is a plain upgrade.
    let upgraded = Migrator::new(&mut db, &m, Settings::default())
        .upgrade_online("head", &mut runner, &mut Silent)
        .unwrap();
    assert_eq!(upgraded.applied.len(), 1);
    assert!(upgraded.stopped_at.is_none());
    assert!(runner.calls.is_empty());
    assert_eq!(f.heads(), ["a1"]);
}

#[test]
fn without_online_migrations_a_plan_reaching_one_is_refused_before_anything_runs() {
    let f = project();
    let m = f.load();
    let mut db = f.db();
    let err = Migrator::new(&mut db, &m, Settings::default())
        .upgrade_online("head", &mut NoOnlineMigrations, &mut Silent)
        .unwrap_err();
    let OnlineRunError::Online(e) = err else {
        panic!("expected the refusal of NoOnlineMigrations, got {err}");
    };
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string()
            .contains("b2 (migrations/b2_expand.toml) is an online migration: online (expand/contract) migrations need PostgreSQL"),
        "{e}"
    );
    assert!(!f.table_exists("accounts") && !f.table_exists("strata_version"));
    // Up to the plain migration before it: applied as usual.
    let upgraded = Migrator::new(&mut db, &m, Settings::default())
        .upgrade_online("a1", &mut NoOnlineMigrations, &mut Silent)
        .unwrap();
    assert_eq!(upgraded.applied.len(), 1);
    assert_eq!(f.heads(), ["a1"]);
}
