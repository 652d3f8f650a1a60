//! Collations: created, dropped, or re-created when their provider, locale or determinism
//! changes (PostgreSQL cannot alter those), through `definitions`.

use super::change::ChangeKind;
use super::definitions::Definition;
use crate::model::*;
use crate::render;

impl Definition for Collation {
    const CREATE: ChangeKind = ChangeKind::CreateCollation;
    const DROP: ChangeKind = ChangeKind::DropCollation;
    fn create(&self) -> Vec<String> {
        vec![render::create_collation(self)]
    }
    fn drop(&self) -> String {
        format!("DROP COLLATION {};", self.name)
    }
    fn comments(&self) -> Vec<(String, Option<String>)> {
        vec![(format!("COLLATION {}", self.name), self.comment.clone())]
    }
    fn what_changes(&self) -> &'static str {
        "changes its provider, locale or determinism"
    }
}
