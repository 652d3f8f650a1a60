//! `drop_column`: a column the new version no longer uses.
//!
//! - After start: the column is still there for old clients; new clients no longer see it (the
//!   version schema's view leaves it out). When `down` is given, a trigger fills it from rows new
//!   clients write, so old clients keep reading sensible values.
//! - After complete: the column and its trigger are dropped.
//! - After rollback: only the trigger is dropped; the column is as it was.

use super::{parse_table, Entry, Fields, Op, Sink, SyncTrigger};
use crate::plan::{Ctx, Plan, Shape};
use crate::preflight::{new_row, over, Probe};
use crate::sqltext::{eval_over_new, is_new_client};
use crate::validate::Checker;
use strata_core::{quote_ident, QualifiedName};

pub const FIELDS: &[&str] = &["type", "table", "column", "down"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DropColumn {
    pub table: QualifiedName,
    pub column: String,
    /// SQL expression over the row as new clients see it, filling the column for old clients.
    pub down: Option<String>,
}

impl Op for DropColumn {
    fn fields() -> &'static [&'static str] {
        FIELDS
    }

    fn parse(f: &mut Fields<'_>, sink: &mut Sink<'_>) -> Option<DropColumn> {
        let table = parse_table(f, sink, "table");
        let column = f.required_string(sink, "column");
        let down = f.string(sink, "down");
        Some(DropColumn {
            table: table?,
            column: column?,
            down,
        })
    }

    fn table(&self) -> Option<&QualifiedName> {
        Some(&self.table)
    }

    fn column(&self) -> Option<&str> {
        Some(&self.column)
    }

    fn changes_shape(&self) -> bool {
        true
    }

    /// New clients no longer see the column.
    fn new_shape(&self, current: Option<Shape>, _ctx: &Ctx<'_>) -> Option<Shape> {
        current.map(|mut s| {
            s.columns.retain(|c| c.visible != self.column);
            s
        })
    }

    /// The column exists (in a table this migration does not create); a NOT NULL column that
    /// does not fill itself needs `down`, or new clients' inserts would fail.
    fn validate(&self, entry: &Entry, v: &mut Checker<'_>) {
        let Some(table) = v.existing_table(entry, &self.table) else {
            return;
        };
        if !v.not_created_here(entry, &table)
            || !v.existing_column(entry, &table, &self.column, "column")
        {
            return;
        }
        v.touch(entry, &table, &self.column, "column");
        let column = v
            .schema
            .tables
            .iter()
            .find(|t| t.name == table)
            .and_then(|t| t.columns.iter().find(|c| c.name == self.column));
        if let Some(c) = column {
            let fills_itself = c.default.is_some() || c.identity.is_some() || c.generated.is_some();
            if c.not_null && !fills_itself && self.down.is_none() {
                v.error(
                    entry.line_of("column"),
                    format!(
                        "column `{}` is NOT NULL without a default: rows new clients insert would fail",
                        self.column
                    ),
                    Some("add `down = \"<expression over the new row>\"` to fill it for old clients".to_owned()),
                );
            }
        }
        v.column_dropped(&table, &self.column);
    }

    /// `down` over the row as new clients see it.
    fn probes(&self, ctx: &Ctx<'_>) -> Vec<Probe> {
        self.down
            .iter()
            .map(|down| Probe {
                sql: over(down, &new_row(ctx, &self.table)),
                field: "down",
                what: "`down`",
            })
            .collect()
    }

    fn plan(&self, ctx: &Ctx<'_>) -> Plan {
        let table = ctx.resolve(&self.table);
        let trigger = SyncTrigger::new(&table, &self.column);
        let mut plan = Plan::default();
        // Start (expand), with `down`: the trigger filling the column; rollback (abort) drops it.
        if let Some(down) = &self.down {
            let body = format!(
                "  IF {} THEN\n    NEW.{} := {};\n  END IF;",
                is_new_client(&ctx.version_schema),
                quote_ident(&self.column),
                eval_over_new(down, &ctx.new_shape(&self.table).pairs())
            );
            plan.expand.push(ctx.ddl(
                format!(
                    "fill {table}.{} from `down` for rows new clients write",
                    self.column
                ),
                trigger.create(&body),
            ));
            plan.abort
                .push(ctx.ddl(format!("drop the trigger {}", trigger.name), trigger.drop()));
        }
        // Complete (contract): the trigger and the column go.
        plan.contract.push(ctx.ddl(
            format!("drop column {table}.{}", self.column),
            format!(
                "{}\nALTER TABLE {table} DROP COLUMN IF EXISTS {};",
                trigger.drop(),
                quote_ident(&self.column)
            ),
        ));
        plan
    }
}
