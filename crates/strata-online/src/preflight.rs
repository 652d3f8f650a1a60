//! Before anything changes, every SQL fragment of the migration (types, `up`/`down`, defaults,
//! checks) is planned by the server against the row it will see, with `LIMIT 0`: a misspelt
//! column or type is a diagnostic at its line instead of a failure halfway through `start`.

use crate::file::OnlineMigration;
use crate::ops::{Entry, Operation};
use crate::plan::{Ctx, Shape};
use strata_core::{quote_ident, Diagnostic, QualifiedName};
use strata_postgres::Postgres;

/// One fragment to check: the query, and where to report it.
struct Probe {
    sql: String,
    field: &'static str,
    what: &'static str,
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

fn probes(entry: &Entry, ctx: &Ctx<'_>) -> Vec<Probe> {
    let mut out = Vec::new();
    let Some(table_name) = entry.op.table() else {
        return out;
    };
    let table = ctx.resolve(table_name);
    let existing: Vec<String> = ctx
        .table(&table)
        .map(|t| t.columns.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default();
    let old = || row(&table, &ctx.old_shape(&table), &existing);
    let new = || row(&table, &ctx.new_shape(&table), &existing);
    let over = |expr: &str, row: String| format!("SELECT ({expr}) FROM {row} LIMIT 0");
    match &entry.op {
        Operation::CreateTable(o) => {
            for c in o.columns.iter().filter(|c| !is_serial(&c.data_type)) {
                out.push(Probe {
                    sql: format!("SELECT CAST(NULL AS {})", c.data_type),
                    field: "columns",
                    what: "type",
                });
                if let Some(d) = &c.default {
                    out.push(Probe {
                        sql: format!("SELECT CAST(({d}) AS {}) LIMIT 0", c.data_type),
                        field: "columns",
                        what: "default",
                    });
                }
            }
        }
        Operation::AddColumn(o) if !is_serial(&o.column.data_type) => {
            let c = &o.column;
            out.push(Probe {
                sql: format!("SELECT CAST(NULL AS {})", c.data_type),
                field: "column",
                what: "type",
            });
            if let Some(d) = &c.default {
                out.push(Probe {
                    sql: format!("SELECT CAST(({d}) AS {}) LIMIT 0", c.data_type),
                    field: "column",
                    what: "default",
                });
            }
            if let Some(up) = &o.up {
                out.push(Probe {
                    sql: format!(
                        "SELECT CAST(({up}) AS {}) FROM {} LIMIT 0",
                        c.data_type,
                        old()
                    ),
                    field: "up",
                    what: "`up`",
                });
            }
            if let Some(check) = &c.check {
                out.push(Probe {
                    sql: over(&format!("({})::boolean", check.expression), new()),
                    field: "column",
                    what: "check",
                });
            }
        }
        Operation::DropColumn(o) => {
            if let Some(down) = &o.down {
                out.push(Probe {
                    sql: over(down, new()),
                    field: "down",
                    what: "`down`",
                });
            }
        }
        Operation::AlterColumn(o) => {
            let new_type = ctx
                .new_shape(&table)
                .columns
                .iter()
                .find(|c| c.physical == crate::sqltext::shadow_column(&o.column))
                .map(|c| c.data_type.clone())
                .unwrap_or_else(|| "text".to_owned());
            let old_type = ctx
                .table(&table)
                .and_then(|t| t.columns.iter().find(|c| c.name == o.column))
                .map(|c| c.data_type.clone())
                .unwrap_or_else(|| "text".to_owned());
            if o.data_type.is_some() {
                out.push(Probe {
                    sql: format!("SELECT CAST(NULL AS {new_type})"),
                    field: "data_type",
                    what: "type",
                });
            }
            let col = quote_ident(&o.column);
            let up = o.up.clone().unwrap_or_else(|| col.clone());
            let down = o.down.clone().unwrap_or_else(|| col.clone());
            // Assignment casts are what the trigger applies; `CAST` is close enough to catch
            // an expression of a type that does not convert at all.
            out.push(Probe {
                sql: format!("SELECT CAST(({up}) AS {new_type}) FROM {} LIMIT 0", old()),
                field: "up",
                what: "`up`",
            });
            out.push(Probe {
                sql: format!("SELECT CAST(({down}) AS {old_type}) FROM {} LIMIT 0", new()),
                field: "down",
                what: "`down`",
            });
            let old_default = ctx
                .table(&table)
                .and_then(|t| t.columns.iter().find(|c| c.name == o.column))
                .and_then(|c| c.default.clone());
            match (&o.default, old_default) {
                (Some(d), _) => out.push(Probe { sql: format!("SELECT CAST(({d}) AS {new_type}) LIMIT 0"), field: "default", what: "default" }),
                (None, Some(d)) => out.push(Probe {
                    sql: format!("SELECT CAST(({d}) AS {new_type}) LIMIT 0"),
                    field: "data_type",
                    what: "the column's current default (kept for the new type; give `default` to replace it)",
                }),
                (None, None) => {}
            }
            if let Some(check) = &o.check {
                out.push(Probe {
                    sql: over(&format!("({})::boolean", check.expression), new()),
                    field: "check",
                    what: "check",
                });
            }
        }
        _ => {}
    }
    out
}

/// `serial` and friends are not types, only shorthands of `CREATE TABLE` / `ADD COLUMN`.
fn is_serial(data_type: &str) -> bool {
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
        for probe in probes(entry, ctx) {
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
