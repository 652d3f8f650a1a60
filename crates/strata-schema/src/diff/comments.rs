//! `COMMENT ON` changes, the same for every kind of object.

use super::change::{change, Change, ChangeKind};
use crate::model::ObjectRef;
use strata_core::quote_literal;

pub(super) fn comment_change(
    target: String,
    object: ObjectRef,
    old: &Option<String>,
    new: &Option<String>,
) -> Option<Change> {
    if old == new {
        return None;
    }
    let text = |c: &Option<String>| c.as_deref().map_or("NULL".to_owned(), quote_literal);
    Some(change(
        ChangeKind::SetComment,
        object,
        vec![format!("COMMENT ON {target} IS {};", text(new))],
        vec![format!("COMMENT ON {target} IS {};", text(old))],
    ))
}

/// `COMMENT ON … IS …` for each comment set.
pub(super) fn comment_statements(comments: &[(String, Option<String>)]) -> Vec<String> {
    comments
        .iter()
        .filter_map(|(target, text)| {
            text.as_ref()
                .map(|t| format!("COMMENT ON {target} IS {};", quote_literal(t)))
        })
        .collect()
}
