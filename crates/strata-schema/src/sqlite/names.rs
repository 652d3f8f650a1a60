//! SQLite's names, compared case-insensitively (ASCII): a table, or its constraints, by name.

use crate::model::*;
use strata_core::QualifiedName;

pub(super) fn lc(s: &str) -> String {
    s.to_ascii_lowercase()
}

pub(super) fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

pub(super) fn find_table<'a>(s: &'a Schema, name: &str) -> Option<&'a Table> {
    s.tables.iter().find(|t| same_name(&t.name.name, name))
}

pub(super) fn table_ref(name: &str) -> ObjectRef {
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
pub(super) fn table_constraints<'a>(s: &'a Schema, table: &str) -> Vec<&'a Constraint> {
    let mut out: Vec<&Constraint> = s
        .constraints
        .iter()
        .filter(|c| same_name(&c.table.name, table))
        .collect();
    out.sort_by(|a, b| (kind_rank(a.kind), &a.name).cmp(&(kind_rank(b.kind), &b.name)));
    out
}
