//! `upgrade` and `downgrade`: live, `--dry-run`, or offline `--sql`.

use super::online::run_error;
use crate::cli::{PromotionFlags, RunFlags};
use crate::context::Connection;
use crate::context::Project;
use crate::error::CliError;
use crate::output::{Printer, RunReporter};
use std::time::Instant;
use strata_engine::migrator::{check_online, check_plan, offline_sql, Reporter};
use strata_engine::online::first_online;
use strata_engine::{
    Applied, Database, Migrator, NoOnlineMigrations, OnlineMigrations, OnlineRunError, OnlineStop,
};
use strata_graph::{Direction, Step};

pub fn upgrade(
    project: &Project,
    target: &str,
    flags: &RunFlags,
    promotion: &PromotionFlags,
    printer: &Printer,
) -> Result<(), CliError> {
    run(
        project,
        Direction::Up,
        target,
        flags,
        Some(promotion),
        printer,
    )
}

pub fn downgrade(
    project: &Project,
    target: &str,
    flags: &RunFlags,
    printer: &Printer,
) -> Result<(), CliError> {
    run(project, Direction::Down, target, flags, None, printer)
}

fn run(
    project: &Project,
    direction: Direction,
    target: &str,
    flags: &RunFlags,
    promotion: Option<&PromotionFlags>,
    printer: &Printer,
) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let mut settings = project.settings(flags.single_transaction);
    settings.lock_wait = flags.lock_wait;

    if flags.sql {
        // Offline: no connection. Without FROM:, an upgrade starts from base and a downgrade
        // from all heads.
        let (from, to) = match target.split_once(':') {
            Some((from, to)) => (from, to),
            None if direction == Direction::Up => ("base", target),
            None => ("heads", target),
        };
        let steps = migrations
            .graph
            .plan_range(from, to, direction)
            .map_err(|e| CliError::invalid(e.to_string()))?;
        check_plan(&migrations, &steps, flags.single_transaction)?;
        check_online(&migrations, &steps, None)?;
        let dialect = project.dialect(flags.dialect.as_deref())?;
        printer.result(offline_sql(dialect, &settings, &migrations, &steps).trim_end());
        return Ok(());
    }
    if target.contains(':') {
        return Err(CliError::invalid_with_hint(
            format!("a range `{target}` is only for offline SQL"),
            format!(
                "add --sql to print its SQL, or give a single target such as `{}`",
                target.rsplit(':').next().unwrap_or("head")
            ),
        ));
    }

    let mut connection = if flags.dry_run {
        match project.open_read_only() {
            // A dry run of the first upgrade: plan from base against an empty stand-in, and
            // create nothing.
            Err(_) if project.url_is_sqlite_file_missing() => {
                printer.notice("the database file does not exist yet: `strata upgrade` creates it; planning from base");
                project.open_url("sqlite::memory:")?
            }
            other => other?,
        }
    } else {
        project.open()?
    };
    printer.verbose(&format!("connected to {}", connection.db().describe()));
    // Why a `+N` runs more than N migrations (a merge's other parents, depends-on).
    let mut note = None;
    let mut overridden = None;
    if direction == Direction::Up || flags.dry_run {
        let steps = Migrator::new(connection.db(), &migrations, settings.clone())
            .dry_run(direction, target)?;
        if direction == Direction::Up {
            note = why_more_than_counted(&migrations, &steps, target);
            // A revision that declares a version below what its impact implies is refused.
            let revisions: Vec<String> = steps.iter().map(|s| s.revision.clone()).collect();
            if !super::version::declared_too_low(project, &migrations, Some(&revisions), printer)
                .is_empty()
            {
                return Err(CliError::Reported(crate::error::EXIT_PROBLEMS));
            }
            // Promotion: what runs here must have run in the environment before this one.
            if let Some(flags) = promotion {
                overridden =
                    super::promote::before_upgrade(project, &migrations, &steps, flags, printer)?;
            }
        }
        let online = first_online(&migrations, &steps);
        if direction == Direction::Up {
            // Applied files edited since: a warning, or (`verify = "before-upgrade"`) a refusal.
            super::status::before_upgrade(project, &migrations, &mut connection, printer)?;
            // Lint what is about to run; under `lint = "enforce"` error findings stop here.
            let plain = &steps[..online.unwrap_or(steps.len())];
            super::lint::before_upgrade(project, &migrations, plain, &mut connection, printer)?;
        }
        if flags.dry_run {
            print_plan(&migrations, &steps, note.as_deref(), printer)?;
            if let Some(at) = online {
                printer.line(&format!(
                    "the run would stop at online migration {}: its expand phase runs, then `strata complete` finishes it",
                    steps[at].revision
                ));
            }
            return Ok(());
        }
    }

    // The engine orders plain and online migrations: it refuses while an online migration is
    // in progress (between `start` and `complete`/`rollback` the schema is in its expanded
    // shape), and an upgrade stops after the expand phase of the first online migration.
    let started = Instant::now();
    let mut reporter = RunReporter::new(printer);
    let (applied, stopped_at, heads) = match &mut connection {
        Connection::Postgres(pg) => {
            let mut online = super::online::runner(project, super::online::Batching::default())?;
            let migrator = Migrator::new(pg, &migrations, settings);
            run_with(migrator, direction, target, &mut online, &mut reporter)
                .map_err(|e| run_error(e, super::online::online_err))?
        }
        Connection::Sqlite(db) => {
            let migrator = Migrator::new(db, &migrations, settings);
            run_with(
                migrator,
                direction,
                target,
                &mut NoOnlineMigrations,
                &mut reporter,
            )
            .map_err(|e| run_error(e, CliError::from))?
        }
    };
    drop(reporter);
    if let Some(over) = &overridden {
        let ran: Vec<String> = applied.iter().map(|a| a.revision.clone()).collect();
        super::promote::record_override(project, &migrations, connection.db(), over, &ran)?;
    }
    if let Some(stop) = &stopped_at {
        super::online::report_stop(stop, printer);
        return Ok(());
    }
    if printer.json {
        let mut value = serde_json::json!({ "applied": applied, "heads": heads });
        if let Some(note) = &note {
            value["note"] = serde_json::json!(note);
        }
        printer.json_value(&value);
        return Ok(());
    }
    let now = if heads.is_empty() {
        "base".to_owned()
    } else {
        heads.join(", ")
    };
    if applied.is_empty() {
        printer.line(&format!("nothing to do; at {now}"));
    } else {
        let verb = if direction == Direction::Up {
            "applied"
        } else {
            "reverted"
        };
        printer.line(&format!(
            "{verb} {} migration(s) in {} ms; now at {now}",
            applied.len(),
            started.elapsed().as_millis()
        ));
        if let Some(note) = &note {
            printer.line(note);
        }
    }
    Ok(())
}

/// For an upgrade target that counts steps (`+N`, `ID+N`, `LABEL@+N`) whose plan runs more than
/// N migrations: which revisions came along and why (a merge needs all its parents, a revision
/// what it depends on).
fn why_more_than_counted(
    migrations: &strata_files::Migrations,
    steps: &[Step],
    target: &str,
) -> Option<String> {
    let graph = &migrations.graph;
    let first = steps.first()?;
    let counted = graph.counted_steps(&first.heads_before, target).ok()??;
    if steps.len() <= counted.len() {
        return None;
    }
    let extra: Vec<&str> = steps
        .iter()
        .map(|s| s.revision.as_str())
        .filter(|r| !counted.iter().any(|c| c == r))
        .collect();
    let among = |ids: &[String]| -> Vec<String> {
        ids.iter()
            .filter(|id| extra.contains(&id.as_str()))
            .cloned()
            .collect()
    };
    let mut reasons = Vec::new();
    let mut named = 0;
    for id in &counted {
        let node = graph.node(id)?;
        let parents = among(&node.parents);
        if !parents.is_empty() {
            named += parents.len();
            reasons.push(if node.parents.len() > 1 {
                format!(
                    "{id} is a merge, and its other parent {} was not applied",
                    parents.join(", ")
                )
            } else {
                format!("{id} needs its parent {}", parents.join(", "))
            });
        }
        let dependencies = among(&node.depends_on);
        if !dependencies.is_empty() {
            named += dependencies.len();
            reasons.push(format!("{id} depends on {}", dependencies.join(", ")));
        }
    }
    if named < extra.len() {
        reasons.push("and those need the rest".to_owned());
    }
    let n = counted.len();
    Some(format!(
        "`{target}` counts {n} step{} along the graph (to {}), and {} migrations run because {}",
        if n == 1 { "" } else { "s" },
        counted.join(", "),
        steps.len(),
        reasons.join("; ")
    ))
}

/// What a run did: the migrations applied or reverted, the online migration an upgrade stopped
/// at, and the heads after.
type Ran = (Vec<Applied>, Option<OnlineStop>, Vec<String>);

fn run_with<D, O>(
    mut migrator: Migrator<'_, D>,
    direction: Direction,
    target: &str,
    online: &mut O,
    reporter: &mut dyn Reporter,
) -> Result<Ran, OnlineRunError<O::Error>>
where
    D: Database + ?Sized,
    O: OnlineMigrations<D> + ?Sized,
{
    let (applied, stopped_at) = match direction {
        Direction::Up => {
            let upgraded = migrator.upgrade_online(target, online, reporter)?;
            (upgraded.applied, upgraded.stopped_at)
        }
        Direction::Down => (migrator.downgrade_online(target, online, reporter)?, None),
    };
    let heads = migrator.heads()?;
    Ok((applied, stopped_at, heads))
}

fn print_plan(
    migrations: &strata_files::Migrations,
    steps: &[Step],
    note: Option<&str>,
    printer: &Printer,
) -> Result<(), CliError> {
    if printer.json {
        let plan: Vec<_> = steps
            .iter()
            .map(|s| {
                let file = migrations.get(&s.revision);
                serde_json::json!({
                    "revision": s.revision,
                    "direction": if s.direction == Direction::Up { "up" } else { "down" },
                    "message": file.map(|f| f.message_or_slug()),
                    "file": file.map(|f| f.path.clone()),
                    "transaction": file.map(|f| f.non_transactional(s.direction == Direction::Down).is_none()),
                    "heads_after": s.heads_after,
                })
            })
            .collect();
        let mut value = serde_json::json!({ "plan": plan });
        if let Some(note) = note {
            value["note"] = serde_json::json!(note);
        }
        printer.json_value(&value);
        return Ok(());
    }
    if steps.is_empty() {
        printer.line("dry run: nothing to do");
        return Ok(());
    }
    printer.line(&format!(
        "dry run: {} migration(s) would run, in this order:",
        steps.len()
    ));
    for s in steps {
        let arrow = if s.direction == Direction::Up {
            "▲"
        } else {
            "▼"
        };
        let file = migrations.get(&s.revision);
        let mut line = format!(
            "  {arrow} {} {}",
            s.revision,
            strata_core::text::escape_line(&file.map(|f| f.message_or_slug()).unwrap_or_default())
        );
        if let Some(reason) = file.and_then(|f| f.non_transactional(s.direction == Direction::Down))
        {
            line.push_str(&format!("  (outside a transaction: {reason})"));
        }
        printer.line(&line);
    }
    if let Some(note) = note {
        printer.line(note);
    }
    printer.line("nothing was changed");
    Ok(())
}
