//! `constraint-without-not-valid`: `ADD FOREIGN KEY` / `ADD CHECK` without `NOT VALID`.

use super::{Hit, SectionCx};

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let _ = cx;
    Vec::new()
}
