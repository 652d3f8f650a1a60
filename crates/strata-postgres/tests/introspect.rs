//! Introspection against the local PostgreSQL: every object kind strata models, with hostile names
//! survives introspect → `to_sql` → apply to an empty database → introspect, and JSON; objects of
//! extensions and strata's own tables are left out.

use strata_core::QualifiedName;
use strata_engine::state::{create_tables_sql, StateTables};
use strata_postgres::{introspect, ConnectOptions, IntrospectOptions, Postgres};
use strata_schema::*;
use strata_testkit::TempPg;

const EVERY_KIND: &str = include_str!("fixtures/every_kind.sql");

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

/// Applies `to_sql(original)` to an empty database and asserts that it reads back equal.
fn assert_reloads_equal(original: &Schema, opts: &IntrospectOptions) -> Schema {
    let sql = to_sql(original);
    let copy = TempPg::new();
    load(&copy, &sql);
    let reloaded = model(&copy, opts);
    assert_eq!(
        differences(original, &reloaded),
        Vec::<String>::new(),
        "the reload differs; the SQL was:\n{sql}"
    );
    assert_eq!(original, &reloaded);
    reloaded
}

fn q(schema: &str, name: &str) -> QualifiedName {
    QualifiedName::new(Some(schema), name)
}

const HOSTILE: &str = r#"a"; DROP TABLE x; --"#;

#[test]
fn every_kind_round_trips_through_sql_and_json() {
    let db = TempPg::new();
    load(&db, EVERY_KIND);
    let opts = IntrospectOptions::default();
    let original = model(&db, &opts);

    // Every kind is there, once.
    let counts: std::collections::HashMap<_, _> = original.counts().into_iter().collect();
    for (kind, n) in [
        ("schemas", 4),
        ("collations", 2),
        ("enums", 1),
        ("domains", 2),
        ("composite types", 1),
        ("range types", 1),
        ("sequences", 2),
        ("functions", 8),
        ("aggregates", 1),
        ("text search configurations", 1),
        ("tables", 9),
        ("columns", 40),
        ("views", 2),
        ("materialized views", 1),
        ("constraints", 13),
        ("indexes", 6),
        ("triggers", 3),
        ("policies", 2),
    ] {
        assert_eq!(counts.get(kind), Some(&n), "{kind}: {counts:?}");
    }
    assert!(original.extensions.is_empty(), "plpgsql is left out");

    let reloaded = assert_reloads_equal(&original, &opts);
    // Deterministic: the same database gives the same text.
    assert_eq!(to_sql(&original), to_sql(&reloaded));

    let json = original.to_json();
    let back = Schema::from_json(&json).unwrap();
    assert_eq!(back, original);
    assert_eq!(back.to_json(), json);
}

#[test]
fn the_model_keeps_what_a_diff_needs() {
    let db = TempPg::new();
    load(&db, EVERY_KIND);
    let m = model(&db, &IntrospectOptions::default());
    let hostile = q(r#"a"b"#, HOSTILE);

    let t = m.table(&hostile).expect("the hostile table");
    assert_eq!(t.options, vec!["fillfactor=70"]);
    assert!(t.row_security && t.force_row_security);
    assert_eq!(t.comment.as_deref(), Some("hostile table"));
    let col = |name: &str| t.columns.iter().find(|c| c.name == name).unwrap();
    let id = col("id").identity.as_ref().expect("identity");
    assert!(id.always);
    assert_eq!((id.options.start, id.options.increment), (7, 3));
    assert_eq!(id.sequence, q(r#"a"b"#, &format!("{HOSTILE}_id_seq")));
    assert_eq!(
        col("order").default.as_deref(),
        Some(r#"nextval('"a""b"."order seq"'::regclass)"#)
    );
    assert!(col("order").not_null);
    assert_eq!(col("order").comment.as_deref(), Some("column comment"));
    assert_eq!(col("select").collation, Some(q("pg_catalog", "C")));
    assert_eq!(
        col("doubled").generated.as_deref(),
        Some(r#""a""b".double("order")"#)
    );
    assert_eq!(col("doubled").default, None);
    assert_eq!(col("a b").data_type, r#""a""b".mood"#);
    assert_eq!(col("amount").data_type, r#""a""b".positive"#);
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "id",
            "order",
            "select",
            "a b",
            "amount",
            "doubled",
            "updated at",
            "tags",
            "pair",
            "name"
        ]
    );

    let constraint = |table: &QualifiedName, name: &str| {
        m.constraints
            .iter()
            .find(|c| &c.table == table && c.name == name)
            .unwrap_or_else(|| panic!("constraint {name}"))
    };
    let fk = constraint(&q("Mixed Case", "Parent"), "ref fk");
    assert_eq!(fk.kind, ConstraintKind::ForeignKey);
    assert!(!fk.validated && fk.deferrable && !fk.initially_deferred);
    let target = fk.foreign_key.as_ref().unwrap();
    assert_eq!(target.references, hostile);
    assert_eq!(target.referenced_columns, ["id"]);
    assert_eq!(target.on_delete, ForeignKeyAction::SetNull);
    assert_eq!(target.on_update, ForeignKeyAction::Cascade);
    assert_eq!(target.match_type, ForeignKeyMatch::Full);
    assert!(fk.definition.ends_with("NOT VALID"), "{}", fk.definition);
    let unique = constraint(&hostile, "unique select");
    assert!(unique.deferrable && unique.initially_deferred);
    assert!(unique.definition.contains("NULLS NOT DISTINCT"));
    assert_eq!(unique.columns, ["select"]);
    assert_eq!(
        constraint(&hostile, "order positive").comment.as_deref(),
        Some("check comment")
    );
    assert_eq!(
        constraint(&q("Mixed Case", "Parent"), "no overlap").kind,
        ConstraintKind::Exclusion
    );
    // The child's own copy of its parent's check is kept (and marked); partitions' copies of
    // the parent's primary key, check and foreign key are not.
    assert!(constraint(&q("Mixed Case", "Child"), "Parent_note_check").inherited);
    for c in &m.constraints {
        assert!(
            !c.table.name.starts_with("events ") || c.table.name == "events",
            "a partition's inherited constraint: {c:?}"
        );
    }

    // Indexes: constraint indexes belong to their constraint, partitions' copies are left out,
    // a partition's own index is kept, `ON ONLY` is gone.
    let index_names: Vec<&str> = m.indexes.iter().map(|i| i.name.name.as_str()).collect();
    let select_idx = format!("{HOSTILE}_select_idx");
    assert_eq!(
        index_names,
        [
            select_idx.as_str(),
            "lower name",
            "tags gin",
            "events 2024 own",
            "events kind",
            "mv n",
        ]
    );
    let lower = m
        .indexes
        .iter()
        .find(|i| i.name.name == "lower name")
        .unwrap();
    assert!(lower.unique);
    assert_eq!(lower.method, "btree");
    assert_eq!(lower.columns, ["lower(name)", r#""order""#]);
    assert_eq!(
        lower.predicate.as_deref(),
        Some(r#"("select" IS NOT NULL)"#)
    );
    assert_eq!(lower.comment.as_deref(), Some("index comment"));
    let kind = m
        .indexes
        .iter()
        .find(|i| i.name.name == "events kind")
        .unwrap();
    assert_eq!(kind.include, ["payload"]);
    assert!(!kind.definition.contains("ON ONLY"), "{}", kind.definition);

    // Partitions.
    let events = m.table(&q("café", "events")).unwrap();
    assert_eq!(events.partition_key.as_deref(), Some("RANGE (at)"));
    let p2024 = m.table(&q("café", "events 2024")).unwrap();
    let of = p2024.partition_of.as_ref().unwrap();
    assert_eq!(of.parent, q("café", "events"));
    assert_eq!(of.bound, "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')");
    assert!(p2024.columns.iter().all(|c| !c.inherited));
    let child = m.table(&q("Mixed Case", "Child")).unwrap();
    assert_eq!(child.inherits, [q("Mixed Case", "Parent")]);
    assert!(child
        .columns
        .iter()
        .filter(|c| c.name != "extra")
        .all(|c| c.inherited));
    assert!(m.table(&q("café", "scratch")).unwrap().unlogged);

    // Sequences: identity sequences are part of their column; serial ones are owned.
    let names: Vec<&str> = m.sequences.iter().map(|s| s.name.name.as_str()).collect();
    assert_eq!(names, ["order seq", "scratch_k_seq"]);
    let seq = &m.sequences[0];
    assert_eq!(
        (
            seq.options.start,
            seq.options.increment,
            seq.options.min_value
        ),
        (100, 5, 10)
    );
    assert!(seq.options.cycle);
    assert_eq!(
        seq.owned_by,
        Some(ColumnRef {
            table: hostile.clone(),
            column: "order".into()
        })
    );
    assert!(m.sequences[1].unlogged, "a serial of an unlogged table");

    // Types, functions.
    assert_eq!(m.enums[0].labels, ["sad", "ok", r#"it's "fine""#, "café"]);
    let domain = &m
        .domains
        .iter()
        .find(|d| d.name.name == "positive")
        .unwrap();
    assert!(domain.not_null);
    assert_eq!(domain.default.as_deref(), Some("1"));
    let checks: Vec<(&str, bool)> = domain
        .checks
        .iter()
        .map(|c| (c.name.as_str(), c.validated))
        .collect();
    assert_eq!(checks, [("not huge", false), ("positive check", true)]);
    let doubles: Vec<&str> = m
        .functions
        .iter()
        .filter(|f| f.name.name == "double")
        .map(|f| f.arguments.as_str())
        .collect();
    assert_eq!(doubles, ["integer", "numeric"]);
    let procedure = m.functions.iter().find(|f| f.name.name == "Do It").unwrap();
    assert_eq!(procedure.kind, FunctionKind::Procedure);
    assert_eq!(procedure.returns, None);
    assert_eq!(procedure.arguments, "integer, integer");
    assert_eq!(procedure.signature, "IN n integer, INOUT total integer");
    let range = &m.range_types[0];
    assert_eq!(range.subtype, "time without time zone");
    assert_eq!(range.subtype_diff.as_deref(), Some(r#""café"."time diff""#));
    assert_eq!(range.multirange, Some(q("café", "time ranges")));
    let scratch = m.table(&q("café", "scratch")).unwrap();
    assert!(scratch.depends_on.contains(&ObjectRef::new(
        ObjectKind::RangeType,
        q("café", "time range")
    )));
    assert!(!constraint(&q("café", "scratch"), "k small").validated);
    let rows = m
        .functions
        .iter()
        .find(|f| f.name.name == "rows of v1")
        .unwrap();
    assert!(rows
        .depends_on
        .contains(&ObjectRef::new(ObjectKind::View, q("Mixed Case", "V1"))));
    let v0 = m
        .views
        .iter()
        .find(|v| v.name.name == "A v0 needs V1")
        .unwrap();
    assert_eq!(v0.options, ["check_option=local"]);
    assert_eq!(
        v0.depends_on,
        [ObjectRef::new(ObjectKind::View, q("Mixed Case", "V1"))]
    );

    // Triggers and policies.
    let trigger = |name: &str| m.triggers.iter().find(|t| t.name == name).unwrap();
    assert_eq!(trigger("touch it").enabled, TriggerEnabled::Disabled);
    assert_eq!(trigger("deferred touch").enabled, TriggerEnabled::Always);
    assert!(trigger("deferred touch").constraint);
    assert_eq!(
        m.triggers.len(),
        3,
        "partitions' copies of `events log` are left out"
    );
    let own = m.policies.iter().find(|p| p.name == "own rows").unwrap();
    assert!(!own.permissive);
    assert_eq!(own.command, "UPDATE");
    assert_eq!(own.using.as_deref(), Some(r#"("order" > 0)"#));
    assert_ne!(own.roles, ["public"]);
    let read = m.policies.iter().find(|p| p.name == "read").unwrap();
    assert_eq!(read.roles, ["public"]);

    // The table the hostile name would drop if it were spliced in raw is still there after a
    // reload (checked by the round trip), and every name in the SQL is quoted.
    let sql = to_sql(&m);
    assert!(sql.contains(r#"CREATE TABLE "a""b"."a""; DROP TABLE x; --" ("#));
    assert!(!sql.contains("DROP TABLE x; --\n"));
}

#[test]
fn extension_objects_and_strata_tables_are_left_out() {
    let db = TempPg::new();
    load(
        &db,
        "CREATE EXTENSION citext; CREATE EXTENSION pg_trgm; CREATE SCHEMA app; \
         CREATE TABLE app.users (id serial PRIMARY KEY, email citext NOT NULL); \
         CREATE INDEX users_email_trgm ON app.users USING gin ((email::text) gin_trgm_ops);",
    );
    let default_tables = StateTables::default();
    let custom = StateTables::new("app.my_version", "app.my_history");
    load(
        &db,
        &create_tables_sql(strata_core::Dialect::Postgres, &default_tables),
    );
    load(
        &db,
        &create_tables_sql(strata_core::Dialect::Postgres, &custom),
    );

    let opts = IntrospectOptions {
        exclude_tables: vec![
            QualifiedName::new(None, "strata_version"),
            QualifiedName::new(None, "strata_history"),
            QualifiedName::parse("app.my_version"),
            QualifiedName::parse("app.my_history"),
        ],
        ..IntrospectOptions::default()
    };
    let m = model(&db, &opts);
    let extensions: Vec<&str> = m.extensions.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(extensions, ["citext", "pg_trgm"]);
    assert!(m.functions.is_empty(), "{:?}", m.functions);
    assert!(m.aggregates.is_empty());
    assert!(m.domains.is_empty() && m.composite_types.is_empty());
    let tables: Vec<String> = m.tables.iter().map(|t| t.name.to_string()).collect();
    assert_eq!(tables, [r#""app"."users""#]);
    assert_eq!(m.sequences.len(), 1, "{:?}", m.sequences);
    assert_eq!(m.constraints.len(), 1, "{:?}", m.constraints);
    assert_eq!(m.indexes.len(), 1, "{:?}", m.indexes);
    assert_eq!(
        m.table(&q("app", "users")).unwrap().columns[1].data_type,
        "public.citext"
    );
    assert_reloads_equal(&m, &opts);

    // Without the exclusions, strata's tables are ordinary tables.
    let all = model(
        &db,
        &IntrospectOptions {
            exclude_tables: Vec::new(),
            ..IntrospectOptions::default()
        },
    );
    assert_eq!(all.tables.len(), 5);
}

#[test]
fn an_empty_database_is_just_public() {
    let db = TempPg::new();
    let m = model(&db, &IntrospectOptions::default());
    assert_eq!(m.schemas.len(), 1);
    assert_eq!(m.schemas[0].name, "public");
    assert!(m.server_version >= 120_000);
    assert_eq!(
        m.counts(),
        [("schemas", 1)],
        "nothing else in an empty database"
    );
    assert_reloads_equal(&m, &IntrospectOptions::default());
}
