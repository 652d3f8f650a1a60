//! `float-for-money`: `real`/`double precision`/`float` on money-like names (new tables too).

use super::{Hit, SectionCx};

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let _ = cx;
    Vec::new()
}
