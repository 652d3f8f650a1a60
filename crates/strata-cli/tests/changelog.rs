//! `strata changelog`: snapshots of the Markdown and JSON for the quickstart and for a branching
//! history with a breaking change, a hazard and a lint waiver; where revisions were applied.

mod common;
use common::*;
use std::path::Path;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn changelog(project: &Project, url: &str, args: &[&str]) -> String {
    let mut all = vec!["changelog"];
    all.extend_from_slice(args);
    let out = strata(project.path(), Some(url), &all);
    assert_exit(&out, 0);
    stdout(&out)
}

#[test]
fn quickstart_changelog() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart");
    let project = Project::new();
    copy_dir(&root.join("migrations"), &project.path().join("migrations"));
    let url = format!("sqlite://{}", project.path().join("q.db").display());
    // Nothing applied yet (the database file does not exist): every entry says so.
    let markdown = changelog(&project, &url, &[]);
    insta::assert_snapshot!("quickstart_markdown", markdown);
    let json = changelog(&project, &url, &["--format", "json"]);
    insta::assert_snapshot!("quickstart_json", json);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["versions"][0]["version"], "1.5.0");
}

/// a1 (users) → b2 drops a column (major, data loss, a lint waiver) and, on another branch,
/// c3 adds an index; d4 merges them.
fn branching(project: &Project) {
    project.write(
        "a1_users.sql",
        "-- strata:message create users\n\n-- strata:up\nCREATE TABLE users (id integer PRIMARY KEY, name text, email text);\n\n-- strata:down\nDROP TABLE users;\n",
    );
    project.write(
        "b2_drop_name.sql",
        "-- strata:message drop the name column\n-- strata:revises a1\n-- strata:labels cleanup\n\n-- strata:up\n-- strata:lint-ignore ban-drop-column the application stopped reading it in 4.2\nALTER TABLE users DROP COLUMN name;\n\n-- strata:down\nALTER TABLE users ADD COLUMN name text;\n",
    );
    project.write(
        "c3_email_index.sql",
        "-- strata:message index emails\n-- strata:revises a1\n-- strata:labels search\n\n-- strata:up\nCREATE INDEX users_email ON users (email);\n\n-- strata:down\nDROP INDEX users_email;\n",
    );
    project.write(
        "d4_merge.sql",
        "-- strata:message merge cleanup and search\n-- strata:revises b2 c3\n\n-- strata:up\n\n-- strata:down\n",
    );
}

#[test]
fn branching_history_changelog() {
    let project = Project::new();
    branching(&project);
    let url = format!("sqlite://{}", project.path().join("b.db").display());
    insta::assert_snapshot!("branching_markdown", changelog(&project, &url, &[]));
    insta::assert_snapshot!(
        "branching_json",
        changelog(&project, &url, &["--format", "json"])
    );
    // A range of versions, and of revisions.
    let md = changelog(&project, &url, &["1.1.0..2.0.0"]);
    assert!(
        md.contains("## 2.0.0 (major)") && !md.contains("create users"),
        "{md}"
    );
    let md = changelog(&project, &url, &["c3..head"]);
    assert!(
        md.contains("drop the name column") && !md.contains("index emails"),
        "{md}"
    );
    let html = changelog(&project, &url, &["--format", "html"]);
    assert!(html.contains("<h2>2.0.0</h2>"), "{html}");
    let out = strata(project.path(), Some(&url), &["changelog", "2.0.0"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("is not a range"), "{}", text(&out));
}

#[test]
fn applied_revisions_name_their_environment() {
    let project = Project::new();
    branching(&project);
    let db = project.path().join("dev.db");
    project.config(&format!(
        "migrations_dir = \"migrations\"\ndefault_env = \"development\"\n\n[env.development]\nurl = \"sqlite://{}\"\n\n[env.staging]\nurl = \"sqlite://{}\"\n",
        db.display(),
        project.path().join("missing-staging.db").display()
    ));
    let out = strata(project.path(), None, &["upgrade", "b2"]);
    assert_exit(&out, 0);
    let out = strata(project.path(), None, &["changelog", "--format", "json"]);
    assert_exit(&out, 0);
    let value: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let revisions: Vec<&serde_json::Value> = value["versions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|v| v["revisions"].as_array().unwrap())
        .collect();
    let of = |id: &str| revisions.iter().find(|r| r["revision"] == id).unwrap();
    assert_eq!(of("b2")["applied"][0]["env"], "development");
    assert!(of("b2")["applied"][0]["applied_at"]
        .as_str()
        .unwrap()
        .starts_with("20"));
    // The author is the history's applied_by when the files are not in git.
    assert!(of("b2")["author"].is_string());
    assert!(of("c3")["applied"].as_array().unwrap().is_empty());
    // The staging database cannot be read: it is left out, and the command still succeeds.
}
