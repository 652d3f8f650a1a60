//! What can go wrong in a command, and the exit code each deserves.

use strata_core::Diagnostic;
use strata_engine::{DbError, EngineError};

pub const EXIT_PROBLEMS: u8 = 1;
pub const EXIT_BAD_INPUT: u8 = 2;
pub const EXIT_RUNTIME: u8 = 3;

#[derive(Debug)]
pub enum CliError {
    /// Bad input: usage, config, an unresolvable target (exit 2).
    Invalid {
        message: String,
        hint: Option<String>,
    },
    /// Problems in files, each at file:line (exit 2).
    Diagnostics(Vec<Diagnostic>),
    /// A malformed database URL: a bad scheme, port, parameter or percent-escape, found before
    /// any connection attempt (exit 2). `origin` is where the URL came from (`--url`,
    /// `DATABASE_URL`, `strata.toml:9 (env.production.url)`), empty when not known.
    Url { origin: String, error: Box<DbError> },
    /// The database failed (exit 3).
    Database {
        context: String,
        error: Box<DbError>,
    },
    /// An engine error (exit 2 or 3).
    Engine(EngineError),
    /// The command ran and found problems it has already printed (exit 1).
    Problems,
    /// The command has printed what went wrong itself (with its own output, e.g. lint's JSON);
    /// exit with this code.
    Reported(u8),
    /// A file could not be written, a folder could not be created (exit 3).
    Io {
        context: String,
        error: std::io::Error,
    },
}

impl CliError {
    pub fn invalid(message: impl Into<String>) -> CliError {
        CliError::Invalid {
            message: message.into(),
            hint: None,
        }
    }

    pub fn invalid_with_hint(message: impl Into<String>, hint: impl Into<String>) -> CliError {
        CliError::Invalid {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// A malformed URL (exit 2), origin to be filled in by whoever knows it.
    pub fn url(message: impl Into<String>, hint: impl Into<String>) -> CliError {
        CliError::Url {
            origin: String::new(),
            error: Box::new(DbError::invalid_url(message, Some(hint.into()))),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Invalid { .. } | CliError::Diagnostics(_) | CliError::Url { .. } => {
                EXIT_BAD_INPUT
            }
            CliError::Database { .. } | CliError::Io { .. } => EXIT_RUNTIME,
            CliError::Engine(e) => e.exit_code(),
            CliError::Problems => EXIT_PROBLEMS,
            CliError::Reported(code) => *code,
        }
    }
}

impl From<EngineError> for CliError {
    fn from(e: EngineError) -> CliError {
        CliError::Engine(e)
    }
}

impl From<Vec<Diagnostic>> for CliError {
    fn from(d: Vec<Diagnostic>) -> CliError {
        CliError::Diagnostics(d)
    }
}

impl From<Diagnostic> for CliError {
    fn from(d: Diagnostic) -> CliError {
        CliError::Diagnostics(vec![d])
    }
}

/// A database error in `context`; a malformed URL (the driver found it before connecting) is
/// bad input, not a database failure.
pub fn db_err(context: &str) -> impl FnOnce(DbError) -> CliError + '_ {
    move |error| {
        if error.invalid_url {
            CliError::Url {
                origin: String::new(),
                error: Box::new(error),
            }
        } else {
            CliError::Database {
                context: context.to_owned(),
                error: Box::new(error),
            }
        }
    }
}

pub fn io_err(context: String) -> impl FnOnce(std::io::Error) -> CliError {
    move |error| CliError::Io { context, error }
}
