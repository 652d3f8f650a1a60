//! `drop-table`: `DROP TABLE` of an existing table.
//!
//! Every row is gone for good, and every client still querying the table fails from the moment
//! the migration commits — in a rolling deploy, while the old version of the application still
//! runs. `DROP TABLE` takes an ACCESS EXCLUSIVE lock: quick, but it waits behind every running
//! query on the table and blocks everything queued after it. The safe order is expand/contract:
//! stop using the table, deploy, keep a backup, then drop it.
//!
//! One finding per table of the list. Silent on a table created earlier in the file or run, and in
//! a down dropping the table its own up created — the natural inverse (the driver, from `table`
//! and `object`).

use super::{Hit, Object, SectionCx};
use crate::locks::LockLevel;
use crate::walk;
use pg_query::protobuf::{DropBehavior, ObjectType};
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, statement) in cx.statements.iter().enumerate() {
        let NodeEnum::DropStmt(drop) = &statement.node else {
            continue;
        };
        if drop.remove_type != ObjectType::ObjectTable as i32 {
            continue;
        }
        let cascade = if drop.behavior == DropBehavior::DropCascade as i32 {
            ", and CASCADE also drops the views and foreign keys that depend on it"
        } else {
            ""
        };
        for object in &drop.objects {
            let table = walk::dotted_name(object);
            let lock = LockLevel::AccessExclusive;
            hits.push(
                Hit::at(
                    i,
                    format!("DROP TABLE deletes {table} and all its rows: clients still using it fail{cascade}"),
                )
                .lock(format!(
                    "{} on {table}, briefly, but while it waits for running queries on {table} it {}",
                    lock.name(),
                    lock.blocks()
                ))
                .help(safe_order(&table))
                .table(table.clone())
                .object(Object::Table(table)),
            );
        }
    }
    hits
}

/// Expand/contract: stop using the table, deploy, back it up, then drop it.
fn safe_order(table: &str) -> String {
    let t = walk::table_ident(table);
    let file = table.replace(|c: char| !c.is_ascii_alphanumeric() && c != '.', "_");
    format!(
        "first stop reading and writing {t} in the application and deploy that;\n\
         keep a backup, e.g. pg_dump --table='{t}' --file={file}.sql\n\
         then drop it in a later migration:\n\
         DROP TABLE {t};"
    )
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;

    const RULE: &str = "drop-table";

    #[test]
    fn fires_on_an_existing_table() {
        assert!(fires(RULE, "DROP TABLE audit_log;"));
        assert!(fires(RULE, "DROP TABLE IF EXISTS app.audit_log CASCADE;"));
        let findings = lint_up("DROP TABLE a, app.b;");
        let hits = of(&findings, RULE);
        assert_eq!(hits.len(), 2);
        assert!(
            hits[0].message.contains("DROP TABLE deletes a "),
            "{}",
            hits[0].message
        );
        assert!(hits[1].message.contains("app.b"), "{}", hits[1].message);
        // Only the old table of the list.
        let findings =
            lint_up("CREATE TABLE tmp (id bigint PRIMARY KEY);\nDROP TABLE tmp, old_tmp;");
        let hits = of(&findings, RULE);
        assert_eq!(hits.len(), 1);
        assert!(hits[0].message.contains("old_tmp"));
        // A down dropping a table its up did not create.
        let findings = lint_up_down("DROP VIEW report;", "DROP TABLE orders;");
        assert_eq!(of(&findings, RULE).len(), 1);
    }

    #[test]
    fn does_not_fire() {
        assert!(!fires(RULE, "DROP VIEW report;"));
        assert!(!fires(RULE, "DROP INDEX CONCURRENTLY orders_user_idx;"));
        assert!(!fires(RULE, "TRUNCATE audit_log;"));
        // Created earlier in the same file.
        assert!(!fires(
            RULE,
            "CREATE TABLE staging AS SELECT * FROM orders;\nDROP TABLE staging;"
        ));
        // A down dropping what its own up created.
        let findings = lint_up_down(
            "CREATE TABLE app.user_emails (id bigint PRIMARY KEY, email text NOT NULL);",
            "DROP TABLE app.user_emails;",
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
        let findings = lint_up_down(
            "CREATE TABLE a (id bigint PRIMARY KEY);\nCREATE TABLE b (id bigint PRIMARY KEY);",
            "DROP TABLE IF EXISTS b, a;",
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(RULE, "DROP TABLE legacy_sessions;\n"));
    }
}
