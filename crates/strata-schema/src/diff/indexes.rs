//! Indexes: dropped and created (`CONCURRENTLY` on a table that exists), re-created with a
//! re-created materialized view.

use super::by_key;
use super::change::{change, ChangeKind};
use super::comments::comment_change;
use super::order::{Builder, Phase};
use crate::model::*;
use std::collections::BTreeSet;
use strata_core::QualifiedName;

fn index_sql(i: &Index) -> String {
    format!("{};", i.definition.trim_end())
}

/// `CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS …`: outside a transaction each statement
/// commits on its own, so a file of them is written to be run again after a failure.
pub(super) fn concurrently(i: &Index) -> Option<String> {
    let def = i.definition.trim_end();
    for prefix in ["CREATE UNIQUE INDEX ", "CREATE INDEX "] {
        if let Some(rest) = def.strip_prefix(prefix) {
            return Some(format!("{prefix}CONCURRENTLY IF NOT EXISTS {rest};"));
        }
    }
    None
}

/// `DROP INDEX CONCURRENTLY IF EXISTS …`, likewise.
pub(super) fn drop_concurrently(name: &QualifiedName) -> String {
    format!("DROP INDEX CONCURRENTLY IF EXISTS {name};")
}

pub(super) fn indexes(
    from: &Schema,
    to: &Schema,
    recreated: &BTreeSet<QualifiedName>,
    b: &mut Builder,
) {
    let (f, t) = (by_key(&from.indexes), by_key(&to.indexes));
    let drop = |i: &Index| format!("DROP INDEX {};", i.name);
    // Same definition, on a relation that is not re-created.
    let same = |o: &Index, n: &Index| o.definition == n.definition && !recreated.contains(&o.table);
    // A materialized view that goes (or is re-created) takes its indexes along, and its drop's
    // down brings them back.
    let view_goes = |name: &QualifiedName| {
        from.materialized_views.iter().any(|v| &v.name == name)
            && (recreated.contains(name) || !to.materialized_views.iter().any(|v| &v.name == name))
    };
    // Likewise a table that goes: DROP TABLE takes its indexes, its down re-creates them.
    let table_goes = |name: &QualifiedName| from.table(name).is_some() && to.table(name).is_none();
    for (key, i) in &f {
        if view_goes(&i.table) || table_goes(&i.table) {
            continue;
        }
        if t.get(key).is_none_or(|n| !same(i, n)) {
            let comment =
                comment_change(format!("INDEX {}", i.name), key.clone(), &None, &i.comment)
                    .map(|c| c.up)
                    .unwrap_or_default();
            // Without blocking writes, unless the table is partitioned (PostgreSQL cannot drop a
            // partitioned index concurrently). Its down builds it again the same way.
            let partitioned = from
                .table(&i.table)
                .is_some_and(|t| t.partition_key.is_some());
            let mut c = match concurrently(i) {
                Some(build) if !partitioned => {
                    let mut down = vec![build];
                    down.extend(comment);
                    let mut c = change(
                        ChangeKind::DropIndex,
                        key.clone(),
                        vec![drop_concurrently(&i.name)],
                        down,
                    );
                    c.non_transactional = true;
                    c
                }
                _ => {
                    let mut down = vec![index_sql(i)];
                    down.extend(comment);
                    change(ChangeKind::DropIndex, key.clone(), vec![drop(i)], down)
                }
            };
            c.unique_index = i.unique;
            b.push(Phase::DropIndex, c);
        }
    }
    for (key, i) in &t {
        let old = f.get(key);
        let mut commented = false;
        if old.is_none_or(|o| !same(o, i)) {
            // An index on a table that already exists (and is not partitioned) is built without
            // blocking writes.
            let existing = from.table(&i.table).is_some()
                && to
                    .table(&i.table)
                    .is_some_and(|t| t.partition_key.is_none());
            let mut c = change(
                ChangeKind::CreateIndex,
                key.clone(),
                vec![index_sql(i)],
                vec![drop(i)],
            );
            c.unique_index = i.unique;
            if existing {
                if let Some(sql) = concurrently(i) {
                    c.up = vec![sql];
                    c.down = vec![drop_concurrently(&i.name)];
                    c.non_transactional = true;
                }
            }
            // A comment on an index built concurrently is set right after it, in the same part
            // (the index does not exist before it).
            if c.non_transactional {
                if let Some(comment) =
                    comment_change(format!("INDEX {}", i.name), key.clone(), &None, &i.comment)
                {
                    c.up.extend(comment.up);
                    commented = true;
                }
            }
            // Indexes of partitioned tables first: creating one creates (or adopts) its
            // partitions' indexes.
            let partitioned = to
                .table(&i.table)
                .is_some_and(|t| t.partition_key.is_some());
            b.push_at(Phase::CreateIndex, usize::from(!partitioned), c);
        }
        let before = old.filter(|o| same(o, i)).and_then(|o| o.comment.clone());
        if commented {
            continue;
        }
        if let Some(c) = comment_change(
            format!("INDEX {}", i.name),
            key.clone(),
            &before,
            &i.comment,
        ) {
            b.push(Phase::Comment, c);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diff::fixtures::*;

    #[test]
    fn index_on_an_existing_table_is_concurrent() {
        let t = table(hostile(), vec![column("order", "text")]);
        let from = with_tables(vec![t.clone()]);
        let mut to = with_tables(vec![t]);
        to.indexes.push(index(&hostile(), "i\"x"));
        let p = plan(&from, &to);
        let c = only(&p, ChangeKind::CreateIndex);
        assert!(c.non_transactional);
        assert_eq!(
            c.up,
            [
                r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS "i""x" ON "a""b"."Mixed Case" USING btree ("order");"#
            ]
        );
        assert_eq!(
            c.down,
            [r#"DROP INDEX CONCURRENTLY IF EXISTS "a""b"."i""x";"#]
        );
        assert!(render(&p, false).contains("-- non-transactional"));
        // On a new table: plain, in the transaction.
        let mut fresh = to.clone();
        fresh.tables[0].name = q("app", "order");
        fresh.indexes[0] = index(&q("app", "order"), "i");
        let p = plan(&Schema::default(), &fresh);
        let c = only(&p, ChangeKind::CreateIndex);
        assert!(!c.non_transactional && !c.up[0].contains("CONCURRENTLY"));
        assert!(
            p.changes
                .iter()
                .position(|c| c.kind == ChangeKind::CreateTable)
                < p.changes
                    .iter()
                    .position(|c| c.kind == ChangeKind::CreateIndex)
        );
        // Dropped, concurrently too.
        let p = plan(&to, &from);
        let d = only(&p, ChangeKind::DropIndex);
        assert!(d.non_transactional);
        assert_eq!(
            d.up,
            [r#"DROP INDEX CONCURRENTLY IF EXISTS "a""b"."i""x";"#]
        );
        assert!(d.down[0].starts_with("CREATE INDEX CONCURRENTLY IF NOT EXISTS"));
    }
}
