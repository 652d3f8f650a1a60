//! One module per command family; each takes parsed arguments and returns `Ok` or a `CliError`.

pub(crate) mod advise;
mod advise_gather;
mod advise_html;
mod audit;
mod changelog;
mod docs;
pub(crate) mod erd;
mod graph;
mod import;
pub(crate) use import::adopted_tables;
mod init;
pub(crate) mod inspect;
pub(crate) mod lint;
mod migrate;
pub(crate) mod online;
mod promote;
mod revision;
pub(crate) mod schema;
mod status;
mod test;
pub(crate) mod version;

use crate::cli::{Cli, Command};
use crate::context::Project;
use crate::error::CliError;
use crate::output::Printer;

pub fn run(cli: Cli, printer: &Printer) -> Result<(), CliError> {
    // Commands that need no project.
    match &cli.command {
        Command::Init { dir } => return init::run(dir, printer),
        Command::Completions { shell } => return docs::completions(*shell, printer),
        Command::Man { command } => return docs::man(command.as_deref(), printer),
        _ => {}
    }
    let project = Project::load(&cli.global)?;
    match cli.command {
        Command::Init { .. } | Command::Completions { .. } | Command::Man { .. } => {
            unreachable!("handled above")
        }
        Command::Revision(args) => revision::revision(&project, &args, printer),
        Command::Import(args) => import::import(&project, &args, printer),
        Command::Merge {
            revs,
            message,
            rev_id,
        } => revision::merge(&project, &revs, &message, rev_id.as_deref(), printer),
        Command::Upgrade(args) => {
            migrate::upgrade(&project, &args.target, &args.run, &args.promotion, printer)
        }
        Command::Downgrade(args) => migrate::downgrade(&project, &args.target, &args.run, printer),
        Command::Current => status::current(&project, printer),
        Command::History { range } => status::history(&project, range.as_deref(), printer),
        Command::Log { limit } => status::log(&project, limit, printer),
        Command::Stamp { target, reason } => status::stamp(&project, &target, &reason, printer),
        Command::Verify {
            accept: Some(revision),
            reason,
        } => status::accept(
            &project,
            &revision,
            reason.as_deref().unwrap_or(""),
            printer,
        ),
        Command::Verify { .. } => status::verify(&project, printer),
        Command::Heads => graph::heads(&project, printer),
        Command::Branches => graph::branches(&project, printer),
        Command::Show { rev } => graph::show(&project, &rev, printer),
        Command::Graph { format } => graph::graph(&project, format, printer),
        Command::Lint(args) => lint::lint(&project, &args, printer),
        Command::Inspect { format } => inspect::inspect(&project, format, printer),
        Command::Diff(args) => schema::diff(&project, &args, printer),
        Command::Check => schema::check(&project, printer),
        Command::Drift => schema::drift(&project, printer),
        Command::Test(args) => test::test(&project, &cli.global, &args, printer),
        Command::Version(args) => version::version(&project, &args, printer),
        Command::Changelog(args) => changelog::changelog(&project, &args, printer),
        Command::Promote(command) => promote::promote(&project, &command, printer),
        Command::Audit(command) => audit::audit(&project, &command, printer),
        Command::Start {
            sql,
            batch_size,
            pause,
            max_blocking,
        } => online::start(
            &project,
            sql,
            online::Batching {
                size: batch_size,
                pause,
                max_blocking,
            },
            printer,
        ),
        Command::Complete {
            max_replication_lag,
            max_blocking,
        } => online::complete(
            &project,
            online::Batching {
                max_blocking,
                ..Default::default()
            },
            max_replication_lag,
            printer,
        ),
        Command::Rollback => online::rollback(&project, printer),
        Command::Status { search_path } => online::status(&project, search_path, printer),
        Command::Backfill(args) => online::backfill(&project, &args, printer),
        Command::Advise(args) => advise::advise(&project, &args, printer),
        Command::Erd(args) => erd::erd(&project, &args, printer),
    }
}
