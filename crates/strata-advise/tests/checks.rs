//! The checks over snapshots built by hand (the CLI tests run them on real databases).

use strata_advise::*;

fn column(name: &str, base: &str) -> Column {
    Column {
        name: name.into(),
        type_name: if base == "int8" {
            "bigint".into()
        } else {
            base.into()
        },
        base: base.into(),
        not_null: true,
        ..Column::default()
    }
}

fn table(name: &str, columns: Vec<Column>, rows: Vec<Vec<Option<String>>>) -> Table {
    Table {
        schema: "public".into(),
        name: name.into(),
        rows: rows.len() as i64,
        columns,
        sample: Some(Sample {
            rows,
            complete: true,
        }),
        constraints: vec![Constraint {
            name: format!("{name}_pkey"),
            kind: ConstraintKind::PrimaryKey,
            columns: vec!["id".into()],
            references: None,
            ref_columns: vec![],
            definition: "PRIMARY KEY (id)".into(),
        }],
        ..Table::default()
    }
}

fn run(tables: Vec<Table>) -> Vec<Finding> {
    let snapshot = Snapshot {
        tables,
        stats_age_secs: Some(0),
        ..Snapshot::default()
    };
    advise(
        &snapshot,
        &Options {
            min_rows: 100,
            min_stats_age_secs: 0,
        },
    )
}

#[test]
fn every_check_has_a_docs_page() {
    for check in CHECKS {
        let page = format!(
            "{}/../../docs/advise/{}.md",
            env!("CARGO_MANIFEST_DIR"),
            check.id
        );
        let text = std::fs::read_to_string(&page).unwrap_or_else(|_| panic!("{page} is missing"));
        assert!(text.starts_with(&format!("# `{}`", check.id)), "{page}");
    }
}

#[test]
fn a_dependency_is_found_and_a_coincidence_is_not() {
    let rows = (0..400)
        .map(|i: i32| {
            let zip = i % 40;
            vec![
                Some(i.to_string()),
                Some(format!("{zip:05}")),
                Some(format!("city {zip}")),
                // Varies within each zip: not determined.
                Some(format!("note {}", i % 7)),
            ]
        })
        .collect();
    let t = table(
        "addresses",
        vec![
            column("id", "int8"),
            column("zip", "text"),
            column("city", "text"),
            column("note", "text"),
        ],
        rows,
    );
    let findings = run(vec![t]);
    let fd: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.rule == "functional-dependency")
        .collect();
    assert_eq!(fd.len(), 1, "{findings:#?}");
    // zip → city and city → zip are equivalent: reported once, from the first column.
    assert_eq!(fd[0].object, "public.addresses(zip → city)");
    assert!(
        fd[0]
            .evidence
            .contains("400 of 400 rows agree (100.0%; 40 distinct zip values"),
        "{}",
        fd[0].evidence
    );
    let fix = fd[0].fix.last().expect("a decomposition");
    assert!(
        fix.up.contains("CREATE TABLE \"public\".\"addresses_zip\""),
        "{}",
        fix.up
    );
}

#[test]
fn fewer_rows_than_min_rows_are_not_judged() {
    let rows = (0..50)
        .map(|i: i32| {
            vec![
                Some(i.to_string()),
                Some((i % 5).to_string()),
                Some(format!("c{}", i % 5)),
            ]
        })
        .collect();
    let t = table(
        "small",
        vec![
            column("id", "int8"),
            column("a", "text"),
            column("b", "text"),
        ],
        rows,
    );
    let findings = run(vec![t]);
    assert!(
        !findings
            .iter()
            .any(|f| f.rule == "functional-dependency" || f.rule == "missing-check"),
        "{findings:#?}"
    );
}

#[test]
fn lists_and_free_text() {
    let tags = ["red,blue", "red", "blue,green,red", "green", "red,green"];
    let prose = [
        "Smith, John",
        "Doe, Jane",
        "Roe, Richard",
        "Poe, Edgar",
        "Li, Wei",
    ];
    let rows = (0..200)
        .map(|i: usize| {
            vec![
                Some(i.to_string()),
                Some(tags[i % 5].into()),
                Some(format!("{} {i}", prose[i % 5])),
            ]
        })
        .collect();
    let t = table(
        "items",
        vec![
            column("id", "int8"),
            column("tags", "text"),
            column("owner", "text"),
        ],
        rows,
    );
    let findings = run(vec![t]);
    let lists: Vec<&str> = findings
        .iter()
        .filter(|f| f.rule == "delimited-list")
        .map(|f| f.object.as_str())
        .collect();
    assert_eq!(lists, ["public.items.tags"], "{findings:#?}");
}

#[test]
fn repeating_groups_need_three_columns_of_one_type() {
    let cols = vec![
        column("id", "int8"),
        column("phone1", "text"),
        column("phone2", "text"),
        column("phone3", "text"),
        column("address_line1", "text"),
        column("address_line2", "text"),
    ];
    let findings = run(vec![table("people", cols, vec![])]);
    let groups: Vec<&str> = findings
        .iter()
        .filter(|f| f.rule == "repeating-group")
        .map(|f| f.object.as_str())
        .collect();
    assert_eq!(groups, ["public.people(phone1, phone2, phone3)"]);
}

#[test]
fn a_sequence_is_judged_against_its_column_type() {
    let seq = |last: i64, column_base: &str| Sequence {
        schema: "public".into(),
        name: "t_id_seq".into(),
        type_name: "int8".into(),
        last_value: Some(last),
        max_value: i64::MAX,
        increment: 1,
        owner: Some(SequenceOwner {
            schema: "public".into(),
            table: "t".into(),
            column: "id".into(),
            column_base: column_base.into(),
            identity: true,
        }),
    };
    let judge = |s: Sequence| {
        let snapshot = Snapshot {
            sequences: vec![s],
            stats_age_secs: Some(0),
            ..Snapshot::default()
        };
        advise(&snapshot, &Options::default())
            .into_iter()
            .filter(|f| f.rule == "sequence-near-overflow")
            .map(|f| f.severity)
            .collect::<Vec<_>>()
    };
    assert_eq!(judge(seq(1_932_735_283, "int4")), [Severity::Error]);
    assert_eq!(judge(seq(1_200_000_000, "int4")), [Severity::Warning]);
    assert_eq!(judge(seq(1_932_735_283, "int8")), []);
}

#[test]
fn random_uuid_keys_on_very_large_tables() {
    let rows: Vec<Vec<Option<String>>> = (0..50)
        .map(|i: u32| vec![Some(format!("{i:08x}-1111-4111-8111-111111111111"))])
        .collect();
    let mut t = table("events", vec![column("id", "uuid")], rows);
    t.rows = 50_000_000;
    let findings = run(vec![t.clone()]);
    let f: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.rule == "uuid-primary-key")
        .collect();
    assert_eq!(f.len(), 1, "{findings:#?}");
    assert!(
        f[0].evidence
            .contains("50 of 50 sampled keys are version 4"),
        "{}",
        f[0].evidence
    );
    // Time-ordered keys (v7) and small tables are fine.
    let mut v7 = t.clone();
    for row in &mut v7.sample.as_mut().unwrap().rows {
        row[0] = row[0].as_ref().map(|v| v.replacen("-4111-", "-7111-", 1));
    }
    t.rows = 1_000;
    for quiet in [v7, t] {
        assert!(!run(vec![quiet])
            .iter()
            .any(|f| f.rule == "uuid-primary-key"));
    }
}

#[test]
fn composite_index_order_uses_the_statistics() {
    let mut status = column("status", "text");
    status.n_distinct = Some(3.0);
    let mut customer = column("customer_id", "int8");
    customer.n_distinct = Some(-0.2);
    let mut t = table(
        "orders",
        vec![column("id", "int8"), status, customer],
        vec![],
    );
    t.rows = 100_000;
    t.indexes.push(Index {
        name: "orders_status_customer_idx".into(),
        columns: vec![Some("status".into()), Some("customer_id".into())],
        definition: "CREATE INDEX orders_status_customer_idx ON public.orders USING btree (status, customer_id)".into(),
        method: "btree".into(),
        valid: true,
        ..Index::default()
    });
    let findings = run(vec![t.clone()]);
    let f: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.rule == "composite-index-order")
        .collect();
    assert_eq!(f.len(), 1, "{findings:#?}");
    assert!(
        f[0].evidence
            .contains("status (about 3 distinct values) before customer_id (about 20000)"),
        "{}",
        f[0].evidence
    );
    // Another index leading with customer_id serves those queries.
    t.indexes.push(Index {
        name: "orders_customer_idx".into(),
        columns: vec![Some("customer_id".into())],
        method: "btree".into(),
        valid: true,
        ..Index::default()
    });
    assert!(!run(vec![t])
        .iter()
        .any(|f| f.rule == "composite-index-order"));
}

#[test]
fn jsonb_keys_that_are_data() {
    let rows = (0..200)
        .map(|i: usize| {
            vec![
                Some(i.to_string()),
                Some(format!("{{\"user-{i}\": 1, \"user-{}\": 2}}", i + 1000)),
            ]
        })
        .collect();
    let t = table(
        "prefs",
        vec![column("id", "int8"), column("by_user", "jsonb")],
        rows,
    );
    let findings = run(vec![t]);
    let f: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.rule == "jsonb-keys-as-data")
        .collect();
    assert_eq!(f.len(), 1, "{findings:#?}");
    assert!(
        f[0].evidence
            .starts_with("400 distinct keys in 200 sampled documents"),
        "{}",
        f[0].evidence
    );
    assert!(!findings.iter().any(|f| f.rule == "jsonb-stable-keys"));
}

#[test]
fn jsonb_searched_without_gin_needs_the_queries() {
    let t = table(
        "docs",
        vec![column("id", "int8"), column("body", "jsonb")],
        vec![],
    );
    let mut snapshot = Snapshot {
        tables: vec![t],
        stats_age_secs: Some(0),
        ..Snapshot::default()
    };
    let rules = |s: &Snapshot| {
        advise(s, &Options::default())
            .into_iter()
            .map(|f| f.rule)
            .collect::<Vec<_>>()
    };
    assert!(
        !rules(&snapshot).contains(&"jsonb-without-gin"),
        "no pg_stat_statements: nothing to go by"
    );
    snapshot.jsonb_queries = Some(vec!["SELECT * FROM docs WHERE body @> $1".into()]);
    assert!(rules(&snapshot).contains(&"jsonb-without-gin"));
    snapshot.tables[0].indexes.push(Index {
        name: "docs_body_gin".into(),
        columns: vec![Some("body".into())],
        definition: "CREATE INDEX docs_body_gin ON public.docs USING gin (body jsonb_path_ops)"
            .into(),
        method: "gin".into(),
        valid: true,
        ..Index::default()
    });
    assert!(!rules(&snapshot).contains(&"jsonb-without-gin"));
}

#[test]
fn fit_checks_are_info() {
    let mut queue = table(
        "jobs",
        vec![
            column("id", "int8"),
            column("status", "text"),
            column("run_at", "timestamptz"),
        ],
        vec![],
    );
    queue.activity.updates = 500;
    let kv = table(
        "settings",
        vec![
            column("id", "int8"),
            column("key", "text"),
            column("value", "jsonb"),
        ],
        vec![],
    );
    let findings = run(vec![queue.clone(), kv]);
    let fit: Vec<(&str, Severity)> = findings
        .iter()
        .filter(|f| f.rule == "queue-table" || f.rule == "key-value-table")
        .map(|f| (f.rule, f.severity))
        .collect();
    assert_eq!(
        fit,
        [
            ("queue-table", Severity::Info),
            ("key-value-table", Severity::Info)
        ],
        "{findings:#?}"
    );
    let q = findings.iter().find(|f| f.rule == "queue-table").unwrap();
    assert!(
        q.help.contains("FOR UPDATE SKIP LOCKED")
            && q.help.contains("WHERE \"status\" = 'pending'"),
        "{}",
        q.help
    );
    // With a partial index on the pending rows, the queue is already well served.
    queue.indexes.push(Index {
        name: "jobs_pending".into(),
        columns: vec![Some("run_at".into())],
        method: "btree".into(),
        valid: true,
        predicate: Some("(status = 'pending'::text)".into()),
        ..Index::default()
    });
    assert!(!run(vec![queue]).iter().any(|f| f.rule == "queue-table"));
}

#[test]
fn large_documents_and_growing_arrays() {
    let rows = (0..40)
        .map(|i: usize| {
            let items: Vec<String> = (0..if i == 39 { 500 } else { 3 })
                .map(|n| n.to_string())
                .collect();
            let doc = format!(
                "{{\"text\": \"{}\", \"items\": [{}]}}",
                "x".repeat(3000),
                items.join(",")
            );
            vec![Some(i.to_string()), Some(doc)]
        })
        .collect();
    let t = table(
        "pages",
        vec![column("id", "int8"), column("doc", "jsonb")],
        rows,
    );
    let findings = run(vec![t]);
    let large: Vec<&str> = findings
        .iter()
        .filter(|f| f.rule == "jsonb-large-documents")
        .map(|f| f.evidence.as_str())
        .collect();
    assert_eq!(large.len(), 2, "{findings:#?}");
    assert!(
        large.iter().any(|e| e.starts_with("median document 3 kB")),
        "{large:?}"
    );
    assert!(
        large
            .iter()
            .any(|e| e.contains("the array 'items' has a median of 3 elements and up to 500")),
        "{large:?}"
    );
}
