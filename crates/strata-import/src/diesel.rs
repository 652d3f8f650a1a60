//! diesel: one folder per migration, `VERSION_name/up.sql` and `down.sql`, and an optional
//! `metadata.toml` with `run_in_transaction = false`. The version diesel records in
//! `__diesel_schema_migrations` is the folder name before its first `_`, without dashes
//! (`2019-01-01-000000_create_users` -> `20190101000000`).

use crate::{bad, Read, SourceFile, SourceMigration};
use std::collections::BTreeMap;
use strata_core::Diagnostic;

pub fn read(files: &[SourceFile]) -> Result<Read, Vec<Diagnostic>> {
    let mut folders: BTreeMap<&str, BTreeMap<&str, &SourceFile>> = BTreeMap::new();
    let mut out = Read::default();
    for file in files {
        match file.path.rsplit_once('/') {
            Some((folder, name)) if !folder.contains('/') => {
                folders.entry(folder).or_default().insert(name, file);
            }
            _ => out.notes.push(format!(
                "{}: not in a migration folder, left out (diesel migrations are folders with up.sql and down.sql)",
                file.path
            )),
        }
    }
    let mut problems = Vec::new();
    for (folder, parts) in folders {
        let Some(up) = parts.get("up.sql") else {
            out.notes.push(format!("{folder}/: no up.sql, left out"));
            continue;
        };
        let version = folder.split('_').next().unwrap_or(folder).replace('-', "");
        let name = folder
            .split_once('_')
            .map_or("", |(_, n)| n)
            .replace('_', " ");
        let mut transaction = true;
        if let Some(meta) = parts.get("metadata.toml") {
            match meta.text.parse::<toml::Table>() {
                Ok(table) => {
                    if let Some(value) = table.get("run_in_transaction") {
                        match value.as_bool() {
                            Some(v) => transaction = v,
                            None => problems.push(bad(
                                &meta.path,
                                1,
                                "run_in_transaction must be true or false".to_owned(),
                                "write `run_in_transaction = false` or remove the line",
                            )),
                        }
                    }
                }
                Err(e) => problems.push(bad(
                    &meta.path,
                    1,
                    format!("not valid TOML: {}", e.message()),
                    "diesel's metadata.toml holds `run_in_transaction = false`",
                )),
            }
        }
        out.migrations.push(SourceMigration::new(
            version,
            name,
            up.text.clone(),
            parts.get("down.sql").map(|d| d.text.clone()),
            transaction,
            format!("{folder}/up.sql"),
        ));
    }
    crate::outcome(out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::source_file as f;

    #[test]
    fn folders_become_migrations() {
        let read = read(&[
            f(
                "2019-01-01-000000_create_users/up.sql",
                "CREATE TABLE users ();",
            ),
            f(
                "2019-01-01-000000_create_users/down.sql",
                "DROP TABLE users;",
            ),
            f(
                "2019-01-02-000000_index/up.sql",
                "CREATE INDEX CONCURRENTLY i ON users (id);",
            ),
            f(
                "2019-01-02-000000_index/metadata.toml",
                "run_in_transaction = false\n",
            ),
        ])
        .unwrap();
        assert_eq!(read.migrations.len(), 2);
        assert_eq!(read.migrations[0].version, "20190101000000");
        assert_eq!(read.migrations[0].name, "create users");
        assert!(read.migrations[0].transaction);
        assert!(!read.migrations[1].transaction);
        assert_eq!(read.migrations[1].down, None);
    }

    #[test]
    fn bad_metadata_is_reported_at_its_file() {
        let err = read(&[
            f("1_a/up.sql", "SELECT 1;"),
            f("1_a/metadata.toml", "run_in_transaction = \"no\"\n"),
        ])
        .err()
        .unwrap();
        assert_eq!(err[0].file, "1_a/metadata.toml");
    }
}
