//! maragudk/migrate (Go; used by Harness): `NAME.up.sql` and `NAME.down.sql`, where the version is
//! the whole name before `.up.sql` and versions are ordered as text. Its file pattern
//! `^([\w-]+).up.sql$` has an unescaped dot, so `NAME_up.sql` / `NAME_down.sql` count too. Each
//! file runs in a transaction with the version update. The table `migrations (version)` holds
//! one row: the last version applied. A down whose version has no up is never run by the tool
//! and is left out with a notice.

use crate::{Read, SourceFile, SourceMigration};
use std::collections::BTreeMap;
use strata_core::Diagnostic;

fn version_of<'a>(name: &'a str, side: &str) -> Option<&'a str> {
    let stem = name.strip_suffix(".sql")?;
    let stem = stem.strip_suffix(side)?;
    let version = stem.strip_suffix(['.', '_', '-'])?;
    // `[\w-]+`, and the character before the side is any one character.
    (!version.is_empty()
        && version
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-'))
    .then_some(version)
}

pub fn read(files: &[SourceFile]) -> Result<Read, Vec<Diagnostic>> {
    let mut out = Read::default();
    let mut ups: BTreeMap<&str, &SourceFile> = BTreeMap::new();
    let mut downs: BTreeMap<&str, &SourceFile> = BTreeMap::new();
    for file in files {
        let name = file.path.as_str();
        if name.contains('/') {
            out.notes.push(format!("{name}: in a subfolder, left out"));
        } else if let Some(v) = version_of(name, "up") {
            ups.insert(v, file);
        } else if let Some(v) = version_of(name, "down") {
            downs.insert(v, file);
        } else {
            out.notes
                .push(format!("{name}: not an up or down file, left out"));
        }
    }
    for (version, down) in &downs {
        if !ups.contains_key(version) {
            out.notes.push(format!(
                "{}: a down for version {version}, which has no up file, left out (the tool never runs it)",
                down.path
            ));
        }
    }
    for (version, up) in ups {
        let name = version
            .split_once('_')
            .map_or(version, |(_, rest)| rest)
            .replace('_', " ");
        out.migrations.push(SourceMigration::new(
            version.to_owned(),
            name,
            up.text.clone(),
            downs.get(version).map(|d| d.text.clone()),
            true,
            up.path.clone(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_the_tools_loose_dot() {
        let f = |p: &str| SourceFile {
            path: p.into(),
            text: "SELECT 1;".into(),
        };
        let read = read(&[
            f("0001_a.up.sql"),
            f("0001_a.down.sql"),
            f("0021_b_up.sql"),
            f("0021_b_down.sql"),
            f("0026_c.up.sql"),
            f("0026_typo.down.sql"),
        ])
        .unwrap();
        let versions: Vec<&str> = read.migrations.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(versions, ["0001_a", "0021_b", "0026_c"]);
        assert!(read.migrations[1].down.is_some());
        assert!(read.migrations[2].down.is_none());
        assert!(read.notes[0].contains("0026_typo.down.sql"));
    }
}
