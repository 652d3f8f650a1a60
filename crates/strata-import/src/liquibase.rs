//! Liquibase formatted SQL changelogs: `.sql` files starting with `--liquibase formatted sql`,
//! each holding changesets `--changeset author:id [attribute:value…]` followed by their SQL and
//! `--rollback SQL` lines (the down; `--rollback not required` or `empty`: none). Files are read
//! in name order, as `includeAll` reads them, changesets in file order. `runInTransaction:false`
//! becomes `-- strata:transaction off`. The version is `author:id`; `DATABASECHANGELOG` records it
//! as `AUTHOR`, `ID`. XML, YAML and JSON changelogs are not read.

use crate::{bad, Read, SourceFile, SourceMigration};
use strata_core::Diagnostic;

pub fn read(files: &[SourceFile]) -> Result<Read, Vec<Diagnostic>> {
    let mut out = Read::default();
    let mut problems = Vec::new();
    for file in files {
        let first = file.text.lines().next().unwrap_or("").trim();
        if !file.path.ends_with(".sql") || !is_header(first) {
            if file.path.ends_with(".sql") {
                out.notes.push(format!(
                    "{}: not a formatted SQL changelog (no `--liquibase formatted sql` first line), left out",
                    file.path
                ));
            }
            continue;
        }
        let mut current: Option<(usize, SourceMigration)> = None;
        for (i, line) in file.text.split_inclusive('\n').enumerate().skip(1) {
            let trimmed = line.trim();
            if let Some(spec) = directive(trimmed, "changeset") {
                if let Some((_, m)) = current.take() {
                    out.migrations.push(m);
                }
                let mut words = spec.split_whitespace();
                let Some((author, id)) = words.next().and_then(|w| w.split_once(':')) else {
                    problems.push(bad(
                        &file.path,
                        i + 1,
                        "a changeset needs `author:id`".to_owned(),
                        "write `--changeset alice:1`",
                    ));
                    continue;
                };
                let mut transaction = true;
                for attribute in words {
                    let (key, value) = attribute.split_once(':').unwrap_or((attribute, ""));
                    match (key, value) {
                        ("runInTransaction", "false") => transaction = false,
                        ("endDelimiter", d) if d != ";" => problems.push(bad(
                            &file.path,
                            i + 1,
                            format!("changeset {author}:{id}: endDelimiter:{d} is not supported"),
                            "end its statements with `;` (strata splits on `;` outside strings, comments and dollar quotes)",
                        )),
                        ("runAlways" | "runOnChange", "true") => problems.push(bad(
                            &file.path,
                            i + 1,
                            format!("changeset {author}:{id} is {key}: strata runs a migration once"),
                            "turn it into ordinary changesets (a new one for each change) before importing",
                        )),
                        _ => {}
                    }
                }
                current = Some((
                    i + 1,
                    SourceMigration::new(
                        format!("{author}:{id}"),
                        format!("{author} {id}"),
                        String::new(),
                        None,
                        transaction,
                        format!("{}:{}", file.path, i + 1),
                    ),
                ));
                continue;
            }
            let Some((_, m)) = current.as_mut() else {
                continue;
            };
            if let Some(rollback) = directive(trimmed, "rollback") {
                let down = m.down.get_or_insert_with(String::new);
                if !matches!(rollback.trim(), "not required" | "empty") {
                    down.push_str(rollback.trim());
                    down.push('\n');
                }
            } else if let Some(comment) =
                directive(trimmed, "comment").and_then(|c| c.strip_prefix(':'))
            {
                m.name = comment.trim().to_owned();
            } else if directive(trimmed, "preconditions").is_some()
                || directive(trimmed, "precondition-sql-check").is_some()
            {
                out.notes.push(format!(
                    "{}:{}: preconditions are not imported (strata applies a migration unconditionally)",
                    file.path,
                    i + 1
                ));
            } else {
                m.up.push_str(line);
            }
        }
        if let Some((_, m)) = current.take() {
            out.migrations.push(m);
        }
    }
    crate::outcome(out, problems)
}

fn is_header(line: &str) -> bool {
    let rest = line.trim_start_matches('-').trim();
    line.starts_with("--") && rest.eq_ignore_ascii_case("liquibase formatted sql")
}

/// `--name rest` or `-- name rest` (Liquibase accepts both).
fn directive<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let rest = line.strip_prefix("--")?.trim_start();
    let rest = rest.strip_prefix(name)?;
    (rest.is_empty() || rest.starts_with([' ', ':'])).then_some(rest.trim_start_matches(' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changesets_rollbacks_and_attributes() {
        let read = read(&[crate::source_file("changelog.sql", "--liquibase formatted sql\n\n--changeset alice:1\n--comment: users\nCREATE TABLE users (id int);\n--rollback DROP TABLE users;\n\n--changeset alice:2 runInTransaction:false\nCREATE INDEX CONCURRENTLY i ON users (id);\n--rollback not required\n")])
        .unwrap();
        assert_eq!(read.migrations.len(), 2);
        let [a, b] = &read.migrations[..] else {
            panic!()
        };
        assert_eq!(a.version, "alice:1");
        assert_eq!(a.name, "users");
        assert_eq!(a.down.as_deref(), Some("DROP TABLE users;\n"));
        assert!(a.up.contains("CREATE TABLE users"));
        assert!(!b.transaction);
        assert_eq!(b.down.as_deref(), Some(""));
        assert_eq!(b.path, "changelog.sql:8");
    }

    #[test]
    fn run_always_is_refused_at_its_line() {
        let err = read(&[crate::source_file(
            "c.sql",
            "--liquibase formatted sql\n--changeset bob:1 runAlways:true\nSELECT 1;\n",
        )])
        .err()
        .unwrap();
        assert_eq!((err[0].file.as_str(), err[0].line), ("c.sql", 2));
    }
}
