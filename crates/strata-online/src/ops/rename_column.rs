//! `rename_column`: new clients see the column under its new name (an alias in the version
//! schema's view, which PostgreSQL can write through); complete renames the physical column.

use super::{parse_table, Fields, Sink};
use crate::plan::{Ctx, Plan};
use crate::sqltext::{column_exists, guarded};
use strata_core::{quote_ident, QualifiedName};

pub const FIELDS: &[&str] = &["type", "table", "from", "to"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenameColumn {
    pub table: QualifiedName,
    pub from: String,
    pub to: String,
}

impl RenameColumn {
    pub(crate) fn parse(f: &mut Fields<'_>, sink: &mut Sink<'_>) -> Option<RenameColumn> {
        let table = parse_table(f, sink, "table");
        let from = f.required_string(sink, "from");
        let to = f.required_string(sink, "to");
        Some(RenameColumn {
            table: table?,
            from: from?,
            to: to?,
        })
    }

    pub(crate) fn plan(&self, ctx: &Ctx<'_>) -> Plan {
        let table = ctx.resolve(&self.table);
        Plan {
            expand: Vec::new(),
            contract: vec![ctx.ddl(
                format!("rename column {}.{} to {}", table, self.from, self.to),
                guarded(
                    &format!(
                        "{} AND NOT {}",
                        column_exists(&table, &self.from),
                        column_exists(&table, &self.to)
                    ),
                    &[format!(
                        "ALTER TABLE {table} RENAME COLUMN {} TO {}",
                        quote_ident(&self.from),
                        quote_ident(&self.to)
                    )],
                ),
            )],
            abort: Vec::new(),
        }
    }
}
