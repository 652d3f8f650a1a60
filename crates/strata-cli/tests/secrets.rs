//! Passwords in database URLs never reach the output, whatever the URL's shape, and malformed URLs
//! are bad input found before connecting (issue #9: defects 5 and 7). Every shape goes through
//! every place a URL comes from (`--url`, strata.toml's `url`, `DATABASE_URL`, a `${VAR}` in
//! strata.toml) into failing commands. Well-formed URLs point at 127.0.0.1 on a port nobody
//! listens on: refused at once, nothing leaves the machine.

mod common;
use common::*;
use std::process::{Command, Output};

/// A port on 127.0.0.1 with no server: bound, then released.
fn unused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// A URL, the texts that must never be printed when it is used, and the exit code it deserves.
struct Shape {
    url: String,
    secrets: Vec<&'static str>,
    exit: i32,
}

fn shape(url: String, secrets: &[&'static str], exit: i32) -> Shape {
    Shape {
        url,
        secrets: secrets.to_vec(),
        exit,
    }
}

fn shapes(port: u16) -> Vec<Shape> {
    let host = format!("127.0.0.1:{port}");
    let mut out = vec![
        // Well-formed: they connect (refused, exit 3), masked.
        shape(
            format!("postgres://app:S3cr#3tPW@{host}/shop"),
            &["S3cr#3tPW", "3tPW"],
            3,
        ),
        shape(
            format!("postgres://app:pa ss w0rd@{host}/shop"),
            &["pa ss w0rd", "ss w0rd"],
            3,
        ),
        shape(
            format!("postgres://app:p@ssW0rd42@{host}/shop"),
            &["p@ssW0rd42", "ssW0rd42"],
            3,
        ),
        shape(
            format!("postgresql://app:S3cr3t%2F%3Fenc@{host}/shop?sslmode=prefer"),
            &["S3cr3t%2F%3Fenc", "S3cr3t/?enc"],
            3,
        ),
        shape(
            format!("postgres://{host}/shop?user=app&password=Qu3ryPW99&sslmode=disable"),
            &["Qu3ryPW99"],
            3,
        ),
        // An unencoded `/` or `?` ends the host part: bad input, never `invalid port 'S3cr'`.
        shape(
            format!("postgres://app:p/ss?w0rd@{host}/shop"),
            &["p/ss?w0rd", "ss?w0rd", "p/ss"],
            2,
        ),
        shape(
            format!("postgres://app:S3cr/3tPW@{host}/shop"),
            &["S3cr/3tPW", "S3cr", "3tPW"],
            2,
        ),
        shape(
            format!("postgres://app:S3cr?3tPW@{host}/shop"),
            &["S3cr?3tPW", "S3cr", "3tPW"],
            2,
        ),
        // Scheme typos: not shown at all without `://`, masked with it.
        shape(
            format!("postgresql//app:S3cr#3tPW@{host}/shop"),
            &["S3cr#3tPW", "3tPW"],
            2,
        ),
        shape(
            format!("postgres:/app:S3cr#3tPW@{host}/shop"),
            &["S3cr#3tPW", "3tPW"],
            2,
        ),
        shape(
            format!("app:S3cr#3tPW@{host}/shop"),
            &["S3cr#3tPW", "3tPW"],
            2,
        ),
        shape(
            format!("postgress://app:S3cr#3tPW@{host}/shop"),
            &["S3cr#3tPW", "3tPW"],
            2,
        ),
        // Malformed parameters, with a password in the URL.
        shape(
            "postgres://app:S3cr#3tPW@127.0.0.1:99999/shop".to_owned(),
            &["S3cr#3tPW"],
            2,
        ),
        shape(
            "postgres://app:S3cr#3tPW@127.0.0.1:notaport/shop".to_owned(),
            &["S3cr#3tPW"],
            2,
        ),
        shape(
            format!("postgres://app:S3cr#3tPW@{host}/shop?sslmode=bogus"),
            &["S3cr#3tPW"],
            2,
        ),
        shape(
            format!("postgres://app:S3cr#3tPW@{host}/shop?sslmode="),
            &["S3cr#3tPW"],
            2,
        ),
        shape(
            format!("postgres://app:S3cr#3tPW@{host}/shop?connect_timeout=abc"),
            &["S3cr#3tPW"],
            2,
        ),
        shape(
            format!("postgres://app:S3cr#3tPW@{host}/shop?sslmod=require"),
            &["S3cr#3tPW"],
            2,
        ),
        shape(
            format!("postgres://app:S3cr%zz3tPW@{host}/shop"),
            &["S3cr%zz3tPW", "zz3tPW"],
            2,
        ),
        // A misspelt `password` parameter: its value is not shown either.
        shape(
            format!("postgres://{host}/shop?user=app&pasword=Qu3ryPW99"),
            &["Qu3ryPW99"],
            2,
        ),
    ];
    // The examples of docs/configuration.md, pointed at the unused port, with a password.
    for example in doc_examples() {
        out.push(Shape {
            url: with_password_and_host(&example, "D0cs#Secr3t", &host),
            secrets: vec!["D0cs#Secr3t", "Secr3t"],
            exit: 3,
        });
    }
    out
}

/// Every `postgres://` or `postgresql://` URL with an `@` in docs/configuration.md.
fn doc_examples() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/configuration.md");
    let text = std::fs::read_to_string(path).expect("docs/configuration.md");
    let mut out: Vec<String> = text
        .match_indices("postgres")
        .map(|(at, _)| &text[at..])
        .filter(|rest| rest.starts_with("postgres://") || rest.starts_with("postgresql://"))
        .map(|rest| {
            let end = rest
                .find(|c: char| c.is_whitespace() || matches!(c, '`' | '"' | ')'))
                .unwrap_or(rest.len());
            rest[..end].to_owned()
        })
        .filter(|url| url.contains('@'))
        .collect();
    out.dedup();
    assert!(
        out.len() >= 3,
        "docs/configuration.md has fewer URL examples than expected: {out:?}"
    );
    out
}

/// `url` with `password` as its password and `host` as its host and port.
fn with_password_and_host(url: &str, password: &str, host: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let at = rest.rfind('@').unwrap();
    let user = rest[..at].split(':').next().unwrap();
    let after = &rest[at + 1..];
    let tail = &after[after.find(['/', '?']).unwrap_or(after.len())..];
    format!("{scheme}://{user}:{password}@{host}{tail}")
}

/// Where the URL comes from.
#[derive(Clone, Copy, Debug)]
enum Source {
    Flag,
    Toml,
    DatabaseUrl,
    TomlVariable,
}

const SOURCES: [Source; 4] = [
    Source::Flag,
    Source::Toml,
    Source::DatabaseUrl,
    Source::TomlVariable,
];

/// What the error names as the URL's origin.
fn origin(source: Source) -> &'static str {
    match source {
        Source::Flag => "--url: ",
        Source::Toml => "strata.toml:4 (env.prod.url): ",
        Source::DatabaseUrl => "DATABASE_URL: ",
        Source::TomlVariable => "strata.toml:4 (env.prod.url): ",
    }
}

fn run(p: &Project, source: Source, url: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strata"));
    cmd.current_dir(p.path())
        .env_remove("DATABASE_URL")
        .env_remove("STRATA_ENV")
        .env("NO_COLOR", "1");
    let base = "migrations_dir = \"migrations\"\n";
    match source {
        Source::Flag => {
            p.config(base);
            cmd.arg("--url").arg(url);
        }
        Source::Toml => {
            assert!(!url.contains(['\'', '\n']), "{url}");
            p.config(&format!(
                "{base}default_env = \"prod\"\n[env.prod]\nurl = '{url}'\n"
            ));
        }
        Source::DatabaseUrl => {
            p.config(base);
            cmd.env("DATABASE_URL", url);
        }
        Source::TomlVariable => {
            p.config(&format!(
                "{base}default_env = \"prod\"\n[env.prod]\nurl = \"${{STRATA_SECRET_URL}}\"\n"
            ));
            cmd.env("STRATA_SECRET_URL", url);
        }
    }
    cmd.args(args).output().expect("run strata")
}

const COMMANDS: &[&[&str]] = &[
    &["current"],
    &["--json", "current"],
    &["upgrade"],
    &["-v", "upgrade"],
    &["history", "--json"],
    &["log"],
];

#[track_caller]
fn assert_no_secret(out: &Output, secrets: &[&str], context: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for secret in secrets {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{context}: `{secret}` printed:\n--- stdout\n{stdout}--- stderr\n{stderr}"
        );
    }
}

#[test]
fn a_password_never_appears_whatever_the_url_shape_and_source() {
    let port = unused_port();
    let p = Project::new();
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    let mut runs = 0;
    for shape in shapes(port) {
        for source in SOURCES {
            for args in COMMANDS {
                let out = run(&p, source, &shape.url, args);
                let context = format!("{:?} {source:?} {args:?}", shape.url);
                runs += 1;
                assert_no_secret(&out, &shape.secrets, &context);
                assert_eq!(
                    out.status.code(),
                    Some(shape.exit),
                    "{context}: expected exit {}\n{}",
                    shape.exit,
                    text(&out)
                );
                let stderr = String::from_utf8_lossy(&out.stderr);
                if shape.exit == 2 {
                    // Bad input, said where the URL came from, before any connection attempt.
                    assert!(
                        stderr.contains(&format!("error: {}", origin(source))),
                        "{context}: the URL's origin is not named:\n{stderr}"
                    );
                    assert!(
                        !stderr.contains("could not connect"),
                        "{context}:\n{stderr}"
                    );
                } else {
                    assert!(
                        stderr.contains("could not connect to postgres"),
                        "{context}:\n{stderr}"
                    );
                }
                if args.contains(&"--json") {
                    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
                        .unwrap_or_else(|e| panic!("{context}: not JSON ({e}):\n{}", text(&out)));
                    assert_eq!(
                        json["error"]["exit_code"],
                        serde_json::json!(shape.exit),
                        "{context}"
                    );
                }
            }
        }
    }
    assert!(runs > 400, "{runs} runs");
}

#[test]
fn a_password_from_a_variable_inside_the_url_is_masked_too() {
    let port = unused_port();
    let p = Project::new();
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    p.config(&format!(
        "default_env = \"prod\"\n[env.prod]\nurl = \"postgres://app:${{DB_PASSWORD}}@127.0.0.1:{port}/shop\"\n"
    ));
    for (password, exit) in [("S3cr#3tPW", 3), ("pa ss w0rd", 3), ("p/ss?w0rd", 2)] {
        for args in COMMANDS {
            let out = Command::new(env!("CARGO_BIN_EXE_strata"))
                .current_dir(p.path())
                .env_remove("DATABASE_URL")
                .env_remove("STRATA_ENV")
                .env("DB_PASSWORD", password)
                .args(*args)
                .output()
                .unwrap();
            assert_no_secret(&out, &[password], &format!("{password} {args:?}"));
            assert_exit(&out, exit);
        }
    }
}

#[test]
fn malformed_urls_are_bad_input_naming_the_parameter() {
    let port = unused_port();
    let p = Project::new();
    let base = format!("postgres://app@127.0.0.1:{port}/shop");
    for (url, named) in [
        (
            format!("{base}?sslmode=bogus"),
            "for `sslmode`: expected disable, allow, prefer, require, verify-ca or verify-full",
        ),
        (format!("{base}?sslmode="), "`sslmode` is empty"),
        (
            "postgres://app@127.0.0.1:99999/shop".to_owned(),
            "invalid port: a port is a number from 1 to 65535",
        ),
        (
            "postgres://app@127.0.0.1:notaport/shop".to_owned(),
            "invalid port",
        ),
        (
            format!("postgres://app:a%zzb@127.0.0.1:{port}/shop"),
            "invalid percent-encoding (a `%` not followed by two hex digits) in the password",
        ),
        (
            format!("{base}?connect_timeout=abc"),
            "invalid value `abc` for `connect_timeout`: expected a whole number of seconds",
        ),
        (
            format!("{base}?sslmod=require"),
            "unknown parameter `sslmod`",
        ),
        (
            format!("{base}?sslcrl=/c.pem"),
            "parameter `sslcrl` is not supported",
        ),
        (
            format!("postgress://app@127.0.0.1:{port}/shop"),
            "unknown database URL scheme `postgress`",
        ),
        (
            format!("mysql://app@127.0.0.1:{port}/shop"),
            "MySQL/MariaDB is not supported yet",
        ),
        (
            format!("postgres:/app@127.0.0.1:{port}/shop"),
            "does not start with `scheme://`",
        ),
    ] {
        let out = strata(p.path(), Some(&url), &["current"]);
        assert_exit(&out, 2);
        let t = text(&out);
        assert!(t.contains(named), "{url}: `{named}` not in:\n{t}");
        assert!(!t.contains("could not connect"), "{url}: {t}");
    }
    // Suggestions.
    let t = text(&strata(
        p.path(),
        Some(&format!("{base}?sslmod=require")),
        &["current"],
    ));
    assert!(t.contains("did you mean `sslmode`?"), "{t}");
    let t = text(&strata(
        p.path(),
        Some(&format!("postgress://app@127.0.0.1:{port}/shop")),
        &["current"],
    ));
    assert!(t.contains("did you mean `postgres`?"), "{t}");
    let t = text(&strata(
        p.path(),
        Some(&format!("postgresql//app@127.0.0.1:{port}/shop")),
        &["current"],
    ));
    assert!(t.contains("it starts with `postgresql`"), "{t}");
    // The parameters that work keep working: this one gets as far as connecting.
    let out = strata(
        p.path(),
        Some(&format!("{base}?sslmode=disable&application_name=x@y&connect_timeout=2&options=-c%20search_path%3Dapp&target_session_attrs=any&keepalives=1")),
        &["current"],
    );
    assert_exit(&out, 3);
    assert!(text(&out).contains("connection refused"), "{}", text(&out));
}

#[test]
fn a_shadow_url_problem_names_the_shadow_url() {
    let port = unused_port();
    let p = Project::new();
    std::fs::create_dir_all(p.path().join("schema")).unwrap();
    std::fs::write(
        p.path().join("schema/a.sql"),
        "CREATE TABLE a (id integer);\n",
    )
    .unwrap();
    p.config(&format!(
        "default_env = \"prod\"\n[env.prod]\nurl = \"postgres://app:S3cr#3tPW@127.0.0.1:{port}/shop\"\nshadow_url = \"postgres://app:Sh4d#0wPW@127.0.0.1:{port}/shadow?sslmode=nope\"\n"
    ));
    let out = strata(p.path(), None, &["diff", "schema", "schema"]);
    assert_no_secret(&out, &["S3cr#3tPW", "Sh4d#0wPW"], "diff");
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("strata.toml:4 (env.prod.shadow_url): invalid connection URL"),
        "{}",
        text(&out)
    );
}

#[test]
fn verbose_output_on_a_real_server_masks_unencoded_passwords() {
    let db = Db::pg();
    let Db::Pg(pg) = &db else { unreachable!() };
    for secret in ["S3cr#3tPW", "pa ss w0rd"] {
        let url = pg.url_with_password(secret);
        let p = Project::new();
        p.migration(
            "a1",
            &[],
            "CREATE TABLE IF NOT EXISTS a (id integer);",
            "DROP TABLE a;",
        );
        let out = strata(p.path(), Some(&url), &["-v", "upgrade"]);
        assert_exit(&out, 0);
        assert_no_secret(&out, &[secret], "-v upgrade");
        assert!(
            text(&out).contains("connected to postgres://") && text(&out).contains(":***@"),
            "{}",
            text(&out)
        );
        let out = strata(p.path(), Some(&url), &["--json", "current"]);
        assert_exit(&out, 0);
        assert_no_secret(&out, &[secret], "--json current");
    }
}
