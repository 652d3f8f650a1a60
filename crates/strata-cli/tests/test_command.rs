//! `strata test` on deliberately broken histories, on PostgreSQL and on SQLite: each defect is
//! found and reported by name, a correct history passes, and `--format junit` is the JUnit XML
//! that CI systems read (parsed back and checked against the schema's required elements and
//! attributes).

mod common;
use common::*;

macro_rules! both_engines {
    ($name:ident) => {
        mod $name {
            #[test]
            fn postgres() {
                super::$name(super::Db::pg());
            }
            #[test]
            fn sqlite() {
                super::$name(super::Db::sqlite());
            }
        }
    };
}

/// A history with users and orders, correct in both directions.
fn correct(p: &Project) {
    p.migration(
        "a1",
        &[],
        "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL UNIQUE, state text CHECK (state IN ('new', 'old')));\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id integer NOT NULL REFERENCES users (id), customer text);",
        "DROP TABLE orders;\nDROP TABLE users;",
    );
    p.migration(
        "b2",
        &["a1"],
        "CREATE INDEX orders_customer_idx ON orders (customer);",
        "DROP INDEX orders_customer_idx;",
    );
}

/// `strata test --only stairway --json` on `db`, its exit code checked, its report.
fn stairway_json(p: &Project, db: &Db, code: i32) -> serde_json::Value {
    let out = strata(
        p.path(),
        Some(db.url()),
        &["test", "--only", "stairway", "--json"],
    );
    assert_exit(&out, code);
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// The failures of the case `name` in a check's JSON cases.
fn failures_of(cases: &[serde_json::Value], name: &str) -> Vec<String> {
    cases
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name}: {cases:?}"))["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect()
}

both_engines!(a_correct_history_passes_and_junit_is_valid);
fn a_correct_history_passes_and_junit_is_valid(db: Db) {
    let p = Project::new();
    correct(&p);
    let out = strata(p.path(), Some(db.url()), &["test"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("ok stairway: passed (2 case(s)"), "{text}");
    assert!(text.contains("ok data: passed"), "{text}");

    let out = strata(p.path(), Some(db.url()), &["test", "--format", "junit"]);
    assert_exit(&out, 0);
    let root = xml::parse(&stdout(&out));
    xml::validate_junit(&root);
    let stairway = root
        .children
        .iter()
        .find(|s| s.attr("name") == Some("stairway"))
        .expect("a stairway testsuite");
    assert_eq!(stairway.attr("tests"), Some("2"));
    assert_eq!(stairway.children[0].attr("name"), Some("a1 a1"));
    // The scratch database is left empty.
    assert!(!db.table_exists("users") && !db.table_exists("strata_version"));
}

/// Above [`correct`]: c3, whose down forgets a column; d4, irreversible, in the middle (the stair
/// goes on above it); e5, whose down drops an index its up did not create.
fn three_broken_steps(p: &Project) {
    p.migration(
        "c3",
        &["b2"],
        "ALTER TABLE users ADD COLUMN nickname text;",
        "SELECT 1;",
    );
    let irreversible = "-- strata:message irreversible\n-- strata:revises c3\n-- strata:irreversible the old data is gone\n\n-- strata:up\nCREATE TABLE audit (id integer);\n";
    p.write("d4_m.sql", irreversible);
    p.migration(
        "e5",
        &["d4"],
        "CREATE TABLE t (id integer);",
        "DROP TABLE t;\nDROP INDEX orders_customer_idx;",
    );
}

both_engines!(broken_downs_are_reported_by_name);
fn broken_downs_are_reported_by_name(db: Db) {
    let p = Project::new();
    correct(&p);
    three_broken_steps(&p);
    // A down that loses rows.
    p.migration(
        "f6",
        &["e5"],
        "ALTER TABLE users ADD COLUMN flag integer;",
        "DELETE FROM orders;\nALTER TABLE users DROP COLUMN flag;",
    );
    let out = strata(p.path(), Some(db.url()), &["test"]);
    assert_exit(&out, 1);
    let shown = text(&out);
    for expected in [
        "down leaves column users.nickname",
        "down drops index orders_customer_idx that the up did not create",
        "down loses rows of table orders: 20 before the up, 0 after the down",
        "d4 irreversible: irreversible (the old data is gone): the stair stops here",
    ] {
        assert!(
            shown.contains(expected),
            "missing `{expected}` in:\n{shown}"
        );
    }

    let out = strata(p.path(), Some(db.url()), &["test", "--json"]);
    assert_exit(&out, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["ok"], false);
    let stairway = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "stairway")
        .unwrap();
    let failing: Vec<&str> = stairway["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["failures"].as_array().unwrap().is_empty())
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(failing, ["c3 c3", "e5 e5"]);

    let out = strata(p.path(), Some(db.url()), &["test", "--format", "junit"]);
    assert_exit(&out, 1);
    let root = xml::parse(&stdout(&out));
    xml::validate_junit(&root);
    assert_eq!(root.attr("failures"), Some("3"));
    let failure = root
        .children
        .iter()
        .flat_map(|s| &s.children)
        .find(|c| c.attr("name") == Some("c3 c3"))
        .and_then(|c| c.children.iter().find(|f| f.name == "failure"))
        .expect("c3's failure");
    assert!(
        failure.text.contains("down leaves column users.nickname\n"),
        "{failure:?}"
    );

    // `-- strata:destructive-downgrade` covers the lost rows.
    let f6 = std::fs::read_to_string(p.path().join("migrations/f6_m.sql")).unwrap();
    p.write(
        "f6_m.sql",
        &f6.replace(
            "-- strata:revises e5\n",
            "-- strata:revises e5\n-- strata:destructive-downgrade orders are re-imported\n",
        ),
    );
    let out = strata(p.path(), Some(db.url()), &["test", "--only", "data"]);
    assert_exit(&out, 0);
}

both_engines!(two_heads_fail_single_head);
fn two_heads_fail_single_head(db: Db) {
    let p = Project::new();
    correct(&p);
    p.migration(
        "c3",
        &["b2"],
        "CREATE TABLE x (id integer);",
        "DROP TABLE x;",
    );
    p.migration(
        "d4",
        &["b2"],
        "CREATE TABLE y (id integer);",
        "DROP TABLE y;",
    );
    let out = strata(
        p.path(),
        Some(db.url()),
        &["test", "--only", "single-head,stairway"],
    );
    assert_exit(&out, 1);
    let shown = text(&out);
    assert!(
        shown.contains(
            "2 heads without a branch label: c3, d4; merge them with `strata merge c3 d4"
        ),
        "{shown}"
    );
    assert!(shown.contains("ok stairway: passed (4 case(s)"), "{shown}");
}

#[test]
fn an_edited_applied_file_fails_checksums_against_the_manifest() {
    let target = Db::pg();
    let p = Project::new();
    correct(&p);
    assert_exit(&strata(p.path(), Some(target.url()), &["upgrade"]), 0);
    let out = strata(p.path(), Some(target.url()), &["log", "--json"]);
    assert_exit(&out, 0);
    std::fs::write(p.path().join("deployed.json"), stdout(&out)).unwrap();
    let args = ["test", "--only", "checksums", "--manifest", "deployed.json"];
    assert_exit(&strata(p.path(), None, &args), 0);

    let b2 = std::fs::read_to_string(p.path().join("migrations/b2_m.sql")).unwrap();
    p.write("b2_m.sql", &b2.replace("(customer)", "(customer, id)"));
    let out = strata(p.path(), None, &args);
    assert_exit(&out, 1);
    let shown = text(&out);
    assert!(
        shown.contains("migrations/b2_m.sql (b2) was edited after it was deployed"),
        "{shown}"
    );
    // A manifest that is not `strata log --json`: bad input, at its line.
    std::fs::write(p.path().join("bad.json"), "{\n  \"events\": [\n}").unwrap();
    let out = strata(
        p.path(),
        None,
        &["test", "--only", "checksums", "--manifest", "bad.json"],
    );
    assert_exit(&out, 2);
    assert!(text(&out).contains("bad.json:3"), "{}", text(&out));
}

both_engines!(a_scratch_database_with_tables_is_refused);
fn a_scratch_database_with_tables_is_refused(db: Db) {
    db.exec("CREATE TABLE precious (id integer); INSERT INTO precious VALUES (1);");
    let p = Project::new();
    correct(&p);
    let out = strata(p.path(), Some(db.url()), &["test"]);
    assert_exit(&out, 2);
    let shown = text(&out);
    assert!(shown.contains("is not empty: it holds precious"), "{shown}");
    assert!(shown.contains("hint:"), "{shown}");
    assert_eq!(
        db.strings("SELECT CAST(count(*) AS TEXT) FROM precious"),
        ["1"]
    );
    assert!(!db.table_exists("users"));
}

#[test]
fn without_url_a_temporary_database_on_the_environment_server_is_used() {
    let target = Db::pg();
    let p = Project::new();
    correct(&p);
    p.config(&format!(
        "migrations_dir = \"migrations\"\n[env.development]\nurl = \"{}\"\n",
        target.url()
    ));
    let out = strata(p.path(), None, &["test", "--only", "stairway"]);
    assert_exit(&out, 0);
    // The target is never touched.
    assert!(!target.table_exists("users") && !target.table_exists("strata_version"));
}

#[test]
fn model_match_compares_head_with_the_schema_files() {
    let db = Db::pg();
    let p = Project::new();
    correct(&p);
    std::fs::create_dir(p.path().join("schema")).unwrap();
    let schema = "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL UNIQUE, state text CHECK (state IN ('new', 'old')));\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id integer NOT NULL REFERENCES users (id), customer text);\nCREATE INDEX orders_customer_idx ON orders (customer);\n";
    std::fs::write(p.path().join("schema/app.sql"), schema).unwrap();
    let args = ["test", "--only", "model-match"];
    let out = strata(p.path(), Some(db.url()), &args);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("ok model-match: passed"),
        "{}",
        text(&out)
    );

    std::fs::write(
        p.path().join("schema/app.sql"),
        schema.replace("customer text)", "customer text, note text)"),
    )
    .unwrap();
    let out = strata(p.path(), Some(db.url()), &args);
    assert_exit(&out, 1);
    let shown = text(&out);
    assert!(
        shown.contains("the schema files ask for:") && shown.contains("note"),
        "{shown}"
    );
}

/// SQLite changes a column's type by rebuilding the table: the stairway and the data check
/// follow the rebuild, and the rows come back.
#[test]
fn sqlite_rebuilds_are_tested_with_their_rows() {
    let db = Db::sqlite();
    let p = Project::new();
    correct(&p);
    p.migration(
        "c3",
        &["b2"],
        "CREATE TABLE users_new (id integer PRIMARY KEY, email varchar(200) NOT NULL UNIQUE, state text CHECK (state IN ('new', 'old')));\nINSERT INTO users_new SELECT id, email, state FROM users;\nDROP TABLE users;\nALTER TABLE users_new RENAME TO users;",
        "CREATE TABLE users_old (id integer PRIMARY KEY, email text NOT NULL UNIQUE, state text CHECK (state IN ('new', 'old')));\nINSERT INTO users_old SELECT id, email, state FROM users;\nDROP TABLE users;\nALTER TABLE users_old RENAME TO users;",
    );
    let out = strata(
        p.path(),
        Some(db.url()),
        &["test", "--only", "stairway,data", "--json"],
    );
    let shown = text(&out);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect(&shown);
    let data = &json["checks"][1];
    assert_eq!(data["check"], "data", "{shown}");
    // The users table held rows when c3 ran (filled before b2), and they survived its up and
    // down.
    let b2_notes = data["cases"][1]["notes"].to_string();
    assert!(!b2_notes.contains("not filled"), "{shown}");
    let c3 = &data["cases"][2];
    assert_eq!(c3["name"], "c3 c3", "{shown}");
    assert_eq!(c3["failures"], serde_json::json!([]), "{shown}");
    assert!(
        json["checks"][0]["cases"][2]["failures"]
            .as_array()
            .is_some_and(|f| f.is_empty()),
        "{shown}"
    );
    assert_exit(&out, 0);
}

/// A small XML reader for what the JUnit renderer writes, and the checks of the JUnit schema
/// (the Ant/Jenkins XSD that GitHub, GitLab and Jenkins read): the required elements and
/// attributes, and counts that agree with the test cases.
mod xml {
    #[derive(Debug)]
    pub struct Element {
        pub name: String,
        pub attrs: Vec<(String, String)>,
        pub children: Vec<Element>,
        pub text: String,
    }

    impl Element {
        pub fn attr(&self, name: &str) -> Option<&str> {
            self.attrs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        }
    }

    fn unescape(text: &str) -> String {
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&")
    }

    pub fn parse(text: &str) -> Element {
        let text = text.trim();
        let body = match text.strip_prefix("<?xml") {
            Some(rest) => &rest[rest.find("?>").expect("end of the XML declaration") + 2..],
            None => text,
        };
        let (element, rest) = element(body.trim_start());
        assert!(
            rest.trim().is_empty(),
            "text after the root element: {rest}"
        );
        element
    }

    fn element(text: &str) -> (Element, &str) {
        let text = text.strip_prefix('<').expect("an element");
        let end = text.find(['>', ' ', '/']).unwrap();
        let name = text[..end].to_owned();
        assert!(!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        let mut rest = &text[end..];
        let mut attrs = Vec::new();
        loop {
            rest = rest.trim_start();
            if let Some(r) = rest.strip_prefix("/>") {
                return (
                    Element {
                        name,
                        attrs,
                        children: Vec::new(),
                        text: String::new(),
                    },
                    r,
                );
            }
            if let Some(r) = rest.strip_prefix('>') {
                rest = r;
                break;
            }
            let eq = rest.find('=').expect("an attribute");
            let key = rest[..eq].to_owned();
            let r = rest[eq + 1..].strip_prefix('"').expect("a quoted value");
            let close = r.find('"').unwrap();
            assert!(!r[..close].contains('<'), "`<` in an attribute value");
            attrs.push((key, unescape(&r[..close])));
            rest = &r[close + 1..];
        }
        let mut children = Vec::new();
        let mut text_content = String::new();
        loop {
            let lt = rest.find('<').expect("a closing tag");
            text_content.push_str(&unescape(&rest[..lt]));
            rest = &rest[lt..];
            if let Some(r) = rest.strip_prefix("</") {
                let close = r.find('>').unwrap();
                assert_eq!(&r[..close], name, "mismatched closing tag");
                return (
                    Element {
                        name,
                        attrs,
                        children,
                        text: text_content,
                    },
                    &r[close + 1..],
                );
            }
            let (child, r) = element(rest);
            children.push(child);
            rest = r;
        }
    }

    fn number(e: &Element, attr: &str) -> usize {
        e.attr(attr)
            .unwrap_or_else(|| panic!("<{}> needs `{attr}`", e.name))
            .parse()
            .unwrap_or_else(|_| panic!("<{}> `{attr}` must be a number", e.name))
    }

    pub fn validate_junit(root: &Element) {
        assert_eq!(root.name, "testsuites");
        let mut total = 0;
        for suite in &root.children {
            assert_eq!(suite.name, "testsuite");
            assert!(suite.attr("name").is_some_and(|n| !n.is_empty()));
            let tests = number(suite, "tests");
            let failures = number(suite, "failures");
            number(suite, "errors");
            let time: f64 = suite.attr("time").unwrap().parse().unwrap();
            assert!(time >= 0.0);
            assert_eq!(tests, suite.children.len(), "tests = the testcases");
            let mut failed = 0;
            for case in &suite.children {
                assert_eq!(case.name, "testcase");
                assert!(case.attr("name").is_some() && case.attr("classname").is_some());
                case.attr("time").unwrap().parse::<f64>().unwrap();
                for child in &case.children {
                    match child.name.as_str() {
                        "failure" => {
                            assert!(
                                child.attr("type").is_some() && child.attr("message").is_some()
                            );
                            failed += 1;
                        }
                        "skipped" | "system-out" => {}
                        other => panic!("<{other}> is not allowed in <testcase>"),
                    }
                }
            }
            assert_eq!(failures, failed, "failures = the testcases that failed");
            total += tests;
        }
        assert_eq!(number(root, "tests"), total);
    }
}

/// `--only stairway` on PostgreSQL takes the lighter path (one transaction per step, compared by
/// the catalog rows the step changed): the same findings, by name, and the stair still reaches
/// the head.
#[test]
fn the_stairway_alone_finds_the_same_defects_on_postgres() {
    let db = Db::pg();
    let p = Project::new();
    correct(&p);
    three_broken_steps(&p);
    // A down that fails, and one that forgets its table (the up applied again then fails).
    p.migration(
        "f6",
        &["e5"],
        "CREATE TABLE u (id integer);",
        "DROP TABLE nothing_here;",
    );
    p.migration("g7", &["f6"], "CREATE TABLE v (id integer);", "SELECT 1;");
    p.migration(
        "h8",
        &["g7"],
        "CREATE TABLE w (id integer);",
        "DROP TABLE w;",
    );
    // Outside a transaction (CREATE INDEX CONCURRENTLY): a correct one, and one whose down
    // forgets its index (tested again with the models, after the scratch database is rebuilt).
    p.migration(
        "i9",
        &["h8"],
        "CREATE INDEX CONCURRENTLY w_id_idx ON w (id);",
        "DROP INDEX CONCURRENTLY w_id_idx;",
    );
    p.migration(
        "j10",
        &["i9"],
        "CREATE INDEX CONCURRENTLY w_id_again ON w (id);",
        "SELECT 1;",
    );
    p.migration(
        "k11",
        &["j10"],
        "CREATE TABLE z (id integer);",
        "DROP TABLE z;",
    );
    // Outside a transaction, a down that fails: reported once, and the stair goes on.
    p.migration(
        "l12",
        &["k11"],
        "CREATE INDEX CONCURRENTLY z_id_idx ON z (id);",
        "DROP INDEX CONCURRENTLY no_such_idx;",
    );
    p.migration(
        "m13",
        &["l12"],
        "CREATE TABLE zz (id integer);",
        "DROP TABLE zz;",
    );
    let json = stairway_json(&p, &db, 1);
    let cases = json["checks"][0]["cases"].as_array().unwrap();
    let failures = |name: &str| failures_of(cases, name);
    // The forgotten column, then the up that cannot add it again.
    let c3 = failures("c3 c3");
    assert_eq!(c3[0], "down leaves column users.nickname");
    assert!(
        c3[1].starts_with("up applied again after the down failed at migrations/c3_m.sql:"),
        "{c3:?}"
    );
    assert_eq!(
        failures("e5 e5"),
        ["down drops index orders_customer_idx that the up did not create"]
    );
    let f6 = failures("f6 f6");
    assert!(
        f6.len() == 1
            && f6[0].starts_with("down failed at migrations/f6_m.sql:")
            && f6[0].contains("nothing_here"),
        "{f6:?}"
    );
    let g7 = failures("g7 g7");
    assert_eq!(g7[0], "down leaves table v");
    assert!(
        g7[1].starts_with("up applied again after the down failed at migrations/g7_m.sql:")
            && g7[1].contains("already exists"),
        "{g7:?}"
    );
    assert!(failures("h8 h8").is_empty());
    assert!(failures("i9 i9").is_empty());
    assert_eq!(failures("j10 j10")[0], "down leaves index w_id_again");
    assert!(failures("k11 k11").is_empty());
    let l12 = failures("l12 l12");
    assert!(
        l12.len() == 1
            && l12[0].starts_with("down failed at migrations/l12_m.sql:")
            && l12[0].contains("no_such_idx"),
        "{l12:?}"
    );
    assert!(failures("m13 m13").is_empty());
    assert!(failures("a1 a1").is_empty() && failures("b2 b2").is_empty());
    let d4 = cases
        .iter()
        .find(|c| c["name"] == "d4 irreversible")
        .unwrap();
    assert!(
        d4["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("irreversible (the old data is gone)"),
        "{d4}"
    );
    // The scratch database is left empty.
    assert!(!db.table_exists("users") && !db.table_exists("strata_version"));
}

/// On PostgreSQL's lighter path each step is compared row by row in the catalogs, from a
/// second session that still sees what the step deleted: objects a down re-creates (new oids)
/// are still found equal, a function body restored with other indentation too, and the up is
/// really applied again after its down (a seed row the down leaves makes it fail).
#[test]
fn the_stairway_alone_compares_recreated_objects_and_runs_the_up_again() {
    let db = Db::pg();
    let p = Project::new();
    correct(&p);
    // Correct downs that re-create what their up dropped or changed.
    p.migration(
        "c3",
        &["b2"],
        "DROP INDEX orders_customer_idx;\nALTER TABLE users DROP CONSTRAINT users_state_check;",
        "CREATE INDEX orders_customer_idx ON orders (customer);\nALTER TABLE users ADD CONSTRAINT users_state_check CHECK (state IN ('new', 'old'));",
    );
    p.migration(
        "d4",
        &["c3"],
        "CREATE FUNCTION total() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;",
        "DROP FUNCTION total();",
    );
    p.migration(
        "e5",
        &["d4"],
        "CREATE OR REPLACE FUNCTION total() RETURNS integer LANGUAGE sql AS $$ SELECT 2 $$;",
        "CREATE OR REPLACE FUNCTION total() RETURNS integer LANGUAGE sql AS $$\n    SELECT 1\n$$;",
    );
    // A seed row the down leaves behind: the schema is back, but the up cannot run again.
    p.migration(
        "f6",
        &["e5"],
        "INSERT INTO users (id, email) VALUES (1000, 'seed@example.org');",
        "SELECT 1;",
    );
    // A comment the down forgets, and a default it does not restore.
    p.migration(
        "g7",
        &["f6"],
        "COMMENT ON TABLE orders IS 'what was bought';\nALTER TABLE orders ALTER COLUMN customer SET DEFAULT 'anonymous';",
        "ALTER TABLE orders ALTER COLUMN customer SET DEFAULT 'nobody';",
    );
    let json = stairway_json(&p, &db, 1);
    let cases = json["checks"][0]["cases"].as_array().unwrap();
    let failures = |name: &str| failures_of(cases, name);
    for name in ["a1 a1", "b2 b2", "c3 c3", "d4 d4", "e5 e5"] {
        assert!(failures(name).is_empty(), "{name}: {json}");
    }
    let f6 = failures("f6 f6");
    assert!(
        f6.len() == 1
            && f6[0].starts_with("up applied again after the down failed at migrations/f6_m.sql:")
            && f6[0].contains("duplicate key"),
        "{f6:?}"
    );
    let g7 = failures("g7 g7").join("\n");
    assert!(g7.contains("orders"), "{g7}");
    assert!(g7.contains("comment"), "{g7}");
    assert!(g7.contains("default"), "{g7}");
}

/// A long history (from 48 revisions) is climbed in two halves at once, the second on a
/// temporary database where the first half is applied untested: the findings of both halves
/// are reported in graph order, as in one climb; when an up fails in the first half, every
/// case above it is "not run", the second half's included.
#[test]
fn a_long_stairway_is_climbed_in_two_halves_with_the_same_findings() {
    let long = |broken_up: Option<usize>| {
        let p = Project::new();
        for i in 1..=60usize {
            let id = format!("m{i:02}");
            let parent = format!("m{:02}", i - 1);
            let parents: Vec<&str> = if i == 1 {
                vec![]
            } else {
                vec![parent.as_str()]
            };
            let up = if broken_up == Some(i) {
                "ALTER TABLE no_such_table ADD COLUMN x integer;".to_owned()
            } else {
                format!("CREATE TABLE t{i:02} (id integer PRIMARY KEY);")
            };
            // Two downs that forget their table: one in each half.
            let down = if i == 10 || i == 50 {
                "SELECT 1;".to_owned()
            } else {
                format!("DROP TABLE t{i:02};")
            };
            p.migration(&id, &parents, &up, &down);
        }
        p
    };
    let cases = |out: &std::process::Output| -> Vec<serde_json::Value> {
        let json: serde_json::Value = serde_json::from_str(&stdout(out)).unwrap();
        json["checks"][0]["cases"].as_array().unwrap().clone()
    };

    let db = Db::pg();
    let p = long(None);
    let out = strata(
        p.path(),
        Some(db.url()),
        &["test", "--only", "stairway", "--json"],
    );
    assert_exit(&out, 1);
    let both = cases(&out);
    assert_eq!(both.len(), 60);
    for (i, case) in both.iter().enumerate() {
        let n = i + 1;
        assert_eq!(case["name"], format!("m{n:02} m{n:02}"));
        let failures = case["failures"].as_array().unwrap();
        if n == 10 || n == 50 {
            assert_eq!(failures[0], format!("down leaves table t{n:02}"), "{case}");
        } else {
            assert!(failures.is_empty(), "{case}");
        }
    }
    // The same run in one climb gives the same cases.
    let one = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(p.path())
        .env_remove("DATABASE_URL")
        .env_remove("STRATA_ENV")
        .env("STRATA_TEST_ONE_CLIMB", "1")
        .args(["--url", db.url(), "test", "--only", "stairway", "--json"])
        .output()
        .unwrap();
    assert_exit(&one, 1);
    let one = cases(&one);
    let strip = |cases: &[serde_json::Value]| -> Vec<(String, String)> {
        cases
            .iter()
            .map(|c| (c["name"].to_string(), c["failures"].to_string()))
            .collect()
    };
    assert_eq!(strip(&both), strip(&one));

    // An up that fails in the first half: nothing above it runs, in either half.
    let db = Db::pg();
    let p = long(Some(20));
    let out = strata(
        p.path(),
        Some(db.url()),
        &["test", "--only", "stairway", "--json"],
    );
    assert_exit(&out, 1);
    let cases = cases(&out);
    assert_eq!(cases.len(), 60);
    assert!(cases[19]["failures"][0]
        .as_str()
        .unwrap()
        .starts_with("up failed at migrations/m20_m.sql:"));
    for case in &cases[20..] {
        assert_eq!(
            case["skipped"], "not run: the up of m20 failed, and the migrations above need it",
            "{case}"
        );
    }
}

/// An up that deletes rows fails the data check unless the file waives the lint rule about it
/// (a waiver of another rule, or `-- strata:destructive-downgrade`, which covers the down, is not
/// enough); waived, the loss is a note (and the down's, declared, another).
#[test]
fn a_data_losing_up_is_reported_unless_its_lint_finding_is_waived() {
    let run = |up: &str, header: &str| {
        let db = Db::pg();
        let p = Project::new();
        correct(&p);
        p.write(
            "c3_m.sql",
            &format!("-- strata:message empty orders\n-- strata:revises b2\n{header}\n-- strata:up\n{up}\n\n-- strata:down\nSELECT 1;\n"),
        );
        let out = strata(
            p.path(),
            Some(db.url()),
            &["test", "--only", "data", "--json"],
        );
        let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let case = json["checks"][0]["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "c3 empty orders")
            .cloned()
            .unwrap_or_else(|| panic!("{json}"));
        (out.status.code(), case)
    };
    let (code, case) = run("DELETE FROM orders;", "");
    assert_eq!(code, Some(1), "{case}");
    assert!(
        case["failures"][0]
            .as_str()
            .unwrap()
            .starts_with("up deletes rows of table orders"),
        "{case}"
    );
    for header in [
        "-- strata:destructive-downgrade the orders are gone",
        "-- strata:lint-ignore-file prefer-text legacy",
    ] {
        let (code, case) = run("DELETE FROM orders;", header);
        assert_eq!(code, Some(1), "{header}: {case}");
        assert!(
            case["failures"]
                .to_string()
                .contains("up deletes rows of table orders"),
            "{header}: {case}"
        );
    }
    // Waived in the up, and the down's loss declared: no failure.
    let (code, case) = run(
        "-- strata:lint-ignore unbatched-backfill orders holds test rows only\nDELETE FROM orders;",
        "-- strata:destructive-downgrade the orders are gone",
    );
    assert_eq!(code, Some(0), "{case}");
    assert!(
        case["notes"].to_string().contains(
            "the up loses data, as its lint waiver says (orders holds test rows only): up deletes rows of table orders"
        ),
        "{case}"
    );
}

/// The online check: an online migration is started, written through both versions, rolled
/// back (shape and rows as before), started again and completed; one whose start fails is
/// reported by name and the online migrations above it are not run.
#[test]
fn online_migrations_are_started_rolled_back_and_completed() {
    let db = Db::pg();
    let p = Project::new();
    p.write(
        "a1_accounts.sql",
        "-- strata:up\nCREATE TABLE accounts (id bigint PRIMARY KEY, balance integer NOT NULL, name text NOT NULL);\n-- strata:down\nDROP TABLE accounts;\n",
    );
    p.write(
        "b2_online.toml",
        "message = \"bigint balance, name -> full_name\"\nrevises = \"a1\"\n\n[[operations]]\ntype = \"alter_column\"\ntable = \"accounts\"\ncolumn = \"balance\"\ndata_type = \"bigint\"\nup = \"balance::bigint\"\ndown = \"balance::integer\"\n\n[[operations]]\ntype = \"rename_column\"\ntable = \"accounts\"\nfrom = \"name\"\nto = \"full_name\"\n",
    );
    let out = strata(
        p.path(),
        Some(db.url()),
        &["test", "--only", "online", "--json"],
    );
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let online = &json["checks"][0];
    assert_eq!(online["check"], "online", "{json}");
    let case = &online["cases"][0];
    assert_eq!(
        case["name"], "b2 bigint balance, name -> full_name",
        "{json}"
    );
    assert_eq!(case["failures"].as_array().unwrap().len(), 0, "{json}");
    assert!(
        case["notes"]
            .to_string()
            .contains("rolled back, started again and completed"),
        "{json}"
    );
    // The scratch database is left empty.
    assert!(!db.table_exists("accounts") && !db.table_exists("strata_version"));

    // An online migration whose start fails: reported, and the one above it is not run.
    p.write(
        "c3_broken.toml",
        "message = \"broken\"\nrevises = \"b2\"\n\n[[operations]]\ntype = \"rename_column\"\ntable = \"accounts\"\nfrom = \"no_such_column\"\nto = \"other\"\n",
    );
    p.write(
        "d4_later.toml",
        "message = \"later\"\nrevises = \"c3\"\n\n[[operations]]\ntype = \"rename_column\"\ntable = \"accounts\"\nfrom = \"full_name\"\nto = \"display_name\"\n",
    );
    let out = strata(
        p.path(),
        Some(db.url()),
        &["test", "--only", "online", "--json"],
    );
    assert_exit(&out, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let cases = json["checks"][0]["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3, "{json}");
    assert!(
        cases[0]["failures"].as_array().unwrap().is_empty(),
        "{json}"
    );
    let failure = cases[1]["failures"][0].as_str().unwrap();
    assert!(
        failure.starts_with("start failed: ") && failure.contains("no_such_column"),
        "{json}"
    );
    assert!(
        cases[2]["skipped"]
            .as_str()
            .unwrap()
            .contains("c3 could not be started"),
        "{json}"
    );
}

both_engines!(impact_lines_are_checked_when_versioning_is_on);
/// With a `[versioning]` table in strata.toml, the stairway checks each migration's
/// `-- strata:impact` line against the impact of its schema change (a wrong line and a missing
/// one are failures at the file's line; a right one passes), on both engines and both paths
/// (the stairway alone, and with the data check).
fn impact_lines_are_checked_when_versioning_is_on(db: Db) {
    let p = Project::new();
    p.config("migrations_dir = \"migrations\"\n\n[versioning]\nstart = \"1.0.0\"\n");
    p.write(
        "a1_m.sql",
        "-- strata:message users\n-- strata:impact minor\n\n-- strata:up\nCREATE TABLE users (id integer PRIMARY KEY, nickname text);\n\n-- strata:down\nDROP TABLE users;\n",
    );
    p.write(
        "b2_m.sql",
        "-- strata:message drop nickname\n-- strata:revises a1\n-- strata:impact minor\n\n-- strata:up\nALTER TABLE users DROP COLUMN nickname;\n\n-- strata:down\nALTER TABLE users ADD COLUMN nickname text;\n",
    );
    p.migration(
        "c3",
        &["b2"],
        "CREATE TABLE orders (id integer PRIMARY KEY);",
        "DROP TABLE orders;",
    );
    for only in ["stairway", "stairway,data"] {
        let out = strata(p.path(), Some(db.url()), &["test", "--only", only]);
        assert_exit(&out, 1);
        let shown = text(&out);
        assert!(
            shown.contains(
                "migrations/b2_m.sql:3: the header says `-- strata:impact minor`, the schema change is major"
            ),
            "{only}: {shown}"
        );
        assert!(
            shown.contains(
                "migrations/c3_m.sql:1: no `-- strata:impact` line (the schema change is minor)"
            ),
            "{only}: {shown}"
        );
        assert!(!shown.contains("a1_m.sql"), "{only}: {shown}");
    }
    // Without the table, the lines are not checked.
    p.config("migrations_dir = \"migrations\"\n");
    let out = strata(p.path(), Some(db.url()), &["test", "--only", "stairway"]);
    assert_exit(&out, 0);
}
