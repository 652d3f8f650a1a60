//! Enums: `ALTER TYPE … ADD VALUE` when labels are only added (in any place), re-created when
//! labels go or move.

use super::change::{change, ChangeKind};
use super::definitions::Definition;
use super::order::Builder;
use crate::model::*;
use crate::render;
use std::collections::BTreeSet;
use strata_core::quote_literal;

impl Definition for EnumType {
    const CREATE: ChangeKind = ChangeKind::CreateEnum;
    const DROP: ChangeKind = ChangeKind::DropEnum;
    fn create(&self) -> Vec<String> {
        vec![render::create_enum(self)]
    }
    fn drop(&self) -> String {
        format!("DROP TYPE {};", self.name)
    }
    fn comments(&self) -> Vec<(String, Option<String>)> {
        vec![(format!("TYPE {}", self.name), self.comment.clone())]
    }
    fn what_changes(&self) -> &'static str {
        "loses or reorders labels"
    }
}

/// The old labels are all kept, in the same order: the new ones can be added.
pub(super) fn labels_only_added(old: &EnumType, new: &EnumType) -> bool {
    let kept: Vec<&String> = new
        .labels
        .iter()
        .filter(|l| old.labels.contains(l))
        .collect();
    kept.len() == old.labels.len() && kept.iter().zip(&old.labels).all(|(a, b)| *a == b)
}

/// `ALTER TYPE … ADD VALUE`, each new label after the one before it (or before the first old one).
pub(super) fn alter_enum(b: &mut Builder, old: &EnumType, new: &EnumType) -> BTreeSet<String> {
    if old.labels == new.labels {
        return BTreeSet::new();
    }
    for (i, label) in new.labels.iter().enumerate() {
        if old.labels.contains(label) {
            continue;
        }
        let place = match i.checked_sub(1) {
            Some(p) => format!(" AFTER {}", quote_literal(&new.labels[p])),
            None => match new.labels.iter().find(|l| old.labels.contains(l)) {
                Some(first) => format!(" BEFORE {}", quote_literal(first)),
                None => String::new(),
            },
        };
        let mut c = change(
            ChangeKind::AddEnumValue,
            new.key(),
            vec![format!(
                "ALTER TYPE {} ADD VALUE {}{place};",
                new.name,
                quote_literal(label)
            )],
            // PostgreSQL cannot remove an enum label.
            vec![format!(
                "-- enum label {} of {} cannot be removed",
                quote_literal(label),
                new.name
            )],
        );
        c.non_transactional = true;
        b.create(c);
    }
    BTreeSet::new()
}

#[cfg(test)]
mod tests {
    use crate::diff::fixtures::*;

    #[test]
    fn enum_labels_added_anywhere() {
        let e = q("a\"b", "naïve ü");
        let from = Schema {
            enums: vec![enum_type(e.clone(), &["c"])],
            ..Schema::default()
        };
        let to = Schema {
            enums: vec![enum_type(e.clone(), &["a", "b'", "c", "d"])],
            ..Schema::default()
        };
        assert_eq!(
            plan(&from, &to).up(),
            [
                r#"ALTER TYPE "a""b"."naïve ü" ADD VALUE 'a' BEFORE 'c';"#,
                r#"ALTER TYPE "a""b"."naïve ü" ADD VALUE 'b''' AFTER 'a';"#,
                r#"ALTER TYPE "a""b"."naïve ü" ADD VALUE 'd' AFTER 'c';"#,
            ]
        );
    }
}
