//! `strata advise`: schema design advice from a snapshot of a live PostgreSQL database — its
//! catalog, its statistics and a sample of its rows. No I/O: the CLI gathers the [`Snapshot`]
//! (read-only, within a time budget) and renders the findings; each check is one file of
//! `checks/`, a pure function from the snapshot to findings, listed once in [`CHECKS`].

pub mod checks;
pub mod erd;
pub mod model;
pub mod render;
mod stats;

pub use model::*;

pub use strata_core::Severity;

/// One piece of advice, in the JSON shape docs/advise.md documents.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    /// What it is about: `schema.table`, `schema.table.column`, an index or sequence name.
    pub object: String,
    /// What the catalog, the statistics or the sample show.
    pub evidence: String,
    /// What to do, with the SQL where there is one.
    pub help: String,
    /// The migrations that apply the help, in order, for `--fix` (empty when the fix depends on
    /// the application: dropping columns, changing types).
    #[serde(skip)]
    pub fix: Vec<Fix>,
}

/// A migration that applies a finding's advice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// Slug of the file name (`index_orders_customer_id`).
    pub slug: String,
    pub up: String,
    pub down: String,
    /// Runs in a transaction (false for `CREATE INDEX CONCURRENTLY`); such a migration starts
    /// with `SET LOCAL lock_timeout`.
    pub transaction: bool,
}

/// Thresholds of a run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Data-based checks (constraints as validation, dependencies) need this many sampled rows.
    pub min_rows: usize,
    /// Unused indexes are reported only once the statistics are this old.
    pub min_stats_age_secs: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            min_rows: 1000,
            min_stats_age_secs: 7 * 24 * 3600,
        }
    }
}

/// A check: its id (also its docs page, docs/advise/<id>.md), what it looks for, and the
/// function that looks.
pub struct Check {
    pub id: &'static str,
    pub summary: &'static str,
    pub run: fn(&Snapshot, &Options, &mut Vec<Finding>),
}

/// Every check, in the order of the report's sections: indexes, keys and types, normal forms,
/// JSONB, constraints, fit.
pub const CHECKS: &[Check] = checks::CHECKS;

/// Runs every check and sorts the findings: severity (highest first), then object, then rule.
pub fn advise(snapshot: &Snapshot, options: &Options) -> Vec<Finding> {
    let mut findings = Vec::new();
    for check in CHECKS {
        (check.run)(snapshot, options, &mut findings);
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.object.cmp(&b.object))
            .then_with(|| a.rule.cmp(b.rule))
    });
    findings
}
