//! A foreign key whose columns no index leads with: every DELETE or key UPDATE on the referenced
//! table scans the referencing one, and joins along the key cannot use an index.

use super::{column_list, index_fix, object_name};
use crate::model::{count, human_bytes};
use crate::{Finding, Options, Severity, Snapshot};
use strata_core::quote_ident;

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    for table in &snapshot.tables {
        if table.partition {
            continue;
        }
        for fk in table.foreign_keys() {
            let covered = table
                .indexes
                .iter()
                .any(|i| i.valid && i.method == "btree" && i.leads_with(&fk.columns));
            if covered {
                continue;
            }
            let referenced = fk
                .references
                .as_ref()
                .and_then(|(s, n)| snapshot.table(s, n));
            let (ref_name, ref_size) = match (&fk.references, referenced) {
                (Some((s, n)), Some(t)) => (
                    format!("{s}.{n}"),
                    format!(
                        "{} rows, {}",
                        count(t.rows.max(0)),
                        human_bytes(t.total_bytes)
                    ),
                ),
                (Some((s, n)), None) => (format!("{s}.{n}"), "size unknown".to_owned()),
                _ => ("?".to_owned(), "size unknown".to_owned()),
            };
            let index = object_name(&[&table.name, &fk.columns.join("_")], "idx");
            let create = format!(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({});",
                quote_ident(&index),
                table.qualified(),
                column_list(&fk.columns)
            );
            out.push(Finding {
                rule: "foreign-key-without-index",
                severity: Severity::Warning,
                object: format!("{}({})", table.display(), fk.columns.join(", ")),
                evidence: format!(
                    "foreign key {} ({}) references {ref_name} ({ref_size}); no index on {} ({} rows, {}) starts with ({}), so each delete or key update on {ref_name} scans {}",
                    fk.name,
                    fk.columns.join(", "),
                    table.display(),
                    count(table.rows.max(0)),
                    table.size(),
                    fk.columns.join(", "),
                    table.display()
                ),
                help: format!("index the referencing columns:\n{create}"),
                fix: vec![index_fix(&format!("index {} {}", table.name, fk.columns.join(" ")), create, &table.schema, &index)],
            });
        }
    }
}
