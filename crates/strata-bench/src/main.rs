//! strata's benchmark harness. Every number is measured in the same run as its baseline and
//! reported as a ratio, because the machines we run on are shared and noisy.
//!
//! ```text
//! cargo build --release -p strata-cli -p strata-bench
//! target/release/strata-bench core [--migrations 1000] [--rounds 5] [--strata target/release/strata]
//!                                  [--admin-url postgres://postgres@127.0.0.1:5432/postgres]
//! ```
//!
//! `core`: apply and roll back N one-table migrations with strata and with `psql` running the same
//! statements each in its own transaction in one session, on the same server; `strata --version`;
//! `strata heads` over N files.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Options {
    migrations: usize,
    rounds: usize,
    strata: PathBuf,
    admin_url: String,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(suite) = args.first().cloned() else {
        usage();
    };
    let mut opts = Options {
        migrations: 1000,
        rounds: 5,
        strata: default_strata(),
        admin_url: std::env::var("STRATA_TEST_PG_ADMIN_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
    };
    let mut i = 1;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_else(|| usage());
        match args[i].as_str() {
            "--migrations" => opts.migrations = value.parse().unwrap_or_else(|_| usage()),
            "--rounds" => opts.rounds = value.parse().unwrap_or_else(|_| usage()),
            "--strata" => opts.strata = PathBuf::from(value),
            "--admin-url" => opts.admin_url = value,
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
    match suite.as_str() {
        "core" => core(&opts),
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: strata-bench core [--migrations N] [--rounds N] [--strata PATH] [--admin-url URL]"
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
