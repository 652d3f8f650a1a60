//! What `strata lint` reads from disk, turned into the linter's [`Source`]s: strata migration
//! files, plain `.sql` files, diesel folders (`up.sql`, `down.sql`, `metadata.toml`; a folder of
//! them, one named alone, or its files named one by one), `N_name.up.sql` / `N_name.down.sql`
//! pairs (sqlx, golang-migrate, pop with its `.autocommit` and dialect parts) and `_up.sql` /
//! `_down.sql` pairs, goose files (`-- +goose Up` / `Down`) and dbmate files (`-- migrate:up` /
//! `down`). The linter itself does no I/O.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use strata_core::Diagnostic;
use strata_files::MigrationFile;
use strata_lint::{Section, SectionKind, Source};

/// Everything read for one lint run.
#[derive(Default)]
pub struct Inputs {
    /// The migrations, in the order they run.
    pub sources: Vec<Source>,
    /// Display path -> text of every file read, for the snippets of human output.
    pub texts: BTreeMap<String, String>,
    /// Files that could not be read, and strata files that do not parse (exit 2).
    pub problems: Vec<Diagnostic>,
    /// Files in a folder that are not migrations and were left out (with why).
    pub skipped: Vec<String>,
}

/// Reads the files and folders named on the command line. Each folder is one group sorted by
/// version; the files named directly form one group too (so `x.up.sql x.down.sql` pair up).
pub fn read_paths(paths: &[PathBuf]) -> Inputs {
    let mut inputs = Inputs::default();
    let mut loose: Vec<Entry> = Vec::new();
    let mut loose_at: Option<usize> = None;
    let mut groups: Vec<Vec<Entry>> = Vec::new();
    for path in paths {
        let shown = shown(path);
        match std::fs::metadata(path) {
            Err(e) => inputs.problems.push(
                Diagnostic::new(&shown, 0, format!("cannot read: {}", io_reason(&e)))
                    .with_hint("name migration files or folders that exist"),
            ),
            Ok(meta) if meta.is_dir() && path.join("up.sql").is_file() => {
                // One diesel migration folder: one migration, its up and its down.
                if loose_at.is_none() {
                    loose_at = Some(groups.len());
                    groups.push(Vec::new());
                }
                add_diesel(&mut loose, path, &shown, [true, true]);
            }
            Ok(meta) if meta.is_dir() => {
                groups.push(list_dir(path, &shown, &mut inputs));
            }
            Ok(_) => {
                let name = file_name(path);
                if loose_at.is_none() {
                    loose_at = Some(groups.len());
                    groups.push(Vec::new());
                }
                // `NAME/up.sql` and `NAME/down.sql` of a diesel migration: one migration.
                let diesel_side = match name.as_str() {
                    "up.sql" => Some([true, false]),
                    "down.sql" => Some([false, true]),
                    _ => None,
                };
                if let (Some(side), Some(parent)) = (diesel_side, path.parent()) {
                    let dir = if parent.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        parent
                    };
                    let dir_shown = shown
                        .strip_suffix(name.as_str())
                        .map(|d| d.trim_end_matches(['/', '\\']).to_owned())
                        .filter(|d| !d.is_empty())
                        .unwrap_or_else(|| ".".to_owned());
                    add_diesel(&mut loose, dir, &dir_shown, side);
                    continue;
                }
                loose.push(Entry::File {
                    name,
                    path: path.clone(),
                    shown,
                });
            }
        }
    }
    if let Some(at) = loose_at {
        groups[at] = loose;
    }
    for group in groups {
        read_group(group, &mut inputs);
    }
    inputs
}

/// Adds a diesel migration folder to a group, or (named twice: `NAME/up.sql NAME/down.sql`)
/// widens the sections read of the one already there.
fn add_diesel(entries: &mut Vec<Entry>, dir: &Path, shown: &str, sides: [bool; 2]) {
    for entry in entries.iter_mut() {
        if let Entry::Diesel { path, sections, .. } = entry {
            if path == dir {
                sections[0] |= sides[0];
                sections[1] |= sides[1];
                return;
            }
        }
    }
    let name = dir
        .canonicalize()
        .ok()
        .as_deref()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file_name(dir));
    entries.push(Entry::Diesel {
        name,
        path: dir.to_path_buf(),
        shown: shown.to_owned(),
        sections: sides,
    });
}

/// The migrations of a strata project (already parsed and validated), in the order given.
pub fn read_project(files: &[&MigrationFile]) -> Inputs {
    let mut inputs = Inputs::default();
    for file in files {
        match std::fs::read_to_string(&file.path) {
            Ok(text) => {
                inputs.sources.push(strata_source(&file.path, file, &text));
                inputs.texts.insert(file.path.clone(), text);
            }
            Err(e) => inputs.problems.push(Diagnostic::new(
                &file.path,
                0,
                format!("cannot read: {}", io_reason(&e)),
            )),
        }
    }
    inputs
}

/// A strata migration file as the linter sees it: its up and down with their file lines, the
/// header (which may hold `-- strata:lint-ignore-file`), its revision and checksum.
pub fn strata_source(shown: &str, file: &MigrationFile, text: &str) -> Source {
    let up_marker = file
        .header_lines
        .get("up")
        .copied()
        .unwrap_or(file.up.line.saturating_sub(1));
    let header: String = text
        .split_inclusive('\n')
        .take(up_marker.saturating_sub(1))
        .collect();
    let explicit_off = file.transaction == Some(false);
    let mut sections = vec![Section {
        kind: SectionKind::Up,
        sql: file.up.sql.clone(),
        first_line: file.up.line,
        transactional: file.non_transactional(false).is_none(),
        explicitly_non_transactional: explicit_off,
    }];
    if let Some(down) = &file.down {
        sections.push(Section {
            kind: SectionKind::Down,
            sql: down.sql.clone(),
            first_line: down.line,
            transactional: file.non_transactional(true).is_none(),
            explicitly_non_transactional: explicit_off,
        });
    }
    Source {
        path: shown.to_owned(),
        revision: Some(file.id.clone()),
        checksum: Some(file.checksum.to_string()),
        section_paths: vec![None; sections.len()],
        sections,
        has_down: file.irreversible.is_none(),
        irreversible: file.irreversible.is_some(),
        text: header,
    }
}

/// One thing found in a folder (or named on the command line).
enum Entry {
    File {
        name: String,
        path: PathBuf,
        shown: String,
    },
    /// A folder holding `up.sql`: one diesel migration.
    Diesel {
        name: String,
        path: PathBuf,
        shown: String,
        /// Which of `up.sql`, `down.sql` to read (both, unless the files were named one by one).
        sections: [bool; 2],
    },
}

fn list_dir(dir: &Path, shown_dir: &str, inputs: &mut Inputs) -> Vec<Entry> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            inputs.problems.push(Diagnostic::new(
                shown_dir,
                0,
                format!("cannot read the folder: {}", io_reason(&e)),
            ));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                inputs.problems.push(Diagnostic::new(
                    shown_dir,
                    0,
                    format!("cannot list the folder: {}", io_reason(&e)),
                ));
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let shown = join_shown(shown_dir, &name);
        if path.is_dir() {
            if path.join("up.sql").is_file() {
                out.push(Entry::Diesel {
                    name,
                    path,
                    shown,
                    sections: [true, true],
                });
            } else {
                inputs
                    .skipped
                    .push(format!("{shown}: a folder without up.sql (not linted)"));
            }
        } else {
            out.push(Entry::File { name, path, shown });
        }
    }
    out
}

/// A file and its display path.
type FileAt = (PathBuf, String);

/// What one migration is made of before it is read.
enum Planned {
    Diesel {
        path: PathBuf,
        shown: String,
        sections: [bool; 2],
    },
    /// A single `.sql` file: strata or plain, decided by its text.
    Single {
        name: String,
        path: PathBuf,
        shown: String,
    },
    Pair {
        up: Option<FileAt>,
        down: Option<FileAt>,
    },
}

/// Classifies a group's entries into migrations, sorts them by version and reads them.
fn read_group(entries: Vec<Entry>, inputs: &mut Inputs) {
    let has_diesel = entries.iter().any(|e| matches!(e, Entry::Diesel { .. }));
    let file_names: std::collections::BTreeSet<&str> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::File { name, .. } => Some(name.as_str()),
            Entry::Diesel { .. } => None,
        })
        .collect();
    let underscore_pairs: std::collections::BTreeSet<String> = file_names
        .iter()
        .filter_map(|n| n.strip_suffix("_up.sql"))
        .filter(|stem| file_names.contains(format!("{stem}_down.sql").as_str()))
        .map(str::to_owned)
        .collect();
    let mut planned: Vec<(String, String, Planned)> = Vec::new();
    let mut pairs: BTreeMap<String, (Option<FileAt>, Option<FileAt>)> = BTreeMap::new();
    for entry in entries {
        match entry {
            Entry::Diesel {
                name,
                path,
                shown,
                sections,
            } => {
                // diesel orders by the version (before the first `_`) with dashes removed,
                // compared as text.
                let version = name.split('_').next().unwrap_or(&name).replace('-', "");
                planned.push((
                    version,
                    name,
                    Planned::Diesel {
                        path,
                        shown,
                        sections,
                    },
                ));
            }
            Entry::File { name, path, shown } => {
                // `.up.sql` / `.down.sql` (sqlx, golang-migrate, pop), `_up.sql` / `_down.sql`
                // (several Go tools).
                // `_up.sql` only with its `_down.sql` beside it: a strata migration may well be
                // called `…_clean_up.sql`.
                let up = name.strip_suffix(".up.sql").or_else(|| {
                    name.strip_suffix("_up.sql")
                        .filter(|stem| underscore_pairs.contains(*stem))
                });
                let down = name.strip_suffix(".down.sql").or_else(|| {
                    name.strip_suffix("_down.sql")
                        .filter(|stem| underscore_pairs.contains(*stem))
                });
                if let Some(stem) = up {
                    pairs.entry(stem.to_owned()).or_default().0 = Some((path, shown));
                } else if let Some(stem) = down {
                    pairs.entry(stem.to_owned()).or_default().1 = Some((path, shown));
                } else if name.ends_with(".sql") {
                    if has_diesel {
                        inputs.skipped.push(format!(
                            "{shown}: a loose .sql file among diesel migrations (diesel does not run it; not linted)"
                        ));
                    } else {
                        planned.push((
                            numeric_key(&name),
                            name.clone(),
                            Planned::Single { name, path, shown },
                        ));
                    }
                } else if name.ends_with(".toml") && !has_diesel {
                    inputs.skipped.push(format!(
                        "{shown}: online (.toml) migrations are not linted by this version"
                    ));
                } else if !name.ends_with(".md") && !name.ends_with(".toml") {
                    inputs
                        .skipped
                        .push(format!("{shown}: not a .sql file (not linted)"));
                }
            }
        }
    }
    for (stem, (up, down)) in pairs {
        // pop: `VERSION_NAME[.DIALECT][.autocommit].up.sql`; another dialect's file is not
        // PostgreSQL's.
        let modifiers: Vec<&str> = stem.split('.').skip(1).collect();
        if let Some(dialect) = modifiers
            .iter()
            .find(|m| matches!(**m, "mysql" | "sqlite3" | "sqlite" | "mariadb"))
        {
            for (_, shown) in up.iter().chain(down.iter()) {
                inputs.skipped.push(format!(
                    "{shown}: a {dialect} migration (only PostgreSQL's are linted)"
                ));
            }
            continue;
        }
        planned.push((numeric_key(&stem), stem, Planned::Pair { up, down }));
    }
    planned.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    for (_, _, plan) in planned {
        match plan {
            Planned::Diesel {
                path,
                shown,
                sections,
            } => read_diesel(&path, &shown, sections, inputs),
            Planned::Single { name, path, shown } => read_single(&name, &path, &shown, inputs),
            Planned::Pair { up, down } => read_pair(up, down, inputs),
        }
    }
}

/// A sort key for `N_name...`: numeric versions compare as numbers (`2_` before `10_`), anything
/// else as text.
fn numeric_key(name: &str) -> String {
    let version = name.split(['_', '.']).next().unwrap_or(name);
    if !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit()) {
        let trimmed = version.trim_start_matches('0');
        format!("{trimmed:0>40}")
    } else {
        version.to_owned()
    }
}

fn read_text(path: &Path, shown: &str, inputs: &mut Inputs) -> Option<String> {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => {
                inputs.texts.insert(shown.to_owned(), text.clone());
                // Reported at its line, rather than as the parser's failure on the statement.
                if let Some(nul) = strata_files::nul_byte(shown, &text) {
                    inputs.problems.push(nul);
                    return None;
                }
                Some(text)
            }
            Err(e) => {
                inputs.problems.push(
                    Diagnostic::new(shown, 0, format!("not UTF-8 text ({e})"))
                        .with_hint("save the file as UTF-8"),
                );
                None
            }
        },
        Err(e) => {
            inputs.problems.push(Diagnostic::new(
                shown,
                0,
                format!("cannot read: {}", io_reason(&e)),
            ));
            None
        }
    }
}

fn read_single(name: &str, path: &Path, shown: &str, inputs: &mut Inputs) {
    let Some(text) = read_text(path, shown, inputs) else {
        return;
    };
    if is_strata_file(&text) {
        match strata_files::parse_migration(shown, name, &text) {
            Ok(file) => inputs.sources.push(strata_source(shown, &file, &text)),
            Err(diagnostics) => inputs.problems.extend(diagnostics),
        }
        return;
    }
    if let Some(source) = goose_source(shown, &text).or_else(|| dbmate_source(shown, &text)) {
        inputs.sources.push(source);
        return;
    }
    let mut source = Source::plain(shown, text.as_str());
    if let Some(no_tx) = no_transaction_directive(&text) {
        source.sections[0].transactional = !no_tx;
        source.sections[0].explicitly_non_transactional = no_tx;
    }
    inputs.sources.push(source);
}

fn read_pair(up: Option<(PathBuf, String)>, down: Option<(PathBuf, String)>, inputs: &mut Inputs) {
    let mut sections = Vec::new();
    let mut section_paths = Vec::new();
    let mut path = None;
    for (kind, file) in [(SectionKind::Up, &up), (SectionKind::Down, &down)] {
        let Some((file, shown)) = file else { continue };
        let Some(text) = read_text(file, shown, inputs) else {
            return;
        };
        // sqlx: `-- no-transaction` on the first line runs the file outside a transaction;
        // golang-migrate sends the file as one multi-statement query (one implicit transaction);
        // pop runs `….autocommit.up.sql` outside a transaction.
        let autocommit = shown
            .strip_suffix(".up.sql")
            .or_else(|| shown.strip_suffix(".down.sql"))
            .is_some_and(|stem| stem.ends_with(".autocommit"));
        let no_tx = autocommit || no_transaction_directive(&text).unwrap_or(false);
        sections.push(Section {
            kind,
            sql: text,
            first_line: 1,
            transactional: !no_tx,
            explicitly_non_transactional: no_tx,
        });
        section_paths.push(Some(shown.clone()));
        path.get_or_insert_with(|| shown.clone());
    }
    let Some(path) = path else { return };
    inputs.sources.push(Source {
        path,
        revision: None,
        checksum: None,
        sections,
        section_paths,
        has_down: down.is_some(),
        irreversible: false,
        text: String::new(),
    });
}

fn read_diesel(dir: &Path, shown: &str, read: [bool; 2], inputs: &mut Inputs) {
    let mut transactional = true;
    let metadata = dir.join("metadata.toml");
    if metadata.is_file() {
        let meta_shown = join_shown(shown, "metadata.toml");
        if let Some(text) = read_text(&metadata, &meta_shown, inputs) {
            match text.parse::<toml::Table>() {
                Ok(table) => match table.get("run_in_transaction") {
                    None => {}
                    Some(toml::Value::Boolean(b)) => transactional = *b,
                    Some(other) => inputs.problems.push(Diagnostic::new(
                        &meta_shown,
                        line_of(&text, "run_in_transaction"),
                        format!(
                            "`run_in_transaction` must be true or false, not {}",
                            other.type_str()
                        ),
                    )),
                },
                Err(e) => {
                    let line = e.span().map_or(0, |s| line_at(&text, s.start));
                    inputs.problems.push(Diagnostic::new(
                        &meta_shown,
                        line,
                        format!("invalid TOML: {}", e.message().trim()),
                    ));
                }
            }
        }
    }
    let mut sections = Vec::new();
    let mut section_paths = Vec::new();
    let mut has_down = false;
    for (index, (kind, file)) in [(SectionKind::Up, "up.sql"), (SectionKind::Down, "down.sql")]
        .into_iter()
        .enumerate()
    {
        let path = dir.join(file);
        if kind == SectionKind::Down && !path.exists() {
            continue;
        }
        if !read[index] {
            // Named one by one without this file: it is there, but not linted.
            has_down |= kind == SectionKind::Down;
            continue;
        }
        let file_shown = join_shown(shown, file);
        let Some(text) = read_text(&path, &file_shown, inputs) else {
            return;
        };
        has_down |= kind == SectionKind::Down;
        sections.push(Section {
            kind,
            sql: text,
            first_line: 1,
            transactional,
            explicitly_non_transactional: !transactional,
        });
        section_paths.push(Some(file_shown));
    }
    inputs.sources.push(Source {
        path: shown.to_owned(),
        revision: None,
        checksum: None,
        sections,
        section_paths,
        has_down,
        irreversible: false,
        text: String::new(),
    });
}

/// The annotation of a line: `-- +goose up` -> `+goose up`, `-- migrate:up` -> `migrate:up`
/// (lower case, spaces collapsed); `None` for other lines.
fn annotation(line: &str) -> Option<String> {
    let rest = line.trim().strip_prefix("--")?.trim();
    let lower = rest.to_ascii_lowercase();
    (lower.starts_with("+goose") || lower.starts_with("migrate:"))
        .then(|| lower.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The sections of a file split at annotation lines: (kind, first line of its text, text, the
/// annotation that opened it). Lines before the first section are left out.
fn split_sections(
    text: &str,
    opens: impl Fn(&str) -> Option<SectionKind>,
) -> Vec<(SectionKind, usize, String, String)> {
    let mut out: Vec<(SectionKind, usize, String, String)> = Vec::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if let Some(kind) = annotation(line).as_deref().and_then(&opens) {
            out.push((
                kind,
                i + 2,
                String::new(),
                annotation(line).unwrap_or_default(),
            ));
            continue;
        }
        if let Some(last) = out.last_mut() {
            last.2.push_str(line);
        }
    }
    out
}

/// A goose file (`-- +goose Up` / `-- +goose Down`, `-- +goose StatementBegin` / `End` around
/// statements holding `;`, `-- +goose NO TRANSACTION` for the whole file). The annotations are
/// SQL comments, so each section's text is kept as it stands, with its file lines.
fn goose_source(shown: &str, text: &str) -> Option<Source> {
    if !text
        .lines()
        .any(|l| annotation(l).as_deref() == Some("+goose up"))
    {
        return None;
    }
    let no_tx = text
        .lines()
        .any(|l| annotation(l).as_deref() == Some("+goose no transaction"));
    let sections = split_sections(text, |a| match a {
        "+goose up" => Some(SectionKind::Up),
        "+goose down" => Some(SectionKind::Down),
        _ => None,
    });
    Some(annotated_source(shown, text, sections, |_| no_tx))
}

/// A dbmate file (`-- migrate:up`, `-- migrate:down`, each with an optional
/// `transaction:false`).
fn dbmate_source(shown: &str, text: &str) -> Option<Source> {
    if !text
        .lines()
        .any(|l| annotation(l).is_some_and(|a| a.starts_with("migrate:up")))
    {
        return None;
    }
    let sections = split_sections(text, |a| {
        let first = a.split_whitespace().next()?;
        match first {
            "migrate:up" => Some(SectionKind::Up),
            "migrate:down" => Some(SectionKind::Down),
            _ => None,
        }
    });
    Some(annotated_source(shown, text, sections, |opener| {
        opener.split_whitespace().any(|o| o == "transaction:false")
    }))
}

fn annotated_source(
    shown: &str,
    text: &str,
    found: Vec<(SectionKind, usize, String, String)>,
    no_tx: impl Fn(&str) -> bool,
) -> Source {
    let mut sections = Vec::new();
    let mut has_down = false;
    // One up and one down: a second section of a kind is appended to the first (its lines are
    // kept by padding with empty lines, so positions stay the file's).
    for (kind, first_line, sql, opener) in found {
        has_down |= kind == SectionKind::Down;
        let off = no_tx(&opener);
        if let Some(existing) = sections.iter_mut().find(|s: &&mut Section| s.kind == kind) {
            let end = existing.first_line + existing.sql.matches('\n').count();
            existing
                .sql
                .push_str(&"\n".repeat(first_line.saturating_sub(end)));
            existing.sql.push_str(&sql);
            continue;
        }
        sections.push(Section {
            kind,
            sql,
            first_line,
            transactional: !off,
            explicitly_non_transactional: off,
        });
    }
    if sections.iter().all(|s| s.kind != SectionKind::Up) {
        sections.insert(
            0,
            Section {
                kind: SectionKind::Up,
                sql: String::new(),
                first_line: 1,
                transactional: true,
                explicitly_non_transactional: false,
            },
        );
    }
    sections.sort_by_key(|s| s.kind == SectionKind::Down);
    Source {
        path: shown.to_owned(),
        revision: None,
        checksum: None,
        section_paths: vec![None; sections.len()],
        sections,
        has_down,
        irreversible: false,
        // Where a file-wide waiver may stand outside the sections: before the first annotation.
        text: text
            .split_inclusive('\n')
            .take_while(|l| annotation(l).is_none())
            .collect(),
    }
}

/// A strata file has `-- strata:` directives other than lint waivers (which plain files may use).
fn is_strata_file(text: &str) -> bool {
    text.lines().any(|line| {
        strata_files::migration::strata_directive(line)
            .is_some_and(|d| !d.key.to_ascii_lowercase().starts_with("lint-ignore"))
    })
}

/// sqlx's `-- no-transaction` as the first line: `Some(true)`.
fn no_transaction_directive(text: &str) -> Option<bool> {
    let first = text.trim_start_matches('\u{feff}').lines().next()?;
    (first.trim() == "-- no-transaction").then_some(true)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// A path as typed (without a trailing `/`).
fn shown(path: &Path) -> String {
    let text = path.display().to_string();
    let trimmed = text.trim_end_matches('/');
    if trimmed.is_empty() {
        text
    } else {
        trimmed.to_owned()
    }
}

fn join_shown(dir: &str, name: &str) -> String {
    if dir == "." {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

use strata_core::line_of_offset as line_at;

fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle).map_or(0, |at| line_at(text, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_versions_sort_as_numbers() {
        assert!(numeric_key("2_b.up.sql") < numeric_key("10_a.up.sql"));
        assert!(numeric_key("0002_b.sql") < numeric_key("10_a.sql"));
    }

    #[test]
    fn goose_files_have_sections_and_file_lines() {
        let text = "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n-- +goose StatementEnd\nCREATE INDEX CONCURRENTLY i ON t (a);\n\n-- +goose Down\nDROP INDEX CONCURRENTLY i;\n";
        let source = goose_source("m/1_x.sql", text).unwrap();
        assert_eq!(source.sections.len(), 2);
        assert_eq!(source.sections[0].first_line, 3);
        assert!(source.sections[0].sql.contains("CREATE INDEX CONCURRENTLY"));
        assert!(!source.sections[0].sql.contains("DROP INDEX"));
        assert_eq!(source.sections[1].kind, SectionKind::Down);
        assert_eq!(source.sections[1].first_line, 9);
        assert!(source.sections.iter().all(|s| !s.transactional));
        assert!(source.has_down);
        assert!(goose_source("m.sql", "CREATE TABLE t (a int);").is_none());
    }

    #[test]
    fn dbmate_files_have_sections_and_their_own_transaction_option() {
        let text = "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n\n-- migrate:down\nDROP INDEX i;\n";
        let source = dbmate_source("db/migrations/1_x.sql", text).unwrap();
        assert_eq!(source.sections.len(), 2);
        assert!(!source.sections[0].transactional);
        assert!(source.sections[0].explicitly_non_transactional);
        assert!(source.sections[1].transactional);
        assert_eq!(source.sections[1].first_line, 5);
    }

    #[test]
    fn strata_files_are_told_apart_from_plain_ones() {
        assert!(is_strata_file("-- strata:up\nSELECT 1;\n"));
        assert!(is_strata_file("--  Strata:message x\n"));
        assert!(!is_strata_file(
            "-- strata:lint-ignore non-concurrent-index small\nCREATE INDEX i ON t (a);\n"
        ));
        assert!(!is_strata_file("CREATE TABLE t (a int);\n"));
    }

    #[test]
    fn strata_sections_keep_file_lines_and_header() {
        let text = "-- strata:message m\n-- strata:lint-ignore-file prefer-text legacy\n\n-- strata:up\nCREATE INDEX i ON t (a);\n\n-- strata:down\nDROP INDEX i;\n";
        let file = strata_files::parse_migration("m/1_x.sql", "1_x.sql", text).unwrap();
        let source = strata_source("m/1_x.sql", &file, text);
        assert_eq!(source.sections[0].first_line, 5);
        assert_eq!(source.sections[1].first_line, 8);
        assert!(source.text.contains("lint-ignore-file"));
        assert!(!source.text.contains("strata:up"));
        assert_eq!(source.revision.as_deref(), Some("1"));
        assert!(source.has_down && source.sections[0].transactional);
    }
}
