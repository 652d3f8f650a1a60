//! SQLite (SPEC §6, §7): the migration diff with the table-rebuild strategy, its up script, and
//! the DDL that re-creates a SQLite model. Reading the model from a database is
//! `strata_sqlite::introspect`.
//!
//! # The model of a SQLite database
//!
//! The same [`Schema`] as for PostgreSQL, with SQLite's conventions:
//!
//! - **Names are unqualified** (`schema: None`): SQLite's `main` is the only schema strata manages,
//!   and SQLite refuses a qualified table name in `CREATE INDEX … ON`, `REFERENCES`, `CREATE
//!   TRIGGER … ON` and `RENAME TO`. SQLite compares names case-insensitively (ASCII), so does this
//!   diff.
//! - **Tables** hold their columns and, in [`Table::options`], `WITHOUT ROWID` and `STRICT`.
//!   A [`Column`]'s `data_type` is the declared type as written (empty when none; `type_name` is
//!   the same without its parenthesised size), `default` the default expression as written,
//!   `collation` the `COLLATE` name (upper case), and `generated` the text that follows
//!   `GENERATED ALWAYS AS`: `(<expr>) STORED` or `(<expr>) VIRTUAL`.
//! - **Constraints** are [`Constraint`]s as for PostgreSQL, although SQLite declares them inside
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
//! after; so are the views and triggers whose text names a table that is rebuilt, renamed or
//! altered (SQLite re-checks them on every `ALTER TABLE`).

use crate::diff::{Change, ChangeKind, DiffOptions, Hazard, Plan};
use crate::model::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use strata_core::{quote_ident, quote_literal, QualifiedName};

/// The prefix of the copy a table is rebuilt into.
pub const REBUILD_PREFIX: &str = "_strata_new_";

/// SQLite's tokens, enough to find the parts of a `CREATE` statement and the names an expression
/// uses. Whitespace and comments are skipped; every token keeps its place in the text.
pub mod lex {
    use std::collections::BTreeSet;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum TokenKind {
        /// A bare word: keyword or identifier.
        Word,
        /// `"…"`, `[…]` or `` `…` ``: an identifier.
        Quoted,
        /// `'…'`.
        String,
        /// `x'…'`.
        Blob,
        Number,
        /// `?`, `?1`, `:name`, `@name`, `$name`.
        Variable,
        /// Anything else: `(`, `)`, `,`, `.`, `;`, operators.
        Punct,
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Token<'a> {
        pub kind: TokenKind,
        pub text: &'a str,
        /// Byte offsets in the text.
        pub start: usize,
        pub end: usize,
    }

    impl Token<'_> {
        /// This bare word, ignoring case.
        pub fn is(&self, keyword: &str) -> bool {
            self.kind == TokenKind::Word && self.text.eq_ignore_ascii_case(keyword)
        }

        pub fn is_punct(&self, punct: &str) -> bool {
            self.kind == TokenKind::Punct && self.text == punct
        }

        /// The name a word or quoted identifier stands for (also a `'string'`, which SQLite
        /// accepts as a name in DDL).
        pub fn name(&self) -> Option<String> {
            match self.kind {
                TokenKind::Word => Some(self.text.to_owned()),
                TokenKind::Quoted | TokenKind::String => Some(dequote(self.text)),
                _ => None,
            }
        }
    }

    /// The text inside quotes, with doubled quotes undone.
    pub fn dequote(text: &str) -> String {
        let (open, close) = match text.as_bytes().first() {
            Some(b'"') => ('"', '"'),
            Some(b'\'') => ('\'', '\''),
            Some(b'`') => ('`', '`'),
            Some(b'[') => ('[', ']'),
            _ => return text.to_owned(),
        };
        let inner = &text[1..];
        let inner = inner.strip_suffix(close).unwrap_or(inner);
        if open == '[' {
            return inner.to_owned();
        }
        let doubled = format!("{close}{close}");
        inner.replace(&doubled, &close.to_string())
    }

    fn ident_byte(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
    }

    fn end_of_quoted(b: &[u8], open: usize, close: u8, doubling: bool) -> usize {
        let mut j = open + 1;
        while j < b.len() {
            if b[j] == close {
                if doubling && b.get(j + 1) == Some(&close) {
                    j += 2;
                    continue;
                }
                return j + 1;
            }
            j += 1;
        }
        b.len()
    }

    /// The tokens of `sql`.
    pub fn tokenize(sql: &str) -> Vec<Token<'_>> {
        let b = sql.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            let start = i;
            let kind = match c {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0c => {
                    i += 1;
                    continue;
                }
                b'-' if b.get(i + 1) == Some(&b'-') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    i += 2;
                    while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                        i += 1;
                    }
                    i = (i + 2).min(b.len());
                    continue;
                }
                b'\'' => {
                    i = end_of_quoted(b, i, b'\'', true);
                    TokenKind::String
                }
                b'"' => {
                    i = end_of_quoted(b, i, b'"', true);
                    TokenKind::Quoted
                }
                b'`' => {
                    i = end_of_quoted(b, i, b'`', true);
                    TokenKind::Quoted
                }
                b'[' => {
                    i = end_of_quoted(b, i, b']', false);
                    TokenKind::Quoted
                }
                b'x' | b'X' if b.get(i + 1) == Some(&b'\'') => {
                    i = end_of_quoted(b, i + 1, b'\'', false);
                    TokenKind::Blob
                }
                b'0'..=b'9' => {
                    i = number_end(b, i);
                    TokenKind::Number
                }
                b'.' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                    i = number_end(b, i);
                    TokenKind::Number
                }
                b'?' | b':' | b'@' | b'$' => {
                    i += 1;
                    while i < b.len() && ident_byte(b[i]) {
                        i += 1;
                    }
                    TokenKind::Variable
                }
                c if ident_byte(c) => {
                    while i < b.len() && ident_byte(b[i]) {
                        i += 1;
                    }
                    TokenKind::Word
                }
                _ => {
                    let rest = &sql[i..];
                    let len = ["->>", "||", "<=", ">=", "==", "!=", "<>", "<<", ">>", "->"]
                        .iter()
                        .find(|op| rest.starts_with(*op))
                        .map_or_else(
                            || rest.chars().next().map_or(1, char::len_utf8),
                            |op| op.len(),
                        );
                    i += len;
                    TokenKind::Punct
                }
            };
            out.push(Token {
                kind,
                text: &sql[start..i],
                start,
                end: i,
            });
        }
        out
    }

    fn number_end(b: &[u8], mut i: usize) -> usize {
        let hex = b[i] == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X'));
        while i < b.len() {
            let c = b[i];
            let exponent_sign = !hex && (c == b'+' || c == b'-') && matches!(b[i - 1], b'e' | b'E');
            if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || exponent_sign {
                i += 1;
            } else {
                break;
            }
        }
        i
    }

    /// The index of the `)` that closes the `(` at `open`.
    pub fn closing(tokens: &[Token<'_>], open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for (i, t) in tokens.iter().enumerate().skip(open) {
            if t.is_punct("(") {
                depth += 1;
            } else if t.is_punct(")") {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
        }
        None
    }

    /// `tokens` split at the commas outside parentheses.
    pub fn split_commas<'t, 'a>(tokens: &'t [Token<'a>]) -> Vec<&'t [Token<'a>]> {
        let mut out = Vec::new();
        let mut depth = 0usize;
        let mut start = 0;
        for (i, t) in tokens.iter().enumerate() {
            if t.is_punct("(") {
                depth += 1;
            } else if t.is_punct(")") {
                depth = depth.saturating_sub(1);
            } else if depth == 0 && t.is_punct(",") {
                out.push(&tokens[start..i]);
                start = i + 1;
            }
        }
        if start < tokens.len() || !out.is_empty() {
            out.push(&tokens[start..]);
        }
        out
    }

    /// Every name `sql` mentions (words and quoted identifiers), in lower case: what a view or
    /// trigger may depend on (a superset).
    pub fn identifiers(sql: &str) -> BTreeSet<String> {
        tokenize(sql)
            .iter()
            .filter(|t| matches!(t.kind, TokenKind::Word | TokenKind::Quoted))
            .filter_map(|t| t.name())
            .map(|n| n.to_ascii_lowercase())
            .collect()
    }
}

use lex::TokenKind;

fn lc(s: &str) -> String {
    s.to_ascii_lowercase()
}

fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn find_table<'a>(s: &'a Schema, name: &str) -> Option<&'a Table> {
    s.tables.iter().find(|t| same_name(&t.name.name, name))
}

fn table_ref(name: &str) -> ObjectRef {
    ObjectRef::new(ObjectKind::Table, QualifiedName::new(None, name))
}

fn kind_rank(kind: ConstraintKind) -> u8 {
    match kind {
        ConstraintKind::PrimaryKey => 0,
        ConstraintKind::Unique => 1,
        ConstraintKind::Check => 2,
        ConstraintKind::Exclusion => 3,
        ConstraintKind::ForeignKey => 4,
    }
}

/// The constraints of a table, in the order they are written: key, unique, checks, foreign keys,
/// each by name.
fn table_constraints<'a>(s: &'a Schema, table: &str) -> Vec<&'a Constraint> {
    let mut out: Vec<&Constraint> = s
        .constraints
        .iter()
        .filter(|c| same_name(&c.table.name, table))
        .collect();
    out.sort_by(|a, b| (kind_rank(a.kind), &a.name).cmp(&(kind_rank(b.kind), &b.name)));
    out
}

/// The name an unnamed constraint gets: `t_pkey`, `t_a_b_key`, `t_a_fkey`, `t_check` (as
/// PostgreSQL names them). When it is taken, the first free of `…1`, `…2`, ….
pub fn auto_constraint_name(table: &str, kind: ConstraintKind, columns: &[String]) -> String {
    let cols = columns.join("_");
    match kind {
        ConstraintKind::PrimaryKey => format!("{table}_pkey"),
        ConstraintKind::Unique => format!("{table}_{cols}_key"),
        ConstraintKind::ForeignKey => format!("{table}_{cols}_fkey"),
        ConstraintKind::Check | ConstraintKind::Exclusion => format!("{table}_check"),
    }
}

fn action_sql(action: ForeignKeyAction) -> Option<&'static str> {
    match action {
        ForeignKeyAction::NoAction => None,
        ForeignKeyAction::Restrict => Some("RESTRICT"),
        ForeignKeyAction::Cascade => Some("CASCADE"),
        ForeignKeyAction::SetNull => Some("SET NULL"),
        ForeignKeyAction::SetDefault => Some("SET DEFAULT"),
    }
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| quote_ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The canonical text of a foreign key: `FOREIGN KEY ("a") REFERENCES "t" ("id") ON DELETE
/// CASCADE ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED` (`NO ACTION` and `MATCH`, which
/// SQLite ignores, are left out; so is the column list when the key references the parent's
/// primary key implicitly).
pub fn foreign_key_definition(c: &Constraint) -> String {
    fk_clause(c, None)
}

fn fk_clause(c: &Constraint, target: Option<&str>) -> String {
    let Some(fk) = &c.foreign_key else {
        return c.definition.clone();
    };
    let mut out = format!(
        "FOREIGN KEY ({}) REFERENCES {}",
        quoted_list(&c.columns),
        quote_ident(target.unwrap_or(&fk.references.name))
    );
    if !fk.referenced_columns.is_empty() {
        let _ = write!(out, " ({})", quoted_list(&fk.referenced_columns));
    }
    if let Some(a) = action_sql(fk.on_delete) {
        let _ = write!(out, " ON DELETE {a}");
    }
    if let Some(a) = action_sql(fk.on_update) {
        let _ = write!(out, " ON UPDATE {a}");
    }
    if c.deferrable {
        out.push_str(if c.initially_deferred {
            " DEFERRABLE INITIALLY DEFERRED"
        } else {
            " DEFERRABLE INITIALLY IMMEDIATE"
        });
    }
    out
}

/// The canonical `CREATE [UNIQUE] INDEX "i" ON "t" (<columns>) [WHERE <predicate>]` of an index
/// (without the final `;`).
pub fn index_definition(i: &Index) -> String {
    let mut out = format!(
        "CREATE {}INDEX {} ON {} ({})",
        if i.unique { "UNIQUE " } else { "" },
        quote_ident(&i.name.name),
        quote_ident(&i.table.name),
        i.columns.join(", ")
    );
    if let Some(p) = &i.predicate {
        let _ = write!(out, " WHERE {p}");
    }
    out
}

fn is_autoincrement(c: &Constraint) -> bool {
    is_column_key(c) && c.definition.trim_end().ends_with("AUTOINCREMENT")
}

/// A primary key written on its column (`PRIMARY KEY AUTOINCREMENT`, or the `INTEGER PRIMARY KEY
/// DESC` that is not the rowid): its definition has no column list.
fn is_column_key(c: &Constraint) -> bool {
    c.kind == ConstraintKind::PrimaryKey && c.columns.len() == 1 && !c.definition.contains('(')
}

fn without_rowid(t: &Table) -> bool {
    t.options
        .iter()
        .any(|o| o.eq_ignore_ascii_case("WITHOUT ROWID"))
}

/// Whether a table's `INTEGER PRIMARY KEY` is its rowid.
fn has_rowid_alias(t: &Table, constraints: &[&Constraint]) -> bool {
    !without_rowid(t)
        && constraints.iter().any(|c| {
            c.kind == ConstraintKind::PrimaryKey
                && c.columns.len() == 1
                && !c.definition.contains(" DESC")
                && t.columns.iter().any(|col| {
                    same_name(&col.name, &c.columns[0])
                        && col.data_type.eq_ignore_ascii_case("INTEGER")
                })
        })
}

/// One column as `CREATE TABLE` and `ADD COLUMN` write it.
fn column_sql(c: &Column, inline: Option<&str>) -> String {
    let mut out = quote_ident(&c.name);
    if !c.data_type.is_empty() {
        out.push(' ');
        out.push_str(&c.data_type);
    }
    if let Some(key) = inline {
        out.push(' ');
        out.push_str(key);
    }
    if let Some(collation) = &c.collation {
        let _ = write!(out, " COLLATE {}", quote_ident(&collation.name));
    }
    if c.not_null {
        out.push_str(" NOT NULL");
    }
    if let Some(d) = &c.default {
        let _ = write!(out, " DEFAULT {d}");
    }
    if let Some(g) = &c.generated {
        let _ = write!(out, " GENERATED ALWAYS AS {g}");
    }
    out
}

/// `CREATE TABLE` for `t` under `name` (its own, or the name of its rebuilt copy), foreign keys
/// to the tables of `targets` (lower-case name → name) pointed at those names instead.
fn create_table_sql(
    t: &Table,
    constraints: &[&Constraint],
    name: &str,
    targets: &BTreeMap<String, String>,
) -> String {
    let table = &t.name.name;
    let named = |c: &Constraint, body: String| {
        if c.name == auto_constraint_name(table, c.kind, &c.columns) {
            body
        } else {
            format!("CONSTRAINT {} {body}", quote_ident(&c.name))
        }
    };
    let inline = constraints.iter().find(|c| is_column_key(c));
    let mut lines: Vec<String> = t
        .columns
        .iter()
        .map(|col| {
            let key = inline
                .filter(|c| same_name(&c.columns[0], &col.name))
                .map(|c| named(c, c.definition.clone()));
            format!("    {}", column_sql(col, key.as_deref()))
        })
        .collect();
    for c in constraints {
        if inline.is_some_and(|i| std::ptr::eq(*i, *c)) {
            continue;
        }
        let body = if c.kind == ConstraintKind::ForeignKey {
            let target = c
                .foreign_key
                .as_ref()
                .and_then(|fk| targets.get(&lc(&fk.references.name)));
            fk_clause(c, target.map(String::as_str))
        } else {
            c.definition.clone()
        };
        lines.push(format!("    {}", named(c, body)));
    }
    let mut out = format!(
        "CREATE TABLE {} (\n{}\n)",
        quote_ident(name),
        lines.join(",\n")
    );
    if !t.options.is_empty() {
        out.push(' ');
        out.push_str(&t.options.join(", "));
    }
    out.push(';');
    out
}

/// A statement from SQLite's own text (a view or trigger): `;` appended, on a line of its own when
/// the text ends in a line comment.
fn statement(definition: &str) -> String {
    let def = definition.trim_end();
    let last_line = def.rsplit('\n').next().unwrap_or(def);
    if last_line.contains("--") {
        format!("{def}\n;")
    } else {
        format!("{def};")
    }
}

fn index_sql(i: &Index) -> String {
    format!("{};", i.definition.trim_end())
}

/// Tables in an order where a table comes after the tables its foreign keys reference (cycles
/// broken by name), considering only `names` (lower case).
fn parents_first(schema: &Schema, names: &BTreeSet<String>) -> Vec<String> {
    let parents: BTreeMap<&String, BTreeSet<String>> = names
        .iter()
        .map(|n| {
            let ps = schema
                .constraints
                .iter()
                .filter(|c| same_name(&c.table.name, n))
                .filter_map(|c| c.foreign_key.as_ref())
                .map(|fk| lc(&fk.references.name))
                .filter(|p| p != n && names.contains(p))
                .collect();
            (n, ps)
        })
        .collect();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    while out.len() < names.len() {
        let ready = names
            .iter()
            .find(|n| !done.contains(*n) && parents[n].iter().all(|p| done.contains(p)))
            .or_else(|| names.iter().find(|n| !done.contains(*n)))
            .expect("a table is left")
            .clone();
        done.insert(ready.clone());
        out.push(ready);
    }
    out
}

/// Views in an order where a view comes after the views its text names.
fn views_in_order<'a>(views: &[&'a View]) -> Vec<&'a View> {
    let names: BTreeSet<String> = views.iter().map(|v| lc(&v.name.name)).collect();
    let uses: Vec<BTreeSet<String>> = views
        .iter()
        .map(|v| {
            let mut ids = lex::identifiers(&v.definition);
            ids.remove(&lc(&v.name.name));
            ids.retain(|i| names.contains(i));
            ids
        })
        .collect();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    let mut left: Vec<usize> = (0..views.len()).collect();
    while !left.is_empty() {
        let pos = left
            .iter()
            .position(|&i| uses[i].iter().all(|u| done.contains(u)))
            .unwrap_or(0);
        let i = left.remove(pos);
        done.insert(lc(&views[i].name.name));
        out.push(views[i]);
    }
    out
}

/// The DDL that re-creates `schema` in an empty SQLite database: tables (referenced tables
/// first), indexes, views (in dependency order), triggers.
pub fn to_sql(schema: &Schema) -> String {
    let mut out = String::from("-- Schema generated by strata (inspect --format sql, SQLite).\n");
    let counts: Vec<String> = schema
        .counts()
        .iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect();
    if !counts.is_empty() {
        let _ = writeln!(out, "-- {}", counts.join(", "));
    }
    let names: BTreeSet<String> = schema.tables.iter().map(|t| lc(&t.name.name)).collect();
    let tables = parents_first(schema, &names).into_iter().filter_map(|n| {
        let t = find_table(schema, &n)?;
        Some(create_table_sql(
            t,
            &table_constraints(schema, &t.name.name),
            &t.name.name,
            &BTreeMap::new(),
        ))
    });
    section(&mut out, "tables", tables);
    let mut indexes: Vec<&Index> = schema.indexes.iter().collect();
    indexes.sort_by_key(|i| lc(&i.name.name));
    section(&mut out, "indexes", indexes.into_iter().map(index_sql));
    let views: Vec<&View> = schema.views.iter().collect();
    section(
        &mut out,
        "views",
        views_in_order(&views)
            .into_iter()
            .map(|v| statement(&v.definition)),
    );
    let mut triggers: Vec<&Trigger> = schema.triggers.iter().collect();
    triggers.sort_by_key(|t| lc(&t.name));
    section(
        &mut out,
        "triggers",
        triggers.into_iter().map(|t| statement(&t.definition)),
    );
    out
}

fn section(out: &mut String, title: &str, statements: impl IntoIterator<Item = String>) {
    let mut first = true;
    for s in statements {
        if first {
            let _ = write!(out, "\n-- {title}\n\n");
            first = false;
        }
        out.push_str(&s);
        out.push('\n');
    }
}

/// The up script of a SQLite `plan`, for `sqlite3` or strata's own run (which wraps it in a
/// transaction): each hazardous change preceded by `-- hazard: <id>: <message>`, destructive
/// changes commented out unless `allow_destructive`.
pub fn render(plan: &Plan, allow_destructive: bool) -> String {
    let mut out = String::from("-- Migration generated by strata (diff, SQLite).\n");
    crate::diff::render_changes(&mut out, plan, allow_destructive);
    out
}

// ---------------------------------------------------------------------------------------------
// The diff.

/// Plan order. Views and triggers that go are dropped first, before renames (their text names
/// the old names); indexes after renames. Tables are dropped after the rebuilds (the tables that
/// referenced them are rebuilt without those foreign keys first: dropping a parent fires its
/// children's `ON DELETE` actions), but before them when they reference a rebuilt table (dropping
/// the old parent would fire theirs). Tables are created before the rebuilds (rebuilt tables may
/// reference them), after them when they reference a rebuilt table. Indexes, views and triggers
/// are created last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    DropTrigger,
    DropView,
    Rename,
    DropIndex,
    DropTable,
    DropColumn,
    CreateTable,
    AddColumn,
    Rebuild,
    DropTableAfterRebuild,
    CreateTableAfterRebuild,
    CreateIndex,
    CreateView,
    CreateTrigger,
}

fn change(kind: ChangeKind, object: ObjectRef, up: Vec<String>, down: Vec<String>) -> Change {
    Change {
        kind,
        object,
        column: None,
        up,
        down,
        hazards: Vec::new(),
        non_transactional: false,
        destructive: false,
    }
}

fn hazard(id: &'static str, message: String) -> Hazard {
    Hazard { id, message }
}

/// Words that are never a column in an expression.
const KEYWORDS: &[&str] = &[
    "and", "or", "not", "null", "is", "in", "like", "glob", "regexp", "match", "between", "case",
    "when", "then", "else", "end", "cast", "as", "collate", "asc", "desc", "escape", "exists",
    "select", "from", "where", "distinct", "isnull", "notnull",
];

/// `text` with every use of the name `old` (a word or quoted identifier, not a function name or
/// a collation) replaced by `new`, quoted: what SQLite's `RENAME COLUMN` does to expressions.
fn rename_identifiers(text: &str, old: &str, new: &str) -> String {
    let tokens = lex::tokenize(text);
    let mut out = String::new();
    let mut last = 0;
    for (i, t) in tokens.iter().enumerate() {
        let matches = match t.kind {
            TokenKind::Quoted => same_name(&lex::dequote(t.text), old),
            TokenKind::Word => same_name(t.text, old) && !KEYWORDS.contains(&lc(t.text).as_str()),
            _ => false,
        };
        let call = tokens.get(i + 1).is_some_and(|n| n.is_punct("("));
        let collation = i > 0 && tokens[i - 1].is("COLLATE");
        if matches && !call && !collation {
            out.push_str(&text[last..t.start]);
            out.push_str(&quote_ident(new));
            last = t.end;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// [`rename_identifiers`] inside the first parenthesised group of a constraint definition only
/// (`PRIMARY KEY (…)`, `UNIQUE (…) ON CONFLICT …`, `CHECK (…)`).
fn rename_in_group(definition: &str, old: &str, new: &str) -> String {
    let tokens = lex::tokenize(definition);
    let Some(open) = tokens.iter().position(|t| t.is_punct("(")) else {
        return definition.to_owned();
    };
    let Some(close) = lex::closing(&tokens, open) else {
        return definition.to_owned();
    };
    let (a, b) = (tokens[open].start, tokens[close].end);
    format!(
        "{}{}{}",
        &definition[..a],
        rename_identifiers(&definition[a..b], old, new),
        &definition[b..]
    )
}

/// Whether `name` is `base` or `base` followed by digits; the digits.
fn auto_suffix<'a>(name: &'a str, base: &str) -> Option<&'a str> {
    let rest = name.strip_prefix(base)?;
    rest.bytes().all(|b| b.is_ascii_digit()).then_some(rest)
}

/// Renames a table in the working copy of the old model as SQLite's `RENAME TO` does: its
/// constraints (and their automatic names), the foreign keys that reference it, its indexes.
fn rename_table_in(s: &mut Schema, old: &str, new: &str) {
    for t in &mut s.tables {
        if same_name(&t.name.name, old) {
            t.name.name = new.to_owned();
        }
    }
    for c in &mut s.constraints {
        if same_name(&c.table.name, old) {
            let base = auto_constraint_name(&c.table.name, c.kind, &c.columns);
            c.table.name = new.to_owned();
            if let Some(suffix) = auto_suffix(&c.name, &base) {
                c.name = format!("{}{suffix}", auto_constraint_name(new, c.kind, &c.columns));
            }
        }
        let references = c
            .foreign_key
            .as_mut()
            .filter(|fk| same_name(&fk.references.name, old));
        if let Some(fk) = references {
            fk.references.name = new.to_owned();
            c.definition = foreign_key_definition(c);
        }
    }
    for i in &mut s.indexes {
        if same_name(&i.table.name, old) {
            i.table.name = new.to_owned();
            i.definition = index_definition(i);
        }
    }
}

/// Renames a column in the working copy as SQLite's `RENAME COLUMN` does.
fn rename_column_in(s: &mut Schema, table: &str, old: &str, new: &str) {
    let rename = |names: &mut Vec<String>| {
        for n in names.iter_mut() {
            if same_name(n, old) {
                *n = new.to_owned();
            }
        }
    };
    if let Some(t) = s.tables.iter_mut().find(|t| same_name(&t.name.name, table)) {
        for c in &mut t.columns {
            if same_name(&c.name, old) {
                c.name = new.to_owned();
            }
            if let Some(g) = &c.generated {
                c.generated = Some(rename_identifiers(g, old, new));
            }
        }
    }
    for c in &mut s.constraints {
        let own = same_name(&c.table.name, table);
        let referencing = c
            .foreign_key
            .as_ref()
            .is_some_and(|fk| same_name(&fk.references.name, table));
        if own {
            let base = auto_constraint_name(&c.table.name, c.kind, &c.columns);
            rename(&mut c.columns);
            if let Some(suffix) = auto_suffix(&c.name, &base) {
                c.name = format!(
                    "{}{suffix}",
                    auto_constraint_name(&c.table.name, c.kind, &c.columns)
                );
            }
            if c.kind != ConstraintKind::ForeignKey {
                c.definition = rename_in_group(&c.definition, old, new);
            }
        }
        if referencing {
            if let Some(fk) = &mut c.foreign_key {
                rename(&mut fk.referenced_columns);
            }
        }
        if c.kind == ConstraintKind::ForeignKey && (own || referencing) {
            c.definition = foreign_key_definition(c);
        }
    }
    for i in &mut s.indexes {
        if same_name(&i.table.name, table) {
            for col in &mut i.columns {
                *col = rename_identifiers(col, old, new);
            }
            if let Some(p) = &i.predicate {
                i.predicate = Some(rename_identifiers(p, old, new));
            }
            i.definition = index_definition(i);
        }
    }
}

/// A default `ADD COLUMN` accepts: a literal, a signed number, NULL, TRUE or FALSE.
fn constant_default(text: &str) -> bool {
    let tokens = lex::tokenize(text);
    match tokens.as_slice() {
        [t] => match t.kind {
            TokenKind::String | TokenKind::Number | TokenKind::Blob => true,
            TokenKind::Word => ["null", "true", "false"].contains(&lc(t.text).as_str()),
            _ => false,
        },
        [sign, n] => (sign.is_punct("+") || sign.is_punct("-")) && n.kind == TokenKind::Number,
        _ => false,
    }
}

/// Whether a constraint of the table, or another column's generated expression, uses `column`.
fn column_used(column: &str, t: &Table, constraints: &[&Constraint]) -> bool {
    let name = lc(column);
    constraints.iter().any(|c| {
        c.columns.iter().any(|x| same_name(x, column))
            || (c.kind == ConstraintKind::Check && lex::identifiers(&c.definition).contains(&name))
    }) || t.columns.iter().any(|c| {
        !same_name(&c.name, column)
            && c.generated
                .as_ref()
                .is_some_and(|g| lex::identifiers(g).contains(&name))
    })
}

/// Whether `ALTER TABLE … ADD COLUMN` can add this column to the table as it is in `constraints`.
fn addable(c: &Column, t: &Table, constraints: &[&Constraint]) -> bool {
    if let Some(g) = &c.generated {
        if c.not_null || !g.trim_end().to_ascii_uppercase().ends_with("VIRTUAL") {
            return false;
        }
    }
    match &c.default {
        None => {
            if c.not_null {
                return false;
            }
        }
        Some(d) => {
            if !constant_default(d) || (c.not_null && d.trim().eq_ignore_ascii_case("null")) {
                return false;
            }
        }
    }
    !column_used(&c.name, t, constraints)
}

/// How a table that both models hold changes.
enum TableChange<'a> {
    Same,
    /// `DROP COLUMN` of trailing columns, then `ADD COLUMN` of trailing columns.
    Alter {
        dropped: Vec<&'a Column>,
        added: Vec<&'a Column>,
    },
    Rebuild,
}

fn classify<'a>(
    old: &'a Table,
    old_constraints: &[&Constraint],
    new: &'a Table,
    new_constraints: &[&Constraint],
) -> TableChange<'a> {
    let same_constraints = old_constraints == new_constraints;
    if old == new && same_constraints {
        return TableChange::Same;
    }
    if old.name.name != new.name.name || old.options != new.options || !same_constraints {
        return TableChange::Rebuild;
    }
    let has = |t: &Table, n: &str| t.columns.iter().any(|c| same_name(&c.name, n));
    let kept_old: Vec<&Column> = old.columns.iter().filter(|c| has(new, &c.name)).collect();
    let kept_new: Vec<&Column> = new.columns.iter().filter(|c| has(old, &c.name)).collect();
    let dropped: Vec<&Column> = old.columns.iter().filter(|c| !has(new, &c.name)).collect();
    let added: Vec<&Column> = new.columns.iter().filter(|c| !has(old, &c.name)).collect();
    let trailing = |all: &[Column], kept: &[&Column]| {
        all.iter().take(kept.len()).zip(kept).all(|(a, b)| a == *b)
    };
    let alterable = kept_old == kept_new
        && !kept_old.is_empty()
        && trailing(&old.columns, &kept_old)
        && trailing(&new.columns, &kept_new)
        && added.iter().all(|c| addable(c, new, new_constraints))
        // A dropped column must be droppable, and addable back for the down.
        && dropped.iter().all(|c| addable(c, old, old_constraints));
    if alterable {
        TableChange::Alter { dropped, added }
    } else {
        TableChange::Rebuild
    }
}

struct Diff<'s> {
    /// The old model after the renames: what the database holds once they ran.
    state: Schema,
    from: &'s Schema,
    to: &'s Schema,
    /// Lower-case name in `state` → lower-case name in `from`.
    origin: BTreeMap<String, String>,
    /// Tables (lower-case names in `from`) whose views and triggers must be re-created.
    touched: BTreeSet<String>,
    out: Vec<(Phase, Change)>,
}

/// The changes that turn the SQLite model `from` into `to`, each with the statements that undo
/// it (applied in reverse order, the downs restore `from`).
pub fn diff(from: &Schema, to: &Schema, opts: &DiffOptions) -> Plan {
    let mut d = Diff {
        state: from.clone(),
        from,
        to,
        origin: from
            .tables
            .iter()
            .map(|t| (lc(&t.name.name), lc(&t.name.name)))
            .collect(),
        touched: BTreeSet::new(),
        out: Vec::new(),
    };
    d.renames(opts);
    d.tables();
    d.out.sort_by_key(|(phase, _)| *phase);
    Plan {
        changes: d.out.into_iter().map(|(_, c)| c).collect(),
    }
}

impl Diff<'_> {
    fn push(&mut self, phase: Phase, c: Change) {
        self.out.push((phase, c));
    }

    fn renames(&mut self, opts: &DiffOptions) {
        for (old, new) in &opts.renames {
            let old = old.strip_prefix("main.").unwrap_or(old);
            // A table: the old name is a table now, the new one a table of `to` only.
            if let (Some(t), Some(target)) =
                (find_table(&self.state, old), find_table(self.to, new))
            {
                if find_table(&self.state, new).is_none() {
                    let (old_name, new_name) = (t.name.name.clone(), target.name.name.clone());
                    rename_table_in(&mut self.state, &old_name, &new_name);
                    let origin = self.origin.remove(&lc(&old_name)).unwrap_or(lc(&old_name));
                    self.touched.insert(origin.clone());
                    self.origin.insert(lc(&new_name), origin);
                    let rename = |a: &str, b: &str| {
                        format!(
                            "ALTER TABLE {} RENAME TO {};",
                            quote_ident(a),
                            quote_ident(b)
                        )
                    };
                    self.push(
                        Phase::Rename,
                        change(
                            ChangeKind::RenameTable,
                            table_ref(&old_name),
                            vec![rename(&old_name, &new_name)],
                            vec![rename(&new_name, &old_name)],
                        ),
                    );
                    continue;
                }
            }
            let Some((table, column)) = old.rsplit_once('.') else {
                continue;
            };
            let Some(t) = find_table(&self.state, table) else {
                continue;
            };
            let Some(target) = find_table(self.to, &t.name.name) else {
                continue;
            };
            let (Some(oc), Some(nc)) = (
                t.columns.iter().find(|c| same_name(&c.name, column)),
                target.columns.iter().find(|c| same_name(&c.name, new)),
            ) else {
                continue;
            };
            if t.columns.iter().any(|c| same_name(&c.name, new)) {
                continue;
            }
            let (table, old_col, new_col) = (t.name.name.clone(), oc.name.clone(), nc.name.clone());
            rename_column_in(&mut self.state, &table, &old_col, &new_col);
            let origin = self.origin.get(&lc(&table)).cloned().unwrap_or(lc(&table));
            self.touched.insert(origin);
            let rename = |a: &str, b: &str| {
                format!(
                    "ALTER TABLE {} RENAME COLUMN {} TO {};",
                    quote_ident(&table),
                    quote_ident(a),
                    quote_ident(b)
                )
            };
            let mut c = change(
                ChangeKind::RenameColumn,
                table_ref(&table),
                vec![rename(&old_col, &new_col)],
                vec![rename(&new_col, &old_col)],
            );
            c.column = Some(old_col);
            self.push(Phase::Rename, c);
        }
    }

    fn tables(&mut self) {
        let state = self.state.clone();
        let to = self.to;
        let names = |s: &Schema| -> BTreeSet<String> {
            s.tables.iter().map(|t| lc(&t.name.name)).collect()
        };
        let (old_names, new_names) = (names(&state), names(to));
        let dropped: BTreeSet<String> = old_names.difference(&new_names).cloned().collect();
        let created: BTreeSet<String> = new_names.difference(&old_names).cloned().collect();

        // What each table that stays needs.
        let mut rebuild: BTreeSet<String> = BTreeSet::new();
        let mut alters: Vec<(String, Vec<Column>, Vec<Column>)> = Vec::new();
        for name in old_names.intersection(&new_names) {
            let (old, new) = (
                find_table(&state, name).expect("listed"),
                find_table(to, name).expect("listed"),
            );
            match classify(
                old,
                &table_constraints(&state, name),
                new,
                &table_constraints(to, name),
            ) {
                TableChange::Same => {}
                TableChange::Rebuild => {
                    rebuild.insert(name.clone());
                }
                TableChange::Alter { dropped, added } => alters.push((
                    name.clone(),
                    dropped.into_iter().cloned().collect(),
                    added.into_iter().cloned().collect(),
                )),
            }
        }
        // Tables whose foreign keys reference a rebuilt table are rebuilt with it.
        let mut group = rebuild.clone();
        loop {
            let more: BTreeSet<String> = state
                .constraints
                .iter()
                .filter_map(|c| {
                    let fk = c.foreign_key.as_ref()?;
                    let child = lc(&c.table.name);
                    (group.contains(&lc(&fk.references.name))
                        && !group.contains(&child)
                        && new_names.contains(&child))
                    .then_some(child)
                })
                .collect();
            if more.is_empty() {
                break;
            }
            group.extend(more);
        }
        alters.retain(|(name, _, _)| !group.contains(name));

        for name in dropped
            .iter()
            .chain(&group)
            .chain(alters.iter().map(|a| &a.0))
        {
            let origin = self.origin.get(name).cloned().unwrap_or(name.clone());
            self.touched.insert(origin);
        }
        self.views_and_triggers();
        self.indexes(&group, &dropped);

        // Dropped tables, referencing tables first.
        let references_group: BTreeSet<String> = state
            .constraints
            .iter()
            .filter(|c| {
                c.foreign_key
                    .as_ref()
                    .is_some_and(|fk| group.contains(&lc(&fk.references.name)))
            })
            .map(|c| lc(&c.table.name))
            .collect();
        for name in parents_first(&state, &dropped).into_iter().rev() {
            let t = find_table(&state, &name).expect("listed");
            let down = create_table_sql(
                t,
                &table_constraints(&state, &name),
                &t.name.name,
                &BTreeMap::new(),
            );
            let mut c = change(
                ChangeKind::DropTable,
                table_ref(&t.name.name),
                vec![format!("DROP TABLE {};", quote_ident(&t.name.name))],
                vec![down],
            );
            c.hazards.push(hazard(
                "data-loss",
                format!(
                    "table {} is dropped with its rows",
                    quote_ident(&t.name.name)
                ),
            ));
            let shape = |t: &Table| -> Vec<(String, String)> {
                t.columns
                    .iter()
                    .map(|c| (lc(&c.name), c.data_type.clone()))
                    .collect()
            };
            if let Some(n) = created
                .iter()
                .filter_map(|n| find_table(to, n))
                .find(|n| shape(n) == shape(t))
            {
                c.hazards.push(hazard(
                    "possible-rename",
                    format!(
                        "{} dropped and {} created with the same columns: a rename? (--rename {}={})",
                        quote_ident(&t.name.name),
                        quote_ident(&n.name.name),
                        t.name.name,
                        n.name.name
                    ),
                ));
            }
            c.destructive = true;
            let phase = if references_group.contains(&name) {
                Phase::DropTable
            } else {
                Phase::DropTableAfterRebuild
            };
            self.push(phase, c);
        }

        // Created tables, referenced tables first; after the rebuilds when they reference a
        // rebuilt table (and no rebuilt table references them).
        let referenced_by_group: BTreeSet<String> = to
            .constraints
            .iter()
            .filter(|c| group.contains(&lc(&c.table.name)))
            .filter_map(|c| c.foreign_key.as_ref())
            .map(|fk| lc(&fk.references.name))
            .collect();
        for name in parents_first(to, &created) {
            let t = find_table(to, &name).expect("listed");
            let constraints = table_constraints(to, &name);
            let late = !referenced_by_group.contains(&name)
                && constraints.iter().any(|c| {
                    c.foreign_key
                        .as_ref()
                        .is_some_and(|fk| group.contains(&lc(&fk.references.name)))
                });
            self.push(
                if late {
                    Phase::CreateTableAfterRebuild
                } else {
                    Phase::CreateTable
                },
                change(
                    ChangeKind::CreateTable,
                    table_ref(&t.name.name),
                    vec![create_table_sql(
                        t,
                        &constraints,
                        &t.name.name,
                        &BTreeMap::new(),
                    )],
                    vec![format!("DROP TABLE {};", quote_ident(&t.name.name))],
                ),
            );
        }

        // ALTER TABLE … DROP COLUMN / ADD COLUMN.
        for (name, dropped_cols, added_cols) in &alters {
            let t = quote_ident(&find_table(to, name).expect("listed").name.name);
            let old_t = find_table(&state, name).expect("listed");
            // Last column first, so that the downs add them back in order.
            for c in dropped_cols.iter().rev() {
                let mut ch = change(
                    ChangeKind::DropColumn,
                    table_ref(&old_t.name.name),
                    vec![format!(
                        "ALTER TABLE {t} DROP COLUMN {};",
                        quote_ident(&c.name)
                    )],
                    vec![format!(
                        "ALTER TABLE {t} ADD COLUMN {};",
                        column_sql(c, None)
                    )],
                );
                ch.column = Some(c.name.clone());
                ch.hazards.push(hazard(
                    "data-loss",
                    format!(
                        "column {t}.{} is dropped with its values",
                        quote_ident(&c.name)
                    ),
                ));
                if let Some(a) = added_cols.iter().find(|a| a.data_type == c.data_type) {
                    ch.hazards.push(possible_rename(&old_t.name.name, c, a));
                }
                ch.destructive = true;
                self.push(Phase::DropColumn, ch);
            }
            for c in added_cols {
                let mut ch = change(
                    ChangeKind::AddColumn,
                    table_ref(&old_t.name.name),
                    vec![format!(
                        "ALTER TABLE {t} ADD COLUMN {};",
                        column_sql(c, None)
                    )],
                    vec![format!(
                        "ALTER TABLE {t} DROP COLUMN {};",
                        quote_ident(&c.name)
                    )],
                );
                ch.column = Some(c.name.clone());
                if let Some(d) = dropped_cols.iter().find(|d| d.data_type == c.data_type) {
                    ch.hazards.push(hazard(
                        "possible-rename",
                        format!(
                            "{} added and {} dropped with the same type: a rename?",
                            quote_ident(&c.name),
                            quote_ident(&d.name)
                        ),
                    ));
                }
                self.push(Phase::AddColumn, ch);
            }
        }

        // Rebuilds: one change per set of tables linked by foreign keys.
        for members in components(&state, to, &group) {
            let c = rebuild_change(&state, to, &members, &rebuild);
            self.push(Phase::Rebuild, c);
        }
    }

    /// Views and triggers: those that go, change, or name a touched table (or a view that goes)
    /// are dropped first (from `from`, before the renames) and created last (from `to`).
    fn views_and_triggers(&mut self) {
        let (from, to) = (self.from, self.to);
        let by_name = |views: &'_ [View]| -> BTreeMap<String, usize> {
            views
                .iter()
                .enumerate()
                .map(|(i, v)| (lc(&v.name.name), i))
                .collect()
        };
        let (fv, tv) = (by_name(&from.views), by_name(&to.views));
        let mentions = |sql: &str, names: &BTreeSet<String>| {
            lex::identifiers(sql).iter().any(|i| names.contains(i))
        };
        let mut gone: BTreeSet<String> = fv
            .iter()
            .filter(|(name, &i)| {
                let v = &from.views[i];
                tv.get(*name).is_none_or(|&j| {
                    let n = &to.views[j];
                    n.name.name != v.name.name || n.definition != v.definition
                }) || mentions(&v.definition, &self.touched)
            })
            .map(|(name, _)| name.clone())
            .collect();
        loop {
            let more: Vec<String> = fv
                .iter()
                .filter(|(name, _)| !gone.contains(*name))
                .filter(|(name, &i)| {
                    let mut ids = lex::identifiers(&from.views[i].definition);
                    ids.remove(*name);
                    ids.iter().any(|x| gone.contains(x))
                })
                .map(|(name, _)| name.clone())
                .collect();
            if more.is_empty() {
                break;
            }
            gone.extend(more);
        }
        let dropped_views: Vec<&View> = gone.iter().map(|n| &from.views[fv[n]]).collect();
        for v in views_in_order(&dropped_views).into_iter().rev() {
            self.push(
                Phase::DropView,
                change(
                    ChangeKind::DropView,
                    v.key(),
                    vec![format!("DROP VIEW {};", quote_ident(&v.name.name))],
                    vec![statement(&v.definition)],
                ),
            );
        }
        let created_views: Vec<&View> = to
            .views
            .iter()
            .filter(|v| {
                let k = lc(&v.name.name);
                !fv.contains_key(&k) || gone.contains(&k)
            })
            .collect();
        for v in views_in_order(&created_views) {
            self.push(
                Phase::CreateView,
                change(
                    ChangeKind::CreateView,
                    v.key(),
                    vec![statement(&v.definition)],
                    vec![format!("DROP VIEW {};", quote_ident(&v.name.name))],
                ),
            );
        }

        // Triggers (names are unique in a database, not per table).
        let mut reasons = self.touched.clone();
        reasons.extend(gone.iter().cloned());
        let by_trigger_name = |ts: &'_ [Trigger]| -> BTreeMap<String, usize> {
            ts.iter()
                .enumerate()
                .map(|(i, t)| (lc(&t.name), i))
                .collect()
        };
        let (ft, tt) = (
            by_trigger_name(&from.triggers),
            by_trigger_name(&to.triggers),
        );
        let mut dropped_triggers: BTreeSet<String> = BTreeSet::new();
        for (name, &i) in &ft {
            let x = &from.triggers[i];
            let goes = tt.get(name).is_none_or(|&j| {
                let n = &to.triggers[j];
                n.name != x.name || n.definition != x.definition || n.table != x.table
            }) || reasons.contains(&lc(&x.table.name))
                || mentions(&x.definition, &reasons);
            if goes {
                dropped_triggers.insert(name.clone());
                self.push(
                    Phase::DropTrigger,
                    change(
                        ChangeKind::DropTrigger,
                        x.key(),
                        vec![format!("DROP TRIGGER {};", quote_ident(&x.name))],
                        vec![statement(&x.definition)],
                    ),
                );
            }
        }
        for (name, &j) in &tt {
            let x = &to.triggers[j];
            if !ft.contains_key(name) || dropped_triggers.contains(name) {
                self.push(
                    Phase::CreateTrigger,
                    change(
                        ChangeKind::CreateTrigger,
                        x.key(),
                        vec![statement(&x.definition)],
                        vec![format!("DROP TRIGGER {};", quote_ident(&x.name))],
                    ),
                );
            }
        }
    }

    /// Indexes that go or change, and all those of rebuilt tables, are dropped (after the
    /// renames) and created (after the tables).
    fn indexes(&mut self, group: &BTreeSet<String>, dropped_tables: &BTreeSet<String>) {
        let by_name = |s: &Schema| -> BTreeMap<String, Index> {
            s.indexes
                .iter()
                .map(|i| (lc(&i.name.name), i.clone()))
                .collect()
        };
        let (f, t) = (by_name(&self.state), by_name(self.to));
        for (name, i) in &f {
            let table = lc(&i.table.name);
            if t.get(name) != Some(i) || group.contains(&table) || dropped_tables.contains(&table) {
                self.push(
                    Phase::DropIndex,
                    change(
                        ChangeKind::DropIndex,
                        i.key(),
                        vec![format!("DROP INDEX {};", quote_ident(&i.name.name))],
                        vec![index_sql(i)],
                    ),
                );
            }
        }
        for (name, i) in &t {
            if f.get(name) != Some(i) || group.contains(&lc(&i.table.name)) {
                self.push(
                    Phase::CreateIndex,
                    change(
                        ChangeKind::CreateIndex,
                        i.key(),
                        vec![index_sql(i)],
                        vec![format!("DROP INDEX {};", quote_ident(&i.name.name))],
                    ),
                );
            }
        }
    }
}

fn possible_rename(table: &str, dropped: &Column, added: &Column) -> Hazard {
    hazard(
        "possible-rename",
        format!(
            "{} dropped and {} added with the same type: a rename? (--rename {}.{}={})",
            quote_ident(&dropped.name),
            quote_ident(&added.name),
            table,
            dropped.name,
            added.name
        ),
    )
}

/// The rebuilt tables, in sets linked by foreign keys (in either model), each set sorted.
fn components(state: &Schema, to: &Schema, group: &BTreeSet<String>) -> Vec<BTreeSet<String>> {
    let mut edges: Vec<(String, String)> = Vec::new();
    for s in [state, to] {
        for c in &s.constraints {
            if let Some(fk) = &c.foreign_key {
                let (a, b) = (lc(&c.table.name), lc(&fk.references.name));
                if a != b && group.contains(&a) && group.contains(&b) {
                    edges.push((a, b));
                }
            }
        }
    }
    let mut out: Vec<BTreeSet<String>> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for start in group {
        if seen.contains(start) {
            continue;
        }
        let mut set = BTreeSet::from([start.clone()]);
        loop {
            let more: Vec<String> = edges
                .iter()
                .filter_map(|(a, b)| match (set.contains(a), set.contains(b)) {
                    (true, false) => Some(b.clone()),
                    (false, true) => Some(a.clone()),
                    _ => None,
                })
                .collect();
            if more.is_empty() {
                break;
            }
            set.extend(more);
        }
        seen.extend(set.iter().cloned());
        out.push(set);
    }
    out
}

/// The statements that rebuild `members` from their definition in `old` to the one in `new`:
/// every copy is created (its foreign keys to other members pointed at their copies), then
/// filled, then the old tables dropped (referencing tables first) and the copies renamed.
fn rebuild_statements(old: &Schema, new: &Schema, members: &BTreeSet<String>) -> Vec<String> {
    let targets: BTreeMap<String, String> = members
        .iter()
        .map(|m| {
            let name = &find_table(new, m).expect("member").name.name;
            (m.clone(), format!("{REBUILD_PREFIX}{name}"))
        })
        .collect();
    let mut out = vec!["PRAGMA defer_foreign_keys = ON;".to_owned()];
    let order = parents_first(new, members);
    for m in &order {
        let nt = find_table(new, m).expect("member");
        out.push(create_table_sql(
            nt,
            &table_constraints(new, m),
            &targets[m],
            &targets,
        ));
    }
    for m in &order {
        let (ot, nt) = (
            find_table(old, m).expect("member"),
            find_table(new, m).expect("member"),
        );
        let copy = &targets[m];
        let pairs: Vec<(&str, &str)> = nt
            .columns
            .iter()
            .filter(|c| c.generated.is_none())
            .filter_map(|c| {
                ot.columns
                    .iter()
                    .find(|o| same_name(&o.name, &c.name))
                    .map(|o| (c.name.as_str(), o.name.as_str()))
            })
            .collect();
        let rowid_named = |t: &Table| {
            t.columns
                .iter()
                .any(|c| ["rowid", "oid", "_rowid_"].contains(&lc(&c.name).as_str()))
        };
        let rowid = !without_rowid(ot)
            && !without_rowid(nt)
            && !has_rowid_alias(nt, &table_constraints(new, m))
            && !rowid_named(ot)
            && !rowid_named(nt);
        if !pairs.is_empty() || rowid {
            let mut into: Vec<String> = pairs.iter().map(|(n, _)| quote_ident(n)).collect();
            let mut select: Vec<String> = pairs.iter().map(|(_, o)| quote_ident(o)).collect();
            if rowid {
                into.insert(0, "rowid".to_owned());
                select.insert(0, "rowid".to_owned());
            }
            out.push(format!(
                "INSERT INTO {} ({}) SELECT {} FROM {};",
                quote_ident(copy),
                into.join(", "),
                select.join(", "),
                quote_ident(&ot.name.name)
            ));
        }
        let autoincrement = |s: &Schema| table_constraints(s, m).into_iter().any(is_autoincrement);
        if autoincrement(old) && autoincrement(new) {
            // Keeps the AUTOINCREMENT counter, which may be above the largest key.
            out.push(format!(
                "DELETE FROM sqlite_sequence WHERE name = {};",
                quote_literal(copy)
            ));
            out.push(format!(
                "INSERT INTO sqlite_sequence (name, seq) SELECT {}, seq FROM sqlite_sequence WHERE name = {};",
                quote_literal(copy),
                quote_literal(&ot.name.name)
            ));
        }
    }
    for m in parents_first(old, members).into_iter().rev() {
        let ot = find_table(old, &m).expect("member");
        out.push(format!("DROP TABLE {};", quote_ident(&ot.name.name)));
    }
    for m in &order {
        let nt = find_table(new, m).expect("member");
        out.push(format!(
            "ALTER TABLE {} RENAME TO {};",
            quote_ident(&targets[m]),
            quote_ident(&nt.name.name)
        ));
    }
    out
}

fn rebuild_change(
    state: &Schema,
    to: &Schema,
    members: &BTreeSet<String>,
    changed: &BTreeSet<String>,
) -> Change {
    let first = members
        .iter()
        .find(|m| changed.contains(*m))
        .unwrap_or_else(|| members.iter().next().expect("a member"));
    let name = |m: &str| find_table(to, m).expect("member").name.name.clone();
    let mut c = change(
        ChangeKind::RebuildTable,
        table_ref(&name(first)),
        rebuild_statements(state, to, members),
        rebuild_statements(to, state, members),
    );
    let listed: Vec<String> = members.iter().map(|m| quote_ident(&name(m))).collect();
    let referencing: Vec<String> = members
        .iter()
        .filter(|m| !changed.contains(*m))
        .map(|m| quote_ident(&name(m)))
        .collect();
    let mut message = format!(
        "{} rebuilt: created anew, rows copied, old table dropped (SQLite's ALTER TABLE cannot make this change)",
        if listed.len() == 1 {
            format!("table {} is", listed[0])
        } else {
            format!("tables {} are", listed.join(", "))
        }
    );
    if !referencing.is_empty() {
        let _ = write!(
            message,
            "; {} only because {} foreign keys reference a rebuilt table",
            referencing.join(", "),
            if referencing.len() == 1 {
                "its"
            } else {
                "their"
            }
        );
    }
    c.hazards.push(hazard("table-rewrite", message));
    for m in members {
        let (ot, nt) = (
            find_table(state, m).expect("member"),
            find_table(to, m).expect("member"),
        );
        let has = |t: &Table, n: &str| t.columns.iter().any(|c| same_name(&c.name, n));
        let dropped: Vec<&Column> = ot.columns.iter().filter(|c| !has(nt, &c.name)).collect();
        let added: Vec<&Column> = nt.columns.iter().filter(|c| !has(ot, &c.name)).collect();
        let t = quote_ident(&nt.name.name);
        for d in &dropped {
            c.hazards.push(hazard(
                "data-loss",
                format!(
                    "column {t}.{} is dropped with its values",
                    quote_ident(&d.name)
                ),
            ));
            c.destructive = true;
            if let Some(a) = added.iter().find(|a| a.data_type == d.data_type) {
                c.hazards.push(possible_rename(&nt.name.name, d, a));
            }
        }
        for a in &added {
            if a.not_null && a.default.is_none() && a.generated.is_none() {
                c.hazards.push(hazard(
                    "not-null-backfill",
                    format!(
                        "{t}.{} is NOT NULL without a default: the copy fails if the table has rows; add it nullable, backfill, then make it NOT NULL",
                        quote_ident(&a.name)
                    ),
                ));
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(name: &str) -> QualifiedName {
        QualifiedName::new(None, name)
    }

    fn col(name: &str, data_type: &str) -> Column {
        Column::new(name, data_type)
    }

    fn table(name: &str, columns: Vec<Column>) -> Table {
        Table::new(q(name), columns)
    }

    fn pk(table: &str, columns: &[&str]) -> Constraint {
        let columns: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
        Constraint {
            table: q(table),
            name: auto_constraint_name(table, ConstraintKind::PrimaryKey, &columns),
            kind: ConstraintKind::PrimaryKey,
            definition: format!("PRIMARY KEY ({})", quoted_list(&columns)),
            columns,
            validated: true,
            deferrable: false,
            initially_deferred: false,
            no_inherit: false,
            inherited: false,
            foreign_key: None,
            comment: None,
        }
    }

    fn fk(table: &str, column: &str, parent: &str, on_delete: ForeignKeyAction) -> Constraint {
        let mut c = Constraint {
            table: q(table),
            name: auto_constraint_name(table, ConstraintKind::ForeignKey, &[column.to_owned()]),
            kind: ConstraintKind::ForeignKey,
            definition: String::new(),
            columns: vec![column.to_owned()],
            validated: true,
            deferrable: false,
            initially_deferred: false,
            no_inherit: false,
            inherited: false,
            foreign_key: Some(ForeignKey {
                references: q(parent),
                referenced_columns: vec!["id".into()],
                on_update: ForeignKeyAction::NoAction,
                on_delete,
                match_type: ForeignKeyMatch::Simple,
            }),
            comment: None,
        };
        c.definition = foreign_key_definition(&c);
        c
    }

    fn schema(tables: Vec<Table>, constraints: Vec<Constraint>) -> Schema {
        let mut s = Schema {
            tables,
            constraints,
            ..Schema::default()
        };
        s.normalize();
        s
    }

    fn plan(from: &Schema, to: &Schema) -> Plan {
        diff(from, to, &DiffOptions::default())
    }

    fn kinds(p: &Plan) -> Vec<ChangeKind> {
        p.changes.iter().map(|c| c.kind).collect()
    }

    fn hazards(c: &Change) -> Vec<&str> {
        c.hazards.iter().map(|h| h.id).collect()
    }

    fn users() -> Table {
        table("users", vec![col("id", "INTEGER"), col("name", "TEXT")])
    }

    #[test]
    fn lexer_handles_quotes_comments_and_blobs() {
        let sql = "CREATE TABLE \"a\"\"b\" ([x y] TEXT DEFAULT 'it''s', -- c\n `z` BLOB DEFAULT x'00' /* d */, n REAL DEFAULT -1.5e+3)";
        let toks = lex::tokenize(sql);
        let names: Vec<String> = toks.iter().filter_map(|t| t.name()).collect();
        assert!(names.contains(&"a\"b".to_owned()), "{names:?}");
        assert!(names.contains(&"x y".to_owned()));
        assert!(names.contains(&"it's".to_owned()));
        assert!(toks
            .iter()
            .any(|t| t.kind == TokenKind::Blob && t.text == "x'00'"));
        assert!(toks
            .iter()
            .any(|t| t.kind == TokenKind::Number && t.text == "1.5e+3"));
        assert!(!names.iter().any(|n| n == "c" || n == "d"));
        let open = toks.iter().position(|t| t.is_punct("(")).unwrap();
        let close = lex::closing(&toks, open).unwrap();
        assert_eq!(lex::split_commas(&toks[open + 1..close]).len(), 3);
        assert!(lex::identifiers("SELECT \"Order\" FROM [T]").contains("order"));
    }

    #[test]
    fn renaming_identifiers_skips_functions_collations_and_strings() {
        assert_eq!(
            rename_identifiers(
                "lower(name) || 'name' || \"NAME\" COLLATE name",
                "name",
                "full name"
            ),
            "lower(\"full name\") || 'name' || \"full name\" COLLATE name"
        );
        assert_eq!(
            rename_in_group("UNIQUE (\"a\") ON CONFLICT a", "a", "b"),
            "UNIQUE (\"b\") ON CONFLICT a"
        );
    }

    #[test]
    fn create_table_writes_names_only_when_not_automatic() {
        let t = Table {
            options: vec!["WITHOUT ROWID".into(), "STRICT".into()],
            ..table("t", vec![col("id", "INTEGER"), col("p", "INTEGER")])
        };
        let mut named = pk("t", &["id"]);
        named.name = "my key".into();
        let sql = create_table_sql(
            &t,
            &[&named, &fk("t", "p", "t", ForeignKeyAction::Cascade)],
            "_strata_new_t",
            &BTreeMap::from([("t".to_owned(), "_strata_new_t".to_owned())]),
        );
        assert_eq!(
            sql,
            "CREATE TABLE \"_strata_new_t\" (\n    \"id\" INTEGER,\n    \"p\" INTEGER,\n    CONSTRAINT \"my key\" PRIMARY KEY (\"id\"),\n    FOREIGN KEY (\"p\") REFERENCES \"_strata_new_t\" (\"id\") ON DELETE CASCADE\n) WITHOUT ROWID, STRICT;"
        );
    }

    #[test]
    fn alter_table_forms_when_sqlite_allows_them() {
        let from = schema(vec![users()], vec![pk("users", &["id"])]);
        let mut t = users();
        let mut n = col("n", "INT");
        n.not_null = true;
        n.default = Some("0".into());
        t.columns.push(n);
        let to = schema(vec![t], vec![pk("users", &["id"])]);
        let p = plan(&from, &to);
        assert_eq!(kinds(&p), [ChangeKind::AddColumn]);
        assert_eq!(
            p.changes[0].up,
            ["ALTER TABLE \"users\" ADD COLUMN \"n\" INT NOT NULL DEFAULT 0;"]
        );
        assert_eq!(
            p.changes[0].down,
            ["ALTER TABLE \"users\" DROP COLUMN \"n\";"]
        );
        let back = plan(&to, &from);
        assert_eq!(kinds(&back), [ChangeKind::DropColumn]);
        assert!(back.changes[0].destructive);
        assert_eq!(hazards(&back.changes[0]), ["data-loss"]);
        // A new NOT NULL column without a default: rebuilt, with the backfill hazard.
        let mut t = users();
        let mut n = col("n", "INT");
        n.not_null = true;
        t.columns.push(n);
        let to = schema(vec![t], vec![pk("users", &["id"])]);
        let p = plan(&from, &to);
        assert_eq!(kinds(&p), [ChangeKind::RebuildTable]);
        assert_eq!(
            hazards(&p.changes[0]),
            ["table-rewrite", "not-null-backfill"]
        );
        assert!(!p.changes[0].destructive);
    }

    #[test]
    fn type_change_rebuilds_and_copies_rows() {
        let from = schema(vec![users()], vec![]);
        let mut t = users();
        t.columns[1].data_type = "VARCHAR(20)".into();
        let to = schema(vec![t], vec![]);
        let p = plan(&from, &to);
        assert_eq!(kinds(&p), [ChangeKind::RebuildTable]);
        let up = &p.changes[0].up;
        assert_eq!(up[0], "PRAGMA defer_foreign_keys = ON;");
        assert!(up[1].starts_with("CREATE TABLE \"_strata_new_users\" ("));
        assert_eq!(
            up[2],
            "INSERT INTO \"_strata_new_users\" (rowid, \"id\", \"name\") SELECT rowid, \"id\", \"name\" FROM \"users\";"
        );
        assert_eq!(up[3], "DROP TABLE \"users\";");
        assert_eq!(
            up[4],
            "ALTER TABLE \"_strata_new_users\" RENAME TO \"users\";"
        );
        assert!(p.changes[0].down[1].contains("\"name\" TEXT"));
    }

    #[test]
    fn referencing_tables_are_rebuilt_with_their_parent() {
        let orders = table(
            "orders",
            vec![col("id", "INTEGER"), col("user_id", "INTEGER")],
        );
        let cons = vec![
            pk("users", &["id"]),
            pk("orders", &["id"]),
            fk("orders", "user_id", "users", ForeignKeyAction::Cascade),
        ];
        let from = schema(vec![users(), orders.clone()], cons.clone());
        let mut u = users();
        u.columns[1].not_null = true;
        let to = schema(vec![u, orders], cons);
        let p = plan(&from, &to);
        assert_eq!(kinds(&p), [ChangeKind::RebuildTable]);
        let c = &p.changes[0];
        assert_eq!(c.object, table_ref("users"));
        assert!(c.hazards[0].message.contains("\"orders\" only because"));
        let up = c.up.join("\n");
        assert!(
            up.contains("REFERENCES \"_strata_new_users\" (\"id\") ON DELETE CASCADE"),
            "{up}"
        );
        // Referencing table dropped first, copies renamed after.
        let drop_orders = up.find("DROP TABLE \"orders\"").unwrap();
        let drop_users = up.find("DROP TABLE \"users\"").unwrap();
        assert!(drop_orders < drop_users);
        assert!(up.ends_with("ALTER TABLE \"_strata_new_orders\" RENAME TO \"orders\";"));
    }

    #[test]
    fn drops_are_destructive_and_renames_follow_hints() {
        let from = schema(vec![users(), table("gone", vec![col("x", "TEXT")])], vec![]);
        let mut renamed = users();
        renamed.name = q("people");
        renamed.columns[1].name = "full_name".into();
        let to = schema(
            vec![renamed.clone(), table("fresh", vec![col("x", "TEXT")])],
            vec![],
        );
        let p = plan(&from, &to);
        let drop = p
            .changes
            .iter()
            .find(|c| c.kind == ChangeKind::DropTable && c.object == table_ref("gone"))
            .unwrap();
        assert!(drop.destructive);
        assert_eq!(hazards(drop), ["data-loss", "possible-rename"]);
        assert!(p.changes.iter().any(|c| c.kind == ChangeKind::CreateTable));
        let opts = DiffOptions {
            allow_destructive: false,
            renames: vec![
                ("users".into(), "people".into()),
                ("people.name".into(), "full_name".into()),
            ],
        };
        let from = schema(vec![users()], vec![]);
        let to = schema(vec![renamed], vec![]);
        let p = diff(&from, &to, &opts);
        assert_eq!(
            kinds(&p),
            [ChangeKind::RenameTable, ChangeKind::RenameColumn]
        );
        assert_eq!(
            p.changes[0].up,
            ["ALTER TABLE \"users\" RENAME TO \"people\";"]
        );
        assert_eq!(
            p.changes[1].down,
            ["ALTER TABLE \"people\" RENAME COLUMN \"full_name\" TO \"name\";"]
        );
        // Without hints: drop + add of the same type, a possible rename.
        let p = plan(
            &schema(vec![users()], vec![]),
            &schema(
                vec![{
                    let mut t = users();
                    t.columns[1].name = "full_name".into();
                    t
                }],
                vec![],
            ),
        );
        assert_eq!(kinds(&p), [ChangeKind::DropColumn, ChangeKind::AddColumn]);
        assert_eq!(hazards(&p.changes[0]), ["data-loss", "possible-rename"]);
        assert_eq!(hazards(&p.changes[1]), ["possible-rename"]);
        let script = render(&p, false);
        assert!(
            script.contains("-- ALTER TABLE \"users\" DROP COLUMN \"name\";"),
            "{script}"
        );
        assert!(script.contains("\nALTER TABLE \"users\" ADD COLUMN \"full_name\" TEXT;"));
        assert!(render(&p, true).contains("\nALTER TABLE \"users\" DROP COLUMN \"name\";"));
    }

    #[test]
    fn views_and_triggers_naming_an_altered_table_are_recreated() {
        let view = View {
            name: q("v"),
            definition: "CREATE VIEW v AS SELECT name FROM users".into(),
            options: vec![],
            comment: None,
            depends_on: vec![],
        };
        let other = View {
            name: q("w"),
            definition: "CREATE VIEW w AS SELECT 1".into(),
            ..view.clone()
        };
        let from = Schema {
            views: vec![view.clone(), other.clone()],
            ..schema(vec![users()], vec![])
        };
        let mut t = users();
        t.columns.push(col("extra", "TEXT"));
        let to = Schema {
            views: vec![view, other],
            ..schema(vec![t], vec![])
        };
        let p = plan(&from, &to);
        assert_eq!(
            kinds(&p),
            [
                ChangeKind::DropView,
                ChangeKind::AddColumn,
                ChangeKind::CreateView
            ]
        );
        assert_eq!(p.changes[0].up, ["DROP VIEW \"v\";"]);
        assert_eq!(
            p.changes[2].up,
            ["CREATE VIEW v AS SELECT name FROM users;"]
        );
        assert!(to_sql(&to)
            .contains("-- views\n\nCREATE VIEW v AS SELECT name FROM users;\nCREATE VIEW w"));
    }
}
