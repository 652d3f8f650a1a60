//! `unique-constraint-directly`: `ADD UNIQUE` / `ADD PRIMARY KEY` not `USING INDEX`.

use super::{Hit, SectionCx};

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let _ = cx;
    Vec::new()
}
