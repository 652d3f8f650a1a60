//! `prefer-text`: `varchar(n)` / `char(n)` (new tables too).

use super::{Hit, SectionCx};

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let _ = cx;
    Vec::new()
}
