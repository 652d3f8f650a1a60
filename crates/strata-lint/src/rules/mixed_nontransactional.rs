//! `mixed-nontransactional`: a migration that runs outside a transaction with more than one
//! statement.
//!
//! Outside a transaction every statement commits on its own. When the third of five fails, the
//! first two stay applied, the migration is not recorded, and running it again repeats them —
//! which fails on the `CREATE` that already happened, or worse, repeats a data change. One
//! statement per non-transactional migration (made idempotent with `IF NOT EXISTS`) leaves nothing
//! half done.
//!
//! A section runs outside a transaction when its file says so (`-- strata:transaction off`,
//! diesel `run_in_transaction = false`), or — strata migrations only — when it holds a statement
//! strata runs outside one automatically (`CREATE INDEX CONCURRENTLY`, `VACUUM`, …). Session
//! settings (`SET`, `RESET`, `SHOW`) leave nothing behind and are not counted, so
//! `SET lock_timeout` before the one statement is fine. Nor is a section made only of statements
//! that can run again as they are — `CREATE INDEX CONCURRENTLY IF NOT EXISTS`, `DROP INDEX
//! CONCURRENTLY IF EXISTS`, `COMMENT ON` — since running it again after a failure repeats nothing
//! (`revision --autogenerate` writes its concurrent index files so). Fires once per section, on
//! the second counted statement.

use super::{Hit, SectionCx};
use pg_query::NodeEnum;
use strata_core::sql::no_transaction_reason;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    // strata switches a migration to non-transactional for statements like CREATE INDEX
    // CONCURRENTLY; the caller may or may not have reflected that in `transactional`.
    let automatic = || {
        if cx.section.transactional && cx.source.revision.is_none() {
            return None;
        }
        cx.statements
            .iter()
            .find_map(|s| no_transaction_reason(&s.sql))
    };
    let why = if cx.section.explicitly_non_transactional {
        " (its file says so)".to_owned()
    } else if let Some(reason) = automatic() {
        format!(" (strata does so for its {reason})")
    } else if !cx.section.transactional {
        String::new()
    } else {
        return Vec::new();
    };
    let counted: Vec<usize> = cx
        .statements
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            !matches!(
                s.node,
                NodeEnum::VariableSetStmt(_) | NodeEnum::VariableShowStmt(_)
            )
        })
        .map(|(i, _)| i)
        .collect();
    let Some(&second) = counted.get(1) else {
        return Vec::new();
    };
    // Statements that can simply run again: building or dropping indexes concurrently with
    // `IF NOT EXISTS` / `IF EXISTS`, and comments. After a failure, running the section again
    // skips what was done and repeats nothing.
    if counted.iter().all(|&i| rerunnable(&cx.statements[i].node)) {
        return Vec::new();
    }
    let section = if cx.is_down() { "down" } else { "up" };
    vec![Hit::at(
        second,
        format!(
            "this {section} runs outside a transaction{why} and has {} statements: \
             when one fails, the ones before it stay applied, and running it again repeats them",
            counted.len()
        ),
    )
    .help(
        "give the statement that must run outside a transaction a migration of its own, idempotent:\n\
         CREATE INDEX CONCURRENTLY IF NOT EXISTS … ;\n\
         and put the other statements in an ordinary migration, which runs in a transaction",
    )]
}

/// `CREATE INDEX CONCURRENTLY IF NOT EXISTS`, `DROP INDEX CONCURRENTLY IF EXISTS`, `COMMENT ON`.
fn rerunnable(node: &NodeEnum) -> bool {
    match node {
        NodeEnum::IndexStmt(i) => i.concurrent && i.if_not_exists,
        NodeEnum::DropStmt(d) => {
            d.concurrent
                && d.missing_ok
                && d.remove_type == pg_query::protobuf::ObjectType::ObjectIndex as i32
        }
        NodeEnum::CommentStmt(_) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};

    const RULE: &str = "mixed-nontransactional";

    /// A plain file that says it runs outside a transaction.
    fn off(sql: &str) -> Source {
        let mut source = Source::plain("m.sql", sql);
        source.sections[0].transactional = false;
        source.sections[0].explicitly_non_transactional = true;
        source
    }

    /// A strata migration (it has a revision) that does not say anything about transactions.
    fn strata(sql: &str) -> Source {
        let mut source = Source::plain("migrations/20260101000000_x.sql", sql);
        source.revision = Some("20260101000000".to_owned());
        source
    }

    fn fires_on(source: Source) -> Vec<crate::Finding> {
        lint_with(&[source], &Options::default())
            .into_iter()
            .filter(|f| f.rule == RULE)
            .collect()
    }

    #[test]
    fn fires_on_more_than_one_statement() {
        let hits = fires_on(off(
            "CREATE INDEX CONCURRENTLY a_b_idx ON a (b);\nCREATE INDEX CONCURRENTLY a_c_idx ON a (c);",
        ));
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].line, 2);
        assert!(
            hits[0].message.contains("has 2 statements"),
            "{}",
            hits[0].message
        );
        // Made non-transactional by strata itself.
        let hits = fires_on(strata(
            "ALTER TABLE a ADD COLUMN c int;\nCREATE INDEX CONCURRENTLY a_c_idx ON a (c);",
        ));
        assert_eq!(hits.len(), 1);
        assert!(
            hits[0].message.contains("CREATE INDEX CONCURRENTLY"),
            "{}",
            hits[0].message
        );
        // Switched by strata, as the caller already says.
        let mut source = Source::plain(
            "m.sql",
            "ALTER TABLE a ADD COLUMN c int;\nCREATE INDEX CONCURRENTLY a_c_idx ON a (c);",
        );
        source.sections[0].transactional = false;
        let hits = fires_on(source);
        assert_eq!(hits.len(), 1);
        assert!(
            hits[0]
                .message
                .contains("(strata does so for its CREATE INDEX CONCURRENTLY)"),
            "{}",
            hits[0].message
        );
        // Counted without the SET.
        let hits = fires_on(off(
            "SET lock_timeout = '2s';\nVACUUM a;\nSET statement_timeout = 0;\nANALYZE a;\nVACUUM b;",
        ));
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].line, 4);
        assert!(
            hits[0].message.contains("has 3 statements"),
            "{}",
            hits[0].message
        );
    }

    #[test]
    fn does_not_fire() {
        assert!(fires_on(off(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS a_b_idx ON a (b);"
        ))
        .is_empty());
        assert!(fires_on(off("SET lock_timeout = '2s';\nCREATE INDEX CONCURRENTLY a_b_idx ON a (b);\nRESET lock_timeout;")).is_empty());
        // Statements that can run again as they are: a failure half-way leaves nothing to repeat.
        assert!(fires_on(strata(
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS a_b_idx ON a (b);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a_c_idx ON a (c);\nCOMMENT ON INDEX a_c_idx IS 'c';"
        ))
        .is_empty());
        assert!(fires_on(strata(
            "DROP INDEX CONCURRENTLY IF EXISTS a_b_idx;\nDROP INDEX CONCURRENTLY IF EXISTS a_c_idx;"
        ))
        .is_empty());
        // One of them without IF NOT EXISTS: running it again fails on it.
        assert_eq!(
            fires_on(strata(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS a_b_idx ON a (b);\nCREATE INDEX CONCURRENTLY a_c_idx ON a (c);"
            ))
            .len(),
            1
        );
        // In a transaction, any number of statements.
        assert!(!fires(
            RULE,
            "ALTER TABLE a ADD COLUMN b int;\nALTER TABLE a ADD COLUMN c int;"
        ));
        // A plain file is not switched automatically: concurrently-in-transaction reports that.
        assert!(!fires(
            RULE,
            "ALTER TABLE a ADD COLUMN c int;\nCREATE INDEX CONCURRENTLY a_c_idx ON a (c);"
        ));
        // A strata migration with nothing that needs to run outside a transaction.
        assert!(fires_on(strata(
            "ALTER TABLE a ADD COLUMN c int;\nCREATE INDEX a_c_idx ON a (c);"
        ))
        .is_empty());
    }

    #[test]
    fn human_output() {
        let sql = "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\nCREATE INDEX CONCURRENTLY orders_created_idx ON orders (created_at);\n";
        let findings = lint_with(&[off(sql)], &Options::default());
        insta::assert_snapshot!(render(RULE, &findings, sql));
    }
}
