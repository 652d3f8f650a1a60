//! The semantic impact of a plan on the clients of a schema: [`assess`] reads the typed changes
//! of a [`Plan`] (with the models on both sides, for what a change alone does not say: whether a
//! column has a default, whether a table is new) and says, for each change, whether it breaks a
//! client that runs today ([`Impact::Major`]), adds without breaking ([`Impact::Minor`]), or does
//! neither ([`Impact::Patch`]). The plan's impact is the largest. No SQL text is read.
//!
//! The rules (docs/versions.md has the table):
//! - MAJOR: a drop or rename of a table, column, view, function or type (or a label, attribute,
//!   partition or schema); a column type changed other than widened; `NOT NULL` set on a column
//!   without a default, or a default dropped from a `NOT NULL` column; a constraint (check,
//!   unique, foreign key, exclusion, primary key, domain check) or a unique index added to a table
//!   that exists; a primary key or unique constraint dropped (`ON CONFLICT` targets); row security
//!   enabled or a policy dropped; an identity dropped; a change the diff leaves to a person.
//! - MINOR: anything created (table, nullable column or one with a default, index, view, type,
//!   function, trigger, policy, enum label); a type widened; a constraint, `NOT NULL` or row
//!   security relaxed; a view re-defined; `NOT NULL` set on a column that has a default.
//! - PATCH: comments, defaults set, storage options, logged/unlogged, sequence and identity
//!   options, function bodies (`CREATE OR REPLACE`), extension updates, validation of a
//!   constraint already enforced on new rows, an index rebuilt, a trigger dropped; a plan with no
//!   change (data-only migrations).
//!
//! Anything created along with a new table (its constraints, indexes, `NOT NULL`s) is MINOR: no
//! client writes that table today.

use crate::diff::{Change, ChangeKind, Plan};
use crate::model::{Column, ConstraintKind, Keyed, ObjectKind, ObjectRef, Schema, Table};
use strata_core::{Impact, QualifiedName};

/// Why a change has the impact it has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    pub impact: Impact,
    /// The object, as [`ObjectRef`]'s `Display` writes it (a column as `column "c" on table …`).
    pub object: String,
    pub why: String,
}

/// The impact of a plan and the reason of each change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessment {
    /// The largest impact of the changes; [`Impact::Patch`] for none.
    pub impact: Impact,
    pub reasons: Vec<Reason>,
}

impl Assessment {
    /// The reasons that decide the impact (those of the largest one).
    pub fn deciding(&self) -> impl Iterator<Item = &Reason> {
        self.reasons.iter().filter(move |r| r.impact == self.impact)
    }
}

/// The impact of `plan`, the changes from `from` to `to`.
pub fn assess(plan: &Plan, from: &Schema, to: &Schema) -> Assessment {
    assess_changes(&plan.changes, from, to)
}

/// The impact of some of a plan's changes (one migration file of a split plan).
pub fn assess_changes(changes: &[Change], from: &Schema, to: &Schema) -> Assessment {
    let mut reasons = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        // A drop and a create of the same object in one plan re-create it.
        let recreated = |drop: ChangeKind, create: ChangeKind| {
            (c.kind == drop || c.kind == create)
                && changes.iter().enumerate().any(|(j, o)| {
                    j != i && o.object == c.object && (o.kind == drop || o.kind == create)
                })
        };
        let (impact, why) = if recreated(ChangeKind::DropIndex, ChangeKind::CreateIndex) {
            if c.kind == ChangeKind::DropIndex {
                continue;
            }
            recreated_index(&c.object, from, to)
        } else if recreated(ChangeKind::DropView, ChangeKind::CreateView)
            || recreated(
                ChangeKind::DropMaterializedView,
                ChangeKind::CreateMaterializedView,
            )
        {
            if matches!(
                c.kind,
                ChangeKind::DropView | ChangeKind::DropMaterializedView
            ) {
                continue;
            }
            (
                Impact::Minor,
                "re-defined (same name; check that its columns stay)".to_owned(),
            )
        } else {
            classify(c, from, to)
        };
        let object = match &c.column {
            Some(column) => format!(
                "column {} on {}",
                strata_core::quote_ident(column),
                c.object.name
            ),
            None => c.object.to_string(),
        };
        reasons.push(Reason {
            impact,
            object,
            why,
        });
    }
    let impact = reasons
        .iter()
        .map(|r| r.impact)
        .max()
        .unwrap_or(Impact::Patch);
    Assessment { impact, reasons }
}

/// The impact of one change, with why.
pub fn classify(c: &Change, from: &Schema, to: &Schema) -> (Impact, String) {
    use ChangeKind::*;
    use Impact::*;
    let r = |impact: Impact, why: &str| (impact, why.to_owned());
    // Everything on a table that does not exist yet is part of adding it.
    if let Some(table) = table_of(c, to) {
        if find_table(from, &table).is_none() && !is_drop(c.kind) {
            return r(Minor, "on a new table");
        }
    }
    match c.kind {
        CreateSchema
        | CreateExtension
        | CreateCollation
        | CreateTextSearchConfig
        | CreateEnum
        | CreateDomain
        | CreateCompositeType
        | CreateRangeType
        | CreateSequence
        | CreateFunction
        | CreateAggregate
        | CreateTable
        | CreateView
        | CreateMaterializedView => r(Minor, "added"),
        DropSchema | DropExtension | DropCollation | DropTextSearchConfig | DropEnum
        | DropDomain | DropCompositeType | DropRangeType | DropSequence | DropFunction
        | DropAggregate | DropTable | DropView | DropMaterializedView => {
            r(Major, "dropped: clients that use it fail")
        }
        RenameTable | RenameColumn => r(Major, "renamed: clients that use the old name fail"),
        AddEnumValue => r(Minor, "label added"),
        AddAttribute => r(Minor, "attribute added"),
        DropAttribute => r(Major, "attribute dropped"),
        AlterAttribute => r(Major, "attribute type changed"),
        AlterExtension | AlterSequence | ReplaceFunction | ReplaceAggregate | SetLogged
        | SetUnlogged | SetTableOptions | AlterIdentity | SetComment | AlterConstraint => {
            r(Patch, "no change to what clients read or write")
        }
        Grant => r(Minor, "privilege granted: clients may do more"),
        Revoke => r(Major, "privilege revoked: clients that use it fail"),
        AlterOwner | AlterDefaultPrivileges => r(
            Patch,
            "ownership or future objects' privileges: nothing clients do today changes",
        ),
        CreateStatistics | DropStatistics | AlterStatistics => r(
            Patch,
            "planner statistics: no change to what clients read or write",
        ),
        ValidateConstraint => r(Patch, "validated: new rows were already checked"),
        AlterDomain => {
            let (old, new) = (find_domain(from, &c.object), find_domain(to, &c.object));
            match (old, new) {
                (Some(o), Some(n)) if n.not_null && !o.not_null => {
                    r(Major, "NOT NULL set: NULL values are rejected")
                }
                (Some(o), Some(n)) if o.default.is_some() && n.default.is_none() => {
                    r(Major, "default dropped")
                }
                (Some(o), Some(n)) if o.not_null && !n.not_null => r(Minor, "NOT NULL dropped"),
                _ => r(Patch, "default changed"),
            }
        }
        AddDomainConstraint => r(Major, "check added: values clients write may be rejected"),
        DropDomainConstraint => r(Minor, "check dropped"),
        AttachPartition => r(Minor, "partition attached"),
        DetachPartition => r(
            Major,
            "partition detached: its rows leave the partitioned table",
        ),
        Inherit => r(Minor, "inherits: the parent's rows grow"),
        NoInherit => r(Major, "no longer inherits: its rows leave the parent"),
        AddColumn => match column_in(to, c) {
            Some(col) if col.not_null && !has_default(col) => r(
                Major,
                "NOT NULL column without a default: inserts that omit it fail",
            ),
            _ => r(Minor, "column added"),
        },
        DropColumn => r(Major, "column dropped: clients that use it fail"),
        AlterColumnType => match (column_in(from, c), column_in(to, c)) {
            (Some(old), Some(new)) if widens(&old.data_type, &new.data_type) => r(
                Minor,
                &format!("type widened from {} to {}", old.data_type, new.data_type),
            ),
            (Some(old), Some(new)) => r(
                Major,
                &format!("type changed from {} to {}", old.data_type, new.data_type),
            ),
            _ => r(Major, "type changed"),
        },
        AddIdentity => r(Minor, "identity added"),
        DropIdentity => r(Major, "identity dropped: inserts that omit the column fail"),
        SetNotNull => match (column_in(from, c), column_in(to, c)) {
            (None, _) => r(Minor, "on a new column"),
            (_, Some(col)) if has_default(col) => r(
                Minor,
                "NOT NULL set on a column with a default: only explicit NULLs are rejected",
            ),
            _ => r(
                Major,
                "NOT NULL set without a default: rows with NULL are rejected",
            ),
        },
        DropNotNull => r(Minor, "NOT NULL dropped"),
        SetDefault => r(Patch, "default set"),
        DropDefault => match column_in(to, c) {
            Some(col) if col.not_null => r(
                Major,
                "default dropped from a NOT NULL column: inserts that omit it fail",
            ),
            _ => r(Patch, "default dropped"),
        },
        CreateIndex => match to.indexes.iter().find(|i| i.key() == c.object) {
            Some(i) if i.unique => r(Major, "unique index: duplicate rows are rejected"),
            _ => r(Minor, "index added"),
        },
        DropIndex => match from.indexes.iter().find(|i| i.key() == c.object) {
            Some(i) if i.unique => r(Minor, "unique index dropped"),
            _ => r(Patch, "index dropped"),
        },
        AddConstraint => match constraint_kind(to, &c.object) {
            Some(kind) => (
                Major,
                format!(
                    "{} added: rows clients write may be rejected",
                    constraint_name(kind)
                ),
            ),
            None => r(Major, "constraint added"),
        },
        DropConstraint => match constraint_kind(from, &c.object) {
            Some(kind @ (ConstraintKind::PrimaryKey | ConstraintKind::Unique)) => (
                Major,
                format!(
                    "{} dropped: `ON CONFLICT` on it fails",
                    constraint_name(kind)
                ),
            ),
            _ => r(Minor, "constraint dropped"),
        },
        CreateTrigger => r(Minor, "trigger added"),
        DropTrigger => r(Patch, "trigger dropped"),
        CreatePolicy => r(Minor, "policy added"),
        DropPolicy => r(Major, "policy dropped: rows it allowed are hidden"),
        EnableRls => r(
            Major,
            "row-level security enabled: rows no policy allows are hidden",
        ),
        DisableRls => r(Minor, "row-level security disabled"),
        ManualStep => r(Major, "a manual step: assume clients break"),
        RebuildTable => rebuilt_table(c, from, to),
    }
}

fn is_drop(kind: ChangeKind) -> bool {
    use ChangeKind::*;
    matches!(
        kind,
        DropTable | DropColumn | DropConstraint | DropIndex | DropTrigger | DropPolicy
    )
}

fn recreated_index(key: &ObjectRef, from: &Schema, to: &Schema) -> (Impact, String) {
    let old = from.indexes.iter().find(|i| i.key() == *key);
    let new = to.indexes.iter().find(|i| i.key() == *key);
    match (old, new) {
        (Some(o), Some(n)) if n.unique && (!o.unique || o.columns != n.columns) => (
            Impact::Major,
            "unique index re-defined: rows clients write may be rejected".to_owned(),
        ),
        _ => (Impact::Patch, "index rebuilt".to_owned()),
    }
}

/// SQLite: a table re-created with its rows copied. Compared column by column.
fn rebuilt_table(c: &Change, from: &Schema, to: &Schema) -> (Impact, String) {
    let (Some(old), Some(new)) = (
        find_table(from, &c.object.name),
        find_table(to, &c.object.name),
    ) else {
        return (Impact::Major, "table rebuilt".to_owned());
    };
    let mut impact = Impact::Patch;
    let mut why = "table rebuilt, columns unchanged".to_owned();
    let mut raise = |i: Impact, w: String| {
        if i > impact {
            impact = i;
            why = w;
        }
    };
    for o in &old.columns {
        match new.columns.iter().find(|n| n.name == o.name) {
            None => raise(Impact::Major, format!("column {} dropped", o.name)),
            Some(n) if !same_type(&o.data_type, &n.data_type) => {
                if widens(&o.data_type, &n.data_type) {
                    raise(Impact::Minor, format!("column {} widened", o.name));
                } else {
                    raise(Impact::Major, format!("column {} changed type", o.name));
                }
            }
            Some(n) if n.not_null && !o.not_null && !has_default(n) => raise(
                Impact::Major,
                format!("NOT NULL set on column {} without a default", o.name),
            ),
            Some(n) if o.not_null && !n.not_null => {
                raise(Impact::Minor, format!("NOT NULL dropped on {}", o.name))
            }
            Some(_) => {}
        }
    }
    for n in &new.columns {
        if !old.columns.iter().any(|o| o.name == n.name) {
            if n.not_null && !has_default(n) {
                raise(
                    Impact::Major,
                    format!("NOT NULL column {} added without a default", n.name),
                );
            } else {
                raise(Impact::Minor, format!("column {} added", n.name));
            }
        }
    }
    (impact, why)
}

/// The table a change is on, if it is on one.
fn table_of(c: &Change, to: &Schema) -> Option<QualifiedName> {
    match c.object.kind {
        ObjectKind::Table if c.kind != ChangeKind::CreateTable => Some(c.object.name.clone()),
        ObjectKind::Constraint | ObjectKind::Trigger | ObjectKind::Policy => c.object.table.clone(),
        ObjectKind::Index => to
            .indexes
            .iter()
            .find(|i| i.key() == c.object)
            .map(|i| i.table.clone()),
        _ => None,
    }
}

fn find_table<'s>(schema: &'s Schema, name: &QualifiedName) -> Option<&'s Table> {
    schema.tables.iter().find(|t| t.name == *name)
}

fn find_domain<'s>(schema: &'s Schema, key: &ObjectRef) -> Option<&'s crate::model::Domain> {
    schema.domains.iter().find(|d| d.key() == *key)
}

fn column_in<'s>(schema: &'s Schema, c: &Change) -> Option<&'s Column> {
    let column = c.column.as_deref()?;
    find_table(schema, &c.object.name)?
        .columns
        .iter()
        .find(|col| col.name == column)
}

fn has_default(col: &Column) -> bool {
    col.default.is_some() || col.identity.is_some() || col.generated.is_some()
}

fn constraint_kind(schema: &Schema, key: &ObjectRef) -> Option<ConstraintKind> {
    schema
        .constraints
        .iter()
        .find(|k| k.key() == *key)
        .map(|k| k.kind)
}

fn constraint_name(kind: ConstraintKind) -> &'static str {
    match kind {
        ConstraintKind::PrimaryKey => "primary key",
        ConstraintKind::Unique => "unique constraint",
        ConstraintKind::Check => "check constraint",
        ConstraintKind::Exclusion => "exclusion constraint",
        ConstraintKind::ForeignKey => "foreign key",
    }
}

/// `character varying(20)` -> (`character varying`, [20]); `numeric(10,2)` -> (`numeric`,
/// [10, 2]); arrays keep their `[]` in the name.
fn split_type(text: &str) -> (String, Vec<u32>) {
    let text = text.trim().to_ascii_lowercase();
    match (text.find('('), text.find(')')) {
        (Some(open), Some(close)) if close > open => {
            let mods = text[open + 1..close]
                .split(',')
                .filter_map(|m| m.trim().parse().ok())
                .collect();
            let name = format!("{}{}", text[..open].trim(), text[close + 1..].trim());
            (name, mods)
        }
        _ => (text, Vec::new()),
    }
}

fn same_type(a: &str, b: &str) -> bool {
    split_type(a) == split_type(b)
}

/// Whether every value of type `from` is a value of type `to`, read the same way: a client
/// that reads or writes the column keeps working.
pub fn widens(from: &str, to: &str) -> bool {
    let (f, fm) = split_type(from);
    let (t, tm) = split_type(to);
    let alias = |n: &str| -> String {
        match n {
            "int2" => "smallint",
            "int" | "int4" | "integer" => "integer",
            "int8" => "bigint",
            "float4" => "real",
            "float8" | "float" => "double precision",
            "varchar" => "character varying",
            "char" | "bpchar" | "character" => "character",
            "decimal" => "numeric",
            other => other,
        }
        .to_owned()
    };
    let (f, t) = (alias(&f), alias(&t));
    let rank = |n: &str| match n {
        "smallint" => Some(1),
        "integer" => Some(2),
        "bigint" => Some(3),
        "numeric" => Some(4),
        _ => None,
    };
    match (f.as_str(), t.as_str()) {
        (a, b) if a == b && fm == tm => true,
        ("character varying" | "character", "character varying") => {
            tm.is_empty() || (fm.len() == 1 && tm.len() == 1 && tm[0] >= fm[0])
        }
        ("character varying" | "character", "text") => true,
        ("numeric", "numeric") => match (fm.as_slice(), tm.as_slice()) {
            (_, []) => true,
            ([p1], [p2]) => p2 >= p1,
            ([p1, s1], [p2, s2]) => s2 >= s1 && p2 - s2 >= p1 - s1,
            ([p1], [p2, s2]) => p2 - s2 >= *p1,
            _ => false,
        },
        ("real", "double precision") => true,
        (a, "numeric") if rank(a).is_some() => tm.is_empty(),
        (a, b) => matches!((rank(a), rank(b)), (Some(x), Some(y)) if y > x && y < 4),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_is_recognised() {
        for (from, to) in [
            ("integer", "bigint"),
            ("smallint", "integer"),
            ("smallint", "bigint"),
            ("integer", "numeric"),
            ("character varying(20)", "character varying(40)"),
            ("character varying(20)", "character varying"),
            ("character varying(20)", "text"),
            ("character(3)", "text"),
            ("numeric(10,2)", "numeric(12,2)"),
            ("numeric(10,2)", "numeric"),
            ("real", "double precision"),
        ] {
            assert!(widens(from, to), "{from} -> {to}");
        }
        for (from, to) in [
            ("bigint", "integer"),
            ("text", "character varying(20)"),
            ("character varying(40)", "character varying(20)"),
            ("numeric(12,2)", "numeric(10,2)"),
            ("numeric(10,2)", "numeric(10,4)"),
            ("integer", "text"),
            ("double precision", "real"),
            ("bigint", "numeric(10,0)"),
            ("timestamp without time zone", "timestamp with time zone"),
        ] {
            assert!(!widens(from, to), "{from} -> {to}");
        }
    }
}
