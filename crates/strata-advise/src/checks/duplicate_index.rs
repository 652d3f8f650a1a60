//! Two indexes with the same key columns and predicate, or a btree index whose columns are a
//! prefix of another btree index's with the same predicate: the shorter one costs writes and
//! memory and serves no query the other cannot.

use super::drop_index;
use crate::model::{human_bytes, Index};
use crate::{Finding, Fix, Options, Severity, Snapshot};

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    for table in &snapshot.tables {
        let valid: Vec<&Index> = table.indexes.iter().filter(|i| i.valid).collect();
        for (n, small) in valid.iter().enumerate() {
            // An index enforcing a constraint stays; the other one is the redundant one.
            if small.constraint.is_some() || small.unique {
                continue;
            }
            let Some(cols) = small.plain_columns() else {
                continue;
            };
            let covering = valid.iter().enumerate().find(|(m, big)| {
                *m != n
                    && big.method == small.method
                    && big.predicate == small.predicate
                    && big.columns.len() >= cols.len()
                    && big
                        .columns
                        .iter()
                        .zip(&cols)
                        .all(|(a, b)| a.as_deref() == Some(*b))
                    && (big.columns.len() > cols.len() && small.method == "btree"
                        // Identical: report the later name of the pair only once.
                        || big.columns.len() == cols.len()
                            && (big.constraint.is_some() || big.unique || *m < n))
            });
            let Some((_, big)) = covering else { continue };
            let same = big.columns.len() == cols.len();
            let drop = drop_index(&table.schema, &small.name);
            out.push(Finding {
                rule: "duplicate-index",
                severity: Severity::Warning,
                object: format!("{}.{}", table.schema, small.name),
                evidence: format!(
                    "{} ({}, {}) {} {} ({}): {}",
                    small.name,
                    cols.join(", "),
                    human_bytes(small.size_bytes),
                    if same {
                        "has the same columns as"
                    } else {
                        "is a prefix of"
                    },
                    big.name,
                    big.plain_columns()
                        .map(|c| c.join(", "))
                        .unwrap_or_else(|| "expressions".into()),
                    big.definition
                ),
                help: format!("drop it; {} serves the same queries:\n{drop}", big.name),
                fix: vec![Fix {
                    slug: super::slug(&format!("drop duplicate index {}", small.name)),
                    up: drop,
                    down: format!(
                        "{};",
                        small
                            .definition
                            .replacen("CREATE INDEX", "CREATE INDEX CONCURRENTLY IF NOT EXISTS", 1)
                            .replacen(
                                "CREATE UNIQUE INDEX",
                                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS",
                                1
                            )
                    ),
                    transaction: false,
                }],
            });
        }
    }
}
