//! `drop_column`: new clients no longer see the column (the version schema's view leaves it out);
//! when `down` is given, a trigger fills it from rows new clients write, so old clients keep
//! reading sensible values. Complete drops the column; rollback drops only the trigger.

use super::{parse_table, Fields, Sink, SyncTrigger};
use crate::plan::{Ctx, Plan};
use crate::sqltext::{eval_over_new, is_new_client};
use strata_core::{quote_ident, QualifiedName};

pub const FIELDS: &[&str] = &["type", "table", "column", "down"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DropColumn {
    pub table: QualifiedName,
    pub column: String,
    /// SQL expression over the row as new clients see it, filling the column for old clients.
    pub down: Option<String>,
}

impl DropColumn {
    pub(crate) fn parse(f: &mut Fields<'_>, sink: &mut Sink<'_>) -> Option<DropColumn> {
        let table = parse_table(f, sink, "table");
        let column = f.required_string(sink, "column");
        let down = f.string(sink, "down");
        Some(DropColumn {
            table: table?,
            column: column?,
            down,
        })
    }

    pub(crate) fn plan(&self, ctx: &Ctx<'_>) -> Plan {
        let table = ctx.resolve(&self.table);
        let trigger = SyncTrigger::new(&table, &self.column);
        let mut plan = Plan::default();
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
