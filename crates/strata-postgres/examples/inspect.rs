//! Prints a database's schema model: `cargo run -p strata-postgres --example inspect -- URL
//! [sql|json]` (the same as `strata inspect --format sql|json`, without a project).

use strata_postgres::{introspect, ConnectOptions, IntrospectOptions, Postgres};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(url) = args.first() else {
        eprintln!("usage: inspect URL [sql|json]");
        std::process::exit(2);
    };
    let format = args.get(1).map(String::as_str).unwrap_or("sql");
    let run = || -> Result<String, strata_engine::DbError> {
        let mut pg = Postgres::connect(url, &ConnectOptions::default())?;
        let schema = introspect(&mut pg, &IntrospectOptions::default())?;
        Ok(match format {
            "json" => schema.to_json(),
            _ => strata_schema::to_sql(&schema),
        })
    };
    match run() {
        Ok(text) => println!("{text}"),
        Err(e) => {
            eprintln!("inspect: {}", e.message);
            std::process::exit(3);
        }
    }
}
