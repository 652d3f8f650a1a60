//! SQLite: the migration diff with the table-rebuild strategy, its up script, and
//! the DDL that re-creates a SQLite model. Reading the model from a database is
//! `strata_sqlite::introspect`.
//!
//! # The model of a SQLite database
//!
//! The same [`Schema`](crate::model::Schema) as for PostgreSQL, with SQLite's conventions:
//!
//! - **Names are unqualified** (`schema: None`): SQLite's `main` is the only schema strata manages,
//!   and SQLite refuses a qualified table name in `CREATE INDEX … ON`, `REFERENCES`, `CREATE
//!   TRIGGER … ON` and `RENAME TO`. SQLite compares names case-insensitively (ASCII), so does this
//!   diff.
//! - **Tables** hold their columns and, in [`Table::options`](crate::model::Table::options), `WITHOUT ROWID` and `STRICT`.
//!   A [`Column`](crate::model::Column)'s `data_type` is the declared type as written (empty when none; `type_name` is
//!   the same without its parenthesised size), `default` the default expression as written,
//!   `collation` the `COLLATE` name (upper case), and `generated` the text that follows
//!   `GENERATED ALWAYS AS`: `(<expr>) STORED` or `(<expr>) VIRTUAL`.
//! - **Constraints** are [`Constraint`](crate::model::Constraint)s as for PostgreSQL, although SQLite declares them inside
//!   `CREATE TABLE`. Their `definition` is canonical, as [`to_sql`] writes it:
//!   `PRIMARY KEY ("a", "b" DESC)`, `UNIQUE ("email" COLLATE "NOCASE") ON CONFLICT REPLACE`,
//!   `CHECK (<expr as written>)`, `FOREIGN KEY ("p") REFERENCES "parent" ("id") ON DELETE CASCADE
//!   DEFERRABLE INITIALLY DEFERRED` ([`foreign_key_definition`]). An `AUTOINCREMENT` key is
//!   `PRIMARY KEY AUTOINCREMENT` on its one column and is written on that column. Unnamed
//!   constraints get the name [`auto_constraint_name`] gives (`t_pkey`, `t_a_b_key`, `t_a_fkey`,
//!   `t_check`; a number is appended when taken), and `CONSTRAINT "…"` is written only for other
//!   names, so names survive a round trip.
//! - **Indexes** (those of `CREATE INDEX`; the automatic indexes of keys belong to their
//!   constraint): `columns` holds each indexed column as written (`"name" COLLATE "NOCASE" DESC`,
//!   or an expression), `predicate` the `WHERE` of a partial index, `definition` the canonical
//!   statement ([`index_definition`]).
//! - **Views and triggers** keep SQLite's own text (`sqlite_schema.sql`, the statement as it was
//!   written) in `definition`; a view's `depends_on` lists the tables and views its text names.
//!
//! # The diff
//!
//! What SQLite's `ALTER TABLE` can do is done with it: `RENAME TO`, `RENAME COLUMN` (from rename
//! hints), `ADD COLUMN` (a trailing column SQLite accepts: no key, no constraint, a constant
//! default, `VIRTUAL` if generated) and `DROP COLUMN` (a trailing column no constraint, index or
//! other column uses). Everything else — a type, nullability, default, collation or generated
//! expression, a constraint, `WITHOUT ROWID`/`STRICT`, column order — rebuilds the table
//! (<https://www.sqlite.org/lang_altertable.html#otheralter>): `"_strata_new_<t>"` is created
//! with the new definition, the rows of the columns both have are copied (with the `rowid` and
//! the `AUTOINCREMENT` counter), the old table dropped and the new one renamed.
//!
//! Migrations run in a transaction, where `PRAGMA foreign_keys` cannot be switched off. So every
//! rebuild starts with `PRAGMA defer_foreign_keys = ON` (until the commit), and the tables whose
//! foreign keys reference a rebuilt table are rebuilt with it, their copies referencing the new
//! copy: dropping the old parent then neither fires their `ON DELETE` actions nor leaves
//! violations behind, and renaming the copies (SQLite rewrites the references) leaves every
//! foreign key as it was. Indexes and triggers of rebuilt tables are dropped before and created
//! after; so are the views and triggers whose text names a table that is rebuilt, renamed, or
//! loses a column (SQLite re-checks them then). Adding a column leaves them be. Text that is the
//! same up to spelling (case, spaces, quotes) is the same: `int` to `INT` is no change.
//!
//! # Files
//!
//! - `mod.rs`: this description, and the public items re-exported.
//! - `lex.rs`: [`lex`], SQLite's tokens.
//! - `names.rs`: SQLite's case-insensitive names: a table or its constraints by name.
//! - `canonical.rs`: the canonical text of foreign keys ([`foreign_key_definition`]) and indexes
//!   ([`index_definition`]), and automatic constraint names ([`auto_constraint_name`]): what
//!   `strata_sqlite::introspect` normalises a model to and the rendering writes.
//! - `render.rs`: [`to_sql`] (the DDL of a model), `CREATE TABLE` of a table or of its rebuilt
//!   copy, and [`fn@render`] (the up script of a plan).
//! - `diff.rs`: [`fn@diff`]: the phases of a plan, what `ALTER TABLE` can do for a table, drops,
//!   creates, `DROP COLUMN` / `ADD COLUMN`, views, triggers and indexes.
//! - `renames.rs`: rename hints (`RENAME TO`, `RENAME COLUMN`) and what they rename in the model.
//! - `spelling.rs`: what is the same up to spelling (`int` / `INT`, `a>0` / `a > 0`, `x` /
//!   `"x"`): the old model takes the new one's text there, so the diff rebuilds nothing for it.
//! - `rebuild.rs`: the table rebuilds ([`REBUILD_PREFIX`]), one change per set of tables linked by
//!   foreign keys.
//!
//! Each module's unit tests sit at its end; `fixtures.rs` holds the models they share. The proof
//! that plans run is `crates/strata-sqlite/tests/diff.rs`.

mod canonical;
mod diff;
#[cfg(test)]
mod fixtures;
pub mod lex;
mod names;
mod rebuild;
mod renames;
mod render;
mod spelling;

pub use canonical::{auto_constraint_name, foreign_key_definition, index_definition};
pub use diff::diff;
pub use rebuild::REBUILD_PREFIX;
pub use render::{render, to_sql};
