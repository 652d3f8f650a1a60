//! Fit: a key/value table (a key column and a value column, little else). It is often proposed
//! as a job for a separate store; PostgreSQL covers it, and typed columns usually fit the data
//! better than one untyped value.

use crate::{Finding, Options, Severity, Snapshot};

const KEYS: &[&str] = &["key", "name", "k", "setting", "option_name"];
const VALUES: &[&str] = &["value", "val", "v", "data", "option_value"];

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    for table in &snapshot.tables {
        let cols: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        if cols.len() > 4 {
            continue;
        }
        let Some(key) = table
            .columns
            .iter()
            .find(|c| KEYS.contains(&c.name.as_str()) && c.is_text())
        else {
            continue;
        };
        let Some(value) = table
            .columns
            .iter()
            .find(|c| VALUES.contains(&c.name.as_str()))
        else {
            continue;
        };
        out.push(Finding {
            rule: "key-value-table",
            severity: Severity::Info,
            object: table.display(),
            evidence: format!(
                "{} is a key/value table: {} ({}) → {} ({})",
                table.display(),
                key.name,
                key.type_name,
                value.name,
                value.type_name
            ),
            help: "PostgreSQL serves this well (a primary key on the key; UNLOGGED for a cache; jsonb values with a GIN index when they are documents). If the keys are a fixed set, a one-row table with a typed column per setting gives types and constraints".into(),
            fix: Vec::new(),
        });
    }
}
