//! `adding-not-null-column`: `ADD COLUMN … NOT NULL` without a non-volatile default.

use super::{Hit, SectionCx};

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let _ = cx;
    Vec::new()
}
