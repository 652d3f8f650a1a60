//! Enums: `ALTER TYPE … ADD VALUE` when labels are only added (in any place), re-created when
//! labels go or move.

use super::change::{change, ChangeKind};
use super::definitions::Definition;
use super::order::Builder;
use crate::model::*;
use crate::render;
use std::collections::BTreeSet;
use strata_core::{quote_ident, quote_literal, QualifiedName};

impl Definition for EnumType {
    const CREATE: ChangeKind = ChangeKind::CreateEnum;
    const DROP: ChangeKind = ChangeKind::DropEnum;
    fn create(&self) -> Vec<String> {
        vec![render::create_enum(self)]
    }
    fn drop(&self) -> String {
        format!("DROP TYPE {};", self.name)
    }
    fn comments(&self) -> Vec<(String, Option<String>)> {
        vec![(format!("TYPE {}", self.name), self.comment.clone())]
    }
    fn what_changes(&self) -> &'static str {
        "loses or reorders labels"
    }
}

/// The old labels are all kept, in the same order: the new ones can be added.
pub(super) fn labels_only_added(old: &EnumType, new: &EnumType) -> bool {
    let kept: Vec<&String> = new
        .labels
        .iter()
        .filter(|l| old.labels.contains(l))
        .collect();
    kept.len() == old.labels.len() && kept.iter().zip(&old.labels).all(|(a, b)| *a == b)
}

/// `ALTER TYPE … ADD VALUE`, each new label after the one before it (or before the first old
/// one), as one change per type that runs in a transaction of its own (a label cannot be used in
/// the transaction that added it). Its down rebuilds the type without the new labels
/// ([`rebuild_without`]), or says why it cannot.
pub(super) fn alter_enum(b: &mut Builder, old: &EnumType, new: &EnumType) -> BTreeSet<String> {
    if old.labels == new.labels {
        return BTreeSet::new();
    }
    let mut up = Vec::new();
    let mut added = Vec::new();
    for (i, label) in new.labels.iter().enumerate() {
        if old.labels.contains(label) {
            continue;
        }
        let place = match i.checked_sub(1) {
            Some(p) => format!(" AFTER {}", quote_literal(&new.labels[p])),
            None => match new.labels.iter().find(|l| old.labels.contains(l)) {
                Some(first) => format!(" BEFORE {}", quote_literal(first)),
                None => String::new(),
            },
        };
        up.push(format!(
            "ALTER TYPE {} ADD VALUE {}{place};",
            new.name,
            quote_literal(label)
        ));
        added.push(quote_literal(label));
    }
    let mut c = change(ChangeKind::AddEnumValue, new.key(), up, Vec::new());
    c.own_transaction = true;
    match rebuild_without(&b.ctx.to, old, new) {
        Ok(down) => {
            c.down = down;
            c.destructive_downgrade = Some(format!(
                "the down rebuilds enum {} without {}: it fails while a row still uses {}",
                new.name,
                added.join(", "),
                if added.len() == 1 {
                    "it"
                } else {
                    "one of them"
                }
            ));
        }
        Err(why) => {
            c.irreversible = Some(format!(
                "PostgreSQL cannot remove a label from enum {}, and it cannot be rebuilt without {}: {why}",
                new.name,
                added.join(", ")
            ));
        }
    }
    b.create(c);
    BTreeSet::new()
}

/// A type name as `format_type` writes it (`app.mood`, `"a""b"."naïve ü"[]`): the qualified name
/// and whether it is an array.
pub(super) fn parse_type_name(text: &str) -> Option<(QualifiedName, bool)> {
    let (text, array) = match text.strip_suffix("[]") {
        Some(t) => (t, true),
        None => (text, false),
    };
    let mut parts = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    '"' => break,
                    c => part.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                if !(c.is_alphanumeric() || c == '_' || c == '$') {
                    return None;
                }
                part.push(c);
                chars.next();
            }
        }
        parts.push(part);
        match chars.next() {
            None => break,
            Some('.') => continue,
            Some(_) => return None,
        }
    }
    match parts.as_slice() {
        [schema, name] => Some((QualifiedName::new(Some(schema), name), array)),
        [name] => Some((QualifiedName::new(None, name), array)),
        _ => None,
    }
}

/// The statements that take the labels `new` added to `old` back out, in a database holding
/// `to`: rename the type aside, create it again with the old labels, move every column that uses
/// it to the new one (`USING col::text::type`, which fails on a row that still holds a removed
/// label), with the views that read them dropped before and re-created after, then drop the old
/// type. `Err(why)` when something it cannot move uses the type.
fn rebuild_without(to: &Schema, old: &EnumType, new: &EnumType) -> Result<Vec<String>, String> {
    let key = new.key();
    let name = &new.name;
    let blockers: Vec<String> = to
        .domains
        .iter()
        .filter(|d| d.depends_on.contains(&key))
        .map(|d| d.key().to_string())
        .chain(
            to.composite_types
                .iter()
                .filter(|t| t.depends_on.contains(&key))
                .map(|t| t.key().to_string()),
        )
        .chain(
            to.range_types
                .iter()
                .filter(|t| t.depends_on.contains(&key))
                .map(|t| t.key().to_string()),
        )
        .chain(
            to.functions
                .iter()
                .filter(|f| f.depends_on.contains(&key))
                .map(|f| f.key().to_string()),
        )
        .chain(
            to.aggregates
                .iter()
                .filter(|a| a.depends_on.contains(&key))
                .map(|a| a.key().to_string()),
        )
        .collect();
    if !blockers.is_empty() {
        return Err(format!(
            "{} use{} it",
            blockers.join(", "),
            if blockers.len() == 1 { "s" } else { "" }
        ));
    }
    // The spellings of the type in PostgreSQL's text, to find what names it.
    let spelled = |text: &str| {
        text.contains(&format!("{name}"))
            || text.contains(&format!(
                "{}.{}",
                name.schema.as_deref().unwrap_or_default(),
                name.name
            ))
    };
    let mut columns: Vec<(&Table, &Column, bool)> = Vec::new();
    for t in to.tables.iter().filter(|t| t.depends_on.contains(&key)) {
        let mut found = false;
        for c in &t.columns {
            let Some((type_name, array)) = parse_type_name(&c.type_name) else {
                continue;
            };
            if type_name != *name {
                continue;
            }
            found = true;
            // A partition's or inheritance child's copy changes with its parent.
            if t.partition_of.is_some() || c.inherited {
                continue;
            }
            if c.generated.is_some() {
                return Err(format!(
                    "generated column {}.{} has it",
                    t.name,
                    quote_ident(&c.name)
                ));
            }
            if t.partition_key
                .as_deref()
                .is_some_and(|k| k.contains(c.name.as_str()))
            {
                return Err(format!("{} is partitioned by a column of it", t.key()));
            }
            columns.push((t, c, array));
        }
        let names_it = to
            .constraints
            .iter()
            .filter(|x| x.table == t.name)
            .map(|x| x.definition.as_str())
            .chain(
                to.indexes
                    .iter()
                    .filter(|i| i.table == t.name)
                    .map(|i| i.definition.as_str()),
            )
            .chain(
                to.triggers
                    .iter()
                    .filter(|x| x.table == t.name)
                    .map(|x| x.definition.as_str()),
            )
            .chain(
                to.policies
                    .iter()
                    .filter(|p| p.table == t.name)
                    .flat_map(|p| p.using.iter().chain(p.with_check.iter()))
                    .map(String::as_str),
            )
            .any(spelled);
        if names_it {
            return Err(format!(
                "a constraint, index, trigger or policy of {} names it",
                t.key()
            ));
        }
        if !found && t.partition_of.is_none() {
            return Err(format!("{} uses it other than as a column type", t.key()));
        }
    }
    let aside = QualifiedName::new(
        name.schema.as_deref(),
        &format!("{}_strata_down", name.name),
    );
    let mut starts: BTreeSet<ObjectRef> = columns.iter().map(|(t, _, _)| t.key()).collect();
    starts.insert(key.clone());
    let (drop_views, create_views) = super::views::drop_and_recreate(to, &starts);
    let mut out = vec![
        format!("ALTER TYPE {name} RENAME TO {};", quote_ident(&aside.name)),
        render::create_enum(old),
    ];
    out.extend(drop_views);
    for (t, c, array) in &columns {
        let alter = format!(
            "ALTER TABLE {} ALTER COLUMN {}",
            t.name,
            quote_ident(&c.name)
        );
        if c.default.is_some() {
            out.push(format!("{alter} DROP DEFAULT;"));
        }
        let (via, target) = if *array {
            ("text[]", format!("{name}[]"))
        } else {
            ("text", name.to_string())
        };
        out.push(format!(
            "{alter} TYPE {target} USING {}::{via}::{target};",
            quote_ident(&c.name)
        ));
        if let Some(d) = &c.default {
            out.push(format!("{alter} SET DEFAULT {d};"));
        }
    }
    out.extend(create_views);
    out.push(format!("DROP TYPE {aside};"));
    if let Some(comment) = &old.comment {
        out.push(format!(
            "COMMENT ON TYPE {name} IS {};",
            quote_literal(comment)
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::diff::fixtures::*;

    #[test]
    fn enum_labels_added_anywhere() {
        let e = q("a\"b", "naïve ü");
        let from = Schema {
            enums: vec![enum_type(e.clone(), &["c"])],
            ..Schema::default()
        };
        let to = Schema {
            enums: vec![enum_type(e.clone(), &["a", "b'", "c", "d"])],
            ..Schema::default()
        };
        assert_eq!(
            plan(&from, &to).up(),
            [
                r#"ALTER TYPE "a""b"."naïve ü" ADD VALUE 'a' BEFORE 'c';"#,
                r#"ALTER TYPE "a""b"."naïve ü" ADD VALUE 'b''' AFTER 'a';"#,
                r#"ALTER TYPE "a""b"."naïve ü" ADD VALUE 'd' AFTER 'c';"#,
            ]
        );
    }
}
