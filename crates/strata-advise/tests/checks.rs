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
