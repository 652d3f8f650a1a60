//! The schema as an entity-relationship diagram: Graphviz dot (record nodes: the table, then one
//! row per column with its type and PK/FK marks; foreign keys as edges) and Mermaid `erDiagram`.
//! Tables with findings are filled in the colour of their worst finding. Text only; the CLI lays
//! the dot out as SVG.

use crate::{Finding, Severity, Snapshot, Table};
use std::collections::HashMap;

/// The worst severity of the findings about each table (`schema.table`).
pub fn marks(findings: &[Finding]) -> HashMap<String, Severity> {
    let mut marks: HashMap<String, Severity> = HashMap::new();
    for f in findings {
        // Objects are `schema.table`, `schema.table.column` or `schema.table(...)`.
        let table: String = {
            let head = f.object.split('(').next().unwrap_or("");
            head.split('.').take(2).collect::<Vec<_>>().join(".")
        };
        let entry = marks.entry(table).or_insert(f.severity);
        *entry = (*entry).max(f.severity);
    }
    marks
}

/// A name as record text: the characters the record syntax and the dot string give a meaning
/// are replaced.
fn record_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '{' | '}' | '|' | '<' | '>' | '"' | '\\' => '_',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

fn node_id(n: usize) -> String {
    format!("t{n}")
}

fn keys(table: &Table, column: &str) -> &'static str {
    let pk = table
        .primary_key()
        .is_some_and(|pk| pk.columns.iter().any(|c| c == column));
    let fk = table
        .foreign_keys()
        .any(|fk| fk.columns.iter().any(|c| c == column));
    match (pk, fk) {
        (true, true) => " PK FK",
        (true, false) => " PK",
        (false, true) => " FK",
        _ => "",
    }
}

/// Graphviz dot; `marks` colours the tables with findings. Left to right, so a record's fields
/// (the table, then its columns) stack vertically.
pub fn dot(snapshot: &Snapshot, marks: &HashMap<String, Severity>) -> String {
    let mut out = String::from(
        "digraph erd {\n  rankdir=LR;\n  node [shape=record, fontname=\"Helvetica\", fontsize=11];\n",
    );
    let index: HashMap<(String, String), usize> = snapshot
        .tables
        .iter()
        .enumerate()
        .map(|(n, t)| ((t.schema.clone(), t.name.clone()), n))
        .collect();
    for (n, t) in snapshot.tables.iter().enumerate() {
        if t.partition {
            continue;
        }
        let mut rows = vec![record_text(&t.display())];
        for c in &t.columns {
            rows.push(record_text(&format!(
                "{} : {}{}",
                c.name,
                c.type_name,
                keys(t, &c.name)
            )));
        }
        let fill = match marks.get(&t.display()) {
            Some(Severity::Error) => ", style=filled, fillcolor=\"#f4b4b4\"",
            Some(Severity::Warning) => ", style=filled, fillcolor=\"#fbe3a7\"",
            _ => "",
        };
        out.push_str(&format!(
            "  {} [label=\"{}\"{fill}];\n",
            node_id(n),
            rows.join("|")
        ));
    }
    for (n, t) in snapshot.tables.iter().enumerate() {
        if t.partition {
            continue;
        }
        for fk in t.foreign_keys() {
            let Some((s, name)) = &fk.references else {
                continue;
            };
            if let Some(target) = index.get(&(s.clone(), name.clone())) {
                out.push_str(&format!("  {} -> {};\n", node_id(n), node_id(*target)));
            }
        }
    }
    out.push_str("}\n");
    out
}

/// A Mermaid name: letters, digits, `_` and `-` only.
fn mermaid_name(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Mermaid `erDiagram`.
pub fn mermaid(snapshot: &Snapshot) -> String {
    let mut out = String::from("erDiagram\n");
    for t in snapshot.tables.iter().filter(|t| !t.partition) {
        out.push_str(&format!("  {} {{\n", mermaid_name(&t.display())));
        for c in &t.columns {
            let marks = keys(t, &c.name).trim().replace(' ', ", ");
            out.push_str(&format!(
                "    {} {}{}\n",
                mermaid_name(&c.type_name.replace(' ', "_")),
                mermaid_name(&c.name),
                if marks.is_empty() {
                    String::new()
                } else {
                    format!(" {marks}")
                }
            ));
        }
        out.push_str("  }\n");
    }
    for t in snapshot.tables.iter().filter(|t| !t.partition) {
        for fk in t.foreign_keys() {
            let Some((s, name)) = &fk.references else {
                continue;
            };
            out.push_str(&format!(
                "  {} }}o--|| {} : \"{}\"\n",
                mermaid_name(&t.display()),
                mermaid_name(&format!("{s}.{name}")),
                mermaid_name(&fk.columns.join("_"))
            ));
        }
    }
    out
}
