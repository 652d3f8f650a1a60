//! Running the phases on PostgreSQL, resumably.
//!
//! The plan of a started migration is stored in the state table (`strata_online_state`) with the
//! phase and the index of the next step, so `complete` and `rollback` run exactly the steps
//! `start` planned, whatever the schema has become, and an interrupted command resumes where it
//! stopped when run again:
//!
//! - a transactional step and its state update commit together (`BEGIN; SET LOCAL lock_timeout;
//!   step; UPDATE state; COMMIT`), so it ran entirely or not at all;
//! - a non-transactional step (`CONCURRENTLY`) is idempotent (`IF [NOT] EXISTS`; an INVALID index
//!   left by a failed build is dropped first), so running it again is harmless;
//! - a backfill commits each batch with its cursor (the last primary key of the batch), so a
//!   killed backfill restarts after the last committed batch and fills every row exactly once.
//!
//! A lock timeout (SQLSTATE 55P03) is retried `lock_retries` times with exponential backoff.
//! Only one online command runs at a time (a session advisory lock).

use crate::error::OnlineError;
use crate::file::OnlineMigration;
use crate::plan::{self, Backfill, Ctx, MigrationPlan, Phase, PlanOptions, Step, StepKind};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use strata_core::{quote_literal, QualifiedName};
use strata_engine::{Database, DbError};
use strata_postgres::{introspect, IntrospectOptions, Postgres};

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The state table (unqualified: the first schema of the `search_path`).
    pub state_table: QualifiedName,
    /// `lock_timeout` of each DDL step and backfill batch (of the steps the plan runs under one).
    pub lock_timeout: Duration,
    /// Retries after a lock timeout, per step or batch.
    pub lock_retries: u32,
    /// Wait before the first retry; doubled for each next one.
    pub retry_backoff: Duration,
    /// Rows per backfill batch.
    pub batch_size: u64,
    /// Pause between batches (to let replicas and vacuum keep up).
    pub batch_pause: Duration,
    /// Stop after this many batches (the command reports an unfinished backfill; run `backfill`
    /// to continue). `None`: run to the end.
    pub batch_limit: Option<u64>,
    /// A watcher of this session ([`crate::watch::LockWatch`]): a statement it cancelled because
    /// it blocked others is retried like a lock timeout.
    pub watch: Option<std::sync::Arc<crate::watch::LockWatch>>,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            state_table: QualifiedName::new(None, "strata_online_state"),
            lock_timeout: Duration::from_secs(2),
            lock_retries: 5,
            retry_backoff: Duration::from_millis(200),
            batch_size: plan::DEFAULT_BATCH_SIZE,
            batch_pause: Duration::ZERO,
            batch_limit: None,
            watch: None,
        }
    }
}

impl RunOptions {
    /// The options of a run with the engine's `settings`: their lock timeout and lock retries
    /// (when set), and the state table next to the version table.
    pub fn from_settings(settings: &strata_engine::Settings) -> RunOptions {
        let mut opts = RunOptions::default();
        if let Some(timeout) = settings.lock_timeout {
            opts.lock_timeout = timeout;
        }
        if settings.lock_retries > 0 {
            opts.lock_retries = settings.lock_retries;
        }
        opts.state_table = QualifiedName::new(
            settings.tables.version.schema.as_deref(),
            "strata_online_state",
        );
        opts
    }
}

/// Where a migration is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// `start` is running or was interrupted (run `start` or `backfill` again to resume).
    Expanding,
    /// Expanded: old and new clients both work.
    Active,
    /// `complete` is running or was interrupted (run it again).
    Contracting,
    Completed,
    /// `rollback` is running or was interrupted (run it again).
    Aborting,
    RolledBack,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Expanding => "expanding",
            State::Active => "active",
            State::Contracting => "contracting",
            State::Completed => "completed",
            State::Aborting => "aborting",
            State::RolledBack => "rolled_back",
        }
    }

    fn parse(text: &str) -> Option<State> {
        [
            State::Expanding,
            State::Active,
            State::Contracting,
            State::Completed,
            State::Aborting,
            State::RolledBack,
        ]
        .into_iter()
        .find(|s| s.name() == text)
    }

    fn in_progress(self) -> bool {
        matches!(
            self,
            State::Expanding | State::Active | State::Contracting | State::Aborting
        )
    }

    fn phase(self) -> Option<Phase> {
        match self {
            State::Expanding => Some(Phase::Expand),
            State::Contracting => Some(Phase::Contract),
            State::Aborting => Some(Phase::Abort),
            _ => None,
        }
    }
}

/// What a command reports as it goes (the library never prints).
#[derive(Debug)]
#[non_exhaustive]
pub enum Progress<'a> {
    Step {
        phase: Phase,
        /// 1-based.
        number: usize,
        total: usize,
        description: &'a str,
    },
    Batch {
        table: &'a QualifiedName,
        column: &'a str,
        /// Rows filled so far by this backfill (across resumptions).
        rows: u64,
        batches: u64,
    },
    Retry {
        description: &'a str,
        attempt: u32,
        error: &'a DbError,
    },
}

/// What a command did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub migration: String,
    pub state: State,
    /// Backfill batches and rows of this run.
    pub batches: u64,
    pub rows: u64,
}

/// The progress of one backfill, as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackfillProgress {
    /// The last primary key of the last committed batch (text of each key column).
    pub cursor: Option<Vec<String>>,
    pub rows: u64,
    pub batches: u64,
    pub done: bool,
}

/// A migration known to the state table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub migration: String,
    pub state: State,
    pub version_schema: String,
    /// The `search_path` for clients of the new version.
    pub search_path: String,
    /// 0-based index of the next step of the current phase, and how many it has.
    pub next_step: usize,
    pub steps: usize,
    /// `(table, column, progress)` of each backfill of the plan.
    pub backfills: Vec<(QualifiedName, String, BackfillProgress)>,
}

/// Advisory-lock key of online commands ("strataon" in ASCII).
const LOCK_KEY: i64 = 0x7374_7261_7461_6f6e;

/// Reads the schema, validates the migration, plans it and checks its SQL fragments against the
/// database, changing nothing: what `start` would run (for `--sql` and `--dry-run`).
pub fn prepare(
    pg: &mut Postgres,
    migration: &OnlineMigration,
    opts: &RunOptions,
) -> Result<MigrationPlan, OnlineError> {
    let default_schema = one_value(pg, "SELECT current_schema()")?.ok_or_else(|| {
        OnlineError::State(
            "the search_path names no existing schema; set it to the schema of the tables"
                .to_owned(),
        )
    })?;
    let mut introspect_options = IntrospectOptions::default();
    introspect_options
        .exclude_tables
        .push(opts.state_table.clone());
    let schema = introspect(pg, &introspect_options)?;
    let diagnostics = crate::validate(migration, &schema, &default_schema);
    if !diagnostics.is_empty() {
        return Err(OnlineError::Invalid(diagnostics));
    }
    let plan_options = PlanOptions {
        default_schema,
        lock_timeout: opts.lock_timeout,
    };
    let ctx = Ctx::new(migration, &schema, &plan_options);
    let diagnostics = crate::preflight::check(pg, migration, &ctx);
    if !diagnostics.is_empty() {
        return Err(OnlineError::Invalid(diagnostics));
    }
    Ok(plan::build(migration, &schema, &plan_options))
}

/// `strata start`: validates the migration, stores its plan and runs the expand phase (DDL,
/// triggers, backfills, then the version schema). Resumes an interrupted start of the same
/// migration. Returns [`State::Expanding`] when `batch_limit` stopped a backfill.
pub fn start(
    pg: &mut Postgres,
    migration: &OnlineMigration,
    opts: &RunOptions,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<Outcome, OnlineError> {
    locked(pg, |pg| {
        let table = opts.state_table.to_string();
        let existing = if state_table_exists(pg, opts)? {
            read_all(pg, opts)?
        } else {
            Vec::new()
        };
        if let Some(other) = existing
            .iter()
            .find(|r| r.migration != migration.id && r.state.in_progress())
        {
            return Err(OnlineError::InProgress(other.migration.clone()));
        }
        match existing.iter().find(|r| r.migration == migration.id) {
            Some(row) if row.state == State::Expanding => {
                return resume(pg, row.clone(), opts, progress);
            }
            Some(row) if row.state == State::Active => {
                return Ok(Outcome {
                    migration: row.migration.clone(),
                    state: State::Active,
                    batches: 0,
                    rows: 0,
                });
            }
            Some(row) if row.state != State::RolledBack => {
                return Err(OnlineError::State(format!(
                    "online migration {} is {}; it cannot start again",
                    row.migration,
                    row.state.name()
                )));
            }
            _ => {}
        }
        // Nothing is written before the migration is known to be valid.
        let plan = prepare(pg, migration, opts)?;
        ensure_state_table(pg, opts)?;
        let plan_json = serde_json::to_string(&plan)
            .map_err(|e| OnlineError::State(format!("cannot store the plan: {e}")))?;
        pg.execute(&format!(
            "DELETE FROM {table} WHERE migration = {id};\n\
             INSERT INTO {table} (migration, phase, next_step, version_schema, plan) VALUES ({id}, 'expanding', 0, {vs}, {plan}::jsonb);",
            id = quote_literal(&migration.id),
            vs = quote_literal(&plan.version_schema),
            plan = quote_literal(&plan_json),
        ))?;
        let row = read_row(pg, opts, &migration.id)?
            .ok_or_else(|| OnlineError::State("the state row vanished".to_owned()))?;
        resume(pg, row, opts, progress)
    })
}

/// `strata backfill` for an online migration: resumes an interrupted `start` (its remaining
/// backfill batches and steps).
pub fn backfill(
    pg: &mut Postgres,
    migration: &str,
    opts: &RunOptions,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<Outcome, OnlineError> {
    locked(pg, |pg| {
        let row = require_row(pg, opts, migration)?;
        match row.state {
            State::Expanding => resume(pg, row, opts, progress),
            State::Active => Ok(Outcome {
                migration: row.migration,
                state: State::Active,
                batches: 0,
                rows: 0,
            }),
            other => Err(OnlineError::State(format!(
                "online migration {migration} is {}; nothing to backfill",
                other.name()
            ))),
        }
    })
}

/// `strata complete`: runs the contract phase (validate, swap, drop what the old version used and
/// the version schema). Run again after an interruption, it finishes the job.
pub fn complete(
    pg: &mut Postgres,
    migration: &str,
    opts: &RunOptions,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<Outcome, OnlineError> {
    locked(pg, |pg| {
        let mut row = require_row(pg, opts, migration)?;
        match row.state {
            State::Active => {
                set_state(pg, opts, migration, State::Contracting)?;
                row.state = State::Contracting;
                row.next_step = 0;
            }
            State::Contracting => {}
            State::Completed => return Ok(Outcome { migration: row.migration, state: State::Completed, batches: 0, rows: 0 }),
            State::Expanding => {
                return Err(OnlineError::State(format!(
                    "online migration {migration} has not finished starting; run `strata backfill` (or start) to finish it, or roll it back"
                )))
            }
            other => {
                return Err(OnlineError::State(format!("online migration {migration} is {}; it cannot be completed", other.name())))
            }
        }
        resume(pg, row, opts, progress)
    })
}

/// `strata rollback`: runs the abort phase (drop the version schema, triggers, shadow and new
/// columns, new tables and indexes), keeping every row either version wrote to the old shape.
/// Works on an interrupted start too. Run again after an interruption, it finishes the job.
pub fn rollback(
    pg: &mut Postgres,
    migration: &str,
    opts: &RunOptions,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<Outcome, OnlineError> {
    locked(pg, |pg| {
        let mut row = require_row(pg, opts, migration)?;
        match row.state {
            State::Expanding | State::Active => {
                // How far start got, so that the undo of a step it never ran is skipped.
                let expanded = if row.state == State::Active {
                    row.plan.expand.len()
                } else {
                    row.next_step
                };
                set_state(pg, opts, migration, State::Aborting)?;
                pg.execute(&format!(
                    "UPDATE {} SET expanded = {expanded} WHERE migration = {}",
                    opts.state_table,
                    quote_literal(migration)
                ))?;
                row.state = State::Aborting;
                row.next_step = 0;
                row.expanded = Some(expanded);
            }
            State::Aborting => {}
            State::RolledBack => return Ok(Outcome { migration: row.migration, state: State::RolledBack, batches: 0, rows: 0 }),
            other => {
                return Err(OnlineError::State(format!(
                    "online migration {migration} is {}; complete has begun and must be finished with `strata complete`",
                    other.name()
                )))
            }
        }
        resume(pg, row, opts, progress)
    })
}

/// `strata status`: every migration in the state table (none when it does not exist yet).
pub fn status(pg: &mut Postgres, opts: &RunOptions) -> Result<Vec<Status>, OnlineError> {
    if !state_table_exists(pg, opts)? {
        return Ok(Vec::new());
    }
    Ok(read_all(pg, opts)?
        .into_iter()
        .map(|row| {
            let steps = row.state.phase().map_or(0, |p| row.plan.steps(p).len());
            let backfills = row
                .plan
                .expand
                .iter()
                .enumerate()
                .filter_map(|(i, step)| match &step.kind {
                    StepKind::Backfill(b) => Some((
                        b.table.clone(),
                        b.column.clone(),
                        row.backfill
                            .get(&i.to_string())
                            .cloned()
                            .unwrap_or_default(),
                    )),
                    _ => None,
                })
                .collect();
            Status {
                search_path: row.plan.search_path(),
                migration: row.migration,
                state: row.state,
                version_schema: row.plan.version_schema.clone(),
                next_step: row.next_step,
                steps,
                backfills,
            }
        })
        .collect())
}

/// A row of the state table.
#[derive(Clone, Debug)]
struct Row {
    migration: String,
    state: State,
    next_step: usize,
    plan: MigrationPlan,
    backfill: std::collections::BTreeMap<String, BackfillProgress>,
    /// Expand steps done when rollback began (NULL before).
    expanded: Option<usize>,
}

fn locked<T>(
    pg: &mut Postgres,
    f: impl FnOnce(&mut Postgres) -> Result<T, OnlineError>,
) -> Result<T, OnlineError> {
    if one_value(pg, &format!("SELECT pg_try_advisory_lock({LOCK_KEY})"))?.as_deref() != Some("t") {
        return Err(OnlineError::Locked);
    }
    let result = f(pg);
    let unlocked = one_value(pg, &format!("SELECT pg_advisory_unlock({LOCK_KEY})"));
    let value = result?;
    unlocked?;
    Ok(value)
}

fn one_value(pg: &mut Postgres, sql: &str) -> Result<Option<String>, DbError> {
    Ok(pg
        .simple_query_rows(sql)?
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten()))
}

fn state_table_exists(pg: &mut Postgres, opts: &RunOptions) -> Result<bool, DbError> {
    Ok(one_value(
        pg,
        &format!(
            "SELECT pg_catalog.to_regclass({}) IS NOT NULL",
            quote_literal(&opts.state_table.to_string())
        ),
    )?
    .as_deref()
        == Some("t"))
}

fn ensure_state_table(pg: &mut Postgres, opts: &RunOptions) -> Result<(), DbError> {
    pg.execute(&format!(
        "CREATE TABLE IF NOT EXISTS {} (\n\
           migration text PRIMARY KEY,\n\
           phase text NOT NULL,\n\
           next_step integer NOT NULL DEFAULT 0,\n\
           version_schema text NOT NULL,\n\
           plan jsonb NOT NULL,\n\
           backfill jsonb NOT NULL DEFAULT '{{}}',\n\
           expanded integer,\n\
           started_at timestamptz NOT NULL DEFAULT now(),\n\
           updated_at timestamptz NOT NULL DEFAULT now()\n\
         )",
        opts.state_table
    ))
}

fn parse_row(values: Vec<Option<String>>) -> Result<Row, OnlineError> {
    let bad =
        |what: &str| OnlineError::State(format!("the state table holds an unreadable {what}"));
    let mut v = values.into_iter();
    let migration = v.next().flatten().ok_or_else(|| bad("migration"))?;
    let state = v
        .next()
        .flatten()
        .as_deref()
        .and_then(State::parse)
        .ok_or_else(|| bad("phase"))?;
    let next_step = v
        .next()
        .flatten()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("next_step"))?;
    let plan =
        serde_json::from_str(&v.next().flatten().unwrap_or_default()).map_err(|_| bad("plan"))?;
    let backfill = serde_json::from_str(&v.next().flatten().unwrap_or_else(|| "{}".to_owned()))
        .map_err(|_| bad("backfill"))?;
    let expanded = v.next().flatten().and_then(|s| s.parse().ok());
    Ok(Row {
        migration,
        state,
        next_step,
        plan,
        backfill,
        expanded,
    })
}

const COLUMNS: &str = "migration, phase, next_step, plan::text, backfill::text, expanded";

fn read_all(pg: &mut Postgres, opts: &RunOptions) -> Result<Vec<Row>, OnlineError> {
    pg.simple_query_rows(&format!(
        "SELECT {COLUMNS} FROM {} ORDER BY started_at, migration",
        opts.state_table
    ))?
    .into_iter()
    .map(parse_row)
    .collect()
}

fn read_row(
    pg: &mut Postgres,
    opts: &RunOptions,
    migration: &str,
) -> Result<Option<Row>, OnlineError> {
    pg.simple_query_rows(&format!(
        "SELECT {COLUMNS} FROM {} WHERE migration = {}",
        opts.state_table,
        quote_literal(migration)
    ))?
    .into_iter()
    .next()
    .map(parse_row)
    .transpose()
}

fn require_row(pg: &mut Postgres, opts: &RunOptions, migration: &str) -> Result<Row, OnlineError> {
    let row = if state_table_exists(pg, opts)? {
        read_row(pg, opts, migration)?
    } else {
        None
    };
    row.ok_or_else(|| {
        OnlineError::State(format!("online migration {migration} has not been started"))
    })
}

fn set_state(
    pg: &mut Postgres,
    opts: &RunOptions,
    migration: &str,
    state: State,
) -> Result<(), DbError> {
    pg.execute(&format!(
        "UPDATE {} SET phase = {}, next_step = 0, updated_at = now() WHERE migration = {}",
        opts.state_table,
        quote_literal(state.name()),
        quote_literal(migration)
    ))
}

/// Runs the current phase of `row` from its next step; on success moves to the phase's end
/// state.
fn resume(
    pg: &mut Postgres,
    row: Row,
    opts: &RunOptions,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<Outcome, OnlineError> {
    let phase = row.state.phase().ok_or_else(|| {
        OnlineError::State(format!("nothing to run in state {}", row.state.name()))
    })?;
    let mut runner = Runner {
        pg,
        opts,
        migration: &row.migration,
        batches: 0,
        rows: 0,
    };
    let steps = row.plan.steps(phase);
    for (i, step) in steps.iter().enumerate().skip(row.next_step) {
        progress(&Progress::Step {
            phase,
            number: i + 1,
            total: steps.len(),
            description: &step.description,
        });
        let finished = match &step.kind {
            StepKind::Undo { expand_step }
                if row.expanded.is_some_and(|done| *expand_step >= done) =>
            {
                runner.pg.execute(&runner.advance(i))?;
                true
            }
            StepKind::Backfill(b) => {
                let stored = row
                    .backfill
                    .get(&i.to_string())
                    .cloned()
                    .unwrap_or_default();
                runner.backfill(phase, i, step, b, stored, progress)?
            }
            _ => {
                runner.step(phase, i, step, progress)?;
                true
            }
        };
        if !finished {
            return Ok(Outcome {
                migration: row.migration.clone(),
                state: row.state,
                batches: runner.batches,
                rows: runner.rows,
            });
        }
    }
    let end = match phase {
        Phase::Expand => State::Active,
        Phase::Contract => State::Completed,
        Phase::Abort => State::RolledBack,
    };
    set_state(runner.pg, opts, &row.migration, end)?;
    Ok(Outcome {
        migration: row.migration.clone(),
        state: end,
        batches: runner.batches,
        rows: runner.rows,
    })
}

struct Runner<'a> {
    pg: &'a mut Postgres,
    opts: &'a RunOptions,
    migration: &'a str,
    batches: u64,
    rows: u64,
}

fn millis(d: Duration) -> String {
    quote_literal(&format!("{}ms", d.as_millis().max(1)))
}

fn terminated(sql: &str) -> String {
    let trimmed = sql.trim_end();
    if trimmed.ends_with(';') {
        trimmed.to_owned()
    } else {
        format!("{trimmed};")
    }
}

impl Runner<'_> {
    fn advance(&self, index: usize) -> String {
        format!(
            "UPDATE {} SET next_step = {}, updated_at = now() WHERE migration = {};",
            self.opts.state_table,
            index + 1,
            quote_literal(self.migration)
        )
    }

    /// Runs `attempt` until it succeeds or fails with something other than a lock timeout, or
    /// the retries are used up.
    fn retrying<T>(
        &mut self,
        phase: Phase,
        index: usize,
        step: &Step,
        progress: &mut dyn FnMut(&Progress<'_>),
        mut attempt: impl FnMut(&mut Postgres) -> Result<T, DbError>,
    ) -> Result<T, OnlineError> {
        let mut tries = 0;
        loop {
            match attempt(self.pg) {
                Ok(value) => return Ok(value),
                Err(error) => {
                    // End the failed transaction, if any (a warning when there is none).
                    let _ = self.pg.execute("ROLLBACK");
                    let cancelled_by_watch = crate::watch::is_cancel(&error)
                        && self.opts.watch.as_ref().is_some_and(|w| w.take_cancelled());
                    if (error.is_lock_timeout() || cancelled_by_watch)
                        && tries < self.opts.lock_retries
                        && !error.connection
                    {
                        tries += 1;
                        progress(&Progress::Retry {
                            description: &step.description,
                            attempt: tries,
                            error: &error,
                        });
                        std::thread::sleep(
                            self.opts.retry_backoff * 2u32.saturating_pow(tries - 1),
                        );
                        continue;
                    }
                    return Err(OnlineError::Step {
                        phase,
                        number: index + 1,
                        description: step.description.clone(),
                        source: Box::new(error),
                    });
                }
            }
        }
    }

    /// The plan says whether a step runs under a lock timeout; its length is the run's setting
    /// (it may differ from the one the plan was printed with).
    fn lock_timeout(&self, step: &Step) -> Option<Duration> {
        step.lock_timeout.map(|_| self.opts.lock_timeout)
    }

    fn step(
        &mut self,
        phase: Phase,
        index: usize,
        step: &Step,
        progress: &mut dyn FnMut(&Progress<'_>),
    ) -> Result<(), OnlineError> {
        let advance = self.advance(index);
        if step.transactional {
            let mut sql = "BEGIN;\n".to_owned();
            if let Some(t) = self.lock_timeout(step) {
                sql.push_str(&format!("SET LOCAL lock_timeout = {};\n", millis(t)));
            }
            sql.push_str(&terminated(&step.sql));
            sql.push('\n');
            sql.push_str(&advance);
            sql.push_str("\nCOMMIT;");
            return self.retrying(phase, index, step, progress, |pg| pg.execute(&sql));
        }
        // Alone, outside a transaction (CONCURRENTLY refuses to run in one, even an implicit
        // multi-statement one).
        let invalid_index = match &step.kind {
            StepKind::CreateIndexConcurrently { index } => Some(index.clone()),
            _ => None,
        };
        let lock_timeout = self.lock_timeout(step);
        self.retrying(phase, index, step, progress, |pg| {
            if let Some(index) = &invalid_index {
                drop_invalid_index(pg, index)?;
            }
            if let Some(t) = lock_timeout {
                pg.execute(&format!("SET lock_timeout = {}", millis(t)))?;
            }
            let result = pg.execute(&step.sql);
            if lock_timeout.is_some() {
                let _ = pg.execute("RESET lock_timeout");
            }
            result
        })?;
        self.pg.execute(&advance)?;
        Ok(())
    }

    /// Runs backfill batches until the table is done (true) or `batch_limit` is reached (false).
    fn backfill(
        &mut self,
        phase: Phase,
        index: usize,
        step: &Step,
        b: &Backfill,
        mut state: BackfillProgress,
        progress: &mut dyn FnMut(&Progress<'_>),
    ) -> Result<bool, OnlineError> {
        let begin = match self.lock_timeout(step) {
            Some(t) => format!("BEGIN; SET LOCAL lock_timeout = {};", millis(t)),
            None => "BEGIN;".to_owned(),
        };
        loop {
            if self
                .opts
                .batch_limit
                .is_some_and(|limit| self.batches >= limit)
            {
                return Ok(false);
            }
            let sql = b.batch_sql(state.cursor.as_deref(), self.opts.batch_size.max(1));
            let state_table = self.opts.state_table.to_string();
            let migration = quote_literal(self.migration);
            let advance = self.advance(index);
            let before = state.clone();
            let (next, done) = self.retrying(phase, index, step, progress, |pg| {
                pg.execute(&begin)?;
                let rows = pg.simple_query_rows(&sql)?;
                let mut next = before.clone();
                let done = match rows.into_iter().next() {
                    None => {
                        next.done = true;
                        true
                    }
                    Some(values) => {
                        let mut values = values.into_iter();
                        let updated: u64 = values.next().flatten().and_then(|n| n.parse().ok()).unwrap_or(0);
                        next.cursor = Some(values.map(Option::unwrap_or_default).collect());
                        next.rows += updated;
                        next.batches += 1;
                        false
                    }
                };
                let json = serde_json::json!({ index.to_string(): next }).to_string();
                let mut update = format!(
                    "UPDATE {state_table} SET backfill = backfill || {}::jsonb, updated_at = now() WHERE migration = {migration};",
                    quote_literal(&json)
                );
                if done {
                    update.push('\n');
                    update.push_str(&advance);
                }
                update.push_str("\nCOMMIT;");
                pg.execute(&update)?;
                Ok((next, done))
            })?;
            if done {
                return Ok(true);
            }
            self.rows += next.rows - state.rows;
            self.batches += 1;
            state = next;
            progress(&Progress::Batch {
                table: &b.table,
                column: &b.column,
                rows: state.rows,
                batches: state.batches,
            });
            if !self.opts.batch_pause.is_zero() {
                std::thread::sleep(self.opts.batch_pause);
            }
        }
    }
}

/// Drops `index` when a failed concurrent build left it INVALID, so that `IF NOT EXISTS` does not
/// keep the broken index.
fn drop_invalid_index(pg: &mut Postgres, index: &QualifiedName) -> Result<(), DbError> {
    let invalid = one_value(
        pg,
        &format!(
            "SELECT NOT indisvalid FROM pg_catalog.pg_index WHERE indexrelid = pg_catalog.to_regclass({})",
            quote_literal(&index.to_string())
        ),
    )?;
    if invalid.as_deref() == Some("t") {
        pg.execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS {index}"))?;
    }
    Ok(())
}
