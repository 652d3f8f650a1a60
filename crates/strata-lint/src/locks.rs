//! What each kind of statement locks, for how long, and how that changes across PostgreSQL
//! versions. [`FACTS`] is the one place that knowledge lives; `docs/rules/locks.md` mirrors it
//! row by row (a test keeps the two equal), and the rules take their lock levels from
//! [`alter_command_lock`] and [`statement_lock`].
//!
//! Lock level and duration multiply: ACCESS EXCLUSIVE for a catalog update is a blip, SHARE for an
//! index build is minutes of blocked writes, ACCESS EXCLUSIVE for a rewrite is an outage. And a
//! statement waiting for its lock already blocks every query queued behind it, which is what
//! `lock_timeout` bounds.

use crate::walk;
use pg_query::protobuf::{self, AlterTableCmd, AlterTableType, ConstrType};
use pg_query::NodeEnum;

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

    /// The level `LOCK TABLE … IN <mode> MODE` asks for (PostgreSQL's `LOCKMODE` numbers).
    pub fn from_lockmode(mode: i32) -> Option<LockLevel> {
        Some(match mode {
            1 => LockLevel::AccessShare,
            2 => LockLevel::RowShare,
            3 => LockLevel::RowExclusive,
            4 => LockLevel::ShareUpdateExclusive,
            5 => LockLevel::Share,
            6 => LockLevel::ShareRowExclusive,
            7 => LockLevel::Exclusive,
            8 => LockLevel::AccessExclusive,
            _ => return None,
        })
    }
}

/// What a statement does to the table's data while it holds its lock: the lock's duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Catalog change only: the lock is held for milliseconds (once it is granted).
    Metadata,
    /// Reads the whole table (validation) while holding the lock.
    Scan,
    /// Writes a new copy of the table and rebuilds its indexes while holding the lock.
    Rewrite,
    /// Builds an index: reads the whole table and sorts it while holding the lock.
    Build,
}

impl Effect {
    pub fn name(self) -> &'static str {
        match self {
            Effect::Metadata => "metadata only",
            Effect::Scan => "full table scan",
            Effect::Rewrite => "full table rewrite",
            Effect::Build => "index build",
        }
    }
}

/// One row of the lock table.
#[derive(Clone, Copy, Debug)]
pub struct LockFact {
    /// The statement (or clause), as written in SQL.
    pub statement: &'static str,
    /// The strongest lock it takes on the table it changes.
    pub lock: LockLevel,
    pub effect: Effect,
    /// What else to know (other tables locked, failure modes).
    pub note: &'static str,
    /// How it differs across PostgreSQL versions ("" when it does not).
    pub versions: &'static str,
}

impl LockFact {
    /// The fact as a row of the table in `docs/rules/locks.md`.
    pub fn markdown_row(&self) -> String {
        format!(
            "| `{}` | {} | {} | {} | {} | {} |",
            self.statement,
            self.lock.name(),
            self.lock.blocks(),
            self.effect.name(),
            self.note,
            self.versions
        )
    }
}

use Effect::{Build, Metadata, Rewrite, Scan};
use LockLevel::{AccessExclusive, RowExclusive, Share, ShareRowExclusive, ShareUpdateExclusive};

/// Every statement the rules talk about: its lock, what it does while holding it, and how that
/// changed across versions.
pub static FACTS: &[LockFact] = &[
    LockFact {
        statement: "CREATE TABLE",
        lock: ShareRowExclusive,
        effect: Metadata,
        note: "no lock on existing tables, except SHARE ROW EXCLUSIVE on the tables its foreign keys reference",
        versions: "",
    },
    LockFact {
        statement: "ADD COLUMN",
        lock: AccessExclusive,
        effect: Metadata,
        note: "nullable, no default",
        versions: "",
    },
    LockFact {
        statement: "ADD COLUMN … DEFAULT constant",
        lock: AccessExclusive,
        effect: Metadata,
        note: "the default is stored in the catalog, not written to every row",
        versions: "11+: metadata only; before 11: full table rewrite",
    },
    LockFact {
        statement: "ADD COLUMN … DEFAULT volatile()",
        lock: AccessExclusive,
        effect: Rewrite,
        note: "clock_timestamp(), random(), gen_random_uuid(), nextval(), … are evaluated per row",
        versions: "",
    },
    LockFact {
        statement: "ADD COLUMN … NOT NULL",
        lock: AccessExclusive,
        effect: Metadata,
        note: "without a default it fails on a non-empty table",
        versions: "11+: with a constant default it is metadata only",
    },
    LockFact {
        statement: "ADD COLUMN … serial / GENERATED … AS IDENTITY",
        lock: AccessExclusive,
        effect: Rewrite,
        note: "every existing row gets a value from the sequence",
        versions: "",
    },
    LockFact {
        statement: "ADD COLUMN … GENERATED ALWAYS AS (…) STORED",
        lock: AccessExclusive,
        effect: Rewrite,
        note: "every existing row gets the computed value",
        versions: "18+: a VIRTUAL generated column is metadata only",
    },
    LockFact {
        statement: "ALTER COLUMN … SET NOT NULL",
        lock: AccessExclusive,
        effect: Scan,
        note: "checks every row",
        versions: "12+: no scan when a validated CHECK (col IS NOT NULL) exists",
    },
    LockFact {
        statement: "ALTER COLUMN … DROP NOT NULL",
        lock: AccessExclusive,
        effect: Metadata,
        note: "",
        versions: "",
    },
    LockFact {
        statement: "ALTER COLUMN … SET DEFAULT / DROP DEFAULT",
        lock: AccessExclusive,
        effect: Metadata,
        note: "applies to new rows only",
        versions: "",
    },
    LockFact {
        statement: "ALTER COLUMN … TYPE",
        lock: AccessExclusive,
        effect: Rewrite,
        note: "rewrites the table and rebuilds its indexes; USING always rewrites",
        versions: "",
    },
    LockFact {
        statement: "ALTER COLUMN … TYPE (binary-compatible)",
        lock: AccessExclusive,
        effect: Metadata,
        note: "varchar(n) to varchar(m ≥ n), varchar or text; numeric(p,s) to numeric(q ≥ p,s) or numeric; varbit(n) to varbit(m ≥ n) or varbit",
        versions: "9.2+",
    },
    LockFact {
        statement: "ALTER COLUMN … TYPE timestamptz (from timestamp, or back)",
        lock: AccessExclusive,
        effect: Rewrite,
        note: "",
        versions: "12+: metadata only when the session's TimeZone is UTC",
    },
    LockFact {
        statement: "ALTER COLUMN … SET STATISTICS",
        lock: ShareUpdateExclusive,
        effect: Metadata,
        note: "",
        versions: "",
    },
    LockFact {
        statement: "ALTER TABLE … SET (storage_parameter)",
        lock: ShareUpdateExclusive,
        effect: Metadata,
        note: "fillfactor, autovacuum_* and most other table parameters",
        versions: "",
    },
    LockFact {
        statement: "DROP COLUMN",
        lock: AccessExclusive,
        effect: Metadata,
        note: "the column is hidden, its space reclaimed by later rewrites; clients still using it break",
        versions: "",
    },
    LockFact {
        statement: "ADD CONSTRAINT … CHECK",
        lock: AccessExclusive,
        effect: Scan,
        note: "checks every row",
        versions: "",
    },
    LockFact {
        statement: "ADD CONSTRAINT … CHECK … NOT VALID",
        lock: AccessExclusive,
        effect: Metadata,
        note: "enforced for new and updated rows only",
        versions: "",
    },
    LockFact {
        statement: "ADD CONSTRAINT … FOREIGN KEY",
        lock: ShareRowExclusive,
        effect: Scan,
        note: "on both tables; checks every row against the referenced table",
        versions: "",
    },
    LockFact {
        statement: "ADD CONSTRAINT … FOREIGN KEY … NOT VALID",
        lock: ShareRowExclusive,
        effect: Metadata,
        note: "on both tables; enforced for new and updated rows only",
        versions: "",
    },
    LockFact {
        statement: "VALIDATE CONSTRAINT",
        lock: ShareUpdateExclusive,
        effect: Scan,
        note: "a foreign key also takes ROW SHARE on the referenced table",
        versions: "",
    },
    LockFact {
        statement: "ALTER DOMAIN … ADD CONSTRAINT",
        lock: Share,
        effect: Scan,
        note: "on every table with a column of the domain, checking every row of each; NOT VALID skips the check",
        versions: "",
    },
    LockFact {
        statement: "ALTER DOMAIN … VALIDATE CONSTRAINT",
        lock: Share,
        effect: Scan,
        note: "on every table with a column of the domain: unlike a table's VALIDATE CONSTRAINT, it blocks writes",
        versions: "",
    },
    LockFact {
        statement: "ADD CONSTRAINT … NOT NULL col",
        lock: AccessExclusive,
        effect: Scan,
        note: "as SET NOT NULL",
        versions: "18+; with NOT VALID it is metadata only, then VALIDATE CONSTRAINT",
    },
    LockFact {
        statement: "ADD CONSTRAINT … UNIQUE / PRIMARY KEY",
        lock: AccessExclusive,
        effect: Build,
        note: "builds the index under the lock; PRIMARY KEY also sets NOT NULL (a scan when nullable)",
        versions: "",
    },
    LockFact {
        statement: "ADD CONSTRAINT … UNIQUE / PRIMARY KEY USING INDEX",
        lock: AccessExclusive,
        effect: Metadata,
        note: "the index was built before, CONCURRENTLY; PRIMARY KEY also sets NOT NULL (a scan when nullable)",
        versions: "",
    },
    LockFact {
        statement: "DROP CONSTRAINT",
        lock: AccessExclusive,
        effect: Metadata,
        note: "",
        versions: "",
    },
    LockFact {
        statement: "DROP CONSTRAINT (foreign key)",
        lock: AccessExclusive,
        effect: Metadata,
        note: "on both tables; the references are no longer checked",
        versions: "",
    },
    LockFact {
        statement: "CREATE INDEX",
        lock: Share,
        effect: Build,
        note: "",
        versions: "",
    },
    LockFact {
        statement: "CREATE INDEX CONCURRENTLY",
        lock: ShareUpdateExclusive,
        effect: Build,
        note: "two table scans; cannot run in a transaction; a failed build leaves an INVALID index",
        versions: "",
    },
    LockFact {
        statement: "DROP INDEX",
        lock: AccessExclusive,
        effect: Metadata,
        note: "on the index's table",
        versions: "",
    },
    LockFact {
        statement: "DROP INDEX CONCURRENTLY",
        lock: ShareUpdateExclusive,
        effect: Metadata,
        note: "waits for running transactions; cannot run in a transaction",
        versions: "",
    },
    LockFact {
        statement: "REINDEX",
        lock: Share,
        effect: Build,
        note: "and ACCESS EXCLUSIVE on each index rebuilt: queries that would use it wait",
        versions: "",
    },
    LockFact {
        statement: "REINDEX … CONCURRENTLY",
        lock: ShareUpdateExclusive,
        effect: Build,
        note: "cannot run in a transaction",
        versions: "12+",
    },
    LockFact {
        statement: "RENAME COLUMN",
        lock: AccessExclusive,
        effect: Metadata,
        note: "clients using the old name break",
        versions: "",
    },
    LockFact {
        statement: "RENAME TO",
        lock: AccessExclusive,
        effect: Metadata,
        note: "on a table; clients using the old name break",
        versions: "",
    },
    LockFact {
        statement: "SET TABLESPACE",
        lock: AccessExclusive,
        effect: Rewrite,
        note: "copies the table and its files",
        versions: "",
    },
    LockFact {
        statement: "SET LOGGED / SET UNLOGGED",
        lock: AccessExclusive,
        effect: Rewrite,
        note: "",
        versions: "",
    },
    LockFact {
        statement: "SET ACCESS METHOD",
        lock: AccessExclusive,
        effect: Rewrite,
        note: "",
        versions: "15+",
    },
    LockFact {
        statement: "VACUUM FULL",
        lock: AccessExclusive,
        effect: Rewrite,
        note: "",
        versions: "",
    },
    LockFact {
        statement: "CLUSTER",
        lock: AccessExclusive,
        effect: Rewrite,
        note: "",
        versions: "",
    },
    LockFact {
        statement: "VACUUM",
        lock: ShareUpdateExclusive,
        effect: Scan,
        note: "cannot run in a transaction",
        versions: "",
    },
    LockFact {
        statement: "DETACH PARTITION",
        lock: AccessExclusive,
        effect: Metadata,
        note: "on the parent and the partition",
        versions: "",
    },
    LockFact {
        statement: "DETACH PARTITION … CONCURRENTLY",
        lock: ShareUpdateExclusive,
        effect: Metadata,
        note: "cannot run in a transaction",
        versions: "14+",
    },
    LockFact {
        statement: "ATTACH PARTITION",
        lock: ShareUpdateExclusive,
        effect: Scan,
        note: "on the parent; ACCESS EXCLUSIVE on the partition, scanned unless a validated CHECK implies the bound",
        versions: "12+; before 12: ACCESS EXCLUSIVE on the parent",
    },
    LockFact {
        statement: "CREATE TRIGGER / ENABLE TRIGGER / DISABLE TRIGGER",
        lock: ShareRowExclusive,
        effect: Metadata,
        note: "",
        versions: "",
    },
    LockFact {
        statement: "DROP TABLE",
        lock: AccessExclusive,
        effect: Metadata,
        note: "the data is gone",
        versions: "",
    },
    LockFact {
        statement: "DROP SCHEMA … CASCADE",
        lock: AccessExclusive,
        effect: Metadata,
        note: "on every table in the schema, each dropped with its data, and on what depends on them",
        versions: "",
    },
    LockFact {
        statement: "DROP DATABASE",
        lock: AccessExclusive,
        effect: Metadata,
        note: "on the database; fails while any session is connected to it; cannot run in a transaction",
        versions: "13+: WITH (FORCE) disconnects them",
    },
    LockFact {
        statement: "TRUNCATE",
        lock: AccessExclusive,
        effect: Metadata,
        note: "the data is gone",
        versions: "",
    },
    LockFact {
        statement: "TRUNCATE … CASCADE",
        lock: AccessExclusive,
        effect: Metadata,
        note: "also on every table with a foreign key to it, recursively, which it empties too",
        versions: "",
    },
    LockFact {
        statement: "LOCK TABLE",
        lock: AccessExclusive,
        effect: Metadata,
        note: "the mode asked for (ACCESS EXCLUSIVE by default), until the transaction ends",
        versions: "",
    },
    LockFact {
        statement: "UPDATE / DELETE",
        lock: RowExclusive,
        effect: Scan,
        note: "row locks on every changed row until commit: writers of those rows wait; one big transaction bloats the table",
        versions: "",
    },
];

/// The lock a statement's row in [`FACTS`] gives, by its `statement` text.
pub fn fact(statement: &str) -> Option<&'static LockFact> {
    FACTS.iter().find(|f| f.statement == statement)
}

/// The lock an `ALTER TABLE` subcommand takes on its table (PostgreSQL's
/// `AlterTableGetLockLevel`). `ADD CONSTRAINT` is its strongest case, ACCESS EXCLUSIVE; see
/// [`alter_command_lock`] for the lock of a given command.
pub fn alter_table_lock(subtype: AlterTableType) -> LockLevel {
    use AlterTableType::*;
    match subtype {
        AtSetStatistics
        | AtClusterOn
        | AtDropCluster
        | AtSetOptions
        | AtResetOptions
        | AtValidateConstraint
        | AtAttachPartition
        | AtDetachPartitionFinalize
        | AtSetRelOptions
        | AtResetRelOptions => LockLevel::ShareUpdateExclusive,
        AtEnableTrig | AtEnableAlwaysTrig | AtEnableReplicaTrig | AtEnableTrigAll
        | AtEnableTrigUser | AtDisableTrig | AtDisableTrigAll | AtDisableTrigUser => {
            LockLevel::ShareRowExclusive
        }
        // Everything else: columns, defaults, NOT NULL, types, constraints, owner, rules,
        // inheritance, persistence, tablespace, access method, identity, replica identity,
        // row security, DETACH PARTITION without CONCURRENTLY.
        _ => LockLevel::AccessExclusive,
    }
}

/// The lock one `ALTER TABLE` command takes on its table: [`alter_table_lock`], refined by what
/// the command carries (`ADD FOREIGN KEY`: SHARE ROW EXCLUSIVE, on both tables;
/// `DETACH PARTITION … CONCURRENTLY`: SHARE UPDATE EXCLUSIVE).
pub fn alter_command_lock(cmd: &AlterTableCmd) -> LockLevel {
    let Ok(subtype) = AlterTableType::try_from(cmd.subtype) else {
        return LockLevel::AccessExclusive;
    };
    match subtype {
        AlterTableType::AtAddConstraint => match walk::command_constraint(cmd) {
            Some(c) if walk::is_constraint(c, ConstrType::ConstrForeign) => {
                LockLevel::ShareRowExclusive
            }
            _ => LockLevel::AccessExclusive,
        },
        AlterTableType::AtDetachPartition => match crate::parse::inner(&cmd.def) {
            Some(NodeEnum::PartitionCmd(p)) if p.concurrent => LockLevel::ShareUpdateExclusive,
            _ => LockLevel::AccessExclusive,
        },
        other => alter_table_lock(other),
    }
}

/// The lock a statement takes on an existing table, for the rules that ask "does this block
/// reads and writes?".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementLock {
    pub lock: LockLevel,
    /// The tables locked at that level (as [`walk::table_name`] gives them); empty when the
    /// statement does not name its table (`DROP INDEX`, `VACUUM FULL` of a whole database).
    pub tables: Vec<String>,
    /// For `DROP INDEX`: the indexes, whose table the statement does not name.
    pub indexes: Vec<String>,
    /// The tables its foreign keys reference: SHARE ROW EXCLUSIVE on each (whatever `lock` is).
    pub referenced: Vec<String>,
    /// What takes the lock, for messages: `ALTER TABLE … ADD COLUMN`, `DROP TABLE`, ...
    pub what: String,
}

/// The strongest lock a statement takes on existing relations: `ALTER TABLE` (by its commands;
/// the tables its foreign keys reference in `referenced`), `ALTER VIEW` / `ALTER MATERIALIZED
/// VIEW`, `CREATE TABLE … REFERENCES` (on the referenced tables), `CREATE OR REPLACE VIEW`,
/// `REFRESH MATERIALIZED VIEW`, `DROP TABLE` / `VIEW` / `MATERIALIZED VIEW` / `TRIGGER` / `RULE` /
/// `POLICY`, `CREATE RULE`, `CREATE` / `ALTER POLICY`, `TRUNCATE`, `RENAME` (tables, views,
/// triggers, rules, policies), `SET SCHEMA`, `DROP INDEX`, `LOCK TABLE`, `VACUUM FULL`, `CLUSTER`,
/// `CREATE INDEX`, `CREATE TRIGGER`, `UPDATE`/`DELETE`/`INSERT`. `None` for statements that lock
/// no existing relation (or none of these kinds).
pub fn statement_lock(node: &NodeEnum) -> Option<StatementLock> {
    use protobuf::ObjectType;
    let one = |lock, table: String, what: &str| {
        Some(StatementLock {
            lock,
            tables: vec![table],
            indexes: Vec::new(),
            referenced: Vec::new(),
            what: what.to_owned(),
        })
    };
    match node {
        NodeEnum::AlterTableStmt(stmt) if walk::is_table(stmt.objtype) => {
            let (lock, cmd) = walk::alter_commands(stmt)
                .into_iter()
                .map(|cmd| (alter_command_lock(cmd), cmd))
                .max_by_key(|(lock, _)| *lock)?;
            let what = AlterTableType::try_from(cmd.subtype)
                .map(alter_command_words)
                .unwrap_or("ALTER TABLE");
            // A foreign key takes SHARE ROW EXCLUSIVE on the table it references too.
            let mut referenced: Vec<String> = walk::alter_commands(stmt)
                .into_iter()
                .flat_map(referenced_tables)
                .collect();
            referenced.dedup();
            Some(StatementLock {
                lock,
                tables: vec![walk::table_name(&stmt.relation)],
                indexes: Vec::new(),
                referenced,
                what: what.to_owned(),
            })
        }
        NodeEnum::AlterTableStmt(stmt)
            if stmt.objtype == ObjectType::ObjectView as i32
                || stmt.objtype == ObjectType::ObjectMatview as i32 =>
        {
            let lock = walk::alter_commands(stmt)
                .into_iter()
                .map(alter_command_lock)
                .max()?;
            let what = if stmt.objtype == ObjectType::ObjectView as i32 {
                "ALTER VIEW"
            } else {
                "ALTER MATERIALIZED VIEW"
            };
            one(lock, walk::table_name(&stmt.relation), what)
        }
        NodeEnum::CreateStmt(stmt) => {
            // No lock on the new table that anyone waits for; SHARE ROW EXCLUSIVE on the tables
            // its foreign keys reference.
            let (columns, constraints) = walk::create_table_parts(stmt);
            let mut referenced: Vec<String> = constraints
                .into_iter()
                .chain(columns.into_iter().flat_map(walk::column_constraints))
                .filter(|c| walk::is_constraint(c, ConstrType::ConstrForeign))
                .map(|c| walk::table_name(&c.pktable))
                .collect();
            referenced.dedup();
            (!referenced.is_empty()).then(|| StatementLock {
                lock: LockLevel::ShareRowExclusive,
                tables: Vec::new(),
                indexes: Vec::new(),
                referenced,
                what: "CREATE TABLE … REFERENCES".to_owned(),
            })
        }
        NodeEnum::ViewStmt(stmt) if stmt.replace => one(
            LockLevel::AccessExclusive,
            walk::table_name(&stmt.view),
            "CREATE OR REPLACE VIEW",
        ),
        NodeEnum::RefreshMatViewStmt(stmt) => one(
            if stmt.concurrent {
                LockLevel::Exclusive
            } else {
                LockLevel::AccessExclusive
            },
            walk::table_name(&stmt.relation),
            if stmt.concurrent {
                "REFRESH MATERIALIZED VIEW CONCURRENTLY"
            } else {
                "REFRESH MATERIALIZED VIEW"
            },
        ),
        NodeEnum::RuleStmt(stmt) => one(
            LockLevel::AccessExclusive,
            walk::table_name(&stmt.relation),
            "CREATE RULE",
        ),
        NodeEnum::CreatePolicyStmt(stmt) => one(
            LockLevel::AccessExclusive,
            walk::table_name(&stmt.table),
            "CREATE POLICY",
        ),
        NodeEnum::AlterPolicyStmt(stmt) => one(
            LockLevel::AccessExclusive,
            walk::table_name(&stmt.table),
            "ALTER POLICY",
        ),
        NodeEnum::DropStmt(stmt)
            if stmt.remove_type == ObjectType::ObjectView as i32
                || stmt.remove_type == ObjectType::ObjectMatview as i32 =>
        {
            Some(StatementLock {
                lock: LockLevel::AccessExclusive,
                tables: stmt.objects.iter().map(walk::dotted_name).collect(),
                indexes: Vec::new(),
                referenced: Vec::new(),
                what: if stmt.remove_type == ObjectType::ObjectView as i32 {
                    "DROP VIEW"
                } else {
                    "DROP MATERIALIZED VIEW"
                }
                .to_owned(),
            })
        }
        NodeEnum::DropStmt(stmt)
            if stmt.remove_type == ObjectType::ObjectTrigger as i32
                || stmt.remove_type == ObjectType::ObjectRule as i32
                || stmt.remove_type == ObjectType::ObjectPolicy as i32 =>
        {
            // `DROP TRIGGER t ON table`: the objects are [schema.]table.name lists.
            let tables = stmt
                .objects
                .iter()
                .filter_map(|o| match o.node.as_ref() {
                    Some(NodeEnum::List(list)) => {
                        let parts = walk::names(&list.items);
                        (parts.len() >= 2).then(|| parts[..parts.len() - 1].join("."))
                    }
                    _ => None,
                })
                .collect();
            let what = if stmt.remove_type == ObjectType::ObjectTrigger as i32 {
                "DROP TRIGGER"
            } else if stmt.remove_type == ObjectType::ObjectRule as i32 {
                "DROP RULE"
            } else {
                "DROP POLICY"
            };
            Some(StatementLock {
                lock: LockLevel::AccessExclusive,
                tables,
                indexes: Vec::new(),
                referenced: Vec::new(),
                what: what.to_owned(),
            })
        }
        NodeEnum::RenameStmt(stmt)
            if stmt.rename_type == ObjectType::ObjectView as i32
                || stmt.rename_type == ObjectType::ObjectMatview as i32
                || stmt.rename_type == ObjectType::ObjectTrigger as i32
                || stmt.rename_type == ObjectType::ObjectRule as i32
                || stmt.rename_type == ObjectType::ObjectPolicy as i32
                || stmt.rename_type == ObjectType::ObjectColumn as i32
                    && (stmt.relation_type == ObjectType::ObjectView as i32
                        || stmt.relation_type == ObjectType::ObjectMatview as i32) =>
        {
            one(
                LockLevel::AccessExclusive,
                walk::table_name(&stmt.relation),
                "ALTER … RENAME",
            )
        }
        NodeEnum::RenameStmt(stmt)
            if stmt.rename_type == ObjectType::ObjectTable as i32
                || (stmt.rename_type == ObjectType::ObjectColumn as i32
                    || stmt.rename_type == ObjectType::ObjectTabconstraint as i32)
                    && stmt.relation_type == ObjectType::ObjectTable as i32 =>
        {
            one(
                LockLevel::AccessExclusive,
                walk::table_name(&stmt.relation),
                "ALTER TABLE … RENAME",
            )
        }
        NodeEnum::AlterObjectSchemaStmt(stmt) if walk::is_table(stmt.object_type) => one(
            LockLevel::AccessExclusive,
            walk::table_name(&stmt.relation),
            "ALTER TABLE … SET SCHEMA",
        ),
        NodeEnum::DropStmt(stmt) if stmt.remove_type == ObjectType::ObjectTable as i32 => {
            Some(StatementLock {
                lock: LockLevel::AccessExclusive,
                tables: stmt.objects.iter().map(walk::dotted_name).collect(),
                indexes: Vec::new(),
                referenced: Vec::new(),
                what: "DROP TABLE".to_owned(),
            })
        }
        NodeEnum::DropStmt(stmt) if stmt.remove_type == ObjectType::ObjectIndex as i32 => {
            Some(StatementLock {
                lock: if stmt.concurrent {
                    LockLevel::ShareUpdateExclusive
                } else {
                    LockLevel::AccessExclusive
                },
                tables: Vec::new(),
                indexes: stmt.objects.iter().map(walk::dotted_name).collect(),
                referenced: Vec::new(),
                what: "DROP INDEX".to_owned(),
            })
        }
        NodeEnum::TruncateStmt(stmt) => Some(StatementLock {
            lock: LockLevel::AccessExclusive,
            tables: walk::range_var_names(&stmt.relations),
            indexes: Vec::new(),
            referenced: Vec::new(),
            what: "TRUNCATE".to_owned(),
        }),
        NodeEnum::LockStmt(stmt) => Some(StatementLock {
            lock: LockLevel::from_lockmode(stmt.mode).unwrap_or(LockLevel::AccessExclusive),
            tables: walk::range_var_names(&stmt.relations),
            indexes: Vec::new(),
            referenced: Vec::new(),
            what: "LOCK TABLE".to_owned(),
        }),
        NodeEnum::VacuumStmt(stmt) if stmt.is_vacuumcmd => {
            let full = walk::option_on(&stmt.options, "full");
            Some(StatementLock {
                lock: if full {
                    LockLevel::AccessExclusive
                } else {
                    LockLevel::ShareUpdateExclusive
                },
                tables: stmt
                    .rels
                    .iter()
                    .filter_map(|r| match r.node.as_ref() {
                        Some(NodeEnum::VacuumRelation(v)) => Some(walk::table_name(&v.relation)),
                        _ => None,
                    })
                    .collect(),
                indexes: Vec::new(),
                referenced: Vec::new(),
                what: if full { "VACUUM FULL" } else { "VACUUM" }.to_owned(),
            })
        }
        NodeEnum::ClusterStmt(stmt) => Some(StatementLock {
            lock: LockLevel::AccessExclusive,
            tables: stmt
                .relation
                .as_ref()
                .map(|_| walk::table_name(&stmt.relation))
                .into_iter()
                .collect(),
            indexes: Vec::new(),
            referenced: Vec::new(),
            what: "CLUSTER".to_owned(),
        }),
        NodeEnum::IndexStmt(stmt) => one(
            if stmt.concurrent {
                LockLevel::ShareUpdateExclusive
            } else {
                LockLevel::Share
            },
            walk::table_name(&stmt.relation),
            if stmt.concurrent {
                "CREATE INDEX CONCURRENTLY"
            } else {
                "CREATE INDEX"
            },
        ),
        NodeEnum::CreateTrigStmt(stmt) => one(
            LockLevel::ShareRowExclusive,
            walk::table_name(&stmt.relation),
            "CREATE TRIGGER",
        ),
        NodeEnum::UpdateStmt(stmt) => one(
            LockLevel::RowExclusive,
            walk::table_name(&stmt.relation),
            "UPDATE",
        ),
        NodeEnum::DeleteStmt(stmt) => one(
            LockLevel::RowExclusive,
            walk::table_name(&stmt.relation),
            "DELETE",
        ),
        NodeEnum::InsertStmt(stmt) => one(
            LockLevel::RowExclusive,
            walk::table_name(&stmt.relation),
            "INSERT",
        ),
        _ => None,
    }
}

/// The tables an `ALTER TABLE` command's foreign key references (`ADD CONSTRAINT … FOREIGN KEY`,
/// `ADD COLUMN … REFERENCES`).
fn referenced_tables(cmd: &AlterTableCmd) -> Vec<String> {
    let mut constraints: Vec<&protobuf::Constraint> = Vec::new();
    if let Some(c) = walk::command_constraint(cmd) {
        constraints.push(c);
    }
    if cmd.subtype == AlterTableType::AtAddColumn as i32 {
        if let Some(column) = walk::command_column_def(cmd) {
            constraints.extend(walk::column_constraints(column));
        }
    }
    constraints
        .into_iter()
        .filter(|c| walk::is_constraint(c, ConstrType::ConstrForeign))
        .map(|c| walk::table_name(&c.pktable))
        .collect()
}

/// An `ALTER TABLE` subcommand in words, for messages.
pub fn alter_command_words(subtype: AlterTableType) -> &'static str {
    use AlterTableType::*;
    match subtype {
        AtAddColumn => "ALTER TABLE … ADD COLUMN",
        AtColumnDefault => "ALTER TABLE … ALTER COLUMN … SET/DROP DEFAULT",
        AtDropNotNull => "ALTER TABLE … ALTER COLUMN … DROP NOT NULL",
        AtSetNotNull => "ALTER TABLE … ALTER COLUMN … SET NOT NULL",
        AtDropColumn => "ALTER TABLE … DROP COLUMN",
        AtAddConstraint => "ALTER TABLE … ADD CONSTRAINT",
        AtDropConstraint => "ALTER TABLE … DROP CONSTRAINT",
        AtValidateConstraint => "ALTER TABLE … VALIDATE CONSTRAINT",
        AtAlterColumnType => "ALTER TABLE … ALTER COLUMN … TYPE",
        AtSetLogged => "ALTER TABLE … SET LOGGED",
        AtSetUnLogged => "ALTER TABLE … SET UNLOGGED",
        AtSetTableSpace => "ALTER TABLE … SET TABLESPACE",
        AtSetAccessMethod => "ALTER TABLE … SET ACCESS METHOD",
        AtChangeOwner => "ALTER TABLE … OWNER TO",
        AtAddIdentity | AtSetIdentity | AtDropIdentity => "ALTER TABLE … ALTER COLUMN … IDENTITY",
        AtAttachPartition => "ALTER TABLE … ATTACH PARTITION",
        AtDetachPartition => "ALTER TABLE … DETACH PARTITION",
        AtEnableTrig | AtEnableAlwaysTrig | AtEnableReplicaTrig | AtEnableTrigAll
        | AtEnableTrigUser => "ALTER TABLE … ENABLE TRIGGER",
        AtDisableTrig | AtDisableTrigAll | AtDisableTrigUser => "ALTER TABLE … DISABLE TRIGGER",
        AtReplicaIdentity => "ALTER TABLE … REPLICA IDENTITY",
        AtEnableRowSecurity | AtDisableRowSecurity | AtForceRowSecurity | AtNoForceRowSecurity => {
            "ALTER TABLE … ROW LEVEL SECURITY"
        }
        AtAddInherit | AtDropInherit => "ALTER TABLE … INHERIT",
        _ => "ALTER TABLE",
    }
}

/// The `lock` text of a finding: "ACCESS EXCLUSIVE on orders for a full table rewrite (blocks
/// all reads and writes)".
pub fn describe(lock: LockLevel, table: &str, how_long: &str) -> String {
    format!("{} on {table} {how_long} ({})", lock.name(), lock.blocks())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = include_str!("../../../docs/rules/locks.md");

    #[test]
    fn the_docs_have_a_row_for_every_fact() {
        let missing: Vec<String> = FACTS
            .iter()
            .map(LockFact::markdown_row)
            .filter(|row| !DOC.lines().any(|line| line.trim() == row))
            .collect();
        assert!(
            missing.is_empty(),
            "docs/rules/locks.md lacks these rows (or has them differently):\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn the_docs_have_no_row_without_a_fact() {
        let rows: Vec<String> = FACTS.iter().map(LockFact::markdown_row).collect();
        for line in DOC.lines().filter(|l| l.starts_with("| `")) {
            assert!(
                rows.iter().any(|r| r == line.trim()),
                "docs/rules/locks.md has a row that FACTS does not: {line}"
            );
        }
    }

    #[test]
    fn facts_are_unique_and_fit_a_table() {
        let mut seen = std::collections::BTreeSet::new();
        for f in FACTS {
            assert!(seen.insert(f.statement), "duplicate fact {}", f.statement);
            for text in [f.statement, f.note, f.versions] {
                assert!(!text.contains('|') && !text.contains('\n'), "{text}");
            }
        }
    }

    /// The examples of the locking rules' docs: a block after "Fires" fires the rule, a block
    /// after "Fixed:" or "Fine" does not (split where it says a later migration begins).
    #[test]
    fn rule_docs_examples_do_what_they_say() {
        let docs: &[(&str, &str)] = &[
            (
                "adding-not-null-column",
                include_str!("../../../docs/rules/adding-not-null-column.md"),
            ),
            (
                "setting-not-null",
                include_str!("../../../docs/rules/setting-not-null.md"),
            ),
            (
                "non-concurrent-index",
                include_str!("../../../docs/rules/non-concurrent-index.md"),
            ),
            (
                "non-concurrent-drop-index",
                include_str!("../../../docs/rules/non-concurrent-drop-index.md"),
            ),
            (
                "concurrently-in-transaction",
                include_str!("../../../docs/rules/concurrently-in-transaction.md"),
            ),
            (
                "constraint-without-not-valid",
                include_str!("../../../docs/rules/constraint-without-not-valid.md"),
            ),
            (
                "unique-constraint-directly",
                include_str!("../../../docs/rules/unique-constraint-directly.md"),
            ),
            (
                "rename-column",
                include_str!("../../../docs/rules/rename-column.md"),
            ),
            (
                "rename-table",
                include_str!("../../../docs/rules/rename-table.md"),
            ),
            (
                "column-type-change",
                include_str!("../../../docs/rules/column-type-change.md"),
            ),
            (
                "volatile-default",
                include_str!("../../../docs/rules/volatile-default.md"),
            ),
            (
                "table-rewrite",
                include_str!("../../../docs/rules/table-rewrite.md"),
            ),
            (
                "add-serial-or-identity",
                include_str!("../../../docs/rules/add-serial-or-identity.md"),
            ),
            (
                "missing-lock-timeout",
                include_str!("../../../docs/rules/missing-lock-timeout.md"),
            ),
        ];
        use crate::rules::test_support::{fires, lint_up, of};
        for (rule, doc) in docs {
            assert!(doc.starts_with(&format!("# {rule}\n")), "{rule}: title");
            assert!(
                doc.contains(&format!("-- strata:lint-ignore {rule} ")),
                "{rule}: waiver"
            );
            let lines: Vec<&str> = doc.lines().collect();
            let mut checked = 0;
            for (i, line) in lines.iter().enumerate() {
                let expect = if line.starts_with("Fires") {
                    true
                } else if *line == "Fixed:" || line.starts_with("Fine") {
                    false
                } else {
                    continue;
                };
                let Some(start) = lines[i + 1..].iter().position(|l| *l == "```sql") else {
                    continue;
                };
                let body: Vec<&str> = lines[i + 2 + start..]
                    .iter()
                    .take_while(|l| **l != "```")
                    .copied()
                    .collect();
                let sql = body.join("\n");
                checked += 1;
                if expect {
                    assert!(fires(rule, &sql), "{rule}: should fire:\n{sql}");
                } else {
                    for part in sql
                        .split("-- next migration")
                        .flat_map(|p| p.split("-- later migration"))
                    {
                        let found = lint_up(part);
                        assert!(
                            of(&found, rule).is_empty(),
                            "{rule}: should not fire:\n{part}"
                        );
                    }
                }
            }
            assert!(checked > 0, "{rule}: no example checked");
        }
    }

    fn lock_of(sql: &str) -> Option<StatementLock> {
        let parsed = pg_query::parse(sql, pg_query::ParserOptions::DEFAULT).unwrap();
        let node = parsed.protobuf.stmts[0]
            .stmt
            .as_ref()
            .and_then(|n| n.node.clone())
            .unwrap();
        statement_lock(&node)
    }

    #[test]
    fn alter_table_locks() {
        let level = |sql: &str| lock_of(sql).map(|l| l.lock);
        assert_eq!(
            level("ALTER TABLE t ADD COLUMN a int"),
            Some(LockLevel::AccessExclusive)
        );
        assert_eq!(
            level("ALTER TABLE t VALIDATE CONSTRAINT c"),
            Some(LockLevel::ShareUpdateExclusive)
        );
        assert_eq!(
            level("ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES u (id) NOT VALID"),
            Some(LockLevel::ShareRowExclusive)
        );
        assert_eq!(
            level("ALTER TABLE t ALTER COLUMN a SET STATISTICS 500"),
            Some(LockLevel::ShareUpdateExclusive)
        );
        assert_eq!(
            level("ALTER TABLE t SET (fillfactor = 70)"),
            Some(LockLevel::ShareUpdateExclusive)
        );
        // The strongest command wins.
        assert_eq!(
            level("ALTER TABLE t VALIDATE CONSTRAINT c, ALTER COLUMN a SET NOT NULL"),
            Some(LockLevel::AccessExclusive)
        );
        assert_eq!(
            level("ALTER TABLE p DETACH PARTITION c CONCURRENTLY"),
            Some(LockLevel::ShareUpdateExclusive)
        );
        assert_eq!(
            level("ALTER TABLE p DETACH PARTITION c"),
            Some(LockLevel::AccessExclusive)
        );
        assert_eq!(
            level("ALTER TABLE t DISABLE TRIGGER ALL"),
            Some(LockLevel::ShareRowExclusive)
        );
        // Not a table.
        assert_eq!(level("ALTER INDEX i SET (fillfactor = 70)"), None);
    }

    #[test]
    fn other_statement_locks() {
        let l = lock_of("DROP TABLE a, app.b").unwrap();
        assert_eq!(l.lock, LockLevel::AccessExclusive);
        assert_eq!(l.tables, ["a", "app.b"]);
        let l = lock_of("DROP INDEX app.i").unwrap();
        assert_eq!(
            (l.lock, l.indexes),
            (LockLevel::AccessExclusive, vec!["app.i".to_owned()])
        );
        assert!(l.tables.is_empty());
        assert_eq!(
            lock_of("LOCK TABLE t IN SHARE MODE").unwrap().lock,
            LockLevel::Share
        );
        assert_eq!(lock_of("LOCK t").unwrap().lock, LockLevel::AccessExclusive);
        assert_eq!(
            lock_of("VACUUM (FULL, ANALYZE) t").unwrap().lock,
            LockLevel::AccessExclusive
        );
        assert_eq!(
            lock_of("VACUUM t").unwrap().lock,
            LockLevel::ShareUpdateExclusive
        );
        assert_eq!(lock_of("ALTER TABLE t RENAME TO u").unwrap().tables, ["t"]);
        assert_eq!(lock_of("ALTER INDEX i RENAME TO j"), None);
        assert_eq!(lock_of("TRUNCATE a, b").unwrap().tables, ["a", "b"]);
        assert_eq!(lock_of("SELECT 1"), None);
    }

    #[test]
    fn describe_says_level_table_duration_and_what_it_blocks() {
        assert_eq!(
            describe(
                LockLevel::AccessExclusive,
                "orders",
                "for a full table rewrite"
            ),
            "ACCESS EXCLUSIVE on orders for a full table rewrite (blocks all reads and writes)"
        );
    }
}
