//! Graphviz dot laid out as SVG: by Graphviz's `dot` when it is installed, otherwise by the
//! `layout-rs` crate (a Rust implementation of the same layered layout). No layout of our own.

use crate::error::CliError;
use std::io::Write;
use std::process::{Command, Stdio};

/// Which program laid the diagram out.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    Graphviz,
    LayoutRs,
}

/// `STRATA_LAYOUT=builtin` forces layout-rs even when Graphviz is installed (for comparisons).
pub fn svg(dot: &str) -> Result<(String, Layout), CliError> {
    if std::env::var("STRATA_LAYOUT").as_deref() != Ok("builtin") {
        if let Some(svg) = graphviz(dot) {
            return Ok((svg, Layout::Graphviz));
        }
    }
    let mut parser = layout::gv::DotParser::new(dot);
    let graph = parser
        .process()
        .map_err(|e| CliError::invalid(format!("the diagram could not be laid out: {e}")))?;
    let mut builder = layout::gv::GraphBuilder::new();
    builder.visit_graph(&graph);
    let mut visual = builder.get();
    if visual.num_nodes() == 0 {
        return Ok((
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"></svg>".to_owned(),
            Layout::LayoutRs,
        ));
    }
    let mut writer = layout::backends::svg::SVGWriter::new();
    visual.do_it(false, false, false, &mut writer);
    Ok((from_svg_element(writer.finalize()), Layout::LayoutRs))
}

/// `dot -Tsvg`, or `None` when Graphviz is not installed or fails.
fn graphviz(dot: &str) -> Option<String> {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(dot.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    text.contains("<svg").then(|| from_svg_element(text))
}

/// From the `<svg` element on: the XML prolog and doctype are not wanted inline in HTML, and a
/// file is valid SVG without them.
fn from_svg_element(text: String) -> String {
    match text.find("<svg") {
        Some(at) => text[at..].to_owned(),
        None => text,
    }
}
