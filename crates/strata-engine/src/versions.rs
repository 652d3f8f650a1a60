//! Semantic schema versions of a database and of a tree of migrations (docs/versions.md).
//!
//! A database's version is `[versioning] start` bumped by the impact of each applied revision,
//! in the order the database applied them (the id of each revision's latest `up` or `stamp`
//! row). The history table stores no impact: it stores the checksum of the file as applied, and
//! the checksum covers the file's `-- strata:impact` line, so the impact of a revision as applied
//! is the one in the file whose checksum equals the checksum of record. A file edited since (a
//! checksum that differs), a missing file, or a file without the line make the version unknown
//! and are reported by revision.

use std::collections::BTreeMap;

use crate::state::HistoryRow;
use strata_core::{Impact, SchemaVersion};
use strata_files::Migrations;

/// An applied revision, in the order the database applied it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AppliedVersion {
    pub revision: String,
    pub impact: Option<Impact>,
    /// The schema version after it (`None` from the first unknown impact on).
    pub version: Option<SchemaVersion>,
    /// When its `up` or `stamp` row was written (`None`: applied through a stamp of a later
    /// revision).
    pub applied_at: Option<String>,
    /// `up` or `stamp`.
    pub kind: Option<String>,
}

/// Why an applied revision's impact cannot be known from the history.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum VersionProblem {
    /// The database is at a revision that has no file.
    Missing { revision: String },
    /// The file changed after it was applied: its header is not the one applied.
    Changed {
        revision: String,
        file: String,
        applied_checksum: String,
        file_checksum: String,
    },
    /// The file has no `-- strata:impact` line.
    NoImpact { revision: String, file: String },
}

/// The version of a database and how it got there.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DatabaseVersion {
    pub start: SchemaVersion,
    /// `None` when a problem hides an impact.
    pub version: Option<SchemaVersion>,
    pub revisions: Vec<AppliedVersion>,
    pub problems: Vec<VersionProblem>,
}

/// The version of a database whose heads and history are these.
pub fn database_version(
    migrations: &Migrations,
    heads: &[String],
    history: &[HistoryRow],
    start: SchemaVersion,
) -> DatabaseVersion {
    let mut problems = Vec::new();
    let (applied, missing) = crate::verify::applied_revisions(migrations, heads);
    for revision in missing {
        problems.push(VersionProblem::Missing { revision });
    }
    let topo: BTreeMap<&str, usize> = migrations
        .graph
        .topo_order()
        .into_iter()
        .enumerate()
        .map(|(i, id)| (id, i))
        .collect();
    // The latest `up` or `stamp` row of each applied revision.
    let mut last: BTreeMap<&str, &HistoryRow> = BTreeMap::new();
    for row in history {
        if (row.kind == "up" || row.kind == "stamp") && applied.contains(&row.revision) {
            last.insert(row.revision.as_str(), row);
        }
    }
    // A revision without a row came with a stamp of a later one: it sorts just before the
    // earliest applied revision that needs it and has a row.
    let order_key = |rev: &str| -> (i64, usize) {
        let row_id = last.get(rev).map(|r| r.id).unwrap_or_else(|| {
            migrations
                .graph
                .descendants(rev)
                .iter()
                .filter_map(|d| last.get(d.as_str()).map(|r| r.id))
                .min()
                .unwrap_or(i64::MAX)
        });
        (row_id, topo.get(rev).copied().unwrap_or(usize::MAX))
    };
    let mut ordered: Vec<&String> = applied.iter().collect();
    ordered.sort_by_key(|rev| order_key(rev));

    let mut version = Some(start);
    let mut revisions = Vec::new();
    for rev in ordered {
        let Some(file) = migrations.get(rev) else {
            continue;
        };
        let row = last.get(rev.as_str());
        let mut impact = file.impact;
        if let Some(applied_checksum) = row.and_then(|r| r.checksum.as_ref()) {
            if applied_checksum != file.checksum.as_str() {
                problems.push(VersionProblem::Changed {
                    revision: rev.clone(),
                    file: file.path.clone(),
                    applied_checksum: applied_checksum.clone(),
                    file_checksum: file.checksum.to_string(),
                });
                impact = None;
            }
        }
        if file.impact.is_none() {
            problems.push(VersionProblem::NoImpact {
                revision: rev.clone(),
                file: file.path.clone(),
            });
        }
        version = match (version, impact) {
            // A declared version the upgrade accepted is the version; `check` and `upgrade`
            // refuse one below what the impact implies, so `max` only matters for files
            // applied before that check existed.
            (Some(v), Some(i)) => Some(match file.version {
                Some(declared) => declared.max(v.bump(i)),
                None => v.bump(i),
            }),
            _ => None,
        };
        revisions.push(AppliedVersion {
            revision: rev.clone(),
            impact,
            version,
            applied_at: row.map(|r| r.applied_at.clone()),
            kind: row.map(|r| r.kind.clone()),
        });
    }
    DatabaseVersion {
        start,
        version,
        revisions,
        problems,
    }
}

/// A revision that declares (`-- strata:version`) less than its impact implies.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DeclaredTooLow {
    pub revision: String,
    pub file: String,
    /// The line of `-- strata:version`.
    pub line: usize,
    pub declared: SchemaVersion,
    pub impact: Impact,
    /// The least version it may declare.
    pub least: SchemaVersion,
}

/// The versions the files imply, revision by revision in the graph's order (parents first, ties
/// by id), from `start`; a file without `-- strata:impact` counts as a patch (the least it can
/// be, so no declared version is refused for want of a header). With the revisions whose
/// declared version is too low.
pub fn file_versions(
    migrations: &Migrations,
    start: SchemaVersion,
) -> (Vec<(String, SchemaVersion)>, Vec<DeclaredTooLow>) {
    let mut version = start;
    let mut versions = Vec::new();
    let mut too_low = Vec::new();
    for id in migrations.graph.topo_order() {
        let Some(file) = migrations.get(id) else {
            continue;
        };
        let impact = file.impact.unwrap_or(Impact::Patch);
        version = match version.next(impact, file.version) {
            Ok(v) => v,
            Err(least) => {
                too_low.push(DeclaredTooLow {
                    revision: id.to_owned(),
                    file: file.path.clone(),
                    line: file.header_lines.get("version").copied().unwrap_or(0),
                    declared: file.version.unwrap_or(least),
                    impact,
                    least,
                });
                least
            }
        };
        versions.push((id.to_owned(), version));
    }
    (versions, too_low)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_files::{build, parse_migration};

    fn tree(files: &[(&str, &str)]) -> Migrations {
        let parsed = files
            .iter()
            .map(|(id, header)| {
                let text =
                    format!("{header}\n-- strata:up\nSELECT 1;\n-- strata:down\nSELECT 2;\n");
                parse_migration(&format!("m/{id}_x.sql"), &format!("{id}_x.sql"), &text).unwrap()
            })
            .collect();
        build(parsed).unwrap()
    }

    fn row(id: i64, revision: &str, kind: &str, checksum: &str) -> HistoryRow {
        HistoryRow {
            id,
            revision: revision.into(),
            parents: String::new(),
            kind: kind.into(),
            message: None,
            checksum: Some(checksum.into()),
            applied_at: format!("2026-12-0{id}T00:00:00Z"),
            applied_by: "t".into(),
            execution_ms: None,
            strata_version: "0".into(),
            error: None,
        }
    }

    #[test]
    fn versions_follow_the_applied_order_and_downs() {
        let m = tree(&[
            ("a1", "-- strata:impact minor"),
            ("b2", "-- strata:revises a1\n-- strata:impact patch"),
            ("c3", "-- strata:revises b2\n-- strata:impact major"),
        ]);
        let sum = |id: &str| m.get(id).unwrap().checksum.to_string();
        let history = vec![
            row(1, "a1", "up", &sum("a1")),
            row(2, "b2", "up", &sum("b2")),
            row(3, "c3", "up", &sum("c3")),
            row(4, "c3", "down", &sum("c3")),
        ];
        let v = database_version(&m, &["b2".into()], &history, SchemaVersion::default());
        assert_eq!(v.version, Some(SchemaVersion::new(1, 1, 1)));
        assert!(v.problems.is_empty());
        let v = database_version(&m, &["c3".into()], &history, SchemaVersion::new(3, 14, 2));
        assert_eq!(v.version.unwrap().to_string(), "4.0.0");
        let v = database_version(&m, &[], &[], SchemaVersion::default());
        assert_eq!(v.version.unwrap().to_string(), "1.0.0");
    }

    #[test]
    fn an_edited_file_or_a_missing_impact_makes_the_version_unknown() {
        let m = tree(&[
            ("a1", "-- strata:impact minor"),
            ("b2", "-- strata:revises a1"),
        ]);
        let history = vec![row(1, "a1", "up", "0000"), row(2, "b2", "stamp", "0000")];
        let v = database_version(&m, &["b2".into()], &history, SchemaVersion::default());
        assert_eq!(v.version, None);
        assert!(
            matches!(v.problems[0], VersionProblem::Changed { ref revision, .. } if revision == "a1")
        );
        assert!(
            matches!(v.problems[2], VersionProblem::NoImpact { ref revision, .. } if revision == "b2")
        );
    }

    #[test]
    fn a_declared_version_below_its_impact_is_found() {
        let m = tree(&[
            ("a1", "-- strata:impact minor"),
            (
                "b2",
                "-- strata:revises a1\n-- strata:impact major\n-- strata:version 1.2.0",
            ),
            (
                "c3",
                "-- strata:revises b2\n-- strata:impact patch\n-- strata:version 5.0.0",
            ),
        ]);
        let (versions, low) = file_versions(&m, SchemaVersion::default());
        assert_eq!(low.len(), 1);
        assert_eq!(low[0].revision, "b2");
        assert_eq!(low[0].least.to_string(), "2.0.0");
        assert_eq!(low[0].line, 3);
        assert_eq!(versions.last().unwrap().1.to_string(), "5.0.0");
    }
}
