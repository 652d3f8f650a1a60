//! The semantic impact of schema changes, table-driven against the local PostgreSQL: for each
//! case, a database holding `before` is read, `change` runs, the database is read again, and the
//! plan between the two models is assessed (`strata_schema::impact`). What is classified is the
//! typed diff of two real catalogs, as `revision --autogenerate` and `version --compute` see it.

use strata_core::Impact::{self, Major, Minor, Patch};
use strata_postgres::{introspect, ConnectOptions, IntrospectOptions, Postgres};
use strata_schema::impact::assess;
use strata_schema::{diff, DiffOptions, Schema};
use strata_testkit::TempPg;

fn model(db: &TempPg) -> Schema {
    let mut pg = Postgres::connect(&db.url, &ConnectOptions::default())
        .unwrap_or_else(|e| panic!("connect: {e:?}"));
    introspect(&mut pg, &IntrospectOptions::default())
        .unwrap_or_else(|e| panic!("introspect: {e:?}"))
}

const USERS: &str = "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(40), name text, \
                     age integer, score numeric(10,2), created_at timestamptz DEFAULT now());";

/// (name, before, change, rename hints, expected impact).
type Case = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    Impact,
);

const CASES: &[Case] = &[
    ("create table", "", USERS, &[], Minor),
    ("drop table", USERS, "DROP TABLE users;", &[], Major),
    ("rename table", USERS, "ALTER TABLE users RENAME TO people;", &[("users", "people")], Major),
    ("add nullable column", USERS, "ALTER TABLE users ADD COLUMN nick text;", &[], Minor),
    ("add NOT NULL column with a default", USERS, "ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;", &[], Minor),
    ("add NOT NULL column without a default", USERS, "ALTER TABLE users ADD COLUMN tenant bigint NOT NULL;", &[], Major),
    ("add identity column", USERS, "ALTER TABLE users ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;", &[], Minor),
    ("drop column", USERS, "ALTER TABLE users DROP COLUMN name;", &[], Major),
    ("rename column", USERS, "ALTER TABLE users RENAME COLUMN name TO full_name;", &[("users.name", "full_name")], Major),
    ("widen integer to bigint", USERS, "ALTER TABLE users ALTER COLUMN age TYPE bigint;", &[], Minor),
    ("narrow bigint to integer", USERS, "ALTER TABLE users ALTER COLUMN id TYPE integer;", &[], Major),
    ("widen varchar(40) to varchar(80)", USERS, "ALTER TABLE users ALTER COLUMN email TYPE varchar(80);", &[], Minor),
    ("widen varchar(40) to text", USERS, "ALTER TABLE users ALTER COLUMN email TYPE text;", &[], Minor),
    ("narrow varchar(40) to varchar(20)", USERS, "ALTER TABLE users ALTER COLUMN email TYPE varchar(20);", &[], Major),
    ("change text to integer", USERS, "ALTER TABLE users ALTER COLUMN name TYPE integer USING NULL;", &[], Major),
    ("widen numeric(10,2) to numeric(14,2)", USERS, "ALTER TABLE users ALTER COLUMN score TYPE numeric(14,2);", &[], Minor),
    ("narrow numeric scale", USERS, "ALTER TABLE users ALTER COLUMN score TYPE numeric(10,0);", &[], Major),
    ("set NOT NULL without a default", USERS, "ALTER TABLE users ALTER COLUMN name SET NOT NULL;", &[], Major),
    ("set NOT NULL on a column with a default", USERS, "ALTER TABLE users ALTER COLUMN created_at SET NOT NULL;", &[], Minor),
    ("drop NOT NULL", "CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL);", "ALTER TABLE t ALTER COLUMN v DROP NOT NULL;", &[], Minor),
    ("set a default", USERS, "ALTER TABLE users ALTER COLUMN name SET DEFAULT 'anon';", &[], Patch),
    ("drop the default of a nullable column", USERS, "ALTER TABLE users ALTER COLUMN created_at DROP DEFAULT;", &[], Patch),
    ("drop the default of a NOT NULL column", "CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL DEFAULT 'x');", "ALTER TABLE t ALTER COLUMN v DROP DEFAULT;", &[], Major),
    ("create index", USERS, "CREATE INDEX users_email ON users (email);", &[], Minor),
    ("create unique index", USERS, "CREATE UNIQUE INDEX users_email ON users (email);", &[], Major),
    ("drop index", "CREATE TABLE t (id int PRIMARY KEY, v text); CREATE INDEX t_v ON t (v);", "DROP INDEX t_v;", &[], Patch),
    ("rebuild index with another method", "CREATE TABLE t (id int PRIMARY KEY, v text); CREATE INDEX t_v ON t (v);", "DROP INDEX t_v; CREATE INDEX t_v ON t USING hash (v);", &[], Patch),
    ("add check constraint", USERS, "ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0);", &[], Major),
    ("add unique constraint", USERS, "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);", &[], Major),
    ("add foreign key", "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY, a_id int);", "ALTER TABLE b ADD CONSTRAINT b_a FOREIGN KEY (a_id) REFERENCES a (id);", &[], Major),
    ("drop check constraint", "CREATE TABLE t (id int PRIMARY KEY, v int CONSTRAINT v_pos CHECK (v > 0));", "ALTER TABLE t DROP CONSTRAINT v_pos;", &[], Minor),
    ("drop primary key", "CREATE TABLE t (id int CONSTRAINT t_pkey PRIMARY KEY, v int);", "ALTER TABLE t DROP CONSTRAINT t_pkey;", &[], Major),
    ("new table with its keys and indexes", "CREATE TABLE a (id int PRIMARY KEY);", "CREATE TABLE b (id int PRIMARY KEY, a_id int NOT NULL REFERENCES a (id), code text UNIQUE CHECK (code <> '')); CREATE INDEX b_a ON b (a_id);", &[], Minor),
    ("create view", USERS, "CREATE VIEW adults AS SELECT id, name FROM users WHERE age >= 18;", &[], Minor),
    ("drop view", "CREATE TABLE t (id int PRIMARY KEY); CREATE VIEW v AS SELECT id FROM t;", "DROP VIEW v;", &[], Major),
    ("re-define view", "CREATE TABLE t (id int PRIMARY KEY, x int); CREATE VIEW v AS SELECT id FROM t;", "CREATE OR REPLACE VIEW v AS SELECT id FROM t WHERE x > 0;", &[], Minor),
    ("create materialized view", USERS, "CREATE MATERIALIZED VIEW counts AS SELECT count(*) AS n FROM users;", &[], Minor),
    ("drop materialized view", "CREATE TABLE t (id int PRIMARY KEY); CREATE MATERIALIZED VIEW m AS SELECT id FROM t;", "DROP MATERIALIZED VIEW m;", &[], Major),
    ("create function", "", "CREATE FUNCTION add1(i int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT i + 1';", &[], Minor),
    ("drop function", "CREATE FUNCTION add1(i int) RETURNS int LANGUAGE sql AS 'SELECT i + 1';", "DROP FUNCTION add1(int);", &[], Major),
    ("replace a function body", "CREATE FUNCTION add1(i int) RETURNS int LANGUAGE sql AS 'SELECT i + 1';", "CREATE OR REPLACE FUNCTION add1(i int) RETURNS int LANGUAGE sql AS 'SELECT 1 + i';", &[], Patch),
    ("comment on table", USERS, "COMMENT ON TABLE users IS 'people who sign in';", &[], Patch),
    ("comment on column", USERS, "COMMENT ON COLUMN users.email IS 'lower case';", &[], Patch),
    ("create enum", "", "CREATE TYPE mood AS ENUM ('sad', 'happy');", &[], Minor),
    ("add enum value", "CREATE TYPE mood AS ENUM ('sad', 'happy');", "ALTER TYPE mood ADD VALUE 'ok';", &[], Minor),
    ("drop enum", "CREATE TYPE mood AS ENUM ('sad', 'happy');", "DROP TYPE mood;", &[], Major),
    ("create sequence", "", "CREATE SEQUENCE invoice_no;", &[], Minor),
    ("alter sequence", "CREATE SEQUENCE invoice_no;", "ALTER SEQUENCE invoice_no INCREMENT BY 10;", &[], Patch),
    ("create schema", "", "CREATE SCHEMA billing;", &[], Minor),
    ("create trigger", "CREATE TABLE t (id int PRIMARY KEY); CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';", "CREATE TRIGGER t_f BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();", &[], Minor),
    ("enable row-level security", USERS, "ALTER TABLE users ENABLE ROW LEVEL SECURITY;", &[], Major),
    ("storage options", USERS, "ALTER TABLE users SET (fillfactor = 80);", &[], Patch),
    ("data only", USERS, "INSERT INTO users (id, email) VALUES (1, 'a@example.com');", &[], Patch),
    ("create domain", "", "CREATE DOMAIN posint AS integer CHECK (VALUE > 0);", &[], Minor),
];

#[test]
fn schema_changes_have_the_expected_impact() {
    assert!(CASES.len() >= 30);
    let mut wrong = Vec::new();
    // One database, emptied between cases (creating one per case costs seconds under load).
    let db = TempPg::new();
    let mut client = db.client();
    for (name, before, change, renames, expected) in CASES {
        client
            .batch_execute(
                "DROP SCHEMA public CASCADE; DROP SCHEMA IF EXISTS billing; CREATE SCHEMA public;",
            )
            .unwrap_or_else(|e| panic!("{name}: reset: {e}"));
        if !before.is_empty() {
            client
                .batch_execute(before)
                .unwrap_or_else(|e| panic!("{name}: before: {e}"));
        }
        let from = model(&db);
        client
            .batch_execute(change)
            .unwrap_or_else(|e| panic!("{name}: change: {e}"));
        let to = model(&db);
        let opts = DiffOptions {
            allow_destructive: true,
            renames: renames
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect(),
        };
        let plan = diff(&from, &to, &opts);
        let got = assess(&plan, &from, &to);
        if got.impact != *expected {
            wrong.push(format!(
                "{name}: expected {expected}, got {} ({:?})",
                got.impact,
                got.reasons
                    .iter()
                    .map(|r| format!("{} {}: {}", r.impact, r.object, r.why))
                    .collect::<Vec<_>>()
            ));
        }
        // Every change of the plan has a reason, so `check` and `version --compute` can say why.
        assert_eq!(
            got.reasons.len(),
            plan.changes.len()
                - plan
                    .changes
                    .iter()
                    .filter(|c| matches!(
                        c.kind,
                        strata_schema::ChangeKind::DropIndex
                            | strata_schema::ChangeKind::DropView
                            | strata_schema::ChangeKind::DropMaterializedView
                    ) && plan.changes.iter().filter(|o| o.object == c.object).count()
                        > 1)
                    .count(),
            "{name}"
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
