//! `strata changelog [FROM..TO] [--format markdown|json|html]`: the revisions grouped by the
//! schema version they make, each with its message, author, the objects it adds, changes and
//! drops (from the model diff, replayed in a scratch database as `version --compute` does), its
//! hazards and lint waivers, and where it has been applied. docs/versions.md.

use crate::cli::{ChangelogArgs, ChangelogFormat};
use crate::context::Project;
use crate::error::CliError;
use crate::output::Printer;
use std::collections::BTreeMap;
use strata_core::{Impact, SchemaVersion};
use strata_files::migration::strata_directive;
use strata_files::Migrations;

#[derive(Clone, Debug, serde::Serialize)]
struct Entry {
    revision: String,
    message: String,
    file: String,
    impact: Option<Impact>,
    version: SchemaVersion,
    author: Option<String>,
    added: Vec<String>,
    changed: Vec<String>,
    dropped: Vec<String>,
    hazards: Vec<String>,
    waivers: Vec<Waiver>,
    applied: Vec<Applied>,
}

#[derive(Clone, Debug, serde::Serialize)]
struct Waiver {
    rule: String,
    reason: String,
    /// `true` for `lint-ignore-file`.
    file_wide: bool,
}

#[derive(Clone, Debug, serde::Serialize)]
struct Applied {
    env: String,
    applied_at: String,
    applied_by: String,
}

pub fn changelog(
    project: &Project,
    args: &ChangelogArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let computed = super::version::compute(project, &migrations, printer)?;
    let applied = applied_everywhere(project, printer);
    let mut version = project.config.versioning_start;
    let mut entries = Vec::new();
    for c in computed {
        let Some(file) = migrations.get(&c.revision) else {
            continue;
        };
        let impact = c.impact.or(c.header);
        version = version
            .next(impact.unwrap_or(Impact::Patch), file.version)
            .unwrap_or_else(|least| least);
        let rows = applied.get(&c.revision).cloned().unwrap_or_default();
        let author = git_author(project, &c.file).or_else(|| {
            rows.first()
                .map(|a| a.applied_by.clone())
                .filter(|a| !a.is_empty())
        });
        entries.push(Entry {
            revision: c.revision.clone(),
            message: file.message_or_slug(),
            file: c.file.clone(),
            impact,
            version,
            author,
            added: c.added,
            changed: c.changed,
            dropped: c.dropped,
            hazards: c.hazards,
            waivers: waivers(file),
            applied: rows,
        });
    }
    let entries = select(&migrations, entries, args.range.as_deref())?;
    let text = match args.format {
        ChangelogFormat::Json => serde_json::to_string_pretty(&serde_json::json!({
            "start": project.config.versioning_start,
            "versions": groups(&entries).iter().map(|(v, es)| serde_json::json!({
                "version": v, "revisions": es,
            })).collect::<Vec<_>>(),
        }))
        .unwrap_or_default(),
        ChangelogFormat::Markdown => markdown(&entries),
        ChangelogFormat::Html => html(&entries),
    };
    let text = if printer.json && args.format != ChangelogFormat::Json {
        serde_json::json!({ "changelog": text }).to_string()
    } else {
        text
    };
    printer.result(text.trim_end());
    Ok(())
}

/// `FROM..TO`: versions (`1.2.0..2.0.0`: after FROM, up to and including TO) or revisions
/// (what TO needs that FROM does not); either side may be empty.
fn select(
    migrations: &Migrations,
    entries: Vec<Entry>,
    range: Option<&str>,
) -> Result<Vec<Entry>, CliError> {
    let Some(range) = range else {
        return Ok(entries);
    };
    let Some((from, to)) = range.split_once("..") else {
        return Err(CliError::invalid_with_hint(
            format!("`{range}` is not a range"),
            "write FROM..TO with versions (1.2.0..2.0.0) or revisions (20261101090000..head); either side may be left out",
        ));
    };
    let version = |s: &str| (!s.is_empty()).then(|| SchemaVersion::parse(s));
    if let (Some(Some(_)) | None, Some(Some(_)) | None) = (version(from), version(to)) {
        let low = version(from).flatten();
        let high = version(to).flatten();
        return Ok(entries
            .into_iter()
            .filter(|e| low.is_none_or(|l| e.version > l) && high.is_none_or(|h| e.version <= h))
            .collect());
    }
    let needed = |target: &str| -> Result<std::collections::BTreeSet<String>, CliError> {
        if target.is_empty() {
            return Ok(migrations.files.iter().map(|f| f.id.clone()).collect());
        }
        let id = if target == "head" || target == "heads" {
            return Ok(migrations.files.iter().map(|f| f.id.clone()).collect());
        } else {
            migrations
                .graph
                .resolve(target)
                .map_err(|e| CliError::invalid(e.to_string()))?
        };
        Ok(migrations.graph.ancestors(id))
    };
    let upto = needed(to)?;
    let before = if from.is_empty() {
        Default::default()
    } else {
        needed(from)?
    };
    Ok(entries
        .into_iter()
        .filter(|e| upto.contains(&e.revision) && !before.contains(&e.revision))
        .collect())
}

/// Newest version first.
fn groups(entries: &[Entry]) -> Vec<(SchemaVersion, Vec<&Entry>)> {
    let mut by: BTreeMap<SchemaVersion, Vec<&Entry>> = BTreeMap::new();
    for e in entries {
        by.entry(e.version).or_default().push(e);
    }
    by.into_iter().rev().collect()
}

fn waivers(file: &strata_files::MigrationFile) -> Vec<Waiver> {
    let mut out = Vec::new();
    let sections = std::iter::once(&file.up).chain(file.down.iter());
    for section in sections {
        for line in section.sql.lines() {
            let Some(d) = strata_directive(line) else {
                continue;
            };
            let file_wide = d.key.eq_ignore_ascii_case("lint-ignore-file");
            if !(file_wide || d.key.eq_ignore_ascii_case("lint-ignore")) {
                continue;
            }
            let (rule, reason) = d
                .value
                .split_once(char::is_whitespace)
                .unwrap_or((d.value, ""));
            out.push(Waiver {
                rule: rule.to_owned(),
                reason: reason.trim().to_owned(),
                file_wide,
            });
        }
    }
    out
}

/// The first author of the file in git (the commit that added it), when the project is in a
/// git work tree and git is installed.
fn git_author(project: &Project, file: &str) -> Option<String> {
    let out = std::process::Command::new("git")
        .current_dir(&project.config.root)
        .args([
            "log",
            "--follow",
            "--diff-filter=A",
            "--format=%an",
            "--",
            file,
        ])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
}

/// For each revision, where its latest `up` or `stamp` row is: every environment of strata.toml
/// that can be reached (the one in use through `--url` too); an environment that cannot be read is
/// named in a notice and left out.
fn applied_everywhere(project: &Project, printer: &Printer) -> BTreeMap<String, Vec<Applied>> {
    let tables = project.settings(false).tables;
    let mut envs: Vec<(String, Result<String, CliError>)> = Vec::new();
    envs.push((project.env_name.clone(), project.url()));
    for name in project.config.envs.keys() {
        if *name != project.env_name {
            let url =
                strata_files::resolve_url(&project.config, name, None, &|k| std::env::var(k).ok())
                    .map_err(|d| CliError::invalid(d.message));
            envs.push((name.clone(), url));
        }
    }
    let mut out: BTreeMap<String, Vec<Applied>> = BTreeMap::new();
    for (env, url) in envs {
        let history = url.and_then(|url| {
            project.require_existing(&url)?;
            let mut conn = project.open_url(&url)?;
            let db = conn.db();
            db.read_history(&tables)
                .map_err(crate::error::db_err("could not read the history table"))
        });
        let history = match history {
            Ok(h) => h,
            Err(e) => {
                printer.verbose(&format!(
                    "environment {env}: not read ({})",
                    crate::render::error_message(&e)
                ));
                continue;
            }
        };
        let mut last: BTreeMap<&str, &strata_engine::HistoryRow> = BTreeMap::new();
        for row in &history {
            match row.kind.as_str() {
                "up" | "stamp" => {
                    last.insert(&row.revision, row);
                }
                "down" => {
                    last.remove(row.revision.as_str());
                }
                _ => {}
            }
        }
        for (rev, row) in last {
            out.entry(rev.to_owned()).or_default().push(Applied {
                env: env.clone(),
                applied_at: row.applied_at.clone(),
                applied_by: row.applied_by.clone(),
            });
        }
    }
    out
}

fn list(items: &[String]) -> String {
    items.join(", ")
}

fn markdown(entries: &[Entry]) -> String {
    let mut out = String::from("# Schema changelog\n");
    for (version, group) in groups(entries) {
        let impact = group
            .iter()
            .filter_map(|e| e.impact)
            .max()
            .map_or("impact unknown".to_owned(), |i| i.to_string());
        out.push_str(&format!("\n## {version} ({impact})\n"));
        for e in group {
            out.push_str(&format!(
                "\n### {} `{}`\n\n",
                e.message.replace('\n', " "),
                e.revision
            ));
            if let Some(author) = &e.author {
                out.push_str(&format!("- Author: {author}\n"));
            }
            for (what, items) in [
                ("Adds", &e.added),
                ("Changes", &e.changed),
                ("Drops", &e.dropped),
            ] {
                if !items.is_empty() {
                    out.push_str(&format!("- {what}: {}\n", list(items)));
                }
            }
            if e.added.is_empty() && e.changed.is_empty() && e.dropped.is_empty() {
                out.push_str("- No schema object changes\n");
            }
            for h in &e.hazards {
                out.push_str(&format!("- Hazard: {h}\n"));
            }
            for w in &e.waivers {
                out.push_str(&format!(
                    "- Lint waiver{}: `{}` {}\n",
                    if w.file_wide { " (whole file)" } else { "" },
                    w.rule,
                    w.reason
                ));
            }
            if e.applied.is_empty() {
                out.push_str("- Not applied in any environment strata can read\n");
            }
            for a in &e.applied {
                out.push_str(&format!("- Applied in {}: {}\n", a.env, a.applied_at));
            }
        }
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html(entries: &[Entry]) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Schema changelog</title></head><body>\n<h1>Schema changelog</h1>\n",
    );
    for (version, group) in groups(entries) {
        out.push_str(&format!("<h2>{version}</h2>\n"));
        for e in group {
            out.push_str(&format!(
                "<h3>{} <code>{}</code> ({})</h3>\n<ul>\n",
                escape(&e.message),
                escape(&e.revision),
                e.impact.map_or("impact unknown", Impact::as_str)
            ));
            let mut item = |label: &str, text: String| {
                out.push_str(&format!("<li>{label}: {}</li>\n", escape(&text)));
            };
            if let Some(author) = &e.author {
                item("Author", author.clone());
            }
            for (what, items) in [
                ("Adds", &e.added),
                ("Changes", &e.changed),
                ("Drops", &e.dropped),
            ] {
                if !items.is_empty() {
                    item(what, list(items));
                }
            }
            for h in &e.hazards {
                item("Hazard", h.clone());
            }
            for w in &e.waivers {
                item("Lint waiver", format!("{} {}", w.rule, w.reason));
            }
            for a in &e.applied {
                item(
                    &format!("Applied in {}", escape(&a.env)),
                    a.applied_at.clone(),
                );
            }
            out.push_str("</ul>\n");
        }
    }
    out.push_str("</body></html>\n");
    out
}
