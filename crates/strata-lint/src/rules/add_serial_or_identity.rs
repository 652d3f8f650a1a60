//! `add-serial-or-identity`: adding a serial/identity/stored generated column.

use super::{Hit, SectionCx};

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let _ = cx;
    Vec::new()
}
