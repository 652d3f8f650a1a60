//! strata's policy, written once above a small [`Database`] trait per engine: take the runner lock,
//! re-read the state, validate, plan, apply each migration in its own transaction, record it; and
//! where online (expand/contract) migrations fall in a plan ([`online`]), with the work on them
//! behind the [`OnlineMigrations`] trait.

pub mod database;
pub mod migrator;
pub mod online;
pub mod state;
pub mod verify;
pub mod versions;

pub use database::{Database, DbError, InvalidIndex};
pub use migrator::{Applied, EngineError, Migrator, Reporter, Settings};
pub use online::{
    Expanded, InProgress, NoOnlineMigrations, OnlineAction, OnlineMigrations, OnlineProgress,
    OnlineRunError, OnlineState, OnlineStop, Upgraded,
};
pub use state::{EventKind, HistoryRow, NewEvent, StateTables};
