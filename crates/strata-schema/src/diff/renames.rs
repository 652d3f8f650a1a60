//! Rename hints (`--rename old=new`): applied to a copy of `from` before anything is compared,
//! each recorded as a `RENAME TO` / `RENAME COLUMN` change.

use super::change::{change, hazard, Change, ChangeKind, HazardId};
use super::tables::table_ref;
use super::DiffOptions;
use crate::model::*;
use strata_core::{quote_ident, QualifiedName};

/// Finds the table a hint names: `schema.table` or a table name unique across schemas.
fn find_table<'a>(schema: &'a Schema, text: &str) -> Option<&'a Table> {
    if let Some(t) = schema
        .tables
        .iter()
        .find(|t| t.name == QualifiedName::parse(text))
    {
        return Some(t);
    }
    let mut named = schema.tables.iter().filter(|t| t.name.name == text);
    match (named.next(), named.next()) {
        (Some(t), None) => Some(t),
        _ => None,
    }
}

/// Applies the rename hints to a copy of `from`, recording a rename change for each.
pub(super) fn apply_renames(
    from: &Schema,
    to: &Schema,
    opts: &DiffOptions,
    out: &mut Vec<Change>,
) -> Schema {
    let mut from = from.clone();
    for (old, new) in &opts.renames {
        // A table rename: the old name is a table of `from` and the new one a table of `to`.
        if let Some(t) = find_table(&from, old) {
            let old_name = t.name.clone();
            let new_name = QualifiedName::new(old_name.schema.as_deref(), new);
            if to.table(&new_name).is_some() && from.table(&new_name).is_none() {
                rename_table(&mut from, &old_name, &new_name);
                let mut c = change(
                    ChangeKind::RenameTable,
                    table_ref(&old_name),
                    vec![format!(
                        "ALTER TABLE {old_name} RENAME TO {};",
                        quote_ident(new)
                    )],
                    vec![format!(
                        "ALTER TABLE {new_name} RENAME TO {};",
                        quote_ident(&old_name.name)
                    )],
                );
                c.renames.push((old.clone(), new.clone()));
                c.hazards.push(hazard(
                    HazardId::Rename,
                    format!("table {old_name} is renamed to {new_name}: clients that use the old name fail from then on"),
                ));
                out.push(c);
                continue;
            }
        }
        let Some((table, column)) = old.rsplit_once('.') else {
            continue;
        };
        let Some(t) = find_table(&from, table) else {
            continue;
        };
        let name = t.name.clone();
        let Some(target) = to.table(&name) else {
            continue;
        };
        let has = |t: &Table, c: &str| t.columns.iter().any(|x| x.name == c);
        if !has(t, column) || has(t, new) || !has(target, new) {
            continue;
        }
        let t = from.tables.iter_mut().find(|t| t.name == name).unwrap();
        for c in &mut t.columns {
            if c.name == column {
                c.name = new.clone();
            }
        }
        for s in &mut from.sequences {
            if let Some(o) = &mut s.owned_by {
                if o.table == name && o.column == column {
                    o.column = new.clone();
                }
            }
        }
        let on = table_ref(&name);
        for g in &mut from.grants {
            if g.on == on && g.column.as_deref() == Some(column) {
                g.column = Some(new.clone());
            }
        }
        let mut c = change(
            ChangeKind::RenameColumn,
            table_ref(&name),
            vec![format!(
                "ALTER TABLE {name} RENAME COLUMN {} TO {};",
                quote_ident(column),
                quote_ident(new)
            )],
            vec![format!(
                "ALTER TABLE {name} RENAME COLUMN {} TO {};",
                quote_ident(new),
                quote_ident(column)
            )],
        );
        c.column = Some(column.to_owned());
        c.renames.push((old.clone(), new.clone()));
        c.hazards.push(hazard(
            HazardId::Rename,
            format!(
                "column {name}.{} is renamed to {}: clients that use the old name fail from then on",
                quote_ident(column),
                quote_ident(new)
            ),
        ));
        out.push(c);
    }
    from
}

fn rename_table(schema: &mut Schema, old: &QualifiedName, new: &QualifiedName) {
    let old_ref = table_ref(old);
    let new_ref = table_ref(new);
    let rename = |name: &mut QualifiedName| {
        if name == old {
            *name = new.clone();
        }
    };
    let rename_refs = |refs: &mut Vec<ObjectRef>| {
        for r in refs {
            if *r == old_ref {
                *r = new_ref.clone();
            }
        }
    };
    for t in &mut schema.tables {
        rename(&mut t.name);
        if let Some(p) = &mut t.partition_of {
            rename(&mut p.parent);
        }
        t.inherits.iter_mut().for_each(rename);
        rename_refs(&mut t.depends_on);
    }
    for c in &mut schema.constraints {
        rename(&mut c.table);
    }
    for i in &mut schema.indexes {
        rename(&mut i.table);
    }
    for t in &mut schema.triggers {
        rename(&mut t.table);
    }
    for p in &mut schema.policies {
        rename(&mut p.table);
    }
    for s in &mut schema.sequences {
        if let Some(o) = &mut s.owned_by {
            rename(&mut o.table);
        }
    }
    for f in &mut schema.functions {
        rename_refs(&mut f.depends_on);
    }
    // Privileges and owners follow the table (PostgreSQL keeps them through the rename).
    for g in &mut schema.grants {
        if g.on == old_ref {
            g.on = new_ref.clone();
        }
    }
    for o in &mut schema.owners {
        if o.on == old_ref {
            o.on = new_ref.clone();
        }
    }
    for v in &mut schema.views {
        rename_refs(&mut v.depends_on);
    }
    for v in &mut schema.materialized_views {
        rename_refs(&mut v.depends_on);
    }
    schema.normalize();
}

#[cfg(test)]
mod tests {
    use crate::diff::fixtures::*;

    #[test]
    fn rename_hints_become_renames() {
        let from = with_tables(vec![
            table(hostile(), vec![column("old", "text")]),
            table(q("app", "order"), vec![]),
        ]);
        let to = with_tables(vec![
            table(hostile(), vec![column("new", "text")]),
            table(q("app", "a\"b"), vec![]),
        ]);
        let opts = DiffOptions {
            renames: vec![
                (r#"a"b.Mixed Case.old"#.into(), "new".into()),
                ("app.order".into(), "a\"b".into()),
            ],
            ..DiffOptions::default()
        };
        let p = diff(&from, &to, &opts);
        assert_eq!(p.changes.len(), 2, "{p:#?}");
        assert_eq!(
            only(&p, ChangeKind::RenameColumn).up,
            [r#"ALTER TABLE "a""b"."Mixed Case" RENAME COLUMN "old" TO "new";"#]
        );
        let t = only(&p, ChangeKind::RenameTable);
        assert_eq!(t.up, [r#"ALTER TABLE "app"."order" RENAME TO "a""b";"#]);
        assert_eq!(t.down, [r#"ALTER TABLE "app"."a""b" RENAME TO "order";"#]);
    }

    #[test]
    fn renamed_column_keeps_its_sequence() {
        let seq = |column: &str| Sequence {
            name: q("app", "t_n_seq"),
            options: SequenceOptions {
                data_type: "integer".into(),
                start: 1,
                increment: 1,
                min_value: 1,
                max_value: 2147483647,
                cache: 1,
                cycle: false,
            },
            unlogged: false,
            owned_by: Some(ColumnRef {
                table: q("app", "t"),
                column: column.into(),
            }),
            comment: None,
        };
        let from = Schema {
            sequences: vec![seq("n")],
            ..with_tables(vec![table(q("app", "t"), vec![column("n", "integer")])])
        };
        let to = Schema {
            sequences: vec![seq("the n")],
            ..with_tables(vec![table(q("app", "t"), vec![column("the n", "integer")])])
        };
        let opts = DiffOptions {
            renames: vec![("t.n".into(), "the n".into())],
            ..DiffOptions::default()
        };
        let p = diff(&from, &to, &opts);
        assert_eq!(kinds(&p), [ChangeKind::RenameColumn], "{p:#?}");
    }
}
