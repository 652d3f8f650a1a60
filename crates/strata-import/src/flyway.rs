//! Flyway: versioned scripts `V<version>__<description>.sql` (`1_1` and `1.1` are the same
//! version), undo scripts `U<version>__<description>.sql` (the down), and per-script settings in
//! `<script>.conf` (`executeInTransaction=false`). Repeatable scripts (`R__…`) and callbacks
//! (`beforeMigrate.sql`, `afterMigrate.sql`, …) have no strata equivalent: they are left out
//! with a note. `flyway_schema_history` records a CRC32 of each script's lines.

use crate::{bad, Read, SourceFile, SourceMigration};
use std::collections::BTreeMap;
use strata_core::Diagnostic;

const CALLBACKS: &[&str] = &[
    "beforeMigrate",
    "beforeEachMigrate",
    "afterEachMigrate",
    "afterMigrate",
    "afterMigrateApplied",
    "afterVersioned",
    "beforeRepeatables",
    "afterMigrateError",
    "beforeClean",
    "afterClean",
    "beforeValidate",
    "afterValidate",
    "beforeBaseline",
    "afterBaseline",
    "beforeInfo",
    "afterInfo",
    "beforeRepair",
    "afterRepair",
    "beforeUndo",
    "afterUndo",
    "beforeEachUndo",
    "afterEachUndo",
    "beforeConnect",
    "afterConnect",
];

pub fn read(files: &[SourceFile]) -> Result<Read, Vec<Diagnostic>> {
    let mut out = Read::default();
    let mut problems = Vec::new();
    let confs: BTreeMap<&str, &SourceFile> = files
        .iter()
        .filter_map(|f| f.path.strip_suffix(".conf").map(|s| (s, f)))
        .collect();
    let mut undos: BTreeMap<String, &SourceFile> = BTreeMap::new();
    let mut versioned = Vec::new();
    for file in files.iter().filter(|f| f.path.ends_with(".sql")) {
        let name = file.path.rsplit('/').next().unwrap_or(&file.path);
        let stem = name.strip_suffix(".sql").unwrap_or(name);
        let callback = stem.split("__").next().unwrap_or(stem);
        if CALLBACKS.contains(&callback) {
            out.notes.push(format!(
                "{}: a Flyway callback, left out: strata runs no SQL around migrations; put what it does in a migration, or run it yourself around `strata upgrade`",
                file.path
            ));
            continue;
        }
        let Some((prefix, description)) = stem.split_once("__") else {
            out.notes
                .push(format!("{}: not a Flyway script name, left out", file.path));
            continue;
        };
        match prefix.chars().next() {
            Some('R') if prefix.len() == 1 => out.notes.push(format!(
                "{}: a repeatable script, left out: strata has no repeatable migrations; when it changes, write a migration that re-creates its objects (`strata revision`)",
                file.path
            )),
            Some('V' | 'U') if prefix.len() > 1 => {
                let version = prefix[1..].replace('_', ".");
                if !version.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                    problems.push(bad(
                        &file.path,
                        0,
                        format!("`{name}`: version `{}` is not numeric", &prefix[1..]),
                        "Flyway versions are numbers separated by dots or underscores (V1_2__name.sql)",
                    ));
                    continue;
                }
                if prefix.starts_with('U') {
                    undos.insert(normal(&version), file);
                } else {
                    versioned.push((version, description, file));
                }
            }
            _ => out.notes.push(format!("{}: not a Flyway script name, left out", file.path)),
        }
    }
    for (version, description, file) in versioned {
        let mut transaction = true;
        if let Some(conf) = confs.get(file.path.as_str()) {
            for (i, line) in conf.text.lines().enumerate() {
                let Some((key, value)) = line.split_once('=') else {
                    continue;
                };
                if key.trim() == "executeInTransaction" {
                    match value.trim() {
                        "false" => transaction = false,
                        "true" => transaction = true,
                        other => problems.push(bad(
                            &conf.path,
                            i + 1,
                            format!("executeInTransaction must be true or false, not `{other}`"),
                            "write executeInTransaction=false",
                        )),
                    }
                }
            }
        }
        let down = undos.remove(&normal(&version)).map(|u| u.text.clone());
        out.migrations.push(SourceMigration {
            name: description.replace('_', " "),
            up: file.text.clone(),
            down,
            transaction,
            path: file.path.clone(),
            tool_checksum: Some(checksum(&file.text).to_string()),
            depends_on: Vec::new(),
            version,
        });
    }
    for (_, undo) in undos {
        problems.push(bad(
            &undo.path,
            0,
            format!("{} undoes a version that has no V script", undo.path),
            "rename it to the version of its V script, or remove it",
        ));
    }
    crate::outcome(out, problems)
}

/// `1.0.10` and `1.0.010` are one version; trailing `.0`s do not count.
fn normal(version: &str) -> String {
    let mut parts: Vec<String> = version
        .split('.')
        .map(|p| {
            let p = p.trim_start_matches('0');
            if p.is_empty() { "0" } else { p }.to_owned()
        })
        .collect();
    while parts.len() > 1 && parts.last().map(String::as_str) == Some("0") {
        parts.pop();
    }
    parts.join(".")
}

/// Flyway's checksum of a script: CRC32 over its lines without their line breaks (a leading
/// byte-order mark removed), as a signed 32-bit integer.
pub fn checksum(text: &str) -> i32 {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut crc = Crc32::default();
    for line in text.split(['\n', '\r']) {
        crc.update(line.as_bytes());
    }
    crc.finish() as i32
}

struct Crc32 {
    value: u32,
    table: [u32; 256],
}

impl Default for Crc32 {
    fn default() -> Crc32 {
        let mut table = [0u32; 256];
        for (i, slot) in table.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        Crc32 {
            value: 0xFFFF_FFFF,
            table,
        }
    }
}

impl Crc32 {
    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.value =
                self.table[((self.value ^ u32::from(b)) & 0xFF) as usize] ^ (self.value >> 8);
        }
    }

    fn finish(&self) -> u32 {
        self.value ^ 0xFFFF_FFFF
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::source_file as f;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        let mut crc = Crc32::default();
        crc.update(b"123456789");
        assert_eq!(crc.finish(), 0xCBF4_3926);
        // Line breaks do not count, so CRLF and LF files have one checksum.
        assert_eq!(checksum("a\r\nb\r\n"), checksum("a\nb"));
    }

    #[test]
    fn scripts_undos_repeatables_and_callbacks() {
        let read = read(&[
            f("V1__create.sql", "CREATE TABLE a ();"),
            f("U1__create.sql", "DROP TABLE a;"),
            f("V1_1__index.sql", "CREATE INDEX CONCURRENTLY i ON a (x);"),
            f("V1_1__index.sql.conf", "executeInTransaction=false\n"),
            f("R__views.sql", "CREATE OR REPLACE VIEW v AS SELECT 1;"),
            f("afterMigrate.sql", "ANALYZE;"),
        ])
        .unwrap();
        assert_eq!(read.migrations.len(), 2);
        assert_eq!(read.migrations[0].down.as_deref(), Some("DROP TABLE a;"));
        assert_eq!(read.migrations[1].version, "1.1");
        assert!(!read.migrations[1].transaction);
        assert_eq!(read.notes.len(), 2);
        assert!(read.notes[0].contains("repeatable") || read.notes[1].contains("repeatable"));
    }
}
