//! Every operation type, run twice against a fresh PostgreSQL database: start, then an old client
//! (the physical tables) and a new client (the version schema) write and read each other's rows,
//! then complete; and start, the same writes, then rollback. After each: the expected shape and
//! rows, nothing of strata's left behind, and the phase runs again harmlessly (as after an
//! interruption).

use postgres::{Client, SimpleQueryMessage};
use strata_online::{
    complete, parse, rollback, start, status, OnlineError, OnlineMigration, Progress, RunOptions,
    State,
};
use strata_postgres::{ConnectOptions, Postgres};
use strata_testkit::TempPg;

fn connect(db: &TempPg) -> Postgres {
    Postgres::connect(&db.url, &ConnectOptions::default()).expect("connect")
}

fn migration(id: &str, text: &str) -> OnlineMigration {
    parse(&format!("migrations/{id}_test.toml"), text).unwrap_or_else(|d| {
        panic!(
            "{}",
            d.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

fn opts() -> RunOptions {
    RunOptions {
        batch_size: 2,
        retry_backoff: std::time::Duration::from_millis(20),
        ..RunOptions::default()
    }
}

fn quiet(_: &Progress<'_>) {}

/// Rows of a query, every value as text.
fn rows(client: &mut Client, sql: &str) -> Vec<Vec<Option<String>>> {
    client
        .simple_query(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect())
            }
            _ => None,
        })
        .collect()
}

/// The rows of a one-column query, NULL as "NULL", joined by ",".
fn col(client: &mut Client, sql: &str) -> String {
    rows(client, sql)
        .into_iter()
        .map(|r| {
            r.into_iter()
                .next()
                .flatten()
                .unwrap_or_else(|| "NULL".to_owned())
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn exec(client: &mut Client, sql: &str) {
    client
        .batch_execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn fails(client: &mut Client, sql: &str) -> String {
    match client.batch_execute(sql) {
        Ok(()) => panic!("expected to fail: {sql}"),
        Err(e) => e
            .as_db_error()
            .map(|d| d.message().to_owned())
            .unwrap_or_default(),
    }
}

/// A client of the new version: the version schema first in its search_path.
fn new_client(db: &TempPg, id: &str) -> Client {
    let mut c = db.client();
    exec(
        &mut c,
        &format!("SET search_path = strata_v_{}, public", id.to_lowercase()),
    );
    c
}

/// Columns, triggers, functions, schemas, constraints and relations of strata's left behind.
fn leftovers(client: &mut Client) -> Vec<String> {
    let mut found = Vec::new();
    for (what, sql) in [
        (
            "column",
            "SELECT attrelid::regclass || '.' || attname FROM pg_attribute \
             WHERE attname LIKE '\\_strata\\_%' AND NOT attisdropped AND attnum > 0 \
             AND (SELECT relkind FROM pg_class WHERE oid = attrelid) IN ('r', 'p', 'v', 'm', 'f')",
        ),
        (
            "trigger",
            "SELECT tgname FROM pg_trigger WHERE tgname LIKE '\\_strata\\_%'",
        ),
        (
            "function",
            "SELECT proname FROM pg_proc WHERE proname LIKE '\\_strata\\_%'",
        ),
        (
            "schema",
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'strata\\_v\\_%'",
        ),
        (
            "constraint",
            "SELECT conname FROM pg_constraint WHERE conname LIKE '\\_strata\\_%'",
        ),
        (
            "relation",
            "SELECT relname FROM pg_class WHERE relname LIKE '\\_strata\\_%'",
        ),
    ] {
        for r in rows(client, sql) {
            found.push(format!("{what} {}", r[0].clone().unwrap_or_default()));
        }
    }
    found
}

fn assert_clean(client: &mut Client) {
    let left = leftovers(client);
    assert!(left.is_empty(), "left behind: {left:?}");
}

fn column_type(client: &mut Client, table: &str, column: &str) -> String {
    col(
        client,
        &format!(
            "SELECT format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' not null' ELSE '' END \
             FROM pg_attribute WHERE attrelid = to_regclass('{table}') AND attname = '{column}' AND NOT attisdropped"
        ),
    )
}

fn columns(client: &mut Client, table: &str) -> String {
    col(
        client,
        &format!(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass('{table}') AND attnum > 0 \
             AND NOT attisdropped ORDER BY attnum"
        ),
    )
}

fn exists(client: &mut Client, relation: &str) -> bool {
    col(
        client,
        &format!("SELECT to_regclass('{relation}') IS NOT NULL"),
    ) == "t"
}

/// One operation type's scenario.
struct Scenario {
    id: &'static str,
    setup: &'static str,
    migration: &'static str,
    /// Writes and reads by both versions while the migration is active.
    during: fn(&mut Client, &mut Client),
    after_complete: fn(&mut Client),
    after_rollback: fn(&mut Client),
    /// Whether every contract/abort step may run twice (raw_sql runs the user's SQL as given).
    idempotent: bool,
}

fn run(s: &Scenario) {
    let m = migration(s.id, s.migration);

    // start, both versions, complete
    let db = TempPg::new();
    let mut admin = db.client();
    exec(&mut admin, s.setup);
    let mut pg = connect(&db);
    let out = start(&mut pg, &m, &opts(), &mut quiet).expect("start");
    assert_eq!(out.state, State::Active);
    {
        let mut old = db.client();
        let mut new = new_client(&db, s.id);
        (s.during)(&mut old, &mut new);
    }
    let out = complete(&mut pg, s.id, &opts(), &mut quiet).expect("complete");
    assert_eq!(out.state, State::Completed);
    (s.after_complete)(&mut admin);
    assert_clean(&mut admin);
    if s.idempotent {
        // As if complete had been killed after its last step, before recording it.
        exec(
            &mut admin,
            "UPDATE strata_online_state SET phase = 'contracting', next_step = 0",
        );
        complete(&mut pg, s.id, &opts(), &mut quiet).expect("complete again");
        (s.after_complete)(&mut admin);
        assert_clean(&mut admin);
    }
    drop(pg);
    drop(admin);
    drop(db);

    // start, both versions, rollback
    let db = TempPg::new();
    let mut admin = db.client();
    exec(&mut admin, s.setup);
    let mut pg = connect(&db);
    start(&mut pg, &m, &opts(), &mut quiet).expect("start");
    {
        let mut old = db.client();
        let mut new = new_client(&db, s.id);
        (s.during)(&mut old, &mut new);
    }
    let out = rollback(&mut pg, s.id, &opts(), &mut quiet).expect("rollback");
    assert_eq!(out.state, State::RolledBack);
    (s.after_rollback)(&mut admin);
    assert_clean(&mut admin);
    if s.idempotent {
        exec(
            &mut admin,
            "UPDATE strata_online_state SET phase = 'aborting', next_step = 0",
        );
        rollback(&mut pg, s.id, &opts(), &mut quiet).expect("rollback again");
        (s.after_rollback)(&mut admin);
        assert_clean(&mut admin);
    }
}

const USERS: &str = "CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text NOT NULL);
INSERT INTO users (name) VALUES ('ann'), ('ben'), ('cat');";

#[test]
fn create_table() {
    run(&Scenario {
        id: "c1",
        setup: USERS,
        migration: r#"
message = "posts"
[[operations]]
type = "create_table"
table = "posts"
columns = [
  { name = "id", type = "bigserial", primary_key = true },
  { name = "user_id", type = "bigint", nullable = false, references = { table = "users", column = "id", on_delete = "cascade" } },
  { name = "title", type = "text", nullable = false, check = "length(title) > 0" },
  { name = "draft", type = "boolean", nullable = false, default = "true" },
]
"#,
        during: |old, new| {
            exec(
                new,
                "INSERT INTO posts (user_id, title) VALUES (1, 'hello')",
            );
            assert_eq!(
                col(new, "SELECT title || ':' || draft FROM posts"),
                "hello:true"
            );
            // Tables the migration does not touch fall through to the physical ones.
            assert_eq!(col(new, "SELECT count(*) FROM users"), "3");
            exec(old, "INSERT INTO users (name) VALUES ('dan')");
            assert_eq!(col(new, "SELECT name FROM users WHERE id = 4"), "dan");
            assert!(
                fails(new, "INSERT INTO posts (user_id, title) VALUES (1, '')").contains("check")
            );
        },
        after_complete: |c| {
            assert_eq!(columns(c, "posts"), "id,user_id,title,draft");
            assert_eq!(col(c, "SELECT title FROM posts"), "hello");
            assert_eq!(col(c, "SELECT count(*) FROM users"), "4");
        },
        after_rollback: |c| {
            assert!(!exists(c, "posts"));
            assert_eq!(
                col(c, "SELECT name FROM users ORDER BY id"),
                "ann,ben,cat,dan"
            );
        },
        idempotent: true,
    });
}

#[test]
fn drop_table() {
    run(&Scenario {
        id: "d1",
        setup: "CREATE TABLE legacy (id int PRIMARY KEY, note text); INSERT INTO legacy VALUES (1, 'a');",
        migration: r#"
[[operations]]
type = "drop_table"
table = "legacy"
"#,
        during: |old, new| {
            exec(old, "INSERT INTO legacy VALUES (2, 'b')");
            assert_eq!(col(new, "SELECT to_regclass('strata_v_d1.legacy') IS NULL"), "t");
        },
        after_complete: |c| assert!(!exists(c, "legacy")),
        after_rollback: |c| assert_eq!(col(c, "SELECT note FROM legacy ORDER BY id"), "a,b"),
        idempotent: true,
    });
}

#[test]
fn rename_table() {
    run(&Scenario {
        id: "r1",
        setup: "CREATE TABLE customers (id serial PRIMARY KEY, name text); INSERT INTO customers (name) VALUES ('first');",
        migration: r#"
[[operations]]
type = "rename_table"
table = "customers"
to = "clients"
"#,
        during: |old, new| {
            exec(old, "INSERT INTO customers (name) VALUES ('old')");
            exec(new, "INSERT INTO clients (name) VALUES ('new')");
            assert_eq!(col(old, "SELECT name FROM customers ORDER BY id"), "first,old,new");
            assert_eq!(col(new, "SELECT name FROM clients ORDER BY id"), "first,old,new");
            exec(new, "UPDATE clients SET name = 'OLD' WHERE name = 'old'");
            assert_eq!(col(old, "SELECT name FROM customers WHERE id = 2"), "OLD");
        },
        after_complete: |c| {
            assert!(!exists(c, "customers"));
            assert_eq!(col(c, "SELECT name FROM clients ORDER BY id"), "first,OLD,new");
        },
        after_rollback: |c| {
            assert!(!exists(c, "clients"));
            assert_eq!(col(c, "SELECT name FROM customers ORDER BY id"), "first,OLD,new");
        },
        idempotent: true,
    });
}

#[test]
fn add_column() {
    run(&Scenario {
        id: "a1",
        setup: USERS,
        migration: r#"
[[operations]]
type = "add_column"
table = "users"
up = "upper(name)"

[operations.column]
name = "shout"
type = "text"
nullable = false
check = { name = "users_shout_length", expression = "length(shout) < 10" }
"#,
        during: |old, new| {
            // Existing rows were backfilled from `up`.
            assert_eq!(
                col(new, "SELECT shout FROM users ORDER BY id"),
                "ANN,BEN,CAT"
            );
            // An old client's row gets the column from `up`.
            exec(old, "INSERT INTO users (name) VALUES ('dan')");
            assert_eq!(
                col(new, "SELECT shout FROM users WHERE name = 'dan'"),
                "DAN"
            );
            exec(old, "UPDATE users SET name = 'danny' WHERE name = 'dan'");
            assert_eq!(
                col(new, "SELECT shout FROM users WHERE name = 'danny'"),
                "DANNY"
            );
            // A new client writes it itself; old clients see the row.
            exec(
                new,
                "INSERT INTO users (name, shout) VALUES ('eve', 'hey eve')",
            );
            assert_eq!(
                col(old, "SELECT name FROM users ORDER BY id"),
                "ann,ben,cat,danny,eve"
            );
            // The new constraints hold for new clients.
            assert!(
                fails(new, "INSERT INTO users (name) VALUES ('x')").contains("_strata_nn_shout")
            );
            assert!(fails(
                new,
                "INSERT INTO users (name, shout) VALUES ('y', 'far too long')"
            )
            .contains("users_shout_length"));
            // Old clients do not see it (under its name).
            assert!(fails(old, "SELECT shout FROM users").contains("does not exist"));
        },
        after_complete: |c| {
            assert_eq!(column_type(c, "users", "shout"), "text not null");
            assert_eq!(
                col(c, "SELECT shout FROM users ORDER BY id"),
                "ANN,BEN,CAT,DANNY,hey eve"
            );
            assert_eq!(
                col(
                    c,
                    "SELECT convalidated FROM pg_constraint WHERE conname = 'users_shout_length'"
                ),
                "t"
            );
        },
        after_rollback: |c| {
            assert_eq!(columns(c, "users"), "id,name");
            assert_eq!(
                col(c, "SELECT name FROM users ORDER BY id"),
                "ann,ben,cat,danny,eve"
            );
        },
        idempotent: true,
    });
}

#[test]
fn add_column_with_default_unique_and_reference() {
    run(&Scenario {
        id: "a2",
        setup: "CREATE TABLE orgs (id int PRIMARY KEY); INSERT INTO orgs VALUES (1), (2);
                CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);
                INSERT INTO users VALUES (1, 'ann'), (2, 'ben');",
        migration: r#"
[[operations]]
type = "add_column"
table = "users"
column = { name = "org_id", type = "int", nullable = false, default = "1", references = { table = "orgs", column = "id" } }

[[operations]]
type = "add_column"
table = "users"
column = { name = "email", type = "text", unique = true }
up = "name || '@example.com'"
"#,
        during: |old, new| {
            assert_eq!(
                col(new, "SELECT org_id || ' ' || email FROM users ORDER BY id"),
                "1 ann@example.com,1 ben@example.com"
            );
            exec(old, "INSERT INTO users VALUES (3, 'cat')");
            exec(
                new,
                "INSERT INTO users (id, name, org_id, email) VALUES (4, 'dan', 2, 'd@x')",
            );
            assert_eq!(
                col(new, "SELECT org_id || ' ' || email FROM users WHERE id = 3"),
                "1 cat@example.com"
            );
            assert!(fails(
                new,
                "INSERT INTO users (id, name, email) VALUES (5, 'e', 'd@x')"
            )
            .contains("_strata_uq_users_email"));
            assert!(fails(
                new,
                "INSERT INTO users (id, name, org_id) VALUES (6, 'f', 9)"
            )
            .contains("users_org_id_fkey"));
        },
        after_complete: |c| {
            assert_eq!(columns(c, "users"), "id,name,org_id,email");
            assert_eq!(column_type(c, "users", "org_id"), "integer not null");
            assert_eq!(col(c, "SELECT conname FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype IN ('u', 'f') ORDER BY conname"), "users_email_key,users_org_id_fkey");
            assert_eq!(
                col(c, "SELECT email FROM users ORDER BY id"),
                "ann@example.com,ben@example.com,cat@example.com,d@x"
            );
        },
        after_rollback: |c| {
            assert_eq!(columns(c, "users"), "id,name");
            assert_eq!(
                col(c, "SELECT name FROM users ORDER BY id"),
                "ann,ben,cat,dan"
            );
        },
        idempotent: true,
    });
}

#[test]
fn drop_column() {
    run(&Scenario {
        id: "d2",
        setup:
            "CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL, nickname text NOT NULL);
                INSERT INTO users (name, nickname) VALUES ('Ann', 'annie');",
        migration: r#"
[[operations]]
type = "drop_column"
table = "users"
column = "nickname"
down = "lower(name)"
"#,
        during: |old, new| {
            assert!(fails(new, "SELECT nickname FROM users").contains("does not exist"));
            exec(new, "INSERT INTO users (name) VALUES ('Ben')");
            assert_eq!(
                col(old, "SELECT nickname FROM users ORDER BY id"),
                "annie,ben"
            );
            exec(
                old,
                "INSERT INTO users (name, nickname) VALUES ('Cat', 'kitty')",
            );
            assert_eq!(
                col(new, "SELECT name FROM users ORDER BY id"),
                "Ann,Ben,Cat"
            );
        },
        after_complete: |c| {
            assert_eq!(columns(c, "users"), "id,name");
            assert_eq!(col(c, "SELECT name FROM users ORDER BY id"), "Ann,Ben,Cat");
        },
        after_rollback: |c| {
            assert_eq!(columns(c, "users"), "id,name,nickname");
            assert_eq!(
                col(c, "SELECT nickname FROM users ORDER BY id"),
                "annie,ben,kitty"
            );
        },
        idempotent: true,
    });
}

#[test]
fn rename_column() {
    run(&Scenario {
        id: "r2",
        setup: USERS,
        migration: r#"
[[operations]]
type = "rename_column"
table = "users"
from = "name"
to = "full_name"
"#,
        during: |old, new| {
            exec(old, "INSERT INTO users (name) VALUES ('old')");
            exec(new, "INSERT INTO users (full_name) VALUES ('new')");
            assert_eq!(
                col(old, "SELECT name FROM users ORDER BY id"),
                "ann,ben,cat,old,new"
            );
            assert_eq!(
                col(new, "SELECT full_name FROM users ORDER BY id"),
                "ann,ben,cat,old,new"
            );
            exec(new, "UPDATE users SET full_name = 'ANN' WHERE id = 1");
            assert_eq!(col(old, "SELECT name FROM users WHERE id = 1"), "ANN");
        },
        after_complete: |c| {
            assert_eq!(columns(c, "users"), "id,full_name");
            assert_eq!(
                col(c, "SELECT full_name FROM users ORDER BY id"),
                "ANN,ben,cat,old,new"
            );
        },
        after_rollback: |c| {
            assert_eq!(columns(c, "users"), "id,name");
            assert_eq!(
                col(c, "SELECT name FROM users ORDER BY id"),
                "ANN,ben,cat,old,new"
            );
        },
        idempotent: true,
    });
}

#[test]
fn alter_column() {
    run(&Scenario {
        id: "a3",
        setup: "CREATE TABLE accounts (id serial PRIMARY KEY, amount text NOT NULL);
                INSERT INTO accounts (amount) VALUES ('10'), ('20'), ('30');",
        migration: r#"
[[operations]]
type = "alter_column"
table = "accounts"
column = "amount"
data_type = "integer"
default = "0"
check = { name = "amount_not_negative", expression = "amount >= 0" }
unique = { name = "accounts_amount_key" }
up = "amount::integer"
down = "amount::text"
"#,
        during: |old, new| {
            assert_eq!(
                col(new, "SELECT amount + 1 FROM accounts ORDER BY id"),
                "11,21,31"
            );
            exec(old, "INSERT INTO accounts (amount) VALUES ('40')");
            assert_eq!(col(new, "SELECT amount FROM accounts WHERE id = 4"), "40");
            exec(new, "INSERT INTO accounts (amount) VALUES (50)");
            assert_eq!(col(old, "SELECT amount FROM accounts WHERE id = 5"), "50");
            exec(new, "INSERT INTO accounts DEFAULT VALUES");
            assert_eq!(col(old, "SELECT amount FROM accounts WHERE id = 6"), "0");
            exec(old, "UPDATE accounts SET amount = '15' WHERE id = 1");
            assert_eq!(col(new, "SELECT amount FROM accounts WHERE id = 1"), "15");
            exec(new, "UPDATE accounts SET amount = 25 WHERE id = 2");
            assert_eq!(col(old, "SELECT amount FROM accounts WHERE id = 2"), "25");
            assert!(fails(new, "INSERT INTO accounts (amount) VALUES (-1)")
                .contains("amount_not_negative"));
            assert!(fails(old, "INSERT INTO accounts (amount) VALUES ('-1')")
                .contains("amount_not_negative"));
            assert!(fails(new, "INSERT INTO accounts (amount) VALUES (30)")
                .contains("_strata_uq_accounts_amount"));
        },
        after_complete: |c| {
            assert_eq!(columns(c, "accounts"), "id,amount");
            assert_eq!(column_type(c, "accounts", "amount"), "integer not null");
            assert_eq!(
                col(c, "SELECT amount FROM accounts ORDER BY id"),
                "15,25,30,40,50,0"
            );
            assert_eq!(col(c, "SELECT conname || ':' || convalidated FROM pg_constraint WHERE conrelid = 'accounts'::regclass AND contype IN ('c', 'u') ORDER BY 1"), "accounts_amount_key:true,amount_not_negative:true");
            assert_eq!(col(c, "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'accounts'::regclass AND adnum = (SELECT attnum FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attname = 'amount')"), "0");
        },
        after_rollback: |c| {
            assert_eq!(columns(c, "accounts"), "id,amount");
            assert_eq!(column_type(c, "accounts", "amount"), "text not null");
            assert_eq!(
                col(c, "SELECT amount FROM accounts ORDER BY id"),
                "15,25,30,40,50,0"
            );
        },
        idempotent: true,
    });
}

#[test]
fn create_index() {
    run(&Scenario {
        id: "i1",
        setup: "CREATE TABLE users (id serial PRIMARY KEY, email text); INSERT INTO users (email) VALUES ('a@x');",
        migration: r#"
[[operations]]
type = "create_index"
table = "users"
name = "users_email_idx"
columns = ["email"]
unique = true
where = "email IS NOT NULL"
"#,
        during: |old, new| {
            exec(old, "INSERT INTO users (email) VALUES ('b@x')");
            exec(new, "INSERT INTO users (email) VALUES ('c@x')");
            assert!(fails(new, "INSERT INTO users (email) VALUES ('b@x')").contains("users_email_idx"));
            assert!(fails(old, "INSERT INTO users (email) VALUES ('c@x')").contains("users_email_idx"));
        },
        after_complete: |c| {
            assert_eq!(col(c, "SELECT indisvalid AND indisunique FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass"), "t");
            assert_eq!(col(c, "SELECT count(*) FROM users"), "3");
        },
        after_rollback: |c| {
            assert!(!exists(c, "users_email_idx"));
            assert_eq!(col(c, "SELECT count(*) FROM users"), "3");
        },
        idempotent: true,
    });
}

#[test]
fn drop_index() {
    run(&Scenario {
        id: "i2",
        setup: "CREATE TABLE users (id serial PRIMARY KEY, email text); CREATE INDEX users_email_idx ON users (email);",
        migration: r#"
[[operations]]
type = "drop_index"
table = "users"
name = "users_email_idx"
"#,
        during: |old, new| {
            exec(old, "INSERT INTO users (email) VALUES ('a@x')");
            exec(new, "INSERT INTO users (email) VALUES ('b@x')");
        },
        after_complete: |c| {
            assert!(!exists(c, "users_email_idx"));
            assert_eq!(col(c, "SELECT count(*) FROM users"), "2");
        },
        after_rollback: |c| {
            assert!(exists(c, "users_email_idx"));
            assert_eq!(col(c, "SELECT count(*) FROM users"), "2");
        },
        idempotent: true,
    });
}

#[test]
fn raw_sql() {
    run(&Scenario {
        id: "s1",
        setup: USERS,
        migration: r#"
[[operations]]
type = "raw_sql"
up = "CREATE TABLE audit (id serial PRIMARY KEY, what text NOT NULL)"
down = "DROP TABLE audit"
"#,
        during: |old, new| {
            exec(new, "INSERT INTO audit (what) VALUES ('new')");
            exec(old, "INSERT INTO audit (what) VALUES ('old')");
            assert_eq!(col(new, "SELECT what FROM audit ORDER BY id"), "new,old");
        },
        after_complete: |c| assert_eq!(col(c, "SELECT count(*) FROM audit"), "2"),
        after_rollback: |c| assert!(!exists(c, "audit")),
        idempotent: false,
    });
}

/// The documented example (docs/online.md): a type change and a rename on one table, in one migration.
#[test]
fn spec_example_alter_and_rename() {
    run(&Scenario {
        id: "b2",
        setup: "CREATE TABLE accounts (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text, balance integer NOT NULL DEFAULT 0);
                INSERT INTO accounts (name, balance) SELECT 'n' || i, i FROM generate_series(1, 7) i;",
        migration: r#"
message = "accounts: bigint balance, name -> full_name"
revises = "b1"

[[operations]]
type = "alter_column"
table = "accounts"
column = "balance"
data_type = "bigint"
up = "balance::bigint"
down = "balance::integer"

[[operations]]
type = "rename_column"
table = "accounts"
from = "name"
to = "full_name"
"#,
        during: |old, new| {
            exec(old, "INSERT INTO accounts (name, balance) VALUES ('old', 8)");
            exec(new, "INSERT INTO accounts (full_name, balance) VALUES ('new', 9000000000 / 1000)");
            exec(new, "INSERT INTO accounts (full_name) VALUES ('defaulted')");
            assert_eq!(col(new, "SELECT full_name || '=' || balance FROM accounts WHERE id > 7 ORDER BY id"), "old=8,new=9000000,defaulted=0");
            assert_eq!(col(old, "SELECT name || '=' || balance FROM accounts WHERE id > 7 ORDER BY id"), "old=8,new=9000000,defaulted=0");
            assert_eq!(col(new, "SELECT pg_typeof(balance)::text FROM accounts LIMIT 1"), "bigint");
            assert_eq!(col(new, "SELECT sum(balance) FROM accounts"), "9000036");
        },
        after_complete: |c| {
            assert_eq!(columns(c, "accounts"), "id,full_name,balance");
            assert_eq!(column_type(c, "accounts", "balance"), "bigint not null");
            assert_eq!(col(c, "SELECT sum(balance) FROM accounts"), "9000036");
        },
        after_rollback: |c| {
            assert_eq!(columns(c, "accounts"), "id,name,balance");
            assert_eq!(column_type(c, "accounts", "balance"), "integer not null");
            assert_eq!(col(c, "SELECT count(*) || ':' || sum(balance) FROM accounts"), "10:9000036");
        },
        idempotent: true,
    });
}

/// Names that need quoting everywhere: a table, columns and a migration that would break any
/// unquoted SQL.
#[test]
fn hostile_names_round_trip() {
    run(&Scenario {
        id: "h1",
        setup: r#"CREATE TABLE "we""ird" ("Id" serial PRIMARY KEY, "a""; DROP TABLE x; --" text NOT NULL, "select" int);
                  CREATE TABLE x (); INSERT INTO "we""ird" ("a""; DROP TABLE x; --", "select") VALUES ('v', 1);"#,
        migration: r#"
[[operations]]
type = "alter_column"
table = 'we"ird'
column = 'a"; DROP TABLE x; --'
data_type = "varchar(10)"
up = "\"a\"\"; DROP TABLE x; --\" || '!'"

[[operations]]
type = "rename_column"
table = 'we"ird'
from = "select"
to = "from"
"#,
        during: |old, new| {
            assert_eq!(
                col(
                    new,
                    r#"SELECT "a""; DROP TABLE x; --" || "from" FROM "we""ird""#
                ),
                "v!1"
            );
            exec(
                old,
                r#"INSERT INTO "we""ird" ("a""; DROP TABLE x; --", "select") VALUES ('o', 2)"#,
            );
            exec(
                new,
                r#"INSERT INTO "we""ird" ("a""; DROP TABLE x; --", "from") VALUES ('n', 3)"#,
            );
            assert_eq!(
                col(
                    old,
                    r#"SELECT "a""; DROP TABLE x; --" FROM "we""ird" ORDER BY "Id""#
                ),
                "v,o,n"
            );
        },
        after_complete: |c| {
            assert!(exists(c, "x"));
            // The altered column is a new one: it comes last.
            assert_eq!(
                columns(c, r#""we""ird""#),
                r#"Id,from,a"; DROP TABLE x; --"#
            );
            assert_eq!(
                col(
                    c,
                    r#"SELECT "a""; DROP TABLE x; --" FROM "we""ird" ORDER BY "Id""#
                ),
                "v!,o!,n"
            );
        },
        after_rollback: |c| {
            assert!(exists(c, "x"));
            assert_eq!(
                columns(c, r#""we""ird""#),
                r#"Id,a"; DROP TABLE x; --,select"#
            );
        },
        idempotent: true,
    });
}

/// A backfill interrupted after a few batches (the batch limit, then a lock timeout that
/// exhausts its retries) resumes from its last committed batch and fills every row once.
#[test]
fn backfill_resumes_after_interruption() {
    let db = TempPg::new();
    let mut admin = db.client();
    exec(
        &mut admin,
        "CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
         INSERT INTO accounts SELECT i, i * 10 FROM generate_series(1, 25) i;
         CREATE TABLE touched (id int);
         CREATE FUNCTION log_update() RETURNS trigger LANGUAGE plpgsql AS
           $$BEGIN INSERT INTO touched VALUES (NEW.id); RETURN NEW; END$$;
         CREATE TRIGGER log_update AFTER UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION log_update();",
    );
    let m = migration(
        "f1",
        r#"
[[operations]]
type = "alter_column"
table = "accounts"
column = "balance"
data_type = "bigint"
up = "balance::bigint * 2"
down = "(balance / 2)::int"
"#,
    );
    let mut pg = connect(&db);
    let limited = RunOptions {
        batch_size: 4,
        batch_limit: Some(2),
        ..opts()
    };
    let mut batches = Vec::new();
    let out = start(&mut pg, &m, &limited, &mut |p| {
        if let Progress::Batch { rows, .. } = p {
            batches.push(*rows);
        }
    })
    .expect("start");
    assert_eq!((out.state, out.rows, out.batches), (State::Expanding, 8, 2));
    assert_eq!(batches, vec![4, 8]);
    assert_eq!(
        col(
            &mut admin,
            "SELECT count(_strata_new_balance) FROM accounts"
        ),
        "8"
    );
    // No version schema before the backfill is done: new clients cannot come yet.
    assert_eq!(
        col(
            &mut admin,
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'strata_v_f1'"
        ),
        "0"
    );
    let s = status(&mut pg, &limited).unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].state, State::Expanding);
    assert_eq!(s[0].search_path, r#""strata_v_f1","public""#);
    assert_eq!(s[0].backfills[0].2.cursor, Some(vec!["8".to_owned()]));
    assert_eq!(s[0].backfills[0].2.rows, 8);
    assert!(matches!(
        complete(&mut pg, "f1", &limited, &mut quiet),
        Err(OnlineError::State(_))
    ));

    // Another session holds row 14: the next batches time out, are retried, and give up.
    let mut blocker = db.client();
    exec(
        &mut blocker,
        "BEGIN; SELECT * FROM accounts WHERE id = 14 FOR UPDATE",
    );
    let impatient = RunOptions {
        batch_size: 4,
        lock_timeout: std::time::Duration::from_millis(100),
        lock_retries: 1,
        ..opts()
    };
    let mut retries = 0;
    let err = strata_online::backfill(&mut pg, "f1", &impatient, &mut |p| {
        if let Progress::Retry { .. } = p {
            retries += 1;
        }
    })
    .unwrap_err();
    match err {
        OnlineError::Step { source, .. } => assert!(source.is_lock_timeout(), "{source}"),
        other => panic!("expected a lock timeout, got {other}"),
    }
    assert_eq!(retries, 1);
    // Batch 9..12 committed before the blocked one.
    assert_eq!(
        col(
            &mut admin,
            "SELECT count(_strata_new_balance) FROM accounts"
        ),
        "12"
    );
    exec(&mut blocker, "COMMIT");

    // Resuming finishes the backfill and the expand phase.
    let out = strata_online::backfill(&mut pg, "f1", &impatient, &mut quiet).expect("resume");
    assert_eq!((out.state, out.rows), (State::Active, 13));
    assert_eq!(
        col(
            &mut admin,
            "SELECT count(*) FROM accounts WHERE _strata_new_balance = balance * 2"
        ),
        "25"
    );
    // Every row was updated exactly once.
    assert_eq!(
        col(
            &mut admin,
            "SELECT count(*) || ':' || count(DISTINCT id) FROM touched"
        ),
        "25:25"
    );
    complete(&mut pg, "f1", &opts(), &mut quiet).expect("complete");
    assert_eq!(col(&mut admin, "SELECT sum(balance) FROM accounts"), "6500");
    assert_clean(&mut admin);
}

#[test]
fn one_online_migration_at_a_time() {
    let db = TempPg::new();
    exec(&mut db.client(), USERS);
    let mut pg = connect(&db);
    let first = migration("m1", "[[operations]]\ntype = \"rename_column\"\ntable = \"users\"\nfrom = \"name\"\nto = \"n\"\n");
    let second = migration(
        "m2",
        "[[operations]]\ntype = \"drop_table\"\ntable = \"users\"\n",
    );
    start(&mut pg, &first, &opts(), &mut quiet).unwrap();
    assert!(
        matches!(start(&mut pg, &second, &opts(), &mut quiet), Err(OnlineError::InProgress(id)) if id == "m1")
    );
    // Starting the same migration again is a no-op.
    assert_eq!(
        start(&mut pg, &first, &opts(), &mut quiet).unwrap().state,
        State::Active
    );
    rollback(&mut pg, "m1", &opts(), &mut quiet).unwrap();
    assert!(matches!(
        complete(&mut pg, "m1", &opts(), &mut quiet),
        Err(OnlineError::State(_))
    ));
    start(&mut pg, &second, &opts(), &mut quiet).unwrap();
    complete(&mut pg, "m2", &opts(), &mut quiet).unwrap();
    let s = status(&mut pg, &opts()).unwrap();
    let states: Vec<_> = s.iter().map(|s| (s.migration.as_str(), s.state)).collect();
    assert_eq!(
        states,
        vec![("m1", State::RolledBack), ("m2", State::Completed)]
    );
}

/// Missing tables and columns, and SQL the server rejects, are reported at their line before
/// anything changes.
#[test]
fn invalid_migrations_change_nothing() {
    let db = TempPg::new();
    let mut admin = db.client();
    exec(&mut admin, USERS);
    let mut pg = connect(&db);
    let m = migration(
        "v1",
        r#"
[[operations]]
type = "rename_column"
table = "users"
from = "nmae"
to = "full_name"

[[operations]]
type = "add_column"
table = "user"
column = { name = "x", type = "int" }

[[operations]]
type = "alter_column"
table = "users"
column = "name"
data_type = "text"
up = "upper(nme)"
"#,
    );
    let Err(OnlineError::Invalid(d)) = start(&mut pg, &m, &opts(), &mut quiet) else {
        panic!("expected diagnostics")
    };
    let text: Vec<String> = d.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        vec![
            "migrations/v1_test.toml:5: column `nmae` does not exist in table public.users\n  hint: did you mean `name`?",
            "migrations/v1_test.toml:10: table public.user does not exist\n  hint: did you mean `users`?",
        ],
    );
    // Preflight: the expression is checked by the server once the names are right.
    let m = migration(
        "v2",
        "[[operations]]\ntype = \"alter_column\"\ntable = \"users\"\ncolumn = \"name\"\ndata_type = \"varchar(5)\"\n\nup = \"upper(nme)\"\n",
    );
    let Err(OnlineError::Invalid(d)) = start(&mut pg, &m, &opts(), &mut quiet) else {
        panic!("expected diagnostics")
    };
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].line, 7);
    assert!(
        d[0].message.contains(
            "`up` of operation 1 (alter_column) is not valid: column \"nme\" does not exist"
        ),
        "{}",
        d[0].message
    );
    // Nothing was written: no state table, no version schema, no helper column.
    assert!(!exists(&mut admin, "strata_online_state"));
    assert_clean(&mut admin);
    assert_eq!(columns(&mut admin, "users"), "id,name");
}

/// A contract step that cannot get its lock fails after its retries; the steps before it stay
/// done, and running complete again resumes at the failed step.
#[test]
fn complete_resumes_at_the_failed_step() {
    let db = TempPg::new();
    let mut admin = db.client();
    exec(
        &mut admin,
        "CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
         INSERT INTO accounts SELECT i, i FROM generate_series(1, 5) i;",
    );
    let m = migration(
        "k1",
        "[[operations]]\ntype = \"alter_column\"\ntable = \"accounts\"\ncolumn = \"balance\"\ndata_type = \"bigint\"\n",
    );
    let mut pg = connect(&db);
    start(&mut pg, &m, &opts(), &mut quiet).unwrap();
    // A reader keeps the table: validating (SHARE UPDATE EXCLUSIVE) works, the swap (ACCESS
    // EXCLUSIVE) cannot get its lock.
    let mut reader = db.client();
    exec(&mut reader, "BEGIN; SELECT count(*) FROM accounts");
    let impatient = RunOptions {
        lock_timeout: std::time::Duration::from_millis(50),
        lock_retries: 2,
        ..opts()
    };
    let mut steps = Vec::new();
    let err = complete(&mut pg, "k1", &impatient, &mut |p| {
        if let Progress::Step { number, .. } = p {
            steps.push(*number);
        }
    })
    .unwrap_err();
    assert!(
        matches!(&err, OnlineError::Step { number: 2, source, .. } if source.is_lock_timeout()),
        "{err}"
    );
    assert_eq!(steps, vec![1, 2]);
    let s = status(&mut pg, &opts()).unwrap();
    assert_eq!(
        (s[0].state, s[0].next_step, s[0].steps),
        (State::Contracting, 1, 3)
    );
    assert_eq!(
        col(
            &mut admin,
            "SELECT convalidated FROM pg_constraint WHERE conname = '_strata_nn_balance'"
        ),
        "t"
    );
    // Rolling back is refused once complete has begun.
    assert!(matches!(
        rollback(&mut pg, "k1", &opts(), &mut quiet),
        Err(OnlineError::State(_))
    ));
    exec(&mut reader, "COMMIT");
    let mut steps = Vec::new();
    let out = complete(&mut pg, "k1", &impatient, &mut |p| {
        if let Progress::Step { number, .. } = p {
            steps.push(*number);
        }
    })
    .unwrap();
    assert_eq!(out.state, State::Completed);
    assert_eq!(steps, vec![2, 3]);
    assert_eq!(
        column_type(&mut admin, "accounts", "balance"),
        "bigint not null"
    );
    assert_clean(&mut admin);
}

/// Rolling back a start that stopped before a raw_sql step skips that step's `down`.
#[test]
fn rollback_of_an_interrupted_start_skips_what_never_ran() {
    let db = TempPg::new();
    let mut admin = db.client();
    exec(
        &mut admin,
        "CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
         INSERT INTO accounts SELECT i, i FROM generate_series(1, 5) i;",
    );
    let m = migration(
        "u1",
        r#"
[[operations]]
type = "alter_column"
table = "accounts"
column = "balance"
data_type = "bigint"

[[operations]]
type = "raw_sql"
up = "CREATE TABLE audit (id int)"
down = "DROP TABLE audit"
"#,
    );
    let mut pg = connect(&db);
    let limited = RunOptions {
        batch_limit: Some(1),
        ..opts()
    };
    let out = start(&mut pg, &m, &limited, &mut quiet).unwrap();
    assert_eq!(out.state, State::Expanding);
    assert!(!exists(&mut admin, "audit"));
    let out = rollback(&mut pg, "u1", &opts(), &mut quiet).expect("rollback");
    assert_eq!(out.state, State::RolledBack);
    assert_eq!(columns(&mut admin, "accounts"), "id,balance");
    assert_clean(&mut admin);
}
