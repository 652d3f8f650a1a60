//! A JSONB column that queries search with containment or key operators (`@>`, `?`, `?|`, `?&`,
//! `@?`, `@@`, as `pg_stat_statements` shows them) and that has no GIN index: each such query
//! reads every row. Needs `pg_stat_statements` installed and loaded; without it the check has no
//! queries to go by and says nothing.

use super::{index_fix, object_name};
use crate::{Finding, Options, Severity, Snapshot};
use strata_core::quote_ident;

const OPERATORS: &[&str] = &["@>", "<@", "?|", "?&", "@?", "@@", " ? "];

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    let Some(queries) = &snapshot.jsonb_queries else {
        return;
    };
    for table in &snapshot.tables {
        if table.partition {
            continue;
        }
        for column in table.columns.iter().filter(|c| c.base == "jsonb") {
            let gin = table.indexes.iter().any(|i| {
                i.valid && i.method == "gin" && i.definition.contains(column.name.as_str())
            });
            if gin {
                continue;
            }
            let using: Vec<&String> = queries
                .iter()
                .filter(|q| {
                    q.contains(table.name.as_str())
                        && q.contains(column.name.as_str())
                        && OPERATORS.iter().any(|op| q.contains(op))
                })
                .collect();
            let Some(example) = using.first() else {
                continue;
            };
            let index = object_name(&[&table.name, &column.name], "gin");
            let create = format!(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} USING gin ({} jsonb_path_ops);",
                quote_ident(&index),
                table.qualified(),
                quote_ident(&column.name)
            );
            let short: String = example.chars().take(120).collect();
            out.push(Finding {
                rule: "jsonb-without-gin",
                severity: Severity::Warning,
                object: format!("{}.{}", table.display(), column.name),
                evidence: format!(
                    "{} statement(s) in pg_stat_statements search {} with JSONB operators (e.g. `{}`) and no GIN index covers it",
                    using.len(),
                    column.name,
                    strata_core::text::escape_controls(&short)
                ),
                help: format!(
                    "index it (jsonb_path_ops serves @> and jsonpath; the default jsonb_ops also serves ? ?| ?&):\n{create}"
                ),
                fix: vec![index_fix(&format!("gin {} {}", table.name, column.name), create, &table.schema, &index)],
            });
        }
    }
}
