//! Privileges and owners on the local PostgreSQL: read only when asked for, compared as their
//! difference from PostgreSQL's defaults (a fresh database has none), re-created by `to_sql`, and
//! diffed both ways.

use strata_postgres::{introspect, ConnectOptions, IntrospectOptions, Postgres};
use strata_schema::diff::PREAMBLE;
use strata_schema::*;
use strata_testkit::TempPg;

const ROLES: &str = "DO $$ BEGIN \
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'strata_priv_reader') THEN \
      CREATE ROLE strata_priv_reader NOLOGIN; END IF; \
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'strata_priv_owner') THEN \
      CREATE ROLE strata_priv_owner NOLOGIN; END IF; \
  EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL; END $$;";

const BASE: &str = "CREATE SCHEMA app; \
    CREATE TABLE app.t (id int, secret text); \
    CREATE SEQUENCE app.s; \
    CREATE FUNCTION app.f(x int) RETURNS int LANGUAGE sql AS 'SELECT x'; \
    CREATE VIEW app.v AS SELECT id FROM app.t;";

const GRANTS: &str = "GRANT SELECT ON app.t TO strata_priv_reader; \
    GRANT UPDATE (secret) ON app.t TO strata_priv_reader WITH GRANT OPTION; \
    GRANT USAGE ON SCHEMA app TO strata_priv_reader; \
    GRANT USAGE ON SEQUENCE app.s TO strata_priv_reader; \
    REVOKE EXECUTE ON FUNCTION app.f(int) FROM PUBLIC; \
    GRANT EXECUTE ON FUNCTION app.f(int) TO strata_priv_reader; \
    ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO strata_priv_reader; \
    ALTER VIEW app.v OWNER TO strata_priv_owner;";

fn options() -> IntrospectOptions {
    IntrospectOptions {
        privileges: true,
        owners: true,
        ..IntrospectOptions::default()
    }
}

fn model(db: &TempPg, opts: &IntrospectOptions) -> Schema {
    let mut pg = Postgres::connect(&db.url, &ConnectOptions::default())
        .unwrap_or_else(|e| panic!("connect: {e:?}"));
    introspect(&mut pg, opts).unwrap_or_else(|e| panic!("introspect: {e:?}"))
}

fn load(db: &TempPg, sql: &str) {
    db.client()
        .batch_execute(sql)
        .unwrap_or_else(|e| panic!("could not load the SQL: {e}\n{sql}"));
}

fn apply(db: &TempPg, statements: &[String]) {
    let mut client = db.client();
    for s in PREAMBLE
        .iter()
        .copied()
        .map(str::to_owned)
        .chain(statements.iter().cloned())
    {
        client
            .batch_execute(&s)
            .unwrap_or_else(|e| panic!("statement failed: {e}\n{s}"));
    }
}

#[test]
fn privileges_are_read_only_when_asked_for_and_round_trip() {
    let db = TempPg::new();
    load(&db, ROLES);
    load(&db, BASE);
    // A fresh database: no grant differs from the defaults, but for what a new database gives
    // `public` (`USAGE`, and `CREATE` before PostgreSQL 15, to `PUBLIC`).
    let plain = model(&db, &options());
    assert!(
        plain
            .grants
            .iter()
            .all(|g| g.on.name.name == "public" && g.grantee == "PUBLIC"),
        "{:#?}",
        plain.grants
    );
    assert!(plain.default_privileges.is_empty());
    assert!(plain.owners.iter().any(|o| o.on.name.name == "t"));
    load(&db, GRANTS);
    let m = model(&db, &options());
    let lines: Vec<String> = m.grants.iter().map(|g| g.to_string()).collect();
    for expected in [
        r#"SELECT on table "app"."t" to "strata_priv_reader""#,
        r#"UPDATE ("secret") on table "app"."t" to "strata_priv_reader" with grant option"#,
        r#"USAGE on schema "app" to "strata_priv_reader""#,
        r#"USAGE on sequence "app"."s" to "strata_priv_reader""#,
        r#"revoked EXECUTE on function "app"."f"(integer) from PUBLIC"#,
        r#"EXECUTE on function "app"."f"(integer) to "strata_priv_reader""#,
    ] {
        assert!(
            lines.iter().any(|l| l == expected),
            "{expected} not in {lines:#?}"
        );
    }
    assert_eq!(m.default_privileges.len(), 1, "{:#?}", m.default_privileges);
    assert!(m
        .owners
        .iter()
        .any(|o| o.on.name.name == "v" && o.owner == "strata_priv_owner"));
    // Off: nothing of them is read.
    let off = model(&db, &IntrospectOptions::default());
    assert!(off.grants.is_empty() && off.owners.is_empty() && off.default_privileges.is_empty());

    // to_sql re-creates them.
    let copy = TempPg::new();
    load(&copy, &to_sql(&m));
    let again = model(&copy, &options());
    assert_eq!(differences(&m, &again), Vec::<String>::new());

    // The diff grants and revokes them, both ways.
    let bare = TempPg::new();
    load(&bare, BASE);
    let from = model(&bare, &options());
    let p = diff(&from, &m, &DiffOptions::default());
    let up: Vec<String> = p.changes.iter().flat_map(|c| c.up.clone()).collect();
    apply(&bare, &up);
    assert_eq!(
        differences(&model(&bare, &options()), &m),
        Vec::<String>::new()
    );
    let down: Vec<String> = p
        .changes
        .iter()
        .rev()
        .flat_map(|c| c.down.clone())
        .collect();
    apply(&bare, &down);
    assert_eq!(
        differences(&model(&bare, &options()), &from),
        Vec::<String>::new()
    );
}
