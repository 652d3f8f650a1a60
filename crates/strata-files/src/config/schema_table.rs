//! The `[schema]` table: the long form of the top-level `schema = [...]` list, with the options
//! that decide what of the database the schema model covers.
//!
//! ```toml
//! [schema]
//! files = ["schema"]   # as `schema = ["schema"]`
//! privileges = true    # grants and default privileges are compared and written
//! owners = true        # owners are compared and written
//! ```
//!
//! TOML cannot hold both `schema = [...]` and `[schema]`: such a file is refused as invalid TOML
//! (a duplicate key) at the line of the second.

use super::{Config, Reader};
use crate::line_of_offset;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::{Spanned, Value};

/// The hint when a file holds both `schema = [...]` and `[schema]`.
pub(super) const BOTH_FORMS_HINT: &str = "keep one: `schema = [\"schema\"]`, or a `[schema]` table with `files = [\"schema\"]` beside `privileges` and `owners`";

/// The keys of `[schema]`.
pub(super) const SCHEMA_KEYS: &[&str] = &["files", "privileges", "owners"];

impl Reader<'_> {
    /// `[schema]`: `files`, `privileges`, `owners`. `line` is the line of `[schema]`, for
    /// problems whose key has no line of its own.
    pub(super) fn schema_table(&mut self, line: usize, value: &Value, config: &mut Config) {
        let Value::Table(table) = value else {
            return;
        };
        // The keys' lines, read again with spans (values have none).
        #[derive(Deserialize)]
        struct Top {
            schema: BTreeMap<Spanned<String>, Value>,
        }
        let lines: BTreeMap<String, usize> = toml::from_str::<Top>(self.text)
            .map(|top| {
                top.schema
                    .into_keys()
                    .map(|k| {
                        let at = line_of_offset(self.text, k.span().start);
                        (k.into_inner(), at)
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (key, value) in table {
            let line = lines.get(key).copied().unwrap_or(line);
            match key.as_str() {
                "files" => {
                    if let Some(files) = self.string_list(line, "schema.files", value) {
                        config.schema = files;
                    }
                }
                "privileges" | "owners" => {
                    let Value::Boolean(on) = value else {
                        self.wrong_type(line, &format!("schema.{key}"), "true or false", value);
                        continue;
                    };
                    if key == "privileges" {
                        config.schema_privileges = *on;
                    } else {
                        config.schema_owners = *on;
                    }
                }
                other => self.unknown_key(line, other, "[schema]", SCHEMA_KEYS),
            }
        }
    }
}
