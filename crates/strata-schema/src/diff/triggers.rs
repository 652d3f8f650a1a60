//! Triggers: dropped and created again when their definition or enabled state changes.

use super::by_key;
use super::change::{change, ChangeKind};
use super::comments::comment_change;
use super::order::{Builder, Phase};
use crate::model::*;
use crate::render;
use strata_core::quote_ident;

pub(super) fn triggers(from: &Schema, to: &Schema, b: &mut Builder) {
    let (f, t) = (by_key(&from.triggers), by_key(&to.triggers));
    let changed = |a: &Trigger, b: &Trigger| a.definition != b.definition || a.enabled != b.enabled;
    let drop = |x: &Trigger| format!("DROP TRIGGER {} ON {};", quote_ident(&x.name), x.table);
    let target = |x: &Trigger| format!("TRIGGER {} ON {}", quote_ident(&x.name), x.table);
    let create = |x: &Trigger| {
        render::create_trigger(x)
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    for (key, x) in &f {
        if t.get(key).is_none_or(|n| changed(x, n)) {
            let mut down = create(x);
            down.extend(
                comment_change(target(x), key.clone(), &None, &x.comment)
                    .map(|c| c.up)
                    .unwrap_or_default(),
            );
            b.push(
                Phase::DropTrigger,
                change(ChangeKind::DropTrigger, key.clone(), vec![drop(x)], down),
            );
        }
    }
    for (key, x) in &t {
        let old = f.get(key).filter(|o| !changed(o, x));
        if old.is_none() {
            b.push(
                Phase::CreateTrigger,
                change(
                    ChangeKind::CreateTrigger,
                    key.clone(),
                    create(x),
                    vec![drop(x)],
                ),
            );
        }
        if let Some(c) = comment_change(
            target(x),
            key.clone(),
            &old.and_then(|o| o.comment.clone()),
            &x.comment,
        ) {
            b.push(Phase::Comment, c);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diff::fixtures::*;

    #[test]
    fn triggers_and_policies_quote_names() {
        let t = table(hostile(), vec![column("order", "text")]);
        let from = with_tables(vec![t.clone()]);
        let mut to = with_tables(vec![t]);
        to.triggers.push(Trigger {
            table: hostile(),
            name: "a\"b".into(),
            definition: r#"CREATE TRIGGER "a""b" BEFORE INSERT ON "a""b"."Mixed Case" FOR EACH ROW EXECUTE FUNCTION "a""b".f()"#.into(),
            constraint: false,
            enabled: TriggerEnabled::Disabled,
            comment: None,
        });
        to.policies.push(Policy {
            table: hostile(),
            name: "order".into(),
            permissive: true,
            command: "ALL".into(),
            roles: vec!["public".into()],
            using: Some("(\"order\" = 'it''s'::text)".into()),
            with_check: None,
            comment: None,
        });
        let p = plan(&from, &to);
        let c = only(&p, ChangeKind::CreateTrigger);
        assert_eq!(c.up.len(), 2);
        assert_eq!(
            c.up[1],
            r#"ALTER TABLE "a""b"."Mixed Case" DISABLE TRIGGER "a""b";"#
        );
        assert_eq!(c.down, [r#"DROP TRIGGER "a""b" ON "a""b"."Mixed Case";"#]);
        let c = only(&p, ChangeKind::CreatePolicy);
        assert!(c.up[0].starts_with(
            r#"CREATE POLICY "order" ON "a""b"."Mixed Case" AS PERMISSIVE FOR ALL TO PUBLIC"#
        ));
        assert_eq!(c.down, [r#"DROP POLICY "order" ON "a""b"."Mixed Case";"#]);
        let back = plan(&to, &from);
        let k: Vec<ChangeKind> = back.changes.iter().map(|c| c.kind).collect();
        assert_eq!(k, [ChangeKind::DropPolicy, ChangeKind::DropTrigger]);
    }
}
