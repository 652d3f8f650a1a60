//! `prefer-text`: a column of type `varchar(n)`, `char`, `char(n)`, `character(n)` or `bpchar`
//! (or an array of them), new tables too.
//!
//! In PostgreSQL `text` and `varchar` are the same type underneath — same storage, same speed —
//! so `varchar(255)` buys nothing but a limit chosen once, usually at random, that turns a longer
//! value into a runtime error; lowering it later re-checks the whole table under an ACCESS EXCLUSIVE
//! lock. `char(n)` is worse: values are blank-padded to `n`, and the padding is ignored in some
//! comparisons and not in others; plain `char` is `char(1)`, and `bpchar` blank-pads with no
//! limit. Use `text`, and when a limit is a real rule, say it with a `CHECK`, which can be added
//! `NOT VALID` and changed without touching the type.
//!
//! Not plain `varchar` (`text` under another name) nor `"char"` (PostgreSQL's one-byte internal
//! type). Design rule: not in a down section, which restores what an earlier migration defined.

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
            // `char` alone is `char(1)` with a length the parser made up (no location).
            let written_length = type_name
                .typmods
                .first()
                .filter(|m| written(m))
                .and_then(walk::integer_value);
            let arrays = type_name.array_bounds.len();
            let brackets = "[]".repeat(arrays);
            // `char` / `character` come out as `pg_catalog.bpchar`; `bpchar` as written has no
            // schema and no limit.
            let implicit_one = base == "bpchar" && type_name.names.len() > 1;
            let (written_type, length) = match written_length {
                Some(n) => (walk::type_sql(&site.def.type_name), Some(n)),
                None if base == "varchar" => continue,
                None if implicit_one => (format!("char{brackets}"), Some(1)),
                None => (format!("bpchar{brackets}"), None),
            };
            let text = format!("text{brackets}");
            let column = walk::ident(site.name);
            let problem = match length {
                _ if base == "varchar" => {
                    "the same storage as text, plus a limit that makes longer values an error"
                        .to_owned()
                }
                Some(1) if written_length.is_none() => "that is char(1): one blank-padded character, and a longer value is an error; text has neither".to_owned(),
                Some(length) => format!("values are blank-padded to {length} characters and longer ones are an error; text has neither"),
                None => "values are blank-padded, and trailing blanks count in some comparisons and not in others; text has no such rules".to_owned(),
            };
            let Some(length) = length else {
                hits.push(
                    Hit::at(
                        i,
                        format!("{}.{} is {written_type}: {problem}", site.table, site.name),
                    )
                    .location(site.location())
                    .help(format!(
                        "use text:\n{}",
                        walk::column_with_type(&site, &text, None)
                    ))
                    .table(site.table.clone()),
                );
                continue;
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
            // Squawk's ban-char-field: char of any spelling, and arrays of it.
            "CREATE TABLE t (id bigint PRIMARY KEY, flag char);",
            "CREATE TABLE t (id bigint PRIMARY KEY, kind character);",
            "CREATE TABLE t (id bigint PRIMARY KEY, code bpchar);",
            "CREATE TABLE t (id bigint PRIMARY KEY, codes char(2)[]);",
            "CREATE TABLE t (id bigint PRIMARY KEY, codes character[]);",
            "ALTER TABLE t ADD COLUMN grade char;",
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
    fn char_without_a_length_is_char_1() {
        let findings = lint_up("CREATE TABLE t (id bigint PRIMARY KEY, flag char NOT NULL);");
        let hit = of(&findings, RULE)[0];
        assert_eq!(hit.severity, Severity::Info);
        assert!(
            hit.message.starts_with("t.flag is char: that is char(1)"),
            "{}",
            hit.message
        );
        assert_eq!(
            hit.help.as_deref(),
            Some("use text:\nflag text\nand if the limit is a real rule, say so:\nflag text CHECK (char_length(flag) <= 1)")
        );
        let findings = lint_up("ALTER TABLE t ADD COLUMN codes bpchar[];");
        let hit = of(&findings, RULE)[0];
        assert!(
            hit.message.starts_with("t.codes is bpchar[]: "),
            "{}",
            hit.message
        );
        assert_eq!(
            hit.help.as_deref(),
            Some("use text:\nALTER TABLE t ADD COLUMN codes text[];")
        );
    }

    #[test]
    fn waived() {
        let findings = lint_up("-- strata:lint-ignore prefer-text the ERP export reads fixed-width fields\nALTER TABLE invoices ADD COLUMN erp_code char(8);");
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
        assert!(of(&findings, "unused-waiver").is_empty(), "{findings:?}");
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
