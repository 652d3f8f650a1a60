//! Online (expand/contract) migrations in a plan, ordered once for every caller — the `strata`
//! command and programs embedding strata alike.
//!
//! An online migration is not run as SQL: its expand phase starts it, and a later, separate
//! command (`strata complete`) runs its contract phase and records it as applied. So an upgrade
//! whose plan reaches one:
//!
//! - refuses while an online migration is in progress (expanding, active, contracting or
//!   aborting), unless the plan's first step is that migration and it can be resumed (an
//!   interrupted expand phase) or is already expanded (then there is nothing to do);
//! - otherwise applies the plain migrations before the first online one, under the runner lock
//!   like any upgrade, then runs that online migration's expand phase and stops there, reporting
//!   where it stopped ([`Upgraded::stopped_at`]).
//!
//! The engine decides the order; the work on an online migration is done through the
//! [`OnlineMigrations`] trait, which `strata-online` implements on PostgreSQL. The engine does
//! not depend on that crate: it would pull a PostgreSQL driver into every program that only
//! embeds SQLite migrations, and it depends on the engine itself (for [`Database`] and
//! [`DbError`]). SQLite has no online migrations: [`NoOnlineMigrations`] refuses them before
//! anything runs.

use crate::database::{Database, DbError};
use crate::migrator::{check_online, check_plan, Applied, EngineError, Migrator, Reporter};
use std::fmt;
use std::time::{Duration, Instant};
use strata_core::QualifiedName;
use strata_files::{MigrationFile, Migrations};
use strata_graph::{Direction, Step};

/// Where an online migration in progress is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OnlineState {
    /// Its expand phase is running or was interrupted (running it again resumes it).
    Expanding,
    /// Expanded: old and new clients both work; `strata complete` finishes it.
    Active,
    /// Its contract phase is running or was interrupted.
    Contracting,
    /// Its rollback is running or was interrupted.
    Aborting,
}

impl OnlineState {
    pub fn name(self) -> &'static str {
        match self {
            OnlineState::Expanding => "expanding",
            OnlineState::Active => "active",
            OnlineState::Contracting => "contracting",
            OnlineState::Aborting => "aborting",
        }
    }
}

impl fmt::Display for OnlineState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The online migration in progress on a database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InProgress {
    pub revision: String,
    pub state: OnlineState,
    /// The schema of views new clients use.
    pub version_schema: String,
    /// The `search_path` of new clients, as SQL (`"strata_v_<id>","public"`).
    pub search_path: String,
}

/// What an expand phase left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expanded {
    /// [`OnlineState::Active`], or [`OnlineState::Expanding`] when the implementation stopped
    /// before the end (a limit on backfill batches).
    pub state: OnlineState,
    pub version_schema: String,
    /// The `search_path` of new clients, as SQL.
    pub search_path: String,
    /// Rows the backfills filled in this run.
    pub rows: u64,
}

/// Progress of an online migration's phase, for a [`Reporter`] to show.
#[derive(Debug)]
#[non_exhaustive]
pub enum OnlineProgress<'a> {
    /// A step of a phase begins.
    Step {
        /// `expand`, `contract` or `abort`.
        phase: &'a str,
        /// 1-based.
        number: usize,
        total: usize,
        description: &'a str,
    },
    /// A backfill batch was committed.
    Batch {
        table: &'a QualifiedName,
        column: &'a str,
        /// Rows filled so far by this backfill (across resumptions).
        rows: u64,
        batches: u64,
        /// The table's estimated row count, when known (for an ETA).
        estimated_rows: Option<u64>,
    },
    /// A step hit a lock timeout (or was cancelled for blocking others) and is retried.
    Retry {
        description: &'a str,
        attempt: u32,
        error: &'a DbError,
    },
}

/// What the engine needs from an implementation of online migrations on databases of type `D`
/// (`strata_online::Runner` on PostgreSQL). The engine decides when to call it; the
/// implementation does the work and reports progress through the [`Reporter`] (it never prints).
pub trait OnlineMigrations<D: ?Sized> {
    /// What goes wrong in the implementation (an invalid migration, a failed step).
    type Error: std::error::Error + Send + Sync + 'static;

    /// The online migration that is between the start of its expand phase and the end of its
    /// contract phase or rollback, if any (at most one is).
    fn in_progress(&mut self, db: &mut D) -> Result<Option<InProgress>, Self::Error>;

    /// Reads the operations of the online migration `file`, changing nothing. Called before the
    /// run applies anything, so an unreadable online migration stops it with the database
    /// untouched. (Its check against the schema belongs to [`OnlineMigrations::expand`]: the
    /// plain migrations before it may create what it names.)
    fn read(&mut self, file: &MigrationFile) -> Result<(), Self::Error>;

    /// Runs the expand phase of `file` (read by [`OnlineMigrations::read`] first), or with
    /// `resume` finishes an interrupted one with the plan it stored. Called with the runner lock
    /// held.
    fn expand(
        &mut self,
        db: &mut D,
        file: &MigrationFile,
        resume: bool,
        reporter: &mut dyn Reporter,
    ) -> Result<Expanded, Self::Error>;
}

/// Online migrations where there are none (SQLite, or a program built without them): nothing
/// is ever in progress, and a plan that reaches an online migration is refused before anything
/// runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoOnlineMigrations;

impl NoOnlineMigrations {
    fn refuse(file: &MigrationFile) -> EngineError {
        EngineError::Invalid {
            message: format!(
                "{} ({}) is an online migration: online (expand/contract) migrations need PostgreSQL",
                file.id, file.path
            ),
            hint: Some("on SQLite, write the change as a plain .sql migration".to_owned()),
        }
    }
}

impl<D: ?Sized> OnlineMigrations<D> for NoOnlineMigrations {
    type Error = EngineError;

    fn in_progress(&mut self, _db: &mut D) -> Result<Option<InProgress>, EngineError> {
        Ok(None)
    }

    fn read(&mut self, file: &MigrationFile) -> Result<(), EngineError> {
        Err(NoOnlineMigrations::refuse(file))
    }

    fn expand(
        &mut self,
        _db: &mut D,
        file: &MigrationFile,
        _resume: bool,
        _reporter: &mut dyn Reporter,
    ) -> Result<Expanded, EngineError> {
        Err(NoOnlineMigrations::refuse(file))
    }
}

/// An error of a run that may reach an online migration: the engine's, or the online
/// implementation's.
#[derive(Debug)]
#[non_exhaustive]
pub enum OnlineRunError<E> {
    Engine(EngineError),
    /// The online implementation failed: reading the migration (nothing was changed), or its
    /// expand phase (the plain migrations before it stay applied; running the same upgrade again
    /// resumes it).
    Online(E),
}

impl<E> From<EngineError> for OnlineRunError<E> {
    fn from(e: EngineError) -> Self {
        OnlineRunError::Engine(e)
    }
}

impl<E: fmt::Display> fmt::Display for OnlineRunError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OnlineRunError::Engine(e) => e.fmt(f),
            OnlineRunError::Online(e) => e.fmt(f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for OnlineRunError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OnlineRunError::Engine(e) => e.source(),
            OnlineRunError::Online(e) => e.source(),
        }
    }
}

/// What an upgrade did.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Upgraded {
    /// The plain migrations it applied, in order.
    pub applied: Vec<Applied>,
    /// The online migration it stopped at, after its expand phase (`strata complete` finishes
    /// it); `None` when the plan reached none.
    pub stopped_at: Option<OnlineStop>,
}

/// The online migration an upgrade stopped at.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct OnlineStop {
    pub revision: String,
    pub action: OnlineAction,
    /// Where it is now: [`OnlineState::Active`] once expanded.
    pub state: OnlineState,
    pub version_schema: String,
    /// The `search_path` of new clients, as SQL.
    pub search_path: String,
    /// Rows its backfills filled in this run.
    pub rows: u64,
    /// How long its expand phase took in this run.
    pub elapsed: Duration,
}

/// What an upgrade did to the online migration it stopped at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OnlineAction {
    /// Ran its expand phase.
    Started,
    /// Finished its interrupted expand phase.
    Resumed,
    /// Nothing: it was already expanded.
    AlreadyExpanded,
}

/// The index of the first online migration an upgrade plan applies.
pub fn first_online(migrations: &Migrations, steps: &[Step]) -> Option<usize> {
    steps.iter().position(|s| {
        s.direction == Direction::Up && migrations.get(&s.revision).is_some_and(|f| f.online)
    })
}

/// The refusal of a run while `p` is in progress (nothing was changed).
pub fn in_progress_error(p: &InProgress) -> EngineError {
    EngineError::Invalid {
        message: format!(
            "online migration {} is in progress ({}): migrations after it wait until it is finished",
            p.revision, p.state
        ),
        hint: Some(
            match p.state {
                OnlineState::Contracting => "run `strata complete` again to finish it",
                OnlineState::Aborting => "run `strata rollback` again to finish it",
                _ => "run `strata complete` once every client runs the new version, or `strata rollback` to undo it",
            }
            .to_owned(),
        ),
    }
}

/// `upgrade` refuses to go past an expanded online migration; `start` only reaches it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Until {
    Upgrade,
    Start,
}

impl<'m, D: Database + ?Sized> Migrator<'m, D> {
    /// Upgrades to `target` like [`Migrator::upgrade`], with online migrations in the plan
    /// (see the [module documentation](self)): applies the plain migrations before the first
    /// online one, runs its expand phase through `online` and stops there. Refuses while an
    /// online migration is in progress, unless the plan starts with it: an interrupted expand
    /// phase is resumed, an expanded one with nothing after it is reported
    /// ([`OnlineAction::AlreadyExpanded`]).
    pub fn upgrade_online<O>(
        &mut self,
        target: &str,
        online: &mut O,
        reporter: &mut dyn Reporter,
    ) -> Result<Upgraded, OnlineRunError<O::Error>>
    where
        O: OnlineMigrations<D> + ?Sized,
    {
        self.locked(reporter, |m, reporter| {
            m.until_online(target, Until::Upgrade, online, reporter)
        })
    }

    /// `strata start`: the plain migrations before the next pending online migration (towards
    /// all heads), then its expand phase. With no online migration pending it does nothing
    /// (`stopped_at` is `None`). An expanded online migration is reported, not refused, even
    /// with migrations after it.
    pub fn start_online<O>(
        &mut self,
        online: &mut O,
        reporter: &mut dyn Reporter,
    ) -> Result<Upgraded, OnlineRunError<O::Error>>
    where
        O: OnlineMigrations<D> + ?Sized,
    {
        self.locked(reporter, |m, reporter| {
            m.until_online("heads", Until::Start, online, reporter)
        })
    }

    /// Downgrades to `target` like [`Migrator::downgrade`], refusing while an online migration
    /// is in progress.
    pub fn downgrade_online<O>(
        &mut self,
        target: &str,
        online: &mut O,
        reporter: &mut dyn Reporter,
    ) -> Result<Vec<Applied>, OnlineRunError<O::Error>>
    where
        O: OnlineMigrations<D> + ?Sized,
    {
        self.locked(reporter, |m, reporter| {
            if let Some(p) = online
                .in_progress(&mut *m.db)
                .map_err(OnlineRunError::Online)?
            {
                return Err(in_progress_error(&p).into());
            }
            Ok(m.run_locked(Direction::Down, target, reporter)?)
        })
    }

    fn until_online<O>(
        &mut self,
        target: &str,
        until: Until,
        online: &mut O,
        reporter: &mut dyn Reporter,
    ) -> Result<Upgraded, OnlineRunError<O::Error>>
    where
        O: OnlineMigrations<D> + ?Sized,
    {
        // Validate against the state as it is now, before changing anything.
        let heads = self.heads()?;
        let steps = self.plan(Direction::Up, &heads, target)?;
        check_plan(self.migrations, &steps, self.settings.single_transaction)?;
        let at = first_online(self.migrations, &steps);
        let nothing = |applied| Upgraded {
            applied,
            stopped_at: None,
        };
        if until == Until::Start && at.is_none() {
            return Ok(nothing(Vec::new()));
        }
        let in_progress = online
            .in_progress(&mut *self.db)
            .map_err(OnlineRunError::Online)?;
        let Some(at) = at else {
            // Between start and complete (or rollback) the schema is in its expanded shape:
            // nothing else runs.
            if let Some(p) = in_progress {
                return Err(in_progress_error(&p).into());
            }
            check_online(
                self.migrations,
                &steps,
                self.settings.record_online.as_deref(),
            )?;
            let applied = self.apply_planned(Direction::Up, target, steps, false, reporter)?;
            return Ok(nothing(applied));
        };
        let revision = steps[at].revision.clone();
        let file = self.file(&revision);
        if let Some(p) = in_progress {
            if p.revision != revision || at > 0 {
                return Err(in_progress_error(&p).into());
            }
            return match p.state {
                OnlineState::Expanding => {
                    reporter.notice(&format!("resuming the expand phase of {revision}"));
                    online.read(file).map_err(OnlineRunError::Online)?;
                    let started = Instant::now();
                    let expanded = online
                        .expand(&mut *self.db, file, true, reporter)
                        .map_err(OnlineRunError::Online)?;
                    Ok(stopped(
                        Vec::new(),
                        revision,
                        OnlineAction::Resumed,
                        expanded,
                        started,
                    ))
                }
                OnlineState::Active if until == Until::Upgrade && steps.len() > 1 => {
                    Err(in_progress_error(&p).into())
                }
                OnlineState::Active => Ok(Upgraded {
                    applied: Vec::new(),
                    stopped_at: Some(OnlineStop {
                        revision,
                        action: OnlineAction::AlreadyExpanded,
                        state: p.state,
                        version_schema: p.version_schema,
                        search_path: p.search_path,
                        rows: 0,
                        elapsed: Duration::ZERO,
                    }),
                }),
                _ => Err(in_progress_error(&p).into()),
            };
        }
        // Read the online migration before anything runs: an unknown operation type or field
        // stops the run with nothing changed.
        online.read(file).map_err(OnlineRunError::Online)?;
        let applied = self.apply_planned(Direction::Up, target, steps, true, reporter)?;
        let started = Instant::now();
        match online.expand(&mut *self.db, file, false, reporter) {
            Ok(expanded) => Ok(stopped(
                applied,
                revision,
                OnlineAction::Started,
                expanded,
                started,
            )),
            Err(error) => {
                if !applied.is_empty() {
                    reporter.notice(&format!(
                        "the {} migration(s) before {revision} were applied; {revision} was not started",
                        applied.len()
                    ));
                }
                Err(OnlineRunError::Online(error))
            }
        }
    }
}

fn stopped(
    applied: Vec<Applied>,
    revision: String,
    action: OnlineAction,
    expanded: Expanded,
    started: Instant,
) -> Upgraded {
    Upgraded {
        applied,
        stopped_at: Some(OnlineStop {
            revision,
            action,
            state: expanded.state,
            version_schema: expanded.version_schema,
            search_path: expanded.search_path,
            rows: expanded.rows,
            elapsed: started.elapsed(),
        }),
    }
}
