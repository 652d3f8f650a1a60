//! `verify`: every applied migration's file is still there and unchanged.

use crate::state::HistoryRow;
use std::collections::BTreeSet;
use strata_files::Migrations;

/// One problem `verify` found.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Mismatch {
    /// The file changed after it was applied.
    Changed {
        revision: String,
        file: String,
        applied_checksum: String,
        file_checksum: String,
        applied_at: String,
    },
    /// The database is at a revision that has no migration file.
    Missing { revision: String },
}

impl Mismatch {
    pub fn revision(&self) -> &str {
        match self {
            Mismatch::Changed { revision, .. } | Mismatch::Missing { revision } => revision,
        }
    }
}

/// The result of comparing the applied revisions with the files.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Verification {
    /// Applied revisions whose checksum matched.
    pub verified: usize,
    /// Applied revisions with no `up` or `stamp` row to compare against (applied through a stamp of
    /// a later revision).
    pub unrecorded: Vec<String>,
    pub mismatches: Vec<Mismatch>,
}

/// The revisions applied at `heads` that have files (empty when the graph cannot say), and the
/// heads that have no file, in their order.
pub(crate) fn applied_revisions(
    migrations: &Migrations,
    heads: &[String],
) -> (BTreeSet<String>, Vec<String>) {
    let (known, missing): (Vec<String>, Vec<String>) = heads
        .iter()
        .cloned()
        .partition(|h| migrations.get(h).is_some());
    let applied = migrations.graph.applied_set(&known).unwrap_or_default();
    (applied, missing)
}

/// Compares each applied revision's file with the checksum of its latest `up` or `stamp` row.
pub fn verify(migrations: &Migrations, heads: &[String], history: &[HistoryRow]) -> Verification {
    let mut result = Verification::default();
    let (applied, missing) = applied_revisions(migrations, heads);
    for revision in missing {
        result.mismatches.push(Mismatch::Missing { revision });
    }
    for revision in applied {
        let Some(file) = migrations.get(&revision) else {
            continue;
        };
        let last = history
            .iter()
            .rev()
            .find(|row| row.revision == revision && (row.kind == "up" || row.kind == "stamp"));
        match last.and_then(|row| row.checksum.as_ref().map(|c| (row, c))) {
            Some((row, checksum)) if checksum != file.checksum.as_str() => {
                result.mismatches.push(Mismatch::Changed {
                    revision: revision.clone(),
                    file: file.path.clone(),
                    applied_checksum: checksum.clone(),
                    file_checksum: file.checksum.to_string(),
                    applied_at: row.applied_at.clone(),
                })
            }
            Some(_) => result.verified += 1,
            None => result.unrecorded.push(revision.clone()),
        }
    }
    result
}
