//! Commands that read (and, for `stamp`, set) the state kept in the database.

use crate::context::{Connection, Project};
use crate::error::{db_err, CliError};
use crate::output::Printer;
use std::collections::BTreeSet;
use strata_core::text::escape_line;
use strata_engine::verify::{verify as verify_files, Mismatch};
use strata_engine::{Database, HistoryRow, Migrator, StateTables};
use strata_files::{Migrations, VerifyMode};
use strata_graph::Direction;

fn tables(project: &Project) -> StateTables {
    project.settings(false).tables
}

fn read_heads(db: &mut dyn Database, tables: &StateTables) -> Result<Vec<String>, CliError> {
    db.read_heads(tables)
        .map_err(db_err("could not read the version table"))
}

/// The heads (version table) and the history rows of a database.
pub(super) fn read_state(
    db: &mut dyn Database,
    tables: &StateTables,
) -> Result<(Vec<String>, Vec<HistoryRow>), CliError> {
    let heads = read_heads(db, tables)?;
    let history = db
        .read_history(tables)
        .map_err(db_err("could not read the history table"))?;
    Ok((heads, history))
}

fn pending(migrations: &Migrations, heads: &[String]) -> Result<Vec<String>, CliError> {
    let steps = migrations
        .graph
        .plan_upgrade(heads, "heads")
        .map_err(|e| CliError::invalid(e.to_string()))?;
    Ok(steps.into_iter().map(|s| s.revision).collect())
}

pub fn current(project: &Project, printer: &Printer) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let mut connection = project.open_read_only()?;
    let heads = read_heads(connection.db(), &tables(project))?;
    let pending = pending(&migrations, &heads)?;
    // Between `start` and `complete` the schema has its expanded shape (PostgreSQL only).
    let online = match &mut connection {
        Connection::Postgres(pg) => super::online::in_progress_now(project, pg)?,
        Connection::Sqlite(_) => None,
    };
    if printer.json {
        let online = online.as_ref().map(|s| {
            serde_json::json!({
                "migration": s.migration,
                "phase": s.state.name(),
                "search_path": s.search_path,
            })
        });
        printer.json_value(
            &serde_json::json!({ "heads": heads, "pending": pending, "online": online }),
        );
        return Ok(());
    }
    if heads.is_empty() {
        printer.result("current: base (nothing applied)");
    }
    for head in &heads {
        let message = migrations
            .get(head)
            .map(|f| f.message_or_slug())
            .unwrap_or_else(|| "(no migration file!)".to_owned());
        let is_graph_head = migrations.graph.heads().contains(&head.as_str());
        let tag = if is_graph_head {
            printer.green(" (head)")
        } else {
            String::new()
        };
        printer.result(&format!(
            "current: {} {}{tag}",
            printer.bold(&escape_line(head)),
            escape_line(&message)
        ));
    }
    if let Some(s) = &online {
        printer.result(&format!(
            "online:  {} in progress ({}); {}",
            printer.bold(&escape_line(&s.migration)),
            s.state.name(),
            super::online::next_step_hint(s.state)
        ));
    }
    if pending.is_empty() {
        printer.result("pending: none");
    } else {
        printer.result(&format!(
            "pending: {} — {}",
            pending.len(),
            escape_line(&pending.join(", "))
        ));
    }
    Ok(())
}

pub fn history(project: &Project, range: Option<&str>, printer: &Printer) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let graph = &migrations.graph;
    let mut db = project.connect_read_only()?;
    let heads = read_heads(db.as_mut(), &tables(project))?;
    let known: Vec<String> = heads
        .iter()
        .filter(|h| graph.node(h).is_some())
        .cloned()
        .collect();
    let applied = graph
        .applied_set(&known)
        .map_err(|e| CliError::invalid(e.to_string()))?;
    let selected: Option<BTreeSet<String>> = match range {
        None => None,
        Some(range) => {
            let (from, to) = range.split_once(':').unwrap_or((range, "heads"));
            let from = if from.is_empty() { "base" } else { from };
            let to = if to.is_empty() { "heads" } else { to };
            refuse_reversed(graph, range, from, to)?;
            let mut set: BTreeSet<String> = graph
                .plan_range(from, to, Direction::Up)
                .map_err(|e| CliError::invalid(e.to_string()))?
                .into_iter()
                .map(|s| s.revision)
                .collect();
            if from != "base" {
                set.insert(
                    graph
                        .resolve(from)
                        .map_err(|e| CliError::invalid(e.to_string()))?
                        .to_owned(),
                );
            }
            Some(set)
        }
    };
    let order: Vec<&str> = graph
        .topo_order()
        .into_iter()
        .filter(|id| selected.as_ref().is_none_or(|s| s.contains(*id)))
        .collect();
    if printer.json {
        let items: Vec<_> = order
            .iter()
            .map(|id| {
                let f = migrations.get(id).expect("graph ids have files");
                serde_json::json!({
                    "revision": id,
                    "message": f.message,
                    "parents": f.revises,
                    "labels": f.labels,
                    "depends_on": f.depends_on,
                    "file": f.path,
                    "applied": applied.contains(*id),
                    "current": heads.iter().any(|h| h == id),
                })
            })
            .collect();
        printer.json_value(&serde_json::json!({ "revisions": items }));
        return Ok(());
    }
    for id in order.iter().rev() {
        let f = migrations.get(id).expect("graph ids have files");
        let mark = if heads.iter().any(|h| h == id) {
            printer.green("@")
        } else if applied.contains(*id) {
            "*".to_owned()
        } else {
            " ".to_owned()
        };
        let parents = if f.revises.is_empty() {
            "<base>".to_owned()
        } else {
            f.revises.join(", ")
        };
        let mut extra = Vec::new();
        if f.revises.len() > 1 {
            extra.push("merge".to_owned());
        }
        if graph.children(id).len() > 1 {
            extra.push("branchpoint".to_owned());
        }
        if graph.heads().contains(id) {
            extra.push("head".to_owned());
        }
        for l in &f.labels {
            extra.push(format!("label {l}"));
        }
        let extra = if extra.is_empty() {
            String::new()
        } else {
            printer.dim(&format!(" ({})", extra.join(", ")))
        };
        printer.result(&format!(
            "{mark} {parents} -> {}{extra}  {}",
            printer.bold(id),
            escape_line(&f.message_or_slug())
        ));
    }
    if !printer.quiet {
        printer.line(&printer.dim("@ current   * applied"));
    }
    Ok(())
}

/// `history -r FROM:TO` with TO before FROM (an ancestor of it): an error saying to swap them,
/// not the single row the range would otherwise select.
fn refuse_reversed(
    graph: &strata_graph::Graph,
    range: &str,
    from: &str,
    to: &str,
) -> Result<(), CliError> {
    if from == "base" || to == "heads" {
        return Ok(());
    }
    let invalid = |e: strata_graph::TargetError| CliError::invalid(e.to_string());
    let from_id = graph.resolve_revision(from).map_err(invalid)?;
    let to_id = graph.resolve_revision(to).map_err(invalid)?;
    let reversed = to == "base" || (from_id != to_id && graph.ancestors(from_id).contains(to_id));
    if reversed {
        return Err(CliError::invalid_with_hint(
            format!("the range `{range}` is reversed: `{to}` comes before `{from}` in the graph"),
            format!("swap them: strata history -r {to}:{from}"),
        ));
    }
    Ok(())
}

pub fn log(project: &Project, limit: Option<usize>, printer: &Printer) -> Result<(), CliError> {
    let mut db = project.connect_read_only()?;
    let mut rows = db
        .read_history(&tables(project))
        .map_err(db_err("could not read the history table"))?;
    if let Some(n) = limit {
        // The newest N, still oldest first.
        rows.drain(..rows.len().saturating_sub(n));
    }
    if printer.json {
        let events: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                let mut event = serde_json::to_value(r).unwrap_or_default();
                // As in `history --json`: the parents as a list of ids.
                event["parents"] =
                    serde_json::json!(r.parents.split_whitespace().collect::<Vec<_>>());
                event
            })
            .collect();
        printer.json_value(&serde_json::json!({ "events": events }));
        return Ok(());
    }
    if rows.is_empty() {
        printer.result("no events yet (nothing has run against this database)");
        return Ok(());
    }
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.id.to_string(),
                escape_line(&r.applied_at).into_owned(),
                escape_line(&r.kind).into_owned(),
                escape_line(&r.revision).into_owned(),
                escape_line(r.message.as_deref().unwrap_or_default()).into_owned(),
                escape_line(&r.applied_by).into_owned(),
                r.execution_ms
                    .map(|m| format!("{m} ms"))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    const HEADER: [&str; 7] = [
        "id",
        "applied at",
        "kind",
        "revision",
        "message",
        "by",
        "time",
    ];
    let mut widths = HEADER.map(|h| h.chars().count());
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    // A long message overflows its column rather than pushing every row right.
    widths[4] = widths[4].min(40);
    let pad = |text: &str, width: usize| {
        let len = text.chars().count();
        format!("{text}{}", " ".repeat(width.saturating_sub(len)))
    };
    let header = format!(
        "{:>w0$}  {}  {}  {}  {}  {}  {}",
        HEADER[0],
        pad(HEADER[1], widths[1]),
        pad(HEADER[2], widths[2]),
        pad(HEADER[3], widths[3]),
        pad(HEADER[4], widths[4]),
        pad(HEADER[5], widths[5]),
        HEADER[6],
        w0 = widths[0]
    );
    printer.line(&printer.dim(header.trim_end()));
    for (r, c) in rows.iter().zip(&cells) {
        let kind = pad(&c[2], widths[2]);
        let kind = match r.kind.as_str() {
            "up" => printer.green(&kind),
            "down" => printer.yellow(&kind),
            "failed" => printer.red(&kind),
            _ => kind,
        };
        let mut line = format!(
            "{:>w0$}  {}  {kind}  {}  {}  {}  {}",
            c[0],
            pad(&c[1], widths[1]),
            printer.bold(&pad(&c[3], widths[3])),
            pad(&c[4], widths[4]),
            printer.dim(&pad(&c[5], widths[5])),
            printer.dim(&c[6]),
            w0 = widths[0]
        );
        if let Some(error) = &r.error {
            line.push_str(&format!(
                "\n       {}",
                printer.red(&escape_line(error.lines().next().unwrap_or("")))
            ));
        }
        printer.result(line.trim_end());
    }
    Ok(())
}

pub fn stamp(
    project: &Project,
    target: &str,
    reason: &str,
    printer: &Printer,
) -> Result<(), CliError> {
    if reason.trim().is_empty() {
        return Err(CliError::invalid_with_hint(
            "--reason must say why the state is set by hand",
            "e.g. --reason \"restored from a dump taken at 20261125\"",
        ));
    }
    let migrations = project.migrations()?;
    let graph = &migrations.graph;
    let new_heads: Vec<String> = match target {
        "base" => Vec::new(),
        "heads" => graph.heads().into_iter().map(str::to_owned).collect(),
        _ => match graph.resolve(target) {
            Ok(id) => vec![id.to_owned()],
            Err(_) => {
                let steps = graph
                    .plan_upgrade(&[], target)
                    .map_err(|e| CliError::invalid(e.to_string()))?;
                steps
                    .last()
                    .map(|s| s.heads_after.clone())
                    .unwrap_or_default()
            }
        },
    };
    let mut db = project.connect()?;
    let settings = project.settings(false);
    let mut migrator = Migrator::new(db.as_mut(), &migrations, settings);
    let heads = migrator.stamp(&new_heads, reason)?;
    if printer.json {
        printer.json_value(&serde_json::json!({ "heads": heads }));
    } else {
        let now = if heads.is_empty() {
            "base".to_owned()
        } else {
            heads.join(", ")
        };
        printer.line(&format!(
            "stamped: now at {now} (no SQL was run; recorded as `stamp`)"
        ));
    }
    Ok(())
}

/// `verify --accept REV --reason TEXT`.
pub fn accept(
    project: &Project,
    revision: &str,
    reason: &str,
    printer: &Printer,
) -> Result<(), CliError> {
    if reason.trim().is_empty() {
        return Err(CliError::invalid_with_hint(
            "--reason is empty",
            "say why the edit is accepted: it is kept in the history",
        ));
    }
    let migrations = project.migrations()?;
    let revision = migrations
        .graph
        .resolve(revision)
        .map_err(|e| CliError::invalid(e.to_string()))?
        .to_owned();
    let mut db = project.connect_read_only()?;
    let (old, new) = Migrator::new(db.as_mut(), &migrations, project.settings(false))
        .accept(&revision, reason)?;
    if printer.json {
        printer.json_value(&serde_json::json!({
            "accepted": revision, "old_checksum": old, "new_checksum": new, "reason": reason,
        }));
    } else {
        printer.line(&format!(
            "accepted the edit of {}: its checksum of record is now {} (was {}); recorded as a stamp row",
            escape_line(&revision),
            &new[..12.min(new.len())],
            escape_line(&old.chars().take(12).collect::<String>()),
        ));
    }
    Ok(())
}

pub fn verify(project: &Project, printer: &Printer) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let mut db = project.connect_read_only()?;
    let t = tables(project);
    let (heads, history) = read_state(db.as_mut(), &t)?;
    let result = verify_files(&migrations, &heads, &history);
    if printer.json {
        printer.json_value(&serde_json::to_value(&result).unwrap_or_default());
    } else {
        for m in &result.mismatches {
            match m {
                Mismatch::Changed { .. } => printer.result(&format!(
                    "{} {}\n  hint: restore the file as it was applied and put the change in a new migration; if the edit changes nothing that ran (a comment), accept it with `strata verify --accept REV --reason TEXT`",
                    printer.red("mismatch:"),
                    changed_text(m),
                )),
                Mismatch::Missing { revision } => printer.result(&format!(
                    "{} the database is at revision {}, which has no migration file\n  hint: restore the file from version control",
                    printer.red("missing:"),
                    escape_line(revision)
                )),
                other => printer.result(&format!(
                    "{} revision {} does not match its migration file",
                    printer.red("mismatch:"),
                    escape_line(other.revision())
                )),
            }
        }
        if result.mismatches.is_empty() {
            let extra = if result.unrecorded.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} applied through a stamp, not checked)",
                    result.unrecorded.len()
                )
            };
            printer.line(&format!(
                "verified: {} applied migration(s) unchanged{extra}",
                result.verified
            ));
        }
    }
    if result.mismatches.is_empty() {
        Ok(())
    } else {
        Err(CliError::Problems)
    }
}

/// `FILE: revision R changed after it was applied on T (applied sha256 …, file now …)`, escaped
/// for the terminal; empty for a missing file.
fn changed_text(m: &Mismatch) -> String {
    let Mismatch::Changed {
        revision,
        file,
        applied_checksum,
        file_checksum,
        applied_at,
    } = m
    else {
        return String::new();
    };
    let short =
        |checksum: &str| escape_line(&checksum.chars().take(12).collect::<String>()).into_owned();
    format!(
        "{}: revision {revision} changed after it was applied on {} (applied sha256 {}…, file now {}…)",
        escape_line(file),
        escape_line(applied_at),
        short(applied_checksum),
        short(file_checksum),
    )
}

/// Before `upgrade` runs anything, under the environment's `verify`: applied migration files
/// changed since their checksum of record (the latest `up` or `stamp` row of each revision) are
/// named in a warning (`warn`, the default) or refuse the run (`before-upgrade`, exit 1);
/// `off` does not look.
pub(crate) fn before_upgrade(
    project: &Project,
    migrations: &Migrations,
    connection: &mut Connection,
    printer: &Printer,
) -> Result<(), CliError> {
    let mode = project.verify_mode();
    if mode == VerifyMode::Off {
        return Ok(());
    }
    let t = tables(project);
    let (heads, history) = read_state(connection.db(), &t)?;
    let result = verify_files(migrations, &heads, &history);
    let changed: Vec<&Mismatch> = result
        .mismatches
        .iter()
        .filter(|m| matches!(m, Mismatch::Changed { .. }))
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let list: String = changed
        .iter()
        .map(|m| format!("\n  {}", changed_text(m)))
        .collect();
    let env = &project.env_name;
    let explicit = project
        .config
        .envs
        .get(env)
        .is_some_and(|e| e.verify.is_some());
    let setting = if explicit {
        format!("verify = \"{}\" in [env.{env}]", mode.as_str())
    } else {
        format!("verify = \"{}\" by default", mode.as_str())
    };
    if mode == VerifyMode::Warn {
        printer.stderr(&format!(
            "{} {} applied migration file(s) changed after they were applied; going on ({setting}):{list}\n  hint: restore each file as it was applied and put the change in a new migration; verify = \"before-upgrade\" makes upgrade refuse instead\n",
            printer.yellow("warning:"),
            changed.len(),
        ));
        return Ok(());
    }
    let message = format!(
        "{} applied migration file(s) changed after they were applied; nothing was run ({setting})",
        changed.len()
    );
    let hint = "restore each file as it was applied (e.g. from version control) and put the change in a new migration; an edit that changes nothing that ran (a comment) can be accepted with `strata verify --accept REV --reason TEXT`";
    if printer.json {
        printer.json_value(&serde_json::json!({ "error": {
            "exit_code": 1,
            "message": message,
            "hint": hint,
            "mismatches": changed,
        }}));
    }
    eprintln!(
        "{}",
        strata_core::mask_url(&printer.safe(&format!(
            "{} {message}:{list}\n  hint: {hint}",
            printer.red("error:")
        )))
    );
    Err(CliError::Problems)
}
