//! Transaction state, statement by statement: which transaction each statement of a section runs
//! in, counting the runner's own (a transactional migration) and explicit `BEGIN … COMMIT` blocks
//! (real transactions in a migration that runs outside one, as PostgreSQL runs them).
//!
//! - A transactional section starts inside the runner's transaction; any other starts outside.
//! - `BEGIN` / `START TRANSACTION` outside a transaction opens one (a block); inside one,
//!   PostgreSQL ignores it with a warning.
//! - `COMMIT` / `END` / `ROLLBACK` / `ABORT` / `PREPARE TRANSACTION` end the transaction they are
//!   in, whoever opened it (`COMMIT` in a transactional migration ends the runner's transaction:
//!   what follows runs outside one); `… AND CHAIN` opens the next one at once.

use crate::parse::Statement;
use pg_query::protobuf::TransactionStmtKind as Kind;
use pg_query::NodeEnum;

/// Where one statement runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxState {
    /// The transaction the statement runs in: statements with the same number run in the same
    /// transaction. `None`: outside any (each statement commits on its own).
    pub transaction: Option<usize>,
    /// Index of the `BEGIN` whose block the statement runs in; `None` in the runner's
    /// transaction or outside any.
    pub block: Option<usize>,
}

impl TxState {
    pub fn in_transaction(&self) -> bool {
        self.transaction.is_some()
    }
}

/// What a transaction-control statement does, when it is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Begin,
    /// Ends the transaction (`COMMIT`, `ROLLBACK`, `PREPARE TRANSACTION`, ...); `chain`: and
    /// opens the next one at once.
    End {
        chain: bool,
    },
    /// `SAVEPOINT`, `RELEASE`, `ROLLBACK TO`: inside a transaction, changes none.
    Savepoint,
}

/// The transaction control a statement is, if any.
pub fn control(statement: &Statement) -> Option<Control> {
    let NodeEnum::TransactionStmt(t) = &statement.node else {
        return None;
    };
    Some(match Kind::try_from(t.kind).ok()? {
        Kind::TransStmtBegin | Kind::TransStmtStart => Control::Begin,
        Kind::TransStmtCommit | Kind::TransStmtRollback => Control::End { chain: t.chain },
        Kind::TransStmtPrepare
        | Kind::TransStmtCommitPrepared
        | Kind::TransStmtRollbackPrepared => {
            // COMMIT/ROLLBACK PREPARED cannot run in a transaction block; PREPARE ends one.
            Control::End { chain: false }
        }
        Kind::TransStmtSavepoint | Kind::TransStmtRelease | Kind::TransStmtRollbackTo => {
            Control::Savepoint
        }
        Kind::Undefined => return None,
    })
}

/// The state each statement of a section runs in; `runner`: the section starts inside the
/// runner's transaction.
pub fn states(runner: bool, statements: &[Statement]) -> Vec<TxState> {
    let mut next = 0;
    let open = |next: &mut usize| {
        *next += 1;
        Some(*next - 1)
    };
    let mut current = TxState {
        transaction: if runner { open(&mut next) } else { None },
        block: None,
    };
    let mut out = Vec::with_capacity(statements.len());
    for (i, statement) in statements.iter().enumerate() {
        match control(statement) {
            Some(Control::Begin) if current.transaction.is_none() => {
                current = TxState {
                    transaction: open(&mut next),
                    block: Some(i),
                };
                out.push(current);
            }
            Some(Control::End { chain }) => {
                out.push(current);
                if chain && current.transaction.is_some() {
                    current.transaction = open(&mut next);
                } else {
                    current = TxState::default();
                }
            }
            _ => out.push(current),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(runner: bool, sql: &str) -> Vec<TxState> {
        states(runner, &crate::parse::parse_section(sql, 1).unwrap())
    }

    #[test]
    fn blocks_and_the_runners_transaction() {
        let s = of(false, "SELECT 1; BEGIN; SELECT 2; COMMIT; SELECT 3;");
        assert_eq!(s[0].transaction, None);
        assert_eq!(s[1], s[2]);
        assert_eq!(s[2].block, Some(1));
        assert!(s[3].in_transaction());
        assert_eq!(s[4], TxState::default());
        // COMMIT ends the runner's transaction; a BEGIN inside it is ignored.
        let s = of(true, "BEGIN; SELECT 1; COMMIT; SELECT 2; BEGIN; SELECT 3;");
        assert_eq!(s[0].transaction, Some(0));
        assert_eq!(s[1].transaction, Some(0));
        assert_eq!(s[1].block, None);
        assert!(!s[3].in_transaction());
        assert_eq!((s[5].transaction, s[5].block), (Some(1), Some(4)));
        // AND CHAIN opens the next one.
        let s = of(
            false,
            "BEGIN; COMMIT AND CHAIN; SELECT 1; ROLLBACK; SELECT 2;",
        );
        assert_eq!(s[2].transaction, Some(1));
        assert!(!s[4].in_transaction());
    }
}
