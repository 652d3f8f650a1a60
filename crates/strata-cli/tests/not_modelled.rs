//! Objects of kinds strata does not model are reported, never dropped silently: a note naming
//! the object and its kind on standard error (ending with a newline), and `not_modelled` in the
//! `--json` output of inspect, diff, check, drift and `revision --autogenerate`.

mod common;
use common::*;

const SCHEMA: &str = "CREATE TABLE t (id int PRIMARY KEY, v text);\n\
    CREATE RULE \"no delete\" AS ON DELETE TO t DO INSTEAD NOTHING;\n\
    CREATE TEXT SEARCH DICTIONARY dict (TEMPLATE = simple);\n";

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[track_caller]
fn assert_noted(out: &std::process::Output) {
    let err = stderr(out);
    for what in [
        "note: rule \"no delete\" ON public.t in ",
        "note: text search dictionary public.dict in ",
    ] {
        let line = err
            .lines()
            .find(|l| l.starts_with(what))
            .unwrap_or_else(|| panic!("no `{what}` in:\n{err}"));
        assert!(line.contains("is not modelled by strata"), "{line}");
    }
    // Each note is a line of its own.
    assert!(err.ends_with('\n'), "{err:?}");
    assert_eq!(err.matches("note: rule \"no delete\"").count(), 1, "{err}");
}

#[track_caller]
fn assert_json_lists(out: &std::process::Output) {
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)));
    let list = json["not_modelled"].as_array().cloned().unwrap_or_default();
    assert!(
        list.iter()
            .any(|n| n["kind"] == "rule" && n["name"] == "\"no delete\" ON public.t"),
        "{json}"
    );
    assert!(
        list.iter()
            .any(|n| n["kind"] == "text search dictionary" && n["name"] == "public.dict"),
        "{json}"
    );
}

#[test]
fn every_command_that_reads_a_schema_reports_what_it_does_not_model() {
    let project = Project::new();
    std::fs::create_dir_all(project.path().join("schema")).unwrap();
    std::fs::write(project.path().join("schema").join("app.sql"), SCHEMA).unwrap();
    let db = Db::pg();
    let url = Some(db.url());

    let out = strata(
        project.path(),
        url,
        &["--json", "revision", "--autogenerate", "-m", "start"],
    );
    assert_exit(&out, 0);
    assert_noted(&out);
    assert_json_lists(&out);
    // The rule and the dictionary are not in the migration: strata does not write them.
    let files: Vec<_> = std::fs::read_dir(project.path().join("migrations"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(files
        .iter()
        .all(|f| !f.contains("RULE") && !f.contains("DICTIONARY")));
    assert_exit(&strata(project.path(), url, &["upgrade"]), 0);
    // Made by hand, as the files say.
    db.exec("CREATE RULE \"no delete\" AS ON DELETE TO t DO INSTEAD NOTHING; CREATE TEXT SEARCH DICTIONARY dict (TEMPLATE = simple);");

    let out = strata(project.path(), url, &["check"]);
    assert_exit(&out, 0);
    assert_noted(&out);
    let out = strata(project.path(), url, &["--json", "check"]);
    assert_exit(&out, 0);
    assert_json_lists(&out);

    let out = strata(project.path(), url, &["drift"]);
    assert_exit(&out, 0);
    assert_noted(&out);
    let out = strata(project.path(), url, &["--json", "drift"]);
    assert_exit(&out, 0);
    assert_json_lists(&out);

    let out = strata(project.path(), url, &["diff", db.url(), "schema"]);
    assert_exit(&out, 0);
    assert_noted(&out);
    let out = strata(project.path(), url, &["--json", "diff", db.url(), "schema"]);
    assert_exit(&out, 0);
    assert_json_lists(&out);

    let out = strata(project.path(), url, &["inspect"]);
    assert_exit(&out, 0);
    assert_noted(&out);
    assert!(
        stdout(&out).contains(
            "-- not modelled by strata (neither compared nor written here): rule \"no delete\" ON public.t\n"
        ),
        "{}",
        stdout(&out)
    );
    let out = strata(project.path(), url, &["inspect", "--format", "json"]);
    assert_exit(&out, 0);
    assert_json_lists(&out);
}

/// docs/schema.md's "What strata models" table lists as "reported as not modelled" exactly the
/// kinds introspection reports.
#[test]
fn the_docs_table_lists_the_kinds_that_are_reported() {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema.md"),
    )
    .unwrap();
    let section = page
        .split("## What strata models")
        .nth(1)
        .expect("docs/schema.md has a \"What strata models\" section");
    let section = section.split("\n## ").next().unwrap();
    let mut documented: Vec<String> = section
        .lines()
        .filter(|l| l.ends_with("| reported as not modelled |"))
        .map(|l| {
            let kind = l.trim_start_matches('|').split('|').next().unwrap().trim();
            // "base type (and shell type)": the kind is the words before the parenthesis.
            kind.split(" (").next().unwrap().to_owned()
        })
        .collect();
    documented.sort();
    let mut reported: Vec<String> = strata_schema::NOT_MODELLED_KINDS
        .iter()
        .map(|k| k.to_string())
        .collect();
    reported.sort();
    assert_eq!(documented, reported);
    // And every kind the model holds has a "modelled" row.
    // Privileges and owners: modelled behind their options, and the docs say so.
    for (kind, option) in [
        ("privileges:", "`[schema] privileges = true`"),
        ("owners", "`[schema] owners = true`"),
    ] {
        assert!(
            section.lines().any(|l| l.starts_with(&format!("| {kind}"))
                && l.contains(&format!("| modelled behind {option}"))),
            "{kind}"
        );
    }
    for kind in [
        "extended statistics",
        "row-level security policy",
        "trigger",
        "index",
    ] {
        assert!(
            section
                .lines()
                .any(|l| l.starts_with(&format!("| {kind}")) && l.ends_with("| modelled |")),
            "{kind}"
        );
    }
}

/// Every hazard and note printed to a terminal is a line of its own: the count of destructive
/// changes left as comments does not run into the hazard before it.
#[test]
fn hazards_and_notes_each_end_with_a_newline() {
    let project = Project::new();
    std::fs::create_dir_all(project.path().join("schema")).unwrap();
    let schema = project.path().join("schema").join("app.sql");
    std::fs::write(
        &schema,
        "CREATE TABLE t (id int PRIMARY KEY, gone text);\nCREATE TABLE u (x int);\n",
    )
    .unwrap();
    let db = Db::pg();
    let url = Some(db.url());
    assert_exit(
        &strata(
            project.path(),
            url,
            &["revision", "--autogenerate", "-m", "a"],
        ),
        0,
    );
    assert_exit(&strata(project.path(), url, &["upgrade"]), 0);
    std::fs::write(
        &schema,
        "CREATE TABLE t (id int PRIMARY KEY);\nCREATE RULE r AS ON DELETE TO t DO INSTEAD NOTHING;\n",
    )
    .unwrap();
    let out = strata(project.path(), url, &["diff", "rev:head", "schema"]);
    assert_exit(&out, 0);
    let err = stderr(&out);
    assert!(err.ends_with('\n'), "{err:?}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines
            .iter()
            .filter(|l| l.starts_with("hazard data-loss: "))
            .count()
            >= 2,
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("2 destructive change(s) written as comments")),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("note: rule r ON public.t")),
        "{err}"
    );
    // Nothing runs into the next message.
    for l in &lines {
        assert!(
            l.matches("hazard ").count() + l.matches("note: ").count() <= 1,
            "{l}"
        );
        assert!(
            !l.contains("destructive change(s)") || l.starts_with('2'),
            "{l}"
        );
    }
}
