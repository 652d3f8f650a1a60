//! Aggregates: `CREATE OR REPLACE AGGREGATE` when it can make the change, re-created when the
//! kind, state type or final function change.

use super::change::{change, ChangeKind};
use super::definitions::Definition;
use super::order::Builder;
use crate::model::*;
use crate::render;
use std::collections::BTreeSet;

impl Definition for Aggregate {
    const CREATE: ChangeKind = ChangeKind::CreateAggregate;
    const DROP: ChangeKind = ChangeKind::DropAggregate;
    fn create(&self) -> Vec<String> {
        vec![render::create_aggregate(self)]
    }
    fn drop(&self) -> String {
        format!(
            "DROP AGGREGATE {}({});",
            self.name,
            render::aggregate_signature(self)
        )
    }
    fn comments(&self) -> Vec<(String, Option<String>)> {
        vec![(
            format!(
                "AGGREGATE {}({})",
                self.name,
                render::aggregate_signature(self)
            ),
            self.comment.clone(),
        )]
    }
    fn what_changes(&self) -> &'static str {
        "changes its kind, state type or final function (CREATE OR REPLACE cannot)"
    }
}

/// An aggregate without what is not its definition.
pub(super) fn aggregate_body(a: &Aggregate) -> Aggregate {
    Aggregate {
        comment: None,
        depends_on: Vec::new(),
        ..a.clone()
    }
}

/// CREATE OR REPLACE AGGREGATE keeps the kind and the result (state type and final function).
pub(super) fn aggregate_replaceable(o: &Aggregate, n: &Aggregate) -> bool {
    (&o.kind, &o.stype, &o.finalfunc, &o.signature)
        == (&n.kind, &n.stype, &n.finalfunc, &n.signature)
}

pub(super) fn replace_aggregate(b: &mut Builder, o: &Aggregate, n: &Aggregate) -> BTreeSet<String> {
    if aggregate_body(o) != aggregate_body(n) {
        let replace = |a: &Aggregate| {
            render::create_aggregate(a).replacen(
                "CREATE AGGREGATE",
                "CREATE OR REPLACE AGGREGATE",
                1,
            )
        };
        b.create(change(
            ChangeKind::ReplaceAggregate,
            n.key(),
            vec![replace(n)],
            vec![replace(o)],
        ));
    }
    BTreeSet::new()
}
