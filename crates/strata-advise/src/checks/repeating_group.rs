//! First normal form: a repeating group of columns (`phone1, phone2, phone3`; `tag_1 … tag_n`).
//! A fourth value needs a schema change, and every query must look in every column.

use crate::{Finding, Options, Severity, Snapshot};
use std::collections::BTreeMap;
use strata_core::quote_ident;

/// `phone2` → (`phone`, 2); `tag_10` → (`tag`, 10).
fn split(name: &str) -> Option<(&str, u32)> {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits == name.len() {
        return None;
    }
    let (stem, number) = name.split_at(name.len() - digits);
    let stem = stem.strip_suffix('_').unwrap_or(stem);
    if stem.is_empty() {
        return None;
    }
    Some((stem, number.parse().ok()?))
}

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    for table in &snapshot.tables {
        if table.partition {
            continue;
        }
        let mut groups: BTreeMap<&str, Vec<(u32, &crate::Column)>> = BTreeMap::new();
        for column in &table.columns {
            if let Some((stem, n)) = split(&column.name) {
                groups.entry(stem).or_default().push((n, column));
            }
        }
        for (stem, mut members) in groups {
            members.sort_by_key(|(n, _)| *n);
            let same_type = members
                .iter()
                .all(|(_, c)| c.type_name == members[0].1.type_name);
            if members.len() < 3 || !same_type {
                continue;
            }
            let names: Vec<&str> = members.iter().map(|(_, c)| c.name.as_str()).collect();
            let child = format!("{}_{stem}s", table.name);
            let key = table
                .primary_key()
                .and_then(|pk| pk.columns.first())
                .and_then(|c| table.column(c));
            let (key_name, key_type) = key
                .map(|c| (format!("{}_{}", table.name, c.name), c.type_name.clone()))
                .unwrap_or_else(|| (format!("{}_id", table.name), "bigint".into()));
            let filled: Vec<String> = members
                .iter()
                .map(|(n, c)| {
                    let index = table.column_index(&c.name).unwrap_or(0);
                    let non_null = table.values(index).flatten().count();
                    format!(
                        "{}: {non_null} non-NULL of {} sampled (position {n})",
                        c.name,
                        table.sampled_rows()
                    )
                })
                .collect();
            out.push(Finding {
                rule: "repeating-group",
                severity: Severity::Warning,
                object: format!("{}({})", table.display(), names.join(", ")),
                evidence: format!(
                    "{} columns {} of type {} repeat one attribute{}",
                    names.len(),
                    names.join(", "),
                    members[0].1.type_name,
                    if table.sample.is_some() { format!(" ({})", filled.join("; ")) } else { String::new() }
                ),
                help: format!(
                    "one row per value in a table of its own:\nCREATE TABLE {}.{} ({} {key_type} NOT NULL REFERENCES {}, position int NOT NULL, {} {} NOT NULL, PRIMARY KEY ({}, position));\nthen copy each column into it and drop {}",
                    quote_ident(&table.schema),
                    quote_ident(&child),
                    quote_ident(&key_name),
                    table.qualified(),
                    quote_ident(stem),
                    members[0].1.type_name,
                    quote_ident(&key_name),
                    names.join(", ")
                ),
                fix: Vec::new(),
            });
        }
    }
}
