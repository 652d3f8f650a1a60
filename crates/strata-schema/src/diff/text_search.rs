//! Text search configurations: created, dropped, or re-created when their parser or mappings
//! change, through `definitions`.

use super::change::ChangeKind;
use super::definitions::Definition;
use crate::model::*;
use crate::render;

impl Definition for TextSearchConfig {
    const CREATE: ChangeKind = ChangeKind::CreateTextSearchConfig;
    const DROP: ChangeKind = ChangeKind::DropTextSearchConfig;
    fn create(&self) -> Vec<String> {
        render::create_ts_config(self)
            .lines()
            .map(str::to_owned)
            .collect()
    }
    fn drop(&self) -> String {
        format!("DROP TEXT SEARCH CONFIGURATION {};", self.name)
    }
    fn comments(&self) -> Vec<(String, Option<String>)> {
        vec![(
            format!("TEXT SEARCH CONFIGURATION {}", self.name),
            self.comment.clone(),
        )]
    }
    fn what_changes(&self) -> &'static str {
        "changes its parser or mappings"
    }
}
