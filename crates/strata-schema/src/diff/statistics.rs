//! Extended statistics (`CREATE STATISTICS`): dropped and created again when their definition
//! changes or their table or materialized view goes or is re-created; a changed statistics target
//! is altered in place.
//!
//! A statistics object whose table goes is dropped before it (in the phase indexes are dropped
//! in), so that the table's down, which runs first on the way back, re-creates the table before
//! this change's down re-creates the statistics.

use super::by_key;
use super::change::{change, ChangeKind};
use super::comments::comment_change;
use super::order::{Builder, Phase};
use crate::model::*;
use crate::render;
use std::collections::BTreeSet;
use strata_core::QualifiedName;

fn create(s: &Statistics) -> Vec<String> {
    render::create_statistics(s)
        .lines()
        .map(str::to_owned)
        .collect()
}

pub(super) fn statistics(
    from: &Schema,
    to: &Schema,
    recreated: &BTreeSet<QualifiedName>,
    b: &mut Builder,
) {
    let (f, t) = (by_key(&from.statistics), by_key(&to.statistics));
    // Its relation is dropped or re-created: the statistics go with it.
    let relation_goes = |name: &QualifiedName| {
        recreated.contains(name)
            || (from.table(name).is_some() && to.table(name).is_none())
            || (from.materialized_views.iter().any(|v| &v.name == name)
                && !to.materialized_views.iter().any(|v| &v.name == name))
    };
    let same = |o: &Statistics, n: &Statistics| {
        o.definition == n.definition && o.table == n.table && !relation_goes(&o.table)
    };
    let target = |s: &Statistics| format!("STATISTICS {}", s.name);
    for (key, s) in &f {
        if t.get(key).is_some_and(|n| same(s, n)) {
            continue;
        }
        let mut down = create(s);
        down.extend(
            comment_change(target(s), key.clone(), &None, &s.comment)
                .map(|c| c.up)
                .unwrap_or_default(),
        );
        let mut c = change(
            ChangeKind::DropStatistics,
            key.clone(),
            vec![format!("DROP STATISTICS IF EXISTS {};", s.name)],
            down,
        );
        // Written with the drop of its table (a comment while destructive changes are not).
        c.destructive = from.table(&s.table).is_some() && to.table(&s.table).is_none();
        b.push(Phase::DropIndex, c);
    }
    for (key, s) in &t {
        let old = f.get(key).filter(|o| same(o, s));
        match old {
            None => b.push(
                Phase::CreateIndex,
                change(
                    ChangeKind::CreateStatistics,
                    key.clone(),
                    create(s),
                    vec![format!("DROP STATISTICS IF EXISTS {};", s.name)],
                ),
            ),
            Some(o) if o.target != s.target => b.push(
                Phase::CreateIndex,
                change(
                    ChangeKind::AlterStatistics,
                    key.clone(),
                    vec![render::statistics_target(s, s.target)],
                    vec![render::statistics_target(s, o.target)],
                ),
            ),
            Some(_) => {}
        }
        if let Some(c) = comment_change(
            target(s),
            key.clone(),
            &old.and_then(|o| o.comment.clone()),
            &s.comment,
        ) {
            b.push(Phase::Comment, c);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diff::fixtures::*;

    fn stats(table: &QualifiedName, name: &str, columns: &str) -> Statistics {
        let name = QualifiedName::new(table.schema.as_deref(), name);
        Statistics {
            definition: format!("CREATE STATISTICS {name} (ndistinct) ON {columns} FROM {table}"),
            name,
            table: table.clone(),
            target: None,
            comment: None,
        }
    }

    #[test]
    fn statistics_are_created_altered_dropped_and_quoted() {
        let t = table(
            hostile(),
            vec![column("a", "text"), column("order", "text")],
        );
        let from = with_tables(vec![t.clone()]);
        let mut to = from.clone();
        let mut s = stats(&hostile(), "s\"t", "a, \"order\"");
        s.comment = Some("it's".into());
        to.statistics.push(s.clone());
        let p = plan(&from, &to);
        let c = only(&p, ChangeKind::CreateStatistics);
        assert_eq!(
            c.up,
            [
                r#"CREATE STATISTICS "a""b"."s""t" (ndistinct) ON a, "order" FROM "a""b"."Mixed Case";"#
            ]
        );
        assert_eq!(c.down, [r#"DROP STATISTICS IF EXISTS "a""b"."s""t";"#]);
        let comment = only(&p, ChangeKind::SetComment);
        assert_eq!(
            comment.up,
            [r#"COMMENT ON STATISTICS "a""b"."s""t" IS 'it''s';"#]
        );
        // Back: dropped, its down creates it again with its comment.
        let back = plan(&to, &from);
        let d = only(&back, ChangeKind::DropStatistics);
        assert!(!d.destructive);
        assert_eq!(d.down.len(), 2, "{:?}", d.down);
        // A target: altered in place, and back.
        let mut targeted = to.clone();
        targeted.statistics[0].target = Some(500);
        let p = plan(&to, &targeted);
        let a = only(&p, ChangeKind::AlterStatistics);
        assert_eq!(
            a.up,
            [r#"ALTER STATISTICS "a""b"."s""t" SET STATISTICS 500;"#]
        );
        assert_eq!(
            a.down,
            [r#"ALTER STATISTICS "a""b"."s""t" SET STATISTICS -1;"#]
        );
        // A changed definition: dropped and created (with its comment).
        let mut changed = to.clone();
        changed.statistics[0].definition = changed.statistics[0]
            .definition
            .replace("(ndistinct)", "(dependencies)");
        let p = plan(&to, &changed);
        let kinds: Vec<ChangeKind> = p.changes.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                ChangeKind::DropStatistics,
                ChangeKind::CreateStatistics,
                ChangeKind::SetComment
            ]
        );
        // Its table dropped: the drop goes with the table's (destructive), before it.
        let p = plan(&to, &Schema::default());
        let kinds: Vec<ChangeKind> = p.changes.iter().map(|c| c.kind).collect();
        let at = |k| kinds.iter().position(|x| *x == k).unwrap();
        assert!(at(ChangeKind::DropStatistics) < at(ChangeKind::DropTable));
        assert!(only(&p, ChangeKind::DropStatistics).destructive);
        // And the statistics come after their new table.
        let p = plan(&Schema::default(), &to);
        let kinds: Vec<ChangeKind> = p.changes.iter().map(|c| c.kind).collect();
        let at = |k| kinds.iter().position(|x| *x == k).unwrap();
        assert!(at(ChangeKind::CreateTable) < at(ChangeKind::CreateStatistics));
    }
}
