//! What the linter reports. Rendering (human, JSON, SARIF, GitHub) is the CLI's job.

pub use strata_core::Severity;

/// One finding, in the JSON shape docs/lint.md documents.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub file: String,
    /// 1-based file line and column (in characters) of what the finding is about.
    pub line: usize,
    pub column: usize,
    /// The statement's text (empty for findings about the whole file).
    pub statement: String,
    pub message: String,
    /// The lock it takes and for how long, e.g. "ACCESS EXCLUSIVE on orders for a full table rewrite".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock: Option<String>,
    /// The safe alternative, as SQL where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// A section that the PostgreSQL parser rejected: bad input (exit 2).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ParseFailure {
    pub file: String,
    pub line: usize,
    pub message: String,
}
