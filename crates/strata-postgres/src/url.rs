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

use crate::libpq::{self, Environment, LoginKey, PassFile};
use crate::tls::{self, ClientCert};
use crate::ConnectOptions;
use postgres::config::{Host, SslMode};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use strata_core::{display_url, edit_distance, mask_url, url_scheme};
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
    /// The client certificate presented when the server asks for one.
    pub client_cert: Option<ClientCert>,
    /// The decoded password, so that error text can be scrubbed of it even where it is not in
    /// URL form.
    pub password: Option<String>,
    pub application_name: String,
    /// Who logs in where, and where the password came from, for the errors of a failed login.
    pub login: Login,
    /// What libpq would warn about (a password file others may read).
    pub warnings: Vec<String>,
}

/// Who logs in where, and where the password came from (or where strata looked for one).
#[derive(Clone, Debug, Default)]
pub(crate) struct Login {
    pub user: String,
    pub dbname: String,
    /// `host 127.0.0.1, port 5433` (several: comma-separated).
    pub target: String,
    /// Some part of it (host, port, user, database) came from a service file or a `PG*` variable
    /// rather than the URL: the URL alone does not say where strata connects.
    pub completed: bool,
    /// Where the password came from: `the URL`, `PGPASSWORD`, `service ...`, `the password file
    /// ...`; `None` when there was none.
    pub password_from: Option<String>,
    /// Where strata looked for a password, when it found none.
    pub looked: Vec<String>,
    /// The client certificate file presented, if any.
    pub client_cert: Option<String>,
}

impl Login {
    /// `user "app", database "shop", host 127.0.0.1, port 5433`.
    pub(crate) fn describe(&self) -> String {
        format!(
            "user \"{}\", database \"{}\", {}",
            self.user, self.dbname, self.target
        )
    }
}

/// Where a parameter's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    Url,
    Service {
        name: String,
        file: String,
        line: usize,
    },
    Env(&'static str),
    PassFile,
    Default,
}

impl Origin {
    /// `the URL`, `PGSSLCERT`, `service `app` (/home/u/.pg_service.conf:3)`.
    fn describe(&self) -> String {
        match self {
            Origin::Url => "the URL".to_owned(),
            Origin::Service { name, file, line } => format!("service `{name}` ({file}:{line})"),
            Origin::Env(var) => (*var).to_owned(),
            Origin::PassFile => "the password file".to_owned(),
            Origin::Default => "the default".to_owned(),
        }
    }
}

/// The query parameters strata accepts: libpq's, as far as the driver (or strata itself, for TLS)
/// implements them.
pub const PARAMETERS: &[&str] = &[
    "user",
    "password",
    "dbname",
    "host",
    "hostaddr",
    "port",
    "options",
    "application_name",
    "sslmode",
    "sslrootcert",
    "sslnegotiation",
    "connect_timeout",
    "tcp_user_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_retries",
    "target_session_attrs",
    "channel_binding",
    "load_balance_hosts",
    "service",
    "passfile",
    "sslcert",
    "sslkey",
    "sslpassword",
];

/// libpq parameters strata does not implement: named as such rather than as unknown.
const UNSUPPORTED: &[&str] = &[
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "sslcompression",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "requiressl",
    "requirepeer",
    "require_auth",
    "gssencmode",
    "gsslib",
    "krbsrvname",
    "client_encoding",
    "fallback_application_name",
    "replication",
];

const SSL_MODES: &str = "disable, allow, prefer, require, verify-ca or verify-full";

const ENCODE_HINT: &str = "percent-encode these characters in a user name or password: `/` as %2F, `?` as %3F, `#` as %23, `@` as %40, `:` as %3A, `%` as %25, a space as %20";

/// Checks a URL's parts and builds the error of each problem: messages name the part or the
/// parameter, show the URL only through [`display_url`] and never quote the user info.
struct Check<'a> {
    url: &'a str,
    /// Text from the URL (an unknown parameter's name, a rejected value) may be quoted: no part
    /// of a password can have ended up there (no `@` after the host, no `password` parameter).
    may_quote: bool,
    /// Where the values checked come from when not from the URL: `PGSSLMODE`,
    /// `/home/u/.pg_service.conf:3 (service `app`)`; errors start with it.
    source: Option<String>,
}

impl<'a> Check<'a> {
    /// The same checks for values from `source` (a variable, a service file's line).
    fn for_source(&self, source: String) -> Check<'a> {
        Check {
            url: self.url,
            may_quote: true,
            source: Some(source),
        }
    }

    fn invalid(&self, why: impl std::fmt::Display, hint: Option<&str>) -> DbError {
        if let Some(source) = &self.source {
            return DbError::invalid_url(mask_url(&format!("{source}: {why}")), hint.map(mask_url));
        }
        // Without its query: a misspelt `pasword=` would show its value.
        let shown = display_url(self.url).map(|shown| match shown.split_once('?') {
            Some((before, _)) => format!("{before}?…"),
            None => shown,
        });
        let message = match shown {
            Some(shown) => format!("invalid connection URL {shown}: {why}"),
            None => format!("invalid connection URL: {why}"),
        };
        DbError::invalid_url(mask_url(&message), hint.map(mask_url))
    }

    /// `` `value` `` when it may be quoted, else nothing.
    fn quoted(&self, value: &str) -> String {
        let simple = value.len() <= 64
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if self.may_quote && simple {
            format!(" `{value}`")
        } else {
            String::new()
        }
    }

    fn decode(&self, text: &str, what: &str) -> Result<String, DbError> {
        percent_decode(text).map_err(|why| {
            self.invalid(
                format!("{why} in {what}"),
                Some("a `%` starts an escape of two hex digits: write a literal `%` as %25"),
            )
        })
    }

    /// The value of a known parameter, checked as libpq (and the driver) would.
    fn value(&self, key: &str, value: &str) -> Result<(), DbError> {
        let one_of = |valid: &[&str], list: &str| -> Result<(), DbError> {
            if value.is_empty() || valid.contains(&value) {
                Ok(())
            } else {
                Err(self.invalid(
                    format!(
                        "invalid value{} for `{key}`: expected {list}",
                        self.quoted(value)
                    ),
                    None,
                ))
            }
        };
        let number = |ok: bool, what: &str| -> Result<(), DbError> {
            if value.is_empty() || ok {
                Ok(())
            } else {
                Err(self.invalid(
                    format!("invalid value{} for `{key}`: {what}", self.quoted(value)),
                    None,
                ))
            }
        };
        match key {
            "sslmode" if value.is_empty() => Err(self.invalid(
                format!("`sslmode` is empty: expected {SSL_MODES}"),
                Some("leave sslmode out for the default, prefer"),
            )),
            "sslmode" => match SslModeArg::parse(value) {
                Some(_) => Ok(()),
                None => Err(self.invalid(
                    format!(
                        "invalid value{} for `sslmode`: expected {SSL_MODES}",
                        self.quoted(value)
                    ),
                    None,
                )),
            },
            "port" => number(
                value.split(',').all(|p| p.is_empty() || valid_port(p)),
                "a port is a number from 1 to 65535 (several: comma-separated)",
            ),
            "connect_timeout" | "tcp_user_timeout" | "keepalives_idle" | "keepalives_interval" => {
                number(
                    value.parse::<i64>().is_ok(),
                    "expected a whole number of seconds",
                )
            }
            "keepalives" => number(value.parse::<u64>().is_ok(), "expected 1 (on) or 0 (off)"),
            "keepalives_retries" => number(value.parse::<u32>().is_ok(), "expected a whole number"),
            "hostaddr" => number(
                value
                    .split(',')
                    .all(|a| a.parse::<std::net::IpAddr>().is_ok()),
                "expected IP addresses (several: comma-separated)",
            ),
            "target_session_attrs" => one_of(
                &["any", "read-write", "read-only"],
                "any, read-write or read-only",
            ),
            "channel_binding" => one_of(
                &["disable", "prefer", "require"],
                "disable, prefer or require",
            ),
            "load_balance_hosts" => one_of(&["disable", "random"], "disable or random"),
            "sslnegotiation" => one_of(&["postgres", "direct"], "postgres or direct"),
            _ => Ok(()),
        }
    }

    fn unknown(&self, key: &str) -> DbError {
        let lower = key.to_ascii_lowercase();
        if UNSUPPORTED.contains(&lower.as_str()) {
            return self.invalid(
                format!("parameter `{lower}` is not supported by strata"),
                Some(&format!("supported parameters: {}", PARAMETERS.join(", "))),
            );
        }
        let name = self.quoted(key);
        let hint = match closest_parameter(key) {
            Some(close) => format!(
                "did you mean `{close}`? Supported parameters: {}",
                PARAMETERS.join(", ")
            ),
            None => format!("supported parameters: {}", PARAMETERS.join(", ")),
        };
        self.invalid(format!("unknown parameter{name}"), Some(&hint))
    }
}

fn valid_port(port: &str) -> bool {
    port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok_and(|p| p > 0)
}

/// The known parameter closest to `key`, when it is close enough to be a likely typo.
fn closest_parameter(key: &str) -> Option<&'static str> {
    let key = key.to_ascii_lowercase();
    if key.is_empty() {
        return None;
    }
    let normalise = |s: &str| s.replace(['_', '-'], "");
    PARAMETERS
        .iter()
        .map(|&p| {
            let distance = if normalise(p) == normalise(&key) {
                0
            } else {
                edit_distance(&key, p)
            };
            (distance, p)
        })
        .filter(|&(distance, p)| distance <= 2.min(p.len() / 2))
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, p)| p)
}

/// Decodes `%XX` escapes; the result must be UTF-8. The error never quotes the text.
pub(crate) fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                None => {
                    return Err(
                        "invalid percent-encoding (a `%` not followed by two hex digits)".into(),
                    )
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "percent-encoded text that is not UTF-8".to_owned())
}

/// Ordered parameters where a later value replaces an earlier one (libpq semantics), each with
/// where it came from.
#[derive(Default)]
struct Params(Vec<(String, String, Origin)>);

impl Params {
    /// A value from the URL.
    fn set(&mut self, key: &str, value: String) {
        self.set_from(key, value, Origin::Url);
    }

    fn set_from(&mut self, key: &str, value: String, origin: Origin) {
        match self.0.iter_mut().find(|(k, _, _)| k == key) {
            Some(entry) => {
                entry.1 = value;
                entry.2 = origin;
            }
            None => self.0.push((key.to_owned(), value, origin)),
        }
    }

    /// Removes a parameter the driver does not take, with its origin; an empty value is none.
    fn take(&mut self, key: &str) -> Option<(String, Origin)> {
        let pos = self.0.iter().position(|(k, _, _)| k == key)?;
        let (_, value, origin) = self.0.remove(pos);
        (!value.is_empty()).then_some((value, origin))
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, v, _)| v.as_str())
    }

    /// A value that is there and not empty.
    fn value(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }

    fn origin(&self, key: &str) -> Option<&Origin> {
        self.0
            .iter()
            .find(|(k, v, _)| k == key && !v.is_empty())
            .map(|(_, _, o)| o)
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
fn default_host(env: &dyn Environment, port: &str) -> String {
    #[cfg(unix)]
    for dir in ["/var/run/postgresql", "/tmp"] {
        let port = port
            .split(',')
            .next()
            .filter(|p| !p.is_empty())
            .unwrap_or("5432");
        if env
            .metadata(&Path::new(dir).join(format!(".s.PGSQL.{port}")))
            .is_ok()
        {
            return dir.to_owned();
        }
    }
    let _ = (env, port);
    "localhost".to_owned()
}

/// Checks a `postgres://` URL without connecting: `Err` with [`DbError::invalid_url`] set, naming
/// the part or parameter at fault, when it is malformed — or when what completes it is (a
/// malformed `PG*` variable, a service that is not defined, a client certificate that cannot be
/// read).
pub fn check_url(url: &str) -> Result<(), DbError> {
    parse(url, &ConnectOptions::default()).map(|_| ())
}

/// Parses `url`, completed from the process's environment as libpq completes it.
pub(crate) fn parse(url: &str, opts: &ConnectOptions) -> Result<ConnInfo, DbError> {
    parse_in(url, opts, &libpq::SystemEnv)
}

/// Parses `url`, completed from `env`: the service file's values fill what the URL leaves unset,
/// then the `PG*` variables, then the defaults; with no password so far, the password file is
/// looked in.
pub(crate) fn parse_in(
    url: &str,
    opts: &ConnectOptions,
    env: &dyn Environment,
) -> Result<ConnInfo, DbError> {
    let mut check = Check {
        url,
        may_quote: false,
        source: None,
    };
    let rest = match url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    {
        Some(rest) => rest,
        None => {
            return Err(match url_scheme(url) {
                Some(scheme) => check.invalid(
                    format!("unknown scheme `{scheme}`: expected postgres:// or postgresql://"),
                    None,
                ),
                None => check.invalid(
                    "it does not start with postgres:// or postgresql:// (it is not shown: it may hold a password)",
                    Some("write postgres://user@host:5432/dbname (with a password: user:password@host, percent-encoded)"),
                ),
            })
        }
    };
    let mut params = Params::default();

    // Authority: up to the first '/' or '?'; the user info ends at its last '@'.
    let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(auth_end);
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    // An `@` after the host: a password with an unencoded `/` or `?` may have been cut there.
    let late_at = rest.contains('@');
    let query_pairs: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .collect();
    check.may_quote = !late_at
        && !query_pairs.iter().any(|pair| {
            let key = pair.split('=').next().unwrap_or("").to_ascii_lowercase();
            key.contains("password")
        });
    let authority_hint = |suspect: bool| (late_at || suspect).then_some(ENCODE_HINT);

    let hosts_part = match authority.rfind('@') {
        Some(at) => {
            if path.contains('@') {
                return Err(check.invalid(
                    "an unencoded `@` after the host (in the database name)",
                    Some(ENCODE_HINT),
                ));
            }
            let userinfo = &authority[..at];
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            if !user.is_empty() {
                params.set("user", check.decode(user, "the user name")?);
            }
            if let Some(password) = password {
                params.set("password", check.decode(password, "the password")?);
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
                let close = v6.find(']').ok_or_else(|| {
                    check.invalid("unterminated `[` in the host", authority_hint(true))
                })?;
                let after = &v6[close + 1..];
                let port = match after.strip_prefix(':') {
                    Some(p) => Some(p),
                    None if after.is_empty() => None,
                    None => {
                        return Err(check.invalid(
                            "unexpected text after `]` in the host",
                            authority_hint(true),
                        ))
                    }
                };
                (v6[..close].to_owned(), port)
            } else {
                let (h, p) = match chunk.split_once(':') {
                    Some((h, p)) => (h, Some(p)),
                    None => (chunk, None),
                };
                (check.decode(h, "the host")?, p)
            };
            if host.is_empty() && hosts_part.contains(',') {
                return Err(check.invalid("empty host in the host list", authority_hint(false)));
            }
            let port = port.unwrap_or("");
            if !port.is_empty() && !valid_port(port) {
                let numeric = port.bytes().all(|b| b.is_ascii_digit());
                return Err(check.invalid(
                    "invalid port: a port is a number from 1 to 65535",
                    authority_hint(!numeric),
                ));
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

    let dbname = path.strip_prefix('/').unwrap_or(path);
    if !dbname.is_empty() {
        params.set("dbname", check.decode(dbname, "the database name")?);
    }
    for pair in query_pairs {
        let (raw_key, raw_value) = match pair.split_once('=') {
            Some(kv) => kv,
            None => {
                let name = match percent_decode(pair) {
                    Ok(key) if PARAMETERS.contains(&key.as_str()) => format!(" `{key}`"),
                    Ok(key) => check.quoted(&key),
                    Err(_) => String::new(),
                };
                return Err(check.invalid(
                    format!("parameter{name} has no `=`"),
                    Some("write parameters as ?name=value&name=value"),
                ));
            }
        };
        let key = check.decode(raw_key, "a parameter name")?;
        if !PARAMETERS.contains(&key.as_str()) {
            return Err(check.unknown(&key));
        }
        let value = check.decode(raw_value, &format!("parameter `{key}`"))?;
        check.value(&key, &value)?;
        params.set(&key, value);
    }

    // The service file, then the PG* variables, fill what the URL leaves unset (libpq's order).
    let service = match params.take("service") {
        Some((name, _)) => Some((name, "the URL")),
        None => env.nonempty("PGSERVICE").map(|name| (name, "PGSERVICE")),
    };
    if let Some((name, from)) = &service {
        apply_service(&check, &mut params, env, name, from)?;
    }
    for &(var, key) in libpq::VARIABLES {
        if params.get(key).is_some() {
            continue;
        }
        if let Some(value) = env.nonempty(var) {
            if key != "password" {
                check.for_source(var.to_owned()).value(key, &value)?;
            }
            params.set_from(key, value, Origin::Env(var));
        }
    }

    // The TLS settings are ours; everything else goes to the driver.
    let explicit_mode = params.take("sslmode").map(|(mode, _)| mode);
    let ssl_root_cert = params.take("sslrootcert").map(|(path, _)| path);
    let ssl_mode = match explicit_mode.as_deref().and_then(SslModeArg::parse) {
        Some(mode) => mode,
        None => match ssl_root_cert.as_deref() {
            // libpq 16: sslrootcert=system defaults to full verification.
            Some("system") => SslModeArg::VerifyFull,
            _ => SslModeArg::Prefer,
        },
    };
    let ssl_cert = params.take("sslcert");
    let ssl_key = params.take("sslkey");
    let ssl_password = params.take("sslpassword").map(|(password, _)| password);
    let passfile = params.take("passfile");
    let count = |key: &str| params.value(key).map_or(0, |v| v.split(',').count());
    let (hosts, hostaddrs, ports) = (count("host"), count("hostaddr"), count("port"));
    if hosts > 0 && hostaddrs > 0 && hosts != hostaddrs {
        return Err(check.invalid(
            format!(
                "{hosts} hosts but {hostaddrs} `hostaddr` addresses: give one address per host"
            ),
            None,
        ));
    }
    let targets = hosts.max(hostaddrs).max(1);
    if ports > 1 && ports != targets {
        return Err(check.invalid(
            format!("{targets} hosts but {ports} ports: give one port, or one per host"),
            None,
        ));
    }
    if params.value("host").is_none() && hostaddrs == 0 {
        let host = default_host(env, params.get("port").unwrap_or(""));
        params.set_from("host", host, Origin::Default);
    }
    if params.value("user").is_none() {
        if let Some(user) = ["USER", "LOGNAME", "USERNAME"]
            .iter()
            .find_map(|v| env.nonempty(v))
        {
            params.set_from("user", user, Origin::Default);
        }
    }
    if let Some(dbname) = &opts.dbname {
        params.set("dbname", dbname.clone());
    }
    let application_name = match params.get("application_name") {
        Some(name) => name.to_owned(),
        None => {
            params.set_from(
                "application_name",
                opts.application_name.clone(),
                Origin::Default,
            );
            opts.application_name.clone()
        }
    };

    // Who logs in where: for the password file, and for the errors of a failed login.
    let user = params.value("user").unwrap_or("").to_owned();
    let dbname = params.value("dbname").unwrap_or(&user).to_owned();
    let target_hosts: Vec<String> = params
        .value("host")
        .or(params.value("hostaddr"))
        .unwrap_or("")
        .split(',')
        .map(str::to_owned)
        .collect();
    let target_ports: Vec<String> = match params.value("port") {
        None => vec!["5432".to_owned(); target_hosts.len()],
        Some(ports) if !ports.contains(',') => vec![ports.to_owned(); target_hosts.len()],
        Some(ports) => ports.split(',').map(str::to_owned).collect(),
    };
    let mut login = Login {
        user: user.clone(),
        dbname: dbname.clone(),
        target: target_hosts
            .iter()
            .zip(&target_ports)
            .map(|(host, port)| format!("host {host}, port {port}"))
            .collect::<Vec<_>>()
            .join("; "),
        completed: ["host", "hostaddr", "port", "user", "dbname"]
            .iter()
            .any(|key| {
                matches!(
                    params.origin(key),
                    Some(Origin::Env(_) | Origin::Service { .. })
                )
            }),
        ..Login::default()
    };

    // The password: given (URL, service file, PGPASSWORD), else from the password file.
    let mut warnings = Vec::new();
    match params.origin("password") {
        Some(origin) => login.password_from = Some(origin.describe()),
        None => {
            let path = match &passfile {
                Some((path, _)) => Some(PathBuf::from(path)),
                None => env.home().map(|home| home.join(".pgpass")),
            };
            let state = match path {
                None => PassFile::NoHome,
                Some(path) => {
                    let keys: Vec<LoginKey> = target_hosts
                        .iter()
                        .zip(&target_ports)
                        .map(|(host, port)| LoginKey {
                            host: libpq::pgpass_host(host).to_owned(),
                            port: port.clone(),
                            dbname: dbname.clone(),
                            user: user.clone(),
                        })
                        .collect();
                    let (password, state) = libpq::read_pgpass(env, &path, &keys, &mut warnings);
                    if let Some(password) = password {
                        params.set_from("password", password, Origin::PassFile);
                    }
                    state
                }
            };
            if matches!(state, PassFile::Used { .. }) {
                login.password_from = Some(state.describe());
            } else {
                login.looked = vec![
                    match &service {
                        Some((name, _)) => format!("the URL and service `{name}`"),
                        None => "the URL".to_owned(),
                    },
                    "PGPASSWORD (not set)".to_owned(),
                    state.describe(),
                ];
            }
        }
    }
    let password = params.value("password").map(str::to_owned);

    let mut kv = String::new();
    for (key, value, _) in &params.0 {
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
    // Every value was checked above; the driver's errors name only the option, never its value.
    let mut config = postgres::Config::from_str(&kv).map_err(|e| {
        let cause = std::error::Error::source(&e).map(|c| format!(": {c}"));
        check.invalid(format!("{e}{}", cause.unwrap_or_default()), None)
    })?;
    if config.get_connect_timeout().is_none() && !opts.connect_timeout.is_zero() {
        config.connect_timeout(opts.connect_timeout);
    }
    // libpq never uses TLS over a Unix socket (the server does not offer it there).
    let all_unix = config
        .get_hosts()
        .iter()
        .all(|h| !matches!(h, Host::Tcp(_)))
        && config.get_hostaddrs().is_empty();
    config.ssl_mode(if all_unix {
        SslMode::Disable
    } else {
        ssl_mode.driver_mode()
    });

    // The client certificate, where TLS may be used: the one named, else libpq's default when
    // present.
    let client_cert = if all_unix || ssl_mode == SslModeArg::Disable {
        None
    } else {
        client_certificate(env, ssl_cert, ssl_key, ssl_password.as_deref())?
    };
    login.client_cert = client_cert.as_ref().map(|c| c.cert_path.clone());

    Ok(ConnInfo {
        config,
        ssl_mode,
        ssl_root_cert,
        client_cert,
        password,
        application_name,
        login,
        warnings,
    })
}

/// `sslcert=a` in the URL, `PGSSLCERT`, ...: where a file setting came from, for errors.
fn setting_origin(key: &str, origin: &Origin) -> String {
    match origin {
        Origin::Url => format!("{key} in the URL"),
        Origin::Env(var) => (*var).to_owned(),
        other => format!("{key} in {}", other.describe()),
    }
}

/// The client certificate and key: those named (`sslcert`, `sslkey`), else
/// `~/.postgresql/postgresql.crt` and `.key` when the certificate is there, as libpq does.
fn client_certificate(
    env: &dyn Environment,
    cert: Option<(String, Origin)>,
    key: Option<(String, Origin)>,
    password: Option<&str>,
) -> Result<Option<ClientCert>, DbError> {
    let folder = env.home().map(|home| home.join(".postgresql"));
    let (cert_path, cert_from) = match cert {
        Some((path, origin)) => (PathBuf::from(path), setting_origin("sslcert", &origin)),
        None => match &folder {
            Some(folder) if env.metadata(&folder.join("postgresql.crt")).is_ok() => (
                folder.join("postgresql.crt"),
                "the default client certificate".to_owned(),
            ),
            _ => return Ok(None),
        },
    };
    let (key_path, key_from) = match key {
        Some((path, origin)) => (PathBuf::from(path), setting_origin("sslkey", &origin)),
        None => match &folder {
            Some(folder) => (
                folder.join("postgresql.key"),
                "the default client key".to_owned(),
            ),
            None => {
                return Err(DbError::invalid_url(
                    format!(
                        "the client certificate {} has no key: sslkey is not set",
                        cert_path.display()
                    ),
                    Some("name the certificate's private key with sslkey (or PGSSLKEY)".to_owned()),
                ))
            }
        },
    };
    tls::load_client_cert(
        env,
        Path::new(&cert_path),
        &cert_from,
        &key_path,
        &key_from,
        password,
    )
    .map(Some)
}

/// Fills the parameters the URL leaves unset from service `name` (named by `from`: the URL or
/// `PGSERVICE`), checking every line of its section as the URL's parameters are checked.
fn apply_service(
    check: &Check<'_>,
    params: &mut Params,
    env: &dyn Environment,
    name: &str,
    from: &str,
) -> Result<(), DbError> {
    let service = libpq::find_service(env, name).map_err(|e| match e {
        libpq::ServiceError::NotFound(looked) => {
            let files: Vec<String> = looked
                .iter()
                .map(|(file, exists)| {
                    if *exists {
                        format!("{file} (no [{name}] section)")
                    } else {
                        format!("{file} (no such file)")
                    }
                })
                .collect();
            DbError::invalid_url(
                format!(
                    "service `{name}` (from {from}) is not defined: looked in {}",
                    files.join(" and ")
                ),
                Some(format!(
                    "define it in a [{name}] section of ~/.pg_service.conf, or point PGSERVICEFILE at the file that has it"
                )),
            )
        }
        libpq::ServiceError::Unreadable { file, error } => DbError::invalid_url(
            format!("cannot read the service file {file}: {error}"),
            None,
        ),
        libpq::ServiceError::Syntax { file, error } => DbError::invalid_url(
            format!("{file}:{}: {} (service `{name}`)", error.line, error.message),
            Some("a service file has [name] sections of key=value lines".to_owned()),
        ),
    })?;
    for entry in &service.entries {
        let at = format!("{}:{} (service `{name}`)", service.file, entry.line);
        let line_check = check.for_source(at.clone());
        if entry.key == "service" {
            return Err(line_check.invalid("a service cannot name another service", None));
        }
        if !PARAMETERS.contains(&entry.key.as_str()) {
            return Err(line_check.unknown(&entry.key));
        }
        if entry.key != "password" {
            line_check.value(&entry.key, &entry.value)?;
        }
        if params.get(&entry.key).is_none() {
            params.set_from(
                &entry.key,
                entry.value.clone(),
                Origin::Service {
                    name: name.to_owned(),
                    file: service.file.clone(),
                    line: entry.line,
                },
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
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
}

/// libpq's environment: the service file, the `PG*` variables, the password file, client
/// certificates, and their precedence.
#[cfg(test)]
mod environment_tests {
    use super::*;
    use crate::libpq::tests::FakeEnv;

    const CERT: &str = include_str!("../tests/fixtures/tls/client.crt");
    const KEY: &str = include_str!("../tests/fixtures/tls/client.key");

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
        let env = env.var("PGSERVICEFILE", "/s.conf").file(
            "/s.conf",
            "[s]\npassword=from-service\n",
            0o600,
        );
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
        let env =
            FakeEnv::new()
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
}
