//! Models and plan lookups the SQLite unit tests share.

use super::canonical::{auto_constraint_name, foreign_key_definition, quoted_list};
pub(super) use super::names::table_ref;
pub(super) use super::{diff, render, to_sql};
pub(super) use crate::diff::{Change, ChangeKind, DiffOptions, Plan};
pub(super) use crate::model::*;
use strata_core::QualifiedName;

pub(super) fn q(name: &str) -> QualifiedName {
    QualifiedName::new(None, name)
}

pub(super) fn col(name: &str, data_type: &str) -> Column {
    Column::new(name, data_type)
}

pub(super) fn table(name: &str, columns: Vec<Column>) -> Table {
    Table::new(q(name), columns)
}

pub(super) fn pk(table: &str, columns: &[&str]) -> Constraint {
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

pub(super) fn fk(
    table: &str,
    column: &str,
    parent: &str,
    on_delete: ForeignKeyAction,
) -> Constraint {
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

pub(super) fn schema(tables: Vec<Table>, constraints: Vec<Constraint>) -> Schema {
    let mut s = Schema {
        tables,
        constraints,
        ..Schema::default()
    };
    s.normalize();
    s
}

pub(super) fn plan(from: &Schema, to: &Schema) -> Plan {
    diff(from, to, &DiffOptions::default())
}

pub(super) fn kinds(p: &Plan) -> Vec<ChangeKind> {
    p.changes.iter().map(|c| c.kind).collect()
}

pub(super) fn hazards(c: &Change) -> Vec<&str> {
    c.hazards.iter().map(|h| h.id.as_str()).collect()
}

pub(super) fn users() -> Table {
    table("users", vec![col("id", "INTEGER"), col("name", "TEXT")])
}
