//! `[promotion]`: `order = ["staging", "production"]`, the path revisions take between
//! environments, and `public_key`, the Ed25519 key that verifies signed promotion records
//! (docs/promotion.md).

use super::Reader;
use toml::Value;

const PROMOTION_KEYS: &[&str] = &["order", "public_key"];

/// The `[promotion]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Promotion {
    /// Environment names, first to last. An environment's revisions must have been applied in
    /// the one before it.
    pub order: Vec<String>,
    /// 64 hex digits: the public half of the signing key of the environments that export
    /// records.
    pub public_key: Option<String>,
    /// The line of `[promotion]`.
    pub line: usize,
}

impl Promotion {
    /// The environment before `env` in the order, if `env` is in it and not first.
    pub fn previous(&self, env: &str) -> Option<&str> {
        let at = self.order.iter().position(|e| e == env)?;
        at.checked_sub(1).map(|i| self.order[i].as_str())
    }
}

impl Reader<'_> {
    pub(super) fn promotion(&mut self, line: usize, value: &Value) -> Option<Promotion> {
        let Value::Table(table) = value else {
            self.wrong_type(line, "promotion", "a table (`[promotion]`)", value);
            return None;
        };
        let mut promotion = Promotion {
            order: Vec::new(),
            public_key: None,
            line,
        };
        for (key, value) in table {
            match key.as_str() {
                "order" => {
                    let order = self.string_list(line, "promotion.order", value)?;
                    let mut seen: Vec<&String> = Vec::new();
                    for name in &order {
                        if seen.contains(&name) {
                            self.error(
                                line,
                                format!("`{name}` is listed twice in `promotion.order`"),
                                "list each environment once, first to last",
                            );
                        }
                        seen.push(name);
                    }
                    promotion.order = order;
                }
                "public_key" => {
                    let key = self.string(line, "promotion.public_key", value)?;
                    if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
                        self.error(
                            line,
                            "`promotion.public_key` must be 64 hex digits (an Ed25519 public key)",
                            "`strata promote keygen --out FILE` writes a private key to FILE and prints the public key to put here",
                        );
                        return None;
                    }
                    promotion.public_key = Some(key.to_ascii_lowercase());
                }
                other => self.unknown_key(line, other, "[promotion]", PROMOTION_KEYS),
            }
        }
        Some(promotion)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::parse_config;

    #[test]
    fn order_and_key_are_read_and_checked() {
        let text = "[env.staging]\nurl = \"sqlite://s.db\"\nsigning_key = \"${KEY}\"\n[env.production]\nurl = \"sqlite://p.db\"\n\n[promotion]\norder = [\"staging\", \"production\"]\n";
        let c = parse_config("strata.toml", ".".into(), text).unwrap();
        let p = c.promotion.unwrap();
        assert_eq!(p.previous("production"), Some("staging"));
        assert_eq!(p.previous("staging"), None);
        assert_eq!(p.previous("development"), None);
        assert_eq!(
            c.envs["staging"].signing_key.as_ref().unwrap().value,
            "${KEY}"
        );
        let e = parse_config(
            "strata.toml",
            ".".into(),
            "[promotion]\npublic_key = \"abc\"\n",
        )
        .unwrap_err();
        assert_eq!(e[0].line, 1);
        assert!(e[0].message.contains("64 hex digits"), "{}", e[0].message);
    }
}
