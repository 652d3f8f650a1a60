//! `truncate-cascade`: `TRUNCATE … CASCADE` of an existing table.
//!
//! `CASCADE` also empties every table with a foreign key to the truncated ones — and the tables
//! referencing those, recursively — which the statement never names: `TRUNCATE a CASCADE` with
//! `a <- b <- c` empties all three. It takes ACCESS EXCLUSIVE on each of them. Name the tables to
//! empty instead; without `CASCADE` PostgreSQL refuses when a table you did not name references
//! one you did.
//!
//! Destructive rule: one finding per table named, silent on tables created earlier in the same
//! file or run.

use super::{Hit, SectionCx};
use crate::walk;
use pg_query::protobuf::DropBehavior;
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, statement) in cx.statements.iter().enumerate() {
        let NodeEnum::TruncateStmt(truncate) = &statement.node else {
            continue;
        };
        if truncate.behavior != DropBehavior::DropCascade as i32 {
            continue;
        }
        let tables = walk::range_var_names(&truncate.relations);
        let listed: Vec<String> = tables.iter().map(|t| walk::table_ident(t)).collect();
        for table in tables {
            let t = walk::table_ident(&table);
            hits.push(
                Hit::at(
                    i,
                    format!("TRUNCATE … CASCADE also empties every table with a foreign key to {t}, and the tables referencing those, without naming them"),
                )
                .lock(format!(
                    "ACCESS EXCLUSIVE on {t} and on every table the cascade reaches, until the transaction ends (blocks all reads and writes)"
                ))
                .help(format!(
                    "name every table to empty, without CASCADE (PostgreSQL then refuses if another table still references them):\n\
                     TRUNCATE {}, <referencing tables>;",
                    listed.join(", ")
                ))
                .table(table),
            );
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::Severity;

    const RULE: &str = "truncate-cascade";

    #[test]
    fn fires_with_cascade() {
        assert!(fires(RULE, "TRUNCATE a CASCADE;"));
        assert!(fires(
            RULE,
            "TRUNCATE TABLE ONLY app.a RESTART IDENTITY CASCADE;"
        ));
        let findings = lint_up("truncate a, b cascade;");
        let hits = of(&findings, RULE);
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].severity, Severity::Error);
        assert!(hits[0]
            .help
            .as_deref()
            .unwrap()
            .contains("TRUNCATE a, b, <referencing tables>;"));
    }

    #[test]
    fn does_not_fire() {
        assert!(!fires(RULE, "TRUNCATE a, b;"));
        assert!(!fires(RULE, "TRUNCATE a RESTRICT;"));
        assert!(!fires(RULE, "DROP TABLE a CASCADE;"));
        // Created earlier in the same file.
        assert!(!fires(
            RULE,
            "CREATE TABLE staging (id bigint PRIMARY KEY);\nTRUNCATE staging CASCADE;"
        ));
    }

    #[test]
    fn waived() {
        let findings = lint_up("-- strata:lint-ignore truncate-cascade test fixtures only, referenced by fixture tables\nTRUNCATE fixtures CASCADE;");
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
    }
}
