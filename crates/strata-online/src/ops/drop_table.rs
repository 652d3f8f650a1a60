//! `drop_table`: a table the new version no longer uses.
//!
//! - After start: the table is unchanged; old clients keep using it, new clients do not see it
//!   (it gets no view in the version schema).
//! - After complete: the table is dropped.
//! - After rollback: nothing changed.

use super::{parse_table, Entry, Fields, Op, Sink};
use crate::plan::{Ctx, Plan, Shape};
use crate::validate::{display, Checker};
use strata_core::QualifiedName;
use strata_schema::ObjectRef;

pub const FIELDS: &[&str] = &["type", "table"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DropTable {
    pub table: QualifiedName,
}

impl Op for DropTable {
    fn fields() -> &'static [&'static str] {
        FIELDS
    }

    fn parse(f: &mut Fields<'_>, sink: &mut Sink<'_>) -> Option<DropTable> {
        Some(DropTable {
            table: parse_table(f, sink, "table")?,
        })
    }

    fn table(&self) -> Option<&QualifiedName> {
        Some(&self.table)
    }

    /// The table is gone for new clients: no view.
    fn changes_shape(&self) -> bool {
        false
    }

    fn new_shape(&self, _current: Option<Shape>, _ctx: &Ctx<'_>) -> Option<Shape> {
        None
    }

    /// The table exists, no other operation of the migration uses it, and nothing depends on it.
    fn validate(&self, entry: &Entry, v: &mut Checker<'_>) {
        if let Some(table) = v.existing_table(entry, &self.table) {
            v.no_other_use(entry, &table);
            no_dependents(entry, &table, v);
            v.table_gone(&table, "dropped");
        }
    }

    /// Expand and abort have nothing to do; contract drops the table.
    fn plan(&self, ctx: &Ctx<'_>) -> Plan {
        let table = ctx.resolve(&self.table);
        Plan {
            expand: Vec::new(),
            contract: vec![ctx.ddl(
                format!("drop table {table}"),
                format!("DROP TABLE IF EXISTS {table};"),
            )],
            abort: Vec::new(),
        }
    }
}

/// A table to drop must not be referenced by another table's foreign key or read by a view:
/// `complete` would fail on them after the old version's shape is partly gone.
fn no_dependents(entry: &Entry, table: &QualifiedName, v: &mut Checker<'_>) {
    let schema = v.schema;
    let mut dependents: Vec<String> = schema
        .constraints
        .iter()
        .filter(|c| {
            c.table != *table
                && c.foreign_key
                    .as_ref()
                    .is_some_and(|fk| fk.references == *table)
        })
        .map(|c| format!("foreign key {} on {}", c.name, display(&c.table)))
        .collect();
    let reads = |deps: &[ObjectRef]| deps.iter().any(|d| d.name == *table && d.table.is_none());
    dependents.extend(
        schema
            .views
            .iter()
            .filter(|view| reads(&view.depends_on))
            .map(|view| format!("view {}", display(&view.name))),
    );
    dependents.extend(
        schema
            .materialized_views
            .iter()
            .filter(|view| reads(&view.depends_on))
            .map(|view| format!("materialized view {}", display(&view.name))),
    );
    if !dependents.is_empty() {
        v.error(
            entry.line_of("table"),
            format!(
                "table {} cannot be dropped online: {} depend(s) on it",
                display(table),
                dependents.join(", ")
            ),
            Some("drop or change them in an earlier migration first".to_owned()),
        );
    }
}
