//! What a migration's down failed to undo, in words a reviewer can check against the files:
//! `down leaves column users.nickname`, `down drops index orders_customer_idx that the up did not
//! create`. `strata test`'s stairway compares three models of one migration (before its up,
//! after its up, after its down) and then the model after the up is applied again.
//!
//! Objects are matched by key ([`ObjectRef`]); tables present on both sides are compared column
//! by column, so a forgotten column is named as a column, not as a changed table.

use crate::compare::leaf_differences;
use crate::model::{Keyed, ObjectKind, ObjectRef, Schema, Table};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The differences between the model before a migration's up (`before`) and after its up and
/// down (`after_down`), each a sentence starting with `down`. `after_up` tells a down that drops
/// something the up did not create from one that does not re-create what the up dropped.
/// Empty when the down undid the up.
pub fn undo_differences(before: &Schema, after_up: &Schema, after_down: &Schema) -> Vec<String> {
    let before = objects(before);
    let up = objects(after_up);
    let down = objects(after_down);
    let mut out = Vec::new();
    for (key, (name, b)) in &before {
        match down.get(key) {
            None if up.contains_key(key) => {
                out.push(format!("down drops {name} that the up did not create"))
            }
            None => out.push(format!(
                "down does not re-create {name} (the up dropped it)"
            )),
            Some((_, d)) if d != b => {
                changed(name, b, d, up.get(key).map(|(_, v)| v), "down", &mut out)
            }
            Some(_) => {}
        }
    }
    for (key, (name, _)) in &down {
        if before.contains_key(key) {
            continue;
        }
        if up.contains_key(key) {
            out.push(format!("down leaves {name}"));
        } else {
            out.push(format!(
                "down creates {name}, which was not there before the up"
            ));
        }
    }
    out
}

/// The differences between the model after a migration's first up (`first`) and after its up
/// was applied again following its down (`again`); empty when the second up gave the same
/// schema.
pub fn redo_differences(first: &Schema, again: &Schema) -> Vec<String> {
    let first = objects(first);
    let again = objects(again);
    let mut out = Vec::new();
    const WHO: &str = "up applied again after the down";
    for (key, (name, f)) in &first {
        match again.get(key) {
            None => out.push(format!("{WHO} does not create {name}")),
            Some((_, a)) if a != f => changed(name, f, a, None, WHO, &mut out),
            Some(_) => {}
        }
    }
    for (key, (name, _)) in &again {
        if !first.contains_key(key) {
            out.push(format!("{WHO} creates {name}, which the first up did not"));
        }
    }
    out
}

/// `users` for `public.users`, `app.users` otherwise.
fn short_name(schema: Option<&str>, name: &str) -> String {
    match schema {
        None | Some("public") | Some("main") => name.to_owned(),
        Some(schema) => format!("{schema}.{name}"),
    }
}

/// `table users`, `index orders_customer_idx`, `constraint users_pkey on users`,
/// `function app.f(integer)`.
fn describe(key: &ObjectRef) -> String {
    let kind = match key.kind {
        ObjectKind::CompositeType => "composite type",
        ObjectKind::RangeType => "range type",
        ObjectKind::TextSearchConfig => "text search configuration",
        ObjectKind::MaterializedView => "materialized view",
        ObjectKind::Enum => "enum",
        other => return describe_plain(other, key),
    };
    format!(
        "{kind} {}",
        short_name(key.name.schema.as_deref(), &key.name.name)
    )
}

fn describe_plain(kind: ObjectKind, key: &ObjectRef) -> String {
    let word = format!("{kind:?}").to_lowercase();
    let name = match (&key.table, &key.arguments) {
        (Some(table), _) => format!(
            "{} on {}",
            key.name.name,
            short_name(table.schema.as_deref(), &table.name)
        ),
        (None, Some(args)) => format!(
            "{}({args})",
            short_name(key.name.schema.as_deref(), &key.name.name)
        ),
        (None, None) => short_name(key.name.schema.as_deref(), &key.name.name),
    };
    format!("{word} {name}")
}

/// Every object of a model: key -> (description, JSON).
fn objects(schema: &Schema) -> BTreeMap<ObjectRef, (String, Value)> {
    let mut out = BTreeMap::new();
    fn add<T: Keyed + Serialize>(items: &[T], out: &mut BTreeMap<ObjectRef, (String, Value)>) {
        for item in items {
            let key = item.key();
            let value = serde_json::to_value(item).unwrap_or(Value::Null);
            out.insert(key.clone(), (describe(&key), value));
        }
    }
    let s = schema;
    add(&s.schemas, &mut out);
    add(&s.extensions, &mut out);
    add(&s.collations, &mut out);
    add(&s.enums, &mut out);
    add(&s.domains, &mut out);
    add(&s.composite_types, &mut out);
    add(&s.range_types, &mut out);
    add(&s.sequences, &mut out);
    add(&s.functions, &mut out);
    add(&s.aggregates, &mut out);
    add(&s.text_search_configs, &mut out);
    add(&s.tables, &mut out);
    add(&s.views, &mut out);
    add(&s.materialized_views, &mut out);
    add(&s.constraints, &mut out);
    add(&s.indexes, &mut out);
    add(&s.triggers, &mut out);
    add(&s.policies, &mut out);
    out
}

/// One object on both sides that differs: tables column by column, others field by field.
/// `middle` is the object after the up (for the down's comparison), to tell a column the down
/// dropped from one the up dropped.
fn changed(
    name: &str,
    old: &Value,
    new: &Value,
    middle: Option<&Value>,
    who: &str,
    out: &mut Vec<String>,
) {
    // A function body re-created with other indentation is the same function.
    if spaces_collapsed(old) == spaces_collapsed(new) {
        return;
    }
    let tables = (
        serde_json::from_value::<Table>(old.clone()),
        serde_json::from_value::<Table>(new.clone()),
    );
    if let (Ok(old_table), Ok(new_table)) = tables {
        if name.starts_with("table ") {
            let table = short_name(old_table.name.schema.as_deref(), &old_table.name.name);
            let middle: Option<Table> = middle.and_then(|m| serde_json::from_value(m.clone()).ok());
            columns(&table, &old_table, &new_table, middle.as_ref(), who, out);
            let strip = |v: &Value| {
                let mut v = v.clone();
                if let Value::Object(map) = &mut v {
                    map.remove("columns");
                }
                v
            };
            let (o, n) = (strip(old), strip(new));
            if o != n {
                let mut fields = Vec::new();
                leaf_differences("", &o, &n, &mut fields);
                out.push(format!(
                    "{who} leaves {name} changed: {}",
                    fields.join("; ")
                ));
            }
            return;
        }
    }
    let mut fields = Vec::new();
    leaf_differences("", old, new, &mut fields);
    out.push(format!(
        "{who} leaves {name} changed: {}",
        fields.join("; ")
    ));
}

/// `value` with every run of whitespace in its strings made one space.
fn spaces_collapsed(value: &Value) -> Value {
    match value {
        Value::String(text) => Value::String(text.split_whitespace().collect::<Vec<_>>().join(" ")),
        Value::Array(items) => Value::Array(items.iter().map(spaces_collapsed).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), spaces_collapsed(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn columns(
    table: &str,
    old: &Table,
    new: &Table,
    middle: Option<&Table>,
    who: &str,
    out: &mut Vec<String>,
) {
    let find = |t: &Table, name: &str| t.columns.iter().find(|c| c.name == name).cloned();
    for column in &old.columns {
        match find(new, &column.name) {
            None => {
                let in_middle = middle.map(|m| find(m, &column.name).is_some());
                out.push(match (who, in_middle) {
                    ("down", Some(true)) => format!(
                        "down drops column {table}.{} that the up did not create",
                        column.name
                    ),
                    ("down", _) => format!(
                        "down does not re-create column {table}.{} (the up dropped it)",
                        column.name
                    ),
                    _ => format!("{who} does not create column {table}.{}", column.name),
                });
            }
            Some(other) if other != *column => {
                let mut fields = Vec::new();
                let l = serde_json::to_value(column).unwrap_or(Value::Null);
                let r = serde_json::to_value(&other).unwrap_or(Value::Null);
                leaf_differences("", &l, &r, &mut fields);
                out.push(format!(
                    "{who} leaves column {table}.{} changed: {}",
                    column.name,
                    fields.join("; ")
                ));
            }
            Some(_) => {}
        }
    }
    for column in &new.columns {
        if find(old, &column.name).is_none() {
            out.push(if who == "down" {
                format!("down leaves column {table}.{}", column.name)
            } else {
                format!(
                    "{who} creates column {table}.{}, which the first up did not",
                    column.name
                )
            });
        }
    }
    let names = |t: &Table| t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    let (o, n) = (names(old), names(new));
    let mut common_old: Vec<&String> = o.iter().filter(|c| n.contains(c)).collect();
    let common_new: Vec<&String> = n.iter().filter(|c| o.contains(c)).collect();
    if common_old != common_new {
        common_old.dedup();
        out.push(format!(
            "{who} leaves the columns of table {table} in another order: {} (was {})",
            common_new
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            common_old
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Column, Index};
    use strata_core::QualifiedName;

    fn table(name: &str, columns: &[&str]) -> Table {
        Table::new(
            QualifiedName::new(Some("public"), name),
            columns.iter().map(|c| Column::new(*c, "integer")).collect(),
        )
    }

    fn index(name: &str, table: &str) -> Index {
        Index {
            name: QualifiedName::new(Some("public"), name),
            table: QualifiedName::new(Some("public"), table),
            definition: format!("CREATE INDEX {name} ON public.{table} USING btree (id)"),
            unique: false,
            method: "btree".into(),
            columns: vec!["id".into()],
            include: Vec::new(),
            predicate: None,
            nulls_not_distinct: false,
            comment: None,
        }
    }

    fn schema(tables: Vec<Table>, indexes: Vec<Index>) -> Schema {
        Schema {
            tables,
            indexes,
            ..Schema::default()
        }
    }

    #[test]
    fn a_forgotten_column_is_named_as_a_column() {
        let before = schema(vec![table("users", &["id"])], vec![]);
        let up = schema(vec![table("users", &["id", "nickname"])], vec![]);
        let down = up.clone();
        assert_eq!(
            undo_differences(&before, &up, &down),
            ["down leaves column users.nickname"]
        );
        assert!(undo_differences(&before, &up, &before).is_empty());
    }

    #[test]
    fn an_extra_drop_is_told_from_a_missing_re_creation() {
        let idx = index("orders_customer_idx", "orders");
        let before = schema(vec![table("orders", &["id"])], vec![idx.clone()]);
        let up = schema(
            vec![table("orders", &["id"]), table("t", &["id"])],
            vec![idx.clone()],
        );
        let down = schema(vec![table("orders", &["id"])], vec![]);
        assert_eq!(
            undo_differences(&before, &up, &down),
            ["down drops index orders_customer_idx that the up did not create"]
        );
        let up_dropped = schema(vec![table("orders", &["id"])], vec![]);
        assert_eq!(
            undo_differences(&before, &up_dropped, &down),
            ["down does not re-create index orders_customer_idx (the up dropped it)"]
        );
    }

    #[test]
    fn a_changed_column_and_a_second_up_that_differs() {
        let before = schema(vec![table("users", &["id"])], vec![]);
        let mut changed = before.clone();
        changed.tables[0].columns[0].data_type = "bigint".into();
        let found = undo_differences(&before, &changed, &changed);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with(
                "down leaves column users.id changed: data_type: \"integer\" -> \"bigint\""
            ),
            "{found:?}"
        );
        // Only whitespace: no difference.
        let mut spaced = before.clone();
        spaced.tables[0].columns[0].default = Some("now( )".into());
        let mut tight = before.clone();
        tight.tables[0].columns[0].default = Some("now(\n  )".into());
        assert!(undo_differences(&spaced, &spaced, &tight).is_empty());
        let again = schema(
            vec![table("users", &["id"]), table("extra", &["id"])],
            vec![],
        );
        assert_eq!(
            redo_differences(&before, &again),
            ["up applied again after the down creates table extra, which the first up did not"]
        );
    }
}
