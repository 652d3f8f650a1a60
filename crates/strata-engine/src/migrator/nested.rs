//! One migration applied inside a transaction the caller holds open: `strata test`'s stairway
//! applies an up, sets a savepoint, applies the down, compares, and rolls back to the savepoint
//! instead of applying the up a second time, all in one transaction of a scratch database.

use super::{applied_entry, batches, direction_name, step_ops, Op, Wrap};
use super::{Applied, EngineError, MigrationFailure, Migrator};
use crate::database::Database;
use std::time::Instant;
use strata_graph::Step;

impl<D: Database + ?Sized> Migrator<'_, D> {
    /// Creates strata's tables when they are missing, as a run does before its first step; for
    /// a caller about to use [`Migrator::apply_in_open_transaction`].
    pub fn ensure_state(&mut self) -> Result<(), EngineError> {
        self.ensure_state_tables()
    }

    /// Applies `step` inside the caller's open transaction: the migration's statements, then its
    /// history and version rows, as a run records them (the execution time measured by the
    /// database from the transaction's start), but no `BEGIN`/`COMMIT`, no runner lock and no
    /// re-read of the state (the caller planned the step from the heads it knows). `before` and
    /// `after` are the caller's SQL (say `BEGIN`, a `SAVEPOINT`), sent in the same round trips
    /// as the first and last statements. On failure nothing is recorded or rolled back here:
    /// the transaction (or the savepoint) is the caller's to roll back. Only for migrations that
    /// run in a transaction, on PostgreSQL.
    pub fn apply_in_open_transaction(
        &mut self,
        step: &Step,
        before: &str,
        after: &str,
    ) -> Result<Applied, EngineError> {
        let file = self.file(&step.revision);
        let started = Instant::now();
        let mut ops = step_ops(self.dialect(), &self.settings, step, file, Wrap::Outer);
        if !before.is_empty() {
            ops.insert(0, Op::Control(before.to_owned()));
        }
        if !after.is_empty() {
            ops.push(Op::Control(after.to_owned()));
        }
        for batch in batches(&ops, true) {
            if let Err(error) = self.db.execute(&batch.sql(&ops)) {
                let (error, statement) = batch.attribute(error);
                return Err(EngineError::MigrationFailed(Box::new(MigrationFailure {
                    applied: Vec::new(),
                    revision: step.revision.clone(),
                    file: file.path.clone(),
                    direction: direction_name(step.direction),
                    statement,
                    error,
                    ran_outside_transaction: None,
                    recorded: false,
                    rolled_back: false,
                })));
            }
        }
        Ok(applied_entry(step, file, started.elapsed()))
    }
}
