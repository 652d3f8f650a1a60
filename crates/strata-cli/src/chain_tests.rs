//! The chain every file strata writes must survive, on real databases, run in-process through the
//! same functions the `strata` binary calls (no process per step): for each pair of schemas
//! (A, B) of `tests/pairs/*.sql`, starting from an empty project,
//!
//! 1. A in `schema/`, `revision --autogenerate`, `upgrade`, `check` clean;
//! 2. B in `schema/`, `revision --autogenerate --allow-destructive` (with the pair's renames),
//!    `lint` of the new files: no parse failure, no finding but those that name the hazard of the
//!    change itself — and each of those on a statement the file marks with that hazard;
//! 3. `upgrade`, `check` clean;
//! 4. `downgrade` to A's revision, and the database is A again (its model equals the one read after
//!    step 1, the diff between them is empty) — or, when a written file says it is irreversible,
//!    `downgrade` refuses and says why.
//!
//! On PostgreSQL with temporary shadow databases for every pair, and with `shadow_url` for a
//! subset; on SQLite with an in-memory shadow and with a `shadow_url` file.

use crate::cli::Cli;
use crate::context::Project;
use crate::error::CliError;
use crate::output::Printer;
use clap::Parser;
use std::path::PathBuf;
use strata_schema::{DiffOptions, Schema};
use strata_testkit::{TempPg, TempSqlite};

/// A pair of schemas from a pairs file.
#[derive(Debug)]
struct Pair {
    name: String,
    renames: Vec<String>,
    before_down: Option<String>,
    /// `-- options: privileges owners`: the `[schema]` options the project turns on.
    options: Vec<String>,
    /// `-- setup: SQL`: run on the database before the chain (roles, which are cluster-wide).
    setup: Option<String>,
    a: String,
    b: String,
}

fn pairs(text: &str) -> Vec<Pair> {
    let mut out: Vec<Pair> = Vec::new();
    let mut side = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("-- pair: ") {
            out.push(Pair {
                name: name.trim().to_owned(),
                renames: Vec::new(),
                before_down: None,
                options: Vec::new(),
                setup: None,
                a: String::new(),
                b: String::new(),
            });
            side = None;
            continue;
        }
        let Some(pair) = out.last_mut() else {
            continue;
        };
        match (side, line) {
            (None, _) if line.starts_with("-- rename: ") => {
                pair.renames.push(line["-- rename: ".len()..].to_owned())
            }
            (None, _) if line.starts_with("-- before-down: ") => {
                pair.before_down = Some(line["-- before-down: ".len()..].to_owned())
            }
            (None, _) if line.starts_with("-- options: ") => pair.options.extend(
                line["-- options: ".len()..]
                    .split_whitespace()
                    .map(str::to_owned),
            ),
            (None, _) if line.starts_with("-- setup: ") => {
                pair.setup = Some(line["-- setup: ".len()..].to_owned())
            }
            (_, "-- a:") => side = Some('a'),
            (_, "-- b:") => side = Some('b'),
            (Some('a'), _) => {
                pair.a.push_str(line);
                pair.a.push('\n');
            }
            (Some('b'), _) => {
                pair.b.push_str(line);
                pair.b.push('\n');
            }
            _ => {}
        }
    }
    out
}

const POSTGRES: &str = include_str!("../tests/pairs/postgres.sql");
const SQLITE: &str = include_str!("../tests/pairs/sqlite.sql");

/// Lint findings a generated file may carry: those naming the hazard of the change itself, with
/// the hazard the file marks the statement with.
const ALLOWED: &[(&str, &str)] = &[
    ("drop-column", "data-loss"),
    ("drop-table", "data-loss"),
    ("rename-column", "rename"),
    ("rename-table", "rename"),
    ("column-type-change", "table-rewrite"),
    ("table-rewrite", "table-rewrite"),
    ("add-serial-or-identity", "table-rewrite"),
    ("volatile-default", "table-rewrite"),
    ("adding-not-null-column", "not-null-backfill"),
    ("drop-foreign-key", "integrity-loss"),
    ("drop-not-null", "nulls-allowed"),
    ("domain-constraint", "blocking-validation"),
    ("non-concurrent-detach-partition", "blocking-detach"),
];

/// In a down, also what puts back a constraint the up dropped: `NOT NULL` (scans the table), a
/// check or foreign key (checks every row), a unique constraint or primary key (builds its
/// index). A down is one migration, in one transaction: there is no form of those without the
/// lock there (a `NOT VALID` constraint validated in the same transaction holds it all the same).
const ALLOWED_IN_DOWNS: &[&str] = &[
    "setting-not-null",
    "unique-constraint-directly",
    "constraint-without-not-valid",
];

/// Rules about the design of the schema the user wrote (they fire on new tables too), not about
/// the form of the migration: off for this test.
const DESIGN_RULES: &[&str] = &[
    "prefer-jsonb",
    "prefer-timestamptz",
    "prefer-text",
    "float-for-money",
    "prefer-bigint-pk",
    "fk-without-index",
    "table-without-primary-key",
];

struct Chain {
    dir: tempfile::TempDir,
    url: String,
}

impl Chain {
    fn new(url: &str, shadow: Option<&str>, options: &[String]) -> Chain {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("migrations")).unwrap();
        std::fs::create_dir_all(dir.path().join("schema")).unwrap();
        let mut config = format!(
            "migrations_dir = \"migrations\"\n[env.development]\nurl = \"{url}\"\nlint = \"off\"\n"
        );
        if let Some(shadow) = shadow {
            config.push_str(&format!("shadow_url = \"{shadow}\"\n"));
        }
        if !options.is_empty() {
            config.push_str("\n[schema]\n");
            for option in options {
                config.push_str(&format!("{option} = true\n"));
            }
        }
        config.push_str("\n[lint]\n");
        for rule in DESIGN_RULES {
            config.push_str(&format!("\"{rule}\" = \"off\"\n"));
        }
        std::fs::write(dir.path().join("strata.toml"), config).unwrap();
        Chain {
            dir,
            url: url.to_owned(),
        }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("strata.toml")
    }

    /// Runs one command as the binary would, quietly.
    fn run(&self, args: &[&str]) -> Result<(), CliError> {
        let config = self.config().display().to_string();
        let mut argv = vec!["strata", "--quiet", "--no-color", "--config", &config];
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(&argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
        let printer = Printer::new(&cli.global);
        crate::commands::run(cli, &printer)
    }

    fn project(&self) -> Project {
        let cli = Cli::try_parse_from([
            "strata",
            "--config",
            &self.config().display().to_string(),
            "check",
        ])
        .unwrap();
        Project::load(&cli.global).unwrap()
    }

    fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("migrations"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
    }

    fn schema(&self, sql: &str) {
        std::fs::write(self.dir.path().join("schema").join("app.sql"), sql).unwrap();
    }

    fn model(&self) -> Schema {
        let project = self.project();
        let printer = Printer::new(
            &Cli::try_parse_from(["strata", "-q", "check"])
                .unwrap()
                .global,
        );
        let ws = crate::desired::Workspace::new(&project, &[], &printer).unwrap();
        let mut conn = project.open_url(&self.url).unwrap();
        ws.introspect(&mut conn).unwrap()
    }

    /// Runs the row statements of `sql` (its INSERT / UPDATE / DELETE) on the database.
    fn rows(&self, sql: &str) {
        let project = self.project();
        let mut conn = project.open_url(&self.url).unwrap();
        for s in strata_core::sql::split(sql, 1) {
            let first = s.sql.split_whitespace().next().unwrap_or("").to_uppercase();
            if matches!(first.as_str(), "INSERT" | "UPDATE" | "DELETE") {
                conn.db()
                    .execute(&s.sql)
                    .unwrap_or_else(|e| panic!("{}: {e:?}", s.sql));
            }
        }
    }

    /// Lints `files` as `strata lint FILES` does: the failures, and each finding with the hazards
    /// the file marks its statement with (the `-- hazard:` lines above it).
    fn lint(&self, files: &[PathBuf]) -> Result<Vec<(String, String, Vec<String>)>, String> {
        let project = self.project();
        let settings = crate::commands::lint::LintSettings::from_config(&project)
            .map_err(|e| format!("{e:?}"))?;
        let inputs = crate::lint_input::read_paths(files);
        if !inputs.problems.is_empty() {
            return Err(format!("lint input problems: {:?}", inputs.problems));
        }
        let report = settings.lint(&inputs);
        if !report.failures.is_empty() {
            return Err(format!("lint could not parse: {:?}", report.failures));
        }
        let mut out = Vec::new();
        for f in &report.findings {
            let text = std::fs::read_to_string(&f.file).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let down = lines
                .iter()
                .position(|l| l.trim() == "-- strata:down")
                .unwrap_or(lines.len());
            let mut hazards = Vec::new();
            if f.line > 0 && f.line <= down {
                // Upward from the statement to the blank line that starts its change.
                for l in lines[..f.line - 1].iter().rev() {
                    if l.trim().is_empty() {
                        break;
                    }
                    if let Some(rest) = l.strip_prefix("-- hazard: ") {
                        hazards.push(rest.split(':').next().unwrap_or("").to_owned());
                    }
                }
            } else {
                hazards.push("(down)".to_owned());
            }
            out.push((
                f.rule.to_owned(),
                format!("{}:{}: {}", f.file, f.line, f.message),
                hazards,
            ));
        }
        Ok(out)
    }
}

fn fail(what: &str, e: impl std::fmt::Debug) -> String {
    format!("{what}: {e:?}")
}

/// The chain for one pair; `Err` says where it broke.
fn chain(pair: &Pair, url: &str, shadow: Option<&str>, lint: bool) -> Result<(), String> {
    let c = Chain::new(url, shadow, &pair.options);
    if let Some(sql) = &pair.setup {
        let project = c.project();
        let mut conn = project.open_url(url).unwrap();
        conn.db().execute(sql).map_err(|e| fail("setup", e))?;
    }
    c.schema(&pair.a);
    c.run(&["revision", "--autogenerate", "-m", "a"])
        .map_err(|e| fail("autogenerate A", e))?;
    c.run(&["upgrade"]).map_err(|e| fail("upgrade to A", e))?;
    c.run(&["check"]).map_err(|e| fail("check after A", e))?;
    c.rows(&pair.a);
    let a_files = c.files();
    let a_head = a_files
        .last()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy()[..14].to_owned());
    let model_a = c.model();

    c.schema(&pair.b);
    let mut args = vec![
        "revision",
        "--autogenerate",
        "-m",
        "b",
        "--allow-destructive",
    ];
    for r in &pair.renames {
        args.push("--rename");
        args.push(r);
    }
    c.run(&args).map_err(|e| fail("autogenerate B", e))?;
    let new: Vec<PathBuf> = c.files().split_off(a_files.len());
    if new.is_empty() {
        return Err("autogenerate B wrote nothing".into());
    }
    let texts: Vec<String> = new
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    if lint {
        for (rule, at, hazards) in c.lint(&new)? {
            let in_down = hazards.iter().any(|h| h == "(down)");
            match ALLOWED.iter().find(|(r, _)| *r == rule) {
                None if in_down && ALLOWED_IN_DOWNS.contains(&rule.as_str()) => {}
                None => return Err(format!("lint finding outside the list: {rule} at {at}")),
                Some((_, hazard)) => {
                    if !hazards.iter().any(|h| h == hazard || h == "(down)") {
                        return Err(format!(
                            "lint says {rule} at {at}, but the statement is marked with {hazards:?}, not {hazard}"
                        ));
                    }
                }
            }
        }
    }
    c.run(&["upgrade"]).map_err(|e| fail("upgrade to B", e))?;
    c.run(&["check"]).map_err(|e| fail("check after B", e))?;
    // The `[schema]` options reach what is read and compared.
    let model_b = c.model();
    let on = |o: &str| pair.options.iter().any(|x| x == o);
    let has_grants = !model_b.grants.is_empty() || !model_b.default_privileges.is_empty();
    if on("privileges") != has_grants || on("owners") == model_b.owners.is_empty() {
        return Err(format!(
            "options {:?}, but B's model holds {} grants, {} default privileges, {} owners",
            pair.options,
            model_b.grants.len(),
            model_b.default_privileges.len(),
            model_b.owners.len()
        ));
    }

    if let Some(sql) = &pair.before_down {
        let project = c.project();
        let mut conn = project.open_url(url).unwrap();
        conn.db().execute(sql).map_err(|e| fail("before down", e))?;
    }
    let target = a_head.unwrap_or_else(|| "base".to_owned());
    let irreversible = texts.iter().any(|t| t.contains("-- strata:irreversible "));
    match c.run(&["downgrade", &target]) {
        Err(e) if irreversible => {
            let said = format!("{e:?}");
            if !said.contains("irreversible") {
                return Err(format!("downgrade past an irreversible file: {said}"));
            }
            return Ok(());
        }
        Err(e) => return Err(fail("downgrade to A", e)),
        Ok(()) if irreversible => return Err("downgrade ran past an irreversible file".into()),
        Ok(()) => {}
    }
    let back = c.model();
    let differences = strata_schema::differences(&back, &model_a);
    if !differences.is_empty() {
        return Err(format!(
            "after the downgrade the database is not A: {differences:?}"
        ));
    }
    let dialect = if url.starts_with("sqlite") {
        strata_core::Dialect::Sqlite
    } else {
        strata_core::Dialect::Postgres
    };
    let rest = crate::commands::schema::plan(dialect, &back, &model_a, &DiffOptions::default());
    if !rest.is_empty() {
        return Err(format!("diff(database, A) is not empty: {:?}", rest.up()));
    }
    Ok(())
}

/// Runs the chain for the pairs `which` picks; fails with every pair that broke.
fn run_pairs(text: &str, which: impl Fn(usize, &Pair) -> bool, engine: Engine) {
    let all = pairs(text);
    assert!(all.len() >= 20, "the pairs file holds {} pairs", all.len());
    // While working on a pair: STRATA_CHAIN_PAIRS=name,name runs only the pairs whose names
    // contain one of those (the run must still find one).
    let only: Vec<String> = std::env::var("STRATA_CHAIN_PAIRS")
        .map(|v| v.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let chosen = |p: &Pair| only.is_empty() || only.iter().any(|o| p.name.contains(o.as_str()));
    let mut failures = Vec::new();
    let mut ran = 0;
    for (i, pair) in all
        .iter()
        .enumerate()
        .filter(|(i, p)| which(*i, p) && chosen(p))
    {
        ran += 1;
        let result = match engine {
            Engine::Postgres { shadow } => {
                let db = TempPg::new();
                let shadow_db = shadow.then(TempPg::new);
                chain(
                    pair,
                    &db.url,
                    shadow_db.as_ref().map(|s| s.url.as_str()),
                    true,
                )
            }
            Engine::Sqlite { shadow } => {
                let db = TempSqlite::new();
                let shadow_db = shadow.then(TempSqlite::new);
                chain(
                    pair,
                    &db.url,
                    shadow_db.as_ref().map(|s| s.url.as_str()),
                    false,
                )
            }
        };
        if let Err(e) = result {
            failures.push(format!("#{i} {}: {e}", pair.name));
        }
    }
    assert!(ran > 0 || !only.is_empty());
    assert!(
        failures.is_empty(),
        "{} of {ran} pairs broke the chain:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[derive(Clone, Copy)]
enum Engine {
    Postgres { shadow: bool },
    Sqlite { shadow: bool },
}

/// The pairs are split in four parts so that they run side by side.
fn part(n: usize) -> impl Fn(usize, &Pair) -> bool {
    move |i, _| i % 4 == n
}

#[test]
fn chain_postgres_1() {
    run_pairs(POSTGRES, part(0), Engine::Postgres { shadow: false });
}

#[test]
fn chain_postgres_2() {
    run_pairs(POSTGRES, part(1), Engine::Postgres { shadow: false });
}

#[test]
fn chain_postgres_3() {
    run_pairs(POSTGRES, part(2), Engine::Postgres { shadow: false });
}

#[test]
fn chain_postgres_4() {
    run_pairs(POSTGRES, part(3), Engine::Postgres { shadow: false });
}

/// With `shadow_url`: every fifth pair.
#[test]
fn chain_postgres_with_shadow_url() {
    run_pairs(
        POSTGRES,
        |i, _| i % 5 == 0,
        Engine::Postgres { shadow: true },
    );
}

/// With `shadow_url`: every pair with privileges or owners on (the roles they name are
/// cluster-wide; the shadow must come out with the same grants and owners).
#[test]
fn chain_postgres_grants_with_shadow_url() {
    run_pairs(
        POSTGRES,
        |_, p| !p.options.is_empty(),
        Engine::Postgres { shadow: true },
    );
}

#[test]
fn chain_sqlite() {
    run_pairs(SQLITE, |_, _| true, Engine::Sqlite { shadow: false });
}

#[test]
fn chain_sqlite_with_shadow_url() {
    run_pairs(SQLITE, |i, _| i % 3 == 0, Engine::Sqlite { shadow: true });
}

#[test]
fn the_pairs_files_parse() {
    let pg = pairs(POSTGRES);
    assert!(pg.len() >= 60, "{}", pg.len());
    for p in pg.iter().chain(&pairs(SQLITE)) {
        assert!(
            !p.a.trim().is_empty() || !p.b.trim().is_empty(),
            "{}",
            p.name
        );
        assert_ne!(p.a, p.b, "{}", p.name);
    }
    let granted = pg
        .iter()
        .find(|p| p.name == "grants_on_tables_columns_sequences")
        .unwrap();
    assert_eq!(granted.options, ["privileges", "owners"]);
    assert!(granted
        .setup
        .as_deref()
        .unwrap_or("")
        .contains("CREATE ROLE"));
    let renamed = pg.iter().find(|p| p.name == "renames_from_hints").unwrap();
    assert_eq!(renamed.renames, ["users.name=full name", "old t=new t"]);
}
