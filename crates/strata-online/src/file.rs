//! Online migration files: `<id>_<slug>.toml` with `message`, `revises`, optional
//! `depends_on`, and `[[operations]]`, parsed into typed [`Operation`]s. Every problem is a
//! [`Diagnostic`] at the line of the offending key, with the closest valid name as a hint; all
//! problems of a file are reported at once.

use crate::fields::{did_you_mean, line_of, Fields, Node, Sink};
use crate::ops::{Entry, Operation, TYPES};
use std::path::Path;
use strata_core::Diagnostic;

/// A parsed online migration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnlineMigration {
    /// The revision id: the file name before its first `_`.
    pub id: String,
    /// The file as given to [`parse`], for diagnostics.
    pub file: String,
    pub message: Option<String>,
    /// Parent revisions (none: a root).
    pub revises: Vec<String>,
    pub depends_on: Vec<String>,
    pub operations: Vec<Entry>,
}

const TOP_LEVEL: &[&str] = &["message", "revises", "depends_on", "operations"];

/// Reads and parses a migration file.
pub fn load(path: &Path) -> Result<OnlineMigration, Vec<Diagnostic>> {
    let display = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![Diagnostic::new(
            &display,
            0,
            format!("cannot read the file: {e}"),
        )]
    })?;
    parse(&display, &text)
}

/// Parses the text of `file` (its name gives the revision id).
pub fn parse(file: &str, text: &str) -> Result<OnlineMigration, Vec<Diagnostic>> {
    let mut sink = Sink {
        file,
        text,
        diagnostics: Vec::new(),
    };
    let id = revision_id(file);
    if id.is_none() {
        sink.error_hint(
            0,
            "the file name does not start with a revision id",
            "name online migrations `<id>_<slug>.toml`, e.g. `20261126090000_rename_name.toml`",
        );
    }

    let top = match toml::from_str::<Node>(text) {
        Ok(Node::Table(top)) => top,
        Ok(_) => Vec::new(),
        Err(e) => {
            let line = e.span().map_or(0, |span| line_of(text, span.start));
            let message = e.message().trim().replace('\n', "; ");
            sink.error_hint(
                line,
                format!("invalid TOML: {message}"),
                "an online migration is TOML: `message = \"…\"`, `revises = \"<id>\"`, then `[[operations]]` tables",
            );
            return Err(sink.diagnostics);
        }
    };

    let mut f = Fields::new("the migration", 1, &top, text);
    let message = f.string(&mut sink, "message");
    let revises = f.strings(&mut sink, "revises").unwrap_or_default();
    let depends_on = f.strings(&mut sink, "depends_on").unwrap_or_default();
    let revises = split_ids(revises);
    let depends_on = split_ids(depends_on);
    let mut operations = Vec::new();
    match f.take("operations") {
        Some((Node::Array(items), line)) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Node::Table(t) => {
                        if let Some(entry) = operation(i + 1, line, t, &mut sink) {
                            operations.push(entry);
                        }
                    }
                    other => sink.error(
                        line,
                        format!(
                            "`operations` must hold tables (`[[operations]]`), not {}",
                            other.kind()
                        ),
                    ),
                }
            }
        }
        Some((_, line)) => sink.error_hint(
            line,
            "`operations` must be a non-empty array of tables",
            "write each operation as a `[[operations]]` table with a `type`",
        ),
        None => sink.error_hint(
            0,
            "the migration has no operations",
            "add `[[operations]]` tables, each with a `type` and a `table`",
        ),
    }
    f.finish(&mut sink, TOP_LEVEL);

    if !sink.diagnostics.is_empty() {
        sink.diagnostics.sort_by_key(|d| d.line);
        return Err(sink.diagnostics);
    }
    Ok(OnlineMigration {
        id: id.unwrap_or_default(),
        file: file.to_owned(),
        message,
        revises,
        depends_on,
        operations,
    })
}

/// `20261126090000` of `migrations/20261126090000_rename_name.toml`.
fn revision_id(file: &str) -> Option<String> {
    let name = Path::new(file).file_name()?.to_str()?;
    let id = name.split(['_', '.']).next()?;
    (!id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric())).then(|| id.to_owned())
}

/// `"a b"` and `["a", "b"]` both mean two ids.
fn split_ids(values: Vec<String>) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split_whitespace())
        .map(str::to_owned)
        .collect()
}

fn operation(
    index: usize,
    array_line: usize,
    table: &[(toml::Spanned<String>, Node)],
    sink: &mut Sink<'_>,
) -> Option<Entry> {
    let mut f = Fields::new(format!("operation {index}"), array_line, table, sink.text);
    let line = f.line;
    let type_line = f.line_of("type");
    let type_name = match f.take("type") {
        Some((Node::Str(t), _)) => t.clone(),
        Some((other, l)) => {
            sink.error(
                l,
                format!(
                    "`type` of operation {index} must be a string, not {}",
                    other.kind()
                ),
            );
            return None;
        }
        None => {
            sink.error_hint(
                line,
                format!("operation {index} has no `type`"),
                format!("`type` is one of: {}", TYPES.join(", ")),
            );
            return None;
        }
    };
    if !TYPES.contains(&type_name.as_str()) {
        let hint = match did_you_mean(&type_name, TYPES) {
            Some(close) => format!("did you mean `{close}`? types: {}", TYPES.join(", ")),
            None => format!("`type` is one of: {}", TYPES.join(", ")),
        };
        sink.error_hint(
            type_line,
            format!("unknown operation type `{type_name}`"),
            hint,
        );
        return None;
    }
    f.what = format!("operation {index} ({type_name})");
    let lines = f.lines.clone();
    let op = Operation::parse(&type_name, f, sink)?;
    Some(Entry {
        index,
        line,
        lines,
        op,
    })
}
