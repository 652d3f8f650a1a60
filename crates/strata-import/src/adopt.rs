//! Adoption: from the rows of the source tool's own table to strata's version and history rows.
//!
//! The caller runs [`source_query`] and passes the rows back as text; [`plan`] matches them with
//! the converted migrations and reports what cannot be adopted without guessing (a dirty or failed
//! run, a row the folder no longer has, a gap, a file changed since it was applied);
//! [`adopt_sql`] renders the rows to write. Nothing of the source tool is changed.

use crate::{Converted, Format, Import};
use std::collections::HashMap;
use strata_core::{quote_literal, QualifiedName};
use strata_engine::StateTables;

/// One applied migration as the source tool recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedRow {
    pub version: String,
    /// As PostgreSQL prints a `timestamptz`.
    pub applied_at: Option<String>,
    pub applied_by: Option<String>,
    pub checksum: Option<String>,
    /// Why this row is applied without having run (Flyway's baseline).
    pub note: Option<String>,
}

/// Something that stops adoption; each names the version and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// golang-migrate's `dirty` flag: a run failed halfway at this version.
    Dirty { version: String },
    /// A failed run the tool recorded (sqlx, Flyway `success = false`).
    Failed { version: String },
    /// Applied, but no file of the folder has this version.
    Extra { version: String },
    /// In the folder and not applied, although a later version is.
    Gap {
        version: String,
        path: String,
        later: String,
    },
    /// The file changed since the tool applied it.
    Changed {
        version: String,
        path: String,
        recorded: String,
        file: String,
    },
}

impl Problem {
    /// One line for the user, with what to do.
    pub fn describe(&self, format: Format) -> String {
        let tool = format.name();
        match self {
            Problem::Dirty { version } => format!(
                "version {version} is marked dirty: a {tool} run failed halfway through it; repair the database and clear the flag (`migrate force {version}` once the database matches it), then adopt"
            ),
            Problem::Failed { version } => format!(
                "version {version} is recorded as failed; repair it with {tool} (e.g. `flyway repair`, or delete the failed row) before adopting"
            ),
            Problem::Extra { version } => format!(
                "version {version} is applied but no file of the folder has it; restore the file, or remove the row from the {tool} table if it was never meant to stay"
            ),
            Problem::Gap { version, path, later } => format!(
                "version {version} ({path}) is not applied although the later {later} is; apply it with {tool} first, or move it after the applied versions"
            ),
            Problem::Changed {
                version,
                path,
                recorded,
                file,
            } => format!(
                "{path} (version {version}) changed since {tool} applied it: checksum {recorded} recorded, {file} now; restore the applied text, or adopt and then accept the edit with `strata verify --accept`"
            ),
        }
    }
}

/// What adoption writes: the converted migrations that are applied, with the source's rows, in
/// order; and the problems that stop it.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Indexes into [`Import::migrations`], with the source row of each.
    pub stamps: Vec<(usize, AppliedRow)>,
    /// The revisions strata's version table gets: the last applied one (Alembic: the heads
    /// `alembic_version` lists).
    pub heads: Vec<String>,
    pub problems: Vec<Problem>,
}

impl Plan {
    /// The last applied migration.
    pub fn head<'i>(&self, import: &'i Import) -> Option<&'i Converted> {
        self.stamps.last().map(|(i, _)| &import.migrations[*i])
    }
}

/// The query that reads the tool's table `table` (as written: `name` or `schema.name`). Its rows
/// are `version, applied_at, applied_by, checksum, ok, kind`, all text, in the order the tool
/// applied them; [`plan`] reads them.
pub fn source_query(format: Format, table: &str) -> String {
    let t = QualifiedName::parse(table);
    match format {
        Format::Diesel => format!(
            "SELECT version::text, run_on::timestamptz::text, NULL, NULL, 't', NULL FROM {t} ORDER BY run_on, version"
        ),
        Format::Sqlx => format!(
            "SELECT version::text, installed_on::text, NULL, encode(checksum, 'hex'), success::text, NULL FROM {t} ORDER BY version"
        ),
        Format::GolangMigrate => {
            format!("SELECT version::text, NULL, NULL, NULL, (NOT dirty)::text, NULL FROM {t}")
        }
        Format::Dbmate => {
            format!("SELECT version::text, NULL, NULL, NULL, 't', NULL FROM {t} ORDER BY version")
        }
        Format::Goose => format!(
            "SELECT version_id::text, tstamp::timestamptz::text, NULL, NULL, is_applied::text, NULL FROM {t} ORDER BY id"
        ),
        Format::MaragudkMigrate => {
            format!("SELECT version::text, NULL, NULL, NULL, 't', NULL FROM {t}")
        }
        Format::LiquibaseSql => format!(
            "SELECT author || ':' || id, dateexecuted::timestamptz::text, NULL, NULL, (exectype <> 'FAILED')::text, exectype FROM {t} ORDER BY orderexecuted, dateexecuted"
        ),
        Format::Alembic => format!(
            "SELECT version_num::text, NULL, NULL, NULL, 't', NULL FROM {t} ORDER BY version_num"
        ),
        Format::Sqitch => format!(
            "SELECT change, committed_at::text, committer_name, NULL, 't', project FROM {t} ORDER BY committed_at, change"
        ),
        Format::Flyway => format!(
            "SELECT version, installed_on::timestamptz::text, installed_by, checksum::text, success::text, type FROM {t} WHERE version IS NOT NULL ORDER BY installed_rank"
        ),
    }
}

/// The query that says whether `table` exists (one row, `t` or `f`).
pub fn exists_query(table: &str) -> String {
    format!(
        "SELECT (to_regclass({}) IS NOT NULL)::text",
        quote_literal(&QualifiedName::parse(table).to_string())
    )
}

/// A normal form of a version for matching rows with files: numeric versions without leading
/// zeros or trailing `.0`s (Flyway, golang-migrate, goose), others as they are.
pub fn version_key(version: &str) -> String {
    let numeric = !version.is_empty()
        && version
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'_');
    if !numeric {
        return version.to_owned();
    }
    let mut parts: Vec<&str> = version
        .split(['.', '_'])
        .map(|p| {
            let p = p.trim_start_matches('0');
            if p.is_empty() {
                "0"
            } else {
                p
            }
        })
        .collect();
    while parts.len() > 1 && parts.last() == Some(&"0") {
        parts.pop();
    }
    parts.join(".")
}

fn is_true(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("t" | "true"))
}

/// Matches the tool's rows (as [`source_query`] returns them) with the converted migrations.
/// For a tool that keeps one row, its latest version: `entry` again for every migration whose
/// version `up_to` accepts (those it counts as applied), keyed by version.
fn applied_up_to(
    import: &Import,
    entry: &AppliedRow,
    applied: &mut Vec<(String, AppliedRow)>,
    up_to: impl Fn(&str) -> bool,
) {
    for m in &import.migrations {
        if up_to(&m.version) {
            applied.push((
                version_key(&m.version),
                AppliedRow {
                    version: m.version.clone(),
                    ..entry.clone()
                },
            ));
        }
    }
}

pub fn plan(format: Format, import: &Import, rows: &[Vec<Option<String>>]) -> Plan {
    let col = |row: &Vec<Option<String>>, i: usize| row.get(i).cloned().flatten();
    let index: HashMap<String, usize> = import
        .migrations
        .iter()
        .enumerate()
        .map(|(i, m)| (version_key(&m.version), i))
        .collect();
    let mut plan = Plan::default();
    if format == Format::Alembic {
        return alembic_plan(import, rows, &index);
    }
    // version key -> row, in the order applied; removed again by a rollback (goose, Flyway undo).
    let mut applied: Vec<(String, AppliedRow)> = Vec::new();
    let mut baseline: Option<(String, AppliedRow)> = None;
    for row in rows {
        let Some(version) = col(row, 0) else { continue };
        let key = version_key(&version);
        let entry = AppliedRow {
            version: version.clone(),
            applied_at: col(row, 1),
            applied_by: col(row, 2),
            checksum: col(row, 3),
            note: None,
        };
        let ok = is_true(&col(row, 4));
        let kind = col(row, 5).unwrap_or_default();
        match format {
            Format::GolangMigrate => {
                if !ok {
                    plan.problems.push(Problem::Dirty { version });
                    continue;
                }
                // One row: every version up to it is applied.
                applied_up_to(import, &entry, &mut applied, |v| {
                    crate::compare_versions(v, &version).is_le()
                });
                if !index.contains_key(&key) {
                    plan.problems.push(Problem::Extra { version });
                }
                continue;
            }
            Format::MaragudkMigrate => {
                // One row: every version up to it (as text) is applied.
                applied_up_to(import, &entry, &mut applied, |v| v <= version.as_str());
                if !index.contains_key(&key) {
                    plan.problems.push(Problem::Extra { version });
                }
                continue;
            }
            // Another project's change in the same registry.
            Format::Sqitch if import.project.as_deref().is_some_and(|p| p != kind) => continue,
            Format::Goose => {
                if key == "0" {
                    continue; // goose's own first row
                }
                applied.retain(|(k, _)| *k != key);
                if ok {
                    applied.push((key, entry));
                }
                continue;
            }
            Format::Flyway => match kind.as_str() {
                "BASELINE" => {
                    baseline = Some((key, entry));
                    continue;
                }
                "UNDO_SQL" | "UNDO_JDBC" | "UNDO_SCRIPT" => {
                    if ok {
                        applied.retain(|(k, _)| *k != key);
                    }
                    continue;
                }
                "DELETE" => {
                    applied.retain(|(k, _)| *k != key);
                    continue;
                }
                _ => {}
            },
            _ => {}
        }
        if !ok {
            plan.problems.push(Problem::Failed { version });
            continue;
        }
        applied.retain(|(k, _)| *k != key);
        applied.push((key, entry));
    }
    if let Some((key, row)) = baseline {
        // Flyway's baseline: the versions up to it count as applied without having run.
        for m in &import.migrations {
            let k = version_key(&m.version);
            if crate::compare_versions(&m.version, &row.version).is_le()
                && !applied.iter().any(|(a, _)| *a == k)
            {
                applied.push((
                    k,
                    AppliedRow {
                        version: m.version.clone(),
                        checksum: None,
                        note: Some(format!("below Flyway's baseline {}", row.version)),
                        ..row.clone()
                    },
                ));
            }
        }
        let _ = key;
    }
    let mut stamps: Vec<(usize, AppliedRow)> = Vec::new();
    for (key, row) in applied {
        match index.get(&key) {
            Some(&i) => stamps.push((i, row)),
            None if matches!(format, Format::GolangMigrate | Format::MaragudkMigrate) => {}
            None => plan.problems.push(Problem::Extra {
                version: row.version,
            }),
        }
    }
    stamps.sort_by_key(|(i, _)| *i);
    stamps.dedup_by_key(|(i, _)| *i);
    if let Some(&(last, _)) = stamps.last() {
        let done: std::collections::HashSet<usize> = stamps.iter().map(|(i, _)| *i).collect();
        let later = &import.migrations[last].version;
        for (i, m) in import.migrations.iter().enumerate().take(last) {
            if !done.contains(&i) {
                plan.problems.push(Problem::Gap {
                    version: m.version.clone(),
                    path: m.source_path.clone(),
                    later: later.clone(),
                });
            }
        }
    }
    for (i, row) in &stamps {
        let m = &import.migrations[*i];
        if let (Some(recorded), Some(file)) = (&row.checksum, &m.tool_checksum) {
            if !recorded.eq_ignore_ascii_case(file) {
                plan.problems.push(Problem::Changed {
                    version: m.version.clone(),
                    path: m.source_path.clone(),
                    recorded: recorded.clone(),
                    file: file.clone(),
                });
            }
        }
    }
    plan.stamps = stamps;
    plan.heads = plan
        .head(import)
        .map(|m| m.id.clone())
        .into_iter()
        .collect();
    plan
}

/// Alembic: `alembic_version` lists the heads; what is applied is their ancestors and
/// dependencies.
fn alembic_plan(
    import: &Import,
    rows: &[Vec<Option<String>>],
    index: &HashMap<String, usize>,
) -> Plan {
    let mut plan = Plan::default();
    let by_id: HashMap<&str, usize> = import
        .migrations
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.as_str(), i))
        .collect();
    let mut applied = std::collections::BTreeSet::new();
    let mut stack = Vec::new();
    for row in rows {
        let Some(Some(version)) = row.first() else {
            continue;
        };
        match index.get(&version_key(version)) {
            Some(&i) => {
                plan.heads.push(import.migrations[i].id.clone());
                stack.push(i);
            }
            None => plan.problems.push(Problem::Extra {
                version: version.clone(),
            }),
        }
    }
    while let Some(i) = stack.pop() {
        if applied.insert(i) {
            let m = &import.migrations[i];
            for p in m.revises.iter().chain(&m.depends_on) {
                if let Some(&j) = by_id.get(p.as_str()) {
                    stack.push(j);
                }
            }
        }
    }
    plan.stamps = applied
        .into_iter()
        .map(|i| {
            (
                i,
                AppliedRow {
                    version: import.migrations[i].version.clone(),
                    applied_at: None,
                    applied_by: None,
                    checksum: None,
                    note: None,
                },
            )
        })
        .collect();
    plan
}

/// The strata file of a converted migration as loaded from the migrations folder: its checksum
/// and parents (which are what verify compares, so they come from the file on disk).
pub struct Written<'a> {
    pub checksum: &'a str,
    pub parents: &'a [String],
}

/// The SQL (PostgreSQL) that creates strata's tables when missing and writes one `stamp` row per
/// applied migration, with the source's time and user where it has them, and the version row.
/// One transaction.
pub fn adopt_sql<'a>(
    tables: &StateTables,
    import: &Import,
    plan: &Plan,
    source: &str,
    client: &str,
    written: impl Fn(&str) -> Option<Written<'a>>,
) -> String {
    let mut sql = String::from("BEGIN;\n");
    sql.push_str(&strata_engine::state::create_tables_sql(
        strata_core::Dialect::Postgres,
        tables,
    ));
    sql.push('\n');
    let mut values = Vec::with_capacity(plan.stamps.len());
    for (i, row) in &plan.stamps {
        let m = &import.migrations[*i];
        let file = written(&m.id);
        let parents = file
            .as_ref()
            .map(|f| f.parents.join(" "))
            .unwrap_or_else(|| m.revises.join(" "));
        let checksum = file
            .as_ref()
            .map(|f| f.checksum.to_owned())
            .unwrap_or_else(|| m.checksum.to_string());
        let mut message = format!(
            "adopted from {source}: version {} ({})",
            m.version, m.source_path
        );
        if let Some(note) = &row.note {
            message.push_str(&format!(", {note}"));
        }
        let at = row
            .applied_at
            .as_deref()
            .map(|t| format!("{}::timestamptz", quote_literal(t)))
            .unwrap_or_else(|| "now()".to_owned());
        let by = match &row.applied_by {
            Some(user) => quote_literal(&format!("{user} ({client})")),
            None => format!("current_user || {}", quote_literal(&format!(" ({client})"))),
        };
        values.push(format!(
            "({}, {}, 'stamp', {}, {}, {at}, {by}, 0, {})",
            quote_literal(&m.id),
            quote_literal(&parents),
            quote_literal(&message),
            quote_literal(&checksum),
            quote_literal(env!("CARGO_PKG_VERSION")),
        ));
    }
    if !values.is_empty() {
        sql.push_str(&format!(
            "INSERT INTO {} (revision, parents, kind, message, checksum, applied_at, applied_by, execution_ms, strata_version) VALUES\n{};\n",
            tables.history,
            values.join(",\n")
        ));
    }
    if let Some(head) = plan.head(import) {
        sql.push_str(&strata_engine::state::set_heads_sql(
            tables,
            &[],
            &[&head.id],
        ));
        sql.push('\n');
    }
    sql.push_str("COMMIT;");
    sql
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{convert, SourceFile};

    fn import(format: Format, names: &[&str]) -> Import {
        let files: Vec<SourceFile> = names
            .iter()
            .map(|n| SourceFile {
                path: (*n).to_owned(),
                text: "-- +goose Up\n-- migrate:up\nSELECT 1;\n".to_owned(),
            })
            .collect();
        convert(format, &files).unwrap()
    }

    fn row(cells: &[Option<&str>]) -> Vec<Option<String>> {
        cells.iter().map(|c| c.map(str::to_owned)).collect()
    }

    #[test]
    fn golang_migrate_applies_up_to_its_row_and_refuses_dirty() {
        let imp = import(
            Format::GolangMigrate,
            &["1_a.up.sql", "2_b.up.sql", "3_c.up.sql"],
        );
        let p = plan(
            Format::GolangMigrate,
            &imp,
            &[row(&[Some("2"), None, None, None, Some("true"), None])],
        );
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.head(&imp).unwrap().id, "2");
        assert_eq!(p.stamps.len(), 2);
        let p = plan(
            Format::GolangMigrate,
            &imp,
            &[row(&[Some("2"), None, None, None, Some("false"), None])],
        );
        assert_eq!(
            p.problems,
            vec![Problem::Dirty {
                version: "2".into()
            }]
        );
    }

    #[test]
    fn gaps_and_extra_rows_are_reported() {
        let imp = import(Format::Dbmate, &["1_a.sql", "2_b.sql", "3_c.sql"]);
        let r = |v| row(&[Some(v), None, None, None, Some("t"), None]);
        let p = plan(Format::Dbmate, &imp, &[r("1"), r("3"), r("9")]);
        assert_eq!(
            p.problems,
            vec![
                Problem::Extra {
                    version: "9".into()
                },
                Problem::Gap {
                    version: "2".into(),
                    path: "2_b.sql".into(),
                    later: "3".into()
                }
            ]
        );
    }

    #[test]
    fn goose_rollbacks_unapply() {
        let imp = import(Format::Goose, &["1_a.sql", "2_b.sql"]);
        let r = |v, ok| {
            row(&[
                Some(v),
                Some("2024-01-01 00:00:00+00"),
                None,
                None,
                Some(ok),
                None,
            ])
        };
        let p = plan(
            Format::Goose,
            &imp,
            &[r("0", "t"), r("1", "t"), r("2", "t"), r("2", "f")],
        );
        assert!(p.problems.is_empty());
        assert_eq!(p.head(&imp).unwrap().id, "1");
    }

    #[test]
    fn flyway_baseline_undo_and_failed_rows() {
        let files: Vec<SourceFile> = ["V1__a.sql", "V2__b.sql", "V3__c.sql", "V4__d.sql"]
            .iter()
            .map(|n| SourceFile {
                path: (*n).to_owned(),
                text: "SELECT 1;\n".to_owned(),
            })
            .collect();
        let imp = convert(Format::Flyway, &files).unwrap();
        let ck = imp.migrations[2].tool_checksum.clone().unwrap();
        let r = |v: &str, ok: &str, kind: &str, ck: Option<&str>| {
            row(&[
                Some(v),
                Some("2024-01-01 00:00:00+00"),
                Some("deployer"),
                ck,
                Some(ok),
                Some(kind),
            ])
        };
        // Baseline at 2: 1 and 2 count as applied; 3 ran; 4 ran and was undone.
        let p = plan(
            Format::Flyway,
            &imp,
            &[
                r("2", "true", "BASELINE", None),
                r("3", "true", "SQL", Some(&ck)),
                r("4", "true", "SQL", Some(&ck)),
                r("4", "true", "UNDO_SQL", None),
            ],
        );
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.heads, ["3"]);
        assert_eq!(p.stamps.len(), 3);
        assert!(p.stamps[0]
            .1
            .note
            .as_deref()
            .unwrap()
            .contains("baseline 2"));
        let p = plan(Format::Flyway, &imp, &[r("1", "false", "SQL", None)]);
        assert_eq!(
            p.problems,
            vec![Problem::Failed {
                version: "1".into()
            }]
        );
    }

    #[test]
    fn sqitch_reads_only_its_projects_rows() {
        let files = [
            SourceFile {
                path: "sqitch.plan".into(),
                text: "%project=app\na 2024-01-01T00:00:00Z M <m@e> # a\nb [a] 2024-01-02T00:00:00Z M <m@e> # b\n".into(),
            },
            SourceFile {
                path: "deploy/a.sql".into(),
                text: "SELECT 1;".into(),
            },
            SourceFile {
                path: "deploy/b.sql".into(),
                text: "SELECT 2;".into(),
            },
        ];
        let imp = convert(Format::Sqitch, &files).unwrap();
        assert!(imp.migrations[1].text.contains("-- strata:depends-on a\n"));
        let r = |change, project| {
            row(&[
                Some(change),
                Some("2024-01-01 00:00:00+00"),
                Some("marge"),
                None,
                Some("t"),
                Some(project),
            ])
        };
        let p = plan(
            Format::Sqitch,
            &imp,
            &[r("a", "app"), r("b", "other"), r("zz", "other")],
        );
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.head(&imp).unwrap().id, "a");
    }

    #[test]
    fn sql_quotes_and_keeps_the_source_time() {
        let imp = import(Format::Dbmate, &["1_a.sql"]);
        let p = Plan {
            stamps: vec![(
                0,
                AppliedRow {
                    version: "1".into(),
                    applied_at: Some("2024-01-01 00:00:00+00".into()),
                    applied_by: Some("o'brien".into()),
                    checksum: None,
                    note: None,
                },
            )],
            heads: vec!["1".into()],
            problems: vec![],
        };
        let sql = adopt_sql(
            &StateTables::default(),
            &imp,
            &p,
            "schema_migrations",
            "me@host",
            |_| None,
        );
        assert!(sql.contains("'2024-01-01 00:00:00+00'::timestamptz"));
        assert!(sql.contains("'o''brien (me@host)'"));
        assert!(sql.contains("INSERT INTO \"strata_version\" (revision) VALUES ('1');"));
        assert!(sql.starts_with("BEGIN;") && sql.ends_with("COMMIT;"));
    }
}
