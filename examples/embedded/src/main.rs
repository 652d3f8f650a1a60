//! A program that carries its migrations inside its binary and applies them when it starts, the
//! way a service run as several replicas would: every replica calls `strata::migrate`, strata's
//! runner lock lets one apply each migration and the others find it done.
//!
//! ```sh
//! cargo run -p strata-embedded-example -- sqlite://app.db
//! cargo run -p strata-embedded-example -- postgres://app@localhost/app
//! ```

use std::process::ExitCode;

/// Every file of ./migrations, compiled in by build.rs.
static MIGRATIONS: &[(&str, &str)] = strata::embedded_migrations!();

fn main() -> ExitCode {
    let Some(url) = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("DATABASE_URL").ok())
    else {
        eprintln!("usage: embedded-app DATABASE_URL (or set DATABASE_URL)");
        return ExitCode::from(2);
    };
    match run(&url) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(url: &str) -> Result<(), strata::Error> {
    let migrations = strata::load_embedded(MIGRATIONS)?;
    let upgraded = strata::migrate(url, &migrations)?;
    for step in &upgraded.applied {
        println!(
            "applied {} {} ({} ms)",
            step.revision, step.message, step.execution_ms
        );
    }
    println!(
        "{} migration(s) applied; at {}",
        upgraded.applied.len(),
        strata::current(url)?.join(", ")
    );
    // An online (expand/contract) migration: its expand phase ran; the application's new
    // version uses the version schema until `strata complete` finishes the migration.
    if let Some(online) = &upgraded.stopped_at {
        println!(
            "stopped at online migration {} ({}); new clients use SET search_path = {};",
            online.revision, online.state, online.search_path
        );
    }
    Ok(())
}
