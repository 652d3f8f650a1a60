//! The diff against the local PostgreSQL: for each pair of schemas (A, B), the rendered plan
//! turns a database holding A into one holding B (the diff of the result against B is empty),
//! and the plan's down turns it back into A.

use strata_postgres::{introspect, ConnectOptions, IntrospectOptions, Postgres};
use strata_schema::diff::PREAMBLE;
use strata_schema::*;
use strata_testkit::TempPg;

fn model(db: &TempPg) -> Schema {
    let mut pg = Postgres::connect(&db.url, &ConnectOptions::default())
        .unwrap_or_else(|e| panic!("connect: {e:?}"));
    introspect(&mut pg, &IntrospectOptions::default())
        .unwrap_or_else(|e| panic!("introspect: {e:?}"))
}

fn load(db: &TempPg, sql: &str) {
    db.client()
        .batch_execute(sql)
        .unwrap_or_else(|e| panic!("could not load the SQL: {e}\n{sql}"));
}

/// Runs each statement on its own (so `CONCURRENTLY` ones run outside a transaction block).
fn apply(db: &TempPg, statements: &[String]) {
    let mut client = db.client();
    for s in PREAMBLE {
        client.batch_execute(s).unwrap();
    }
    for s in statements {
        client.batch_execute(s).unwrap_or_else(|e| {
            panic!(
                "statement failed: {e}\n{s}\nall:\n{}",
                statements.join("\n")
            )
        });
    }
}

/// Runs `script` with `psql` (autocommit, stop at the first error), as a user would. Without
/// `psql` the test fails: it comes with PostgreSQL, which `scripts/test.sh` installs.
fn run_psql(db: &TempPg, script: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let child = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            &db.url,
            "-f",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = child.unwrap_or_else(|e| {
        panic!("cannot run psql ({e}): install PostgreSQL's client (scripts/test.sh does: apt-get install -y postgresql)")
    });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "psql failed: {}\n{script}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A → B → A. `down_restores` is false for plans whose down cannot restore A exactly.
fn round_trip(a: &str, b: &str, opts: &DiffOptions, down_restores: bool) -> Plan {
    let db1 = TempPg::new();
    let db2 = TempPg::new();
    load(&db1, a);
    load(&db2, b);
    let model_a = model(&db1);
    let model_b = model(&db2);
    let plan = diff(&model_a, &model_b, opts);
    assert!(!plan.is_empty(), "A and B differ");
    // The rendered script is what psql would run; the test applies the same statements.
    let script = render_plan(&plan, true);
    eprintln!("{script}");
    apply(&db1, &plan.up());
    let after = model(&db1);
    assert_eq!(
        differences(&after, &model_b),
        Vec::<String>::new(),
        "up does not reach B; the script was:\n{script}"
    );
    let rest = diff(&after, &model_b, &DiffOptions::default());
    assert!(rest.is_empty(), "diff after up is not empty: {rest:#?}");
    // The rendered script itself, through psql, on another copy of A.
    let db3 = TempPg::new();
    load(&db3, a);
    run_psql(&db3, &script);
    assert_eq!(
        differences(&model(&db3), &model_b),
        Vec::<String>::new(),
        "the rendered script does not reach B:\n{script}"
    );
    if down_restores {
        apply(&db1, &plan.down());
        let back = model(&db1);
        assert_eq!(
            differences(&back, &model_a),
            Vec::<String>::new(),
            "down does not restore A; the down was:\n{}",
            plan.down().join("\n")
        );
    }
    plan
}

fn kinds(plan: &Plan) -> Vec<ChangeKind> {
    plan.changes.iter().map(|c| c.kind).collect()
}

fn has_hazard(plan: &Plan, id: &str) -> bool {
    plan.changes
        .iter()
        .any(|c| c.hazards.iter().any(|h| h.id == id))
}

const APP: &str = r#"CREATE SCHEMA "a""b";"#;

#[test]
fn create_table_with_hostile_names() {
    let b = format!(
        r#"{APP}
        CREATE TABLE "a""b"."Mixed Case" (
            id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            "order" text NOT NULL DEFAULT 'it''s',
            "a""b" numeric(10,2)
        );
        CREATE INDEX "idx ""x""" ON "a""b"."Mixed Case" ("order");
        COMMENT ON TABLE "a""b"."Mixed Case" IS 'it''s a table';
        COMMENT ON COLUMN "a""b"."Mixed Case"."order" IS 'col';"#
    );
    let plan = round_trip(APP, &b, &DiffOptions::default(), true);
    assert!(kinds(&plan).contains(&ChangeKind::CreateTable));
    // An index on a new table needs no CONCURRENTLY.
    assert!(plan.changes.iter().all(|c| !c.non_transactional));
}

#[test]
fn create_schema_and_drop_table() {
    let a = format!(
        r#"{APP} CREATE TABLE "a""b"."order" (id int, "x y" text); ALTER TABLE "a""b"."order" ENABLE ROW LEVEL SECURITY;"#
    );
    let b = r#"CREATE SCHEMA "Mixed Case"; COMMENT ON SCHEMA "Mixed Case" IS 'new';"#;
    let plan = round_trip(&a, b, &DiffOptions::default(), true);
    assert!(has_hazard(&plan, "data-loss"));
    assert!(kinds(&plan).contains(&ChangeKind::DropSchema));
    assert!(kinds(&plan).contains(&ChangeKind::CreateSchema));
}

#[test]
fn add_and_drop_columns() {
    let a = r#"CREATE TABLE t (id int, "old col" text);"#;
    let b = r#"CREATE TABLE t (id int, "order" int NOT NULL DEFAULT 0, "a""b" text NOT NULL, ident bigint GENERATED BY DEFAULT AS IDENTITY);"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    assert!(has_hazard(&plan, "data-loss"));
    assert!(has_hazard(&plan, "not-null-backfill"));
    assert!(
        has_hazard(&plan, "possible-rename"),
        "old col and a\"b are both text"
    );
}

#[test]
fn column_types() {
    let a = "CREATE TABLE t (v varchar(10), n numeric(10,2), i integer, s text, d integer DEFAULT 7, e varchar(5) DEFAULT 'x');";
    let b = "CREATE TABLE t (v varchar(20), n numeric(12,2), i bigint, s varchar, d bigint DEFAULT 7, e text DEFAULT 'y');";
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    let rewrites: Vec<&str> = plan
        .changes
        .iter()
        .filter(|c| c.hazards.iter().any(|h| h.id == "table-rewrite"))
        .filter_map(|c| c.column.as_deref())
        .collect();
    // text -> varchar (unbounded) is binary-compatible, as varchar widening and numeric(10,2) ->
    // numeric(12,2) are.
    assert_eq!(rewrites, ["i", "d"]);
    // And only what rewrites says USING.
    let using: Vec<&str> = plan
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::AlterColumnType && c.up[0].contains(" USING "))
        .filter_map(|c| c.column.as_deref())
        .collect();
    assert!(using.is_empty(), "{using:?}");
}

#[test]
fn nullability_and_defaults() {
    let a = r#"CREATE TABLE "Mixed Case" ("order" int, b int NOT NULL DEFAULT 1, c text DEFAULT 'x', d int);"#;
    let b = r#"CREATE TABLE "Mixed Case" ("order" int NOT NULL, b int, c text DEFAULT 'it''s', d int DEFAULT 42);"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    let set = plan
        .changes
        .iter()
        .find(|c| c.kind == ChangeKind::SetNotNull)
        .unwrap();
    assert_eq!(set.up.len(), 4);
    assert!(set.up[0].contains("NOT VALID"), "{:?}", set.up);
}

#[test]
fn indexes_on_existing_tables_are_concurrent() {
    let a =
        r#"CREATE TABLE "order" (id int, "a""b" text, c int); CREATE INDEX old_i ON "order" (c);"#;
    let b = r#"CREATE TABLE "order" (id int, "a""b" text, c int);
        CREATE UNIQUE INDEX "Mixed Case" ON "order" (id);
        CREATE INDEX "lower ""ab""" ON "order" (lower("a""b")) WHERE c > 0;"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    let creates: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::CreateIndex)
        .collect();
    assert_eq!(creates.len(), 2);
    assert!(creates
        .iter()
        .all(|c| c.non_transactional && c.up[0].contains("CONCURRENTLY")));
}

#[test]
fn constraints_on_existing_tables_are_not_valid_then_validated() {
    let a = r#"CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE "a""b" (id int, p int, n int);"#;
    let b = r#"CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE "a""b" (id int, p int, n int,
        CONSTRAINT "fk ""p""" FOREIGN KEY (p) REFERENCES p (id) ON DELETE CASCADE,
        CONSTRAINT "order" CHECK (n > 0),
        CONSTRAINT u UNIQUE (id));"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    let k = kinds(&plan);
    assert_eq!(
        k.iter()
            .filter(|k| **k == ChangeKind::ValidateConstraint)
            .count(),
        2
    );
    let up = plan.up().join("\n");
    assert!(up.contains("NOT VALID"), "{up}");
    // Foreign keys come after the other constraints.
    assert!(
        up.find("UNIQUE").unwrap() < up.find("FOREIGN KEY").unwrap(),
        "{up}"
    );
}

#[test]
fn enums_created_and_extended() {
    let a = r#"CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE TABLE t (m mood);"#;
    let b = r#"CREATE TYPE mood AS ENUM ('very sad', 'sad', 'it''s ok', 'happy');
        CREATE TYPE "Mixed Case" AS ENUM ('a"b');
        CREATE TABLE t (m mood, x "Mixed Case");"#;
    // PostgreSQL cannot remove a label: the down rebuilds the type without the new ones.
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    let k = kinds(&plan);
    let added: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::AddEnumValue)
        .collect();
    assert_eq!(added.len(), 1, "one change for the type");
    assert_eq!(added[0].up.len(), 2);
    assert!(added[0].own_transaction && added[0].destructive_downgrade.is_some());
    assert!(k.contains(&ChangeKind::CreateEnum));
}

#[test]
fn enum_labels_added_under_views_and_defaults_are_taken_out_by_the_down() {
    let a = r#"CREATE TYPE "Mood" AS ENUM ('sad', 'ok');
        COMMENT ON TYPE "Mood" IS 'how it''s going';
        CREATE TABLE t (id int PRIMARY KEY, m "Mood" DEFAULT 'ok', ms "Mood"[]);
        CREATE VIEW v AS SELECT id, m FROM t;
        CREATE VIEW vv AS SELECT m FROM v WHERE m <> 'sad';
        CREATE MATERIALIZED VIEW mv AS SELECT m, count(*) AS n FROM t GROUP BY m;
        CREATE UNIQUE INDEX mv_m ON mv (m);
        CREATE INDEX t_m ON t (m);"#;
    let b = a.replace("('sad', 'ok')", "('sad', 'ok', 'happy')");
    let plan = round_trip(a, &b, &DiffOptions::default(), true);
    let add = plan
        .changes
        .iter()
        .find(|c| c.kind == ChangeKind::AddEnumValue)
        .unwrap();
    assert!(add.irreversible.is_none(), "{add:#?}");
    // With a row using the new label, the down fails instead of losing it.
    let db = TempPg::new();
    load(&db, &b);
    db.client()
        .batch_execute("INSERT INTO t VALUES (1, 'happy', '{}')")
        .unwrap();
    let mut client = db.client();
    let mut tx = client.transaction().unwrap();
    let failed = add.down.iter().find_map(|s| tx.batch_execute(s).err());
    let failed = failed.expect("the down refuses while a row uses 'happy'");
    assert!(
        failed.to_string().contains("happy") || format!("{failed:?}").contains("happy"),
        "{failed:?}"
    );
    drop(tx);
    // A function over the type: no down can be written, and the change says why.
    let with_function = |sql: &str| {
        format!("{sql} CREATE FUNCTION f(x \"Mood\") RETURNS int LANGUAGE sql AS 'SELECT 1';")
    };
    let (_db, plan) = plan_between(&with_function(a), &with_function(&b));
    let add = plan
        .changes
        .iter()
        .find(|c| c.kind == ChangeKind::AddEnumValue)
        .unwrap();
    assert!(add.down.is_empty());
    assert!(
        add.irreversible.as_deref().unwrap().contains("function"),
        "{add:#?}"
    );
}

#[test]
fn enum_created_and_dropped_round_trips() {
    let a = r#"CREATE TYPE "order" AS ENUM ('x');"#;
    let b = r#"CREATE TYPE "a""b" AS ENUM ('y', 'z'); CREATE TABLE t ("c" "a""b" DEFAULT 'y');"#;
    round_trip(a, b, &DiffOptions::default(), true);
}

#[test]
fn views_created_replaced_and_dropped() {
    let a = r#"CREATE TABLE t (id int, "Name" text);
        CREATE VIEW v1 AS SELECT id FROM t;
        CREATE VIEW gone AS SELECT "Name" FROM t;"#;
    let b = r#"CREATE TABLE t (id int, "Name" text);
        CREATE VIEW v1 AS SELECT id, "Name" FROM t WHERE id > 0;
        CREATE VIEW "v2 ""x""" AS SELECT * FROM v1;
        COMMENT ON VIEW v1 IS 'view';"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    assert!(kinds(&plan).contains(&ChangeKind::DropView));
}

#[test]
fn functions_created_replaced_and_dropped() {
    let a = r#"CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql AS 'SELECT x + 1';
        CREATE FUNCTION gone() RETURNS text LANGUAGE sql AS 'SELECT ''a''';
        CREATE FUNCTION "order"(n int) RETURNS int LANGUAGE sql AS 'SELECT n';"#;
    let b = r#"CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql AS 'SELECT x + 2';
        CREATE FUNCTION "Mixed ""Case"""(a text, b int) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN a || b; END $$;
        COMMENT ON FUNCTION "Mixed ""Case"""(text, int) IS 'it''s';
        CREATE FUNCTION "order"(n int) RETURNS bigint LANGUAGE sql AS 'SELECT n::bigint';"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    let k = kinds(&plan);
    assert!(k.contains(&ChangeKind::ReplaceFunction));
    assert!(k.contains(&ChangeKind::DropFunction));
    assert!(k.contains(&ChangeKind::CreateFunction));
}

#[test]
fn sequences_and_defaults_that_use_them() {
    let a = "CREATE TABLE t (id bigint);";
    let b = r#"CREATE SEQUENCE "order seq" START 10 INCREMENT 5;
        CREATE TABLE t (id bigint DEFAULT nextval('"order seq"'));"#;
    round_trip(a, b, &DiffOptions::default(), true);
}

#[test]
fn renames_from_hints() {
    let a = r#"CREATE TABLE users (id int PRIMARY KEY, name text); CREATE TABLE "old t" (x int);"#;
    let b = r#"CREATE TABLE users (id int PRIMARY KEY, "full name" text); CREATE TABLE "new t" (x int);"#;
    let opts = DiffOptions {
        renames: vec![
            ("users.name".into(), "full name".into()),
            ("old t".into(), "new t".into()),
        ],
        ..DiffOptions::default()
    };
    let plan = round_trip(a, b, &opts, true);
    assert!(!has_hazard(&plan, "data-loss"), "{plan:#?}");
    let k = kinds(&plan);
    assert!(k.contains(&ChangeKind::RenameColumn) && k.contains(&ChangeKind::RenameTable));
    // Without the hints: a possible rename, and data loss.
    let db1 = TempPg::new();
    let db2 = TempPg::new();
    load(&db1, a);
    load(&db2, b);
    let plain = diff(&model(&db1), &model(&db2), &DiffOptions::default());
    assert!(has_hazard(&plain, "possible-rename") && has_hazard(&plain, "data-loss"));
}

#[test]
fn identical_databases_give_an_empty_plan() {
    let sql = r#"CREATE SCHEMA "a""b"; CREATE TABLE "a""b"."order" (id int PRIMARY KEY, v text);
        CREATE INDEX ON "a""b"."order" (v); CREATE VIEW "a""b".v AS SELECT id FROM "a""b"."order";"#;
    let db1 = TempPg::new();
    let db2 = TempPg::new();
    load(&db1, sql);
    load(&db2, sql);
    let plan = diff(&model(&db1), &model(&db2), &DiffOptions::default());
    assert!(plan.is_empty(), "{plan:#?}");
    assert!(render_plan(&plan, false).contains("-- no changes"));
}

#[test]
fn triggers_and_policies() {
    let base = r#"CREATE TABLE "order" (id int, owner text, n int);
        CREATE FUNCTION "bump ""n"""() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.n := NEW.n + 1; RETURN NEW; END $$;"#;
    let a = format!(
        r#"{base}
        CREATE TRIGGER gone BEFORE INSERT ON "order" FOR EACH ROW EXECUTE FUNCTION "bump ""n"""();
        CREATE POLICY old_p ON "order" USING (owner = current_user);"#
    );
    let b = format!(
        r#"{base}
        ALTER TABLE "order" ENABLE ROW LEVEL SECURITY;
        ALTER TABLE "order" FORCE ROW LEVEL SECURITY;
        CREATE TRIGGER "Mixed ""Case""" BEFORE UPDATE ON "order" FOR EACH ROW EXECUTE FUNCTION "bump ""n"""();
        ALTER TABLE "order" DISABLE TRIGGER "Mixed ""Case""";
        COMMENT ON TRIGGER "Mixed ""Case""" ON "order" IS 'it''s';
        CREATE POLICY "a""b" ON "order" AS RESTRICTIVE FOR SELECT TO PUBLIC USING (owner = 'it''s');"#
    );
    let plan = round_trip(&a, &b, &DiffOptions::default(), true);
    let k = kinds(&plan);
    for kind in [
        ChangeKind::CreateTrigger,
        ChangeKind::DropTrigger,
        ChangeKind::CreatePolicy,
        ChangeKind::DropPolicy,
        ChangeKind::EnableRls,
    ] {
        assert!(k.contains(&kind), "{kind:?}: {k:?}");
    }
}

#[test]
fn views_over_a_column_whose_type_changes_are_recreated() {
    let a = r#"CREATE TABLE t (id int, "Name" varchar(10), gone int);
        CREATE VIEW v1 AS SELECT id, "Name" FROM t;
        CREATE VIEW "v2 ""x""" AS SELECT "Name" FROM v1;
        CREATE VIEW other AS SELECT 1 AS one;"#;
    let b = r#"CREATE TABLE t (id bigint, "Name" text);
        CREATE VIEW v1 AS SELECT id, "Name" FROM t;
        CREATE VIEW "v2 ""x""" AS SELECT "Name" FROM v1;
        CREATE VIEW other AS SELECT 1 AS one;"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    let views: Vec<ChangeKind> = plan
        .changes
        .iter()
        .filter(|c| c.object.kind == strata_schema::ObjectKind::View)
        .map(|c| c.kind)
        .collect();
    use ChangeKind::*;
    assert_eq!(
        views,
        [DropView, DropView, CreateView, CreateView],
        "other is left alone"
    );
}

#[test]
fn serial_columns_added_and_dropped() {
    let a =
        r#"CREATE TABLE "order" (id int, "old serial" serial); CREATE TABLE gone (id bigserial);"#;
    let b = r#"CREATE TABLE "order" (id int, "a""b" bigserial);"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    let up = plan.up().join("\n");
    assert!(up.contains(r#"OWNED BY "public"."order"."a""b""#), "{up}");
}

#[test]
fn sequence_options_altered() {
    let a = r#"CREATE SEQUENCE "a""b" START 1 INCREMENT 1 MAXVALUE 1000; CREATE SEQUENCE o;"#;
    let b = r#"CREATE SEQUENCE "a""b" AS integer START 5 INCREMENT 2 MAXVALUE 2000 CYCLE; CREATE SEQUENCE o;"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    assert_eq!(kinds(&plan), [ChangeKind::AlterSequence]);
}

#[test]
fn identity_and_collation_changes() {
    let a = r#"CREATE TABLE "order" (
        "a""b" bigint,
        gone int GENERATED ALWAYS AS IDENTITY,
        changed int GENERATED ALWAYS AS IDENTITY (START 5),
        "Mixed Case" text);"#;
    let b = r#"CREATE TABLE "order" (
        "a""b" bigint GENERATED BY DEFAULT AS IDENTITY (START 10 INCREMENT 2),
        gone int,
        changed int GENERATED BY DEFAULT AS IDENTITY (START 7 INCREMENT 3 MAXVALUE 1000 CYCLE),
        "Mixed Case" text COLLATE "C");"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    let k = kinds(&plan);
    use ChangeKind::*;
    for kind in [
        AddIdentity,
        DropIdentity,
        AlterIdentity,
        AlterColumnType,
        SetNotNull,
        DropNotNull,
    ] {
        assert!(k.contains(&kind), "{kind:?}: {k:?}");
    }
    // A collation change relabels the column: no rewrite.
    assert!(!has_hazard(&plan, "table-rewrite"), "{plan:#?}");
}

#[test]
fn materialized_views_and_their_indexes() {
    let a = r#"CREATE TABLE t (id int, "a""b" int);
        INSERT INTO t VALUES (1, 2);
        CREATE MATERIALIZED VIEW "Mixed Case" AS SELECT id FROM t;
        CREATE UNIQUE INDEX "Mixed Case_id" ON "Mixed Case" (id);
        CREATE MATERIALIZED VIEW gone AS SELECT 1 AS one;"#;
    let b = r#"CREATE TABLE t (id int, "a""b" int);
        INSERT INTO t VALUES (1, 2);
        CREATE MATERIALIZED VIEW "Mixed Case" AS SELECT id, "a""b" FROM t;
        CREATE UNIQUE INDEX "Mixed Case_id" ON "Mixed Case" (id);
        CREATE MATERIALIZED VIEW "order" WITH (fillfactor = 50) AS SELECT id FROM t;
        COMMENT ON MATERIALIZED VIEW "order" IS 'it''s';"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    let k = kinds(&plan);
    use ChangeKind::*;
    for kind in [CreateMaterializedView, DropMaterializedView, CreateIndex] {
        assert!(k.contains(&kind), "{kind:?}: {k:?}");
    }
    // Its index goes with it, and its down brings it back.
    assert!(!k.contains(&DropIndex), "{k:?}");
    assert!(plan.changes.iter().any(|c| c.kind == DropMaterializedView
        && c.down
            .iter()
            .any(|s| s.contains("CREATE UNIQUE INDEX \"Mixed Case_id\""))));
    // The index of a re-created materialized view is built with it, not CONCURRENTLY.
    assert!(plan.changes.iter().all(|c| !c.non_transactional));
}

/// The plan from A to B without applying it (for plans that do not reach B).
fn plan_between(a: &str, b: &str) -> (TempPg, Plan) {
    let db1 = TempPg::new();
    let db2 = TempPg::new();
    load(&db1, a);
    load(&db2, b);
    let plan = diff(&model(&db1), &model(&db2), &DiffOptions::default());
    (db1, plan)
}

fn count(plan: &Plan, kind: ChangeKind) -> usize {
    plan.changes.iter().filter(|c| c.kind == kind).count()
}

fn assert_kinds(plan: &Plan, expected: &[ChangeKind]) {
    let k = kinds(plan);
    for kind in expected {
        assert!(k.contains(kind), "{kind:?} not in {k:?}");
    }
}

#[test]
fn extensions_created_and_dropped() {
    let a = r#"CREATE SCHEMA "ext ü";
        CREATE EXTENSION pg_trgm;
        CREATE TABLE docs (body text);
        CREATE INDEX docs_trgm ON docs USING gin (body gin_trgm_ops);"#;
    let b = r#"CREATE SCHEMA "ext ü";
        CREATE EXTENSION citext WITH SCHEMA "ext ü";
        COMMENT ON EXTENSION citext IS 'it''s case-insensitive';
        CREATE TABLE docs (body text, "user" "ext ü".citext);"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_kinds(
        &plan,
        &[CreateExtension, DropExtension, DropIndex, AddColumn],
    );
    let up = plan.up().join("\n");
    // The extension is there before the column that uses its type, and goes after the index
    // that used its operator class.
    assert!(
        up.find("CREATE EXTENSION").unwrap() < up.find("ADD COLUMN").unwrap(),
        "{up}"
    );
    assert!(
        up.find("DROP INDEX").unwrap() < up.find("DROP EXTENSION").unwrap(),
        "{up}"
    );
}

#[test]
fn extension_updated_to_another_version() {
    let a = "CREATE EXTENSION pg_trgm VERSION '1.5';";
    let b = "CREATE EXTENSION pg_trgm VERSION '1.6';";
    // pg_trgm ships no downgrade script (1.6 -> 1.5): the down cannot run.
    let plan = round_trip(a, b, &DiffOptions::default(), false);
    assert_eq!(kinds(&plan), [ChangeKind::AlterExtension]);
    assert_eq!(
        plan.changes[0].up,
        [r#"ALTER EXTENSION "pg_trgm" UPDATE TO '1.6';"#]
    );
}

#[test]
fn extension_moved_to_another_schema() {
    let a = r#"CREATE SCHEMA "Ext ""ü"""; CREATE EXTENSION citext;"#;
    let b = r#"CREATE SCHEMA "Ext ""ü"""; CREATE EXTENSION citext WITH SCHEMA "Ext ""ü""";"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    assert_eq!(kinds(&plan), [ChangeKind::AlterExtension]);
}

#[test]
fn collations_created_dropped_and_recreated() {
    let a = r#"CREATE SCHEMA "a""b";
        CREATE COLLATION "a""b"."naïve ü" (provider = icu, locale = 'de-u-ks-level2', deterministic = false);
        CREATE COLLATION "a""b"."gone" (locale = 'C');
        CREATE COLLATION "a""b"."order" (provider = icu, locale = 'fr');
        CREATE TABLE "a""b".t (id int);"#;
    let b = r#"CREATE SCHEMA "a""b";
        CREATE COLLATION "a""b"."naïve ü" (provider = icu, locale = 'de-u-ks-level2', deterministic = false);
        COMMENT ON COLLATION "a""b"."naïve ü" IS 'it''s';
        CREATE COLLATION "a""b"."order" (provider = icu, locale = 'sv');
        CREATE COLLATION "a""b"."Mixed Case" (provider = libc, locale = 'C');
        CREATE TABLE "a""b".t (id int, name text COLLATE "a""b"."naïve ü", "select" text COLLATE "a""b"."Mixed Case");"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    // "order" changes its locale and nothing uses it: dropped and re-created.
    assert_eq!(count(&plan, DropCollation), 2, "{:?}", kinds(&plan));
    assert_eq!(count(&plan, CreateCollation), 2, "{:?}", kinds(&plan));
    let up = plan.up().join("\n");
    assert!(
        up.find(r#"CREATE COLLATION "a""b"."Mixed Case""#).unwrap()
            < up.find("ADD COLUMN \"select\"").unwrap(),
        "{up}"
    );
}

#[test]
fn domains_created_and_dropped() {
    let a = r#"CREATE SCHEMA "a""b";
        CREATE DOMAIN "a""b"."gone" AS integer CHECK (VALUE > 0);
        CREATE TABLE "a""b"."user" (id int, g "a""b"."gone");"#;
    let b = r#"CREATE SCHEMA "a""b";
        CREATE DOMAIN "a""b"."naïve ü" AS character varying(20) COLLATE "C" DEFAULT 'it''s' NOT NULL
            CONSTRAINT "select" CHECK (VALUE <> '') CONSTRAINT "Mixed ""Case""" CHECK (length(VALUE) < 15);
        COMMENT ON DOMAIN "a""b"."naïve ü" IS 'a domain';
        COMMENT ON CONSTRAINT "select" ON DOMAIN "a""b"."naïve ü" IS 'not empty';
        CREATE DOMAIN "a""b".positive AS numeric(10,2) CHECK (VALUE > 0);
        CREATE TABLE "a""b"."user" (id int, g integer, name "a""b"."naïve ü", amount "a""b".positive[]);"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(count(&plan, CreateDomain), 2);
    assert_eq!(count(&plan, DropDomain), 1);
    // The domain goes after the column that had it as its type has changed type.
    let up = plan.up().join("\n");
    assert!(
        up.find("ALTER COLUMN \"g\" TYPE").unwrap() < up.find("DROP DOMAIN").unwrap(),
        "{up}"
    );
}

#[test]
fn domains_altered_in_place() {
    let a = r#"CREATE DOMAIN "Mixed Case" AS integer DEFAULT 1
            CONSTRAINT "order" CHECK (VALUE > 0) CONSTRAINT old_c CHECK (VALUE < 1000);
        COMMENT ON CONSTRAINT old_c ON DOMAIN "Mixed Case" IS 'old';
        CREATE DOMAIN plain AS text;
        CREATE TABLE t (a "Mixed Case", b plain);
        INSERT INTO t VALUES (5, 'x');"#;
    let b = r#"CREATE DOMAIN "Mixed Case" AS integer NOT NULL
            CONSTRAINT "order" CHECK (VALUE > 1) CONSTRAINT "naïve ü" CHECK (VALUE <> 13);
        CREATE DOMAIN plain AS text DEFAULT 'it''s';
        ALTER DOMAIN plain ADD CONSTRAINT "not valid yet" CHECK (VALUE <> '') NOT VALID;
        COMMENT ON DOMAIN plain IS 'plain';
        CREATE TABLE t (a "Mixed Case", b plain);
        INSERT INTO t VALUES (5, 'x');"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert!(
        !kinds(&plan).contains(&DropDomain),
        "altered, not re-created: {:?}",
        kinds(&plan)
    );
    assert_eq!(count(&plan, AlterDomain), 3, "{:?}", kinds(&plan));
    assert_eq!(count(&plan, DropDomainConstraint), 2);
    assert_eq!(count(&plan, AddDomainConstraint), 3);
    let up = plan.up().join("\n");
    assert!(
        up.contains(r#"ADD CONSTRAINT "naïve ü" CHECK ((VALUE <> 13)) NOT VALID;"#),
        "{up}"
    );
    assert!(
        up.contains(r#"ALTER DOMAIN "public"."Mixed Case" VALIDATE CONSTRAINT "naïve ü";"#),
        "{up}"
    );
}

#[test]
fn domain_check_validated() {
    let a = r#"CREATE DOMAIN "a""b" AS int;
        CREATE TABLE t (x "a""b");
        ALTER DOMAIN "a""b" ADD CONSTRAINT "positive ü" CHECK (VALUE > 0) NOT VALID;
        COMMENT ON CONSTRAINT "positive ü" ON DOMAIN "a""b" IS 'it''s';"#;
    let b = r#"CREATE DOMAIN "a""b" AS int CONSTRAINT "positive ü" CHECK (VALUE > 0);
        COMMENT ON CONSTRAINT "positive ü" ON DOMAIN "a""b" IS 'it''s';
        CREATE TABLE t (x "a""b");"#;
    // The down drops the check and adds it back NOT VALID (with its comment).
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    assert_eq!(kinds(&plan), [ChangeKind::ValidateConstraint]);
}

#[test]
fn domain_whose_base_type_changes_is_recreated_with_its_views() {
    let a = r#"CREATE DOMAIN "order" AS integer CHECK (VALUE > 0);
        COMMENT ON DOMAIN "order" IS 'it''s';
        CREATE VIEW "v ü" AS SELECT 1::"order" AS one;"#;
    let b = r#"CREATE DOMAIN "order" AS bigint CHECK (VALUE > 0);
        COMMENT ON DOMAIN "order" IS 'it''s';
        CREATE VIEW "v ü" AS SELECT 1::"order" AS one;"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(
        kinds(&plan),
        [DropView, DropDomain, CreateDomain, CreateView, SetComment]
    );
}

#[test]
fn composite_types_created_and_dropped() {
    let a = r#"CREATE SCHEMA "naïve_ü"; CREATE TYPE "naïve_ü"."gone" AS (a int);"#;
    let b = r#"CREATE SCHEMA "naïve_ü";
        CREATE TYPE "naïve_ü"."Mixed ""Case""" AS ("select" text COLLATE "C", "user" numeric(10,2), tags text[]);
        COMMENT ON TYPE "naïve_ü"."Mixed ""Case""" IS 'it''s';
        CREATE TABLE "naïve_ü".t (id int, v "naïve_ü"."Mixed ""Case""");
        CREATE FUNCTION "naïve_ü".f(x "naïve_ü"."Mixed ""Case""") RETURNS text LANGUAGE sql AS $$ SELECT x."select" $$;"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_kinds(
        &plan,
        &[
            CreateCompositeType,
            DropCompositeType,
            CreateTable,
            CreateFunction,
        ],
    );
}

#[test]
fn composite_type_attributes_altered() {
    let a = r#"CREATE TYPE "a""b" AS (x int, "order" text, gone date);
        CREATE FUNCTION uses(v "a""b") RETURNS int LANGUAGE sql AS 'SELECT 1';"#;
    let b = r#"CREATE TYPE "a""b" AS (x bigint, "order" text COLLATE "C", "naïve ü" boolean);
        CREATE FUNCTION uses(v "a""b") RETURNS int LANGUAGE sql AS 'SELECT 1';"#;
    // The dropped attribute was the last: its down adds it back where it was.
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(
        kinds(&plan),
        [DropAttribute, AlterAttribute, AlterAttribute, AddAttribute]
    );
    assert_eq!(
        plan.changes[2].up,
        [
            r#"ALTER TYPE "public"."a""b" ALTER ATTRIBUTE "order" SET DATA TYPE text COLLATE "pg_catalog"."C";"#
        ]
    );
}

#[test]
fn composite_type_reordered_is_recreated_with_its_views() {
    let a = r#"CREATE TYPE pair AS (a int, b int);
        CREATE VIEW "select" AS SELECT ROW(1, 2)::pair AS p;"#;
    let b = r#"CREATE TYPE pair AS (b int, a int);
        CREATE VIEW "select" AS SELECT ROW(1, 2)::pair AS p;"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(
        kinds(&plan),
        [DropView, DropCompositeType, CreateCompositeType, CreateView]
    );
}

#[test]
fn range_types_created_dropped_and_recreated() {
    let a = r#"CREATE TYPE "gone range" AS RANGE (subtype = int4);
        CREATE TYPE r2 AS RANGE (subtype = int4);"#;
    let b = r#"CREATE FUNCTION "time diff"(x time, y time) RETURNS float8 LANGUAGE sql IMMUTABLE STRICT
            AS 'SELECT EXTRACT(EPOCH FROM (x - y))';
        CREATE TYPE "Mixed timerange" AS RANGE (subtype = time, subtype_diff = "time diff",
            multirange_type_name = "Mixed ""multi""");
        COMMENT ON TYPE "Mixed timerange" IS 'it''s';
        CREATE TYPE "naïve_ü" AS RANGE (subtype = text, collation = "C");
        CREATE TYPE r2 AS RANGE (subtype = int8);
        CREATE TABLE shifts ("select" "Mixed timerange", many "Mixed ""multi""", t "naïve_ü");"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(count(&plan, CreateRangeType), 3, "{:?}", kinds(&plan));
    assert_eq!(count(&plan, DropRangeType), 2, "{:?}", kinds(&plan));
    let up = plan.up().join("\n");
    assert!(
        up.find("\"time diff\"").unwrap()
            < up.find("CREATE TYPE \"public\".\"Mixed timerange\"")
                .unwrap(),
        "the subtype difference function first: {up}"
    );
}

#[test]
fn aggregates_created_replaced_and_dropped() {
    let base = r#"CREATE FUNCTION "add ü"(s bigint, v integer) RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT s + v';"#;
    let a = format!(
        r#"{base}
        CREATE AGGREGATE "Sum ""x"""(integer) (SFUNC = "add ü", STYPE = bigint, INITCOND = '0');
        CREATE AGGREGATE gone(integer) (SFUNC = "add ü", STYPE = bigint);"#
    );
    let b = format!(
        r#"{base}
        CREATE AGGREGATE "Sum ""x"""(integer) (SFUNC = "add ü", STYPE = bigint, INITCOND = '10', PARALLEL = SAFE);
        CREATE AGGREGATE "order"(integer) (SFUNC = "add ü", STYPE = bigint, INITCOND = '0');
        COMMENT ON AGGREGATE "order"(integer) IS 'it''s';
        CREATE VIEW v AS SELECT "order"(x) FROM generate_series(1, 3) x;"#
    );
    let plan = round_trip(&a, &b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_kinds(
        &plan,
        &[CreateAggregate, DropAggregate, ReplaceAggregate, CreateView],
    );
}

#[test]
fn text_search_configurations() {
    let a = r#"CREATE TEXT SEARCH CONFIGURATION gone (COPY = pg_catalog.simple);
        CREATE TEXT SEARCH CONFIGURATION "a""b" (COPY = pg_catalog.english);"#;
    let b = r#"CREATE TEXT SEARCH CONFIGURATION "a""b" (COPY = pg_catalog.english);
        ALTER TEXT SEARCH CONFIGURATION "a""b" DROP MAPPING FOR email, url;
        CREATE TEXT SEARCH CONFIGURATION "naïve ü" (PARSER = pg_catalog."default");
        ALTER TEXT SEARCH CONFIGURATION "naïve ü" ADD MAPPING FOR asciiword WITH simple, english_stem;
        COMMENT ON TEXT SEARCH CONFIGURATION "naïve ü" IS 'it''s';"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(count(&plan, CreateTextSearchConfig), 2);
    assert_eq!(count(&plan, DropTextSearchConfig), 2);
}

#[test]
fn partitioned_tables_and_partitions_created() {
    let a = r#"CREATE SCHEMA "a""b";"#;
    let b = r#"CREATE SCHEMA "a""b";
        CREATE TABLE "a""b"."Events" (id bigint NOT NULL, "at" date NOT NULL, "user" text,
            PRIMARY KEY (id, "at")) PARTITION BY RANGE ("at");
        CREATE TABLE "a""b"."Events 2024" PARTITION OF "a""b"."Events"
            FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        CREATE TABLE "a""b".events_default PARTITION OF "a""b"."Events" DEFAULT;
        CREATE TABLE "a""b"."Events 2025" PARTITION OF "a""b"."Events"
            FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY RANGE (id);
        CREATE TABLE "a""b"."Events 2025 ü" PARTITION OF "a""b"."Events 2025" FOR VALUES FROM (0) TO (1000);
        CREATE TABLE "a""b"."Users" ("user" text NOT NULL, "naïve" int) PARTITION BY LIST ("user");
        CREATE TABLE "a""b"."Users select" PARTITION OF "a""b"."Users" FOR VALUES IN ('naïve', 'select', 'it''s');
        CREATE INDEX "events user" ON "a""b"."Events" ("user");
        CREATE INDEX "own index" ON "a""b"."Events 2024" ("at" DESC);
        COMMENT ON TABLE "a""b"."Events 2024" IS 'it''s';"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(count(&plan, CreateTable), 7);
    assert_eq!(count(&plan, AttachPartition), 5);
    let up = plan.up().join("\n");
    assert!(
        up.find("\"events user\"").unwrap() < up.find("\"own index\"").unwrap(),
        "the partitioned table's index first: {up}"
    );
}

#[test]
fn partitions_attached_detached_and_rebound() {
    let a = r#"CREATE TABLE "order" (id int NOT NULL, region text NOT NULL) PARTITION BY LIST (region);
        CREATE TABLE "order eu" PARTITION OF "order" FOR VALUES IN ('eu');
        CREATE TABLE "order us" PARTITION OF "order" FOR VALUES IN ('us');
        CREATE TABLE "order gone" PARTITION OF "order" FOR VALUES IN ('gone');
        CREATE TABLE "order ü" (id int NOT NULL, region text NOT NULL);
        INSERT INTO "order" VALUES (1, 'eu');"#;
    let b = r#"CREATE TABLE "order" (id int NOT NULL, region text NOT NULL) PARTITION BY LIST (region);
        CREATE TABLE "order eu" PARTITION OF "order" FOR VALUES IN ('eu', 'ie');
        CREATE TABLE "order us" (id int NOT NULL, region text NOT NULL);
        CREATE TABLE "order ü" (id int NOT NULL, region text NOT NULL);
        ALTER TABLE "order" ATTACH PARTITION "order ü" FOR VALUES IN ('ü');
        CREATE TABLE "order new" PARTITION OF "order" FOR VALUES IN ('new');
        INSERT INTO "order" VALUES (1, 'eu');"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    // eu (re-bound), us, gone; eu, ü, new.
    assert_eq!(count(&plan, DetachPartition), 3, "{:?}", kinds(&plan));
    assert_eq!(count(&plan, AttachPartition), 3, "{:?}", kinds(&plan));
    assert_eq!(count(&plan, DropTable), 1);
}

#[test]
fn partitioned_parent_columns_change_once_for_all_partitions() {
    let a = r#"CREATE TABLE m (id int NOT NULL, v text, d int DEFAULT 1, gone int) PARTITION BY RANGE (id);
        CREATE TABLE m1 PARTITION OF m FOR VALUES FROM (0) TO (100);
        CREATE TABLE m2 PARTITION OF m FOR VALUES FROM (100) TO (200) PARTITION BY RANGE (id);
        CREATE TABLE "m2 ü" PARTITION OF m2 FOR VALUES FROM (100) TO (150);
        INSERT INTO m VALUES (1, 'a', 1, 1), (120, 'b', 1, 1);"#;
    let b = r#"CREATE TABLE m (id int NOT NULL, v varchar(10) NOT NULL DEFAULT 'it''s', d int DEFAULT 2,
            "naïve ü" numeric(5,1)) PARTITION BY RANGE (id);
        CREATE TABLE m1 PARTITION OF m FOR VALUES FROM (0) TO (100);
        CREATE TABLE m2 PARTITION OF m FOR VALUES FROM (100) TO (200) PARTITION BY RANGE (id);
        CREATE TABLE "m2 ü" PARTITION OF m2 FOR VALUES FROM (100) TO (150);
        INSERT INTO m VALUES (1, 'a', 1), (120, 'b', 1);"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    // Every change is made on the parent only.
    assert!(
        plan.changes
            .iter()
            .filter(|c| c.column.is_some())
            .all(|c| c.object.name.name == "m"),
        "{plan:#?}"
    );
}

#[test]
fn inheritance_linked_unlinked_and_extended() {
    let a = r#"CREATE TABLE parent (id int, "Name" text);
        CREATE TABLE child (extra int) INHERITS (parent);
        CREATE TABLE loner (id int, "Name" text);
        CREATE TABLE other_parent (id int, "Name" text);
        CREATE TABLE adopted (id int, "Name" text);
        ALTER TABLE adopted INHERIT other_parent;"#;
    let b = r#"CREATE TABLE parent (id int, "Name" text);
        CREATE TABLE child (extra int) INHERITS (parent);
        ALTER TABLE parent ADD COLUMN "select" boolean DEFAULT true;
        CREATE TABLE loner (id int, "Name" text, "select" boolean DEFAULT true);
        ALTER TABLE loner INHERIT parent;
        CREATE TABLE other_parent (id int, "Name" text);
        CREATE TABLE adopted (id int, "Name" text);
        CREATE TABLE "new child ü" (z int) INHERITS (parent);"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_kinds(&plan, &[Inherit, NoInherit, CreateTable, AddColumn]);
    // The child gets the parent's new column from the parent.
    assert_eq!(count(&plan, AddColumn), 2, "parent and loner: {plan:#?}");
}

#[test]
fn tables_set_logged_and_unlogged() {
    // PostgreSQL 15 changes the persistence of a table's serial sequence with the table's.
    let a = r#"CREATE UNLOGGED TABLE "cache ü" (k text PRIMARY KEY, v text, n serial);
        CREATE TABLE "Logged" (id int);"#;
    let b = r#"CREATE TABLE "cache ü" (k text PRIMARY KEY, v text, n serial);
        CREATE UNLOGGED TABLE "Logged" (id int);"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(kinds(&plan), [AlterSequence, SetUnlogged, SetLogged]);
    assert!(plan.changes[1..]
        .iter()
        .all(|c| c.hazards.iter().any(|h| h.id == "table-rewrite")));
}

#[test]
fn table_storage_options_set_and_reset() {
    let a = r#"CREATE TABLE t (id int) WITH (fillfactor = 70, autovacuum_enabled = false);
        CREATE TABLE "Mixed ü" (id int);"#;
    let b = r#"CREATE TABLE t (id int) WITH (fillfactor = 80, toast_tuple_target = 256);
        CREATE TABLE "Mixed ü" (id int) WITH (autovacuum_vacuum_scale_factor = 0.05);"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    assert_eq!(count(&plan, ChangeKind::SetTableOptions), 2);
    let up = plan.up().join("\n");
    assert!(
        up.contains(r#"ALTER TABLE "public"."t" RESET (autovacuum_enabled);"#),
        "{up}"
    );
}

#[test]
fn procedures_created_replaced_and_dropped() {
    let a = r#"CREATE PROCEDURE "Mixed ""p"""(IN n integer, INOUT total integer) LANGUAGE plpgsql
            AS $$ BEGIN total := total + n; END $$;
        CREATE PROCEDURE gone() LANGUAGE sql AS 'SELECT 1';
        CREATE PROCEDURE renamed_param(a int) LANGUAGE sql AS 'SELECT 1';"#;
    let b = r#"CREATE PROCEDURE "Mixed ""p"""(IN n integer, INOUT total integer) LANGUAGE plpgsql
            AS $$ BEGIN total := total + 2 * n; END $$;
        CREATE PROCEDURE "naïve ü"("select" text) LANGUAGE sql BEGIN ATOMIC SELECT 1; END;
        COMMENT ON PROCEDURE "naïve ü"(text) IS 'it''s';
        CREATE PROCEDURE renamed_param(b int) LANGUAGE sql AS 'SELECT 1';"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_kinds(&plan, &[ReplaceFunction, CreateFunction, DropFunction]);
    assert!(plan.up().iter().any(|s| s
        == r#"DROP PROCEDURE "public"."renamed_param"(IN a integer);"#
        || s == r#"DROP PROCEDURE "public"."renamed_param"(a integer);"#));
}

#[test]
fn not_valid_constraints_validated() {
    let base = r#"CREATE TABLE p (id int PRIMARY KEY);
        CREATE TABLE "a""b" (id int, p int, n int);
        INSERT INTO p VALUES (1); INSERT INTO "a""b" VALUES (1, 1, 5);"#;
    let a = format!(
        r#"{base}
        ALTER TABLE "a""b" ADD CONSTRAINT "fk ü" FOREIGN KEY (p) REFERENCES p (id) NOT VALID;
        ALTER TABLE "a""b" ADD CONSTRAINT "order" CHECK (n > 0) NOT VALID;
        ALTER TABLE "a""b" ADD CONSTRAINT "stays not valid" CHECK (n < 100) NOT VALID;
        COMMENT ON CONSTRAINT "order" ON "a""b" IS 'it''s';"#
    );
    let b = format!(
        r#"{base}
        ALTER TABLE "a""b" ADD CONSTRAINT "fk ü" FOREIGN KEY (p) REFERENCES p (id);
        ALTER TABLE "a""b" ADD CONSTRAINT "order" CHECK (n > 0);
        ALTER TABLE "a""b" ADD CONSTRAINT "stays not valid" CHECK (n < 100) NOT VALID;
        ALTER TABLE "a""b" ADD CONSTRAINT "new not valid" CHECK (n <> 3) NOT VALID;
        COMMENT ON CONSTRAINT "order" ON "a""b" IS 'it''s';"#
    );
    // The down drops the validated constraints and adds them back NOT VALID.
    let plan = round_trip(&a, &b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(
        kinds(&plan),
        [AddConstraint, ValidateConstraint, ValidateConstraint]
    );
    assert!(plan.changes[0].up[0].ends_with("NOT VALID;"));
}

#[test]
fn deferrable_constraints_altered() {
    let a = r#"CREATE TABLE "user" (id int PRIMARY KEY, email text, CONSTRAINT "email ü" UNIQUE (email));
        CREATE TABLE "select" (id int, u int, CONSTRAINT fk FOREIGN KEY (u) REFERENCES "user" (id));
        CREATE TABLE other (u int, CONSTRAINT "fk full" FOREIGN KEY (u) REFERENCES "user" (id)
            DEFERRABLE INITIALLY DEFERRED);"#;
    let b = r#"CREATE TABLE "user" (id int PRIMARY KEY, email text,
            CONSTRAINT "email ü" UNIQUE (email) DEFERRABLE);
        CREATE TABLE "select" (id int, u int, CONSTRAINT fk FOREIGN KEY (u) REFERENCES "user" (id)
            DEFERRABLE INITIALLY DEFERRED);
        CREATE TABLE other (u int, CONSTRAINT "fk full" FOREIGN KEY (u) REFERENCES "user" (id)
            MATCH FULL ON DELETE CASCADE);"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(count(&plan, AlterConstraint), 1, "{:?}", kinds(&plan));
    let alter = plan
        .changes
        .iter()
        .find(|c| c.kind == AlterConstraint)
        .unwrap();
    assert_eq!(
        alter.up,
        [r#"ALTER TABLE "public"."select" ALTER CONSTRAINT "fk" DEFERRABLE INITIALLY DEFERRED;"#]
    );
    // A unique constraint's deferrability cannot be altered: dropped and added.
    assert_eq!(count(&plan, DropConstraint), 2, "{:?}", kinds(&plan));
}

#[test]
fn exclusion_constraints_with_their_extension() {
    let a = r#"CREATE TABLE "room booking" (room int, during tsrange);"#;
    let b = r#"CREATE EXTENSION btree_gist;
        CREATE TABLE "room booking" (room int, during tsrange,
            CONSTRAINT "no overlap ü" EXCLUDE USING gist (room WITH =, during WITH &&) DEFERRABLE);
        COMMENT ON CONSTRAINT "no overlap ü" ON "room booking" IS 'it''s';
        CREATE TABLE "select" ("order" int, CONSTRAINT "Mixed ""x""" EXCLUDE USING gist ("order" WITH <>));"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_kinds(&plan, &[CreateExtension, AddConstraint, CreateTable]);
}

#[test]
fn indexes_with_every_attribute() {
    let table = r#"CREATE EXTENSION pg_trgm;
        CREATE TABLE "select" (id int, "Name" text, body text, tags text[], "at" timestamptz, n int,
            "naïve ü" text);"#;
    let a = format!(r#"{table} CREATE INDEX "changed" ON "select" (n);"#);
    let b = format!(
        r#"{table}
        CREATE INDEX "changed" ON "select" (n DESC NULLS LAST);
        CREATE UNIQUE INDEX "Mixed ""Idx""" ON "select" (lower("Name") COLLATE "C" DESC NULLS FIRST, id)
            INCLUDE (n) WHERE n > 0;
        CREATE UNIQUE INDEX "nnd ü" ON "select" ("naïve ü") NULLS NOT DISTINCT;
        CREATE INDEX trgm ON "select" USING gin (body gin_trgm_ops);
        CREATE INDEX tags ON "select" USING gin (tags);
        CREATE INDEX "brin at" ON "select" USING brin ("at") WITH (pages_per_range = 16);
        CREATE INDEX hash ON "select" USING hash (id);
        CREATE INDEX pattern ON "select" ("Name" text_pattern_ops);
        CREATE INDEX "gist trgm" ON "select" USING gist (body gist_trgm_ops);
        COMMENT ON INDEX trgm IS 'it''s';"#
    );
    let plan = round_trip(&a, &b, &DiffOptions::default(), true);
    assert_eq!(count(&plan, ChangeKind::CreateIndex), 9);
    assert_eq!(count(&plan, ChangeKind::DropIndex), 1);
    assert!(plan
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::CreateIndex)
        .all(|c| c.non_transactional && c.up[0].contains("CONCURRENTLY")));
}

#[test]
fn columns_with_every_attribute() {
    let a = r#"CREATE TABLE "user" (id int);"#;
    let b = r#"CREATE TABLE "user" (id int,
            "full name" text GENERATED ALWAYS AS ('x' || id) STORED,
            score numeric(8,3) DEFAULT 0.5 NOT NULL,
            tags varchar(20)[] COLLATE "C",
            created timestamptz DEFAULT now());
        COMMENT ON COLUMN "user".score IS 'it''s';
        CREATE TABLE "naïve_ü" (
            id bigint GENERATED BY DEFAULT AS IDENTITY (START 100 INCREMENT 10),
            "select" text COLLATE "C" NOT NULL DEFAULT 'it''s',
            "order" interval,
            b bit(8),
            c char(3),
            ts timestamp(3) with time zone,
            g int GENERATED ALWAYS AS IDENTITY);"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    assert_eq!(count(&plan, ChangeKind::AddColumn), 4);
    assert!(
        !has_hazard(&plan, "not-null-backfill"),
        "score has a default"
    );
}

#[test]
fn unused_enum_losing_labels_is_recreated() {
    let a = r#"CREATE TYPE "a""b" AS ENUM ('x', 'y', 'naïve ü');
        COMMENT ON TYPE "a""b" IS 'it''s';"#;
    let b = r#"CREATE TYPE "a""b" AS ENUM ('y', 'x');
        COMMENT ON TYPE "a""b" IS 'it''s';"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(kinds(&plan), [DropEnum, CreateEnum, SetComment]);
    assert!(plan.changes.iter().all(|c| !c.destructive));
}

#[test]
fn view_over_a_recreated_enum_is_recreated() {
    let a = r#"CREATE TYPE "order" AS ENUM ('a', 'b');
        CREATE VIEW "v ""x""" AS SELECT 'a'::"order" AS o;"#;
    let b = r#"CREATE TYPE "order" AS ENUM ('b', 'a');
        CREATE VIEW "v ""x""" AS SELECT 'a'::"order" AS o;"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(kinds(&plan), [DropView, DropEnum, CreateEnum, CreateView]);
}

#[test]
fn changes_blocked_by_users_are_manual_steps() {
    let a = r#"CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE DOMAIN "naïve ü" AS integer;
        CREATE TYPE pair AS (a int, b int);
        CREATE COLLATION "Mixed" (provider = icu, locale = 'fr');
        CREATE TABLE t (m mood, d "naïve ü", p pair, s text COLLATE "Mixed");"#;
    let b = r#"CREATE TYPE mood AS ENUM ('sad', 'happy');
        CREATE DOMAIN "naïve ü" AS bigint;
        CREATE TYPE pair AS (a int, b int, c int);
        CREATE COLLATION "Mixed" (provider = icu, locale = 'sv');
        CREATE TABLE t (m mood, d "naïve ü", p pair, s text COLLATE "Mixed");"#;
    let (db, plan) = plan_between(a, b);
    assert_eq!(kinds(&plan), [ChangeKind::ManualStep; 4], "{plan:#?}");
    for c in &plan.changes {
        assert_eq!(c.hazards.len(), 1);
        assert_eq!(c.hazards[0].id, "manual-step");
        assert!(
            c.hazards[0].message.contains(r#"table "public"."t""#),
            "{c:#?}"
        );
        assert!(c.up.iter().all(|s| s.starts_with("-- ")));
    }
    // The script runs (it only says what to do).
    apply(&db, &plan.up());
    assert!(render_plan(&plan, false).contains("-- hazard: manual-step: "));
}

#[test]
fn function_recreated_with_its_views() {
    let a = r#"CREATE FUNCTION "naïve ü"(x int) RETURNS int LANGUAGE sql AS 'SELECT x';
        CREATE VIEW "select" AS SELECT "naïve ü"(1) AS one;"#;
    let b = r#"CREATE FUNCTION "naïve ü"(y int) RETURNS int LANGUAGE sql AS 'SELECT y';
        CREATE VIEW "select" AS SELECT "naïve ü"(1) AS one;"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(
        kinds(&plan),
        [DropView, DropFunction, CreateFunction, CreateView]
    );
}

#[test]
fn function_dropped_after_the_default_that_called_it() {
    let a = r#"CREATE FUNCTION "next id"() RETURNS int LANGUAGE sql AS 'SELECT 42';
        CREATE TABLE t (id int DEFAULT "next id"(), "order" int DEFAULT "next id"());"#;
    let b = r#"CREATE TABLE t (id int, "order" int DEFAULT 7);"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(kinds(&plan), [DropDefault, SetDefault, DropFunction]);
}

#[test]
fn types_dropped_after_the_columns_that_used_them() {
    let a = r#"CREATE TYPE mood AS ENUM ('a', 'b');
        CREATE DOMAIN "naïve ü" AS text;
        CREATE TABLE t (m mood, d "naïve ü");
        INSERT INTO t VALUES ('a', 'x');"#;
    let b = r#"CREATE TABLE t (m text, d text); INSERT INTO t VALUES ('a', 'x');"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(
        kinds(&plan),
        [AlterColumnType, AlterColumnType, DropDomain, DropEnum]
    );
}

#[test]
fn schemas_with_hostile_names() {
    let a = r#"CREATE SCHEMA "select"; CREATE TABLE "select"."order" (id int); CREATE SCHEMA "naïve_ü";"#;
    let b = r#"CREATE SCHEMA "a ""quoted"" schema";
        CREATE TABLE "a ""quoted"" schema"."user" (id int);
        CREATE SCHEMA "naïve_ü";
        COMMENT ON SCHEMA "naïve_ü" IS 'it''s';"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(
        kinds(&plan),
        [CreateSchema, CreateTable, DropTable, DropSchema, SetComment]
    );
}

#[test]
fn sequence_ownership_moves() {
    let a = r#"CREATE TABLE t (b int, a int);
        CREATE SEQUENCE "seq ü" OWNED BY t.a;
        CREATE SEQUENCE "order";"#;
    let b = r#"CREATE TABLE t (b int, c int);
        CREATE SEQUENCE "seq ü" OWNED BY t.b;
        CREATE SEQUENCE "order" OWNED BY t.c;"#;
    // "seq ü" is released before its column goes (which would take it along).
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    let up = plan.up();
    let release = up
        .iter()
        .position(|s| s == r#"ALTER SEQUENCE "public"."seq ü" OWNED BY NONE;"#)
        .unwrap();
    let drop = up.iter().position(|s| s.contains("DROP COLUMN")).unwrap();
    assert!(release < drop, "{up:#?}");
}

#[test]
fn row_level_security_and_policies_changed() {
    let a = r#"CREATE TABLE "user" (id int, owner text);
        ALTER TABLE "user" ENABLE ROW LEVEL SECURITY;
        ALTER TABLE "user" FORCE ROW LEVEL SECURITY;
        CREATE POLICY "select ü" ON "user" FOR SELECT USING (owner = current_user);
        CREATE POLICY gone ON "user" FOR DELETE USING (false);"#;
    let b = r#"CREATE TABLE "user" (id int, owner text);
        CREATE POLICY "select ü" ON "user" FOR SELECT TO postgres USING (owner = 'it''s');
        CREATE POLICY "Mixed ""p""" ON "user" AS RESTRICTIVE FOR INSERT TO PUBLIC WITH CHECK (id > 0);
        COMMENT ON POLICY "Mixed ""p""" ON "user" IS 'it''s';"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(count(&plan, DisableRls), 2);
    assert_eq!(count(&plan, DropPolicy), 2);
    assert_eq!(count(&plan, CreatePolicy), 2);
}

#[test]
fn triggers_changed() {
    let base = r#"CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TABLE t (id int, n int);
        CREATE TABLE parted (id int) PARTITION BY RANGE (id);
        CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);"#;
    let a = format!(
        r#"{base}
        CREATE TRIGGER "order" BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION trg();
        CREATE TRIGGER "naïve ü" AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION trg();"#
    );
    let b = format!(
        r#"{base}
        CREATE TRIGGER "order" BEFORE INSERT ON t FOR EACH ROW WHEN (NEW.n > 0) EXECUTE FUNCTION trg();
        ALTER TABLE t ENABLE REPLICA TRIGGER "order";
        CREATE TRIGGER "naïve ü" AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION trg();
        ALTER TABLE t ENABLE ALWAYS TRIGGER "naïve ü";
        CREATE CONSTRAINT TRIGGER "Mixed ""ct""" AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION trg();
        CREATE TRIGGER "select" AFTER INSERT ON parted FOR EACH ROW EXECUTE FUNCTION trg();"#
    );
    let plan = round_trip(&a, &b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(count(&plan, CreateTrigger), 4, "{:?}", kinds(&plan));
    assert_eq!(count(&plan, DropTrigger), 2);
}

#[test]
fn views_with_options_and_hostile_names() {
    let a = r#"CREATE TABLE "select" (id int, "user" text);
        CREATE VIEW "v ü" AS SELECT id FROM "select";"#;
    let b = r#"CREATE TABLE "select" (id int, "user" text);
        CREATE VIEW "v ü" WITH (security_barrier = true) AS SELECT id, "user" FROM "select" WHERE id > 0
            WITH LOCAL CHECK OPTION;
        CREATE VIEW "Mixed ""V""" WITH (security_invoker = true) AS SELECT * FROM "v ü";
        COMMENT ON VIEW "Mixed ""V""" IS 'it''s';
        CREATE MATERIALIZED VIEW "order" AS SELECT count(*) AS n FROM "v ü";"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(
        kinds(&plan),
        [
            DropView,
            CreateView,
            CreateView,
            CreateMaterializedView,
            SetComment
        ]
    );
}

#[test]
fn comments_on_every_kind() {
    let sql = r#"CREATE SCHEMA "a""b";
        CREATE EXTENSION citext;
        CREATE COLLATION "a""b".coll (provider = icu, locale = 'fr');
        CREATE TEXT SEARCH CONFIGURATION "a""b".ts (PARSER = pg_catalog."default");
        CREATE TYPE "a""b".mood AS ENUM ('x');
        CREATE DOMAIN "a""b".dom AS int CONSTRAINT "dom check" CHECK (VALUE > 0);
        CREATE TYPE "a""b".comp AS (a int);
        CREATE TYPE "a""b".rng AS RANGE (subtype = int8);
        CREATE SEQUENCE "a""b".seq;
        CREATE FUNCTION "a""b".f(x int) RETURNS int LANGUAGE sql AS 'SELECT x';
        CREATE PROCEDURE "a""b".p() LANGUAGE sql AS 'SELECT 1';
        CREATE AGGREGATE "a""b".agg(int) (SFUNC = int4pl, STYPE = int);
        CREATE TABLE "a""b"."user" (id int CONSTRAINT pk PRIMARY KEY, "select" text);
        CREATE INDEX "select idx" ON "a""b"."user" ("select");
        CREATE VIEW "a""b".v AS SELECT id FROM "a""b"."user";
        CREATE MATERIALIZED VIEW "a""b".mv AS SELECT id FROM "a""b"."user";
        CREATE FUNCTION "a""b".trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER tr BEFORE INSERT ON "a""b"."user" FOR EACH ROW EXECUTE FUNCTION "a""b".trg();
        CREATE POLICY pol ON "a""b"."user" USING (true);"#;
    let comments = r#"
        COMMENT ON SCHEMA "a""b" IS 'schema ü';
        COMMENT ON EXTENSION citext IS 'extension';
        COMMENT ON COLLATION "a""b".coll IS 'collation';
        COMMENT ON TEXT SEARCH CONFIGURATION "a""b".ts IS 'ts';
        COMMENT ON TYPE "a""b".mood IS 'enum';
        COMMENT ON DOMAIN "a""b".dom IS 'domain';
        COMMENT ON CONSTRAINT "dom check" ON DOMAIN "a""b".dom IS 'domain check';
        COMMENT ON TYPE "a""b".comp IS 'composite';
        COMMENT ON TYPE "a""b".rng IS 'range';
        COMMENT ON SEQUENCE "a""b".seq IS 'sequence';
        COMMENT ON FUNCTION "a""b".f(int) IS 'function';
        COMMENT ON PROCEDURE "a""b".p() IS 'procedure';
        COMMENT ON AGGREGATE "a""b".agg(int) IS 'aggregate';
        COMMENT ON TABLE "a""b"."user" IS 'table';
        COMMENT ON COLUMN "a""b"."user"."select" IS 'column';
        COMMENT ON CONSTRAINT pk ON "a""b"."user" IS 'constraint';
        COMMENT ON INDEX "a""b"."select idx" IS 'index';
        COMMENT ON VIEW "a""b".v IS 'view';
        COMMENT ON MATERIALIZED VIEW "a""b".mv IS 'materialized view';
        COMMENT ON TRIGGER tr ON "a""b"."user" IS 'trigger';
        COMMENT ON POLICY pol ON "a""b"."user" IS 'it''s a policy';"#;
    let b = format!("{sql}{comments}");
    let plan = round_trip(sql, &b, &DiffOptions::default(), true);
    assert_eq!(
        kinds(&plan),
        [ChangeKind::SetComment; 21],
        "{:#?}",
        plan.up()
    );
}

#[test]
fn partition_added_to_a_parent_with_keys_and_indexes() {
    let base = r#"CREATE TABLE "order" (id int NOT NULL, region text NOT NULL, note text,
            CONSTRAINT "order pk" PRIMARY KEY (id, region)) PARTITION BY LIST (region);
        CREATE INDEX "order note" ON "order" (note);
        CREATE TABLE "order eu" PARTITION OF "order" FOR VALUES IN ('eu');"#;
    let a = format!(
        r#"{base} CREATE TABLE "order gone" PARTITION OF "order" FOR VALUES IN ('gone');
        INSERT INTO "order" VALUES (1, 'gone', 'x');"#
    );
    let b = format!(
        r#"{base} CREATE TABLE "order ü" PARTITION OF "order" FOR VALUES IN ('ü', 'naïve');
        CREATE INDEX "own ü" ON "order ü" (id DESC);"#
    );
    let plan = round_trip(&a, &b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(
        kinds(&plan),
        [
            DetachPartition,
            CreateTable,
            AttachPartition,
            DropTable,
            CreateIndex
        ]
    );
}

#[test]
fn partitioned_tree_and_inheritance_children_dropped() {
    let a = r#"CREATE TABLE tree (id int NOT NULL, "at" date) PARTITION BY RANGE (id);
        CREATE TABLE "tree 1" PARTITION OF tree FOR VALUES FROM (0) TO (10) PARTITION BY RANGE (id);
        CREATE TABLE "tree 1 ü" PARTITION OF "tree 1" FOR VALUES FROM (0) TO (5);
        CREATE INDEX tree_at ON tree ("at");
        CREATE TABLE parent (id int, "Name" text);
        CREATE TABLE child (extra int) INHERITS (parent);
        CREATE TABLE adopted (id int, "Name" text, own int);
        ALTER TABLE adopted INHERIT parent;"#;
    let b = r#"CREATE TABLE parent (id int, "Name" text);"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(count(&plan, DropTable), 5, "{:?}", kinds(&plan));
    // Partitions go before their parent.
    let up = plan.up();
    let at = |s: &str| up.iter().position(|x| x == s).unwrap();
    assert!(at(r#"DROP TABLE "public"."tree 1 ü";"#) < at(r#"DROP TABLE "public"."tree 1";"#));
    assert!(at(r#"DROP TABLE "public"."tree 1";"#) < at(r#"DROP TABLE "public"."tree";"#));
}

#[test]
fn enum_recreated_after_the_table_that_used_it_goes() {
    let a = r#"CREATE TYPE "order" AS ENUM ('a', 'b'); CREATE TABLE "user" (x "order");"#;
    let b = r#"CREATE TYPE "order" AS ENUM ('b', 'a');"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    use ChangeKind::*;
    // The table goes first (early), so that the type can be re-created.
    assert_eq!(kinds(&plan), [DropTable, DropEnum, CreateEnum]);
}

#[test]
fn functions_types_and_tables_in_dependency_order() {
    let a = "";
    let b = r#"CREATE FUNCTION "is even"(n int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT n % 2 = 0';
        CREATE DOMAIN even AS int CHECK ("is even"(VALUE));
        CREATE FUNCTION "next id"() RETURNS int LANGUAGE sql AS 'SELECT 2';
        CREATE TABLE "user" (id even DEFAULT "next id"(), "select" text);
        CREATE FUNCTION users() RETURNS SETOF "user" LANGUAGE sql AS 'SELECT * FROM "user"';
        CREATE FUNCTION "user count"() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM "user"; END;
        CREATE VIEW "select" AS SELECT * FROM users();"#;
    let plan = round_trip(a, b, &DiffOptions::default(), true);
    let up = plan.up().join("\n");
    let at = |s: &str| up.find(s).unwrap_or_else(|| panic!("{s} not in {up}"));
    assert!(at("FUNCTION public.\"is even\"") < at("CREATE DOMAIN"));
    assert!(at("CREATE DOMAIN") < at("CREATE TABLE"));
    assert!(at("FUNCTION public.\"next id\"") < at("CREATE TABLE"));
    assert!(at("CREATE TABLE") < at("FUNCTION public.users()"));
    assert!(at("CREATE TABLE") < at("FUNCTION public.\"user count\"()"));
}

#[test]
fn enum_recreated_with_the_domains_functions_and_views_that_use_it() {
    let rest = r#"CREATE DOMAIN "naïve status" AS "order" DEFAULT 'new';
        CREATE FUNCTION "is paid"(s "order") RETURNS boolean LANGUAGE sql AS $$ SELECT s = 'paid' $$;
        CREATE VIEW "select" AS SELECT "is paid"('new') AS p, 'new'::"naïve status" AS s;"#;
    let a = format!(r#"CREATE TYPE "order" AS ENUM ('new', 'paid', 'it''s gone'); {rest}"#);
    let b = format!(r#"CREATE TYPE "order" AS ENUM ('new', 'paid'); {rest}"#);
    let plan = round_trip(&a, &b, &DiffOptions::default(), true);
    use ChangeKind::*;
    assert_eq!(
        kinds(&plan),
        [
            DropView,
            DropFunction,
            DropDomain,
            DropEnum,
            CreateEnum,
            CreateDomain,
            CreateFunction,
            CreateView
        ]
    );
}
