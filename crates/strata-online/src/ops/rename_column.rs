//! `rename_column`: a column gets a new name.
//!
//! - After start: the physical column is unchanged, so old clients keep its old name; new clients
//!   see it under its new name (an alias in the version schema's view, which PostgreSQL can write
//!   through).
//! - After complete: the physical column is renamed.
//! - After rollback: nothing changed (the version schema and its view are gone).

use super::{parse_table, Entry, Fields, Op, Sink};
use crate::plan::{Ctx, Plan, Shape};
use crate::sqltext::{column_exists, guarded};
use crate::validate::Checker;
use strata_core::{quote_ident, QualifiedName};

pub const FIELDS: &[&str] = &["type", "table", "from", "to"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenameColumn {
    pub table: QualifiedName,
    pub from: String,
    pub to: String,
}

impl Op for RenameColumn {
    fn fields() -> &'static [&'static str] {
        FIELDS
    }

    fn parse(f: &mut Fields<'_>, sink: &mut Sink<'_>) -> Option<RenameColumn> {
        let table = parse_table(f, sink, "table");
        let from = f.required_string(sink, "from");
        let to = f.required_string(sink, "to");
        Some(RenameColumn {
            table: table?,
            from: from?,
            to: to?,
        })
    }

    fn table(&self) -> Option<&QualifiedName> {
        Some(&self.table)
    }

    fn column(&self) -> Option<&str> {
        Some(&self.from)
    }

    fn changes_shape(&self) -> bool {
        true
    }

    /// New clients see the column under its new name.
    fn new_shape(&self, current: Option<Shape>, _ctx: &Ctx<'_>) -> Option<Shape> {
        current.map(|mut s| {
            for c in &mut s.columns {
                if c.visible == self.from {
                    c.visible = self.to.clone();
                }
            }
            s
        })
    }

    /// The column exists (in a table this migration does not create) and the new name is free;
    /// neither name is changed by another operation.
    fn validate(&self, entry: &Entry, v: &mut Checker<'_>) {
        let Some(table) = v.existing_table(entry, &self.table) else {
            return;
        };
        if !v.not_created_here(entry, &table)
            || !v.existing_column(entry, &table, &self.from, "from")
        {
            return;
        }
        if !v.new_column(entry, &table, &self.to, "to") {
            return;
        }
        v.touch(entry, &table, &self.from, "from");
        v.touch(entry, &table, &self.to, "to");
        v.column_renamed(&table, &self.from, &self.to);
    }

    /// Expand and abort have nothing to do (the alias is the version schema's); contract renames.
    fn plan(&self, ctx: &Ctx<'_>) -> Plan {
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
