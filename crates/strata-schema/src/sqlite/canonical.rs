//! The canonical text strata gives SQLite's foreign keys and indexes, and the names it gives
//! unnamed constraints: what `strata_sqlite::introspect` normalises a model to, and what the
//! rendering writes (so that names and definitions survive a round trip).

use crate::model::*;
use std::fmt::Write as _;
use strata_core::quote_ident;

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

pub(super) fn quoted_list(names: &[String]) -> String {
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

pub(super) fn fk_clause(c: &Constraint, target: Option<&str>) -> String {
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
