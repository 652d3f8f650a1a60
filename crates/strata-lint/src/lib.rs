//! strata's migration safety linter, on the real PostgreSQL parser (`pg_query`).
//!
//! Input is migration text already read from disk ([`Source`]); output is [`Finding`]s, each with
//! its rule id, severity, location, the lock its statement takes and the safe alternative. Nothing
//! here does I/O or talks to a database: what a database would tell (row estimates, applied
//! checksums) comes in through [`Options`].
//!
//! One rule is one file in `rules/`, with its tests beside it; [`rules::RULES`] is the one list.

pub mod data;
pub mod finding;
pub mod locks;
pub mod parse;
pub mod render;
pub mod rules;
pub mod source;
pub mod tx;
pub mod walk;

mod driver;
mod waiver;

pub use driver::{lint, Report};
pub use finding::{Finding, ParseFailure, Severity};
pub use rules::{Rule, RuleKind, RULES};
pub use source::{Existing, Naming, Options, Section, SectionKind, Source};
pub use waiver::{find as find_waivers, Waiver};
