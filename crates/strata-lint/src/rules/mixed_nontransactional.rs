//! `mixed-nontransactional`: a non-transactional migration with more than one statement.

use super::{Hit, SectionCx};

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let _ = cx;
    Vec::new()
}
