//! `strata import` and `--adopt` end to end on PostgreSQL, for each source format: the fixture
//! history (tests/import_fixtures/<tool>: 11 migrations, one outside a transaction, the first
//! without a down, semicolons in strings, dollar quotes) is applied as the tool applies it, with
//! the tool's table in its documented layout (rows as the tool writes them); then imported and
//! adopted: `current` names the last, `verify` is clean, `upgrade` applies only a migration added
//! afterwards, downgrading and upgrading again gives the same schema as applying the originals
//! (`strata diff --exit-code` against a database where they were applied directly).

mod common;
use common::*;
use std::path::{Path, PathBuf};
use strata_import::{Format, SourceMigration};

fn fixture(tool: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/import_fixtures")
        .join(tool)
}

/// The source tool's migrations, in order, as the tool reads them.
fn originals(format: Format, tool: &str) -> Vec<SourceMigration> {
    let files = strata_import::read_dir(&fixture(tool)).unwrap();
    let read = match format {
        Format::Diesel => strata_import::diesel::read(&files),
        Format::Sqlx => strata_import::sqlx::read(&files),
        Format::GolangMigrate => strata_import::golang_migrate::read(&files),
        Format::Dbmate => strata_import::dbmate::read(&files),
        Format::Goose => strata_import::goose::read(&files),
        Format::MaragudkMigrate => strata_import::maragudk::read(&files),
        Format::Sqitch => strata_import::sqitch::read(&files),
        Format::LiquibaseSql => strata_import::liquibase::read(&files),
        _ => strata_import::flyway::read(&files),
    }
    .unwrap();
    let mut ms = read.migrations;
    if matches!(format, Format::Sqitch | Format::LiquibaseSql) {
        // The plan's or the changelogs' order.
    } else if format == Format::MaragudkMigrate {
        ms.sort_by(|a, b| a.version.cmp(&b.version));
    } else {
        ms.sort_by(|a, b| strata_import::compare_versions(&a.version, &b.version));
    }
    assert_eq!(ms.len(), 11, "{tool}: the fixture has 11 migrations");
    ms
}

/// Applies the ups as the tools do: each file as one simple query (an implicit transaction;
/// CREATE INDEX CONCURRENTLY alone in its file).
fn apply_originals(db: &Db, ms: &[SourceMigration]) {
    for m in ms {
        db.exec(&m.up);
    }
}

const NEW_TABLE: &str = "CREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL);";

/// The tool's table, as the tool creates it, with every fixture migration applied.
fn tool_table(format: Format, ms: &[SourceMigration]) -> String {
    let lit = |s: &str| format!("'{}'", s.replace('\'', "''"));
    match format {
        // Captured from diesel_cli 2.3 itself by scripts/import-check.sh (diesel records the
        // version without its dashes).
        Format::Diesel => include_str!("import_fixtures/captured/diesel.sql").to_owned(),
        // Captured from sqlx-cli 0.9 itself by scripts/import-check.sh (SHA-384 checksums).
        Format::Sqlx => include_str!("import_fixtures/captured/sqlx.sql").to_owned(),
        Format::GolangMigrate => {
            "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);\nINSERT INTO schema_migrations VALUES (11, false);\n".to_owned()
        }
        Format::MaragudkMigrate => "CREATE TABLE migrations (version text NOT NULL);\nINSERT INTO migrations VALUES ('0011_email_check');\n".to_owned(),
        Format::LiquibaseSql => {
            let mut sql = "CREATE TABLE databasechangeloglock (id INTEGER NOT NULL PRIMARY KEY, locked BOOLEAN NOT NULL, lockgranted TIMESTAMP WITHOUT TIME ZONE, lockedby VARCHAR(255));\nINSERT INTO databasechangeloglock VALUES (1, false, NULL, NULL);\nCREATE TABLE databasechangelog (id VARCHAR(255) NOT NULL, author VARCHAR(255) NOT NULL, filename VARCHAR(255) NOT NULL, dateexecuted TIMESTAMP WITHOUT TIME ZONE NOT NULL, orderexecuted INTEGER NOT NULL, exectype VARCHAR(10) NOT NULL, md5sum VARCHAR(35), description VARCHAR(255), comments VARCHAR(255), tag VARCHAR(255), liquibase VARCHAR(20), contexts VARCHAR(255), labels VARCHAR(255), deployment_id VARCHAR(10));\n".to_owned();
            for (i, m) in ms.iter().enumerate() {
                let (author, id) = m.version.split_once(':').unwrap();
                let file = m.path.split(':').next().unwrap();
                sql.push_str(&format!(
                    "INSERT INTO databasechangelog VALUES ({}, {}, {}, TIMESTAMP '2024-02-01 10:00:00' + interval '{i} seconds', {}, 'EXECUTED', '9:0123456789abcdef0123456789abcdef', 'sql', {}, NULL, '4.29.2', NULL, NULL, '7000000000');\n",
                    lit(id),
                    lit(author),
                    lit(file),
                    i + 1,
                    lit(&m.name)
                ));
            }
            sql
        }
        // Captured from sqitch itself by scripts/import-check.sh.
        Format::Sqitch => include_str!("import_fixtures/captured/sqitch.sql").to_owned(),
        // Captured from dbmate itself by scripts/import-check.sh.
        Format::Dbmate => include_str!("import_fixtures/captured/dbmate.sql").to_owned(),
        Format::Goose => {
            let mut sql = "CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL DEFAULT now(), PRIMARY KEY (id));\nINSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true);\n".to_owned();
            for m in ms {
                sql.push_str(&format!(
                    "INSERT INTO goose_db_version (version_id, is_applied) VALUES ({}, true);\n",
                    m.version
                ));
            }
            sql
        }
        _ => {
            let mut sql = "CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT now(), execution_time INT NOT NULL, success BOOLEAN NOT NULL);\n".to_owned();
            for (i, m) in ms.iter().enumerate() {
                sql.push_str(&format!(
                    "INSERT INTO flyway_schema_history VALUES ({}, {}, {}, 'SQL', {}, {}, 'deployer', '2024-02-01 10:00:00', 12, true);\n",
                    i + 1,
                    lit(&m.version),
                    lit(&m.name),
                    lit(&m.path),
                    m.tool_checksum.as_deref().unwrap()
                ));
            }
            sql.push_str("INSERT INTO flyway_schema_history VALUES (12, NULL, 'settings view', 'SQL', 'R__settings_view.sql', 1, 'deployer', '2024-02-01 10:00:00', 3, true);\n");
            sql
        }
    }
}

fn scenario(format: Format, tool: &str) {
    let ms = originals(format, tool);
    let db = Db::pg();
    apply_originals(&db, &ms);
    db.exec(&tool_table(format, &ms));
    let tool_rows_before = db.strings(&format!(
        "SELECT count(*)::text FROM {}",
        format.default_table()
    ));

    let project = Project::new();
    let dir = fixture(tool);
    let dir = dir.to_str().unwrap();
    let out = strata(
        project.path(),
        None,
        &["import", "--from", tool, "--dir", dir],
    );
    assert_exit(&out, 0);
    let written = std::fs::read_dir(project.path().join("migrations"))
        .unwrap()
        .count();
    assert_eq!(written, 11, "{}", text(&out));
    // Importing again is a no-op.
    let out = strata(
        project.path(),
        None,
        &["import", "--from", tool, "--dir", dir],
    );
    assert_exit(&out, 0);
    assert!(
        text(&out).contains("0 written, 11 already there"),
        "{}",
        text(&out)
    );

    let first = strata_import::revision_id(&ms[0].version);
    let last = strata_import::revision_id(&ms[10].version);
    let url = Some(db.url());
    // --dry-run prints the SQL and writes nothing.
    let out = strata(
        project.path(),
        url,
        &[
            "import",
            "--from",
            tool,
            "--dir",
            dir,
            "--adopt",
            "--dry-run",
        ],
    );
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("'stamp'"), "{}", text(&out));
    assert!(db
        .strings("SELECT coalesce(to_regclass('strata_version')::text, 'none')")
        .contains(&"none".to_owned()));

    let out = strata(
        project.path(),
        url,
        &["import", "--from", tool, "--dir", dir, "--adopt"],
    );
    assert_exit(&out, 0);
    assert!(
        text(&out).contains(&format!("current: {last}")),
        "{}",
        text(&out)
    );
    let out = strata(project.path(), url, &["current"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains(&last), "{}", text(&out));
    let out = strata(project.path(), url, &["verify"]);
    assert_exit(&out, 0);
    assert_eq!(
        db.strings("SELECT count(*)::text FROM strata_history WHERE kind = 'stamp'"),
        vec!["11".to_owned()]
    );
    // Adopting twice changes nothing.
    let out = strata(
        project.path(),
        url,
        &["import", "--from", tool, "--dir", dir, "--adopt"],
    );
    assert_exit(&out, 0);
    assert!(text(&out).contains("already adopted"), "{}", text(&out));
    // The tool's table is not part of the schema the migrations make: inspect and drift leave
    // it out.
    let out = strata(project.path(), url, &["inspect"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("CREATE TABLE"), "{}", text(&out));
    assert!(
        !stdout(&out).contains(format.default_table()),
        "{}",
        text(&out)
    );
    let out = strata(project.path(), url, &["drift"]);
    assert_exit(&out, 0);
    // The source tool's table is left as it was.
    assert_eq!(
        db.strings(&format!(
            "SELECT count(*)::text FROM {}",
            format.default_table()
        )),
        tool_rows_before
    );

    // A migration added after the import: upgrade applies it alone.
    project.migration("99", &[&last], NEW_TABLE, "DROP TABLE tags;");
    let out = strata(project.path(), url, &["upgrade"]);
    assert_exit(&out, 0);
    assert_eq!(
        db.strings("SELECT revision FROM strata_history WHERE kind = 'up'"),
        vec!["99".to_owned()]
    );

    // Down to the first (it has no down in the source, so it stays) and up again.
    let out = strata(project.path(), url, &["downgrade", &first]);
    assert_exit(&out, 0);
    assert_eq!(
        db.strings("SELECT revision FROM strata_version"),
        vec![first.clone()]
    );
    let out = strata(project.path(), url, &["upgrade"]);
    assert_exit(&out, 0);

    // The same schema as the originals applied directly (the adopted tool's table left out).
    let reference = Db::pg();
    apply_originals(&reference, &ms);
    reference.exec(NEW_TABLE);
    let out = strata(
        project.path(),
        None,
        &["diff", db.url(), reference.url(), "--exit-code"],
    );
    assert_exit(&out, 0);
}

#[test]
fn diesel() {
    scenario(Format::Diesel, "diesel");
}

#[test]
fn sqlx() {
    scenario(Format::Sqlx, "sqlx");
}

#[test]
fn golang_migrate() {
    scenario(Format::GolangMigrate, "golang-migrate");
}

#[test]
fn dbmate() {
    scenario(Format::Dbmate, "dbmate");
}

#[test]
fn goose() {
    scenario(Format::Goose, "goose");
}

#[test]
fn flyway() {
    scenario(Format::Flyway, "flyway");
}

#[test]
fn sqitch() {
    scenario(Format::Sqitch, "sqitch");
}

#[test]
fn liquibase_sql() {
    scenario(Format::LiquibaseSql, "liquibase-sql");
}

#[test]
fn maragudk_migrate() {
    scenario(Format::MaragudkMigrate, "maragudk-migrate");
}

/// Imports and returns (project, db with the originals applied).
fn imported(format: Format, tool: &str) -> (Project, Db, Vec<SourceMigration>) {
    let ms = originals(format, tool);
    let db = Db::pg();
    apply_originals(&db, &ms);
    let project = Project::new();
    let out = strata(
        project.path(),
        None,
        &[
            "import",
            "--from",
            tool,
            "--dir",
            fixture(tool).to_str().unwrap(),
        ],
    );
    assert_exit(&out, 0);
    (project, db, ms)
}

fn adopt(project: &Project, db: &Db, tool: &str) -> std::process::Output {
    strata(
        project.path(),
        Some(db.url()),
        &[
            "import",
            "--from",
            tool,
            "--dir",
            fixture(tool).to_str().unwrap(),
            "--adopt",
        ],
    )
}

fn strata_tables_absent(db: &Db) -> bool {
    db.strings("SELECT coalesce(to_regclass('strata_history')::text, 'none')") == ["none"]
}

#[test]
fn golang_migrate_dirty_is_refused() {
    let (project, db, _) = imported(Format::GolangMigrate, "golang-migrate");
    db.exec("CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL); INSERT INTO schema_migrations VALUES (7, true);");
    let out = adopt(&project, &db, "golang-migrate");
    assert_exit(&out, 1);
    assert!(
        text(&out).contains("version 7 is marked dirty"),
        "{}",
        text(&out)
    );
    assert!(strata_tables_absent(&db));
}

#[test]
fn a_changed_sqlx_file_is_reported() {
    let (project, db, ms) = imported(Format::Sqlx, "sqlx");
    let mut table = tool_table(Format::Sqlx, &ms);
    table.push_str(
        "UPDATE _sqlx_migrations SET checksum = sha384('edited') WHERE version = 20240103120000;",
    );
    db.exec(&table);
    let out = adopt(&project, &db, "sqlx");
    assert_exit(&out, 1);
    assert!(
        text(&out).contains("20240103120000_create_posts.up.sql (version 20240103120000) changed since sqlx applied it"),
        "{}",
        text(&out)
    );
    assert!(strata_tables_absent(&db));
}

#[test]
fn a_changed_flyway_script_is_reported() {
    let (project, db, ms) = imported(Format::Flyway, "flyway");
    let mut table = tool_table(Format::Flyway, &ms);
    table.push_str("UPDATE flyway_schema_history SET checksum = 42 WHERE version = '1.2';");
    db.exec(&table);
    let out = adopt(&project, &db, "flyway");
    assert_exit(&out, 1);
    assert!(
        text(&out).contains("V1_2__create_users.sql (version 1.2) changed"),
        "{}",
        text(&out)
    );
}

#[test]
fn gaps_and_rows_without_files_are_reported_not_guessed() {
    let (project, db, _) = imported(Format::Dbmate, "dbmate");
    db.exec("CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY); INSERT INTO schema_migrations VALUES ('20240101120000'), ('20240103120000'), ('20991231000000');");
    let out = adopt(&project, &db, "dbmate");
    assert_exit(&out, 1);
    let t = text(&out);
    assert!(
        t.contains("version 20991231000000 is applied but no file"),
        "{t}"
    );
    assert!(t.contains("version 20240102120000 (20240102120000_create_users.sql) is not applied although the later 20240103120000 is"), "{t}");
    assert!(strata_tables_absent(&db));
}

#[test]
fn adopt_needs_the_files_and_the_table() {
    let db = Db::pg();
    let project = Project::new();
    let dir = fixture("goose");
    let out = strata(
        project.path(),
        Some(db.url()),
        &[
            "import",
            "--from",
            "goose",
            "--dir",
            dir.to_str().unwrap(),
            "--adopt",
        ],
    );
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("strata import --from goose"),
        "{}",
        text(&out)
    );
    let out = strata(
        project.path(),
        None,
        &["import", "--from", "goose", "--dir", dir.to_str().unwrap()],
    );
    assert_exit(&out, 0);
    let out = strata(
        project.path(),
        Some(db.url()),
        &[
            "import",
            "--from",
            "goose",
            "--dir",
            dir.to_str().unwrap(),
            "--adopt",
        ],
    );
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("has no table goose_db_version"),
        "{}",
        text(&out)
    );
    assert!(strata_tables_absent(&db));
}

#[test]
fn bad_input_names_the_file() {
    let project = Project::new();
    let src = project.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(
        src.join("1_a.sql"),
        "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n",
    )
    .unwrap();
    let out = strata(
        project.path(),
        None,
        &["import", "--from", "goose", "--dir", "src"],
    );
    assert_exit(&out, 2);
    assert!(text(&out).contains("src/1_a.sql:2"), "{}", text(&out));
    assert!(text(&out).contains("StatementEnd"), "{}", text(&out));
    let out = strata(
        project.path(),
        None,
        &["import", "--from", "liquibase", "--dir", "src"],
    );
    assert_exit(&out, 2);
    assert!(text(&out).contains("liquibase-sql"), "{}", text(&out));
    // Nothing was written.
    assert_eq!(
        std::fs::read_dir(project.path().join("migrations"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn the_source_folder_is_never_the_target() {
    let project = Project::new();
    std::fs::create_dir(project.path().join("migrations/1_a")).unwrap();
    std::fs::write(
        project.path().join("migrations/1_a/up.sql"),
        "CREATE TABLE a ();\n",
    )
    .unwrap();
    // diesel's default folder is strata's default folder too.
    let out = strata(project.path(), None, &["import", "--from", "diesel"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("--into"), "{}", text(&out));
    let out = strata(
        project.path(),
        None,
        &["import", "--from", "diesel", "--into", "converted"],
    );
    assert_exit(&out, 0);
    assert!(project.path().join("converted/1_a.sql").is_file());
}

#[test]
fn flyway_repeatables_and_callbacks_are_explained() {
    let project = Project::new();
    let out = strata(
        project.path(),
        None,
        &[
            "import",
            "--from",
            "flyway",
            "--dir",
            fixture("flyway").to_str().unwrap(),
        ],
    );
    assert_exit(&out, 0);
    let t = text(&out);
    assert!(
        t.contains("R__settings_view.sql: a repeatable script, left out"),
        "{t}"
    );
    assert!(
        t.contains("afterMigrate.sql: a Flyway callback, left out"),
        "{t}"
    );
    let v12 =
        std::fs::read_to_string(project.path().join("migrations/1x2_create_users.sql")).unwrap();
    assert!(
        v12.contains("-- strata:imported-from V1_2__create_users.sql"),
        "{v12}"
    );
    assert!(v12.contains("-- strata:revises 1\n"), "{v12}");
}

/// Runs `strata` with `STRATA_ALEMBIC` naming `alembic`.
fn strata_alembic(
    dir: &Path,
    url: Option<&str>,
    alembic: &Path,
    args: &[&str],
) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_strata"));
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("STRATA_ENV")
        .env("NO_COLOR", "1")
        .env("STRATA_ALEMBIC", alembic);
    if let Some(url) = url {
        cmd.arg("--url").arg(url);
    }
    cmd.args(args).output().expect("run strata")
}

/// Alembic's offline output for the fixture, as Alembic 1.20 printed it (captured by
/// scripts/import-check.sh), replayed by a stand-in for the `alembic` command: strata runs
/// `alembic upgrade heads --sql` and `alembic downgrade heads:base --sql` and cuts the output per
/// revision.
fn fake_alembic(dir: &Path) -> PathBuf {
    let captured = fixture("captured");
    let script = dir.join("alembic");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncase \"$1\" in\n  upgrade) cat '{}' ;;\n  downgrade) cat '{}' ;;\n  *) exit 1 ;;\nesac\n",
            captured.join("alembic-upgrade.sql").display(),
            captured.join("alembic-downgrade.sql").display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// Applies Alembic's offline script statement by statement, as psql runs it (its own
/// BEGIN/COMMIT around `CREATE INDEX CONCURRENTLY`, the alembic_version table).
fn apply_alembic_script(db: &Db) {
    let text = std::fs::read_to_string(fixture("captured").join("alembic-upgrade.sql")).unwrap();
    let Db::Pg(pg) = db else { unreachable!() };
    let mut client = pg.client();
    for statement in strata_core::sql::split(&text, 1) {
        client.batch_execute(&statement.sql).unwrap();
    }
}

#[test]
fn alembic() {
    let db = Db::pg();
    apply_alembic_script(&db);
    assert_eq!(
        db.strings("SELECT version_num::text FROM alembic_version"),
        ["r11"]
    );
    let project = Project::new();
    let bin = tempfile::tempdir().unwrap();
    let alembic = fake_alembic(bin.path());
    let dir = fixture("alembic");
    let dir = dir.to_str().unwrap();
    let out = strata_alembic(
        project.path(),
        None,
        &alembic,
        &["import", "--from", "alembic", "--dir", dir],
    );
    assert_exit(&out, 0);
    // The graph as Alembic has it: the merge, the labels, depends_on.
    let merge =
        std::fs::read_to_string(project.path().join("migrations/r10_merge_branches.sql")).unwrap();
    assert!(merge.contains("-- strata:revises r08 r09\n"), "{merge}");
    assert!(!merge.contains("irreversible"), "{merge}");
    let r09 =
        std::fs::read_to_string(project.path().join("migrations/r09_more_settings.sql")).unwrap();
    assert!(
        r09.contains("-- strata:labels data\n-- strata:depends-on r02\n"),
        "{r09}"
    );
    assert!(
        r09.contains("-- strata:imported-from alembic/versions/r09_more_settings.py"),
        "{r09}"
    );
    assert!(!r09.contains("alembic_version"), "{r09}");
    let r06 = std::fs::read_to_string(project.path().join("migrations/r06_posts_user_index.sql"))
        .unwrap();
    assert!(
        !r06.contains("COMMIT") && r06.contains("CREATE INDEX CONCURRENTLY"),
        "{r06}"
    );

    let url = Some(db.url());
    let out = strata_alembic(
        project.path(),
        url,
        &alembic,
        &["import", "--from", "alembic", "--dir", dir, "--adopt"],
    );
    assert_exit(&out, 0);
    assert_eq!(
        db.strings("SELECT count(*)::text FROM strata_history WHERE kind = 'stamp'"),
        ["11"]
    );
    let out = strata(project.path(), url, &["current"]);
    assert!(stdout(&out).contains("r11"), "{}", text(&out));
    assert_exit(&strata(project.path(), url, &["verify"]), 0);
    assert_exit(&strata(project.path(), url, &["drift"]), 0);

    project.migration("99", &["r11"], NEW_TABLE, "DROP TABLE tags;");
    assert_exit(&strata(project.path(), url, &["upgrade"]), 0);
    assert_eq!(
        db.strings("SELECT revision FROM strata_history WHERE kind = 'up'"),
        ["99"]
    );
    assert_exit(&strata(project.path(), url, &["downgrade", "r01"]), 0);
    assert_eq!(db.strings("SELECT revision FROM strata_version"), ["r01"]);
    assert_exit(&strata(project.path(), url, &["upgrade"]), 0);

    let reference = Db::pg();
    apply_alembic_script(&reference);
    reference.exec(NEW_TABLE);
    reference.exec("DROP TABLE alembic_version;");
    let out = strata(
        project.path(),
        None,
        &["diff", db.url(), reference.url(), "--exit-code"],
    );
    assert_exit(&out, 0);
}

#[test]
fn alembic_missing_says_what_to_install() {
    let project = Project::new();
    let out = strata_alembic(
        project.path(),
        None,
        Path::new("/nonexistent/alembic"),
        &[
            "import",
            "--from",
            "alembic",
            "--dir",
            fixture("alembic").to_str().unwrap(),
        ],
    );
    assert_exit(&out, 2);
    assert!(text(&out).contains("pip install alembic"), "{}", text(&out));
    assert_eq!(
        std::fs::read_dir(project.path().join("migrations"))
            .unwrap()
            .count(),
        0
    );
}
