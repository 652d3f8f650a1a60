//! strata-online as the engine's [`OnlineMigrations`] on PostgreSQL: what `strata upgrade`,
//! `strata start` and a program's `strata::migrate` run when their plan reaches an online
//! migration. The engine decides the order (plain migrations first, refusals while one is in
//! progress, resuming); [`OnlineRunner`] reads the migration's operations, validates and plans
//! them against the live schema, and runs the expand phase with [`crate::start`].

use crate::error::OnlineError;
use crate::file::{parse, OnlineMigration};
use crate::plan::{MigrationPlan, StepKind};
use crate::run::{prepare, start, status, Progress, RunOptions, State};
use crate::watch::LockWatch;
use std::collections::BTreeMap;
use std::time::Duration;
use strata_core::quote_literal;
use strata_engine::{
    Expanded, InProgress, OnlineMigrations, OnlineProgress, OnlineState, Reporter,
};
use strata_files::MigrationFile;
use strata_postgres::Postgres;

/// Online migrations on PostgreSQL, for the engine's
/// [`Migrator::upgrade_online`](strata_engine::Migrator::upgrade_online) and
/// [`Migrator::start_online`](strata_engine::Migrator::start_online).
#[derive(Debug)]
pub struct OnlineRunner {
    /// State table, lock timeout and retries, backfill batches.
    pub options: RunOptions,
    /// `(url, threshold)`: watch the session's locks while expanding ([`LockWatch`]).
    watch: Option<(String, Duration)>,
    /// The migration [`OnlineMigrations::read`] read last.
    read: Option<OnlineMigration>,
}

impl OnlineRunner {
    pub fn new(options: RunOptions) -> OnlineRunner {
        OnlineRunner {
            options,
            watch: None,
            read: None,
        }
    }

    /// Watches the session's locks while expanding: a statement that keeps other sessions
    /// queued behind its lock request for `max_blocking` is cancelled and retried. The watcher
    /// needs a second connection, to `url` (the database the runner works on). A zero
    /// `max_blocking` leaves it off.
    pub fn watch_locks(mut self, url: &str, max_blocking: Duration) -> OnlineRunner {
        self.watch = Some((url.to_owned(), max_blocking));
        self
    }

    fn migration(&mut self, file: &MigrationFile) -> Result<OnlineMigration, OnlineError> {
        match &self.read {
            Some(migration) if migration.id == file.id => Ok(migration.clone()),
            _ => {
                self.read(file)?;
                Ok(self.read.clone().expect("just read"))
            }
        }
    }
}

impl OnlineMigrations<Postgres> for OnlineRunner {
    type Error = OnlineError;

    fn in_progress(&mut self, pg: &mut Postgres) -> Result<Option<InProgress>, OnlineError> {
        Ok(status(pg, &self.options)?.into_iter().find_map(|s| {
            Some(InProgress {
                state: s.state.in_progress_state()?,
                revision: s.migration,
                version_schema: s.version_schema,
                search_path: s.search_path,
            })
        }))
    }

    fn read(&mut self, file: &MigrationFile) -> Result<(), OnlineError> {
        let text = file.online_source.as_deref().ok_or_else(|| {
            OnlineError::State(format!("{} is not an online migration", file.path))
        })?;
        self.read = Some(parse(&file.path, text).map_err(OnlineError::Invalid)?);
        Ok(())
    }

    fn expand(
        &mut self,
        pg: &mut Postgres,
        file: &MigrationFile,
        resume: bool,
        reporter: &mut dyn Reporter,
    ) -> Result<Expanded, OnlineError> {
        let migration = self.migration(file)?;
        let mut opts = self.options.clone();
        // Validate and plan first: a missing table or column, or an expression the server
        // rejects, stops here with nothing changed. (A resumed start runs the plan it stored.)
        let estimates = if resume {
            BTreeMap::new()
        } else {
            let plan = prepare(pg, &migration, &opts)?;
            row_estimates(pg, &plan)
        };
        if let Some((url, threshold)) = &self.watch {
            opts.watch = LockWatch::on_session(pg, url, *threshold)?;
        }
        let outcome = start(pg, &migration, &opts, &mut |p| {
            let estimated = match p {
                Progress::Batch { table, .. } => estimates.get(&table.to_string()).copied(),
                _ => None,
            };
            reporter.online_progress(&p.to_engine(estimated));
        });
        if let Some(watch) = &opts.watch {
            watch.stop();
            if watch.cancellations() > 0 {
                reporter.notice(&format!(
                    "the lock watcher cancelled {} statement(s) that kept other sessions waiting; they were retried",
                    watch.cancellations()
                ));
            }
        }
        let outcome = outcome?;
        let status = status(pg, &opts)?
            .into_iter()
            .find(|s| s.migration == migration.id);
        Ok(Expanded {
            state: outcome
                .state
                .in_progress_state()
                .unwrap_or(OnlineState::Active),
            version_schema: status
                .as_ref()
                .map(|s| s.version_schema.clone())
                .unwrap_or_default(),
            search_path: status.map(|s| s.search_path).unwrap_or_default(),
            rows: outcome.rows,
        })
    }
}

impl State {
    /// The engine's name for a state between start and the end of complete or rollback; `None`
    /// for completed and rolled-back migrations.
    pub fn in_progress_state(self) -> Option<OnlineState> {
        match self {
            State::Expanding => Some(OnlineState::Expanding),
            State::Active => Some(OnlineState::Active),
            State::Contracting => Some(OnlineState::Contracting),
            State::Aborting => Some(OnlineState::Aborting),
            State::Completed | State::RolledBack => None,
        }
    }
}

impl Progress<'_> {
    /// As the engine's [`OnlineProgress`], for a [`Reporter`]; `estimated_rows`: of a batch's
    /// table, when known.
    pub fn to_engine(&self, estimated_rows: Option<u64>) -> OnlineProgress<'_> {
        match *self {
            Progress::Step {
                phase,
                number,
                total,
                description,
            } => OnlineProgress::Step {
                phase: phase.name(),
                number,
                total,
                description,
            },
            Progress::Batch {
                table,
                column,
                rows,
                batches,
            } => OnlineProgress::Batch {
                table,
                column,
                rows,
                batches,
                estimated_rows,
            },
            Progress::Retry {
                description,
                attempt,
                error,
            } => OnlineProgress::Retry {
                description,
                attempt,
                error,
            },
        }
    }
}

/// Estimated rows of each table a backfill of `plan` runs on (from the planner's statistics),
/// for a progress bar's ETA.
pub fn row_estimates(pg: &mut Postgres, plan: &MigrationPlan) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for step in &plan.expand {
        if let StepKind::Backfill(b) = &step.kind {
            let sql = format!(
                "SELECT GREATEST(reltuples, 0)::bigint FROM pg_catalog.pg_class WHERE oid = {}::regclass",
                quote_literal(&b.table.to_string())
            );
            if let Ok(rows) = pg.simple_query_rows(&sql) {
                if let Some(n) = rows
                    .first()
                    .and_then(|r| r.first().cloned().flatten())
                    .and_then(|v| v.parse().ok())
                {
                    out.insert(b.table.to_string(), n);
                }
            }
        }
    }
    out
}
