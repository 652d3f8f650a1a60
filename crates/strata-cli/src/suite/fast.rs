//! The stairway's step on PostgreSQL when the data check is off and the migration runs in a
//! transaction both ways: one transaction per step on the scratch session, no runner lock or
//! state re-read per migration. The up is applied, a savepoint set, the down applied and the
//! schema's fingerprint compared with the one before the up; rolling back to the savepoint then
//! gives the schema after the up without applying it a second time (the same SQL on the same
//! schema). Only when the fingerprints differ are the three models read (after the down, after
//! the up by rolling back to the savepoint, before the up by rolling back the transaction), the
//! up applied again after the down to see whether it fails, and the step applied for good.

use super::fingerprint::Fingerprinter;
use super::timing::Timings;
use super::{finding, Run};
use crate::context::Connection;
use crate::desired::Workspace;
use crate::error::{db_err, CliError};
use crate::suite::report::Case;
use strata_engine::migrator::Silent;
use strata_engine::{Migrator, Settings};
use strata_files::MigrationFile;
use strata_graph::Step;
use strata_schema::Schema;

/// Where the stair stands between steps.
pub(super) struct Position {
    /// The model of the schema, when `known`.
    pub before: Schema,
    pub known: bool,
    /// The fingerprint of the schema (always current).
    pub fp: String,
    /// The applied heads, when known without reading them.
    pub heads: Option<Vec<String>>,
}

pub(super) enum Outcome {
    /// The step is not one for this path: the caller runs it through the `Migrator`.
    Slow,
    Done,
    /// The up failed: the stair stops.
    UpFailed,
    /// A migration outside a transaction did not come back as it was: the caller rebuilds the
    /// scratch database below it and tests it again through the `Migrator`, reading the models.
    Retry,
    /// The step is tested (and failed) but left the scratch database where the next cannot
    /// start: the caller rebuilds it with this revision applied.
    Rebuild,
}

pub(super) struct Stepper<'a> {
    pub run: &'a Run<'a>,
    pub ws: &'a Workspace<'a>,
    pub settings: Settings,
    pub tm: &'a Timings,
    /// strata.toml has a `[versioning]` table: each up's impact is checked against its
    /// `-- strata:impact` line, which needs the models before and after it.
    pub versioning: bool,
}

const SAVE_UP: &str = "SAVEPOINT strata_test_up;";
const BACK_TO_UP: &str = "ROLLBACK TO SAVEPOINT strata_test_up";

impl Stepper<'_> {
    fn exec(&self, conn: &mut Connection, sql: &str) -> Result<(), CliError> {
        self.tm
            .time("control", || conn.db().execute(sql))
            .map_err(db_err("the scratch database failed"))
    }

    /// `sql` (strata's control SQL, or nothing), then the fingerprint, in one round trip.
    fn fingerprint(
        &self,
        fpr: &mut Fingerprinter,
        conn: &mut Connection,
        sql: &str,
    ) -> Result<String, CliError> {
        self.tm
            .time("fingerprint", || fpr.take_after(conn, sql))
            .map_err(db_err("could not read the scratch database's schema"))
    }

    fn introspect(&self, conn: &mut Connection) -> Result<Schema, CliError> {
        self.tm.time("introspect", || self.ws.introspect(conn))
    }

    fn introspect_in_transaction(&self, conn: &mut Connection) -> Result<Schema, CliError> {
        self.tm
            .time("introspect", || self.ws.introspect_in_transaction(conn))
    }

    /// Applies `step` in the open transaction, `before` and `after` riding along with its first
    /// and last statements.
    fn apply(
        &self,
        conn: &mut Connection,
        step: &Step,
        phase: &'static str,
        before: &str,
        after: &str,
    ) -> Result<(), strata_engine::EngineError> {
        let mut m = Migrator::new(conn.db(), self.run.migrations, self.settings.clone());
        self.tm
            .time(phase, || m.apply_in_open_transaction(step, before, after))
            .map(|_| ())
    }

    /// The one step that applies `revision` from `heads`, or its down back, when it is a single
    /// step.
    fn single(planned: Result<Vec<Step>, strata_graph::TargetError>) -> Option<Step> {
        match planned {
            Ok(mut steps) if steps.len() == 1 => steps.pop(),
            _ => None,
        }
    }

    /// Tests `revision` (see the module's comment), filling `case`.
    pub fn step(
        &self,
        fpr: &mut Fingerprinter,
        conn: &mut Connection,
        at: &mut Position,
        revision: &str,
        file: &MigrationFile,
        case: &mut Case,
    ) -> Result<Outcome, CliError> {
        let reversible = file.irreversible.is_none();
        if file.non_transactional(false).is_some()
            || (reversible && file.non_transactional(true).is_some())
        {
            if self.versioning {
                return Ok(Outcome::Slow);
            }
            return self.outside(fpr, conn, at, revision, file, case);
        }
        let graph = &self.run.migrations.graph;
        let heads = match &at.heads {
            Some(h) => h.clone(),
            None => {
                let mut m = Migrator::new(conn.db(), self.run.migrations, self.settings.clone());
                m.ensure_state().map_err(CliError::Engine)?;
                m.heads().map_err(CliError::Engine)?
            }
        };
        let Some(up) = Self::single(graph.plan_upgrade(&heads, revision)) else {
            return Ok(Outcome::Slow);
        };
        let down = if reversible {
            let Some(down) =
                Self::single(graph.plan_downgrade(&up.heads_after, &format!("{revision}@base")))
            else {
                return Ok(Outcome::Slow);
            };
            Some(down)
        } else {
            None
        };
        if self.versioning && !at.known {
            at.before = self.introspect(conn)?;
            at.known = true;
        }
        let save = if down.is_some() { SAVE_UP } else { "" };
        if let Err(e) = self.apply(conn, &up, "up", "BEGIN;", save) {
            self.exec(conn, "ROLLBACK")?;
            case.failures.push(finding(e, "up")?);
            at.heads = Some(heads);
            return Ok(Outcome::UpFailed);
        }
        let mut model_up = None;
        if self.versioning {
            let after_up = self.introspect_in_transaction(conn)?;
            case.failures.extend(super::impact::header_problem(
                self.ws, file, &at.before, &after_up,
            ));
            model_up = Some(after_up);
        }
        let Some(down) = down else {
            case.notes.push(format!(
                "irreversible ({}): the stair stops here; the migrations above are tested from this revision",
                file.irreversible.as_deref().unwrap_or_default()
            ));
            return self.moved(fpr, conn, at, up.heads_after, "COMMIT", model_up);
        };
        let back = format!("{BACK_TO_UP};\nCOMMIT");
        if let Err(e) = self.apply(conn, &down, "down", "", "") {
            case.failures.push(finding(e, "down")?);
            return self.moved(fpr, conn, at, up.heads_after, &back, model_up);
        }
        let undone_fp = self.fingerprint(fpr, conn, "")?;
        if undone_fp == at.fp {
            return self.moved(fpr, conn, at, up.heads_after, &back, model_up);
        }
        // The down did not give the schema back: read the three models.
        let after_down = self.introspect_in_transaction(conn)?;
        if let Some(again) = Self::single(graph.plan_upgrade(&down.heads_after, revision)) {
            if let Err(e) = self.apply(conn, &again, "up", "SAVEPOINT strata_test_down;", "") {
                case.failures
                    .push(finding(e, "up applied again after the down")?);
            }
        }
        self.exec(conn, BACK_TO_UP)?;
        let after_up = self.introspect_in_transaction(conn)?;
        self.exec(conn, "ROLLBACK")?;
        let before = if at.known {
            std::mem::take(&mut at.before)
        } else {
            self.introspect(conn)?
        };
        let undone = strata_schema::undo::undo_differences(&before, &after_up, &after_down);
        // PostgreSQL appends a re-added column: a down cannot put it back in place.
        let (order, undone): (Vec<String>, Vec<String>) = undone
            .into_iter()
            .partition(|d| d.contains(" in another order: "));
        case.notes.extend(order);
        // The down's findings come before the second up's.
        let again = std::mem::take(&mut case.failures);
        case.failures.extend(undone);
        case.failures.extend(again);
        // The step for good.
        if let Err(e) = self.apply(conn, &up, "up", "BEGIN;", "") {
            self.exec(conn, "ROLLBACK")?;
            case.failures.push(finding(e, "up")?);
            at.heads = Some(heads);
            at.before = before;
            return Ok(Outcome::UpFailed);
        }
        self.moved(fpr, conn, at, up.heads_after, "COMMIT", Some(after_up))
    }

    /// A migration that runs outside a transaction (either way): up, down and up again through
    /// the `Migrator` (each a run of its own), compared by fingerprints only. Anything else than
    /// a clean round trip is left to the caller to test again with the models ([`Outcome::Retry`]).
    fn outside(
        &self,
        fpr: &mut Fingerprinter,
        conn: &mut Connection,
        at: &mut Position,
        revision: &str,
        file: &MigrationFile,
        case: &mut Case,
    ) -> Result<Outcome, CliError> {
        at.heads = None;
        let run = |conn: &mut Connection, up: bool, phase: &'static str| {
            let mut m = Migrator::new(conn.db(), self.run.migrations, self.settings.clone());
            self.tm.time(phase, || {
                if up {
                    m.upgrade(revision, &mut Silent)
                } else {
                    m.downgrade(&format!("{revision}@base"), &mut Silent)
                }
            })
        };
        if let Err(e) = run(conn, true, "up") {
            case.failures.push(finding(e, "up")?);
            return Ok(Outcome::UpFailed);
        }
        let up_fp = self.fingerprint(fpr, conn, "")?;
        if let Some(reason) = &file.irreversible {
            case.notes.push(format!(
                "irreversible ({reason}): the stair stops here; the migrations above are tested from this revision"
            ));
            at.fp = up_fp;
            at.known = false;
            return Ok(Outcome::Done);
        }
        if let Err(e) = run(conn, false, "down") {
            // Outside a transaction, part of the down may have run: the scratch database is
            // rebuilt with this revision applied.
            case.failures.push(finding(e, "down")?);
            return Ok(Outcome::Rebuild);
        }
        if self.fingerprint(fpr, conn, "")? != at.fp {
            return Ok(Outcome::Retry);
        }
        if run(conn, true, "up").is_err() {
            return Ok(Outcome::Retry);
        }
        let again_fp = self.fingerprint(fpr, conn, "")?;
        if again_fp != up_fp {
            return Ok(Outcome::Retry);
        }
        at.fp = again_fp;
        at.known = false;
        Ok(Outcome::Done)
    }

    /// After the up: `sql` commits it, then the new heads and fingerprint, and the model when
    /// it was read.
    fn moved(
        &self,
        fpr: &mut Fingerprinter,
        conn: &mut Connection,
        at: &mut Position,
        heads: Vec<String>,
        sql: &str,
        model: Option<Schema>,
    ) -> Result<Outcome, CliError> {
        at.heads = Some(heads);
        at.fp = self.fingerprint(fpr, conn, sql)?;
        at.known = model.is_some();
        if let Some(model) = model {
            at.before = model;
        }
        Ok(Outcome::Done)
    }
}
