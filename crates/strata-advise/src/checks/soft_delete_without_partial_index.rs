//! A soft-delete column (`deleted_at`, `archived_at`, `is_deleted`) and no partial index
//! `WHERE deleted_at IS NULL`: nearly every query filters on it, and full indexes carry the
//! deleted rows forever.

use super::{index_fix, object_name};
use crate::{Finding, Options, Severity, Snapshot};
use strata_core::quote_ident;

const NAMES: &[&str] = &[
    "deleted_at",
    "deleted",
    "is_deleted",
    "archived_at",
    "removed_at",
];

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    for table in &snapshot.tables {
        if table.partition {
            continue;
        }
        for column in table
            .columns
            .iter()
            .filter(|c| NAMES.contains(&c.name.as_str()))
        {
            let partial = table.indexes.iter().any(|i| {
                i.predicate
                    .as_deref()
                    .is_some_and(|p| p.contains(column.name.as_str()))
            });
            if partial {
                continue;
            }
            let pk = table
                .primary_key()
                .map(|c| c.columns.clone())
                .unwrap_or_default();
            let key = pk
                .first()
                .cloned()
                .unwrap_or_else(|| table.columns[0].name.clone());
            let predicate = if column.base == "bool" {
                format!("NOT {}", quote_ident(&column.name))
            } else {
                format!("{} IS NULL", quote_ident(&column.name))
            };
            let index = object_name(&[&table.name, &key], "live_idx");
            let create = format!(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({}) WHERE {predicate};",
                quote_ident(&index),
                table.qualified(),
                quote_ident(&key)
            );
            out.push(Finding {
                rule: "soft-delete-without-partial-index",
                severity: Severity::Warning,
                object: format!("{}.{}", table.display(), column.name),
                evidence: format!(
                    "{} marks deleted rows and no index of {} has a predicate on it",
                    column.name,
                    table.display()
                ),
                help: format!(
                    "index the live rows on the columns your queries filter by (here: {key}):\n{create}"
                ),
                fix: vec![index_fix(&format!("index live {}", table.name), create, &table.schema, &index)],
            });
        }
    }
}
