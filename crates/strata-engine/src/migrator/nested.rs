//! One migration applied inside a transaction the caller holds open: `strata test`'s stairway
//! applies an up, sets a savepoint, applies the down, compares, and rolls back to the savepoint
//! instead of applying the up a second time, all in one transaction of a scratch database.

use super::{applied_entry, direction_name, step_ops, Silent, Wrap};
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
    /// history and version rows, as a run records them, but no `BEGIN`/`COMMIT`, no runner lock
    /// and no re-read of the state (the caller planned the step from the heads it knows). On
    /// failure nothing is recorded or rolled back here: the transaction (or the savepoint) is
    /// the caller's to roll back. Only for migrations that run in a transaction.
    pub fn apply_in_open_transaction(&mut self, step: &Step) -> Result<Applied, EngineError> {
        let file = self.file(&step.revision);
        let started = Instant::now();
        let ops = step_ops(self.dialect(), &self.settings, step, file, Wrap::Outer);
        let mut ran = Vec::new();
        if let Err((error, statement)) = self.execute_ops(
            step,
            file,
            Wrap::Outer,
            &ops,
            started,
            &mut Silent,
            &mut ran,
        ) {
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
        Ok(applied_entry(step, file, started.elapsed()))
    }
}
