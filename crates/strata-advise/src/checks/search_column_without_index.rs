//! Columns whose searches need a special index: `tsvector` without GIN (or GiST), and pgvector's
//! `vector` without HNSW or IVFFlat when the extension is installed. Without it every search
//! reads the whole table.

use super::{index_fix, object_name};
use crate::{Finding, Options, Severity, Snapshot};
use strata_core::quote_ident;

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    let pgvector = snapshot.extensions.iter().any(|e| e == "vector");
    for table in &snapshot.tables {
        if table.partition {
            continue;
        }
        for column in &table.columns {
            let (methods, using): (&[&str], &str) = match column.base.as_str() {
                "tsvector" => (&["gin", "gist"], "gin"),
                "vector" if pgvector => (&["hnsw", "ivfflat"], "hnsw"),
                _ => continue,
            };
            let indexed = table.indexes.iter().any(|i| {
                i.valid
                    && methods.contains(&i.method.as_str())
                    && i.columns
                        .first()
                        .is_some_and(|c| c.as_deref() == Some(column.name.as_str()))
            });
            if indexed {
                continue;
            }
            let index = object_name(&[&table.name, &column.name], using);
            let opclass = if using == "hnsw" {
                " vector_cosine_ops"
            } else {
                ""
            };
            let create = format!(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} USING {using} ({}{opclass});",
                quote_ident(&index),
                table.qualified(),
                quote_ident(&column.name)
            );
            out.push(Finding {
                rule: "search-column-without-index",
                severity: Severity::Warning,
                object: format!("{}.{}", table.display(), column.name),
                evidence: format!(
                    "{} is {} and has no {} index: every search reads all {} rows",
                    column.name,
                    column.type_name,
                    methods.join(" or ").to_uppercase(),
                    crate::model::count(table.rows.max(0))
                ),
                help: format!(
                    "create one{}:\n{create}",
                    if using == "hnsw" {
                        " (pick the operator class of the distance your queries use)"
                    } else {
                        ""
                    }
                ),
                fix: vec![index_fix(
                    &format!("index {} {}", table.name, column.name),
                    create,
                    &table.schema,
                    &index,
                )],
            });
        }
    }
}
