//! Functions and procedures: `CREATE OR REPLACE` when it can make the change, re-created when the
//! result type, kind or parameter names change.

use super::change::{change, ChangeKind};
use super::definitions::Definition;
use super::order::Builder;
use crate::model::*;
use crate::render;
use std::collections::BTreeSet;

fn routine_word(f: &Function) -> &'static str {
    if f.kind == FunctionKind::Procedure {
        "PROCEDURE"
    } else {
        "FUNCTION"
    }
}

impl Definition for Function {
    const CREATE: ChangeKind = ChangeKind::CreateFunction;
    const DROP: ChangeKind = ChangeKind::DropFunction;
    fn create(&self) -> Vec<String> {
        vec![render::create_function(self).trim_end().to_owned()]
    }
    /// With the identity arguments (modes and names), as `pg_dump` names a routine.
    fn drop(&self) -> String {
        format!(
            "DROP {} {}({});",
            routine_word(self),
            self.name,
            self.signature
        )
    }
    fn comments(&self) -> Vec<(String, Option<String>)> {
        vec![(
            format!("{} {}({})", routine_word(self), self.name, self.signature),
            self.comment.clone(),
        )]
    }
    fn what_changes(&self) -> &'static str {
        "changes its result type, kind or parameter names (CREATE OR REPLACE cannot)"
    }
}

/// CREATE OR REPLACE cannot change the result type, the kind or the parameter names.
pub(super) fn function_replaceable(o: &Function, n: &Function) -> bool {
    (&o.returns, o.kind, &o.signature) == (&n.returns, n.kind, &n.signature)
}

pub(super) fn replace_function(b: &mut Builder, o: &Function, n: &Function) -> BTreeSet<String> {
    if o.definition != n.definition {
        b.create(change(
            ChangeKind::ReplaceFunction,
            n.key(),
            n.create(),
            o.create(),
        ));
    }
    BTreeSet::new()
}
