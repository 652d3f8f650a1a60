//! The policy of a run, written once for every database: take the runner lock, re-read the state,
//! plan, check the plan, then apply each migration in its own transaction together with its history
//! and version rows, so nothing is applied twice and nothing is recorded that did not happen.
//!
//! The SQL of a run is built as a list of [`Op`]s. A live run executes them; `--sql` prints the same
//! list, so the offline output is exactly what a run sends (less the re-reads of the state).

use crate::database::{Database, DbError};
use crate::online::OnlineProgress;
use crate::state::{self, EventKind, NewEvent, StateTables};
use std::time::{Duration, Instant};
use strata_core::sql::{created_index, CreatedIndex, Statement};
use strata_core::Dialect;
use strata_files::{MigrationFile, Migrations};
use strata_graph::{Direction, Step};

mod nested;

/// How a run behaves; from `strata.toml`'s environment and the command line.
#[derive(Clone, Debug)]
pub struct Settings {
    pub tables: StateTables,
    pub lock_timeout: Option<Duration>,
    pub statement_timeout: Option<Duration>,
    /// How many times a migration that hit `lock_timeout` (SQLSTATE 55P03) is retried.
    pub lock_retries: u32,
    /// Wrap the whole run in one transaction.
    pub single_transaction: bool,
    /// `user@host` of the client, recorded in `applied_by`.
    pub client: String,
    /// The online migration whose contract phase has just completed (`strata complete`): the
    /// run may record it as applied (it has no SQL of its own). Any other online migration in a
    /// plan is refused.
    pub record_online: Option<String>,
    /// How long to wait for the runner lock (`None`: as long as it takes).
    pub lock_wait: Option<Duration>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            tables: StateTables::default(),
            lock_timeout: None,
            statement_timeout: None,
            lock_retries: 0,
            single_transaction: false,
            client: client_identity(),
            record_online: None,
            lock_wait: None,
        }
    }
}

/// `user@host` of the process running strata.
pub fn client_identity() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(user_from_passwd)
        .unwrap_or_else(|| "unknown".to_owned());
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    format!("{user}@{host}")
}

/// The login name of this process's uid, for environments without `$USER` (cron, CI, containers).
#[cfg(unix)]
fn user_from_passwd() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid).then(|| name.to_owned())
    })
}

#[cfg(not(unix))]
fn user_from_passwd() -> Option<String> {
    None
}

/// What the engine tells the user while it works. The CLI renders it; the engine never prints.
pub trait Reporter {
    /// Another runner holds the lock; `holder` describes it.
    fn lock_wait(&mut self, _holder: &str) {}
    /// Something worth saying that is not an error (a migration runs outside a transaction, ...).
    fn notice(&mut self, _text: &str) {}
    fn step_started(&mut self, _step: &Step, _file: &MigrationFile) {}
    fn statement_started(&mut self, _statement: &Statement) {}
    fn step_finished(&mut self, _step: &Step, _file: &MigrationFile, _elapsed: Duration) {}
    /// A lock timeout; the migration will be retried after `wait`.
    fn retrying(&mut self, _step: &Step, _attempt: u32, _wait: Duration, _error: &DbError) {}
    /// Progress of an online migration's phase (its steps, backfill batches, retries).
    fn online_progress(&mut self, _progress: &OnlineProgress<'_>) {}
}

/// A reporter that says nothing.
pub struct Silent;
impl Reporter for Silent {}

/// One migration that a run applied or reverted.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Applied {
    pub revision: String,
    pub direction: &'static str,
    pub message: String,
    pub execution_ms: u64,
}

/// Where a failing statement is.
#[derive(Clone, Debug)]
pub struct FailedStatement {
    /// File line of the statement's first token.
    pub line: usize,
    /// File line the database's error position points at, when it gave one.
    pub error_line: Option<usize>,
    pub sql: String,
}

/// Errors of a run. Each says which exit code it deserves.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The request cannot be carried out as asked (exit 2); nothing was changed.
    #[error("{message}")]
    Invalid {
        message: String,
        hint: Option<String>,
    },

    /// The database failed outside any migration (exit 3).
    #[error("{context}: {error}")]
    Database {
        context: String,
        error: Box<DbError>,
    },

    /// A migration failed (exit 3). Migrations in `applied` stay applied.
    #[error("migration {} ({}) failed: {}", .0.revision, .0.file, .0.error)]
    MigrationFailed(Box<MigrationFailure>),
}

/// What the user needs to know about a failed migration.
#[derive(Debug)]
pub struct MigrationFailure {
    pub applied: Vec<Applied>,
    pub revision: String,
    pub file: String,
    pub direction: &'static str,
    pub statement: Option<FailedStatement>,
    pub error: DbError,
    /// For a migration run outside a transaction: the lines of the statements that ran and
    /// stay applied.
    pub ran_outside_transaction: Option<Vec<usize>>,
    /// False when even the `failed` history row could not be written.
    pub recorded: bool,
    /// For a migration run in a transaction: whether its changes were rolled back. False when a
    /// statement of the migration had ended the transaction, so some of it may stay applied.
    pub rolled_back: bool,
}

impl EngineError {
    pub fn exit_code(&self) -> u8 {
        match self {
            EngineError::Invalid { .. } => 2,
            EngineError::Database { error, .. } if error.invalid_url => 2,
            EngineError::Database { .. } | EngineError::MigrationFailed(_) => 3,
        }
    }

    fn invalid(message: impl Into<String>, hint: Option<&str>) -> EngineError {
        EngineError::Invalid {
            message: message.into(),
            hint: hint.map(str::to_owned),
        }
    }
}

fn db(context: &str) -> impl FnOnce(DbError) -> EngineError + '_ {
    move |error| EngineError::Database {
        context: context.to_owned(),
        error: Box::new(error),
    }
}

/// One piece of SQL in a run.
#[derive(Clone, Debug)]
pub enum Op<'a> {
    /// strata's own SQL (transaction control, settings, state rows), sent as one batch.
    Control(String),
    /// A statement from a migration file.
    User(&'a Statement),
    /// strata's SQL that closes a migration: its history and version rows (and `COMMIT`).
    Record(String),
}

impl Op<'_> {
    pub fn sql(&self) -> &str {
        match self {
            Op::Control(sql) | Op::Record(sql) => sql,
            Op::User(statement) => &statement.sql,
        }
    }
}

/// How a migration's SQL is wrapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wrap {
    /// `BEGIN` … `COMMIT` around the migration.
    Own,
    /// Inside the run's single transaction: no `BEGIN`/`COMMIT`.
    Outer,
    /// Statement by statement in autocommit, then the state rows in a transaction.
    None,
}

/// Applies plans to one database.
pub struct Migrator<'m, D: Database + ?Sized> {
    pub db: &'m mut D,
    pub migrations: &'m Migrations,
    pub settings: Settings,
}

impl<'m, D: Database + ?Sized> Migrator<'m, D> {
    pub fn new(db: &'m mut D, migrations: &'m Migrations, settings: Settings) -> Self {
        Migrator {
            db,
            migrations,
            settings,
        }
    }

    fn dialect(&self) -> Dialect {
        self.db.dialect()
    }

    /// The current heads (empty when strata has never run here).
    pub fn heads(&mut self) -> Result<Vec<String>, EngineError> {
        self.db
            .read_heads(&self.settings.tables)
            .map_err(db("could not read the version table"))
    }

    /// Upgrades to `target`, returning what was applied.
    pub fn upgrade(
        &mut self,
        target: &str,
        reporter: &mut dyn Reporter,
    ) -> Result<Vec<Applied>, EngineError> {
        self.run(Direction::Up, target, reporter)
    }

    /// Downgrades to `target`, returning what was reverted.
    pub fn downgrade(
        &mut self,
        target: &str,
        reporter: &mut dyn Reporter,
    ) -> Result<Vec<Applied>, EngineError> {
        self.run(Direction::Down, target, reporter)
    }

    /// The plan a run would follow from the database's current state, without changing anything.
    pub fn dry_run(
        &mut self,
        direction: Direction,
        target: &str,
    ) -> Result<Vec<Step>, EngineError> {
        let heads = self.heads()?;
        let steps = self.plan(direction, &heads, target)?;
        check_plan(self.migrations, &steps, self.settings.single_transaction)?;
        Ok(steps)
    }

    pub(crate) fn plan(
        &self,
        direction: Direction,
        heads: &[String],
        target: &str,
    ) -> Result<Vec<Step>, EngineError> {
        let graph = &self.migrations.graph;
        let planned = match direction {
            Direction::Up => graph.plan_upgrade(heads, target),
            Direction::Down => graph.plan_downgrade(heads, target),
        };
        planned.map_err(|e| EngineError::invalid(e.to_string(), None))
    }

    fn run(
        &mut self,
        direction: Direction,
        target: &str,
        reporter: &mut dyn Reporter,
    ) -> Result<Vec<Applied>, EngineError> {
        self.locked(reporter, |m, reporter| {
            m.run_locked(direction, target, reporter)
        })
    }

    /// Runs `f` holding the runner lock, and releases it whatever `f` returns.
    pub(crate) fn locked<T, E: From<EngineError>>(
        &mut self,
        reporter: &mut dyn Reporter,
        f: impl FnOnce(&mut Self, &mut dyn Reporter) -> Result<T, E>,
    ) -> Result<T, E> {
        let tables = self.settings.tables.clone();
        self.db
            .lock(&tables, self.settings.lock_wait, &mut |holder| {
                reporter.lock_wait(holder)
            })
            .map_err(db("could not take the runner lock"))?;
        let result = f(self, reporter);
        let unlocked = self.db.unlock(&tables);
        match (result, unlocked) {
            (Ok(value), Ok(())) => Ok(value),
            (Ok(_), Err(error)) => Err(EngineError::Database {
                context: "could not release the runner lock".into(),
                error: Box::new(error),
            }
            .into()),
            (Err(e), _) => Err(e),
        }
    }

    fn ensure_state_tables(&mut self) -> Result<(), EngineError> {
        let tables = self.settings.tables.clone();
        let exists = self
            .db
            .state_tables_exist(&tables)
            .map_err(db("could not look up strata's tables"))?;
        if !exists {
            let sql = state::create_tables_sql(self.dialect(), &tables);
            self.db
                .execute(&sql)
                .map_err(db("could not create strata's tables"))?;
        }
        Ok(())
    }

    pub(crate) fn run_locked(
        &mut self,
        direction: Direction,
        target: &str,
        reporter: &mut dyn Reporter,
    ) -> Result<Vec<Applied>, EngineError> {
        // Validate against the state as it is now, before changing anything (not even creating
        // strata's tables): a bad target or an unrunnable plan leaves the database untouched.
        let heads = self.heads()?;
        let steps = self.plan(direction, &heads, target)?;
        check_plan(self.migrations, &steps, self.settings.single_transaction)?;
        check_online(
            self.migrations,
            &steps,
            self.settings.record_online.as_deref(),
        )?;
        self.apply_planned(direction, target, steps, false, reporter)
    }

    /// Applies `steps`, planned towards `target` and checked. With `before_online`, only the
    /// steps before the first online migration of the plan (which the caller starts next).
    pub(crate) fn apply_planned(
        &mut self,
        direction: Direction,
        target: &str,
        steps: Vec<Step>,
        before_online: bool,
        reporter: &mut dyn Reporter,
    ) -> Result<Vec<Applied>, EngineError> {
        let migrations = self.migrations;
        let cut = |mut steps: Vec<Step>| {
            if before_online {
                if let Some(at) = crate::online::first_online(migrations, &steps) {
                    steps.truncate(at);
                }
            }
            steps
        };
        let mut steps = cut(steps);
        if steps.is_empty() {
            return Ok(Vec::new());
        }
        self.ensure_state_tables()?;
        if self.settings.single_transaction {
            return self.run_single_transaction(&steps, reporter);
        }

        let mut applied = Vec::new();
        let mut next = 0;
        while next < steps.len() {
            let step = steps[next].clone();
            match self.apply_step(&step, reporter, &applied)? {
                StepOutcome::Done(done) => {
                    applied.push(done);
                    next += 1;
                }
                StepOutcome::StateMoved(current) => {
                    // Another runner got there first (SQLite serialises per transaction):
                    // plan again from what is applied now.
                    steps = cut(self.plan(direction, &current, target)?);
                    check_plan(self.migrations, &steps, false)?;
                    next = 0;
                }
            }
        }
        Ok(applied)
    }

    pub(crate) fn file(&self, revision: &str) -> &'m MigrationFile {
        self.migrations
            .get(revision)
            .expect("the graph only plans revisions that have files")
    }

    fn apply_step(
        &mut self,
        step: &Step,
        reporter: &mut dyn Reporter,
        applied: &[Applied],
    ) -> Result<StepOutcome, EngineError> {
        let file = self.file(&step.revision);
        let down = step.direction == Direction::Down;
        if let Some(reason) = file.non_transactional(down) {
            reporter.notice(&format!(
                "{} runs outside a transaction ({reason})",
                step.revision
            ));
            return self.apply_without_transaction(step, reporter, applied);
        }
        let mut attempt = 0;
        loop {
            match self.apply_in_transaction(step, reporter) {
                Err(StepFailure {
                    error, rolled_back, ..
                }) if rolled_back
                    && error.is_lock_timeout()
                    && attempt < self.settings.lock_retries =>
                {
                    attempt += 1;
                    let wait = Duration::from_millis(500u64 << (attempt - 1).min(6));
                    reporter.retrying(step, attempt, wait, &error);
                    std::thread::sleep(wait);
                }
                Err(StepFailure {
                    error,
                    statement,
                    rolled_back,
                }) => {
                    return Err(self.fail(
                        step,
                        applied.to_vec(),
                        statement,
                        error,
                        None,
                        rolled_back,
                    ));
                }
                Ok(outcome) => return Ok(outcome),
            }
        }
    }

    // The error path is cold (one failure ends the run); boxing it would buy nothing.
    #[allow(clippy::result_large_err)]
    fn apply_in_transaction(
        &mut self,
        step: &Step,
        reporter: &mut dyn Reporter,
    ) -> Result<StepOutcome, StepFailure> {
        let file = self.file(&step.revision);
        let started = Instant::now();
        let ops = step_ops(self.dialect(), &self.settings, step, file, Wrap::Own);
        let mut rest = ops.as_slice();
        if self.db.lock_is_per_transaction() {
            // SQLite: BEGIN IMMEDIATE takes the write lock; then re-read what another runner may
            // have applied meanwhile.
            let (begin, after) = ops.split_first().expect("a step has a BEGIN");
            rest = after;
            let db_error = |error| StepFailure {
                error,
                statement: None,
                rolled_back: true,
            };
            self.db.execute(begin.sql()).map_err(db_error)?;
            let current = self
                .db
                .read_heads(&self.settings.tables)
                .map_err(db_error)?;
            if !same_set(&current, &step.heads_before) {
                self.rollback();
                return Ok(StepOutcome::StateMoved(current));
            }
        }
        reporter.step_started(step, file);
        if let Err((error, statement)) = self.execute_ops(
            step,
            file,
            Wrap::Own,
            rest,
            started,
            reporter,
            &mut Vec::new(),
        ) {
            let rolled_back = self.rollback();
            return Err(StepFailure {
                error,
                statement,
                rolled_back,
            });
        }
        let elapsed = started.elapsed();
        reporter.step_finished(step, file, elapsed);
        Ok(StepOutcome::Done(applied_entry(step, file, elapsed)))
    }

    fn apply_without_transaction(
        &mut self,
        step: &Step,
        reporter: &mut dyn Reporter,
        applied: &[Applied],
    ) -> Result<StepOutcome, EngineError> {
        let file = self.file(&step.revision);
        let started = Instant::now();
        let created = concurrent_indexes(file, step.direction == Direction::Down);
        self.drop_interrupted_indexes(&created, reporter)?;
        let ops = step_ops(self.dialect(), &self.settings, step, file, Wrap::None);
        reporter.step_started(step, file);
        let mut ran = Vec::new();
        // The statements, then (before anything is recorded) a check that every index they
        // built concurrently is valid, then the history and version rows.
        let (body, record) = ops.split_at(ops.len() - 1);
        let mut result =
            self.execute_ops(step, file, Wrap::None, body, started, reporter, &mut ran);
        if result.is_ok() {
            result = self
                .check_indexes_valid(&created)
                .map_err(|error| (error, None));
        }
        if result.is_ok() {
            result = self.execute_ops(step, file, Wrap::None, record, started, reporter, &mut ran);
        }
        if let Err((error, statement)) = result {
            self.rollback();
            return Err(self.fail(step, applied.to_vec(), statement, error, Some(ran), false));
        }
        let elapsed = started.elapsed();
        reporter.step_finished(step, file, elapsed);
        Ok(StepOutcome::Done(applied_entry(step, file, elapsed)))
    }

    /// Before a migration that builds indexes concurrently: an INVALID index with the name one
    /// of its statements creates is what an interrupted earlier run of the same statement left
    /// (`IF NOT EXISTS` would skip it and leave it invalid), so it is dropped concurrently and
    /// built again. Other INVALID indexes on the same tables are reported and left alone.
    fn drop_interrupted_indexes(
        &mut self,
        created: &[CreatedIndex],
        reporter: &mut dyn Reporter,
    ) -> Result<(), EngineError> {
        if created.is_empty() {
            return Ok(());
        }
        let mut tables: Vec<String> = created.iter().map(|c| c.table.clone()).collect();
        tables.sort();
        tables.dedup();
        let invalid = self
            .db
            .invalid_indexes(&tables)
            .map_err(db("could not look for invalid indexes"))?;
        for index in invalid {
            let ours = created
                .iter()
                .any(|c| c.name.as_deref() == Some(index.name.as_str()));
            let name = index.qualified();
            if ours {
                reporter.notice(&format!(
                    "index {name} is INVALID, left by an interrupted CREATE INDEX CONCURRENTLY of this migration; dropping it to build it again"
                ));
                self.db
                    .execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS {name};"))
                    .map_err(db("could not drop the invalid index"))?;
            } else {
                reporter.notice(&format!(
                    "index {name} (on {}) is INVALID: an interrupted concurrent build? This migration does not create it, so strata leaves it alone; drop it with DROP INDEX CONCURRENTLY and build it again",
                    index.table
                ));
            }
        }
        Ok(())
    }

    /// After a migration: every index it built concurrently must be valid, or the migration
    /// failed (for example `CREATE INDEX CONCURRENTLY IF NOT EXISTS` met an invalid one).
    fn check_indexes_valid(&mut self, created: &[CreatedIndex]) -> Result<(), DbError> {
        if created.is_empty() {
            return Ok(());
        }
        let tables: Vec<String> = created.iter().map(|c| c.table.clone()).collect();
        let invalid = self.db.invalid_indexes(&tables)?;
        for c in created {
            let Some(name) = &c.name else { continue };
            if let Some(index) = invalid.iter().find(|i| &i.name == name) {
                return Err(DbError {
                    message: format!(
                        "index {} on {} is INVALID after the migration: the database does not use it",
                        index.qualified(),
                        c.table
                    ),
                    hint: Some(
                        "run `strata upgrade` again: strata drops an invalid index that the migration creates and builds it again".to_owned(),
                    ),
                    ..DbError::default()
                });
            }
        }
        Ok(())
    }

    fn run_single_transaction(
        &mut self,
        steps: &[Step],
        reporter: &mut dyn Reporter,
    ) -> Result<Vec<Applied>, EngineError> {
        let begin = begin_sql(self.db.begin_sql(), self.dialect(), &self.settings);
        self.db
            .execute(&begin)
            .map_err(db("could not begin the run's transaction"))?;
        let mut applied = Vec::new();
        for step in steps {
            let file = self.file(&step.revision);
            let started = Instant::now();
            reporter.step_started(step, file);
            let ops = step_ops(self.dialect(), &self.settings, step, file, Wrap::Outer);
            if let Err((error, statement)) = self.execute_ops(
                step,
                file,
                Wrap::Outer,
                &ops,
                started,
                reporter,
                &mut Vec::new(),
            ) {
                let rolled_back = self.rollback();
                // The whole run rolled back: nothing stays applied.
                return Err(self.fail(step, Vec::new(), statement, error, None, rolled_back));
            }
            let elapsed = started.elapsed();
            reporter.step_finished(step, file, elapsed);
            applied.push(applied_entry(step, file, elapsed));
        }
        self.db
            .execute("COMMIT;")
            .map_err(db("could not commit the run's transaction"))?;
        Ok(applied)
    }

    /// Executes a step's ops in order, reporting each statement. On failure returns the error and
    /// the statement it came from; `ran` collects the lines of the statements that succeeded.
    #[allow(clippy::too_many_arguments, clippy::result_large_err)]
    fn execute_ops(
        &mut self,
        step: &Step,
        file: &MigrationFile,
        wrap: Wrap,
        ops: &[Op<'_>],
        started: Instant,
        reporter: &mut dyn Reporter,
        ran: &mut Vec<usize>,
    ) -> Result<(), (DbError, Option<FailedStatement>)> {
        let dialect = self.dialect();
        // PostgreSQL, own transaction: strata's SQL rides along with the first and last statements,
        // so a one-statement migration is one round trip. Elsewhere each op goes on its own (SQLite
        // has no round trips to save and measures time client-side; outside a transaction every
        // statement must be a query of its own).
        let coalesce = dialect == Dialect::Postgres && wrap == Wrap::Own;
        for batch in batches(ops, coalesce) {
            if let Some(statement) = batch.statement {
                reporter.statement_started(statement);
            }
            let measured = if matches!(ops[batch.ends_at], Op::Record(_)) {
                live_sql(dialect, &self.settings, step, file, wrap, started)
            } else {
                None
            };
            let text = measured.unwrap_or_else(|| batch.sql(ops));
            if let Err(error) = self.db.execute(&text) {
                return Err(batch.attribute(error));
            }
            if let Some(statement) = batch.statement {
                ran.push(statement.line);
            }
        }
        Ok(())
    }

    /// Rolls back after a failure; false when no transaction was left to roll back (a statement
    /// of the migration ended it). A lost connection counts as rolled back: the server rolls back
    /// the transaction of a session that is gone.
    fn rollback(&mut self) -> bool {
        self.db.rollback().unwrap_or(true)
    }

    /// Records a `failed` row in its own transaction and builds the error.
    fn fail(
        &mut self,
        step: &Step,
        applied: Vec<Applied>,
        statement: Option<FailedStatement>,
        error: DbError,
        ran: Option<Vec<usize>>,
        rolled_back: bool,
    ) -> EngineError {
        let file = self.file(&step.revision);
        let text = error.to_string();
        let event = NewEvent {
            revision: &step.revision,
            parents: &self
                .migrations
                .graph
                .node(&step.revision)
                .map(|n| n.parents.clone())
                .unwrap_or_default(),
            kind: EventKind::Failed,
            message: file.message.as_deref(),
            checksum: Some(file.checksum.as_str()),
            applied_by: &self.settings.client,
            execution_ms: Some(0),
            error: Some(&text),
        };
        let sql = format!(
            "{};\n{}\nCOMMIT;",
            self.db.begin_sql(),
            state::insert_event_sql(self.dialect(), &self.settings.tables, &event)
        );
        let recorded = !error.connection && self.db.execute(&sql).is_ok();
        if !recorded {
            self.rollback();
        }
        EngineError::MigrationFailed(Box::new(MigrationFailure {
            applied,
            revision: step.revision.clone(),
            file: file.path.clone(),
            direction: direction_name(step.direction),
            statement,
            error,
            ran_outside_transaction: ran,
            recorded,
            rolled_back,
        }))
    }

    /// Accepts the edited file of an applied revision (`strata verify --accept`): records its new
    /// checksum as a `stamp` row whose message names the old and new checksums and `reason`, so
    /// it becomes the checksum of record. The heads do not move. Refused (exit 2) when the
    /// revision is not applied or its file is unchanged.
    pub fn accept(
        &mut self,
        revision: &str,
        reason: &str,
    ) -> Result<(String, String), EngineError> {
        let file = self.migrations.get(revision).ok_or_else(|| {
            EngineError::invalid(
                format!("no migration file has the revision id {revision}"),
                None,
            )
        })?;
        let tables = self.settings.tables.clone();
        self.db
            .lock(&tables, self.settings.lock_wait, &mut |_| {})
            .map_err(db("could not take the runner lock"))?;
        let result = (|| {
            let heads = self.heads()?;
            let history = self
                .db
                .read_history(&tables)
                .map_err(db("could not read the history table"))?;
            let verified = crate::verify::verify(self.migrations, &heads, &history);
            let old = verified.mismatches.iter().find_map(|m| match m {
                crate::verify::Mismatch::Changed {
                    revision: r,
                    applied_checksum,
                    ..
                } if r == revision => Some(applied_checksum.clone()),
                _ => None,
            });
            let Some(old) = old else {
                let applied = self
                    .migrations
                    .graph
                    .applied_set(&heads)
                    .unwrap_or_default()
                    .contains(revision);
                return Err(EngineError::invalid(
                    if applied {
                        format!(
                            "{} ({}) is unchanged: nothing to accept",
                            revision, file.path
                        )
                    } else {
                        format!(
                            "{} ({}) is not applied here: nothing to accept",
                            revision, file.path
                        )
                    },
                    Some("`strata verify` lists the applied files that changed"),
                ));
            };
            let new = file.checksum.to_string();
            let message = format!("accepted edit: checksum {old} -> {new}: {reason}");
            let event = NewEvent {
                revision,
                parents: &file.revises,
                kind: EventKind::Stamp,
                message: Some(&message),
                checksum: Some(&new),
                applied_by: &self.settings.client,
                execution_ms: Some(0),
                error: None,
            };
            let sql = format!(
                "{};\n{}\nCOMMIT;",
                self.db.begin_sql(),
                state::insert_event_sql(self.dialect(), &tables, &event)
            );
            self.db
                .execute(&sql)
                .map_err(db("could not record the accepted checksum"))?;
            Ok((old, new))
        })();
        let _ = self.db.unlock(&tables);
        result
    }

    /// Sets the version rows to `new_heads` without running any migration, recording one `stamp`
    /// row per new head (or one for `base`).
    pub fn stamp(
        &mut self,
        new_heads: &[String],
        reason: &str,
    ) -> Result<Vec<String>, EngineError> {
        let tables = self.settings.tables.clone();
        self.db
            .lock(&tables, self.settings.lock_wait, &mut |_| {})
            .map_err(db("could not take the runner lock"))?;
        let result = (|| {
            self.ensure_state_tables()?;
            let current = self.heads()?;
            let sql = stamp_sql(
                self.dialect(),
                self.db.begin_sql(),
                &self.settings,
                self.migrations,
                &current,
                new_heads,
                reason,
            );
            self.db.execute(&sql).map_err(db("could not stamp"))?;
            Ok(new_heads.to_vec())
        })();
        let _ = self.db.unlock(&tables);
        result
    }
}

enum StepOutcome {
    Done(Applied),
    StateMoved(Vec<String>),
}

/// A statement (or strata's own SQL around it) failed.
struct StepFailure {
    error: DbError,
    statement: Option<FailedStatement>,
    /// Whether the migration's transaction was rolled back.
    rolled_back: bool,
}

fn same_set(a: &[String], b: &[String]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    b.sort();
    a == b
}

fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "up",
        Direction::Down => "down",
    }
}

fn applied_entry(step: &Step, file: &MigrationFile, elapsed: Duration) -> Applied {
    Applied {
        revision: step.revision.clone(),
        direction: direction_name(step.direction),
        message: file.message_or_slug(),
        execution_ms: elapsed.as_millis() as u64,
    }
}

fn failed_statement(statement: &Statement, error: &DbError) -> FailedStatement {
    let error_line = error.position.map(|pos| {
        let before: String = statement.sql.chars().take(pos.saturating_sub(1)).collect();
        statement.line + before.matches('\n').count()
    });
    FailedStatement {
        line: statement.line,
        error_line,
        sql: statement.sql.clone(),
    }
}

/// The indexes a section builds concurrently (those an interruption can leave INVALID).
fn concurrent_indexes(file: &MigrationFile, down: bool) -> Vec<CreatedIndex> {
    let section = if down {
        file.down.as_ref()
    } else {
        Some(&file.up)
    };
    section
        .map(|s| s.statements.as_slice())
        .unwrap_or(&[])
        .iter()
        .filter_map(|s| created_index(&s.sql))
        .filter(|c| c.concurrently)
        .collect()
}

/// Whether an up section changes the schema (so an empty down loses the way back). Data-only
/// migrations (`INSERT`, `UPDATE`, ...) may have an empty down, and so may one that only
/// validates constraints (`ALTER TABLE … VALIDATE CONSTRAINT`): a validation changes no
/// definition, so there is nothing to undo.
pub fn changes_schema(statements: &[Statement]) -> bool {
    statements.iter().any(|s| {
        if strata_core::sql::only_validates_constraints(&s.sql) {
            return false;
        }
        let first = s
            .sql
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        matches!(
            first.as_str(),
            "CREATE" | "ALTER" | "DROP" | "COMMENT" | "TRUNCATE"
        )
    })
}

/// Refuses plans that cannot run as asked, before anything changes.
/// Online migrations are not applied as SQL: `strata start` runs their expand phase and
/// `strata complete` their contract phase, then records them (`allowed`).
pub fn check_online(
    migrations: &Migrations,
    steps: &[Step],
    allowed: Option<&str>,
) -> Result<(), EngineError> {
    for step in steps {
        let Some(file) = migrations.get(&step.revision) else {
            continue;
        };
        if file.online && step.direction == Direction::Up && allowed != Some(step.revision.as_str())
        {
            return Err(EngineError::invalid(
                format!(
                    "{} ({}) is an online migration: it is not run as SQL",
                    step.revision, file.path
                ),
                Some("`strata upgrade` (or `strata start`) runs its expand phase and stops there; `strata complete` finishes it"),
            ));
        }
    }
    Ok(())
}

pub fn check_plan(
    migrations: &Migrations,
    steps: &[Step],
    single_transaction: bool,
) -> Result<(), EngineError> {
    for step in steps {
        let file = migrations.get(&step.revision).ok_or_else(|| {
            EngineError::invalid(
                format!("revision {} has no migration file", step.revision),
                None,
            )
        })?;
        match step.direction {
            Direction::Down => {
                if let Some(reason) = &file.irreversible {
                    return Err(EngineError::invalid(
                        format!(
                            "cannot downgrade past {} ({}): it is irreversible: {reason}",
                            step.revision, file.path
                        ),
                        Some("choose a target after it, or restore from a backup"),
                    ));
                }
            }
            Direction::Up => {}
        }
        let down_empty = file.down.as_ref().is_none_or(|d| d.is_empty());
        if file.irreversible.is_none() && down_empty && changes_schema(&file.up.statements) {
            return Err(EngineError::invalid(
                format!("{}: the up changes the schema but the down section is empty (empty-downgrade)", file.path),
                Some("write the inverse SQL under `-- strata:down`, or mark the file `-- strata:irreversible <reason>`"),
            ));
        }
        if single_transaction {
            if let Some(reason) = file.non_transactional(step.direction == Direction::Down) {
                return Err(EngineError::invalid(
                    format!("--single-transaction cannot include {} ({}): it must run outside a transaction ({reason})", step.revision, file.path),
                    Some("run it in its own `strata upgrade` without --single-transaction"),
                ));
            }
        }
    }
    Ok(())
}

fn begin_sql(begin: &str, dialect: Dialect, settings: &Settings) -> String {
    let mut sql = format!("{begin};");
    if dialect == Dialect::Postgres {
        for (name, value) in [
            ("lock_timeout", settings.lock_timeout),
            ("statement_timeout", settings.statement_timeout),
        ] {
            if let Some(value) = value {
                sql.push_str(&format!("\nSET LOCAL {name} = '{}ms';", value.as_millis()));
            }
        }
    }
    sql
}

/// Session-level timeouts for a migration that runs outside a transaction (where `SET LOCAL`
/// would not last), and their reset.
fn session_timeouts(dialect: Dialect, settings: &Settings) -> Option<(String, String)> {
    if dialect != Dialect::Postgres
        || (settings.lock_timeout.is_none() && settings.statement_timeout.is_none())
    {
        return None;
    }
    let mut set = String::new();
    let mut reset = String::new();
    for (name, value) in [
        ("lock_timeout", settings.lock_timeout),
        ("statement_timeout", settings.statement_timeout),
    ] {
        if let Some(value) = value {
            set.push_str(&format!("SET {name} = '{}ms';", value.as_millis()));
            reset.push_str(&format!("RESET {name};"));
        }
    }
    Some((set, reset))
}

/// The SQL of one migration, in order: what a live run executes and `--sql` prints.
fn step_ops<'a>(
    dialect: Dialect,
    settings: &Settings,
    step: &Step,
    file: &'a MigrationFile,
    wrap: Wrap,
) -> Vec<Op<'a>> {
    let begin = match dialect {
        Dialect::Postgres => "BEGIN",
        Dialect::Sqlite => "BEGIN IMMEDIATE",
    };
    let down = step.direction == Direction::Down;
    let section = if down {
        file.down.as_ref()
    } else {
        Some(&file.up)
    };
    let mut ops = Vec::new();
    let timeouts = session_timeouts(dialect, settings);
    match wrap {
        Wrap::Own => ops.push(Op::Control(begin_sql(begin, dialect, settings))),
        Wrap::None => {
            if let Some((set, _)) = &timeouts {
                ops.push(Op::Control(set.clone()));
            }
        }
        Wrap::Outer => {}
    }
    for statement in section.map(|s| s.statements.as_slice()).unwrap_or(&[]) {
        ops.push(Op::User(statement));
    }
    ops.push(Op::Record(finish_sql(
        dialect, settings, step, file, wrap, None,
    )));
    ops
}

/// What closes a step: the history row and version rows (and `COMMIT`), as the last op of
/// [`step_ops`]. `execution_ms`: `None` lets PostgreSQL measure it within the transaction (the form
/// `--sql` prints); a live run passes its own measure where the database cannot (SQLite, a
/// migration outside a transaction, or inside the run's single transaction).
fn finish_sql(
    dialect: Dialect,
    settings: &Settings,
    step: &Step,
    file: &MigrationFile,
    wrap: Wrap,
    execution_ms: Option<i64>,
) -> String {
    let begin = match dialect {
        Dialect::Postgres => "BEGIN",
        Dialect::Sqlite => "BEGIN IMMEDIATE",
    };
    let mut record = String::new();
    if wrap == Wrap::None {
        if let Some((_, reset)) = session_timeouts(dialect, settings) {
            record.push_str(&reset);
            record.push('\n');
        }
        record.push_str(&format!("{begin};\n"));
    }
    record.push_str(&record_sql(dialect, settings, step, file, execution_ms));
    if wrap != Wrap::Outer {
        record.push_str("\nCOMMIT;");
    }
    record
}

/// Ops sent to the database in one round trip: at most one statement of the file, with (when
/// coalescing) strata's own SQL before and after it.
struct Batch<'o> {
    starts_at: usize,
    ends_at: usize,
    statement: Option<&'o Statement>,
    /// Characters of strata's SQL (and separators) before the statement in the batch's text.
    prefix_chars: usize,
}

impl Batch<'_> {
    fn sql(&self, ops: &[Op<'_>]) -> String {
        let parts: Vec<&str> = ops[self.starts_at..=self.ends_at]
            .iter()
            .map(Op::sql)
            .collect();
        parts.join("\n")
    }

    /// The failing statement of an error in this batch. strata's own SQL around a statement
    /// (`BEGIN`, `SET LOCAL`, the state rows) does not fail on its own, so the error is the
    /// statement's; a position is rebased from the batch's text onto the statement's.
    fn attribute(&self, mut error: DbError) -> (DbError, Option<FailedStatement>) {
        let Some(statement) = self.statement else {
            return (error, None);
        };
        error.position = error
            .position
            .and_then(|p| p.checked_sub(self.prefix_chars))
            .filter(|p| *p > 0);
        let failed = failed_statement(statement, &error);
        (error, Some(failed))
    }
}

/// Groups a step's ops into round trips. Without coalescing, one op each.
///
/// When coalescing, strata's SQL before the first statement rides along in front of it, and the
/// closing SQL after the last one behind it — but only when that statement ends with its own `;`:
/// text appended to an unterminated statement (no final `;`, an open quote) would change how the
/// database parses the user's SQL, so its closing SQL goes in a round trip of its own. strata's
/// SQL in front of a statement is complete and cannot change how the statement parses.
fn batches<'o>(ops: &'o [Op<'_>], coalesce: bool) -> Vec<Batch<'o>> {
    let statement_at = |i: usize| match &ops[i] {
        Op::User(statement) => Some(*statement),
        Op::Control(_) | Op::Record(_) => None,
    };
    let single = |i: usize| Batch {
        starts_at: i,
        ends_at: i,
        statement: statement_at(i),
        prefix_chars: 0,
    };
    if !coalesce {
        return (0..ops.len()).map(single).collect();
    }
    let users: Vec<usize> = (0..ops.len())
        .filter(|i| statement_at(*i).is_some())
        .collect();
    let (Some(&first), Some(&last)) = (users.first(), users.last()) else {
        // No statements (a merge): strata's SQL alone, in one round trip.
        return vec![Batch {
            starts_at: 0,
            ends_at: ops.len().saturating_sub(1),
            statement: None,
            prefix_chars: 0,
        }];
    };
    let last_terminated = statement_at(last).is_some_and(|s| s.terminated);
    let mut out: Vec<Batch<'o>> = users
        .iter()
        .map(|&i| {
            let starts_at = if i == first { 0 } else { i };
            let ends_at = if i == last && last_terminated {
                ops.len() - 1
            } else {
                i
            };
            let prefix_chars = ops[starts_at..i]
                .iter()
                .map(|op| op.sql().chars().count() + 1)
                .sum();
            Batch {
                starts_at,
                ends_at,
                statement: statement_at(i),
                prefix_chars,
            }
        })
        .collect();
    if !last_terminated && last + 1 < ops.len() {
        out.push(Batch {
            starts_at: last + 1,
            ends_at: ops.len() - 1,
            statement: None,
            prefix_chars: 0,
        });
    }
    out
}

/// The SQL a live run sends instead of a step's last op of a step gets the measured execution time
/// where the database cannot measure it itself.
fn live_sql(
    dialect: Dialect,
    settings: &Settings,
    step: &Step,
    file: &MigrationFile,
    wrap: Wrap,
    started: Instant,
) -> Option<String> {
    let db_measures = dialect == Dialect::Postgres && wrap == Wrap::Own;
    if db_measures {
        return None;
    }
    let ms = started.elapsed().as_millis() as i64;
    Some(finish_sql(dialect, settings, step, file, wrap, Some(ms)))
}

/// The history row and version rows of a step.
fn record_sql(
    dialect: Dialect,
    settings: &Settings,
    step: &Step,
    file: &MigrationFile,
    execution_ms: Option<i64>,
) -> String {
    let parents = file.revises.clone();
    let event = NewEvent {
        revision: &step.revision,
        parents: &parents,
        kind: if step.direction == Direction::Up {
            EventKind::Up
        } else {
            EventKind::Down
        },
        message: file.message.as_deref(),
        checksum: Some(file.checksum.as_str()),
        applied_by: &settings.client,
        execution_ms,
        error: None,
    };
    let mut sql = state::insert_event_sql(dialect, &settings.tables, &event);
    let heads = state::set_heads_sql(&settings.tables, &step.removed_heads(), &step.added_heads());
    if !heads.is_empty() {
        sql.push('\n');
        sql.push_str(&heads);
    }
    sql
}

fn stamp_sql(
    dialect: Dialect,
    begin: &str,
    settings: &Settings,
    migrations: &Migrations,
    current: &[String],
    new_heads: &[String],
    reason: &str,
) -> String {
    let mut sql = format!("{begin};\n");
    let revisions: Vec<String> = if new_heads.is_empty() {
        vec!["base".to_owned()]
    } else {
        new_heads.to_vec()
    };
    for revision in &revisions {
        let file = migrations.get(revision);
        let parents = file.map(|f| f.revises.clone()).unwrap_or_default();
        let event = NewEvent {
            revision,
            parents: &parents,
            kind: EventKind::Stamp,
            message: Some(reason),
            checksum: file.map(|f| f.checksum.as_str()),
            applied_by: &settings.client,
            execution_ms: Some(0),
            error: None,
        };
        sql.push_str(&state::insert_event_sql(dialect, &settings.tables, &event));
        sql.push('\n');
    }
    let removed: Vec<&str> = current
        .iter()
        .filter(|h| !new_heads.contains(h))
        .map(String::as_str)
        .collect();
    let added: Vec<&str> = new_heads
        .iter()
        .filter(|h| !current.contains(h))
        .map(String::as_str)
        .collect();
    let heads = state::set_heads_sql(&settings.tables, &removed, &added);
    if !heads.is_empty() {
        sql.push_str(&heads);
        sql.push('\n');
    }
    sql.push_str("COMMIT;");
    sql
}

/// The complete SQL of a run over `steps`, without a connection (`--sql`): strata's tables, the
/// runner lock, and each migration wrapped as a live run wraps it.
pub fn offline_sql(
    dialect: Dialect,
    settings: &Settings,
    migrations: &Migrations,
    steps: &[Step],
) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "-- strata {} — offline SQL for {} migration(s)\n\n",
        env!("CARGO_PKG_VERSION"),
        steps.len()
    ));
    out.push_str(&state::create_tables_sql(dialect, &settings.tables));
    out.push_str("\n\n");
    if dialect == Dialect::Postgres {
        // The runner lock: the key of earlier strata versions, then the key of the version table
        // as the server resolves it (the expression a live run evaluates).
        out.push_str(&format!(
            "SELECT pg_advisory_lock({});\nSELECT pg_advisory_lock({});\n\n",
            settings.tables.lock_key(),
            settings.tables.lock_key_sql()
        ));
    }
    if settings.single_transaction {
        let begin = if dialect == Dialect::Postgres {
            "BEGIN"
        } else {
            "BEGIN IMMEDIATE"
        };
        out.push_str(&begin_sql(begin, dialect, settings));
        out.push_str("\n\n");
    }
    for step in steps {
        let Some(file) = migrations.get(&step.revision) else {
            continue;
        };
        let arrow = if step.direction == Direction::Up {
            "▲"
        } else {
            "▼"
        };
        out.push_str(&format!(
            "-- {arrow} {} {} ({})\n",
            step.revision,
            file.message_or_slug(),
            file.path
        ));
        let wrap = if settings.single_transaction {
            Wrap::Outer
        } else if let Some(reason) = file.non_transactional(step.direction == Direction::Down) {
            out.push_str(&format!("-- runs outside a transaction: {reason}\n"));
            Wrap::None
        } else {
            Wrap::Own
        };
        for op in step_ops(dialect, settings, step, file, wrap) {
            let sql = op.sql().trim_end();
            out.push_str(sql);
            if !sql.ends_with(';') {
                out.push(';');
            }
            out.push('\n');
        }
        out.push('\n');
    }
    if settings.single_transaction {
        out.push_str("COMMIT;\n\n");
    }
    if dialect == Dialect::Postgres {
        out.push_str(&format!(
            "SELECT pg_advisory_unlock({});\nSELECT pg_advisory_unlock({});\n",
            settings.tables.lock_key_sql(),
            settings.tables.lock_key()
        ));
    }
    out
}
