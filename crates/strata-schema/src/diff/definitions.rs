//! What every kind of definition shares (collations, text search configurations, enums,
//! domains, composite and range types, sequences, functions, aggregates): the `Definition` trait,
//! which each kind implements in its own file, and `definitions`, which creates, drops,
//! re-creates or alters one kind in place, or leaves the change to a person (`manual_step`).

use super::by_key;
use super::change::{change, hazard, Change, ChangeKind, Hazard, HazardId};
use super::comments::{comment_change, comment_statements};
use super::order::{Builder, Phase};
use crate::model::*;
use std::collections::{BTreeMap, BTreeSet};

/// A kind of definition the diff creates, drops, re-creates or alters in place.
pub(super) trait Definition: Keyed {
    const CREATE: ChangeKind;
    const DROP: ChangeKind;
    fn create(&self) -> Vec<String>;
    fn drop(&self) -> String;
    /// `(COMMENT ON target, text)` of the object and of its parts that have comments.
    fn comments(&self) -> Vec<(String, Option<String>)>;
    /// What changes, for a change PostgreSQL cannot make in place.
    fn what_changes(&self) -> &'static str;
    /// The hazards of creating it (a domain's `CHECK`).
    fn hazards(&self) -> Vec<Hazard> {
        Vec::new()
    }
}

/// The change that creates `n`, with the hazards of creating it.
fn create_change<T: Definition>(key: &ObjectRef, n: &T) -> Change {
    let mut c = change(T::CREATE, key.clone(), n.create(), vec![n.drop()]);
    c.hazards = n.hazards();
    c
}

/// The statements that create `x` with its comments.
fn create_with_comments<T: Definition>(x: &T) -> Vec<String> {
    let mut out = x.create();
    out.extend(comment_statements(&x.comments()));
    out
}

/// Creates, drops, re-creations (early drop, create) and in-place changes (`alter`, which returns
/// the comment targets whose old comment is gone) of one kind of definition, and their comments.
pub(super) fn definitions<T: Definition>(
    b: &mut Builder,
    from: &[T],
    to: &[T],
    alter: impl Fn(&mut Builder, &T, &T) -> BTreeSet<String>,
) {
    let (f, t) = (by_key(from), by_key(to));
    for (key, o) in &f {
        if !t.contains_key(key) {
            b.drop(change(
                T::DROP,
                key.clone(),
                vec![o.drop()],
                create_with_comments(*o),
            ));
        }
    }
    for (key, n) in &t {
        let old = f.get(key).copied();
        let mut gone = BTreeSet::new();
        let mut fresh = false;
        match old {
            None => {
                fresh = true;
                b.create(create_change(key, *n));
            }
            Some(o) if b.ctx.recreate.contains(key) => {
                fresh = true;
                b.drop(change(
                    T::DROP,
                    key.clone(),
                    vec![o.drop()],
                    create_with_comments(o),
                ));
                b.create(create_change(key, *n));
            }
            Some(o) => match b.ctx.blocked.get(key).cloned() {
                Some(users) => b.create(manual_step(key, n.what_changes(), &users)),
                None => gone = alter(b, o, n),
            },
        }
        let before: BTreeMap<String, Option<String>> = match old {
            Some(o) if !fresh => o.comments().into_iter().collect(),
            _ => BTreeMap::new(),
        };
        for (target, text) in n.comments() {
            let was = if gone.contains(&target) {
                None
            } else {
                before.get(&target).cloned().flatten()
            };
            if let Some(c) = comment_change(target, key.clone(), &was, &text) {
                b.push(Phase::Comment, c);
            }
        }
    }
}

/// A change left to a person: its statements are comments, its hazard says why.
fn manual_step(key: &ObjectRef, what: &str, users: &[ObjectRef]) -> Change {
    let users: Vec<String> = users.iter().map(ToString::to_string).collect();
    let message = format!(
        "{key} {what}, which PostgreSQL cannot do in place, and it cannot be dropped and \
         re-created because {} use{} it (directly or through a type or routine that would be \
         re-created with it): write this step by hand (for example create the new definition \
         under another name, move the users to it, drop the old one, rename)",
        users.join(", "),
        if users.len() == 1 { "s" } else { "" }
    );
    let mut c = change(
        ChangeKind::ManualStep,
        key.clone(),
        vec![format!("-- manual step: {message}")],
        vec![format!("-- manual step: undo the change to {key} by hand")],
    );
    c.hazards.push(hazard(HazardId::ManualStep, message));
    c
}

#[cfg(test)]
mod tests {
    use crate::diff::fixtures::*;

    #[test]
    fn drop_statements_of_every_kind() {
        let name = q("a\"b", "select");
        let from = Schema {
            collations: vec![Collation {
                name: name.clone(),
                provider: "icu".into(),
                locale: Some("fr".into()),
                lc_collate: None,
                lc_ctype: None,
                deterministic: true,
                comment: Some("it's".into()),
            }],
            text_search_configs: vec![TextSearchConfig {
                name: name.clone(),
                parser: q("pg_catalog", "default"),
                mappings: vec![TextSearchMapping {
                    token_type: "asciiword".into(),
                    dictionaries: vec![q("pg_catalog", "simple")],
                }],
                comment: None,
            }],
            range_types: vec![RangeType {
                name: q("a\"b", "r"),
                subtype: "integer".into(),
                subtype_opclass: None,
                collation: None,
                canonical: None,
                subtype_diff: None,
                multirange: Some(q("a\"b", "r_multirange")),
                comment: None,
                depends_on: vec![],
            }],
            functions: vec![Function {
                kind: FunctionKind::Procedure,
                returns: None,
                signature: "IN n integer, INOUT total integer".into(),
                arguments: "integer, integer".into(),
                ..function(q("a\"b", "p"), "SELECT 1", vec![])
            }],
            ..Schema::default()
        };
        let p = plan(&from, &Schema::default());
        use ChangeKind::*;
        assert_eq!(
            kinds(&p),
            [
                DropFunction,
                DropRangeType,
                DropTextSearchConfig,
                DropCollation
            ]
        );
        assert_eq!(
            p.up(),
            [
                r#"DROP PROCEDURE "a""b"."p"(IN n integer, INOUT total integer);"#,
                r#"DROP TYPE "a""b"."r";"#,
                r#"DROP TEXT SEARCH CONFIGURATION "a""b"."select";"#,
                r#"DROP COLLATION "a""b"."select";"#,
            ]
        );
        // The downs re-create them, with their comments.
        assert_eq!(
            p.changes[3].down,
            [
                r#"CREATE COLLATION "a""b"."select" (provider = icu, locale = 'fr');"#,
                r#"COMMENT ON COLLATION "a""b"."select" IS 'it''s';"#,
            ]
        );
        assert_eq!(
            p.changes[2].down,
            [
                r#"CREATE TEXT SEARCH CONFIGURATION "a""b"."select" (PARSER = "pg_catalog"."default");"#,
                r#"ALTER TEXT SEARCH CONFIGURATION "a""b"."select" ADD MAPPING FOR "asciiword" WITH "pg_catalog"."simple";"#,
            ]
        );
    }
}
