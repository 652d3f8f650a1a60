//! The rules. One rule is one file, with its tests beside it; [`RULES`] is the one list of them.
//!
//! A rule looks at one section ([`SectionCx`]) and returns [`Hit`]s. The driver turns hits into
//! findings: it drops locking and destructive hits on tables created earlier in the same
//! migration (in a down, also on what the file's own up created; with a database connected, also
//! on what an earlier migration of the run created that the database does not have yet), lowers locking hits on small tables to
//! `info`, applies `[lint]` levels and waivers, and maps locations to `file:line:column`.

pub mod add_serial_or_identity;
pub mod adding_not_null_column;
pub mod column_type_change;
pub mod concurrently_in_transaction;
pub mod constraint_without_not_valid;
pub mod domain_constraint;
pub mod drop_column;
pub mod drop_database;
pub mod drop_foreign_key;
pub mod drop_not_null;
pub mod drop_schema;
pub mod drop_table;
pub mod duplicate_column_assignment;
pub mod empty_downgrade;
pub mod enum_value_ordering;
pub mod fk_without_index;
pub mod float_for_money;
pub mod identifier_too_long;
pub mod missing_lock_timeout;
pub mod mixed_nontransactional;
pub mod modified_applied_migration;
pub mod naming_convention;
pub mod non_concurrent_detach_partition;
pub mod non_concurrent_drop_index;
pub mod non_concurrent_index;
pub mod non_concurrent_reindex;
pub mod prefer_bigint;
pub mod prefer_bigint_pk;
pub mod prefer_identity;
pub mod prefer_jsonb;
pub mod prefer_robust_stmts;
pub mod prefer_text;
pub mod prefer_timestamptz;
pub mod rename_column;
pub mod rename_table;
pub mod require_table_schema;
pub mod requires_newer_postgres;
pub mod setting_not_null;
pub mod table_rewrite;
pub mod table_without_primary_key;
pub mod transaction_control;
pub mod truncate_cascade;
pub mod unbatched_backfill;
pub mod unique_constraint_directly;
pub mod volatile_default;

use crate::finding::Severity;
use crate::parse::Statement;
use crate::source::{Options, Section, SectionKind, Source};
use std::collections::BTreeMap;

/// What a rule is about, which decides how the driver treats its hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleKind {
    /// Takes a lock on an existing table: silent on new tables, `info` on small ones.
    Locking,
    /// Loses data on an existing object: silent on new ones and on a down undoing its own up.
    Destructive,
    /// Schema design: fires on new tables too.
    Design,
    /// About the migration as a whole (transactions, downs, checksums): always fires.
    Always,
}

/// One rule: its fixed id, default severity, and check.
pub struct Rule {
    pub id: &'static str,
    pub default: Severity,
    pub kind: RuleKind,
    /// Off unless `[lint]` gives it a level (`"warning"`, …, or `"on"` for `default`).
    pub opt_in: bool,
    /// One line for docs and `--help`: what it fires on.
    pub summary: &'static str,
    pub check: fn(&SectionCx<'_>) -> Vec<Hit>,
}

/// Every rule: the first 28 in their documented order, then the later ones.
pub static RULES: &[Rule] = &[
    Rule {
        id: "adding-not-null-column",
        default: Severity::Error,
        kind: RuleKind::Locking,
        opt_in: false,
        summary: "`ADD COLUMN … NOT NULL` without a non-volatile default",
        check: adding_not_null_column::check,
    },
    Rule {
        id: "setting-not-null",
        default: Severity::Error,
        kind: RuleKind::Locking,
        opt_in: false,
        summary: "`ALTER COLUMN … SET NOT NULL` without a validated check",
        check: setting_not_null::check,
    },
    Rule {
        id: "non-concurrent-index",
        default: Severity::Error,
        kind: RuleKind::Locking,
        opt_in: false,
        summary: "`CREATE INDEX` without `CONCURRENTLY`",
        check: non_concurrent_index::check,
    },
    Rule {
        id: "non-concurrent-drop-index",
        default: Severity::Warning,
        kind: RuleKind::Locking,
        opt_in: false,
        summary: "`DROP INDEX` without `CONCURRENTLY`",
        check: non_concurrent_drop_index::check,
    },
    Rule {
        id: "concurrently-in-transaction",
        default: Severity::Error,
        kind: RuleKind::Always,
        opt_in: false,
        summary: "`CONCURRENTLY` in a transactional migration or inside `BEGIN`",
        check: concurrently_in_transaction::check,
    },
    Rule {
        id: "constraint-without-not-valid",
        default: Severity::Error,
        kind: RuleKind::Locking,
        opt_in: false,
        summary: "`ADD FOREIGN KEY` / `ADD CHECK` without `NOT VALID`",
        check: constraint_without_not_valid::check,
    },
    Rule {
        id: "unique-constraint-directly",
        default: Severity::Error,
        kind: RuleKind::Locking,
        opt_in: false,
        summary: "`ADD UNIQUE` / `ADD PRIMARY KEY` not `USING INDEX`",
        check: unique_constraint_directly::check,
    },
    Rule {
        id: "rename-column",
        default: Severity::Error,
        kind: RuleKind::Locking,
        opt_in: false,
        summary: "`RENAME COLUMN`",
        check: rename_column::check,
    },
    Rule {
        id: "rename-table",
        default: Severity::Error,
        kind: RuleKind::Locking,
        opt_in: false,
        summary: "`RENAME TO` on a table",
        check: rename_table::check,
    },
    Rule {
        id: "column-type-change",
        default: Severity::Error,
        kind: RuleKind::Locking,
        opt_in: false,
        summary: "`ALTER COLUMN … TYPE` that rewrites or rechecks the table",
        check: column_type_change::check,
    },
    Rule {
        id: "volatile-default",
        default: Severity::Error,
        kind: RuleKind::Locking,
        opt_in: false,
        summary: "`ADD COLUMN … DEFAULT` volatile expression (rewrite)",
        check: volatile_default::check,
    },
    Rule {
        id: "drop-column",
        default: Severity::Warning,
        kind: RuleKind::Destructive,
        opt_in: false,
        summary: "`DROP COLUMN`",
        check: drop_column::check,
    },
    Rule {
        id: "drop-table",
        default: Severity::Warning,
        kind: RuleKind::Destructive,
        opt_in: false,
        summary: "`DROP TABLE`",
        check: drop_table::check,
    },
    Rule {
        id: "empty-downgrade",
        default: Severity::Error,
        kind: RuleKind::Always,
        opt_in: false,
        summary: "migration whose up changes schema but whose down is empty",
        check: empty_downgrade::check,
    },
    Rule {
        id: "unbatched-backfill",
        default: Severity::Warning,
        kind: RuleKind::Locking,
        opt_in: false,
        summary: "`UPDATE`/`DELETE` without `WHERE`, or over a whole large table",
        check: unbatched_backfill::check,
    },
    Rule {
        id: "missing-lock-timeout",
        default: Severity::Warning,
        kind: RuleKind::Locking,
        opt_in: false,
        summary: "a statement taking ACCESS EXCLUSIVE or SHARE ROW EXCLUSIVE with no `lock_timeout` in effect",
        check: missing_lock_timeout::check,
    },
    Rule {
        id: "table-rewrite",
        default: Severity::Error,
        kind: RuleKind::Locking,
        opt_in: false,
        summary: "`VACUUM FULL`, `CLUSTER`, `SET TABLESPACE`, `SET LOGGED/UNLOGGED`",
        check: table_rewrite::check,
    },
    Rule {
        id: "add-serial-or-identity",
        default: Severity::Error,
        kind: RuleKind::Locking,
        opt_in: false,
        summary: "adding a serial/identity/stored generated column",
        check: add_serial_or_identity::check,
    },
    Rule {
        id: "transaction-control",
        default: Severity::Error,
        kind: RuleKind::Always,
        opt_in: false,
        summary: "`BEGIN`/`COMMIT`/`ROLLBACK` inside a migration",
        check: transaction_control::check,
    },
    Rule {
        id: "mixed-nontransactional",
        default: Severity::Warning,
        kind: RuleKind::Always,
        opt_in: false,
        summary: "a non-transactional migration with more than one statement",
        check: mixed_nontransactional::check,
    },
    Rule {
        id: "prefer-jsonb",
        default: Severity::Warning,
        kind: RuleKind::Design,
        opt_in: false,
        summary: "`json` type (new tables too)",
        check: prefer_jsonb::check,
    },
    Rule {
        id: "prefer-timestamptz",
        default: Severity::Warning,
        kind: RuleKind::Design,
        opt_in: false,
        summary: "`timestamp without time zone` (new tables too)",
        check: prefer_timestamptz::check,
    },
    Rule {
        id: "prefer-text",
        default: Severity::Info,
        kind: RuleKind::Design,
        opt_in: false,
        summary: "`varchar(n)` / `char` / `char(n)` (new tables too)",
        check: prefer_text::check,
    },
    Rule {
        id: "float-for-money",
        default: Severity::Warning,
        kind: RuleKind::Design,
        opt_in: false,
        summary: "`real`/`double precision`/`float` on money-like names (new tables too)",
        check: float_for_money::check,
    },
    Rule {
        id: "prefer-bigint-pk",
        default: Severity::Info,
        kind: RuleKind::Design,
        opt_in: false,
        summary: "`int`/`serial` primary key (new tables too)",
        check: prefer_bigint_pk::check,
    },
    Rule {
        id: "fk-without-index",
        default: Severity::Warning,
        kind: RuleKind::Design,
        opt_in: false,
        summary: "a foreign key whose columns no index leads with (new tables too)",
        check: fk_without_index::check,
    },
    Rule {
        id: "table-without-primary-key",
        default: Severity::Warning,
        kind: RuleKind::Design,
        opt_in: false,
        summary: "`CREATE TABLE` without primary key",
        check: table_without_primary_key::check,
    },
    Rule {
        id: "modified-applied-migration",
        default: Severity::Error,
        kind: RuleKind::Always,
        opt_in: false,
        summary: "the file's checksum differs from the applied one (needs database)",
        check: modified_applied_migration::check,
    },
    Rule {
        id: "drop-database",
        default: Severity::Error,
        kind: RuleKind::Destructive,
        opt_in: false,
        summary: "`DROP DATABASE`",
        check: drop_database::check,
    },
    Rule {
        id: "drop-schema",
        default: Severity::Error,
        kind: RuleKind::Destructive,
        opt_in: false,
        summary: "`DROP SCHEMA … CASCADE`",
        check: drop_schema::check,
    },
    Rule {
        id: "truncate-cascade",
        default: Severity::Error,
        kind: RuleKind::Destructive,
        opt_in: false,
        summary: "`TRUNCATE … CASCADE`",
        check: truncate_cascade::check,
    },
    Rule {
        id: "drop-not-null",
        default: Severity::Warning,
        kind: RuleKind::Destructive,
        opt_in: false,
        summary: "`ALTER COLUMN … DROP NOT NULL`",
        check: drop_not_null::check,
    },
    Rule {
        id: "drop-foreign-key",
        default: Severity::Warning,
        kind: RuleKind::Destructive,
        opt_in: false,
        summary: "`DROP CONSTRAINT` of a foreign key",
        check: drop_foreign_key::check,
    },
    Rule {
        id: "enum-value-ordering",
        default: Severity::Warning,
        kind: RuleKind::Destructive,
        opt_in: false,
        summary: "`ALTER TYPE … ADD VALUE` without `BEFORE`/`AFTER`",
        check: enum_value_ordering::check,
    },
    Rule {
        id: "non-concurrent-reindex",
        default: Severity::Error,
        kind: RuleKind::Locking,
        opt_in: false,
        summary: "`REINDEX` without `CONCURRENTLY`",
        check: non_concurrent_reindex::check,
    },
    Rule {
        id: "non-concurrent-detach-partition",
        default: Severity::Warning,
        kind: RuleKind::Locking,
        opt_in: false,
        summary: "`DETACH PARTITION` without `CONCURRENTLY` (14+)",
        check: non_concurrent_detach_partition::check,
    },
    Rule {
        id: "domain-constraint",
        default: Severity::Warning,
        kind: RuleKind::Locking,
        opt_in: false,
        summary: "`CREATE DOMAIN … CHECK`, `ALTER DOMAIN … ADD CONSTRAINT` / `VALIDATE`",
        check: domain_constraint::check,
    },
    Rule {
        id: "requires-newer-postgres",
        default: Severity::Error,
        kind: RuleKind::Always,
        opt_in: false,
        summary: "syntax newer than the target `pg_version`",
        check: requires_newer_postgres::check,
    },
    Rule {
        id: "duplicate-column-assignment",
        default: Severity::Error,
        kind: RuleKind::Always,
        opt_in: false,
        summary: "a column assigned or declared twice in one statement",
        check: duplicate_column_assignment::check,
    },
    Rule {
        id: "prefer-robust-stmts",
        default: Severity::Warning,
        kind: RuleKind::Always,
        opt_in: false,
        summary: "a non-transactional migration's statement without `IF [NOT] EXISTS`",
        check: prefer_robust_stmts::check,
    },
    Rule {
        id: "identifier-too-long",
        default: Severity::Warning,
        kind: RuleKind::Design,
        opt_in: false,
        summary: "a name over 63 bytes (new tables too)",
        check: identifier_too_long::check,
    },
    Rule {
        id: "prefer-identity",
        default: Severity::Warning,
        kind: RuleKind::Design,
        opt_in: false,
        summary: "`serial` / `bigserial` column (new tables too)",
        check: prefer_identity::check,
    },
    Rule {
        id: "prefer-bigint",
        default: Severity::Warning,
        kind: RuleKind::Design,
        opt_in: true,
        summary: "`int`/`smallint` column that counts or references (opt-in)",
        check: prefer_bigint::check,
    },
    Rule {
        id: "require-table-schema",
        default: Severity::Warning,
        kind: RuleKind::Design,
        opt_in: true,
        summary: "`CREATE`/`ALTER`/`DROP TABLE` without a schema-qualified name (opt-in)",
        check: require_table_schema::check,
    },
    Rule {
        id: "naming-convention",
        default: Severity::Warning,
        kind: RuleKind::Design,
        opt_in: true,
        summary: "index or constraint name not matching `[lint.naming]` (opt-in)",
        check: naming_convention::check,
    },
];

/// Looks a rule up by id (the data-aware rules of `crate::data::RULES` too).
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().chain(crate::data::RULES).find(|r| r.id == id)
}

/// What a rule found, before the driver places and filters it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hit {
    /// Index of the statement in the section; `None` for the section as a whole.
    pub statement: Option<usize>,
    /// Byte offset in the section's text to point at (default: the statement's first token).
    pub location: Option<usize>,
    pub message: String,
    /// The lock taken and for how long (see `locks`).
    pub lock: Option<String>,
    /// The safe alternative, as SQL where there is one.
    pub help: Option<String>,
    /// The table the statement locks or changes (`schema.table` or `table`), for new-table and
    /// small-table handling.
    pub table: Option<String>,
    /// The object a destructive statement removes, for "a down undoing its own up".
    pub object: Option<Object>,
}

impl Hit {
    pub fn at(statement: usize, message: impl Into<String>) -> Hit {
        Hit {
            statement: Some(statement),
            message: message.into(),
            ..Hit::default()
        }
    }

    pub fn lock(mut self, lock: impl Into<String>) -> Hit {
        self.lock = Some(lock.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Hit {
        self.help = Some(help.into());
        self
    }

    pub fn table(mut self, table: impl Into<String>) -> Hit {
        self.table = Some(table.into());
        self
    }

    pub fn object(mut self, object: Object) -> Hit {
        self.object = Some(object);
        self
    }

    /// Points at a node's location (a byte offset in the section; negative = unknown).
    pub fn location(mut self, offset: i32) -> Hit {
        if offset >= 0 {
            self.location = Some(offset as usize);
        }
        self
    }
}

/// An object a migration creates or removes. Names as PostgreSQL resolved them (`schema.table`
/// when qualified).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Object {
    Table(String),
    Column(String, String),
    Index(String),
    Constraint(String, String),
    /// A schema, by name.
    Schema(String),
    /// A domain, enum or composite type (`schema.type` or `type`).
    Type(String),
}

/// Leading columns of indexes by bare table name: `(table as written, columns)`.
pub type IndexPrefixes = BTreeMap<String, Vec<(String, Vec<String>)>>;

/// Facts about a whole run that more than one section needs: computed once, on first use, so a
/// run of N files costs N, not N².
#[derive(Default)]
pub struct RunCache {
    /// Leading columns of every index, primary key and unique constraint of the run, by bare
    /// table name: `(table as written, columns)`.
    pub index_prefixes: std::sync::OnceLock<IndexPrefixes>,
}

/// A parsed section of a migration file, with its statements.
pub struct ParsedSection<'a> {
    pub section: &'a Section,
    pub statements: Vec<Statement>,
}

/// What a rule sees: one section, its file, and what is known about the target.
pub struct SectionCx<'a> {
    pub source: &'a Source,
    pub section: &'a Section,
    pub statements: &'a [Statement],
    /// Every section of the file that parsed (for rules that compare up and down).
    pub file: &'a [ParsedSection<'a>],
    /// Every up statement of the run, in order (this file's included).
    pub run: &'a [&'a Statement],
    /// Where each object was first created in the run (index of the file whose up created it).
    pub created_in_run: &'a BTreeMap<Object, usize>,
    /// Index of this file in the run.
    pub file_index: usize,
    /// Facts about the whole run, computed once by the first rule that needs them.
    pub cache: &'a RunCache,
    pub options: &'a Options,
}

impl SectionCx<'_> {
    pub fn is_down(&self) -> bool {
        self.section.kind == SectionKind::Down
    }

    /// The statements of the file's section of the given kind, when it parsed.
    pub fn sibling(&self, kind: SectionKind) -> Option<&[Statement]> {
        self.file
            .iter()
            .find(|p| p.section.kind == kind)
            .map(|p| p.statements.as_slice())
    }

    /// Whether an earlier file of the run created `object` and it is still new here (so nobody
    /// waits on it yet): only with a database connected that does not have it yet. Without a
    /// database, what an earlier migration created is an existing object for a later one.
    pub fn created_before_file(&self, object: &Object) -> bool {
        crate::driver::new_in_database(
            (self.created_in_run, self.file_index),
            self.options.existing.as_ref(),
            object,
        )
    }

    /// The text of statement `i` (for messages).
    pub fn sql(&self, i: usize) -> &str {
        &self.statements[i].sql
    }
}

#[cfg(test)]
pub(crate) mod test_support;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_complete() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in RULES {
            assert!(seen.insert(rule.id), "duplicate rule id {}", rule.id);
            assert!(
                rule.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                rule.id
            );
        }
        assert_eq!(RULES.len(), 45);
    }
}
