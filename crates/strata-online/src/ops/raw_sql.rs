//! `raw_sql`: the user's SQL, `up` on start and `down` on rollback, each in one transaction. It is
//! not made idempotent: the runner's step pointer runs each exactly once.

use super::{Fields, Sink};
use crate::plan::{Ctx, Plan, Step, StepKind};

pub const FIELDS: &[&str] = &["type", "up", "down"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawSql {
    pub up: String,
    /// Undoes `up` on rollback; without it, rollback leaves what `up` did.
    pub down: Option<String>,
}

impl RawSql {
    pub(crate) fn parse(f: &mut Fields<'_>, sink: &mut Sink<'_>) -> Option<RawSql> {
        let up = f.required_string(sink, "up");
        let down = f.string(sink, "down");
        Some(RawSql { up: up?, down })
    }

    pub(crate) fn plan(&self, ctx: &Ctx<'_>) -> Plan {
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
