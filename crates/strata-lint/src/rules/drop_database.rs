//! `drop-database`: `DROP DATABASE`.
//!
//! A migration runs inside one database; dropping a database from it deletes every table, row and
//! object of that database at once, with no undo short of a restore. It also fails while anyone
//! is connected to that database (`WITH (FORCE)`, 13+, disconnects them instead), and it cannot
//! run inside a transaction block. Nothing about it belongs in a schema migration: drop databases
//! by hand, after a backup.

use super::{Hit, SectionCx};
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, statement) in cx.statements.iter().enumerate() {
        let NodeEnum::DropdbStmt(drop) = &statement.node else {
            continue;
        };
        let name = crate::walk::ident(&drop.dbname);
        hits.push(
            Hit::at(
                i,
                format!("DROP DATABASE deletes the database {name} and everything in it, with no way back but a restore"),
            )
            .lock(format!(
                "ACCESS EXCLUSIVE on the database {name}: it fails while any session is connected to it (WITH (FORCE) disconnects them)"
            ))
            .help(format!(
                "drop databases by hand, not in a migration, after a backup:\n\
                 pg_dump --format=custom --file={}.dump {name}\n\
                 DROP DATABASE {name};",
                drop.dbname.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
            )),
        );
    }
    hits
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::Severity;

    const RULE: &str = "drop-database";

    #[test]
    fn fires_on_the_dangerous_form() {
        assert!(fires(RULE, "DROP DATABASE analytics;"));
        assert!(fires(
            RULE,
            "DROP DATABASE IF EXISTS analytics WITH (FORCE);"
        ));
        let findings = lint_up("DROP DATABASE \"Reports\";");
        let hit = of(&findings, RULE)[0];
        assert_eq!(hit.severity, Severity::Error);
        assert!(hit.message.contains("\"Reports\""), "{}", hit.message);
        // In a down too: a down has no business dropping a database either.
        let findings = lint_up_down(
            "CREATE TABLE t (id bigint PRIMARY KEY);",
            "DROP DATABASE analytics;",
        );
        assert_eq!(of(&findings, RULE).len(), 1);
    }

    #[test]
    fn does_not_fire() {
        assert!(!fires(RULE, "DROP TABLE analytics;"));
        assert!(!fires(RULE, "DROP SCHEMA analytics;"));
        assert!(!fires(RULE, "CREATE DATABASE analytics;"));
    }

    #[test]
    fn waived() {
        let findings = lint_up(
            "-- strata:lint-ignore drop-database the scratch database of the old importer\nDROP DATABASE importer_scratch;",
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
        assert!(of(&findings, "unused-waiver").is_empty(), "{findings:?}");
    }
}
