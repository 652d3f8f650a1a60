//! `inspect [--format sql|json]`: the live schema (SPEC §7), as the SQL script that re-creates it
//! or as the JSON model. PostgreSQL only for now.

use crate::context::{Connection, Project};
use crate::error::{db_err, CliError};
use crate::output::Printer;
use strata_core::QualifiedName;
use strata_postgres::{introspect, IntrospectOptions, Postgres};

/// What `inspect` prints.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InspectFormat {
    /// A DDL script that re-creates the schema, runnable with psql (default)
    Sql,
    /// The schema model (also: --json)
    Json,
}

pub fn inspect(
    project: &Project,
    format: InspectFormat,
    printer: &Printer,
) -> Result<(), CliError> {
    let mut pg = connect_postgres(project)?;
    let opts = IntrospectOptions {
        // strata's own tables are not the user's schema.
        exclude_tables: vec![
            QualifiedName::parse(&project.config.version_table),
            QualifiedName::parse(&project.config.history_table),
        ],
    };
    let schema = introspect(&mut pg, &opts).map_err(db_err("could not read the schema"))?;
    if format == InspectFormat::Json || printer.json {
        printer.result(&schema.to_json());
    } else {
        printer.result(strata_schema::to_sql(&schema).trim_end());
    }
    Ok(())
}

/// Connects to the project's database, which must be PostgreSQL.
pub fn connect_postgres(project: &Project) -> Result<Postgres, CliError> {
    match project.open()? {
        Connection::Postgres(pg) => Ok(pg),
        Connection::Sqlite(_) => Err(CliError::invalid_with_hint(
            "`inspect` reads PostgreSQL databases only for now",
            "point --url (or the environment's url) at a postgres:// database",
        )),
    }
}
