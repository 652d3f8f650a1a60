//! Schema introspection: the reload check and the speed benchmark (docs/benchmarks.md,
//! docs/schema.md).
//!
//! ```text
//! strata-bench inspect-reload DUMP.sql... [--admin-url URL] [--show N] [--keep]
//! strata-bench inspect DUMP.sql [--rounds N] [--admin-url URL]
//! strata-bench inspect-print URL [sql|json]
//! ```
//!
//! `inspect-reload`: for each dump, load it with psql into a fresh database, introspect it,
//! render the model as SQL, load that into another fresh database, introspect again, and report
//! whether the two models are equal (and the first N differences when not). Exit 1 when any
//! differs or does not reload.
//!
//! `inspect`: load the dump into two databases, make 50 changes in the second (five kinds over
//! fifty tables), then time, as whole processes, `strata inspect` of the first against
//! `pg_dump --schema-only`, and `strata diff FIRST SECOND` against that `strata inspect`, in
//! rotating order; medians and the ratios. Needs `strata` next to `strata-bench`
//! (`cargo build --release -p strata-cli -p strata-bench`).
//!
//! `inspect-print`: what `strata inspect --format sql|json` does, without a project.

use super::{create_db, drop_db, median, ms, psql};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use strata_postgres::{introspect, ConnectOptions, IntrospectOptions, Postgres};
use strata_schema::Schema;

struct Args {
    files: Vec<PathBuf>,
    admin_url: String,
    rounds: usize,
    show: usize,
    keep: bool,
}

pub fn main(suite: &str, rest: &[String]) {
    if suite == "inspect-print" {
        print(rest);
        return;
    }
    let mut args = Args {
        files: Vec::new(),
        admin_url: std::env::var("STRATA_TEST_PG_ADMIN_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
        rounds: 7,
        show: 20,
        keep: false,
    };
    let mut i = 0;
    while i < rest.len() {
        let value = || rest.get(i + 1).cloned().unwrap_or_else(|| usage());
        match rest[i].as_str() {
            "--admin-url" => args.admin_url = value(),
            "--rounds" => args.rounds = value().parse().unwrap_or_else(|_| usage()),
            "--show" => args.show = value().parse().unwrap_or_else(|_| usage()),
            "--keep" => {
                args.keep = true;
                i += 1;
                continue;
            }
            flag if flag.starts_with("--") => usage(),
            file => {
                args.files.push(PathBuf::from(file));
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    if args.files.is_empty() {
        usage();
    }
    match suite {
        "inspect-reload" => reload(&args),
        _ => bench(&args),
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: strata-bench inspect-reload DUMP.sql... [--admin-url URL] [--show N] [--keep]\n       strata-bench inspect DUMP.sql [--rounds N] [--admin-url URL]\n       strata-bench inspect-print URL [sql|json]"
    );
    std::process::exit(2);
}

fn print(rest: &[String]) {
    let Some(url) = rest.first() else { usage() };
    let (schema, _) = read(url).unwrap_or_else(|e| {
        eprintln!("strata-bench: {e}");
        std::process::exit(3);
    });
    let text = match rest.get(1).map(String::as_str) {
        Some("json") => schema.to_json(),
        _ => strata_schema::to_sql(&schema),
    };
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
}

/// Connects and introspects; returns the model and how long that took.
fn read(url: &str) -> Result<(Schema, Duration), String> {
    let started = Instant::now();
    let mut pg =
        Postgres::connect(url, &ConnectOptions::default()).map_err(|e| e.message.clone())?;
    let schema = introspect(&mut pg, &IntrospectOptions::default()).map_err(|e| {
        format!(
            "introspection failed: {}{}",
            e.message,
            e.detail.map(|d| format!(" ({d})")).unwrap_or_default()
        )
    })?;
    Ok((schema, started.elapsed()))
}

/// Runs a SQL file with psql, stopping at the first error; the error text on failure.
fn load(url: &str, file: &Path) -> Result<Duration, String> {
    let started = Instant::now();
    let out = psql(url)
        .arg("-f")
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("could not run psql: {e}"))?;
    if out.status.success() {
        Ok(started.elapsed())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

fn reload(args: &Args) {
    let pid = std::process::id();
    let mut failed = false;
    for (n, file) in args.files.iter().enumerate() {
        let label = file
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!("== {label}");
        let a = format!("strata_reload_{pid}_{n}_a");
        let b = format!("strata_reload_{pid}_{n}_b");
        let url_a = create_db(&args.admin_url, &a);
        let url_b = create_db(&args.admin_url, &b);
        let outcome = (|| -> Result<Vec<String>, String> {
            let t = load(&url_a, file).map_err(|e| format!("the dump does not load: {e}"))?;
            println!("loaded the dump with psql in {}", ms(t));
            let (original, t) = read(&url_a)?;
            let counts: Vec<String> = original
                .counts()
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect();
            println!("introspected in {}: {}", ms(t), counts.join(", "));
            let sql = strata_schema::to_sql(&original);
            let rendered = std::env::temp_dir().join(format!("strata_reload_{pid}_{n}.sql"));
            std::fs::write(&rendered, &sql).map_err(|e| e.to_string())?;
            let t = load(&url_b, &rendered).map_err(|e| {
                format!(
                    "the rendered SQL ({}) does not load: {e}",
                    rendered.display()
                )
            })?;
            println!(
                "rendered {} lines of SQL, reloaded with psql in {}",
                sql.lines().count(),
                ms(t)
            );
            if !args.keep {
                let _ = std::fs::remove_file(&rendered);
            }
            let (reloaded, _) = read(&url_b)?;
            // A second opinion that knows nothing of strata's model: pg_dump of both databases.
            match (pg_dump_lines(&url_a), pg_dump_lines(&url_b)) {
                (Ok(a), Ok(b)) => {
                    let (only_a, only_b) = multiset_difference(a, b);
                    if only_a.is_empty() && only_b.is_empty() {
                        println!(
                            "pg_dump --schema-only of the original and of the reload: identical"
                        );
                    } else {
                        println!(
                            "pg_dump --schema-only of the original and of the reload: {} lines only in the original, {} only in the reload",
                            only_a.len(),
                            only_b.len()
                        );
                        for line in only_a.iter().take(args.show) {
                            println!("  - {line}");
                        }
                        for line in only_b.iter().take(args.show) {
                            println!("  + {line}");
                        }
                    }
                }
                (Err(e), _) | (_, Err(e)) => println!("pg_dump failed: {e}"),
            }
            // The migration diff between them is empty too.
            let plan = strata_schema::diff(&original, &reloaded, &Default::default());
            println!(
                "strata diff original -> reload: {} change(s)",
                plan.changes.len()
            );
            let mut diffs = strata_schema::differences(&original, &reloaded);
            diffs.extend(
                plan.changes
                    .iter()
                    .map(|c| format!("diff: {:?} {}", c.kind, c.object)),
            );
            Ok(diffs)
        })();
        match outcome {
            Ok(diffs) if diffs.is_empty() => println!("result: equal"),
            Ok(diffs) => {
                failed = true;
                println!("result: {} differences", diffs.len());
                for d in diffs.iter().take(args.show) {
                    println!("  {d}");
                }
            }
            Err(e) => {
                failed = true;
                println!("result: failed: {e}");
            }
        }
        if args.keep {
            println!("kept databases {a} and {b}");
        } else {
            drop_db(&args.admin_url, &a);
            drop_db(&args.admin_url, &b);
        }
    }
    if failed {
        std::process::exit(1);
    }
}

/// `pg_dump --schema-only`, without blank lines and its `\restrict` lines (a random key per run).
fn pg_dump_lines(url: &str) -> Result<Vec<String>, String> {
    let out = Command::new("pg_dump")
        .args(["--schema-only", "-d", url])
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("could not run pg_dump: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            !l.trim().is_empty() && !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict")
        })
        .map(str::to_owned)
        .collect())
}

/// Lines of `a` not matched in `b`, and of `b` not matched in `a` (order ignored).
fn multiset_difference(mut a: Vec<String>, mut b: Vec<String>) -> (Vec<String>, Vec<String>) {
    a.sort();
    b.sort();
    let (mut only_a, mut only_b) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                only_a.push(x.clone());
                i += 1;
            }
            (Some(_), Some(y)) => {
                only_b.push(y.clone());
                j += 1;
            }
            (Some(x), None) => {
                only_a.push(x.clone());
                i += 1;
            }
            (None, Some(y)) => {
                only_b.push(y.clone());
                j += 1;
            }
            (None, None) => break,
        }
    }
    (only_a, only_b)
}

fn timed(cmd: &mut Command) -> Duration {
    let started = Instant::now();
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run command");
    let elapsed = started.elapsed();
    if !out.status.success() {
        eprintln!(
            "strata-bench: {cmd:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::process::exit(3);
    }
    elapsed
}

/// Fifty changes to a copy of the schema, spread over fifty tables and five kinds: a new column,
/// a new index, a comment, a new NOT VALID check, a new NOT NULL column with a default.
fn perturb(url: &str) -> Result<usize, String> {
    let mut pg = Postgres::connect(url, &ConnectOptions::default()).map_err(|e| e.message)?;
    let rows = pg
        .simple_query_rows(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), \
                    (SELECT quote_ident(a.attname) FROM pg_attribute a \
                      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
                      ORDER BY a.attnum LIMIT 1) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND NOT c.relispartition \
             ORDER BY 1 LIMIT 50",
        )
        .map_err(|e| e.message)?;
    let mut sql = String::new();
    for (i, row) in rows.iter().enumerate() {
        let table = row[0].clone().unwrap_or_default();
        let column = row[1].clone().unwrap_or_default();
        sql.push_str(&match i % 5 {
            0 => format!("ALTER TABLE {table} ADD COLUMN bench_note_{i} text;\n"),
            1 => format!("CREATE INDEX bench_idx_{i} ON {table} ({column});\n"),
            2 => format!("COMMENT ON TABLE {table} IS 'bench change {i}';\n"),
            3 => format!(
                "ALTER TABLE {table} ADD CONSTRAINT bench_check_{i} CHECK ({column} IS NOT NULL) NOT VALID;\n"
            ),
            _ => format!(
                "ALTER TABLE {table} ADD COLUMN bench_flag_{i} boolean NOT NULL DEFAULT false;\n"
            ),
        });
    }
    pg.simple_query_rows(&sql).map_err(|e| e.message)?;
    Ok(rows.len())
}

fn bench(args: &Args) {
    let file = &args.files[0];
    let strata_bin = std::env::current_exe()
        .expect("the benchmark's own path")
        .with_file_name("strata");
    if !strata_bin.exists() {
        eprintln!(
            "strata-bench: {} not found; build it first: cargo build --release -p strata-cli",
            strata_bin.display()
        );
        std::process::exit(2);
    }
    let name = format!("strata_bench_inspect_{}", std::process::id());
    let copy = format!("{name}_changed");
    let url = create_db(&args.admin_url, &name);
    let url_b = create_db(&args.admin_url, &copy);
    let loaded = load(&url, file).and_then(|_| load(&url_b, file));
    let changes = loaded.and_then(|_| perturb(&url_b));
    let changes = match changes {
        Ok(n) => n,
        Err(e) => {
            drop_db(&args.admin_url, &name);
            drop_db(&args.admin_url, &copy);
            eprintln!("strata-bench: could not prepare the databases: {e}");
            std::process::exit(3);
        }
    };
    // An empty folder to run in: no strata.toml to find.
    let cwd = std::env::temp_dir().join(format!("strata_bench_inspect_{}", std::process::id()));
    std::fs::create_dir_all(&cwd).expect("temp dir");
    let inspect = || {
        let mut cmd = Command::new(&strata_bin);
        cmd.current_dir(&cwd)
            .args(["--url", &url, "inspect", "--format", "sql"]);
        cmd
    };
    let diff_as = |format: &str| {
        let mut cmd = Command::new(&strata_bin);
        cmd.current_dir(&cwd)
            .args(["--url", &url, "diff", &url, &url_b, "--format", format]);
        cmd
    };
    let diff = || diff_as("sql");
    let pg_dump = || {
        let mut cmd = Command::new("pg_dump");
        cmd.args(["--schema-only", "-d", &url, "-f", "/dev/null"]);
        cmd
    };
    // The diff finds what was changed.
    let out = diff_as("json").output().expect("run strata diff");
    let found = serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .ok()
        .and_then(|v| v["changes"].as_array().map(Vec::len))
        .unwrap_or(0);
    eprintln!("{changes} changes made; strata diff reports {found} changes");
    if found < changes {
        eprintln!(
            "strata-bench: the diff misses changes:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::process::exit(1);
    }
    // Warm the server's caches for all.
    timed(&mut inspect());
    timed(&mut diff());
    timed(&mut pg_dump());
    let (mut s, mut p, mut d) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..args.rounds {
        let mut order: Vec<u8> = vec![0, 1, 2];
        order.rotate_left(round % 3);
        for who in order {
            match who {
                0 => s.push(timed(&mut inspect())),
                1 => p.push(timed(&mut pg_dump())),
                _ => d.push(timed(&mut diff())),
            }
        }
        eprintln!(
            "round {}: pg_dump {} inspect {} diff {}",
            round + 1,
            ms(p[round]),
            ms(s[round]),
            ms(d[round])
        );
    }
    drop_db(&args.admin_url, &name);
    drop_db(&args.admin_url, &copy);
    let _ = std::fs::remove_dir_all(&cwd);
    let (sm, pm, dm) = (median(s), median(p), median(d));
    let label = file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    println!(
        "| {label} (median of {} rounds, whole processes) | baseline | strata | ratio | bar |",
        args.rounds
    );
    println!("|---|---|---|---|---|");
    println!(
        "| `strata inspect` vs `pg_dump --schema-only` | {} | {} | {:.3}x | <= 1.00x |",
        ms(pm),
        ms(sm),
        sm.as_secs_f64() / pm.as_secs_f64()
    );
    println!(
        "| `strata diff A B` ({changes} changes) vs `strata inspect A` | {} | {} | {:.3}x | < 2.00x |",
        ms(sm),
        ms(dm),
        dm.as_secs_f64() / sm.as_secs_f64()
    );
}
