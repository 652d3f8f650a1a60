//! `missing-lock-timeout`: a statement taking ACCESS EXCLUSIVE with no `lock_timeout` in effect.

use super::{Hit, SectionCx};

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let _ = cx;
    Vec::new()
}
