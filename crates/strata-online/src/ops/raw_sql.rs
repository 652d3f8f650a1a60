//! `raw_sql`: the user's SQL, `up` on start and `down` on rollback, each in one transaction. It is
//! not made idempotent: the runner's step pointer runs each exactly once.
//!
//! - After start: the database is as `up` left it, for both versions.
//! - After complete: nothing more to do.
//! - After rollback: `down` has run (when given and `up` had run); without `down`, what `up` did
//!   stays.

use super::{Entry, Fields, Op, Sink};
use crate::plan::{Ctx, Plan, Shape, Step, StepKind};
use crate::validate::Checker;
use strata_core::QualifiedName;

pub const FIELDS: &[&str] = &["type", "up", "down"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawSql {
    pub up: String,
    /// Undoes `up` on rollback; without it, rollback leaves what `up` did.
    pub down: Option<String>,
}

impl Op for RawSql {
    fn fields() -> &'static [&'static str] {
        FIELDS
    }

    fn parse(f: &mut Fields<'_>, sink: &mut Sink<'_>) -> Option<RawSql> {
        let up = f.required_string(sink, "up");
        let down = f.string(sink, "down");
        Some(RawSql { up: up?, down })
    }

    /// No table of its own: strata does not read the user's SQL.
    fn table(&self) -> Option<&QualifiedName> {
        None
    }

    fn changes_shape(&self) -> bool {
        false
    }

    fn new_shape(&self, current: Option<Shape>, _ctx: &Ctx<'_>) -> Option<Shape> {
        current
    }

    /// Nothing to check against the schema: the SQL is the user's.
    fn validate(&self, _entry: &Entry, _v: &mut Checker<'_>) {}

    /// Expand runs `up`; contract has nothing to do; abort runs `down`, when given.
    fn plan(&self, ctx: &Ctx<'_>) -> Plan {
        let step = |description: &str, sql: &str| Step {
            description: description.to_owned(),
            sql: sql.to_owned(),
            transactional: true,
            lock_timeout: Some(ctx.options.lock_timeout),
            kind: StepKind::Raw,
        };
        Plan {
            expand: vec![step("raw SQL (up)", &self.up)],
            contract: Vec::new(),
            abort: self
                .down
                .iter()
                .map(|down| step("raw SQL (down)", down))
                .collect(),
        }
    }
}
