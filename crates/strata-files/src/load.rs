//! Reading a migrations folder (the only I/O of this crate besides [`crate::find_config`]) and
//! validating the whole tree: every problem is reported at once, each as `file:line`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use strata_core::Diagnostic;
use strata_graph::{EdgeKind, Graph, GraphError, Node};

use crate::did_you_mean;
use crate::migration::{parse_migration, MigrationFile};

/// The migration files of a project, validated, and their revision graph.
#[derive(Clone, Debug)]
pub struct Migrations {
    /// Sorted by id.
    pub files: Vec<MigrationFile>,
    pub graph: Graph,
}

impl Migrations {
    pub fn get(&self, id: &str) -> Option<&MigrationFile> {
        self.files
            .binary_search_by(|f| f.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.files[i])
    }
}

/// Reads every `*.sql` file in `dir` (not recursive, in name order, dotfiles ignored), parses and
/// validates them and builds the graph; all problems at once, each as `file:line`. Paths in
/// diagnostics and in [`MigrationFile::path`] are relative to `display_base` where possible.
pub fn load(dir: &Path, display_base: &Path) -> Result<Migrations, Vec<Diagnostic>> {
    let shown_dir = display(dir, display_base);
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(vec![Diagnostic::new(&shown_dir, 0, "the migrations directory does not exist").with_hint(
                "run `strata init` to create a project, or set `migrations_dir` in strata.toml to the folder that holds the migrations",
            )]);
        }
        Err(e) => {
            let message = if dir.is_file() {
                "is a file, not the migrations directory".to_owned()
            } else {
                format!("cannot read the migrations directory: {e}")
            };
            return Err(vec![Diagnostic::new(&shown_dir, 0, message).with_hint(
                "check `migrations_dir` in strata.toml and the folder's permissions",
            )]);
        }
    };

    let mut diagnostics = Vec::new();
    let mut names: Vec<(String, PathBuf)> = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') || path.is_dir() {
                    continue;
                }
                names.push((name, path));
            }
            Err(e) => diagnostics.push(
                Diagnostic::new(
                    &shown_dir,
                    0,
                    format!("cannot list the migrations directory: {e}"),
                )
                .with_hint("check the folder's permissions"),
            ),
        }
    }
    names.sort();

    let mut texts = Vec::new();
    for (name, path) in names {
        if !name.ends_with(".sql") && !name.ends_with(".toml") {
            continue;
        }
        let shown = display(&path, display_base);
        match read_text(&path, &shown) {
            Ok(text) => texts.push((shown, name, text)),
            Err(diagnostic) => {
                // Kept (without text), so references to its id are not called unknown.
                diagnostics.push(diagnostic);
                texts.push((shown, name, String::new()));
            }
        }
    }
    parse_tree(texts, diagnostics)
}

/// Migrations compiled into a program: `(file name, text)` pairs, e.g. from `include_str!` (see
/// the `strata` crate's `build` helper). Validated exactly as [`load`] validates a folder; file
/// names in diagnostics are shown as `migrations/<name>`.
pub fn load_embedded(files: &[(&str, &str)]) -> Result<Migrations, Vec<Diagnostic>> {
    let mut sorted: Vec<&(&str, &str)> = files.iter().collect();
    sorted.sort();
    let texts = sorted
        .into_iter()
        .filter(|(name, _)| name.ends_with(".sql") || name.ends_with(".toml"))
        .map(|(name, text)| {
            (
                format!("migrations/{name}"),
                (*name).to_owned(),
                (*text).to_owned(),
            )
        })
        .collect();
    parse_tree(texts, Vec::new())
}

/// Parses `(shown path, file name, text)` triples and validates them as one tree, adding to
/// `diagnostics` (problems already found while reading).
fn parse_tree(
    texts: Vec<(String, String, String)>,
    mut diagnostics: Vec<Diagnostic>,
) -> Result<Migrations, Vec<Diagnostic>> {
    let unreadable: BTreeSet<String> = diagnostics.iter().map(|d| d.file.clone()).collect();
    let mut files = Vec::new();
    let mut unparsed_ids = BTreeSet::new();
    for (shown, name, text) in texts {
        let id = name.split(['_', '.']).next().unwrap_or_default().to_owned();
        if unreadable.contains(&shown) {
            unparsed_ids.insert(id);
            continue;
        }
        let online = name.ends_with(".toml");
        // A NUL cannot be sent to a database (PostgreSQL drops the connection): refuse the file
        // here, so nothing of the run starts. Its other problems are still reported.
        if let Some(diagnostic) = nul_byte(&shown, &text) {
            diagnostics.push(diagnostic);
        }
        let parsed = if online {
            crate::migration::parse_online_header(&shown, &name, &text)
        } else {
            parse_migration(&shown, &name, &text)
        };
        match parsed {
            Ok(file) => files.push(file),
            Err(found) => {
                diagnostics.extend(found);
                unparsed_ids.insert(id);
            }
        }
    }

    match build_tree(files, &unparsed_ids) {
        Ok(migrations) if diagnostics.is_empty() => Ok(migrations),
        Ok(_) => Err(diagnostics),
        Err(found) => {
            diagnostics.extend(found);
            // Stable: each file's own diagnostics stay in line order.
            diagnostics.sort_by(|a, b| a.file.cmp(&b.file));
            Err(diagnostics)
        }
    }
}

/// Validates parsed files as one tree (duplicate ids, unknown parents and dependencies, cycles,
/// labels) and builds the graph; every problem is reported at the line of the header key at fault.
pub fn build(files: Vec<MigrationFile>) -> Result<Migrations, Vec<Diagnostic>> {
    build_tree(files, &BTreeSet::new())
}

/// [`build`], leaving out unknown-reference errors about `unparsed` ids: those files exist but
/// could not be parsed, and their own diagnostics say why.
fn build_tree(
    mut files: Vec<MigrationFile>,
    unparsed: &BTreeSet<String>,
) -> Result<Migrations, Vec<Diagnostic>> {
    files.sort_by(|a, b| a.id.cmp(&b.id).then_with(|| a.path.cmp(&b.path)));
    let mut diagnostics = Vec::new();

    // Duplicate ids: report each file against the first one with that id, and keep only the first.
    let mut unique: Vec<MigrationFile> = Vec::with_capacity(files.len());
    for file in files {
        match unique.last() {
            Some(first) if first.id == file.id => {
                let message = |other: &MigrationFile| {
                    format!(
                        "revision id {} (from the file name) is also used by {}",
                        file.id, other.path
                    )
                };
                let hint = "every migration needs its own id: rename one of the files with a new id (and update the `-- strata:revises` lines that point at it)";
                diagnostics.push(Diagnostic::new(&first.path, 1, message(&file)).with_hint(hint));
                diagnostics.push(Diagnostic::new(&file.path, 1, message(first)).with_hint(hint));
            }
            _ => unique.push(file),
        }
    }
    let files = unique;

    let nodes = files
        .iter()
        .map(|f| Node {
            id: f.id.clone(),
            parents: f.revises.clone(),
            depends_on: f.depends_on.clone(),
            labels: f.labels.clone(),
        })
        .collect();
    let graph = match Graph::new(nodes) {
        Ok(graph) => Some(graph),
        Err(errors) => {
            let by_id: BTreeMap<&str, &MigrationFile> =
                files.iter().map(|f| (f.id.as_str(), f)).collect();
            for error in &errors {
                diagnostics.extend(graph_diagnostics(error, &by_id, unparsed));
            }
            None
        }
    };
    match graph {
        Some(graph) if diagnostics.is_empty() => Ok(Migrations { files, graph }),
        _ => {
            diagnostics.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
            diagnostics.dedup();
            Err(diagnostics)
        }
    }
}

/// A graph error as diagnostics at the header line of each revision at fault.
fn graph_diagnostics(
    error: &GraphError,
    by_id: &BTreeMap<&str, &MigrationFile>,
    unparsed: &BTreeSet<String>,
) -> Vec<Diagnostic> {
    let at = |id: &str, key: &str| -> Diagnostic {
        match by_id.get(id) {
            Some(file) => {
                let line = file.header_lines.get(key).copied().unwrap_or(0);
                Diagnostic::new(&file.path, line, error.to_string())
            }
            None => Diagnostic::new(format!("revision {id}"), 0, error.to_string()),
        }
    };
    let unknown_hint = |missing: &str, key: &str| {
        let ids: Vec<&str> = by_id.keys().copied().collect();
        match did_you_mean(missing, &ids).or_else(|| ids.iter().copied().find(|i| i.starts_with(missing))) {
            Some(close) => format!("did you mean {close} ({})?", by_id[close].path),
            None => format!("use the id of an existing migration file (the part of its name before the first `_`), or remove {missing} from `-- strata:{key}`"),
        }
    };
    match error {
        GraphError::UnknownParent {
            parent: missing, ..
        }
        | GraphError::UnknownDependency {
            dependency: missing,
            ..
        } if unparsed.contains(missing) => Vec::new(),
        GraphError::UnknownParent { id, parent } => {
            vec![at(id, "revises").with_hint(unknown_hint(parent, "revises"))]
        }
        GraphError::UnknownDependency { id, dependency } => {
            vec![at(id, "depends-on").with_hint(unknown_hint(dependency, "depends-on"))]
        }
        GraphError::DuplicateParent { id, .. } => vec![at(id, "revises")],
        GraphError::DuplicateDependency { id, .. } => vec![at(id, "depends-on")],
        GraphError::Cycle { ids, links } => ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let key = match links.get(i) {
                    Some(EdgeKind::DependsOn) => "depends-on",
                    _ => "revises",
                };
                at(id, key)
            })
            .collect(),
        GraphError::DuplicateLabel { id, other, .. } => {
            let mut diagnostic = at(id, "labels");
            if let Some(first) = by_id.get(other.as_str()) {
                diagnostic = diagnostic.with_hint(format!("revision {other} is {}", first.path));
            }
            vec![diagnostic]
        }
        GraphError::InvalidLabel { id, .. }
        | GraphError::ReservedLabel { id, .. }
        | GraphError::LabelIsRevisionId { id, .. } => vec![at(id, "labels")],
        GraphError::DuplicateId { id } | GraphError::InvalidId { id } => vec![at(id, "")],
        // A kind of problem added to the graph later: at the revisions it names.
        other => other.ids().into_iter().map(|id| at(id, "")).collect(),
    }
}

/// A diagnostic at the first NUL byte of a migration file's text, if it has one.
pub fn nul_byte(shown: &str, text: &str) -> Option<Diagnostic> {
    let at = text.find('\0')?;
    let line = crate::line_of_offset(text, at);
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..at].chars().count() + 1;
    Some(
        Diagnostic::new(
            shown,
            line,
            format!("migration contains a NUL byte (column {column}); it cannot be sent to the database"),
        )
        .with_hint("remove it; a file full of NUL bytes was probably saved as UTF-16: save it as UTF-8"),
    )
}

/// The file's text, or a diagnostic saying why it cannot be read.
fn read_text(path: &Path, shown: &str) -> Result<String, Diagnostic> {
    let bytes = fs::read(path).map_err(|e| {
        Diagnostic::new(shown, 0, format!("cannot read the file: {e}"))
            .with_hint("check the file's permissions")
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..valid]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1; // (not a `str` yet: counted on the valid bytes)
        Diagnostic::new(
            shown,
            line,
            format!("the file is not valid UTF-8 (byte {valid})"),
        )
        .with_hint("save the file as UTF-8")
    })
}

/// `path` relative to `base` when it is inside it, with `/` separators.
pub(crate) fn display(path: &Path, base: &Path) -> String {
    let relative = path
        .strip_prefix(base)
        .ok()
        .map(Path::to_path_buf)
        .or_else(|| {
            let path = fs::canonicalize(path).ok().or_else(|| absolute(path))?;
            let base = fs::canonicalize(base).ok().or_else(|| absolute(base))?;
            path.strip_prefix(&base).ok().map(Path::to_path_buf)
        });
    match relative {
        Some(relative) if !relative.as_os_str().is_empty() => relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Some(_) => ".".to_owned(),
        None => path.display().to_string(),
    }
}

fn absolute(path: &Path) -> Option<PathBuf> {
    std::path::absolute(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::parse_migration;

    fn file(id: &str, header: &str) -> MigrationFile {
        let text = format!("{header}\n-- strata:up\nSELECT 1;\n-- strata:down\nSELECT 2;\n");
        parse_migration(
            &format!("migrations/{id}_x.sql"),
            &format!("{id}_x.sql"),
            &text,
        )
        .unwrap()
    }

    fn lines(diags: &[Diagnostic]) -> Vec<(String, usize)> {
        diags.iter().map(|d| (d.file.clone(), d.line)).collect()
    }

    #[test]
    fn builds_a_tree_sorted_by_id() {
        let m = build(vec![
            file("c3", "-- strata:revises a1 b2"),
            file("a1", "-- strata:labels core"),
            file("b2", "-- strata:revises a1\n-- strata:depends-on a1"),
        ])
        .unwrap();
        assert_eq!(
            m.files.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
            ["a1", "b2", "c3"]
        );
        assert_eq!(m.graph.heads(), ["c3"]);
        assert_eq!(m.get("b2").unwrap().revises, ["a1"]);
        assert!(m.get("zz").is_none());
    }

    #[test]
    fn an_empty_tree_is_fine() {
        let m = build(Vec::new()).unwrap();
        assert!(m.files.is_empty());
        assert_eq!(m.graph.len(), 0);
    }

    #[test]
    fn duplicate_ids_are_reported_at_both_files() {
        let mut second = file("a1", "-- strata:message other");
        second.path = "migrations/a1_y.sql".into();
        let diags = build(vec![
            file("a1", ""),
            second,
            file("b2", "-- strata:revises a1"),
        ])
        .unwrap_err();
        assert_eq!(
            lines(&diags),
            [
                ("migrations/a1_x.sql".into(), 1),
                ("migrations/a1_y.sql".into(), 1)
            ]
        );
        assert!(diags[0].message.contains("migrations/a1_y.sql"));
        assert!(diags[1].message.contains("migrations/a1_x.sql"));
    }

    #[test]
    fn unknown_parent_and_dependency_at_their_lines() {
        let diags = build(vec![
            file("a1", ""),
            file("b2", "-- strata:message m\n-- strata:revises a2"),
            file(
                "c3",
                "-- strata:revises a1\n-- strata:labels x\n-- strata:depends-on zz9",
            ),
        ])
        .unwrap_err();
        assert_eq!(
            lines(&diags),
            [
                ("migrations/b2_x.sql".into(), 2),
                ("migrations/c3_x.sql".into(), 3)
            ]
        );
        assert!(diags[0].message.contains("a2"), "{}", diags[0].message);
        assert!(
            diags[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("did you mean a1"),
            "{:?}",
            diags[0].hint
        );
        assert!(diags[1].message.contains("zz9"), "{}", diags[1].message);
    }

    #[test]
    fn cycles_at_each_revises_line() {
        let diags = build(vec![
            file("a1", "-- strata:revises c3"),
            file("b2", "-- strata:message m\n-- strata:revises a1"),
            file("c3", "\n\n-- strata:revises b2"),
        ])
        .unwrap_err();
        assert_eq!(
            lines(&diags),
            [
                ("migrations/a1_x.sql".into(), 1),
                ("migrations/b2_x.sql".into(), 2),
                ("migrations/c3_x.sql".into(), 3)
            ]
        );
        assert!(diags[0].message.contains("cycle"), "{}", diags[0].message);
    }

    #[test]
    fn a_cycle_through_depends_on_points_at_depends_on() {
        let diags = build(vec![
            file("a1", "-- strata:message m\n-- strata:depends-on b2"),
            file("b2", "-- strata:revises a1"),
        ])
        .unwrap_err();
        assert_eq!(
            lines(&diags),
            [
                ("migrations/a1_x.sql".into(), 2),
                ("migrations/b2_x.sql".into(), 1)
            ]
        );
    }

    #[test]
    fn duplicate_labels_at_the_second_file() {
        let diags = build(vec![
            file("a1", "-- strata:labels core"),
            file("b2", "-- strata:revises a1\n-- strata:labels other core"),
        ])
        .unwrap_err();
        assert_eq!(lines(&diags), [("migrations/b2_x.sql".into(), 2)]);
        assert!(diags[0].message.contains("a1"), "{}", diags[0].message);
        assert!(diags[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("migrations/a1_x.sql"));
    }

    fn write(dir: &Path, name: &str, text: &str) {
        fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn loads_a_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("migrations");
        fs::create_dir(&dir).unwrap();
        write(
            &dir,
            "20260101000000_first.sql",
            "-- strata:up\nCREATE TABLE t (a int);\n-- strata:down\nDROP TABLE t;\n",
        );
        write(
            &dir,
            "20260102000000_second.sql",
            "-- strata:revises 20260101000000\n-- strata:up\n-- strata:down\n",
        );
        write(&dir, ".hidden.sql", "garbage");
        write(&dir, "README.md", "# notes");
        fs::create_dir(dir.join("sub.sql")).unwrap();
        let m = load(&dir, tmp.path()).unwrap();
        assert_eq!(m.files.len(), 2);
        assert_eq!(m.files[0].path, "migrations/20260101000000_first.sql");
        assert_eq!(m.graph.heads(), ["20260102000000"]);
    }

    #[test]
    fn all_errors_at_once() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("migrations");
        fs::create_dir(&dir).unwrap();
        write(&dir, "a1_ok.sql", "-- strata:up\n-- strata:down\n");
        write(
            &dir,
            "b2_bad.sql",
            "-- strata:revise a1\n-- strata:up\n-- strata:down\n",
        );
        // Depends on a file that failed to parse: no extra "unknown revision" noise.
        write(
            &dir,
            "c3_child.sql",
            "-- strata:revises b2\n-- strata:up\n-- strata:down\n",
        );
        write(
            &dir,
            "d4_unknown.sql",
            "\n-- strata:revises zz\n-- strata:up\n-- strata:down\n",
        );
        write(&dir, "e5_online.toml", "message = \"x\"\nrevises = 5\n");
        write(&dir, "f6_nodown.sql", "-- strata:up\nSELECT 1;\n");
        fs::write(
            dir.join("g7_latin1.sql"),
            b"-- strata:up\n-- caf\xe9\n-- strata:down\n",
        )
        .unwrap();
        write(&dir, "bad-name.sql", "-- strata:up\n-- strata:down\n");
        let diags = load(&dir, tmp.path()).unwrap_err();
        assert_eq!(
            lines(&diags),
            [
                ("migrations/b2_bad.sql".into(), 1),
                ("migrations/bad-name.sql".into(), 0),
                ("migrations/d4_unknown.sql".into(), 2),
                ("migrations/e5_online.toml".into(), 2),
                ("migrations/f6_nodown.sql".into(), 1),
                ("migrations/g7_latin1.sql".into(), 2),
            ]
        );
        assert!(diags[3]
            .message
            .contains("`revises` must be a revision id or a list of them"));
        assert!(diags[5].message.contains("UTF-8"));
    }

    #[test]
    fn a_nul_byte_is_an_error_at_its_line() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("migrations");
        fs::create_dir(&dir).unwrap();
        write(&dir, "a1_ok.sql", "-- strata:up\n-- strata:down\n");
        write(
            &dir,
            "b2_nul.sql",
            "-- strata:revises a1\n-- strata:up\nSELECT 1;\nSELECT 'x\0';\n-- strata:down\n",
        );
        write(&dir, "c3_online.toml", "revises = \"b2\"\n# \0\n");
        let diags = load(&dir, tmp.path()).unwrap_err();
        let nul: Vec<_> = diags
            .iter()
            .filter(|d| d.message.contains("NUL byte"))
            .map(|d| (d.file.clone(), d.line, d.message.clone()))
            .collect();
        assert_eq!(nul.len(), 2, "{diags:?}");
        assert_eq!(nul[0].0, "migrations/b2_nul.sql");
        assert_eq!(nul[0].1, 4);
        assert!(nul[0].2.contains("column 10"), "{}", nul[0].2);
        assert_eq!(
            (nul[1].0.as_str(), nul[1].1),
            ("migrations/c3_online.toml", 2)
        );
        assert!(nul_byte("x", "no nul here").is_none());
    }

    #[test]
    fn a_missing_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let diags = load(&tmp.path().join("migrations"), tmp.path()).unwrap_err();
        assert_eq!(lines(&diags), [("migrations".into(), 0)]);
        assert!(diags[0].hint.as_deref().unwrap().contains("strata init"));
    }

    #[test]
    fn display_paths() {
        assert_eq!(
            display(Path::new("/p/migrations/a.sql"), Path::new("/p")),
            "migrations/a.sql"
        );
        assert_eq!(
            display(Path::new("/other/a.sql"), Path::new("/p")),
            "/other/a.sql"
        );
        assert_eq!(display(Path::new("/p"), Path::new("/p")), ".");
    }
}
