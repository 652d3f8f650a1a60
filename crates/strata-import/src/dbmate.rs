//! dbmate: `VERSION_name.sql` with `-- migrate:up` and `-- migrate:down` sections, each of which
//! may say `transaction:false`. `schema_migrations` holds one row per applied version.

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
                .push(format!("{name}: not a dbmate migration, left out"));
            continue;
        };
        if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
            out.notes
                .push(format!("{name}: no numeric version, left out"));
            continue;
        }
        let mut up: Option<(usize, String, bool)> = None;
        let mut down: Option<(usize, String, bool)> = None;
        let mut current: Option<bool> = None; // Some(true) = up
        for (i, line) in file.text.split_inclusive('\n').enumerate() {
            let trimmed = line.trim();
            let marker = trimmed
                .strip_prefix("--")
                .map(str::trim_start)
                .and_then(|t| t.strip_prefix("migrate:"));
            if let Some(marker) = marker {
                let mut words = marker.split_whitespace();
                let which = words.next().unwrap_or("");
                let transaction = !words.any(|w| w == "transaction:false");
                match which {
                    "up" if up.is_none() => {
                        up = Some((i + 1, String::new(), transaction));
                        current = Some(true);
                    }
                    "down" if down.is_none() => {
                        down = Some((i + 1, String::new(), transaction));
                        current = Some(false);
                    }
                    other => problems.push(bad(
                        name,
                        i + 1,
                        format!("unexpected `-- migrate:{other}` marker"),
                        "a dbmate file has one `-- migrate:up` and at most one `-- migrate:down`",
                    )),
                }
                continue;
            }
            match current {
                Some(true) => up.as_mut().expect("up").1.push_str(line),
                Some(false) => down.as_mut().expect("down").1.push_str(line),
                None => {}
            }
        }
        let Some((_, up_sql, up_tx)) = up else {
            problems.push(bad(
                name,
                1,
                "no `-- migrate:up` marker".to_owned(),
                "dbmate files start their up section with `-- migrate:up`",
            ));
            continue;
        };
        let transaction = up_tx && !matches!(down, Some((_, _, false)));
        out.migrations.push(SourceMigration::new(
            version.to_owned(),
            rest.replace('_', " "),
            up_sql,
            down.map(|d| d.1),
            transaction,
            name.to_owned(),
        ));
    }
    crate::outcome(out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_transaction_flag() {
        let read = read(&[crate::source_file("20240101000000_idx.sql", "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (x);\n\n-- migrate:down\nDROP INDEX i;\n")])
        .unwrap();
        let m = &read.migrations[0];
        assert!(!m.transaction);
        assert_eq!(m.up.trim(), "CREATE INDEX CONCURRENTLY i ON t (x);");
        assert_eq!(m.down.as_deref().map(str::trim), Some("DROP INDEX i;"));
    }
}
