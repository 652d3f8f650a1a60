//! `modified-applied-migration`: the file's checksum differs from the applied one (needs database).

use super::{Hit, SectionCx};

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let _ = cx;
    Vec::new()
}
