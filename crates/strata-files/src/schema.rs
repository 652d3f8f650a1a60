//! The desired-state schema files: which files `schema = [...]` names, and the
//! `-- strata:renamed-from OLD` hints written in them.

use crate::config::Config;
use std::path::{Path, PathBuf};
use strata_core::Diagnostic;

/// The schema files of `config`, in the order they are applied: each entry of `schema` in turn; a
/// folder contributes its `*.sql` files (recursively), in lexical order of their paths.
pub fn schema_files(config: &Config, display_base: &Path) -> Result<Vec<PathBuf>, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for entry in &config.schema {
        let path = config.root.join(entry);
        if path.is_file() {
            files.push(path);
        } else if path.is_dir() {
            let mut found = Vec::new();
            if let Err(e) = collect_sql(&path, &mut found) {
                problems.push(Diagnostic::new(
                    crate::load::display(&path, display_base),
                    0,
                    format!("cannot read the schema folder: {e}"),
                ));
            }
            found.sort();
            files.extend(found);
        } else {
            problems.push(
                Diagnostic::new(
                    crate::load::display(&path, display_base),
                    0,
                    format!("the schema path `{entry}` (from `schema` in strata.toml) does not exist"),
                )
                .with_hint(
                    "create it and write the desired schema there as SQL (CREATE TABLE ...), or set `schema` in strata.toml to the files or folders that hold it",
                ),
            );
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(problems)
    }
}

fn collect_sql(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect_sql(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "sql") {
            out.push(path);
        }
    }
    Ok(())
}

/// A rename written in a schema file: `old` and `new` in the form `DiffOptions::renames` takes
/// (`table.old_column` → `new_column`, `[schema.]old_table` → `new_table`), names unquoted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenameHint {
    pub old: String,
    pub new: String,
    pub line: usize,
}

const MARKER: &str = "-- strata:renamed-from";

/// The `-- strata:renamed-from OLD` comments of a schema file. On the `CREATE TABLE` line the
/// comment renames the table; on a column's line, the column. Anything else is a diagnostic.
pub fn rename_hints(file: &str, text: &str) -> Result<Vec<RenameHint>, Vec<Diagnostic>> {
    let mut hints = Vec::new();
    let mut problems = Vec::new();
    let statements = strata_core::sql::split(text, 1);
    let all_lines: Vec<&str> = text.lines().collect();
    for (index, line) in all_lines.iter().enumerate() {
        let Some(at) = line.find(MARKER) else {
            continue;
        };
        let line_no = index + 1;
        let old_text = line[at + MARKER.len()..].trim();
        let old = match identifiers(old_text) {
            Some(parts) if !parts.is_empty() && parts.len() <= 2 => parts,
            _ => {
                problems.push(
                    Diagnostic::new(file, line_no, format!("`{MARKER}` needs the old name, got `{old_text}`"))
                        .with_hint("write `-- strata:renamed-from old_name` at the end of the renamed column's (or the CREATE TABLE) line"),
                );
                continue;
            }
        };
        // The statement that holds this line.
        let statement = statements.iter().find(|s| {
            let last = s.line + s.sql.lines().count().saturating_sub(1);
            (s.line..=last).contains(&line_no)
        });
        let table = statement.and_then(|s| created_table(&s.sql).map(|t| (s.line, t)));
        let Some((first_line, table)) = table else {
            problems.push(
                Diagnostic::new(file, line_no, format!("`{MARKER}` is only understood inside CREATE TABLE"))
                    .with_hint("put it on the CREATE TABLE line to rename the table, or on a column's line to rename the column"),
            );
            continue;
        };
        let code = &line[..at];
        if line_no == first_line {
            if old.len() == 2 && table.len() == 2 && old[0] != table[0] {
                problems.push(
                    Diagnostic::new(
                        file,
                        line_no,
                        format!(
                            "a table cannot be renamed into another schema (`{}` to `{}`)",
                            old.join("."),
                            table.join(".")
                        ),
                    )
                    .with_hint("move it with ALTER TABLE ... SET SCHEMA in a migration of its own"),
                );
                continue;
            }
            let mut qualified = table[..table.len() - 1].to_vec();
            qualified.push(old.last().cloned().unwrap_or_default());
            hints.push(RenameHint {
                old: qualified.join("."),
                new: table.last().cloned().unwrap_or_default(),
                line: line_no,
            });
            continue;
        }
        let first = identifiers_prefix(code.trim_start().trim_start_matches(',').trim_start());
        let Some(column) = first else {
            problems.push(
                Diagnostic::new(file, line_no, "no column name before the comment")
                    .with_hint("put the comment on the line where the column is declared"),
            );
            continue;
        };
        const NOT_COLUMNS: [&str; 7] = [
            "constraint",
            "primary",
            "unique",
            "check",
            "foreign",
            "exclude",
            "like",
        ];
        if NOT_COLUMNS.contains(&column.to_ascii_lowercase().as_str())
            && !code.trim_start().starts_with('"')
        {
            problems.push(Diagnostic::new(file, line_no, "`-- strata:renamed-from` on a constraint line")
                .with_hint("only tables and columns can be renamed this way; rename constraints in a migration"));
            continue;
        }
        if old.len() != 1 {
            problems.push(
                Diagnostic::new(
                    file,
                    line_no,
                    format!("a column's old name is one name, not `{}`", old.join(".")),
                )
                .with_hint("write `-- strata:renamed-from old_column`"),
            );
            continue;
        }
        hints.push(RenameHint {
            old: format!("{}.{}", table.join("."), old[0]),
            new: column,
            line: line_no,
        });
    }
    if problems.is_empty() {
        Ok(hints)
    } else {
        Err(problems)
    }
}

/// The name `CREATE [UNLOGGED|TEMP] TABLE [IF NOT EXISTS] name` creates, as its parts.
fn created_table(sql: &str) -> Option<Vec<String>> {
    let mut rest = sql;
    let (first, after) = keyword(rest)?;
    if !first.eq_ignore_ascii_case("create") {
        return None;
    }
    rest = after;
    loop {
        let (word, after) = keyword(rest)?;
        rest = after;
        match word.to_ascii_lowercase().as_str() {
            "unlogged" | "temp" | "temporary" | "global" | "local" => {}
            "table" => break,
            _ => return None,
        }
    }
    if let Some((word, after)) = keyword(rest) {
        if word.eq_ignore_ascii_case("if") {
            let (_, after) = keyword(after)?; // NOT
            let (_, after) = keyword(after)?; // EXISTS
            rest = after;
        }
    }
    identifiers_prefix_parts(skip_comments(rest))
}

fn skip_comments(mut s: &str) -> &str {
    loop {
        s = s.trim_start();
        if let Some(rest) = s.strip_prefix("--") {
            s = rest.split_once('\n').map(|(_, r)| r).unwrap_or("");
        } else if let Some(rest) = s.strip_prefix("/*") {
            s = rest.split_once("*/").map(|(_, r)| r).unwrap_or("");
        } else {
            return s;
        }
    }
}

fn keyword(s: &str) -> Option<(&str, &str)> {
    let s = skip_comments(s);
    let end = s
        .find(|c: char| !(c.is_ascii_alphabetic() || c == '_'))
        .unwrap_or(s.len());
    (end > 0).then(|| (&s[..end], &s[end..]))
}

/// A dotted name that is the whole of `text` (surrounding space allowed).
fn identifiers(text: &str) -> Option<Vec<String>> {
    let (parts, rest) = parse_name(text.trim())?;
    rest.trim().is_empty().then_some(parts)
}

/// The first (undotted) identifier at the start of `text`.
fn identifiers_prefix(text: &str) -> Option<String> {
    let (part, _) = parse_identifier(text)?;
    Some(part)
}

fn identifiers_prefix_parts(text: &str) -> Option<Vec<String>> {
    parse_name(text).map(|(parts, _)| parts)
}

fn parse_name(mut text: &str) -> Option<(Vec<String>, &str)> {
    let mut parts = Vec::new();
    loop {
        let (part, rest) = parse_identifier(text)?;
        parts.push(part);
        match rest.strip_prefix('.') {
            Some(after) => text = after,
            None => return Some((parts, rest)),
        }
    }
}

/// One identifier: `"quoted ""name"""` as written, or an unquoted one folded to lower case.
fn parse_identifier(text: &str) -> Option<(String, &str)> {
    if let Some(rest) = text.strip_prefix('"') {
        let mut name = String::new();
        let mut chars = rest.char_indices();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if rest[i + 1..].starts_with('"') {
                    name.push('"');
                    chars.next();
                } else {
                    return Some((name, &rest[i + 1..]));
                }
            } else {
                name.push(c);
            }
        }
        return None;
    }
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(text.len());
    if end == 0 || text.starts_with(|c: char| c.is_ascii_digit() || c == '$') {
        return None;
    }
    Some((text[..end].to_lowercase(), &text[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints(text: &str) -> Vec<(String, String, usize)> {
        rename_hints("schema/app.sql", text)
            .unwrap()
            .into_iter()
            .map(|h| (h.old, h.new, h.line))
            .collect()
    }

    #[test]
    fn column_and_table_hints() {
        let text = "CREATE TABLE app.people ( -- strata:renamed-from users\n  id bigint PRIMARY KEY,\n  full_name text NOT NULL, -- strata:renamed-from name\n  \"E-Mail\" text -- strata:renamed-from \"Mail Address\"\n);\n";
        assert_eq!(
            hints(text),
            vec![
                ("app.users".into(), "people".into(), 1),
                ("app.people.name".into(), "full_name".into(), 3),
                ("app.people.Mail Address".into(), "E-Mail".into(), 4),
            ]
        );
    }

    #[test]
    fn unqualified_and_if_not_exists() {
        let text = "-- accounts\nCREATE TABLE IF NOT EXISTS Accounts (\n  , Owner text -- strata:renamed-from holder\n);";
        assert_eq!(
            hints(text),
            vec![("accounts.holder".into(), "owner".into(), 3)]
        );
    }

    #[test]
    fn misplaced_hints_are_diagnostics() {
        let e = rename_hints(
            "s.sql",
            "CREATE VIEW v AS SELECT 1; -- strata:renamed-from w\n",
        )
        .unwrap_err();
        assert_eq!(e[0].line, 1);
        assert!(e[0].message.contains("only understood inside CREATE TABLE"));
        let e = rename_hints(
            "s.sql",
            "CREATE TABLE t (\n  a int,\n  CONSTRAINT c CHECK (a > 0) -- strata:renamed-from d\n);",
        )
        .unwrap_err();
        assert_eq!(e[0].line, 3);
        let e = rename_hints(
            "s.sql",
            "CREATE TABLE t (\n  a int -- strata:renamed-from\n);",
        )
        .unwrap_err();
        assert!(e[0].message.contains("needs the old name"), "{e:?}");
    }

    #[test]
    fn schema_files_in_lexical_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("schema/b")).unwrap();
        std::fs::write(root.join("schema/b/1.sql"), "").unwrap();
        std::fs::write(root.join("schema/a.sql"), "").unwrap();
        std::fs::write(root.join("schema/notes.txt"), "").unwrap();
        std::fs::write(root.join("extra.sql"), "").unwrap();
        let mut config = crate::default_config(root.to_path_buf());
        config.schema = vec!["schema".into(), "extra.sql".into()];
        let files = schema_files(&config, root).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|f| f.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["schema/a.sql", "schema/b/1.sql", "extra.sql"]);
        config.schema = vec!["missing".into()];
        let e = schema_files(&config, root).unwrap_err();
        assert!(e[0].message.contains("does not exist"));
    }
}
