//! Small consistencies between commands: JSON on every read command, the same shapes for the
//! same things, `log --limit`, slugs, messages, ranges, and why `+1` can run two migrations.

mod common;
use common::*;
use serde_json::{json, Value};

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", text(out)))
}

/// a1 -> b1, a1 -> c1, m1 merges b1 and c1.
fn diamond(p: &Project) {
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    p.migration(
        "b1",
        &["a1"],
        "CREATE TABLE b (id integer);",
        "DROP TABLE b;",
    );
    p.migration(
        "c1",
        &["a1"],
        "CREATE TABLE c (id integer);",
        "DROP TABLE c;",
    );
    p.migration("m1", &["b1", "c1"], "SELECT 1;", "SELECT 1;");
}

#[test]
fn graph_json_is_nodes_and_edges() {
    let p = Project::new();
    diamond(&p);
    for args in [&["graph", "--json"][..], &["graph", "--format", "json"]] {
        let out = strata(p.path(), None, args);
        assert_exit(&out, 0);
        let graph = json_of(&out);
        let ids: Vec<&str> = graph["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["revision"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["a1", "b1", "c1", "m1"], "{graph}");
        assert_eq!(graph["nodes"][3]["merge"], true);
        assert_eq!(graph["nodes"][3]["head"], true);
        assert_eq!(graph["nodes"][0]["branchpoint"], true);
        let edges = graph["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 4, "{graph}");
        assert!(edges.contains(&json!({"from": "m1", "to": "c1", "kind": "revises"})));
    }
    // Mermaid stays the default.
    let out = strata(p.path(), None, &["graph"]);
    assert!(stdout(&out).starts_with("graph BT"), "{}", text(&out));
}

#[test]
fn log_and_history_give_parents_as_lists_and_log_takes_a_limit() {
    let db = Db::sqlite();
    let url = db.url().to_owned();
    let p = Project::new();
    diamond(&p);
    assert_exit(&strata(p.path(), Some(&url), &["upgrade", "m1"]), 0);
    assert_exit(&strata(p.path(), Some(&url), &["downgrade", "-1"]), 0);

    let out = strata(p.path(), Some(&url), &["log", "--json"]);
    assert_exit(&out, 0);
    let events = json_of(&out)["events"].as_array().unwrap().clone();
    assert_eq!(events.len(), 5);
    assert_eq!(events[0]["revision"], "a1");
    assert_eq!(events[0]["parents"], json!([]));
    assert_eq!(events[3]["parents"], json!(["b1", "c1"]));
    let out = strata(p.path(), Some(&url), &["history", "--json"]);
    assert_exit(&out, 0);
    let revisions = json_of(&out)["revisions"].as_array().unwrap().clone();
    let m1 = revisions.iter().find(|r| r["revision"] == "m1").unwrap();
    assert_eq!(m1["parents"], json!(["b1", "c1"]));

    // The newest two, oldest first.
    let out = strata(p.path(), Some(&url), &["log", "--limit", "2", "--json"]);
    assert_exit(&out, 0);
    let events = json_of(&out)["events"].as_array().unwrap().clone();
    let kinds: Vec<String> = events
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["kind"].as_str().unwrap(),
                e["revision"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(kinds, ["up m1", "down m1"]);

    let out = strata(p.path(), Some(&url), &["log", "--limit", "1"]);
    assert_exit(&out, 0);
    let lines: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "a header and one row: {lines:?}");
    for column in [
        "id",
        "applied at",
        "kind",
        "revision",
        "message",
        "by",
        "time",
    ] {
        assert!(
            lines[0].contains(column),
            "header names {column}: {}",
            lines[0]
        );
    }
    assert!(
        lines[1].contains("down") && lines[1].contains("m1"),
        "{lines:?}"
    );
    // Columns line up: the revision starts where its header does.
    assert_eq!(lines[0].find("revision"), lines[1].find("m1"), "{lines:?}");

    let out = strata(p.path(), Some(&url), &["log", "--limit", "0"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("at least 1"), "{}", text(&out));
}

#[test]
fn json_errors_do_not_repeat_the_label() {
    let db = Db::sqlite();
    let url = db.url().to_owned();
    let p = Project::new();
    diamond(&p);
    let out = strata(p.path(), Some(&url), &["upgrade", "nope", "--json"]);
    assert_exit(&out, 2);
    let error = &json_of(&out)["error"];
    assert_eq!(error["exit_code"], 2);
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with("no revision matches `nope`"),
        "{message}"
    );
    assert!(!message.contains("error:"), "{message}");
    // The terminal still gets its label.
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));

    // A problem in a file: file:line, without the label.
    p.write(
        "z1_bad.sql",
        "-- strata:revises q9\n-- strata:up\nSELECT 1;\n",
    );
    let out = strata(p.path(), Some(&url), &["upgrade", "--json"]);
    assert_exit(&out, 2);
    let message = json_of(&out)["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.starts_with("migrations/z1_bad.sql:"), "{message}");
    assert!(!message.contains("error:"), "{message}");
}

#[test]
fn slugs_messages_and_ranges() {
    let db = Db::sqlite();
    let url = db.url().to_owned();
    let p = Project::new();
    let out = strata(
        p.path(),
        None,
        &["revision", "-m", "café", "--rev-id", "a1"],
    );
    assert_exit(&out, 0);
    assert!(
        stdout(&out).trim().ends_with("migrations/a1_cafe.sql"),
        "{}",
        text(&out)
    );
    let out = strata(
        p.path(),
        None,
        &["revision", "-m", "Straße Ölmühle", "--rev-id", "b1"],
    );
    assert_exit(&out, 0);
    assert!(
        stdout(&out)
            .trim()
            .ends_with("migrations/b1_strasse_olmuhle.sql"),
        "{}",
        text(&out)
    );

    for message in ["", "   ", "\t"] {
        let out = strata(
            p.path(),
            None,
            &["revision", "-m", message, "--rev-id", "c1"],
        );
        assert_exit(&out, 2);
        assert!(text(&out).contains("needs a message"), "{}", text(&out));
        let out = strata(p.path(), None, &["merge", "a1", "b1", "-m", message]);
        assert_exit(&out, 2);
    }
    let files = std::fs::read_dir(p.path().join("migrations"))
        .unwrap()
        .count();
    assert_eq!(files, 2, "nothing was written");

    assert_exit(&strata(p.path(), Some(&url), &["upgrade"]), 0);
    let out = strata(p.path(), Some(&url), &["history", "-r", "b1:a1"]);
    assert_exit(&out, 2);
    let t = text(&out);
    assert!(t.contains("the range `b1:a1` is reversed"), "{t}");
    assert!(t.contains("swap them: strata history -r a1:b1"), "{t}");
    let out = strata(p.path(), Some(&url), &["history", "-r", "a1:b1"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("a1") && stdout(&out).contains("b1"));
    let out = strata(p.path(), Some(&url), &["history", "-r", "a1:a1"]);
    assert_exit(&out, 0);
}

#[test]
fn plus_one_onto_a_merge_says_why_it_runs_two() {
    let db = Db::sqlite();
    let url = db.url().to_owned();
    let p = Project::new();
    diamond(&p);
    assert_exit(&strata(p.path(), Some(&url), &["upgrade", "b1"]), 0);
    let why = "`+1` counts 1 step along the graph (to m1), and 2 migrations run because m1 is a merge, and its other parent c1 was not applied";

    let out = strata(p.path(), Some(&url), &["upgrade", "+1", "--dry-run"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains(why), "{}", text(&out));
    assert_eq!(db.heads(), ["b1"]);

    let out = strata(p.path(), Some(&url), &["upgrade", "+1"]);
    assert_exit(&out, 0);
    let t = stdout(&out);
    assert!(t.contains("applied 2 migration(s)"), "{t}");
    assert!(t.contains(why), "{t}");
    assert_eq!(db.heads(), ["m1"]);

    // One step that is one migration says nothing more.
    assert_exit(&strata(p.path(), Some(&url), &["downgrade", "base"]), 0);
    let out = strata(p.path(), Some(&url), &["upgrade", "+1", "--json"]);
    assert_exit(&out, 0);
    let value = json_of(&out);
    assert_eq!(value["applied"].as_array().unwrap().len(), 1);
    assert!(value.get("note").is_none(), "{value}");
}

#[test]
fn current_says_when_an_online_migration_is_in_progress() {
    let db = Db::pg();
    let p = Project::new();
    p.write(
        "a1_accounts.sql",
        "-- strata:up\nCREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL);\nINSERT INTO accounts VALUES (1, 'a');\n-- strata:down\nDROP TABLE accounts;\n",
    );
    p.write(
        "b2_online.toml",
        "message = \"name -> full_name\"\nrevises = \"a1\"\n\n[[operations]]\ntype = \"rename_column\"\ntable = \"accounts\"\nfrom = \"name\"\nto = \"full_name\"\n",
    );
    let url = Some(db.url());
    let out = strata(p.path(), url, &["current", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(json_of(&out)["online"], Value::Null);

    assert_exit(&strata(p.path(), url, &["upgrade"]), 0);
    let out = strata(p.path(), url, &["current"]);
    assert_exit(&out, 0);
    let t = stdout(&out);
    assert!(t.contains("current: a1"), "{t}");
    assert!(t.contains("online:  b2 in progress (active)"), "{t}");
    assert!(t.contains("strata complete"), "{t}");
    let out = strata(p.path(), url, &["current", "--json"]);
    assert_exit(&out, 0);
    let value = json_of(&out);
    assert_eq!(value["online"]["migration"], "b2");
    assert_eq!(value["online"]["phase"], "active");
    assert_eq!(value["pending"], json!(["b2"]));

    assert_exit(&strata(p.path(), url, &["complete"]), 0);
    let out = strata(p.path(), url, &["current"]);
    assert_exit(&out, 0);
    assert!(!stdout(&out).contains("online:"), "{}", text(&out));
}
