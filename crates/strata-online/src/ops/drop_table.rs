//! `drop_table`: the table disappears from the new version (it gets no view in the version
//! schema); old clients keep using it until complete drops it. Rollback changes nothing.

use super::{parse_table, Fields, Sink};
use crate::plan::{Ctx, Plan};
use strata_core::QualifiedName;

pub const FIELDS: &[&str] = &["type", "table"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DropTable {
    pub table: QualifiedName,
}

impl DropTable {
    pub(crate) fn parse(f: &mut Fields<'_>, sink: &mut Sink<'_>) -> Option<DropTable> {
        Some(DropTable {
            table: parse_table(f, sink, "table")?,
        })
    }

    pub(crate) fn plan(&self, ctx: &Ctx<'_>) -> Plan {
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
