//! `advise --format html`: one self-contained page (no script, no network): the schema diagram
//! (inline SVG, tables with findings coloured), the findings grouped by severity with their
//! evidence and fixes, and the tables' sizes.

use strata_advise::{model::count, Finding, Severity, Snapshot};

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn report(snapshot: &Snapshot, findings: &[Finding], erd_svg: &str) -> String {
    let mut html = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>strata advise</title>\n<style>\n\
body{font-family:system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.6em}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}\
.finding{border-left:4px solid #999;padding:.4em 1em;margin:.8em 0}.error{border-color:#c00}.warning{border-color:#d80}.info{border-color:#08c}\
pre{background:#f6f6f6;padding:.6em;overflow-x:auto}.diagram{overflow:auto;border:1px solid #ddd;max-height:80vh}\n</style>\n</head>\n<body>\n<h1>strata advise</h1>\n",
    );
    html.push_str(&format!(
        "<p id=\"summary\">{}</p>\n",
        esc(&strata_advise::render::summary(findings))
    ));
    html.push_str(&format!(
        "<section id=\"erd\">\n<h2>Schema</h2>\n<p>Tables with a warning are yellow, with an error red.</p>\n<div class=\"diagram\">\n{erd_svg}\n</div>\n</section>\n"
    ));
    for severity in [Severity::Error, Severity::Warning, Severity::Info] {
        let these: Vec<&Finding> = findings.iter().filter(|f| f.severity == severity).collect();
        if these.is_empty() {
            continue;
        }
        html.push_str(&format!(
            "<section id=\"{s}\">\n<h2>{s} ({})</h2>\n",
            these.len(),
            s = severity.as_str()
        ));
        for f in these {
            html.push_str(&format!(
                "<div class=\"finding {}\" data-rule=\"{}\"><h3><code>{}</code> {}</h3><p>{}</p><pre>{}</pre></div>\n",
                severity.as_str(),
                esc(f.rule),
                esc(f.rule),
                esc(&f.object),
                esc(&f.evidence),
                esc(&f.help)
            ));
        }
        html.push_str("</section>\n");
    }
    html.push_str("<section id=\"sizes\">\n<h2>Tables</h2>\n<table>\n<tr><th>table</th><th>rows</th><th>size</th><th>sampled</th></tr>\n");
    for t in &snapshot.tables {
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&t.display()),
            count(t.rows.max(0)),
            esc(&t.size()),
            count(t.sampled_rows() as i64)
        ));
    }
    html.push_str("</table>\n</section>\n</body>\n</html>\n");
    html
}
