//! `non-concurrent-reindex`: `REINDEX` without `CONCURRENTLY` on an existing table or index.
//!
//! A plain `REINDEX` rebuilds each index under a SHARE lock on its table — writes wait for the
//! whole rebuild — and an ACCESS EXCLUSIVE lock on the index itself, so even the reads that
//! would use the index wait. `REINDEX … CONCURRENTLY` (PostgreSQL 12+) builds a new copy beside
//! the old one under SHARE UPDATE EXCLUSIVE and swaps them: reads and writes go on. Like every
//! `CONCURRENTLY`, it cannot run inside a transaction block.
//!
//! `REINDEX SYSTEM` is not checked: system catalogs cannot be reindexed concurrently. Locking
//! rule: silent on tables and indexes created earlier in the same file or run.

use super::{Hit, Object, SectionCx};
use crate::walk;
use pg_query::protobuf::ReindexObjectType;
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, statement) in cx.statements.iter().enumerate() {
        let NodeEnum::ReindexStmt(reindex) = &statement.node else {
            continue;
        };
        if walk::option_names(&reindex.params)
            .iter()
            .any(|o| o == "concurrently")
        {
            continue;
        }
        let Ok(kind) = ReindexObjectType::try_from(reindex.kind) else {
            continue;
        };
        let relation = walk::table_name(&reindex.relation);
        let (keyword, target, what) = match kind {
            ReindexObjectType::ReindexObjectIndex => {
                ("INDEX", relation.clone(), format!("the index {relation}"))
            }
            ReindexObjectType::ReindexObjectTable => (
                "TABLE",
                relation.clone(),
                format!("every index of {relation}"),
            ),
            ReindexObjectType::ReindexObjectSchema => (
                "SCHEMA",
                reindex.name.clone(),
                format!("every index in the schema {}", reindex.name),
            ),
            ReindexObjectType::ReindexObjectDatabase => (
                "DATABASE",
                reindex.name.clone(),
                "every index of the database".to_owned(),
            ),
            _ => continue,
        };
        let lock = match kind {
            ReindexObjectType::ReindexObjectIndex => format!(
                "SHARE on the table of {target} (blocks writes) and ACCESS EXCLUSIVE on {target} (blocks the reads that use it) for the whole rebuild"
            ),
            ReindexObjectType::ReindexObjectTable => format!(
                "SHARE on {target} (blocks writes) and ACCESS EXCLUSIVE on each index being rebuilt (blocks the reads that use it) for the whole rebuild"
            ),
            _ => "SHARE on each table (blocks writes) and ACCESS EXCLUSIVE on each index (blocks the reads that use it) while it is rebuilt".to_owned(),
        };
        let name = if target.is_empty() {
            String::new()
        } else {
            format!(" {}", walk::table_ident(&target))
        };
        let help = if cx.options.pg_version >= 120000 {
            format!(
                "REINDEX {keyword} CONCURRENTLY{name};\n(in its own migration: CONCURRENTLY cannot run inside a transaction)"
            )
        } else {
            "REINDEX … CONCURRENTLY needs PostgreSQL 12; before it, build a copy and swap it in (each in its own migration):\n\
             CREATE INDEX CONCURRENTLY <index>_new ON <table> (…);\n\
             DROP INDEX CONCURRENTLY <index>;\n\
             ALTER INDEX <index>_new RENAME TO <index>;"
                .to_owned()
        };
        let mut hit = Hit::at(
            i,
            format!("REINDEX without CONCURRENTLY blocks writes, and reads that use the index, while it rebuilds {what}"),
        )
        .lock(lock)
        .help(help);
        match kind {
            ReindexObjectType::ReindexObjectIndex => hit = hit.object(Object::Index(relation)),
            ReindexObjectType::ReindexObjectTable => hit = hit.table(relation),
            _ => {}
        }
        hits.push(hit);
    }
    hits
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};
    use crate::Severity;

    const RULE: &str = "non-concurrent-reindex";

    #[test]
    fn fires_on_the_dangerous_form() {
        for sql in [
            "REINDEX INDEX orders_user_idx;",
            "REINDEX TABLE orders;",
            "REINDEX (VERBOSE) TABLE app.orders;",
            "REINDEX SCHEMA app;",
            "REINDEX DATABASE;",
        ] {
            assert!(fires(RULE, sql), "{sql}");
        }
        let findings = lint_up("REINDEX INDEX app.orders_user_idx;");
        let hit = of(&findings, RULE)[0];
        assert_eq!(hit.severity, Severity::Error);
        assert_eq!(
            hit.help.as_deref(),
            Some("REINDEX INDEX CONCURRENTLY app.orders_user_idx;\n(in its own migration: CONCURRENTLY cannot run inside a transaction)")
        );
        // Before 12 there is no CONCURRENTLY to suggest.
        let pg11 = Options {
            pg_version: 110000,
            ..Options::default()
        };
        let findings = lint_with(&[Source::plain("m.sql", "REINDEX TABLE orders;")], &pg11);
        let help = of(&findings, RULE)[0].help.clone().unwrap();
        assert!(
            help.starts_with("REINDEX … CONCURRENTLY needs PostgreSQL 12"),
            "{help}"
        );
    }

    #[test]
    fn does_not_fire() {
        assert!(!fires(RULE, "REINDEX INDEX CONCURRENTLY orders_user_idx;"));
        assert!(!fires(
            RULE,
            "REINDEX (CONCURRENTLY, VERBOSE) TABLE orders;"
        ));
        assert!(!fires(RULE, "REINDEX SYSTEM;"));
        // Created earlier in the same file.
        assert!(!fires(
            RULE,
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\nREINDEX TABLE orders;"
        ));
        assert!(!fires(
            RULE,
            "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\nREINDEX INDEX orders_user_idx;"
        ));
    }

    #[test]
    fn waived() {
        let findings = lint_up("-- strata:lint-ignore non-concurrent-reindex settings has 40 rows\nREINDEX TABLE settings;");
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
        assert!(of(&findings, "unused-waiver").is_empty(), "{findings:?}");
    }
}
