//! libpq's environment (issue #12 item 2): `PGPASSWORD`, the password file, the service file, the
//! other `PG*` variables and client certificates, against a real server that checks passwords
//! and certificates: the cluster of `scripts/pg-password-cluster.sh` (started here when it is not
//! running). Every run gets its own home folder and no `PG*` variable from outside.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const PORT: u16 = 5433;
const USER: &str = "strata_pw_user";
const DB: &str = "strata_pw";
/// The role's password, as `scripts/pg-password-cluster.sh` sets it.
const PASSWORD: &str = "S3cr:et\\pw";
/// The same, percent-encoded for a URL.
const PASSWORD_IN_URL: &str = "S3cr%3Aet%5Cpw";
/// The same, escaped for a password file.
const PASSWORD_IN_PGPASS: &str = "S3cr\\:et\\\\pw";
const WRONG: &str = "Wr0ng-Pa55word";
const KEY_PASSWORD: &str = "fixture-key-pw";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether the password cluster is up and set up as the tests expect.
fn cluster_ready() -> bool {
    let conninfo = format!(
        "host=127.0.0.1 port={PORT} user={USER} dbname={DB} password='S3cr:et\\\\pw' connect_timeout=5"
    );
    let Ok(mut client) = postgres::Client::connect(&conninfo, postgres::NoTls) else {
        return false;
    };
    client
        .query_one(
            "SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = 'strata_cert') \
             AND current_setting('ssl_ca_file') <> ''",
            &[],
        )
        .is_ok_and(|row| row.get::<_, bool>(0))
}

/// Starts the password cluster unless it is running already (once per test process).
fn password_cluster() {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        if cluster_ready() {
            return;
        }
        let script = repo().join("scripts/pg-password-cluster.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg("start")
            .output()
            .unwrap_or_else(|e| panic!("could not run {}: {e}", script.display()));
        assert!(
            out.status.success() && cluster_ready(),
            "these tests need the PostgreSQL cluster with password authentication on 127.0.0.1:{PORT}, \
             and `scripts/pg-password-cluster.sh start` did not set it up (it needs PostgreSQL's \
             server packages and root or sudo; scripts/test.sh installs them):\n{}",
            text(&out)
        );
    });
}

/// A folder that is the home of every strata it runs: no ~/.pgpass, ~/.pg_service.conf or
/// ~/.postgresql but those a test puts there.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        password_cluster();
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("migrations")).unwrap();
        std::fs::write(
            dir.path().join("strata.toml"),
            "migrations_dir = \"migrations\"\n",
        )
        .unwrap();
        Home { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` to `name` (below the home folder) with permissions `mode`.
    fn file(&self, name: &str, text: &str, mode: u32) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    /// The fixture `name` of crates/strata-postgres/tests/fixtures/tls, copied to `to` (0600).
    fn tls_fixture(&self, name: &str, to: &str) -> PathBuf {
        let from = repo()
            .join("crates/strata-postgres/tests/fixtures/tls")
            .join(name);
        let text = std::fs::read_to_string(&from).unwrap();
        self.file(to, &text, 0o600)
    }

    /// `strata ARGS` with `vars` set, the URL given with `--url` when not empty.
    fn run(&self, url: &str, vars: &[(&str, &str)], args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_strata"));
        cmd.current_dir(self.path())
            .env("HOME", self.path())
            .env("NO_COLOR", "1")
            .env_remove("DATABASE_URL")
            .env_remove("STRATA_ENV");
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PG") {
                cmd.env_remove(name);
            }
        }
        cmd.envs(vars.iter().copied());
        if !url.is_empty() {
            cmd.arg("--url").arg(url);
        }
        cmd.args(args).output().expect("run strata")
    }
}

fn url(query: &str) -> String {
    format!("postgres://{USER}@127.0.0.1:{PORT}/{DB}{query}")
}

/// Logged in: `current` read the (empty) version table.
#[track_caller]
fn assert_logged_in(out: &Output) {
    assert_exit(out, 0);
    assert!(
        stdout(out).contains("current: base (nothing applied)"),
        "{}",
        text(out)
    );
}

#[track_caller]
fn assert_hidden(out: &Output, secrets: &[&str]) {
    let t = text(out);
    for secret in secrets {
        assert!(!t.contains(secret), "`{secret}` printed:\n{t}");
    }
}

/// A failed login (exit 3) that names the user, the host and the database.
#[track_caller]
fn assert_login_failed(out: &Output) -> String {
    assert_exit(out, 3);
    let t = text(out);
    for part in [
        format!("user \"{USER}\""),
        format!("database \"{DB}\""),
        format!("host 127.0.0.1, port {PORT}"),
    ] {
        assert!(t.contains(&part), "`{part}` not named:\n{t}");
    }
    assert_hidden(out, &[PASSWORD, PASSWORD_IN_URL, PASSWORD_IN_PGPASS, WRONG]);
    t
}

#[test]
fn pgpassword_completes_a_url_without_a_password() {
    let home = Home::new();
    // Before: `invalid configuration: password missing`, and no hint.
    let out = home.run(&url(""), &[("PGPASSWORD", PASSWORD)], &["-v", "current"]);
    assert_logged_in(&out);
    assert_hidden(&out, &[PASSWORD]);
    // Everything from the variables, as psql takes it.
    let vars = [
        ("PGHOST", "127.0.0.1"),
        ("PGPORT", "5433"),
        ("PGUSER", USER),
        ("PGDATABASE", DB),
        ("PGPASSWORD", PASSWORD),
        ("PGAPPNAME", "from-pgappname"),
        ("PGSSLMODE", "require"),
        ("PGCONNECT_TIMEOUT", "5"),
    ];
    assert_logged_in(&home.run("postgres://", &vars, &["current"]));
    // The URL's password wins over PGPASSWORD.
    let out = home.run(
        &format!("postgres://{USER}:{PASSWORD_IN_URL}@127.0.0.1:{PORT}/{DB}"),
        &[("PGPASSWORD", WRONG)],
        &["current"],
    );
    assert_logged_in(&out);
    // And the URL's port wins over PGPORT.
    assert_logged_in(&home.run(
        &url(""),
        &[("PGPASSWORD", PASSWORD), ("PGPORT", "1")],
        &["current"],
    ));
}

#[test]
fn no_password_says_where_strata_looked() {
    let home = Home::new();
    let out = home.run(&url(""), &[], &["current"]);
    let t = assert_login_failed(&out);
    assert!(
        t.contains(
            "no password was given; set PGPASSWORD, add it to ~/.pgpass, or put it in the URL"
        ),
        "{t}"
    );
    let pgpass = home.path().join(".pgpass");
    assert!(
        t.contains(&format!(
            "the URL, PGPASSWORD (not set), the password file {} (it does not exist)",
            pgpass.display()
        )),
        "{t}"
    );
    assert!(!t.contains("invalid configuration"), "{t}");
}

#[test]
fn a_private_password_file_is_used() {
    let home = Home::new();
    // PGPASSFILE, with escapes in the password and a line before it for another database.
    let file = home.file(
        "secrets/pgpass",
        &format!(
            "# strata tests\n127.0.0.1:{PORT}:other_db:{USER}:not-this-one\n127.0.0.1:{PORT}:{DB}:{USER}:{PASSWORD_IN_PGPASS}\n"
        ),
        0o600,
    );
    let out = home.run(
        &url(""),
        &[("PGPASSFILE", file.to_str().unwrap())],
        &["-v", "current"],
    );
    assert_logged_in(&out);
    assert_hidden(&out, &[PASSWORD, PASSWORD_IN_PGPASS]);
    // passfile= in the URL.
    assert_logged_in(&home.run(
        &url(&format!("?passfile={}", file.display())),
        &[],
        &["current"],
    ));
    // ~/.pgpass, with wildcards.
    home.file(
        ".pgpass",
        &format!("*:*:*:{USER}:{PASSWORD_IN_PGPASS}\n"),
        0o600,
    );
    assert_logged_in(&home.run(&url(""), &[], &["current"]));
    // PGPASSWORD wins over the file: the file is not read.
    let out = home.run(&url(""), &[("PGPASSWORD", WRONG)], &["current"]);
    let t = assert_login_failed(&out);
    assert!(t.contains("the password came from PGPASSWORD"), "{t}");
}

#[test]
fn a_password_file_others_may_read_is_ignored_with_a_warning() {
    let home = Home::new();
    let file = home.file("pgpass", &format!("*:*:*:*:{PASSWORD_IN_PGPASS}\n"), 0o644);
    let out = home.run(
        &url(""),
        &[("PGPASSFILE", file.to_str().unwrap())],
        &["current"],
    );
    let t = assert_login_failed(&out);
    let shown = file.display().to_string();
    assert!(
        t.contains(&format!(
            "warning: password file {shown} has group or world access (permissions 0644)"
        )),
        "{t}"
    );
    assert!(t.contains(&format!("chmod 0600 {shown}")), "{t}");
    assert!(
        t.contains(&format!(
            "the password file {shown} (ignored: it has group or world access"
        )),
        "{t}"
    );
    assert!(
        t.contains(
            "no password was given; set PGPASSWORD, add it to ~/.pgpass, or put it in the URL"
        ),
        "{t}"
    );
    // Made private, it works.
    home.file("pgpass", &format!("*:*:*:*:{PASSWORD_IN_PGPASS}\n"), 0o600);
    assert_logged_in(&home.run(
        &url(""),
        &[("PGPASSFILE", file.to_str().unwrap())],
        &["current"],
    ));
}

#[test]
fn a_service_file_supplies_the_connection() {
    let home = Home::new();
    let services = format!(
        "# strata tests\n[strata_pw]\nhost=127.0.0.1\nport={PORT}\nuser={USER}\ndbname={DB}\npassword={PASSWORD}\n\n\
         [wrong_port]\nhost=127.0.0.1\nport=1\nuser={USER}\ndbname={DB}\npassword={PASSWORD}\n"
    );
    let file = home.file("conf/services.conf", &services, 0o600);
    let file = file.to_str().unwrap();
    // PGSERVICEFILE and PGSERVICE, the URL saying nothing more.
    assert_logged_in(&home.run(
        "postgres://",
        &[("PGSERVICEFILE", file), ("PGSERVICE", "strata_pw")],
        &["current"],
    ));
    // service= in the URL.
    assert_logged_in(&home.run(
        "postgres://?service=strata_pw",
        &[("PGSERVICEFILE", file)],
        &["current"],
    ));
    // ~/.pg_service.conf; the URL's port beats the service's.
    home.file(".pg_service.conf", &services, 0o600);
    assert_logged_in(&home.run(
        &format!("postgres://127.0.0.1:{PORT}?service=wrong_port"),
        &[],
        &["current"],
    ));
    // The service's values beat the PG* variables.
    assert_logged_in(&home.run(
        "postgres://?service=strata_pw",
        &[("PGPORT", "1"), ("PGPASSWORD", WRONG), ("PGUSER", "nobody")],
        &["current"],
    ));
    // A service that is not there: bad input, naming where strata looked.
    let out = home.run(
        "postgres://?service=nope",
        &[("PGSERVICEFILE", file)],
        &["current"],
    );
    assert_exit(&out, 2);
    assert!(
        text(&out).contains(&format!(
            "service `nope` (from the URL) is not defined: looked in {file} (no [nope] section)"
        )),
        "{}",
        text(&out)
    );
}

#[test]
fn a_wrong_password_names_the_login_and_the_password_source() {
    let home = Home::new();
    let pgpass = home.file("pgpass", &format!("*:*:*:*:{WRONG}\n"), 0o600);
    let services = home.file(
        "services.conf",
        &format!("[bad]\npassword={WRONG}\n"),
        0o600,
    );
    let pgpass_source = format!("the password file {}, line 1", pgpass.display());
    // The URL, the variables, where the password comes from.
    type Case<'a> = (String, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            format!("postgres://{USER}:{WRONG}@127.0.0.1:{PORT}/{DB}"),
            vec![],
            "the URL",
        ),
        (url(""), vec![("PGPASSWORD", WRONG)], "PGPASSWORD"),
        (
            url(""),
            vec![("PGPASSFILE", pgpass.to_str().unwrap())],
            &pgpass_source,
        ),
        (
            url("?service=bad"),
            vec![("PGSERVICEFILE", services.to_str().unwrap())],
            "service `bad`",
        ),
        (
            "postgres://".to_owned(),
            vec![
                ("PGHOST", "127.0.0.1"),
                ("PGPORT", "5433"),
                ("PGUSER", USER),
                ("PGDATABASE", DB),
                ("PGPASSWORD", WRONG),
            ],
            "PGPASSWORD",
        ),
    ];
    for (url, vars, source) in &cases {
        for args in [&["current"][..], &["--json", "current"], &["-v", "upgrade"]] {
            let out = home.run(url, vars, args);
            let t = assert_login_failed(&out);
            assert!(
                t.contains("password authentication failed"),
                "{url} {args:?}: {t}"
            );
            assert!(
                t.contains(&format!("the password came from {source}")),
                "{url} {args:?}: `{source}` not named:\n{t}"
            );
            if args.contains(&"--json") {
                let json: serde_json::Value = serde_json::from_slice(&out.stdout)
                    .unwrap_or_else(|e| panic!("not JSON ({e}):\n{t}"));
                assert_eq!(json["error"]["exit_code"], serde_json::json!(3));
            }
        }
    }
}

#[test]
fn pg_variables_never_turn_the_sqlite_default_into_postgres() {
    let home = Home::new();
    let vars = [
        ("PGHOST", "127.0.0.1"),
        ("PGPORT", "5433"),
        ("PGUSER", USER),
        ("PGPASSWORD", PASSWORD),
        ("PGDATABASE", DB),
        ("PGSERVICE", "nowhere"),
    ];
    // The default stays `sqlite://strata.db`: `current` (which only reads) says that file does
    // not exist, rather than connecting to the server the variables describe.
    let out = home.run("", &vars, &["current"]);
    assert_exit(&out, 2);
    let said = text(&out);
    assert!(
        said.contains("strata.db") && said.contains("does not exist"),
        "{said}"
    );
    assert!(!said.contains("5433") && !said.contains(USER), "{said}");
    assert_hidden(&out, &[PASSWORD]);
    // Once the SQLite file exists, `current` reads it.
    std::fs::write(home.path().join("strata.db"), "").unwrap();
    let out = home.run("", &vars, &["current"]);
    assert_logged_in(&out);
}

#[test]
fn a_malformed_variable_is_bad_input_naming_it() {
    let home = Home::new();
    for (var, value, named) in [
        (
            "PGSSLMODE",
            "bogus",
            "PGSSLMODE: invalid value `bogus` for `sslmode`",
        ),
        ("PGPORT", "fivefourthreetwo", "PGPORT: invalid value"),
        (
            "PGCONNECT_TIMEOUT",
            "soon",
            "PGCONNECT_TIMEOUT: invalid value `soon`",
        ),
    ] {
        let out = home.run(
            &format!("postgres://{USER}@127.0.0.1/{DB}"),
            &[(var, value)],
            &["current"],
        );
        assert_exit(&out, 2);
        assert!(text(&out).contains(named), "{var}: {}", text(&out));
        assert!(!text(&out).contains("could not connect"), "{}", text(&out));
    }
}

#[test]
fn a_client_certificate_logs_in() {
    let home = Home::new();
    let cert = home.tls_fixture("client.crt", "tls/client.crt");
    let key = home.tls_fixture("client.key", "tls/client.key");
    let encrypted = home.tls_fixture("client-encrypted.key", "tls/client-encrypted.key");
    let (cert, key, encrypted) = (
        cert.to_str().unwrap(),
        key.to_str().unwrap(),
        encrypted.to_str().unwrap(),
    );
    let base = format!("postgres://strata_cert@127.0.0.1:{PORT}/{DB}?sslmode=require");
    // Without a certificate the server refuses: the error says none was presented.
    let out = home.run(&base, &[], &["current"]);
    assert_exit(&out, 3);
    let t = text(&out);
    assert!(
        t.contains("connection requires a valid client certificate"),
        "{t}"
    );
    assert!(t.contains("no client certificate was presented"), "{t}");
    // sslcert and sslkey in the URL.
    assert_logged_in(&home.run(
        &format!("{base}&sslcert={cert}&sslkey={key}"),
        &[],
        &["current"],
    ));
    // PGSSLCERT and PGSSLKEY.
    assert_logged_in(&home.run(
        &base,
        &[("PGSSLCERT", cert), ("PGSSLKEY", key)],
        &["current"],
    ));
    // An encrypted key with sslpassword, which is never printed.
    let out = home.run(
        &format!("{base}&sslcert={cert}&sslkey={encrypted}&sslpassword={KEY_PASSWORD}"),
        &[],
        &["-v", "current"],
    );
    assert_logged_in(&out);
    assert_hidden(&out, &[KEY_PASSWORD]);
    // libpq's default files, ~/.postgresql/postgresql.crt and .key.
    home.tls_fixture("client.crt", ".postgresql/postgresql.crt");
    home.tls_fixture("client.key", ".postgresql/postgresql.key");
    assert_logged_in(&home.run(&base, &[], &["current"]));
    // A missing file is bad input naming it, found before connecting.
    let out = home.run(
        &format!("{base}&sslcert=/no/such.crt&sslkey={key}"),
        &[],
        &["current"],
    );
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("cannot read the client certificate /no/such.crt (sslcert in the URL)"),
        "{}",
        text(&out)
    );
}
