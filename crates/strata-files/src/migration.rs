//! One versioned SQL migration file: its name, its `-- strata:` header and its up/down sections.
//!
//! ```sql
//! -- strata:message add users
//! -- strata:revises 20261120100000
//!
//! -- strata:up
//! CREATE TABLE users (id bigint PRIMARY KEY);
//!
//! -- strata:down
//! DROP TABLE users;
//! ```

use std::collections::BTreeMap;

use strata_core::sql::{self, Statement};
use strata_core::{Checksum, Diagnostic, Impact, SchemaVersion};

use crate::did_you_mean;

/// The header keys, in the order `strata` writes them.
const HEADER_KEYS: &[&str] = &[
    "message",
    "revises",
    "labels",
    "depends-on",
    "transaction",
    "destructive-downgrade",
    "irreversible",
    "imported-from",
    "impact",
    "version",
];

/// Directives for the linter, allowed anywhere and kept in the SQL text.
const LINT_DIRECTIVES: &[&str] = &["lint-ignore", "lint-ignore-file"];

const MARKERS: &[&str] = &["up", "down"];

const MINIMAL_FILE: &str = "a migration file looks like:\n    -- strata:message add users\n\n    -- strata:up\n    CREATE TABLE users (id bigint PRIMARY KEY);\n\n    -- strata:down\n    DROP TABLE users;";

/// The SQL of the up or down section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// The section's text as written, from the line after its marker to the line before the next
    /// marker (or the end of the file).
    pub sql: String,
    /// 1-based file line of the section's first line (the line after its marker).
    pub line: usize,
    /// The statements, with file lines.
    pub statements: Vec<Statement>,
}

impl Section {
    fn new(sql: &str, line: usize) -> Section {
        Section {
            sql: sql.to_owned(),
            line,
            statements: sql::split(sql, line),
        }
    }

    /// Whether the section holds no statement (only comments and whitespace, or nothing).
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }
}

/// A parsed, valid migration file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationFile {
    pub id: String,
    pub slug: String,
    /// As displayed to the user, e.g. `migrations/20261125143000_create_users.sql`.
    pub path: String,
    pub message: Option<String>,
    /// Parent ids; empty for a root, two or more for a merge.
    pub revises: Vec<String>,
    pub labels: Vec<String>,
    pub depends_on: Vec<String>,
    /// Explicit `-- strata:transaction on|off`.
    pub transaction: Option<bool>,
    pub destructive_downgrade: Option<String>,
    pub irreversible: Option<String>,
    /// `-- strata:impact major|minor|patch`: what the revision does to the schema's clients,
    /// written by strata (`revision --autogenerate`, `version --compute`).
    pub impact: Option<Impact>,
    /// `-- strata:version X.Y.Z`: the schema version the user declares the revision makes.
    pub version: Option<SchemaVersion>,
    pub up: Section,
    /// `None` only when the migration is irreversible.
    pub down: Option<Section>,
    pub checksum: Checksum,
    /// Header key (`revises`, `labels`, …) -> its line; also `up` and `down` -> the markers' lines.
    pub header_lines: BTreeMap<String, usize>,
    /// An online (expand/contract) migration (`.toml`): no SQL sections; run by
    /// `strata start` / `complete` / `rollback`, and recorded as applied by `complete`.
    pub online: bool,
    /// The text of an online migration, whose `[[operations]]` `strata-online` reads when the
    /// migration runs (so migrations compiled into a program need no files at run time). `None`
    /// for `.sql` files, whose statements are in [`MigrationFile::up`] and `down`.
    pub online_source: Option<String>,
}

impl MigrationFile {
    /// The message, else the slug with spaces, else the id.
    pub fn message_or_slug(&self) -> String {
        match &self.message {
            Some(message) => message.clone(),
            None if !self.slug.is_empty() => self.slug.replace('_', " "),
            None => self.id.clone(),
        }
    }

    /// `Some(reason)` when the up (or, with `down`, the down) must run outside a transaction: an
    /// explicit `-- strata:transaction off`, or a statement that cannot run in one (the reason
    /// names it: `"CREATE INDEX CONCURRENTLY at line 7"`).
    pub fn non_transactional(&self, down: bool) -> Option<String> {
        if self.transaction == Some(false) {
            let line = self.header_lines.get("transaction").copied().unwrap_or(0);
            return Some(format!("-- strata:transaction off at line {line}"));
        }
        let section = if down { self.down.as_ref()? } else { &self.up };
        section.statements.iter().find_map(|s| {
            sql::no_transaction_reason(&s.sql).map(|reason| format!("{reason} at line {}", s.line))
        })
    }
}

/// What `strata revision` writes; see [`render_migration`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewMigration {
    pub id: String,
    pub slug: String,
    /// One line; empty writes no `-- strata:message` line.
    pub message: String,
    pub revises: Vec<String>,
    pub labels: Vec<String>,
    pub depends_on: Vec<String>,
    /// `-- strata:irreversible <reason>`: the down is then not written.
    pub irreversible: Option<String>,
    /// `-- strata:destructive-downgrade <text>`.
    pub destructive_downgrade: Option<String>,
    /// `-- strata:impact …`, computed from the schema change.
    pub impact: Option<Impact>,
    pub up: String,
    pub down: String,
}

/// The text of a new migration file. [`parse_migration`] reads it back to the same values.
pub fn render_migration(m: &NewMigration) -> String {
    let mut out = String::new();
    let message = m.message.replace(['\r', '\n'], " ");
    let message = message.trim();
    if !message.is_empty() {
        out.push_str(&format!("-- strata:message {message}\n"));
    }
    for (key, ids) in [
        ("revises", &m.revises),
        ("labels", &m.labels),
        ("depends-on", &m.depends_on),
    ] {
        if !ids.is_empty() {
            out.push_str(&format!("-- strata:{key} {}\n", ids.join(" ")));
        }
    }
    for (key, text) in [
        ("irreversible", &m.irreversible),
        ("destructive-downgrade", &m.destructive_downgrade),
    ] {
        if let Some(text) = text {
            let text = text.replace(['\r', '\n'], " ");
            out.push_str(&format!("-- strata:{key} {}\n", text.trim()));
        }
    }
    if let Some(impact) = m.impact {
        out.push_str(&format!("-- strata:impact {impact}\n"));
    }
    if !out.is_empty() {
        out.push('\n');
    }
    let down = if m.irreversible.is_some() {
        ""
    } else {
        m.down.as_str()
    };
    for (marker, body) in [("up", m.up.as_str()), ("down", down)] {
        if marker == "down" {
            out.push('\n');
        }
        out.push_str(&format!("-- strata:{marker}\n"));
        let body = body.trim_end().trim_start_matches(['\n', '\r']);
        if !body.is_empty() {
            out.push_str(body);
            out.push('\n');
        }
    }
    out
}

/// A file-name slug for a message: lowercase ASCII letters and digits, every run of anything else
/// as one `_`, at most 60 characters; `"migration"` when nothing is left.
pub fn slugify(message: &str) -> String {
    let mut slug = String::new();
    for c in message.chars() {
        let ascii = if c.is_ascii_alphanumeric() {
            Some(c.to_ascii_lowercase().to_string())
        } else {
            transliterate(c).map(str::to_owned)
        };
        match ascii {
            Some(text) => slug.push_str(&text),
            None if !slug.is_empty() && !slug.ends_with('_') => slug.push('_'),
            None => {}
        }
    }
    slug.truncate(60);
    let slug = slug.trim_end_matches('_');
    if slug.is_empty() {
        "migration".to_owned()
    } else {
        slug.to_owned()
    }
}

/// The lowercase ASCII letters for a letter of Latin-1 or Latin Extended-A (`é` → `e`, `ß` → `ss`,
/// `Œ` → `oe`, `ł` → `l`); `None` for anything else, which separates words in a slug.
fn transliterate(c: char) -> Option<&'static str> {
    /// U+00C0 to U+00FF; `-` for × and ÷, which are not letters.
    const LATIN_1: [&str; 64] = [
        "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", "d", "n",
        "o", "o", "o", "o", "o", "-", "o", "u", "u", "u", "u", "y", "th", "ss", "a", "a", "a", "a",
        "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", "d", "n", "o", "o", "o", "o",
        "o", "-", "o", "u", "u", "u", "u", "y", "th", "y",
    ];
    /// U+0100 to U+017F.
    const EXTENDED_A: [&str; 128] = [
        "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d", "d", "d",
        "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g", "g", "g", "g", "g",
        "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i", "i", "i", "ij", "ij", "j", "j",
        "k", "k", "k", "l", "l", "l", "l", "l", "l", "l", "l", "l", "l", "n", "n", "n", "n", "n",
        "n", "n", "ng", "ng", "o", "o", "o", "o", "o", "o", "oe", "oe", "r", "r", "r", "r", "r",
        "r", "s", "s", "s", "s", "s", "s", "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u",
        "u", "u", "u", "u", "u", "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z",
        "z", "z", "s",
    ];
    let code = c as u32;
    let text = match code {
        0xC0..=0xFF => LATIN_1[(code - 0xC0) as usize],
        0x100..=0x17F => EXTENDED_A[(code - 0x100) as usize],
        _ => return None,
    };
    (text != "-").then_some(text)
}

/// Parses one migration file. `path` is how the file is displayed (used in diagnostics and kept in
/// [`MigrationFile::path`]), `file_name` its bare name (`<id>_<slug>.sql`). Every problem of the
/// file is reported, not just the first.
pub fn parse_migration(
    path: &str,
    file_name: &str,
    text: &str,
) -> Result<MigrationFile, Vec<Diagnostic>> {
    let mut parser = Parser {
        path,
        diagnostics: Vec::new(),
        header: Header::default(),
    };
    let (id, slug) = match parse_file_name(file_name) {
        Ok(parts) => parts,
        Err(message) => {
            parser.error(
                0,
                message,
                "name migration files `<id>_<slug>.sql`, where <id> is letters and digits, e.g. `20261125143000_create_users.sql`",
            );
            (String::new(), String::new())
        }
    };
    let layout = parser.read_lines(text);
    let header = std::mem::take(&mut parser.header);

    let Some(up_marker) = layout.up_marker else {
        let line = sql::split(&layout.header_sql, 1)
            .first()
            .map_or(1, |s| s.line);
        parser.error(line, "missing the `-- strata:up` marker", MINIMAL_FILE);
        return Err(parser.finish());
    };
    if let Some(first) = sql::split(&layout.header_sql, 1).first() {
        parser.error(
            first.line,
            "SQL before the `-- strata:up` marker",
            format!("move it below `-- strata:up` (line {up_marker}); only `-- strata:` header lines and comments go above it"),
        );
    }

    let section =
        |range: (usize, usize), marker: usize| Section::new(&text[range.0..range.1], marker + 1);
    let up = section(layout.up_range, up_marker);
    let irreversible = header.text("irreversible");
    let down = match (layout.down_marker, &irreversible) {
        (Some(marker), None) => Some(section(layout.down_range, marker)),
        (Some(marker), Some(_)) => {
            if !section(layout.down_range, marker).is_empty() {
                parser.error(
                    marker,
                    "the migration is marked `-- strata:irreversible` but its down section has SQL",
                    "remove the down SQL, or remove `-- strata:irreversible` if the migration can be reverted",
                );
            }
            None
        }
        (None, Some(_)) => None,
        (None, None) => {
            if !layout.misplaced_markers && !header.written.contains_key("irreversible") {
                parser.error(
                    up_marker,
                    "missing the `-- strata:down` section",
                    "add `-- strata:down` followed by the SQL that undoes the up section, or `-- strata:irreversible <reason>` when it cannot be undone",
                );
            }
            None
        }
    };

    let transaction = header.value("transaction").and_then(|v| match v {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    });
    if transaction == Some(true) {
        let on_line = header.line("transaction");
        for s in up
            .statements
            .iter()
            .chain(down.iter().flat_map(|d| d.statements.iter()))
        {
            if let Some(reason) = sql::no_transaction_reason(&s.sql) {
                parser.error(
                    s.line,
                    format!("{reason} cannot run inside a transaction, but line {on_line} says `-- strata:transaction on`"),
                    "use `-- strata:transaction off` (or remove the line: strata then runs the file outside a transaction by itself)",
                );
            }
        }
    }

    for section in std::iter::once(&up).chain(down.iter()) {
        check_transaction_control(&mut parser, section, transaction);
    }

    let revises = header.list("revises");
    let depends_on = header.list("depends-on");
    for (key, ids) in [("revises", &revises), ("depends-on", &depends_on)] {
        if !id.is_empty() && ids.contains(&id) {
            parser.error(
                header.line(key),
                format!("the migration lists its own id `{id}` in `-- strata:{key}`"),
                "list the ids of other migrations",
            );
        }
    }

    if !parser.diagnostics.is_empty() {
        return Err(parser.finish());
    }
    let mut header_lines: BTreeMap<String, usize> = header
        .entries
        .iter()
        .map(|(k, (line, _))| (k.clone(), *line))
        .collect();
    header_lines.insert("up".to_owned(), up_marker);
    if let Some(line) = layout.down_marker {
        header_lines.insert("down".to_owned(), line);
    }
    Ok(MigrationFile {
        id,
        slug,
        path: path.to_owned(),
        message: header.text("message"),
        revises,
        labels: header.list("labels"),
        depends_on,
        transaction,
        destructive_downgrade: header.text("destructive-downgrade"),
        irreversible,
        impact: header.value("impact").and_then(Impact::parse),
        version: header.value("version").and_then(SchemaVersion::parse),
        up,
        down,
        checksum: Checksum::of_text(text),
        header_lines,
        online: false,
        online_source: None,
    })
}

/// `BEGIN`/`COMMIT`/`ROLLBACK` in a section. strata runs a transactional section inside its own
/// transaction, together with its history row: a `COMMIT` there would commit half a migration
/// that strata then reports as failed and rolled back, so any transaction control is refused
/// before anything runs. A section that runs outside a transaction may hold balanced
/// `BEGIN … COMMIT` blocks of its own.
fn check_transaction_control(
    parser: &mut Parser<'_>,
    section: &Section,
    transaction: Option<bool>,
) {
    use sql::TransactionControl as Tx;
    let no_transaction = transaction == Some(false)
        || section
            .statements
            .iter()
            .any(|s| sql::no_transaction_reason(&s.sql).is_some());
    let mut open: Option<usize> = None;
    for s in &section.statements {
        let Some(control) = sql::transaction_control(&s.sql) else {
            continue;
        };
        let words: String = s
            .sql
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
            .trim_end_matches(';')
            .to_owned();
        if !no_transaction {
            parser.error(
                s.line,
                format!("`{words}` in a migration that strata runs in a transaction"),
                "strata wraps each migration in its own transaction (with its history row), so the file must not begin, commit or roll back one: remove the statement; or, to manage transactions yourself, add `-- strata:transaction off` and keep every `BEGIN` balanced by a `COMMIT`",
            );
            continue;
        }
        match (control, open) {
            (Tx::TwoPhase, _) => parser.error(
                s.line,
                format!("`{words}`: two-phase commit is not supported in a migration"),
                "remove the statement",
            ),
            (Tx::Begin, Some(begun)) => parser.error(
                s.line,
                format!("`{words}` inside the transaction begun at line {begun}"),
                "end that transaction with `COMMIT` first",
            ),
            (Tx::Begin, None) => open = Some(s.line),
            (Tx::Commit | Tx::Rollback, Some(_)) => open = None,
            (Tx::Commit | Tx::Rollback, None) => parser.error(
                s.line,
                format!("`{words}` without a `BEGIN` before it"),
                "remove it, or begin the transaction it ends with `BEGIN`",
            ),
        }
    }
    if let Some(begun) = open {
        parser.error(
            begun,
            "this transaction is never committed",
            "end it with `COMMIT` before the end of the section",
        );
    }
}

/// A `-- strata:<key> <value>` line, read leniently: any case of `strata:`, any spacing after
/// `--`. The one reader of directives, for migration files and for `strata lint` on any layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Directive<'a> {
    /// As written (its case is the caller's to judge).
    pub key: &'a str,
    /// Trimmed; empty when the line has none.
    pub value: &'a str,
    /// Written exactly as `-- strata:key`.
    pub exact: bool,
}

/// The directive on `line` (leading and trailing whitespace allowed), if it is one.
pub fn strata_directive(line: &str) -> Option<Directive<'_>> {
    let line = line.trim();
    let (rest, exact) = match line.strip_prefix("-- strata:") {
        Some(rest) => (rest, true),
        None => {
            let rest = line.strip_prefix("--")?.trim_start();
            let rest = rest
                .get(..7)
                .filter(|p| p.eq_ignore_ascii_case("strata:"))
                .map(|_| &rest[7..])?;
            (rest.trim_start(), false)
        }
    };
    let (key, value) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    Some(Directive {
        key,
        value: value.trim(),
        exact,
    })
}

/// Why an online migration cannot be reverted by `downgrade`.
pub const ONLINE_IRREVERSIBLE: &str = "it is an online migration: undo it with `strata rollback` before `strata complete`; once completed, write a new migration to go back";

/// The graph header of an online migration (`<id>_<slug>.toml`): `message`, `revises` and
/// `depends_on` (a string or a list of strings). The operations are read and checked by
/// `strata-online`; they are not needed to place the file in the graph.
pub fn parse_online_header(
    path: &str,
    file_name: &str,
    text: &str,
) -> Result<MigrationFile, Vec<Diagnostic>> {
    let stem = file_name.strip_suffix(".toml").unwrap_or(file_name);
    let (id, slug) = stem.split_once('_').unwrap_or((stem, ""));
    if !is_id(id) {
        return Err(vec![Diagnostic::new(
            path,
            0,
            format!("file name `{file_name}` does not start with a revision id (letters and digits, then `_` or `.toml`)"),
        )
        .with_hint("name online migrations `<id>_<slug>.toml`, e.g. `20261126090000_rename_name.toml`")]);
    }
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map_or(0, |span| crate::line_of_offset(text, span.start));
        vec![Diagnostic::new(
            path,
            line,
            format!("invalid TOML: {}", e.message().trim().replace('\n', "; ")),
        )
        .with_hint("an online migration is TOML: `message = \"...\"`, `revises = \"<id>\"`, then `[[operations]]` tables")]
    })?;
    let key_line = |key: &str| {
        text.lines()
            .position(|l| {
                let l = l.trim_start();
                l.strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
            .map_or(0, |i| i + 1)
    };
    let mut problems = Vec::new();
    let mut ids = |key: &str| -> Vec<String> {
        match table.get(key) {
            None => Vec::new(),
            Some(toml::Value::String(s)) => vec![s.clone()],
            Some(toml::Value::Array(items)) => {
                let list: Option<Vec<String>> = items
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect();
                list.unwrap_or_else(|| {
                    problems.push(Diagnostic::new(
                        path,
                        key_line(key),
                        format!("`{key}` must be a revision id or a list of them"),
                    ));
                    Vec::new()
                })
            }
            Some(_) => {
                problems.push(Diagnostic::new(
                    path,
                    key_line(key),
                    format!("`{key}` must be a revision id or a list of them"),
                ));
                Vec::new()
            }
        }
    };
    let revises = ids("revises");
    let depends_on = ids("depends_on");
    for bad in revises.iter().chain(&depends_on).filter(|i| !is_id(i)) {
        problems.push(Diagnostic::new(
            path,
            key_line("revises"),
            format!("`{bad}` is not a revision id (letters and digits)"),
        ));
    }
    let message = match table.get("message") {
        None => None,
        Some(toml::Value::String(s)) => Some(s.clone()),
        Some(_) => {
            problems.push(Diagnostic::new(
                path,
                key_line("message"),
                "`message` must be a string",
            ));
            None
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let header_lines = ["message", "revises", "depends_on"]
        .iter()
        .filter(|k| table.contains_key(**k))
        .map(|k| ((*k).replace('_', "-"), key_line(k)))
        .collect();
    Ok(MigrationFile {
        id: id.to_owned(),
        slug: slug.to_owned(),
        path: path.to_owned(),
        message,
        revises,
        labels: Vec::new(),
        depends_on,
        transaction: None,
        destructive_downgrade: None,
        irreversible: Some(ONLINE_IRREVERSIBLE.to_owned()),
        impact: None,
        version: None,
        up: Section::new("", 1),
        down: None,
        checksum: Checksum::of_text(text),
        header_lines,
        online: true,
        online_source: Some(text.to_owned()),
    })
}

/// `<id>_<slug>.sql` or `<id>.sql` -> (id, slug).
fn parse_file_name(file_name: &str) -> Result<(String, String), String> {
    let Some(stem) = file_name.strip_suffix(".sql") else {
        return Err(format!("`{file_name}` is not a `.sql` migration file name"));
    };
    let (id, slug) = stem.split_once('_').unwrap_or((stem, ""));
    if !is_id(id) {
        return Err(format!(
            "file name `{file_name}` does not start with a revision id (letters and digits, then `_` or `.sql`)"
        ));
    }
    Ok((id.to_owned(), slug.to_owned()))
}

fn is_id(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn is_label(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[derive(Default)]
struct Header {
    /// key -> (line, value), for valid lines.
    entries: BTreeMap<String, (usize, String)>,
    /// Every key written, valid or not (so that an invalid line causes no follow-up errors).
    written: BTreeMap<String, usize>,
}

impl Header {
    fn value(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(|(_, v)| v.as_str())
    }

    fn text(&self, key: &str) -> Option<String> {
        self.value(key).map(str::to_owned)
    }

    fn line(&self, key: &str) -> usize {
        self.entries.get(key).map_or(0, |(line, _)| *line)
    }

    fn list(&self, key: &str) -> Vec<String> {
        self.value(key)
            .map(|v| v.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default()
    }
}

/// Where the markers and sections are.
struct Layout {
    up_marker: Option<usize>,
    down_marker: Option<usize>,
    /// Byte ranges of the sections' text.
    up_range: (usize, usize),
    down_range: (usize, usize),
    /// The non-directive lines before `-- strata:up` (directive lines blanked, so lines match).
    header_sql: String,
    /// A `-- strata:down` before `-- strata:up` (already reported).
    early_down: Option<usize>,
    /// A marker was repeated or out of order (already reported).
    misplaced_markers: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Header,
    /// After a `-- strata:down` that came before `-- strata:up` (an error): lines are skipped.
    EarlyDown,
    Up,
    Down,
}

struct Parser<'a> {
    path: &'a str,
    diagnostics: Vec<Diagnostic>,
    header: Header,
}

impl Parser<'_> {
    fn error(&mut self, line: usize, message: impl Into<String>, hint: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::new(self.path, line, message).with_hint(hint));
    }

    /// The diagnostics in line order.
    fn finish(mut self) -> Vec<Diagnostic> {
        self.diagnostics.sort_by_key(|d| d.line);
        self.diagnostics
    }

    fn read_lines(&mut self, text: &str) -> Layout {
        let mut layout = Layout {
            up_marker: None,
            down_marker: None,
            up_range: (text.len(), text.len()),
            down_range: (text.len(), text.len()),
            header_sql: String::new(),
            early_down: None,
            misplaced_markers: false,
        };
        let mut state = State::Header;
        let mut offset = 0;
        for (index, raw) in text.split_inclusive('\n').enumerate() {
            let number = index + 1;
            let start = offset;
            offset += raw.len();
            let content = raw.trim_end_matches(['\n', '\r']);
            // A byte-order mark some editors write is not part of the first line's text.
            let content = if index == 0 {
                content.trim_start_matches('\u{feff}')
            } else {
                content
            };
            let directive = self.directive(number, content);
            if state == State::Header {
                if directive.is_none() {
                    layout.header_sql.push_str(content);
                }
                layout.header_sql.push('\n');
            }
            let Some((key, value)) = directive else {
                continue;
            };
            match key.as_str() {
                "up" | "down" => {
                    if !value.is_empty() {
                        self.error(
                            number,
                            format!("unexpected text after `-- strata:{key}`"),
                            format!("put the marker alone on its line: `-- strata:{key}`"),
                        );
                    }
                    state = self.marker(&key, number, start, offset, state, &mut layout);
                }
                _ if LINT_DIRECTIVES.contains(&key.as_str()) => {}
                _ if state == State::Header => self.header_line(number, &key, &value),
                _ if HEADER_KEYS.contains(&key.as_str()) => self.error(
                    number,
                    format!("header key `-- strata:{key}` after the `-- strata:up` marker"),
                    "move it above `-- strata:up`, with the other header lines",
                ),
                _ => {
                    let mut hint = "inside a section only `-- strata:lint-ignore RULE reason`, `-- strata:lint-ignore-file RULE reason` and the `-- strata:down` marker are allowed".to_owned();
                    if let Some(close) = did_you_mean(&key, &[LINT_DIRECTIVES, MARKERS].concat()) {
                        hint = format!("did you mean `-- strata:{close}`? {hint}");
                    }
                    self.error(number, format!("unknown directive `-- strata:{key}`"), hint);
                }
            }
        }
        match state {
            State::Up => layout.up_range.1 = text.len(),
            State::Down => layout.down_range.1 = text.len(),
            State::Header | State::EarlyDown => {}
        }
        layout
    }

    /// Handles an up/down marker at `line` (bytes `start..end`); returns the new state.
    fn marker(
        &mut self,
        key: &str,
        line: usize,
        start: usize,
        end: usize,
        state: State,
        layout: &mut Layout,
    ) -> State {
        match (key, state) {
            ("up", State::Header | State::EarlyDown) => {
                layout.up_marker = Some(line);
                layout.up_range = (end, end);
                State::Up
            }
            ("down", State::Up) => {
                layout.up_range.1 = start;
                layout.down_marker = Some(line);
                layout.down_range = (end, end);
                State::Down
            }
            ("down", State::Header) => {
                layout.misplaced_markers = true;
                layout.early_down = Some(line);
                self.error(
                    line,
                    "`-- strata:down` before `-- strata:up`",
                    "put the up section first: `-- strata:up`, its SQL, then `-- strata:down` and its SQL",
                );
                State::EarlyDown
            }
            ("up", State::Down) => {
                layout.misplaced_markers = true;
                let down = layout.down_marker.unwrap_or(0);
                self.error(
                    line,
                    format!("`-- strata:up` after `-- strata:down` (line {down})"),
                    "a migration has one up section and one down section, in that order; remove this marker",
                );
                State::Down
            }
            (_, state) => {
                layout.misplaced_markers = true;
                let first = if key == "up" {
                    layout.up_marker
                } else {
                    layout.down_marker.or(layout.early_down)
                };
                self.error(
                    line,
                    format!("second `-- strata:{key}` marker (the first is at line {})", first.unwrap_or(0)),
                    "a migration has one up section and one down section; remove one of the markers",
                );
                state
            }
        }
    }

    /// The directive on a line, as (key, value): `-- strata:<key> <value>`. A near miss (wrong
    /// case or spacing around a known key) is reported and still read as that directive.
    fn directive(&mut self, number: usize, content: &str) -> Option<(String, String)> {
        let line = content.trim();
        let found = strata_directive(line)?;
        if found.exact {
            return Some((found.key.to_owned(), found.value.to_owned()));
        }
        let value = found.value;
        let key = found.key.to_ascii_lowercase();
        if !(HEADER_KEYS.contains(&key.as_str())
            || MARKERS.contains(&key.as_str())
            || LINT_DIRECTIVES.contains(&key.as_str()))
        {
            return None;
        }
        self.error(
            number,
            format!("malformed directive `{line}`"),
            format!("write it as `-- strata:{key}`: lowercase, one space after `--`, none after the colon"),
        );
        Some((key, value.trim().to_owned()))
    }

    fn header_line(&mut self, number: usize, key: &str, value: &str) {
        if !HEADER_KEYS.contains(&key) {
            let mut hint = format!("valid header keys: {}", HEADER_KEYS.join(", "));
            let alias = match key {
                "parent" | "parents" | "down_revision" | "down-revision" => Some("revises"),
                "branch_labels" | "branch-labels" | "label" => Some("labels"),
                _ => did_you_mean(key, HEADER_KEYS),
            };
            if let Some(close) = alias {
                hint = format!("did you mean `-- strata:{close}`? {hint}");
            }
            let shown = if key.is_empty() {
                "-- strata:".to_owned()
            } else {
                format!("-- strata:{key}")
            };
            self.error(number, format!("unknown header key `{shown}`"), hint);
            return;
        }
        if let Some(&first) = self.header.written.get(key) {
            self.error(
                number,
                format!("duplicate `-- strata:{key}` (the first is at line {first})"),
                format!(
                    "keep one `-- strata:{key}` line; lists go on one line, separated by spaces"
                ),
            );
            return;
        }
        self.header.written.insert(key.to_owned(), number);
        let valid = match key {
            "message" | "destructive-downgrade" | "irreversible" if value.is_empty() => {
                let what = match key {
                    "message" => "a one-line description",
                    "irreversible" => "the reason why the migration cannot be reverted",
                    _ => "a note acknowledging the data the downgrade loses",
                };
                self.error(
                    number,
                    format!("`-- strata:{key}` needs a text"),
                    format!("write {what} after it: `-- strata:{key} <text>`"),
                );
                false
            }
            // Not "a root": a parent lost in an edit or a merge would silently start a new root.
            "revises" | "depends-on" | "labels" if value.is_empty() => {
                let hint = match key {
                    "revises" => "write the id(s) of the parent migration(s) after it; a root migration has no `-- strata:revises` line",
                    "depends-on" => "write the id(s) this migration depends on after it, or remove the line",
                    _ => "write the branch label(s) after it, or remove the line",
                };
                self.error(number, format!("`-- strata:{key}` is empty"), hint);
                false
            }
            "revises" | "depends-on" => self.check_list(
                number,
                key,
                value,
                is_id,
                "revision id",
                "letters and digits only",
            ),
            "labels" => self.check_list(
                number,
                key,
                value,
                is_label,
                "label",
                "letters, digits, `_` and `-` only",
            ),
            "impact" => {
                if Impact::parse(value).is_some() && value == value.to_ascii_lowercase() {
                    true
                } else {
                    self.error(
                        number,
                        format!("`-- strata:impact` must be `major`, `minor` or `patch`, not `{value}`"),
                        "strata writes this line from the schema change (`strata version --compute` writes it for older files); remove it and let strata compute it",
                    );
                    false
                }
            }
            "version" => {
                if SchemaVersion::parse(value).is_some() {
                    true
                } else {
                    self.error(
                        number,
                        format!("`-- strata:version` must be a version `MAJOR.MINOR.PATCH`, not `{value}`"),
                        "write three numbers, e.g. `-- strata:version 4.0.0`, or remove the line to let the revision's impact decide",
                    );
                    false
                }
            }
            "transaction" => {
                if value == "on" || value == "off" {
                    true
                } else {
                    self.error(
                        number,
                        format!("`-- strata:transaction` must be `on` or `off`, not `{value}`"),
                        "write `-- strata:transaction off` to run the migration outside a transaction (`on` is the default)",
                    );
                    false
                }
            }
            _ => true,
        };
        if valid {
            self.header
                .entries
                .insert(key.to_owned(), (number, value.to_owned()));
        }
    }

    fn check_list(
        &mut self,
        number: usize,
        key: &str,
        value: &str,
        valid: fn(&str) -> bool,
        what: &str,
        rule: &str,
    ) -> bool {
        let mut ok = true;
        let mut seen = Vec::new();
        for item in value.split_whitespace() {
            if !valid(item) {
                let hint = if item.contains(',') {
                    format!("separate items with spaces, not commas; a {what} has {rule}")
                } else {
                    format!("a {what} has {rule}")
                };
                self.error(
                    number,
                    format!("`{item}` in `-- strata:{key}` is not a valid {what}"),
                    hint,
                );
                ok = false;
            } else if seen.contains(&item) {
                self.error(
                    number,
                    format!("`{item}` is listed twice in `-- strata:{key}`"),
                    "list it once",
                );
                ok = false;
            }
            seen.push(item);
        }
        ok
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod online_header_tests {
    use super::*;

    #[test]
    fn online_headers_place_the_file_in_the_graph() {
        let f = parse_online_header(
            "migrations/b2_rename.toml",
            "b2_rename.toml",
            "message = \"rename\"\nrevises = \"a1\"\ndepends_on = [\"x9\"]\n\n[[operations]]\ntype = \"rename_column\"\n",
        )
        .unwrap();
        assert!(f.online);
        assert_eq!((f.id.as_str(), f.slug.as_str()), ("b2", "rename"));
        assert_eq!(f.revises, ["a1"]);
        assert_eq!(f.depends_on, ["x9"]);
        assert_eq!(f.message.as_deref(), Some("rename"));
        assert_eq!(f.header_lines.get("revises"), Some(&2));
        assert!(f.irreversible.is_some());
        // The operations are read when it runs, from the text kept here.
        assert!(f
            .online_source
            .as_deref()
            .is_some_and(|t| t.contains("type = \"rename_column\"")));
        let e = parse_online_header("m/c3.toml", "c3.toml", "revises = [1]\n").unwrap_err();
        assert_eq!(e[0].line, 1);
        let e = parse_online_header("m/c3.toml", "c3.toml", "message = \"x\"\n[[operations]\n")
            .unwrap_err();
        assert_eq!(e[0].line, 2);
        assert!(e[0].message.starts_with("invalid TOML"));
    }
}
