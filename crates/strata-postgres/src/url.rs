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
mod tests;

/// libpq's environment: the service file, the `PG*` variables, the password file, client
/// certificates, and their precedence.
#[cfg(test)]
mod environment_tests;
