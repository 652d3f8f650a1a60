//! Findings as text: `human` (one block per finding, then a summary), `json` (`{"findings":
//! [...]}` in the documented shape) and `sarif` (2.1.0). The conventions of `strata lint`'s.

use crate::{Finding, Severity, CHECKS};
use strata_core::text::escape_controls;

pub fn human(findings: &[Finding], color: bool) -> String {
    let paint = |code: &str, s: &str| strata_core::severity::paint(color, code, s);
    let mut out = String::new();
    for f in findings {
        let (code, label) = (f.severity.ansi(), f.severity.as_str());
        out.push_str(&format!(
            "{}: {}\n",
            paint(code, &format!("{label}[{}]", f.rule)),
            paint("1", &escape_controls(&f.object))
        ));
        out.push_str(&format!("  = evidence: {}\n", escape_controls(&f.evidence)));
        let help = escape_controls(&f.help);
        let mut lines = help.lines();
        out.push_str(&format!("  = help: {}\n", lines.next().unwrap_or("")));
        for line in lines {
            out.push_str(&format!("          {line}\n"));
        }
        out.push('\n');
    }
    out.push_str(&summary(findings));
    out.push('\n');
    out
}

pub fn summary(findings: &[Finding]) -> String {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    format!(
        "{} error(s), {} warning(s), {} info",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    )
}

pub fn json(findings: &[Finding]) -> String {
    serde_json::to_string_pretty(&serde_json::json!({ "findings": findings })).unwrap_or_default()
}

pub fn sarif(findings: &[Finding]) -> String {
    let level = |s: Severity| match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    };
    let rules: Vec<serde_json::Value> = CHECKS
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.id,
                "shortDescription": { "text": c.summary },
                "helpUri": format!("docs/advise/{}.md", c.id),
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": { "text": format!("{}: {} Instead: {}", f.object, f.evidence, f.help) },
                "locations": [{
                    "logicalLocations": [{ "fullyQualifiedName": f.object, "kind": "table" }]
                }],
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "strata advise", "informationUri": "docs/advise.md", "rules": rules } },
            "results": results,
        }],
    }))
    .unwrap_or_default()
}
