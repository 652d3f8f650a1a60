//! `drop-schema`: `DROP SCHEMA … CASCADE` of an existing schema.
//!
//! `CASCADE` drops everything in the schema — every table with its rows, views, functions,
//! sequences, types — and everything elsewhere that depends on them, without listing what it
//! drops. Without `CASCADE` PostgreSQL refuses to drop a schema that still holds objects, which is
//! the safe behavior: drop the objects one by one (each its own finding, each its own decision),
//! then the empty schema.
//!
//! Destructive rule: silent on a schema created earlier in the same file or run, and in a down
//! dropping the schema its own up created.

use super::{Hit, Object, SectionCx};
use crate::walk;
use pg_query::protobuf::{DropBehavior, ObjectType};
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, statement) in cx.statements.iter().enumerate() {
        let NodeEnum::DropStmt(drop) = &statement.node else {
            continue;
        };
        if drop.remove_type != ObjectType::ObjectSchema as i32
            || drop.behavior != DropBehavior::DropCascade as i32
        {
            continue;
        }
        for object in &drop.objects {
            let schema = walk::dotted_name(object);
            let s = walk::ident(&schema);
            hits.push(
                Hit::at(
                    i,
                    format!("DROP SCHEMA {s} CASCADE drops every table (with its rows), view, function and type in {s}, and whatever depends on them elsewhere, without naming any"),
                )
                .lock(format!(
                    "ACCESS EXCLUSIVE on every table in {s}, briefly, but while it waits for running queries on them it blocks all reads and writes"
                ))
                .help(format!(
                    "drop what the schema holds explicitly, in a migration you can review, then the empty schema (no CASCADE: it fails if anything was missed):\n\
                     DROP TABLE {s}.<table>;  -- one per object, after a backup\n\
                     DROP SCHEMA {s};"
                ))
                .object(Object::Schema(schema)),
            );
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::Severity;

    const RULE: &str = "drop-schema";

    #[test]
    fn fires_with_cascade() {
        assert!(fires(RULE, "DROP SCHEMA reporting CASCADE;"));
        assert!(fires(RULE, "DROP SCHEMA IF EXISTS a, b CASCADE;"));
        assert_eq!(of(&lint_up("DROP SCHEMA a, b CASCADE;"), RULE).len(), 2);
        assert_eq!(
            of(&lint_up("DROP SCHEMA reporting CASCADE;"), RULE)[0].severity,
            Severity::Error
        );
    }

    #[test]
    fn does_not_fire() {
        // Without CASCADE PostgreSQL refuses a schema that is not empty.
        assert!(!fires(RULE, "DROP SCHEMA reporting;"));
        assert!(!fires(RULE, "DROP SCHEMA reporting RESTRICT;"));
        assert!(!fires(RULE, "DROP TABLE reporting CASCADE;"));
        // Created earlier in the same file.
        assert!(!fires(
            RULE,
            "CREATE SCHEMA staging;\nCREATE TABLE staging.t (id bigint PRIMARY KEY);\nDROP SCHEMA staging CASCADE;"
        ));
        // A down dropping what its own up created.
        let findings = lint_up_down(
            "CREATE SCHEMA billing;\nCREATE TABLE billing.invoices (id bigint PRIMARY KEY);",
            "DROP SCHEMA billing CASCADE;",
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
    }

    #[test]
    fn waived() {
        let findings = lint_up("-- strata:lint-ignore drop-schema the importer's staging area, emptied nightly\nDROP SCHEMA import_staging CASCADE;");
        assert!(findings.is_empty(), "{findings:?}");
    }
}
