//! Promotion across four real PostgreSQL databases standing for four environments
//! (development → ci → staging → production): refusal naming the revisions, success once the
//! previous environment has applied them, an override recorded with its reason, the signed
//! record path with a tampered record rejected, and `promote status`.

mod common;
use common::*;
use std::path::Path;

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    strata(dir, None, args)
}

#[test]
fn four_environments() {
    let dbs: Vec<Db> = (0..4).map(|_| Db::pg()).collect();
    let envs = ["development", "ci", "staging", "production"];
    let project = Project::new();
    let dir = project.path();

    // A signing key for staging; its public key goes into [promotion].
    let out = run(dir, &["promote", "keygen", "--out", "staging.key"]);
    assert_exit(&out, 0);
    let public = stdout(&out).trim().to_owned();
    assert_eq!(public.len(), 64, "{}", text(&out));
    let secret = std::fs::read_to_string(dir.join("staging.key")).unwrap();
    assert!(
        !text(&out).contains(secret.trim()),
        "the private key is never printed"
    );

    let mut config =
        String::from("migrations_dir = \"migrations\"\ndefault_env = \"development\"\n");
    for (env, db) in envs.iter().zip(&dbs) {
        config.push_str(&format!("\n[env.{env}]\nurl = \"{}\"\n", db.url()));
        if *env == "staging" {
            config.push_str("signing_key = \"staging.key\"\n");
        }
    }
    config.push_str(&format!(
        "\n[promotion]\norder = [\"development\", \"ci\", \"staging\", \"production\"]\npublic_key = \"{public}\"\n"
    ));
    project.config(&config);
    project.migration(
        "a1",
        &[],
        "CREATE TABLE t (id int PRIMARY KEY);",
        "DROP TABLE t;",
    );
    project.migration(
        "b2",
        &["a1"],
        "ALTER TABLE t ADD COLUMN v text;",
        "ALTER TABLE t DROP COLUMN v;",
    );

    // ci before development: refused, naming both revisions; nothing applied.
    let out = run(dir, &["--env", "ci", "upgrade"]);
    assert_exit(&out, 1);
    let t = text(&out);
    assert!(
        t.contains("a1 has not been applied in `development`"),
        "{t}"
    );
    assert!(
        t.contains("b2 has not been applied in `development`"),
        "{t}"
    );
    assert!(!dbs[1].table_exists("t"));

    // development is first in the order: no check. Then ci goes through.
    assert_exit(&run(dir, &["--env", "development", "upgrade"]), 0);
    assert_exit(&run(dir, &["--env", "ci", "upgrade"]), 0);
    assert!(dbs[1].table_exists("t"));

    // A hotfix that development has not applied: ci refuses, then goes ahead with a reason.
    project.migration(
        "c3",
        &["b2"],
        "CREATE INDEX t_v ON t (v);",
        "DROP INDEX t_v;",
    );
    let out = run(dir, &["--env", "ci", "upgrade"]);
    assert_exit(&out, 1);
    assert!(
        text(&out).contains("c3 has not been applied in `development`"),
        "{}",
        text(&out)
    );
    let out = run(
        dir,
        &[
            "--env",
            "ci",
            "upgrade",
            "--override-promotion",
            "--reason",
            "hotfix for incident 42",
        ],
    );
    assert_exit(&out, 0);
    let rows = dbs[1].strings(
        "SELECT kind || ' ' || revision || ' ' || message FROM strata_history WHERE message LIKE 'promotion override:%'",
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].starts_with("stamp c3 ") && rows[0].contains("hotfix for incident 42"),
        "{rows:?}"
    );
    assert!(rows[0].contains("`development`"), "{rows:?}");
    // --override-promotion needs a reason.
    assert_exit(
        &run(dir, &["--env", "ci", "upgrade", "--override-promotion"]),
        2,
    );

    // staging: ci has applied everything (the override counts: c3 is applied there).
    assert_exit(&run(dir, &["--env", "staging", "upgrade"]), 0);

    // A file edited after staging applied it is not the same revision for production.
    // (Checked against staging's checksums; restored afterwards.)
    let b2 = dir.join("migrations/b2_m.sql");
    let original = std::fs::read_to_string(&b2).unwrap();

    // The signed record path: staging exports, production verifies.
    let out = run(dir, &["--env", "staging", "promote", "export"]);
    assert_exit(&out, 0);
    let record = stdout(&out);
    assert!(!record.contains(secret.trim()));
    let value: serde_json::Value = serde_json::from_str(&record).unwrap();
    assert_eq!(value["env"], "staging");
    assert_eq!(value["revisions"].as_array().unwrap().len(), 3);

    // Tampered: a checksum changed after signing. Rejected, nothing applied.
    let tampered = record.replacen(
        value["revisions"][0]["checksum"].as_str().unwrap(),
        &"0".repeat(64),
        1,
    );
    std::fs::write(dir.join("tampered.json"), &tampered).unwrap();
    let out = run(
        dir,
        &[
            "--env",
            "production",
            "upgrade",
            "--promotion",
            "tampered.json",
        ],
    );
    assert_exit(&out, 1);
    assert!(
        text(&out).contains("signature does not match"),
        "{}",
        text(&out)
    );
    assert!(!dbs[3].table_exists("t"));

    // A record from the wrong environment is refused too.
    let out = run(
        dir,
        &["--env", "ci", "upgrade", "--promotion", "tampered.json"],
    );
    assert_exit(&out, 1);

    // Edited file: the record's checksum no longer matches.
    std::fs::write(&b2, format!("{original}-- edited\n")).unwrap();
    std::fs::write(dir.join("promotion.json"), &record).unwrap();
    let out = run(
        dir,
        &[
            "--env",
            "production",
            "upgrade",
            "--promotion",
            "promotion.json",
        ],
    );
    assert_exit(&out, 1);
    assert!(
        text(&out).contains("b2 was applied in `staging` with another checksum"),
        "{}",
        text(&out)
    );
    std::fs::write(&b2, &original).unwrap();

    // The genuine record: production upgrades without reading staging.
    let out = run(
        dir,
        &[
            "--env",
            "production",
            "upgrade",
            "--promotion",
            "promotion.json",
        ],
    );
    assert_exit(&out, 0);
    assert!(dbs[3].table_exists("t"));

    // Status: every environment, every revision; the override shows.
    let out = run(dir, &["promote", "status"]);
    assert_exit(&out, 0);
    let t = stdout(&out);
    let c3 = t.lines().find(|l| l.starts_with("c3")).unwrap_or_default();
    assert!(c3.contains("pending") && c3.contains("overridden"), "{t}");
    let out = run(dir, &["--json", "promote", "status"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let c3 = json["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["revision"] == "c3")
        .unwrap();
    assert_eq!(c3["states"]["development"], "pending");
    assert_eq!(c3["states"]["ci"], "overridden");
    assert_eq!(c3["states"]["staging"], "applied");
    assert_eq!(c3["states"]["production"], "applied");
}
