//! `drop-column`: `ALTER TABLE … DROP COLUMN` on an existing table.
//!
//! The column's data is gone for good, and every client still selecting, inserting or updating it
//! starts failing the moment the migration commits — which, in a rolling deploy, is while the old
//! version of the application still runs. The catalog change itself is quick but takes an
//! ACCESS EXCLUSIVE lock, so it also waits behind (and then blocks) every query on the table.
//! The safe order is expand/contract: stop using the column, deploy, then drop it.
//!
//! Silent when the column or its table was created earlier in the file or run, and in a down that
//! drops a column its own up added (the driver, from `table` and `object`).

use super::{Hit, Object, SectionCx};
use crate::locks::LockLevel;
use crate::walk;
use pg_query::protobuf::{AlterTableType, DropBehavior};
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, statement) in cx.statements.iter().enumerate() {
        let NodeEnum::AlterTableStmt(alter) = &statement.node else {
            continue;
        };
        if !walk::is_table(alter.objtype) {
            continue;
        }
        let table = walk::table_name(&alter.relation);
        for cmd in walk::alter_commands(alter) {
            if cmd.subtype != AlterTableType::AtDropColumn as i32 {
                continue;
            }
            let column = &cmd.name;
            let cascade = if cmd.behavior == DropBehavior::DropCascade as i32 {
                ", and CASCADE drops the views, indexes and constraints that use it"
            } else {
                ""
            };
            let lock = LockLevel::AccessExclusive;
            hits.push(
                Hit::at(
                    i,
                    format!(
                        "DROP COLUMN deletes {table}.{column} and its data: clients still reading or writing it fail{cascade}"
                    ),
                )
                .lock(format!(
                    "{} on {table}, briefly (no rewrite), but while it waits for running queries on {table} it {}",
                    lock.name(),
                    lock.blocks()
                ))
                .help(safe_order(&table, column))
                .table(table.clone())
                .object(Object::Column(table.clone(), column.clone())),
            );
        }
    }
    hits
}

/// Expand/contract: stop using the column, deploy, keep a copy, then drop it.
fn safe_order(table: &str, column: &str) -> String {
    let t = walk::table_ident(table);
    let c = walk::ident(column);
    let backup = walk::ident(&format!(
        "{}_{column}_backup",
        table.rsplit('.').next().unwrap_or(table)
    ));
    format!(
        "first stop reading and writing {c} in the application and deploy that;\n\
         keep a copy, keyed by the primary key, if it may be needed:\n\
         CREATE TABLE {backup} AS SELECT id, {c} FROM {t};\n\
         then drop it in a later migration:\n\
         ALTER TABLE {t} DROP COLUMN {c};"
    )
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;

    const RULE: &str = "drop-column";

    #[test]
    fn fires_on_an_existing_table() {
        assert!(fires(RULE, "ALTER TABLE users DROP COLUMN email;"));
        assert!(fires(
            RULE,
            "ALTER TABLE IF EXISTS app.users DROP COLUMN IF EXISTS email CASCADE;"
        ));
        // One finding per dropped column.
        let findings = lint_up("ALTER TABLE users DROP COLUMN a, DROP b, ADD COLUMN c int;");
        let hits = of(&findings, RULE);
        assert_eq!(hits.len(), 2);
        assert!(hits[0].message.contains("users.a"), "{}", hits[0].message);
        assert!(hits[1].message.contains("users.b"), "{}", hits[1].message);
        assert!(hits[0]
            .lock
            .as_deref()
            .unwrap()
            .starts_with("ACCESS EXCLUSIVE on users"));
        // A down that drops a column its up did not add loses data.
        let findings = lint_up_down(
            "ALTER TABLE users ADD COLUMN nickname text;",
            "ALTER TABLE users DROP COLUMN email;",
        );
        assert_eq!(of(&findings, RULE).len(), 1);
    }

    #[test]
    fn does_not_fire() {
        assert!(!fires(RULE, "ALTER TABLE users ADD COLUMN email text;"));
        assert!(!fires(
            RULE,
            "ALTER TABLE users DROP CONSTRAINT users_email_key;"
        ));
        // New in this file: nothing reads it yet.
        assert!(!fires(
            RULE,
            "CREATE TABLE users (id bigint PRIMARY KEY, tmp text);\nALTER TABLE users DROP COLUMN tmp;"
        ));
        assert!(!fires(
            RULE,
            "ALTER TABLE users ADD COLUMN tmp text;\nALTER TABLE users DROP COLUMN tmp;"
        ));
        // A down dropping what its own up added is the natural inverse.
        let findings = lint_up_down(
            "ALTER TABLE app.users ADD COLUMN nickname text;",
            "ALTER TABLE app.users DROP COLUMN nickname;",
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
        // Not a table.
        assert!(!fires(
            RULE,
            "ALTER FOREIGN TABLE remote_users DROP COLUMN email;"
        ));
    }

    #[test]
    fn can_be_waived() {
        let findings = lint_up(
            "-- strata:lint-ignore drop-column unused since v2.3, backed up in ticket 812\nALTER TABLE users DROP COLUMN email;",
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
        assert!(
            of(&findings, "unused-waiver").is_empty(),
            "the waiver was used: {findings:?}"
        );
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "-- email moved to user_emails\nALTER TABLE users DROP COLUMN email;\n"
        ));
    }
}
