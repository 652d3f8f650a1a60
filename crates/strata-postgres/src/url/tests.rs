use super::*;
use crate::libpq::tests::FakeEnv;
use std::time::Duration;

/// Parsed without the process's environment (no PG* variables, no home folder).
fn parse(url: &str, opts: &ConnectOptions) -> Result<ConnInfo, DbError> {
    parse_in(url, opts, &FakeEnv::new())
}

fn parse_ok(url: &str) -> ConnInfo {
    match parse(url, &ConnectOptions::default()) {
        Ok(info) => info,
        Err(e) => panic!("{url}: {e}"),
    }
}

#[test]
fn plain_url() {
    let info = parse_ok("postgres://app:pw@db.example.com:6432/shop");
    assert_eq!(info.config.get_user(), Some("app"));
    assert_eq!(info.config.get_password(), Some(&b"pw"[..]));
    assert_eq!(info.config.get_dbname(), Some("shop"));
    assert_eq!(
        info.config.get_hosts(),
        &[Host::Tcp("db.example.com".into())]
    );
    assert_eq!(info.config.get_ports(), &[6432]);
    assert_eq!(info.config.get_application_name(), Some("strata"));
    assert_eq!(
        info.config.get_connect_timeout(),
        Some(&Duration::from_secs(10))
    );
    assert_eq!(info.ssl_mode, SslModeArg::Prefer);
    assert_eq!(info.config.get_ssl_mode(), SslMode::Prefer);
}

#[test]
fn percent_encoded_password_with_reserved_characters() {
    let info = parse_ok("postgresql://app:p%40ss%3Aw%2Frd%25@h/d");
    assert_eq!(info.config.get_password(), Some(&b"p@ss:w/rd%"[..]));
    assert_eq!(info.password.as_deref(), Some("p@ss:w/rd%"));
    // An unencoded '@' in the password: the user info ends at the last '@'.
    let info = parse_ok("postgres://app:p@ss@h/d");
    assert_eq!(info.config.get_password(), Some(&b"p@ss"[..]));
    assert_eq!(info.config.get_hosts(), &[Host::Tcp("h".into())]);
}

#[test]
fn ipv6_and_multiple_hosts() {
    let info = parse_ok("postgres://u@[::1]:5433/d");
    assert_eq!(info.config.get_hosts(), &[Host::Tcp("::1".into())]);
    assert_eq!(info.config.get_ports(), &[5433]);
    let info = parse_ok("postgres://u@a:1,[fe80::1],b:3/d");
    assert_eq!(info.config.get_hosts().len(), 3);
    assert_eq!(info.config.get_ports(), &[1, 5432, 3]);
}

#[test]
fn unix_socket_host() {
    let info = parse_ok("postgres://u@/d?host=/var/run/postgresql");
    assert_eq!(
        info.config.get_hosts(),
        &[Host::Unix("/var/run/postgresql".into())]
    );
    assert_eq!(info.config.get_ssl_mode(), SslMode::Disable);
    let info = parse_ok("postgres://u@%2Ftmp%2Fsock/d?sslmode=require");
    assert_eq!(info.config.get_hosts(), &[Host::Unix("/tmp/sock".into())]);
    assert_eq!(info.config.get_ssl_mode(), SslMode::Disable);
}

#[test]
fn query_parameters_override_and_pass_through() {
    let info = parse_ok(
        "postgres://u@h:1/d?host=other&port=7&application_name=my%20app&options=-c%20search_path%3Dapp&connect_timeout=3&sslmode=verify-full&sslrootcert=/ca.pem&dbname=x",
    );
    assert_eq!(info.config.get_hosts(), &[Host::Tcp("other".into())]);
    assert_eq!(info.config.get_ports(), &[7]);
    assert_eq!(info.config.get_application_name(), Some("my app"));
    assert_eq!(info.application_name, "my app");
    assert_eq!(info.config.get_options(), Some("-c search_path=app"));
    assert_eq!(
        info.config.get_connect_timeout(),
        Some(&Duration::from_secs(3))
    );
    assert_eq!(info.config.get_dbname(), Some("x"));
    assert_eq!(info.ssl_mode, SslModeArg::VerifyFull);
    assert_eq!(info.config.get_ssl_mode(), SslMode::Require);
    assert_eq!(info.ssl_root_cert.as_deref(), Some("/ca.pem"));
    // A '@' in a parameter does not make the host a user name.
    let info = parse_ok("postgres://h/d?application_name=a@b&user=me&password=x'y\\z");
    assert_eq!(info.config.get_hosts(), &[Host::Tcp("h".into())]);
    assert_eq!(info.config.get_user(), Some("me"));
    assert_eq!(info.config.get_password(), Some(&b"x'y\\z"[..]));
}

#[test]
fn ssl_modes() {
    for (mode, driver) in [
        ("disable", SslMode::Disable),
        ("allow", SslMode::Prefer),
        ("prefer", SslMode::Prefer),
        ("require", SslMode::Require),
        ("verify-ca", SslMode::Require),
        ("verify-full", SslMode::Require),
    ] {
        let info = parse_ok(&format!("postgres://u@h/d?sslmode={mode}"));
        assert_eq!(info.ssl_mode.as_str(), mode);
        assert_eq!(info.config.get_ssl_mode(), driver);
    }
    assert_eq!(
        parse_ok("postgres://u@h/d?sslrootcert=system").ssl_mode,
        SslModeArg::VerifyFull
    );
}

fn parse_err(url: &str) -> DbError {
    match parse(url, &ConnectOptions::default()) {
        Ok(_) => panic!("{url} parsed"),
        Err(e) => e,
    }
}

#[test]
fn errors_are_masked() {
    for url in [
        "postgres://u:s3cr3t@h/d?sslmode=bogus",
        "postgres://u:s3cr3t@h:99999/d",
        "postgres://u:s3cr3t@h/d?nonsense=1",
        "postgres://u:s3cr3t@[::1/d",
        "mysql://u:s3cr3t@h/d",
        "postgres://u:s3cr3t@h/d?password=s3cr3t&x",
    ] {
        let err = parse_err(url);
        assert!(!err.message.contains("s3cr3t"), "{}", err.message);
        assert!(
            err.message.starts_with("invalid connection URL"),
            "{}",
            err.message
        );
        assert!(err.invalid_url, "{url}: {}", err.message);
    }
}

/// Each malformed part is bad input (`invalid_url`), named in the message, found without
/// connecting.
#[track_caller]
fn assert_invalid(url: &str, names: &[&str]) -> DbError {
    let err = parse_err(url);
    assert!(
        err.invalid_url,
        "{url}: not flagged as a URL problem: {err}"
    );
    assert!(!err.connection, "{url}");
    let text = format!("{}\n{}", err.message, err.hint.as_deref().unwrap_or(""));
    for name in names {
        assert!(text.contains(name), "{url}: `{name}` not named in: {text}");
    }
    err
}

#[test]
fn bad_sslmode_lists_the_valid_modes() {
    let err = assert_invalid("postgres://u@h/d?sslmode=bogus", &["`sslmode`", "`bogus`"]);
    for mode in [
        "disable",
        "allow",
        "prefer",
        "require",
        "verify-ca",
        "verify-full",
    ] {
        assert!(err.message.contains(mode), "{}", err.message);
    }
    // Empty is an error, not silently `prefer`.
    let err = assert_invalid("postgres://u@h/d?sslmode=", &["`sslmode` is empty"]);
    assert!(err.message.contains("verify-full"), "{}", err.message);
    // Case matters, as in libpq.
    assert_invalid("postgres://u@h/d?sslmode=Require", &["`sslmode`"]);
}

#[test]
fn bad_ports() {
    for url in [
        "postgres://u@h:99999/d",
        "postgres://u@h:notaport/d",
        "postgres://u@h:0/d",
        "postgres://u@h:-1/d",
        "postgres://u@[::1]:x/d",
    ] {
        assert_invalid(url, &["invalid port: a port is a number from 1 to 65535"]);
    }
    assert_invalid("postgres://u@h/d?port=99999", &["`port`"]);
    assert_invalid("postgres://u@h/d?port=5432,abc", &["`port`"]);
    assert_invalid("postgres://u@a,b/d?port=1,2,3", &["2 hosts but 3 ports"]);
    // One port for several hosts, or one each, is fine.
    assert_eq!(
        parse_ok("postgres://u@a,b/d?port=7").config.get_ports(),
        &[7]
    );
    assert_eq!(
        parse_ok("postgres://u@a,b/d?port=7,8").config.get_ports(),
        &[7, 8]
    );
}

#[test]
fn bad_percent_escapes_name_the_part() {
    for (url, part) in [
        ("postgres://u%zz@h/d", "the user name"),
        ("postgres://u:pa%zzss@h/d", "the password"),
        ("postgres://u:pa%4@h/d", "the password"),
        ("postgres://u@h%zz/d", "the host"),
        ("postgres://u@h/d%zz", "the database name"),
        (
            "postgres://u@h/d?application_name=%zz",
            "parameter `application_name`",
        ),
        ("postgres://u@h/d?a%zz=1", "a parameter name"),
    ] {
        assert_invalid(
            url,
            &[&format!(
                "invalid percent-encoding (a `%` not followed by two hex digits) in {part}"
            )],
        );
    }
    assert_invalid(
        "postgres://u:pa%c3%28@h/d",
        &["percent-encoded text that is not UTF-8 in the password"],
    );
}

#[test]
fn bad_numbers_and_choices_name_the_parameter() {
    for (url, name) in [
        ("postgres://u@h/d?connect_timeout=abc", "`connect_timeout`"),
        ("postgres://u@h/d?connect_timeout=1.5", "`connect_timeout`"),
        ("postgres://u@h/d?tcp_user_timeout=x", "`tcp_user_timeout`"),
        ("postgres://u@h/d?keepalives=yes", "`keepalives`"),
        ("postgres://u@h/d?keepalives_idle=x", "`keepalives_idle`"),
        (
            "postgres://u@h/d?keepalives_interval=x",
            "`keepalives_interval`",
        ),
        (
            "postgres://u@h/d?keepalives_retries=-1",
            "`keepalives_retries`",
        ),
        ("postgres://u@h/d?hostaddr=not-an-ip", "`hostaddr`"),
        (
            "postgres://u@h/d?target_session_attrs=primary",
            "`target_session_attrs`",
        ),
        (
            "postgres://u@h/d?channel_binding=maybe",
            "`channel_binding`",
        ),
        (
            "postgres://u@h/d?load_balance_hosts=yes",
            "`load_balance_hosts`",
        ),
        ("postgres://u@h/d?sslnegotiation=x", "`sslnegotiation`"),
        ("postgres://u@h/d?sslmode", "`sslmode` has no `=`"),
    ] {
        assert_invalid(url, &[name]);
    }
    let err = assert_invalid("postgres://u@h/d?connect_timeout=abc", &["seconds"]);
    assert!(err.message.contains("`abc`"), "{}", err.message);
    assert_eq!(
        parse_ok("postgres://u@h/d?connect_timeout=3&keepalives=0&keepalives_idle=30&target_session_attrs=read-write")
            .config
            .get_connect_timeout(),
        Some(&Duration::from_secs(3))
    );
}

#[test]
fn unknown_parameters_suggest_the_closest() {
    let err = assert_invalid(
        "postgres://u@h/d?sslmod=require",
        &["unknown parameter `sslmod`"],
    );
    assert!(
        err.hint
            .as_deref()
            .unwrap_or("")
            .starts_with("did you mean `sslmode`?"),
        "{err}"
    );
    let err = assert_invalid("postgres://u@h/d?aplication_name=x", &["`aplication_name`"]);
    assert!(err.hint.unwrap().contains("`application_name`"));
    let err = assert_invalid(
        "postgres://u@h/d?frobnicate=1",
        &["unknown parameter `frobnicate`"],
    );
    assert!(!err.hint.unwrap().contains("did you mean"));
    assert_invalid(
        "postgres://u@h/d?sslcrl=/c.pem",
        &["`sslcrl` is not supported"],
    );
    // Where a password may have spilled into the query, the name is not quoted.
    let err = assert_invalid("postgres://h/d?password=p&w0rd", &["has no `=`"]);
    assert!(!err.message.contains("w0rd"), "{}", err.message);
    let err = assert_invalid("postgres://h/d?password=p&w0rd=1", &["unknown parameter"]);
    assert!(!err.message.contains("`w0rd`"), "{}", err.message);
}

#[test]
fn unknown_schemes() {
    let err = assert_invalid("postgress://u:S3cr#3tPW@h/d", &["`postgress`"]);
    assert!(!err.message.contains("S3cr"), "{}", err.message);
    for url in [
        "postgresql//u:S3cr#3tPW@h/d",
        "postgres:/u:S3cr#3tPW@h/d",
        "u:S3cr#3tPW@h/d",
    ] {
        let err = assert_invalid(url, &["postgres://"]);
        assert!(!err.message.contains("S3cr"), "{}", err.message);
        assert!(
            !err.message.contains("@h"),
            "the URL is not shown: {}",
            err.message
        );
    }
}

#[test]
fn reserved_characters_in_the_password() {
    // `#` and a space are not delimiters here: these connect, masked.
    let info = parse_ok("postgres://u:S3cr#3tPW@h/d");
    assert_eq!(info.password.as_deref(), Some("S3cr#3tPW"));
    assert_eq!(info.config.get_hosts(), &[Host::Tcp("h".into())]);
    let info = parse_ok("postgres://u:pa ss@h/d");
    assert_eq!(info.password.as_deref(), Some("pa ss"));
    // `/` and `?` end the host part: the error names the port, never quotes the password,
    // and says how to encode it.
    for url in [
        "postgres://u:p/ss?w0rd@h/d",
        "postgres://u:S3cr/3tPW@h:5432/d",
        "postgres://u:S3cr?3tPW@h/d",
        "postgres://u:p@ss/w0rd@h/d",
    ] {
        let err = parse_err(url);
        assert!(err.invalid_url, "{url}");
        for fragment in ["ss?w0rd", "w0rd", "S3cr", "3tPW", "p/ss"] {
            assert!(!err.message.contains(fragment), "{url}: {}", err.message);
        }
        assert!(
            err.hint.as_deref().unwrap_or("").contains("%2F"),
            "{url}: {err}"
        );
    }
    // A `@` in a parameter is still fine.
    parse_ok("postgres://u:pw@h/d?application_name=a@b");
}

#[test]
fn the_documented_parameters_work() {
    let info = parse_ok(
        "postgres://user:password@host:5432/dbname?sslmode=require&sslrootcert=/ca.pem&options=-c%20x%3D1&application_name=a&connect_timeout=2",
    );
    assert_eq!(info.ssl_mode, SslModeArg::Require);
    for name in [
        "sslmode",
        "sslrootcert",
        "options",
        "application_name",
        "connect_timeout",
        "host",
    ] {
        assert!(PARAMETERS.contains(&name), "{name}");
    }
    let info = parse_ok("postgres://u@/d?host=/var/run/postgresql");
    assert_eq!(info.config.get_ssl_mode(), SslMode::Disable);
    let info = parse_ok("postgres://u@/d?hostaddr=127.0.0.1&port=5433");
    assert_eq!(info.config.get_hostaddrs().len(), 1);
    assert!(info.config.get_hosts().is_empty());
}
