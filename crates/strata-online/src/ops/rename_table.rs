//! `rename_table`: new clients see the table under its new name (a view in the version schema);
//! old clients keep the physical table. Complete renames it; rollback drops only the view.

use super::{parse_table, Fields, Sink};
use crate::plan::{Ctx, Plan};
use strata_core::{quote_ident, QualifiedName};

pub const FIELDS: &[&str] = &["type", "table", "to"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenameTable {
    pub table: QualifiedName,
    /// The new name, in the same schema.
    pub to: String,
}

impl RenameTable {
    pub(crate) fn parse(f: &mut Fields<'_>, sink: &mut Sink<'_>) -> Option<RenameTable> {
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

    pub(crate) fn plan(&self, ctx: &Ctx<'_>) -> Plan {
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
