//! Tables: created (a child created with `INHERITS (…)` after its parents' columns change) and
//! dropped, persistence (`SET LOGGED` / `UNLOGGED`), storage options, row-level security, and the
//! comments of tables and columns. Partition and inheritance links are in `partitions.rs`,
//! columns in `columns.rs`.

use super::by_key;
use super::change::{change, hazard, Change, ChangeKind, HazardId};
use super::columns::columns;
use super::comments::comment_change;
use super::order::{Builder, Phase};
use super::partitions::{links, relink};
use super::sequences::owned_sequences;
use crate::model::*;
use crate::render;
use std::collections::{BTreeMap, BTreeSet};
use strata_core::{quote_ident, QualifiedName};

pub(super) fn table_ref(name: &QualifiedName) -> ObjectRef {
    ObjectRef::new(ObjectKind::Table, name.clone())
}

fn table_comments(t: &Table, old: Option<&Table>) -> Vec<Change> {
    let key = table_ref(&t.name);
    let mut out = Vec::new();
    out.extend(comment_change(
        format!("TABLE {}", t.name),
        key.clone(),
        &old.and_then(|o| o.comment.clone()),
        &t.comment,
    ));
    for c in &t.columns {
        let before = old
            .and_then(|o| o.columns.iter().find(|x| x.name == c.name))
            .and_then(|x| x.comment.clone());
        if let Some(mut ch) = comment_change(
            format!("COLUMN {}.{}", t.name, quote_ident(&c.name)),
            key.clone(),
            &before,
            &c.comment,
        ) {
            ch.column = Some(c.name.clone());
            out.push(ch);
        }
    }
    out
}

fn row_security_sql(t: &Table) -> Vec<String> {
    let mut out = Vec::new();
    if t.row_security {
        out.push(format!("ALTER TABLE {} ENABLE ROW LEVEL SECURITY;", t.name));
    }
    if t.force_row_security {
        out.push(format!("ALTER TABLE {} FORCE ROW LEVEL SECURITY;", t.name));
    }
    out
}

/// `ALTER TABLE … SET (…)` / `RESET (…)` from one `reloptions` list to another (`k=v` entries).
fn options_sql(name: &QualifiedName, old: &[String], new: &[String]) -> Vec<String> {
    let parse = |o: &[String]| -> BTreeMap<String, String> {
        o.iter()
            .map(|e| {
                let (k, v) = e.split_once('=').unwrap_or((e.as_str(), ""));
                (k.to_owned(), v.to_owned())
            })
            .collect()
    };
    let (o, n) = (parse(old), parse(new));
    // Every new entry, in its order: PostgreSQL keeps the old entries it is not given first, so
    // this is what gives the new list its order.
    let set: Vec<String> = if o == n { Vec::new() } else { new.to_vec() };
    let reset: Vec<String> = o
        .keys()
        .filter(|k| !n.contains_key(*k))
        .map(|k| render::option_key(k))
        .collect();
    let mut out = Vec::new();
    if !set.is_empty() {
        let with = render::with_options(&set);
        let list = with.trim_start().trim_start_matches("WITH ");
        out.push(format!("ALTER TABLE {name} SET {list};"));
    }
    if !reset.is_empty() {
        out.push(format!("ALTER TABLE {name} RESET ({});", reset.join(", ")));
    }
    out
}

pub(super) fn tables(from: &Schema, to: &Schema, b: &mut Builder) {
    let (f, t) = (by_key(&from.tables), by_key(&to.tables));
    // A parent that stays: a table that goes is detached from it first (and the down attaches it
    // again after the parent has its old columns back).
    let stays = |p: &QualifiedName| from.table(p).is_some() && to.table(p).is_some();
    for (key, old) in &f {
        if t.contains_key(key) {
            continue;
        }
        for c in links(old, |p| !stays(p), false) {
            b.push(Phase::Detach, c);
        }
        let mut down = vec![render::create_table(from, old)];
        for c in links(old, stays, true) {
            down.extend(c.up);
        }
        down.extend(row_security_sql(old));
        down.extend(owned_sequences(from, &old.name, None));
        for c in table_comments(old, None) {
            down.extend(c.up);
        }
        // Its indexes go with it (no change drops them) and come back with it.
        for i in from.indexes.iter().filter(|i| i.table == old.name) {
            down.push(format!("{};", i.definition.trim_end()));
            down.extend(
                comment_change(format!("INDEX {}", i.name), i.key(), &None, &i.comment)
                    .map(|c| c.up)
                    .unwrap_or_default(),
            );
        }
        let mut c = change(
            ChangeKind::DropTable,
            (*key).clone(),
            vec![format!("DROP TABLE {};", old.name)],
            down,
        );
        c.hazards.push(hazard(
            HazardId::DataLoss,
            format!("table {} is dropped with its rows", old.name),
        ));
        c.destructive = true;
        b.drop(c);
    }
    // Children created with INHERITS (…) under a parent that exists (or is such a child).
    let mut late_children: BTreeSet<&QualifiedName> = BTreeSet::new();
    loop {
        let more: Vec<&QualifiedName> = to
            .tables
            .iter()
            .filter(|n| from.table(&n.name).is_none() && !late_children.contains(&n.name))
            .filter(|n| render::created_with_inherits(n))
            .filter(|n| {
                n.inherits
                    .iter()
                    .any(|p| from.table(p).is_some() || late_children.contains(p))
            })
            .map(|n| &n.name)
            .collect();
        if more.is_empty() {
            break;
        }
        late_children.extend(more);
    }
    for (key, new) in &t {
        let Some(old) = f.get(key) else {
            let c = change(
                ChangeKind::CreateTable,
                key.clone(),
                vec![render::create_table(to, new)],
                vec![format!("DROP TABLE {};", new.name)],
            );
            // A child created with INHERITS (…) takes its parents' columns as they are then: after
            // an existing parent's columns have changed (which would otherwise append them).
            if late_children.contains(&new.name) {
                let depth = b.depth(&new.name);
                b.push_at(Phase::Attach, depth, c);
            } else {
                b.create(c);
            }
            for c in links(new, |_| false, true) {
                b.push(Phase::Attach, c);
            }
            if new.row_security || new.force_row_security {
                b.push(
                    Phase::RowSecurity,
                    change(
                        ChangeKind::EnableRls,
                        key.clone(),
                        row_security_sql(new),
                        vec![],
                    ),
                );
            }
            for c in table_comments(new, None) {
                b.push(Phase::Comment, c);
            }
            continue;
        };
        relink(key, old, new, b);
        columns(from, to, old, new, b);
        if old.unlogged != new.unlogged {
            let set = |unlogged: bool| {
                format!(
                    "ALTER TABLE {} SET {};",
                    new.name,
                    if unlogged { "UNLOGGED" } else { "LOGGED" }
                )
            };
            let kind = if new.unlogged {
                ChangeKind::SetUnlogged
            } else {
                ChangeKind::SetLogged
            };
            let mut c = change(
                kind,
                key.clone(),
                vec![set(new.unlogged)],
                vec![set(old.unlogged)],
            );
            c.hazards.push(hazard(
                HazardId::TableRewrite,
                format!(
                    "table {}: SET {} rewrites the table under an ACCESS EXCLUSIVE lock",
                    new.name,
                    if new.unlogged { "UNLOGGED" } else { "LOGGED" }
                ),
            ));
            b.push(Phase::AlterTable, c);
        }
        let sorted = |o: &[String]| o.iter().cloned().collect::<BTreeSet<String>>();
        if sorted(&old.options) != sorted(&new.options) {
            b.push(
                Phase::AlterTable,
                change(
                    ChangeKind::SetTableOptions,
                    key.clone(),
                    options_sql(&new.name, &old.options, &new.options),
                    options_sql(&new.name, &new.options, &old.options),
                ),
            );
        }
        if old.row_security != new.row_security {
            let (on, off) = (
                format!("ALTER TABLE {} ENABLE ROW LEVEL SECURITY;", new.name),
                format!("ALTER TABLE {} DISABLE ROW LEVEL SECURITY;", new.name),
            );
            let c = if new.row_security {
                change(ChangeKind::EnableRls, key.clone(), vec![on], vec![off])
            } else {
                change(ChangeKind::DisableRls, key.clone(), vec![off], vec![on])
            };
            b.push(Phase::RowSecurity, c);
        }
        if old.force_row_security != new.force_row_security {
            let (on, off) = (
                format!("ALTER TABLE {} FORCE ROW LEVEL SECURITY;", new.name),
                format!("ALTER TABLE {} NO FORCE ROW LEVEL SECURITY;", new.name),
            );
            let c = if new.force_row_security {
                change(ChangeKind::EnableRls, key.clone(), vec![on], vec![off])
            } else {
                change(ChangeKind::DisableRls, key.clone(), vec![off], vec![on])
            };
            b.push(Phase::RowSecurity, c);
        }
        for c in table_comments(new, Some(old)) {
            b.push(Phase::Comment, c);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diff::fixtures::*;

    #[test]
    fn create_and_drop_table_quote_names() {
        let empty = Schema::default();
        let s = with_tables(vec![table(hostile(), vec![column(r#"a"b"#, "text")])]);
        let p = plan(&empty, &s);
        let c = only(&p, ChangeKind::CreateTable);
        assert!(
            c.up[0].starts_with(r#"CREATE TABLE "a""b"."Mixed Case" ("#),
            "{:?}",
            c.up
        );
        assert!(c.up[0].contains(r#""a""b" text"#));
        assert_eq!(c.down, [r#"DROP TABLE "a""b"."Mixed Case";"#]);

        let p = plan(&s, &empty);
        let c = only(&p, ChangeKind::DropTable);
        assert_eq!(hazards(c), ["data-loss"]);
        assert!(c.destructive);
        assert!(c.down[0].starts_with("CREATE TABLE"));
        let hidden = render(&p, false);
        assert!(
            hidden.contains("-- hazard: data-loss: table \"a\"\"b\".\"Mixed Case\""),
            "{hidden}"
        );
        assert!(hidden.contains("\n-- DROP TABLE"), "{hidden}");
        let shown = render(&p, true);
        assert!(
            shown.contains("\nDROP TABLE \"a\"\"b\".\"Mixed Case\";"),
            "{shown}"
        );
        // In a transaction of its own: a failure leaves nothing half done.
        assert!(shown.contains("\nBEGIN;\n"), "{shown}");
        assert!(shown.trim_end().ends_with("COMMIT;"), "{shown}");
    }

    #[test]
    fn persistence_and_storage_options() {
        let mut a = table(hostile(), vec![column("order", "integer")]);
        a.options = vec!["fillfactor=70".into(), "autovacuum_enabled=false".into()];
        let mut b = a.clone();
        b.unlogged = true;
        b.options = vec!["fillfactor=80".into(), "user option=x".into()];
        let (from, to) = (with_tables(vec![a.clone()]), with_tables(vec![b]));
        let p = plan(&from, &to);
        use ChangeKind::*;
        assert_eq!(kinds(&p), [SetUnlogged, SetTableOptions]);
        assert_eq!(hazards(&p.changes[0]), ["table-rewrite"]);
        assert_eq!(
            p.changes[0].up,
            [r#"ALTER TABLE "a""b"."Mixed Case" SET UNLOGGED;"#]
        );
        assert_eq!(
            p.changes[0].down,
            [r#"ALTER TABLE "a""b"."Mixed Case" SET LOGGED;"#]
        );
        assert_eq!(
            p.changes[1].up,
            [
                r#"ALTER TABLE "a""b"."Mixed Case" SET (fillfactor='80', "user option"='x');"#,
                r#"ALTER TABLE "a""b"."Mixed Case" RESET (autovacuum_enabled);"#,
            ]
        );
        assert_eq!(
            p.changes[1].down,
            [
                r#"ALTER TABLE "a""b"."Mixed Case" SET (fillfactor='70', autovacuum_enabled='false');"#,
                r#"ALTER TABLE "a""b"."Mixed Case" RESET ("user option");"#,
            ]
        );
        // The same options in another order: no change.
        let mut reordered = a;
        reordered.options.reverse();
        assert!(plan(&from, &with_tables(vec![reordered])).is_empty());
    }
}
