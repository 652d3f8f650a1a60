//! Row-level security policies: dropped and created again when they change. Enabling row-level
//! security on a table is in `tables.rs`.

use super::by_key;
use super::change::{change, ChangeKind};
use super::comments::comment_change;
use super::order::{Builder, Phase};
use crate::model::*;
use crate::render;
use strata_core::quote_ident;

pub(super) fn policies(from: &Schema, to: &Schema, b: &mut Builder) {
    let (f, t) = (by_key(&from.policies), by_key(&to.policies));
    let changed = |a: &Policy, b: &Policy| {
        (a.permissive, &a.command, &a.roles, &a.using, &a.with_check)
            != (b.permissive, &b.command, &b.roles, &b.using, &b.with_check)
    };
    let drop = |x: &Policy| format!("DROP POLICY {} ON {};", quote_ident(&x.name), x.table);
    let target = |x: &Policy| format!("POLICY {} ON {}", quote_ident(&x.name), x.table);
    for (key, x) in &f {
        if t.get(key).is_none_or(|n| changed(x, n)) {
            let mut down = vec![render::create_policy(x)];
            down.extend(
                comment_change(target(x), key.clone(), &None, &x.comment)
                    .map(|c| c.up)
                    .unwrap_or_default(),
            );
            b.push(
                Phase::DropPolicy,
                change(ChangeKind::DropPolicy, key.clone(), vec![drop(x)], down),
            );
        }
    }
    for (key, x) in &t {
        let old = f.get(key).filter(|o| !changed(o, x));
        if old.is_none() {
            b.push(
                Phase::CreatePolicy,
                change(
                    ChangeKind::CreatePolicy,
                    key.clone(),
                    vec![render::create_policy(x)],
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
