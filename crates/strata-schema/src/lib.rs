//! strata's schema model, with no I/O.
//!
//! - [`model`]: [`Schema`], every object kind PostgreSQL schemas hold that strata manages, each
//!   with a stable key ([`ObjectRef`]), sorted deterministically ([`Schema::normalize`]),
//!   serializable to JSON.
//! - [`render`]: [`to_sql`], the DDL script that re-creates a model.
//! - [`compare`]: [`differences`], a readable list of what differs between two models (for
//!   checks and tests; the migration diff builds on the model, not on this).
//! - [`impact`]: [`impact::assess`], the semantic impact (major, minor, patch) of a plan.
//! - [`mod@diff`]: [`fn@diff`], the migration from one model to another: typed, ordered changes with
//!   up and down SQL, safe forms and hazards; [`render_plan`] writes the up script.
//!
//! Reading a model from a live database is the engine crates' job
//! (`strata_postgres::introspect`).

pub mod audit;
pub mod compare;
pub mod diff;
pub mod impact;
pub mod model;
pub mod privileges;
pub mod render;
pub mod sqlite;
pub mod synth;
pub mod undo;

pub use compare::differences;
pub use diff::{
    diff, render as render_plan, split, Change, ChangeKind, DiffOptions, Hazard, HazardId, Plan,
    PlannedMigration, SplitOptions, Stage,
};
pub use model::*;
pub use privileges::{DefaultPrivilege, Grant, Owner};
pub use render::to_sql;
