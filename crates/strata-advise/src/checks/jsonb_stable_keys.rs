//! JSONB keys present in at least 95% of the sampled documents, always with one scalar type:
//! the shape does not vary, so a real column gives a type, constraints, statistics and a
//! smaller row.

use crate::model::count;
use crate::stats::percent;
use crate::{Finding, Options, Severity, Snapshot};
use serde_json::Value;
use std::collections::BTreeMap;
use strata_core::{quote_ident, quote_literal};

const MIN_DOCUMENTS: usize = 20;

#[derive(Default)]
struct Key {
    present: usize,
    strings: usize,
    integers: usize,
    numbers: usize,
    booleans: usize,
    other: usize,
}

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    for (table, n, column) in super::json_columns(snapshot) {
        let mut documents = 0usize;
        let mut keys: BTreeMap<String, Key> = BTreeMap::new();
        for doc in super::json_objects(table, n) {
            documents += 1;
            for (k, v) in doc {
                let key = keys.entry(k).or_default();
                key.present += 1;
                match v {
                    Value::String(_) => key.strings += 1,
                    Value::Number(n) if n.is_i64() => key.integers += 1,
                    Value::Number(_) => key.numbers += 1,
                    Value::Bool(_) => key.booleans += 1,
                    _ => key.other += 1,
                }
            }
        }
        if documents < MIN_DOCUMENTS {
            continue;
        }
        let mut stable = Vec::new();
        for (name, key) in &keys {
            if key.present * 100 < documents * 95 || key.other > 0 {
                continue;
            }
            let (sql_type, cast) = if key.strings == key.present {
                ("text", "")
            } else if key.integers == key.present {
                ("bigint", "::bigint")
            } else if key.integers + key.numbers == key.present {
                ("numeric", "::numeric")
            } else if key.booleans == key.present {
                ("boolean", "::boolean")
            } else {
                continue;
            };
            stable.push((name.clone(), key.present, sql_type, cast));
        }
        if stable.is_empty() {
            continue;
        }
        let t = table.qualified();
        let c = quote_ident(&column.name);
        let mut ddl = Vec::new();
        for (name, _, ty, _) in &stable {
            ddl.push(format!(
                "ALTER TABLE {t} ADD COLUMN {} {ty};",
                quote_ident(name)
            ));
        }
        let sets: Vec<String> = stable
            .iter()
            .map(|(name, _, _, cast)| {
                format!(
                    "{} = ({c} ->> {}){cast}",
                    quote_ident(name),
                    quote_literal(name)
                )
            })
            .collect();
        ddl.push(format!(
            "UPDATE {t} SET {};  -- in batches on a large table",
            sets.join(", ")
        ));
        let removes: Vec<String> = stable.iter().map(|(n, ..)| quote_literal(n)).collect();
        ddl.push(format!(
            "UPDATE {t} SET {c} = {c} - ARRAY[{}];  -- once readers use the columns",
            removes.join(", ")
        ));
        out.push(Finding {
            rule: "jsonb-stable-keys",
            severity: Severity::Info,
            object: format!("{}.{}", table.display(), column.name),
            evidence: format!(
                "of {} sampled documents, {}",
                count(documents as i64),
                stable
                    .iter()
                    .map(|(name, present, ty, _)| format!(
                        "'{name}' is in {} ({}) always as {ty}",
                        count(*present as i64),
                        percent(*present, documents)
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            help: format!("make them columns:\n{}", ddl.join("\n")),
            fix: Vec::new(),
        });
    }
}
