//! `strata preflight [--json] [--max-replication-lag DUR]`: a deployment checklist against the
//! live target, in one report: the version and what would run, lint of the pending migrations in
//! the environment's mode, sessions holding locks the pending statements need (and long-running
//! transactions), replication lag, the size of each touched table, the WAL archiver, and the
//! promotion status. Blockers exit 1; what cannot be seen is info. docs/preflight.md.

use crate::cli::PreflightArgs;
use crate::context::{Connection, Project};
use crate::error::{db_err, CliError, EXIT_PROBLEMS};
use crate::output::Printer;
use std::time::Duration;
use strata_core::quote_literal;
use strata_engine::Migrator;
use strata_files::{LintMode, MigrationFile, Migrations};
use strata_graph::{Direction, Step};
use strata_lint::locks::{statement_lock, LockLevel};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Info,
    Warning,
    Blocker,
}

#[derive(Debug, serde::Serialize)]
struct Check {
    check: &'static str,
    status: Status,
    message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    details: Vec<String>,
}

impl Check {
    fn new(check: &'static str, status: Status, message: impl Into<String>) -> Check {
        Check {
            check,
            status,
            message: message.into(),
            details: Vec::new(),
        }
    }
}

/// A table a pending statement locks, and how.
struct Touch {
    table: String,
    lock: LockLevel,
    what: String,
    at: String,
}

pub fn preflight(
    project: &Project,
    args: &PreflightArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let tables = project.settings(false).tables;
    let mut connection = project.open_read_only()?;
    let mut checks = Vec::new();

    // Version and pending.
    let (heads, history) = super::status::read_state(connection.db(), &tables)?;
    let version = strata_engine::versions::database_version(
        &migrations,
        &heads,
        &history,
        project.config.versioning_start,
    );
    let steps = Migrator::new(connection.db(), &migrations, project.settings(false))
        .dry_run(Direction::Up, "heads")?;
    let pending: Vec<&MigrationFile> = steps
        .iter()
        .filter_map(|s| migrations.get(&s.revision))
        .collect();
    let version_text = version
        .version
        .map_or("unknown (see `strata version`)".to_owned(), |v| {
            v.to_string()
        });
    let mut c = Check::new(
        "version",
        if version.version.is_some() {
            Status::Ok
        } else {
            Status::Info
        },
        format!(
            "schema version {version_text}; {} migration(s) pending",
            pending.len()
        ),
    );
    c.details = pending
        .iter()
        .map(|f| format!("{} {}", f.id, f.message_or_slug()))
        .collect();
    checks.push(c);

    checks.push(lint_check(project, &migrations, &steps, &mut connection)?);
    checks.push(promotion_check(project, &migrations, &steps, printer));

    match &mut connection {
        Connection::Postgres(pg) => {
            let touches = touched(&pending);
            let lock_timeout = project.settings(false).lock_timeout;
            checks.push(lock_check(pg, &touches, lock_timeout)?);
            checks.push(long_transactions(pg)?);
            checks.push(replication_check(pg, args.max_replication_lag)?);
            checks.push(size_check(pg, &touches)?);
            checks.push(archiver_check(pg)?);
        }
        Connection::Sqlite(_) => checks.push(Check::new(
            "server",
            Status::Info,
            "SQLite: no other sessions, replicas or archive to look at",
        )),
    }

    let blocked = checks.iter().any(|c| c.status == Status::Blocker);
    if printer.json {
        printer.json_value(&serde_json::json!({
            "ok": !blocked,
            "environment": project.env_name,
            "version": version.version,
            "pending": pending.iter().map(|f| f.id.clone()).collect::<Vec<_>>(),
            "checks": checks,
        }));
    } else {
        printer.result(&format!("preflight of `{}`:", project.env_name));
        for c in &checks {
            let mark = match c.status {
                Status::Ok => printer.green("ok     "),
                Status::Info => printer.dim("info   "),
                Status::Warning => printer.yellow("warning"),
                Status::Blocker => printer.red("BLOCKER"),
            };
            printer.result(&format!("  {mark} {:<12} {}", c.check, c.message));
            for d in &c.details {
                printer.result(&format!("          {d}"));
            }
        }
        let blockers = checks
            .iter()
            .filter(|c| c.status == Status::Blocker)
            .count();
        printer.result(&if blocked {
            format!("{} blocker(s): do not deploy yet", blockers)
        } else {
            "no blockers".to_owned()
        });
    }
    if blocked {
        Err(CliError::Reported(EXIT_PROBLEMS))
    } else {
        Ok(())
    }
}

fn lint_check(
    project: &Project,
    migrations: &Migrations,
    steps: &[Step],
    connection: &mut Connection,
) -> Result<Check, CliError> {
    let mode = project.lint_mode();
    if mode == LintMode::Off {
        return Ok(Check::new("lint", Status::Info, "off in this environment"));
    }
    if !matches!(connection, Connection::Postgres(_)) {
        return Ok(Check::new(
            "lint",
            Status::Info,
            "skipped: the rules are PostgreSQL's",
        ));
    }
    let files: Vec<&MigrationFile> = steps
        .iter()
        .filter_map(|s| migrations.get(&s.revision))
        .collect();
    if files.is_empty() {
        return Ok(Check::new("lint", Status::Ok, "nothing pending"));
    }
    let mut settings = super::lint::LintSettings::from_config(project)?;
    settings
        .apply_database(connection, &project.settings(false).tables, false)
        .map_err(db_err("could not read what lint needs from the database"))?;
    let inputs = crate::lint_input::read_project(&files);
    if let Connection::Postgres(pg) = connection {
        settings.answer_data(pg, &inputs);
    }
    let report = settings.lint(&inputs);
    let durations: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.rule == "estimated-duration")
        .map(|f| format!("{}:{}: {}", f.file, f.line, f.message))
        .collect();
    let errors = report.errors();
    let warnings = report
        .findings
        .iter()
        .filter(|f| f.severity == strata_lint::Severity::Warning)
        .count();
    let status = match (errors, mode) {
        (0, _) if warnings == 0 => Status::Ok,
        (0, _) => Status::Warning,
        (_, LintMode::Enforce) => Status::Blocker,
        _ => Status::Warning,
    };
    let mut c = Check::new(
        "lint",
        status,
        format!(
            "{errors} error(s), {warnings} warning(s) in the pending migrations (mode: {mode:?})"
        )
        .to_lowercase(),
    );
    c.details = report
        .findings
        .iter()
        .filter(|f| f.severity >= strata_lint::Severity::Warning)
        .map(|f| format!("{}:{}: {}: {}", f.file, f.line, f.rule, f.message))
        .collect();
    c.details
        .extend(durations.into_iter().map(|d| format!("estimated: {d}")));
    Ok(c)
}

fn promotion_check(
    project: &Project,
    migrations: &Migrations,
    steps: &[Step],
    printer: &Printer,
) -> Check {
    match super::promote::gaps(project, migrations, steps) {
        Ok(None) => Check::new(
            "promotion",
            Status::Ok,
            match &project.config.promotion {
                Some(p) => match p.previous(&project.env_name) {
                    Some(prev) => format!("everything pending has been applied in `{prev}`"),
                    None => {
                        "first in the promotion order (or not in it): nothing to check".to_owned()
                    }
                },
                None => "no [promotion] order".to_owned(),
            },
        ),
        Ok(Some((prev, missing))) => {
            let mut c = Check::new(
                "promotion",
                Status::Blocker,
                format!(
                    "upgrade would be refused: {} revision(s) not applied in `{prev}`",
                    missing.len()
                ),
            );
            c.details = missing;
            c
        }
        Err(e) => Check::new(
            "promotion",
            Status::Info,
            format!(
                "cannot be checked: {}",
                printer
                    .safe(&crate::render::error_message(&e))
                    .replace('\n', " ")
            ),
        ),
    }
}

/// The tables the pending migrations' statements lock, with the lock and the statement's place.
fn touched(pending: &[&MigrationFile]) -> Vec<Touch> {
    let mut out = Vec::new();
    for f in pending {
        let Ok(statements) = strata_lint::parse::parse_section(&f.up.sql, f.up.line) else {
            continue;
        };
        for s in statements {
            let Some(lock) = statement_lock(&s.node) else {
                continue;
            };
            let line = strata_core::line_of_offset(&f.up.sql, s.offset) + f.up.line - 1;
            for table in lock.tables.iter().chain(&lock.referenced) {
                let level = if lock.referenced.contains(table) && !lock.tables.contains(table) {
                    LockLevel::ShareRowExclusive
                } else {
                    lock.lock
                };
                out.push(Touch {
                    table: table.clone(),
                    lock: level,
                    what: lock.what.clone(),
                    at: format!("{}:{line}", f.path),
                });
            }
        }
    }
    out
}

/// PostgreSQL's lock conflict table: whether a lock held in `held` mode (`pg_locks.mode`) blocks
/// one at `wanted`.
fn conflicts(wanted: LockLevel, held: &str) -> bool {
    let held = match held {
        "AccessShareLock" => 1,
        "RowShareLock" => 2,
        "RowExclusiveLock" => 3,
        "ShareUpdateExclusiveLock" => 4,
        "ShareLock" => 5,
        "ShareRowExclusiveLock" => 6,
        "ExclusiveLock" => 7,
        "AccessExclusiveLock" => 8,
        _ => return false,
    };
    let blocked_by: &[i32] = match wanted {
        LockLevel::AccessShare => &[8],
        LockLevel::RowShare => &[7, 8],
        LockLevel::RowExclusive => &[5, 6, 7, 8],
        LockLevel::ShareUpdateExclusive => &[4, 5, 6, 7, 8],
        LockLevel::Share => &[3, 4, 6, 7, 8],
        LockLevel::ShareRowExclusive => &[3, 4, 5, 6, 7, 8],
        LockLevel::Exclusive => &[2, 3, 4, 5, 6, 7, 8],
        LockLevel::AccessExclusive => &[1, 2, 3, 4, 5, 6, 7, 8],
    };
    blocked_by.contains(&held)
}

fn lock_check(
    pg: &mut strata_postgres::Postgres,
    touches: &[Touch],
    lock_timeout: Option<Duration>,
) -> Result<Check, CliError> {
    if touches.is_empty() {
        return Ok(Check::new(
            "locks",
            Status::Ok,
            "the pending statements lock no existing table",
        ));
    }
    let mut details = Vec::new();
    let mut blocker = false;
    for t in touches {
        let sql = format!(
            "SELECT l.pid::text, l.mode, coalesce(a.usename, ''), coalesce(a.application_name, ''), \
             coalesce(a.state, ''), coalesce(extract(epoch FROM now() - coalesce(a.xact_start, a.backend_start))::bigint, 0)::text, \
             left(coalesce(a.query, ''), 80) \
             FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.granted AND l.pid <> pg_backend_pid() AND l.relation = to_regclass({})",
            quote_literal(&t.table)
        );
        let rows = pg
            .simple_query_rows(&sql)
            .map_err(db_err("could not read pg_locks"))?;
        for row in rows {
            let get = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
            if !conflicts(t.lock, &get(1)) {
                continue;
            }
            let held_for: u64 = get(5).parse().unwrap_or(0);
            let long = lock_timeout.is_none_or(|lt| Duration::from_secs(held_for) >= lt);
            blocker |= long;
            details.push(format!(
                "pid {} ({} {}, {}, transaction open {}s) holds {} on {}, which {} at {} needs at {}{}; its query: {}",
                get(0),
                get(2),
                if get(3).is_empty() { "-".to_owned() } else { get(3) },
                get(4),
                held_for,
                get(1),
                t.table,
                t.what,
                t.at,
                t.lock.name(),
                if long { "" } else { " (for less than lock_timeout so far)" },
                get(6).replace('\n', " ")
            ));
        }
    }
    let status = if blocker {
        Status::Blocker
    } else if details.is_empty() {
        Status::Ok
    } else {
        Status::Warning
    };
    let message = if details.is_empty() {
        format!(
            "no session holds a lock the pending statements need ({} table(s) checked)",
            touches.len()
        )
    } else {
        let limit = lock_timeout.map_or(
            "no lock_timeout is set, so the migration would wait, and queue every query behind it"
                .to_owned(),
            |d| format!("lock_timeout is {}s", d.as_secs_f64()),
        );
        format!(
            "{} session lock(s) conflict with the pending statements; {limit}",
            details.len()
        )
    };
    let mut c = Check::new("locks", status, message);
    c.details = details;
    Ok(c)
}

fn long_transactions(pg: &mut strata_postgres::Postgres) -> Result<Check, CliError> {
    let rows = pg
        .simple_query_rows(
            "SELECT pid::text, coalesce(usename, ''), extract(epoch FROM now() - xact_start)::bigint::text, coalesce(state, '') \
             FROM pg_stat_activity WHERE xact_start < now() - interval '1 minute' AND pid <> pg_backend_pid() \
             ORDER BY xact_start",
        )
        .map_err(db_err("could not read pg_stat_activity"))?;
    if rows.is_empty() {
        return Ok(Check::new(
            "transactions",
            Status::Ok,
            "no transaction has been open for more than a minute",
        ));
    }
    let mut c = Check::new(
        "transactions",
        Status::Warning,
        format!(
            "{} transaction(s) open for more than a minute (they hold back vacuum and may hold locks)",
            rows.len()
        ),
    );
    c.details = rows
        .iter()
        .map(|r| {
            let get = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
            format!("pid {} ({}): open {}s, {}", get(0), get(1), get(2), get(3))
        })
        .collect();
    Ok(c)
}

fn replication_check(
    pg: &mut strata_postgres::Postgres,
    max: Option<Duration>,
) -> Result<Check, CliError> {
    let rows = pg
        .simple_query_rows(
            "SELECT coalesce(application_name, ''), coalesce(client_addr::text, ''), \
             coalesce(extract(epoch FROM replay_lag)::float8, 0)::text FROM pg_stat_replication",
        )
        .map_err(db_err("could not read pg_stat_replication"))?;
    if rows.is_empty() {
        return Ok(Check::new(
            "replication",
            Status::Info,
            "no replica is visible from this server (pg_stat_replication is empty)",
        ));
    }
    let mut worst = 0.0f64;
    let details: Vec<String> = rows
        .iter()
        .map(|r| {
            let get = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
            let lag: f64 = get(2).parse().unwrap_or(0.0);
            worst = worst.max(lag);
            format!("{} {}: replay lag {lag:.1}s", get(0), get(1))
        })
        .collect();
    let over = max.is_some_and(|m| worst > m.as_secs_f64());
    let mut c = Check::new(
        "replication",
        if over { Status::Blocker } else { Status::Ok },
        format!(
            "{} replica(s), worst replay lag {worst:.1}s{}",
            rows.len(),
            max.map_or(String::new(), |m| format!(" (limit {}s)", m.as_secs_f64()))
        ),
    );
    c.details = details;
    Ok(c)
}

fn size_check(pg: &mut strata_postgres::Postgres, touches: &[Touch]) -> Result<Check, CliError> {
    let mut names: Vec<&str> = touches.iter().map(|t| t.table.as_str()).collect();
    names.sort();
    names.dedup();
    let mut details = Vec::new();
    for name in names {
        let sql = format!(
            "SELECT pg_size_pretty(pg_total_relation_size(c.oid)), greatest(c.reltuples, 0)::bigint::text \
             FROM pg_class c WHERE c.oid = to_regclass({})",
            quote_literal(name)
        );
        let rows = pg
            .simple_query_rows(&sql)
            .map_err(db_err("could not read table sizes"))?;
        if let Some(r) = rows.first() {
            let get = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
            let how: Vec<String> = touches
                .iter()
                .filter(|t| t.table == name)
                .map(|t| format!("{} ({}) at {}", t.what, t.lock.name(), t.at))
                .collect();
            details.push(format!(
                "{name}: {}, about {} rows; {}",
                get(0),
                get(1),
                how.join("; ")
            ));
        }
    }
    let mut c = Check::new(
        "tables",
        Status::Info,
        if details.is_empty() {
            "the pending statements touch no existing table".to_owned()
        } else {
            format!(
                "{} existing table(s) touched (estimated durations are under lint; `strata lint --calibrate` measures this server)",
                details.len()
            )
        },
    );
    c.details = details;
    Ok(c)
}

fn archiver_check(pg: &mut strata_postgres::Postgres) -> Result<Check, CliError> {
    let rows = pg
        .simple_query_rows(
            "SELECT current_setting('archive_mode'), archived_count::text, coalesce(last_archived_time::text, ''), \
             failed_count::text, coalesce(extract(epoch FROM now() - last_archived_time)::bigint::text, '') FROM pg_stat_archiver",
        )
        .map_err(db_err("could not read pg_stat_archiver"))?;
    let Some(r) = rows.first() else {
        return Ok(Check::new(
            "archive",
            Status::Info,
            "pg_stat_archiver is not visible",
        ));
    };
    let get = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
    if get(0) == "off" {
        return Ok(Check::new(
            "archive",
            Status::Info,
            "WAL archiving is off on this server: no backup recency is visible here; check your backups",
        ));
    }
    if get(2).is_empty() {
        return Ok(Check::new(
            "archive",
            Status::Warning,
            "WAL archiving is on but nothing has been archived yet",
        ));
    }
    Ok(Check::new(
        "archive",
        if get(3) != "0" {
            Status::Warning
        } else {
            Status::Ok
        },
        format!(
            "last WAL segment archived {}s ago ({}); {} failure(s)",
            get(4),
            get(2),
            get(3)
        ),
    ))
}
