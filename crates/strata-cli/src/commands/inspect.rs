//! `inspect [--format sql|json]`: the live schema, as the SQL script that re-creates it
//! or as the JSON model, for PostgreSQL and SQLite.

use crate::context::Project;
use crate::desired::{Side, Workspace};
use crate::error::CliError;
use crate::output::Printer;
use strata_core::Dialect;

/// What `inspect` prints.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InspectFormat {
    /// A DDL script that re-creates the schema, runnable with psql or sqlite3 (default)
    Sql,
    /// The schema model (also: --json)
    Json,
}

pub fn inspect(
    project: &Project,
    format: InspectFormat,
    printer: &Printer,
) -> Result<(), CliError> {
    let live = Side::Url(project.url()?);
    let ws = Workspace::new(project, &[&live], printer)?;
    // strata's own tables are not the user's schema (the workspace leaves them out).
    let schema = ws.load(&live)?.schema;
    if format == InspectFormat::Json || printer.json {
        printer.result(&schema.to_json());
    } else {
        let sql = match ws.dialect {
            Dialect::Postgres => strata_schema::to_sql(&schema),
            Dialect::Sqlite => strata_schema::sqlite::to_sql(&schema),
        };
        printer.result(sql.trim_end());
    }
    Ok(())
}
