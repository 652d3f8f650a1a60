//! `modified-applied-migration`: the file of an applied migration no longer has the checksum it
//! was applied with (needs the database's history).
//!
//! Databases that already ran the migration will never run the new text; databases that have not
//! (a new developer's, a fresh staging) will. From then on, environments built from the same files
//! differ, and `strata verify` fails everywhere the old text was applied. A change to an applied
//! migration belongs in a new migration.
//!
//! Fires once per file, from the up section, on its first statement. Silent when the revision has
//! not been applied, or when either checksum is unknown.

use super::{Hit, SectionCx};
use crate::source::SectionKind;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    if cx.section.kind != SectionKind::Up {
        return Vec::new();
    }
    let (Some(revision), Some(now)) = (&cx.source.revision, &cx.source.checksum) else {
        return Vec::new();
    };
    let Some(applied) = cx.options.applied_checksums.get(revision) else {
        return Vec::new();
    };
    if applied.trim().eq_ignore_ascii_case(now.trim()) {
        return Vec::new();
    }
    let message = format!(
        "revision {revision} was applied with checksum {}, but this file now has {}: databases that ran it keep the old text, new ones get the new",
        short(applied),
        short(now)
    );
    let help = format!(
        "restore the file as it was applied:\ngit checkout <commit> -- {}\n\
         and put the change in a new migration: strata revision -m \"…\"",
        cx.source.path
    );
    let hit = if cx.statements.is_empty() {
        Hit {
            message,
            ..Hit::default()
        }
    } else {
        Hit::at(0, message)
    };
    vec![hit.help(help)]
}

/// The first 12 hex digits of a checksum, as `git` abbreviates.
fn short(checksum: &str) -> &str {
    let checksum = checksum.trim();
    checksum.get(..12).unwrap_or(checksum)
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};

    const RULE: &str = "modified-applied-migration";
    const OLD: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    const NEW: &str = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";

    fn strata(sql: &str, checksum: Option<&str>) -> Source {
        let mut source = source_up_down(sql, "DROP TABLE t;");
        source.path = "migrations/20260101000000_t.sql".to_owned();
        source.revision = Some("20260101000000".to_owned());
        source.checksum = checksum.map(str::to_owned);
        source
    }

    fn applied(checksum: &str) -> Options {
        Options {
            applied_checksums: [("20260101000000".to_owned(), checksum.to_owned())]
                .into_iter()
                .collect(),
            ..Options::default()
        }
    }

    #[test]
    fn fires_when_the_checksum_changed() {
        let findings = lint_with(
            &[strata("CREATE TABLE t (id bigint PRIMARY KEY);", Some(NEW))],
            &applied(OLD),
        );
        let hits = of(&findings, RULE);
        assert_eq!(hits.len(), 1, "once per file, not per section");
        assert!(
            hits[0].message.contains("9f86d081884c"),
            "{}",
            hits[0].message
        );
        assert!(
            hits[0].message.contains("60303ae22b99"),
            "{}",
            hits[0].message
        );
        assert_eq!(hits[0].line, 1);
        // A merge with no statements: still once, on the file.
        let findings = lint_with(&[strata("", Some(NEW))], &applied(OLD));
        assert_eq!(of(&findings, RULE).len(), 1);
    }

    #[test]
    fn does_not_fire() {
        let sql = "CREATE TABLE t (id bigint PRIMARY KEY);";
        // Unchanged (case does not matter).
        let findings = lint_with(
            &[strata(sql, Some(NEW))],
            &applied(&NEW.to_ascii_uppercase()),
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
        // Not applied, no database, no checksum, not a strata migration.
        assert!(of(
            &lint_with(&[strata(sql, Some(NEW))], &applied_other()),
            RULE
        )
        .is_empty());
        assert!(of(
            &lint_with(&[strata(sql, Some(NEW))], &Options::default()),
            RULE
        )
        .is_empty());
        assert!(of(&lint_with(&[strata(sql, None)], &applied(OLD)), RULE).is_empty());
        assert!(of(
            &lint_with(&[Source::plain("m.sql", sql)], &applied(OLD)),
            RULE
        )
        .is_empty());
    }

    fn applied_other() -> Options {
        Options {
            applied_checksums: [("20250101000000".to_owned(), OLD.to_owned())]
                .into_iter()
                .collect(),
            ..Options::default()
        }
    }

    #[test]
    fn human_output() {
        let up = "-- strata:up\nCREATE TABLE t (id bigint PRIMARY KEY, note text);\n";
        let findings = lint_with(&[strata(up, Some(NEW))], &applied(OLD));
        let text = up_down_text(up, "DROP TABLE t;");
        insta::assert_snapshot!(render(RULE, &findings, &text));
    }
}
