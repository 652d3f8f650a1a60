//! `[audit]`: `app_roles = ["app"]`, the roles that `strata audit add` revokes writes on change
//! logs from (docs/audit.md).

use super::Reader;
use toml::Value;

const AUDIT_KEYS: &[&str] = &["app_roles"];

impl Reader<'_> {
    pub(super) fn audit(&mut self, line: usize, value: &Value) -> Vec<String> {
        let Value::Table(table) = value else {
            self.wrong_type(line, "audit", "a table (`[audit]`)", value);
            return Vec::new();
        };
        let mut roles = Vec::new();
        for (key, value) in table {
            match key.as_str() {
                "app_roles" => {
                    roles = self
                        .string_list(line, "audit.app_roles", value)
                        .unwrap_or_default();
                    if roles.iter().any(|r| r.trim().is_empty()) {
                        self.error(
                            line,
                            "`audit.app_roles` holds an empty role name",
                            "list the roles your application connects as, e.g. `app_roles = [\"app\"]`",
                        );
                    }
                }
                other => self.unknown_key(line, other, "[audit]", AUDIT_KEYS),
            }
        }
        roles
    }
}

#[cfg(test)]
mod tests {
    use crate::config::parse_config;

    #[test]
    fn app_roles_are_read_and_unknown_keys_refused() {
        let c = parse_config(
            "strata.toml",
            ".".into(),
            "[audit]\napp_roles = [\"app\", \"web\"]\n",
        )
        .unwrap();
        assert_eq!(c.audit_app_roles, vec!["app".to_owned(), "web".to_owned()]);
        let e =
            parse_config("strata.toml", ".".into(), "[audit]\napp_role = \"app\"\n").unwrap_err();
        assert!(format!("{e:?}").contains("app_role"), "{e:?}");
    }
}
