//! The migration diff (SPEC §7): typed changes from one model to another, ordered by dependency,
//! each with its up SQL, its inverse (down) SQL and the hazards it carries. Safe forms are the
//! default: indexes on existing tables are built `CONCURRENTLY`, foreign keys and checks on
//! existing tables are added `NOT VALID` then validated, `SET NOT NULL` goes through a validated
//! check constraint.
//!
//! Every name is written with [`quote_ident`] / [`QualifiedName`]'s `Display`, every value with
//! [`quote_literal`]; types, expressions and definitions are PostgreSQL's own text from the model.

use crate::model::*;
use crate::render;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use strata_core::{quote_ident, quote_literal, QualifiedName};

/// What the diff is told beyond the two models.
#[derive(Clone, Debug, Default)]
pub struct DiffOptions {
    /// Whether destructive changes are meant to run (recorded; [`fn@render`] decides what to write).
    pub allow_destructive: bool,
    /// Rename hints `(old, new)`: `("table.col", "new_col")` / `("schema.table.col", "new_col")`
    /// rename a column; `("table", "new_table")` / `("schema.table", "new_table")` a table.
    pub renames: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    CreateSchema,
    DropSchema,
    CreateEnum,
    AddEnumValue,
    DropEnum,
    CreateSequence,
    DropSequence,
    AlterSequence,
    CreateFunction,
    DropFunction,
    ReplaceFunction,
    CreateTable,
    DropTable,
    RenameTable,
    AddColumn,
    DropColumn,
    RenameColumn,
    AlterColumnType,
    AddIdentity,
    DropIdentity,
    AlterIdentity,
    SetNotNull,
    DropNotNull,
    SetDefault,
    DropDefault,
    CreateView,
    DropView,
    CreateMaterializedView,
    DropMaterializedView,
    CreateIndex,
    DropIndex,
    AddConstraint,
    DropConstraint,
    ValidateConstraint,
    CreateTrigger,
    DropTrigger,
    CreatePolicy,
    DropPolicy,
    EnableRls,
    DisableRls,
    SetComment,
    /// SQLite: a table re-created under its new definition and its rows copied (what SQLite's
    /// `ALTER TABLE` cannot do).
    RebuildTable,
}

/// A risk a change carries, named by a stable id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hazard {
    /// `data-loss`, `table-rewrite`, `not-null-backfill` or `possible-rename`.
    pub id: &'static str,
    pub message: String,
}

/// One change: its up statements, the statements that undo it, and its hazards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    /// The object changed (a column change names its table; the column is in `column`).
    pub object: ObjectRef,
    pub column: Option<String>,
    pub up: Vec<String>,
    pub down: Vec<String>,
    pub hazards: Vec<Hazard>,
    /// Must run outside a transaction block (`CREATE INDEX CONCURRENTLY`).
    pub non_transactional: bool,
    /// Destroys data (dropped table or column): written only when destructive changes are allowed.
    pub destructive: bool,
}

/// The ordered changes from one model to another.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub changes: Vec<Change>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The up statements, in order.
    pub fn up(&self) -> Vec<String> {
        self.changes.iter().flat_map(|c| c.up.clone()).collect()
    }

    /// The down statements: each change's down, changes in reverse order.
    pub fn down(&self) -> Vec<String> {
        self.changes
            .iter()
            .rev()
            .flat_map(|c| c.down.clone())
            .collect()
    }
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

/// Phases, in plan order: drops of dependents first, then creates in `to_sql`'s order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Rename,
    DropPolicy,
    DropTrigger,
    DropForeignKey,
    DropConstraint,
    DropIndex,
    DropView,
    DropColumn,
    DropTable,
    DropFunction,
    DropSequence,
    DropEnum,
    DropSchema,
    CreateSchema,
    CreateEnum,
    CreateSequence,
    CreateFunction,
    CreateTable,
    AlterColumn,
    CreateView,
    CreateIndex,
    AddConstraint,
    AddForeignKey,
    SequenceOwner,
    Validate,
    CreateTrigger,
    RowSecurity,
    CreatePolicy,
    Comment,
}

struct Builder {
    out: Vec<(Phase, Change)>,
}

impl Builder {
    fn push(&mut self, phase: Phase, c: Change) {
        self.out.push((phase, c));
    }
}

fn by_key<T: Keyed>(items: &[T]) -> BTreeMap<ObjectRef, &T> {
    items.iter().map(|i| (i.key(), i)).collect()
}

/// The changes that turn `from` into `to`.
pub fn diff(from: &Schema, to: &Schema, opts: &DiffOptions) -> Plan {
    let mut b = Builder { out: Vec::new() };
    let from = apply_renames(from, to, opts, &mut b);
    let from = &from;
    schemas(from, to, &mut b);
    enums(from, to, &mut b);
    sequences(from, to, &mut b);
    functions(from, to, &mut b);
    tables(from, to, &mut b);
    let recreated = views(from, to, &mut b);
    indexes(from, to, &recreated, &mut b);
    constraints(from, to, &mut b);
    triggers(from, to, &mut b);
    policies(from, to, &mut b);
    // Stable sort: within a phase, the order changes were produced in (key order).
    b.out.sort_by_key(|(phase, _)| *phase);
    Plan {
        changes: b.out.into_iter().map(|(_, c)| c).collect(),
    }
}

fn table_ref(name: &QualifiedName) -> ObjectRef {
    ObjectRef::new(ObjectKind::Table, name.clone())
}

/// Finds the table a hint names: `schema.table` or a table name unique across schemas.
fn find_table<'a>(schema: &'a Schema, text: &str) -> Option<&'a Table> {
    if let Some(t) = schema
        .tables
        .iter()
        .find(|t| t.name == QualifiedName::parse(text))
    {
        return Some(t);
    }
    let mut named = schema.tables.iter().filter(|t| t.name.name == text);
    match (named.next(), named.next()) {
        (Some(t), None) => Some(t),
        _ => None,
    }
}

/// Applies the rename hints to a copy of `from`, recording a rename change for each.
fn apply_renames(from: &Schema, to: &Schema, opts: &DiffOptions, b: &mut Builder) -> Schema {
    let mut from = from.clone();
    for (old, new) in &opts.renames {
        // A table rename: the old name is a table of `from` and the new one a table of `to`.
        if let Some(t) = find_table(&from, old) {
            let old_name = t.name.clone();
            let new_name = QualifiedName::new(old_name.schema.as_deref(), new);
            if to.table(&new_name).is_some() && from.table(&new_name).is_none() {
                rename_table(&mut from, &old_name, &new_name);
                b.push(
                    Phase::Rename,
                    change(
                        ChangeKind::RenameTable,
                        table_ref(&old_name),
                        vec![format!(
                            "ALTER TABLE {old_name} RENAME TO {};",
                            quote_ident(new)
                        )],
                        vec![format!(
                            "ALTER TABLE {new_name} RENAME TO {};",
                            quote_ident(&old_name.name)
                        )],
                    ),
                );
                continue;
            }
        }
        let Some((table, column)) = old.rsplit_once('.') else {
            continue;
        };
        let Some(t) = find_table(&from, table) else {
            continue;
        };
        let name = t.name.clone();
        let Some(target) = to.table(&name) else {
            continue;
        };
        let has = |t: &Table, c: &str| t.columns.iter().any(|x| x.name == c);
        if !has(t, column) || has(t, new) || !has(target, new) {
            continue;
        }
        let t = from.tables.iter_mut().find(|t| t.name == name).unwrap();
        for c in &mut t.columns {
            if c.name == column {
                c.name = new.clone();
            }
        }
        let mut c = change(
            ChangeKind::RenameColumn,
            table_ref(&name),
            vec![format!(
                "ALTER TABLE {name} RENAME COLUMN {} TO {};",
                quote_ident(column),
                quote_ident(new)
            )],
            vec![format!(
                "ALTER TABLE {name} RENAME COLUMN {} TO {};",
                quote_ident(new),
                quote_ident(column)
            )],
        );
        c.column = Some(column.to_owned());
        b.push(Phase::Rename, c);
    }
    from
}

fn rename_table(schema: &mut Schema, old: &QualifiedName, new: &QualifiedName) {
    for t in &mut schema.tables {
        if &t.name == old {
            t.name = new.clone();
        }
    }
    for c in &mut schema.constraints {
        if &c.table == old {
            c.table = new.clone();
        }
    }
    for i in &mut schema.indexes {
        if &i.table == old {
            i.table = new.clone();
        }
    }
    for t in &mut schema.triggers {
        if &t.table == old {
            t.table = new.clone();
        }
    }
    for p in &mut schema.policies {
        if &p.table == old {
            p.table = new.clone();
        }
    }
    schema.normalize();
}

fn comment_change(
    target: String,
    object: ObjectRef,
    old: &Option<String>,
    new: &Option<String>,
) -> Option<Change> {
    if old == new {
        return None;
    }
    let text = |c: &Option<String>| c.as_deref().map_or("NULL".to_owned(), quote_literal);
    Some(change(
        ChangeKind::SetComment,
        object,
        vec![format!("COMMENT ON {target} IS {};", text(new))],
        vec![format!("COMMENT ON {target} IS {};", text(old))],
    ))
}

fn schemas(from: &Schema, to: &Schema, b: &mut Builder) {
    let (f, t) = (by_key(&from.schemas), by_key(&to.schemas));
    for (key, s) in &f {
        if !t.contains_key(key) {
            let mut down = vec![render::create_schema(s)];
            down.extend(
                comment_change(
                    format!("SCHEMA {}", quote_ident(&s.name)),
                    key.clone(),
                    &None,
                    &s.comment,
                )
                .map(|c| c.up)
                .unwrap_or_default(),
            );
            b.push(
                Phase::DropSchema,
                change(
                    ChangeKind::DropSchema,
                    key.clone(),
                    vec![format!("DROP SCHEMA {};", quote_ident(&s.name))],
                    down,
                ),
            );
        }
    }
    for (key, s) in &t {
        let old = f.get(key);
        if old.is_none() {
            b.push(
                Phase::CreateSchema,
                change(
                    ChangeKind::CreateSchema,
                    key.clone(),
                    vec![render::create_schema(s)],
                    vec![format!("DROP SCHEMA {};", quote_ident(&s.name))],
                ),
            );
        }
        let old_comment = old.and_then(|o| o.comment.clone());
        if let Some(c) = comment_change(
            format!("SCHEMA {}", quote_ident(&s.name)),
            key.clone(),
            &old_comment,
            &s.comment,
        ) {
            b.push(Phase::Comment, c);
        }
    }
}

fn enums(from: &Schema, to: &Schema, b: &mut Builder) {
    let (f, t) = (by_key(&from.enums), by_key(&to.enums));
    let drop = |e: &EnumType| format!("DROP TYPE {};", e.name);
    for (key, e) in &f {
        if !t.contains_key(key) {
            b.push(
                Phase::DropEnum,
                change(
                    ChangeKind::DropEnum,
                    key.clone(),
                    vec![drop(e)],
                    vec![render::create_enum(e)],
                ),
            );
        }
    }
    for (key, e) in &t {
        let Some(old) = f.get(key) else {
            b.push(
                Phase::CreateEnum,
                change(
                    ChangeKind::CreateEnum,
                    key.clone(),
                    vec![render::create_enum(e)],
                    vec![drop(e)],
                ),
            );
            continue;
        };
        if old.labels == e.labels {
            continue;
        }
        // Labels only added, the old ones in the same order: ADD VALUE each.
        let kept: Vec<&String> = e.labels.iter().filter(|l| old.labels.contains(l)).collect();
        let only_added =
            kept.len() == old.labels.len() && kept.iter().zip(&old.labels).all(|(a, b)| *a == b);
        if only_added {
            for (i, label) in e.labels.iter().enumerate() {
                if old.labels.contains(label) {
                    continue;
                }
                let place = match i.checked_sub(1) {
                    Some(p) => format!(" AFTER {}", quote_literal(&e.labels[p])),
                    None => format!(" BEFORE {}", quote_literal(&e.labels[1])),
                };
                let mut c = change(
                    ChangeKind::AddEnumValue,
                    key.clone(),
                    vec![format!(
                        "ALTER TYPE {} ADD VALUE {}{place};",
                        e.name,
                        quote_literal(label)
                    )],
                    // PostgreSQL cannot remove an enum label.
                    vec![format!(
                        "-- enum label {} of {} cannot be removed",
                        quote_literal(label),
                        e.name
                    )],
                );
                c.non_transactional = true;
                b.push(Phase::CreateEnum, c);
            }
        } else {
            let mut d = change(
                ChangeKind::DropEnum,
                key.clone(),
                vec![drop(old)],
                vec![render::create_enum(old)],
            );
            d.hazards.push(hazard(
                "data-loss",
                format!(
                    "{} loses or reorders labels: dropped and re-created",
                    e.name
                ),
            ));
            d.destructive = true;
            b.push(Phase::DropEnum, d);
            b.push(
                Phase::CreateEnum,
                change(
                    ChangeKind::CreateEnum,
                    key.clone(),
                    vec![render::create_enum(e)],
                    vec![drop(e)],
                ),
            );
        }
    }
}

fn owned_by_sql(s: &Sequence) -> String {
    render::sequence_owned_by(s)
        .unwrap_or_else(|| format!("ALTER SEQUENCE {} OWNED BY NONE;", s.name))
}

fn alter_sequence(s: &Sequence) -> String {
    format!(
        "ALTER SEQUENCE {} AS {} {};",
        s.name,
        s.options.data_type,
        render::sequence_options(&s.options)
    )
}

fn sequences(from: &Schema, to: &Schema, b: &mut Builder) {
    let (f, t) = (by_key(&from.sequences), by_key(&to.sequences));
    // IF EXISTS: a sequence owned by a dropped column or table went with it.
    let drop = |s: &Sequence| format!("DROP SEQUENCE IF EXISTS {};", s.name);
    let logged = |s: &Sequence| {
        let state = if s.unlogged { "UNLOGGED" } else { "LOGGED" };
        format!("ALTER SEQUENCE {} SET {state};", s.name)
    };
    for (key, s) in &f {
        if !t.contains_key(key) {
            b.push(
                Phase::DropSequence,
                change(
                    ChangeKind::DropSequence,
                    key.clone(),
                    vec![drop(s)],
                    vec![render::create_sequence(s)],
                ),
            );
        }
    }
    for (key, s) in &t {
        let old = f.get(key);
        match old {
            None => b.push(
                Phase::CreateSequence,
                change(
                    ChangeKind::CreateSequence,
                    key.clone(),
                    vec![render::create_sequence(s)],
                    vec![drop(s)],
                ),
            ),
            Some(o) if o.options != s.options || o.unlogged != s.unlogged => {
                let (mut up, mut down) = (Vec::new(), Vec::new());
                if o.options != s.options {
                    up.push(alter_sequence(s));
                    down.push(alter_sequence(o));
                }
                if o.unlogged != s.unlogged {
                    up.push(logged(s));
                    down.push(logged(o));
                }
                b.push(
                    Phase::CreateSequence,
                    change(ChangeKind::AlterSequence, key.clone(), up, down),
                );
            }
            Some(_) => {}
        }
        let before = old.and_then(|o| o.owned_by.clone());
        if before != s.owned_by {
            let mut was = (*s).clone();
            was.owned_by = before;
            b.push(
                Phase::SequenceOwner,
                change(
                    ChangeKind::AlterSequence,
                    key.clone(),
                    vec![owned_by_sql(s)],
                    vec![owned_by_sql(&was)],
                ),
            );
        }
        if let Some(c) = comment_change(
            format!("SEQUENCE {}", s.name),
            key.clone(),
            &old.and_then(|o| o.comment.clone()),
            &s.comment,
        ) {
            b.push(Phase::Comment, c);
        }
    }
}

fn functions(from: &Schema, to: &Schema, b: &mut Builder) {
    let (f, t) = (by_key(&from.functions), by_key(&to.functions));
    let drop = |x: &Function| {
        let word = if x.kind == FunctionKind::Procedure {
            "PROCEDURE"
        } else {
            "FUNCTION"
        };
        format!("DROP {word} {}({});", x.name, x.arguments)
    };
    // CREATE OR REPLACE cannot change the result type, the kind or the parameter names.
    let replaceable = |o: &Function, n: &Function| {
        (&o.returns, o.kind, &o.signature) == (&n.returns, n.kind, &n.signature)
    };
    for (key, x) in &f {
        if t.get(key).is_none_or(|n| !replaceable(x, n)) {
            b.push(
                Phase::DropFunction,
                change(
                    ChangeKind::DropFunction,
                    key.clone(),
                    vec![drop(x)],
                    vec![render::create_function(x)],
                ),
            );
        }
    }
    for (key, x) in &t {
        let old = f.get(key).filter(|o| replaceable(o, x));
        match old {
            None => b.push(
                Phase::CreateFunction,
                change(
                    ChangeKind::CreateFunction,
                    key.clone(),
                    vec![render::create_function(x)],
                    vec![drop(x)],
                ),
            ),
            Some(o) if o.definition != x.definition => b.push(
                Phase::CreateFunction,
                change(
                    ChangeKind::ReplaceFunction,
                    key.clone(),
                    vec![render::create_function(x)],
                    vec![render::create_function(o)],
                ),
            ),
            Some(_) => {}
        }
        let word = if x.kind == FunctionKind::Procedure {
            "PROCEDURE"
        } else {
            "FUNCTION"
        };
        if let Some(c) = comment_change(
            format!("{word} {}({})", x.name, x.arguments),
            key.clone(),
            &old.and_then(|o| o.comment.clone()),
            &x.comment,
        ) {
            b.push(Phase::Comment, c);
        }
    }
}

fn column_sql(c: &Column) -> String {
    render::column_definition(c).trim_start().to_owned()
}

fn table_comments(t: &Table, old: Option<&Table>) -> Vec<Change> {
    let key = table_ref(&t.name);
    let mut out = Vec::new();
    out.extend(comment_change(
        format!("TABLE {}", t.name),
        key.clone(),
        &old.and_then(|o| o.comment.clone()),
        &t.comment,
    ));
    for c in &t.columns {
        let before = old
            .and_then(|o| o.columns.iter().find(|x| x.name == c.name))
            .and_then(|x| x.comment.clone());
        if let Some(mut ch) = comment_change(
            format!("COLUMN {}.{}", t.name, quote_ident(&c.name)),
            key.clone(),
            &before,
            &c.comment,
        ) {
            ch.column = Some(c.name.clone());
            out.push(ch);
        }
    }
    out
}

fn row_security_sql(t: &Table) -> Vec<String> {
    let mut out = Vec::new();
    if t.row_security {
        out.push(format!("ALTER TABLE {} ENABLE ROW LEVEL SECURITY;", t.name));
    }
    if t.force_row_security {
        out.push(format!("ALTER TABLE {} FORCE ROW LEVEL SECURITY;", t.name));
    }
    out
}

fn tables(from: &Schema, to: &Schema, b: &mut Builder) {
    let (f, t) = (by_key(&from.tables), by_key(&to.tables));
    for (key, old) in &f {
        if !t.contains_key(key) {
            let mut down = vec![render::create_table(from, old)];
            down.extend(row_security_sql(old));
            down.extend(owned_sequences(from, &old.name, None));
            for c in table_comments(old, None) {
                down.extend(c.up);
            }
            let mut c = change(
                ChangeKind::DropTable,
                key.clone(),
                vec![format!("DROP TABLE {};", old.name)],
                down,
            );
            c.hazards.push(hazard(
                "data-loss",
                format!("table {} is dropped with its rows", old.name),
            ));
            c.destructive = true;
            b.push(Phase::DropTable, c);
        }
    }
    for (key, new) in &t {
        let Some(old) = f.get(key) else {
            b.push(
                Phase::CreateTable,
                change(
                    ChangeKind::CreateTable,
                    key.clone(),
                    vec![render::create_table(to, new)],
                    vec![format!("DROP TABLE {};", new.name)],
                ),
            );
            if new.row_security || new.force_row_security {
                b.push(
                    Phase::RowSecurity,
                    change(
                        ChangeKind::EnableRls,
                        key.clone(),
                        row_security_sql(new),
                        vec![],
                    ),
                );
            }
            for c in table_comments(new, None) {
                b.push(Phase::Comment, c);
            }
            continue;
        };
        columns(from, old, new, b);
        if old.row_security != new.row_security {
            let (on, off) = (
                format!("ALTER TABLE {} ENABLE ROW LEVEL SECURITY;", new.name),
                format!("ALTER TABLE {} DISABLE ROW LEVEL SECURITY;", new.name),
            );
            let c = if new.row_security {
                change(ChangeKind::EnableRls, key.clone(), vec![on], vec![off])
            } else {
                change(ChangeKind::DisableRls, key.clone(), vec![off], vec![on])
            };
            b.push(Phase::RowSecurity, c);
        }
        if old.force_row_security != new.force_row_security {
            let (on, off) = (
                format!("ALTER TABLE {} FORCE ROW LEVEL SECURITY;", new.name),
                format!("ALTER TABLE {} NO FORCE ROW LEVEL SECURITY;", new.name),
            );
            let c = if new.force_row_security {
                change(ChangeKind::EnableRls, key.clone(), vec![on], vec![off])
            } else {
                change(ChangeKind::DisableRls, key.clone(), vec![off], vec![on])
            };
            b.push(Phase::RowSecurity, c);
        }
        for c in table_comments(new, Some(old)) {
            b.push(Phase::Comment, c);
        }
    }
}

/// `OWNED BY` of the sequences a table (or one of its columns) owns: dropping the table or column
/// dropped them, so the down that re-creates it restores their ownership.
fn owned_sequences(from: &Schema, table: &QualifiedName, column: Option<&str>) -> Vec<String> {
    from.sequences
        .iter()
        .filter(|s| {
            s.owned_by
                .as_ref()
                .is_some_and(|o| &o.table == table && column.is_none_or(|c| c == o.column))
        })
        .filter_map(render::sequence_owned_by)
        .collect()
}

/// `character varying(n)` → `(m ≥ n)`, unbounded or `text`; `numeric(p,s)` → `(q ≥ p, s)` or
/// unconstrained: no rewrite, no rescan.
fn binary_compatible(old: &Column, new: &Column) -> bool {
    let varchar = |c: &Column| c.type_name == "character varying";
    if varchar(old) {
        if new.type_name == "text" {
            return true;
        }
        if varchar(new) {
            return match (old.type_modifier, new.type_modifier) {
                (_, None) => true,
                (Some(a), Some(b)) => b >= a,
                (None, Some(_)) => false,
            };
        }
    }
    if old.type_name == "numeric" && new.type_name == "numeric" {
        return match (old.type_modifier, new.type_modifier) {
            (_, None) => true,
            (Some(a), Some(b)) => {
                // typmod = ((precision << 16) | scale) + 4
                let (pa, sa) = ((a - 4) >> 16, (a - 4) & 0xffff);
                let (pb, sb) = ((b - 4) >> 16, (b - 4) & 0xffff);
                sa == sb && pb >= pa
            }
            (None, Some(_)) => false,
        };
    }
    false
}

fn columns(from: &Schema, old: &Table, new: &Table, b: &mut Builder) {
    let name = &new.name;
    let key = table_ref(name);
    let find = |t: &Table, n: &str| t.columns.iter().find(|c| c.name == n).cloned();
    let dropped: Vec<&Column> = old
        .columns
        .iter()
        .filter(|c| find(new, &c.name).is_none())
        .collect();
    let added: Vec<&Column> = new
        .columns
        .iter()
        .filter(|c| find(old, &c.name).is_none())
        .collect();
    let col = |kind, column: &str, up: Vec<String>, down: Vec<String>| {
        let mut c = change(kind, key.clone(), up, down);
        c.column = Some(column.to_owned());
        c
    };
    let alter = |c: &str| format!("ALTER TABLE {name} ALTER COLUMN {}", quote_ident(c));
    for c in &dropped {
        let mut ch = col(
            ChangeKind::DropColumn,
            &c.name,
            vec![format!(
                "ALTER TABLE {name} DROP COLUMN {};",
                quote_ident(&c.name)
            )],
            std::iter::once(format!("ALTER TABLE {name} ADD COLUMN {};", column_sql(c)))
                .chain(owned_sequences(from, name, Some(&c.name)))
                .collect(),
        );
        ch.hazards.push(hazard(
            "data-loss",
            format!(
                "column {}.{} is dropped with its values",
                name,
                quote_ident(&c.name)
            ),
        ));
        ch.destructive = true;
        if let Some(a) = added.iter().find(|a| a.data_type == c.data_type) {
            ch.hazards.push(hazard(
                "possible-rename",
                format!(
                    "{} dropped and {} added with the same type: a rename? (--rename {}.{}={})",
                    quote_ident(&c.name),
                    quote_ident(&a.name),
                    name.name,
                    c.name,
                    a.name
                ),
            ));
        }
        b.push(Phase::DropColumn, ch);
    }
    for c in &added {
        let mut ch = col(
            ChangeKind::AddColumn,
            &c.name,
            vec![format!("ALTER TABLE {name} ADD COLUMN {};", column_sql(c))],
            vec![format!(
                "ALTER TABLE {name} DROP COLUMN {};",
                quote_ident(&c.name)
            )],
        );
        if c.not_null && c.default.is_none() && c.identity.is_none() && c.generated.is_none() {
            ch.hazards.push(hazard(
                "not-null-backfill",
                format!("{}.{} is NOT NULL without a default: fails on a non-empty table; add it nullable, backfill, then SET NOT NULL", name, quote_ident(&c.name)),
            ));
        }
        if let Some(d) = dropped.iter().find(|d| d.data_type == c.data_type) {
            ch.hazards.push(hazard(
                "possible-rename",
                format!(
                    "{} added and {} dropped with the same type: a rename?",
                    quote_ident(&c.name),
                    quote_ident(&d.name)
                ),
            ));
        }
        b.push(Phase::AlterColumn, ch);
    }
    for o in &old.columns {
        let Some(n) = find(new, &o.name) else {
            continue;
        };
        let c = &o.name;
        let type_changes = o.data_type != n.data_type || o.collation != n.collation;
        // Default: dropped before a type change, set after it.
        // Only dropped when there is none after, or the type changes (a new default is set
        // directly).
        if o.default.is_some() && (n.default.is_none() || type_changes) {
            if let Some(d) = &o.default {
                b.push(
                    Phase::AlterColumn,
                    col(
                        ChangeKind::DropDefault,
                        c,
                        vec![format!("{} DROP DEFAULT;", alter(c))],
                        vec![format!("{} SET DEFAULT {d};", alter(c))],
                    ),
                );
            }
        }
        if type_changes {
            let mut ch = col(
                ChangeKind::AlterColumnType,
                c,
                vec![retype(&alter(c), &n)],
                vec![retype(&alter(c), o)],
            );
            if o.data_type != n.data_type && !binary_compatible(o, &n) {
                ch.hazards.push(hazard(
                    "table-rewrite",
                    format!(
                        "{}.{}: {} -> {} rewrites the table under an ACCESS EXCLUSIVE lock",
                        name,
                        quote_ident(c),
                        o.data_type,
                        n.data_type
                    ),
                ));
            }
            b.push(Phase::AlterColumn, ch);
        }
        if o.default != n.default || (type_changes && o.default.is_some()) {
            if let Some(d) = &n.default {
                // After a type change the old default was dropped by its own change.
                let down = match &o.default {
                    Some(od) if !type_changes => format!("{} SET DEFAULT {od};", alter(c)),
                    _ => format!("{} DROP DEFAULT;", alter(c)),
                };
                b.push(
                    Phase::AlterColumn,
                    col(
                        ChangeKind::SetDefault,
                        c,
                        vec![format!("{} SET DEFAULT {d};", alter(c))],
                        vec![down],
                    ),
                );
            }
        }
        // Identity: dropped before NOT NULL is, added after it is set.
        if let (Some(id), None) = (&o.identity, &n.identity) {
            b.push(
                Phase::AlterColumn,
                col(
                    ChangeKind::DropIdentity,
                    c,
                    vec![format!("{} DROP IDENTITY;", alter(c))],
                    vec![format!("{} ADD {};", alter(c), identity_sql(id))],
                ),
            );
        }
        if let (Some(a), Some(z)) = (&o.identity, &n.identity) {
            if a != z {
                b.push(
                    Phase::AlterColumn,
                    col(
                        ChangeKind::AlterIdentity,
                        c,
                        vec![format!("{} {};", alter(c), identity_settings(z))],
                        vec![format!("{} {};", alter(c), identity_settings(a))],
                    ),
                );
            }
        }
        if o.not_null && !n.not_null {
            b.push(
                Phase::AlterColumn,
                col(
                    ChangeKind::DropNotNull,
                    c,
                    vec![format!("{} DROP NOT NULL;", alter(c))],
                    vec![format!("{} SET NOT NULL;", alter(c))],
                ),
            );
        }
        if !o.not_null && n.not_null {
            // Safe form: a validated check lets SET NOT NULL skip its full-table scan.
            let check = quote_ident(&format!("{c}_not_null"));
            b.push(
                Phase::AlterColumn,
                col(
                    ChangeKind::SetNotNull,
                    c,
                    vec![
                        format!("ALTER TABLE {name} ADD CONSTRAINT {check} CHECK ({} IS NOT NULL) NOT VALID;", quote_ident(c)),
                        format!("ALTER TABLE {name} VALIDATE CONSTRAINT {check};"),
                        format!("{} SET NOT NULL;", alter(c)),
                        format!("ALTER TABLE {name} DROP CONSTRAINT {check};"),
                    ],
                    vec![format!("{} DROP NOT NULL;", alter(c))],
                ),
            );
        }
        if let (None, Some(id)) = (&o.identity, &n.identity) {
            b.push(
                Phase::AlterColumn,
                col(
                    ChangeKind::AddIdentity,
                    c,
                    vec![format!("{} ADD {};", alter(c), identity_sql(id))],
                    vec![format!("{} DROP IDENTITY;", alter(c))],
                ),
            );
        }
    }
}

/// `… TYPE t [COLLATE c] USING col::t;`
fn retype(alter: &str, c: &Column) -> String {
    let collate = c
        .collation
        .as_ref()
        .map(|x| format!(" COLLATE {x}"))
        .unwrap_or_default();
    format!(
        "{alter} TYPE {}{collate} USING {}::{};",
        c.data_type,
        quote_ident(&c.name),
        c.data_type
    )
}

fn identity_sql(id: &Identity) -> String {
    format!(
        "GENERATED {} AS IDENTITY (SEQUENCE NAME {} {})",
        if id.always { "ALWAYS" } else { "BY DEFAULT" },
        id.sequence,
        render::sequence_options(&id.options)
    )
}

/// `SET GENERATED … SET INCREMENT BY … …`: changes an identity in place, keeping its sequence's
/// current value.
fn identity_settings(id: &Identity) -> String {
    let o = &id.options;
    format!(
        "SET GENERATED {} SET START WITH {} SET INCREMENT BY {} SET MINVALUE {} SET MAXVALUE {} SET CACHE {} SET {}",
        if id.always { "ALWAYS" } else { "BY DEFAULT" },
        o.start,
        o.increment,
        o.min_value,
        o.max_value,
        o.cache,
        if o.cycle { "CYCLE" } else { "NO CYCLE" }
    )
}

/// A view or materialized view: what the diff needs of either.
#[derive(Clone)]
struct Rel {
    key: ObjectRef,
    name: QualifiedName,
    definition: String,
    options: Vec<String>,
    comment: Option<String>,
    depends_on: Vec<ObjectRef>,
}

impl Rel {
    fn materialized(&self) -> bool {
        self.key.kind == ObjectKind::MaterializedView
    }

    fn target(&self) -> String {
        let word = if self.materialized() {
            "MATERIALIZED VIEW"
        } else {
            "VIEW"
        };
        format!("{word} {}", self.name)
    }

    fn create(&self) -> String {
        let view = View {
            name: self.name.clone(),
            definition: self.definition.clone(),
            options: self.options.clone(),
            comment: None,
            depends_on: vec![],
        };
        if self.materialized() {
            // Populated, as a migration expects (`inspect` creates it empty).
            format!(
                "CREATE MATERIALIZED VIEW {}{} AS\n{}\nWITH DATA;",
                self.name,
                render::with_options(&self.options),
                self.definition.trim_end().trim_end_matches(';')
            )
        } else {
            render::create_view(&view)
        }
    }

    fn drop(&self) -> String {
        format!("DROP {};", self.target())
    }
}

fn rels(schema: &Schema) -> BTreeMap<ObjectRef, Rel> {
    let views = schema.views.iter().map(|v| Rel {
        key: v.key(),
        name: v.name.clone(),
        definition: v.definition.clone(),
        options: v.options.clone(),
        comment: v.comment.clone(),
        depends_on: v.depends_on.clone(),
    });
    let materialized = schema.materialized_views.iter().map(|v| Rel {
        key: v.key(),
        name: v.name.clone(),
        definition: v.definition.clone(),
        options: v.options.clone(),
        comment: v.comment.clone(),
        depends_on: v.depends_on.clone(),
    });
    views
        .chain(materialized)
        .map(|r| (r.key.clone(), r))
        .collect()
}

/// Views in dependency order (a view after the views it reads).
fn views_in_order(views: &[&Rel]) -> Vec<Rel> {
    let mut left: Vec<&Rel> = views.to_vec();
    let mut out: Vec<Rel> = Vec::new();
    while !left.is_empty() {
        let names: BTreeSet<&ObjectRef> = left.iter().map(|v| &v.key).collect();
        let (ready, wait): (Vec<&Rel>, Vec<&Rel>) = left.iter().partition(|v| {
            !v.depends_on
                .iter()
                .any(|d| *d != v.key && names.contains(d))
        });
        if ready.is_empty() {
            out.extend(wait.into_iter().cloned());
            break;
        }
        out.extend(ready.into_iter().cloned());
        left = wait;
    }
    out
}

/// Views and materialized views. Returns the materialized views dropped and re-created (their
/// indexes must be re-created too).
fn views(from: &Schema, to: &Schema, b: &mut Builder) -> BTreeSet<QualifiedName> {
    let (f, t) = (rels(from), rels(to));
    // Tables whose columns change type or are dropped: PostgreSQL refuses both while a view
    // reads the table, so such views are dropped before and re-created after.
    let mut touched: BTreeSet<ObjectRef> = from
        .tables
        .iter()
        .filter(|o| {
            to.table(&o.name).is_some_and(|n| {
                o.columns.iter().any(|oc| {
                    n.columns
                        .iter()
                        .find(|nc| nc.name == oc.name)
                        .is_none_or(|nc| nc.data_type != oc.data_type)
                })
            })
        })
        .map(|t| t.key())
        .collect();
    let edited = |v: &Rel, o: &Rel| v.definition != o.definition || v.options != o.options;
    // A view reading a touched table or a re-created view is re-created too.
    loop {
        let more: Vec<ObjectRef> = f
            .iter()
            .filter(|(k, _)| !touched.contains(*k))
            .filter(|(k, o)| {
                t.get(*k).is_none_or(|n| edited(n, o))
                    || o.depends_on.iter().any(|d| touched.contains(d))
            })
            .filter(|(k, _)| t.contains_key(*k))
            .map(|(k, _)| (*k).clone())
            .collect();
        if more.is_empty() {
            break;
        }
        touched.extend(more);
    }
    let changed = |v: &Rel, o: &Rel| edited(v, o) || touched.contains(&o.key);
    let dropped: Vec<&Rel> = f
        .iter()
        .filter(|(k, v)| t.get(*k).is_none_or(|n| changed(n, v)))
        .map(|(_, v)| v)
        .collect();
    let created: Vec<&Rel> = t
        .iter()
        .filter(|(k, v)| f.get(*k).is_none_or(|o| changed(v, o)))
        .map(|(_, v)| v)
        .collect();
    let kind = |v: &Rel, create: bool| match (v.materialized(), create) {
        (false, true) => ChangeKind::CreateView,
        (false, false) => ChangeKind::DropView,
        (true, true) => ChangeKind::CreateMaterializedView,
        (true, false) => ChangeKind::DropMaterializedView,
    };
    for v in views_in_order(&dropped).into_iter().rev() {
        let mut down = vec![v.create()];
        down.extend(
            comment_change(v.target(), v.key.clone(), &None, &v.comment)
                .map(|c| c.up)
                .unwrap_or_default(),
        );
        b.push(
            Phase::DropView,
            change(kind(&v, false), v.key.clone(), vec![v.drop()], down),
        );
    }
    for v in views_in_order(&created) {
        b.push(
            Phase::CreateView,
            change(
                kind(&v, true),
                v.key.clone(),
                vec![v.create()],
                vec![v.drop()],
            ),
        );
    }
    for (key, v) in &t {
        let old = f
            .get(key)
            .filter(|o| !changed(v, o))
            .and_then(|o| o.comment.clone());
        if let Some(c) = comment_change(v.target(), key.clone(), &old, &v.comment) {
            b.push(Phase::Comment, c);
        }
    }
    dropped
        .iter()
        .filter(|v| v.materialized() && t.contains_key(&v.key))
        .map(|v| v.name.clone())
        .collect()
}

fn index_sql(i: &Index) -> String {
    format!("{};", i.definition.trim_end())
}

fn concurrently(i: &Index) -> Option<String> {
    let def = i.definition.trim_end();
    for prefix in ["CREATE UNIQUE INDEX ", "CREATE INDEX "] {
        if let Some(rest) = def.strip_prefix(prefix) {
            return Some(format!("{prefix}CONCURRENTLY {rest};"));
        }
    }
    None
}

fn indexes(from: &Schema, to: &Schema, recreated: &BTreeSet<QualifiedName>, b: &mut Builder) {
    let (f, t) = (by_key(&from.indexes), by_key(&to.indexes));
    let drop = |i: &Index| format!("DROP INDEX {};", i.name);
    // Same definition, on a relation that is not re-created.
    let same = |o: &Index, n: &Index| o.definition == n.definition && !recreated.contains(&o.table);
    for (key, i) in &f {
        if t.get(key).is_none_or(|n| !same(i, n)) {
            let mut down = vec![index_sql(i)];
            down.extend(
                comment_change(format!("INDEX {}", i.name), key.clone(), &None, &i.comment)
                    .map(|c| c.up)
                    .unwrap_or_default(),
            );
            b.push(
                Phase::DropIndex,
                change(ChangeKind::DropIndex, key.clone(), vec![drop(i)], down),
            );
        }
    }
    for (key, i) in &t {
        let old = f.get(key);
        if old.is_none_or(|o| !same(o, i)) {
            // An index on a table that already exists (and is not partitioned) is built without
            // blocking writes.
            let existing = from.table(&i.table).is_some()
                && to
                    .table(&i.table)
                    .is_some_and(|t| t.partition_key.is_none());
            let mut c = change(
                ChangeKind::CreateIndex,
                key.clone(),
                vec![index_sql(i)],
                vec![drop(i)],
            );
            if existing {
                if let Some(sql) = concurrently(i) {
                    c.up = vec![sql];
                    c.down = vec![format!("DROP INDEX CONCURRENTLY {};", i.name)];
                    c.non_transactional = true;
                }
            }
            b.push(Phase::CreateIndex, c);
        }
        let before = old.filter(|o| same(o, i)).and_then(|o| o.comment.clone());
        if let Some(c) = comment_change(
            format!("INDEX {}", i.name),
            key.clone(),
            &before,
            &i.comment,
        ) {
            b.push(Phase::Comment, c);
        }
    }
}

fn constraints(from: &Schema, to: &Schema, b: &mut Builder) {
    let (f, t) = (by_key(&from.constraints), by_key(&to.constraints));
    let same = |a: &Constraint, b: &Constraint| {
        a.definition.trim_end_matches(" NOT VALID") == b.definition.trim_end_matches(" NOT VALID")
            && a.deferrable == b.deferrable
            && a.initially_deferred == b.initially_deferred
            && (a.validated || !b.validated)
    };
    let drop = |c: &Constraint| {
        format!(
            "ALTER TABLE {} DROP CONSTRAINT {};",
            c.table,
            quote_ident(&c.name)
        )
    };
    let target = |c: &Constraint| format!("CONSTRAINT {} ON {}", quote_ident(&c.name), c.table);
    for (key, c) in &f {
        if t.get(key).is_none_or(|n| !same(c, n)) {
            let phase = if c.kind == ConstraintKind::ForeignKey {
                Phase::DropForeignKey
            } else {
                Phase::DropConstraint
            };
            let mut down = vec![render::add_constraint(c)];
            down.extend(
                comment_change(target(c), key.clone(), &None, &c.comment)
                    .map(|x| x.up)
                    .unwrap_or_default(),
            );
            b.push(
                phase,
                change(ChangeKind::DropConstraint, key.clone(), vec![drop(c)], down),
            );
        }
    }
    for (key, c) in &t {
        let old = f.get(key);
        let phase = if c.kind == ConstraintKind::ForeignKey {
            Phase::AddForeignKey
        } else {
            Phase::AddConstraint
        };
        match old {
            Some(o) if same(o, c) => {
                if !o.validated && c.validated {
                    b.push(
                        Phase::Validate,
                        change(
                            ChangeKind::ValidateConstraint,
                            key.clone(),
                            vec![format!(
                                "ALTER TABLE {} VALIDATE CONSTRAINT {};",
                                c.table,
                                quote_ident(&c.name)
                            )],
                            vec![],
                        ),
                    );
                }
            }
            _ => {
                let existing = from.table(&c.table).is_some();
                let safe = existing
                    && c.validated
                    && matches!(c.kind, ConstraintKind::ForeignKey | ConstraintKind::Check);
                if safe {
                    b.push(
                        phase,
                        change(
                            ChangeKind::AddConstraint,
                            key.clone(),
                            vec![format!(
                                "ALTER TABLE {} ADD CONSTRAINT {} {} NOT VALID;",
                                c.table,
                                quote_ident(&c.name),
                                c.definition
                            )],
                            vec![drop(c)],
                        ),
                    );
                    b.push(
                        Phase::Validate,
                        change(
                            ChangeKind::ValidateConstraint,
                            key.clone(),
                            vec![format!(
                                "ALTER TABLE {} VALIDATE CONSTRAINT {};",
                                c.table,
                                quote_ident(&c.name)
                            )],
                            vec![],
                        ),
                    );
                } else {
                    b.push(
                        phase,
                        change(
                            ChangeKind::AddConstraint,
                            key.clone(),
                            vec![render::add_constraint(c)],
                            vec![drop(c)],
                        ),
                    );
                }
            }
        }
        let before = old.filter(|o| same(o, c)).and_then(|o| o.comment.clone());
        if let Some(x) = comment_change(target(c), key.clone(), &before, &c.comment) {
            b.push(Phase::Comment, x);
        }
    }
}

fn triggers(from: &Schema, to: &Schema, b: &mut Builder) {
    let (f, t) = (by_key(&from.triggers), by_key(&to.triggers));
    let changed = |a: &Trigger, b: &Trigger| a.definition != b.definition || a.enabled != b.enabled;
    let drop = |x: &Trigger| format!("DROP TRIGGER {} ON {};", quote_ident(&x.name), x.table);
    let target = |x: &Trigger| format!("TRIGGER {} ON {}", quote_ident(&x.name), x.table);
    let create = |x: &Trigger| {
        render::create_trigger(x)
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    for (key, x) in &f {
        if t.get(key).is_none_or(|n| changed(x, n)) {
            let mut down = create(x);
            down.extend(
                comment_change(target(x), key.clone(), &None, &x.comment)
                    .map(|c| c.up)
                    .unwrap_or_default(),
            );
            b.push(
                Phase::DropTrigger,
                change(ChangeKind::DropTrigger, key.clone(), vec![drop(x)], down),
            );
        }
    }
    for (key, x) in &t {
        let old = f.get(key).filter(|o| !changed(o, x));
        if old.is_none() {
            b.push(
                Phase::CreateTrigger,
                change(
                    ChangeKind::CreateTrigger,
                    key.clone(),
                    create(x),
                    vec![drop(x)],
                ),
            );
        }
        if let Some(c) = comment_change(
            target(x),
            key.clone(),
            &old.and_then(|o| o.comment.clone()),
            &x.comment,
        ) {
            b.push(Phase::Comment, c);
        }
    }
}

fn policies(from: &Schema, to: &Schema, b: &mut Builder) {
    let (f, t) = (by_key(&from.policies), by_key(&to.policies));
    let changed = |a: &Policy, b: &Policy| {
        (a.permissive, &a.command, &a.roles, &a.using, &a.with_check)
            != (b.permissive, &b.command, &b.roles, &b.using, &b.with_check)
    };
    let drop = |x: &Policy| format!("DROP POLICY {} ON {};", quote_ident(&x.name), x.table);
    let target = |x: &Policy| format!("POLICY {} ON {}", quote_ident(&x.name), x.table);
    for (key, x) in &f {
        if t.get(key).is_none_or(|n| changed(x, n)) {
            let mut down = vec![render::create_policy(x)];
            down.extend(
                comment_change(target(x), key.clone(), &None, &x.comment)
                    .map(|c| c.up)
                    .unwrap_or_default(),
            );
            b.push(
                Phase::DropPolicy,
                change(ChangeKind::DropPolicy, key.clone(), vec![drop(x)], down),
            );
        }
    }
    for (key, x) in &t {
        let old = f.get(key).filter(|o| !changed(o, x));
        if old.is_none() {
            b.push(
                Phase::CreatePolicy,
                change(
                    ChangeKind::CreatePolicy,
                    key.clone(),
                    vec![render::create_policy(x)],
                    vec![drop(x)],
                ),
            );
        }
        if let Some(c) = comment_change(
            target(x),
            key.clone(),
            &old.and_then(|o| o.comment.clone()),
            &x.comment,
        ) {
            b.push(Phase::Comment, c);
        }
    }
}

/// The header every script starts with: names in the model's text are qualified for an empty
/// `search_path`, function bodies may name objects created later.
pub const PREAMBLE: [&str; 5] = [
    "SET client_encoding = 'UTF8';",
    "SET standard_conforming_strings = on;",
    "SET check_function_bodies = false;",
    "SET client_min_messages = warning;",
    "SELECT pg_catalog.set_config('search_path', '', false);",
];

/// The up script of `plan`, runnable by `psql`: each hazardous statement preceded by
/// `-- hazard: <id>: <message>`, destructive statements commented out unless `allow_destructive`.
/// The script opens no transaction, so non-transactional statements (`CONCURRENTLY`) run as they
/// stand.
pub fn render(plan: &Plan, allow_destructive: bool) -> String {
    let mut out = String::from("-- Migration generated by strata (diff).\n\n");
    for line in PREAMBLE {
        out.push_str(line);
        out.push('\n');
    }
    if plan.is_empty() {
        out.push_str("\n-- no changes\n");
        return out;
    }
    for c in &plan.changes {
        out.push('\n');
        for h in &c.hazards {
            let _ = writeln!(
                out,
                "-- hazard: {}: {}",
                h.id,
                h.message.replace(['\n', '\r'], " ")
            );
        }
        if c.non_transactional {
            out.push_str("-- non-transactional: runs outside a transaction block\n");
        }
        let skip = c.destructive && !allow_destructive;
        if skip {
            out.push_str("-- destructive: written only with --allow-destructive\n");
        }
        for statement in &c.up {
            for line in statement.lines() {
                if skip {
                    out.push_str("-- ");
                }
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(schema: &str, name: &str) -> QualifiedName {
        QualifiedName::new(Some(schema), name)
    }

    fn column(name: &str, data_type: &str) -> Column {
        let (type_name, type_modifier) = match data_type.split_once('(') {
            Some((base, rest)) => {
                let args: Vec<i32> = rest
                    .trim_end_matches(')')
                    .split(',')
                    .map(|n| n.trim().parse().unwrap())
                    .collect();
                let typmod = match args[..] {
                    [n] if base == "character varying" => n + 4,
                    [p] => (p << 16) + 4,
                    [p, s] => ((p << 16) | s) + 4,
                    _ => unreachable!(),
                };
                (base.to_owned(), Some(typmod))
            }
            None => (data_type.to_owned(), None),
        };
        Column {
            data_type: data_type.into(),
            type_modifier,
            ..Column::new(name, type_name)
        }
    }

    fn table(name: QualifiedName, columns: Vec<Column>) -> Table {
        Table::new(name, columns)
    }

    fn hostile() -> QualifiedName {
        q(r#"a"b"#, "Mixed Case")
    }

    fn with_tables(tables: Vec<Table>) -> Schema {
        let mut s = Schema {
            tables,
            ..Schema::default()
        };
        s.normalize();
        s
    }

    fn plan(from: &Schema, to: &Schema) -> Plan {
        diff(from, to, &DiffOptions::default())
    }

    fn only(plan: &Plan, kind: ChangeKind) -> &Change {
        let found: Vec<&Change> = plan.changes.iter().filter(|c| c.kind == kind).collect();
        assert_eq!(found.len(), 1, "{kind:?} in {plan:#?}");
        found[0]
    }

    fn hazards(c: &Change) -> Vec<&'static str> {
        c.hazards.iter().map(|h| h.id).collect()
    }

    #[test]
    fn equal_models_give_no_changes() {
        let s = with_tables(vec![table(hostile(), vec![column("order", "text")])]);
        assert!(plan(&s, &s).is_empty());
        assert!(render(&plan(&s, &s), false).contains("-- no changes"));
    }

    #[test]
    fn create_and_drop_table_quote_names() {
        let empty = Schema::default();
        let s = with_tables(vec![table(hostile(), vec![column(r#"a"b"#, "text")])]);
        let p = plan(&empty, &s);
        let c = only(&p, ChangeKind::CreateTable);
        assert!(
            c.up[0].starts_with(r#"CREATE TABLE "a""b"."Mixed Case" ("#),
            "{:?}",
            c.up
        );
        assert!(c.up[0].contains(r#""a""b" text"#));
        assert_eq!(c.down, [r#"DROP TABLE "a""b"."Mixed Case";"#]);

        let p = plan(&s, &empty);
        let c = only(&p, ChangeKind::DropTable);
        assert_eq!(hazards(c), ["data-loss"]);
        assert!(c.destructive);
        assert!(c.down[0].starts_with("CREATE TABLE"));
        let hidden = render(&p, false);
        assert!(
            hidden.contains("-- hazard: data-loss: table \"a\"\"b\".\"Mixed Case\""),
            "{hidden}"
        );
        assert!(hidden.contains("\n-- DROP TABLE"), "{hidden}");
        let shown = render(&p, true);
        assert!(
            shown.contains("\nDROP TABLE \"a\"\"b\".\"Mixed Case\";"),
            "{shown}"
        );
        assert!(!shown.contains("BEGIN"));
    }

    #[test]
    fn columns_added_and_dropped() {
        let from = with_tables(vec![table(
            hostile(),
            vec![column("id", "integer"), column("old", "text")],
        )]);
        let mut order = column("order", "text");
        order.not_null = true;
        let mut with_default = column("n", "integer");
        with_default.not_null = true;
        with_default.default = Some("0".into());
        let to = with_tables(vec![table(
            hostile(),
            vec![column("id", "integer"), order, with_default],
        )]);
        let p = plan(&from, &to);
        let drop = only(&p, ChangeKind::DropColumn);
        assert_eq!(hazards(drop), ["data-loss", "possible-rename"]);
        assert_eq!(
            drop.up,
            [r#"ALTER TABLE "a""b"."Mixed Case" DROP COLUMN "old";"#]
        );
        assert_eq!(
            drop.down,
            [r#"ALTER TABLE "a""b"."Mixed Case" ADD COLUMN "old" text;"#]
        );
        let adds: Vec<&Change> = p
            .changes
            .iter()
            .filter(|c| c.kind == ChangeKind::AddColumn)
            .collect();
        assert_eq!(adds.len(), 2);
        assert_eq!(hazards(adds[0]), ["not-null-backfill", "possible-rename"]);
        assert_eq!(
            adds[0].up,
            [r#"ALTER TABLE "a""b"."Mixed Case" ADD COLUMN "order" text NOT NULL;"#]
        );
        assert!(hazards(adds[1]).is_empty(), "a default fills the rows");
        // Drops come before adds; the plan's down undoes in reverse.
        assert_eq!(p.changes[0].kind, ChangeKind::DropColumn);
        assert_eq!(p.down().last().unwrap(), &drop.down[0]);
    }

    #[test]
    fn rename_hints_become_renames() {
        let from = with_tables(vec![
            table(hostile(), vec![column("old", "text")]),
            table(q("app", "order"), vec![]),
        ]);
        let to = with_tables(vec![
            table(hostile(), vec![column("new", "text")]),
            table(q("app", "a\"b"), vec![]),
        ]);
        let opts = DiffOptions {
            renames: vec![
                (r#"a"b.Mixed Case.old"#.into(), "new".into()),
                ("app.order".into(), "a\"b".into()),
            ],
            ..DiffOptions::default()
        };
        let p = diff(&from, &to, &opts);
        assert_eq!(p.changes.len(), 2, "{p:#?}");
        assert_eq!(
            only(&p, ChangeKind::RenameColumn).up,
            [r#"ALTER TABLE "a""b"."Mixed Case" RENAME COLUMN "old" TO "new";"#]
        );
        let t = only(&p, ChangeKind::RenameTable);
        assert_eq!(t.up, [r#"ALTER TABLE "app"."order" RENAME TO "a""b";"#]);
        assert_eq!(t.down, [r#"ALTER TABLE "app"."a""b" RENAME TO "order";"#]);
    }

    #[test]
    fn type_changes_binary_compatible_or_rewrite() {
        let cases = [
            ("character varying(10)", "character varying(20)", false),
            ("character varying(10)", "text", false),
            ("character varying(10)", "character varying", false),
            ("numeric(10,2)", "numeric(12,2)", false),
            ("numeric(10,2)", "numeric", false),
            ("character varying(20)", "character varying(10)", true),
            ("numeric(10,2)", "numeric(12,3)", true),
            ("integer", "bigint", true),
            ("text", "integer", true),
        ];
        for (a, b, rewrite) in cases {
            let from = with_tables(vec![table(hostile(), vec![column("order", a)])]);
            let to = with_tables(vec![table(hostile(), vec![column("order", b)])]);
            let p = plan(&from, &to);
            let c = only(&p, ChangeKind::AlterColumnType);
            assert_eq!(hazards(c) == ["table-rewrite"], rewrite, "{a} -> {b}");
            assert_eq!(
                c.up,
                [format!(
                    r#"ALTER TABLE "a""b"."Mixed Case" ALTER COLUMN "order" TYPE {b} USING "order"::{b};"#
                )]
            );
        }
    }

    #[test]
    fn set_not_null_goes_through_a_check() {
        let from = with_tables(vec![table(hostile(), vec![column("order", "text")])]);
        let mut c = column("order", "text");
        c.not_null = true;
        c.default = Some("'it''s'::text".into());
        let to = with_tables(vec![table(hostile(), vec![c])]);
        let p = plan(&from, &to);
        let set = only(&p, ChangeKind::SetNotNull);
        assert_eq!(
            set.up,
            [
                r#"ALTER TABLE "a""b"."Mixed Case" ADD CONSTRAINT "order_not_null" CHECK ("order" IS NOT NULL) NOT VALID;"#,
                r#"ALTER TABLE "a""b"."Mixed Case" VALIDATE CONSTRAINT "order_not_null";"#,
                r#"ALTER TABLE "a""b"."Mixed Case" ALTER COLUMN "order" SET NOT NULL;"#,
                r#"ALTER TABLE "a""b"."Mixed Case" DROP CONSTRAINT "order_not_null";"#,
            ]
        );
        assert_eq!(
            set.down,
            [r#"ALTER TABLE "a""b"."Mixed Case" ALTER COLUMN "order" DROP NOT NULL;"#]
        );
        let d = only(&p, ChangeKind::SetDefault);
        assert_eq!(
            d.down,
            [r#"ALTER TABLE "a""b"."Mixed Case" ALTER COLUMN "order" DROP DEFAULT;"#]
        );
        let back = plan(&to, &from);
        only(&back, ChangeKind::DropNotNull);
        only(&back, ChangeKind::DropDefault);
    }

    fn index(table: &QualifiedName, name: &str) -> Index {
        Index {
            name: QualifiedName::new(table.schema.as_deref(), name),
            table: table.clone(),
            definition: format!(
                "CREATE INDEX {} ON {table} USING btree (\"order\")",
                quote_ident(name)
            ),
            unique: false,
            method: "btree".into(),
            columns: vec!["\"order\"".into()],
            include: vec![],
            predicate: None,
            nulls_not_distinct: false,
            comment: None,
        }
    }

    #[test]
    fn index_on_an_existing_table_is_concurrent() {
        let t = table(hostile(), vec![column("order", "text")]);
        let from = with_tables(vec![t.clone()]);
        let mut to = with_tables(vec![t]);
        to.indexes.push(index(&hostile(), "i\"x"));
        let p = plan(&from, &to);
        let c = only(&p, ChangeKind::CreateIndex);
        assert!(c.non_transactional);
        assert_eq!(
            c.up,
            [r#"CREATE INDEX CONCURRENTLY "i""x" ON "a""b"."Mixed Case" USING btree ("order");"#]
        );
        assert_eq!(c.down, [r#"DROP INDEX CONCURRENTLY "a""b"."i""x";"#]);
        assert!(render(&p, false).contains("-- non-transactional"));
        // On a new table: plain, in the transaction.
        let mut fresh = to.clone();
        fresh.tables[0].name = q("app", "order");
        fresh.indexes[0] = index(&q("app", "order"), "i");
        let p = plan(&Schema::default(), &fresh);
        let c = only(&p, ChangeKind::CreateIndex);
        assert!(!c.non_transactional && !c.up[0].contains("CONCURRENTLY"));
        assert!(
            p.changes
                .iter()
                .position(|c| c.kind == ChangeKind::CreateTable)
                < p.changes
                    .iter()
                    .position(|c| c.kind == ChangeKind::CreateIndex)
        );
        // Dropped.
        let p = plan(&to, &from);
        assert_eq!(
            only(&p, ChangeKind::DropIndex).up,
            [r#"DROP INDEX "a""b"."i""x";"#]
        );
    }

    fn constraint(
        table: &QualifiedName,
        name: &str,
        kind: ConstraintKind,
        definition: &str,
    ) -> Constraint {
        Constraint {
            table: table.clone(),
            name: name.into(),
            kind,
            definition: definition.into(),
            columns: vec![],
            validated: true,
            deferrable: false,
            initially_deferred: false,
            no_inherit: false,
            inherited: false,
            foreign_key: None,
            comment: None,
        }
    }

    #[test]
    fn constraints_on_existing_tables_are_added_not_valid() {
        let t = table(hostile(), vec![column("order", "integer")]);
        let from = with_tables(vec![t.clone()]);
        let mut to = with_tables(vec![t]);
        to.constraints = vec![
            constraint(
                &hostile(),
                "fk",
                ConstraintKind::ForeignKey,
                r#"FOREIGN KEY ("order") REFERENCES "a""b"."Mixed Case"("order")"#,
            ),
            constraint(
                &hostile(),
                "order",
                ConstraintKind::Check,
                r#"CHECK (("order" > 0))"#,
            ),
            constraint(
                &hostile(),
                "pk",
                ConstraintKind::PrimaryKey,
                r#"PRIMARY KEY ("order")"#,
            ),
        ];
        to.normalize();
        let p = plan(&from, &to);
        let k: Vec<ChangeKind> = p.changes.iter().map(|c| c.kind).collect();
        use ChangeKind::*;
        // Checks and keys, then foreign keys, then validations.
        assert_eq!(
            k,
            [
                AddConstraint,
                AddConstraint,
                AddConstraint,
                ValidateConstraint,
                ValidateConstraint
            ]
        );
        assert_eq!(
            p.changes[0].up,
            [
                r#"ALTER TABLE "a""b"."Mixed Case" ADD CONSTRAINT "order" CHECK (("order" > 0)) NOT VALID;"#
            ]
        );
        assert!(
            !p.changes[1].up[0].contains("NOT VALID"),
            "primary keys are added directly"
        );
        assert!(
            p.changes[2].up[0].contains("FOREIGN KEY")
                && p.changes[2].up[0].ends_with("NOT VALID;")
        );
        assert_eq!(
            p.changes[4].up,
            [r#"ALTER TABLE "a""b"."Mixed Case" VALIDATE CONSTRAINT "order";"#]
        );
        // Dropped: foreign keys first.
        let p = plan(&to, &from);
        assert!(
            p.changes[0].up[0].contains(r#"DROP CONSTRAINT "fk""#),
            "{p:#?}"
        );
        assert!(p.changes.iter().all(|c| c.kind == DropConstraint));
    }

    #[test]
    fn schemas_enums_sequences_functions_views_and_comments() {
        let from = Schema {
            enums: vec![EnumType {
                name: q("app", "mood"),
                labels: vec!["sad".into(), "happy".into()],
                comment: None,
            }],
            ..Schema::default()
        };
        let view = View {
            name: q("app", "v"),
            definition: " SELECT 1 AS \"a\"\"b\";".into(),
            options: vec![],
            comment: Some("it's".into()),
            depends_on: vec![],
        };
        let to = Schema {
            schemas: vec![Namespace { name: "Mixed Case".into(), comment: Some("it's".into()) }],
            enums: vec![EnumType { name: q("app", "mood"), labels: vec!["sad".into(), "it's ok".into(), "happy".into()], comment: None }],
            sequences: vec![Sequence {
                name: q("app", "order seq"),
                options: SequenceOptions { data_type: "bigint".into(), start: 1, increment: 1, min_value: 1, max_value: 100, cache: 1, cycle: false },
                unlogged: false,
                owned_by: None,
                comment: None,
            }],
            functions: vec![Function {
                name: q("app", "f"),
                arguments: "integer".into(),
                signature: "x integer".into(),
                kind: FunctionKind::Function,
                returns: Some("integer".into()),
                language: "sql".into(),
                definition: "CREATE OR REPLACE FUNCTION app.f(x integer)\n RETURNS integer\n LANGUAGE sql\nAS $function$SELECT x$function$\n".into(),
                comment: None,
                depends_on: vec![],
            }],
            views: vec![view],
            ..Schema::default()
        };
        let p = plan(&from, &to);
        use ChangeKind::*;
        let k: Vec<ChangeKind> = p.changes.iter().map(|c| c.kind).collect();
        assert_eq!(
            k,
            [
                CreateSchema,
                AddEnumValue,
                CreateSequence,
                CreateFunction,
                CreateView,
                SetComment,
                SetComment
            ]
        );
        assert_eq!(
            p.changes[0].up,
            [r#"CREATE SCHEMA IF NOT EXISTS "Mixed Case";"#]
        );
        assert_eq!(
            p.changes[1].up,
            [r#"ALTER TYPE "app"."mood" ADD VALUE 'it''s ok' AFTER 'sad';"#]
        );
        assert!(p.changes[1].non_transactional);
        assert_eq!(p.changes[3].down, [r#"DROP FUNCTION "app"."f"(integer);"#]);
        assert_eq!(
            p.changes[5].up,
            [r#"COMMENT ON SCHEMA "Mixed Case" IS 'it''s';"#]
        );
        assert_eq!(
            p.changes[5].down,
            [r#"COMMENT ON SCHEMA "Mixed Case" IS NULL;"#]
        );
        assert_eq!(
            p.changes[6].up,
            [r#"COMMENT ON VIEW "app"."v" IS 'it''s';"#]
        );
        // And back: drops, in reverse dependency order; a removed label re-creates the type.
        let back = plan(&to, &from);
        let k: Vec<ChangeKind> = back.changes.iter().map(|c| c.kind).collect();
        assert_eq!(
            k,
            [
                DropView,
                DropFunction,
                DropSequence,
                DropEnum,
                DropSchema,
                CreateEnum
            ]
        );
        assert_eq!(hazards(&back.changes[3]), ["data-loss"]);
        // A changed function is replaced, its down the old definition.
        let mut changed = to.clone();
        changed.functions[0].definition = changed.functions[0]
            .definition
            .replace("SELECT x", "SELECT x + 1");
        let p = plan(&to, &changed);
        let r = only(&p, ReplaceFunction);
        assert!(r.up[0].contains("SELECT x + 1") && r.down[0].contains("SELECT x$"));
    }

    #[test]
    fn triggers_and_policies_quote_names() {
        let t = table(hostile(), vec![column("order", "text")]);
        let from = with_tables(vec![t.clone()]);
        let mut to = with_tables(vec![t]);
        to.triggers.push(Trigger {
            table: hostile(),
            name: "a\"b".into(),
            definition: r#"CREATE TRIGGER "a""b" BEFORE INSERT ON "a""b"."Mixed Case" FOR EACH ROW EXECUTE FUNCTION "a""b".f()"#.into(),
            constraint: false,
            enabled: TriggerEnabled::Disabled,
            comment: None,
        });
        to.policies.push(Policy {
            table: hostile(),
            name: "order".into(),
            permissive: true,
            command: "ALL".into(),
            roles: vec!["public".into()],
            using: Some("(\"order\" = 'it''s'::text)".into()),
            with_check: None,
            comment: None,
        });
        let p = plan(&from, &to);
        let c = only(&p, ChangeKind::CreateTrigger);
        assert_eq!(c.up.len(), 2);
        assert_eq!(
            c.up[1],
            r#"ALTER TABLE "a""b"."Mixed Case" DISABLE TRIGGER "a""b";"#
        );
        assert_eq!(c.down, [r#"DROP TRIGGER "a""b" ON "a""b"."Mixed Case";"#]);
        let c = only(&p, ChangeKind::CreatePolicy);
        assert!(c.up[0].starts_with(
            r#"CREATE POLICY "order" ON "a""b"."Mixed Case" AS PERMISSIVE FOR ALL TO PUBLIC"#
        ));
        assert_eq!(c.down, [r#"DROP POLICY "order" ON "a""b"."Mixed Case";"#]);
        let back = plan(&to, &from);
        let k: Vec<ChangeKind> = back.changes.iter().map(|c| c.kind).collect();
        assert_eq!(k, [ChangeKind::DropPolicy, ChangeKind::DropTrigger]);
    }

    #[test]
    fn identity_and_sequence_changes() {
        let opts = SequenceOptions {
            data_type: "bigint".into(),
            start: 1,
            increment: 1,
            min_value: 1,
            max_value: 100,
            cache: 1,
            cycle: false,
        };
        let mut plain = column("order", "bigint");
        plain.not_null = true;
        let mut ident = plain.clone();
        ident.identity = Some(Identity {
            always: true,
            sequence: q(r#"a"b"#, "seq"),
            options: opts.clone(),
        });
        let from = with_tables(vec![table(hostile(), vec![plain])]);
        let to = with_tables(vec![table(hostile(), vec![ident.clone()])]);
        let p = plan(&from, &to);
        let add = only(&p, ChangeKind::AddIdentity);
        assert_eq!(
            add.up,
            [
                r#"ALTER TABLE "a""b"."Mixed Case" ALTER COLUMN "order" ADD GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME "a""b"."seq" START WITH 1 INCREMENT BY 1 MINVALUE 1 MAXVALUE 100 CACHE 1 NO CYCLE);"#
            ]
        );
        assert_eq!(
            only(&plan(&to, &from), ChangeKind::DropIdentity).up.len(),
            1
        );
        let mut changed = ident;
        changed.identity.as_mut().unwrap().options.increment = 5;
        let to2 = with_tables(vec![table(hostile(), vec![changed])]);
        let alter = only(&plan(&to, &to2), ChangeKind::AlterIdentity).up[0].clone();
        assert!(
            alter.contains("SET GENERATED ALWAYS") && alter.contains("SET INCREMENT BY 5"),
            "{alter}"
        );

        let seq = |increment: i64, owned: bool| Sequence {
            name: q("app", "order seq"),
            options: SequenceOptions {
                increment,
                ..opts.clone()
            },
            unlogged: false,
            owned_by: owned.then(|| ColumnRef {
                table: hostile(),
                column: "order".into(),
            }),
            comment: None,
        };
        let a = Schema {
            sequences: vec![seq(1, false)],
            ..Schema::default()
        };
        let b = Schema {
            sequences: vec![seq(2, true)],
            ..Schema::default()
        };
        let p = plan(&a, &b);
        let ups: Vec<&str> = p.changes.iter().map(|c| c.up[0].as_str()).collect();
        assert_eq!(
            ups,
            [
                r#"ALTER SEQUENCE "app"."order seq" AS bigint START WITH 1 INCREMENT BY 2 MINVALUE 1 MAXVALUE 100 CACHE 1 NO CYCLE;"#,
                r#"ALTER SEQUENCE "app"."order seq" OWNED BY "a""b"."Mixed Case"."order";"#,
            ]
        );
        assert_eq!(
            p.down()[0],
            r#"ALTER SEQUENCE "app"."order seq" OWNED BY NONE;"#
        );
    }
}
