//! Composite types: attributes dropped, altered and added with `ALTER TYPE` when it can reach the
//! new order; otherwise re-created (or left to a person when a table column has the type).

use super::change::{change, ChangeKind};
use super::definitions::Definition;
use super::order::Builder;
use crate::model::*;
use crate::render;
use std::collections::BTreeSet;
use strata_core::quote_ident;

impl Definition for CompositeType {
    const CREATE: ChangeKind = ChangeKind::CreateCompositeType;
    const DROP: ChangeKind = ChangeKind::DropCompositeType;
    fn create(&self) -> Vec<String> {
        vec![render::create_composite(self)]
    }
    fn drop(&self) -> String {
        format!("DROP TYPE {};", self.name)
    }
    fn comments(&self) -> Vec<(String, Option<String>)> {
        vec![(format!("TYPE {}", self.name), self.comment.clone())]
    }
    fn what_changes(&self) -> &'static str {
        "changes its attributes while a table column has it as its type (or in an order ALTER TYPE \
         cannot reach)"
    }
}

/// ALTER TYPE can reach the new attributes: the old ones that stay keep their order and the new
/// ones come after them.
pub(super) fn attributes_alterable(old: &CompositeType, new: &CompositeType) -> bool {
    let names = |t: &CompositeType| -> Vec<String> {
        t.attributes.iter().map(|a| a.name.clone()).collect()
    };
    let (o, n) = (names(old), names(new));
    let kept: Vec<&String> = o.iter().filter(|a| n.contains(a)).collect();
    let added: Vec<&String> = n.iter().filter(|a| !o.contains(a)).collect();
    let expected: Vec<&String> = kept.into_iter().chain(added).collect();
    expected == n.iter().collect::<Vec<_>>()
}

fn attribute_sql(a: &CompositeAttribute) -> String {
    let collate = a
        .collation
        .as_ref()
        .map(|c| format!(" COLLATE {c}"))
        .unwrap_or_default();
    format!("{} {}{collate}", quote_ident(&a.name), a.data_type)
}

/// `ALTER TYPE … DROP / ALTER / ADD ATTRIBUTE`. A dropped attribute's down adds it back at the
/// end.
pub(super) fn alter_composite(
    b: &mut Builder,
    old: &CompositeType,
    new: &CompositeType,
) -> BTreeSet<String> {
    let key = new.key();
    let name = &new.name;
    let find = |t: &CompositeType, n: &str| t.attributes.iter().find(|a| a.name == n).cloned();
    for a in &old.attributes {
        if find(new, &a.name).is_none() {
            b.create(change(
                ChangeKind::DropAttribute,
                key.clone(),
                vec![format!(
                    "ALTER TYPE {name} DROP ATTRIBUTE {};",
                    quote_ident(&a.name)
                )],
                vec![format!(
                    "ALTER TYPE {name} ADD ATTRIBUTE {};",
                    attribute_sql(a)
                )],
            ));
        }
    }
    let set_type = |a: &CompositeAttribute| {
        let sql = attribute_sql(a);
        let (_, rest) = sql.split_at(quote_ident(&a.name).len());
        format!(
            "ALTER TYPE {name} ALTER ATTRIBUTE {} SET DATA TYPE{rest};",
            quote_ident(&a.name)
        )
    };
    for a in &new.attributes {
        match find(old, &a.name) {
            Some(o) if o != *a => b.create(change(
                ChangeKind::AlterAttribute,
                key.clone(),
                vec![set_type(a)],
                vec![set_type(&o)],
            )),
            Some(_) => {}
            None => b.create(change(
                ChangeKind::AddAttribute,
                key.clone(),
                vec![format!(
                    "ALTER TYPE {name} ADD ATTRIBUTE {};",
                    attribute_sql(a)
                )],
                vec![format!(
                    "ALTER TYPE {name} DROP ATTRIBUTE {};",
                    quote_ident(&a.name)
                )],
            )),
        }
    }
    BTreeSet::new()
}

#[cfg(test)]
mod tests {
    use crate::diff::fixtures::*;

    #[test]
    fn composite_types_altered_recreated_or_left_to_a_person() {
        let attr = |name: &str, data_type: &str| CompositeAttribute {
            name: name.into(),
            data_type: data_type.into(),
            collation: None,
        };
        let ty = |attributes: Vec<CompositeAttribute>| Schema {
            composite_types: vec![CompositeType {
                name: q("app", "Mixed Case"),
                attributes,
                comment: None,
                depends_on: vec![],
            }],
            ..Schema::default()
        };
        let from = ty(vec![
            attr("a", "integer"),
            attr("b", "text"),
            attr("c", "date"),
        ]);
        let to = ty(vec![
            attr("a", "bigint"),
            attr("b", "text"),
            attr("select", "boolean"),
        ]);
        let p = plan(&from, &to);
        use ChangeKind::*;
        assert_eq!(kinds(&p), [DropAttribute, AlterAttribute, AddAttribute]);
        assert_eq!(
            p.up(),
            [
                r#"ALTER TYPE "app"."Mixed Case" DROP ATTRIBUTE "c";"#,
                r#"ALTER TYPE "app"."Mixed Case" ALTER ATTRIBUTE "a" SET DATA TYPE bigint;"#,
                r#"ALTER TYPE "app"."Mixed Case" ADD ATTRIBUTE "select" boolean;"#,
            ]
        );
        assert_eq!(
            p.down(),
            [
                r#"ALTER TYPE "app"."Mixed Case" DROP ATTRIBUTE "select";"#,
                r#"ALTER TYPE "app"."Mixed Case" ALTER ATTRIBUTE "a" SET DATA TYPE integer;"#,
                r#"ALTER TYPE "app"."Mixed Case" ADD ATTRIBUTE "c" date;"#,
            ]
        );
        // A new order: re-created.
        let reordered = ty(vec![
            attr("b", "text"),
            attr("a", "integer"),
            attr("c", "date"),
        ]);
        assert_eq!(
            kinds(&plan(&from, &reordered)),
            [DropCompositeType, CreateCompositeType]
        );
        // A table column has the type: ALTER TYPE refuses, and so would DROP TYPE.
        let with_table = |s: &Schema| {
            let mut t = table(q("app", "t"), vec![column("v", r#"app."Mixed Case""#)]);
            t.depends_on = vec![uses(ObjectKind::CompositeType, &q("app", "Mixed Case"))];
            Schema {
                tables: vec![t],
                ..s.clone()
            }
        };
        let p = plan(&with_table(&from), &with_table(&to));
        assert_eq!(kinds(&p), [ManualStep]);
        assert_eq!(hazards(&p.changes[0]), ["manual-step"]);
    }
}
