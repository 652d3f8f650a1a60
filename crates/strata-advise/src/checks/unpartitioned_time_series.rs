//! Fit: a large, append-mostly table with a time column and no partitioning. Time series are
//! often moved to a separate store; PostgreSQL's declarative range partitioning by time keeps
//! indexes small and makes retention a `DROP` of an old partition instead of a huge `DELETE`.

use crate::model::count;
use crate::{Finding, Options, Severity, Snapshot};
use strata_core::quote_ident;

const MIN_ROWS: i64 = 10_000_000;
const MIN_BYTES: i64 = 10 * 1024 * 1024 * 1024;

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    for table in &snapshot.tables {
        if table.partitioned || table.partition {
            continue;
        }
        if table.rows < MIN_ROWS && table.total_bytes < MIN_BYTES {
            continue;
        }
        let a = &table.activity;
        if a.inserts == 0 || (a.updates + a.deletes) * 20 > a.inserts {
            continue;
        }
        let Some(time) = table
            .columns
            .iter()
            .find(|c| matches!(c.base.as_str(), "timestamptz" | "timestamp" | "date"))
        else {
            continue;
        };
        out.push(Finding {
            rule: "unpartitioned-time-series",
            severity: Severity::Info,
            object: table.display(),
            evidence: format!(
                "{} has {} rows ({}), {} inserts against {} updates and deletes, and a time column {}",
                table.display(),
                count(table.rows),
                table.size(),
                count(a.inserts),
                count(a.updates + a.deletes),
                time.name
            ),
            help: format!(
                "partition by time (a new table, then move the data):\nCREATE TABLE {}.{} (LIKE {} INCLUDING ALL) PARTITION BY RANGE ({});\nthen one partition per month or week, and retention as DROP TABLE of old partitions",
                quote_ident(&table.schema),
                quote_ident(&format!("{}_partitioned", table.name)),
                table.qualified(),
                quote_ident(&time.name)
            ),
            fix: Vec::new(),
        });
    }
}
