//! `erd`: the live schema as an entity-relationship diagram — SVG (laid out by Graphviz or
//! layout-rs), Mermaid or Graphviz dot. Reads the catalog only, in `advise`'s read-only
//! transaction.

use super::advise::{check_scope, open_postgres, parse_tables};
use super::advise_gather::{gather, Scope};
use crate::context::Project;
use crate::error::CliError;
use crate::output::Printer;
use std::time::Duration;

#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ErdFormat {
    /// An SVG picture (default)
    Svg,
    /// A Mermaid erDiagram
    Mermaid,
    /// Graphviz dot (record nodes, foreign keys as edges)
    Dot,
}

#[derive(clap::Args, Debug)]
pub struct ErdArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = ErdFormat::Svg)]
    pub format: ErdFormat,
    /// Only these schemas (repeatable; default: every schema but the system's)
    #[arg(long, value_name = "S")]
    pub schema: Vec<String>,
    /// Only these tables, as TABLE or SCHEMA.TABLE (repeatable)
    #[arg(long, value_name = "T")]
    pub table: Vec<String>,
}

pub fn erd(project: &Project, args: &ErdArgs, printer: &Printer) -> Result<(), CliError> {
    let tables = parse_tables(&args.table)?;
    let mut pg = open_postgres(project, "erd")?;
    let scope = Scope {
        schemas: args.schema.clone(),
        tables: tables.clone(),
        sample_rows: 0,
        budget: Duration::from_secs(60),
        progress: false,
    };
    let snapshot = gather(&mut pg, &scope)?.snapshot;
    check_scope(&snapshot, &args.schema, &tables)?;
    let marks = Default::default();
    let text = match args.format {
        ErdFormat::Dot => strata_advise::erd::dot(&snapshot, &marks),
        ErdFormat::Mermaid => strata_advise::erd::mermaid(&snapshot),
        ErdFormat::Svg => crate::diagram::svg(&strata_advise::erd::dot(&snapshot, &marks))?.0,
    };
    printer.result(text.trim_end());
    Ok(())
}
