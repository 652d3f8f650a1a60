//! strata's policy, written once above a small [`Database`] trait per engine: take the runner lock,
//! re-read the state, validate, plan, apply each migration in its own transaction, record it.

pub mod database;
pub mod migrator;
pub mod state;
pub mod verify;

pub use database::{Database, DbError, InvalidIndex};
pub use migrator::{Applied, EngineError, Migrator, Reporter, Settings};
pub use state::{EventKind, HistoryRow, NewEvent, StateTables};
