//! Against the local PostgreSQL (see strata-testkit): each test has its own database.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use strata_core::Dialect;
use strata_engine::state::{
    create_tables_sql, insert_event_sql, set_heads_sql, EventKind, NewEvent, StateTables,
};
use strata_engine::Database;
use strata_postgres::{ConnectOptions, Postgres};
use strata_testkit::TempPg;

fn connect(url: &str) -> Postgres {
    Postgres::connect(url, &ConnectOptions::default()).unwrap_or_else(|e| panic!("connect: {e}"))
}

fn one(pg: &mut Postgres, sql: &str) -> Option<String> {
    pg.simple_query_rows(sql).unwrap().remove(0).remove(0)
}

fn server_ssl_on() -> bool {
    let mut admin =
        postgres::Client::connect(&strata_testkit::admin_url(), postgres::NoTls).unwrap();
    admin
        .query_one("SHOW ssl", &[])
        .unwrap()
        .get::<_, String>(0)
        == "on"
}

fn ssl_cert_file() -> String {
    let mut admin =
        postgres::Client::connect(&strata_testkit::admin_url(), postgres::NoTls).unwrap();
    let file: String = admin.query_one("SHOW ssl_cert_file", &[]).unwrap().get(0);
    if file.starts_with('/') {
        file
    } else {
        let dir: String = admin.query_one("SHOW data_directory", &[]).unwrap().get(0);
        format!("{dir}/{file}")
    }
}

#[test]
fn connects_and_runs_multi_statement_text() {
    let db = TempPg::new();
    let mut pg = connect(&db.url);
    assert_eq!(pg.dialect(), Dialect::Postgres);
    assert_eq!(pg.describe(), strata_core::mask_url(&db.url));
    let user: String = db
        .client()
        .query_one("SELECT current_user", &[])
        .unwrap()
        .get(0);
    assert_eq!(pg.user().unwrap(), Some(user));
    let version = pg.server_version().unwrap();
    assert!(version >= 120_000, "{version}");
    assert_eq!(
        one(&mut pg, "SHOW server_version_num").unwrap(),
        version.to_string()
    );
    assert_eq!(pg.begin_sql(), "BEGIN");
    assert!(!pg.lock_is_per_transaction());
    pg.execute("CREATE TABLE t (id int PRIMARY KEY, v text);\nINSERT INTO t VALUES (1, 'a');\nINSERT INTO t VALUES (2, 'b\\c');")
        .unwrap();
    let rows = pg
        .simple_query_rows("SELECT id, v FROM t ORDER BY id; SELECT NULL")
        .unwrap();
    assert_eq!(
        rows,
        vec![
            vec![Some("1".to_owned()), Some("a".to_owned())],
            vec![Some("2".to_owned()), Some("b\\c".to_owned())],
            vec![None],
        ]
    );
}

#[test]
fn session_settings() {
    let db = TempPg::new();
    let mut pg = connect(&db.url);
    assert_eq!(
        one(&mut pg, "SHOW application_name").as_deref(),
        Some("strata")
    );
    assert_eq!(
        one(&mut pg, "SHOW standard_conforming_strings").as_deref(),
        Some("on")
    );
    if pg.server_version().unwrap() >= 140_000 {
        assert_eq!(
            one(&mut pg, "SHOW client_connection_check_interval").as_deref(),
            Some("1s")
        );
    }
    let opts = ConnectOptions {
        application_name: "it's mine".into(),
        ..ConnectOptions::default()
    };
    let mut pg = Postgres::connect(&db.url, &opts).unwrap();
    assert_eq!(
        one(&mut pg, "SHOW application_name").as_deref(),
        Some("it's mine")
    );
    // A value in the URL wins.
    let mut pg =
        Postgres::connect(&format!("{}?application_name=from%20url", db.url), &opts).unwrap();
    assert_eq!(
        one(&mut pg, "SHOW application_name").as_deref(),
        Some("from url")
    );
    // libpq `options` reach the server.
    let mut pg = connect(&format!("{}?options=-c%20search_path%3Dfoo", db.url));
    assert_eq!(one(&mut pg, "SHOW search_path").as_deref(), Some("foo"));
}

#[test]
fn errors_carry_sqlstate_detail_hint_and_position() {
    let db = TempPg::new();
    let mut pg = connect(&db.url);

    let err = pg.execute("SELECT 1/0").unwrap_err();
    assert_eq!(err.code.as_deref(), Some("22012"));
    assert_eq!(err.message, "division by zero");
    assert!(!err.connection);

    let sql = "SELECT 1;\nSELEC 2;";
    let err = pg.execute(sql).unwrap_err();
    assert_eq!(err.code.as_deref(), Some("42601"));
    assert_eq!(err.position, Some(11));
    let chars: Vec<char> = sql.chars().collect();
    assert_eq!(
        chars[err.position.unwrap() - 1..]
            .iter()
            .take(5)
            .collect::<String>(),
        "SELEC"
    );

    pg.execute("CREATE TABLE u (email text UNIQUE)").unwrap();
    pg.execute("INSERT INTO u VALUES ('a')").unwrap();
    let err = pg.execute("INSERT INTO u VALUES ('a')").unwrap_err();
    assert_eq!(err.code.as_deref(), Some("23505"));
    assert_eq!(
        err.detail.as_deref(),
        Some("Key (email)=(a) already exists.")
    );

    let err = pg.execute("SELECT 1 = 'x'::text").unwrap_err();
    assert_eq!(err.code.as_deref(), Some("42883"));
    assert!(err.hint.is_some(), "{err:?}");
    assert!(err.position.is_some(), "{err:?}");

    let err = pg
        .execute("DO $$BEGIN RAISE EXCEPTION 'boom' USING DETAIL = 'the detail', HINT = 'the hint', ERRCODE = '22023'; END$$")
        .unwrap_err();
    assert_eq!(
        (
            err.code.as_deref(),
            err.message.as_str(),
            err.detail.as_deref(),
            err.hint.as_deref()
        ),
        (Some("22023"), "boom", Some("the detail"), Some("the hint"))
    );
    // the session is still usable
    pg.execute("SELECT 1").unwrap();
}

#[test]
fn notices_are_collected() {
    let db = TempPg::new();
    let mut pg = connect(&db.url);
    assert!(pg.take_notices().is_empty());
    pg.execute("DO $$BEGIN RAISE NOTICE 'hi'; RAISE WARNING 'careful' USING HINT = 'look'; END$$")
        .unwrap();
    assert_eq!(
        pg.take_notices(),
        vec![
            "NOTICE: hi".to_owned(),
            "WARNING: careful\nHINT: look".to_owned()
        ]
    );
    assert!(pg.take_notices().is_empty());
}

fn event<'a>(
    revision: &'a str,
    parents: &'a [String],
    kind: EventKind,
    ms: Option<i64>,
) -> NewEvent<'a> {
    NewEvent {
        revision,
        parents,
        kind,
        message: Some("it's a message"),
        checksum: Some("abc"),
        applied_by: "me@host",
        execution_ms: ms,
        error: None,
    }
}

fn round_trip(pg: &mut Postgres, tables: &StateTables) {
    assert!(!pg.state_tables_exist(tables).unwrap());
    assert!(pg.read_heads(tables).unwrap().is_empty());
    assert!(pg.read_history(tables).unwrap().is_empty());
    pg.execute(&create_tables_sql(Dialect::Postgres, tables))
        .unwrap();
    assert!(pg.state_tables_exist(tables).unwrap());
    assert!(pg.read_heads(tables).unwrap().is_empty());
    assert!(pg.read_history(tables).unwrap().is_empty());

    let none: Vec<String> = Vec::new();
    let parents = vec!["r1".to_owned()];
    pg.execute(pg.begin_sql()).unwrap();
    pg.execute(&insert_event_sql(
        Dialect::Postgres,
        tables,
        &event("r1", &none, EventKind::Up, None),
    ))
    .unwrap();
    pg.execute(&set_heads_sql(tables, &[], &["r1"])).unwrap();
    pg.execute("COMMIT").unwrap();
    pg.execute(pg.begin_sql()).unwrap();
    pg.execute(&insert_event_sql(
        Dialect::Postgres,
        tables,
        &event("r2", &parents, EventKind::Stamp, Some(7)),
    ))
    .unwrap();
    pg.execute(&set_heads_sql(tables, &["r1"], &["r3", "r2"]))
        .unwrap();
    pg.execute("COMMIT").unwrap();

    assert_eq!(pg.read_heads(tables).unwrap(), vec!["r2", "r3"]);
    let history = pg.read_history(tables).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        (
            history[0].revision.as_str(),
            history[0].parents.as_str(),
            history[0].kind.as_str()
        ),
        ("r1", "", "up")
    );
    assert!(history[0].execution_ms.is_some_and(|ms| ms >= 0));
    assert_eq!(
        (
            history[1].revision.as_str(),
            history[1].parents.as_str(),
            history[1].kind.as_str()
        ),
        ("r2", "r1", "stamp")
    );
    assert_eq!(history[1].execution_ms, Some(7));
    assert_eq!(history[1].message.as_deref(), Some("it's a message"));
    assert_eq!(history[1].checksum.as_deref(), Some("abc"));
    assert!(
        history[1].applied_by.contains("me@host"),
        "{}",
        history[1].applied_by
    );
    assert_eq!(history[1].strata_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(history[1].error, None);
    assert!(history[0].id < history[1].id);
    let at = &history[0].applied_at;
    assert_eq!(at.len(), "2026-11-25T14:30:00.123Z".len(), "{at}");
    assert!(at.ends_with('Z') && at.as_bytes()[10] == b'T', "{at}");
}

#[test]
fn state_tables_round_trip() {
    let db = TempPg::new();
    let mut pg = connect(&db.url);
    round_trip(&mut pg, &StateTables::default());
}

#[test]
fn state_tables_in_a_schema_and_with_hostile_names() {
    let db = TempPg::new();
    let mut pg = connect(&db.url);
    pg.execute("CREATE SCHEMA app; CREATE SCHEMA \"We'ird\"")
        .unwrap();
    round_trip(
        &mut pg,
        &StateTables::new("app.strata_version", "app.strata_history"),
    );
    round_trip(
        &mut pg,
        &StateTables::new(r#"We'ird.a"; DROP TABLE x; --"#, "Mixed Case History"),
    );
    // a missing schema reads as missing tables
    assert!(!pg
        .state_tables_exist(&StateTables::new("nope.v", "nope.h"))
        .unwrap());
    assert!(pg
        .read_heads(&StateTables::new("nope.v", "nope.h"))
        .unwrap()
        .is_empty());
}

#[test]
fn a_waiting_runner_is_told_who_holds_the_lock() {
    let db = TempPg::new();
    let tables = StateTables::default();
    let mut first = connect(&db.url);
    let first_pid = one(&mut first, "SELECT pg_backend_pid()").unwrap();
    let user = one(&mut first, "SELECT current_user").unwrap();
    first
        .lock(&tables, None, &mut |_| {
            panic!("the first lock must not wait")
        })
        .unwrap();

    let (tx, rx) = mpsc::channel::<String>();
    let url = db.url.clone();
    let waiter = thread::spawn(move || {
        let mut second = connect(&url);
        let tables = StateTables::default();
        let mut calls = 0;
        second
            .lock(&tables, None, &mut |who| {
                calls += 1;
                tx.send(format!("waiting: {who}")).unwrap();
            })
            .unwrap();
        tx.send("acquired".to_owned()).unwrap();
        assert_eq!(calls, 1);
        // Held until unlock: a third session cannot take it.
        let mut third = connect(&url);
        let taken = one(
            &mut third,
            &format!("SELECT pg_try_advisory_lock({})", tables.lock_key()),
        );
        assert_eq!(taken.as_deref(), Some("f"));
        second.unlock(&tables).unwrap();
        let taken = one(
            &mut third,
            &format!("SELECT pg_try_advisory_lock({})", tables.lock_key()),
        );
        assert_eq!(taken.as_deref(), Some("t"));
    });

    let waiting = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("on_wait was not called");
    assert!(
        waiting.contains(&format!("pid {first_pid} (strata, user {user}, ")),
        "{waiting}"
    );
    assert!(waiting.contains("since "), "{waiting}");
    thread::sleep(Duration::from_millis(300));
    assert!(
        rx.try_recv().is_err(),
        "the second runner got the lock while the first held it"
    );
    first.unlock(&tables).unwrap();
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(20)).unwrap(),
        "acquired"
    );
    waiter.join().unwrap();
}

#[test]
fn different_version_tables_do_not_block_each_other() {
    let db = TempPg::new();
    let mut a = connect(&db.url);
    let mut b = connect(&db.url);
    a.lock(&StateTables::default(), None, &mut |_| panic!("no wait"))
        .unwrap();
    b.lock(
        &StateTables::new("other_version", "other_history"),
        None,
        &mut |w| panic!("waited on {w}"),
    )
    .unwrap();
}

#[test]
fn a_killed_session_releases_the_lock() {
    let db = TempPg::new();
    let tables = StateTables::default();
    let mut first = connect(&db.url);
    let pid = one(&mut first, "SELECT pg_backend_pid()").unwrap();
    first.lock(&tables, None, &mut |_| {}).unwrap();
    let mut admin = db.client();
    admin
        .batch_execute(&format!("SELECT pg_terminate_backend({pid})"))
        .unwrap();
    let mut second = connect(&db.url);
    let start = Instant::now();
    second.lock(&tables, None, &mut |_| {}).unwrap();
    assert!(start.elapsed() < Duration::from_secs(10));
    // the terminated connection reports a connection error
    let err = first.execute("SELECT 1").unwrap_err();
    assert!(err.connection, "{err:?}");
}

#[test]
fn a_running_statement_can_be_cancelled_from_another_thread() {
    let db = TempPg::new();
    let mut pg = connect(&db.url);
    let cancel = pg.cancel_token();
    let canceller = thread::spawn(move || {
        thread::sleep(Duration::from_millis(300));
        cancel.cancel().unwrap();
    });
    let start = Instant::now();
    let err = pg.execute("SELECT pg_sleep(30)").unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(err.code.as_deref(), Some("57014"), "{err:?}");
    canceller.join().unwrap();
    pg.execute("SELECT 1").unwrap();
}

#[test]
fn sslmode_disable_connects_without_tls() {
    let db = TempPg::new();
    let mut pg = connect(&format!("{}?sslmode=disable", db.url));
    assert_eq!(
        one(
            &mut pg,
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        )
        .as_deref(),
        Some("f")
    );
}

#[test]
fn sslmode_require_and_prefer() {
    let db = TempPg::new();
    let url = db.url_with_password("s3cr3t");
    if server_ssl_on() {
        for mode in ["require", "prefer", "allow"] {
            let mut pg = connect(&format!("{url}?sslmode={mode}"));
            assert_eq!(
                one(
                    &mut pg,
                    "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
                )
                .as_deref(),
                Some("t"),
                "{mode}"
            );
        }
        let mut pg = connect(&url);
        assert_eq!(
            one(
                &mut pg,
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
            )
            .as_deref(),
            Some("t")
        );
        // A cancel request goes over TLS too.
        pg.cancel_token().cancel().unwrap();
    } else {
        let err = Postgres::connect(
            &format!("{url}?sslmode=require"),
            &ConnectOptions::default(),
        )
        .err()
        .unwrap();
        assert!(err.connection);
        assert!(
            err.message.contains("does not support TLS"),
            "{}",
            err.message
        );
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
        let mut pg = connect(&format!("{url}?sslmode=prefer"));
        assert_eq!(
            one(
                &mut pg,
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
            )
            .as_deref(),
            Some("f")
        );
    }
}

#[test]
fn sslmode_verify_checks_the_certificate() {
    if !server_ssl_on() {
        return; // nothing to verify against; sslmode_require_and_prefer covers the error
    }
    let db = TempPg::new();
    let url = db.url_with_password("s3cr3t");
    // The local server's certificate is self-signed: not in the Mozilla roots.
    for mode in ["verify-ca", "verify-full"] {
        let err = Postgres::connect(&format!("{url}?sslmode={mode}"), &ConnectOptions::default())
            .err()
            .unwrap();
        assert!(err.connection);
        assert!(
            err.message.contains("TLS handshake failed"),
            "{}",
            err.message
        );
        assert!(
            err.hint.as_deref().unwrap_or("").contains("sslrootcert"),
            "{err:?}"
        );
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
    }
    // With the certificate itself as the root, the chain verifies...
    let cert = ssl_cert_file();
    let mut pg = connect(&format!("{url}?sslmode=verify-ca&sslrootcert={cert}"));
    assert_eq!(
        one(
            &mut pg,
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        )
        .as_deref(),
        Some("t")
    );
    // ... libpq: require with a root certificate verifies the chain as well ...
    connect(&format!("{url}?sslmode=require&sslrootcert={cert}"));
    // ... but its name is not 127.0.0.1.
    let err = Postgres::connect(
        &format!("{url}?sslmode=verify-full&sslrootcert={cert}"),
        &ConnectOptions::default(),
    )
    .err()
    .unwrap();
    assert!(
        err.message.contains("TLS handshake failed"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("not valid for name \"127.0.0.1\""),
        "{}",
        err.message
    );
    // Under the name in the certificate (Debian's snake-oil certificate names the host it was
    // made on, here usually localhost) full verification passes, or fails on the name alone.
    let by_name = format!(
        "{}?sslmode=verify-full&sslrootcert={cert}",
        url.replacen("@127.0.0.1:", "@localhost:", 1)
    );
    if let Err(err) = Postgres::connect(&by_name, &ConnectOptions::default()) {
        assert!(
            err.message.contains("not valid for name \"localhost\""),
            "{}",
            err.message
        );
    }
    // A missing root file is a clear error.
    let err = Postgres::connect(
        &format!("{url}?sslmode=verify-ca&sslrootcert=/no/such.pem"),
        &ConnectOptions::default(),
    )
    .err()
    .unwrap();
    assert!(
        err.message.contains("cannot read sslrootcert /no/such.pem"),
        "{}",
        err.message
    );
    assert!(!err.message.contains("s3cr3t"), "{}", err.message);
}

#[test]
fn a_wrong_port_gives_a_useful_connection_error_without_the_password() {
    let db = TempPg::new();
    let url = format!("postgres://postgres:s3cr3t@127.0.0.1:1/{}", db.name);
    let err = Postgres::connect(&url, &ConnectOptions::default())
        .err()
        .unwrap();
    assert!(err.connection);
    assert_eq!(
        err.message,
        format!("could not connect to postgres://postgres:***@127.0.0.1:1/{}: connection refused — is the server running?", db.name)
    );
    assert!(!format!("{err} {err:?}").contains("s3cr3t"));
}

#[test]
fn connection_errors_from_the_server_are_masked_too() {
    let db = TempPg::new();
    let with_password = db.url_with_password("s3cr3t");
    let (base, _) = with_password.rsplit_once('/').unwrap();
    let url = format!("{base}/no_such_database_here");
    let err = Postgres::connect(&url, &ConnectOptions::default())
        .err()
        .unwrap();
    assert!(err.connection);
    assert_eq!(err.code.as_deref(), Some("3D000"));
    assert!(
        err.message.starts_with("could not connect to postgres://")
            && err.message.contains(":***@"),
        "{}",
        err.message
    );
    assert!(!format!("{err} {err:?}").contains("s3cr3t"));
    // Password as a query parameter
    let url = format!("{}?password=s3cr3t&port=1", db.url);
    let err = Postgres::connect(&url, &ConnectOptions::default())
        .err()
        .unwrap();
    assert!(err.message.contains("password=***"), "{}", err.message);
    assert!(!format!("{err} {err:?}").contains("s3cr3t"));
}

#[test]
fn a_percent_encoded_password_connects_and_is_masked() {
    let db = TempPg::new();
    let url = db.url_with_password("p%40ss%2Fw%3Ard%20s3cr3t");
    let mut pg = connect(&url);
    pg.execute("SELECT 1").unwrap();
    assert!(!pg.describe().contains("s3cr3t"), "{}", pg.describe());
    assert!(pg.describe().contains(":***@"), "{}", pg.describe());
}

#[test]
fn unix_socket_host_as_a_query_parameter() {
    assert!(
        std::path::Path::new("/var/run/postgresql/.s.PGSQL.5432").exists(),
        "no PostgreSQL socket at /var/run/postgresql: start the local cluster with \
         `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` (scripts/test.sh does)"
    );
    let db = TempPg::new();
    db.url_with_password("s3cr3t");
    let role = format!("{}_u", db.name);
    let socket_url = format!(
        "postgres://{role}:s3cr3t@/{}?host=/var/run/postgresql&sslmode=require",
        db.name
    );
    match Postgres::connect(&socket_url, &ConnectOptions::default()) {
        Ok(mut pg) => {
            assert_eq!(
                one(&mut pg, "SELECT current_database()"),
                Some(db.name.clone())
            );
            // over the socket: no client address (and no TLS, whatever sslmode says)
            let sql =
                "SELECT client_addr IS NULL FROM pg_stat_activity WHERE pid = pg_backend_pid()";
            assert_eq!(one(&mut pg, sql).as_deref(), Some("t"));
        }
        // `local ... peer` (Debian's default) refuses the role: the server was reached all the same.
        Err(err) => {
            assert_eq!(err.code.as_deref(), Some("28000"), "{err:?}");
            assert!(!err.message.contains("s3cr3t"));
        }
    }
}

#[test]
fn handles_can_cross_threads() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<Postgres>();
    send_sync::<strata_postgres::CancelHandle>();
    send_sync::<ConnectOptions>();
}
