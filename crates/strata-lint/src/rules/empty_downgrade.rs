//! `empty-downgrade`: a migration whose up changes the schema but whose down is empty.
//!
//! An empty down does not say "this cannot be undone"; it says "undoing this is nothing". Diesel
//! and sqlx run it and report success while the table, column or index stays, so the next up
//! fails or, worse, the application runs against a schema it does not expect. strata refuses to
//! run such a migration at all (`upgrade` and `downgrade`), so the linter says it first.
//!
//! Fires once per file, from the up section, on the up's first statement that changes the schema
//! ([`walk::changes_schema`]: DDL, `COMMENT`, `TRUNCATE`; not `INSERT`/`UPDATE`/`DELETE`, `SET`,
//! `GRANT`, `DO`, nor `VALIDATE CONSTRAINT`, which changes no definition). Only for files that have a down at all (`Source::has_down`) and are not
//! `-- strata:irreversible`; a down the parser rejected is reported as that, not as empty.

use super::{Hit, SectionCx};
use crate::source::SectionKind;
use crate::walk;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    if cx.section.kind != SectionKind::Up || !cx.source.has_down || cx.source.irreversible {
        return Vec::new();
    }
    let down_index = cx
        .source
        .sections
        .iter()
        .position(|s| s.kind == SectionKind::Down);
    let down_is_empty = match (down_index, cx.sibling(SectionKind::Down)) {
        (_, Some(statements)) => statements.is_empty(),
        // A down that did not parse is a parse failure, not an empty down.
        (Some(_), None) => false,
        // The file has a down but no text for it.
        (None, None) => true,
    };
    if !down_is_empty {
        return Vec::new();
    }
    let Some((i, first)) = cx
        .statements
        .iter()
        .enumerate()
        .find(|(_, s)| walk::changes_schema(&s.node))
    else {
        return Vec::new();
    };
    let separate_file = down_index.is_some_and(|d| cx.source.section_path(d) != cx.source.path);
    let down = match down_index {
        Some(index) if separate_file => format!("its down, {},", cx.source.section_path(index)),
        _ => "its down section".to_owned(),
    };
    vec![Hit::at(
        i,
        format!(
            "this migration changes the schema (`{}`) but {down} is empty: \
             downgrading would report success and leave the change in place",
            first_line(&first.sql)
        ),
    )
    .help(help(cx, separate_file))]
}

/// The first line of a statement, shortened, for a message.
fn first_line(sql: &str) -> String {
    let line = sql.lines().next().unwrap_or_default();
    let line = line.split('(').next().unwrap_or(line).trim_end();
    if line.chars().count() > 60 {
        format!("{}…", line.chars().take(59).collect::<String>())
    } else {
        line.to_owned()
    }
}

/// The inverse of the up's simplest statements, then the way to say "irreversible".
fn help(cx: &SectionCx<'_>, separate_down_file: bool) -> String {
    // What a dropped table takes with it needs no statement of its own.
    let created: Vec<String> = cx
        .statements
        .iter()
        .filter_map(|s| match &s.node {
            pg_query::NodeEnum::CreateStmt(c) => Some(walk::table_name(&c.relation)),
            _ => None,
        })
        .collect();
    let mut inverse: Vec<String> = cx
        .statements
        .iter()
        .rev()
        .filter(|s| {
            !on_table(&s.node).is_some_and(|t| created.iter().any(|c| walk::same_table(c, &t)))
        })
        .filter_map(|s| inverse(&s.node))
        .collect();
    inverse.dedup();
    let mut out = String::from("write the down that undoes the up");
    if inverse.is_empty() {
        out.push('.');
    } else {
        out.push_str(", e.g.:\n");
        out.push_str(&inverse.join("\n"));
    }
    if cx.source.revision.is_some() || !separate_down_file {
        out.push_str(
            "\nor, when it truly cannot be undone, say so in the header (downgrading past it then stops):\n\
             -- strata:irreversible <why>",
        );
    } else {
        out.push_str(
            "\nor, when it truly cannot be undone, make the down fail instead of doing nothing:\n\
             DO $$ BEGIN RAISE EXCEPTION 'irreversible: <why>'; END $$;",
        );
    }
    out
}

/// The table an index or `ALTER TABLE` statement works on.
fn on_table(node: &pg_query::NodeEnum) -> Option<String> {
    match node {
        pg_query::NodeEnum::IndexStmt(s) => Some(walk::table_name(&s.relation)),
        pg_query::NodeEnum::AlterTableStmt(s) => Some(walk::table_name(&s.relation)),
        _ => None,
    }
}

/// SQL undoing a statement, for the statements where that is mechanical.
fn inverse(node: &pg_query::NodeEnum) -> Option<String> {
    use pg_query::protobuf::AlterTableType;
    use pg_query::NodeEnum;
    match node {
        NodeEnum::CreateStmt(stmt) => Some(format!(
            "DROP TABLE {};",
            walk::table_ident(&walk::table_name(&stmt.relation))
        )),
        NodeEnum::IndexStmt(stmt) if !stmt.idxname.is_empty() => {
            let schema = stmt.relation.as_ref().map_or("", |r| r.schemaname.as_str());
            let name = if schema.is_empty() {
                walk::ident(&stmt.idxname)
            } else {
                format!("{}.{}", walk::ident(schema), walk::ident(&stmt.idxname))
            };
            Some(format!("DROP INDEX {name};"))
        }
        NodeEnum::AlterTableStmt(stmt) if walk::is_table(stmt.objtype) => {
            let table = walk::table_ident(&walk::table_name(&stmt.relation));
            let drops: Vec<String> = walk::alter_commands(stmt)
                .into_iter()
                .filter(|cmd| cmd.subtype == AlterTableType::AtAddColumn as i32)
                .filter_map(walk::command_column_def)
                .map(|c| format!("DROP COLUMN {}", walk::ident(&c.colname)))
                .collect();
            (!drops.is_empty()).then(|| format!("ALTER TABLE {table} {};", drops.join(", ")))
        }
        NodeEnum::CreateExtensionStmt(stmt) => {
            Some(format!("DROP EXTENSION {};", walk::ident(&stmt.extname)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Section, SectionKind, Source};

    const RULE: &str = "empty-downgrade";

    fn fires_with_down(up: &str, down: &str) -> bool {
        !of(&lint_up_down(up, down), RULE).is_empty()
    }

    #[test]
    fn fires_when_a_schema_change_has_an_empty_down() {
        assert!(fires_with_down(
            "CREATE TABLE t (id bigint PRIMARY KEY);",
            ""
        ));
        assert!(fires_with_down(
            "ALTER TABLE users DROP COLUMN email CASCADE;\n",
            "-- Not reversible\n"
        ));
        assert!(fires_with_down(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm;",
            "  \n"
        ));
        assert!(fires_with_down("COMMENT ON TABLE t IS 'x';", ";"));
        assert!(fires_with_down("TRUNCATE sessions;", ""));
        // Once per file, on the first schema change, whatever comes first.
        let findings = lint_up_down(
            "SET lock_timeout = '2s';\nALTER TABLE a ADD COLUMN b int;\nCREATE INDEX ON a (b);",
            "",
        );
        let hits = of(&findings, RULE);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].line, 2);
        assert!(
            hits[0].message.contains("`ALTER TABLE a ADD COLUMN b int`"),
            "{}",
            hits[0].message
        );
    }

    #[test]
    fn does_not_fire() {
        // A down that undoes the up.
        assert!(!fires_with_down(
            "CREATE TABLE t (id bigint PRIMARY KEY);",
            "DROP TABLE t;"
        ));
        // Data-only ups may have an empty down.
        assert!(!fires_with_down(
            "UPDATE packages SET updated_at = now() WHERE updated_at IS NULL;",
            ""
        ));
        assert!(!fires_with_down(
            "INSERT INTO settings (k, v) VALUES ('a', 'b');\nDELETE FROM sessions WHERE expired;\nGRANT SELECT ON t TO reporting;",
            "-- nothing to undo"
        ));
        // Validating constraints changes no definition: nothing to undo.
        assert!(!fires_with_down(
            "SET LOCAL lock_timeout = '5s';\nALTER TABLE \"public\".\"t\" VALIDATE CONSTRAINT \"t_n_check\";\nALTER DOMAIN d VALIDATE CONSTRAINT c;",
            ""
        ));
        // But a validation next to a real change still needs a down.
        assert!(fires_with_down(
            "ALTER TABLE t VALIDATE CONSTRAINT c;\nALTER TABLE t ALTER COLUMN x SET NOT NULL;",
            ""
        ));
        // An up with no statements (a merge, a migration commented out).
        assert!(!fires_with_down("-- DROP INDEX foo;\n", ""));
        // Plain SQL files have no down to be empty.
        assert!(!fires(RULE, "CREATE TABLE t (id bigint PRIMARY KEY);"));
        // Irreversible strata migrations say so instead of having a down.
        let mut source = source_up_down("DROP TABLE t;", "");
        source.irreversible = true;
        assert!(of(&lint_with(&[source], &Options::default()), RULE).is_empty());
    }

    #[test]
    fn a_down_that_does_not_parse_is_not_empty() {
        let broken = source_up_down(
            "CREATE TABLE t (id bigint PRIMARY KEY);",
            "DROP TABLE t\nALTER TABLE",
        );
        let report = crate::lint(&[broken], &Options::default());
        assert_eq!(report.failures.len(), 1);
        assert!(
            of(&report.findings, RULE).is_empty(),
            "{:?}",
            report.findings
        );
    }

    #[test]
    fn a_down_file_is_named() {
        let mut source = Source::plain(
            "migrations/2019-11-11-162609_drop_email/up.sql",
            "ALTER TABLE users DROP COLUMN email;\n",
        );
        source.sections.push(Section {
            kind: SectionKind::Down,
            sql: "-- Not reversible\n".to_owned(),
            first_line: 1,
            transactional: true,
            explicitly_non_transactional: false,
        });
        source.section_paths.push(Some(
            "migrations/2019-11-11-162609_drop_email/down.sql".to_owned(),
        ));
        source.has_down = true;
        let findings = lint_with(&[source], &Options::default());
        let hits = of(&findings, RULE);
        assert_eq!(hits.len(), 1);
        assert!(
            hits[0]
                .message
                .contains("its down, migrations/2019-11-11-162609_drop_email/down.sql, is empty"),
            "{}",
            hits[0].message
        );
        assert!(hits[0].help.as_deref().unwrap().contains("RAISE EXCEPTION"));
    }

    #[test]
    fn can_be_waived_for_the_file() {
        let findings = lint_up_down(
            "-- strata:lint-ignore-file empty-downgrade the data is gone, restore from backup\nALTER TABLE users DROP COLUMN email;",
            "",
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human_up_down(
            RULE,
            "CREATE TABLE user_emails (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL);\nCREATE INDEX user_emails_email_idx ON user_emails (email);\n",
            "-- nothing\n"
        ));
    }
}
