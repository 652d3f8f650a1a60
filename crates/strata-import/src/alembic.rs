//! Alembic: the revision graph is read from the scripts in `versions/` (`revision`,
//! `down_revision`, `branch_labels`, `depends_on`, the docstring's first line as the message);
//! the SQL comes from Alembic's own offline mode, which the caller runs with the user's `env.py`
//! (`alembic upgrade heads --sql` and `alembic downgrade heads:base --sql`) and passes here:
//! [`split_offline`] cuts it at Alembic's `-- Running upgrade A -> B` comments and leaves out
//! Alembic's own statements (its transaction, the `alembic_version` table). The graph is kept
//! exactly: `down_revision` becomes `-- strata:revises` (merges included), `branch_labels`
//! `-- strata:labels`, `depends_on` `-- strata:depends-on`.

use crate::{bad, Converted, Import, NO_DOWN};
use std::collections::BTreeMap;
use strata_core::{sql, Checksum, Diagnostic};

/// One revision script's header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Revision {
    pub id: String,
    pub down: Vec<String>,
    pub labels: Vec<String>,
    pub depends_on: Vec<String>,
    pub message: String,
    pub path: String,
}

/// Reads the revision scripts (`*.py` under the versions folder, paths relative to it).
pub fn revisions(files: &[crate::SourceFile]) -> Result<Vec<Revision>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for file in files.iter().filter(|f| f.path.ends_with(".py")) {
        let mut rev = Revision {
            path: file.path.clone(),
            message: docstring(&file.text),
            ..Revision::default()
        };
        let mut found = false;
        for (i, line) in file.text.lines().enumerate() {
            let Some((key, value)) = assignment(line) else {
                continue;
            };
            let values = match strings(value) {
                Ok(v) => v,
                Err(()) => {
                    if matches!(
                        key,
                        "revision" | "down_revision" | "branch_labels" | "depends_on"
                    ) {
                        problems.push(bad(
                            &file.path,
                            i + 1,
                            format!("cannot read `{key}` as a string, a tuple of strings or None"),
                            "write it as a literal (e.g. down_revision = \"ae1027a6acf\")",
                        ));
                    }
                    continue;
                }
            };
            match key {
                "revision" => {
                    found = true;
                    rev.id = values.into_iter().next().unwrap_or_default();
                }
                "down_revision" => rev.down = values,
                "branch_labels" => rev.labels = values,
                "depends_on" => rev.depends_on = values,
                _ => {}
            }
        }
        if found && !rev.id.is_empty() {
            out.push(rev);
        }
    }
    crate::outcome(out, problems)
}

/// `key = value` or `key: Type = value` at the start of a line.
fn assignment(line: &str) -> Option<(&str, &str)> {
    let (left, value) = line.split_once('=')?;
    let key = left.split(':').next()?.trim();
    if line.starts_with(char::is_whitespace) || key.is_empty() || value.starts_with('=') {
        return None;
    }
    Some((key, value.trim()))
}

/// `None`, `'a'`, `"a"`, `('a', 'b')`, `['a']`, `("a",)`.
fn strings(value: &str) -> Result<Vec<String>, ()> {
    let value = value.split(" #").next().unwrap_or(value).trim();
    if value == "None" {
        return Ok(Vec::new());
    }
    let inner = value
        .strip_prefix(['(', '['])
        .and_then(|v| v.strip_suffix([')', ']']))
        .unwrap_or(value);
    let mut out = Vec::new();
    for part in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let unquoted = part
            .strip_prefix('\'')
            .and_then(|p| p.strip_suffix('\''))
            .or_else(|| part.strip_prefix('"').and_then(|p| p.strip_suffix('"')))
            .ok_or(())?;
        out.push(unquoted.to_owned());
    }
    Ok(out)
}

fn docstring(text: &str) -> String {
    let text = text.trim_start();
    for quote in ["\"\"\"", "'''"] {
        if let Some(rest) = text.strip_prefix(quote) {
            return rest.lines().next().unwrap_or("").trim().to_owned();
        }
    }
    String::new()
}

/// Cuts Alembic's offline SQL (`--sql`) into the SQL of each revision: upgrade chunks under
/// `-- Running upgrade A -> B` belong to B, downgrade chunks under `-- Running downgrade B -> A`
/// to B. Alembic's `BEGIN;`/`COMMIT;`, its `alembic_version` statements and the empty statements
/// it leaves (`;;`) are removed; comments stay.
pub fn split_offline(offline: &str) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut skipping = false;
    for line in offline.lines() {
        let trimmed = line.trim();
        let marker = trimmed
            .strip_prefix("-- Running upgrade ")
            .map(|r| r.rsplit_once("->").map(|(_, to)| to))
            .or_else(|| {
                trimmed
                    .strip_prefix("-- Running downgrade ")
                    .map(|r| r.split_once("->").map(|(from, _)| from))
            });
        if let Some(Some(rev)) = marker {
            current = Some(rev.split(',').next().unwrap_or("").trim().to_owned());
            continue;
        }
        if skipping {
            skipping = !trimmed.ends_with(';');
            continue;
        }
        let upper = trimmed.to_ascii_uppercase();
        if matches!(upper.as_str(), "BEGIN;" | "COMMIT;")
            || upper.starts_with("INFO ")
            || upper.contains("ALEMBIC_VERSION")
                && [
                    "INSERT ",
                    "UPDATE ",
                    "DELETE ",
                    "CREATE TABLE ",
                    "DROP TABLE ",
                ]
                .iter()
                .any(|p| upper.starts_with(p))
        {
            skipping = !trimmed.ends_with(';');
            continue;
        }
        let Some(rev) = &current else { continue };
        let text = out.entry(rev.clone()).or_default();
        let line = line
            .strip_suffix(";;")
            .map_or(line.to_owned(), |l| format!("{l};"));
        text.push_str(&line);
        text.push('\n');
    }
    out
}

/// The strata files of Alembic's revisions, given the offline SQL of both directions.
pub fn convert(
    revisions: &[Revision],
    upgrade_sql: &str,
    downgrade_sql: &str,
) -> Result<Import, Vec<Diagnostic>> {
    let ups = split_offline(upgrade_sql);
    let downs = split_offline(downgrade_sql);
    let known: std::collections::BTreeSet<&str> = revisions.iter().map(|r| r.id.as_str()).collect();
    let mut problems = Vec::new();
    let mut out = Import::default();
    // Parents before children, ties by id, as strata orders them.
    let mut done: std::collections::BTreeSet<String> = Default::default();
    let mut pending: Vec<&Revision> = revisions.iter().collect();
    pending.sort_by(|a, b| a.id.cmp(&b.id));
    while !pending.is_empty() {
        let before = pending.len();
        let mut i = 0;
        while i < pending.len() {
            let r = pending[i];
            if r.down
                .iter()
                .chain(&r.depends_on)
                .all(|p| done.contains(p) || !known.contains(p.as_str()))
            {
                for p in r.down.iter().chain(&r.depends_on) {
                    if !known.contains(p.as_str()) {
                        problems.push(bad(
                            &r.path,
                            0,
                            format!("revision {} refers to {p}, which no script defines", r.id),
                            "use full revision ids in down_revision and depends_on (labels and prefixes are not resolved)",
                        ));
                    }
                }
                out.migrations
                    .push(render(r, ups.get(&r.id), downs.get(&r.id)));
                done.insert(r.id.clone());
                pending.remove(i);
            } else {
                i += 1;
            }
        }
        if pending.len() == before {
            for r in pending {
                problems.push(bad(
                    &r.path,
                    0,
                    format!("revision {} is in a cycle", r.id),
                    "fix down_revision",
                ));
            }
            break;
        }
    }
    for r in revisions {
        if !r.id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            problems.push(bad(
                &r.path,
                0,
                format!("revision id `{}` is not letters and digits", r.id),
                "strata ids are letters and digits; rename the revision before importing",
            ));
        }
    }
    crate::outcome(out, problems)
}

fn render(r: &Revision, up: Option<&String>, down: Option<&String>) -> Converted {
    let up = up.map(String::as_str).unwrap_or("");
    let down = down
        .map(String::as_str)
        .filter(|d| !sql::split(d, 1).is_empty());
    // A merge (or any revision without SQL) needs no down to be reverted.
    let irreversible = down.is_none() && !sql::split(up, 1).is_empty();
    let mut text = String::new();
    if !r.message.is_empty() {
        text.push_str(&format!("-- strata:message {}\n", r.message));
    }
    for (key, list) in [
        ("revises", &r.down),
        ("labels", &r.labels),
        ("depends-on", &r.depends_on),
    ] {
        if !list.is_empty() {
            text.push_str(&format!("-- strata:{key} {}\n", list.join(" ")));
        }
    }
    if irreversible {
        text.push_str(&format!("-- strata:irreversible {NO_DOWN}\n"));
    }
    text.push_str(&format!(
        "-- strata:imported-from {}\n\n-- strata:up\n",
        r.path
    ));
    crate::push_body(&mut text, up);
    text.push_str("\n-- strata:down\n");
    if let Some(down) = down {
        crate::push_body(&mut text, down);
    }
    let slug = strata_files::slugify(if r.message.is_empty() {
        &r.id
    } else {
        &r.message
    });
    Converted {
        id: r.id.clone(),
        version: r.id.clone(),
        file_name: format!("{}_{slug}.sql", r.id),
        checksum: Checksum::of_text(&text),
        text,
        tool_checksum: None,
        source_path: r.path.clone(),
        revises: r.down.clone(),
        depends_on: r.depends_on.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_offline_sql() {
        let revs = revisions(&[crate::source_file("c_merge.py", "\"\"\"merge heads\n\"\"\"\nrevision: str = 'c'\ndown_revision: Union[str, None] = ('a', \"b\")\nbranch_labels = None\ndepends_on = ['a']\n")])
        .unwrap();
        assert_eq!(revs[0].down, ["a", "b"]);
        assert_eq!(revs[0].depends_on, ["a"]);
        assert_eq!(revs[0].message, "merge heads");
        let chunks = split_offline("BEGIN;\n\nCREATE TABLE alembic_version (\n    version_num VARCHAR(32) NOT NULL\n);\n\n-- Running upgrade  -> a\n\nCREATE TABLE t (x text DEFAULT ';');;\n\nINSERT INTO alembic_version (version_num) VALUES ('a') RETURNING alembic_version.version_num;\n\n-- Running upgrade a -> b\n\nCOMMIT;\n\nCREATE INDEX CONCURRENTLY i ON t (x);\n\nBEGIN;\n\nUPDATE alembic_version SET version_num='b' WHERE alembic_version.version_num = 'a';\n\nCOMMIT;\n");
        assert_eq!(chunks["a"].trim(), "CREATE TABLE t (x text DEFAULT ';');");
        assert_eq!(chunks["b"].trim(), "CREATE INDEX CONCURRENTLY i ON t (x);");
    }
}
