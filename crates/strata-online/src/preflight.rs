//! Before anything changes, every SQL fragment of the migration (types, `up`/`down`, defaults,
//! checks) is planned by the server against the row it will see, with `LIMIT 0`: a misspelt
//! column or type is a diagnostic at its line instead of a failure halfway through `start`.
//!
//! Each operation lists its fragments ([`crate::ops::Op::probes`]) with the helpers here: the row
//! as old or new clients see it, a type and its default.

use crate::file::OnlineMigration;
use crate::plan::{Ctx, Shape};
use strata_core::{quote_ident, Diagnostic, QualifiedName};
use strata_postgres::Postgres;

/// One fragment to check: the query, and where to report it.
pub(crate) struct Probe {
    pub(crate) sql: String,
    /// The field whose line the diagnostic gets.
    pub(crate) field: &'static str,
    /// What the fragment is, for the message ("type", "`up`", "check"…).
    pub(crate) what: &'static str,
}

/// `(SELECT <the row as a version sees it> FROM table) AS "_strata_row"`: the physical columns
/// that exist, and `NULL::type` for shadow columns that do not yet.
fn row(table: &QualifiedName, shape: &Shape, existing: &[String]) -> String {
    let columns = shape
        .columns
        .iter()
        .map(|c| {
            if existing.contains(&c.physical) {
                format!(
                    "{} AS {}",
                    quote_ident(&c.physical),
                    quote_ident(&c.visible)
                )
            } else {
                format!(
                    "CAST(NULL AS {}) AS {}",
                    c.data_type,
                    quote_ident(&c.visible)
                )
            }
        })
        .collect::<Vec<_>>();
    let list = if columns.is_empty() {
        "1 AS \"_strata_none\"".to_owned()
    } else {
        columns.join(", ")
    };
    format!("(SELECT {list} FROM {table}) AS \"_strata_row\"")
}

/// The row as old clients see it (the physical columns before the migration), as a subquery.
pub(crate) fn old_row(ctx: &Ctx<'_>, name: &QualifiedName) -> String {
    let table = ctx.resolve(name);
    row(&table, &ctx.old_shape(&table), &existing(ctx, &table))
}

/// The row as new clients see it (through the version schema's view), as a subquery.
pub(crate) fn new_row(ctx: &Ctx<'_>, name: &QualifiedName) -> String {
    let table = ctx.resolve(name);
    row(&table, &ctx.new_shape(&table), &existing(ctx, &table))
}

/// The physical columns of the table as it is now.
fn existing(ctx: &Ctx<'_>, table: &QualifiedName) -> Vec<String> {
    ctx.table(table)
        .map(|t| t.columns.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default()
}

/// `expr` evaluated over `row` (from [`old_row`] or [`new_row`]), planned but never run.
pub(crate) fn over(expr: &str, row: &str) -> String {
    format!("SELECT ({expr}) FROM {row} LIMIT 0")
}

/// A new column's type, and its default cast to it, reported at `field`.
pub(crate) fn type_and_default(
    data_type: &str,
    default: Option<&str>,
    field: &'static str,
) -> Vec<Probe> {
    let mut out = vec![Probe {
        sql: format!("SELECT CAST(NULL AS {data_type})"),
        field,
        what: "type",
    }];
    if let Some(d) = default {
        out.push(Probe {
            sql: format!("SELECT CAST(({d}) AS {data_type}) LIMIT 0"),
            field,
            what: "default",
        });
    }
    out
}

/// `serial` and friends are not types, only shorthands of `CREATE TABLE` / `ADD COLUMN`.
pub(crate) fn is_serial(data_type: &str) -> bool {
    matches!(
        data_type.trim().to_lowercase().as_str(),
        "serial" | "bigserial" | "smallserial" | "serial2" | "serial4" | "serial8"
    )
}

/// Diagnostics for the fragments the server rejects.
pub(crate) fn check(
    pg: &mut Postgres,
    migration: &OnlineMigration,
    ctx: &Ctx<'_>,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for entry in &migration.operations {
        for probe in entry.op.as_op().probes(ctx) {
            if let Err(e) = pg.simple_query_rows(&probe.sql) {
                diagnostics.push(
                    Diagnostic::new(
                        &migration.file,
                        entry.line_of(probe.field),
                        format!("{} of operation {} ({}) is not valid: {}", probe.what, entry.index, entry.op.type_name(), e.message),
                    )
                    .with_hint(match probe.field {
                        "up" => "`up` is an expression over the row as old clients see it (the old column names)",
                        "down" => "`down` is an expression over the row as new clients see it (the new column names)",
                        _ => "the SQL is checked against the database as it is now",
                    }),
                );
            }
        }
    }
    diagnostics
}
