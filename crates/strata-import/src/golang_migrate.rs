//! golang-migrate: `VERSION_title.up.sql` and `VERSION_title.down.sql` (either may be missing).
//! Its PostgreSQL driver sends a file as one multi-statement query, so the statements of a file
//! commit together as a transaction would; a file with its own `BEGIN`/`COMMIT` is imported
//! with `-- strata:transaction off` (see the crate's conversion). `schema_migrations` holds one
//! row: the current version and whether the last run left it `dirty`.

use crate::{bad, Read, SourceFile, SourceMigration};
use std::collections::BTreeMap;
use strata_core::Diagnostic;

pub fn read(files: &[SourceFile]) -> Result<Read, Vec<Diagnostic>> {
    read_pairs(files, "golang-migrate names migrations VERSION_title.up.sql / VERSION_title.down.sql (e.g. 000001_create_users.up.sql)")
}

/// `VERSION_title.up.sql` / `.down.sql` pairs (golang-migrate, and sqlx's reversible form).
pub(crate) fn read_pairs(files: &[SourceFile], hint: &str) -> Result<Read, Vec<Diagnostic>> {
    let mut out = Read::default();
    let mut problems = Vec::new();
    let mut found: BTreeMap<u64, (String, Option<&SourceFile>, Option<&SourceFile>)> =
        BTreeMap::new();
    for file in files {
        let name = file.path.as_str();
        let (stem, up) = if let Some(s) = name.strip_suffix(".up.sql") {
            (s, true)
        } else if let Some(s) = name.strip_suffix(".down.sql") {
            (s, false)
        } else {
            out.notes.push(format!(
                "{name}: not an .up.sql or .down.sql file, left out"
            ));
            continue;
        };
        if name.contains('/') {
            out.notes.push(format!("{name}: in a subfolder, left out"));
            continue;
        }
        let (version, title) = stem.split_once('_').unwrap_or((stem, ""));
        let Ok(number) = version.parse::<u64>() else {
            problems.push(bad(
                name,
                0,
                format!("`{name}` does not start with a numeric version"),
                hint,
            ));
            continue;
        };
        let entry = found
            .entry(number)
            .or_insert_with(|| (title.to_owned(), None, None));
        let slot = if up { &mut entry.1 } else { &mut entry.2 };
        if let Some(other) = slot.replace(file) {
            problems.push(bad(
                name,
                0,
                format!(
                    "version {number} has two {} files: {} and {name}",
                    if up { "up" } else { "down" },
                    other.path
                ),
                "give each migration its own version",
            ));
        }
    }
    for (number, (title, up, down)) in found {
        let Some(up) = up else {
            let down = down.expect("a version has at least one file");
            problems.push(bad(
                &down.path,
                0,
                format!("{} has no up migration", down.path),
                "rename it to match its .up.sql file, or remove it",
            ));
            continue;
        };
        out.migrations.push(SourceMigration::new(
            number.to_string(),
            title.replace('_', " "),
            up.text.clone(),
            down.map(|d| d.text.clone()),
            true,
            up.path.clone(),
        ));
    }
    crate::outcome(out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_by_number() {
        let files = [
            SourceFile {
                path: "000001_a.up.sql".into(),
                text: "CREATE TABLE a ();".into(),
            },
            SourceFile {
                path: "000001_a.down.sql".into(),
                text: "DROP TABLE a;".into(),
            },
            SourceFile {
                path: "000002_b.up.sql".into(),
                text: "CREATE TABLE b ();".into(),
            },
            SourceFile {
                path: "000003_c.down.sql".into(),
                text: "DROP TABLE c;".into(),
            },
        ];
        let err = read(&files).err().unwrap();
        assert_eq!(err[0].file, "000003_c.down.sql");
        let read = read(&files[..3]).unwrap();
        assert_eq!(read.migrations[0].version, "1");
        assert_eq!(read.migrations[1].down, None);
    }
}
