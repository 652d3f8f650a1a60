//! Online (expand/contract) migrations: `start` (and `upgrade` reaching one),
//! `complete`, `rollback`, `status`, `backfill`. The work is `strata_online`'s, and where an
//! online migration falls in an upgrade is the engine's (`Migrator::upgrade_online`, with
//! [`OnlineRunner`]); this module finds which migration a command is about, reports progress,
//! and keeps `strata_version` / `strata_history` in step: an online migration is recorded as
//! applied (`up`) when `complete` has finished its contract phase.

use crate::cli::BackfillArgs;
use crate::context::{Connection, Project};
use crate::error::{db_err, CliError};
use crate::output::{backfill_bar, Printer, RunReporter};
use std::time::{Duration, Instant};
use strata_core::{quote_ident, QualifiedName};
use strata_engine::migrator::Reporter;
use strata_engine::online::first_online;
use strata_engine::{Database, Migrator, OnlineAction, OnlineRunError, OnlineStop};
use strata_files::Migrations;
use strata_graph::Direction;
use strata_online::{
    OnlineError, OnlineRunner, Phase, RunOptions, State, Status, DEFAULT_MAX_BLOCKING,
};
use strata_postgres::Postgres;

/// The project's PostgreSQL database: online migrations need triggers, views and concurrent
/// indexes that SQLite does not have.
fn postgres(project: &Project) -> Result<Postgres, CliError> {
    match project.open()? {
        Connection::Postgres(pg) => Ok(pg),
        Connection::Sqlite(_) => Err(CliError::invalid_with_hint(
            "online (expand/contract) migrations need PostgreSQL",
            "on SQLite, write the change as a plain .sql migration",
        )),
    }
}

/// Batch size, pause and lock-watch threshold given on the command line.
#[derive(Clone, Copy, Debug, Default)]
pub struct Batching {
    pub size: Option<u64>,
    pub pause: Option<Duration>,
    pub max_blocking: Option<Duration>,
}

/// Starts the lock watcher on `pg`'s session; [`stop_watch`] ends it.
fn watch(
    project: &Project,
    pg: &mut Postgres,
    opts: &mut RunOptions,
    batching: Batching,
) -> Result<(), CliError> {
    let threshold = batching.max_blocking.unwrap_or(DEFAULT_MAX_BLOCKING);
    opts.watch =
        strata_online::LockWatch::on_session(pg, &project.url()?, threshold).map_err(online_err)?;
    Ok(())
}

fn stop_watch(opts: &RunOptions, printer: &Printer) {
    if let Some(w) = &opts.watch {
        w.stop();
        if w.cancellations() > 0 {
            printer.notice(&format!(
                "the lock watcher cancelled {} statement(s) that kept other sessions waiting; they were retried",
                w.cancellations()
            ));
        }
    }
}

fn options_with(project: &Project, batching: Batching) -> RunOptions {
    let mut opts = options(project);
    if let Some(size) = batching.size {
        opts.batch_size = size.max(1);
    }
    if let Some(pause) = batching.pause {
        opts.batch_pause = pause;
    }
    opts
}

fn options(project: &Project) -> RunOptions {
    // The state table sits next to the version table.
    RunOptions::from_settings(&project.settings(false))
}

pub fn online_err(e: OnlineError) -> CliError {
    match e {
        OnlineError::Invalid(diagnostics) => CliError::Diagnostics(diagnostics),
        OnlineError::InProgress(id) => CliError::invalid_with_hint(
            format!("online migration {id} is in progress"),
            "finish it with `strata complete`, or undo it with `strata rollback`",
        ),
        OnlineError::State(message) => CliError::invalid(message),
        OnlineError::Locked => CliError::invalid_with_hint(
            "another strata process is running an online command on this database",
            "wait for it to finish (see `strata status`)",
        ),
        other => CliError::Database {
            context: "the online migration failed; running the same command again resumes it"
                .into(),
            error: Box::new(strata_engine::DbError::msg(other.to_string())),
        },
    }
}

fn is_in_progress(state: State) -> bool {
    matches!(
        state,
        State::Expanding | State::Active | State::Contracting | State::Aborting
    )
}

fn in_progress(statuses: &[Status]) -> Option<&Status> {
    statuses.iter().find(|s| is_in_progress(s.state))
}

/// The engine's online runner for this project: its state table, timeouts and batches, and
/// the lock watcher (on a second connection to the project's database).
pub fn runner(project: &Project, batching: Batching) -> Result<OnlineRunner, CliError> {
    let threshold = batching.max_blocking.unwrap_or(DEFAULT_MAX_BLOCKING);
    Ok(OnlineRunner::new(options_with(project, batching)).watch_locks(&project.url()?, threshold))
}

/// An error of an upgrade that may reach an online migration.
pub fn run_error<E: std::fmt::Display>(
    e: OnlineRunError<E>,
    online: impl FnOnce(E) -> CliError,
) -> CliError {
    match e {
        OnlineRunError::Engine(e) => e.into(),
        OnlineRunError::Online(e) => online(e),
        other => CliError::invalid(other.to_string()),
    }
}

/// What `upgrade` or `start` says when it stopped at an online migration.
pub fn report_stop(stop: &OnlineStop, printer: &Printer) {
    let id = &stop.revision;
    if stop.action == OnlineAction::AlreadyExpanded {
        printer.line(&format!(
            "online migration {id} is started (expanded); new clients use\n  SET search_path = {};\nrun `strata complete` once every client runs the new version (or `strata rollback`)",
            stop.search_path
        ));
        return;
    }
    if printer.json {
        printer.json_value(&serde_json::json!({
            "started": id,
            "state": stop.state.name(),
            "version_schema": stop.version_schema,
            "search_path": stop.search_path,
            "backfilled_rows": stop.rows,
        }));
        return;
    }
    printer.line(&format!(
        "started online migration {id} in {} ms ({} rows backfilled): old clients keep working; new clients use\n  SET search_path = {};\nthen `strata complete` once every client runs the new version (or `strata rollback`)",
        stop.elapsed.as_millis(),
        stop.rows,
        stop.search_path,
    ));
}

/// `strata start [--sql]`: apply the plain migrations before the next online one, then its
/// expand phase (what `upgrade` does when it reaches it); the engine orders them.
pub fn start(
    project: &Project,
    sql: bool,
    batching: Batching,
    printer: &Printer,
) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let mut pg = postgres(project)?;
    if sql {
        let steps = Migrator::new(&mut pg, &migrations, project.settings(false))
            .dry_run(Direction::Up, "heads")?;
        let Some(at) = first_online(&migrations, &steps) else {
            printer.line("nothing to start: no online migration is pending");
            return Ok(());
        };
        let migration = read_online(&migrations, &steps[at].revision)?;
        let plan =
            strata_online::prepare(&mut pg, &migration, &options(project)).map_err(online_err)?;
        printer.result(plan.render(Phase::Expand).trim_end());
        return Ok(());
    }
    let mut online = runner(project, batching)?;
    let mut reporter = RunReporter::new(printer);
    let upgraded = Migrator::new(&mut pg, &migrations, project.settings(false))
        .start_online(&mut online, &mut reporter)
        .map_err(|e| run_error(e, online_err))?;
    drop(reporter);
    match &upgraded.stopped_at {
        Some(stop) => report_stop(stop, printer),
        None => printer.line("nothing to start: no online migration is pending"),
    }
    Ok(())
}

/// The operations of the online migration `id`, as loaded with the project's migrations.
fn read_online(
    migrations: &Migrations,
    id: &str,
) -> Result<strata_online::OnlineMigration, CliError> {
    let file = migrations
        .get(id)
        .ok_or_else(|| CliError::invalid(format!("revision {id} has no migration file")))?;
    let text = file.online_source.as_deref().unwrap_or_default();
    strata_online::parse(&file.path, text).map_err(CliError::Diagnostics)
}

fn current(project: &Project, pg: &mut Postgres) -> Result<Vec<Status>, CliError> {
    strata_online::status(pg, &options(project)).map_err(online_err)
}

/// `strata complete`: the contract phase of the migration in progress, then record it as applied.
/// Run again after an interruption, it finishes the job (also the recording).
pub fn complete(
    project: &Project,
    batching: Batching,
    max_lag: Duration,
    printer: &Printer,
) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let mut pg = postgres(project)?;
    let statuses = current(project, &mut pg)?;
    let mut opts = options_with(project, batching);
    let started = Instant::now();
    let id = match in_progress(&statuses) {
        Some(s) if s.state == State::Aborting => {
            return Err(CliError::invalid_with_hint(
                format!("online migration {} is being rolled back", s.migration),
                "finish the rollback with `strata rollback`",
            ))
        }
        Some(s) => {
            let id = s.migration.clone();
            wait_for_replicas(&mut pg, max_lag, printer)?;
            watch(project, &mut pg, &mut opts, batching)?;
            let mut reporter = RunReporter::new(printer);
            let done = strata_online::complete(&mut pg, &id, &opts, &mut |p| {
                reporter.online_progress(&p.to_engine(None))
            });
            drop(reporter);
            stop_watch(&opts, printer);
            done.map_err(online_err)?;
            id
        }
        None => {
            // Completed but not recorded (interrupted between the two)?
            match unrecorded_completed(&migrations, &statuses, &mut pg, project)? {
                Some(id) => id,
                None => {
                    printer.line("nothing to complete: no online migration is in progress");
                    return Ok(());
                }
            }
        }
    };
    record(project, &migrations, &mut pg, &id, printer)?;
    if printer.json {
        printer.json_value(&serde_json::json!({ "completed": id }));
    } else {
        printer.line(&format!(
            "completed online migration {id} in {} ms: its version schema is gone; clients use the tables directly again",
            started.elapsed().as_millis()
        ));
    }
    Ok(())
}

/// Before the contract phase: the replicas' replay lag must be under `max_lag`
/// (`pg_stat_replication`); strata waits up to a minute for them to catch up, then refuses.
fn wait_for_replicas(
    pg: &mut Postgres,
    max_lag: Duration,
    printer: &Printer,
) -> Result<(), CliError> {
    let started = Instant::now();
    loop {
        let rows = pg
            .simple_query_rows(
                "SELECT application_name, client_addr::text, \
                        COALESCE(EXTRACT(epoch FROM replay_lag), 0)::float8 \
                 FROM pg_catalog.pg_stat_replication ORDER BY 3 DESC LIMIT 1",
            )
            .map_err(db_err("could not read pg_stat_replication"))?;
        let worst = rows.first().map(|r| {
            let name = r.first().cloned().flatten().unwrap_or_default();
            let addr = r.get(1).cloned().flatten().unwrap_or_default();
            let lag: f64 = r
                .get(2)
                .cloned()
                .flatten()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0);
            (format!("{name} {addr}").trim().to_owned(), lag)
        });
        match worst {
            Some((replica, lag)) if lag > max_lag.as_secs_f64() => {
                if started.elapsed() > Duration::from_secs(60) {
                    return Err(CliError::Database {
                        context: "complete waits for the replicas".into(),
                        error: Box::new(strata_engine::DbError::msg(format!(
                            "replica {replica} is {lag:.1} s behind (limit {:.1} s); nothing was changed",
                            max_lag.as_secs_f64()
                        ))),
                    });
                }
                printer.notice(&format!(
                    "replica {replica} is {lag:.1} s behind; waiting for it before the contract phase"
                ));
                std::thread::sleep(Duration::from_secs(2));
            }
            _ => return Ok(()),
        }
    }
}

fn unrecorded_completed(
    migrations: &Migrations,
    statuses: &[Status],
    pg: &mut Postgres,
    project: &Project,
) -> Result<Option<String>, CliError> {
    let tables = project.settings(false).tables;
    let heads = pg
        .read_heads(&tables)
        .map_err(db_err("could not read the version table"))?;
    let applied = migrations
        .graph
        .applied_set(&heads)
        .map_err(|e| CliError::invalid(e.to_string()))?;
    Ok(statuses
        .iter()
        .filter(|s| s.state == State::Completed)
        .find(|s| migrations.get(&s.migration).is_some() && !applied.contains(s.migration.as_str()))
        .map(|s| s.migration.clone()))
}

/// Records the completed online migration `id` as applied: its version row and an `up` history
/// row, through the engine (nothing to execute).
fn record(
    project: &Project,
    migrations: &Migrations,
    pg: &mut Postgres,
    id: &str,
    printer: &Printer,
) -> Result<(), CliError> {
    let mut settings = project.settings(false);
    settings.record_online = Some(id.to_owned());
    let mut migrator = Migrator::new(pg, migrations, settings);
    let mut reporter = RunReporter::new(printer);
    migrator.upgrade(id, &mut reporter)?;
    Ok(())
}

/// `strata rollback`: undo the expand phase of the migration in progress, keeping every row.
pub fn rollback(project: &Project, printer: &Printer) -> Result<(), CliError> {
    let mut pg = postgres(project)?;
    let statuses = current(project, &mut pg)?;
    let Some(s) = in_progress(&statuses) else {
        printer.line("nothing to roll back: no online migration is in progress");
        return Ok(());
    };
    if s.state == State::Contracting {
        return Err(CliError::invalid_with_hint(
            format!(
                "online migration {} is being completed: its old shape is already partly gone",
                s.migration
            ),
            "finish it with `strata complete`, then write a new migration to go back",
        ));
    }
    let id = s.migration.clone();
    let started = Instant::now();
    let mut opts = options(project);
    watch(project, &mut pg, &mut opts, Batching::default())?;
    let mut reporter = RunReporter::new(printer);
    let done = strata_online::rollback(&mut pg, &id, &opts, &mut |p| {
        reporter.online_progress(&p.to_engine(None))
    });
    drop(reporter);
    stop_watch(&opts, printer);
    done.map_err(online_err)?;
    if printer.json {
        printer.json_value(&serde_json::json!({ "rolled_back": id }));
    } else {
        printer.line(&format!(
            "rolled back online migration {id} in {} ms: the schema is as before `start`; rows written meanwhile are kept (but not those in tables the migration created)",
            started.elapsed().as_millis()
        ));
    }
    Ok(())
}

/// `strata status [--search-path]`.
pub fn status(project: &Project, search_path: bool, printer: &Printer) -> Result<(), CliError> {
    let mut pg = postgres(project)?;
    let statuses = current(project, &mut pg)?;
    let active = in_progress(&statuses);
    if search_path {
        return match active {
            Some(s) => {
                printer.result(&s.search_path);
                Ok(())
            }
            None => Err(CliError::invalid_with_hint(
                "no online migration is in progress: there is no version schema to use",
                "clients use the tables directly (the default search_path)",
            )),
        };
    }
    if printer.json {
        let list: Vec<_> = statuses
            .iter()
            .map(|s| {
                serde_json::json!({
                    "migration": s.migration,
                    "phase": s.state.name(),
                    "version_schema": s.version_schema,
                    "search_path": s.search_path,
                    "next_step": s.next_step,
                    "steps": s.steps,
                    "backfills": s.backfills.iter().map(|(t, c, p)| serde_json::json!({
                        "table": t.to_string(), "column": c, "rows": p.rows, "batches": p.batches, "done": p.done,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        printer.json_value(&serde_json::json!({
            "in_progress": active.map(|s| s.migration.clone()),
            "migrations": list,
        }));
        return Ok(());
    }
    match active {
        None => printer.result("no online migration in progress"),
        Some(s) => {
            printer.result(&format!(
                "online migration {}: {}{}",
                s.migration,
                s.state.name(),
                match s.state {
                    State::Active => " (expanded: old and new clients both work)".to_owned(),
                    _ => format!(" (step {} of {})", s.next_step + 1, s.steps),
                }
            ));
            printer.result(&format!(
                "  version schema: {}",
                quote_ident(&s.version_schema)
            ));
            printer.result(&format!(
                "  new clients: SET search_path = {};",
                s.search_path
            ));
            for (table, column, p) in &s.backfills {
                printer.result(&format!(
                    "  backfill {table}.{}: {} rows in {} batches{}",
                    quote_ident(column),
                    p.rows,
                    p.batches,
                    if p.done { ", done" } else { ", in progress" }
                ));
            }
        }
    }
    for s in statuses.iter().filter(|s| !is_in_progress(s.state)) {
        printer.verbose(&format!("{}: {}", s.migration, s.state.name()));
    }
    Ok(())
}

/// `strata backfill`: resume the backfill of the online migration in progress, or, with
/// `--table`, a batched `UPDATE` for a plain migration.
pub fn backfill(project: &Project, args: &BackfillArgs, printer: &Printer) -> Result<(), CliError> {
    let mut pg = postgres(project)?;
    let Some(table) = &args.table else {
        let statuses = current(project, &mut pg)?;
        let Some(s) = in_progress(&statuses) else {
            return Err(CliError::invalid_with_hint(
                "no online migration is in progress",
                "for a plain migration's data change: strata backfill --table T --set \"col = expr\" --where \"col IS NULL\"",
            ));
        };
        let id = s.migration.clone();
        let opts = options_with(
            project,
            Batching {
                size: Some(args.batch_size),
                pause: Some(args.pause),
                max_blocking: None,
            },
        );
        let mut reporter = RunReporter::new(printer);
        let outcome = strata_online::backfill(&mut pg, &id, &opts, &mut |p| {
            reporter.online_progress(&p.to_engine(None))
        })
        .map_err(online_err)?;
        drop(reporter);
        printer.line(&format!(
            "backfill of {id}: {} rows in {} batches",
            outcome.rows, outcome.batches
        ));
        return Ok(());
    };
    let (Some(set), Some(condition)) = (&args.set, &args.r#where) else {
        return Err(CliError::invalid_with_hint(
            "--table needs --set and --where",
            "--where names the rows still to update (e.g. \"full_name IS NULL\"): each batch updates some of them, and running the command again resumes where it stopped",
        ));
    };
    plain_backfill(&mut pg, table, set, condition, args, printer)
}

/// Batches of `UPDATE … SET <set> WHERE <condition>` on rows locked `FOR UPDATE SKIP LOCKED`,
/// committed one by one, until no row satisfies the condition.
fn plain_backfill(
    pg: &mut Postgres,
    table: &str,
    set: &str,
    condition: &str,
    args: &BackfillArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    let name = QualifiedName::parse(table);
    let sql = format!(
        "WITH batch AS (SELECT ctid FROM {name} WHERE ({condition}) LIMIT {} FOR UPDATE SKIP LOCKED) \
         UPDATE {name} AS t SET {set} FROM batch WHERE t.ctid = batch.ctid",
        args.batch_size
    );
    let remaining = format!("SELECT count(*) FROM {name} WHERE ({condition})");
    let started = Instant::now();
    let total = count(pg, &remaining)?;
    let bar = (printer.tty && !printer.quiet && !printer.json)
        .then(|| backfill_bar(total, &name.to_string()));
    let (mut rows, mut batches, mut idle) = (0u64, 0u64, 0u32);
    loop {
        let returned = pg
            .simple_query_rows(&format!("{sql} RETURNING ({condition})"))
            .map_err(db_err("the backfill batch failed (rows of earlier batches stay updated; run the command again to resume)"))?
;
        let updated = returned.len() as u64;
        if returned
            .iter()
            .any(|r| r.first().cloned().flatten().as_deref() == Some("t"))
        {
            return Err(CliError::invalid_with_hint(
                format!("rows updated by --set \"{set}\" still match --where \"{condition}\": the backfill would never end"),
                "--where must select only the rows still to update (e.g. --set \"x = y\" --where \"x IS NULL\")",
            ));
        }
        if updated == 0 {
            // Nothing unlocked to take: done, or the rest is locked by others for now.
            if count(pg, &remaining)? == 0 {
                break;
            }
            idle += 1;
            if idle > 50 {
                return Err(CliError::Database {
                    context: format!("{rows} rows updated; run the command again later, it resumes where it stopped"),
                    error: Box::new(strata_engine::DbError::msg(format!(
                        "rows of {name} matching the condition stay locked by other sessions"
                    ))),
                });
            }
            std::thread::sleep(Duration::from_millis(200));
            continue;
        }
        idle = 0;
        rows += updated;
        batches += 1;
        if let Some(bar) = &bar {
            bar.set_position(rows.min(total));
        }
        if !args.pause.is_zero() {
            std::thread::sleep(args.pause);
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if printer.json {
        printer.json_value(
            &serde_json::json!({ "table": name.to_string(), "rows": rows, "batches": batches }),
        );
    } else {
        printer.line(&format!(
            "backfilled {rows} rows of {name} in {batches} batches in {} ms",
            started.elapsed().as_millis()
        ));
    }
    Ok(())
}

fn count(pg: &mut Postgres, sql: &str) -> Result<u64, CliError> {
    let rows = pg
        .simple_query_rows(sql)
        .map_err(db_err("the backfill's condition failed"))?;
    Ok(rows
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// The online migration in progress, if any.
pub fn in_progress_now(project: &Project, pg: &mut Postgres) -> Result<Option<Status>, CliError> {
    let statuses = current(project, pg)?;
    Ok(in_progress(&statuses).cloned())
}

/// What to run next for an online migration in `state`.
pub fn next_step_hint(state: State) -> &'static str {
    match state {
        State::Contracting => "run `strata complete` again to finish it",
        State::Aborting => "run `strata rollback` again to finish it",
        State::Expanding => "run `strata start` again to finish its expand phase",
        _ => "run `strata complete` once every client runs the new version, or `strata rollback` to undo it",
    }
}
