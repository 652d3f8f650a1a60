//! Alembic's revisions through Alembic's own offline mode: `alembic upgrade heads --sql` and
//! `alembic downgrade heads:base --sql`, run in the project with the user's `alembic.ini` and
//! `env.py`, then cut per revision by `strata_import::alembic`.

use crate::error::CliError;
use std::path::Path;
use std::process::Command;
use strata_core::Diagnostic;
use strata_import::Import;

pub fn read(dir: &Path, shown: &str) -> Result<Import, CliError> {
    let ini = dir.join("alembic.ini");
    let text = std::fs::read_to_string(&ini).map_err(|_| {
        CliError::invalid_with_hint(
            format!("{shown}/alembic.ini: not found"),
            "pass the folder holding alembic.ini with --dir",
        )
    })?;
    let location = text
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == "script_location").then(|| v.trim().to_owned())
        })
        .ok_or_else(|| {
            CliError::Diagnostics(vec![Diagnostic::new(
                format!("{shown}/alembic.ini"),
                0,
                "no script_location in [alembic]",
            )
            .with_hint("alembic init writes `script_location = %(here)s/alembic`")])
        })?;
    let location = location
        .trim_start_matches("%(here)s")
        .trim_start_matches(['/', '\\'])
        .to_owned();
    let versions = dir.join(&location).join("versions");
    let mut files = strata_import::read_dir_with(&versions, &[".py"]).map_err(|e| {
        CliError::invalid_with_hint(
            format!("cannot read {}: {e}", versions.display()),
            "script_location in alembic.ini must name the folder holding versions/",
        )
    })?;
    for f in &mut files {
        f.path = format!("{location}/versions/{}", f.path);
    }
    let located = |d: Vec<Diagnostic>| {
        CliError::Diagnostics(
            d.into_iter()
                .map(|d| Diagnostic {
                    file: format!("{shown}/{}", d.file),
                    ..d
                })
                .collect(),
        )
    };
    let revisions = strata_import::alembic::revisions(&files).map_err(located)?;
    let up = offline(dir, &["upgrade", "heads", "--sql"])?;
    let down = offline(dir, &["downgrade", "heads:base", "--sql"])?;
    strata_import::alembic::convert(&revisions, &up, &down).map_err(located)
}

/// Runs `alembic ARGS` in `dir` and returns its standard output.
fn offline(dir: &Path, args: &[&str]) -> Result<String, CliError> {
    // STRATA_ALEMBIC: the command to run instead (`poetry run alembic` needs a wrapper script).
    let program = std::env::var_os("STRATA_ALEMBIC").unwrap_or_else(|| "alembic".into());
    let output = Command::new(&program)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| {
            CliError::invalid_with_hint(
                format!("cannot run alembic: {e}"),
                "install Alembic where strata can run it (`pip install alembic`, with your project's dependencies so that env.py imports): on PATH, or named by STRATA_ALEMBIC",
            )
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(6).collect();
        return Err(CliError::invalid_with_hint(
            format!(
                "`alembic {}` failed in {}:\n{}",
                args.join(" "),
                dir.display(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            ),
            "strata converts through Alembic's offline mode: env.py must support --sql (run_migrations_offline) and sqlalchemy.url must name a PostgreSQL dialect",
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
