//! The stairway's step on PostgreSQL when the data check is off and the migration runs in a
//! transaction both ways: one transaction per step on the scratch session, no runner lock or
//! state re-read per migration.
//!
//! Up and down run below a savepoint. Whether the down gave the schema back is decided from the
//! catalog rows the two changed, never from a read of the whole schema: the rows the transaction
//! added (still there), read on the scratch session, against the rows it deleted or updated,
//! read at the same time on a second session, which still sees them (their `xmax` is the open
//! transaction's). When the two lists are equal, the up is applied again after the down and
//! committed: that second run is the step for good. When they differ, which also happens when a
//! down re-creates an object (new oid), the rows are compared again as definitions (names, not
//! oids): the added ones before, the deleted ones after rolling back to the savepoint, which
//! makes them visible again; the up again is tried first, in a savepoint, on what the down left.
//! Only when the definitions differ too are the three models read (before, after the down, after
//! the up) for the readable differences.

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
    /// The fingerprint of the schema, when taken since the last change.
    pub fp: Option<String>,
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
/// Below the whole step: rolling back to it shows the rows the step deleted (see
/// [`Fingerprinter::gone`]).
const STEP: &str = "strata_test_step";
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
        let Some(down) = down else {
            if let Err(e) = self.apply(conn, &up, "up", "BEGIN;", "") {
                self.exec(conn, "ROLLBACK")?;
                case.failures.push(finding(e, "up")?);
                at.heads = Some(heads);
                return Ok(Outcome::UpFailed);
            }
            let model_up = self.after_up_model(conn, file, at, case)?;
            case.notes.push(format!(
                "irreversible ({}): the stair stops here; the migrations above are tested from this revision",
                file.irreversible.as_deref().unwrap_or_default()
            ));
            return self.moved(conn, at, up.heads_after, "COMMIT", model_up);
        };
        // Up, down and up again in one transaction, below a savepoint.
        let xid = self
            .tm
            .time("compare", || {
                fpr.prepare_delta(conn)?;
                fpr.begin(conn, STEP)
            })
            .map_err(db_err("the scratch database failed"))?;
        if let Err(e) = self.apply(conn, &up, "up", "", "") {
            return self.up_failed(conn, e, at, heads, case);
        }
        let model_up = self.after_up_model(conn, file, at, case)?;
        if let Err(e) = self.apply(conn, &down, "down", "", "") {
            case.failures.push(finding(e, "down")?);
            self.exec(conn, &format!("ROLLBACK TO SAVEPOINT {STEP}"))?;
            return self.for_good(conn, at, &up, heads, case, model_up);
        }
        // The catalogs, row for row, from a second session that still sees the rows the step
        // deleted: when they are back, the up again after the down is the step for good.
        let raw = self
            .tm
            .time("compare", || fpr.raw_same(conn, xid))
            .map_err(db_err("could not read the scratch database's schema"))?;
        let again = Self::single(graph.plan_upgrade(&down.heads_after, revision));
        if let (Some(true), Some(again)) = (raw, &again) {
            if let Err(e) = self.apply(conn, again, "up", "", "COMMIT") {
                case.failures
                    .push(finding(e, "up applied again after the down")?);
                self.exec(conn, &format!("ROLLBACK TO SAVEPOINT {STEP}"))?;
                return self.for_good(conn, at, &up, heads, case, model_up);
            }
            return self.moved(conn, at, up.heads_after, "", model_up);
        }
        // Otherwise each row as a definition, the rows the step deleted read after rolling it
        // back; the up again, on what the down left, in a savepoint of its own first.
        let added = self
            .tm
            .time("compare", || fpr.added(conn))
            .map_err(db_err("could not read the scratch database's schema"))?;
        let mut again_failed = None;
        if let Some(again) = &again {
            if let Err(e) = self.apply(conn, again, "up", "SAVEPOINT strata_test_again;", "") {
                again_failed = Some(finding(e, "up applied again after the down")?);
            }
        }
        let gone = self
            .tm
            .time("compare", || {
                fpr.gone(conn, &format!("ROLLBACK TO SAVEPOINT {STEP}"))
            })
            .map_err(db_err("could not read the scratch database's schema"))?;
        if gone.as_ref() == Some(&added) {
            case.failures.extend(again_failed);
            return self.for_good(conn, at, &up, heads, case, model_up);
        }
        // The down did not give the schema back: read the three models, up and down again.
        self.exec(conn, "ROLLBACK")?;
        let before = if at.known {
            std::mem::take(&mut at.before)
        } else {
            self.introspect(conn)?
        };
        if let Err(e) = self.apply(conn, &up, "up", "BEGIN;", SAVE_UP) {
            at.before = before;
            at.known = true;
            return self.up_failed(conn, e, at, heads, case);
        }
        let after_down = match self.apply(conn, &down, "down", "", "") {
            Ok(()) => Some(self.introspect_in_transaction(conn)?),
            Err(_) => None,
        };
        self.exec(conn, BACK_TO_UP)?;
        let after_up = self.introspect_in_transaction(conn)?;
        self.exec(conn, "COMMIT")?;
        let undone = match &after_down {
            Some(after_down) => {
                strata_schema::undo::undo_differences(&before, &after_up, after_down)
            }
            None => Vec::new(),
        };
        // PostgreSQL appends a re-added column: a down cannot put it back in place.
        let (order, undone): (Vec<String>, Vec<String>) = undone
            .into_iter()
            .partition(|d| d.contains(" in another order: "));
        case.notes.extend(order);
        // The down's findings come before the second up's.
        case.failures.extend(undone);
        case.failures.extend(again_failed);
        self.moved(conn, at, up.heads_after, "", Some(after_up))
    }

    /// The up failed: its transaction rolled back, the stair stays at `heads` and stops.
    fn up_failed(
        &self,
        conn: &mut Connection,
        e: strata_engine::EngineError,
        at: &mut Position,
        heads: Vec<String>,
        case: &mut Case,
    ) -> Result<Outcome, CliError> {
        self.exec(conn, "ROLLBACK")?;
        case.failures.push(finding(e, "up")?);
        at.heads = Some(heads);
        Ok(Outcome::UpFailed)
    }

    /// The model after the up, read in the open transaction, when strata.toml has
    /// `[versioning]`: the up's `-- strata:impact` line is checked against it.
    fn after_up_model(
        &self,
        conn: &mut Connection,
        file: &MigrationFile,
        at: &Position,
        case: &mut Case,
    ) -> Result<Option<Schema>, CliError> {
        if !self.versioning {
            return Ok(None);
        }
        let after_up = self.introspect_in_transaction(conn)?;
        case.failures.extend(super::impact::header_problem(
            self.ws, file, &at.before, &after_up,
        ));
        Ok(Some(after_up))
    }

    /// Back at the savepoint below the step: the up for good, and the transaction committed.
    fn for_good(
        &self,
        conn: &mut Connection,
        at: &mut Position,
        up: &Step,
        heads: Vec<String>,
        case: &mut Case,
        model_up: Option<Schema>,
    ) -> Result<Outcome, CliError> {
        if let Err(e) = self.apply(conn, up, "up", "", "COMMIT") {
            return self.up_failed(conn, e, at, heads, case);
        }
        self.moved(conn, at, up.heads_after.clone(), "", model_up)
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
        let before_fp = match at.fp.take() {
            Some(fp) => fp,
            None => self.fingerprint(fpr, conn, "")?,
        };
        if let Err(e) = run(conn, true, "up") {
            case.failures.push(finding(e, "up")?);
            at.fp = Some(before_fp);
            return Ok(Outcome::UpFailed);
        }
        let up_fp = self.fingerprint(fpr, conn, "")?;
        if let Some(reason) = &file.irreversible {
            case.notes.push(format!(
                "irreversible ({reason}): the stair stops here; the migrations above are tested from this revision"
            ));
            at.fp = Some(up_fp);
            at.known = false;
            return Ok(Outcome::Done);
        }
        if let Err(e) = run(conn, false, "down") {
            // Outside a transaction, part of the down may have run: the scratch database is
            // rebuilt with this revision applied, unless the down failed before changing
            // anything (at its first statement, or rolled back).
            let clean = super::left_nothing(&e);
            case.failures.push(finding(e, "down")?);
            if clean {
                at.fp = Some(up_fp);
                at.known = false;
                return Ok(Outcome::Done);
            }
            return Ok(Outcome::Rebuild);
        }
        if self.fingerprint(fpr, conn, "")? != before_fp {
            return Ok(Outcome::Retry);
        }
        if run(conn, true, "up").is_err() {
            return Ok(Outcome::Retry);
        }
        let again_fp = self.fingerprint(fpr, conn, "")?;
        if again_fp != up_fp {
            return Ok(Outcome::Retry);
        }
        at.fp = Some(again_fp);
        at.known = false;
        Ok(Outcome::Done)
    }

    /// After the up: `sql` (if any) commits it; the new heads, and the model when it was read.
    /// The fingerprint is taken when a step needs it.
    fn moved(
        &self,
        conn: &mut Connection,
        at: &mut Position,
        heads: Vec<String>,
        sql: &str,
        model: Option<Schema>,
    ) -> Result<Outcome, CliError> {
        if !sql.is_empty() {
            self.exec(conn, sql)?;
        }
        at.heads = Some(heads);
        at.fp = None;
        at.known = model.is_some();
        if let Some(model) = model {
            at.before = model;
        }
        Ok(Outcome::Done)
    }
}
