//! `rename_table`: a table gets a new name, in its schema.
//!
//! - After start: the physical table is unchanged, so old clients keep its old name; new clients
//!   see it under its new name (a view in the version schema).
//! - After complete: the table is renamed.
//! - After rollback: nothing changed (the version schema and its view are gone).

use super::{parse_table, Entry, Fields, Op, Sink};
use crate::plan::{Ctx, Plan, Shape};
use crate::validate::{display, Checker};
use strata_core::{quote_ident, QualifiedName};

pub const FIELDS: &[&str] = &["type", "table", "to"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenameTable {
    pub table: QualifiedName,
    /// The new name, in the same schema.
    pub to: String,
}

impl Op for RenameTable {
    fn fields() -> &'static [&'static str] {
        FIELDS
    }

    fn parse(f: &mut Fields<'_>, sink: &mut Sink<'_>) -> Option<RenameTable> {
        let table = parse_table(f, sink, "table");
        let to = f.required_string(sink, "to");
        if let Some(to) = &to {
            if to.contains('.') {
                sink.error_hint(
                    f.line_of("to"),
                    format!("`to` = `{to}` names a schema; a table is renamed within its schema"),
                    "write the new name alone",
                );
                return None;
            }
        }
        Some(RenameTable {
            table: table?,
            to: to?,
        })
    }

    fn table(&self) -> Option<&QualifiedName> {
        Some(&self.table)
    }

    fn changes_shape(&self) -> bool {
        true
    }

    /// The view has the new name.
    fn view_name(&self) -> Option<&str> {
        Some(&self.to)
    }

    fn new_shape(&self, current: Option<Shape>, _ctx: &Ctx<'_>) -> Option<Shape> {
        current.map(|mut s| {
            s.name = self.to.clone();
            s
        })
    }

    /// The table exists and no other operation of the migration uses it; the new name is free.
    fn validate(&self, entry: &Entry, v: &mut Checker<'_>) {
        if let Some(table) = v.existing_table(entry, &self.table) {
            v.no_other_use(entry, &table);
            let target = QualifiedName::new(table.schema.as_deref(), &self.to);
            if v.table_exists(&target) {
                v.error(
                    entry.line_of("to"),
                    format!("table {} already exists", display(&target)),
                    None,
                );
            }
            v.table_gone(&table, "renamed");
        }
    }

    /// Expand and abort have nothing to do (the view is the version schema's); contract renames.
    fn plan(&self, ctx: &Ctx<'_>) -> Plan {
        let table = ctx.resolve(&self.table);
        Plan {
            expand: Vec::new(),
            contract: vec![ctx.ddl(
                format!("rename table {table} to {}", self.to),
                // IF EXISTS: once renamed, running the step again does nothing.
                format!(
                    "ALTER TABLE IF EXISTS {table} RENAME TO {};",
                    quote_ident(&self.to)
                ),
            )],
            abort: Vec::new(),
        }
    }
}
