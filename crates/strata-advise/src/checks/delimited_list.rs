//! First normal form: a text column whose sampled values are lists — delimiter-separated
//! (`'red,green'`, `'1;2;3'`) or JSON arrays stored as text. Such values cannot be indexed,
//! joined or constrained element by element.

use crate::model::count;
use crate::stats::percent;
use crate::{Finding, Options, Severity, Snapshot};
use std::collections::HashSet;
use strata_core::quote_ident;

/// The sample must hold this many non-NULL values to judge.
const MIN_VALUES: usize = 20;

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    for table in &snapshot.tables {
        for (n, column) in table.columns.iter().enumerate() {
            if !column.is_text() {
                continue;
            }
            let values: Vec<&str> = table
                .values(n)
                .flatten()
                .filter(|v| !v.is_empty())
                .collect();
            if values.len() < MIN_VALUES {
                continue;
            }
            if let Some(evidence) = json_arrays(&values).or_else(|| delimited(&values)) {
                let t = table.qualified();
                let c = quote_ident(&column.name);
                let child = quote_ident(&format!("{}_{}", table.name, column.name));
                out.push(Finding {
                    rule: "delimited-list",
                    severity: Severity::Warning,
                    object: format!("{}.{}", table.display(), column.name),
                    evidence,
                    help: format!(
                        "store one value per row in a table of its own (or a text[] column with a GIN index when the values are never joined):\nCREATE TABLE {}.{child} ({} {} NOT NULL REFERENCES {t}, value text NOT NULL, PRIMARY KEY ({}, value));\nthen backfill it from {c} (string_to_array / jsonb_array_elements_text) and drop {c}",
                        quote_ident(&table.schema),
                        quote_ident(&key_name(table)),
                        key_type(table),
                        quote_ident(&key_name(table)),
                    ),
                    fix: Vec::new(),
                });
            }
        }
    }
}

fn key_name(table: &crate::Table) -> String {
    table
        .primary_key()
        .and_then(|pk| pk.columns.first().cloned())
        .map(|c| format!("{}_{c}", table.name))
        .unwrap_or_else(|| format!("{}_id", table.name))
}

fn key_type(table: &crate::Table) -> String {
    table
        .primary_key()
        .and_then(|pk| pk.columns.first())
        .and_then(|c| table.column(c))
        .map(|c| c.type_name.clone())
        .unwrap_or_else(|| "bigint".into())
}

fn json_arrays(values: &[&str]) -> Option<String> {
    let arrays = values
        .iter()
        .filter(|v| v.trim_start().starts_with('['))
        .filter(|v| {
            matches!(
                serde_json::from_str::<serde_json::Value>(v),
                Ok(serde_json::Value::Array(_))
            )
        })
        .count();
    (arrays * 10 >= values.len() * 9).then(|| {
        format!(
            "{} of {} sampled values ({}) are JSON arrays stored as text, e.g. {}",
            count(arrays as i64),
            count(values.len() as i64),
            percent(arrays, values.len()),
            example(values)
        )
    })
}

/// Lists: at least half the values split on the delimiter, the number of elements varies, the
/// elements are short and recur across rows (a vocabulary, not free text).
fn delimited(values: &[&str]) -> Option<String> {
    for delimiter in [',', ';', '|'] {
        // Cheap first: at least half the values must hold the delimiter at all.
        if values.iter().filter(|v| v.contains(delimiter)).count() * 2 < values.len() {
            continue;
        }
        let mut listed = 0;
        let mut lengths = HashSet::new();
        let mut elements = 0usize;
        let mut vocabulary: HashSet<&str> = HashSet::new();
        let mut long = 0usize;
        for v in values {
            let parts: Vec<&str> = v.split(delimiter).map(str::trim).collect();
            lengths.insert(parts.len());
            if parts.len() < 2 {
                continue;
            }
            if parts.iter().any(|p| p.is_empty()) {
                continue;
            }
            listed += 1;
            for p in parts {
                elements += 1;
                if p.len() > 30 || p.split_whitespace().count() > 3 {
                    long += 1;
                }
                vocabulary.insert(p);
            }
        }
        if listed * 2 < values.len() || lengths.len() < 2 || long * 5 > elements {
            continue;
        }
        if vocabulary.len() * 2 > elements {
            continue;
        }
        return Some(format!(
            "{} of {} sampled values ({}) are lists separated by '{delimiter}' with {} to {} elements from a vocabulary of {} (e.g. {})",
            count(listed as i64),
            count(values.len() as i64),
            percent(listed, values.len()),
            lengths.iter().min().unwrap_or(&0),
            lengths.iter().max().unwrap_or(&0),
            count(vocabulary.len() as i64),
            example(values)
        ));
    }
    None
}

fn example(values: &[&str]) -> String {
    let v = values
        .iter()
        .max_by_key(|v| v.len().min(40))
        .copied()
        .unwrap_or("");
    let short: String = v.chars().take(40).collect();
    format!("'{}'", strata_core::text::escape_controls(&short))
}
