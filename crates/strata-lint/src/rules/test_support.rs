//! Helpers for the rules' tests: lint a snippet and look at what fired.

use crate::finding::Finding;
use crate::source::{Options, Section, SectionKind, Source};

/// Lints `sql` as the up section of a plain migration (transactional, no down expected).
pub fn lint_up(sql: &str) -> Vec<Finding> {
    lint_with(&[Source::plain("m.sql", sql)], &Options::default())
}

/// Lints an up and a down section of one migration.
pub fn lint_up_down(up: &str, down: &str) -> Vec<Finding> {
    let mut source = Source::plain("m.sql", up);
    source.sections.push(Section {
        kind: SectionKind::Down,
        sql: down.to_owned(),
        first_line: 100,
        transactional: true,
        explicitly_non_transactional: false,
    });
    source.section_paths.push(None);
    source.has_down = true;
    lint_with(&[source], &Options::default())
}

pub fn lint_with(sources: &[Source], options: &Options) -> Vec<Finding> {
    let report = crate::lint(sources, options);
    assert!(
        report.failures.is_empty(),
        "test SQL must parse: {:?}",
        report.failures
    );
    report.findings
}

/// The findings of one rule.
pub fn of<'f>(findings: &'f [Finding], rule: &str) -> Vec<&'f Finding> {
    findings.iter().filter(|f| f.rule == rule).collect()
}

/// Whether `rule` fires on `sql` (as an up section).
pub fn fires(rule: &str, sql: &str) -> bool {
    !of(&lint_up(sql), rule).is_empty()
}

/// The human output for `sql` linted as an up section, findings of `rule` only, without color:
/// what a user reads, for snapshot tests.
pub fn human(rule: &str, sql: &str) -> String {
    let findings: Vec<Finding> = lint_up(sql)
        .into_iter()
        .filter(|f| f.rule == rule)
        .collect();
    let text = sql.to_owned();
    crate::render::human(&findings, &|_| Some(text.clone()), false)
}
