//! The linter's input: migration sections as text, and what is known about the target database.

use crate::finding::Severity;
use crate::rules::Object;
use std::collections::{BTreeMap, BTreeSet};

/// Which part of a migration a section is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionKind {
    Up,
    Down,
}

/// One section of SQL, as it stands in its file.
#[derive(Clone, Debug)]
pub struct Section {
    pub kind: SectionKind,
    pub sql: String,
    /// File line of the first line of `sql`.
    pub first_line: usize,
    /// Whether the section runs inside a transaction (strata `transaction on`, diesel
    /// `run_in_transaction = true`, ...). A section that strata would switch to non-transactional
    /// automatically is still `true` when its file did not say otherwise: the rule
    /// `concurrently-in-transaction` decides from this and the statements.
    pub transactional: bool,
    /// The file said explicitly that it runs outside a transaction.
    pub explicitly_non_transactional: bool,
}

/// One migration file (or up/down pair) to lint.
#[derive(Clone, Debug)]
pub struct Source {
    /// As displayed: `migrations/2026..._x.sql`.
    pub path: String,
    /// The revision id, when the file is a strata migration (for `modified-applied-migration`).
    pub revision: Option<String>,
    /// SHA-256 of the file (strata's normalised checksum), when known.
    pub checksum: Option<String>,
    /// The up section, then the down section when there is one. Each section may live in another
    /// file (diesel `up.sql`/`down.sql`): `section_paths` names it then.
    pub sections: Vec<Section>,
    /// Display path per section when it differs from `path` (same order as `sections`).
    pub section_paths: Vec<Option<String>>,
    /// The file has a down (or down file) at all; `false` for plain SQL files, where an absent down
    /// is not an `empty-downgrade`.
    pub has_down: bool,
    /// strata `-- strata:irreversible`: no down expected.
    pub irreversible: bool,
    /// Text outside the sections that may hold `-- strata:lint-ignore-file` (a strata file's
    /// header); empty when there is none.
    pub text: String,
}

impl Source {
    /// A plain SQL file: the whole text is the up, run in a transaction, no down expected.
    pub fn plain(path: impl Into<String>, sql: impl Into<String>) -> Source {
        Source {
            path: path.into(),
            revision: None,
            checksum: None,
            sections: vec![Section {
                kind: SectionKind::Up,
                sql: sql.into(),
                first_line: 1,
                transactional: true,
                explicitly_non_transactional: false,
            }],
            section_paths: vec![None],
            has_down: false,
            irreversible: false,
            text: String::new(),
        }
    }
}

impl Source {
    pub fn section_path(&self, index: usize) -> &str {
        self.section_paths
            .get(index)
            .and_then(|p| p.as_deref())
            .unwrap_or(&self.path)
    }
}

/// What the linter knows about the target.
#[derive(Clone, Debug)]
pub struct Options {
    /// `server_version_num` of the target (from the database, or `[lint] pg_version`).
    pub pg_version: u32,
    /// Estimated rows per table (`schema.table` and bare `table`), when a database is at hand.
    pub table_rows: Option<BTreeMap<String, f64>>,
    /// Locking rules on tables under this many estimated rows drop to `info`.
    pub small_table_rows: f64,
    /// Per-rule severity from `[lint]`; `None` turns a rule off.
    pub levels: BTreeMap<String, Option<Severity>>,
    /// strata sets `lock_timeout` for every migration (the environment configures one).
    pub lock_timeout_configured: bool,
    /// Checksums of applied revisions (from the history table), for `modified-applied-migration`.
    pub applied_checksums: BTreeMap<String, String>,
    /// `[lint.naming]`: the patterns names must match, for `naming-convention`.
    pub naming: Naming,
    /// What exists in the connected database; `None` without one. It decides what an earlier
    /// migration of the run created is still "new" for a later one: without a database, nothing
    /// is (the later migration may run long after, on a table full of rows); with one, what does
    /// not exist there yet (a first deploy that creates a table and then indexes it).
    pub existing: Option<Existing>,
    /// Answers to the data questions ([`crate::data::questions`]) that the caller ran against the
    /// database, for the `data-*` and `estimated-duration` findings. Empty without a database.
    pub data: crate::data::Answers,
}

/// A regular expression per kind of object whose names `naming-convention` checks; `None`: any
/// name.
#[derive(Clone, Debug, Default)]
pub struct Naming {
    pub index: Option<regex::Regex>,
    pub primary_key: Option<regex::Regex>,
    pub unique: Option<regex::Regex>,
    pub foreign_key: Option<regex::Regex>,
    pub check: Option<regex::Regex>,
}

impl Naming {
    /// The kinds of `[lint.naming]`, as its keys spell them.
    pub const KINDS: &'static [&'static str] =
        &["index", "primary_key", "unique", "foreign_key", "check"];

    /// Sets the pattern of a kind (one of [`Naming::KINDS`]); `false` for another kind.
    pub fn set(&mut self, kind: &str, pattern: regex::Regex) -> bool {
        let slot = match kind {
            "index" => &mut self.index,
            "primary_key" => &mut self.primary_key,
            "unique" => &mut self.unique,
            "foreign_key" => &mut self.foreign_key,
            "check" => &mut self.check,
            _ => return false,
        };
        *slot = Some(pattern);
        true
    }

    pub fn is_empty(&self) -> bool {
        [
            &self.index,
            &self.primary_key,
            &self.unique,
            &self.foreign_key,
            &self.check,
        ]
        .iter()
        .all(|p| p.is_none())
    }
}

/// The objects of the connected database, by the names the linter uses: `schema.name`, and bare
/// `name` for the schemas on the search path.
#[derive(Clone, Debug, Default)]
pub struct Existing {
    /// Tables, views, materialized views, indexes, sequences, foreign tables.
    pub relations: BTreeSet<String>,
    /// (relation, column) of tables.
    pub columns: BTreeSet<(String, String)>,
    /// (table, constraint name).
    pub constraints: BTreeSet<(String, String)>,
    /// Schemas.
    pub schemas: BTreeSet<String>,
    /// Domains, enums and composite types (`schema.type`, and bare `type` on the search path).
    pub types: BTreeSet<String>,
}

impl Existing {
    /// Whether the database has `object` already.
    pub fn contains(&self, object: &Object) -> bool {
        match object {
            Object::Table(t) | Object::Index(t) => self.relations.contains(t),
            Object::Column(t, c) => self.columns.contains(&(t.clone(), c.clone())),
            Object::Constraint(t, c) => self.constraints.contains(&(t.clone(), c.clone())),
            Object::Schema(name) => self.schemas.contains(name),
            Object::Type(name) => self.types.contains(name),
        }
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            pg_version: 150000,
            table_rows: None,
            small_table_rows: 10_000.0,
            levels: BTreeMap::new(),
            lock_timeout_configured: false,
            applied_checksums: BTreeMap::new(),
            naming: Naming::default(),
            existing: None,
            data: crate::data::Answers::default(),
        }
    }
}
