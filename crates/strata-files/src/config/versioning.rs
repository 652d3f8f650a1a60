//! `[versioning]`: `start = "1.0.0"`, the schema version of a database with nothing applied
//! (docs/versions.md).

use super::Reader;
use strata_core::SchemaVersion;
use toml::Value;

const VERSIONING_KEYS: &[&str] = &["start"];

impl Reader<'_> {
    /// The `start` of a `[versioning]` table at `line`; `None` (reported) when it is not valid.
    pub(super) fn versioning(&mut self, line: usize, value: &Value) -> Option<SchemaVersion> {
        let Value::Table(table) = value else {
            self.wrong_type(line, "versioning", "a table (`[versioning]`)", value);
            return None;
        };
        let mut start = None;
        for (key, value) in table {
            if key != "start" {
                self.unknown_key(line, key, "[versioning]", VERSIONING_KEYS);
                continue;
            }
            let text = self.string(line, "versioning.start", value)?;
            match SchemaVersion::parse(&text) {
                Some(v) => start = Some(v),
                None => self.error(
                    line,
                    format!("`versioning.start` must be a version `MAJOR.MINOR.PATCH`, not `{text}`"),
                    "for example: [versioning] start = \"1.0.0\" (the version of a database with nothing applied)",
                ),
            }
        }
        start
    }
}

#[cfg(test)]
mod tests {
    use crate::config::parse_config;
    use strata_core::SchemaVersion;

    #[test]
    fn start_is_read_and_checked() {
        let c = parse_config(
            "strata.toml",
            ".".into(),
            "[versioning]\nstart = \"3.14.2\"\n",
        )
        .unwrap();
        assert_eq!(c.versioning_start, SchemaVersion::new(3, 14, 2));
        let d = parse_config("strata.toml", ".".into(), "").unwrap();
        assert_eq!(d.versioning_start.to_string(), "1.0.0");
        let e = parse_config(
            "strata.toml",
            ".".into(),
            "\n[versioning]\nstart = \"3.1\"\n",
        )
        .unwrap_err();
        assert_eq!(e[0].line, 2);
        assert!(
            e[0].message.contains("MAJOR.MINOR.PATCH"),
            "{}",
            e[0].message
        );
        let e = parse_config(
            "strata.toml",
            ".".into(),
            "[versioning]\nbegin = \"1.0.0\"\n",
        )
        .unwrap_err();
        assert!(
            e[0].message.contains("unknown key `begin`"),
            "{}",
            e[0].message
        );
    }
}
