//! `strata test`: the checks, run in a scratch database. This module is the orchestration
//! (scratch database, one migration at a time through the `Migrator`, introspection between the
//! steps); what it compares and generates is pure code elsewhere: the readable differences in
//! `strata_schema::undo`, the synthetic rows in `strata_schema::synth`, the row comparison in
//! [`rows`], the JUnit XML in [`report`].

mod fast;
mod fingerprint;
mod impact;
pub mod online;
pub mod report;
pub mod rows;
mod timing;

use crate::context::{dialect_of, Connection, Project};
use crate::desired::Workspace;
use crate::error::{db_err, CliError};
use report::{Case, Suite};
use std::collections::BTreeSet;
use std::time::Instant;
use strata_core::{display_url, Dialect};
use strata_engine::migrator::Silent;
use strata_engine::{EngineError, Migrator};
use strata_files::{MigrationFile, Migrations};
use strata_schema::synth::{self, display_table, Fill};
use strata_schema::Schema;

/// Where the checks that need a database run.
pub enum Scratch {
    /// `--url`: a database the user gave, empty; emptied again afterwards.
    Given { url: String },
    /// The environment's `shadow_url`, emptied before and after.
    Shadow { url: String },
    /// A temporary PostgreSQL database on the environment's server, dropped afterwards.
    Temp {
        server: String,
        temp: Option<strata_postgres::TempDatabase>,
        _guard: crate::desired::Registered,
    },
    /// SQLite in memory.
    Memory,
}

impl Scratch {
    pub fn describe(&self) -> String {
        match self {
            Scratch::Given { url } | Scratch::Shadow { url } => {
                display_url(url).unwrap_or_else(|| "the scratch database".into())
            }
            Scratch::Temp { temp, .. } => format!(
                "temporary database {}",
                temp.as_ref().map(|t| t.name()).unwrap_or("")
            ),
            Scratch::Memory => "an in-memory SQLite database".into(),
        }
    }

    /// Empties the scratch database (between a failed step and the rebuild, and at the end).
    pub fn reset(&self, conn: &mut Connection) -> Result<(), CliError> {
        match conn {
            Connection::Sqlite(_) => crate::desired::reset_sqlite(conn),
            Connection::Postgres(pg) => {
                let url = match self {
                    Scratch::Given { url } | Scratch::Shadow { url } => url,
                    Scratch::Temp { server, .. } => server,
                    Scratch::Memory => return Ok(()),
                };
                strata_postgres::shadow::reset(pg, url)
                    .map_err(db_err("could not empty the scratch database"))
            }
        }
    }

    /// A new session on the scratch database (PostgreSQL; SQLite keeps its connection): a
    /// session that has run a failed migration can hold catalog caches that make the next
    /// `DROP SCHEMA … CASCADE` fail.
    pub fn reconnect(&self, project: &Project, conn: &mut Connection) -> Result<(), CliError> {
        if matches!(conn, Connection::Sqlite(_)) {
            return Ok(());
        }
        if let Some(new) = self.session(project)? {
            *conn = new;
        }
        Ok(())
    }

    /// Another session on a PostgreSQL scratch database (`None` for SQLite).
    fn session(&self, project: &Project) -> Result<Option<Connection>, CliError> {
        Ok(Some(match self {
            Scratch::Given { url } | Scratch::Shadow { url } => project.open_url(url)?,
            Scratch::Temp {
                temp: Some(temp), ..
            } => Connection::Postgres(temp.connect().map_err(db_err(
                "could not connect to the temporary scratch database",
            ))?),
            Scratch::Temp { temp: None, .. } | Scratch::Memory => return Ok(None),
        }))
    }

    /// Drops a temporary database; empties a given or configured one.
    pub fn finish(mut self, project: &Project, conn: Connection) -> Result<(), CliError> {
        let mut conn = conn;
        if let Scratch::Temp { temp, .. } = &mut self {
            drop(conn);
            if let Some(temp) = temp.take() {
                temp.drop_now()
                    .map_err(db_err("could not drop the temporary database"))?;
            }
            return Ok(());
        }
        self.reconnect(project, &mut conn)?;
        self.reset(&mut conn)
    }
}

/// Opens the scratch database: `--url` (refused when it holds any table), else the environment's
/// `shadow_url`, else a temporary database on the environment's PostgreSQL server, else (SQLite)
/// an in-memory database.
pub fn open_scratch(
    project: &Project,
    given: Option<&str>,
    ws: &Workspace,
) -> Result<(Scratch, Connection), CliError> {
    if let Some(url) = given {
        let mut conn = project.open_url(url)?;
        let schema = introspect_all(&mut conn)?;
        let mut tables: Vec<String> = schema
            .tables
            .iter()
            .map(|t| display_table(&t.name))
            .collect();
        tables.extend(schema.views.iter().map(|v| display_table(&v.name)));
        if !tables.is_empty() {
            tables.truncate(5);
            return Err(CliError::invalid_with_hint(
                format!(
                    "the scratch database {} is not empty: it holds {}",
                    display_url(url).unwrap_or_default(),
                    tables.join(", ")
                ),
                "strata test fills and empties its scratch database: give --url an empty database of its own, or leave --url out to use a temporary one (never the target database)",
            ));
        }
        return Ok((
            Scratch::Given {
                url: url.to_owned(),
            },
            conn,
        ));
    }
    let shadow = strata_files::resolve_shadow_url(&project.config, &project.env_name, &|k| {
        std::env::var(k).ok()
    })
    .map_err(CliError::from)?;
    if let Some(url) = shadow {
        let scratch = Scratch::Shadow { url: url.clone() };
        let mut conn = project.open_url(&url)?;
        scratch.reset(&mut conn)?;
        return Ok((scratch, conn));
    }
    match ws.dialect {
        Dialect::Sqlite => Ok((Scratch::Memory, project.open_url("sqlite::memory:")?)),
        Dialect::Postgres => {
            let server = project.url()?;
            if dialect_of(&server)? != Dialect::Postgres {
                return Err(CliError::invalid(
                    "a PostgreSQL scratch database is needed, but the environment's url is not PostgreSQL",
                ));
            }
            let temp = strata_postgres::TempDatabase::create(&server)
                .map_err(db_err("could not create the temporary scratch database"))?;
            let guard = crate::desired::Registered::new(&server, temp.name());
            let pg = temp.connect().map_err(db_err(
                "could not connect to the temporary scratch database",
            ))?;
            Ok((
                Scratch::Temp {
                    server,
                    temp: Some(temp),
                    _guard: guard,
                },
                Connection::Postgres(pg),
            ))
        }
    }
}

/// The schema, strata's own tables left out by name (they are not there before the first run).
fn introspect_all(conn: &mut Connection) -> Result<Schema, CliError> {
    match conn {
        Connection::Postgres(pg) => {
            strata_postgres::introspect(pg, &strata_postgres::IntrospectOptions::default())
                .map_err(db_err("could not read the scratch database's schema"))
        }
        Connection::Sqlite(db) => strata_sqlite::introspect(db, &[])
            .map_err(db_err("could not read the scratch database's schema")),
    }
}

/// What the database-backed checks are asked to do.
pub struct Run<'a> {
    pub project: &'a Project,
    pub migrations: &'a Migrations,
    /// The revisions to test, in graph order.
    pub revisions: Vec<String>,
    /// Applied without being tested before the first (a range's start).
    pub start: Option<String>,
    pub stairway: bool,
    /// `Some(N)`: the data check with N rows per table.
    pub data: Option<usize>,
}

/// The stairway's and the data check's suites and the schema at the end (every tested revision
/// applied), or `None` when the stair could not get there.
pub struct Stair {
    pub stairway: Suite,
    pub data: Suite,
    /// Why the stair stopped before the last revision (an up failed, an online migration).
    pub stopped: Option<String>,
    pub head: Option<Schema>,
}

fn fingerprint(
    fpr: &mut fingerprint::Fingerprinter,
    conn: &mut Connection,
) -> Result<String, CliError> {
    fpr.take(conn)
        .map_err(db_err("could not read the scratch database's schema"))
}

/// A failed migration as a finding (`Ok`), or the database failing under it (`Err`, exit 3).
fn finding(e: EngineError, what: &str) -> Result<String, CliError> {
    match e {
        EngineError::MigrationFailed(f) if !f.error.connection => {
            let line = f
                .statement
                .as_ref()
                .map(|s| format!(":{}", s.error_line.unwrap_or(s.line)))
                .unwrap_or_default();
            Ok(format!(
                "{what} failed at {}{line}: {}",
                f.file,
                f.error.message.trim()
            ))
        }
        EngineError::Invalid { message, .. } => Ok(format!("{what} refused: {message}")),
        other => Err(CliError::Engine(other)),
    }
}

/// A failed migration that left the database as it was: rolled back, or run outside a
/// transaction and failed at its first statement.
fn left_nothing(e: &EngineError) -> bool {
    match e {
        EngineError::MigrationFailed(f) => match &f.ran_outside_transaction {
            Some(ran) => ran.is_empty(),
            None => f.rolled_back,
        },
        _ => false,
    }
}

/// The text of a failed migration, for a finding that does not end the run.
fn finding_text(e: &EngineError) -> String {
    match e {
        EngineError::MigrationFailed(f) => {
            let line = f
                .statement
                .as_ref()
                .map(|s| format!(":{}", s.error_line.unwrap_or(s.line)))
                .unwrap_or_default();
            format!("{}{line}: {}", f.file, f.error.message.trim())
        }
        other => other.to_string(),
    }
}

/// The stairway and the data check in one pass: for each revision, fill the empty tables, read
/// the schema and the rows, upgrade it, read, downgrade it, read and compare, upgrade it again,
/// read and compare.
pub fn stairway(
    run: &Run,
    ws: &Workspace,
    scratch: &Scratch,
    conn: &mut Connection,
    progress: &dyn Fn(usize, &str),
) -> Result<Stair, CliError> {
    match halves(run, ws, scratch)? {
        Some((first, second, second_scratch, second_conn)) => climb_in_halves(
            run,
            ws,
            (scratch, conn, &first),
            (second_scratch, second_conn, &second),
            progress,
        ),
        None => climb(run, ws, scratch, conn, progress, true),
    }
}

/// Fewer steps than this are climbed in one go.
const HALVES_FROM: usize = 48;

/// The lighter path's stair cut in two, to climb both halves at once on two scratch databases
/// (the server runs each on a core of its own): the two runs, and the second half's temporary
/// database, on which the first half is applied untested before its climb. Only for PostgreSQL
/// without the data check, from [`HALVES_FROM`] revisions, when the history is a single line
/// where it is cut and a temporary database can be created; else `None` (one climb).
#[allow(clippy::type_complexity)]
fn halves<'a>(
    run: &Run<'a>,
    ws: &Workspace,
    scratch: &Scratch,
) -> Result<Option<(Run<'a>, Run<'a>, Scratch, Connection)>, CliError> {
    if run.data.is_some()
        || !run.stairway
        || ws.dialect != Dialect::Postgres
        || run.revisions.len() < HALVES_FROM
        || std::env::var_os("STRATA_TEST_ONE_CLIMB").is_some()
    {
        return Ok(None);
    }
    let graph = &run.migrations.graph;
    // Later steps cost more (a larger schema to compare and read), and the second half is
    // applied once untested first: its share is the smaller.
    let cut = run.revisions.len() * 3 / 5;
    let mut below: BTreeSet<String> = run.revisions[..cut].iter().cloned().collect();
    if let Some(start) = &run.start {
        if let Ok(id) = graph.resolve(start) {
            below.extend(graph.ancestors(id));
            below.insert(id.to_owned());
        }
    }
    let heads = graph.heads_of(&below);
    let [start] = heads.as_slice() else {
        return Ok(None);
    };
    let server = match scratch {
        Scratch::Given { url } | Scratch::Shadow { url } => url.clone(),
        Scratch::Temp { server, .. } => server.clone(),
        Scratch::Memory => return Ok(None),
    };
    // No second database (no CREATEDB, say): one climb.
    let Ok(temp) = strata_postgres::TempDatabase::create(&server) else {
        return Ok(None);
    };
    let guard = crate::desired::Registered::new(&server, temp.name());
    let Ok(pg) = temp.connect() else {
        return Ok(None);
    };
    let part = |revisions: &[String], start: Option<String>| Run {
        project: run.project,
        migrations: run.migrations,
        revisions: revisions.to_vec(),
        start,
        stairway: run.stairway,
        data: run.data,
    };
    Ok(Some((
        part(&run.revisions[..cut], run.start.clone()),
        part(&run.revisions[cut..], Some(start.clone())),
        Scratch::Temp {
            server,
            temp: Some(temp),
            _guard: guard,
        },
        Connection::Postgres(pg),
    )))
}

/// Both halves at once; the second's cases are kept only when the first climbed to its end
/// (otherwise they are the same "not run" as in one climb).
fn climb_in_halves(
    run: &Run,
    ws: &Workspace,
    (scratch, conn, first): (&Scratch, &mut Connection, &Run),
    (second_scratch, mut second_conn, second): (Scratch, Connection, &Run),
    progress: &dyn Fn(usize, &str),
) -> Result<Stair, CliError> {
    let started = Instant::now();
    let (low, high) = std::thread::scope(|s| {
        let high = s.spawn(|| {
            climb(
                second,
                ws,
                &second_scratch,
                &mut second_conn,
                &|_, _| {},
                true,
            )
        });
        // The first half's end is the second's start: its model is not needed.
        let low = climb(first, ws, scratch, conn, progress, false);
        (low, high.join())
    });
    let high = high.map_err(|_| CliError::invalid("the second half of the stairway panicked"))?;
    second_scratch.finish(run.project, second_conn)?;
    let mut low = low?;
    if let Some(last) = run.revisions.last().and_then(|r| run.migrations.get(r)) {
        progress(run.revisions.len() - 1, &case_name(last));
    }
    match &low.stopped {
        Some(reason) => {
            for revision in &second.revisions {
                if let Some(file) = run.migrations.get(revision) {
                    let name = case_name(file);
                    low.stairway
                        .cases
                        .push(Case::skipped(&name, reason.clone()));
                    if run.data.is_some() {
                        low.data.cases.push(Case::skipped(&name, reason.clone()));
                    }
                }
            }
        }
        None => {
            let high = high?;
            low.stairway.cases.extend(high.stairway.cases);
            low.data.cases.extend(high.data.cases);
            low.stopped = high.stopped;
            low.head = high.head;
        }
    }
    low.stairway.time = started.elapsed();
    low.data.time = low.stairway.time;
    Ok(low)
}

/// One climb of the stair over `run`'s revisions on one scratch database; with `head`, the
/// model at its end too.
fn climb(
    run: &Run,
    ws: &Workspace,
    scratch: &Scratch,
    conn: &mut Connection,
    progress: &dyn Fn(usize, &str),
    head: bool,
) -> Result<Stair, CliError> {
    let started = Instant::now();
    let tm = timing::Timings::from_env();
    let settings = run.project.settings(false);
    let mut stair = Suite::new("stairway");
    let mut data = Suite::new("data");
    if run.data.is_none() {
        data.skipped = Some("not selected".into());
    }
    if !run.stairway {
        stair.skipped = Some("not selected".into());
    }
    if let Some(start) = &run.start {
        let mut m = Migrator::new(conn.db(), run.migrations, settings.clone());
        if let Err(e) = m.upgrade(start, &mut Silent) {
            let message = finding(e, &format!("upgrading to the range's start {start}"))?;
            let mut case = Case::new(format!("{start} (range start)"));
            case.failures.push(message);
            stair.cases.push(case);
            stair.time = started.elapsed();
            return Ok(Stair {
                stairway: stair,
                data,
                stopped: Some(format!(
                    "not run: the range's start {start} could not be applied"
                )),
                head: None,
            });
        }
    }
    let mut fpr = fingerprint::Fingerprinter::default();
    fast_commits(conn)?;
    let mut before = tm.time("introspect", || ws.introspect(conn))?;
    let mut before_known = true;
    // Taken when a step needs it (the fast path compares what each step adds and removes).
    let mut before_fp: Option<String> = None;
    let mut heads: Option<Vec<String>> = None;
    // The lighter path (see `fast`): PostgreSQL, without the data check.
    let stepper = (run.data.is_none() && ws.dialect == Dialect::Postgres).then(|| fast::Stepper {
        run,
        ws,
        settings: settings.clone(),
        tm: &tm,
        versioning: run.project.config.versioning,
    });
    if stepper.is_some() {
        // The second session of the step comparison; without it (say, no connection slot left)
        // the comparison reads the rows each step deleted after rolling it back.
        if let Ok(Some(Connection::Postgres(pg))) = scratch.session(run.project) {
            fpr.observe(pg);
        }
    }
    let mut tested: BTreeSet<String> = BTreeSet::new();
    let mut seed: u64 = 1;
    let mut stopped: Option<String> = None;
    for (i, revision) in run.revisions.iter().enumerate() {
        let Some(file) = run.migrations.get(revision) else {
            continue;
        };
        let name = case_name(file);
        progress(i, &name);
        if let Some(reason) = &stopped {
            stair.cases.push(Case::skipped(&name, reason.clone()));
            if run.data.is_some() {
                data.cases.push(Case::skipped(&name, reason.clone()));
            }
            continue;
        }
        let t0 = Instant::now();
        let mut case = Case::new(&name);
        let mut dcase = Case::new(&name);
        if file.online {
            let reason = format!(
                "{revision} is an online migration, which the stairway cannot apply: the migrations above it were not tested"
            );
            case.skipped = Some("online migration (see the online check)".into());
            stair.cases.push(case);
            stopped = Some(reason);
            continue;
        }
        if let Some(stepper) = &stepper {
            let mut at = fast::Position {
                before: std::mem::take(&mut before),
                known: before_known,
                fp: std::mem::take(&mut before_fp),
                heads: heads.take(),
            };
            let outcome = stepper.step(&mut fpr, conn, &mut at, revision, file, &mut case);
            before = at.before;
            before_known = at.known;
            before_fp = at.fp;
            heads = at.heads;
            match outcome? {
                fast::Outcome::Slow => {}
                fast::Outcome::Done => {
                    tested.insert(revision.clone());
                    case.time = t0.elapsed();
                    stair.cases.push(case);
                    continue;
                }
                fast::Outcome::Retry => {
                    tm.time("rebuild", || rebuild(run, ws, scratch, conn, &tested))?;
                    fpr.reset();
                    before_fp = None;
                    before_known = false;
                }
                fast::Outcome::Rebuild => {
                    tested.insert(revision.clone());
                    tm.time("rebuild", || rebuild(run, ws, scratch, conn, &tested))?;
                    fpr.reset();
                    before_fp = None;
                    before_known = false;
                    case.time = t0.elapsed();
                    stair.cases.push(case);
                    continue;
                }
                fast::Outcome::UpFailed => {
                    case.time = t0.elapsed();
                    stair.cases.push(case);
                    stopped = Some(format!(
                        "not run: the up of {revision} failed, and the migrations above need it"
                    ));
                    continue;
                }
            }
        }
        if !before_known {
            before = tm.time("introspect", || ws.introspect(conn))?;
            before_known = true;
        }
        heads = None;
        let before_fp_now = match before_fp.take() {
            Some(fp) => fp,
            None => tm.time("fingerprint", || fingerprint(&mut fpr, conn))?,
        };
        'slow: {
            // Rows for the data check: the tables still empty.
            let mut rows_before = None;
            if let Some(n) = run.data {
                let empty = rows::empty_tables(conn, &before)
                    .map_err(db_err("could not count the rows of the scratch database"))?;
                for fill in synth::fill(&before, ws.dialect, &empty, n, seed) {
                    match fill {
                        Fill::Insert { table, sql } => {
                            if let Err(e) = conn.db().execute(&sql) {
                                if e.connection {
                                    return Err(db_err("the scratch database failed")(e));
                                }
                                dcase.notes.push(format!(
                                    "table {} not filled: the database refused the generated rows ({})",
                                    display_table(&table),
                                    e.message.trim()
                                ));
                            }
                        }
                        Fill::Skip { table, reason } => dcase.notes.push(format!(
                            "table {} not filled: {reason}",
                            display_table(&table)
                        )),
                    }
                }
                seed += n as u64 * 1000;
                rows_before = Some(
                    rows::snapshot(conn, &before)
                        .map_err(db_err("could not read the rows of the scratch database"))?,
                );
            }
            let mut migrator = Migrator::new(conn.db(), run.migrations, settings.clone());
            let mut up = tm.time("up", || migrator.upgrade(revision, &mut Silent));
            let had_rows = rows_before
                .as_ref()
                .is_some_and(|s| s.values().any(|r| !r.rows.is_empty()));
            if let (Err(e), true) = (&up, had_rows) {
                // The up fails on tables with rows (a NOT NULL on a column the rows leave empty,
                // a unique index their values break): the data check's finding. The stair goes on
                // from empty tables.
                let first = finding_text(e);
                rows::empty_all(conn, &before)
                    .map_err(db_err("could not empty the tables of the scratch database"))?;
                let mut migrator = Migrator::new(conn.db(), run.migrations, settings.clone());
                up = tm.time("up", || migrator.upgrade(revision, &mut Silent));
                if up.is_ok() {
                    dcase.notes.push(format!(
                        "the up fails on the synthetic rows ({first}); tested on empty tables"
                    ));
                    rows_before = Some(rows::Snapshot::new());
                }
            }
            if let Err(e) = up {
                case.failures.push(finding(e, "up")?);
                case.time = t0.elapsed();
                stair.cases.push(case);
                stopped = Some(format!(
                    "not run: the up of {revision} failed, and the migrations above need it"
                ));
                break 'slow;
            }
            tested.insert(revision.clone());
            let after_up = tm.time("introspect", || ws.introspect(conn))?;
            if run.project.config.versioning {
                case.failures
                    .extend(impact::header_problem(ws, file, &before, &after_up));
            }
            let up_fp = tm.time("fingerprint", || fingerprint(&mut fpr, conn))?;
            let rows_up = match &rows_before {
                Some(_) => Some(
                    rows::snapshot(conn, &after_up)
                        .map_err(db_err("could not read the rows of the scratch database"))?,
                ),
                None => None,
            };
            if let (Some(b), Some(u)) = (&rows_before, &rows_up) {
                let lost = rows::lost_on_up(b, u);
                match loss_waiver(file) {
                    _ if lost.is_empty() => {}
                    Some(reason) => dcase.notes.push(format!(
                        "the up loses data, as its lint waiver says ({reason}): {}",
                        lost.join("; ")
                    )),
                    None => dcase.failures.extend(lost),
                }
            }
            if let Some(reason) = &file.irreversible {
                case.notes.push(format!(
                    "irreversible ({reason}): the stair stops here; the migrations above are tested from this revision"
                ));
                if run.data.is_some() {
                    dcase.notes.push("irreversible: no down to test".into());
                }
                case.time = t0.elapsed();
                stair.cases.push(case);
                dcase.time = t0.elapsed();
                if run.data.is_some() {
                    data.cases.push(dcase);
                }
                before = after_up;
                before_fp = Some(up_fp);
                break 'slow;
            }
            let target = format!("{revision}@base");
            let mut migrator = Migrator::new(conn.db(), run.migrations, settings.clone());
            let mut down = tm.time("down", || migrator.downgrade(&target, &mut Silent));
            let up_rows = rows_up
                .as_ref()
                .is_some_and(|s| s.values().any(|r| !r.rows.is_empty()));
            if let (Err(e), true) = (&down, up_rows) {
                // As for the up: a down that fails only because of the synthetic rows (a NOT NULL
                // put back on a column the up added) is tested again on empty tables.
                let transactional = file.non_transactional(true).is_none();
                if transactional {
                    let first = finding_text(e);
                    rows::empty_all(conn, &after_up)
                        .map_err(db_err("could not empty the tables of the scratch database"))?;
                    let mut migrator = Migrator::new(conn.db(), run.migrations, settings.clone());
                    down = tm.time("down", || migrator.downgrade(&target, &mut Silent));
                    if down.is_ok() {
                        dcase.notes.push(format!(
                            "the down fails on the synthetic rows ({first}); tested on empty tables"
                        ));
                        rows_before = Some(rows::Snapshot::new());
                    }
                }
            }
            if let Err(e) = down {
                let clean = left_nothing(&e);
                case.failures.push(finding(e, "down")?);
                if clean {
                    // Nothing of the down stayed: the schema is the one after the up.
                    before = after_up;
                    before_fp = Some(up_fp);
                } else {
                    tm.time("rebuild", || rebuild(run, ws, scratch, conn, &tested))?;
                    fpr.reset();
                    before = tm.time("introspect", || ws.introspect(conn))?;
                    before_fp = Some(tm.time("fingerprint", || fingerprint(&mut fpr, conn))?);
                }
                case.time = t0.elapsed();
                stair.cases.push(case);
                if run.data.is_some() {
                    dcase.skipped = Some("the down failed (see the stairway)".into());
                    data.cases.push(dcase);
                }
                break 'slow;
            }
            // The whole model is read only when the fingerprint says the schema is not as before.
            let undone_fp = tm.time("fingerprint", || fingerprint(&mut fpr, conn))?;
            let (after_down, undone) = if undone_fp == before_fp_now {
                (before.clone(), Vec::new())
            } else {
                let after_down = tm.time("introspect", || ws.introspect(conn))?;
                let undone = strata_schema::undo::undo_differences(&before, &after_up, &after_down);
                (after_down, undone)
            };
            // When the down already left the schema different, the second up starts elsewhere:
            // only its failure is news.
            let compare_redo = undone.is_empty();
            // PostgreSQL appends a re-added column: a down cannot put it back in place.
            let (order, undone): (Vec<String>, Vec<String>) = undone
                .into_iter()
                .partition(|d| d.contains(" in another order: "));
            case.notes.extend(order);
            case.failures.extend(undone);
            if let (Some(b), Some(u)) = (&rows_before, &rows_up) {
                let d = rows::snapshot(conn, &after_down)
                    .map_err(db_err("could not read the rows of the scratch database"))?;
                let lost = rows::lost(b, u, &d);
                match &file.destructive_downgrade {
                    Some(reason) if !lost.is_empty() => dcase.notes.push(format!(
                        "the down loses data, as its -- strata:destructive-downgrade says ({reason}): {}",
                        lost.join("; ")
                    )),
                    _ => dcase.failures.extend(lost),
                }
            }
            let mut migrator = Migrator::new(conn.db(), run.migrations, settings.clone());
            match tm.time("up", || migrator.upgrade(revision, &mut Silent)) {
                Ok(_) => {
                    let again_fp = tm.time("fingerprint", || fingerprint(&mut fpr, conn))?;
                    if again_fp == up_fp {
                        before = after_up;
                    } else {
                        let again = tm.time("introspect", || ws.introspect(conn))?;
                        if compare_redo {
                            case.failures
                                .extend(strata_schema::undo::redo_differences(&after_up, &again));
                        }
                        before = again;
                    }
                    before_fp = Some(again_fp);
                }
                Err(e) => {
                    case.failures
                        .push(finding(e, "up applied again after the down")?);
                    tm.time("rebuild", || rebuild(run, ws, scratch, conn, &tested))?;
                    fpr.reset();
                    before = tm.time("introspect", || ws.introspect(conn))?;
                    before_fp = Some(tm.time("fingerprint", || fingerprint(&mut fpr, conn))?);
                }
            }
            case.time = t0.elapsed();
            dcase.time = t0.elapsed();
            stair.cases.push(case);
            if run.data.is_some() {
                data.cases.push(dcase);
            }
        }
    }
    stair.time = started.elapsed();
    tm.print(stair.time);
    data.time = stair.time;
    if head && stopped.is_none() && !before_known {
        before = tm.time("introspect", || ws.introspect(conn))?;
    }
    let head = (head && stopped.is_none()).then_some(before);
    Ok(Stair {
        stairway: stair,
        data,
        stopped,
        head,
    })
}

/// A scratch database's commits need not wait for the disk, and its schema is read many times
/// on one session: the catalog queries are planned once (PostgreSQL; for the session).
fn fast_commits(conn: &mut Connection) -> Result<(), CliError> {
    if let Connection::Postgres(pg) = conn {
        pg.keep_statements();
        strata_engine::Database::execute(pg, "SET synchronous_commit = off")
            .map_err(db_err("the scratch database failed"))?;
    }
    Ok(())
}

/// After a step left the scratch database in a state the next steps cannot start from: empty
/// it and apply the migrations tested so far (untested this time), so the stair goes on.
fn rebuild(
    run: &Run,
    _ws: &Workspace,
    scratch: &Scratch,
    conn: &mut Connection,
    tested: &BTreeSet<String>,
) -> Result<(), CliError> {
    scratch.reconnect(run.project, conn)?;
    scratch.reset(conn)?;
    fast_commits(conn)?;
    let settings = run.project.settings(false);
    let mut targets: Vec<String> = run.start.iter().cloned().collect();
    let mut applied: BTreeSet<String> = tested.clone();
    if let Some(start) = &run.start {
        if let Ok(id) = run.migrations.graph.resolve(start) {
            applied.extend(run.migrations.graph.ancestors(id));
            applied.insert(id.to_owned());
        }
    }
    targets.extend(run.migrations.graph.heads_of(&applied));
    for target in targets {
        let mut m = Migrator::new(conn.db(), run.migrations, settings.clone());
        m.upgrade(&target, &mut Silent).map_err(|e| {
            match finding(e, "rebuilding the scratch database") {
                Ok(message) => CliError::invalid(message),
                Err(e) => e,
            }
        })?;
    }
    Ok(())
}

/// The lint rules whose findings are about deleting data.
const DATA_LOSS_RULES: &[&str] = &[
    "drop-table",
    "drop-column",
    "drop-schema",
    "truncate-cascade",
    "unbatched-backfill",
];

/// The reason of a lint waiver, in the up or for the whole file, of a rule about deleting data:
/// the author knows the up loses rows.
fn loss_waiver(file: &MigrationFile) -> Option<String> {
    let text = std::fs::read_to_string(&file.path).ok()?;
    strata_lint::find_waivers(&text)
        .into_iter()
        .filter(|w| w.file_wide)
        .chain(strata_lint::find_waivers(&file.up.sql))
        .find(|w| {
            w.rules
                .iter()
                .any(|r| DATA_LOSS_RULES.contains(&r.as_str()))
        })
        .map(|w| w.reason)
}

/// `20261125143000 create users`.
pub fn case_name(file: &MigrationFile) -> String {
    format!("{} {}", file.id, file.message_or_slug())
}
