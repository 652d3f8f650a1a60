//! goose: `VERSION_name.sql` with `-- +goose Up` and `-- +goose Down` sections,
//! `-- +goose NO TRANSACTION` for a file that runs outside a transaction, and
//! `-- +goose StatementBegin` / `StatementEnd` around statements that hold semicolons. The marker
//! lines are SQL comments and stay in the converted file; strata's splitter already keeps a
//! dollar-quoted body or a `BEGIN ATOMIC … END` block in one statement. `goose_db_version` keeps
//! one row per apply and per rollback (`is_applied`). Go migrations cannot be imported.

use crate::{bad, Read, SourceFile, SourceMigration};
use strata_core::Diagnostic;

pub fn read(files: &[SourceFile]) -> Result<Read, Vec<Diagnostic>> {
    let mut out = Read::default();
    let mut problems = Vec::new();
    for file in files {
        let name = file.path.as_str();
        let Some((version, rest)) = crate::split_name(name, ".sql").filter(|_| !name.contains('/'))
        else {
            out.notes
                .push(format!("{name}: not a goose SQL migration, left out"));
            continue;
        };
        let Ok(number) = version.parse::<i64>() else {
            out.notes
                .push(format!("{name}: no numeric version, left out"));
            continue;
        };
        let mut up: Option<String> = None;
        let mut down: Option<String> = None;
        let mut in_up = None;
        let mut transaction = true;
        let mut open_block: Option<usize> = None;
        for (i, line) in file.text.split_inclusive('\n').enumerate() {
            let annotation = line
                .trim()
                .strip_prefix("--")
                .map(str::trim_start)
                .and_then(|t| t.strip_prefix("+goose"))
                .map(str::trim);
            match annotation.map(|a| a.to_ascii_lowercase()).as_deref() {
                Some("up") => {
                    up.get_or_insert_with(String::new);
                    in_up = Some(true);
                    continue;
                }
                Some("down") => {
                    down.get_or_insert_with(String::new);
                    in_up = Some(false);
                    continue;
                }
                Some("no transaction") => {
                    transaction = false;
                    continue;
                }
                Some("statementbegin") => open_block = Some(i + 1),
                Some("statementend") if open_block.take().is_none() => {
                    problems.push(bad(
                        name,
                        i + 1,
                        "`-- +goose StatementEnd` without a StatementBegin".to_owned(),
                        "pair every StatementEnd with a StatementBegin above it",
                    ));
                }
                _ => {}
            }
            match in_up {
                Some(true) => up.as_mut().expect("up").push_str(line),
                Some(false) => down.as_mut().expect("down").push_str(line),
                None => {}
            }
        }
        if let Some(line) = open_block {
            problems.push(bad(
                name,
                line,
                "`-- +goose StatementBegin` is never ended".to_owned(),
                "add `-- +goose StatementEnd` after the statement",
            ));
        }
        let Some(up) = up else {
            problems.push(bad(
                name,
                1,
                "no `-- +goose Up` annotation".to_owned(),
                "goose SQL migrations start their up section with `-- +goose Up`",
            ));
            continue;
        };
        out.migrations.push(SourceMigration::new(
            number.to_string(),
            rest.replace('_', " "),
            up,
            down,
            transaction,
            name.to_owned(),
        ));
    }
    for file in files.iter().filter(|f| f.path.ends_with(".go")) {
        problems.push(bad(
            &file.path,
            0,
            "a Go migration cannot be imported".to_owned(),
            "port it to a SQL migration first",
        ));
    }
    crate::outcome(out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations() {
        let read = read(&[crate::source_file("00002_fn.sql", "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n-- +goose StatementEnd\n-- +goose Down\nDROP FUNCTION f();\n")])
        .unwrap();
        let m = &read.migrations[0];
        assert_eq!(m.version, "2");
        assert!(!m.transaction);
        assert!(m.up.contains("StatementBegin"));
        assert_eq!(m.down.as_deref(), Some("DROP FUNCTION f();\n"));
    }

    #[test]
    fn unbalanced_blocks_are_reported_at_their_line() {
        let err = read(&[crate::source_file(
            "1_a.sql",
            "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n",
        )])
        .err()
        .unwrap();
        assert_eq!(err[0].line, 2);
    }
}
