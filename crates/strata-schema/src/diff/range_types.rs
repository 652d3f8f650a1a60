//! Range types: created, dropped, or re-created when anything but their comment changes
//! (PostgreSQL cannot alter a range type), through `definitions`.

use super::change::ChangeKind;
use super::definitions::Definition;
use crate::model::*;
use crate::render;

impl Definition for RangeType {
    const CREATE: ChangeKind = ChangeKind::CreateRangeType;
    const DROP: ChangeKind = ChangeKind::DropRangeType;
    fn create(&self) -> Vec<String> {
        vec![render::create_range(self)]
    }
    fn drop(&self) -> String {
        format!("DROP TYPE {};", self.name)
    }
    fn comments(&self) -> Vec<(String, Option<String>)> {
        vec![(format!("TYPE {}", self.name), self.comment.clone())]
    }
    fn what_changes(&self) -> &'static str {
        "changes its subtype, operator class, collation or functions"
    }
}
