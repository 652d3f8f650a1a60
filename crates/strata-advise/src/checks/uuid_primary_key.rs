//! A random (version 4) UUID primary key on a very large table: each insert lands on a random
//! page of the key's index, so the working set is the whole index and every page splits and is
//! written back; at tens of millions of rows the index no longer fits in memory. Time-ordered
//! keys (UUID v7, or a bigint identity) insert at the right edge of the index.

use crate::model::count;
use crate::{Finding, Options, Severity, Snapshot};
use strata_core::quote_ident;

/// From this many rows the index of random keys outgrows typical memory.
pub const MIN_ROWS: i64 = 10_000_000;

/// A UUID's version digit (the first of its third group).
fn version(uuid: &str) -> Option<char> {
    let bytes = uuid.as_bytes();
    (uuid.len() == 36 && bytes[8] == b'-' && bytes[13] == b'-').then(|| bytes[14] as char)
}

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    for table in &snapshot.tables {
        if table.rows < MIN_ROWS || table.partition {
            continue;
        }
        let Some(pk) = table.primary_key() else {
            continue;
        };
        let [key] = pk.columns.as_slice() else {
            continue;
        };
        let Some(column) = table.column(key).filter(|c| c.base == "uuid") else {
            continue;
        };
        let n = table.column_index(key).unwrap_or(0);
        let values: Vec<&str> = table.values(n).flatten().collect();
        let random = values.iter().filter(|v| version(v) == Some('4')).count();
        if values.is_empty() || random * 2 < values.len() {
            continue;
        }
        out.push(Finding {
            rule: "uuid-primary-key",
            severity: Severity::Warning,
            object: format!("{}.{}", table.display(), column.name),
            evidence: format!(
                "{} ({} rows, {}) has a uuid primary key and {} of {} sampled keys are version 4 (random): inserts touch random pages of the key's index",
                table.display(),
                count(table.rows),
                table.size(),
                count(random as i64),
                count(values.len() as i64)
            ),
            help: format!(
                "generate time-ordered keys for new rows (UUID v7 from the application, or uuidv7() on PostgreSQL 18), keeping the type:\nALTER TABLE {} ALTER COLUMN {} SET DEFAULT uuidv7();  -- PostgreSQL 18+",
                table.qualified(),
                quote_ident(&column.name)
            ),
            fix: Vec::new(),
        });
    }
}
