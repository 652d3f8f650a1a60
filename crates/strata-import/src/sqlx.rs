//! sqlx: `VERSION_description.sql` (a simple migration, no down) or the reversible pair
//! `VERSION_description.up.sql` / `.down.sql`. A file starting with `-- no-transaction` runs
//! outside a transaction. `_sqlx_migrations` records the SHA-384 of the up file's text.

use crate::{bad, Read, SourceFile, SourceMigration};
use sha2::{Digest, Sha384};
use std::collections::BTreeMap;
use strata_core::Diagnostic;

pub fn read(files: &[SourceFile]) -> Result<Read, Vec<Diagnostic>> {
    let mut out = Read::default();
    let mut problems = Vec::new();
    let mut downs: BTreeMap<String, &SourceFile> = BTreeMap::new();
    let mut ups = Vec::new();
    for file in files {
        let name = file.path.as_str();
        if name.contains('/') || !name.ends_with(".sql") {
            out.notes
                .push(format!("{name}: not a sqlx migration, left out"));
            continue;
        }
        let (stem, down) = if let Some(s) = name.strip_suffix(".down.sql") {
            (s, true)
        } else if let Some(s) = name.strip_suffix(".up.sql") {
            (s, false)
        } else {
            (name.strip_suffix(".sql").unwrap_or(name), false)
        };
        let (version, description) = stem.split_once('_').unwrap_or((stem, ""));
        if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
            problems.push(bad(
                name,
                0,
                format!("`{name}` does not start with a numeric version"),
                "sqlx names migrations VERSION_description.sql (e.g. 20240101120000_create_users.sql)",
            ));
            continue;
        }
        if down {
            downs.insert(version.trim_start_matches('0').to_owned(), file);
        } else {
            ups.push((version, description, file));
        }
    }
    for (version, description, file) in ups {
        let number = version.trim_start_matches('0').to_owned();
        let down = downs.remove(&number).map(|d| d.text.clone());
        out.migrations.push(SourceMigration {
            version: if number.is_empty() {
                "0".into()
            } else {
                number
            },
            name: description.replace('_', " "),
            transaction: !file.text.starts_with("-- no-transaction"),
            up: file.text.clone(),
            down,
            path: file.path.clone(),
            tool_checksum: Some(hex(&Sha384::digest(file.text.as_bytes()))),
            depends_on: Vec::new(),
        });
    }
    for (_, down) in downs {
        problems.push(bad(
            &down.path,
            0,
            format!("{} has no up migration", down.path),
            "rename it to match its .up.sql file, or remove it",
        ));
    }
    crate::outcome(out, problems)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_and_reversible() {
        let files = [
            SourceFile {
                path: "1_a.sql".into(),
                text: "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);".into(),
            },
            SourceFile {
                path: "2_b.up.sql".into(),
                text: "CREATE TABLE b ();".into(),
            },
            SourceFile {
                path: "2_b.down.sql".into(),
                text: "DROP TABLE b;".into(),
            },
        ];
        let read = read(&files).unwrap();
        assert_eq!(read.migrations.len(), 2);
        assert!(!read.migrations[0].transaction);
        assert_eq!(read.migrations[0].down, None);
        assert_eq!(read.migrations[1].down.as_deref(), Some("DROP TABLE b;"));
        // sha384("CREATE TABLE b ();") as sqlx stores it.
        assert_eq!(read.migrations[1].tool_checksum.as_ref().unwrap().len(), 96);
    }
}
