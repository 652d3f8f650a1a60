//! The migration diff (SPEC §7): typed changes from one model to another, ordered by dependency,
//! each with its up SQL, its inverse (down) SQL and the hazards it carries. Safe forms are the
//! default: indexes on existing tables are built `CONCURRENTLY`, foreign keys and checks on
//! existing tables (and checks on existing domains) are added `NOT VALID` then validated,
//! `SET NOT NULL` goes through a validated check constraint.
//!
//! Order. Objects that depend on one another in either direction (collations, text search
//! configurations, enums, domains, composite and range types, sequences, functions, aggregates,
//! tables) are created in one phase in dependency order (`depends_on`, plus partitions after
//! their parent, children after their parents and users after their collations), and dropped in
//! the reverse order. Objects re-created because PostgreSQL cannot alter them are dropped early,
//! before anything is created; everything else that goes is dropped late, after the columns that
//! used it have been altered (a default that called a dropped function, a column whose type was a
//! dropped type). What uses a re-created object is re-created with it when it holds no data
//! (views, materialized views, domains, composite and range types, functions, aggregates); a type
//! whose change needs a re-creation while a table that stays uses it is not touched: the plan
//! holds a `manual-step` change saying why.
//!
//! Every name is written with [`quote_ident`] / [`QualifiedName`]'s `Display`, every value with
//! [`quote_literal`]; types, expressions and definitions are PostgreSQL's own text from the model.

use crate::model::*;
use crate::render;
use std::collections::{BTreeMap, BTreeSet, HashMap};
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
    /// `CREATE EXTENSION IF NOT EXISTS … WITH SCHEMA … VERSION …`.
    CreateExtension,
    DropExtension,
    /// `ALTER EXTENSION … UPDATE TO …` / `SET SCHEMA …`.
    AlterExtension,
    CreateCollation,
    DropCollation,
    CreateTextSearchConfig,
    DropTextSearchConfig,
    CreateEnum,
    AddEnumValue,
    DropEnum,
    CreateDomain,
    DropDomain,
    /// `ALTER DOMAIN … SET/DROP DEFAULT`, `SET/DROP NOT NULL`.
    AlterDomain,
    /// `ALTER DOMAIN … ADD CONSTRAINT …` (`NOT VALID`, validated by a `ValidateConstraint`).
    AddDomainConstraint,
    DropDomainConstraint,
    CreateCompositeType,
    DropCompositeType,
    /// `ALTER TYPE … ADD ATTRIBUTE`.
    AddAttribute,
    /// `ALTER TYPE … DROP ATTRIBUTE`.
    DropAttribute,
    /// `ALTER TYPE … ALTER ATTRIBUTE … SET DATA TYPE`.
    AlterAttribute,
    CreateRangeType,
    DropRangeType,
    CreateSequence,
    DropSequence,
    AlterSequence,
    CreateFunction,
    DropFunction,
    ReplaceFunction,
    CreateAggregate,
    DropAggregate,
    /// `CREATE OR REPLACE AGGREGATE`.
    ReplaceAggregate,
    CreateTable,
    DropTable,
    RenameTable,
    /// `ALTER TABLE parent ATTACH PARTITION … FOR VALUES …`.
    AttachPartition,
    DetachPartition,
    /// `ALTER TABLE … INHERIT parent`.
    Inherit,
    NoInherit,
    /// `ALTER TABLE … SET LOGGED` (hazard `table-rewrite`).
    SetLogged,
    /// `ALTER TABLE … SET UNLOGGED` (hazard `table-rewrite`).
    SetUnlogged,
    /// `ALTER TABLE … SET (…)` / `RESET (…)`: storage parameters.
    SetTableOptions,
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
    /// `ALTER TABLE … ALTER CONSTRAINT … [NOT] DEFERRABLE …` (foreign keys).
    AlterConstraint,
    CreateTrigger,
    DropTrigger,
    CreatePolicy,
    DropPolicy,
    EnableRls,
    DisableRls,
    SetComment,
    /// A change the diff does not make, because PostgreSQL cannot alter the object in place and
    /// what uses it stays: its up and down are comments, its hazard `manual-step` says why.
    ManualStep,
    /// SQLite: a table re-created under its new definition and its rows copied (what SQLite's
    /// `ALTER TABLE` cannot do).
    RebuildTable,
}

/// A risk a change carries, named by a stable id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hazard {
    /// `data-loss`, `table-rewrite`, `not-null-backfill`, `possible-rename` or `manual-step`.
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

/// Phases, in plan order: drops of dependents first, then creates in dependency order, then late
/// drops, then what hangs off tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Rename,
    DropPolicy,
    DropTrigger,
    DropForeignKey,
    DropConstraint,
    DropIndex,
    DropView,
    /// `DETACH PARTITION`, `NO INHERIT`.
    Detach,
    /// `OWNED BY NONE` before the owning column or table goes (it would take the sequence along).
    ReleaseOwnership,
    DropColumn,
    /// Drops of what is re-created, and of what goes and depends on it (reverse dependency order).
    DropEarly,
    CreateSchema,
    CreateExtension,
    /// Creates and in-place changes of definitions, in dependency order.
    CreateDefinition,
    AlterColumn,
    AlterTable,
    /// `ATTACH PARTITION`, `INHERIT`: after both sides have their columns.
    Attach,
    /// Every other drop of a definition (reverse dependency order).
    DropLate,
    DropExtension,
    DropSchema,
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

/// What the diff knows about both models beyond the objects themselves.
struct Ctx {
    /// Creation order of definitions in `from` (drops go in reverse) and in `to`.
    from_pos: HashMap<ObjectRef, usize>,
    to_pos: HashMap<ObjectRef, usize>,
    /// Definitions dropped and re-created: PostgreSQL cannot alter them (nothing that stays and
    /// holds data uses them), and what holds no data and uses them (views aside).
    recreate: BTreeSet<ObjectRef>,
    /// Definitions that would need a re-creation but are used by objects that stay: the users.
    blocked: BTreeMap<ObjectRef, Vec<ObjectRef>>,
    /// Drops that run before the creates: `recreate` and what goes and depends on it.
    early: BTreeSet<ObjectRef>,
    /// Views and materialized views that read any of these are dropped and re-created.
    view_breakers: BTreeSet<ObjectRef>,
    /// Levels of parents of each table (partitions and inheritance): parents are altered first.
    depth: HashMap<QualifiedName, usize>,
}

struct Builder {
    ctx: Ctx,
    out: Vec<(Phase, usize, Change)>,
}

impl Builder {
    fn push(&mut self, phase: Phase, c: Change) {
        self.push_at(phase, 0, c);
    }

    fn push_at(&mut self, phase: Phase, order: usize, c: Change) {
        self.out.push((phase, order, c));
    }

    /// A create or in-place change of a definition: at its place in `to`'s dependency order.
    fn create(&mut self, c: Change) {
        let order = self
            .ctx
            .to_pos
            .get(&c.object)
            .copied()
            .unwrap_or(usize::MAX);
        self.push_at(Phase::CreateDefinition, order, c);
    }

    /// A drop of a definition: early or late, in reverse of `from`'s dependency order.
    fn drop(&mut self, c: Change) {
        let phase = if self.ctx.early.contains(&c.object) {
            Phase::DropEarly
        } else {
            Phase::DropLate
        };
        let order = usize::MAX - self.ctx.from_pos.get(&c.object).copied().unwrap_or(0);
        self.push_at(phase, order, c);
    }

    fn depth(&self, table: &QualifiedName) -> usize {
        self.ctx.depth.get(table).copied().unwrap_or(0)
    }
}

fn by_key<T: Keyed>(items: &[T]) -> BTreeMap<ObjectRef, &T> {
    items.iter().map(|i| (i.key(), i)).collect()
}

/// The changes that turn `from` into `to`.
pub fn diff(from: &Schema, to: &Schema, opts: &DiffOptions) -> Plan {
    let mut renames = Vec::new();
    let from = apply_renames(from, to, opts, &mut renames);
    let from = &from;
    let mut b = Builder {
        ctx: Ctx::new(from, to),
        out: Vec::new(),
    };
    for c in renames {
        b.push(Phase::Rename, c);
    }
    schemas(from, to, &mut b);
    extensions(from, to, &mut b);
    definitions(&mut b, &from.collations, &to.collations, |_, _, _| {
        BTreeSet::new()
    });
    definitions(
        &mut b,
        &from.text_search_configs,
        &to.text_search_configs,
        |_, _, _| BTreeSet::new(),
    );
    definitions(&mut b, &from.enums, &to.enums, alter_enum);
    definitions(&mut b, &from.domains, &to.domains, alter_domain);
    definitions(
        &mut b,
        &from.composite_types,
        &to.composite_types,
        alter_composite,
    );
    definitions(&mut b, &from.range_types, &to.range_types, |_, _, _| {
        BTreeSet::new()
    });
    definitions(&mut b, &from.sequences, &to.sequences, alter_sequence);
    sequence_owners(from, to, &mut b);
    definitions(&mut b, &from.functions, &to.functions, replace_function);
    definitions(&mut b, &from.aggregates, &to.aggregates, replace_aggregate);
    tables(from, to, &mut b);
    let recreated = views(from, to, &mut b);
    indexes(from, to, &recreated, &mut b);
    constraints(from, to, &mut b);
    triggers(from, to, &mut b);
    policies(from, to, &mut b);
    // Stable sort: within a phase and place, the order changes were produced in (key order).
    b.out.sort_by_key(|(phase, order, _)| (*phase, *order));
    Plan {
        changes: b.out.into_iter().map(|(_, _, c)| c).collect(),
    }
}

fn collation_ref(name: &QualifiedName) -> ObjectRef {
    ObjectRef::new(ObjectKind::Collation, name.clone())
}

/// Every definition of `s` with what it needs: `depends_on`, plus the collations it uses, and for
/// a table its partition parent and inheritance parents.
fn graph(s: &Schema) -> Vec<(ObjectRef, Vec<ObjectRef>)> {
    let collations = |names: &mut dyn Iterator<Item = &QualifiedName>| -> Vec<ObjectRef> {
        names.map(collation_ref).collect()
    };
    let mut out: Vec<(ObjectRef, Vec<ObjectRef>)> = Vec::new();
    out.extend(s.collations.iter().map(|c| (c.key(), Vec::new())));
    out.extend(s.text_search_configs.iter().map(|c| (c.key(), Vec::new())));
    out.extend(s.enums.iter().map(|e| (e.key(), Vec::new())));
    out.extend(s.sequences.iter().map(|q| (q.key(), Vec::new())));
    for d in &s.domains {
        let mut deps = d.depends_on.clone();
        deps.extend(collations(&mut d.collation.iter()));
        out.push((d.key(), deps));
    }
    for t in &s.composite_types {
        let mut deps = t.depends_on.clone();
        deps.extend(collations(
            &mut t.attributes.iter().filter_map(|a| a.collation.as_ref()),
        ));
        out.push((t.key(), deps));
    }
    for r in &s.range_types {
        let mut deps = r.depends_on.clone();
        deps.extend(collations(&mut r.collation.iter()));
        out.push((r.key(), deps));
    }
    out.extend(s.functions.iter().map(|f| (f.key(), f.depends_on.clone())));
    out.extend(s.aggregates.iter().map(|a| (a.key(), a.depends_on.clone())));
    for t in &s.tables {
        let mut deps = t.depends_on.clone();
        deps.extend(collations(
            &mut t.columns.iter().filter_map(|c| c.collation.as_ref()),
        ));
        deps.extend(parents(t).into_iter().map(table_ref));
        out.push((t.key(), deps));
    }
    out.extend(s.views.iter().map(|v| (v.key(), v.depends_on.clone())));
    out.extend(
        s.materialized_views
            .iter()
            .map(|v| (v.key(), v.depends_on.clone())),
    );
    out
}

/// Kinds in creation order when nothing else decides.
fn rank(kind: ObjectKind) -> u8 {
    match kind {
        ObjectKind::Collation
        | ObjectKind::TextSearchConfig
        | ObjectKind::Enum
        | ObjectKind::Sequence => 0,
        ObjectKind::Domain => 1,
        ObjectKind::RangeType | ObjectKind::CompositeType => 2,
        ObjectKind::Function => 3,
        ObjectKind::Aggregate => 4,
        ObjectKind::Table => 5,
        ObjectKind::View => 6,
        ObjectKind::MaterializedView => 7,
        _ => 8,
    }
}

fn positions(graph: &[(ObjectRef, Vec<ObjectRef>)]) -> HashMap<ObjectRef, usize> {
    render::dependency_order(graph, rank)
        .into_iter()
        .enumerate()
        .map(|(place, (i, _))| (graph[i].0.clone(), place))
        .collect()
}

/// Pairs of objects with the same key on both sides for which `needs` holds.
fn changed<T: Keyed>(
    from: &[T],
    to: &[T],
    needs: impl Fn(&T, &T) -> bool,
    out: &mut BTreeSet<ObjectRef>,
) {
    let t = by_key(to);
    for o in from {
        let key = o.key();
        if let Some(n) = t.get(&key) {
            if needs(o, n) {
                out.insert(key);
            }
        }
    }
}

impl Ctx {
    fn new(from: &Schema, to: &Schema) -> Ctx {
        let from_graph = graph(from);
        let to_graph = graph(to);
        let to_keys: BTreeSet<&ObjectRef> = to_graph.iter().map(|(k, _)| k).collect();
        // What PostgreSQL cannot alter in place.
        let mut recreate: BTreeSet<ObjectRef> = BTreeSet::new();
        changed(
            &from.collations,
            &to.collations,
            |o, n| {
                Collation {
                    comment: None,
                    ..o.clone()
                } != Collation {
                    comment: None,
                    ..n.clone()
                }
            },
            &mut recreate,
        );
        changed(
            &from.text_search_configs,
            &to.text_search_configs,
            |o, n| (&o.parser, &o.mappings) != (&n.parser, &n.mappings),
            &mut recreate,
        );
        changed(
            &from.enums,
            &to.enums,
            |o, n| o.labels != n.labels && !labels_only_added(o, n),
            &mut recreate,
        );
        changed(
            &from.domains,
            &to.domains,
            |o, n| (&o.data_type, &o.collation) != (&n.data_type, &n.collation),
            &mut recreate,
        );
        let used_by_table = |key: &ObjectRef| {
            from.tables
                .iter()
                .any(|t| t.depends_on.contains(key) && to.table(&t.name).is_some())
        };
        let mut reshaped = BTreeSet::new();
        changed(
            &from.composite_types,
            &to.composite_types,
            |o, n| o.attributes != n.attributes,
            &mut reshaped,
        );
        for key in &reshaped {
            let (o, n) = (
                from.composite_types.iter().find(|t| &t.key() == key),
                to.composite_types.iter().find(|t| &t.key() == key),
            );
            if let (Some(o), Some(n)) = (o, n) {
                if !attributes_alterable(o, n) || used_by_table(key) {
                    recreate.insert(key.clone());
                }
            }
        }
        changed(
            &from.range_types,
            &to.range_types,
            |o, n| {
                RangeType {
                    comment: None,
                    depends_on: vec![],
                    ..o.clone()
                } != RangeType {
                    comment: None,
                    depends_on: vec![],
                    ..n.clone()
                }
            },
            &mut recreate,
        );
        changed(
            &from.functions,
            &to.functions,
            |o, n| !function_replaceable(o, n),
            &mut recreate,
        );
        changed(
            &from.aggregates,
            &to.aggregates,
            |o, n| aggregate_body(o) != aggregate_body(n) && !aggregate_replaceable(o, n),
            &mut recreate,
        );
        // What uses an object and stays: views and materialized views are re-created with it;
        // types and routines (they hold no data) are dropped and re-created with it too; anything
        // else (a table) blocks the re-creation.
        let users = |key: &ObjectRef| -> Vec<ObjectRef> {
            from_graph
                .iter()
                .filter(|(user, deps)| {
                    user != key
                        && deps.contains(key)
                        && to_keys.contains(user)
                        && !matches!(user.kind, ObjectKind::View | ObjectKind::MaterializedView)
                })
                .map(|(user, _)| user.clone())
                .collect()
        };
        let hidden = hidden_users(from);
        let carried = |key: &ObjectRef| {
            matches!(
                key.kind,
                ObjectKind::Domain
                    | ObjectKind::CompositeType
                    | ObjectKind::RangeType
                    | ObjectKind::Aggregate
            ) || (key.kind == ObjectKind::Function && !hidden.contains(&key.name.name))
        };
        let mut blocked: BTreeMap<ObjectRef, Vec<ObjectRef>> = BTreeMap::new();
        let mut candidates = recreate;
        let recreate = loop {
            let mut all = BTreeSet::new();
            let mut newly = Vec::new();
            for start in &candidates {
                let mut closure = BTreeSet::from([start.clone()]);
                let mut stack = vec![start.clone()];
                let mut blockers = Vec::new();
                while let Some(key) = stack.pop() {
                    for user in users(&key) {
                        if candidates.contains(&user) || closure.contains(&user) {
                            continue;
                        }
                        if carried(&user) {
                            closure.insert(user.clone());
                            stack.push(user);
                        } else if !blockers.contains(&user) {
                            blockers.push(user);
                        }
                    }
                }
                if blockers.is_empty() {
                    all.extend(closure);
                } else {
                    newly.push((start.clone(), blockers));
                }
            }
            if newly.is_empty() {
                break all;
            }
            for (key, users) in newly {
                candidates.remove(&key);
                blocked.insert(key, users);
            }
        };
        // What goes and depends on an early drop goes before it.
        let mut early = recreate.clone();
        loop {
            let more: Vec<ObjectRef> = from_graph
                .iter()
                .filter(|(k, deps)| {
                    !to_keys.contains(k)
                        && !early.contains(k)
                        && deps.iter().any(|d| early.contains(d))
                })
                .map(|(k, _)| k.clone())
                .collect();
            if more.is_empty() {
                break;
            }
            early.extend(more);
        }
        let mut view_breakers = recreate.clone();
        view_breakers.extend(reshaped.into_iter().filter(|k| !blocked.contains_key(k)));
        let mut depth: HashMap<QualifiedName, usize> = render::depths(from)
            .into_iter()
            .map(|(k, v)| (k.clone(), v))
            .collect();
        depth.extend(render::depths(to).into_iter().map(|(k, v)| (k.clone(), v)));
        Ctx {
            from_pos: positions(&from_graph),
            to_pos: positions(&to_graph),
            recreate,
            blocked,
            early,
            view_breakers,
            depth,
        }
    }
}

/// Names of functions that a constraint, index, trigger or policy may call (the model records no
/// dependencies for those): such a function is not dropped and re-created along with a type it
/// uses, since PostgreSQL would refuse the drop.
fn hidden_users(s: &Schema) -> BTreeSet<String> {
    let texts: Vec<&str> = s
        .constraints
        .iter()
        .map(|c| c.definition.as_str())
        .chain(s.indexes.iter().map(|i| i.definition.as_str()))
        .chain(s.triggers.iter().map(|t| t.definition.as_str()))
        .chain(
            s.policies
                .iter()
                .flat_map(|p| p.using.iter().chain(p.with_check.iter()))
                .map(String::as_str),
        )
        .collect();
    s.functions
        .iter()
        .map(|f| f.name.name.clone())
        .filter(|name| texts.iter().any(|t| t.contains(name.as_str())))
        .collect()
}

fn table_ref(name: &QualifiedName) -> ObjectRef {
    ObjectRef::new(ObjectKind::Table, name.clone())
}

/// A table's partition parent and inheritance parents.
fn parents(t: &Table) -> Vec<&QualifiedName> {
    t.partition_of
        .iter()
        .map(|p| &p.parent)
        .chain(t.inherits.iter())
        .collect()
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
fn apply_renames(from: &Schema, to: &Schema, opts: &DiffOptions, out: &mut Vec<Change>) -> Schema {
    let mut from = from.clone();
    for (old, new) in &opts.renames {
        // A table rename: the old name is a table of `from` and the new one a table of `to`.
        if let Some(t) = find_table(&from, old) {
            let old_name = t.name.clone();
            let new_name = QualifiedName::new(old_name.schema.as_deref(), new);
            if to.table(&new_name).is_some() && from.table(&new_name).is_none() {
                rename_table(&mut from, &old_name, &new_name);
                out.push(change(
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
                ));
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
        for s in &mut from.sequences {
            if let Some(o) = &mut s.owned_by {
                if o.table == name && o.column == column {
                    o.column = new.clone();
                }
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
        out.push(c);
    }
    from
}

fn rename_table(schema: &mut Schema, old: &QualifiedName, new: &QualifiedName) {
    let old_ref = table_ref(old);
    let new_ref = table_ref(new);
    let rename = |name: &mut QualifiedName| {
        if name == old {
            *name = new.clone();
        }
    };
    let rename_refs = |refs: &mut Vec<ObjectRef>| {
        for r in refs {
            if *r == old_ref {
                *r = new_ref.clone();
            }
        }
    };
    for t in &mut schema.tables {
        rename(&mut t.name);
        if let Some(p) = &mut t.partition_of {
            rename(&mut p.parent);
        }
        t.inherits.iter_mut().for_each(rename);
        rename_refs(&mut t.depends_on);
    }
    for c in &mut schema.constraints {
        rename(&mut c.table);
    }
    for i in &mut schema.indexes {
        rename(&mut i.table);
    }
    for t in &mut schema.triggers {
        rename(&mut t.table);
    }
    for p in &mut schema.policies {
        rename(&mut p.table);
    }
    for s in &mut schema.sequences {
        if let Some(o) = &mut s.owned_by {
            rename(&mut o.table);
        }
    }
    for f in &mut schema.functions {
        rename_refs(&mut f.depends_on);
    }
    for v in &mut schema.views {
        rename_refs(&mut v.depends_on);
    }
    for v in &mut schema.materialized_views {
        rename_refs(&mut v.depends_on);
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

/// `COMMENT ON … IS …` for each comment set.
fn comment_statements(comments: &[(String, Option<String>)]) -> Vec<String> {
    comments
        .iter()
        .filter_map(|(target, text)| {
            text.as_ref()
                .map(|t| format!("COMMENT ON {target} IS {};", quote_literal(t)))
        })
        .collect()
}

fn schemas(from: &Schema, to: &Schema, b: &mut Builder) {
    let (f, t) = (by_key(&from.schemas), by_key(&to.schemas));
    let target = |s: &Namespace| format!("SCHEMA {}", quote_ident(&s.name));
    for (key, s) in &f {
        if !t.contains_key(key) {
            let mut down = vec![render::create_schema(s)];
            down.extend(comment_statements(&[(target(s), s.comment.clone())]));
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
        if let Some(c) = comment_change(target(s), key.clone(), &old_comment, &s.comment) {
            b.push(Phase::Comment, c);
        }
    }
}

fn extensions(from: &Schema, to: &Schema, b: &mut Builder) {
    let (f, t) = (by_key(&from.extensions), by_key(&to.extensions));
    // The version the other side has, so that both sides hold the same objects.
    let create = |e: &Extension| {
        format!(
            "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {} VERSION {} CASCADE;",
            quote_ident(&e.name),
            quote_ident(&e.schema),
            quote_literal(&e.version)
        )
    };
    let drop = |e: &Extension| format!("DROP EXTENSION {};", quote_ident(&e.name));
    let target = |e: &Extension| format!("EXTENSION {}", quote_ident(&e.name));
    for (key, e) in &f {
        if !t.contains_key(key) {
            let mut down = vec![create(e)];
            down.extend(comment_statements(&[(target(e), e.comment.clone())]));
            b.push(
                Phase::DropExtension,
                change(ChangeKind::DropExtension, key.clone(), vec![drop(e)], down),
            );
        }
    }
    for (key, e) in &t {
        let old = f.get(key);
        match old {
            None => b.push(
                Phase::CreateExtension,
                change(
                    ChangeKind::CreateExtension,
                    key.clone(),
                    vec![create(e)],
                    vec![drop(e)],
                ),
            ),
            Some(o) => {
                let name = quote_ident(&e.name);
                if o.schema != e.schema {
                    b.push(
                        Phase::CreateExtension,
                        change(
                            ChangeKind::AlterExtension,
                            key.clone(),
                            vec![format!(
                                "ALTER EXTENSION {name} SET SCHEMA {};",
                                quote_ident(&e.schema)
                            )],
                            vec![format!(
                                "ALTER EXTENSION {name} SET SCHEMA {};",
                                quote_ident(&o.schema)
                            )],
                        ),
                    );
                }
                if o.version != e.version {
                    // The down needs a downgrade script, which extensions rarely ship.
                    b.push(
                        Phase::CreateExtension,
                        change(
                            ChangeKind::AlterExtension,
                            key.clone(),
                            vec![format!(
                                "ALTER EXTENSION {name} UPDATE TO {};",
                                quote_literal(&e.version)
                            )],
                            vec![format!(
                                "ALTER EXTENSION {name} UPDATE TO {};",
                                quote_literal(&o.version)
                            )],
                        ),
                    );
                }
            }
        }
        // CREATE EXTENSION sets the extension's own comment: the model has it on both sides.
        let before = old.and_then(|o| o.comment.clone());
        if let Some(c) = comment_change(target(e), key.clone(), &before, &e.comment) {
            b.push(Phase::Comment, c);
        }
    }
}

/// A kind of definition the diff creates, drops, re-creates or alters in place.
trait Definition: Keyed {
    const CREATE: ChangeKind;
    const DROP: ChangeKind;
    fn create(&self) -> Vec<String>;
    fn drop(&self) -> String;
    /// `(COMMENT ON target, text)` of the object and of its parts that have comments.
    fn comments(&self) -> Vec<(String, Option<String>)>;
    /// What changes, for a change PostgreSQL cannot make in place.
    fn what_changes(&self) -> &'static str;
}

/// The statements that create `x` with its comments.
fn create_with_comments<T: Definition>(x: &T) -> Vec<String> {
    let mut out = x.create();
    out.extend(comment_statements(&x.comments()));
    out
}

/// Creates, drops, re-creations (early drop, create) and in-place changes (`alter`, which returns
/// the comment targets whose old comment is gone) of one kind of definition, and their comments.
fn definitions<T: Definition>(
    b: &mut Builder,
    from: &[T],
    to: &[T],
    alter: impl Fn(&mut Builder, &T, &T) -> BTreeSet<String>,
) {
    let (f, t) = (by_key(from), by_key(to));
    for (key, o) in &f {
        if !t.contains_key(key) {
            b.drop(change(
                T::DROP,
                key.clone(),
                vec![o.drop()],
                create_with_comments(*o),
            ));
        }
    }
    for (key, n) in &t {
        let old = f.get(key).copied();
        let mut gone = BTreeSet::new();
        let mut fresh = false;
        match old {
            None => {
                fresh = true;
                b.create(change(T::CREATE, key.clone(), n.create(), vec![n.drop()]));
            }
            Some(o) if b.ctx.recreate.contains(key) => {
                fresh = true;
                b.drop(change(
                    T::DROP,
                    key.clone(),
                    vec![o.drop()],
                    create_with_comments(o),
                ));
                b.create(change(T::CREATE, key.clone(), n.create(), vec![n.drop()]));
            }
            Some(o) => match b.ctx.blocked.get(key).cloned() {
                Some(users) => b.create(manual_step(key, n.what_changes(), &users)),
                None => gone = alter(b, o, n),
            },
        }
        let before: BTreeMap<String, Option<String>> = match old {
            Some(o) if !fresh => o.comments().into_iter().collect(),
            _ => BTreeMap::new(),
        };
        for (target, text) in n.comments() {
            let was = if gone.contains(&target) {
                None
            } else {
                before.get(&target).cloned().flatten()
            };
            if let Some(c) = comment_change(target, key.clone(), &was, &text) {
                b.push(Phase::Comment, c);
            }
        }
    }
}

/// A change left to a person: its statements are comments, its hazard says why.
fn manual_step(key: &ObjectRef, what: &str, users: &[ObjectRef]) -> Change {
    let users: Vec<String> = users.iter().map(ToString::to_string).collect();
    let message = format!(
        "{key} {what}, which PostgreSQL cannot do in place, and it cannot be dropped and \
         re-created because {} use{} it (directly or through a type or routine that would be \
         re-created with it): write this step by hand (for example create the new definition \
         under another name, move the users to it, drop the old one, rename)",
        users.join(", "),
        if users.len() == 1 { "s" } else { "" }
    );
    let mut c = change(
        ChangeKind::ManualStep,
        key.clone(),
        vec![format!("-- manual step: {message}")],
        vec![format!("-- manual step: undo the change to {key} by hand")],
    );
    c.hazards.push(hazard("manual-step", message));
    c
}

impl Definition for Collation {
    const CREATE: ChangeKind = ChangeKind::CreateCollation;
    const DROP: ChangeKind = ChangeKind::DropCollation;
    fn create(&self) -> Vec<String> {
        vec![render::create_collation(self)]
    }
    fn drop(&self) -> String {
        format!("DROP COLLATION {};", self.name)
    }
    fn comments(&self) -> Vec<(String, Option<String>)> {
        vec![(format!("COLLATION {}", self.name), self.comment.clone())]
    }
    fn what_changes(&self) -> &'static str {
        "changes its provider, locale or determinism"
    }
}

impl Definition for TextSearchConfig {
    const CREATE: ChangeKind = ChangeKind::CreateTextSearchConfig;
    const DROP: ChangeKind = ChangeKind::DropTextSearchConfig;
    fn create(&self) -> Vec<String> {
        render::create_ts_config(self)
            .lines()
            .map(str::to_owned)
            .collect()
    }
    fn drop(&self) -> String {
        format!("DROP TEXT SEARCH CONFIGURATION {};", self.name)
    }
    fn comments(&self) -> Vec<(String, Option<String>)> {
        vec![(
            format!("TEXT SEARCH CONFIGURATION {}", self.name),
            self.comment.clone(),
        )]
    }
    fn what_changes(&self) -> &'static str {
        "changes its parser or mappings"
    }
}

impl Definition for EnumType {
    const CREATE: ChangeKind = ChangeKind::CreateEnum;
    const DROP: ChangeKind = ChangeKind::DropEnum;
    fn create(&self) -> Vec<String> {
        vec![render::create_enum(self)]
    }
    fn drop(&self) -> String {
        format!("DROP TYPE {};", self.name)
    }
    fn comments(&self) -> Vec<(String, Option<String>)> {
        vec![(format!("TYPE {}", self.name), self.comment.clone())]
    }
    fn what_changes(&self) -> &'static str {
        "loses or reorders labels"
    }
}

impl Definition for Domain {
    const CREATE: ChangeKind = ChangeKind::CreateDomain;
    const DROP: ChangeKind = ChangeKind::DropDomain;
    fn create(&self) -> Vec<String> {
        vec![render::create_domain(self).trim_end().to_owned()]
    }
    fn drop(&self) -> String {
        format!("DROP DOMAIN {};", self.name)
    }
    fn comments(&self) -> Vec<(String, Option<String>)> {
        let mut out = vec![(format!("DOMAIN {}", self.name), self.comment.clone())];
        for c in &self.checks {
            out.push((domain_check_target(self, c), c.comment.clone()));
        }
        out
    }
    fn what_changes(&self) -> &'static str {
        "changes its base type or collation"
    }
}

fn domain_check_target(d: &Domain, c: &DomainCheck) -> String {
    format!("CONSTRAINT {} ON DOMAIN {}", quote_ident(&c.name), d.name)
}

impl Definition for CompositeType {
    const CREATE: ChangeKind = ChangeKind::CreateCompositeType;
    const DROP: ChangeKind = ChangeKind::DropCompositeType;
    fn create(&self) -> Vec<String> {
        vec![render::create_composite(self)]
    }
    fn drop(&self) -> String {
        format!("DROP TYPE {};", self.name)
    }
    fn comments(&self) -> Vec<(String, Option<String>)> {
        vec![(format!("TYPE {}", self.name), self.comment.clone())]
    }
    fn what_changes(&self) -> &'static str {
        "changes its attributes while a table column has it as its type (or in an order ALTER TYPE \
         cannot reach)"
    }
}

impl Definition for RangeType {
    const CREATE: ChangeKind = ChangeKind::CreateRangeType;
    const DROP: ChangeKind = ChangeKind::DropRangeType;
    fn create(&self) -> Vec<String> {
        vec![render::create_range(self)]
    }
    fn drop(&self) -> String {
        format!("DROP TYPE {};", self.name)
    }
    fn comments(&self) -> Vec<(String, Option<String>)> {
        vec![(format!("TYPE {}", self.name), self.comment.clone())]
    }
    fn what_changes(&self) -> &'static str {
        "changes its subtype, operator class, collation or functions"
    }
}

impl Definition for Sequence {
    const CREATE: ChangeKind = ChangeKind::CreateSequence;
    const DROP: ChangeKind = ChangeKind::DropSequence;
    fn create(&self) -> Vec<String> {
        vec![render::create_sequence(self)]
    }
    /// IF EXISTS: a sequence owned by a dropped column or table went with it.
    fn drop(&self) -> String {
        format!("DROP SEQUENCE IF EXISTS {};", self.name)
    }
    fn comments(&self) -> Vec<(String, Option<String>)> {
        vec![(format!("SEQUENCE {}", self.name), self.comment.clone())]
    }
    fn what_changes(&self) -> &'static str {
        "changes"
    }
}

fn routine_word(f: &Function) -> &'static str {
    if f.kind == FunctionKind::Procedure {
        "PROCEDURE"
    } else {
        "FUNCTION"
    }
}

impl Definition for Function {
    const CREATE: ChangeKind = ChangeKind::CreateFunction;
    const DROP: ChangeKind = ChangeKind::DropFunction;
    fn create(&self) -> Vec<String> {
        vec![render::create_function(self).trim_end().to_owned()]
    }
    /// With the identity arguments (modes and names), as `pg_dump` names a routine.
    fn drop(&self) -> String {
        format!(
            "DROP {} {}({});",
            routine_word(self),
            self.name,
            self.signature
        )
    }
    fn comments(&self) -> Vec<(String, Option<String>)> {
        vec![(
            format!("{} {}({})", routine_word(self), self.name, self.signature),
            self.comment.clone(),
        )]
    }
    fn what_changes(&self) -> &'static str {
        "changes its result type, kind or parameter names (CREATE OR REPLACE cannot)"
    }
}

impl Definition for Aggregate {
    const CREATE: ChangeKind = ChangeKind::CreateAggregate;
    const DROP: ChangeKind = ChangeKind::DropAggregate;
    fn create(&self) -> Vec<String> {
        vec![render::create_aggregate(self)]
    }
    fn drop(&self) -> String {
        format!(
            "DROP AGGREGATE {}({});",
            self.name,
            render::aggregate_signature(self)
        )
    }
    fn comments(&self) -> Vec<(String, Option<String>)> {
        vec![(
            format!(
                "AGGREGATE {}({})",
                self.name,
                render::aggregate_signature(self)
            ),
            self.comment.clone(),
        )]
    }
    fn what_changes(&self) -> &'static str {
        "changes its kind, state type or final function (CREATE OR REPLACE cannot)"
    }
}

/// The old labels are all kept, in the same order: the new ones can be added.
fn labels_only_added(old: &EnumType, new: &EnumType) -> bool {
    let kept: Vec<&String> = new
        .labels
        .iter()
        .filter(|l| old.labels.contains(l))
        .collect();
    kept.len() == old.labels.len() && kept.iter().zip(&old.labels).all(|(a, b)| *a == b)
}

/// `ALTER TYPE … ADD VALUE`, each new label after the one before it (or before the first old one).
fn alter_enum(b: &mut Builder, old: &EnumType, new: &EnumType) -> BTreeSet<String> {
    if old.labels == new.labels {
        return BTreeSet::new();
    }
    for (i, label) in new.labels.iter().enumerate() {
        if old.labels.contains(label) {
            continue;
        }
        let place = match i.checked_sub(1) {
            Some(p) => format!(" AFTER {}", quote_literal(&new.labels[p])),
            None => match new.labels.iter().find(|l| old.labels.contains(l)) {
                Some(first) => format!(" BEFORE {}", quote_literal(first)),
                None => String::new(),
            },
        };
        let mut c = change(
            ChangeKind::AddEnumValue,
            new.key(),
            vec![format!(
                "ALTER TYPE {} ADD VALUE {}{place};",
                new.name,
                quote_literal(label)
            )],
            // PostgreSQL cannot remove an enum label.
            vec![format!(
                "-- enum label {} of {} cannot be removed",
                quote_literal(label),
                new.name
            )],
        );
        c.non_transactional = true;
        b.create(c);
    }
    BTreeSet::new()
}

/// A constraint definition without what can change in place: `NOT VALID` and deferrability.
fn core_definition(definition: &str) -> &str {
    let mut d = definition.trim_end();
    for suffix in [
        " NOT VALID",
        " INITIALLY DEFERRED",
        " INITIALLY IMMEDIATE",
        " NOT DEFERRABLE",
        " DEFERRABLE",
    ] {
        d = d.strip_suffix(suffix).unwrap_or(d);
    }
    d
}

/// Default, NOT NULL and checks of a domain whose base type stays.
fn alter_domain(b: &mut Builder, old: &Domain, new: &Domain) -> BTreeSet<String> {
    let key = new.key();
    let name = &new.name;
    let mut gone = BTreeSet::new();
    if old.default != new.default {
        let set = |d: &Option<String>| match d {
            Some(d) => format!("ALTER DOMAIN {name} SET DEFAULT {d};"),
            None => format!("ALTER DOMAIN {name} DROP DEFAULT;"),
        };
        b.create(change(
            ChangeKind::AlterDomain,
            key.clone(),
            vec![set(&new.default)],
            vec![set(&old.default)],
        ));
    }
    if old.not_null != new.not_null {
        let set = |on: bool| {
            format!(
                "ALTER DOMAIN {name} {} NOT NULL;",
                if on { "SET" } else { "DROP" }
            )
        };
        b.create(change(
            ChangeKind::AlterDomain,
            key.clone(),
            vec![set(new.not_null)],
            vec![set(old.not_null)],
        ));
    }
    let add = |c: &DomainCheck| {
        format!(
            "ALTER DOMAIN {name} ADD CONSTRAINT {} {};",
            quote_ident(&c.name),
            c.definition
        )
    };
    let drop = |c: &DomainCheck| {
        format!(
            "ALTER DOMAIN {name} DROP CONSTRAINT {};",
            quote_ident(&c.name)
        )
    };
    let validate = |c: &DomainCheck| {
        format!(
            "ALTER DOMAIN {name} VALIDATE CONSTRAINT {};",
            quote_ident(&c.name)
        )
    };
    let find = |d: &Domain, n: &str| d.checks.iter().find(|c| c.name == n).cloned();
    // Same check: the same expression. NOT VALID → validated is a VALIDATE; validated → NOT
    // VALID is nothing (a validated check satisfies the unvalidated one).
    let same = |a: &DomainCheck, z: &DomainCheck| {
        core_definition(&a.definition) == core_definition(&z.definition)
    };
    for c in &old.checks {
        if find(new, &c.name).is_none_or(|n| !same(c, &n)) {
            let mut down = vec![add(c)];
            down.extend(comment_statements(&[(
                domain_check_target(old, c),
                c.comment.clone(),
            )]));
            b.create(change(
                ChangeKind::DropDomainConstraint,
                key.clone(),
                vec![drop(c)],
                down,
            ));
            gone.insert(domain_check_target(new, c));
        }
    }
    for c in &new.checks {
        match find(old, &c.name) {
            Some(o) if same(&o, c) => {
                if !o.validated && c.validated {
                    // The down puts back the unvalidated state.
                    let mut down = vec![drop(c), add(&o)];
                    down.extend(comment_statements(&[(
                        domain_check_target(old, &o),
                        o.comment.clone(),
                    )]));
                    b.create(change(
                        ChangeKind::ValidateConstraint,
                        key.clone(),
                        vec![validate(c)],
                        down,
                    ));
                }
            }
            _ if c.validated => {
                // Safe form: added without checking the columns that use the domain, validated
                // after (without blocking writes).
                b.create(change(
                    ChangeKind::AddDomainConstraint,
                    key.clone(),
                    vec![format!(
                        "ALTER DOMAIN {name} ADD CONSTRAINT {} {} NOT VALID;",
                        quote_ident(&c.name),
                        core_definition(&c.definition)
                    )],
                    vec![drop(c)],
                ));
                b.create(change(
                    ChangeKind::ValidateConstraint,
                    key.clone(),
                    vec![validate(c)],
                    vec![],
                ));
            }
            _ => b.create(change(
                ChangeKind::AddDomainConstraint,
                key.clone(),
                vec![add(c)],
                vec![drop(c)],
            )),
        }
    }
    gone
}

/// ALTER TYPE can reach the new attributes: the old ones that stay keep their order and the new
/// ones come after them.
fn attributes_alterable(old: &CompositeType, new: &CompositeType) -> bool {
    let names = |t: &CompositeType| -> Vec<String> {
        t.attributes.iter().map(|a| a.name.clone()).collect()
    };
    let (o, n) = (names(old), names(new));
    let kept: Vec<&String> = o.iter().filter(|a| n.contains(a)).collect();
    let added: Vec<&String> = n.iter().filter(|a| !o.contains(a)).collect();
    let expected: Vec<&String> = kept.into_iter().chain(added).collect();
    expected == n.iter().collect::<Vec<_>>()
}

fn attribute_sql(a: &CompositeAttribute) -> String {
    let collate = a
        .collation
        .as_ref()
        .map(|c| format!(" COLLATE {c}"))
        .unwrap_or_default();
    format!("{} {}{collate}", quote_ident(&a.name), a.data_type)
}

/// `ALTER TYPE … DROP / ALTER / ADD ATTRIBUTE`. A dropped attribute's down adds it back at the
/// end.
fn alter_composite(b: &mut Builder, old: &CompositeType, new: &CompositeType) -> BTreeSet<String> {
    let key = new.key();
    let name = &new.name;
    let find = |t: &CompositeType, n: &str| t.attributes.iter().find(|a| a.name == n).cloned();
    for a in &old.attributes {
        if find(new, &a.name).is_none() {
            b.create(change(
                ChangeKind::DropAttribute,
                key.clone(),
                vec![format!(
                    "ALTER TYPE {name} DROP ATTRIBUTE {};",
                    quote_ident(&a.name)
                )],
                vec![format!(
                    "ALTER TYPE {name} ADD ATTRIBUTE {};",
                    attribute_sql(a)
                )],
            ));
        }
    }
    let set_type = |a: &CompositeAttribute| {
        let sql = attribute_sql(a);
        let (_, rest) = sql.split_at(quote_ident(&a.name).len());
        format!(
            "ALTER TYPE {name} ALTER ATTRIBUTE {} SET DATA TYPE{rest};",
            quote_ident(&a.name)
        )
    };
    for a in &new.attributes {
        match find(old, &a.name) {
            Some(o) if o != *a => b.create(change(
                ChangeKind::AlterAttribute,
                key.clone(),
                vec![set_type(a)],
                vec![set_type(&o)],
            )),
            Some(_) => {}
            None => b.create(change(
                ChangeKind::AddAttribute,
                key.clone(),
                vec![format!(
                    "ALTER TYPE {name} ADD ATTRIBUTE {};",
                    attribute_sql(a)
                )],
                vec![format!(
                    "ALTER TYPE {name} DROP ATTRIBUTE {};",
                    quote_ident(&a.name)
                )],
            )),
        }
    }
    BTreeSet::new()
}

fn alter_sequence_sql(s: &Sequence) -> String {
    format!(
        "ALTER SEQUENCE {} AS {} {};",
        s.name,
        s.options.data_type,
        render::sequence_options(&s.options)
    )
}

fn alter_sequence(b: &mut Builder, o: &Sequence, s: &Sequence) -> BTreeSet<String> {
    let logged = |s: &Sequence| {
        let state = if s.unlogged { "UNLOGGED" } else { "LOGGED" };
        format!("ALTER SEQUENCE {} SET {state};", s.name)
    };
    let (mut up, mut down) = (Vec::new(), Vec::new());
    if o.options != s.options {
        up.push(alter_sequence_sql(s));
        down.push(alter_sequence_sql(o));
    }
    if o.unlogged != s.unlogged {
        up.push(logged(s));
        down.push(logged(o));
    }
    if !up.is_empty() {
        b.create(change(ChangeKind::AlterSequence, s.key(), up, down));
    }
    BTreeSet::new()
}

fn owned_by_sql(s: &Sequence) -> String {
    render::sequence_owned_by(s)
        .unwrap_or_else(|| format!("ALTER SEQUENCE {} OWNED BY NONE;", s.name))
}

/// `OWNED BY`: released before the old owner can go (dropping it would drop the sequence), set
/// after the new owner exists.
fn sequence_owners(from: &Schema, to: &Schema, b: &mut Builder) {
    let f = by_key(&from.sequences);
    for s in &to.sequences {
        let key = s.key();
        let before = f.get(&key).and_then(|o| o.owned_by.clone());
        if before == s.owned_by {
            continue;
        }
        let with = |owner: Option<ColumnRef>| Sequence {
            owned_by: owner,
            ..s.clone()
        };
        if before.is_some() {
            b.push(
                Phase::ReleaseOwnership,
                change(
                    ChangeKind::AlterSequence,
                    key.clone(),
                    vec![owned_by_sql(&with(None))],
                    vec![owned_by_sql(&with(before.clone()))],
                ),
            );
        }
        if s.owned_by.is_some() {
            b.push(
                Phase::SequenceOwner,
                change(
                    ChangeKind::AlterSequence,
                    key,
                    vec![owned_by_sql(s)],
                    vec![owned_by_sql(&with(None))],
                ),
            );
        }
    }
}

/// CREATE OR REPLACE cannot change the result type, the kind or the parameter names.
fn function_replaceable(o: &Function, n: &Function) -> bool {
    (&o.returns, o.kind, &o.signature) == (&n.returns, n.kind, &n.signature)
}

fn replace_function(b: &mut Builder, o: &Function, n: &Function) -> BTreeSet<String> {
    if o.definition != n.definition {
        b.create(change(
            ChangeKind::ReplaceFunction,
            n.key(),
            n.create(),
            o.create(),
        ));
    }
    BTreeSet::new()
}

/// An aggregate without what is not its definition.
fn aggregate_body(a: &Aggregate) -> Aggregate {
    Aggregate {
        comment: None,
        depends_on: Vec::new(),
        ..a.clone()
    }
}

/// CREATE OR REPLACE AGGREGATE keeps the kind and the result (state type and final function).
fn aggregate_replaceable(o: &Aggregate, n: &Aggregate) -> bool {
    (&o.kind, &o.stype, &o.finalfunc, &o.signature)
        == (&n.kind, &n.stype, &n.finalfunc, &n.signature)
}

fn replace_aggregate(b: &mut Builder, o: &Aggregate, n: &Aggregate) -> BTreeSet<String> {
    if aggregate_body(o) != aggregate_body(n) {
        let replace = |a: &Aggregate| {
            render::create_aggregate(a).replacen(
                "CREATE AGGREGATE",
                "CREATE OR REPLACE AGGREGATE",
                1,
            )
        };
        b.create(change(
            ChangeKind::ReplaceAggregate,
            n.key(),
            vec![replace(n)],
            vec![replace(o)],
        ));
    }
    BTreeSet::new()
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

fn attach_partition_sql(t: &Table, p: &PartitionOf) -> String {
    format!(
        "ALTER TABLE {} ATTACH PARTITION {} {};",
        p.parent, t.name, p.bound
    )
}

fn detach_partition_sql(t: &Table, p: &PartitionOf) -> String {
    format!("ALTER TABLE {} DETACH PARTITION {};", p.parent, t.name)
}

fn inherit_sql(t: &Table, parent: &QualifiedName, on: bool) -> String {
    format!(
        "ALTER TABLE {} {}INHERIT {parent};",
        t.name,
        if on { "" } else { "NO " }
    )
}

/// `ATTACH PARTITION` / `INHERIT` changes linking a table to its parents (a child created with
/// `INHERITS (…)` needs none); `up` false gives the inverse (`DETACH`, `NO INHERIT`).
fn links(t: &Table, skip: impl Fn(&QualifiedName) -> bool, up: bool) -> Vec<Change> {
    let key = table_ref(&t.name);
    let mut out = Vec::new();
    if let Some(p) = t.partition_of.as_ref().filter(|p| !skip(&p.parent)) {
        let (attach, detach) = (attach_partition_sql(t, p), detach_partition_sql(t, p));
        out.push(if up {
            change(
                ChangeKind::AttachPartition,
                key.clone(),
                vec![attach],
                vec![detach],
            )
        } else {
            change(
                ChangeKind::DetachPartition,
                key.clone(),
                vec![detach],
                vec![attach],
            )
        });
    }
    if !render::created_with_inherits(t) {
        for parent in t.inherits.iter().filter(|p| !skip(p)) {
            let (on, off) = (inherit_sql(t, parent, true), inherit_sql(t, parent, false));
            out.push(if up {
                change(ChangeKind::Inherit, key.clone(), vec![on], vec![off])
            } else {
                change(ChangeKind::NoInherit, key.clone(), vec![off], vec![on])
            });
        }
    }
    out
}

/// `ALTER TABLE … SET (…)` / `RESET (…)` from one `reloptions` list to another (`k=v` entries).
fn options_sql(name: &QualifiedName, old: &[String], new: &[String]) -> Vec<String> {
    let parse = |o: &[String]| -> BTreeMap<String, String> {
        o.iter()
            .map(|e| {
                let (k, v) = e.split_once('=').unwrap_or((e.as_str(), ""));
                (k.to_owned(), v.to_owned())
            })
            .collect()
    };
    let (o, n) = (parse(old), parse(new));
    // Every new entry, in its order: PostgreSQL keeps the old entries it is not given first, so
    // this is what gives the new list its order.
    let set: Vec<String> = if o == n { Vec::new() } else { new.to_vec() };
    let reset: Vec<String> = o
        .keys()
        .filter(|k| !n.contains_key(*k))
        .map(|k| render::option_key(k))
        .collect();
    let mut out = Vec::new();
    if !set.is_empty() {
        let with = render::with_options(&set);
        let list = with.trim_start().trim_start_matches("WITH ");
        out.push(format!("ALTER TABLE {name} SET {list};"));
    }
    if !reset.is_empty() {
        out.push(format!("ALTER TABLE {name} RESET ({});", reset.join(", ")));
    }
    out
}

fn tables(from: &Schema, to: &Schema, b: &mut Builder) {
    let (f, t) = (by_key(&from.tables), by_key(&to.tables));
    // A parent that stays: a table that goes is detached from it first (and the down attaches it
    // again after the parent has its old columns back).
    let stays = |p: &QualifiedName| from.table(p).is_some() && to.table(p).is_some();
    for (key, old) in &f {
        if t.contains_key(key) {
            continue;
        }
        for c in links(old, |p| !stays(p), false) {
            b.push(Phase::Detach, c);
        }
        let mut down = vec![render::create_table(from, old)];
        for c in links(old, stays, true) {
            down.extend(c.up);
        }
        down.extend(row_security_sql(old));
        down.extend(owned_sequences(from, &old.name, None));
        for c in table_comments(old, None) {
            down.extend(c.up);
        }
        let mut c = change(
            ChangeKind::DropTable,
            (*key).clone(),
            vec![format!("DROP TABLE {};", old.name)],
            down,
        );
        c.hazards.push(hazard(
            "data-loss",
            format!("table {} is dropped with its rows", old.name),
        ));
        c.destructive = true;
        b.drop(c);
    }
    // Children created with INHERITS (…) under a parent that exists (or is such a child).
    let mut late_children: BTreeSet<&QualifiedName> = BTreeSet::new();
    loop {
        let more: Vec<&QualifiedName> = to
            .tables
            .iter()
            .filter(|n| from.table(&n.name).is_none() && !late_children.contains(&n.name))
            .filter(|n| render::created_with_inherits(n))
            .filter(|n| {
                n.inherits
                    .iter()
                    .any(|p| from.table(p).is_some() || late_children.contains(p))
            })
            .map(|n| &n.name)
            .collect();
        if more.is_empty() {
            break;
        }
        late_children.extend(more);
    }
    for (key, new) in &t {
        let Some(old) = f.get(key) else {
            let c = change(
                ChangeKind::CreateTable,
                key.clone(),
                vec![render::create_table(to, new)],
                vec![format!("DROP TABLE {};", new.name)],
            );
            // A child created with INHERITS (…) takes its parents' columns as they are then: after
            // an existing parent's columns have changed (which would otherwise append them).
            if late_children.contains(&new.name) {
                let depth = b.depth(&new.name);
                b.push_at(Phase::Attach, depth, c);
            } else {
                b.create(c);
            }
            for c in links(new, |_| false, true) {
                b.push(Phase::Attach, c);
            }
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
        if old.partition_key != new.partition_key {
            let what = match (&old.partition_key, &new.partition_key) {
                (None, Some(_)) => "becomes partitioned",
                (Some(_), None) => "stops being partitioned",
                _ => "changes its partition key",
            };
            let message = format!(
                "table {} {what}, which PostgreSQL cannot do in place: create the new table, \
                 move the rows, swap the names (by hand)",
                new.name
            );
            let mut c = change(
                ChangeKind::ManualStep,
                key.clone(),
                vec![format!("-- manual step: {message}")],
                vec![format!(
                    "-- manual step: undo the change to table {} by hand",
                    new.name
                )],
            );
            c.hazards.push(hazard("manual-step", message));
            b.create(c);
        }
        // Partition and inheritance links that change.
        if old.partition_of != new.partition_of {
            if let Some(p) = &old.partition_of {
                b.push(
                    Phase::Detach,
                    change(
                        ChangeKind::DetachPartition,
                        key.clone(),
                        vec![detach_partition_sql(old, p)],
                        vec![attach_partition_sql(old, p)],
                    ),
                );
            }
            if let Some(p) = &new.partition_of {
                b.push(
                    Phase::Attach,
                    change(
                        ChangeKind::AttachPartition,
                        key.clone(),
                        vec![attach_partition_sql(new, p)],
                        vec![detach_partition_sql(new, p)],
                    ),
                );
            }
        }
        for p in old.inherits.iter().filter(|p| !new.inherits.contains(p)) {
            b.push(
                Phase::Detach,
                change(
                    ChangeKind::NoInherit,
                    key.clone(),
                    vec![inherit_sql(new, p, false)],
                    vec![inherit_sql(new, p, true)],
                ),
            );
        }
        for p in new.inherits.iter().filter(|p| !old.inherits.contains(p)) {
            b.push(
                Phase::Attach,
                change(
                    ChangeKind::Inherit,
                    key.clone(),
                    vec![inherit_sql(new, p, true)],
                    vec![inherit_sql(new, p, false)],
                ),
            );
        }
        columns(from, to, old, new, b);
        if old.unlogged != new.unlogged {
            let set = |unlogged: bool| {
                format!(
                    "ALTER TABLE {} SET {};",
                    new.name,
                    if unlogged { "UNLOGGED" } else { "LOGGED" }
                )
            };
            let kind = if new.unlogged {
                ChangeKind::SetUnlogged
            } else {
                ChangeKind::SetLogged
            };
            let mut c = change(
                kind,
                key.clone(),
                vec![set(new.unlogged)],
                vec![set(old.unlogged)],
            );
            c.hazards.push(hazard(
                "table-rewrite",
                format!(
                    "table {}: SET {} rewrites the table under an ACCESS EXCLUSIVE lock",
                    new.name,
                    if new.unlogged { "UNLOGGED" } else { "LOGGED" }
                ),
            ));
            b.push(Phase::AlterTable, c);
        }
        let sorted = |o: &[String]| o.iter().cloned().collect::<BTreeSet<String>>();
        if sorted(&old.options) != sorted(&new.options) {
            b.push(
                Phase::AlterTable,
                change(
                    ChangeKind::SetTableOptions,
                    key.clone(),
                    options_sql(&new.name, &old.options, &new.options),
                    options_sql(&new.name, &new.options, &old.options),
                ),
            );
        }
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

/// What a table's parents (partition parent, inheritance parents) do to a column: ALTER TABLE
/// on a parent reaches its partitions and children, so their copies of the change are left out.
struct Inherited<'a> {
    /// The parents on both sides, as `(old, new)`.
    parents: Vec<(&'a Table, &'a Table)>,
    partition: bool,
}

impl Inherited<'_> {
    fn column<'t>(t: &'t Table, name: &str) -> Option<&'t Column> {
        t.columns.iter().find(|c| c.name == name)
    }

    /// A parent adds (`adds`) or drops the column, and the table does not declare it itself.
    fn by_parent(&self, c: &Column, adds: bool) -> bool {
        (self.partition || c.inherited)
            && self.parents.iter().any(|(po, pn)| {
                let (before, after) = (
                    Self::column(po, &c.name).is_some(),
                    Self::column(pn, &c.name).is_some(),
                );
                if adds {
                    !before && after
                } else {
                    before && !after
                }
            })
    }

    /// A parent makes the same change to the column (`field` of the old and new column).
    fn same<T: PartialEq>(&self, o: &Column, n: &Column, field: impl Fn(&Column) -> T) -> bool {
        self.parents.iter().any(|(po, pn)| {
            match (Self::column(po, &o.name), Self::column(pn, &n.name)) {
                (Some(a), Some(z)) => {
                    field(a) == field(o) && field(z) == field(n) && field(a) != field(z)
                }
                _ => false,
            }
        })
    }
}

fn columns(from: &Schema, to: &Schema, old: &Table, new: &Table, b: &mut Builder) {
    let name = &new.name;
    let key = table_ref(name);
    let depth = b.depth(name);
    let old_parents = parents(old);
    let inherited = Inherited {
        parents: parents(new)
            .into_iter()
            .filter(|p| old_parents.contains(p))
            .filter_map(|p| Some((from.table(p)?, to.table(p)?)))
            .collect(),
        partition: new.partition_of.is_some(),
    };
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
    for c in dropped.iter().filter(|c| !inherited.by_parent(c, false)) {
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
        b.push_at(Phase::DropColumn, depth, ch);
    }
    for c in added.iter().filter(|c| !inherited.by_parent(c, true)) {
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
        b.push_at(Phase::AlterColumn, depth, ch);
    }
    for o in &old.columns {
        let Some(n) = find(new, &o.name) else {
            continue;
        };
        let c = &o.name;
        let kind_of_type = |x: &Column| (x.data_type.clone(), x.collation.clone());
        let type_changes =
            kind_of_type(o) != kind_of_type(&n) && !inherited.same(o, &n, kind_of_type);
        let defaults = if inherited.same(o, &n, |x| x.default.clone()) {
            (&None, &None)
        } else {
            (&o.default, &n.default)
        };
        // Default: dropped before a type change, set after it.
        // Only dropped when there is none after, or the type changes (a new default is set
        // directly).
        if let (Some(d), after) = defaults {
            if after.is_none() || type_changes {
                b.push_at(
                    Phase::AlterColumn,
                    depth,
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
            b.push_at(Phase::AlterColumn, depth, ch);
        }
        if defaults.0 != defaults.1 || (type_changes && defaults.0.is_some()) {
            if let Some(d) = defaults.1 {
                // After a type change the old default was dropped by its own change.
                let down = match defaults.0 {
                    Some(od) if !type_changes => format!("{} SET DEFAULT {od};", alter(c)),
                    _ => format!("{} DROP DEFAULT;", alter(c)),
                };
                b.push_at(
                    Phase::AlterColumn,
                    depth,
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
            b.push_at(
                Phase::AlterColumn,
                depth,
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
                b.push_at(
                    Phase::AlterColumn,
                    depth,
                    col(
                        ChangeKind::AlterIdentity,
                        c,
                        vec![format!("{} {};", alter(c), identity_settings(z))],
                        vec![format!("{} {};", alter(c), identity_settings(a))],
                    ),
                );
            }
        }
        let not_null_inherited = inherited.same(o, &n, |x| x.not_null);
        if o.not_null && !n.not_null && !not_null_inherited {
            b.push_at(
                Phase::AlterColumn,
                depth,
                col(
                    ChangeKind::DropNotNull,
                    c,
                    vec![format!("{} DROP NOT NULL;", alter(c))],
                    vec![format!("{} SET NOT NULL;", alter(c))],
                ),
            );
        }
        if !o.not_null && n.not_null && !not_null_inherited {
            // Safe form: a validated check lets SET NOT NULL skip its full-table scan.
            let check = quote_ident(&format!("{c}_not_null"));
            b.push_at(
                Phase::AlterColumn,
                depth,
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
            b.push_at(
                Phase::AlterColumn,
                depth,
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
    // Types and functions re-created (or composite types reshaped): PostgreSQL refuses while a
    // view uses them.
    touched.extend(b.ctx.view_breakers.iter().cloned());
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
            // Indexes of partitioned tables first: creating one creates (or adopts) its
            // partitions' indexes.
            let partitioned = to
                .table(&i.table)
                .is_some_and(|t| t.partition_key.is_some());
            b.push_at(Phase::CreateIndex, usize::from(!partitioned), c);
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

fn deferrability(c: &Constraint) -> String {
    format!(
        "{} {}",
        if c.deferrable {
            "DEFERRABLE"
        } else {
            "NOT DEFERRABLE"
        },
        if c.initially_deferred {
            "INITIALLY DEFERRED"
        } else {
            "INITIALLY IMMEDIATE"
        }
    )
}

fn constraints(from: &Schema, to: &Schema, b: &mut Builder) {
    let (f, t) = (by_key(&from.constraints), by_key(&to.constraints));
    // The same constraint: the same definition and deferrability. NOT VALID → validated is a
    // VALIDATE; validated → NOT VALID is nothing (a validated constraint satisfies the
    // unvalidated one).
    let same_but_deferrability = |a: &Constraint, b: &Constraint| {
        core_definition(&a.definition) == core_definition(&b.definition) && a.kind == b.kind
    };
    let same = |a: &Constraint, b: &Constraint| {
        same_but_deferrability(a, b)
            && a.deferrable == b.deferrable
            && a.initially_deferred == b.initially_deferred
    };
    // Only a foreign key's deferrability can be altered in place.
    let alterable = |a: &Constraint, b: &Constraint| {
        a.kind == ConstraintKind::ForeignKey
            && b.kind == ConstraintKind::ForeignKey
            && same_but_deferrability(a, b)
    };
    let kept = |a: &Constraint, b: &Constraint| same(a, b) || alterable(a, b);
    let drop = |c: &Constraint| {
        format!(
            "ALTER TABLE {} DROP CONSTRAINT {};",
            c.table,
            quote_ident(&c.name)
        )
    };
    let validate = |c: &Constraint| {
        format!(
            "ALTER TABLE {} VALIDATE CONSTRAINT {};",
            c.table,
            quote_ident(&c.name)
        )
    };
    let target = |c: &Constraint| format!("CONSTRAINT {} ON {}", quote_ident(&c.name), c.table);
    let partitioned =
        |table: &QualifiedName| to.table(table).is_some_and(|t| t.partition_key.is_some());
    for (key, c) in &f {
        if t.get(key).is_none_or(|n| !kept(c, n)) {
            let phase = if c.kind == ConstraintKind::ForeignKey {
                Phase::DropForeignKey
            } else {
                Phase::DropConstraint
            };
            let mut down = vec![render::add_constraint(c)];
            down.extend(comment_statements(&[(target(c), c.comment.clone())]));
            b.push(
                phase,
                change(ChangeKind::DropConstraint, key.clone(), vec![drop(c)], down),
            );
        }
    }
    for (key, c) in &t {
        let old = f.get(key).filter(|o| kept(o, c));
        let phase = if c.kind == ConstraintKind::ForeignKey {
            Phase::AddForeignKey
        } else {
            Phase::AddConstraint
        };
        // A child's own copy of an inherited check before its parent's (which then merges with
        // it), deepest first.
        let order = if c.inherited {
            usize::MAX - 1 - b.depth(&c.table)
        } else {
            usize::MAX
        };
        match old {
            Some(o) => {
                if !same(o, c) {
                    b.push_at(
                        phase,
                        order,
                        change(
                            ChangeKind::AlterConstraint,
                            key.clone(),
                            vec![format!(
                                "ALTER TABLE {} ALTER CONSTRAINT {} {};",
                                c.table,
                                quote_ident(&c.name),
                                deferrability(c)
                            )],
                            vec![format!(
                                "ALTER TABLE {} ALTER CONSTRAINT {} {};",
                                o.table,
                                quote_ident(&o.name),
                                deferrability(o)
                            )],
                        ),
                    );
                }
                if !o.validated && c.validated {
                    // The down puts back the unvalidated constraint.
                    let mut down = vec![drop(o), render::add_constraint(o)];
                    down.extend(comment_statements(&[(target(o), o.comment.clone())]));
                    b.push(
                        Phase::Validate,
                        change(
                            ChangeKind::ValidateConstraint,
                            key.clone(),
                            vec![validate(c)],
                            down,
                        ),
                    );
                }
            }
            None => {
                let existing = from.table(&c.table).is_some();
                // PostgreSQL 15 cannot add a NOT VALID foreign key to a partitioned table.
                let safe = existing
                    && c.validated
                    && match c.kind {
                        ConstraintKind::Check => true,
                        ConstraintKind::ForeignKey => !partitioned(&c.table),
                        _ => false,
                    };
                if safe {
                    b.push_at(
                        phase,
                        order,
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
                            vec![validate(c)],
                            vec![],
                        ),
                    );
                } else {
                    b.push_at(
                        phase,
                        order,
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
        let before = old.and_then(|o| o.comment.clone());
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
    render_changes(&mut out, plan, allow_destructive);
    out
}

/// The changes of `plan` as script text, each after its hazard comments; destructive statements
/// commented out unless `allow_destructive`. Shared by the PostgreSQL and SQLite renderers.
pub(crate) fn render_changes(out: &mut String, plan: &Plan, allow_destructive: bool) {
    if plan.is_empty() {
        out.push_str("\n-- no changes\n");
        return;
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
        // Named by its identity arguments, as pg_dump names it.
        assert_eq!(
            p.changes[3].down,
            [r#"DROP FUNCTION "app"."f"(x integer);"#]
        );
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
        // And back: a removed label re-creates the type (nothing uses it: no hazard), before
        // anything else is created; the other drops come late, in reverse dependency order.
        let back = plan(&to, &from);
        let k: Vec<ChangeKind> = back.changes.iter().map(|c| c.kind).collect();
        assert_eq!(
            k,
            [
                DropView,
                DropEnum,
                CreateEnum,
                DropFunction,
                DropSequence,
                DropSchema
            ]
        );
        assert!(back.changes[1].hazards.is_empty() && !back.changes[1].destructive);
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

    fn kinds(p: &Plan) -> Vec<ChangeKind> {
        p.changes.iter().map(|c| c.kind).collect()
    }

    fn enum_type(name: QualifiedName, labels: &[&str]) -> EnumType {
        EnumType {
            name,
            labels: labels.iter().map(|l| l.to_string()).collect(),
            comment: None,
        }
    }

    fn domain(name: QualifiedName, data_type: &str) -> Domain {
        Domain {
            name,
            data_type: data_type.into(),
            collation: None,
            default: None,
            not_null: false,
            checks: vec![],
            comment: None,
            depends_on: vec![],
        }
    }

    fn function(name: QualifiedName, body: &str, depends_on: Vec<ObjectRef>) -> Function {
        Function {
            definition: format!(
                "CREATE OR REPLACE FUNCTION {name}()\n RETURNS integer\n LANGUAGE sql\nAS $function${body}$function$"
            ),
            name,
            arguments: String::new(),
            signature: String::new(),
            kind: FunctionKind::Function,
            returns: Some("integer".into()),
            language: "sql".into(),
            comment: None,
            depends_on,
        }
    }

    fn uses(kind: ObjectKind, name: &QualifiedName) -> ObjectRef {
        ObjectRef::new(kind, name.clone())
    }

    fn routine(name: &QualifiedName) -> ObjectRef {
        ObjectRef {
            arguments: Some(String::new()),
            ..uses(ObjectKind::Function, name)
        }
    }

    #[test]
    fn extensions_created_moved_updated_and_dropped() {
        let ext = |name: &str, schema: &str, version: &str| Extension {
            name: name.into(),
            schema: schema.into(),
            version: version.into(),
            comment: None,
        };
        let from = Schema {
            extensions: vec![
                ext("hstore", "public", "1.8"),
                ext("pg_trgm", "public", "1.5"),
            ],
            tables: vec![table(q("app", "t"), vec![column("x", "text")])],
            ..Schema::default()
        };
        let to = Schema {
            schemas: vec![Namespace {
                name: "ext ü".into(),
                comment: None,
            }],
            extensions: vec![
                ext("citext", "ext ü", "1.6"),
                ext("pg_trgm", "ext ü", "1.6"),
            ],
            ..Schema::default()
        };
        let p = plan(&from, &to);
        use ChangeKind::*;
        assert_eq!(
            kinds(&p),
            [
                CreateSchema,
                CreateExtension,
                AlterExtension,
                AlterExtension,
                DropTable,
                DropExtension
            ]
        );
        assert_eq!(
            p.changes[1].up,
            [
                r#"CREATE EXTENSION IF NOT EXISTS "citext" WITH SCHEMA "ext ü" VERSION '1.6' CASCADE;"#
            ]
        );
        assert_eq!(p.changes[1].down, [r#"DROP EXTENSION "citext";"#]);
        assert_eq!(
            p.changes[2].up,
            [r#"ALTER EXTENSION "pg_trgm" SET SCHEMA "ext ü";"#]
        );
        assert_eq!(
            p.changes[2].down,
            [r#"ALTER EXTENSION "pg_trgm" SET SCHEMA "public";"#]
        );
        assert_eq!(
            p.changes[3].up,
            [r#"ALTER EXTENSION "pg_trgm" UPDATE TO '1.6';"#]
        );
        assert_eq!(p.changes[5].up, [r#"DROP EXTENSION "hstore";"#]);
    }

    #[test]
    fn definitions_in_dependency_order_both_ways() {
        // t needs the domain d and the function f (its default); d's check calls h; g returns
        // t's row type.
        let (d, f, g, h, t) = (
            q("app", "d"),
            q("app", "f"),
            q("app", "g"),
            q("app", "h"),
            q("app", "t"),
        );
        let mut dom = domain(d.clone(), "integer");
        dom.depends_on = vec![routine(&h)];
        let mut tab = table(t.clone(), vec![column("x", "integer")]);
        tab.depends_on = vec![uses(ObjectKind::Domain, &d), routine(&f)];
        let mut to = Schema {
            domains: vec![dom],
            functions: vec![
                function(f.clone(), "SELECT 1", vec![]),
                function(g.clone(), "SELECT 1", vec![uses(ObjectKind::Table, &t)]),
                function(h.clone(), "SELECT 1", vec![]),
            ],
            tables: vec![tab],
            ..Schema::default()
        };
        to.normalize();
        let p = plan(&Schema::default(), &to);
        let names: Vec<&str> = p
            .changes
            .iter()
            .map(|c| c.object.name.name.as_str())
            .collect();
        assert_eq!(names, ["f", "h", "d", "t", "g"]);
        let back = plan(&to, &Schema::default());
        let names: Vec<&str> = back
            .changes
            .iter()
            .map(|c| c.object.name.name.as_str())
            .collect();
        assert_eq!(names, ["g", "t", "d", "h", "f"]);
        use ChangeKind::*;
        assert_eq!(
            kinds(&back),
            [
                DropFunction,
                DropTable,
                DropDomain,
                DropFunction,
                DropFunction
            ]
        );
    }

    #[test]
    fn a_dropped_function_goes_after_the_default_that_called_it() {
        let f = q("app", "next id");
        let mut with_default = column("id", "integer");
        with_default.default = Some(r#"app."next id"()"#.into());
        let mut from = with_tables(vec![table(q("app", "t"), vec![with_default])]);
        from.tables[0].depends_on = vec![routine(&f)];
        from.functions = vec![function(f, "SELECT 1", vec![])];
        let to = with_tables(vec![table(q("app", "t"), vec![column("id", "integer")])]);
        let p = plan(&from, &to);
        assert_eq!(
            kinds(&p),
            [ChangeKind::DropDefault, ChangeKind::DropFunction]
        );
        assert_eq!(p.changes[1].up, [r#"DROP FUNCTION "app"."next id"();"#]);
    }

    #[test]
    fn enum_labels_added_anywhere() {
        let e = q("a\"b", "naïve ü");
        let from = Schema {
            enums: vec![enum_type(e.clone(), &["c"])],
            ..Schema::default()
        };
        let to = Schema {
            enums: vec![enum_type(e.clone(), &["a", "b'", "c", "d"])],
            ..Schema::default()
        };
        assert_eq!(
            plan(&from, &to).up(),
            [
                r#"ALTER TYPE "a""b"."naïve ü" ADD VALUE 'a' BEFORE 'c';"#,
                r#"ALTER TYPE "a""b"."naïve ü" ADD VALUE 'b''' AFTER 'a';"#,
                r#"ALTER TYPE "a""b"."naïve ü" ADD VALUE 'd' AFTER 'c';"#,
            ]
        );
    }

    #[test]
    fn types_recreated_only_when_nothing_that_stays_uses_them() {
        let e = q("app", "order");
        let from = Schema {
            enums: vec![enum_type(e.clone(), &["a", "b"])],
            ..Schema::default()
        };
        let to = Schema {
            enums: vec![enum_type(e.clone(), &["b"])],
            ..Schema::default()
        };
        use ChangeKind::*;
        // Unused: dropped and re-created, no hazard.
        let p = plan(&from, &to);
        assert_eq!(kinds(&p), [DropEnum, CreateEnum]);
        assert!(p.changes.iter().all(|c| c.hazards.is_empty()));
        // A table that stays uses it: left to a person.
        let user = |s: &Schema| {
            let mut t = table(q("app", "user"), vec![column("x", r#"app."order""#)]);
            t.depends_on = vec![uses(ObjectKind::Enum, &e)];
            Schema {
                tables: vec![t],
                ..s.clone()
            }
        };
        let p = plan(&user(&from), &user(&to));
        assert_eq!(kinds(&p), [ManualStep]);
        let c = &p.changes[0];
        assert_eq!(hazards(c), ["manual-step"]);
        assert!(
            c.hazards[0]
                .message
                .contains(r#"table "app"."user" uses it"#),
            "{}",
            c.hazards[0].message
        );
        assert!(c.up.iter().chain(&c.down).all(|s| s.starts_with("-- ")));
        assert!(render(&p, false).contains("-- hazard: manual-step: enum \"app\".\"order\""));
        // A table that goes uses it: the table goes first, before the type is re-created.
        let p = plan(&user(&from), &to);
        assert_eq!(kinds(&p), [DropTable, DropEnum, CreateEnum]);
        // A view that uses it is re-created with it.
        let view = |s: &Schema| Schema {
            views: vec![View {
                name: q("app", "v"),
                definition: r#" SELECT 'b'::app."order" AS o"#.into(),
                options: vec![],
                comment: None,
                depends_on: vec![uses(ObjectKind::Enum, &e)],
            }],
            ..s.clone()
        };
        let p = plan(&view(&from), &view(&to));
        assert_eq!(kinds(&p), [DropView, DropEnum, CreateEnum, CreateView]);
    }

    #[test]
    fn domains_altered_with_safe_forms() {
        let check = |name: &str, definition: &str, validated: bool| DomainCheck {
            name: name.into(),
            definition: definition.into(),
            validated,
            comment: None,
        };
        let d = q("a\"b", "naïve ü");
        let mut from = domain(d.clone(), "integer");
        from.default = Some("1".into());
        from.checks = vec![
            check("gone", "CHECK ((VALUE < 10))", true),
            check("order", "CHECK ((VALUE > 0)) NOT VALID", false),
        ];
        let mut to = domain(d.clone(), "integer");
        to.not_null = true;
        to.checks = vec![
            check("order", "CHECK ((VALUE > 0))", true),
            check("select", "CHECK ((VALUE <> 3))", true),
        ];
        let a = Schema {
            domains: vec![from],
            ..Schema::default()
        };
        let b = Schema {
            domains: vec![to],
            ..Schema::default()
        };
        let p = plan(&a, &b);
        use ChangeKind::*;
        assert_eq!(
            kinds(&p),
            [
                AlterDomain,
                AlterDomain,
                DropDomainConstraint,
                ValidateConstraint,
                AddDomainConstraint,
                ValidateConstraint
            ]
        );
        let name = r#""a""b"."naïve ü""#;
        assert_eq!(
            p.changes[0].up,
            [format!("ALTER DOMAIN {name} DROP DEFAULT;")]
        );
        assert_eq!(
            p.changes[0].down,
            [format!("ALTER DOMAIN {name} SET DEFAULT 1;")]
        );
        assert_eq!(
            p.changes[1].up,
            [format!("ALTER DOMAIN {name} SET NOT NULL;")]
        );
        assert_eq!(
            p.changes[3].down,
            [
                format!(r#"ALTER DOMAIN {name} DROP CONSTRAINT "order";"#),
                format!(
                    r#"ALTER DOMAIN {name} ADD CONSTRAINT "order" CHECK ((VALUE > 0)) NOT VALID;"#
                ),
            ]
        );
        assert_eq!(
            p.changes[4].up,
            [format!(
                r#"ALTER DOMAIN {name} ADD CONSTRAINT "select" CHECK ((VALUE <> 3)) NOT VALID;"#
            )]
        );
        assert_eq!(
            p.changes[5].up,
            [format!(
                r#"ALTER DOMAIN {name} VALIDATE CONSTRAINT "select";"#
            )]
        );
        // Validated -> NOT VALID is no change for that check.
        let back = plan(&b, &a);
        assert!(
            !back.up().iter().any(|s| s.contains(r#""order""#)),
            "{back:#?}"
        );
        // A new base type: re-created (nothing uses it).
        let mut wider = b.clone();
        wider.domains[0].data_type = "bigint".into();
        assert_eq!(kinds(&plan(&b, &wider)), [DropDomain, CreateDomain]);
    }

    #[test]
    fn composite_types_altered_recreated_or_left_to_a_person() {
        let attr = |name: &str, data_type: &str| CompositeAttribute {
            name: name.into(),
            data_type: data_type.into(),
            collation: None,
        };
        let ty = |attributes: Vec<CompositeAttribute>| Schema {
            composite_types: vec![CompositeType {
                name: q("app", "Mixed Case"),
                attributes,
                comment: None,
                depends_on: vec![],
            }],
            ..Schema::default()
        };
        let from = ty(vec![
            attr("a", "integer"),
            attr("b", "text"),
            attr("c", "date"),
        ]);
        let to = ty(vec![
            attr("a", "bigint"),
            attr("b", "text"),
            attr("select", "boolean"),
        ]);
        let p = plan(&from, &to);
        use ChangeKind::*;
        assert_eq!(kinds(&p), [DropAttribute, AlterAttribute, AddAttribute]);
        assert_eq!(
            p.up(),
            [
                r#"ALTER TYPE "app"."Mixed Case" DROP ATTRIBUTE "c";"#,
                r#"ALTER TYPE "app"."Mixed Case" ALTER ATTRIBUTE "a" SET DATA TYPE bigint;"#,
                r#"ALTER TYPE "app"."Mixed Case" ADD ATTRIBUTE "select" boolean;"#,
            ]
        );
        assert_eq!(
            p.down(),
            [
                r#"ALTER TYPE "app"."Mixed Case" DROP ATTRIBUTE "select";"#,
                r#"ALTER TYPE "app"."Mixed Case" ALTER ATTRIBUTE "a" SET DATA TYPE integer;"#,
                r#"ALTER TYPE "app"."Mixed Case" ADD ATTRIBUTE "c" date;"#,
            ]
        );
        // A new order: re-created.
        let reordered = ty(vec![
            attr("b", "text"),
            attr("a", "integer"),
            attr("c", "date"),
        ]);
        assert_eq!(
            kinds(&plan(&from, &reordered)),
            [DropCompositeType, CreateCompositeType]
        );
        // A table column has the type: ALTER TYPE refuses, and so would DROP TYPE.
        let with_table = |s: &Schema| {
            let mut t = table(q("app", "t"), vec![column("v", r#"app."Mixed Case""#)]);
            t.depends_on = vec![uses(ObjectKind::CompositeType, &q("app", "Mixed Case"))];
            Schema {
                tables: vec![t],
                ..s.clone()
            }
        };
        let p = plan(&with_table(&from), &with_table(&to));
        assert_eq!(kinds(&p), [ManualStep]);
        assert_eq!(hazards(&p.changes[0]), ["manual-step"]);
    }

    #[test]
    fn drop_statements_of_every_kind() {
        let name = q("a\"b", "select");
        let from = Schema {
            collations: vec![Collation {
                name: name.clone(),
                provider: "icu".into(),
                locale: Some("fr".into()),
                lc_collate: None,
                lc_ctype: None,
                deterministic: true,
                comment: Some("it's".into()),
            }],
            text_search_configs: vec![TextSearchConfig {
                name: name.clone(),
                parser: q("pg_catalog", "default"),
                mappings: vec![TextSearchMapping {
                    token_type: "asciiword".into(),
                    dictionaries: vec![q("pg_catalog", "simple")],
                }],
                comment: None,
            }],
            range_types: vec![RangeType {
                name: q("a\"b", "r"),
                subtype: "integer".into(),
                subtype_opclass: None,
                collation: None,
                canonical: None,
                subtype_diff: None,
                multirange: Some(q("a\"b", "r_multirange")),
                comment: None,
                depends_on: vec![],
            }],
            functions: vec![Function {
                kind: FunctionKind::Procedure,
                returns: None,
                signature: "IN n integer, INOUT total integer".into(),
                arguments: "integer, integer".into(),
                ..function(q("a\"b", "p"), "SELECT 1", vec![])
            }],
            ..Schema::default()
        };
        let p = plan(&from, &Schema::default());
        use ChangeKind::*;
        assert_eq!(
            kinds(&p),
            [
                DropFunction,
                DropRangeType,
                DropTextSearchConfig,
                DropCollation
            ]
        );
        assert_eq!(
            p.up(),
            [
                r#"DROP PROCEDURE "a""b"."p"(IN n integer, INOUT total integer);"#,
                r#"DROP TYPE "a""b"."r";"#,
                r#"DROP TEXT SEARCH CONFIGURATION "a""b"."select";"#,
                r#"DROP COLLATION "a""b"."select";"#,
            ]
        );
        // The downs re-create them, with their comments.
        assert_eq!(
            p.changes[3].down,
            [
                r#"CREATE COLLATION "a""b"."select" (provider = icu, locale = 'fr');"#,
                r#"COMMENT ON COLLATION "a""b"."select" IS 'it''s';"#,
            ]
        );
        assert_eq!(
            p.changes[2].down,
            [
                r#"CREATE TEXT SEARCH CONFIGURATION "a""b"."select" (PARSER = "pg_catalog"."default");"#,
                r#"ALTER TEXT SEARCH CONFIGURATION "a""b"."select" ADD MAPPING FOR "asciiword" WITH "pg_catalog"."simple";"#,
            ]
        );
    }

    #[test]
    fn partitions_take_column_changes_from_their_parent() {
        let parent = q("app", "events");
        let part = q("app", "events 1");
        let mut p = table(parent.clone(), vec![column("id", "integer")]);
        p.partition_key = Some("RANGE (id)".into());
        let partition = |columns: Vec<Column>| {
            let mut t = table(part.clone(), columns);
            t.partition_of = Some(PartitionOf {
                parent: parent.clone(),
                bound: "FOR VALUES FROM (0) TO (10)".into(),
            });
            t
        };
        let from = with_tables(vec![p.clone(), partition(vec![column("id", "integer")])]);
        let mut p2 = p.clone();
        p2.columns.push(column("v", "text"));
        p2.columns[0].not_null = true;
        let mut id = column("id", "integer");
        id.not_null = true;
        let mut new_part = table(q("app", "events 2"), vec![id.clone(), column("v", "text")]);
        new_part.partition_of = Some(PartitionOf {
            parent: parent.clone(),
            bound: "FOR VALUES FROM (10) TO (20)".into(),
        });
        let to = with_tables(vec![p2, partition(vec![id, column("v", "text")]), new_part]);
        let pl = plan(&from, &to);
        use ChangeKind::*;
        // Only the parent's columns change; the new partition is attached after they have.
        assert_eq!(
            kinds(&pl),
            [CreateTable, AddColumn, SetNotNull, AttachPartition]
        );
        assert!(pl.changes[1..3].iter().all(|c| c.object.name == parent));
        assert_eq!(
            pl.changes[3].up,
            [
                r#"ALTER TABLE "app"."events" ATTACH PARTITION "app"."events 2" FOR VALUES FROM (10) TO (20);"#
            ]
        );
        assert_eq!(
            pl.changes[3].down,
            [r#"ALTER TABLE "app"."events" DETACH PARTITION "app"."events 2";"#]
        );
        // Detached: a plain table again.
        let mut detached = from.clone();
        detached.tables[1].partition_of = None;
        assert_eq!(kinds(&plan(&from, &detached)), [DetachPartition]);
        // A new partition key cannot be made in place.
        let mut rekeyed = from.clone();
        rekeyed.tables[0].partition_key = Some("LIST (id)".into());
        let pl = plan(&from, &rekeyed);
        assert_eq!(kinds(&pl), [ManualStep]);
        assert_eq!(hazards(&pl.changes[0]), ["manual-step"]);
    }

    #[test]
    fn persistence_and_storage_options() {
        let mut a = table(hostile(), vec![column("order", "integer")]);
        a.options = vec!["fillfactor=70".into(), "autovacuum_enabled=false".into()];
        let mut b = a.clone();
        b.unlogged = true;
        b.options = vec!["fillfactor=80".into(), "user option=x".into()];
        let (from, to) = (with_tables(vec![a.clone()]), with_tables(vec![b]));
        let p = plan(&from, &to);
        use ChangeKind::*;
        assert_eq!(kinds(&p), [SetUnlogged, SetTableOptions]);
        assert_eq!(hazards(&p.changes[0]), ["table-rewrite"]);
        assert_eq!(
            p.changes[0].up,
            [r#"ALTER TABLE "a""b"."Mixed Case" SET UNLOGGED;"#]
        );
        assert_eq!(
            p.changes[0].down,
            [r#"ALTER TABLE "a""b"."Mixed Case" SET LOGGED;"#]
        );
        assert_eq!(
            p.changes[1].up,
            [
                r#"ALTER TABLE "a""b"."Mixed Case" SET (fillfactor='80', "user option"='x');"#,
                r#"ALTER TABLE "a""b"."Mixed Case" RESET (autovacuum_enabled);"#,
            ]
        );
        assert_eq!(
            p.changes[1].down,
            [
                r#"ALTER TABLE "a""b"."Mixed Case" SET (fillfactor='70', autovacuum_enabled='false');"#,
                r#"ALTER TABLE "a""b"."Mixed Case" RESET ("user option");"#,
            ]
        );
        // The same options in another order: no change.
        let mut reordered = a;
        reordered.options.reverse();
        assert!(plan(&from, &with_tables(vec![reordered])).is_empty());
    }

    #[test]
    fn foreign_keys_deferrability_and_validation() {
        let t = with_tables(vec![table(hostile(), vec![column("order", "integer")])]);
        let fk = |deferred: bool| Constraint {
            deferrable: deferred,
            initially_deferred: deferred,
            ..constraint(
                &hostile(),
                "fk ü",
                ConstraintKind::ForeignKey,
                if deferred {
                    r#"FOREIGN KEY ("order") REFERENCES "a""b"."Mixed Case"("order") DEFERRABLE INITIALLY DEFERRED"#
                } else {
                    r#"FOREIGN KEY ("order") REFERENCES "a""b"."Mixed Case"("order")"#
                },
            )
        };
        let with = |c: Constraint| Schema {
            constraints: vec![c],
            ..t.clone()
        };
        let p = plan(&with(fk(false)), &with(fk(true)));
        assert_eq!(kinds(&p), [ChangeKind::AlterConstraint]);
        assert_eq!(
            p.changes[0].up,
            [
                r#"ALTER TABLE "a""b"."Mixed Case" ALTER CONSTRAINT "fk ü" DEFERRABLE INITIALLY DEFERRED;"#
            ]
        );
        assert_eq!(
            p.changes[0].down,
            [
                r#"ALTER TABLE "a""b"."Mixed Case" ALTER CONSTRAINT "fk ü" NOT DEFERRABLE INITIALLY IMMEDIATE;"#
            ]
        );
        // NOT VALID -> validated: VALIDATE, and the down puts the unvalidated state back.
        let mut not_valid = fk(false);
        not_valid.validated = false;
        not_valid.definition.push_str(" NOT VALID");
        let p = plan(&with(not_valid.clone()), &with(fk(false)));
        assert_eq!(kinds(&p), [ChangeKind::ValidateConstraint]);
        assert_eq!(
            p.changes[0].down,
            [
                r#"ALTER TABLE "a""b"."Mixed Case" DROP CONSTRAINT "fk ü";"#,
                r#"ALTER TABLE "a""b"."Mixed Case" ADD CONSTRAINT "fk ü" FOREIGN KEY ("order") REFERENCES "a""b"."Mixed Case"("order") NOT VALID;"#,
            ]
        );
        // Validated -> NOT VALID: nothing to do.
        assert!(plan(&with(fk(false)), &with(not_valid)).is_empty());
        // A new foreign key on an existing partitioned table cannot be NOT VALID (PostgreSQL 15).
        let mut parted = t.clone();
        parted.tables[0].partition_key = Some("RANGE (\"order\")".into());
        let p = plan(
            &parted,
            &Schema {
                constraints: vec![fk(false)],
                ..parted.clone()
            },
        );
        assert_eq!(kinds(&p), [ChangeKind::AddConstraint]);
        assert!(!p.changes[0].up[0].contains("NOT VALID"));
    }

    #[test]
    fn sequence_ownership_is_released_before_its_column_goes() {
        let opts = SequenceOptions {
            data_type: "bigint".into(),
            start: 1,
            increment: 1,
            min_value: 1,
            max_value: 100,
            cache: 1,
            cycle: false,
        };
        let seq = |column: &str| Sequence {
            name: q("app", "seq ü"),
            options: opts.clone(),
            unlogged: false,
            owned_by: Some(ColumnRef {
                table: hostile(),
                column: column.into(),
            }),
            comment: None,
        };
        let from = Schema {
            sequences: vec![seq("old")],
            ..with_tables(vec![table(
                hostile(),
                vec![column("keep", "bigint"), column("old", "bigint")],
            )])
        };
        let to = Schema {
            sequences: vec![seq("keep")],
            ..with_tables(vec![table(hostile(), vec![column("keep", "bigint")])])
        };
        let p = plan(&from, &to);
        use ChangeKind::*;
        assert_eq!(kinds(&p), [AlterSequence, DropColumn, AlterSequence]);
        assert_eq!(
            p.up(),
            [
                r#"ALTER SEQUENCE "app"."seq ü" OWNED BY NONE;"#,
                r#"ALTER TABLE "a""b"."Mixed Case" DROP COLUMN "old";"#,
                r#"ALTER SEQUENCE "app"."seq ü" OWNED BY "a""b"."Mixed Case"."keep";"#,
            ]
        );
        assert_eq!(
            p.down().last().unwrap(),
            r#"ALTER SEQUENCE "app"."seq ü" OWNED BY "a""b"."Mixed Case"."old";"#
        );
    }

    #[test]
    fn types_and_routines_using_a_recreated_type_are_recreated_with_it() {
        let e = q("app", "order");
        let d = q("app", "naïve status");
        let f = q("app", "is paid");
        let schema = |labels: &[&str]| {
            let mut dom = domain(d.clone(), r#"app."order""#);
            dom.depends_on = vec![uses(ObjectKind::Enum, &e)];
            let mut s = Schema {
                enums: vec![enum_type(e.clone(), labels)],
                domains: vec![dom],
                functions: vec![function(
                    f.clone(),
                    "SELECT true",
                    vec![uses(ObjectKind::Enum, &e)],
                )],
                ..Schema::default()
            };
            s.normalize();
            s
        };
        let (from, to) = (schema(&["new", "paid", "gone"]), schema(&["new", "paid"]));
        let p = plan(&from, &to);
        use ChangeKind::*;
        assert_eq!(
            kinds(&p),
            [
                DropFunction,
                DropDomain,
                DropEnum,
                CreateEnum,
                CreateDomain,
                CreateFunction
            ]
        );
        // A function that a check constraint may call is not dropped along: a person decides.
        let mut checked = from.clone();
        checked.tables = vec![table(q("app", "t"), vec![column("s", "text")])];
        checked.constraints = vec![constraint(
            &q("app", "t"),
            "c",
            ConstraintKind::Check,
            r#"CHECK (app."is paid"('new'::app."order"))"#,
        )];
        let to_checked = Schema {
            tables: checked.tables.clone(),
            constraints: checked.constraints.clone(),
            ..to.clone()
        };
        let p = plan(&checked, &to_checked);
        assert_eq!(kinds(&p), [ManualStep]);
        assert!(p.changes[0].hazards[0]
            .message
            .contains(r#"function "app"."is paid"() uses it"#));
    }

    #[test]
    fn renamed_column_keeps_its_sequence() {
        let seq = |column: &str| Sequence {
            name: q("app", "t_n_seq"),
            options: SequenceOptions {
                data_type: "integer".into(),
                start: 1,
                increment: 1,
                min_value: 1,
                max_value: 2147483647,
                cache: 1,
                cycle: false,
            },
            unlogged: false,
            owned_by: Some(ColumnRef {
                table: q("app", "t"),
                column: column.into(),
            }),
            comment: None,
        };
        let from = Schema {
            sequences: vec![seq("n")],
            ..with_tables(vec![table(q("app", "t"), vec![column("n", "integer")])])
        };
        let to = Schema {
            sequences: vec![seq("the n")],
            ..with_tables(vec![table(q("app", "t"), vec![column("the n", "integer")])])
        };
        let opts = DiffOptions {
            renames: vec![("t.n".into(), "the n".into())],
            ..DiffOptions::default()
        };
        let p = diff(&from, &to, &opts);
        assert_eq!(kinds(&p), [ChangeKind::RenameColumn], "{p:#?}");
    }
}
