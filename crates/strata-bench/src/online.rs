//! Online migrations under load (issue 5): a table of N rows, pgbench clients of the old
//! and the new application version, strata's `start` and `complete` run in-process, and the naive
//! `ALTER TABLE` statements timed under the same load in the same run (docs/benchmarks.md).
//!
//! ```text
//! strata-bench online [--rows 1000000] [--clients 4] [--rate 400] [--together 10]
//!                     [--batch-size 1000] [--batch-pause-ms 0] [--lock-timeout-ms 2000]
//!                     [--max-blocking-ms 300] [--blocker-secs 0] [--query-mode simple]
//!                     [--admin-url URL] [--keep]
//! ```
//!
//! 1. A fresh database with `accounts(id bigint PRIMARY KEY, balance integer NOT NULL, name text
//!    NOT NULL)` filled with N rows, vacuumed and analyzed.
//! 2. An online migration (`.toml`): `alter_column` balance integer -> bigint,
//!    `rename_column` name -> full_name, `add_column` `verified boolean NOT NULL` filled from
//!    `balance > 0`.
//! 3. Phase A: old clients (pgbench, the physical table, old names) while `strata_online::start`
//!    runs (expand, both backfills over every row, the version schema). Phase B: old clients and
//!    new clients (`search_path` = the version schema first, new names, writing `verified`)
//!    together for `--together` seconds. Phase C: the old clients are gone (the rename is
//!    contracted away: an old client cannot survive `complete`), new clients run while
//!    `strata_online::complete` runs. After each phase the rows each version wrote are checked
//!    through the other version; after C the final shape, the row count and that nothing of
//!    strata's is left.
//! 4. On a second database with the same table, under the same old-client load, each naive
//!    statement in its own window: `ALTER COLUMN balance TYPE bigint`, `ADD COLUMN verified boolean
//!    NOT NULL DEFAULT false`, `CREATE INDEX ON accounts (balance)`, then `RENAME COLUMN name TO
//!    full_name` (last: old clients cannot run after it).
//! 5. A markdown table; exit 1 when the online run fails a transaction, lets one take 1 s or more,
//!    or a check fails.
//!
//! pgbench runs again and again, about 15 seconds each, until the phase ends (pgbench cannot be
//! stopped gracefully): with `--rate`, `-R rate -t <15 s worth of transactions per client>`, so
//! that a run ends only once every scheduled transaction ran, the backlog after a stall included;
//! unthrottled (`--rate 0`), `-T 15`, and a run waits for its transactions in flight. Latencies
//! come from pgbench's per-transaction log (`-l`); with `--rate` they include the schedule lag
//! (the time a transaction waited behind schedule after a stall), as a user would see it.

use super::{create_db, drop_db, ms};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use strata_online::{Progress, RunOptions, State};
use strata_postgres::{ConnectOptions, Postgres};

const MIGRATION_ID: &str = "20261126090000";
/// Seconds of each pgbench run of a window.
const CHUNK_SECS: u32 = 15;
/// Load before and after the timed operation of each window.
const MARGIN: Duration = Duration::from_secs(2);
const BAR: Duration = Duration::from_secs(1);

struct Args {
    rows: u64,
    clients: u32,
    /// Transactions per second of each pgbench (all its clients together); 0: as fast as it can.
    rate: u32,
    batch_size: u64,
    /// Pause between backfill batches.
    batch_pause: Duration,
    lock_timeout: Duration,
    /// `--blocker-secs`: a session holding a lock on the table this long as `start` begins.
    blocker: Duration,
    /// The lock watcher's threshold (`strata --max-blocking`); zero: no watcher.
    max_blocking: Duration,
    together: Duration,
    /// pgbench's `-M`: `simple`, `extended` or `prepared`.
    query_mode: String,
    admin_url: String,
    keep: bool,
}

pub fn main(rest: &[String]) {
    let mut args = Args {
        rows: 1_000_000,
        clients: 4,
        rate: 400,
        batch_size: 1000,
        batch_pause: Duration::ZERO,
        // What `strata start`/`complete` use by default.
        lock_timeout: RunOptions::default().lock_timeout,
        max_blocking: Duration::from_millis(300),
        blocker: Duration::ZERO,
        together: Duration::from_secs(10),
        query_mode: "simple".to_owned(),
        admin_url: std::env::var("STRATA_TEST_PG_ADMIN_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
        keep: false,
    };
    let mut i = 0;
    while i < rest.len() {
        if rest[i] == "--keep" {
            args.keep = true;
            i += 1;
            continue;
        }
        let value = rest.get(i + 1).cloned().unwrap_or_else(|| usage());
        let number = || value.parse::<u64>().unwrap_or_else(|_| usage());
        match rest[i].as_str() {
            "--rows" => args.rows = number().max(1),
            "--clients" => args.clients = number().clamp(1, 64) as u32,
            "--rate" => args.rate = number() as u32,
            "--batch-size" => args.batch_size = number().max(1),
            "--batch-pause-ms" => args.batch_pause = Duration::from_millis(number()),
            "--lock-timeout-ms" => args.lock_timeout = Duration::from_millis(number().max(1)),
            "--max-blocking-ms" => args.max_blocking = Duration::from_millis(number()),
            "--blocker-secs" => args.blocker = Duration::from_secs(number()),
            "--together" => args.together = Duration::from_secs(number()),
            "--query-mode" if ["simple", "extended", "prepared"].contains(&value.as_str()) => {
                args.query_mode = value.clone()
            }
            "--admin-url" => args.admin_url = value.clone(),
            _ => usage(),
        }
        i += 2;
    }
    run(&args);
}

fn usage() -> ! {
    eprintln!(
        "usage: strata-bench online [--rows N] [--clients N] [--rate TPS] [--batch-size N] [--batch-pause-ms MS] [--lock-timeout-ms MS] [--max-blocking-ms MS] [--blocker-secs N] [--together SECS] [--query-mode simple|extended|prepared] [--admin-url URL] [--keep]"
    );
    std::process::exit(2);
}

fn pgbench_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(found) = std::env::split_paths(&path)
            .map(|dir| dir.join("pgbench"))
            .find(|p| p.is_file())
        {
            return found;
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin/pgbench"))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| {
        eprintln!("strata-bench: pgbench not found on PATH nor in /usr/lib/postgresql/*/bin");
        std::process::exit(2);
    })
}

/// The table every run starts from.
fn setup_sql(rows: u64) -> String {
    format!(
        "CREATE TABLE accounts (id bigint PRIMARY KEY, balance integer NOT NULL, name text NOT NULL);\n\
         INSERT INTO accounts SELECT g, (g % 2001) - 1000, 'account ' || g FROM generate_series(1, {rows}) g;\n\
         CREATE SEQUENCE bench_ids START WITH {};",
        rows + 1
    )
}

const MIGRATION: &str = r#"message = "accounts: bigint balance, name -> full_name, verified flag"

[[operations]]
type = "alter_column"
table = "accounts"
column = "balance"
data_type = "bigint"
up = "balance::bigint"
down = "balance::integer"

[[operations]]
type = "rename_column"
table = "accounts"
from = "name"
to = "full_name"

[[operations]]
type = "add_column"
table = "accounts"
up = "balance > 0"

[operations.column]
name = "verified"
type = "boolean"
nullable = false
"#;

/// Old version: the physical table, old names. Each transaction reads a row, updates another
/// original row's balance and inserts a row whose name records its balance (`old:<balance>`), so
/// the new version can check the values it sees.
const OLD_SCRIPT: &str = r"\set id random(1, :rows)
\set delta random(-100, 100)
\set b random(-1000, 1000)
BEGIN;
SELECT id, balance, name FROM accounts WHERE id = :id;
UPDATE accounts SET balance = balance + :delta WHERE id = :id;
INSERT INTO accounts (id, balance, name) VALUES (nextval('bench_ids'), :b, 'old:' || (:b));
END;
";

/// New version: the version schema first in the search_path, new names, writing the new column
/// (`verified = true` on its inserts, where `up` would have said `balance > 0`).
const NEW_SCRIPT: &str = r"\set id random(1, :rows)
\set delta random(-100, 100)
\set b random(-1000, 1000)
BEGIN;
SELECT id, balance, full_name, verified FROM accounts WHERE id = :id;
UPDATE accounts SET balance = balance + :delta, verified = (:delta >= 0) WHERE id = :id;
INSERT INTO accounts (id, balance, full_name, verified) VALUES (nextval('bench_ids'), :b, 'new:' || (:b), true);
END;
";

/// One kind of client: a pgbench script against a database.
struct Load<'a> {
    label: &'static str,
    url: &'a str,
    script: &'a Path,
    search_path: Option<String>,
    args: &'a Args,
    pgbench: &'a Path,
    logs: &'a Path,
}

/// What pgbench saw over a window.
#[derive(Clone, Debug, Default)]
struct Stats {
    /// Transactions that committed.
    transactions: u64,
    /// pgbench's "number of failed transactions" plus one per aborted client.
    failed: u64,
    /// Clients pgbench stopped after a non-retryable error.
    aborted: u64,
    /// Latency of every transaction, microseconds.
    latencies: Vec<u64>,
    /// When the slowest transaction ended, microseconds since the Unix epoch.
    worst_end: u64,
    errors: Vec<String>,
    runs: u32,
    /// When each pgbench run started, and how long it took.
    spans: Vec<(Instant, Duration)>,
}

impl Stats {
    fn add(&mut self, other: &Stats) {
        self.transactions += other.transactions;
        self.failed += other.failed;
        self.aborted += other.aborted;
        if other.worst() > self.worst() {
            self.worst_end = other.worst_end;
        }
        self.latencies.extend_from_slice(&other.latencies);
        self.errors.extend(other.errors.iter().cloned());
        self.runs += other.runs;
        self.spans.extend_from_slice(&other.spans);
    }

    fn worst(&self) -> Duration {
        Duration::from_micros(self.latencies.iter().copied().max().unwrap_or(0))
    }

    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let mut v = self.latencies.clone();
        v.sort_unstable();
        let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
        Duration::from_micros(v[rank - 1])
    }

    /// The time pgbench ran.
    fn wall(&self) -> Duration {
        self.spans.iter().map(|(_, d)| *d).sum()
    }

    fn over(&self, limit: Duration) -> usize {
        let limit = limit.as_micros() as u64;
        self.latencies.iter().filter(|&&l| l >= limit).count()
    }
}

impl Load<'_> {
    /// pgbench runs of about `CHUNK_SECS` one after the other until `stop` is set (checked between
    /// runs) or a client aborts (pgbench 15 stops a client at its first non-retryable error; the
    /// next run would abort at once too).
    fn run(&self, stop: &AtomicBool) -> Stats {
        let mut total = Stats::default();
        for n in 0.. {
            let name = format!("{}_{n}", self.label);
            let prefix = self.logs.join(&name);
            let mut cmd = Command::new(self.pgbench);
            let clients = self.args.clients.to_string();
            cmd.args(["-n", "-M", &self.args.query_mode, "-c", &clients])
                .args(["-j", &self.args.clients.min(2).to_string()])
                .args(["-D", &format!("rows={}", self.args.rows)])
                .arg("-f")
                .arg(self.script)
                .arg("-l")
                .arg(format!("--log-prefix={}", prefix.display()))
                .arg("--failures-detailed");
            if self.args.rate > 0 {
                // A number of transactions rather than a duration: a run then ends only once
                // every scheduled transaction ran, so the backlog after a stall is measured too
                // (with `-T`, clients stop when the time is up, backlog or not).
                let per_client = (u64::from(self.args.rate) * u64::from(CHUNK_SECS))
                    .div_ceil(u64::from(self.args.clients));
                cmd.args(["-R", &self.args.rate.to_string()])
                    .args(["-t", &per_client.max(1).to_string()]);
            } else {
                cmd.args(["-T", &CHUNK_SECS.to_string()]);
            }
            match &self.search_path {
                Some(path) => cmd.env("PGOPTIONS", format!("-c search_path={path}")),
                None => cmd.env_remove("PGOPTIONS"),
            };
            cmd.arg(self.url);
            let began = Instant::now();
            let out = cmd.output().expect("run pgbench");
            let took = began.elapsed();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let mut run = Stats {
                runs: 1,
                spans: vec![(began, took)],
                ..Stats::default()
            };
            let mut summary = false;
            for line in stdout.lines() {
                if let Some(v) = line.strip_prefix("number of transactions actually processed: ") {
                    summary = true;
                    run.transactions = v
                        .split(['/', ' '])
                        .next()
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                } else if let Some(v) = line.strip_prefix("number of failed transactions: ") {
                    run.failed += v
                        .split(' ')
                        .next()
                        .and_then(|n| n.parse::<u64>().ok())
                        .unwrap_or(0);
                }
            }
            for line in stderr.lines() {
                if line.contains(" aborted in command ") {
                    run.aborted += 1;
                    run.failed += 1;
                    run.errors.push(line.trim().to_owned());
                }
            }
            if !summary {
                eprintln!(
                    "strata-bench: pgbench ({}) printed no summary ({}):\n{stderr}",
                    self.label, out.status
                );
                std::process::exit(3);
            }
            // The per-transaction log: one file per thread, `<prefix>.<pid>[.<thread>]`.
            for entry in std::fs::read_dir(self.logs)
                .expect("read the log folder")
                .flatten()
            {
                let file = entry.file_name().to_string_lossy().into_owned();
                if !file.starts_with(&format!("{name}.")) {
                    continue;
                }
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                for line in text.lines() {
                    // client_id transaction_no time script_no time_epoch time_us [lag] ...
                    // `time` is the latency in microseconds, or `failed`/`serialization`/
                    // `deadlock`.
                    let fields: Vec<u64> = line
                        .split_whitespace()
                        .map(|f| f.parse().unwrap_or(u64::MAX))
                        .collect();
                    if let [_, _, latency, _, epoch, micros, ..] = fields[..] {
                        if latency == u64::MAX {
                            continue;
                        }
                        if run.latencies.iter().all(|&l| l < latency) {
                            run.worst_end = epoch.saturating_mul(1_000_000).saturating_add(micros);
                        }
                        run.latencies.push(latency);
                    }
                }
                let _ = std::fs::remove_file(entry.path());
            }
            total.add(&run);
            if run.aborted > 0 || stop.load(Ordering::SeqCst) {
                break;
            }
        }
        total
    }
}

/// Runs `loads` on threads while `work` runs on this one, with `MARGIN` of load before and after
/// it; returns what `work` returned, how long it took, and each load's stats.
fn under_load<T>(loads: &[&Load<'_>], work: impl FnOnce() -> T) -> (T, Duration, Vec<Stats>) {
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let handles: Vec<_> = loads
            .iter()
            .map(|load| {
                let stop = &stop;
                s.spawn(move || load.run(stop))
            })
            .collect();
        std::thread::sleep(MARGIN);
        let started = Instant::now();
        let from = clock();
        let value = work();
        let elapsed = started.elapsed();
        eprintln!("  [{from:.2} s - {:.2} s] the operation ran", clock());
        std::thread::sleep(MARGIN);
        stop.store(true, Ordering::SeqCst);
        let stats = handles
            .into_iter()
            .map(|h| h.join().expect("load thread"))
            .collect();
        (value, elapsed, stats)
    })
}

fn connect(url: &str) -> Postgres {
    Postgres::connect(url, &ConnectOptions::default()).unwrap_or_else(|e| {
        eprintln!("strata-bench: cannot connect: {}", e.message);
        std::process::exit(3);
    })
}

fn sql(pg: &mut Postgres, text: &str) -> Vec<Vec<Option<String>>> {
    pg.simple_query_rows(text).unwrap_or_else(|e| {
        eprintln!("strata-bench: {text}\n  failed: {}", e.message);
        std::process::exit(3);
    })
}

fn value(pg: &mut Postgres, text: &str) -> String {
    sql(pg, text)
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
        .unwrap_or_else(|| "NULL".to_owned())
}

fn prepare_table(url: &str, rows: u64) -> Duration {
    let started = Instant::now();
    let mut pg = connect(url);
    sql(&mut pg, &setup_sql(rows));
    sql(&mut pg, "VACUUM ANALYZE accounts");
    started.elapsed()
}

/// Named checks; any failure makes the run fail.
#[derive(Default)]
struct Checks(Vec<(String, bool, String)>);

impl Checks {
    /// `query` must return `expected`.
    fn eq(&mut self, pg: &mut Postgres, what: impl Into<String>, query: &str, expected: &str) {
        let got = value(pg, query);
        let ok = got == expected;
        let what = what.into();
        eprintln!(
            "check {}: {what}{}",
            if ok { "ok" } else { "FAILED" },
            if ok {
                String::new()
            } else {
                format!(" (expected {expected}, got {got})")
            }
        );
        self.0.push((what, ok, got));
    }

    fn all_ok(&self) -> bool {
        self.0.iter().all(|(_, ok, _)| *ok)
    }
}

/// Strata's helper objects left in the database, one line each.
const LEFTOVERS: &str = "SELECT coalesce(string_agg(x, ', '), '') FROM (\
    SELECT 'column ' || attrelid::regclass || '.' || attname AS x FROM pg_attribute \
      WHERE attname LIKE '\\_strata\\_%' AND NOT attisdropped AND attnum > 0 \
    UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgname LIKE '\\_strata\\_%' \
    UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE proname LIKE '\\_strata\\_%' \
    UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname LIKE 'strata\\_v\\_%' \
    UNION ALL SELECT 'constraint ' || conname FROM pg_constraint WHERE conname LIKE '\\_strata\\_%' \
    UNION ALL SELECT 'relation ' || relname FROM pg_class WHERE relname LIKE '\\_strata\\_%') s";

/// One line of the result table.
struct Line {
    what: String,
    duration: Duration,
    stats: Stats,
    /// Checkpoints the server started during the window (cluster-wide).
    checkpoints: u64,
    note: String,
}

/// Checkpoints started so far (`pg_stat_bgwriter`, the whole server).
fn checkpoints(server: &mut Postgres) -> u64 {
    value(
        server,
        "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter",
    )
    .parse()
    .unwrap_or(0)
}

fn pgbench_version(pgbench: &Path) -> String {
    Command::new(pgbench)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn secs(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        ms(d)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// Seconds since the benchmark started, for the timeline printed on stderr.
fn clock() -> f64 {
    static START: std::sync::OnceLock<std::time::SystemTime> = std::sync::OnceLock::new();
    let start = *START.get_or_init(std::time::SystemTime::now);
    std::time::SystemTime::now()
        .duration_since(start)
        .unwrap_or_default()
        .as_secs_f64()
}

/// `clock()` of a time given in microseconds since the Unix epoch.
fn clock_of(epoch_micros: u64) -> f64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    clock() - (now.as_secs_f64() - epoch_micros as f64 / 1e6)
}

fn report(load: &str, stats: &Stats) {
    eprintln!(
        "  {load}: {} transactions, {} failed ({} clients aborted), worst {} (ended at {:.2} s), p99 {}, {} runs",
        stats.transactions,
        stats.failed,
        stats.aborted,
        secs(stats.worst()),
        clock_of(stats.worst_end),
        secs(stats.percentile(0.99)),
        stats.runs
    );
    for e in stats.errors.iter().take(4) {
        eprintln!("    {e}");
    }
}

fn run(args: &Args) {
    clock();
    let pgbench = pgbench_binary();
    let pid = std::process::id();
    let online_db = format!("strata_bench_online_{pid}");
    let naive_db = format!("strata_bench_naive_{pid}");
    let work = tempfile::tempdir().expect("temp dir");
    let logs = work.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let old_script = work.path().join("old.sql");
    let new_script = work.path().join("new.sql");
    std::fs::write(&old_script, OLD_SCRIPT).unwrap();
    std::fs::write(&new_script, NEW_SCRIPT).unwrap();
    let migrations = work.path().join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    let file = migrations.join(format!("{MIGRATION_ID}_accounts_online.toml"));
    std::fs::write(&file, MIGRATION).unwrap();
    let migration = strata_online::load(&file).unwrap_or_else(|d| {
        for d in d {
            eprintln!("{d}");
        }
        std::process::exit(3);
    });
    let version_schema = format!("strata_v_{MIGRATION_ID}");
    let vs = format!("{version_schema}.accounts");
    let n = args.rows;
    let mut opts = RunOptions {
        batch_size: args.batch_size,
        batch_pause: args.batch_pause,
        lock_timeout: args.lock_timeout,
        ..RunOptions::default()
    };
    eprintln!(
        "pgbench: {}; {} rows, {} clients per version, rate {}, batch size {}, lock_timeout {}, lock watcher {}",
        pgbench.display(),
        n,
        args.clients,
        if args.rate == 0 {
            "unthrottled".to_owned()
        } else {
            format!("{} tps per pgbench", args.rate)
        },
        args.batch_size,
        ms(args.lock_timeout),
        if args.max_blocking.is_zero() {
            "off".to_owned()
        } else {
            ms(args.max_blocking)
        }
    );

    let url = create_db(&args.admin_url, &online_db);
    let t = prepare_table(&url, n);
    eprintln!(
        "online: {n} rows loaded, vacuumed and analyzed in {}",
        secs(t)
    );
    let mut checks = Checks::default();
    let mut lines = Vec::new();
    let mut failure: Option<String> = None;
    let mut pg = connect(&url);
    let mut admin = connect(&url);
    let mut server = connect(&args.admin_url);
    // The lock watcher on strata's session, as `strata start`/`complete` run it.
    if !args.max_blocking.is_zero() {
        let pid: i32 = value(&mut pg, "SELECT pg_backend_pid()")
            .parse()
            .unwrap_or(0);
        match strata_online::LockWatch::spawn(&url, pid, args.max_blocking) {
            Ok(watch) => opts.watch = Some(watch),
            Err(e) => {
                eprintln!("strata-bench: cannot start the lock watcher: {e}");
                std::process::exit(3);
            }
        }
    }
    let load_before = load_average();
    eprintln!("load average: {load_before}");

    let old = Load {
        label: "old",
        url: &url,
        script: &old_script,
        search_path: None,
        args,
        pgbench: &pgbench,
        logs: &logs,
    };
    let new = Load {
        label: "new",
        url: &url,
        script: &new_script,
        search_path: Some(format!("{version_schema},public")),
        args,
        pgbench: &pgbench,
        logs: &logs,
    };
    // Lock-timeout (or watcher) retries strata reported.
    let retries = std::cell::Cell::new(0u32);
    let mut progress = {
        let counted = &retries;
        let mut last = Instant::now();
        let mut since = (Instant::now(), 0u64);
        move |p: &Progress<'_>| match p {
            Progress::Step {
                phase,
                number,
                total,
                description,
            } => {
                eprintln!(
                    "  [{:.2} s] {} {number}/{total}: {description}",
                    clock(),
                    phase.name()
                );
                since = (Instant::now(), 0);
            }
            Progress::Batch {
                column,
                rows,
                batches,
                ..
            } if last.elapsed() >= Duration::from_secs(5) => {
                let rate = (*rows - since.1) as f64 / since.0.elapsed().as_secs_f64();
                eprintln!(
                    "    backfill {column}: {rows} rows, {batches} batches, {rate:.0} rows/s"
                );
                last = Instant::now();
                since = (Instant::now(), *rows);
            }
            Progress::Retry {
                description,
                attempt,
                error,
            } => {
                counted.set(counted.get() + 1);
                eprintln!("    retry {attempt} of `{description}`: {}", error.message)
            }
            _ => {}
        }
    };

    // Phase A: old clients while start runs.
    eprintln!("phase A: strata start under {} old clients", args.clients);
    let c0 = checkpoints(&mut server);
    let (started, took, stats) = under_load(&[&old], || {
        // `--blocker-secs`: another session holds a lock on the table (a read in an open
        // transaction) as start begins, so its first ALTER has to wait.
        let blocker = (!args.blocker.is_zero()).then(|| {
            let mut b = connect(&url);
            sql(&mut b, "BEGIN; SELECT count(*) FROM accounts WHERE id = 1");
            let hold = args.blocker;
            eprintln!(
                "  [{:.2} s] a session holds a lock on accounts for {}",
                clock(),
                secs(hold)
            );
            std::thread::spawn(move || {
                std::thread::sleep(hold);
                let _ = b.simple_query_rows("COMMIT");
                eprintln!("  [{:.2} s] the blocking session committed", clock());
            })
        });
        let result = strata_online::start(&mut pg, &migration, &opts, &mut progress);
        if let Some(b) = blocker {
            let _ = b.join();
        }
        result
    });
    let mut old_total = stats[0].transactions;
    let mut new_total = 0;
    report("old clients", &stats[0]);
    match started {
        Ok(out) if out.state == State::Active => eprintln!(
            "  start: {} in {}, {} backfill batches, {} rows",
            out.state.name(),
            secs(took),
            out.batches,
            out.rows
        ),
        Ok(out) => failure = Some(format!("start ended in state {}", out.state.name())),
        Err(e) => failure = Some(format!("start failed: {e}")),
    }
    lines.push(Line {
        what: "strata `start` (expand, backfill of both columns, version schema); old clients"
            .into(),
        duration: took,
        stats: stats[0].clone(),
        checkpoints: checkpoints(&mut server) - c0,
        note: String::new(),
    });

    if failure.is_none() {
        let p = &mut admin;
        checks.eq(
            p,
            "A: rows the old clients inserted are in the table",
            &format!("SELECT count(*) FROM accounts WHERE id > {n}"),
            &old_total.to_string(),
        );
        checks.eq(
            p,
            "A: the old clients' rows seen through the version schema have their values (full_name = 'old:' || balance, verified = balance > 0)",
            &format!(
                "SELECT count(*) FROM {vs} WHERE id > {n} AND full_name = 'old:' || balance AND verified = (balance > 0)"
            ),
            &old_total.to_string(),
        );
        checks.eq(
            p,
            "A: balance is bigint in the version schema",
            &format!("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '{vs}'::regclass AND attname = 'balance'"),
            "bigint",
        );
        checks.eq(
            p,
            "A: every row agrees between the versions (balance, name = full_name, verified = balance > 0)",
            &format!(
                "SELECT count(*) FROM {vs} v JOIN public.accounts p USING (id) \
                 WHERE v.balance IS DISTINCT FROM p.balance OR v.full_name IS DISTINCT FROM p.name \
                 OR v.verified IS DISTINCT FROM (p.balance > 0)"
            ),
            "0",
        );
    }

    // Phase B: both versions together.
    if failure.is_none() {
        eprintln!(
            "phase B: {} old and {} new clients together for {}",
            args.clients,
            args.clients,
            secs(args.together)
        );
        let c0 = checkpoints(&mut server);
        let (_, _, stats) = under_load(&[&old, &new], || std::thread::sleep(args.together));
        // pgbench runs whole runs: the window is as long as they ran.
        let took = stats[0].wall().max(stats[1].wall());
        report("old clients", &stats[0]);
        report("new clients", &stats[1]);
        old_total += stats[0].transactions;
        new_total += stats[1].transactions;
        let mut both = stats[0].clone();
        both.add(&stats[1]);
        lines.push(Line {
            what: "both versions at once (no migration step running); old + new clients".into(),
            duration: took,
            checkpoints: checkpoints(&mut server) - c0,
            note: format!(
                "old {} + new {} transactions",
                stats[0].transactions, stats[1].transactions
            ),
            stats: both,
        });
        let p = &mut admin;
        checks.eq(
            p,
            "B: rows the new clients inserted are visible to old clients with their values (name = 'new:' || balance, an integer)",
            &format!("SELECT count(*) FROM public.accounts WHERE id > {n} AND name = 'new:' || balance"),
            &new_total.to_string(),
        );
        checks.eq(
            p,
            "B: the new clients' verified = true kept (not overwritten by `up`)",
            &format!("SELECT count(*) FROM {vs} WHERE full_name LIKE 'new:%' AND verified"),
            &new_total.to_string(),
        );
        checks.eq(
            p,
            "B: the old clients' rows seen through the version schema have their values",
            &format!(
                "SELECT count(*) FROM {vs} WHERE id > {n} AND full_name = 'old:' || balance AND verified = (balance > 0)"
            ),
            &old_total.to_string(),
        );
        checks.eq(
            p,
            "B: every row agrees between the versions (balance, name = full_name, verified set)",
            &format!(
                "SELECT count(*) FROM {vs} v JOIN public.accounts p USING (id) \
                 WHERE v.balance IS DISTINCT FROM p.balance OR v.full_name IS DISTINCT FROM p.name \
                 OR v.verified IS NULL"
            ),
            "0",
        );
    }

    // Phase C: the old version is retired; new clients while complete runs.
    if failure.is_none() {
        eprintln!(
            "phase C: strata complete under {} new clients",
            args.clients
        );
        let c0 = checkpoints(&mut server);
        let (completed, took, stats) = under_load(&[&new], || {
            strata_online::complete(&mut pg, MIGRATION_ID, &opts, &mut progress)
        });
        report("new clients", &stats[0]);
        new_total += stats[0].transactions;
        match completed {
            Ok(out) if out.state == State::Completed => {
                eprintln!("  complete: {} in {}", out.state.name(), secs(took))
            }
            Ok(out) => failure = Some(format!("complete ended in state {}", out.state.name())),
            Err(e) => failure = Some(format!("complete failed: {e}")),
        }
        lines.push(Line {
            what: "strata `complete` (validate, swap, drop the version schema); new clients".into(),
            duration: took,
            stats: stats[0].clone(),
            checkpoints: checkpoints(&mut server) - c0,
            note: String::new(),
        });
    }
    if failure.is_none() {
        let p = &mut admin;
        checks.eq(
            p,
            "after complete: the final shape",
            "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY attname) \
             FROM pg_attribute WHERE attrelid = 'public.accounts'::regclass AND attnum > 0 AND NOT attisdropped",
            "balance bigint not null, full_name text not null, id bigint not null, verified boolean not null",
        );
        checks.eq(
            p,
            format!("after complete: N + one row per committed transaction ({n} + {old_total} + {new_total})"),
            "SELECT count(*) FROM accounts",
            &(n + old_total + new_total).to_string(),
        );
        checks.eq(
            p,
            "after complete: the old clients' rows keep their values",
            "SELECT count(*) FROM accounts WHERE full_name = 'old:' || balance AND verified = (balance > 0)",
            &old_total.to_string(),
        );
        checks.eq(
            p,
            "after complete: the new clients' rows keep their values",
            "SELECT count(*) FROM accounts WHERE full_name = 'new:' || balance AND verified",
            &new_total.to_string(),
        );
        checks.eq(
            p,
            "after complete: nothing named _strata_% or strata_v_% left",
            LEFTOVERS,
            "",
        );
        checks.eq(
            p,
            "after complete: the migration is recorded as completed",
            &format!("SELECT phase FROM strata_online_state WHERE migration = '{MIGRATION_ID}'"),
            "completed",
        );
    }
    let cancellations = opts.watch.as_ref().map_or(0, |w| {
        w.stop();
        w.cancellations()
    });
    drop(pg);
    drop(admin);
    if !args.keep {
        drop_db(&args.admin_url, &online_db);
    }

    // The naive statements, each in its own window, under the same old-client load.
    let naive_url = create_db(&args.admin_url, &naive_db);
    let t = prepare_table(&naive_url, n);
    eprintln!(
        "naive: {n} rows loaded, vacuumed and analyzed in {}",
        secs(t)
    );
    let naive_old = Load {
        label: "naive",
        url: &naive_url,
        ..old
    };
    let mut naive = connect(&naive_url);
    for statement in [
        "ALTER TABLE accounts ALTER COLUMN balance TYPE bigint",
        "ALTER TABLE accounts ADD COLUMN verified boolean NOT NULL DEFAULT false",
        "CREATE INDEX ON accounts (balance)",
        "ALTER TABLE accounts RENAME COLUMN name TO full_name",
    ] {
        eprintln!("naive: {statement}");
        let c0 = checkpoints(&mut server);
        let (result, took, stats) =
            under_load(&[&naive_old], || naive.simple_query_rows(statement));
        let cps = checkpoints(&mut server) - c0;
        if let Err(e) = result {
            eprintln!("strata-bench: {statement}: {}", e.message);
            std::process::exit(3);
        }
        report("old clients", &stats[0]);
        let note = if stats[0].aborted > 0 {
            format!(
                "{} of {} clients stopped at their first error: {}",
                stats[0].aborted,
                args.clients,
                stats[0]
                    .errors
                    .first()
                    .and_then(|e| e.split("ERROR:").nth(1))
                    .map(str::trim)
                    .unwrap_or("")
            )
        } else {
            String::new()
        };
        lines.push(Line {
            what: format!("naive `{statement}`; old clients"),
            duration: took,
            stats: stats[0].clone(),
            checkpoints: cps,
            note,
        });
    }
    drop(naive);
    if !args.keep {
        drop_db(&args.admin_url, &naive_db);
    } else {
        eprintln!("kept databases {online_db} and {naive_db}");
    }

    // The table.
    let online_lines = lines.iter().filter(|l| !l.what.starts_with("naive"));
    let mut online = Stats::default();
    for l in online_lines {
        online.add(&l.stats);
    }
    println!(
        "| {n} rows, {} clients per version, {} | took | transactions | failed | worst latency | p99 | >= 100 ms | >= 1 s | checkpoints | notes |",
        args.clients,
        if args.rate == 0 {
            "unthrottled".to_owned()
        } else {
            format!("{} tps per pgbench", args.rate)
        }
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for l in &lines {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            l.what,
            secs(l.duration),
            l.stats.transactions,
            l.stats.failed,
            secs(l.stats.worst()),
            secs(l.stats.percentile(0.99)),
            l.stats.over(Duration::from_millis(100)),
            l.stats.over(BAR),
            l.checkpoints,
            l.note
        );
    }
    println!(
        "| **strata online, all phases** | | {} | {} | {} | {} | {} | {} | | bar: 0 failed, none >= 1 s |",
        online.transactions,
        online.failed,
        secs(online.worst()),
        secs(online.percentile(0.99)),
        online.over(Duration::from_millis(100)),
        online.over(BAR)
    );
    println!();
    println!(
        "- {}, `-M {}`; strata: lock_timeout {}, lock watcher {} ({cancellations} statements cancelled), {} retries printed; load average (1, 5, 15 min) {load_before} before, {} after",
        pgbench_version(&pgbench),
        args.query_mode,
        ms(args.lock_timeout),
        if args.max_blocking.is_zero() {
            "off".to_owned()
        } else {
            ms(args.max_blocking)
        },
        retries.get(),
        load_average()
    );
    for (what, ok, got) in &checks.0 {
        println!(
            "- {} {what}{}",
            if *ok { "ok:" } else { "FAILED:" },
            if *ok {
                String::new()
            } else {
                format!(" (got {got})")
            }
        );
    }
    let mut failed = false;
    if let Some(f) = &failure {
        println!("- FAILED: {f}");
        failed = true;
    }
    if online.failed > 0 || online.worst() >= BAR {
        println!(
            "- FAILED: the online run broke the bar ({} failed transactions, worst latency {})",
            online.failed,
            secs(online.worst())
        );
        failed = true;
    }
    if !checks.all_ok() {
        failed = true;
    }
    if failed {
        std::process::exit(1);
    }
}
