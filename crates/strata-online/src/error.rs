//! What can go wrong, as data; the CLI renders it (exit 2 for [`OnlineError::Invalid`], 3 for the
//! rest).

use crate::plan::Phase;
use strata_core::Diagnostic;
use strata_engine::DbError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OnlineError {
    /// The migration does not fit the database (missing table or column, invalid expression…);
    /// nothing was changed.
    #[error("the migration is invalid:\n{}", render(.0))]
    Invalid(Vec<Diagnostic>),

    /// A step failed (after its lock-timeout retries). Steps before it stay done; running the same
    /// command again resumes at this step.
    #[error("{phase} step {number} ({description}) failed: {source}", phase = .phase.name())]
    Step {
        phase: Phase,
        /// 1-based.
        number: usize,
        description: String,
        #[source]
        source: Box<DbError>,
    },

    /// Another online migration is in progress; only one runs at a time.
    #[error("online migration {0} is in progress; complete it or roll it back first")]
    InProgress(String),

    /// The command does not apply to the migration's state (e.g. complete before start).
    #[error("{0}")]
    State(String),

    /// Another strata process is running an online command on this database.
    #[error("another strata process holds the online-migration lock on this database")]
    Locked,

    #[error(transparent)]
    Db(Box<DbError>),
}

impl From<DbError> for OnlineError {
    fn from(e: DbError) -> OnlineError {
        OnlineError::Db(Box::new(e))
    }
}

fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}
