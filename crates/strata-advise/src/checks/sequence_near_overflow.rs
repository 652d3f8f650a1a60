//! A sequence that has used much of the range of the column it feeds (or of its own type): when
//! an int4 key passes 2,147,483,647 every insert fails — a common production outage. Warning from
//! 50% used, error from 80%.

use crate::model::count;
use crate::{Finding, Options, Severity, Snapshot};
use strata_core::quote_ident;

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    for seq in &snapshot.sequences {
        let Some(last) = seq.last_value else { continue };
        let column_max = match seq.owner.as_ref().map(|o| o.column_base.as_str()) {
            Some("int2") => i16::MAX as i64,
            Some("int4") => i32::MAX as i64,
            _ => i64::MAX,
        };
        let max = column_max.min(seq.max_value);
        if max <= 0 || seq.increment <= 0 {
            continue;
        }
        let used = last as f64 / max as f64;
        if used < 0.5 {
            continue;
        }
        let severity = if used >= 0.8 {
            Severity::Error
        } else {
            Severity::Warning
        };
        let seq_name = format!("{}.{}", seq.schema, seq.name);
        let (object, help) = match &seq.owner {
            Some(o) => {
                let table = format!("{}.{}", quote_ident(&o.schema), quote_ident(&o.table));
                (
                    format!("{}.{}.{}", o.schema, o.table, o.column),
                    format!(
                        "widen the column (and the sequence) to bigint before it runs out; on a large table do it online (a new bigint column filled in batches, then swapped), otherwise:\nALTER TABLE {table} ALTER COLUMN {} TYPE bigint;\nALTER SEQUENCE {}.{} AS bigint;\nAlso widen every column that references it.",
                        quote_ident(&o.column),
                        quote_ident(&seq.schema),
                        quote_ident(&seq.name)
                    ),
                )
            }
            None => (
                seq_name.clone(),
                format!(
                    "ALTER SEQUENCE {}.{} AS bigint;",
                    quote_ident(&seq.schema),
                    quote_ident(&seq.name)
                ),
            ),
        };
        let left = max - last;
        out.push(Finding {
            rule: "sequence-near-overflow",
            severity,
            object,
            evidence: format!(
                "sequence {seq_name} is at {} of {} ({:.1}% used{}); {} values left",
                count(last),
                count(max),
                used * 100.0,
                seq.owner
                    .as_ref()
                    .map(|o| format!(", column type {}", o.column_base))
                    .unwrap_or_default(),
                count(left)
            ),
            help: format!(
                "{help}\nCheck: SELECT last_value FROM {}.{};",
                quote_ident(&seq.schema),
                quote_ident(&seq.name)
            ),
            fix: Vec::new(),
        });
    }
}
