//! JSONB documents whose median size is over the TOAST threshold (about 2 kB): every read of a
//! key decompresses and reassembles the whole document, every update rewrites it. And arrays
//! that grow without bound (the largest far above the median), which make rows ever larger.

use crate::model::{count, human_bytes};
use crate::{Finding, Options, Severity, Snapshot};
use serde_json::Value;
use std::collections::BTreeMap;

const TOAST_THRESHOLD: usize = 2032;
const MIN_DOCUMENTS: usize = 20;

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    for (table, n, column) in super::json_columns(snapshot) {
        let docs: Vec<&str> = table.values(n).flatten().collect();
        if docs.len() < MIN_DOCUMENTS {
            continue;
        }
        let mut sizes: Vec<usize> = docs.iter().map(|d| d.len()).collect();
        sizes.sort_unstable();
        let median = sizes[sizes.len() / 2];
        let object = format!("{}.{}", table.display(), column.name);
        if median > TOAST_THRESHOLD {
            out.push(Finding {
                    rule: "jsonb-large-documents",
                    severity: Severity::Warning,
                    object: object.clone(),
                    evidence: format!(
                        "median document {} (largest {}) over {} sampled: above the TOAST threshold of about 2 kB, so each read of one key detoasts the whole document",
                        human_bytes(median as i64),
                        human_bytes(*sizes.last().unwrap_or(&0) as i64),
                        count(docs.len() as i64)
                    ),
                    help: "move the parts read or updated often into columns or a table of their own; keep the rest as a document".into(),
                    fix: Vec::new(),
                });
        }
        // Array lengths per top-level key ("" for a document that is an array).
        let mut lengths: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for doc in &docs {
            match serde_json::from_str::<Value>(doc) {
                Ok(Value::Array(a)) => lengths.entry(String::new()).or_default().push(a.len()),
                Ok(Value::Object(o)) => {
                    for (k, v) in o {
                        if let Value::Array(a) = v {
                            lengths.entry(k).or_default().push(a.len());
                        }
                    }
                }
                _ => {}
            }
        }
        for (key, mut l) in lengths {
            if l.len() < MIN_DOCUMENTS {
                continue;
            }
            l.sort_unstable();
            let (median, max) = (l[l.len() / 2], *l.last().unwrap_or(&0));
            if max < 100 || max < median.max(1) * 10 {
                continue;
            }
            let what = if key.is_empty() {
                "the document array".to_owned()
            } else {
                format!("the array '{key}'")
            };
            out.push(Finding {
                    rule: "jsonb-large-documents",
                    severity: Severity::Warning,
                    object: object.clone(),
                    evidence: format!(
                        "{what} has a median of {median} elements and up to {max} in {} sampled documents: it grows without bound",
                        count(l.len() as i64)
                    ),
                    help: "store the elements as rows of a child table (one row per element, keyed by this row), so adding one does not rewrite the document".into(),
                    fix: Vec::new(),
                });
        }
    }
}
