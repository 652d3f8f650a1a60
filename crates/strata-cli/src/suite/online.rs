//! The `online` check (PostgreSQL): for each online (.toml) migration in the range, in the
//! scratch database, from the migrations below it applied: fill the tables with rows, `start`
//! it, write through the old shape (the tables, as old clients do) and through the new one (the
//! version schema's views, as new clients do), `rollback`, and check that the schema is as
//! before `start` and that no row was lost; then `start` again and `complete`, recorded as
//! `strata complete` records it.

use super::report::{Case, Suite};
use super::{case_name, rows, Run, Scratch};
use crate::context::Connection;
use crate::desired::Workspace;
use crate::error::{db_err, CliError};
use std::time::Instant;
use strata_core::{quote_ident, quote_literal, QualifiedName};
use strata_engine::migrator::Silent;
use strata_engine::{Migrator, OnlineRunError};
use strata_online::{OnlineRunner, RunOptions};
use strata_schema::synth::{self, display_table, Fill};
use strata_schema::Schema;

/// Rows per table before `start`, and again through the old shape while it is started.
const ROWS: usize = 5;

fn online_text(e: strata_online::OnlineError) -> String {
    e.to_string()
}

fn run_text<E: std::fmt::Display>(e: OnlineRunError<E>) -> String {
    match e {
        OnlineRunError::Engine(e) => e.to_string(),
        OnlineRunError::Online(e) => e.to_string(),
        other => other.to_string(),
    }
}

/// The tables synthetic rows go into.
fn user_tables(schema: &Schema) -> Vec<QualifiedName> {
    schema
        .tables
        .iter()
        .filter(|t| t.partition_of.is_none())
        .map(|t| t.name.clone())
        .collect()
}

/// The model less strata's online state table (created by the first `start`).
fn without_state(mut schema: Schema, opts: &RunOptions) -> Schema {
    let state = &opts.state_table.name;
    schema.tables.retain(|t| &t.name.name != state);
    schema.constraints.retain(|c| &c.table.name != state);
    schema.indexes.retain(|i| &i.table.name != state);
    schema
}

/// Inserts `n` synthetic rows into `tables`; what the database refuses is returned as text.
fn fill(
    conn: &mut Connection,
    schema: &Schema,
    ws: &Workspace,
    tables: &[QualifiedName],
    seed: u64,
) -> Result<Vec<String>, CliError> {
    let mut refused = Vec::new();
    for f in synth::fill(schema, ws.dialect, tables, ROWS, seed) {
        if let Fill::Insert { table, sql } = f {
            if let Err(e) = conn.db().execute(&sql) {
                if e.connection {
                    return Err(db_err("the scratch database failed")(e));
                }
                refused.push(format!("{}: {}", display_table(&table), e.message.trim()));
            }
        }
    }
    Ok(refused)
}

/// Writes through each view of `version_schema` (an `UPDATE` that sets a column to itself, so
/// the triggers that keep both shapes in step run on every row); the failures as text.
fn new_version_writes(
    conn: &mut Connection,
    version_schema: &str,
) -> Result<Vec<String>, CliError> {
    let Connection::Postgres(pg) = conn else {
        return Ok(Vec::new());
    };
    let views = pg
        .simple_query_rows(&format!(
            "SELECT c.relname::text, a.attname::text FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
             WHERE c.relnamespace = pg_catalog.to_regnamespace({}) AND c.relkind = 'v' \
             ORDER BY c.relname, a.attnum",
            quote_literal(&quote_ident(version_schema))
        ))
        .map_err(db_err("could not read the version schema"))?;
    let mut by_view: Vec<(String, Vec<String>)> = Vec::new();
    for row in views {
        let (Some(view), Some(column)) = (row[0].clone(), row[1].clone()) else {
            continue;
        };
        match by_view.last_mut() {
            Some((v, cols)) if *v == view => cols.push(column),
            _ => by_view.push((view, vec![column])),
        }
    }
    let mut failures = Vec::new();
    for (view, columns) in by_view {
        let name = format!("{}.{}", quote_ident(version_schema), quote_ident(&view));
        let mut last = None;
        for column in &columns {
            let c = quote_ident(column);
            match strata_engine::Database::execute(pg, &format!("UPDATE {name} SET {c} = {c}")) {
                Ok(()) => {
                    last = None;
                    break;
                }
                // A column only DEFAULT may be written to (identity, generated): try the next.
                Err(e) if e.code.as_deref() == Some("428C9") => continue,
                Err(e) if e.connection => return Err(db_err("the scratch database failed")(e)),
                Err(e) => last = Some(e.message.trim().to_owned()),
            }
            if last.is_some() {
                break;
            }
        }
        if let Some(message) = last {
            failures.push(format!(
                "a new-version write through {version_schema}.{view} fails: {message}"
            ));
        }
    }
    Ok(failures)
}

/// The check. `online` are the online revisions of the range, in graph order.
pub fn online(
    run: &Run,
    ws: &Workspace,
    scratch: &Scratch,
    conn: &mut Connection,
    online: &[String],
) -> Result<Suite, CliError> {
    let started = Instant::now();
    let mut suite = Suite::new("online");
    if !matches!(conn, Connection::Postgres(_)) {
        return Ok(Suite::skipped(
            "online",
            "online migrations need PostgreSQL",
        ));
    }
    scratch.reconnect(run.project, conn)?;
    scratch.reset(conn)?;
    let settings = run.project.settings(false);
    let opts = RunOptions::from_settings(&settings);
    let mut stopped: Option<String> = None;
    let mut seed = 7u64;
    if let Some(start) = &run.start {
        let mut m = Migrator::new(conn.db(), run.migrations, settings.clone());
        if let Err(e) = m.upgrade(start, &mut Silent) {
            stopped = Some(format!(
                "not run: upgrading to the range's start failed: {e}"
            ));
        }
    }
    for revision in online {
        let Some(file) = run.migrations.get(revision) else {
            continue;
        };
        let name = case_name(file);
        if let Some(reason) = &stopped {
            suite.cases.push(Case::skipped(&name, reason.clone()));
            continue;
        }
        let t0 = Instant::now();
        let mut case = Case::new(&name);
        let result = one(run, ws, conn, &opts, revision, &mut case, &mut seed);
        case.time = t0.elapsed();
        match result? {
            true => {}
            false => {
                stopped = Some(format!(
                    "not run: {revision} could not be started and completed, and the migrations above need it"
                ));
            }
        }
        suite.cases.push(case);
    }
    suite.time = started.elapsed();
    Ok(suite)
}

/// One online migration; false when the scratch database could not get past it.
fn one(
    run: &Run,
    ws: &Workspace,
    conn: &mut Connection,
    opts: &RunOptions,
    revision: &str,
    case: &mut Case,
    seed: &mut u64,
) -> Result<bool, CliError> {
    let settings = run.project.settings(false);
    let file = run.migrations.get(revision).expect("a file");
    // The migrations below it.
    for parent in &file.revises {
        let mut m = Migrator::new(conn.db(), run.migrations, settings.clone());
        if let Err(e) = m.upgrade(parent, &mut Silent) {
            case.failures
                .push(format!("the migrations below it could not be applied: {e}"));
            return Ok(false);
        }
    }
    let before = without_state(ws.introspect(conn)?, opts);
    let tables = user_tables(&before);
    *seed += 1000;
    for refused in fill(conn, &before, ws, &tables, *seed)? {
        case.notes
            .push(format!("rows before start refused: {refused}"));
    }
    let start = |conn: &mut Connection| {
        let Connection::Postgres(pg) = conn else {
            unreachable!("checked by the caller")
        };
        let mut runner = OnlineRunner::new(opts.clone());
        let mut m = Migrator::new(pg, run.migrations, settings.clone());
        m.upgrade_online(revision, &mut runner, &mut Silent)
    };
    let stop = match start(conn) {
        Ok(u) => u.stopped_at,
        Err(e) => {
            case.failures.push(format!("start failed: {}", run_text(e)));
            return Ok(false);
        }
    };
    let Some(stop) = stop else {
        case.failures
            .push("start did not reach the online migration".into());
        return Ok(false);
    };
    let expanded = without_state(ws.introspect(conn)?, opts);
    // Old clients write to the tables, new clients through the version schema.
    *seed += 1000;
    for refused in fill(conn, &before, ws, &tables, *seed)? {
        case.failures.push(format!(
            "an old-version insert fails while {revision} is started: {refused}"
        ));
    }
    case.failures
        .extend(new_version_writes(conn, &stop.version_schema)?);
    let rows_started = rows::snapshot(conn, &before)
        .map_err(db_err("could not read the rows of the scratch database"))?;
    let Connection::Postgres(pg) = conn else {
        unreachable!("checked by the caller")
    };
    if let Err(e) = strata_online::rollback(pg, revision, opts, &mut |_| {}) {
        case.failures
            .push(format!("rollback failed: {}", online_text(e)));
        return Ok(false);
    }
    let after = without_state(ws.introspect(conn)?, opts);
    for d in strata_schema::undo::undo_differences(&before, &expanded, &after) {
        let d = d.strip_prefix("down ").unwrap_or(&d).to_owned();
        if d.contains(" in another order: ") {
            case.notes.push(format!("rollback {d}"));
        } else {
            case.failures.push(format!("rollback {d}"));
        }
    }
    let rows_after = rows::snapshot(conn, &before)
        .map_err(db_err("could not read the rows of the scratch database"))?;
    for lost in rows::lost_on_up(&rows_started, &rows_after) {
        case.failures
            .push(lost.replacen("up deletes", "rollback deletes", 1));
    }
    // Start again, complete, and record it as `strata complete` does.
    if let Err(e) = start(conn) {
        case.failures
            .push(format!("start after the rollback failed: {}", run_text(e)));
        return Ok(false);
    }
    let Connection::Postgres(pg) = conn else {
        unreachable!("checked by the caller")
    };
    if let Err(e) = strata_online::complete(pg, revision, opts, &mut |_| {}) {
        case.failures
            .push(format!("complete failed: {}", online_text(e)));
        return Ok(false);
    }
    let mut recording = settings.clone();
    recording.record_online = Some(revision.to_owned());
    let mut m = Migrator::new(conn.db(), run.migrations, recording);
    if let Err(e) = m.upgrade(revision, &mut Silent) {
        case.failures
            .push(format!("recording the completed migration failed: {e}"));
        return Ok(false);
    }
    case.notes.push(format!(
        "started, written through both versions ({} and the tables), rolled back, started again and completed",
        stop.version_schema
    ));
    Ok(true)
}
