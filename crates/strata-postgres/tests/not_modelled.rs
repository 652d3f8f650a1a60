//! Extended statistics are modelled (introspected, re-created by `to_sql`, read back equal), and
//! objects of kinds the model does not cover are reported by kind and name, never dropped
//! silently: in the model's `not_modelled` list and as notes at the top of `to_sql`.

use strata_postgres::{introspect, ConnectOptions, IntrospectOptions, Postgres};
use strata_schema::*;
use strata_testkit::TempPg;

fn model(db: &TempPg) -> Schema {
    let mut pg = Postgres::connect(&db.url, &ConnectOptions::default())
        .unwrap_or_else(|e| panic!("connect: {e:?}"));
    introspect(&mut pg, &IntrospectOptions::default())
        .unwrap_or_else(|e| panic!("introspect: {e:?}"))
}

const STATISTICS: &str = r#"
CREATE SCHEMA "a""b";
CREATE TABLE "a""b"."Mixed Case" (id int, city text, zip text, "order" int);
CREATE STATISTICS "a""b"."s t" (ndistinct, dependencies) ON city, zip FROM "a""b"."Mixed Case";
ALTER STATISTICS "a""b"."s t" SET STATISTICS 300;
CREATE STATISTICS "a""b".expr ON (lower(city)), ("order" + 1) FROM "a""b"."Mixed Case";
COMMENT ON STATISTICS "a""b".expr IS 'it''s';
CREATE MATERIALIZED VIEW "a""b".mv AS SELECT city, zip FROM "a""b"."Mixed Case";
CREATE STATISTICS "a""b".mv_s ON city, zip FROM "a""b".mv;
"#;

#[test]
fn statistics_are_modelled_and_reload_equal() {
    let db = TempPg::new();
    db.client().batch_execute(STATISTICS).unwrap();
    let original = model(&db);
    let names: Vec<String> = original
        .statistics
        .iter()
        .map(|s| s.name.to_string())
        .collect();
    assert_eq!(
        names,
        [r#""a""b"."expr""#, r#""a""b"."mv_s""#, r#""a""b"."s t""#]
    );
    let st = &original.statistics[2];
    assert_eq!(st.target, Some(300));
    assert_eq!(st.table.to_string(), r#""a""b"."Mixed Case""#);
    assert!(
        st.definition.contains("(ndistinct, dependencies)"),
        "{st:?}"
    );
    assert_eq!(original.statistics[0].comment.as_deref(), Some("it's"));
    assert_eq!(original.statistics[1].target, None);
    assert!(
        original.not_modelled.is_empty(),
        "{:?}",
        original.not_modelled
    );

    let sql = to_sql(&original);
    assert!(
        sql.contains(r#"ALTER STATISTICS "a""b"."s t" SET STATISTICS 300;"#),
        "{sql}"
    );
    let copy = TempPg::new();
    copy.client().batch_execute(&sql).unwrap();
    let reloaded = model(&copy);
    assert_eq!(differences(&original, &reloaded), Vec::<String>::new());
    assert!(original.same_objects(&reloaded));

    // The diff from nothing creates them after their relations, and back drops them.
    let plan = diff(&Schema::default(), &original, &DiffOptions::default());
    let empty = TempPg::new();
    let mut script = String::new();
    for s in plan.up() {
        script.push_str(&s);
        script.push('\n');
    }
    empty.client().batch_execute(&script).unwrap();
    assert_eq!(differences(&original, &model(&empty)), Vec::<String>::new());
}

/// One object of each kind a test database can hold without extra software.
const NOT_MODELLED: &str = r#"
CREATE TABLE t (id int, v text);
CREATE RULE "no delete" AS ON DELETE TO t DO INSTEAD NOTHING;
CREATE FUNCTION t_eq(t, t) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1.id = $2.id';
CREATE OPERATOR === (LEFTARG = t, RIGHTARG = t, FUNCTION = t_eq);
CREATE OPERATOR FAMILY fam USING btree;
CREATE TEXT SEARCH DICTIONARY dict (TEMPLATE = simple);
CREATE FUNCTION ev() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END';
CREATE EVENT TRIGGER "ev trg" ON ddl_command_start EXECUTE FUNCTION ev();
CREATE FOREIGN DATA WRAPPER fdw;
CREATE SERVER srv FOREIGN DATA WRAPPER fdw;
CREATE USER MAPPING FOR PUBLIC SERVER srv;
CREATE FOREIGN TABLE ft (id int) SERVER srv;
CREATE PUBLICATION pub FOR TABLE t;
CREATE TYPE shell;
CREATE FUNCTION t_text(t) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT $1.v';
CREATE CAST (t AS text) WITH FUNCTION t_text(t);
"#;

#[test]
fn objects_the_model_does_not_cover_are_reported_by_kind_and_name() {
    let db = TempPg::new();
    db.client().batch_execute(NOT_MODELLED).unwrap();
    let m = model(&db);
    let found: Vec<String> = m.not_modelled.iter().map(|n| n.to_string()).collect();
    for expected in [
        "cast (public.t AS text)",
        r#"event trigger "ev trg""#,
        "foreign server srv",
        "foreign table public.ft",
        "foreign-data wrapper fdw",
        "operator public.===(public.t,public.t)",
        "operator family public.fam USING btree",
        "publication pub",
        r#"rule "no delete" ON public.t"#,
        "text search dictionary public.dict",
        "user mapping FOR PUBLIC SERVER srv",
        "base type public.shell",
    ] {
        assert!(
            found.iter().any(|f| f == expected),
            "{expected} not in {found:#?}"
        );
    }
    for n in &m.not_modelled {
        assert!(NOT_MODELLED_KINDS.contains(&n.kind.as_str()), "{n}");
    }
    // The table and functions are modelled; the foreign table is not a table of the model.
    assert!(m.tables.iter().any(|t| t.name.name == "t"));
    assert!(!m.tables.iter().any(|t| t.name.name == "ft"));
    // inspect --format sql says so at the top, and the JSON carries the list.
    let sql = to_sql(&m);
    assert!(
        sql.contains(
            "-- not modelled by strata (neither compared nor written here): event trigger \"ev trg\"\n"
        ),
        "{sql}"
    );
    let json = m.to_json();
    assert!(json.contains("\"not_modelled\""), "{json}");
    assert_eq!(Schema::from_json(&json).unwrap(), m);
    db.client()
        .batch_execute("DROP EVENT TRIGGER \"ev trg\"; DROP PUBLICATION pub;")
        .unwrap();
}
