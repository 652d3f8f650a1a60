use super::*;

fn parse(text: &str) -> Result<MigrationFile, Vec<Diagnostic>> {
    parse_migration(
        "migrations/20261125143000_add_users.sql",
        "20261125143000_add_users.sql",
        text,
    )
}

fn errors(text: &str) -> Vec<(usize, String)> {
    match parse(text) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(diags) => {
            for d in &diags {
                assert_eq!(d.file, "migrations/20261125143000_add_users.sql");
                assert!(d.hint.is_some(), "no hint: {d}");
            }
            diags.into_iter().map(|d| (d.line, d.message)).collect()
        }
    }
}

fn one_error(text: &str) -> (usize, String) {
    let errors = errors(text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.into_iter().next().unwrap()
}

#[test]
fn a_file_with_every_key() {
    let text = "\
-- strata:message add users and emails
-- strata:revises 20261120100000
-- strata:labels accounts core-v2
-- strata:depends-on 20261101000000 abc123
-- strata:transaction on
-- strata:destructive-downgrade drops the users table
-- An ordinary comment.

-- strata:up
CREATE TABLE users (id bigint PRIMARY KEY);
-- strata:lint-ignore prefer-text because reasons
CREATE TABLE emails (
  address text
);

-- strata:down
DROP TABLE emails;
DROP TABLE users;
";
    let m = parse(text).unwrap();
    assert_eq!(m.id, "20261125143000");
    assert_eq!(m.slug, "add_users");
    assert_eq!(m.path, "migrations/20261125143000_add_users.sql");
    assert_eq!(m.message.as_deref(), Some("add users and emails"));
    assert_eq!(m.revises, ["20261120100000"]);
    assert_eq!(m.labels, ["accounts", "core-v2"]);
    assert_eq!(m.depends_on, ["20261101000000", "abc123"]);
    assert_eq!(m.transaction, Some(true));
    assert_eq!(
        m.destructive_downgrade.as_deref(),
        Some("drops the users table")
    );
    assert_eq!(m.irreversible, None);
    assert_eq!(m.up.line, 10);
    assert!(m.up.sql.starts_with("CREATE TABLE users"));
    assert!(m.up.sql.contains("-- strata:lint-ignore prefer-text"));
    assert_eq!(m.up.statements.len(), 2);
    assert_eq!(
        (m.up.statements[1].line, m.up.statements[1].column),
        (12, 1)
    );
    let down = m.down.as_ref().unwrap();
    assert_eq!(down.line, 17);
    assert_eq!(
        down.statements.iter().map(|s| s.line).collect::<Vec<_>>(),
        [17, 18]
    );
    assert_eq!(m.checksum, Checksum::of_text(text));
    assert_eq!(m.header_lines["revises"], 2);
    assert_eq!(m.header_lines["depends-on"], 4);
    assert_eq!(m.header_lines["up"], 9);
    assert_eq!(m.header_lines["down"], 16);
    assert_eq!(m.message_or_slug(), "add users and emails");
    assert_eq!(m.non_transactional(false), None);
}

#[test]
fn a_root_without_header() {
    let m =
        parse("-- strata:up\nCREATE TABLE t (a int);\n-- strata:down\nDROP TABLE t;\n").unwrap();
    assert!(m.revises.is_empty());
    assert_eq!(m.message, None);
    assert_eq!(m.message_or_slug(), "add users");
    assert_eq!(m.up.line, 2);
    assert_eq!(m.up.sql, "CREATE TABLE t (a int);\n");
    assert_eq!(m.down.unwrap().line, 4);
}

#[test]
fn a_merge_with_two_parents_and_empty_sections() {
    let m =
        parse("-- strata:message merge\n-- strata:revises a1 b2\n-- strata:up\n-- strata:down\n")
            .unwrap();
    assert_eq!(m.revises, ["a1", "b2"]);
    assert!(m.up.is_empty());
    assert!(m.down.as_ref().unwrap().is_empty());
    assert_eq!(m.down.unwrap().line, 5);
}

#[test]
fn an_irreversible_migration() {
    let m =
        parse("-- strata:irreversible drops data for good\n-- strata:up\nDROP TABLE t;\n").unwrap();
    assert_eq!(m.irreversible.as_deref(), Some("drops data for good"));
    assert_eq!(m.down, None);
    let m = parse("-- strata:irreversible no way back\n-- strata:up\nDROP TABLE t;\n-- strata:down\n-- nothing\n").unwrap();
    assert_eq!(m.down, None);
}

#[test]
fn irreversible_with_a_down_is_an_error() {
    let (line, message) =
        one_error("-- strata:irreversible no way back\n-- strata:up\nDROP TABLE t;\n-- strata:down\nSELECT 1;\n");
    assert_eq!(line, 4);
    assert!(message.contains("irreversible"), "{message}");
}

#[test]
fn a_crlf_file() {
    let text = "-- strata:message crlf  \r\n-- strata:revises a1 \r\n\r\n-- strata:up \r\nCREATE TABLE t (a int);\r\n\r\n-- strata:down\r\nDROP TABLE t;\r\n";
    let m = parse(text).unwrap();
    assert_eq!(m.message.as_deref(), Some("crlf"));
    assert_eq!(m.revises, ["a1"]);
    assert_eq!(m.up.line, 5);
    assert_eq!(m.up.statements[0].sql, "CREATE TABLE t (a int);");
    assert_eq!(m.down.as_ref().unwrap().statements[0].line, 8);
    assert_eq!(m.checksum, Checksum::of_text(&text.replace("\r\n", "\n")));
}

#[test]
fn a_byte_order_mark_is_ignored() {
    let m =
        parse("\u{feff}-- strata:message bom\n-- strata:up\nSELECT 1;\n-- strata:down\n").unwrap();
    assert_eq!(m.message.as_deref(), Some("bom"));
}

#[test]
fn file_names() {
    assert_eq!(
        parse_file_name("20261125143000_create_users.sql").unwrap(),
        ("20261125143000".into(), "create_users".into())
    );
    assert_eq!(
        parse_file_name("abc.sql").unwrap(),
        ("abc".into(), "".into())
    );
    assert_eq!(
        parse_file_name("a1_x_y.sql").unwrap(),
        ("a1".into(), "x_y".into())
    );
    assert_eq!(
        parse_file_name("a1_.sql").unwrap(),
        ("a1".into(), "".into())
    );
    for bad in [
        "_x.sql",
        "a-b_x.sql",
        ".sql",
        "a1_x.SQL",
        "a1_x.txt",
        "été_x.sql",
    ] {
        assert!(parse_file_name(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_bad_file_name_is_reported_at_line_zero_with_the_other_errors() {
    let diags = parse_migration(
        "m/x-y.sql",
        "x-y.sql",
        "-- strata:revize a\n-- strata:up\n-- strata:down\n",
    )
    .unwrap_err();
    assert_eq!(diags.iter().map(|d| d.line).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(diags[0].file, "m/x-y.sql");
    assert!(diags[0]
        .hint
        .as_deref()
        .unwrap()
        .contains("<id>_<slug>.sql"));
}

#[test]
fn unknown_header_key_with_suggestion() {
    let diags = parse("-- strata:message m\n-- strata:revise a1\n-- strata:up\n-- strata:down\n")
        .unwrap_err();
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].line, 2);
    assert!(
        diags[0].message.contains("`-- strata:revise`"),
        "{}",
        diags[0].message
    );
    let hint = diags[0].hint.as_deref().unwrap();
    assert!(hint.contains("did you mean `-- strata:revises`?"), "{hint}");
    assert!(hint.contains("depends-on"), "{hint}");
    let diags = parse("-- strata:parents a1\n-- strata:up\n-- strata:down\n").unwrap_err();
    assert!(diags[0]
        .hint
        .as_deref()
        .unwrap()
        .contains("`-- strata:revises`"));
}

#[test]
fn duplicate_key_is_reported_at_the_second_line() {
    let (line, message) = one_error("-- strata:revises a1\n-- strata:message m\n-- strata:revises b2\n-- strata:up\n-- strata:down\n");
    assert_eq!(line, 3);
    assert!(message.contains("line 1"), "{message}");
}

#[test]
fn bad_ids_and_labels() {
    assert_eq!(
        one_error("-- strata:revises a1 b-2\n-- strata:up\n-- strata:down\n").0,
        1
    );
    assert_eq!(
        one_error("\n-- strata:depends-on a1,b2\n-- strata:up\n-- strata:down\n").0,
        2
    );
    assert_eq!(
        one_error("-- strata:labels ok bad.label\n-- strata:up\n-- strata:down\n").0,
        1
    );
    assert_eq!(
        one_error("-- strata:revises a1 a1\n-- strata:up\n-- strata:down\n").0,
        1
    );
    let (line, message) =
        one_error("-- strata:revises 20261125143000\n-- strata:up\n-- strata:down\n");
    assert_eq!(line, 1);
    assert!(message.contains("its own id"), "{message}");
}

#[test]
fn bad_values() {
    assert_eq!(
        one_error("-- strata:transaction maybe\n-- strata:up\n-- strata:down\n").0,
        1
    );
    assert_eq!(
        one_error("-- strata:message\n-- strata:up\n-- strata:down\n").0,
        1
    );
    assert_eq!(
        one_error("\n\n-- strata:irreversible   \n-- strata:up\n").0,
        3
    );
    assert_eq!(
        one_error("-- strata:destructive-downgrade\n-- strata:up\n-- strata:down\n").0,
        1
    );
    assert_eq!(one_error("-- strata:up now\n-- strata:down\n").0, 1);
}

#[test]
fn an_empty_list_key_is_an_error_not_a_root() {
    let (line, message) =
        one_error("-- strata:message m\n-- strata:revises   \n-- strata:up\n-- strata:down\n");
    assert_eq!(line, 2);
    assert!(
        message.contains("`-- strata:revises` is empty"),
        "{message}"
    );
    for key in ["depends-on", "labels"] {
        let (line, message) =
            one_error(&format!("-- strata:{key}\n-- strata:up\n-- strata:down\n"));
        assert_eq!(line, 1);
        assert!(message.contains("is empty"), "{message}");
    }
}

#[test]
fn sql_before_the_up_marker() {
    let (line, message) = one_error(
        "-- strata:message m\n\n-- fine\nCREATE TABLE t (a int);\n-- strata:up\n-- strata:down\n",
    );
    assert_eq!(line, 4);
    assert!(
        message.contains("before the `-- strata:up` marker"),
        "{message}"
    );
    // Block comments are comments.
    assert!(parse("/* licence\n   text */\n-- strata:up\n-- strata:down\n").is_ok());
}

#[test]
fn missing_up_marker() {
    let (line, message) = one_error("-- strata:message m\n");
    assert_eq!(line, 1);
    assert!(message.contains("-- strata:up"));
    assert_eq!(
        one_error("-- strata:message m\n\nCREATE TABLE t (a int);\n").0,
        3
    );
    assert_eq!(one_error("").0, 1);
}

#[test]
fn missing_down_section() {
    let diags = parse("-- strata:message m\n-- strata:up\nCREATE TABLE t (a int);\n").unwrap_err();
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].line, 2);
    let hint = diags[0].hint.as_deref().unwrap();
    assert!(
        hint.contains("-- strata:down") && hint.contains("-- strata:irreversible"),
        "{hint}"
    );
}

#[test]
fn misplaced_markers() {
    assert_eq!(
        one_error("-- strata:down\nDROP TABLE t;\n-- strata:up\nCREATE TABLE t (a int);\n").0,
        1
    );
    let (line, message) = one_error("-- strata:up\nSELECT 1;\n-- strata:up\n-- strata:down\n");
    assert_eq!(line, 3);
    assert!(message.contains("line 1"), "{message}");
    assert_eq!(
        one_error("-- strata:up\n-- strata:down\n-- strata:down\n").0,
        3
    );
    assert_eq!(
        one_error("-- strata:up\n-- strata:down\nSELECT 1;\n-- strata:up\n").0,
        4
    );
}

#[test]
fn directives_inside_sections() {
    let text = "-- strata:up\n-- strata:lint-ignore-file prefer-text legacy\nSELECT 1;\n-- strata:down\n-- strata:lint-ignore drop-table ok\nSELECT 2;\n";
    assert!(parse(text).is_ok());
    let diags =
        parse("-- strata:up\n-- strata:lint-ignor x y\n-- strata:revises a1\n-- strata:down\n")
            .unwrap_err();
    assert_eq!(diags.iter().map(|d| d.line).collect::<Vec<_>>(), [2, 3]);
    assert!(diags[0]
        .message
        .contains("unknown directive `-- strata:lint-ignor`"));
    assert!(diags[0]
        .hint
        .as_deref()
        .unwrap()
        .contains("did you mean `-- strata:lint-ignore`?"));
    assert!(diags[1].message.contains("after the `-- strata:up` marker"));
}

#[test]
fn near_miss_directives_are_reported() {
    assert_eq!(one_error("-- STRATA:UP\n-- strata:down\n").0, 1);
    assert_eq!(one_error("-- strata:up\n--strata:down\n").0, 2);
    // `-- strata:` followed by no key is a directive with an unknown key...
    assert_eq!(
        one_error("-- strata: the tool\n-- strata:up\n-- strata:down\n").0,
        1
    );
    // ...but other comments that mention strata are fine.
    assert!(parse("-- Strata:Rocks\n-- about strata:up\n-- strata:up\n-- strata:down\n").is_ok());
}

#[test]
fn all_errors_of_a_file_at_once() {
    let text =
        "-- strata:revise a1\n-- strata:labels a,b\nSELECT 1;\n-- strata:up\n-- strata:foo\n";
    let lines: Vec<usize> = errors(text).into_iter().map(|(line, _)| line).collect();
    assert_eq!(lines, [1, 2, 3, 4, 5]);
}

#[test]
fn non_transactional_migrations() {
    let m = parse("-- strata:up\nCREATE TABLE t (a int);\n\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- strata:down\nDROP INDEX CONCURRENTLY i;\n").unwrap();
    assert_eq!(
        m.non_transactional(false).as_deref(),
        Some("CREATE INDEX CONCURRENTLY at line 4")
    );
    assert_eq!(
        m.non_transactional(true).as_deref(),
        Some("DROP INDEX CONCURRENTLY at line 6")
    );
    let m =
        parse("-- strata:transaction off\n-- strata:up\nSELECT 1;\n-- strata:down\nSELECT 2;\n")
            .unwrap();
    assert_eq!(m.transaction, Some(false));
    assert_eq!(
        m.non_transactional(false).as_deref(),
        Some("-- strata:transaction off at line 1")
    );
    assert_eq!(
        m.non_transactional(true).as_deref(),
        Some("-- strata:transaction off at line 1")
    );
    let m = parse("-- strata:irreversible x\n-- strata:up\nSELECT 1;\n").unwrap();
    assert_eq!(m.non_transactional(true), None);
}

#[test]
fn transaction_on_with_a_concurrent_index_is_an_error() {
    let diags = parse("-- strata:transaction on\n-- strata:up\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- strata:down\nDROP INDEX i;\n").unwrap_err();
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].line, 3);
    assert!(diags[0]
        .message
        .contains("CREATE INDEX CONCURRENTLY cannot run inside a transaction"));
    assert!(diags[0]
        .hint
        .as_deref()
        .unwrap()
        .contains("-- strata:transaction off"));
}

#[test]
fn render_round_trips() {
    let m = NewMigration {
        id: "20261125143000".into(),
        slug: "add_users".into(),
        message: "add users".into(),
        revises: vec!["a1".into(), "b2".into()],
        labels: vec!["core".into()],
        depends_on: vec!["c3".into()],
        irreversible: None,
        destructive_downgrade: None,
        impact: Some(strata_core::Impact::Minor),
        up: "CREATE TABLE users (id bigint PRIMARY KEY);\n".into(),
        down: "DROP TABLE users;".into(),
    };
    let text = render_migration(&m);
    assert_eq!(
        text,
        "-- strata:message add users\n-- strata:revises a1 b2\n-- strata:labels core\n-- strata:depends-on c3\n-- strata:impact minor\n\n-- strata:up\nCREATE TABLE users (id bigint PRIMARY KEY);\n\n-- strata:down\nDROP TABLE users;\n"
    );
    let parsed = parse_migration("x", "20261125143000_add_users.sql", &text).unwrap();
    assert_eq!(parsed.id, m.id);
    assert_eq!(parsed.slug, m.slug);
    assert_eq!(parsed.message.as_deref(), Some("add users"));
    assert_eq!(parsed.revises, m.revises);
    assert_eq!(parsed.labels, m.labels);
    assert_eq!(parsed.depends_on, m.depends_on);
    assert_eq!(parsed.impact, m.impact);
    assert_eq!(parsed.up.sql.trim(), m.up.trim());
    assert_eq!(parsed.down.unwrap().sql.trim(), m.down.trim());
}

#[test]
fn render_a_bare_root_and_an_empty_merge() {
    let root = NewMigration {
        id: "a1".into(),
        up: "SELECT 1;".into(),
        down: "SELECT 2;".into(),
        ..Default::default()
    };
    let text = render_migration(&root);
    assert_eq!(
        text,
        "-- strata:up\nSELECT 1;\n\n-- strata:down\nSELECT 2;\n"
    );
    let parsed = parse_migration("x", "a1.sql", &text).unwrap();
    assert!(parsed.revises.is_empty() && parsed.message.is_none());
    let irreversible = NewMigration {
        id: "i1".into(),
        irreversible: Some("labels\ncannot go".into()),
        destructive_downgrade: None,
        up: "ALTER TYPE t ADD VALUE 'x';".into(),
        down: "ignored".into(),
        ..Default::default()
    };
    let parsed = parse_migration("x", "i1.sql", &render_migration(&irreversible)).unwrap();
    assert_eq!(parsed.irreversible.as_deref(), Some("labels cannot go"));
    assert!(parsed.down.is_none());
    let destructive = NewMigration {
        id: "d1".into(),
        destructive_downgrade: Some("fails while rows use 'x'".into()),
        up: "SELECT 1;".into(),
        down: "SELECT 2;".into(),
        ..Default::default()
    };
    let parsed = parse_migration("x", "d1.sql", &render_migration(&destructive)).unwrap();
    assert_eq!(
        parsed.destructive_downgrade.as_deref(),
        Some("fails while rows use 'x'")
    );
    let merge = NewMigration {
        id: "m1".into(),
        message: "merge\nheads".into(),
        revises: vec!["a".into(), "b".into()],
        ..Default::default()
    };
    let parsed = parse_migration("x", "m1_merge.sql", &render_migration(&merge)).unwrap();
    assert_eq!(parsed.message.as_deref(), Some("merge heads"));
    assert!(parsed.up.is_empty() && parsed.down.unwrap().is_empty());
}

#[test]
fn never_panics_on_odd_files() {
    let lines = [
        "-- strata:up",
        "-- strata:down",
        "-- strata:revises a1",
        "-- strata:revises",
        "-- strata:labels x,y",
        "-- strata:transaction on",
        "-- strata:transaction off",
        "-- strata:irreversible x",
        "-- strata:",
        "-- STRATA:",
        "--strata:up",
        "-- strata:lint-ignore",
        "SELECT 1;",
        "CREATE INDEX CONCURRENTLY i ON t (a);",
        "/*",
        "*/",
        "$$",
        "'",
        "",
        "\r",
        "é日本",
        "-- strata:message é",
        "\u{feff}",
        "-- strata:foo",
    ];
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..5_000 {
        let mut text = String::new();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut s = seed;
        for _ in 0..(seed % 12) {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            text.push_str(lines[(s >> 33) as usize % lines.len()]);
            text.push_str(if s & 1 == 0 { "\n" } else { "\r\n" });
        }
        if let Ok(m) = parse_migration("p", "a1_x.sql", &text) {
            assert!(text.contains(&m.up.sql));
        }
        let _ = parse_migration("p", "é.sql", &text);
    }
}

#[test]
fn slugs() {
    assert_eq!(slugify("Add users!"), "add_users");
    assert_eq!(
        slugify("  rename  users.name -> full_name "),
        "rename_users_name_full_name"
    );
    assert_eq!(slugify("Ünïcode ok"), "unicode_ok");
    assert_eq!(slugify("café"), "cafe");
    assert_eq!(slugify("Straße"), "strasse");
    assert_eq!(slugify("Łódź Œuvre Ærø"), "lodz_oeuvre_aero");
    assert_eq!(slugify("Þór ÿ ſ Ĳssel"), "thor_y_s_ijssel");
    assert_eq!(slugify("3×4 ÷ 2"), "3_4_2");
    // Scripts beyond these blocks still separate words.
    assert_eq!(slugify("add 用户 table"), "add_table");
    assert_eq!(slugify("!!!"), "migration");
    assert_eq!(slugify(""), "migration");
    let long = slugify(&"abc ".repeat(40));
    assert!(long.len() <= 60 && !long.ends_with('_'), "{long}");
}

#[test]
fn impact_and_version_headers() {
    let text = "-- strata:message m\n-- strata:impact major\n-- strata:version 4.0.0\n\n-- strata:up\nSELECT 1;\n-- strata:down\nSELECT 2;\n";
    let f = parse_migration("m/a1_m.sql", "a1_m.sql", text).unwrap();
    assert_eq!(f.impact, Some(strata_core::Impact::Major));
    assert_eq!(f.version, Some(strata_core::SchemaVersion::new(4, 0, 0)));
    assert_eq!(f.header_lines.get("impact"), Some(&2));
    for (bad, wanted) in [
        (
            "-- strata:impact huge",
            "must be `major`, `minor` or `patch`",
        ),
        (
            "-- strata:impact Major",
            "must be `major`, `minor` or `patch`",
        ),
        (
            "-- strata:version 4.0",
            "must be a version `MAJOR.MINOR.PATCH`",
        ),
        (
            "-- strata:version v4.0.0",
            "must be a version `MAJOR.MINOR.PATCH`",
        ),
    ] {
        let text = format!("{bad}\n-- strata:up\nSELECT 1;\n-- strata:down\nSELECT 2;\n");
        let e = parse_migration("m/a1.sql", "a1.sql", &text).unwrap_err();
        assert_eq!(e[0].line, 1, "{bad}");
        assert!(e[0].message.contains(wanted), "{bad}: {}", e[0].message);
    }
}
