//! `drop_index`: an index the new version no longer needs.
//!
//! - After start: the index is unchanged; both versions keep it.
//! - After complete: the index is dropped concurrently.
//! - After rollback: nothing changed.

use super::{parse_table, Entry, Fields, Op, Sink};
use crate::plan::{Ctx, Plan, Shape, Step, StepKind};
use crate::validate::{display, Checker};
use strata_core::QualifiedName;

pub const FIELDS: &[&str] = &["type", "table", "name"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DropIndex {
    /// The indexed table; the index is in its schema.
    pub table: QualifiedName,
    pub name: String,
}

impl Op for DropIndex {
    fn fields() -> &'static [&'static str] {
        FIELDS
    }

    fn parse(f: &mut Fields<'_>, sink: &mut Sink<'_>) -> Option<DropIndex> {
        let table = parse_table(f, sink, "table");
        let name = f.required_string(sink, "name");
        Some(DropIndex {
            table: table?,
            name: name?,
        })
    }

    fn table(&self) -> Option<&QualifiedName> {
        Some(&self.table)
    }

    /// Both versions see the same table: no view.
    fn changes_shape(&self) -> bool {
        false
    }

    fn new_shape(&self, current: Option<Shape>, _ctx: &Ctx<'_>) -> Option<Shape> {
        current
    }

    /// The table exists and the index is a plain index of it (not a constraint's).
    fn validate(&self, entry: &Entry, v: &mut Checker<'_>) {
        let Some(table) = v.existing_table(entry, &self.table) else {
            return;
        };
        let index = QualifiedName::new(table.schema.as_deref(), &self.name);
        let on_table = v
            .schema
            .indexes
            .iter()
            .any(|i| i.name == index && i.table == table);
        if !on_table {
            let message = if v.index_exists(&index) {
                format!(
                    "index {} is not a plain index of {} (a constraint's index is dropped with the constraint)",
                    display(&index),
                    display(&table)
                )
            } else {
                format!("index {} does not exist", display(&index))
            };
            v.error(entry.line_of("name"), message, None);
        }
        v.index_dropped(&index);
    }

    /// Expand and abort have nothing to do; contract drops the index concurrently.
    fn plan(&self, ctx: &Ctx<'_>) -> Plan {
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
