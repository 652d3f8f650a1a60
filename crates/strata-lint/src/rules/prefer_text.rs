//! `prefer-text`: a column of type `varchar(n)`, `char(n)`, `character(n)` or plain `char` (which
//! is `char(1)`), new tables too.
//!
//! In PostgreSQL `text` and `varchar` are the same type underneath — same storage, same speed —
//! so `varchar(255)` buys nothing but a limit chosen once, usually at random, that turns a longer
//! value into a runtime error; lowering it later re-checks the whole table under an ACCESS EXCLUSIVE
//! lock. `char(n)` is worse: values are blank-padded to `n`, and the padding is ignored in some
//! comparisons and not in others. Use `text`, and when a limit is a real rule, say it with a
//! `CHECK`, which can be added `NOT VALID` and changed without touching the type.
//!
//! `varchar` only with a length written: plain `varchar` is `text` under another name. Plain
//! `char` is `char(1)`, blank-padded like any `char(n)`, and fires as `char(1)` does. Design
//! rule: not in a down section, which restores what an earlier migration defined.

use super::{Hit, SectionCx};
use crate::walk;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    if cx.is_down() {
        return hits;
    }
    for (i, statement) in cx.statements.iter().enumerate() {
        for site in walk::column_sites(&statement.node) {
            let Some(type_name) = &site.def.type_name else {
                continue;
            };
            let base = walk::type_base(&site.def.type_name);
            if base != "varchar" && base != "bpchar" {
                continue;
            }
            // `character` alone is `char(1)` (a length the parser made up, with no location):
            // the same blank-padded type as `char(1)`. `varchar` alone is `text`.
            let written_length = type_name
                .typmods
                .first()
                .filter(|m| written(m))
                .and_then(walk::integer_value);
            let length = match (written_length, base.as_str()) {
                (Some(length), _) => length,
                (None, "bpchar") => 1,
                (None, _) => continue,
            };
            let written_type = if written_length.is_some() {
                walk::type_sql(&site.def.type_name)
            } else {
                format!("char{}", "[]".repeat(type_name.array_bounds.len()))
            };
            let arrays = type_name.array_bounds.len();
            let text = format!("text{}", "[]".repeat(arrays));
            let column = walk::ident(site.name);
            let problem = if base == "bpchar" {
                format!("values are blank-padded to {length} characters and longer ones are an error; text has neither")
            } else {
                "the same storage as text, plus a limit that makes longer values an error"
                    .to_owned()
            };
            let limit = format!("CHECK (char_length({column}) <= {length})");
            let check = if arrays > 0 {
                String::new()
            } else if site.kind == walk::ColumnSiteKind::Create {
                format!("\nand if the limit is a real rule, say so:\n{column} text {limit}")
            } else {
                let table = walk::table_ident(&site.table);
                let name = walk::ident(&walk::object_name(&format!(
                    "{}_{}_length",
                    walk::bare_table(&site.table),
                    site.name
                )));
                format!(
                    "\nand if the limit is a real rule, say so without a long lock:\n\
                     ALTER TABLE {table} ADD CONSTRAINT {name} {limit} NOT VALID;\n\
                     ALTER TABLE {table} VALIDATE CONSTRAINT {name};"
                )
            };
            hits.push(
                Hit::at(
                    i,
                    format!("{}.{} is {written_type}: {problem}", site.table, site.name),
                )
                .location(site.location())
                .help(format!(
                    "use text:\n{}{check}",
                    walk::column_with_type(&site, &text, None)
                ))
                .table(site.table.clone()),
            );
        }
    }
    hits
}

/// Whether a type modifier was written in the SQL (the parser's own have no location).
fn written(node: &pg_query::protobuf::Node) -> bool {
    match node.node.as_ref() {
        Some(pg_query::NodeEnum::AConst(c)) => c.location >= 0,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::Severity;

    const RULE: &str = "prefer-text";

    #[test]
    fn fires_on_lengths() {
        for sql in [
            "CREATE TABLE t (id bigint PRIMARY KEY, email varchar(255) NOT NULL);",
            "CREATE TABLE t (id bigint PRIMARY KEY, email character varying(255));",
            "CREATE TABLE t (id bigint PRIMARY KEY, code char(3));",
            "CREATE TABLE t (id bigint PRIMARY KEY, code character(2));",
            "ALTER TABLE t ADD COLUMN tags varchar(20)[];",
            "ALTER TABLE t ALTER COLUMN email TYPE varchar(320);",
            // Plain char is char(1).
            "CREATE TABLE t (id bigint PRIMARY KEY, flag char);",
            "CREATE TABLE t (id bigint PRIMARY KEY, kind character);",
            "CREATE TABLE t (id bigint PRIMARY KEY, kinds char[]);",
            "ALTER TABLE t ADD COLUMN c Char;",
        ] {
            assert!(fires(RULE, sql), "{sql}");
        }
        let findings = lint_up("CREATE TABLE t (id bigint PRIMARY KEY, email varchar(255));");
        let hit = of(&findings, RULE)[0];
        assert_eq!(hit.severity, Severity::Info);
        assert_eq!(
            hit.help.as_deref(),
            Some("use text:\nemail text\nand if the limit is a real rule, say so:\nemail text CHECK (char_length(email) <= 255)")
        );
    }

    #[test]
    fn does_not_fire() {
        for sql in [
            "CREATE TABLE t (id bigint PRIMARY KEY, email text);",
            "CREATE TABLE t (id bigint PRIMARY KEY, email varchar);",
            "CREATE TABLE t (id bigint PRIMARY KEY, kind \"char\");",
            "SELECT 'a'::varchar(3);",
        ] {
            assert!(!fires(RULE, sql), "{sql}");
        }
        let findings = lint_up_down(
            "ALTER TABLE t ALTER COLUMN email TYPE text;",
            "ALTER TABLE t ALTER COLUMN email TYPE varchar(255);",
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "CREATE TABLE users (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  email varchar(255) NOT NULL,\n  country char(2)\n);\n"
        ));
    }
}
