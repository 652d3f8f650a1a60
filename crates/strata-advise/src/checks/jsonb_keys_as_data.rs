//! JSONB used as a key/value store: the documents' keys are data (ids, dates, names), not a shape
//! — hundreds of distinct keys across the sample, each in few documents. Looking a value up by key
//! needs the whole document, no statistics describe it, and no constraint keeps it valid. A child
//! table (one row per key) is what PostgreSQL indexes well.

use crate::model::count;
use crate::{Finding, Options, Severity, Snapshot};
use std::collections::HashMap;
use strata_core::quote_ident;

const MIN_DOCUMENTS: usize = 20;
const MIN_KEYS: usize = 100;

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    for (table, n, column) in super::json_columns(snapshot) {
        let mut documents = 0usize;
        let mut keys: HashMap<String, usize> = HashMap::new();
        for doc in super::json_objects(table, n) {
            documents += 1;
            for k in doc.keys() {
                *keys.entry(k.clone()).or_default() += 1;
            }
        }
        if documents < MIN_DOCUMENTS || keys.len() < MIN_KEYS {
            continue;
        }
        let most = keys.values().copied().max().unwrap_or(0);
        if most * 10 > documents {
            continue;
        }
        let child = format!("{}_{}", table.name, column.name);
        out.push(Finding {
                rule: "jsonb-keys-as-data",
                severity: Severity::Warning,
                object: format!("{}.{}", table.display(), column.name),
                evidence: format!(
                    "{} distinct keys in {} sampled documents, the most common in {} of them: the keys are data, not a shape",
                    count(keys.len() as i64),
                    count(documents as i64),
                    count(most as i64)
                ),
                help: format!(
                    "one row per key, with the key indexed:\nCREATE TABLE {}.{} (<the row's key>, key text NOT NULL, value jsonb NOT NULL, PRIMARY KEY (<the row's key>, key));\nthen fill it with jsonb_each({})",
                    quote_ident(&table.schema),
                    quote_ident(&child),
                    quote_ident(&column.name)
                ),
                fix: Vec::new(),
            });
    }
}
