//! Migration files and `strata.toml` on disk, turned into revisions and configuration.
//!
//! Parsing is pure (text in, values or `file:line` diagnostics out): [`parse_migration`] reads one
//! migration file, [`parse_config`] one `strata.toml`. Only [`load()`] (and [`find_config`]) touch
//! the disk: `load` reads a migrations folder, validates the whole tree and builds its
//! [`strata_graph::Graph`], reporting every problem at once.

pub mod config;
pub mod load;
pub mod migration;
pub mod schema;

pub use config::{
    default_config, find_config, interpolate, mask_config_line, parse_config, parse_duration,
    resolve_shadow_url, resolve_url, Config, EnvConfig, LintMode, Located, Promotion, VerifyMode,
    CONFIG_TEMPLATE,
};
pub use load::{build, load, load_embedded, nul_byte, Migrations};
pub use migration::{
    parse_migration, parse_online_header, render_migration, slugify, MigrationFile, NewMigration,
    Section, ONLINE_IRREVERSIBLE,
};
pub use schema::{rename_hints, schema_files, RenameHint};

/// The candidate closest to `word`, when it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    if word.is_empty() {
        return None;
    }
    let normalise = |s: &str| s.replace(['_', '-'], "");
    candidates
        .iter()
        .map(|&c| {
            let distance =
                if normalise(c) == normalise(&word) || (word.len() >= 3 && c.starts_with(&word)) {
                    0
                } else {
                    strata_core::edit_distance(&word, c)
                };
            (distance, c)
        })
        .filter(|&(distance, c)| distance <= 2.min(c.len() / 2))
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, c)| c)
}

pub(crate) use strata_core::line_of_offset;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let keys = ["message", "revises", "labels", "depends-on", "transaction"];
        assert_eq!(did_you_mean("revise", &keys), Some("revises"));
        assert_eq!(did_you_mean("depends_on", &keys), Some("depends-on"));
        assert_eq!(did_you_mean("depends", &keys), Some("depends-on"));
        assert_eq!(did_you_mean("mesage", &keys), Some("message"));
        assert_eq!(did_you_mean("Labels", &keys), Some("labels"));
        assert_eq!(did_you_mean("zzz", &keys), None);
        assert_eq!(did_you_mean("", &keys), None);
    }

    #[test]
    fn lines_of_offsets() {
        assert_eq!(line_of_offset("a\nb\nc", 0), 1);
        assert_eq!(line_of_offset("a\nb\nc", 2), 2);
        assert_eq!(line_of_offset("a\nb\nc", 99), 3);
    }
}
