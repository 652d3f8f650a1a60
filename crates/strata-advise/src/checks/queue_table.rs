//! Fit: a table used as a job queue (a status or lock column on a table named like jobs, tasks,
//! queue, outbox). PostgreSQL is a good queue with `FOR UPDATE SKIP LOCKED` and a partial index
//! on the pending rows; without that index each worker scans the finished ones too.

use crate::{Finding, Options, Severity, Snapshot};
use strata_core::quote_ident;

const NAMES: &[&str] = &[
    "job", "jobs", "queue", "queues", "task", "tasks", "outbox", "messages",
];
const STATE: &[&str] = &[
    "status",
    "state",
    "locked_at",
    "locked_by",
    "claimed_at",
    "processed_at",
];

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    for table in &snapshot.tables {
        let named = table
            .name
            .to_ascii_lowercase()
            .split('_')
            .any(|p| NAMES.contains(&p));
        let Some(state) = table
            .columns
            .iter()
            .find(|c| STATE.contains(&c.name.as_str()))
        else {
            continue;
        };
        if !named || table.indexes.iter().any(|i| i.predicate.is_some()) {
            continue;
        }
        let key = table
            .columns
            .iter()
            .find(|c| {
                matches!(
                    c.name.as_str(),
                    "run_at" | "scheduled_at" | "available_at" | "created_at"
                )
            })
            .or_else(|| {
                table
                    .primary_key()
                    .and_then(|pk| pk.columns.first())
                    .and_then(|c| table.column(c))
            })
            .map(|c| c.name.clone())
            .unwrap_or_else(|| table.columns[0].name.clone());
        let t = table.qualified();
        let s = quote_ident(&state.name);
        out.push(Finding {
            rule: "queue-table",
            severity: Severity::Info,
            object: table.display(),
            evidence: format!(
                "{} looks like a job queue ({} column, {} updates and {} deletes since the statistics reset) and has no partial index on its pending rows",
                table.display(),
                state.name,
                table.activity.updates,
                table.activity.deletes
            ),
            help: format!(
                "PostgreSQL is a good queue; index only the pending rows and let workers skip each other's:\nCREATE INDEX CONCURRENTLY ON {t} ({}) WHERE {s} = 'pending';\nSELECT ... FROM {t} WHERE {s} = 'pending' ORDER BY {} LIMIT 10 FOR UPDATE SKIP LOCKED;\n(and delete or archive finished rows so the table stays small)",
                quote_ident(&key),
                quote_ident(&key)
            ),
            fix: Vec::new(),
        });
    }
}
