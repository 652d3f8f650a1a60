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

fn concurrently(i: &Index) -> Option<String> {
    let def = i.definition.trim_end();
    for prefix in ["CREATE UNIQUE INDEX ", "CREATE INDEX "] {
        if let Some(rest) = def.strip_prefix(prefix) {
            return Some(format!("{prefix}CONCURRENTLY {rest};"));
        }
    }
    None
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
    for (key, i) in &f {
        if t.get(key).is_none_or(|n| !same(i, n)) {
            let mut down = vec![index_sql(i)];
            down.extend(
                comment_change(format!("INDEX {}", i.name), key.clone(), &None, &i.comment)
                    .map(|c| c.up)
                    .unwrap_or_default(),
            );
            b.push(
                Phase::DropIndex,
                change(ChangeKind::DropIndex, key.clone(), vec![drop(i)], down),
            );
        }
    }
    for (key, i) in &t {
        let old = f.get(key);
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
                    c.down = vec![format!("DROP INDEX CONCURRENTLY {};", i.name)];
                    c.non_transactional = true;
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
            [r#"CREATE INDEX CONCURRENTLY "i""x" ON "a""b"."Mixed Case" USING btree ("order");"#]
        );
        assert_eq!(c.down, [r#"DROP INDEX CONCURRENTLY "a""b"."i""x";"#]);
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
        // Dropped.
        let p = plan(&to, &from);
        assert_eq!(
            only(&p, ChangeKind::DropIndex).up,
            [r#"DROP INDEX "a""b"."i""x";"#]
        );
    }
}
