//! The `strata` binary: parse arguments, run one command, map the outcome to an exit code.

#[cfg(test)]
mod chain_tests;
mod cli;
mod commands;
mod context;
mod desired;
mod diagram;
mod error;
mod lint_data;
mod lint_input;
mod output;
mod render;
mod suite;

/// mimalloc: linting thousands of files allocates millions of small parse-tree nodes on several
/// threads; glibc's per-thread arenas grow a page range at a time and spend a quarter of the run
/// in page faults and `mprotect`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(mut e) => {
            if e.kind() == clap::error::ErrorKind::InvalidSubcommand {
                cli::careful_suggestions(&mut e);
            }
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => error::EXIT_BAD_INPUT,
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let printer = output::Printer::new(&cli.global);
    match commands::run(cli, &printer) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) if desired::interrupted() => loop {
            // The Ctrl-C handler is dropping the shadow database; it exits with 130.
            std::thread::park();
        },
        Err(e) => {
            printer.error(&e);
            ExitCode::from(e.exit_code())
        }
    }
}
