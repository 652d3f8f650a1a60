use super::*;
use crate::libpq::tests::FakeEnv;

const CERT: &str = include_str!("../../tests/fixtures/tls/client.crt");
const KEY: &str = include_str!("../../tests/fixtures/tls/client.key");

fn parse_env(url: &str, env: &FakeEnv) -> ConnInfo {
    match parse_in(url, &ConnectOptions::default(), env) {
        Ok(info) => info,
        Err(e) => panic!("{url}: {e}"),
    }
}

fn parse_env_err(url: &str, env: &FakeEnv) -> DbError {
    match parse_in(url, &ConnectOptions::default(), env) {
        Ok(_) => panic!("{url} parsed"),
        Err(e) => {
            assert!(e.invalid_url, "{url}: not bad input: {e}");
            e
        }
    }
}

fn hosts(info: &ConnInfo) -> Vec<String> {
    info.config
        .get_hosts()
        .iter()
        .map(|h| match h {
            Host::Tcp(h) => h.clone(),
            #[cfg(unix)]
            Host::Unix(p) => p.display().to_string(),
        })
        .collect()
}

const SERVICES: &str = "[app]\nhost=svc-host\nport=6000\ndbname=svc-db\nuser=svc-user\n\
                        application_name=svc-app\nsslmode=require\n";

#[test]
fn url_beats_service_beats_variables_beats_defaults() {
    let env = FakeEnv::new()
        .var("HOME", "/home/u")
        .var("USER", "os-user")
        .var("PGSERVICE", "app")
        .var("PGHOST", "env-host")
        .var("PGPORT", "7000")
        .var("PGDATABASE", "env-db")
        .var("PGUSER", "env-user")
        .var("PGAPPNAME", "env-app")
        .var("PGCONNECT_TIMEOUT", "3")
        .var("PGSSLMODE", "disable")
        .file("/home/u/.pg_service.conf", SERVICES, 0o644);
    // The URL wins where it speaks.
    let info = parse_env(
        "postgres://url-user@url-host:5555/url-db?sslmode=prefer",
        &env,
    );
    assert_eq!(hosts(&info), ["url-host"]);
    assert_eq!(info.config.get_ports(), &[5555]);
    assert_eq!(info.config.get_user(), Some("url-user"));
    assert_eq!(info.config.get_dbname(), Some("url-db"));
    assert_eq!(info.ssl_mode, SslModeArg::Prefer);
    // The service fills the rest, before the variables...
    assert_eq!(info.application_name, "svc-app");
    // ... which fill what neither gives.
    assert_eq!(
        info.config.get_connect_timeout(),
        Some(&std::time::Duration::from_secs(3))
    );
    assert!(!info.login.completed);
    // Without the URL's parts, the service's.
    let info = parse_env("postgres://", &env);
    assert_eq!(hosts(&info), ["svc-host"]);
    assert_eq!(info.config.get_ports(), &[6000]);
    assert_eq!(info.config.get_user(), Some("svc-user"));
    assert_eq!(info.config.get_dbname(), Some("svc-db"));
    assert_eq!(info.ssl_mode, SslModeArg::Require);
    assert!(info.login.completed);
    assert_eq!(
        info.login.describe(),
        "user \"svc-user\", database \"svc-db\", host svc-host, port 6000"
    );
    // Without a service, the variables'.
    let env = FakeEnv {
        vars: env
            .vars
            .into_iter()
            .filter(|(k, _)| k != "PGSERVICE")
            .collect(),
        files: env.files,
    };
    let info = parse_env("postgres://", &env);
    assert_eq!(hosts(&info), ["env-host"]);
    assert_eq!(info.config.get_ports(), &[7000]);
    assert_eq!(info.config.get_user(), Some("env-user"));
    assert_eq!(info.config.get_dbname(), Some("env-db"));
    assert_eq!(info.application_name, "env-app");
    assert_eq!(info.ssl_mode, SslModeArg::Disable);
    // A service named in the URL, PGSERVICE unset.
    let info = parse_env("postgres:///url-db?service=app", &env);
    assert_eq!(hosts(&info), ["svc-host"]);
    assert_eq!(info.config.get_dbname(), Some("url-db"));
    // Without anything: the defaults (the OS user; libpq's dbname is the user's name).
    let bare = FakeEnv::new().var("USER", "os-user");
    let info = parse_env("postgres://", &bare);
    assert_eq!(hosts(&info), ["localhost"]);
    assert_eq!(info.config.get_user(), Some("os-user"));
    assert_eq!(info.login.dbname, "os-user");
    assert_eq!(info.application_name, "strata");
    assert_eq!(info.ssl_mode, SslModeArg::Prefer);
    assert!(!info.login.completed);
}

#[test]
fn empty_variables_are_unset() {
    let env = FakeEnv::new().var("PGHOST", "").var("PGSSLMODE", "");
    let info = parse_env("postgres://u@/d", &env);
    assert_eq!(hosts(&info), ["localhost"]);
    assert_eq!(info.ssl_mode, SslModeArg::Prefer);
}

#[test]
fn a_bad_variable_is_bad_input_naming_it() {
    for (var, value, named) in [
        (
            "PGSSLMODE",
            "bogus",
            "PGSSLMODE: invalid value `bogus` for `sslmode`",
        ),
        ("PGPORT", "abc", "PGPORT: invalid value `abc` for `port`"),
        (
            "PGCONNECT_TIMEOUT",
            "soon",
            "PGCONNECT_TIMEOUT: invalid value `soon`",
        ),
        ("PGTARGETSESSIONATTRS", "primary", "PGTARGETSESSIONATTRS"),
    ] {
        let env = FakeEnv::new().var(var, value);
        let err = parse_env_err("postgres://u@h/d", &env);
        assert!(err.message.starts_with(named), "{var}: {}", err.message);
    }
    // A variable the URL overrides is not even looked at.
    let env = FakeEnv::new().var("PGSSLMODE", "bogus");
    parse_env("postgres://u@h/d?sslmode=require", &env);
}

#[test]
fn pgpassword_fills_a_missing_password_only() {
    let env = FakeEnv::new().var("PGPASSWORD", "from-env");
    let info = parse_env("postgres://u@h/d", &env);
    assert_eq!(info.config.get_password(), Some(&b"from-env"[..]));
    assert_eq!(info.password.as_deref(), Some("from-env"));
    assert_eq!(info.login.password_from.as_deref(), Some("PGPASSWORD"));
    let info = parse_env("postgres://u:from-url@h/d", &env);
    assert_eq!(info.config.get_password(), Some(&b"from-url"[..]));
    assert_eq!(info.login.password_from.as_deref(), Some("the URL"));
    // The service file's password beats PGPASSWORD.
    let env =
        env.var("PGSERVICEFILE", "/s.conf")
            .file("/s.conf", "[s]\npassword=from-service\n", 0o600);
    let info = parse_env("postgres://u@h/d?service=s", &env);
    assert_eq!(info.password.as_deref(), Some("from-service"));
    assert_eq!(
        info.login.password_from.as_deref(),
        Some("service `s` (/s.conf:2)")
    );
}

#[test]
fn the_password_file_is_read_when_no_password_was_given() {
    let pgpass = "h:5432:d:u:from-file\n*:*:*:other:other-pw\nlocalhost:5432:d:u:socket-pw\n";
    let env = FakeEnv::new()
        .var("HOME", "/home/u")
        .file("/home/u/.pgpass", pgpass, 0o600);
    let info = parse_env("postgres://u@h/d", &env);
    assert_eq!(info.password.as_deref(), Some("from-file"));
    assert_eq!(
        info.login.password_from.as_deref(),
        Some("the password file /home/u/.pgpass, line 1")
    );
    // Matched on the database the user's name stands for, and the default port.
    let info = parse_env("postgres://other@h", &env);
    assert_eq!(info.password.as_deref(), Some("other-pw"));
    // A socket folder is `localhost` there.
    let info = parse_env("postgres://u@/d?host=/var/run/postgresql", &env);
    assert_eq!(info.password.as_deref(), Some("socket-pw"));
    // A password given wins; the file is not read.
    let info = parse_env("postgres://u:given@h/d", &env);
    assert_eq!(info.password.as_deref(), Some("given"));
    let info = parse_env("postgres://u@h/d", &env.var("PGPASSWORD", "env-pw"));
    assert_eq!(info.password.as_deref(), Some("env-pw"));
}

#[test]
fn passfile_and_pgpassfile_name_the_password_file() {
    let env = FakeEnv::new()
        .var("HOME", "/home/u")
        .var("PGPASSFILE", "/etc/strata/pgpass")
        .file("/home/u/.pgpass", "*:*:*:*:home\n", 0o600)
        .file("/etc/strata/pgpass", "*:*:*:*:pgpassfile\n", 0o600)
        .file("/elsewhere", "*:*:*:*:param\n", 0o600);
    assert_eq!(
        parse_env("postgres://u@h/d", &env).password.as_deref(),
        Some("pgpassfile")
    );
    assert_eq!(
        parse_env("postgres://u@h/d?passfile=/elsewhere", &env)
            .password
            .as_deref(),
        Some("param")
    );
}

#[test]
fn where_strata_looked_when_there_is_no_password() {
    let env = FakeEnv::new()
        .var("HOME", "/home/u")
        .file("/home/u/.pgpass", "*:*:*:*:pw\n", 0o644);
    let info = parse_env("postgres://u@h/d", &env);
    assert_eq!(info.password, None);
    let looked = info.login.looked.join(", ");
    assert!(
        looked.contains("the URL, PGPASSWORD (not set), the password file /home/u/.pgpass (ignored: it has group or world access, permissions 0644"),
        "{looked}"
    );
    assert_eq!(info.warnings.len(), 1, "{:?}", info.warnings);
    assert!(info.warnings[0].contains("chmod 0600 /home/u/.pgpass"));
    let info = parse_env("postgres://u@h/d", &FakeEnv::new().var("HOME", "/home/u"));
    assert!(
        info.login
            .looked
            .join(", ")
            .ends_with("the password file /home/u/.pgpass (it does not exist)"),
        "{:?}",
        info.login.looked
    );
    assert!(info.warnings.is_empty());
}

#[test]
fn service_file_problems_are_bad_input_at_their_line() {
    let env = FakeEnv::new()
        .var("PGSERVICEFILE", "/s.conf")
        .var("PGSYSCONFDIR", "/etc/pg")
        .file(
            "/s.conf",
            "[typo]\nhots=h\n[bad]\nsslmode=bogus\n[nested]\nservice=x\n[junk]\nnonsense\n[unsupported]\nkrbsrvname=x\n",
            0o644,
        );
    for (service, named) in [
        ("typo", "/s.conf:2 (service `typo`): unknown parameter `hots`"),
        ("bad", "/s.conf:4 (service `bad`): invalid value `bogus` for `sslmode`"),
        ("nested", "/s.conf:6 (service `nested`): a service cannot name another service"),
        ("junk", "/s.conf:8: syntax error: expected key=value (service `junk`)"),
        ("unsupported", "/s.conf:10 (service `unsupported`): parameter `krbsrvname` is not supported"),
        ("missing", "service `missing` (from the URL) is not defined: looked in /s.conf (no [missing] section) and /etc/pg/pg_service.conf (no such file)"),
    ] {
        let err = parse_env_err(&format!("postgres://u@h/d?service={service}"), &env);
        assert_eq!(&err.message[..named.len().min(err.message.len())], named, "{service}");
    }
    let err = parse_env_err("postgres://u@h/d?service=typo", &env);
    assert!(err.hint.unwrap().starts_with("did you mean `host`?"));
    let err = parse_env_err("postgres://u@h/d", &env.var("PGSERVICE", "gone"));
    assert!(err.message.contains("(from PGSERVICE)"), "{}", err.message);
}

#[test]
fn client_certificates_named_or_by_default() {
    let env = FakeEnv::new()
        .var("HOME", "/home/u")
        .file("/certs/c.crt", CERT, 0o644)
        .file("/certs/c.key", KEY, 0o600);
    // Named in the URL.
    let info = parse_env(
        "postgres://u@h/d?sslcert=/certs/c.crt&sslkey=/certs/c.key",
        &env,
    );
    let cert = info.client_cert.expect("a client certificate");
    assert_eq!(cert.cert_path, "/certs/c.crt");
    assert_eq!(cert.chain.len(), 1);
    // Named by the variables.
    let with_vars = FakeEnv {
        vars: env.vars.clone(),
        files: env.files.clone(),
    }
    .var("PGSSLCERT", "/certs/c.crt")
    .var("PGSSLKEY", "/certs/c.key");
    assert!(parse_env("postgres://u@h/d", &with_vars)
        .client_cert
        .is_some());
    // Not over a Unix socket, nor with sslmode=disable: no TLS, nothing read.
    assert!(parse_env("postgres://u@/d?host=/tmp", &with_vars)
        .client_cert
        .is_none());
    assert!(parse_env("postgres://u@h/d?sslmode=disable", &with_vars)
        .client_cert
        .is_none());
    // None named and no default file: none.
    assert!(parse_env("postgres://u@h/d", &env).client_cert.is_none());
    // libpq's default files, when the certificate is there.
    let env = env
        .file("/home/u/.postgresql/postgresql.crt", CERT, 0o644)
        .file("/home/u/.postgresql/postgresql.key", KEY, 0o600);
    let info = parse_env("postgres://u@h/d", &env);
    assert_eq!(
        info.client_cert.unwrap().cert_path,
        "/home/u/.postgresql/postgresql.crt"
    );
    assert_eq!(
        info.login.client_cert.as_deref(),
        Some("/home/u/.postgresql/postgresql.crt")
    );
}

#[test]
fn client_certificate_problems_are_bad_input() {
    let env = FakeEnv::new()
        .var("HOME", "/home/u")
        .file("/c.crt", CERT, 0o644)
        .file("/c.key", KEY, 0o600)
        .file("/loose.key", KEY, 0o644)
        .file("/not-a-cert", "hello", 0o644)
        .file("/cert-as-key", CERT, 0o600)
        .file("/home/u/.postgresql/postgresql.crt", CERT, 0o644);
    for (url, named) in [
        ("postgres://u@h/d?sslcert=/missing.crt&sslkey=/c.key", "cannot read the client certificate /missing.crt (sslcert in the URL)"),
        ("postgres://u@h/d?sslcert=/c.crt&sslkey=/missing.key", "cannot read the client key /missing.key (sslkey in the URL) of the certificate /c.crt"),
        ("postgres://u@h/d?sslcert=/c.crt&sslkey=/loose.key", "the client key /loose.key has group or world access (permissions 0644)"),
        ("postgres://u@h/d?sslcert=/not-a-cert&sslkey=/c.key", "no certificate found in the client certificate file /not-a-cert"),
        ("postgres://u@h/d?sslcert=/c.crt&sslkey=/cert-as-key", "no private key found in the client key file /cert-as-key"),
        // The default certificate without its key.
        ("postgres://u@h/d", "cannot read the client key /home/u/.postgresql/postgresql.key (the default client key)"),
    ] {
        let err = parse_env_err(url, &env);
        assert!(err.message.starts_with(named), "{url}: {}", err.message);
        assert!(err.hint.is_some(), "{url}");
    }
    let env = env.var("PGSSLCERT", "/gone.crt");
    let err = parse_env_err("postgres://u@h/d", &env);
    assert!(
        err.message
            .starts_with("cannot read the client certificate /gone.crt (PGSSLCERT)"),
        "{}",
        err.message
    );
}
