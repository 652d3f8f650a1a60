//! A composite btree index whose leading column has far fewer distinct values (`pg_stats`) than
//! a later one, e.g. `(status, customer_id)`: it serves queries on the leading column alone and
//! equality on both, but not the selective column alone, and a query by `customer_id` cannot use
//! it. Reported as info: the right order depends on the queries, which the catalog does not know.

use crate::{Finding, Options, Severity, Snapshot};

/// `n_distinct` as a count (negative values are a fraction of the rows).
fn distinct(n_distinct: Option<f64>, rows: i64) -> Option<f64> {
    let n = n_distinct?;
    Some(if n < 0.0 { -n * rows.max(0) as f64 } else { n })
}

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    for table in &snapshot.tables {
        if table.rows < 10_000 {
            continue;
        }
        for index in &table.indexes {
            if index.method != "btree" || index.columns.len() < 2 || !index.valid {
                continue;
            }
            let Some(cols) = index.plain_columns() else {
                continue;
            };
            let counts: Vec<Option<f64>> = cols
                .iter()
                .map(|c| {
                    table
                        .column(c)
                        .and_then(|c| distinct(c.n_distinct, table.rows))
                })
                .collect();
            let (Some(first), Some((later, best))) = (
                counts[0],
                counts
                    .iter()
                    .enumerate()
                    .skip(1)
                    .filter_map(|(i, c)| c.map(|c| (i, c)))
                    .max_by(|a, b| a.1.total_cmp(&b.1)),
            ) else {
                continue;
            };
            // A later column alone served by another index is not a problem.
            let other = table.indexes.iter().any(|i| {
                i.name != index.name
                    && i.columns.first().and_then(|c| c.as_deref()) == Some(cols[later])
            });
            if first > 20.0 || best < first * 100.0 || other {
                continue;
            }
            out.push(Finding {
                rule: "composite-index-order",
                severity: Severity::Info,
                object: format!("{}.{}", table.schema, index.name),
                evidence: format!(
                    "{} leads with {} (about {:.0} distinct values) before {} (about {:.0}), and no other index starts with {}",
                    index.name, cols[0], first, cols[later], best, cols[later]
                ),
                help: format!(
                    "if queries filter by {} without {}, put it first (or add an index on it); keep this order only if every query gives {}:\n{}",
                    cols[later], cols[0], cols[0], index.definition
                ),
                fix: Vec::new(),
            });
        }
    }
}
