//! Identifiers and literals that strata writes into SQL. Every name strata generates goes through
//! [`quote_ident`] and every value through [`quote_literal`]; nothing is spliced in raw.

use std::fmt;

/// `"name"`, with embedded double quotes doubled. Valid in PostgreSQL and SQLite.
pub fn quote_ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `'value'`, with embedded single quotes doubled. strata assumes
/// `standard_conforming_strings = on` (PostgreSQL's default since 9.1; the PostgreSQL engine sets it
/// for its session), so backslashes need no escaping. NUL characters cannot be stored in text and
/// are dropped.
pub fn quote_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\0' => {}
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// An optionally schema-qualified name, displayed quoted: `"schema"."name"`. In JSON:
/// `{"schema": "app", "name": "users"}` (`schema` is `null` when unqualified).
/// PostgreSQL keeps identifiers to this many bytes (`NAMEDATALEN - 1`) and silently cuts longer
/// ones.
pub const MAX_IDENTIFIER_BYTES: usize = 63;

/// `name` as PostgreSQL stores it: cut to [`MAX_IDENTIFIER_BYTES`] bytes, at a character boundary.
pub fn truncate_identifier(name: &str) -> &str {
    let mut end = name.len().min(MAX_IDENTIFIER_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct QualifiedName {
    pub schema: Option<String>,
    pub name: String,
}

impl QualifiedName {
    pub fn new(schema: Option<&str>, name: &str) -> QualifiedName {
        QualifiedName {
            schema: schema.map(str::to_owned),
            name: name.to_owned(),
        }
    }

    /// Parses `name` or `schema.name` as written in configuration (no quoting; strata.toml refuses
    /// names of more than two parts, so a table name cannot contain a dot).
    pub fn parse(text: &str) -> QualifiedName {
        match text.split_once('.') {
            Some((schema, name)) if !schema.is_empty() && !name.is_empty() => {
                QualifiedName::new(Some(schema), name)
            }
            _ => QualifiedName::new(None, text),
        }
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(schema) = &self.schema {
            write!(f, "{}.", quote_ident(schema))?;
        }
        f.write_str(&quote_ident(&self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_cut_as_postgres_cuts_them() {
        assert_eq!(truncate_identifier("short"), "short");
        let long = "a".repeat(70);
        assert_eq!(truncate_identifier(&long).len(), 63);
        // Never in the middle of a character: 'é' is two bytes.
        let accented = format!("{}é", "a".repeat(62));
        assert_eq!(truncate_identifier(&accented), "a".repeat(62));
    }

    #[test]
    fn hostile_names_are_quoted() {
        assert_eq!(
            quote_ident(r#"a"; DROP TABLE x; --"#),
            r#""a""; DROP TABLE x; --""#
        );
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(
            QualifiedName::parse("app.strata_version").to_string(),
            r#""app"."strata_version""#
        );
        assert_eq!(
            QualifiedName::parse("Mixed Case").to_string(),
            r#""Mixed Case""#
        );
    }
}
