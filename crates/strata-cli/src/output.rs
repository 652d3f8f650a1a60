//! Everything strata prints goes through here: masked, colored only on a terminal, quiet when asked.
//!
//! Text from files and databases (messages, file names, history rows, database errors) may hold
//! control characters: the commands escape them where they put such text into a line
//! ([`strata_core::text`]), and every line of normal output, notice and error is escaped once more
//! here, keeping only the color sequences strata writes itself. [`Printer::result`] is left
//! exact: it prints SQL and data formats, and its human uses escape their values.

use crate::cli::Global;
use crate::error::CliError;
use indicatif::{ProgressBar, ProgressStyle};
use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use std::time::Duration;
use strata_core::mask_url;
use strata_core::sql::Statement;
use strata_core::text::{escape_controls, escape_line};
use strata_engine::migrator::Reporter;
use strata_engine::DbError;
use strata_engine::OnlineProgress;
use strata_files::MigrationFile;
use strata_graph::{Direction, Step};

#[derive(Clone)]
pub struct Printer {
    pub json: bool,
    pub quiet: bool,
    pub verbose: bool,
    color: bool,
    /// Colors for what goes to stdout (lint's human report): stdout is a terminal.
    color_stdout: bool,
    /// Standard error is a terminal: progress bars and spinners are drawn.
    pub tty: bool,
}

impl Printer {
    pub fn new(global: &Global) -> Printer {
        let tty = std::io::stderr().is_terminal();
        let allowed = !global.no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Printer {
            json: global.json,
            quiet: global.quiet,
            verbose: global.verbose,
            color: tty && allowed,
            color_stdout: allowed && std::io::stdout().is_terminal(),
            tty,
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// Whether text for stdout (`true`) or stderr (`false`) may be colored.
    pub fn colors(&self, stdout: bool) -> bool {
        if stdout {
            self.color_stdout
        } else {
            self.color
        }
    }

    /// Text on stderr (suppressed by --quiet), always ending with a newline so that what follows
    /// starts on a line of its own.
    pub fn stderr(&self, text: &str) {
        if !self.quiet {
            let text = mask_url(&self.safe(text));
            if text.ends_with('\n') {
                eprint!("{text}");
            } else {
                eprintln!("{text}");
            }
        }
    }

    /// `text` with its control characters escaped, except the color sequences this printer adds.
    pub fn safe<'t>(&self, text: &'t str) -> Cow<'t, str> {
        safe_text(text, self.color)
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    pub fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }

    pub fn green(&self, text: &str) -> String {
        self.paint("32", text)
    }

    pub fn yellow(&self, text: &str) -> String {
        self.paint("33", text)
    }

    pub fn red(&self, text: &str) -> String {
        self.paint("31", text)
    }

    /// A line of normal output on stdout (suppressed by --quiet and --json).
    pub fn line(&self, text: &str) {
        if !self.quiet && !self.json {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", mask_url(&self.safe(text)));
        }
    }

    /// Output that is the point of the command (a path, a graph, SQL): printed even with --quiet.
    pub fn result(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        // Large outputs (lint's JSON) rarely hold anything to mask: look before copying.
        if may_hold_secret(text) {
            let _ = writeln!(out, "{}", mask_url(text));
        } else {
            let _ = writeln!(out, "{text}");
        }
    }

    pub fn json_value(&self, value: &serde_json::Value) {
        let text = serde_json::to_string_pretty(value).unwrap_or_default();
        self.result(&text);
    }

    /// A notice on stderr (suppressed by --quiet).
    pub fn notice(&self, text: &str) {
        if !self.quiet {
            eprintln!("{} {}", self.yellow("notice:"), mask_url(&self.safe(text)));
        }
    }

    pub fn verbose(&self, text: &str) {
        if self.verbose && !self.quiet {
            eprintln!("{}", self.dim(&mask_url(&escape_controls(text))));
        }
    }

    pub fn error(&self, error: &CliError) {
        if matches!(error, CliError::Problems | CliError::Reported(_)) {
            // The command has printed its findings (and its JSON) already.
            return;
        }
        let text = crate::render::error_text(self, error);
        eprintln!("{}", mask_url(&self.safe(&text)));
        if self.json {
            let value = serde_json::json!({ "error": { "exit_code": error.exit_code(), "message": mask_url(&crate::render::error_message(error)) } });
            self.json_value(&value);
        }
    }

    /// A printer for text that is not printed as it is made (JSON messages): no colors.
    pub fn plain() -> Printer {
        Printer {
            json: false,
            quiet: false,
            verbose: false,
            color: false,
            color_stdout: false,
            tty: false,
        }
    }
}

/// `text` with control characters escaped (newlines and tabs kept); with `keep_colors`, the SGR
/// sequences (`ESC [ digits ; m`) strata paints with stay.
fn safe_text(text: &str, keep_colors: bool) -> Cow<'_, str> {
    if !keep_colors || !text.contains('\x1b') {
        return escape_controls(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('\x1b') {
        out.push_str(&escape_controls(&rest[..at]));
        let after = &rest[at + 1..];
        let sgr = after.strip_prefix('[').and_then(|params| {
            let end = params.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
            params[end..].starts_with('m').then_some(end + 2)
        });
        match sgr {
            Some(len) => {
                out.push_str(&rest[at..at + 1 + len]);
                rest = &after[len..];
            }
            None => {
                out.push_str(&escape_controls("\x1b"));
                rest = after;
            }
        }
    }
    out.push_str(&escape_controls(rest));
    Cow::Owned(out)
}

/// Whether `text` has anything [`mask_url`] could change: a URL's `://`, or `password=` (which
/// also covers `sslpassword=`) in any case.
fn may_hold_secret(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.contains("://")
        || text
            .match_indices('=')
            .any(|(at, _)| at >= 8 && bytes[at - 8..at].eq_ignore_ascii_case(b"password"))
}

/// Reports a run as it happens: a line per migration, a spinner for long statements on a terminal;
/// for an online migration, its steps with -v and a progress bar per backfill (rows/s, ETA).
pub struct RunReporter<'p> {
    printer: &'p Printer,
    spinner: Option<ProgressBar>,
    /// The progress bar of the backfill running now, with its `table.column`.
    bar: Option<(String, ProgressBar)>,
}

impl<'p> RunReporter<'p> {
    pub fn new(printer: &'p Printer) -> RunReporter<'p> {
        RunReporter {
            printer,
            spinner: None,
            bar: None,
        }
    }

    fn stop_spinner(&mut self) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
    }

    fn finish_bar(&mut self) {
        if let Some((_, bar)) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    /// Clears the spinner and the progress bar, before printing what the run did.
    pub fn finish(&mut self) {
        self.stop_spinner();
        self.finish_bar();
    }
}

/// A backfill's progress bar: rows done of `len`, rows/s and ETA.
pub fn backfill_bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "  backfill {msg} [{bar:30}] {pos}/{len} rows  {per_sec}  ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

impl RunReporter<'_> {
    /// The run's spinner (one per run, on a terminal only), showing the statement running now and
    /// for how long.
    fn spinner(&mut self) -> Option<&ProgressBar> {
        if !self.printer.tty || self.printer.quiet || self.printer.json {
            return None;
        }
        if self.spinner.is_none() {
            let spinner = ProgressBar::new_spinner();
            spinner.set_style(
                ProgressStyle::with_template("  {spinner} {elapsed} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            spinner.enable_steady_tick(Duration::from_millis(120));
            self.spinner = Some(spinner);
        }
        self.spinner.as_ref()
    }

    /// Prints a line without tearing the spinner.
    fn say(&mut self, print: impl FnOnce(&Printer)) {
        let printer = self.printer;
        match &self.spinner {
            Some(spinner) => spinner.suspend(|| print(printer)),
            None => print(printer),
        }
    }
}

impl Reporter for RunReporter<'_> {
    fn lock_wait(&mut self, holder: &str) {
        let text = format!(
            "another strata is running here; waiting for its lock (held by {})",
            escape_line(holder)
        );
        self.say(|p| p.notice(&text));
    }

    fn notice(&mut self, text: &str) {
        let text = escape_controls(text);
        self.say(|p| p.notice(&text));
    }

    fn statement_started(&mut self, statement: &Statement) {
        let line = format!(
            "line {}: {}",
            statement.line,
            escape_line(&first_line(&statement.sql))
        );
        self.say(|p| p.verbose(&format!("  {line}")));
        if let Some(spinner) = self.spinner() {
            spinner.set_message(line);
            spinner.reset_elapsed();
        }
    }

    fn step_finished(&mut self, step: &Step, file: &MigrationFile, elapsed: Duration) {
        let p = self.printer;
        let arrow = if step.direction == Direction::Up {
            p.green("▲")
        } else {
            p.yellow("▼")
        };
        let text = format!(
            "{arrow} {} {}  {}",
            p.bold(&step.revision),
            escape_line(&file.message_or_slug()),
            p.dim(&format!("{} ms", elapsed.as_millis()))
        );
        self.say(|p| p.line(&text));
    }

    fn retrying(&mut self, step: &Step, attempt: u32, wait: Duration, error: &DbError) {
        let text = format!(
            "{}: lock timeout ({}); retry {attempt} in {} ms",
            step.revision,
            escape_line(&error.message),
            wait.as_millis()
        );
        self.say(|p| p.notice(&text));
    }

    fn online_progress(&mut self, progress: &OnlineProgress<'_>) {
        self.stop_spinner();
        match progress {
            OnlineProgress::Step {
                phase,
                number,
                total,
                description,
            } => {
                self.finish_bar();
                self.printer
                    .verbose(&format!("{phase} step {number}/{total}: {description}"));
            }
            OnlineProgress::Batch {
                table,
                column,
                rows,
                estimated_rows,
                ..
            } => {
                if !self.printer.tty || self.printer.quiet || self.printer.json {
                    return;
                }
                let key = format!("{table}.{column}");
                if self.bar.as_ref().map(|(k, _)| k) != Some(&key) {
                    self.finish_bar();
                    let bar = backfill_bar(estimated_rows.unwrap_or(0).max(*rows), &key);
                    self.bar = Some((key, bar));
                }
                if let Some((_, bar)) = &self.bar {
                    if *rows > bar.length().unwrap_or(0) {
                        bar.set_length(*rows);
                    }
                    bar.set_position(*rows);
                }
            }
            OnlineProgress::Retry {
                description,
                attempt,
                error,
            } => {
                let text = format!(
                    "{description}: {} (attempt {attempt}); retrying",
                    error.message
                );
                match &self.bar {
                    Some((_, bar)) => bar.suspend(|| self.printer.notice(&text)),
                    None => self.printer.notice(&text),
                }
            }
            _ => {}
        }
    }
}

impl Drop for RunReporter<'_> {
    fn drop(&mut self) {
        self.finish();
    }
}

fn first_line(sql: &str) -> String {
    let line = sql.lines().next().unwrap_or("");
    if line.chars().count() > 70 {
        let cut: String = line.chars().take(69).collect();
        format!("{cut}…")
    } else {
        line.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::{may_hold_secret, safe_text};

    #[test]
    fn lines_keep_only_their_own_colors() {
        let painted = "\x1b[1;31merror:\x1b[0m a\x1b]0;title\x07b\rc\x1b[2Jd\x1b";
        assert_eq!(
            safe_text(painted, true),
            "\x1b[1;31merror:\x1b[0m a\\u{1b}]0;title\\u{7}b\\rc\\u{1b}[2Jd\\u{1b}"
        );
        assert_eq!(
            safe_text(painted, false),
            "\\u{1b}[1;31merror:\\u{1b}[0m a\\u{1b}]0;title\\u{7}b\\rc\\u{1b}[2Jd\\u{1b}"
        );
        assert_eq!(safe_text("two\n\tlines", true), "two\n\tlines");
    }

    #[test]
    fn secrets_are_looked_for_before_masking() {
        assert!(may_hold_secret("postgres://u:p@h/db"));
        assert!(may_hold_secret("host=x PASSWORD=y"));
        assert!(may_hold_secret("a sslpassword=y"));
        assert!(!may_hold_secret("{\"line\": 1, \"sql\": \"a = 1\"}"));
        assert!(may_hold_secret("my_password=3"));
        assert!(!may_hold_secret("password_hint = 3"));
    }
}
