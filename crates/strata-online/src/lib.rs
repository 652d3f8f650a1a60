//! strata's online (expand/contract) migrations, in the class of pgroll and Reshape.
//!
//! - [`file`](mod@file): the `.toml` migration file -> [`OnlineMigration`] (typed [`Operation`]s), with
//!   `file:line` diagnostics for unknown types and fields.
//! - [`ops`]: one file per operation type, holding its whole life (the `Op` trait): its fields,
//!   its validation against the live schema, its SQL probes, and its [`Plan`] of expand, contract
//!   and abort [`Step`]s. Adding an operation is that file plus one line in `ops/mod.rs`.
//! - [`validate()`]: the migration against the live schema (missing tables and columns…), each
//!   operation checking itself with the shared checker.
//! - [`plan`]: [`build`] joins the operations' plans and adds the version schema
//!   `strata_v_<id>` (one view per changed table, in the new shape).
//! - [`run`]: [`start`], [`complete`], [`rollback`], [`backfill`], [`status`] on PostgreSQL, with
//!   the plan and progress persisted in `strata_online_state` so every command resumes.
//! - [`engine`]: [`OnlineRunner`], the engine's `OnlineMigrations` on PostgreSQL: what an upgrade
//!   (`strata upgrade`, `strata start`, `strata::migrate`) runs when it reaches an online
//!   migration; the engine decides the order.
//!
//! Old clients keep using the physical tables; new clients set
//! `search_path = strata_v_<id>, <schema>` ([`MigrationPlan::search_path`]). Every helper object
//! strata creates starts with `_strata_` (shadow columns `_strata_new_<column>`, triggers and
//! functions `_strata_sync_<table>_<column>`, NOT VALID checks `_strata_nn_<column>`, unique
//! indexes `_strata_uq_<table>_<column>`), and none survives complete or rollback.

pub mod engine;
pub mod error;
mod fields;
pub mod file;
pub mod ops;
pub mod plan;
mod preflight;
pub mod run;
pub mod sqltext;
pub mod validate;
pub mod watch;

pub use engine::{row_estimates, OnlineRunner};
pub use error::OnlineError;
pub use file::{load, parse, OnlineMigration};
pub use ops::{Entry, Operation};
pub use plan::{build, Backfill, MigrationPlan, Phase, Plan, PlanOptions, Step, StepKind};
pub use run::{
    backfill, complete, prepare, rollback, start, status, BackfillProgress, Outcome, Progress,
    RunOptions, State, Status,
};
pub use validate::validate;
pub use watch::{LockWatch, DEFAULT_MAX_BLOCKING};
