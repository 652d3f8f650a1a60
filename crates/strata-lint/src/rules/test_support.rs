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

/// An up and a down section of one migration (the down on line 100), as `lint_up_down` lints it;
/// for tests that change the source or the options.
pub fn source_up_down(up: &str, down: &str) -> Source {
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
    source
}

/// The text of a file holding `up` from line 1 and `down` from line 100, as in `source_up_down`.
pub fn up_down_text(up: &str, down: &str) -> String {
    let up_lines = up.split('\n').count();
    assert!(
        up_lines < 100,
        "the up of a test migration must end before line 100"
    );
    format!("{up}{}{down}", "\n".repeat(100 - up_lines))
}

/// The human output of the findings of `rule`, all in one file whose text is `text`, without
/// color: what a user reads, for snapshot tests.
pub fn render(rule: &str, findings: &[Finding], text: &str) -> String {
    let findings: Vec<Finding> = findings
        .iter()
        .filter(|f| f.rule == rule)
        .cloned()
        .collect();
    let text = text.to_owned();
    crate::render::human(&findings, &|_| Some(text.clone()), false)
}

/// The human output for an up and a down (see `lint_up_down`), findings of `rule` only.
pub fn human_up_down(rule: &str, up: &str, down: &str) -> String {
    render(rule, &lint_up_down(up, down), &up_down_text(up, down))
}

/// `docs/rules/README.md` lists every rule of `RULES`, in its order, with its default severity
/// and summary, linking its page.
#[test]
fn the_rules_index_lists_every_rule() {
    const INDEX: &str = include_str!("../../../../docs/rules/README.md");
    let rows: Vec<&str> = INDEX.lines().filter(|l| l.starts_with("| [`")).collect();
    let all: Vec<&crate::Rule> = crate::RULES.iter().chain(crate::data::RULES).collect();
    assert_eq!(rows.len(), all.len(), "one row per rule");
    for (rule, row) in all.into_iter().zip(rows) {
        let expected = format!(
            "| [`{id}`]({id}.md) | {} | ",
            rule.default.as_str(),
            id = rule.id
        );
        assert!(row.starts_with(&expected), "{row}\nexpected: {expected}…");
        assert!(
            row.ends_with(&format!(" | {} |", rule.summary)),
            "{row}\nexpected the summary: {}",
            rule.summary
        );
    }
}
