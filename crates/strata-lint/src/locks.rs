//! What each kind of statement locks, for how long, and how that changes across PostgreSQL
//! versions. This table is the one place that knowledge lives; `docs/rules/locks.md` mirrors it.
//!
//! (Being written: the table and `describe`.)

/// PostgreSQL's table lock levels, weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LockLevel {
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

impl LockLevel {
    pub fn name(self) -> &'static str {
        match self {
            LockLevel::AccessShare => "ACCESS SHARE",
            LockLevel::RowShare => "ROW SHARE",
            LockLevel::RowExclusive => "ROW EXCLUSIVE",
            LockLevel::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockLevel::Share => "SHARE",
            LockLevel::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockLevel::Exclusive => "EXCLUSIVE",
            LockLevel::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// What the lock blocks, in words.
    pub fn blocks(self) -> &'static str {
        match self {
            LockLevel::AccessExclusive => "blocks all reads and writes",
            LockLevel::Exclusive => "blocks writes and most reads that lock rows",
            LockLevel::ShareRowExclusive | LockLevel::Share => "blocks writes",
            LockLevel::ShareUpdateExclusive => {
                "blocks other schema changes and VACUUM, not reads or writes"
            }
            LockLevel::RowExclusive | LockLevel::RowShare | LockLevel::AccessShare => {
                "blocks only schema changes"
            }
        }
    }
}
