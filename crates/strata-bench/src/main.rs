//! strata's benchmark harness. Every number is measured in the same run as its baseline and
//! reported as a ratio, because the machines we run on are shared and noisy.
//!
//! ```text
//! cargo build --release -p strata-cli -p strata-bench
//! target/release/strata-bench core [--migrations 1000] [--rounds 5] [--strata target/release/strata]
//!                                  [--admin-url postgres://postgres@127.0.0.1:5432/postgres]
//! target/release/strata-bench lint [--files 1000] [--statements 10] [--rounds 5]
//!                                  [--strata target/release/strata] [--squawk PATH] [--dir DIR]
//! target/release/strata-bench online [--rows 1000000] [--clients 4] [--batch-size 1000]
//!                                    [--admin-url URL] (and more: see online.rs)
//! ```
//!
//! `core`: apply and roll back N one-table migrations with strata and with `psql` running the same
//! statements each in its own transaction in one session, on the same server; `strata --version`;
//! `strata heads` over N files.
//!
//! `lint`: `strata lint --format json DIR` against `squawk --reporter json 'DIR/*.sql'` (squawk-cli
//! from PyPI: `pip install squawk-cli`) over the same generated files, whole processes, in the same
//! run; medians, the ratio, how many findings each reported, and per rule the two share how many
//! of the statements squawk flags strata flags too.
//!
//! `online`: an online migration of a table under pgbench load against the naive statements
//! (see online.rs).

mod inspect;
mod online;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Options {
    migrations: usize,
    rounds: usize,
    strata: PathBuf,
    admin_url: String,
    files: usize,
    statements: usize,
    squawk: Option<PathBuf>,
    /// `lint`: write the files here and keep them (for profiling), instead of a temporary folder.
    dir: Option<PathBuf>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(suite) = args.first().cloned() else {
        usage();
    };
    // The schema suites need no strata binary (see inspect.rs).
    if suite.starts_with("inspect") {
        inspect::main(&suite, &args[1..]);
        return;
    }
    if suite == "online" {
        online::main(&args[1..]);
        return;
    }
    let mut opts = Options {
        migrations: 1000,
        rounds: 5,
        strata: default_strata(),
        admin_url: std::env::var("STRATA_TEST_PG_ADMIN_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
        files: 1000,
        statements: 10,
        squawk: None,
        dir: None,
    };
    let mut i = 1;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_else(|| usage());
        match args[i].as_str() {
            "--migrations" => opts.migrations = value.parse().unwrap_or_else(|_| usage()),
            "--rounds" => opts.rounds = value.parse().unwrap_or_else(|_| usage()),
            "--strata" => opts.strata = PathBuf::from(value),
            "--admin-url" => opts.admin_url = value,
            "--files" => opts.files = value.parse().unwrap_or_else(|_| usage()),
            "--statements" => opts.statements = value.parse().unwrap_or_else(|_| usage()),
            "--squawk" => opts.squawk = Some(PathBuf::from(value)),
            "--dir" => opts.dir = Some(PathBuf::from(value)),
            _ => usage(),
        }
        i += 2;
    }
    if !opts.strata.exists() {
        eprintln!(
            "strata-bench: {} not found; build it first: cargo build --release -p strata-cli",
            opts.strata.display()
        );
        std::process::exit(2);
    }
    // Commands run in temporary folders: make the path absolute.
    opts.strata = std::fs::canonicalize(&opts.strata).unwrap_or(opts.strata);
    match suite.as_str() {
        "core" => core(&opts),
        "lint" => lint(&opts),
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: strata-bench core [--migrations N] [--rounds N] [--strata PATH] [--admin-url URL]\n       strata-bench lint [--files N] [--statements N] [--rounds N] [--strata PATH] [--squawk PATH] [--dir DIR]\n       strata-bench online [--rows N] [--clients N] [--rate TPS] [--batch-size N] [--batch-pause-ms MS] [--lock-timeout-ms MS] [--max-blocking-ms MS] [--blocker-secs N] [--together SECS] [--query-mode M] [--admin-url URL] [--keep]"
    );
    std::process::exit(2);
}

fn default_strata() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    exe.with_file_name("strata")
}

fn run(cmd: &mut Command) -> Duration {
    let started = Instant::now();
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run command");
    let elapsed = started.elapsed();
    if !out.status.success() {
        eprintln!(
            "strata-bench: {:?} failed:\n{}",
            cmd,
            String::from_utf8_lossy(&out.stderr)
        );
        std::process::exit(3);
    }
    elapsed
}

fn psql(url: &str) -> Command {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url]);
    cmd
}

fn db_url(admin: &str, name: &str) -> String {
    let (base, _) = admin.rsplit_once('/').expect("admin URL ends with /dbname");
    format!("{base}/{name}")
}

fn create_db(admin: &str, name: &str) -> String {
    run(psql(admin).args([
        "-c",
        &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        "-c",
        &format!("CREATE DATABASE \"{name}\""),
    ]));
    db_url(admin, name)
}

fn drop_db(admin: &str, name: &str) {
    run(psql(admin).args([
        "-c",
        &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
    ]));
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Writes N linear one-table migrations and the psql scripts with the same statements.
fn write_project(dir: &Path, n: usize) -> (PathBuf, PathBuf) {
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(dir.join("strata.toml"), "migrations_dir = \"migrations\"\n").unwrap();
    let mut apply = String::new();
    let mut rollback = Vec::new();
    for i in 0..n {
        let id = format!("{:014}", 20260000000000u64 + i as u64);
        let create = format!("CREATE TABLE bench_t{i} (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP);");
        let drop = format!("DROP TABLE bench_t{i};");
        let revises = if i == 0 {
            String::new()
        } else {
            format!(
                "-- strata:revises {:014}\n",
                20260000000000u64 + i as u64 - 1
            )
        };
        std::fs::write(
            migrations.join(format!("{id}_table_{i}.sql")),
            format!("-- strata:message table {i}\n{revises}\n-- strata:up\n{create}\n\n-- strata:down\n{drop}\n"),
        )
        .unwrap();
        apply.push_str(&format!("BEGIN;\n{create}\nCOMMIT;\n"));
        rollback.push(format!("BEGIN;\n{drop}\nCOMMIT;\n"));
    }
    rollback.reverse();
    let apply_path = dir.join("apply.sql");
    let rollback_path = dir.join("rollback.sql");
    std::fs::write(&apply_path, apply).unwrap();
    std::fs::write(&rollback_path, rollback.concat()).unwrap();
    (apply_path, rollback_path)
}

fn core(o: &Options) {
    let dir = tempfile::tempdir().unwrap();
    let (apply_sql, rollback_sql) = write_project(dir.path(), o.migrations);
    let strata = |url: &str, args: &[&str]| {
        let mut cmd = Command::new(&o.strata);
        cmd.current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .args(["--url", url, "-q"])
            .args(args);
        cmd
    };
    let (mut psql_up, mut psql_down, mut strata_up, mut strata_down) =
        (vec![], vec![], vec![], vec![]);
    let pid = std::process::id();
    for round in 0..o.rounds {
        let a = format!("strata_bench_psql_{pid}_{round}");
        let b = format!("strata_bench_strata_{pid}_{round}");
        let url_a = create_db(&o.admin_url, &a);
        let url_b = create_db(&o.admin_url, &b);
        // Alternate who goes first, so drift in the machine's load does not favour one side.
        if round % 2 == 0 {
            psql_up.push(run(psql(&url_a).arg("-f").arg(&apply_sql)));
            strata_up.push(run(&mut strata(&url_b, &["upgrade", "head"])));
            psql_down.push(run(psql(&url_a).arg("-f").arg(&rollback_sql)));
            strata_down.push(run(&mut strata(&url_b, &["downgrade", "base"])));
        } else {
            strata_up.push(run(&mut strata(&url_b, &["upgrade", "head"])));
            psql_up.push(run(psql(&url_a).arg("-f").arg(&apply_sql)));
            strata_down.push(run(&mut strata(&url_b, &["downgrade", "base"])));
            psql_down.push(run(psql(&url_a).arg("-f").arg(&rollback_sql)));
        }
        drop_db(&o.admin_url, &a);
        drop_db(&o.admin_url, &b);
        eprintln!(
            "round {}: apply psql {} strata {} | rollback psql {} strata {}",
            round + 1,
            ms(psql_up[round]),
            ms(strata_up[round]),
            ms(psql_down[round]),
            ms(strata_down[round])
        );
    }
    let (pu, su, pd, sd) = (
        median(psql_up),
        median(strata_up),
        median(psql_down),
        median(strata_down),
    );

    let version: Vec<Duration> = (0..51)
        .map(|_| run(Command::new(&o.strata).arg("--version")))
        .collect();
    let heads: Vec<Duration> = (0..21)
        .map(|_| run(Command::new(&o.strata).current_dir(dir.path()).arg("heads")))
        .collect();
    let history_sqlite = {
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let _ = run(&mut strata(&url, &["upgrade", "head"]));
        let runs: Vec<Duration> = (0..11)
            .map(|_| run(&mut strata(&url, &["history"])))
            .collect();
        median(runs)
    };

    println!(
        "| measurement ({} migrations, median of {} rounds) | psql | strata | ratio | bar |",
        o.migrations, o.rounds
    );
    println!("|---|---|---|---|---|");
    println!(
        "| apply, one transaction each | {} | {} | {:.3}x | <= 1.05x |",
        ms(pu),
        ms(su),
        su.as_secs_f64() / pu.as_secs_f64()
    );
    println!(
        "| roll back, one transaction each | {} | {} | {:.3}x | <= 1.10x |",
        ms(pd),
        ms(sd),
        sd.as_secs_f64() / pd.as_secs_f64()
    );
    println!(
        "| `strata --version` (median of 51) | | {} | | < 10 ms |",
        ms(median(version))
    );
    println!(
        "| `strata heads` over {} files (median of 21) | | {} | | < 50 ms |",
        o.migrations,
        ms(median(heads))
    );
    println!(
        "| `strata history` over {} files, SQLite (median of 11) | | {} | | < 50 ms |",
        o.migrations,
        ms(history_sqlite)
    );
}

/// The statements of the lint benchmark, cycled through: what real migrations do to an existing
/// `orders`/`accounts` schema and to tables they create. `{i}` is a unique number.
const LINT_STATEMENTS: &[&str] = &[
    "CREATE TABLE items_{i} (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    order_id bigint NOT NULL REFERENCES orders (id),\n    name text NOT NULL,\n    created_at timestamptz NOT NULL DEFAULT now()\n)",
    "ALTER TABLE orders ADD COLUMN note_{i} text",
    "CREATE INDEX orders_note_{i}_idx ON orders (note_{i})",
    "UPDATE orders SET note_{i} = 'n/a' WHERE id BETWEEN 1 AND 1000",
    "ALTER TABLE orders DROP COLUMN legacy_{i}",
    "ALTER TABLE accounts ADD COLUMN flag_{i} boolean NOT NULL DEFAULT false",
    "CREATE INDEX CONCURRENTLY accounts_email_{i}_idx ON accounts (lower(email))",
    "ALTER TABLE orders ADD CONSTRAINT orders_account_{i}_fk FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID",
    "ALTER TABLE orders VALIDATE CONSTRAINT orders_account_{i}_fk",
    "ALTER TABLE orders ALTER COLUMN total_{i} TYPE numeric(12, 2)",
    "INSERT INTO settings (key, value) VALUES ('feature_{i}', 'on')",
    "ALTER TABLE accounts ALTER COLUMN name_{i} SET NOT NULL",
    "DROP INDEX orders_old_{i}_idx",
    "COMMENT ON COLUMN orders.note_{i} IS 'free text from support'",
    "ALTER TABLE accounts RENAME COLUMN nick_{i} TO handle_{i}",
    "DELETE FROM sessions WHERE expires_at < now() - interval '30 days'",
    "CREATE TABLE audit_{i} (id serial PRIMARY KEY, payload json, at timestamp)",
    "ALTER TABLE items_{i} ADD COLUMN price real",
];

/// The lint benchmark's strata.toml: only `[lint]`, turning every opt-in rule on (the files are
/// still read by their layout).
const LINT_ALL_RULES: &str = r#"[lint]
"require-table-schema" = "on"
"prefer-bigint" = "on"

[lint.naming]
index = "_idx$"
primary_key = "_pkey$"
unique = "_key$"
foreign_key = "_fk$"
check = "_check$"
"#;

/// Where the statements of the generated files are: file name -> the first line (0-based) of
/// each statement, in order.
type StatementLines = std::collections::BTreeMap<String, Vec<usize>>;

/// Writes `files` plain SQL files of `statements` statements each into `dir`.
fn write_lint_files(dir: &Path, files: usize, statements: usize) -> StatementLines {
    std::fs::create_dir_all(dir).unwrap();
    let mut lines = StatementLines::new();
    let mut n = 0usize;
    for f in 0..files {
        let mut text = format!("-- migration {f}\n");
        let mut starts = Vec::new();
        for _ in 0..statements {
            let template = LINT_STATEMENTS[n % LINT_STATEMENTS.len()];
            // Statements that refer to a table created by an earlier one use that one's number.
            let i = if template.starts_with("ALTER TABLE items_") {
                n - 1
            } else {
                n
            };
            starts.push(text.matches('\n').count());
            text.push_str(&template.replace("{i}", &i.to_string()));
            text.push_str(";\n\n");
            n += 1;
        }
        let name = format!("{:06}_m{f}.sql", f + 1);
        std::fs::write(dir.join(&name), text).unwrap();
        lines.insert(name, starts);
    }
    lines
}

/// squawk's rules that strata has with the same intent, and strata's rules for them (the table of
/// docs/lint.md, "Compared with squawk").
const SHARED_RULES: &[(&str, &[&str])] = &[
    (
        "adding-field-with-default",
        &["volatile-default", "add-serial-or-identity"],
    ),
    ("adding-not-nullable-field", &["setting-not-null"]),
    ("adding-required-field", &["adding-not-null-column"]),
    (
        "adding-serial-primary-key-field",
        &["unique-constraint-directly"],
    ),
    ("ban-char-field", &["prefer-text"]),
    (
        "ban-concurrent-index-creation-in-transaction",
        &["concurrently-in-transaction"],
    ),
    ("ban-drop-column", &["drop-column"]),
    ("ban-drop-table", &["drop-table"]),
    ("ban-uncommitted-transaction", &["transaction-control"]),
    ("changing-column-type", &["column-type-change"]),
    (
        "constraint-missing-not-valid",
        &["constraint-without-not-valid"],
    ),
    (
        "disallowed-unique-constraint",
        &["unique-constraint-directly"],
    ),
    ("prefer-text-field", &["prefer-text"]),
    ("prefer-timestamp-tz", &["prefer-timestamptz"]),
    ("renaming-column", &["rename-column"]),
    ("renaming-table", &["rename-table"]),
    (
        "require-concurrent-index-creation",
        &["non-concurrent-index"],
    ),
    (
        "require-concurrent-index-deletion",
        &["non-concurrent-drop-index"],
    ),
    ("transaction-nesting", &["transaction-control"]),
    ("ban-drop-database", &["drop-database"]),
    ("ban-drop-not-null", &["drop-not-null"]),
    (
        "ban-duplicate-column-assignments",
        &["duplicate-column-assignment"],
    ),
    ("ban-truncate-cascade", &["truncate-cascade"]),
    ("identifier-too-long", &["identifier-too-long"]),
    ("prefer-identity", &["prefer-identity"]),
    ("prefer-robust-stmts", &["prefer-robust-stmts"]),
    (
        "require-concurrent-partition-detach",
        &["non-concurrent-detach-partition"],
    ),
    ("require-concurrent-reindex", &["non-concurrent-reindex"]),
    ("require-enum-value-ordering", &["enum-value-ordering"]),
    ("require-table-schema", &["require-table-schema"]),
    ("ban-create-domain-with-constraint", &["domain-constraint"]),
    (
        "ban-alter-domain-with-add-constraint",
        &["domain-constraint"],
    ),
];

/// Shared rules where squawk flags statements strata deliberately leaves alone in these files,
/// with the reason docs/lint.md gives: counted apart, not as found.
const EXPLAINED: &[(&str, &str)] = &[(
    "prefer-robust-stmts",
    "plain files run in a transaction (squawk without --assume-in-transaction reads every file as outside one)",
)];

/// The statement (file, index) a finding's line (0-based) falls in.
fn statement_at(lines: &StatementLines, file: &str, line: usize) -> Option<(String, usize)> {
    let name = Path::new(file).file_name()?.to_string_lossy().into_owned();
    let starts = lines.get(&name)?;
    let index = starts.iter().rposition(|&start| start <= line)?;
    Some((name, index))
}

/// Per shared rule: the statements squawk flags, and how many of them strata flags with one of
/// its rules for it. Returns (rule, flagged, covered, examples of missed statements).
fn shared_coverage(
    lines: &StatementLines,
    squawk: &serde_json::Value,
    strata: &serde_json::Value,
) -> Vec<(&'static str, usize, usize, Vec<String>)> {
    use std::collections::BTreeSet;
    let strata_at: BTreeSet<(String, usize, String)> = strata["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let line = f["line"].as_u64()? as usize;
            let (file, i) = statement_at(lines, f["file"].as_str()?, line.checked_sub(1)?)?;
            Some((file, i, f["rule"].as_str()?.to_owned()))
        })
        .collect();
    SHARED_RULES
        .iter()
        .map(|(rule, ours)| {
            let flagged: BTreeSet<(String, usize)> = squawk
                .as_array()
                .into_iter()
                .flatten()
                .filter(|v| v["rule_name"].as_str() == Some(rule))
                .filter_map(|v| {
                    statement_at(lines, v["file"].as_str()?, v["line"].as_u64()? as usize)
                })
                .collect();
            let missed: Vec<String> = flagged
                .iter()
                .filter(|(file, i)| {
                    !ours
                        .iter()
                        .any(|r| strata_at.contains(&(file.clone(), *i, (*r).to_owned())))
                })
                .map(|(file, i)| format!("{file} statement {}", i + 1))
                .collect();
            (
                *rule,
                flagged.len(),
                flagged.len() - missed.len(),
                missed.into_iter().take(3).collect(),
            )
        })
        .filter(|(_, flagged, _, _)| *flagged > 0)
        .collect()
}

/// The squawk binary: `--squawk`, else `squawk` on PATH (through a pyenv shim to the real binary,
/// so the shim's own start-up is not timed).
fn find_squawk(explicit: &Option<PathBuf>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return path
            .exists()
            .then(|| std::fs::canonicalize(path).unwrap_or_else(|_| path.clone()));
    }
    let path = std::env::var_os("PATH")?;
    let found = std::env::split_paths(&path)
        .map(|dir| dir.join("squawk"))
        .find(|p| p.is_file())?;
    let is_script = std::fs::read(&found)
        .map(|bytes| bytes.starts_with(b"#!"))
        .unwrap_or(false);
    if is_script {
        if let Ok(out) = Command::new("pyenv").args(["which", "squawk"]).output() {
            let real = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if out.status.success() && !real.is_empty() {
                return Some(PathBuf::from(real));
            }
        }
    }
    Some(found)
}

/// CPU time (user + system) of every child process this process has waited for so far.
fn children_cpu() -> Duration {
    use nix::sys::resource::{getrusage, UsageWho};
    let Ok(usage) = getrusage(UsageWho::RUSAGE_CHILDREN) else {
        return Duration::ZERO;
    };
    let time = |t: nix::sys::time::TimeVal| {
        Duration::from_micros((t.tv_sec() * 1_000_000 + t.tv_usec()).max(0) as u64)
    };
    time(usage.user_time()) + time(usage.system_time())
}

/// One timed run of a linter: wall-clock time and CPU time (user + system, all its threads).
#[derive(Clone, Copy)]
struct Timing {
    wall: Duration,
    cpu: Duration,
}

/// Runs a linter: exit 0 (nothing found) and 1 (findings) are both success. Returns the times and
/// stdout.
fn run_linter(cmd: &mut Command) -> (Timing, Vec<u8>) {
    let cpu_before = children_cpu();
    let started = Instant::now();
    let out = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run command");
    let elapsed = Timing {
        wall: started.elapsed(),
        cpu: children_cpu().saturating_sub(cpu_before),
    };
    if !matches!(out.status.code(), Some(0 | 1)) {
        eprintln!(
            "strata-bench: {:?} failed ({}):\n{}",
            cmd,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        std::process::exit(3);
    }
    (elapsed, out.stdout)
}

fn lint(o: &Options) {
    let Some(squawk) = find_squawk(&o.squawk) else {
        eprintln!(
            "strata-bench: squawk not found on PATH; install it with `pip install squawk-cli` (or pass --squawk PATH)"
        );
        std::process::exit(2);
    };
    eprintln!("squawk: {}", squawk.display());
    let temp = tempfile::tempdir().unwrap();
    let dir = match &o.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::canonicalize(dir).unwrap()
        }
        None => temp.path().to_path_buf(),
    };
    let files = dir.join("migrations");
    if files.exists() {
        std::fs::remove_dir_all(&files).unwrap();
    }
    let lines = write_lint_files(&files, o.files, o.statements);
    // Every rule on, on both sides: strata's opt-in rules (and a naming convention for each kind
    // it checks), squawk's opt-in rule.
    std::fs::write(dir.join("strata.toml"), LINT_ALL_RULES).unwrap();
    let strata_cmd = || {
        let mut cmd = Command::new(&o.strata);
        cmd.current_dir(&dir)
            .env_remove("DATABASE_URL")
            .env_remove("GITHUB_ACTIONS")
            .args(["lint", "--format", "json", "migrations"]);
        cmd
    };
    let squawk_cmd = || {
        let mut cmd = Command::new(&squawk);
        cmd.current_dir(&dir).args([
            "--reporter",
            "json",
            "--include=require-table-schema",
            "migrations/*.sql",
        ]);
        cmd
    };

    // Warm the page cache and count findings once.
    let (_, strata_out) = run_linter(&mut strata_cmd());
    let (_, squawk_out) = run_linter(&mut squawk_cmd());
    let strata_json: serde_json::Value =
        serde_json::from_slice(&strata_out).unwrap_or(serde_json::Value::Null);
    let squawk_json: serde_json::Value =
        serde_json::from_slice(&squawk_out).unwrap_or(serde_json::Value::Null);
    let strata_findings = strata_json["findings"].as_array().map_or(0, Vec::len);
    let squawk_findings = squawk_json.as_array().map_or(0, Vec::len);
    let coverage = shared_coverage(&lines, &squawk_json, &strata_json);

    let (mut strata_times, mut squawk_times) = (vec![], vec![]);
    for round in 0..o.rounds {
        // Alternate who goes first, so drift in the machine's load does not favour one side.
        if round % 2 == 0 {
            strata_times.push(run_linter(&mut strata_cmd()).0);
            squawk_times.push(run_linter(&mut squawk_cmd()).0);
        } else {
            squawk_times.push(run_linter(&mut squawk_cmd()).0);
            strata_times.push(run_linter(&mut strata_cmd()).0);
        }
        eprintln!(
            "round {}: strata {} (cpu {}) squawk {} (cpu {})",
            round + 1,
            ms(strata_times[round].wall),
            ms(strata_times[round].cpu),
            ms(squawk_times[round].wall),
            ms(squawk_times[round].cpu)
        );
    }
    let wall = |v: &[Timing]| median(v.iter().map(|t| t.wall).collect());
    let cpu = |v: &[Timing]| median(v.iter().map(|t| t.cpu).collect());
    let (st, sq) = (wall(&strata_times), wall(&squawk_times));
    let (st_cpu, sq_cpu) = (cpu(&strata_times), cpu(&squawk_times));
    let total = o.files * o.statements;
    println!(
        "| lint {} files x {} statements = {total} statements (median of {} rounds) | squawk | strata | ratio | bar |",
        o.files, o.statements, o.rounds
    );
    println!("|---|---|---|---|---|");
    println!(
        "| whole process, JSON output | {} | {} | {:.3}x | <= 1.00x |",
        ms(sq),
        ms(st),
        st.as_secs_f64() / sq.as_secs_f64()
    );
    println!(
        "| CPU time (user + system, all threads) | {} | {} | {:.3}x | |",
        ms(sq_cpu),
        ms(st_cpu),
        st_cpu.as_secs_f64() / sq_cpu.as_secs_f64()
    );
    println!("| findings reported | {squawk_findings} | {strata_findings} | | |");
    let explained = |rule: &str| {
        EXPLAINED
            .iter()
            .find(|(r, _)| *r == rule)
            .map(|(_, why)| *why)
    };
    let (flagged, covered) = coverage
        .iter()
        .filter(|(rule, ..)| explained(rule).is_none())
        .fold((0, 0), |(f, c), (_, flagged, covered, _)| {
            (f + flagged, c + covered)
        });
    println!(
        "| statements squawk flags on shared rules, strata flags too | {flagged} | {covered} | {:.1}% | 100% |",
        100.0 * covered as f64 / flagged.max(1) as f64
    );
    for (rule, flagged, covered, _) in &coverage {
        if let Some(why) = explained(rule) {
            println!(
                "| squawk's {rule}, a difference docs/lint.md explains ({why}) | {flagged} | {covered} | | |"
            );
        }
    }
    println!();
    println!(
        "| shared rule (squawk) | statements squawk flags | strata flags too | missed (first 3) |"
    );
    println!("|---|---|---|---|");
    for (rule, flagged, covered, missed) in &coverage {
        println!(
            "| {rule} | {flagged} | {covered} | {} |",
            if missed.is_empty() {
                String::new()
            } else {
                missed.join("; ")
            }
        );
    }
}
