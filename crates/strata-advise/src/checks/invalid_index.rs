//! An INVALID index: a `CREATE INDEX CONCURRENTLY` (or `REINDEX CONCURRENTLY`) that failed
//! left it behind. Writes maintain it, queries never use it, and a unique one may reject rows.

use crate::model::human_bytes;
use crate::{Finding, Options, Severity, Snapshot};
use strata_core::quote_ident;

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    for table in &snapshot.tables {
        for index in table.indexes.iter().filter(|i| !i.valid) {
            let name = format!(
                "{}.{}",
                quote_ident(&table.schema),
                quote_ident(&index.name)
            );
            out.push(Finding {
                rule: "invalid-index",
                severity: Severity::Error,
                object: format!("{}.{}", table.schema, index.name),
                evidence: format!(
                    "{} on {} is INVALID ({}): writes maintain it, no query uses it",
                    index.name,
                    table.display(),
                    human_bytes(index.size_bytes)
                ),
                help: format!(
                    "rebuild it:\nREINDEX INDEX CONCURRENTLY {name};\nor drop it and create it again:\nDROP INDEX CONCURRENTLY IF EXISTS {name};\n{};",
                    index.definition.replacen(" INDEX ", " INDEX CONCURRENTLY ", 1)
                ),
                fix: Vec::new(),
            });
        }
    }
}
