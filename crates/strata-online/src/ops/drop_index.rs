//! `drop_index`: both versions keep the index until complete drops it concurrently.

use super::{parse_table, Fields, Sink};
use crate::plan::{Ctx, Plan, Step, StepKind};
use strata_core::QualifiedName;

pub const FIELDS: &[&str] = &["type", "table", "name"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DropIndex {
    /// The indexed table; the index is in its schema.
    pub table: QualifiedName,
    pub name: String,
}

impl DropIndex {
    pub(crate) fn parse(f: &mut Fields<'_>, sink: &mut Sink<'_>) -> Option<DropIndex> {
        let table = parse_table(f, sink, "table");
        let name = f.required_string(sink, "name");
        Some(DropIndex {
            table: table?,
            name: name?,
        })
    }

    pub(crate) fn plan(&self, ctx: &Ctx<'_>) -> Plan {
        let table = ctx.resolve(&self.table);
        let index = QualifiedName::new(table.schema.as_deref(), &self.name);
        Plan {
            expand: Vec::new(),
            contract: vec![Step {
                description: format!("drop index {index}"),
                sql: format!("DROP INDEX CONCURRENTLY IF EXISTS {index};"),
                transactional: false,
                // CONCURRENTLY waits for transactions using the index to end, without blocking them.
                lock_timeout: None,
                kind: StepKind::Ddl,
            }],
            abort: Vec::new(),
        }
    }
}
