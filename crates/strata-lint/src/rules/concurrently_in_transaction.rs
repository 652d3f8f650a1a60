//! `concurrently-in-transaction`: `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`,
//! `REINDEX … CONCURRENTLY` or `DETACH PARTITION … CONCURRENTLY` where it would run inside a
//! transaction block.
//!
//! These statements wait for other transactions to finish between their phases, so PostgreSQL
//! refuses them inside a transaction block: the migration fails ("CREATE INDEX CONCURRENTLY
//! cannot run inside a transaction block"), on every table, new or not.
//!
//! A section runs in a transaction when it is `transactional` (diesel's default
//! `run_in_transaction = true`, a plain SQL file) — except a strata migration, which strata
//! switches to `transaction off` by itself when it holds such a statement (the file cannot say
//! `transaction on` then: strata refuses to load it). A strata migration is one with a revision
//! id. The state is followed statement by statement (`crate::tx`): an explicit `BEGIN` /
//! `START TRANSACTION` outside a transaction opens a block until its `COMMIT` / `ROLLBACK`, and a
//! `COMMIT` ends the transaction it is in — the runner's too, so a `CREATE INDEX CONCURRENTLY`
//! after it runs outside one.

use super::{Hit, SectionCx};
use crate::parse::LineIndex;
use crate::walk;
use pg_query::protobuf::AlterTableType;
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    let strata = cx.source.revision.is_some();
    let states = crate::tx::states(runs_in_transaction(cx), cx.statements);
    let lines = LineIndex::new(&cx.section.sql, cx.section.first_line);
    for (i, statement) in cx.statements.iter().enumerate() {
        let Some(what) = concurrent_statement(&statement.node) else {
            continue;
        };
        let state = states[i];
        if !state.in_transaction() {
            continue;
        }
        let (message, help) = match state.block {
            Some(begin) => {
                let line = lines.position(&cx.section.sql, cx.statements[begin].offset).0;
                (
                    format!(
                        "{what} cannot run inside a transaction block: the BEGIN on line {line} opens one, so the migration fails here"
                    ),
                    format!(
                        "remove the BEGIN and COMMIT around it, and run the migration outside a transaction:\n{}",
                        how_to_run_outside(cx, strata)
                    ),
                )
            }
            None => (
                format!(
                    "{what} cannot run inside a transaction block, and this migration runs in one: it fails here"
                ),
                format!(
                    "run it outside a transaction, alone in its migration:\n{}",
                    how_to_run_outside(cx, strata)
                ),
            ),
        };
        hits.push(Hit::at(i, message).help(help));
    }
    hits
}

/// Whether the section runs inside a transaction (not counting explicit `BEGIN`s): it is
/// `transactional`, and it is not a strata migration that strata switches to `transaction off` by
/// itself because a statement cannot run in a transaction (the same test strata applies).
pub fn runs_in_transaction(cx: &SectionCx<'_>) -> bool {
    let strata_switches_off = cx.source.revision.is_some()
        && cx
            .statements
            .iter()
            .any(|s| strata_core::sql::no_transaction_reason(&s.sql).is_some());
    cx.section.transactional && !strata_switches_off
}

/// `CREATE INDEX CONCURRENTLY` and the other statements that cannot run in a transaction block
/// because of `CONCURRENTLY`; `None` for anything else.
pub fn concurrent_statement(node: &NodeEnum) -> Option<&'static str> {
    match node {
        NodeEnum::IndexStmt(s) if s.concurrent => Some("CREATE INDEX CONCURRENTLY"),
        NodeEnum::DropStmt(s) if s.concurrent => Some("DROP INDEX CONCURRENTLY"),
        NodeEnum::ReindexStmt(s) if walk::option_on(&s.params, "concurrently") => {
            Some("REINDEX CONCURRENTLY")
        }
        NodeEnum::AlterTableStmt(s) => walk::alter_commands(s)
            .into_iter()
            .any(|cmd| {
                cmd.subtype == AlterTableType::AtDetachPartition as i32
                    && matches!(
                        crate::parse::inner(&cmd.def),
                        Some(NodeEnum::PartitionCmd(p)) if p.concurrent
                    )
            })
            .then_some("DETACH PARTITION CONCURRENTLY"),
        _ => None,
    }
}

/// How this kind of migration runs outside a transaction.
fn how_to_run_outside(cx: &SectionCx<'_>, strata: bool) -> String {
    let strata_way = "strata: `-- strata:transaction off` in the file's header, or the statement in a file of its own (strata then runs it outside a transaction by itself)";
    let diesel_way = "diesel: `run_in_transaction = false` in the migration's metadata.toml";
    let section_path = cx
        .source
        .sections
        .iter()
        .position(|s| std::ptr::eq(s, cx.section))
        .map_or(cx.source.path.as_str(), |i| cx.source.section_path(i));
    let diesel = ["up.sql", "down.sql"].iter().any(|name| {
        section_path == *name
            || section_path.ends_with(&format!("/{name}"))
            || section_path.ends_with(&format!("\\{name}"))
    });
    if strata {
        strata_way.to_owned()
    } else if diesel {
        diesel_way.to_owned()
    } else {
        format!("{strata_way}\n{diesel_way}")
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};

    const RULE: &str = "concurrently-in-transaction";

    fn source(sql: &str, transactional: bool) -> Source {
        let mut source = Source::plain("m.sql", sql);
        source.sections[0].transactional = transactional;
        source.sections[0].explicitly_non_transactional = !transactional;
        source
    }

    fn count(source: Source) -> usize {
        of(&lint_with(&[source], &Options::default()), RULE).len()
    }

    #[test]
    fn fires_in_a_transactional_migration() {
        for sql in [
            "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);",
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS orders_code_key ON orders (code);",
            "DROP INDEX CONCURRENTLY orders_user_idx;",
            "REINDEX INDEX CONCURRENTLY orders_user_idx;",
            "REINDEX (VERBOSE) TABLE CONCURRENTLY orders;",
            "ALTER TABLE measurements DETACH PARTITION measurements_2020 CONCURRENTLY;",
            // Also on a table created in the same migration: the statement fails all the same.
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\nCREATE INDEX CONCURRENTLY ON orders (user_id);",
        ] {
            assert_eq!(count(source(sql, true)), 1, "{sql}");
        }
    }

    #[test]
    fn fires_in_a_diesel_migration() {
        // diesel: run_in_transaction defaults to true, and the reader keeps the section
        // transactional.
        let mut s = source("CREATE INDEX CONCURRENTLY i ON orders (a);", true);
        s.path = "migrations/2024-01-01-000000_idx/up.sql".to_owned();
        let found = lint_with(&[s], &Options::default());
        let hits = of(&found, RULE);
        assert_eq!(hits.len(), 1);
        let help = hits[0].help.as_deref().unwrap();
        assert!(help.contains("run_in_transaction = false"), "{help}");
        assert!(!help.contains("strata:transaction"), "{help}");
    }

    #[test]
    fn fires_after_an_explicit_begin() {
        let sql =
            "SET lock_timeout = '5s';\nBEGIN;\nCREATE INDEX CONCURRENTLY i ON orders (a);\nCOMMIT;";
        assert_eq!(count(source(sql, false)), 1);
        let found = lint_with(&[source(sql, false)], &Options::default());
        assert!(of(&found, RULE)[0].message.contains("BEGIN on line 2"));
        assert_eq!(
            count(source(
                "START TRANSACTION;\nDROP INDEX CONCURRENTLY i;",
                false
            )),
            1
        );
        // COMMIT AND CHAIN opens the next transaction at once.
        assert_eq!(
            count(source(
                "BEGIN;\nCOMMIT AND CHAIN;\nDROP INDEX CONCURRENTLY i;",
                false
            )),
            1
        );
    }

    #[test]
    fn a_commit_ends_the_transaction_it_is_in() {
        // The runner's: what follows runs outside a transaction (transaction-control reports
        // the COMMIT itself).
        let sql = "ALTER TABLE orders ADD COLUMN a int;\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON orders (a);";
        assert_eq!(count(source(sql, true)), 0);
        // ...until a BEGIN opens a block again.
        let sql = "COMMIT;\nBEGIN;\nCREATE INDEX CONCURRENTLY i ON orders (a);\nCOMMIT;";
        assert_eq!(count(source(sql, true)), 1);
    }

    #[test]
    fn does_not_fire_outside_a_transaction() {
        for sql in [
            "CREATE INDEX CONCURRENTLY i ON orders (a);",
            "BEGIN;\nALTER TABLE orders ADD COLUMN a int;\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON orders (a);",
            "BEGIN;\nSELECT 1;\nROLLBACK;\nDROP INDEX CONCURRENTLY i;",
        ] {
            assert_eq!(count(source(sql, false)), 0, "{sql}");
        }
        // Not concurrent, or concurrent where a transaction is fine.
        for sql in [
            "CREATE INDEX i ON orders (a);",
            "REFRESH MATERIALIZED VIEW CONCURRENTLY totals;",
            "REINDEX INDEX i;",
            "ALTER TABLE m DETACH PARTITION m_2020;",
        ] {
            assert_eq!(count(source(sql, true)), 0, "{sql}");
        }
    }

    #[test]
    fn strata_switches_its_own_migrations_off() {
        // A strata migration (it has a revision): strata runs it outside a transaction itself.
        let mut s = source("CREATE INDEX CONCURRENTLY i ON orders (a);", true);
        s.revision = Some("20260101000000".to_owned());
        assert_eq!(count(s.clone()), 0);
        // ...but not out of an explicit BEGIN.
        s.sections[0].sql =
            "BEGIN;\nCREATE INDEX CONCURRENTLY i ON orders (a);\nCOMMIT;".to_owned();
        let found = lint_with(&[s], &Options::default());
        let help = of(&found, RULE)[0].help.clone().unwrap();
        assert!(help.contains("strata:transaction off"), "{help}");
        assert!(!help.contains("diesel"), "{help}");
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\n"
        ));
    }
}
