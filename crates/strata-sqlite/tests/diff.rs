//! The SQLite diff against real SQLite: for each pair of schemas (A, B), a database holding A is
//! migrated by the plan's up statements, run in one transaction as strata runs a migration, and
//! then holds B exactly (its model equals B's and the diff of the two is empty); the plan's down
//! statements, in one more transaction, bring back A. Rows survive both ways. Each model also
//! survives `to_sql` (an empty database loaded with it reads back the same model), and the
//! rendered script does what the plan's statements do.

use std::time::Duration;
use strata_core::Dialect;
use strata_engine::state::{create_tables_sql, StateTables};
use strata_engine::Database;
use strata_schema::sqlite::{diff, render, to_sql};
use strata_schema::{differences, ChangeKind, DiffOptions, Plan, Schema};
use strata_sqlite::{introspect, Sqlite};
use strata_testkit::TempSqlite;

fn exclude() -> Vec<String> {
    vec!["strata_version".into(), "strata_history".into()]
}

fn open(sql: &str) -> Sqlite {
    let mut db = Sqlite::open("sqlite::memory:", Duration::from_secs(5)).unwrap();
    db.execute(sql)
        .unwrap_or_else(|e| panic!("could not load the SQL: {e:?}\n{sql}"));
    db
}

fn model(db: &Sqlite) -> Schema {
    introspect(db, &exclude()).unwrap_or_else(|e| panic!("introspect: {e:?}"))
}

/// Runs `statements` in one transaction, as strata runs a migration.
fn run(db: &mut Sqlite, what: &str, statements: &[String]) {
    let script = format!("BEGIN;\n{}\nCOMMIT;", statements.join("\n"));
    if let Err(e) = db.execute(&script) {
        let _ = db.execute("ROLLBACK");
        panic!("{what} failed: {e:?}\n{script}");
    }
}

/// The first column of the first row, as text (empty for NULL).
fn query(db: &Sqlite, sql: &str) -> String {
    use rusqlite::types::Value;
    let value = db
        .connection()
        .query_row(sql, [], |r| r.get::<_, Value>(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    match value {
        Value::Null => String::new(),
        Value::Integer(n) => n.to_string(),
        Value::Real(x) => x.to_string(),
        Value::Text(t) => t,
        Value::Blob(b) => format!("{b:?}"),
    }
}

fn healthy(db: &Sqlite, what: &str) {
    assert_eq!(query(db, "PRAGMA integrity_check"), "ok", "{what}");
    let violations: i64 = db
        .connection()
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(violations, 0, "{what}: foreign key violations");
    let leftovers: i64 = db
        .connection()
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name LIKE '\\_strata\\_new\\_%' ESCAPE '\\'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(leftovers, 0, "{what}: a rebuild copy was left behind");
}

fn assert_same(got: &Schema, want: &Schema, what: &str) {
    let d = differences(got, want);
    assert!(
        d.is_empty(),
        "{what}: the models differ:\n{}\n--- got:\n{}\n--- want:\n{}",
        d.join("\n"),
        to_sql(got),
        to_sql(want)
    );
    assert_eq!(got, want, "{what}");
    let again = diff(got, want, &DiffOptions::default());
    assert!(
        again.is_empty(),
        "{what}: the diff is not empty: {again:#?}"
    );
}

/// A snapshot of the rows of every table (a table per line: `name: row|row|…`).
fn rows(db: &Sqlite) -> String {
    let m = model(db);
    let mut out = String::new();
    for t in &m.tables {
        let cols: Vec<String> = t
            .columns
            .iter()
            .map(|c| format!("quote({})", strata_core::quote_ident(&c.name)))
            .collect();
        let sql = format!(
            "SELECT group_concat(r, '|') FROM (SELECT {} AS r FROM {} ORDER BY 1)",
            cols.join(" || ',' || "),
            strata_core::quote_ident(&t.name.name)
        );
        out.push_str(&format!("{}: {}\n", t.name.name, query(db, &sql)));
    }
    out
}

struct Pair<'a> {
    name: &'a str,
    a: &'a str,
    b: &'a str,
    renames: &'a [(&'a str, &'a str)],
    /// Run before the down (in its own transaction): what the rows lost by a destructive change
    /// need for the down to satisfy the old constraints.
    before_down: &'a str,
}

impl<'a> Pair<'a> {
    fn new(name: &'a str, a: &'a str, b: &'a str) -> Pair<'a> {
        Pair {
            name,
            a,
            b,
            renames: &[],
            before_down: "",
        }
    }

    fn before_down(self, before_down: &'a str) -> Pair<'a> {
        Pair {
            before_down,
            ..self
        }
    }

    fn renames(self, renames: &'a [(&'a str, &'a str)]) -> Pair<'a> {
        Pair { renames, ..self }
    }

    /// Migrates A to B and back; `after_up` checks the migrated database. Returns the plan.
    fn check(&self, after_up: impl Fn(&Sqlite)) -> Plan {
        let name = self.name;
        let mut db = open(self.a);
        let (ma, mb) = (model(&db), model(&open(self.b)));
        for (m, side) in [(&ma, "A"), (&mb, "B")] {
            assert_same(
                &model(&open(&to_sql(m))),
                m,
                &format!("{name}: to_sql of {side}"),
            );
        }
        let opts = DiffOptions {
            allow_destructive: true,
            renames: self
                .renames
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect(),
        };
        let plan = diff(&ma, &mb, &opts);
        assert!(!plan.is_empty(), "{name}: no changes");
        let before = rows(&db);

        run(&mut db, &format!("{name}: up"), &plan.up());
        healthy(&db, &format!("{name}: up"));
        assert_same(&model(&db), &mb, &format!("{name}: up"));
        after_up(&db);

        // The rendered script does the same, in the transaction it opens itself.
        let mut other = open(self.a);
        let script = render(&plan, true);
        assert!(
            script.contains("\nBEGIN;\n") && script.contains("\nCOMMIT;\n"),
            "{script}"
        );
        if let Err(e) = other.execute(&script) {
            panic!("{name}: rendered failed: {e:?}\n{script}");
        }
        assert_same(&model(&other), &mb, &format!("{name}: rendered"));

        if !self.before_down.is_empty() {
            db.execute(self.before_down).unwrap();
        }
        run(&mut db, &format!("{name}: down"), &plan.down());
        healthy(&db, &format!("{name}: down"));
        assert_same(&model(&db), &ma, &format!("{name}: down"));
        if !plan.changes.iter().any(|c| c.destructive) {
            assert_eq!(rows(&db), before, "{name}: rows after up and down");
        }
        plan
    }
}

fn kinds(plan: &Plan) -> Vec<ChangeKind> {
    plan.changes.iter().map(|c| c.kind).collect()
}

fn hazard_ids(plan: &Plan) -> Vec<&'static str> {
    plan.changes
        .iter()
        .flat_map(|c| c.hazards.iter().map(|h| h.id.as_str()))
        .collect()
}

#[test]
fn tables_created_and_dropped() {
    let plan = Pair::new(
        "tables",
        "CREATE TABLE keep (id INTEGER PRIMARY KEY, v TEXT);
         CREATE TABLE gone (id INTEGER PRIMARY KEY, note TEXT);
         INSERT INTO keep VALUES (1, 'a');
         INSERT INTO gone VALUES (1, 'x');",
        "CREATE TABLE keep (id INTEGER PRIMARY KEY, v TEXT);
         CREATE TABLE fresh (id INTEGER PRIMARY KEY, created TEXT DEFAULT CURRENT_TIMESTAMP, n REAL);",
    )
    .check(|db| assert_eq!(query(db, "SELECT v FROM keep"), "a"));
    assert_eq!(
        kinds(&plan),
        [ChangeKind::CreateTable, ChangeKind::DropTable]
    );
    assert!(plan.changes[1].destructive);
    assert_eq!(hazard_ids(&plan), ["data-loss"]);
    // Without --allow-destructive the drop is written as a comment.
    let script = render(&plan, false);
    assert!(script.contains("-- DROP TABLE \"gone\";"), "{script}");
    assert!(script.contains("\nCREATE TABLE \"fresh\" ("), "{script}");
}

#[test]
fn columns_added_with_alter_table() {
    let plan = Pair::new(
        "add columns",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
         INSERT INTO t VALUES (1, 'a'), (2, 'b');",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT,
             email TEXT COLLATE NOCASE, n INT NOT NULL DEFAULT 0, flag BOOLEAN DEFAULT FALSE,
             data BLOB DEFAULT x'00ff', neg REAL DEFAULT -1.5, twice AS (id * 2));",
    )
    .check(|db| {
        assert_eq!(query(db, "SELECT group_concat(twice) FROM t"), "2,4");
        assert_eq!(
            query(db, "SELECT quote(data) FROM t WHERE id = 1"),
            "X'00FF'"
        );
    });
    assert!(plan.changes.iter().all(|c| c.kind == ChangeKind::AddColumn));
    assert_eq!(plan.changes.len(), 6);
    assert!(plan.changes[0].up[0]
        .starts_with("ALTER TABLE \"t\" ADD COLUMN \"email\" TEXT COLLATE \"NOCASE\""));
}

/// Adding a column to one table changes that table only: the trigger on another table that names
/// it, and text spelled differently (`int` / `INT`, `n>0` / `n > 0`, quotes), are left alone.
#[test]
fn an_added_column_and_other_spellings_change_nothing_else() {
    let a = "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, n int CHECK (n>0));
         CREATE TABLE profiles (user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
             display_name TEXT NOT NULL, bio TEXT);
         CREATE INDEX users_email ON users (email);
         CREATE VIEW named AS SELECT id, email FROM users;
         CREATE TRIGGER users_default_profile AFTER INSERT ON users
         BEGIN
             INSERT INTO profiles (user_id, display_name) VALUES (NEW.id, NEW.email);
         END;
         INSERT INTO users VALUES (1, 'a@example.com', 1);";
    let b = "CREATE TABLE users (id INTEGER PRIMARY KEY, \"email\" TEXT NOT NULL, n INT CHECK ( n > 0 ));
         CREATE TABLE profiles (user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
             display_name TEXT NOT NULL, bio TEXT, avatar TEXT);
         CREATE INDEX users_email ON users (\"email\");
         CREATE VIEW named AS SELECT id, email FROM users;
         CREATE TRIGGER users_default_profile AFTER INSERT ON users BEGIN INSERT INTO profiles (user_id, display_name) VALUES (NEW.id, NEW.email); END;";
    let mut db = open(a);
    let (ma, mb) = (model(&db), model(&open(b)));
    let plan = diff(&ma, &mb, &DiffOptions::default());
    assert_eq!(kinds(&plan), [ChangeKind::AddColumn], "{plan:#?}");
    run(&mut db, "up", &plan.up());
    healthy(&db, "up");
    // The database now holds B up to spelling: nothing left to do.
    let rest = diff(&model(&db), &mb, &DiffOptions::default());
    assert!(rest.is_empty(), "{rest:#?}");
    run(&mut db, "down", &plan.down());
    assert!(diff(&model(&db), &ma, &DiffOptions::default()).is_empty());
    assert_eq!(query(&db, "SELECT email FROM users"), "a@example.com");
}

#[test]
fn trailing_column_dropped_and_another_added() {
    let plan = Pair::new(
        "drop column",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, old_col INT);
         INSERT INTO t VALUES (1, 'a', 5);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, new_col TEXT DEFAULT 'n');",
    )
    .check(|db| assert_eq!(query(db, "SELECT a || new_col FROM t"), "an"));
    assert_eq!(
        kinds(&plan),
        [ChangeKind::DropColumn, ChangeKind::AddColumn]
    );
    assert!(plan.changes[0].destructive && !plan.changes[1].destructive);
    assert_eq!(hazard_ids(&plan), ["data-loss"]);
}

#[test]
fn every_column_attribute_rebuilds_and_keeps_rows() {
    let plan = Pair::new(
        "column attributes",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, qty TEXT, price REAL DEFAULT 1.0,
             code TEXT, g AS (id + 1) STORED);
         INSERT INTO t (id, name, qty, price, code) VALUES (1, 'a', '5', 2.5, 'AB'), (2, 'b', '7', NULL, 'cd');",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '', qty INTEGER,
             price REAL DEFAULT (round(2.5)), code TEXT COLLATE NOCASE, g AS (id + 2) VIRTUAL);",
    )
    .check(|db| {
        assert_eq!(query(db, "SELECT group_concat(typeof(qty)) FROM t"), "integer,integer");
        assert_eq!(query(db, "SELECT group_concat(g) FROM t"), "3,4");
        assert_eq!(query(db, "SELECT count(*) FROM t WHERE code = 'ab'"), "1");
    });
    assert_eq!(kinds(&plan), [ChangeKind::RebuildTable]);
    assert_eq!(hazard_ids(&plan), ["table-rewrite"]);
}

#[test]
fn primary_keys_composite_without_rowid_and_autoincrement() {
    let plan = Pair::new(
        "primary keys",
        "CREATE TABLE pairs (a TEXT, b INTEGER, v TEXT);
         CREATE TABLE counters (id INTEGER PRIMARY KEY, v TEXT);
         CREATE TABLE wr (k TEXT PRIMARY KEY, v INT) WITHOUT ROWID;
         INSERT INTO pairs VALUES ('x', 1, 'a'), ('x', 2, 'b');
         INSERT INTO counters VALUES (1, 'a'), (5, 'b');
         INSERT INTO wr VALUES ('k', 1);",
        "CREATE TABLE pairs (a TEXT NOT NULL, b INTEGER NOT NULL, v TEXT, PRIMARY KEY (a, b DESC));
         CREATE TABLE counters (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);
         CREATE TABLE wr (k TEXT, v INT NOT NULL DEFAULT 0, CONSTRAINT wr_key PRIMARY KEY (k, v)) WITHOUT ROWID;",
    )
    .check(|db| {
        assert_eq!(query(db, "SELECT seq FROM sqlite_sequence WHERE name = 'counters'"), "5");
        assert_eq!(
            query(db, "SELECT \"desc\" FROM pragma_index_xinfo('sqlite_autoindex_pairs_1') WHERE name = 'b'"),
            "1"
        );
    });
    assert_eq!(plan.changes.len(), 3);
    assert!(plan
        .changes
        .iter()
        .all(|c| c.kind == ChangeKind::RebuildTable));
}

#[test]
fn autoincrement_counter_survives_a_rebuild() {
    Pair::new(
        "autoincrement",
        "CREATE TABLE log (id INTEGER PRIMARY KEY AUTOINCREMENT, msg TEXT);
         INSERT INTO log (msg) VALUES ('a'), ('b'), ('c');
         DELETE FROM log WHERE id = 3;",
        "CREATE TABLE log (id INTEGER PRIMARY KEY AUTOINCREMENT, msg TEXT NOT NULL,
             level INT DEFAULT 0 CHECK (level >= 0));",
    )
    .check(|db| {
        assert_eq!(
            query(db, "SELECT seq FROM sqlite_sequence WHERE name = 'log'"),
            "3"
        );
        db.connection()
            .execute("INSERT INTO log (msg) VALUES ('d')", [])
            .unwrap();
        assert_eq!(query(db, "SELECT max(id) FROM log"), "4");
        db.connection()
            .execute("DELETE FROM log WHERE id = 4", [])
            .unwrap();
    });
}

#[test]
fn unique_constraints() {
    let plan = Pair::new(
        "unique",
        "CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT UNIQUE, a INT, b INT,
             CONSTRAINT ab UNIQUE (a, b));
         INSERT INTO u VALUES (1, 'A@x', 1, 1), (2, 'b@x', 1, 2);",
        "CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT, a INT, b INT, handle TEXT,
             UNIQUE (email COLLATE NOCASE) ON CONFLICT REPLACE, CONSTRAINT handle_key UNIQUE (handle));",
    )
    .check(|db| {
        // ON CONFLICT REPLACE, case-insensitively.
        db.connection()
            .execute("INSERT INTO u (id, email) VALUES (3, 'a@X')", [])
            .unwrap();
        assert_eq!(query(db, "SELECT group_concat(id) FROM u"), "2,3");
        db.connection().execute("DELETE FROM u WHERE id = 3", []).unwrap();
        db.connection()
            .execute("INSERT INTO u VALUES (1, 'A@x', 1, 1, NULL)", [])
            .unwrap();
    });
    assert_eq!(kinds(&plan), [ChangeKind::RebuildTable]);
}

#[test]
fn foreign_keys_with_actions() {
    Pair::new(
        "foreign keys",
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT UNIQUE DEFAULT 'none');
         CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER, code TEXT);
         INSERT INTO parent VALUES (1, 'one'), (2, 'two'), (3, 'none');
         INSERT INTO child VALUES (10, 1, 'one'), (11, 2, 'two');",
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT UNIQUE DEFAULT 'none');
         CREATE TABLE child (id INTEGER PRIMARY KEY,
             parent_id INTEGER REFERENCES parent ON DELETE CASCADE ON UPDATE SET NULL,
             code TEXT DEFAULT 'none',
             CONSTRAINT by_code FOREIGN KEY (code) REFERENCES Parent (code)
                 ON DELETE SET DEFAULT DEFERRABLE INITIALLY DEFERRED);",
    )
    .check(|db| {
        let actions = query(
            db,
            "SELECT group_concat(\"table\" || ':' || on_update || ':' || on_delete, ' ') \
             FROM (SELECT * FROM pragma_foreign_key_list('child') ORDER BY \"from\")",
        );
        assert_eq!(
            actions,
            "parent:NO ACTION:SET DEFAULT parent:SET NULL:CASCADE"
        );
    });
}

#[test]
fn a_rebuilt_parent_keeps_the_rows_of_referencing_tables() {
    let plan = Pair::new(
        "rebuilt parent",
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT,
             boss INTEGER REFERENCES parent (id) ON DELETE CASCADE);
         CREATE TABLE cascade_child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id) ON DELETE CASCADE);
         CREATE TABLE null_child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id) ON DELETE SET NULL);
         CREATE TABLE restrict_child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id) ON DELETE RESTRICT);
         CREATE TABLE plain_child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent);
         CREATE TABLE grandchild (id INTEGER PRIMARY KEY, cid INTEGER REFERENCES cascade_child (id) ON DELETE CASCADE);
         CREATE TABLE unrelated (id INTEGER PRIMARY KEY);
         INSERT INTO parent VALUES (1, 'a', NULL), (2, 'b', 1);
         INSERT INTO cascade_child VALUES (10, 1), (11, 2);
         INSERT INTO null_child VALUES (20, 1);
         INSERT INTO restrict_child VALUES (30, 2);
         INSERT INTO plain_child VALUES (40, 1);
         INSERT INTO grandchild VALUES (50, 10);",
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL COLLATE NOCASE,
             boss INTEGER REFERENCES parent (id) ON DELETE CASCADE);
         CREATE TABLE cascade_child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id) ON DELETE CASCADE);
         CREATE TABLE null_child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id) ON DELETE SET NULL);
         CREATE TABLE restrict_child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id) ON DELETE RESTRICT);
         CREATE TABLE plain_child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent);
         CREATE TABLE grandchild (id INTEGER PRIMARY KEY, cid INTEGER REFERENCES cascade_child (id) ON DELETE CASCADE);
         CREATE TABLE unrelated (id INTEGER PRIMARY KEY);
         CREATE TABLE later (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id));",
    )
    .check(|db| {
        let snapshot = rows(db);
        for expected in [
            "cascade_child: 10,1|11,2",
            "grandchild: 50,10",
            "null_child: 20,1",
            "restrict_child: 30,2",
            "plain_child: 40,1",
            "parent: 1,'a',NULL|2,'b',1",
        ] {
            assert!(snapshot.contains(expected), "{expected}\n{snapshot}");
        }
        // The actions still work, on the new tables.
        db.connection().execute("DELETE FROM grandchild", []).unwrap();
        db.connection().execute("DELETE FROM cascade_child WHERE id = 11", []).unwrap();
        db.connection().execute("INSERT INTO cascade_child VALUES (11, 2)", []).unwrap();
        db.connection().execute("INSERT INTO grandchild VALUES (50, 10)", []).unwrap();
    });
    assert_eq!(
        kinds(&plan),
        [ChangeKind::RebuildTable, ChangeKind::CreateTable]
    );
    let up = plan.changes[0].up.join("\n");
    assert!(!up.contains("\"unrelated\""), "{up}");
    assert!(
        up.contains("REFERENCES \"_strata_new_cascade_child\""),
        "{up}"
    );
}

#[test]
fn check_constraints() {
    Pair::new(
        "checks",
        "CREATE TABLE c (id INTEGER PRIMARY KEY, n INT CHECK (n > 0), m INT,
             CONSTRAINT m_small CHECK (m < 100), CHECK (n <> m));
         INSERT INTO c VALUES (1, 5, 6);",
        "CREATE TABLE c (id INTEGER PRIMARY KEY, n INT CHECK (n >= 0), m INT,
             CONSTRAINT m_small CHECK (m < 1000), CHECK (n <> m), CHECK (n + m < 2000));",
    )
    .check(|db| {
        assert!(db
            .connection()
            .execute("INSERT INTO c VALUES (2, 1500, 999)", [])
            .is_err());
        db.connection()
            .execute("INSERT INTO c VALUES (2, 0, 999)", [])
            .unwrap();
        db.connection()
            .execute("DELETE FROM c WHERE id = 2", [])
            .unwrap();
    });
}

#[test]
fn indexes_unique_partial_expression_desc_collate() {
    let plan = Pair::new(
        "indexes",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, email TEXT, score INT, deleted INT);
         CREATE INDEX t_name ON t (name);
         CREATE INDEX t_gone ON t (score);
         CREATE UNIQUE INDEX t_email ON t (email);
         INSERT INTO t VALUES (1, 'a', 'a@x', 1, 0), (2, 'b', 'A@X', 2, 1);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, email TEXT, score INT, deleted INT);
         CREATE INDEX t_name ON t (name COLLATE NOCASE DESC);
         CREATE UNIQUE INDEX t_email ON t (email);
         CREATE UNIQUE INDEX t_live_email ON t (lower(email)) WHERE deleted = 0;
         CREATE INDEX t_multi ON t (score DESC, id);",
    )
    .check(|db| {
        assert!(db
            .connection()
            .execute("INSERT INTO t VALUES (3, 'c', 'a@X', 3, 0)", [])
            .is_err());
    });
    let mut k = kinds(&plan);
    k.sort_by_key(|k| format!("{k:?}"));
    assert_eq!(
        k,
        [
            ChangeKind::CreateIndex,
            ChangeKind::CreateIndex,
            ChangeKind::CreateIndex,
            ChangeKind::DropIndex,
            ChangeKind::DropIndex
        ]
    );
}

#[test]
fn views_around_a_rebuilt_table() {
    let plan = Pair::new(
        "views",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, amount INT);
         CREATE VIEW big AS SELECT id, name FROM t WHERE amount > 10;
         CREATE VIEW big_names AS SELECT name FROM big;
         CREATE VIEW gone_view AS SELECT 1 AS one;
         CREATE VIEW other AS SELECT 2 AS two;
         INSERT INTO t VALUES (1, 'a', 20), (2, 'b', 5);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount INT);
         CREATE VIEW big AS SELECT id, name FROM t WHERE amount > 10;
         CREATE VIEW big_names AS SELECT name FROM big;
         CREATE VIEW \"new view\" (a, b) AS SELECT id, amount FROM t;
         CREATE VIEW other AS SELECT 2 AS two;",
    )
    .check(|db| assert_eq!(query(db, "SELECT group_concat(name) FROM big_names"), "a"));
    let k = kinds(&plan);
    assert_eq!(
        k,
        [
            ChangeKind::DropView,
            ChangeKind::DropView,
            ChangeKind::DropView,
            ChangeKind::RebuildTable,
            ChangeKind::CreateView,
            ChangeKind::CreateView,
            ChangeKind::CreateView
        ]
    );
    // Dependents first, and back in dependency order.
    let at = |sql: &str| plan.up().iter().position(|s| s == sql).unwrap();
    assert!(at("DROP VIEW \"big_names\";") < at("DROP VIEW \"big\";"));
    assert!(
        at("CREATE VIEW big AS SELECT id, name FROM t WHERE amount > 10;")
            < at("CREATE VIEW big_names AS SELECT name FROM big;")
    );
}

#[test]
fn triggers() {
    Pair::new(
        "triggers",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, updated TEXT);
         CREATE TABLE audit (id INTEGER PRIMARY KEY, t_id INTEGER, what TEXT);
         CREATE TRIGGER t_stamp AFTER UPDATE OF v ON t BEGIN UPDATE t SET updated = 'then' WHERE id = new.id; END;
         CREATE TRIGGER audit_insert AFTER INSERT ON audit BEGIN SELECT count(*) FROM t; END;
         CREATE TRIGGER gone_trigger BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'no'); END;
         CREATE VIEW tv AS SELECT id, v FROM t;
         CREATE TRIGGER tv_insert INSTEAD OF INSERT ON tv BEGIN INSERT INTO t (id, v) VALUES (new.id, new.v); END;
         INSERT INTO t (id, v) VALUES (1, 'a');",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL DEFAULT '', updated TEXT);
         CREATE TABLE audit (id INTEGER PRIMARY KEY, t_id INTEGER, what TEXT);
         CREATE TRIGGER t_stamp AFTER UPDATE OF v ON t BEGIN UPDATE t SET updated = 'now' WHERE id = new.id; END -- stamped
         ;
         CREATE TRIGGER audit_insert AFTER INSERT ON audit BEGIN SELECT count(*) FROM t; END;
         CREATE TRIGGER \"t log\" AFTER INSERT ON t BEGIN INSERT INTO audit (t_id, what) VALUES (new.id, 'insert'); END;
         CREATE VIEW tv AS SELECT id, v FROM t;
         CREATE TRIGGER tv_insert INSTEAD OF INSERT ON tv BEGIN INSERT INTO t (id, v) VALUES (new.id, new.v); END;",
    )
    .check(|db| {
        db.connection().execute("INSERT INTO tv VALUES (2, 'b')", []).unwrap();
        db.connection().execute("UPDATE t SET v = 'c' WHERE id = 2", []).unwrap();
        assert_eq!(query(db, "SELECT updated FROM t WHERE id = 2"), "now");
        assert_eq!(query(db, "SELECT what FROM audit"), "insert");
        db.connection().execute("DELETE FROM audit", []).unwrap();
        db.connection().execute("DELETE FROM t WHERE id = 2", []).unwrap();
    });
}

#[test]
fn without_rowid_and_strict_tables() {
    Pair::new(
        "without rowid, strict",
        "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER);
         CREATE TABLE s (id INTEGER PRIMARY KEY, x TEXT) STRICT;
         INSERT INTO kv VALUES ('a', 1), ('b', 2);
         INSERT INTO s VALUES (1, 'x');",
        "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER, extra ANY) WITHOUT ROWID, STRICT;
         CREATE TABLE s (id INTEGER PRIMARY KEY, x TEXT);",
    )
    .check(|db| {
        assert!(db
            .connection()
            .execute("INSERT INTO kv VALUES ('c', 'not a number', 1)", [])
            .is_err());
        assert_eq!(query(db, "SELECT group_concat(k || v) FROM kv"), "a1,b2");
    });
}

#[test]
fn hostile_names() {
    let plan = Pair::new(
        "hostile names",
        r#"CREATE TABLE "we""ird ""name" ("order" INTEGER PRIMARY KEY, "select" TEXT,
               "Mixed Case" TEXT, "naïve_ü" TEXT, [space col] INT);
           CREATE INDEX "idx ""q""" ON "we""ird ""name" ("select", "naïve_ü");
           CREATE VIEW "v ü" AS SELECT "order", "select" FROM "we""ird ""name";
           CREATE TRIGGER "trg""x" AFTER INSERT ON "we""ird ""name" BEGIN SELECT 1; END;
           CREATE TABLE "Child Table" (id INTEGER PRIMARY KEY,
               "ref" INTEGER REFERENCES "we""ird ""name" ("order") ON DELETE CASCADE);
           CREATE TABLE "order" ("select" INT, "from" TEXT);
           INSERT INTO "we""ird ""name" VALUES (1, 'it''s', 'M', 'ü', 3), (2, 'b', NULL, NULL, NULL);
           INSERT INTO "Child Table" VALUES (1, 1), (2, 2);
           INSERT INTO "order" VALUES (1, 'x');"#,
        r#"CREATE TABLE "we""ird ""name" ("order" INTEGER PRIMARY KEY,
               "select" TEXT NOT NULL DEFAULT 'it''s' COLLATE NOCASE,
               "mixed case" TEXT, "naïve_ü" TEXT, [space col] INT CHECK ("space col" > 0));
           CREATE INDEX "idx ""q""" ON "we""ird ""name" ("select", "naïve_ü" DESC);
           CREATE VIEW "v ü" AS SELECT "order", "select" FROM "we""ird ""name";
           CREATE TRIGGER "trg""x" AFTER INSERT ON "we""ird ""name" BEGIN SELECT 1; END;
           CREATE TABLE "Child Table" (id INTEGER PRIMARY KEY,
               "ref" INTEGER REFERENCES "we""ird ""name" ("order") ON DELETE CASCADE);
           CREATE TABLE "order" ("select" INT, "from" TEXT UNIQUE, "naïve_ü" TEXT);"#,
    )
    .check(|db| {
        assert_eq!(
            query(db, r#"SELECT group_concat("mixed case") FROM "we""ird ""name""#),
            "M"
        );
        assert_eq!(query(db, r#"SELECT count(*) FROM "Child Table""#), "2");
    });
    assert!(plan
        .up()
        .iter()
        .any(|s| s.contains(r#"CREATE TABLE "_strata_new_we""ird ""name" ("#)));
}

#[test]
fn rows_survive_type_not_null_and_constraint_changes() {
    Pair::new(
        "data",
        "CREATE TABLE d (a TEXT, b, c REAL);
         INSERT INTO d (rowid, a, b, c) VALUES (10, 'x', x'0102', 1.5), (20, 'y', NULL, 2), (30, 'z', 'txt', NULL);",
        "CREATE TABLE d (a TEXT NOT NULL, b BLOB, c REAL CHECK (c IS NULL OR c > 0), UNIQUE (a));",
    )
    .check(|db| {
        assert_eq!(
            query(
                db,
                "SELECT group_concat(rowid || ':' || quote(a) || ':' || quote(b) || ':' || quote(c), '|') FROM (SELECT rowid, * FROM d ORDER BY rowid)"
            ),
            "10:'x':X'0102':1.5|20:'y':NULL:2.0|30:'z':'txt':NULL"
        );
    });
}

#[test]
fn a_column_renamed_by_a_hint() {
    let plan = Pair::new(
        "rename column",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, email TEXT);
         CREATE INDEX users_name ON users (name);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, author TEXT REFERENCES users (name));
         CREATE VIEW names AS SELECT name FROM users;
         INSERT INTO users VALUES (1, 'ann', NULL);
         INSERT INTO posts VALUES (1, 'ann');",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL UNIQUE, email TEXT);
         CREATE INDEX users_name ON users (full_name);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, author TEXT REFERENCES users (full_name));
         CREATE VIEW names AS SELECT full_name FROM users;",
    )
    .renames(&[("users.name", "full_name")])
    .check(|db| assert_eq!(query(db, "SELECT full_name FROM names"), "ann"));
    assert_eq!(
        kinds(&plan),
        [
            ChangeKind::DropView,
            ChangeKind::RenameColumn,
            ChangeKind::CreateView
        ]
    );
    assert!(hazard_ids(&plan).is_empty());
}

#[test]
fn a_table_renamed_by_a_hint() {
    let plan = Pair::new(
        "rename table",
        "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id) ON DELETE CASCADE);
         CREATE INDEX users_by_name ON users (name);
         CREATE TRIGGER users_t AFTER DELETE ON users BEGIN SELECT 1; END;
         INSERT INTO users (name) VALUES ('a'), ('b');
         INSERT INTO posts VALUES (1, 2);",
        "CREATE TABLE people (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES people (id) ON DELETE CASCADE);
         CREATE INDEX users_by_name ON people (name);
         CREATE TRIGGER users_t AFTER DELETE ON people BEGIN SELECT 1; END;",
    )
    .renames(&[("main.users", "people")])
    .check(|db| {
        assert_eq!(query(db, "SELECT seq FROM sqlite_sequence WHERE name = 'people'"), "2");
        assert_eq!(query(db, "SELECT name FROM people JOIN posts ON user_id = people.id"), "b");
    });
    assert_eq!(
        kinds(&plan),
        [
            ChangeKind::DropTrigger,
            ChangeKind::RenameTable,
            ChangeKind::CreateTrigger
        ]
    );
}

#[test]
fn a_table_renamed_in_case_only_is_rebuilt() {
    let plan = Pair::new(
        "case",
        "CREATE TABLE Users (id INTEGER PRIMARY KEY, n TEXT);
         CREATE INDEX users_n ON Users (n);
         INSERT INTO Users VALUES (1, 'a');",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, n TEXT);
         CREATE INDEX users_n ON users (n);",
    )
    .check(|db| assert_eq!(query(db, "SELECT n FROM users"), "a"));
    assert_eq!(
        kinds(&plan),
        [
            ChangeKind::DropIndex,
            ChangeKind::RebuildTable,
            ChangeKind::CreateIndex
        ]
    );
}

#[test]
fn tables_referencing_each_other_are_rebuilt_together() {
    let plan = Pair::new(
        "cycle",
        "CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER REFERENCES b (id) DEFERRABLE INITIALLY DEFERRED);
         CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id) ON DELETE SET NULL);
         INSERT INTO a VALUES (1, NULL);
         INSERT INTO b VALUES (1, 1);
         UPDATE a SET b_id = 1;",
        "CREATE TABLE a (id INTEGER PRIMARY KEY CHECK (id > 0), b_id INTEGER REFERENCES b (id) DEFERRABLE INITIALLY DEFERRED);
         CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id) ON DELETE SET NULL);",
    )
    .check(|db| assert_eq!(query(db, "SELECT a_id || ',' || (SELECT b_id FROM a) FROM b"), "1,1"));
    assert_eq!(kinds(&plan), [ChangeKind::RebuildTable]);
}

#[test]
fn introspection_leaves_out_state_and_internal_tables() {
    let tmp = TempSqlite::new();
    let mut db = Sqlite::open(&tmp.url, Duration::from_secs(5)).unwrap();
    db.execute(&create_tables_sql(Dialect::Sqlite, &StateTables::default()))
        .unwrap();
    db.execute(
        "CREATE INDEX strata_history_rev ON strata_history (revision);
         CREATE TRIGGER strata_version_t AFTER INSERT ON strata_version BEGIN SELECT 1; END;
         CREATE TABLE app_state (x INT);
         CREATE TABLE log (id INTEGER PRIMARY KEY AUTOINCREMENT, msg TEXT);
         CREATE INDEX log_msg ON log (msg);
         INSERT INTO log (msg) VALUES ('a'), ('b');
         ANALYZE;",
    )
    .unwrap();
    let internal: i64 = db
        .connection()
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name IN ('sqlite_sequence', 'sqlite_stat1')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(internal, 2);
    let m = model(&db);
    let tables: Vec<&str> = m.tables.iter().map(|t| t.name.name.as_str()).collect();
    assert_eq!(tables, ["app_state", "log"]);
    let indexes: Vec<&str> = m.indexes.iter().map(|i| i.name.name.as_str()).collect();
    assert_eq!(indexes, ["log_msg"]);
    assert!(m.triggers.is_empty() && m.constraints.len() == 1);
    assert!(m.tables.iter().all(|t| t.name.schema.is_none()));
    // Other names, any case, qualified or not.
    let m = introspect(
        &db,
        &[
            "MAIN.APP_STATE".into(),
            "strata_version".into(),
            "strata_history".into(),
        ],
    )
    .unwrap();
    let tables: Vec<&str> = m.tables.iter().map(|t| t.name.name.as_str()).collect();
    assert_eq!(tables, ["log"]);
    // Inside a transaction too.
    db.execute("BEGIN").unwrap();
    assert_eq!(model(&db).tables.len(), 2);
    db.execute("ROLLBACK").unwrap();
}

#[test]
fn introspection_is_deterministic_and_serializes() {
    let sql = "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INT REFERENCES a);
               CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT CHECK (x <> ''), CHECK (id > 0), CHECK (id < 1e9));
               CREATE VIEW v2 AS SELECT * FROM v1;
               CREATE VIEW v1 AS SELECT * FROM a;";
    let (m1, m2) = (model(&open(sql)), model(&open(sql)));
    assert_eq!(m1, m2);
    assert_eq!(m1.to_json(), m2.to_json());
    assert_eq!(Schema::from_json(&m1.to_json()).unwrap(), m1);
    let names: Vec<&str> = m1.constraints.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "a_check",
            "a_check1",
            "a_check2",
            "a_pkey",
            "b_a_id_fkey",
            "b_pkey"
        ]
    );
    let v2 = m1.views.iter().find(|v| v.name.name == "v2").unwrap();
    assert_eq!(v2.depends_on.len(), 1);
    // to_sql creates v1 before v2, and the referenced table first.
    let sql = to_sql(&m1);
    assert!(
        sql.find("CREATE VIEW v1").unwrap() < sql.find("CREATE VIEW v2").unwrap(),
        "{sql}"
    );
    assert!(sql.find("CREATE TABLE \"a\"").unwrap() < sql.find("CREATE TABLE \"b\"").unwrap());
}

#[test]
fn a_dropped_parent_goes_after_its_children_lost_their_foreign_key() {
    let plan = Pair::new(
        "dropped parent",
        "CREATE TABLE categories (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE products (id INTEGER PRIMARY KEY,
             category_id INTEGER REFERENCES categories (id) ON DELETE CASCADE, name TEXT);
         CREATE TABLE tags (id INTEGER PRIMARY KEY, category_id INTEGER REFERENCES categories (id));
         INSERT INTO categories VALUES (1, 'c');
         INSERT INTO products VALUES (1, 1, 'p'), (2, 1, 'q');
         INSERT INTO tags VALUES (1, 1);",
        "CREATE TABLE products (id INTEGER PRIMARY KEY, category_id INTEGER, name TEXT);
         CREATE TABLE tags (id INTEGER PRIMARY KEY, category_id INTEGER);",
    )
    // The categories' rows are gone: the down restores the foreign keys, not the rows.
    .before_down("UPDATE products SET category_id = NULL; UPDATE tags SET category_id = NULL;")
    .check(|db| {
        assert_eq!(query(db, "SELECT group_concat(name) FROM products"), "p,q");
        assert_eq!(query(db, "SELECT count(*) FROM tags"), "1");
    });
    assert_eq!(
        kinds(&plan),
        [
            ChangeKind::RebuildTable,
            ChangeKind::RebuildTable,
            ChangeKind::DropTable
        ]
    );
}

#[test]
fn an_integer_primary_key_desc_stays_what_it_is() {
    // `id INTEGER PRIMARY KEY DESC` is not the rowid; `PRIMARY KEY (id DESC)` is.
    let plan = Pair::new(
        "primary key desc",
        "CREATE TABLE t (id INTEGER PRIMARY KEY DESC, v TEXT);
         CREATE TABLE u (id INTEGER, v TEXT, PRIMARY KEY (id DESC));
         INSERT INTO t (rowid, id, v) VALUES (7, 1, 'a');
         INSERT INTO u VALUES (8, 'b');",
        "CREATE TABLE t (id INTEGER PRIMARY KEY DESC, v TEXT NOT NULL);
         CREATE TABLE u (id INTEGER, v TEXT NOT NULL, PRIMARY KEY (id DESC));",
    )
    .check(|db| {
        assert_eq!(query(db, "SELECT rowid || ',' || id FROM t"), "7,1");
        assert_eq!(query(db, "SELECT rowid || ',' || id FROM u"), "8,8");
    });
    assert!(plan.changes[0].up[1].contains("\"id\" INTEGER PRIMARY KEY DESC,"));
}

#[test]
fn a_renamed_table_can_also_be_rebuilt() {
    Pair::new(
        "rename and rebuild",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, UNIQUE (name));
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users ON DELETE CASCADE);
         CREATE VIEW user_posts AS SELECT users.name, posts.id FROM users JOIN posts ON posts.user_id = users.id;
         INSERT INTO users VALUES (1, 'a'), (2, 'b');
         INSERT INTO posts VALUES (1, 2), (2, 2);",
        "CREATE TABLE people (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL, UNIQUE (full_name));
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES people ON DELETE CASCADE);
         CREATE VIEW user_posts AS SELECT people.full_name, posts.id FROM people JOIN posts ON posts.user_id = people.id;",
    )
    .renames(&[("users", "people"), ("people.name", "full_name")])
    .check(|db| assert_eq!(query(db, "SELECT group_concat(full_name) FROM user_posts"), "b,b"));
}

#[test]
fn comments_inside_definitions() {
    Pair::new(
        "comments",
        "CREATE TABLE c ( -- the table
             id INTEGER PRIMARY KEY, /* key */
             n INT CHECK (n > 0 -- positive
             ),
             g AS (n * 2 -- twice
             ) STORED
         );
         CREATE INDEX c_n ON c (n) WHERE n > 1 -- partial
         ;
         INSERT INTO c (id, n) VALUES (1, 2);",
        "CREATE TABLE c (
             id INTEGER PRIMARY KEY,
             n INT CHECK (n > 0 -- positive
             ) DEFAULT 1, -- one
             g AS (n * 3 -- thrice
             ) STORED
         );
         CREATE INDEX c_n ON c (n) WHERE n > 2 -- partial
         ;",
    )
    .check(|db| assert_eq!(query(db, "SELECT g FROM c"), "6"));
}
