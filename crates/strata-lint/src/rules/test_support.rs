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
/// (`off` for opt-in rules) and summary, linking its page.
#[test]
fn the_rules_index_lists_every_rule() {
    const INDEX: &str = include_str!("../../../../docs/rules/README.md");
    let rows: Vec<&str> = INDEX.lines().filter(|l| l.starts_with("| [`")).collect();
    let all: Vec<&crate::Rule> = crate::RULES.iter().chain(crate::data::RULES).collect();
    assert_eq!(rows.len(), all.len(), "one row per rule");
    for (rule, row) in all.into_iter().zip(rows) {
        let expected = format!(
            "| [`{id}`]({id}.md) | {} | ",
            if rule.opt_in {
                "off"
            } else {
                rule.default.as_str()
            },
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

/// The pages of the rules added after the first 28: the title, the default severity line, and the
/// examples — a block after "Fires" fires the rule, a block after "Fixed:" or "Fine" does not
/// (split where it says a later migration begins), and the block under "Waiving" has no finding of
/// the rule and no unused waiver. Opt-in rules are turned on, with the `[lint.naming]` patterns
/// of their page; a block whose first line is `-- no-transaction` runs outside a transaction.
#[test]
fn the_newer_rule_pages_examples_do_what_they_say() {
    let pages: &[(&str, &str)] = &[
        (
            "drop-database",
            include_str!("../../../../docs/rules/drop-database.md"),
        ),
        (
            "drop-schema",
            include_str!("../../../../docs/rules/drop-schema.md"),
        ),
        (
            "truncate-cascade",
            include_str!("../../../../docs/rules/truncate-cascade.md"),
        ),
        (
            "drop-not-null",
            include_str!("../../../../docs/rules/drop-not-null.md"),
        ),
        (
            "drop-foreign-key",
            include_str!("../../../../docs/rules/drop-foreign-key.md"),
        ),
        (
            "enum-value-ordering",
            include_str!("../../../../docs/rules/enum-value-ordering.md"),
        ),
        (
            "non-concurrent-reindex",
            include_str!("../../../../docs/rules/non-concurrent-reindex.md"),
        ),
        (
            "non-concurrent-detach-partition",
            include_str!("../../../../docs/rules/non-concurrent-detach-partition.md"),
        ),
        (
            "domain-constraint",
            include_str!("../../../../docs/rules/domain-constraint.md"),
        ),
        (
            "requires-newer-postgres",
            include_str!("../../../../docs/rules/requires-newer-postgres.md"),
        ),
        (
            "duplicate-column-assignment",
            include_str!("../../../../docs/rules/duplicate-column-assignment.md"),
        ),
        (
            "prefer-robust-stmts",
            include_str!("../../../../docs/rules/prefer-robust-stmts.md"),
        ),
        (
            "identifier-too-long",
            include_str!("../../../../docs/rules/identifier-too-long.md"),
        ),
        (
            "prefer-identity",
            include_str!("../../../../docs/rules/prefer-identity.md"),
        ),
        (
            "prefer-bigint",
            include_str!("../../../../docs/rules/prefer-bigint.md"),
        ),
        (
            "require-table-schema",
            include_str!("../../../../docs/rules/require-table-schema.md"),
        ),
        (
            "naming-convention",
            include_str!("../../../../docs/rules/naming-convention.md"),
        ),
        (
            "prefer-text",
            include_str!("../../../../docs/rules/prefer-text.md"),
        ),
    ];
    let mut options = Options::default();
    for rule in crate::RULES.iter().filter(|r| r.opt_in) {
        options
            .levels
            .insert(rule.id.to_owned(), Some(rule.default));
    }
    for (kind, pattern) in [
        ("index", "^idx_"),
        ("primary_key", "_pkey$"),
        ("unique", "^uq_"),
        ("foreign_key", "^fk_"),
        ("check", r"^ck_\w+$"),
    ] {
        options
            .naming
            .set(kind, regex::Regex::new(pattern).unwrap());
    }
    let lint = |sql: &str| -> Vec<Finding> {
        let mut source = Source::plain("m.sql", sql);
        if sql.starts_with("-- no-transaction") {
            source.sections[0].transactional = false;
            source.sections[0].explicitly_non_transactional = true;
        }
        lint_with(&[source], &options)
    };
    assert_eq!(
        pages.len(),
        crate::RULES.len() - 28 + 1,
        "every rule added after the first 28 has its page here"
    );
    for (rule, page) in pages {
        let r = crate::rules::rule(rule).unwrap();
        assert!(page.starts_with(&format!("# {rule}\n")), "{rule}: title");
        let severity = if r.opt_in {
            format!("**Default severity:** off ({} when", r.default.as_str())
        } else {
            format!("**Default severity:** {} · ", r.default.as_str())
        };
        assert!(page.contains(&severity), "{rule}: {severity}");
        let lines: Vec<&str> = page.lines().collect();
        let block_after = |i: usize| -> Option<String> {
            let start = lines[i + 1..].iter().position(|l| *l == "```sql")?;
            Some(
                lines[i + 2 + start..]
                    .iter()
                    .take_while(|l| **l != "```")
                    .copied()
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        };
        let mut checked = 0;
        for (i, line) in lines.iter().enumerate() {
            if line.starts_with("Fires") {
                let sql = block_after(i).unwrap();
                assert!(
                    !of(&lint(&sql), rule).is_empty(),
                    "{rule}: should fire:\n{sql}"
                );
                checked += 1;
            } else if *line == "Fixed:" || line.starts_with("Fine") {
                let sql = block_after(i).unwrap();
                for part in sql.split("-- next migration") {
                    let found = lint(part);
                    assert!(
                        of(&found, rule).is_empty(),
                        "{rule}: should not fire:\n{part}\n{found:?}"
                    );
                }
                checked += 1;
            } else if *line == "## Waiving" {
                let sql = block_after(i).unwrap();
                assert!(
                    sql.contains(&format!("-- strata:lint-ignore {rule} ")),
                    "{rule}: waiver"
                );
                let found = lint(&sql);
                assert!(
                    of(&found, rule).is_empty() && of(&found, "unused-waiver").is_empty(),
                    "{rule}: the waiver should waive a finding:\n{sql}\n{found:?}"
                );
                checked += 1;
            }
        }
        assert!(checked >= 3, "{rule}: fires, fixed and waiver examples");
    }
}
