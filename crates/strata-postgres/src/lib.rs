//! strata's PostgreSQL engine: a synchronous connection (the `postgres` crate, the blocking facade
//! of `tokio-postgres`) implementing [`strata_engine::Database`].
//!
//! - Migration text runs through the simple-query protocol, unchanged, so multi-statement files
//!   work and error positions point into the text.
//! - TLS via rustls with libpq's `sslmode` semantics (see [`tls`](crate#tls)), and client
//!   certificates.
//! - libpq's environment completes the URL, with libpq's precedence: the URL, then the service
//!   file (`service=`, `PGSERVICE`), then the `PG*` variables, then the defaults; without a
//!   password, the password file (`passfile=`, `PGPASSFILE`, `~/.pgpass`, ignored with a warning
//!   when others may read it). A failed login names the user, host and database and where the
//!   password came from.
//! - The runner lock is a session advisory lock keyed by the version table's name; a waiting runner
//!   is told who holds it.
//! - `client_connection_check_interval` (PostgreSQL 14+) makes the server notice a killed strata
//!   within a second, roll back its transaction and release its lock.
//! - Every message passes through [`strata_core::mask_url`] and is scrubbed of the password.
//! - [`introspect()`] reads the schema model (`strata_schema::Schema`) from the catalogs, one
//!   query per kind of object.
//!
//! # TLS
//!
//! `sslmode=disable` never encrypts; `allow`/`prefer` (the default) encrypt when the server offers
//! TLS, without checking its certificate; `require` always encrypts without checking the
//! certificate (libpq: as `verify-ca` when `sslrootcert` is given); `verify-ca` checks the chain;
//! `verify-full` checks the chain and the host name. Roots: `sslrootcert=PATH` (PEM), or the
//! Mozilla root store when absent or `system`.

pub mod introspect;
mod libpq;
mod not_modelled;
mod privileges;
pub mod shadow;
mod tls;
mod url;

pub use introspect::{introspect, introspect_in_transaction, IntrospectOptions};
pub use shadow::TempDatabase;
pub use url::{check_url, PARAMETERS};

use postgres::error::ErrorPosition;
use postgres::types::Type;
use std::error::Error as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use strata_core::{display_url, mask_url, quote_literal, Dialect};
use strata_engine::state::{HistoryRow, StateTables};
use strata_engine::{Database, DbError, InvalidIndex};

/// How to connect, beyond what the URL says.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// `application_name` shown in `pg_stat_activity` (a value in the URL wins).
    pub application_name: String,
    /// Time allowed to open the TCP connection to each host (a `connect_timeout` in the URL wins).
    pub connect_timeout: Duration,
    /// Connect to this database instead of the URL's (same server, same credentials).
    pub dbname: Option<String>,
    /// Told what libpq would warn about on standard error (a password file that group or others
    /// may read, and so is ignored). By default [`warn_on_stderr`].
    pub on_warning: fn(&str),
}

impl Default for ConnectOptions {
    fn default() -> ConnectOptions {
        ConnectOptions {
            application_name: "strata".to_owned(),
            connect_timeout: Duration::from_secs(10),
            dbname: None,
            on_warning: warn_on_stderr,
        }
    }
}

/// Prints `warning: TEXT` on standard error, once per process for each text (a command that
/// opens several connections warns once), its control characters escaped.
pub fn warn_on_stderr(text: &str) {
    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut seen = SEEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if !seen.iter().any(|t| t == text) {
        seen.push(text.to_owned());
        eprintln!(
            "warning: {}",
            strata_core::text::escape_controls(&mask_url(text))
        );
    }
}

/// How often a waiting runner says again who holds the lock.
const LOCK_PROGRESS_EVERY: Duration = Duration::from_secs(30);

/// `750 ms`, `12 s`, `3 min 5 s`.
fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{} s", ms / 1000)
    } else {
        format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// At most this many notices are kept between two [`Postgres::take_notices`] calls.
const MAX_NOTICES: usize = 10_000;

#[derive(Default)]
struct Notices {
    kept: Vec<String>,
    dropped: usize,
}

/// Removes secrets from text that may echo the connection string.
#[derive(Clone)]
struct Scrubber {
    password: Option<String>,
}

impl Scrubber {
    fn scrub(&self, text: &str) -> String {
        let masked = mask_url(text);
        match &self.password {
            // Short passwords would match ordinary words; they can only appear in URL form, which
            // mask_url already handles.
            Some(password) if password.chars().count() >= 4 => {
                masked.replace(password.as_str(), "***")
            }
            _ => masked,
        }
    }
}

/// A connection to PostgreSQL.
pub struct Postgres {
    client: postgres::Client,
    /// The URL with its password masked.
    target: String,
    scrubber: Scrubber,
    server_version: u32,
    notices: Arc<Mutex<Notices>>,
    tls: tls::PgTls,
    /// The runner-lock keys this session holds, in the order taken.
    held_keys: Vec<i64>,
    /// Prepared statements kept by their text, when [`Postgres::keep_statements`] was called.
    statements: Option<std::collections::HashMap<String, postgres::Statement>>,
}

/// A handle that cancels the statement running on a [`Postgres`] connection, usable from another
/// thread (e.g. a Ctrl-C handler) while the connection is busy.
#[derive(Clone)]
pub struct CancelHandle {
    token: postgres::CancelToken,
    tls: tls::PgTls,
    scrubber: Scrubber,
}

impl CancelHandle {
    /// Asks the server to cancel the running statement (which then fails with SQLSTATE 57014).
    /// Cancellation is racy: the statement may finish first.
    pub fn cancel(&self) -> Result<(), DbError> {
        self.token
            .cancel_query(self.tls.clone())
            .map_err(|e| DbError {
                message: self.scrubber.scrub(&format!(
                    "could not send the cancel request: {}",
                    error_text(&e)
                )),
                connection: true,
                ..DbError::default()
            })
    }
}

fn io_source(e: &postgres::Error) -> Option<&std::io::Error> {
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        source = s.source();
    }
    None
}

/// An error and its causes, `top: cause: cause` (the driver's `Display` leaves the causes out).
fn error_text(e: &postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !cause_text.is_empty() && !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn db_error_fields(db: &postgres::error::DbError, scrubber: &Scrubber) -> DbError {
    DbError {
        code: Some(db.code().code().to_owned()),
        message: scrubber.scrub(db.message()),
        detail: db.detail().map(|d| scrubber.scrub(d)),
        hint: db.hint().map(|h| scrubber.scrub(h)),
        position: match db.position() {
            Some(ErrorPosition::Original(n)) => Some(*n as usize),
            _ => None,
        },
        connection: false,
        invalid_url: false,
    }
}

/// The error of a failed connection attempt, saying what to check.
fn connect_error(
    e: &postgres::Error,
    info: &url::ConnInfo,
    target: &str,
    scrubber: &Scrubber,
) -> DbError {
    let login = &info.login;
    // Where the URL alone does not say where strata connects, the error does.
    let base = format!("could not connect to {target}");
    let prefix = if login.completed {
        format!("{base} ({})", login.describe())
    } else {
        base.clone()
    };
    if let Some(db) = e.as_db_error() {
        let mut err = db_error_fields(db, scrubber);
        match db.code().code() {
            // invalid_password: which login, and where its password came from.
            "28P01" => {
                err.message = format!("{base}: {} ({})", err.message, login.describe());
                err.hint = Some(scrubber.scrub(&match &login.password_from {
                    Some(from) => format!(
                        "the password came from {from}; strata takes it from the URL, else the service file, else PGPASSWORD, else the password file (PGPASSFILE or ~/.pgpass)"
                    ),
                    None => format!("no password was given (strata looked in {})", login.looked.join(", ")),
                }));
            }
            // invalid_authorization_specification: no pg_hba.conf entry, a client certificate
            // missing or refused.
            "28000" => {
                err.message = format!("{base}: {} ({})", err.message, login.describe());
                if err.message.contains("certificate") {
                    err.hint = Some(scrubber.scrub(&match &login.client_cert {
                        Some(cert) => format!("strata presented the client certificate {cert}: the server must trust its CA (ssl_ca_file) and its common name must be the user name"),
                        None => "no client certificate was presented: name one with sslcert and sslkey (or PGSSLCERT and PGSSLKEY), or put it in ~/.postgresql/postgresql.crt and postgresql.key".to_owned(),
                    }));
                }
            }
            _ => err.message = format!("{prefix}: {}", err.message),
        }
        err.connection = true;
        return err;
    }
    let text = error_text(e);
    if text.contains("password missing") {
        return DbError {
            message: scrubber.scrub(&format!(
                "{base}: the server asks for a password ({}) and none was given",
                login.describe()
            )),
            hint: Some(scrubber.scrub(&format!(
                "no password was given; set PGPASSWORD, add it to ~/.pgpass, or put it in the URL (strata looked in {})",
                login.looked.join(", ")
            ))),
            connection: true,
            ..DbError::default()
        };
    }
    let mode = info.ssl_mode.as_str();
    let mut hint = None;
    let reason = if let Some(cause) = text.strip_prefix("error performing TLS handshake") {
        let cause = cause.trim_start_matches(": ");
        if cause.contains("server does not support TLS") {
            hint = Some("enable ssl on the server, or use sslmode=prefer to connect without TLS where the server does not offer it".to_owned());
            format!("the server does not support TLS, which sslmode={mode} requires")
        } else {
            if matches!(
                info.ssl_mode,
                url::SslModeArg::VerifyCa | url::SslModeArg::VerifyFull
            ) || info.ssl_root_cert.is_some()
            {
                hint = Some(format!(
                    "sslmode={mode} checks the server's certificate against {}",
                    match info.ssl_root_cert.as_deref() {
                        None | Some("system") => "the Mozilla root certificates; name the server's CA with sslrootcert=PATH".to_owned(),
                        Some(path) => format!("the CA certificate(s) in {path}"),
                    }
                ));
            }
            format!("TLS handshake failed: {cause}")
        }
    } else if let Some(io) = io_source(e) {
        match io.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                "connection refused — is the server running?".to_owned()
            }
            std::io::ErrorKind::TimedOut => match info.config.get_connect_timeout() {
                Some(t) => format!(
                    "timed out after {} s — is the host reachable?",
                    t.as_secs_f64()
                ),
                None => "timed out — is the host reachable?".to_owned(),
            },
            std::io::ErrorKind::NotFound => {
                let socket = info.config.get_hosts().iter().find_map(|h| match h {
                    #[cfg(unix)]
                    postgres::config::Host::Unix(dir) => Some(dir.display().to_string()),
                    _ => None,
                });
                let port = info.config.get_ports().first().copied().unwrap_or(5432);
                match socket {
                    Some(dir) => format!(
                        "no server socket at {dir}/.s.PGSQL.{port} — is the server running?"
                    ),
                    None => format!("{io} — is the server running?"),
                }
            }
            _ if io.to_string().contains("lookup address") => {
                format!("could not resolve the host name ({io})")
            }
            _ => io.to_string(),
        }
    } else {
        text
    };
    DbError {
        message: scrubber.scrub(&format!("{prefix}: {reason}")),
        hint: hint.map(|h| scrubber.scrub(&h)),
        connection: true,
        ..DbError::default()
    }
}

impl Postgres {
    /// Connects to a `postgres://` or `postgresql://` URL (libpq-style query parameters), then sets
    /// up the session: `standard_conforming_strings = on`, `application_name`, and on PostgreSQL
    /// 14+ `client_connection_check_interval = '1s'`.
    pub fn connect(url: &str, opts: &ConnectOptions) -> Result<Postgres, DbError> {
        let mut info = url::parse(url, opts)?;
        // Parsed, so it starts with `postgres://`: everything up to its last `@` is masked.
        let target = display_url(url).unwrap_or_default();
        let scrubber = Scrubber {
            password: info.password.clone(),
        };
        for warning in &info.warnings {
            (opts.on_warning)(warning);
        }
        let tls = tls::connector(
            info.ssl_mode,
            info.ssl_root_cert.as_deref(),
            info.client_cert.as_ref(),
        )
        .map_err(|mut e| {
            e.message = scrubber.scrub(&format!("could not connect to {target}: {}", e.message));
            e
        })?;

        let notices = Arc::new(Mutex::new(Notices::default()));
        let sink = Arc::clone(&notices);
        let notice_scrubber = scrubber.clone();
        info.config.notice_callback(move |notice| {
            let mut text = format!("{}: {}", notice.severity(), notice.message());
            if let Some(detail) = notice.detail() {
                text.push_str(&format!("\nDETAIL: {detail}"));
            }
            if let Some(hint) = notice.hint() {
                text.push_str(&format!("\nHINT: {hint}"));
            }
            let mut buffer = sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if buffer.kept.len() < MAX_NOTICES {
                buffer.kept.push(notice_scrubber.scrub(&text));
            } else {
                buffer.dropped += 1;
            }
        });

        let client = info
            .config
            .connect(tls.clone())
            .map_err(|e| connect_error(&e, &info, &target, &scrubber))?;
        let mut pg = Postgres {
            client,
            target,
            scrubber,
            server_version: 0,
            notices,
            tls,
            held_keys: Vec::new(),
            statements: None,
        };

        // One round trip: the SETs, the version, and (14+) the dead-client check. The CASE is
        // evaluated lazily, so older servers never see the unknown parameter.
        let setup = format!(
            "SET standard_conforming_strings = on; SET application_name = {app}; \
             SELECT current_setting('server_version_num'), \
             CASE WHEN current_setting('server_version_num')::int >= 140000 \
             THEN set_config('client_connection_check_interval', '1s', false) END",
            app = quote_literal(&info.application_name),
        );
        let rows = pg.simple_query_rows(&setup)?;
        let version = rows
            .first()
            .and_then(|r| r.first().cloned().flatten())
            .unwrap_or_default();
        pg.server_version = version.trim().parse().map_err(|_| {
            DbError::msg(format!(
                "{}: unexpected server_version_num `{version}`",
                pg.target
            ))
        })?;
        Ok(pg)
    }

    /// Server notices (`NOTICE`, `WARNING`, ...) received since the last call, oldest first, each
    /// as `SEVERITY: message` with `DETAIL:`/`HINT:` lines when present.
    pub fn take_notices(&mut self) -> Vec<String> {
        let mut buffer = self
            .notices
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut notices = std::mem::take(&mut buffer.kept);
        if buffer.dropped > 0 {
            notices.push(format!("({} more notices were dropped)", buffer.dropped));
            buffer.dropped = 0;
        }
        notices
    }

    /// A handle that cancels the running statement from another thread.
    pub fn cancel_token(&self) -> CancelHandle {
        CancelHandle {
            token: self.client.cancel_token(),
            tls: self.tls.clone(),
            scrubber: self.scrubber.clone(),
        }
    }

    /// Runs `sql` with the simple-query protocol and returns the rows of every statement, each
    /// value as text (`None` for NULL).
    /// Keeps the statements that [`Postgres::query_kept`] runs prepared for the rest of the
    /// session: planning a catalog query costs about as much as running it, so a caller that
    /// reads the schema many times on one session (`strata test`) plans each query once. Off by
    /// default: preparing costs a round trip more for a query run once.
    pub fn keep_statements(&mut self) {
        self.statements.get_or_insert_with(Default::default);
    }

    /// Runs `sql` (no parameters): through a kept prepared statement when
    /// [`Postgres::keep_statements`] was called, else in one round trip.
    pub fn query_kept(&mut self, sql: &str) -> Result<Vec<postgres::Row>, DbError> {
        let Some(statements) = &self.statements else {
            return self.client.query_typed(sql, &[]).map_err(|e| self.error(e));
        };
        let statement = match statements.get(sql) {
            Some(s) => s.clone(),
            None => {
                let s = self.client.prepare(sql).map_err(|e| self.error(e))?;
                if let Some(statements) = &mut self.statements {
                    statements.insert(sql.to_owned(), s.clone());
                }
                s
            }
        };
        self.client
            .query(&statement, &[])
            .map_err(|e| self.error(e))
    }

    pub fn simple_query_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
        let messages = self.client.simple_query(sql).map_err(|e| self.error(e))?;
        let mut rows = Vec::new();
        for message in messages {
            if let postgres::SimpleQueryMessage::Row(row) = message {
                rows.push(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_owned))
                        .collect(),
                );
            }
        }
        Ok(rows)
    }

    fn error(&self, e: postgres::Error) -> DbError {
        let lost = self.client.is_closed() || e.is_closed() || io_source(&e).is_some();
        match e.as_db_error() {
            Some(db) => DbError {
                connection: lost,
                ..db_error_fields(db, &self.scrubber)
            },
            None if lost => DbError {
                message: self.scrubber.scrub(&format!(
                    "lost the connection to {}: {}",
                    self.target,
                    error_text(&e)
                )),
                connection: true,
                ..DbError::default()
            },
            None => DbError::msg(self.scrubber.scrub(&error_text(&e))),
        }
    }

    fn regclass_exists(&mut self, names: &[String]) -> Result<bool, DbError> {
        for name in names {
            let row = self
                .client
                .query_typed_one("SELECT to_regclass($1) IS NOT NULL", &[(name, Type::TEXT)])
                .map_err(|e| self.error(e))?;
            if !row.get::<_, bool>(0) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn one_i64(&mut self, sql: &str) -> Result<i64, DbError> {
        let row = self
            .client
            .query_typed_one(sql, &[])
            .map_err(|e| self.error(e))?;
        Ok(row.get(0))
    }

    fn try_advisory_lock(&mut self, key: i64) -> Result<bool, DbError> {
        let row = self
            .client
            .query_typed_one("SELECT pg_try_advisory_lock($1)", &[(&key, Type::INT8)])
            .map_err(|e| self.error(e))?;
        Ok(row.get(0))
    }

    fn advisory_unlock(&mut self, key: i64) -> Result<(), DbError> {
        self.client
            .query_typed("SELECT pg_advisory_unlock($1)", &[(&key, Type::INT8)])
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Who holds the advisory lock `key` in this database, as `pid 1234 (strata, user app, since
    /// 14:02:11)`; `None` when nobody does (any more).
    fn lock_holder(&mut self, key: i64) -> Result<Option<String>, DbError> {
        // pg_advisory_lock(bigint) shows in pg_locks as classid = high half, objid = low half,
        // objsubid = 1.
        let bits = key as u64;
        let high = i64::from((bits >> 32) as u32);
        let low = i64::from(bits as u32);
        let rows = self
            .client
            .query_typed(
                "SELECT l.pid, a.application_name, a.usename::text, host(a.client_addr), \
                        to_char(a.backend_start, 'HH24:MI:SS') \
                 FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
                   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                   AND l.classid::bigint = $1 AND l.objid::bigint = $2 \
                 LIMIT 1",
                &[(&high, Type::INT8), (&low, Type::INT8)],
            )
            .map_err(|e| self.error(e))?;
        Ok(rows.first().map(|row| {
            let pid: Option<i32> = row.get(0);
            let mut parts = Vec::new();
            if let Some(app) = row.get::<_, Option<String>>(1).filter(|a| !a.is_empty()) {
                parts.push(app);
            }
            if let Some(user) = row.get::<_, Option<String>>(2) {
                parts.push(format!("user {user}"));
            }
            if let Some(addr) = row.get::<_, Option<String>>(3) {
                parts.push(format!("from {addr}"));
            }
            if let Some(since) = row.get::<_, Option<String>>(4) {
                parts.push(format!("since {since}"));
            }
            let pid = pid.map_or_else(
                || "a prepared transaction".to_owned(),
                |p| format!("pid {p}"),
            );
            if parts.is_empty() {
                pid
            } else {
                format!("{pid} ({})", parts.join(", "))
            }
        }))
    }
}

impl Database for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn describe(&self) -> String {
        self.target.clone()
    }

    fn user(&mut self) -> Result<Option<String>, DbError> {
        let rows = self.simple_query_rows("SELECT current_user")?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten()))
    }

    fn server_version(&mut self) -> Result<u32, DbError> {
        Ok(self.server_version)
    }

    fn execute(&mut self, sql: &str) -> Result<(), DbError> {
        self.client.batch_execute(sql).map_err(|e| self.error(e))
    }

    fn state_tables_exist(&mut self, tables: &StateTables) -> Result<bool, DbError> {
        self.regclass_exists(&[tables.version.to_string(), tables.history.to_string()])
    }

    fn read_heads(&mut self, tables: &StateTables) -> Result<Vec<String>, DbError> {
        if !self.regclass_exists(&[tables.version.to_string()])? {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT revision FROM {} ORDER BY revision", tables.version);
        let rows = self
            .client
            .query_typed(&sql, &[])
            .map_err(|e| self.error(e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn read_history(&mut self, tables: &StateTables) -> Result<Vec<HistoryRow>, DbError> {
        if !self.regclass_exists(&[tables.history.to_string()])? {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, revision, parents, kind, message, checksum, \
                    to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), \
                    applied_by, execution_ms, strata_version, error \
             FROM {} ORDER BY id",
            tables.history
        );
        let rows = self
            .client
            .query_typed(&sql, &[])
            .map_err(|e| self.error(e))?;
        Ok(rows
            .iter()
            .map(|r| HistoryRow {
                id: r.get(0),
                revision: r.get(1),
                parents: r.get(2),
                kind: r.get(3),
                message: r.get(4),
                checksum: r.get(5),
                applied_at: r.get(6),
                applied_by: r.get(7),
                execution_ms: r.get(8),
                strata_version: r.get(9),
                error: r.get(10),
            })
            .collect())
    }

    fn lock(
        &mut self,
        tables: &StateTables,
        limit: Option<Duration>,
        on_wait: &mut dyn FnMut(&str),
    ) -> Result<(), DbError> {
        // The key of earlier versions first (a runner of an earlier strata during a rolling
        // deploy holds only that one), then the key of the table as the server resolves it.
        let resolved = self.one_i64(&format!("SELECT {}", tables.lock_key_sql()))?;
        let mut keys = vec![tables.lock_key()];
        if resolved != keys[0] {
            keys.push(resolved);
        }
        // Polled with pg_try_advisory_lock, each try a statement of its own: a runner blocked
        // in pg_advisory_lock() would hold a snapshot that the holder's CREATE INDEX
        // CONCURRENTLY waits for — a deadlock.
        let started = Instant::now();
        let mut held = 0;
        let mut pause = Duration::from_millis(20);
        let mut announced: Option<Instant> = None;
        loop {
            while held < keys.len() && self.try_advisory_lock(keys[held])? {
                held += 1;
            }
            if held == keys.len() {
                self.held_keys = keys;
                return Ok(());
            }
            let waited = started.elapsed();
            let out_of_time = limit.is_some_and(|limit| waited >= limit);
            if out_of_time || announced.is_none_or(|at| at.elapsed() >= LOCK_PROGRESS_EVERY) {
                let holder = self
                    .lock_holder(keys[held])?
                    .unwrap_or_else(|| "another session".to_owned());
                if out_of_time {
                    for key in keys[..held].iter().rev() {
                        self.advisory_unlock(*key)?;
                    }
                    return Err(DbError {
                        message: format!(
                            "gave up waiting for the runner lock after {}: it is held by {holder}",
                            human_duration(waited)
                        ),
                        hint: Some(
                            "another strata run is in progress on this database; wait for it to \
                             finish, or give it longer with --lock-wait"
                                .to_owned(),
                        ),
                        ..DbError::default()
                    });
                }
                if announced.is_none() {
                    on_wait(&holder);
                } else {
                    on_wait(&format!("{holder}; waiting for {}", human_duration(waited)));
                }
                announced = Some(Instant::now());
            }
            let mut nap = pause;
            if let Some(limit) = limit {
                nap = nap.min(limit.saturating_sub(waited));
            }
            std::thread::sleep(nap);
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }

    fn unlock(&mut self, _tables: &StateTables) -> Result<(), DbError> {
        let keys = std::mem::take(&mut self.held_keys);
        for key in keys.iter().rev() {
            self.advisory_unlock(*key)?;
        }
        Ok(())
    }

    fn begin_sql(&self) -> &'static str {
        "BEGIN"
    }

    fn lock_is_per_transaction(&self) -> bool {
        false
    }

    fn rollback(&mut self) -> Result<bool, DbError> {
        // After an error inside a transaction block every statement fails with 25P02 until
        // ROLLBACK. A statement that succeeds means no block was open: the migration's own
        // COMMIT (or END) had ended it, and there is nothing left to roll back.
        match self.client.simple_query("SELECT 1") {
            Ok(_) => Ok(false),
            Err(e) if e.code() == Some(&postgres::error::SqlState::IN_FAILED_SQL_TRANSACTION) => {
                self.execute("ROLLBACK;").map(|()| true)
            }
            Err(e) => Err(self.error(e)),
        }
    }

    fn invalid_indexes(&mut self, tables: &[String]) -> Result<Vec<InvalidIndex>, DbError> {
        // Index names are unique per schema, so a name is matched in the tables' schemas.
        // No tables: every invalid index in the database (outside the system schemas).
        let rows = self
            .client
            .query_typed(
                "SELECT n.nspname::text, t.relname::text, c.relname::text \
                 FROM pg_catalog.pg_index i \
                 JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
                 JOIN pg_catalog.pg_class t ON t.oid = i.indrelid \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE NOT i.indisvalid \
                   AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                   AND (cardinality($1::text[]) = 0 \
                        OR c.relnamespace IN (SELECT r.relnamespace FROM pg_catalog.pg_class r \
                           WHERE r.oid IN (SELECT to_regclass(x) FROM unnest($1::text[]) AS x))) \
                 ORDER BY 1, 3",
                &[(&tables, Type::TEXT_ARRAY)],
            )
            .map_err(|e| self.error(e))?;
        Ok(rows
            .iter()
            .map(|r| InvalidIndex {
                schema: r.get(0),
                table: r.get(1),
                name: r.get(2),
            })
            .collect())
    }
}
