//! `identifier-too-long`: a name longer than 63 bytes, new tables too.
//!
//! PostgreSQL keeps names to 63 bytes (`NAMEDATALEN - 1`) and cuts longer ones, with only a
//! NOTICE that migration tools rarely show: the table, column, index or constraint gets a name
//! other than the one written. Later statements that spell the full name still work (they are
//! cut the same way), but everything that reads the catalog — the application's ORM, a schema
//! diff, `\d`, error messages — shows the cut name, and two long names that share their first 63
//! bytes become the same name and collide. Bytes, not characters: a name in another script hits
//! the limit sooner.
//!
//! Checks every identifier the statement spells (quoted or not); the parser has already cut them,
//! so this reads the tokens. Design rule: not in a down section.

use super::{Hit, SectionCx};
use pg_query::protobuf::Token;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    if cx.is_down() {
        return hits;
    }
    for (i, statement) in cx.statements.iter().enumerate() {
        if !maybe_long(&statement.sql) {
            continue;
        }
        let Ok(scan) = pg_query::scan(&statement.sql) else {
            continue;
        };
        let mut seen = std::collections::BTreeSet::new();
        for token in &scan.tokens {
            if token.token != Token::Ident as i32 {
                continue;
            }
            let (start, end) = (token.start.max(0) as usize, token.end.max(0) as usize);
            let Some(text) = statement.sql.get(start..end) else {
                continue;
            };
            let name = identifier(text);
            if name.len() <= 63 || !seen.insert(name.clone()) {
                continue;
            }
            let cut = crate::walk::object_name(&name);
            hits.push(
                Hit::at(
                    i,
                    format!(
                        "the name {text} is {} bytes: PostgreSQL silently cuts it to 63, so the object is named {}",
                        name.len(),
                        crate::walk::ident(&cut)
                    ),
                )
                .location((statement.offset + start) as i32)
                .help("shorten it to 63 bytes or fewer, so the name in the catalog is the name in the migration".to_owned()),
            );
        }
    }
    hits
}

/// The name an identifier token stands for: unquoted names folded to lower case (ASCII only, as
/// PostgreSQL does), quoted ones without their quotes.
fn identifier(token: &str) -> String {
    match token.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => token.to_ascii_lowercase(),
    }
}

/// Whether the statement can hold a name over 63 bytes: a quoted name or a run of bytes that
/// could be an unquoted one, over 63 bytes. Saves scanning nearly every statement; a statement
/// with both kinds of quotes is always scanned (a `"` inside a string would mislead the count).
fn maybe_long(sql: &str) -> bool {
    if !sql.contains('"') {
        return unquoted_run(sql);
    }
    if sql.contains('\'') {
        return true;
    }
    let doubled = sql.replace("\"\"", "__");
    doubled
        .split('"')
        .enumerate()
        .any(|(k, part)| k % 2 == 1 && part.len() > 63)
        || unquoted_run(&doubled)
}

fn unquoted_run(sql: &str) -> bool {
    let mut run = 0;
    for b in sql.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80 {
            run += 1;
            if run > 63 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::Severity;

    const RULE: &str = "identifier-too-long";

    #[test]
    fn fires_on_names_over_63_bytes() {
        // Squawk's example: a 65-byte table name and a 66-byte column name.
        let sql = "create table table_very_long_very_long_very_long_very_long_very_long_very_long (\n  column_very_long_very_long_very_long_very_long_very_long_very_long bigint\n);";
        let findings = lint_up(sql);
        let hits = of(&findings, RULE);
        assert_eq!(hits.len(), 2, "{findings:?}");
        assert_eq!(hits[0].severity, Severity::Warning);
        assert_eq!((hits[0].line, hits[0].column), (1, 14));
        assert_eq!(hits[0].message, "the name table_very_long_very_long_very_long_very_long_very_long_very_long is 65 bytes: PostgreSQL silently cuts it to 63, so the object is named table_very_long_very_long_very_long_very_long_very_long_very_lo");
        assert_eq!((hits[1].line, hits[1].column), (2, 3));
        // Quoted, and bytes rather than characters: 32 two-byte letters are 64 bytes.
        let greek = "α".repeat(32);
        assert!(fires(
            RULE,
            &format!("ALTER TABLE t ADD COLUMN \"{greek}\" text;")
        ));
        assert!(fires(
            RULE,
            &format!("CREATE INDEX {} ON t (a);", "i".repeat(64))
        ));
    }

    #[test]
    fn does_not_fire() {
        assert!(!fires(
            RULE,
            &format!("CREATE TABLE {} (id bigint PRIMARY KEY);", "t".repeat(63))
        ));
        // Strings and function bodies are not names.
        assert!(!fires(
            RULE,
            &format!("INSERT INTO t (note) VALUES ('{}');", "x".repeat(100))
        ));
        assert!(!fires(
            RULE,
            &format!("COMMENT ON TABLE t IS \"{}\";", "y".repeat(10)).replace('"', "'")
        ));
        let findings = lint_up_down(
            "CREATE TABLE t (id bigint PRIMARY KEY);",
            &format!("DROP INDEX {};", "i".repeat(64)),
        );
        assert!(of(&findings, RULE).is_empty());
        assert!(!fires(
            RULE,
            &format!("CREATE TABLE \"{}\" (\"a\"\"b\" text);", "t".repeat(63))
        ));
    }

    #[test]
    fn quoted_names_with_strings_and_doubled_quotes() {
        let long = format!("a\"\"{}", "b".repeat(62));
        assert!(fires(
            RULE,
            &format!("ALTER TABLE t ADD COLUMN \"{long}\" text;")
        ));
        assert!(fires(
            RULE,
            &format!(
                "ALTER TABLE t ADD COLUMN \"{}\" text DEFAULT 'say \"hi\"';",
                "c".repeat(64)
            )
        ));
    }

    #[test]
    fn waived() {
        let name = "x".repeat(70);
        let findings = lint_up(&format!("-- strata:lint-ignore identifier-too-long generated by the ORM, which cuts it the same way\nCREATE TABLE {name} (id bigint PRIMARY KEY);"));
        assert!(findings.is_empty(), "{findings:?}");
    }
}
