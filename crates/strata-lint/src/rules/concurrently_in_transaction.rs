//! `concurrently-in-transaction`: `CONCURRENTLY` in a transactional migration or inside `BEGIN`.

use super::{Hit, SectionCx};

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let _ = cx;
    Vec::new()
}
