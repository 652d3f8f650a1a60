//! Partitions and inheritance: a table's parents, a change of partition key (left to a person),
//! `ATTACH` / `DETACH PARTITION` and `INHERIT` / `NO INHERIT`.

use super::change::{change, hazard, Change, ChangeKind, HazardId};
use super::order::{Builder, Phase};
use super::tables::table_ref;
use crate::model::*;
use crate::render;
use strata_core::QualifiedName;

/// A table's partition parent and inheritance parents.
pub(super) fn parents(t: &Table) -> Vec<&QualifiedName> {
    t.partition_of
        .iter()
        .map(|p| &p.parent)
        .chain(t.inherits.iter())
        .collect()
}

fn attach_partition_sql(t: &Table, p: &PartitionOf) -> String {
    format!(
        "ALTER TABLE {} ATTACH PARTITION {} {};",
        p.parent, t.name, p.bound
    )
}

fn detach_partition_sql(t: &Table, p: &PartitionOf) -> String {
    format!("ALTER TABLE {} DETACH PARTITION {};", p.parent, t.name)
}

fn inherit_sql(t: &Table, parent: &QualifiedName, on: bool) -> String {
    format!(
        "ALTER TABLE {} {}INHERIT {parent};",
        t.name,
        if on { "" } else { "NO " }
    )
}

/// The hazard of a plain `DETACH PARTITION` on PostgreSQL 14+, where the lint rule
/// non-concurrent-detach-partition asks for `CONCURRENTLY`. The diff does not write that form:
/// PostgreSQL refuses it while the parent has a default partition; it leaves the partition
/// constraint behind on the detached table as a CHECK the schema does not have (dropping it is a
/// second statement outside a transaction); and it cannot be run again after an interruption
/// (that needs `… FINALIZE`). A person who wants it rewrites the file (docs/schema.md).
pub(super) fn mark_plain_detach(from: &Schema, changes: &mut [Change]) {
    if from.server_version < 140_000 {
        return;
    }
    let has_default = |parent: &QualifiedName| {
        from.tables.iter().any(|t| {
            t.partition_of
                .as_ref()
                .is_some_and(|p| &p.parent == parent && p.bound.trim() == "DEFAULT")
        })
    };
    for c in changes
        .iter_mut()
        .filter(|c| c.kind == ChangeKind::DetachPartition)
    {
        let Some(p) = from
            .table(&c.object.name)
            .and_then(|t| t.partition_of.as_ref())
        else {
            continue;
        };
        let why = if has_default(&p.parent) {
            format!(
                "PostgreSQL refuses CONCURRENTLY while {} has a default partition",
                p.parent
            )
        } else {
            "DETACH … CONCURRENTLY cannot run in a transaction, cannot be run again after an interruption and leaves the partition constraint behind as a CHECK: rewrite it by hand on a busy table".to_owned()
        };
        c.hazards.push(hazard(
            HazardId::BlockingDetach,
            format!(
                "partition {} is detached from {} under ACCESS EXCLUSIVE on {} (every query on it waits): {why}",
                c.object.name, p.parent, p.parent
            ),
        ));
    }
}

/// `ATTACH PARTITION` / `INHERIT` changes linking a table to its parents (a child created with
/// `INHERITS (…)` needs none); `up` false gives the inverse (`DETACH`, `NO INHERIT`).
pub(super) fn links(t: &Table, skip: impl Fn(&QualifiedName) -> bool, up: bool) -> Vec<Change> {
    let key = table_ref(&t.name);
    let mut out = Vec::new();
    if let Some(p) = t.partition_of.as_ref().filter(|p| !skip(&p.parent)) {
        let (attach, detach) = (attach_partition_sql(t, p), detach_partition_sql(t, p));
        out.push(if up {
            change(
                ChangeKind::AttachPartition,
                key.clone(),
                vec![attach],
                vec![detach],
            )
        } else {
            change(
                ChangeKind::DetachPartition,
                key.clone(),
                vec![detach],
                vec![attach],
            )
        });
    }
    if !render::created_with_inherits(t) {
        for parent in t.inherits.iter().filter(|p| !skip(p)) {
            let (on, off) = (inherit_sql(t, parent, true), inherit_sql(t, parent, false));
            out.push(if up {
                change(ChangeKind::Inherit, key.clone(), vec![on], vec![off])
            } else {
                change(ChangeKind::NoInherit, key.clone(), vec![off], vec![on])
            });
        }
    }
    out
}

/// A table that stays: a change of partition key (left to a person), and the partition and
/// inheritance links that change (`DETACH PARTITION` / `NO INHERIT` early, `ATTACH PARTITION` /
/// `INHERIT` after the columns).
pub(super) fn relink(key: &ObjectRef, old: &Table, new: &Table, b: &mut Builder) {
    if old.partition_key != new.partition_key {
        let what = match (&old.partition_key, &new.partition_key) {
            (None, Some(_)) => "becomes partitioned",
            (Some(_), None) => "stops being partitioned",
            _ => "changes its partition key",
        };
        let message = format!(
            "table {} {what}, which PostgreSQL cannot do in place: create the new table, \
             move the rows, swap the names (by hand)",
            new.name
        );
        let mut c = change(
            ChangeKind::ManualStep,
            key.clone(),
            vec![format!("-- manual step: {message}")],
            vec![format!(
                "-- manual step: undo the change to table {} by hand",
                new.name
            )],
        );
        c.hazards.push(hazard(HazardId::ManualStep, message));
        b.create(c);
    }
    // Partition and inheritance links that change.
    if old.partition_of != new.partition_of {
        if let Some(p) = &old.partition_of {
            b.push(
                Phase::Detach,
                change(
                    ChangeKind::DetachPartition,
                    key.clone(),
                    vec![detach_partition_sql(old, p)],
                    vec![attach_partition_sql(old, p)],
                ),
            );
        }
        if let Some(p) = &new.partition_of {
            b.push(
                Phase::Attach,
                change(
                    ChangeKind::AttachPartition,
                    key.clone(),
                    vec![attach_partition_sql(new, p)],
                    vec![detach_partition_sql(new, p)],
                ),
            );
        }
    }
    for p in old.inherits.iter().filter(|p| !new.inherits.contains(p)) {
        b.push(
            Phase::Detach,
            change(
                ChangeKind::NoInherit,
                key.clone(),
                vec![inherit_sql(new, p, false)],
                vec![inherit_sql(new, p, true)],
            ),
        );
    }
    for p in new.inherits.iter().filter(|p| !old.inherits.contains(p)) {
        b.push(
            Phase::Attach,
            change(
                ChangeKind::Inherit,
                key.clone(),
                vec![inherit_sql(new, p, true)],
                vec![inherit_sql(new, p, false)],
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::diff::fixtures::*;

    #[test]
    fn partitions_take_column_changes_from_their_parent() {
        let parent = q("app", "events");
        let part = q("app", "events 1");
        let mut p = table(parent.clone(), vec![column("id", "integer")]);
        p.partition_key = Some("RANGE (id)".into());
        let partition = |columns: Vec<Column>| {
            let mut t = table(part.clone(), columns);
            t.partition_of = Some(PartitionOf {
                parent: parent.clone(),
                bound: "FOR VALUES FROM (0) TO (10)".into(),
            });
            t
        };
        let from = with_tables(vec![p.clone(), partition(vec![column("id", "integer")])]);
        let mut p2 = p.clone();
        p2.columns.push(column("v", "text"));
        p2.columns[0].not_null = true;
        let mut id = column("id", "integer");
        id.not_null = true;
        let mut new_part = table(q("app", "events 2"), vec![id.clone(), column("v", "text")]);
        new_part.partition_of = Some(PartitionOf {
            parent: parent.clone(),
            bound: "FOR VALUES FROM (10) TO (20)".into(),
        });
        let to = with_tables(vec![p2, partition(vec![id, column("v", "text")]), new_part]);
        let pl = plan(&from, &to);
        use ChangeKind::*;
        // Only the parent's columns change; the new partition is attached after they have.
        assert_eq!(
            kinds(&pl),
            [CreateTable, AddColumn, SetNotNull, AttachPartition]
        );
        assert!(pl.changes[1..3].iter().all(|c| c.object.name == parent));
        assert_eq!(
            pl.changes[3].up,
            [
                r#"ALTER TABLE "app"."events" ATTACH PARTITION "app"."events 2" FOR VALUES FROM (10) TO (20);"#
            ]
        );
        assert_eq!(
            pl.changes[3].down,
            [r#"ALTER TABLE "app"."events" DETACH PARTITION "app"."events 2";"#]
        );
        // Detached: a plain table again.
        let mut detached = from.clone();
        detached.tables[1].partition_of = None;
        assert_eq!(kinds(&plan(&from, &detached)), [DetachPartition]);
        // A new partition key cannot be made in place.
        let mut rekeyed = from.clone();
        rekeyed.tables[0].partition_key = Some("LIST (id)".into());
        let pl = plan(&from, &rekeyed);
        assert_eq!(kinds(&pl), [ManualStep]);
        assert_eq!(hazards(&pl.changes[0]), ["manual-step"]);
    }

    #[test]
    fn a_plain_detach_on_14_carries_the_hazard_lint_names() {
        let parent = q("app", "log");
        let mut p = table(parent.clone(), vec![column("at", "integer")]);
        p.partition_key = Some("RANGE (at)".into());
        let mut part = table(q("app", "log 2"), vec![column("at", "integer")]);
        part.partition_of = Some(PartitionOf {
            parent,
            bound: "FOR VALUES FROM (10) TO (20)".into(),
        });
        let mut from = with_tables(vec![p.clone(), part.clone()]);
        from.server_version = 150_000;
        let mut alone = part;
        alone.partition_of = None;
        let to = with_tables(vec![p, alone]);
        let pl = plan(&from, &to);
        let c = only(&pl, ChangeKind::DetachPartition);
        assert!(!c.non_transactional);
        assert_eq!(
            c.up,
            [r#"ALTER TABLE "app"."log" DETACH PARTITION "app"."log 2";"#]
        );
        assert_eq!(hazards(c), ["blocking-detach"]);
        // Before 14 there is no concurrent form, and lint asks for none.
        from.server_version = 130_000;
        assert!(only(&plan(&from, &to), ChangeKind::DetachPartition)
            .hazards
            .is_empty());
    }
}
