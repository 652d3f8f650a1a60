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
//! `inspect`: load the dump once, then time, as whole processes, `strata-bench inspect-print URL`
//! (connect, introspect, render SQL, print) against `pg_dump --schema-only`, alternating,
//! medians and the ratio.
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
            Ok(strata_schema::differences(&original, &reloaded))
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

fn bench(args: &Args) {
    let file = &args.files[0];
    let name = format!("strata_bench_inspect_{}", std::process::id());
    let url = create_db(&args.admin_url, &name);
    if let Err(e) = load(&url, file) {
        drop_db(&args.admin_url, &name);
        eprintln!("strata-bench: the dump does not load: {e}");
        std::process::exit(3);
    }
    let me = std::env::current_exe().expect("the benchmark's own path");
    let strata = || {
        let mut cmd = Command::new(&me);
        cmd.args(["inspect-print", &url, "sql"]);
        cmd
    };
    let pg_dump = || {
        let mut cmd = Command::new("pg_dump");
        cmd.args(["--schema-only", "-d", &url, "-f", "/dev/null"]);
        cmd
    };
    // Warm the server's caches for both.
    timed(&mut strata());
    timed(&mut pg_dump());
    let (mut s, mut p) = (Vec::new(), Vec::new());
    for round in 0..args.rounds {
        if round % 2 == 0 {
            s.push(timed(&mut strata()));
            p.push(timed(&mut pg_dump()));
        } else {
            p.push(timed(&mut pg_dump()));
            s.push(timed(&mut strata()));
        }
        eprintln!(
            "round {}: pg_dump {} strata {}",
            round + 1,
            ms(p[round]),
            ms(s[round])
        );
    }
    drop_db(&args.admin_url, &name);
    let (sm, pm) = (median(s), median(p));
    let label = file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    println!(
        "| inspect {label} (median of {} rounds) | pg_dump --schema-only | strata | ratio | bar |",
        args.rounds
    );
    println!("|---|---|---|---|---|");
    println!(
        "| whole process, SQL to /dev/null | {} | {} | {:.3}x | <= 1.00x |",
        ms(pm),
        ms(sm),
        sm.as_secs_f64() / pm.as_secs_f64()
    );
}
