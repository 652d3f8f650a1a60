//! `require-table-schema` (opt-in): `CREATE TABLE` (or `CREATE TABLE … AS`) with a name that is
//! not schema-qualified.
//!
//! An unqualified name goes into the first schema of the `search_path` of whoever runs the
//! migration — which depends on the role, the database's and the role's settings, and
//! `PGOPTIONS`. The same migration can create the table in `public` on one server and in a
//! per-user schema on another, and later migrations that name `app.orders` then miss it. Naming
//! the schema makes the migration mean one thing everywhere.
//!
//! Temporary tables are not checked (they live in their own schema). Off by default: turn it on
//! in `[lint]` with `"require-table-schema" = "warning"` (or `"on"`). Design rule: not in a down
//! section.

use super::{Hit, SectionCx};
use crate::walk;
use pg_query::protobuf::RangeVar;
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    if cx.is_down() {
        return hits;
    }
    for (i, statement) in cx.statements.iter().enumerate() {
        let (relation, what) = match &statement.node {
            NodeEnum::CreateStmt(create) => (create.relation.as_ref(), "CREATE TABLE"),
            NodeEnum::CreateTableAsStmt(create) if !create.is_select_into => (
                create.into.as_ref().and_then(|into| into.rel.as_ref()),
                "CREATE TABLE … AS",
            ),
            _ => continue,
        };
        let Some(relation) = relation else {
            continue;
        };
        if !relation.schemaname.is_empty() || temporary(relation) {
            continue;
        }
        let name = walk::ident(&relation.relname);
        hits.push(
            Hit::at(
                i,
                format!("{what} {name} names no schema: the table goes to the first schema of the search_path of whoever runs the migration"),
            )
            .location(relation.location)
            .help(format!("name the schema, e.g. public.{name} (and in the statements that use the table)"))
            .table(relation.relname.clone()),
        );
    }
    hits
}

fn temporary(relation: &RangeVar) -> bool {
    relation.relpersistence == "t"
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};
    use crate::Severity;

    const RULE: &str = "require-table-schema";

    fn enabled(sql: &str) -> Vec<crate::Finding> {
        let mut options = Options::default();
        options
            .levels
            .insert(RULE.to_owned(), Some(Severity::Warning));
        lint_with(&[Source::plain("m.sql", sql)], &options)
    }

    #[test]
    fn off_by_default() {
        assert!(!fires(RULE, "create table posts(id bigint);"));
    }

    #[test]
    fn fires_when_enabled() {
        // Squawk's examples.
        for sql in [
            "create table posts(id bigint);",
            "create table posts as select 1;",
        ] {
            assert_eq!(of(&enabled(sql), RULE).len(), 1, "{sql}");
        }
        let findings = enabled("CREATE TABLE IF NOT EXISTS \"Posts\" (id bigint);");
        let hit = of(&findings, RULE)[0];
        assert_eq!(hit.severity, Severity::Warning);
        assert_eq!(hit.column, 28, "points at the name");
        assert!(hit
            .help
            .as_deref()
            .unwrap()
            .starts_with("name the schema, e.g. public.\"Posts\""));
    }

    #[test]
    fn does_not_fire() {
        for sql in [
            "create table public.posts(id bigint);",
            "create table public.posts as select 1;",
            "CREATE TEMP TABLE scratch (id bigint);",
            "ALTER TABLE posts ADD COLUMN name text;",
        ] {
            assert!(of(&enabled(sql), RULE).is_empty(), "{sql}");
        }
    }

    #[test]
    fn waived() {
        let findings = enabled("-- strata:lint-ignore require-table-schema the test fixtures run with search_path = test\nCREATE TABLE fixtures (id bigint PRIMARY KEY);");
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
        assert!(of(&findings, "unused-waiver").is_empty(), "{findings:?}");
    }
}
