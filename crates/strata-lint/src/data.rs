//! Data-aware checks (placeholder, filled in below).

/// Answers to data questions.
#[derive(Clone, Debug, Default)]
pub struct Answers {}
