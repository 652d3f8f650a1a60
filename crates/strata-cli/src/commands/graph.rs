//! Graph queries: `heads`, `branches`, `show`, `graph`. No database needed.

use crate::cli::GraphFormat;
use crate::context::Project;
use crate::error::CliError;
use crate::output::Printer;
use strata_core::quote_ident;
use strata_core::text::{escape_controls, escape_line};

pub fn heads(project: &Project, printer: &Printer) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let heads = migrations.graph.heads();
    if printer.json {
        let items: Vec<_> = heads
            .iter()
            .map(|h| {
                let f = migrations.get(h).expect("graph ids have files");
                serde_json::json!({ "revision": h, "message": f.message, "labels": f.labels, "file": f.path })
            })
            .collect();
        printer.json_value(&serde_json::json!({ "heads": items }));
        return Ok(());
    }
    for h in heads {
        let f = migrations.get(h).expect("graph ids have files");
        let labels = if f.labels.is_empty() {
            String::new()
        } else {
            format!(" ({})", f.labels.join(", "))
        };
        printer.result(&format!(
            "{h} {}{labels}",
            escape_line(&f.message_or_slug())
        ));
    }
    Ok(())
}

pub fn branches(project: &Project, printer: &Printer) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let graph = &migrations.graph;
    let points = graph.branch_points();
    if printer.json {
        let items: Vec<_> = points
            .iter()
            .map(|p| serde_json::json!({ "revision": p, "children": graph.children(p) }))
            .collect();
        printer.json_value(&serde_json::json!({ "branch_points": items }));
        return Ok(());
    }
    if points.is_empty() {
        printer.line("no branch points: the graph is linear");
    }
    for p in points {
        let f = migrations.get(p).expect("graph ids have files");
        printer.result(&format!("{p} {}", escape_line(&f.message_or_slug())));
        for child in graph.children(p) {
            let c = migrations.get(child).expect("graph ids have files");
            printer.result(&format!(
                "  -> {child} {}",
                escape_line(&c.message_or_slug())
            ));
        }
    }
    Ok(())
}

pub fn show(project: &Project, rev: &str, printer: &Printer) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let graph = &migrations.graph;
    let id = match graph.resolve(rev) {
        Ok(id) => id.to_owned(),
        Err(e) => {
            let steps = graph
                .plan_upgrade(&[], rev)
                .map_err(|_| CliError::invalid(e.to_string()))?;
            match steps.last().map(|s| s.heads_after.clone()) {
                Some(heads) if heads.len() == 1 => heads[0].clone(),
                _ => return Err(CliError::invalid(e.to_string())),
            }
        }
    };
    let f = migrations.get(&id).expect("resolved ids have files");
    let children: Vec<&str> = graph.children(&id);
    if printer.json {
        printer.json_value(&serde_json::json!({
            "revision": f.id, "message": f.message, "parents": f.revises, "children": children,
            "labels": f.labels, "depends_on": f.depends_on, "file": f.path, "checksum": f.checksum.as_str(),
            "transaction": f.non_transactional(false).is_none(), "irreversible": f.irreversible,
            "destructive_downgrade": f.destructive_downgrade,
            "up": f.up.sql, "down": f.down.as_ref().map(|d| d.sql.clone()),
        }));
        return Ok(());
    }
    let none = || "-".to_owned();
    let list = |v: &[String]| if v.is_empty() { none() } else { v.join(", ") };
    printer.result(&format!("revision:   {}", printer.bold(&f.id)));
    printer.result(&format!(
        "message:    {}",
        escape_line(&f.message.clone().unwrap_or_else(none))
    ));
    printer.result(&format!("file:       {}", escape_line(&f.path)));
    printer.result(&format!(
        "parents:    {}",
        if f.revises.is_empty() {
            "<base>".to_owned()
        } else {
            f.revises.join(", ")
        }
    ));
    printer.result(&format!(
        "children:   {}",
        if children.is_empty() {
            "<head>".to_owned()
        } else {
            children.join(", ")
        }
    ));
    printer.result(&format!("labels:     {}", list(&f.labels)));
    printer.result(&format!("depends-on: {}", list(&f.depends_on)));
    printer.result(&format!("checksum:   {}", f.checksum));
    match f.non_transactional(false) {
        Some(reason) => printer.result(&format!("transaction: off ({reason})")),
        None => printer.result("transaction: on"),
    }
    if let Some(r) = &f.irreversible {
        printer.result(&format!("irreversible: {}", escape_line(r)));
    }
    if let Some(r) = &f.destructive_downgrade {
        printer.result(&format!("destructive downgrade: {}", escape_line(r)));
    }
    printer.result(&format!(
        "\n-- up\n{}",
        escape_controls(f.up.sql.trim_end())
    ));
    if let Some(down) = &f.down {
        printer.result(&format!(
            "\n-- down\n{}",
            escape_controls(down.sql.trim_end())
        ));
    }
    Ok(())
}

pub fn graph(project: &Project, format: GraphFormat, printer: &Printer) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let graph = &migrations.graph;
    if printer.json || format == GraphFormat::Json {
        let heads = graph.heads();
        let nodes: Vec<_> = graph
            .topo_order()
            .into_iter()
            .map(|id| {
                let f = migrations.get(id).expect("graph ids have files");
                serde_json::json!({
                    "revision": id,
                    "message": f.message,
                    "labels": f.labels,
                    "file": f.path,
                    "head": heads.contains(&id),
                    "merge": f.revises.len() > 1,
                    "branchpoint": graph.children(id).len() > 1,
                })
            })
            .collect();
        let mut edges = Vec::new();
        for id in graph.topo_order() {
            let f = migrations.get(id).expect("graph ids have files");
            for p in &f.revises {
                edges.push(serde_json::json!({ "from": id, "to": p, "kind": "revises" }));
            }
            for d in &f.depends_on {
                edges.push(serde_json::json!({ "from": id, "to": d, "kind": "depends_on" }));
            }
        }
        printer.json_value(&serde_json::json!({ "nodes": nodes, "edges": edges }));
        return Ok(());
    }
    let mut out = String::new();
    let label = |id: &str| {
        let f = migrations.get(id).expect("graph ids have files");
        format!("{id}: {}", escape_line(&f.message_or_slug()))
    };
    match format {
        GraphFormat::Mermaid => {
            out.push_str("graph BT\n");
            for id in graph.topo_order() {
                let text = label(id).replace('"', "#quot;");
                out.push_str(&format!("    r{id}[\"{text}\"]\n"));
            }
            for id in graph.topo_order() {
                let f = migrations.get(id).expect("graph ids have files");
                for p in &f.revises {
                    out.push_str(&format!("    r{id} --> r{p}\n"));
                }
                for d in &f.depends_on {
                    out.push_str(&format!("    r{id} -.-> r{d}\n"));
                }
            }
        }
        GraphFormat::Dot | GraphFormat::Svg => {
            out.push_str("digraph strata {\n    rankdir=BT;\n    node [shape=box];\n");
            for id in graph.topo_order() {
                out.push_str(&format!(
                    "    {} [label={}];\n",
                    quote_ident(id),
                    quote_ident(&label(id)).replace("\"\"", "\\\"")
                ));
            }
            for id in graph.topo_order() {
                let f = migrations.get(id).expect("graph ids have files");
                for p in &f.revises {
                    out.push_str(&format!("    {} -> {};\n", quote_ident(id), quote_ident(p)));
                }
                for d in &f.depends_on {
                    out.push_str(&format!(
                        "    {} -> {} [style=dashed];\n",
                        quote_ident(id),
                        quote_ident(d)
                    ));
                }
            }
            out.push_str("}\n");
        }
        GraphFormat::Json => unreachable!("handled above"),
    }
    if format == GraphFormat::Svg {
        out = crate::diagram::svg(&out)?.0;
    }
    printer.result(out.trim_end());
    Ok(())
}
