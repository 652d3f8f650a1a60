//! `completions` and `man`: generated from the same clap definitions as `--help`.

use crate::cli::CompletionShell;
use crate::error::CliError;
use crate::output::Printer;

/// The command line as clap knows it, without the `help` subcommand (`--help` stays).
fn command() -> clap::Command {
    let mut cmd = crate::cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

pub fn completions(shell: CompletionShell, printer: &Printer) -> Result<(), CliError> {
    let shell = match shell {
        CompletionShell::Bash => clap_complete::Shell::Bash,
        CompletionShell::Zsh => clap_complete::Shell::Zsh,
        CompletionShell::Fish => clap_complete::Shell::Fish,
        CompletionShell::Powershell => clap_complete::Shell::PowerShell,
    };
    let mut cmd = command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "strata", &mut out);
    printer.result(String::from_utf8_lossy(&out).trim_end());
    Ok(())
}

pub fn man(name: Option<&str>, printer: &Printer) -> Result<(), CliError> {
    let cmd = command();
    let page = match name {
        None => cmd,
        Some(name) => match cmd.find_subcommand(name) {
            Some(sub) => sub.clone(),
            None => {
                let known: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
                let closest = known
                    .iter()
                    .map(|k| (strata_core::edit_distance(name, k), *k))
                    .filter(|(d, _)| *d <= 2)
                    .min();
                let hint = match closest {
                    Some((_, k)) => {
                        format!("did you mean `{k}`? The commands: {}", known.join(", "))
                    }
                    None => format!("the commands: {}", known.join(", ")),
                };
                return Err(CliError::invalid_with_hint(
                    format!("`{name}` is not a strata command"),
                    hint,
                ));
            }
        },
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page)
        .source(format!("strata {}", env!("CARGO_PKG_VERSION")))
        .manual("strata manual")
        .render(&mut out)
        .map_err(crate::error::io_err("cannot render the man page".into()))?;
    printer.result(String::from_utf8_lossy(&out).trim_end());
    Ok(())
}
