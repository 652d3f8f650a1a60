//! `postgres://` / `postgresql://` URLs with libpq-style query parameters, turned into a
//! `postgres::Config` plus the TLS settings the driver does not model (`sslmode=verify-ca`,
//! `verify-full`, `allow`, `sslrootcert`).
//!
//! The URL is parsed here rather than by `postgres::Config::from_str` because the driver's URL
//! parser stops the user name at the *first* `@` (so `?options=a@b` without credentials breaks),
//! rejects `sslmode=verify-full`/`sslrootcert` as unknown, and appends rather than replaces when a
//! query parameter repeats a value of the authority (`host`, `port`). Everything is translated
//! into the driver's `key='value'` form, which it parses without those problems, so every other
//! libpq parameter the driver knows (`options`, `keepalives`, `target_session_attrs`, ...) works.

use crate::ConnectOptions;
use postgres::config::{Host, SslMode};
use std::str::FromStr;
use strata_core::mask_url;
use strata_engine::DbError;

/// libpq's `sslmode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SslModeArg {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslModeArg {
    fn parse(value: &str) -> Option<SslModeArg> {
        Some(match value {
            "disable" => SslModeArg::Disable,
            "allow" => SslModeArg::Allow,
            "prefer" => SslModeArg::Prefer,
            "require" => SslModeArg::Require,
            "verify-ca" => SslModeArg::VerifyCa,
            "verify-full" => SslModeArg::VerifyFull,
            _ => return None,
        })
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SslModeArg::Disable => "disable",
            SslModeArg::Allow => "allow",
            SslModeArg::Prefer => "prefer",
            SslModeArg::Require => "require",
            SslModeArg::VerifyCa => "verify-ca",
            SslModeArg::VerifyFull => "verify-full",
        }
    }

    /// What the driver negotiates: `allow` (libpq: plaintext first, TLS if the server insists) is
    /// approximated by `prefer`, which ends up encrypted wherever `allow` would connect at all.
    pub(crate) fn driver_mode(self) -> SslMode {
        match self {
            SslModeArg::Disable => SslMode::Disable,
            SslModeArg::Allow | SslModeArg::Prefer => SslMode::Prefer,
            SslModeArg::Require | SslModeArg::VerifyCa | SslModeArg::VerifyFull => SslMode::Require,
        }
    }
}

/// Everything needed to open a connection.
pub(crate) struct ConnInfo {
    pub config: postgres::Config,
    pub ssl_mode: SslModeArg,
    pub ssl_root_cert: Option<String>,
    /// The decoded password, so that error text can be scrubbed of it even where it is not in
    /// URL form.
    pub password: Option<String>,
    pub application_name: String,
}

fn invalid(url: &str, why: impl std::fmt::Display) -> DbError {
    DbError {
        message: mask_url(&format!("invalid connection URL {}: {why}", mask_url(url))),
        ..DbError::default()
    }
}

/// Decodes `%XX` escapes; the result must be UTF-8.
pub(crate) fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                None => {
                    return Err(
                        "invalid percent-encoding (a `%` must be followed by two hex digits)"
                            .into(),
                    )
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "percent-encoded text is not valid UTF-8".to_owned())
}

/// Ordered parameters where a later value replaces an earlier one (libpq semantics).
#[derive(Default)]
struct Params(Vec<(String, String)>);

impl Params {
    fn set(&mut self, key: &str, value: String) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key.to_owned(), value)),
        }
    }

    fn take(&mut self, key: &str) -> Option<String> {
        let pos = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(pos).1)
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// `'value'` for the driver's key/value syntax (backslash escapes).
fn kv_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Where a URL without a host connects: the first Unix-socket directory that has the server's
/// socket (Debian/Ubuntu use `/var/run/postgresql`, upstream builds `/tmp`), else `localhost`.
fn default_host(port: &str) -> String {
    #[cfg(unix)]
    for dir in ["/var/run/postgresql", "/tmp"] {
        let port = port
            .split(',')
            .next()
            .filter(|p| !p.is_empty())
            .unwrap_or("5432");
        if std::path::Path::new(dir)
            .join(format!(".s.PGSQL.{port}"))
            .exists()
        {
            return dir.to_owned();
        }
    }
    let _ = port;
    "localhost".to_owned()
}

pub(crate) fn parse(url: &str, opts: &ConnectOptions) -> Result<ConnInfo, DbError> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .ok_or_else(|| {
            invalid(
                url,
                "expected a URL starting with postgres:// or postgresql://",
            )
        })?;
    let mut params = Params::default();

    // Authority: up to the first '/' or '?'; the user info ends at its last '@'.
    let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(auth_end);
    let hosts_part = match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            if !user.is_empty() {
                params.set("user", percent_decode(user).map_err(|e| invalid(url, e))?);
            }
            if let Some(password) = password {
                params.set(
                    "password",
                    percent_decode(password).map_err(|e| invalid(url, e))?,
                );
            }
            &authority[at + 1..]
        }
        None => authority,
    };
    if !hosts_part.is_empty() {
        let mut hosts = Vec::new();
        let mut ports = Vec::new();
        for chunk in hosts_part.split(',') {
            let (host, port) = if let Some(v6) = chunk.strip_prefix('[') {
                let close = v6
                    .find(']')
                    .ok_or_else(|| invalid(url, "unterminated `[` in the host"))?;
                let after = &v6[close + 1..];
                let port = match after.strip_prefix(':') {
                    Some(p) => Some(p),
                    None if after.is_empty() => None,
                    None => return Err(invalid(url, "unexpected text after `]` in the host")),
                };
                (v6[..close].to_owned(), port)
            } else {
                let (h, p) = match chunk.split_once(':') {
                    Some((h, p)) => (h, Some(p)),
                    None => (chunk, None),
                };
                (percent_decode(h).map_err(|e| invalid(url, e))?, p)
            };
            if host.is_empty() && chunk.contains(',') {
                return Err(invalid(url, "empty host in the host list"));
            }
            let port = port.unwrap_or("");
            if !port.is_empty() && port.parse::<u16>().is_err() {
                return Err(invalid(url, format!("invalid port `{port}`")));
            }
            hosts.push(host);
            ports.push(port.to_owned());
        }
        if hosts.iter().any(|h| !h.is_empty()) {
            params.set("host", hosts.join(","));
        }
        if ports.iter().any(|p| !p.is_empty()) {
            let ports: Vec<&str> = ports
                .iter()
                .map(|p| if p.is_empty() { "5432" } else { p.as_str() })
                .collect();
            params.set("port", ports.join(","));
        }
    }

    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    let dbname = path.strip_prefix('/').unwrap_or(path);
    if !dbname.is_empty() {
        params.set(
            "dbname",
            percent_decode(dbname).map_err(|e| invalid(url, e))?,
        );
    }
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| invalid(url, format!("parameter `{}` has no `=`", mask_url(pair))))?;
        let key = percent_decode(key).map_err(|e| invalid(url, e))?;
        let value = percent_decode(value).map_err(|e| invalid(url, e))?;
        params.set(&key, value);
    }

    // The TLS settings are ours; everything else goes to the driver.
    let explicit_mode = params.take("sslmode");
    let ssl_root_cert = params.take("sslrootcert").filter(|v| !v.is_empty());
    let ssl_mode = match explicit_mode.as_deref() {
        None | Some("") => match ssl_root_cert.as_deref() {
            // libpq 16: sslrootcert=system defaults to full verification.
            Some("system") => SslModeArg::VerifyFull,
            _ => SslModeArg::Prefer,
        },
        Some(v) => SslModeArg::parse(v).ok_or_else(|| {
            invalid(url, format!("invalid sslmode `{v}` (expected disable, allow, prefer, require, verify-ca or verify-full)"))
        })?,
    };
    let password = params
        .get("password")
        .filter(|p| !p.is_empty())
        .map(str::to_owned);
    if matches!(params.get("host"), None | Some("")) {
        let host = default_host(params.get("port").unwrap_or(""));
        params.set("host", host);
    }
    if matches!(params.get("user"), None | Some("")) {
        if let Some(user) = ["USER", "LOGNAME", "USERNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok())
        {
            params.set("user", user);
        }
    }
    if let Some(dbname) = &opts.dbname {
        params.set("dbname", dbname.clone());
    }
    let application_name = match params.get("application_name") {
        Some(name) => name.to_owned(),
        None => {
            params.set("application_name", opts.application_name.clone());
            opts.application_name.clone()
        }
    };

    let mut kv = String::new();
    for (key, value) in &params.0 {
        if value.is_empty() {
            continue;
        }
        if !kv.is_empty() {
            kv.push(' ');
        }
        kv.push_str(key);
        kv.push('=');
        kv.push_str(&kv_quote(value));
    }
    let mut config = postgres::Config::from_str(&kv).map_err(|e| invalid(url, e))?;
    if config.get_connect_timeout().is_none() && !opts.connect_timeout.is_zero() {
        config.connect_timeout(opts.connect_timeout);
    }
    // libpq never uses TLS over a Unix socket (the server does not offer it there).
    let all_unix = config
        .get_hosts()
        .iter()
        .all(|h| !matches!(h, Host::Tcp(_)));
    config.ssl_mode(if all_unix {
        SslMode::Disable
    } else {
        ssl_mode.driver_mode()
    });

    Ok(ConnInfo {
        config,
        ssl_mode,
        ssl_root_cert,
        password,
        application_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
            let err = parse(url, &ConnectOptions::default())
                .err()
                .unwrap_or_else(|| panic!("{url} parsed"));
            assert!(!err.message.contains("s3cr3t"), "{}", err.message);
            assert!(
                err.message.starts_with("invalid connection URL"),
                "{}",
                err.message
            );
        }
    }
}
