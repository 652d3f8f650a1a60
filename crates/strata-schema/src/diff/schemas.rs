//! Schemas (namespaces): `CREATE SCHEMA`, `DROP SCHEMA`, and their comments.

use super::by_key;
use super::change::{change, ChangeKind};
use super::comments::{comment_change, comment_statements};
use super::order::{Builder, Phase};
use crate::model::*;
use crate::render;
use strata_core::quote_ident;

pub(super) fn schemas(from: &Schema, to: &Schema, b: &mut Builder) {
    let (f, t) = (by_key(&from.schemas), by_key(&to.schemas));
    let target = |s: &Namespace| format!("SCHEMA {}", quote_ident(&s.name));
    for (key, s) in &f {
        if !t.contains_key(key) {
            let mut down = vec![render::create_schema(s)];
            down.extend(comment_statements(&[(target(s), s.comment.clone())]));
            b.push(
                Phase::DropSchema,
                change(
                    ChangeKind::DropSchema,
                    key.clone(),
                    vec![format!("DROP SCHEMA {};", quote_ident(&s.name))],
                    down,
                ),
            );
        }
    }
    for (key, s) in &t {
        let old = f.get(key);
        if old.is_none() {
            b.push(
                Phase::CreateSchema,
                change(
                    ChangeKind::CreateSchema,
                    key.clone(),
                    vec![render::create_schema(s)],
                    vec![format!("DROP SCHEMA {};", quote_ident(&s.name))],
                ),
            );
        }
        let old_comment = old.and_then(|o| o.comment.clone());
        if let Some(c) = comment_change(target(s), key.clone(), &old_comment, &s.comment) {
            b.push(Phase::Comment, c);
        }
    }
}
