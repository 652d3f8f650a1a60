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

/// Runs `script` with `psql` (autocommit, stop at the first error), as a user would. `false`
/// when there is no `psql` to run.
fn run_psql(db: &TempPg, script: &str) -> bool {
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
    let Ok(mut child) = child else {
        eprintln!("no psql: the rendered script is not run");
        return false;
    };
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
    true
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
    if run_psql(&db3, &script) {
        assert_eq!(
            differences(&model(&db3), &model_b),
            Vec::<String>::new(),
            "the rendered script does not reach B:\n{script}"
        );
    }
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
    assert_eq!(rewrites, ["i", "s", "d"]);
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
    // Enum labels cannot be removed: the down cannot restore A.
    let plan = round_trip(a, b, &DiffOptions::default(), false);
    let k = kinds(&plan);
    assert_eq!(
        k.iter().filter(|k| **k == ChangeKind::AddEnumValue).count(),
        2
    );
    assert!(k.contains(&ChangeKind::CreateEnum));
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
    for kind in [
        CreateMaterializedView,
        DropMaterializedView,
        CreateIndex,
        DropIndex,
    ] {
        assert!(k.contains(&kind), "{kind:?}: {k:?}");
    }
    // The index of a re-created materialized view is built with it, not CONCURRENTLY.
    assert!(plan.changes.iter().all(|c| !c.non_transactional));
}
