//! `transaction-control`: `BEGIN`, `START TRANSACTION`, `COMMIT`/`END`, `ROLLBACK`/`ABORT` or
//! `PREPARE TRANSACTION` inside a migration.
//!
//! The runner owns the transaction: strata (like diesel and sqlx) runs each migration in one and
//! records it in the same one. A `COMMIT` in the middle makes everything before it permanent, so
//! when a later statement fails the migration is half applied and not recorded; a `ROLLBACK`
//! silently throws away what ran; a `BEGIN` inside the runner's transaction is ignored with a
//! warning and only sets up the `COMMIT` that follows. In a migration that runs outside a
//! transaction (`-- strata:transaction off`, diesel `run_in_transaction = false`), explicit
//! `BEGIN … COMMIT` blocks are real transactions and fine; what is reported there is a `BEGIN`
//! never committed, a `BEGIN` inside an open block, a `COMMIT` or `ROLLBACK` with no block to
//! end, and `PREPARE TRANSACTION`.
//!
//! `SAVEPOINT`, `RELEASE` and `ROLLBACK TO SAVEPOINT` do not end the transaction and are left
//! alone; `COMMIT PREPARED` / `ROLLBACK PREPARED` are reported like `COMMIT` / `ROLLBACK`.

use super::{Hit, SectionCx};
use crate::parse::Statement;
use pg_query::protobuf::TransactionStmtKind as Kind;
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    let outside = !cx.section.transactional;
    let states = crate::tx::states(!outside, cx.statements);
    for (i, statement) in cx.statements.iter().enumerate() {
        let NodeEnum::TransactionStmt(stmt) = &statement.node else {
            continue;
        };
        let Ok(kind) = Kind::try_from(stmt.kind) else {
            continue;
        };
        let word = keyword(&statement.sql);
        if matches!(
            kind,
            Kind::TransStmtSavepoint
                | Kind::TransStmtRelease
                | Kind::TransStmtRollbackTo
                | Kind::Undefined
        ) {
            continue;
        }
        let message = if outside {
            // A migration that runs outside a transaction may hold transactions of its own: a
            // BEGIN that a COMMIT or ROLLBACK closes later in the section, and that COMMIT.
            let state = states[i];
            let begins = matches!(kind, Kind::TransStmtBegin | Kind::TransStmtStart);
            let ends = matches!(kind, Kind::TransStmtCommit | Kind::TransStmtRollback);
            if begins && state.block == Some(i) && closed_after(cx.statements, &states, i) {
                continue;
            }
            if ends && state.block.is_some() {
                continue;
            }
            if begins && state.block == Some(i) {
                format!("{word} opens a transaction that this migration never commits: the runner does not end it, so what follows runs in it until the connection closes, and it is rolled back then")
            } else if begins {
                format!("{word} inside the transaction begun on an earlier line: PostgreSQL ignores it with a warning, and its COMMIT ends the outer transaction")
            } else if ends {
                format!("{word} without a BEGIN before it: this migration runs outside a transaction, so there is none to end (PostgreSQL warns and does nothing)")
            } else {
                format!("{word} inside a migration that runs outside a transaction: the runner cannot see a transaction opened by hand; when a statement in it fails it is left open and aborted, and what committed before stays")
            }
        } else {
            match kind {
                Kind::TransStmtBegin | Kind::TransStmtStart => format!(
                    "{word} inside a migration that already runs in a transaction: PostgreSQL ignores it with a warning, and the COMMIT that usually follows ends the migration's transaction early"
                ),
                Kind::TransStmtCommit | Kind::TransStmtCommitPrepared => format!(
                    "{word} inside a migration ends its transaction early: what ran before it stays even when a later statement fails, leaving the migration half applied and unrecorded"
                ),
                Kind::TransStmtPrepare => format!(
                    "{word} inside a migration ends its transaction and leaves it prepared, holding its locks until someone commits or rolls it back"
                ),
                _ => format!(
                    "{word} inside a migration throws away what ran before it and ends its transaction; the statements after it run without one"
                ),
            }
        };
        hits.push(
            Hit::at(i, message)
                .location(stmt.location)
                .help(
                    "remove it: strata runs each migration in one transaction and records it in the same one;\n\
                     a statement that cannot run in a transaction (CREATE INDEX CONCURRENTLY) goes in a migration of its own,\n\
                     which runs outside one (`-- strata:transaction off`; diesel: run_in_transaction = false);\n\
                     in a migration that runs outside a transaction, a BEGIN … COMMIT block of its own is fine",
                ),
        );
    }
    hits
}

/// Whether the block the BEGIN at `begin` opens is ended later in the section.
fn closed_after(statements: &[Statement], states: &[crate::tx::TxState], begin: usize) -> bool {
    let transaction = states[begin].transaction;
    (begin + 1..statements.len()).any(|j| {
        states[j].transaction == transaction
            && matches!(
                crate::tx::control(&statements[j]),
                Some(crate::tx::Control::End { .. })
            )
    })
}

/// The statement's leading keywords as written, upper case: `COMMIT`, `START TRANSACTION`, ...
fn keyword(sql: &str) -> String {
    let words: Vec<String> = sql
        .split_whitespace()
        .take(2)
        .map(|w| w.trim_end_matches(';').to_ascii_uppercase())
        .collect();
    match words.as_slice() {
        [first, second]
            if (first == "START" || first == "PREPARE")
                || (matches!(first.as_str(), "COMMIT" | "ROLLBACK") && second == "PREPARED") =>
        {
            format!("{first} {second}")
        }
        [first, ..] => first.clone(),
        [] => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};

    const RULE: &str = "transaction-control";

    #[test]
    fn fires_on_each_kind() {
        for sql in [
            "BEGIN;",
            "begin isolation level serializable;",
            "START TRANSACTION;",
            "COMMIT;",
            "END;",
            "COMMIT AND CHAIN;",
            "ROLLBACK;",
            "ABORT;",
            "PREPARE TRANSACTION 'x';",
            "COMMIT PREPARED 'x';",
        ] {
            assert!(fires(RULE, sql), "{sql}");
        }
        // The Alembic idiom for escaping the transaction, and a BEGIN … COMMIT pair.
        let findings =
            lint_up("COMMIT;\nCREATE INDEX CONCURRENTLY users_org_idx ON users (org_id);");
        assert_eq!(of(&findings, RULE).len(), 1);
        let findings = lint_up("BEGIN;\nALTER TABLE a ADD COLUMN b int;\nCOMMIT;");
        let hits = of(&findings, RULE);
        assert_eq!(hits.len(), 2);
        assert!(
            hits[0]
                .message
                .starts_with("BEGIN inside a migration that already"),
            "{}",
            hits[0].message
        );
        assert!(
            hits[1]
                .message
                .starts_with("COMMIT inside a migration ends"),
            "{}",
            hits[1].message
        );
    }

    fn outside(sql: &str) -> Vec<crate::Finding> {
        let mut source = Source::plain("m.sql", sql);
        source.sections[0].transactional = false;
        source.sections[0].explicitly_non_transactional = true;
        lint_with(&[source], &Options::default())
            .into_iter()
            .filter(|f| f.rule == RULE)
            .collect()
    }

    #[test]
    fn blocks_of_their_own_are_fine_outside_a_transaction() {
        assert!(outside("BEGIN;\nSELECT 1;\nCOMMIT;").is_empty());
        assert!(
            outside("BEGIN;\nUPDATE a SET b = 1 WHERE id = 1;\nROLLBACK;\nCREATE INDEX CONCURRENTLY i ON a (b);\nSTART TRANSACTION;\nSELECT 1;\nEND;")
                .is_empty()
        );
    }

    #[test]
    fn unbalanced_control_outside_a_transaction() {
        let hits = outside("BEGIN;\nUPDATE a SET b = 1 WHERE id = 1;");
        assert_eq!(hits.len(), 1);
        assert!(
            hits[0].message.contains("never commits"),
            "{}",
            hits[0].message
        );
        let hits = outside("UPDATE a SET b = 1 WHERE id = 1;\nCOMMIT;");
        assert_eq!(hits.len(), 1);
        assert!(
            hits[0].message.contains("without a BEGIN"),
            "{}",
            hits[0].message
        );
        let hits = outside("BEGIN;\nBEGIN;\nCOMMIT;");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].line, 2);
        assert_eq!(outside("PREPARE TRANSACTION 'x';").len(), 1);
    }

    #[test]
    fn does_not_fire() {
        assert!(!fires(
            RULE,
            "SAVEPOINT s;\nUPDATE a SET b = 1 WHERE id = 1;\nROLLBACK TO SAVEPOINT s;\nRELEASE s;"
        ));
        // Inside a function body it is the function's business.
        assert!(!fires(
            RULE,
            "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$;"
        ));
        assert!(!fires(RULE, "DO $$ BEGIN RAISE NOTICE 'x'; END $$;"));
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "ALTER TABLE users ADD COLUMN org_id bigint;\nCOMMIT;\nCREATE INDEX CONCURRENTLY users_org_idx ON users (org_id);\n"
        ));
    }
}
