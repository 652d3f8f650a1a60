//! `timestamp without time zone`: the value means a different instant for every client time
//! zone; `timestamptz` stores the instant and costs the same 8 bytes.

use crate::{Finding, Options, Severity, Snapshot};
use strata_core::quote_ident;

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    for table in &snapshot.tables {
        if table.partition {
            continue;
        }
        for column in table.columns.iter().filter(|c| c.base == "timestamp") {
            out.push(Finding {
                rule: "timestamp-without-time-zone",
                severity: Severity::Warning,
                object: format!("{}.{}", table.display(), column.name),
                evidence: format!("{} is {}", column.name, column.type_name),
                help: format!(
                    "use timestamptz; say which zone the stored values are in (here UTC):\nALTER TABLE {} ALTER COLUMN {} TYPE timestamptz USING {} AT TIME ZONE 'UTC';\n(a rewrite under an ACCESS EXCLUSIVE lock unless the session TimeZone is UTC on PostgreSQL 12+)",
                    table.qualified(),
                    quote_ident(&column.name),
                    quote_ident(&column.name)
                ),
                fix: Vec::new(),
            });
        }
    }
}
