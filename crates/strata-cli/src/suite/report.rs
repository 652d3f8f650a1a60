//! The results of `strata test`: one [`Suite`] per check, one [`Case`] per migration (stairway,
//! data) or per check, and how they render as JSON and as Ant/Jenkins JUnit XML.

use serde::Serialize;
use std::time::Duration;

/// One check's results.
#[derive(Clone, Debug, Serialize)]
pub struct Suite {
    pub check: &'static str,
    pub cases: Vec<Case>,
    /// Why the whole check did not run (no schema files, SQLite, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    #[serde(serialize_with = "seconds")]
    pub time: Duration,
}

/// One test case: a migration of the stairway or the data check, or a whole check.
#[derive(Clone, Debug, Serialize)]
pub struct Case {
    pub name: String,
    /// What is wrong; empty when the case passed.
    pub failures: Vec<String>,
    /// Things a reader should know that are not failures (irreversible, tables not filled).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Set when the case did not run, with the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    #[serde(serialize_with = "seconds")]
    pub time: Duration,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

impl Case {
    pub fn new(name: impl Into<String>) -> Case {
        Case {
            name: name.into(),
            failures: Vec::new(),
            notes: Vec::new(),
            skipped: None,
            time: Duration::ZERO,
        }
    }

    pub fn skipped(name: impl Into<String>, reason: impl Into<String>) -> Case {
        Case {
            skipped: Some(reason.into()),
            ..Case::new(name)
        }
    }
}

impl Suite {
    pub fn new(check: &'static str) -> Suite {
        Suite {
            check,
            cases: Vec::new(),
            skipped: None,
            time: Duration::ZERO,
        }
    }

    pub fn skipped(check: &'static str, reason: impl Into<String>) -> Suite {
        Suite {
            skipped: Some(reason.into()),
            ..Suite::new(check)
        }
    }

    pub fn failures(&self) -> usize {
        self.cases.iter().filter(|c| !c.failures.is_empty()).count()
    }

    pub fn passed(&self) -> bool {
        self.failures() == 0
    }
}

/// `&`, `<`, `>`, `"` and `'` escaped, and the characters XML 1.0 forbids left out.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// The Ant/Jenkins JUnit XML that GitHub, GitLab and Jenkins read: `<testsuites>` with one
/// `<testsuite>` per check (`name tests failures errors skipped time`), one `<testcase>` per case
/// (`classname name time`) holding a `<failure message>` with every difference in its text, or
/// `<skipped message>`.
pub fn junit(suites: &[Suite], total: Duration) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let tests: usize = suites.iter().map(|s| s.cases.len().max(1)).sum();
    let failures: usize = suites.iter().map(Suite::failures).sum();
    out.push_str(&format!(
        "<testsuites name=\"strata test\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{:.3}\">\n",
        total.as_secs_f64()
    ));
    for suite in suites {
        let skipped = match &suite.skipped {
            Some(_) => 1,
            None => suite.cases.iter().filter(|c| c.skipped.is_some()).count(),
        };
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{skipped}\" time=\"{:.3}\">\n",
            xml(suite.check),
            suite.cases.len().max(1),
            suite.failures(),
            suite.time.as_secs_f64()
        ));
        if let Some(reason) = &suite.skipped {
            out.push_str(&format!(
                "    <testcase classname=\"strata.{0}\" name=\"{0}\" time=\"0.000\">\n      <skipped message=\"{1}\"/>\n    </testcase>\n",
                xml(suite.check),
                xml(reason)
            ));
        }
        for case in &suite.cases {
            out.push_str(&format!(
                "    <testcase classname=\"strata.{}\" name=\"{}\" time=\"{:.3}\">\n",
                xml(suite.check),
                xml(&case.name),
                case.time.as_secs_f64()
            ));
            if let Some(reason) = &case.skipped {
                out.push_str(&format!("      <skipped message=\"{}\"/>\n", xml(reason)));
            }
            if let Some(first) = case.failures.first() {
                let message = if case.failures.len() > 1 {
                    format!("{first} (and {} more)", case.failures.len() - 1)
                } else {
                    first.clone()
                };
                out.push_str(&format!(
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                    xml(&message),
                    xml(suite.check),
                    xml(&case.failures.join("\n"))
                ));
            }
            if !case.notes.is_empty() {
                out.push_str(&format!(
                    "      <system-out>{}</system-out>\n",
                    xml(&case.notes.join("\n"))
                ));
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junit_escapes_and_counts() {
        let mut suite = Suite::new("stairway");
        let mut case = Case::new("a1 <create> \"users\"");
        case.failures
            .push("down leaves column users.nickname & more".into());
        case.failures.push("second".into());
        suite.cases.push(case);
        suite.cases.push(Case::new("b2"));
        let text = junit(
            &[suite, Suite::skipped("online", "no online migrations")],
            Duration::ZERO,
        );
        assert!(
            text.contains(
                "<testsuites name=\"strata test\" tests=\"3\" failures=\"1\" errors=\"0\""
            ),
            "{text}"
        );
        assert!(
            text.contains("name=\"a1 &lt;create&gt; &quot;users&quot;\""),
            "{text}"
        );
        assert!(text.contains("<failure message=\"down leaves column users.nickname &amp; more (and 1 more)\" type=\"stairway\">"), "{text}");
        assert!(
            text.contains("<skipped message=\"no online migrations\"/>"),
            "{text}"
        );
    }
}
