//! `column-type-change`: `ALTER COLUMN … TYPE` that rewrites or rechecks the table.

use super::{Hit, SectionCx};

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let _ = cx;
    Vec::new()
}
