//! A program's `strata::migrate` orders online (expand/contract) migrations as `strata upgrade`
//! does: on PostgreSQL it applies the plain migrations before one, runs its expand phase and
//! stops there; on SQLite it refuses it before anything runs. The migrations are compiled-in
//! texts (`load_embedded`): no file is read at run time.

use strata::{EngineError, Error, OnlineAction, OnlineState, Settings};
use strata_testkit::{TempPg, TempSqlite};

const A1: &str = "-- strata:up\nCREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL);\nINSERT INTO accounts (id, name) VALUES (7, 'n7'), (8, 'n8');\n-- strata:down\nDROP TABLE accounts;\n";

const B2: &str = "message = \"name -> full_name\"\nrevises = \"a1\"\n\n[[operations]]\ntype = \"rename_column\"\ntable = \"accounts\"\nfrom = \"name\"\nto = \"full_name\"\n";

const C3: &str = "-- strata:revises b2\n-- strata:up\nCREATE TABLE later (id int PRIMARY KEY);\n-- strata:down\nDROP TABLE later;\n";

fn migrations(b2: &str) -> strata::Migrations {
    strata::load_embedded(&[
        ("a1_accounts.sql", A1),
        ("b2_rename.toml", b2),
        ("c3_later.sql", C3),
    ])
    .unwrap()
}

fn refusal(result: Result<strata::Upgraded, Error>) -> String {
    match result {
        Err(Error::Engine(e @ EngineError::Invalid { .. })) => {
            assert_eq!(e.exit_code(), 2);
            e.to_string()
        }
        Err(other) => panic!("expected a refusal, got {other}"),
        Ok(upgraded) => panic!("expected a refusal, got {upgraded:?}"),
    }
}

#[test]
fn migrate_stops_at_an_online_migration_after_its_expand_phase_on_postgres() {
    let db = TempPg::new();
    let migrations = migrations(B2);
    let upgraded = strata::migrate(&db.url, &migrations).unwrap();
    let applied: Vec<&str> = upgraded
        .applied
        .iter()
        .map(|a| a.revision.as_str())
        .collect();
    assert_eq!(applied, ["a1"]);
    let stop = upgraded
        .stopped_at
        .expect("stopped at the online migration");
    assert_eq!(stop.revision, "b2");
    assert_eq!(stop.action, OnlineAction::Started);
    assert_eq!(stop.state, OnlineState::Active);
    assert_eq!(stop.version_schema, "strata_v_b2");
    assert_eq!(stop.search_path, "\"strata_v_b2\",\"public\"");

    // Expanded, not recorded as applied; c3 after it did not run.
    assert_eq!(strata::current(&db.url).unwrap(), ["a1"]);
    let mut client = db.client();
    let phase: String = client
        .query_one(
            "SELECT phase FROM strata_online_state WHERE migration = 'b2'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(phase, "active");
    let later: bool = client
        .query_one("SELECT to_regclass('later') IS NULL", &[])
        .unwrap()
        .get(0);
    assert!(later, "c3 must wait for `strata complete`");
    // Old clients see `name`, new clients (the version schema first) `full_name`.
    client
        .batch_execute("SET search_path = strata_v_b2, public")
        .unwrap();
    let full_name: String = client
        .query_one("SELECT full_name FROM accounts WHERE id = 7", &[])
        .unwrap()
        .get(0);
    assert_eq!(full_name, "n7");
    client.batch_execute("RESET search_path").unwrap();
    let name: String = client
        .query_one("SELECT name FROM accounts WHERE id = 7", &[])
        .unwrap()
        .get(0);
    assert_eq!(name, "n7");

    // Another replica starting: past the expanded migration, refused; nothing applied.
    let text = refusal(strata::migrate(&db.url, &migrations));
    assert!(
        text.contains("online migration b2 is in progress (active)"),
        "{text}"
    );
    assert_eq!(strata::current(&db.url).unwrap(), ["a1"]);
    // Up to it: already expanded, nothing to do.
    let upgraded = strata::migrate_with(&db.url, &migrations, "b2", Settings::default()).unwrap();
    assert!(upgraded.applied.is_empty());
    let stop = upgraded.stopped_at.unwrap();
    assert_eq!(
        (stop.revision.as_str(), stop.action),
        ("b2", OnlineAction::AlreadyExpanded)
    );
}

#[test]
fn an_online_migration_the_schema_does_not_fit_is_an_online_error_and_starts_nothing() {
    let db = TempPg::new();
    let migrations = migrations(&B2.replace("from = \"name\"", "from = \"nosuch\""));
    let err = strata::migrate(&db.url, &migrations).unwrap_err();
    let Error::Online(e) = &err else {
        panic!("expected Error::Online, got {err:?}");
    };
    assert!(e.to_string().contains("nosuch"), "{e}");
    // The plain migration before it ran (the check needs its table); nothing of b2 did.
    assert_eq!(strata::current(&db.url).unwrap(), ["a1"]);
    let started: bool = db
        .client()
        .query_one("SELECT to_regclass('strata_online_state') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    assert!(!started);
}

#[test]
fn on_sqlite_an_online_migration_is_refused_before_anything_runs() {
    let db = TempSqlite::new();
    let migrations = migrations(B2);
    let text = refusal(strata::migrate(&db.url, &migrations));
    assert!(
        text.contains("b2 (migrations/b2_rename.toml) is an online migration: online (expand/contract) migrations need PostgreSQL"),
        "{text}"
    );
    assert!(strata::current(&db.url).unwrap().is_empty(), "nothing ran");
    // The plain migrations before it run as usual.
    let upgraded = strata::migrate_with(&db.url, &migrations, "a1", Settings::default()).unwrap();
    assert_eq!(upgraded.applied.len(), 1);
    assert!(upgraded.stopped_at.is_none());
}
