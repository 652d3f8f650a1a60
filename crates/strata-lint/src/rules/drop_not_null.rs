//! `drop-not-null`: `ALTER TABLE … ALTER COLUMN … DROP NOT NULL` on an existing table.
//!
//! The statement itself is quick — ACCESS EXCLUSIVE for a catalog change — but it breaks a promise
//! every reader of the column relies on: application code that maps the column to a non-optional
//! field, reports and views that never expected a NULL, `NOT IN` subqueries that return nothing
//! once a NULL appears. Those readers fail only later, on the first row written without a value.
//! Deploy readers that handle NULL first, then drop the constraint.
//!
//! Destructive rule (what breaks is its readers): silent on tables created earlier in the same
//! file or run, and in a down undoing its own up's `SET NOT NULL` or `NOT NULL` column.

use super::{Hit, Object, SectionCx};
use crate::locks::LockLevel;
use crate::source::SectionKind;
use crate::walk;
use pg_query::protobuf::AlterTableType;
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    let up_set = if cx.is_down() {
        cx.sibling(SectionKind::Up)
            .map(set_not_null)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    for (i, statement) in cx.statements.iter().enumerate() {
        let NodeEnum::AlterTableStmt(alter) = &statement.node else {
            continue;
        };
        if !walk::is_table(alter.objtype) {
            continue;
        }
        let table = walk::table_name(&alter.relation);
        for cmd in walk::alter_commands(alter) {
            if cmd.subtype != AlterTableType::AtDropNotNull as i32 {
                continue;
            }
            if up_set
                .iter()
                .any(|(t, c)| walk::same_table(t, &table) && *c == cmd.name)
            {
                continue;
            }
            let t = walk::table_ident(&table);
            let c = walk::ident(&cmd.name);
            let lock = LockLevel::AccessExclusive;
            hits.push(
                Hit::at(
                    i,
                    format!("DROP NOT NULL lets {table}.{} hold NULL: readers that assume it never does (application code, views, reports, NOT IN queries) break on the first NULL written", cmd.name),
                )
                .lock(format!(
                    "{} on {table}, briefly (a catalog change), but while it waits for running queries it {}",
                    lock.name(),
                    lock.blocks()
                ))
                .help(format!(
                    "first deploy code that reads and writes {t}.{c} as optional, then in a later migration:\n\
                     ALTER TABLE {t} ALTER COLUMN {c} DROP NOT NULL;"
                ))
                .table(table.clone())
                .object(Object::Column(table.clone(), cmd.name.clone())),
            );
        }
    }
    hits
}

/// `(table, column)` pairs an up makes NOT NULL with `SET NOT NULL`.
fn set_not_null(statements: &[crate::parse::Statement]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for statement in statements {
        if let NodeEnum::AlterTableStmt(alter) = &statement.node {
            let table = walk::table_name(&alter.relation);
            for cmd in walk::alter_commands(alter) {
                if cmd.subtype == AlterTableType::AtSetNotNull as i32 {
                    out.push((table.clone(), cmd.name.clone()));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::Severity;

    const RULE: &str = "drop-not-null";

    #[test]
    fn fires_on_an_existing_table() {
        assert!(fires(
            RULE,
            "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;"
        ));
        assert!(fires(
            RULE,
            "ALTER TABLE app.users ALTER email DROP NOT NULL, ALTER name DROP NOT NULL;"
        ));
        let findings = lint_up("ALTER TABLE users ALTER COLUMN email DROP NOT NULL;");
        let hit = of(&findings, RULE)[0];
        assert_eq!(hit.severity, Severity::Warning);
        assert!(hit.message.contains("users.email"), "{}", hit.message);
        // A down that drops a NOT NULL its up did not set.
        let findings = lint_up_down(
            "ALTER TABLE users ADD COLUMN nickname text;",
            "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
        );
        assert_eq!(of(&findings, RULE).len(), 1);
    }

    #[test]
    fn does_not_fire() {
        assert!(!fires(
            RULE,
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL;"
        ));
        assert!(!fires(
            RULE,
            "ALTER TABLE users ALTER COLUMN email DROP DEFAULT;"
        ));
        // Created earlier in the same file.
        assert!(!fires(
            RULE,
            "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\nALTER TABLE users ALTER COLUMN email DROP NOT NULL;"
        ));
        // A down undoing its own up.
        let findings = lint_up_down(
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
            "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
        let findings = lint_up_down(
            "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';",
            "ALTER TABLE users ALTER COLUMN plan DROP NOT NULL;",
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
    }

    #[test]
    fn waived() {
        let findings = lint_up("-- strata:lint-ignore drop-not-null every reader handles NULL since v4.2\nALTER TABLE users ALTER COLUMN email DROP NOT NULL;");
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
        assert!(of(&findings, "unused-waiver").is_empty(), "{findings:?}");
    }
}
