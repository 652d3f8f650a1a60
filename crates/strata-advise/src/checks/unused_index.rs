//! Indexes never scanned since the statistics were reset: they cost every write and their
//! memory. Reported only once the statistics cover `--min-stats-age`; before that, one info
//! line says there is not enough history. Indexes that enforce a constraint are never reported.

use crate::model::human_bytes;
use crate::{Finding, Options, Severity, Snapshot};
use strata_core::quote_ident;

pub fn check(snapshot: &Snapshot, options: &Options, out: &mut Vec<Finding>) {
    let since = snapshot
        .stats_since
        .clone()
        .unwrap_or_else(|| "unknown".into());
    let age = snapshot.stats_age_secs.unwrap_or(0);
    if age < options.min_stats_age_secs {
        out.push(Finding {
            rule: "unused-index",
            severity: Severity::Info,
            object: "(database)".into(),
            evidence: format!(
                "the index statistics cover {} (since {since}), less than the {} asked for: not enough history to call an index unused",
                duration(age),
                duration(options.min_stats_age_secs)
            ),
            help: "run again later, or lower --min-stats-age if the workload since then is representative".into(),
            fix: Vec::new(),
        });
        return;
    }
    for table in &snapshot.tables {
        for index in &table.indexes {
            if index.scans > 0
                || index.constraint.is_some()
                || index.unique
                || index.primary
                || !index.valid
            {
                continue;
            }
            out.push(Finding {
                rule: "unused-index",
                severity: Severity::Warning,
                object: format!("{}.{}", table.schema, index.name),
                evidence: format!(
                    "{} on {} ({}) has had 0 scans since {since} ({}); every write to {} still maintains it",
                    index.name,
                    table.display(),
                    human_bytes(index.size_bytes),
                    duration(age),
                    table.display()
                ),
                help: format!(
                    "if no query, replica or rare job needs it (check the replicas' statistics too), drop it:\nDROP INDEX CONCURRENTLY IF EXISTS {}.{};",
                    quote_ident(&table.schema),
                    quote_ident(&index.name)
                ),
                fix: Vec::new(),
            });
        }
    }
}

/// `3d 4h`, `12m`, `40s`.
pub(crate) fn duration(secs: u64) -> String {
    let (d, h, m) = (secs / 86400, secs % 86400 / 3600, secs % 3600 / 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{secs}s")
    }
}
