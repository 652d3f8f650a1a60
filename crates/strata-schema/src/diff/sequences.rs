//! Sequences: options and persistence altered in place, and `OWNED BY` (released before the old
//! owner goes, set after the new one exists).

use super::by_key;
use super::change::{change, ChangeKind};
use super::definitions::Definition;
use super::order::{Builder, Phase};
use crate::model::*;
use crate::render;
use std::collections::BTreeSet;
use strata_core::QualifiedName;

impl Definition for Sequence {
    const CREATE: ChangeKind = ChangeKind::CreateSequence;
    const DROP: ChangeKind = ChangeKind::DropSequence;
    fn create(&self) -> Vec<String> {
        vec![render::create_sequence(self)]
    }
    /// IF EXISTS: a sequence owned by a dropped column or table went with it.
    fn drop(&self) -> String {
        format!("DROP SEQUENCE IF EXISTS {};", self.name)
    }
    fn comments(&self) -> Vec<(String, Option<String>)> {
        vec![(format!("SEQUENCE {}", self.name), self.comment.clone())]
    }
    fn what_changes(&self) -> &'static str {
        "changes"
    }
}

fn alter_sequence_sql(s: &Sequence) -> String {
    format!(
        "ALTER SEQUENCE {} AS {} {};",
        s.name,
        s.options.data_type,
        render::sequence_options(&s.options)
    )
}

pub(super) fn alter_sequence(b: &mut Builder, o: &Sequence, s: &Sequence) -> BTreeSet<String> {
    let logged = |s: &Sequence| {
        let state = if s.unlogged { "UNLOGGED" } else { "LOGGED" };
        format!("ALTER SEQUENCE {} SET {state};", s.name)
    };
    let (mut up, mut down) = (Vec::new(), Vec::new());
    if o.options != s.options {
        up.push(alter_sequence_sql(s));
        down.push(alter_sequence_sql(o));
    }
    if o.unlogged != s.unlogged {
        up.push(logged(s));
        down.push(logged(o));
    }
    if !up.is_empty() {
        b.create(change(ChangeKind::AlterSequence, s.key(), up, down));
    }
    BTreeSet::new()
}

fn owned_by_sql(s: &Sequence) -> String {
    render::sequence_owned_by(s)
        .unwrap_or_else(|| format!("ALTER SEQUENCE {} OWNED BY NONE;", s.name))
}

/// `OWNED BY`: released before the old owner can go (dropping it would drop the sequence), set
/// after the new owner exists.
pub(super) fn sequence_owners(from: &Schema, to: &Schema, b: &mut Builder) {
    let f = by_key(&from.sequences);
    for s in &to.sequences {
        let key = s.key();
        let before = f.get(&key).and_then(|o| o.owned_by.clone());
        if before == s.owned_by {
            continue;
        }
        let with = |owner: Option<ColumnRef>| Sequence {
            owned_by: owner,
            ..s.clone()
        };
        if before.is_some() {
            b.push(
                Phase::ReleaseOwnership,
                change(
                    ChangeKind::AlterSequence,
                    key.clone(),
                    vec![owned_by_sql(&with(None))],
                    vec![owned_by_sql(&with(before.clone()))],
                ),
            );
        }
        if s.owned_by.is_some() {
            b.push(
                Phase::SequenceOwner,
                change(
                    ChangeKind::AlterSequence,
                    key,
                    vec![owned_by_sql(s)],
                    vec![owned_by_sql(&with(None))],
                ),
            );
        }
    }
}

/// `OWNED BY` of the sequences a table (or one of its columns) owns: dropping the table or column
/// dropped them, so the down that re-creates it restores their ownership.
pub(super) fn owned_sequences(
    from: &Schema,
    table: &QualifiedName,
    column: Option<&str>,
) -> Vec<String> {
    from.sequences
        .iter()
        .filter(|s| {
            s.owned_by
                .as_ref()
                .is_some_and(|o| &o.table == table && column.is_none_or(|c| c == o.column))
        })
        .filter_map(render::sequence_owned_by)
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::diff::fixtures::*;

    #[test]
    fn identity_and_sequence_changes() {
        let opts = SequenceOptions {
            data_type: "bigint".into(),
            start: 1,
            increment: 1,
            min_value: 1,
            max_value: 100,
            cache: 1,
            cycle: false,
        };
        let mut plain = column("order", "bigint");
        plain.not_null = true;
        let mut ident = plain.clone();
        ident.identity = Some(Identity {
            always: true,
            sequence: q(r#"a"b"#, "seq"),
            options: opts.clone(),
        });
        let from = with_tables(vec![table(hostile(), vec![plain])]);
        let to = with_tables(vec![table(hostile(), vec![ident.clone()])]);
        let p = plan(&from, &to);
        let add = only(&p, ChangeKind::AddIdentity);
        assert_eq!(
            add.up,
            [
                r#"ALTER TABLE "a""b"."Mixed Case" ALTER COLUMN "order" ADD GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME "a""b"."seq" START WITH 1 INCREMENT BY 1 MINVALUE 1 MAXVALUE 100 CACHE 1 NO CYCLE);"#
            ]
        );
        assert_eq!(
            only(&plan(&to, &from), ChangeKind::DropIdentity).up.len(),
            1
        );
        let mut changed = ident;
        changed.identity.as_mut().unwrap().options.increment = 5;
        let to2 = with_tables(vec![table(hostile(), vec![changed])]);
        let alter = only(&plan(&to, &to2), ChangeKind::AlterIdentity).up[0].clone();
        assert!(
            alter.contains("SET GENERATED ALWAYS") && alter.contains("SET INCREMENT BY 5"),
            "{alter}"
        );

        let seq = |increment: i64, owned: bool| Sequence {
            name: q("app", "order seq"),
            options: SequenceOptions {
                increment,
                ..opts.clone()
            },
            unlogged: false,
            owned_by: owned.then(|| ColumnRef {
                table: hostile(),
                column: "order".into(),
            }),
            comment: None,
        };
        let a = Schema {
            sequences: vec![seq(1, false)],
            ..Schema::default()
        };
        let b = Schema {
            sequences: vec![seq(2, true)],
            ..Schema::default()
        };
        let p = plan(&a, &b);
        let ups: Vec<&str> = p.changes.iter().map(|c| c.up[0].as_str()).collect();
        assert_eq!(
            ups,
            [
                r#"ALTER SEQUENCE "app"."order seq" AS bigint START WITH 1 INCREMENT BY 2 MINVALUE 1 MAXVALUE 100 CACHE 1 NO CYCLE;"#,
                r#"ALTER SEQUENCE "app"."order seq" OWNED BY "a""b"."Mixed Case"."order";"#,
            ]
        );
        assert_eq!(
            p.down()[0],
            r#"ALTER SEQUENCE "app"."order seq" OWNED BY NONE;"#
        );
    }

    #[test]
    fn sequence_ownership_is_released_before_its_column_goes() {
        let opts = SequenceOptions {
            data_type: "bigint".into(),
            start: 1,
            increment: 1,
            min_value: 1,
            max_value: 100,
            cache: 1,
            cycle: false,
        };
        let seq = |column: &str| Sequence {
            name: q("app", "seq ü"),
            options: opts.clone(),
            unlogged: false,
            owned_by: Some(ColumnRef {
                table: hostile(),
                column: column.into(),
            }),
            comment: None,
        };
        let from = Schema {
            sequences: vec![seq("old")],
            ..with_tables(vec![table(
                hostile(),
                vec![column("keep", "bigint"), column("old", "bigint")],
            )])
        };
        let to = Schema {
            sequences: vec![seq("keep")],
            ..with_tables(vec![table(hostile(), vec![column("keep", "bigint")])])
        };
        let p = plan(&from, &to);
        use ChangeKind::*;
        assert_eq!(kinds(&p), [AlterSequence, DropColumn, AlterSequence]);
        assert_eq!(
            p.up(),
            [
                r#"ALTER SEQUENCE "app"."seq ü" OWNED BY NONE;"#,
                r#"ALTER TABLE "a""b"."Mixed Case" DROP COLUMN "old";"#,
                r#"ALTER SEQUENCE "app"."seq ü" OWNED BY "a""b"."Mixed Case"."keep";"#,
            ]
        );
        assert_eq!(
            p.down().last().unwrap(),
            r#"ALTER SEQUENCE "app"."seq ü" OWNED BY "a""b"."Mixed Case"."old";"#
        );
    }
}
