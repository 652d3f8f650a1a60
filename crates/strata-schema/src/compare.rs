//! What differs between two models, as lines a person reads: objects only on one side, and for
//! objects on both, the fields that differ (`columns[2].default: 'a'::text -> 'b'::text`).
//!
//! This is for checks and tests ("does the reload equal the original, and if not, where?"). The
//! migration diff (typed changes, safe SQL) is built on the model itself, not on these lines.

use crate::model::{Keyed, Schema};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The differences from `left` to `right`, in key order; empty when the models hold the same
/// objects ([`Schema::server_version`] is not compared).
pub fn differences(left: &Schema, right: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let l = left;
    let r = right;
    compare(&l.schemas, &r.schemas, &mut out);
    compare(&l.extensions, &r.extensions, &mut out);
    compare(&l.collations, &r.collations, &mut out);
    compare(&l.enums, &r.enums, &mut out);
    compare(&l.domains, &r.domains, &mut out);
    compare(&l.composite_types, &r.composite_types, &mut out);
    compare(&l.range_types, &r.range_types, &mut out);
    compare(&l.sequences, &r.sequences, &mut out);
    compare(&l.functions, &r.functions, &mut out);
    compare(&l.aggregates, &r.aggregates, &mut out);
    compare(&l.text_search_configs, &r.text_search_configs, &mut out);
    compare(&l.tables, &r.tables, &mut out);
    compare(&l.views, &r.views, &mut out);
    compare(&l.materialized_views, &r.materialized_views, &mut out);
    compare(&l.constraints, &r.constraints, &mut out);
    compare(&l.indexes, &r.indexes, &mut out);
    compare(&l.triggers, &r.triggers, &mut out);
    compare(&l.policies, &r.policies, &mut out);
    compare(&l.statistics, &r.statistics, &mut out);
    compare_set(&l.grants, &r.grants, &mut out);
    compare_set(&l.default_privileges, &r.default_privileges, &mut out);
    compare_set(&l.owners, &r.owners, &mut out);
    out
}

/// Entries without a key of their own (privileges, owners): each is there or not.
fn compare_set<T: Ord + std::fmt::Display>(left: &[T], right: &[T], out: &mut Vec<String>) {
    use std::collections::BTreeSet;
    let (l, r): (BTreeSet<&T>, BTreeSet<&T>) = (left.iter().collect(), right.iter().collect());
    for x in l.difference(&r) {
        out.push(format!("only on the left: {x}"));
    }
    for x in r.difference(&l) {
        out.push(format!("only on the right: {x}"));
    }
}

fn compare<T: Keyed + Serialize>(left: &[T], right: &[T], out: &mut Vec<String>) {
    let index = |items: &[T]| -> BTreeMap<_, Value> {
        items
            .iter()
            .map(|item| {
                (
                    item.key(),
                    serde_json::to_value(item).unwrap_or(Value::Null),
                )
            })
            .collect()
    };
    let left = index(left);
    let mut right = index(right);
    for (key, l) in left {
        match right.remove(&key) {
            None => out.push(format!("only on the left: {key}")),
            Some(r) if r != l => {
                let mut fields = Vec::new();
                leaf_differences("", &l, &r, &mut fields);
                out.push(format!("changed: {key}: {}", fields.join("; ")));
            }
            Some(_) => {}
        }
    }
    for key in right.into_keys() {
        out.push(format!("only on the right: {key}"));
    }
}

pub(crate) fn leaf_differences(path: &str, l: &Value, r: &Value, out: &mut Vec<String>) {
    if l == r {
        return;
    }
    match (l, r) {
        (Value::Object(lm), Value::Object(rm)) => {
            let mut keys: Vec<&String> = lm.keys().chain(rm.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let lv = lm.get(k).unwrap_or(&Value::Null);
                let rv = rm.get(k).unwrap_or(&Value::Null);
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaf_differences(&p, lv, rv, out);
            }
        }
        (Value::Array(la), Value::Array(ra)) if la.len() == ra.len() => {
            for (i, (lv, rv)) in la.iter().zip(ra).enumerate() {
                leaf_differences(&format!("{path}[{i}]"), lv, rv, out);
            }
        }
        _ => out.push(format!("{path}: {} -> {}", short(l), short(r))),
    }
}

fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 200 {
        let cut: String = text.chars().take(200).collect();
        format!("{cut}…")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Column, Table};
    use strata_core::QualifiedName;

    fn table(name: &str, default: Option<&str>) -> Table {
        Table {
            name: QualifiedName::new(Some("app"), name),
            columns: vec![Column {
                name: "a".into(),
                data_type: "text".into(),
                type_name: "text".into(),
                type_modifier: None,
                not_null: false,
                default: default.map(str::to_owned),
                identity: None,
                generated: None,
                collation: None,
                inherited: false,
                comment: None,
            }],
            partition_key: None,
            partition_of: None,
            inherits: vec![],
            unlogged: false,
            options: vec![],
            row_security: false,
            force_row_security: false,
            comment: None,
            depends_on: vec![],
        }
    }

    #[test]
    fn reports_missing_extra_and_changed_fields() {
        let left = Schema {
            tables: vec![table("t", Some("'x'::text")), table("gone", None)],
            ..Schema::default()
        };
        let right = Schema {
            server_version: 150000,
            tables: vec![table("t", Some("'y'::text")), table("new", None)],
            ..Schema::default()
        };
        assert_eq!(
            differences(&left, &right),
            vec![
                r#"only on the left: table "app"."gone""#,
                r#"changed: table "app"."t": columns[0].default: "'x'::text" -> "'y'::text""#,
                r#"only on the right: table "app"."new""#,
            ]
        );
        assert!(differences(&left, &left).is_empty());
    }
}
