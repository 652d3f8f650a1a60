//! How errors read: what went wrong, where (file:line with the source line), and what to do.
//! Text from files and the database is shown with its control characters escaped.

use crate::error::CliError;
use crate::output::Printer;
use strata_core::text::{escape_controls, escape_line};
use strata_core::Diagnostic;
use strata_engine::{DbError, EngineError};

pub fn error_text(p: &Printer, error: &CliError) -> String {
    let label = p.red("error:");
    match error {
        CliError::Invalid { message, hint } => with_hint(
            format!("{label} {}", escape_controls(message)),
            hint.as_deref(),
        ),
        CliError::Diagnostics(diagnostics) => {
            let mut out = Vec::new();
            for d in diagnostics {
                out.push(diagnostic_text(p, d));
            }
            if diagnostics.len() > 1 {
                out.push(format!("{} problems found", diagnostics.len()));
            }
            out.join("\n")
        }
        CliError::Url { origin, error } if origin.is_empty() => {
            format!("{label} {}", db_error_text(error))
        }
        CliError::Url { origin, error } => {
            format!("{label} {origin}: {}", db_error_text(error))
        }
        CliError::Database { context, error } if context.is_empty() => {
            format!("{label} {}", db_error_text(error))
        }
        CliError::Database { context, error } => {
            format!(
                "{label} {}: {}",
                escape_controls(context),
                db_error_text(error)
            )
        }
        CliError::Io { context, error } => format!(
            "{label} {}: {}",
            escape_controls(context),
            escape_controls(&error.to_string())
        ),
        CliError::Problems | CliError::Reported(_) => String::new(),
        CliError::Engine(e) => engine_error_text(p, e),
    }
}

fn with_hint(mut text: String, hint: Option<&str>) -> String {
    if let Some(hint) = hint {
        text.push_str("\n  hint: ");
        text.push_str(&escape_controls(hint));
    }
    text
}

pub fn diagnostic_text(p: &Printer, d: &Diagnostic) -> String {
    let file = escape_line(&d.file);
    let location = if d.line > 0 {
        format!("{file}:{}", d.line)
    } else {
        file.into_owned()
    };
    let mut out = format!(
        "{} {}: {}",
        p.red("error:"),
        p.bold(&location),
        escape_controls(&d.message)
    );
    if d.line > 0 {
        if let Some(source) = source_line(&d.file, d.line) {
            out.push_str(&format!("\n{:>5} | {source}", d.line));
        }
    }
    with_hint(out, d.hint.as_deref())
}

/// Line `line` of `file`, control characters escaped; of a `.toml` file (strata.toml, an online
/// migration) with what may be a password masked (a URL that is not one, a value in the wrong
/// place).
fn source_line(file: &str, line: usize) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let source = text.lines().nth(line - 1)?.trim_end();
    let shown = if file.ends_with(".toml") {
        strata_files::mask_config_line(source)
    } else {
        source.to_owned()
    };
    Some(escape_controls(&shown).into_owned())
}

pub fn db_error_text(e: &DbError) -> String {
    let message = escape_controls(&e.message);
    let mut out = match &e.code {
        Some(code) => format!("{message} [{}]", escape_line(code)),
        None => message.into_owned(),
    };
    if let Some(detail) = &e.detail {
        out.push_str(&format!("\n  detail: {}", escape_controls(detail)));
    }
    if let Some(hint) = &e.hint {
        out.push_str(&format!("\n  hint: {}", escape_controls(hint)));
    }
    out
}

fn engine_error_text(p: &Printer, e: &EngineError) -> String {
    let label = p.red("error:");
    match e {
        EngineError::Invalid { message, hint } => with_hint(
            format!("{label} {}", escape_controls(message)),
            hint.as_deref(),
        ),
        EngineError::Database { context, error } => {
            format!(
                "{label} {}: {}",
                escape_controls(context),
                db_error_text(error)
            )
        }
        EngineError::MigrationFailed(failure) => {
            let strata_engine::migrator::MigrationFailure {
                applied,
                revision,
                file,
                direction,
                statement,
                error,
                ran_outside_transaction,
                recorded,
                rolled_back,
            } = failure.as_ref();
            let file = escape_line(file);
            let mut out = format!(
                "{label} migration {} ({direction}) failed",
                p.bold(revision)
            );
            match statement {
                Some(s) => {
                    let line = s.error_line.unwrap_or(s.line);
                    out.push_str(&format!("\n  --> {file}:{line}"));
                    if let Some(source) = source_line(failure.file.as_str(), line) {
                        out.push_str(&format!("\n{line:>5} | {source}"));
                    } else {
                        out.push_str(&format!(
                            "\n  statement: {}",
                            escape_line(s.sql.lines().next().unwrap_or(""))
                        ));
                    }
                }
                None => out.push_str(&format!("\n  --> {file}")),
            }
            out.push_str(&format!(
                "\n  {} {}",
                p.red("database:"),
                db_error_text(error)
            ));
            match ran_outside_transaction {
                Some(lines) if !lines.is_empty() => {
                    let list: Vec<String> = lines.iter().map(|l| format!("line {l}")).collect();
                    out.push_str(&format!(
                        "\n  this migration runs outside a transaction: the statements at {} ran and stay applied;\n  make the file idempotent (IF NOT EXISTS / IF EXISTS) before running it again",
                        list.join(", ")
                    ));
                }
                Some(_) => out.push_str(
                    "\n  this migration runs outside a transaction; none of its statements ran",
                ),
                None if *rolled_back => out.push_str("\n  its changes were rolled back"),
                None => out.push_str(
                    "\n  its changes could NOT be rolled back: a statement of the migration had already ended its\n  transaction, so what ran before the failure may stay applied; check the database before running it again",
                ),
            }
            if !applied.is_empty() {
                out.push_str(&format!(
                    "\n  {} earlier migration(s) of this run stay applied",
                    applied.len()
                ));
            }
            if *recorded {
                out.push_str("\n  recorded as `failed` in the history table (see `strata log`)");
            }
            out
        }
        other => format!("{label} {}", escape_controls(&other.to_string())),
    }
}
