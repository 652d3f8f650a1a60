//! Findings as text: `human` (source snippet with a caret), `json` (the documented shape), `sarif` (2.1.0) and
//! `github` (workflow annotations). Pure functions: the caller supplies the files' text.

use crate::finding::{Finding, ParseFailure, Severity};
use crate::rules;

/// Looks up a file's text by its display path, for snippets.
pub type Texts<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Human output: one block per finding, then a summary line. Text from the files (names, source
/// lines, identifiers in messages) is shown with its control characters escaped.
pub fn human(findings: &[Finding], texts: Texts<'_>, color: bool) -> String {
    human_report(findings, 0, texts, color)
}

/// [`human`], with `unlinted` more errors in the summary: files (or their parts) that could not
/// be read or parsed, which the caller reports itself.
pub fn human_report(
    findings: &[Finding],
    unlinted: usize,
    texts: Texts<'_>,
    color: bool,
) -> String {
    use strata_core::text::{escape_controls, escape_line};
    let paint = |code: &str, s: &str| strata_core::severity::paint(color, code, s);
    let mut out = String::new();
    for f in findings {
        let (code, label) = (f.severity.ansi(), f.severity.as_str());
        out.push_str(&format!(
            "{}: {}\n",
            paint(code, &format!("{label}[{}]", f.rule)),
            paint("1", &escape_controls(&f.message))
        ));
        let file = escape_line(&f.file);
        let location = if f.line > 0 {
            format!("{file}:{}:{}", f.line, f.column)
        } else {
            file.into_owned()
        };
        out.push_str(&format!("  --> {location}\n"));
        if f.line > 0 {
            if let Some(source) =
                texts(&f.file).and_then(|t| t.lines().nth(f.line - 1).map(str::to_owned))
            {
                let gutter = f.line.to_string().len();
                let pad = " ".repeat(gutter);
                let before: String = source.chars().take(f.column.saturating_sub(1)).collect();
                let caret_pad: String = escape_controls(&before)
                    .chars()
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                out.push_str(&format!(
                    "  {pad} |\n  {} | {}\n  {pad} | {caret_pad}{}\n",
                    f.line,
                    escape_controls(source.trim_end()),
                    paint(code, "^")
                ));
            }
        }
        if let Some(lock) = &f.lock {
            out.push_str(&format!("  = lock: {}\n", escape_controls(lock)));
        }
        if let Some(help) = &f.help {
            let help = escape_controls(help);
            let mut lines = help.lines();
            out.push_str(&format!("  = help: {}\n", lines.next().unwrap_or("")));
            for line in lines {
                out.push_str(&format!("          {line}\n"));
            }
        }
        out.push('\n');
    }
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    out.push_str(&format!(
        "{} error(s), {} warning(s), {} info",
        count(Severity::Error) + unlinted,
        count(Severity::Warning),
        count(Severity::Info)
    ));
    if unlinted > 0 {
        out.push_str(&format!(
            " ({unlinted} of the errors: a file that could not be read or parsed)"
        ));
    }
    out.push('\n');
    out
}

/// `{"findings": [...]}` as docs/lint.md documents it (plus `parse_errors` when there are any). Serialized
/// straight from the findings, keys in the documented order.
pub fn json(findings: &[Finding], failures: &[ParseFailure]) -> String {
    #[derive(serde::Serialize)]
    struct Output<'a> {
        findings: &'a [Finding],
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        parse_errors: &'a [ParseFailure],
    }
    serde_json::to_string_pretty(&Output {
        findings,
        parse_errors: failures,
    })
    .unwrap_or_default()
}

/// SARIF 2.1.0, for code-scanning dashboards.
pub fn sarif(findings: &[Finding]) -> String {
    sarif_report(findings, &[])
}

/// SARIF 2.1.0 with the files that did not parse as `parse-error` results (level `error`).
pub fn sarif_report(findings: &[Finding], failures: &[ParseFailure]) -> String {
    let rules: Vec<serde_json::Value> = rules::RULES
        .iter()
        .chain(crate::data::RULES)
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "shortDescription": { "text": r.summary },
                "helpUri": format!("docs/rules/{}.md", r.id),
                "defaultConfiguration": { "level": sarif_level(r.default), "enabled": !r.opt_in },
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let mut text = f.message.clone();
            if let Some(lock) = &f.lock {
                text.push_str(&format!(" Lock: {lock}."));
            }
            if let Some(help) = &f.help {
                text.push_str(&format!(" Instead: {help}"));
            }
            serde_json::json!({
                "ruleId": f.rule,
                "level": sarif_level(f.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.file },
                        "region": { "startLine": f.line.max(1), "startColumn": f.column.max(1) },
                    }
                }],
            })
        })
        .chain(failures.iter().map(|f| {
            serde_json::json!({
                "ruleId": "parse-error",
                "level": "error",
                "message": { "text": f.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.file },
                        "region": { "startLine": f.line.max(1) },
                    }
                }],
            })
        }))
        .collect();
    let value = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "strata", "version": env!("CARGO_PKG_VERSION"), "rules": rules } },
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` line per finding.
pub fn github(findings: &[Finding]) -> String {
    github_report(findings, &[])
}

/// GitHub annotations for the findings, then one `::error` per file that did not parse.
pub fn github_report(findings: &[Finding], failures: &[ParseFailure]) -> String {
    let escape_data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let escape_prop = |s: &str| escape_data(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = String::new();
    for f in findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut message = f.message.clone();
        if let Some(lock) = &f.lock {
            message.push_str(&format!("\nLock: {lock}"));
        }
        if let Some(help) = &f.help {
            message.push_str(&format!("\nInstead: {help}"));
        }
        out.push_str(&format!(
            "::{level} file={},line={},col={},title={}::{}\n",
            escape_prop(&f.file),
            f.line.max(1),
            f.column.max(1),
            escape_prop(&format!("strata {}", f.rule)),
            escape_data(&message)
        ));
    }
    for f in failures {
        out.push_str(&format!(
            "::error file={},line={},title={}::{}\n",
            escape_prop(&f.file),
            f.line.max(1),
            escape_prop("strata parse error"),
            escape_data(&f.message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_output_escapes_control_characters_and_counts_unlinted_files() {
        let text = "/*\x1b[2J*/ CREATE TABLE a (id int);\n".to_owned();
        let finding = Finding {
            rule: "table-without-primary-key",
            severity: Severity::Warning,
            file: "m/1_\x1b]0;x\x07.sql".to_owned(),
            line: 1,
            column: 23,
            statement: text.clone(),
            message: "table a\x1b[2J has no primary key".to_owned(),
            lock: None,
            help: Some("line 1\nline \r2".to_owned()),
        };
        let out = human_report(&[finding], 1, &|_| Some(text.clone()), false);
        assert!(!out.contains(['\x1b', '\x07', '\r']), "{out:?}");
        assert!(
            out.contains("table a\\u{1b}[2J has no primary key"),
            "{out}"
        );
        assert!(out.contains("--> m/1_\\u{1b}]0;x\\u{7}.sql:1:23"), "{out}");
        assert!(out.contains("= help: line 1\n          line \\r2"), "{out}");
        // The caret stays under the column, past the escape's wider text.
        let lines: Vec<&str> = out.lines().collect();
        let source = lines.iter().position(|l| l.contains("CREATE")).unwrap();
        assert!(lines[source].contains("/*\\u{1b}[2J*/"), "{out}");
        assert_eq!(
            lines[source].find("TABLE a").unwrap() + 6,
            lines[source + 1].find('^').unwrap()
        );
        assert!(
            out.ends_with("1 error(s), 1 warning(s), 0 info (1 of the errors: a file that could not be read or parsed)\n"),
            "{out}"
        );
        assert!(human(&[], &|_| None, false).ends_with("0 error(s), 0 warning(s), 0 info\n"));
    }
}
