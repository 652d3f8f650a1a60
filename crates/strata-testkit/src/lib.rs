//! Helpers for strata's integration tests: a throw-away PostgreSQL database per test, a temporary
//! SQLite file, a temporary project directory.
//!
//! Tests run against a real PostgreSQL (by default `postgres://postgres@127.0.0.1:5432/postgres`,
//! override with `STRATA_TEST_PG_ADMIN_URL`). When it is not reachable, [`TempPg::new`] panics
//! with instructions: tests never skip silently.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The admin URL used when `STRATA_TEST_PG_ADMIN_URL` is not set.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The URL of the admin database that test databases are created from.
pub fn admin_url() -> String {
    std::env::var("STRATA_TEST_PG_ADMIN_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_ADMIN_URL.to_owned())
}

/// `scheme://userinfo@hostport`, `/path`, `?query` parts of a URL.
struct UrlParts<'a> {
    scheme: &'a str,
    userinfo: Option<&'a str>,
    hostport: &'a str,
    query: Option<&'a str>,
}

fn split_url(url: &str) -> UrlParts<'_> {
    let (scheme, rest) = url
        .split_once("://")
        .unwrap_or_else(|| panic!("not a URL: {}", hide_password(url)));
    let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..auth_end];
    let after = &rest[auth_end..];
    let query = after.split_once('?').map(|(_, q)| q);
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    UrlParts {
        scheme,
        userinfo,
        hostport,
        query,
    }
}

fn join_url(parts: &UrlParts<'_>, userinfo: Option<&str>, dbname: &str) -> String {
    let mut url = format!("{}://", parts.scheme);
    if let Some(userinfo) = userinfo {
        url.push_str(userinfo);
        url.push('@');
    }
    url.push_str(parts.hostport);
    url.push('/');
    url.push_str(dbname);
    if let Some(query) = parts.query {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// The URL with any password in its user info replaced by `***` (for panic messages).
fn hide_password(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
            match rest[..auth_end].rfind('@') {
                Some(at) => {
                    let userinfo = &rest[..at];
                    let user = userinfo.split(':').next().unwrap_or("");
                    let masked = if userinfo.contains(':') {
                        format!("{user}:***")
                    } else {
                        user.to_owned()
                    };
                    format!("{scheme}://{masked}{}", &rest[at..])
                }
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

fn admin_client(admin: &str) -> postgres::Client {
    postgres::Client::connect(admin, postgres::NoTls).unwrap_or_else(|e| {
        panic!(
            "strata's tests need a PostgreSQL server, and {} is not reachable: {e}\n\
             Start the local one with:\n    \
             pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n\
             or run scripts/test.sh, which installs and starts it \
             (STRATA_TEST_PG_ADMIN_URL points the tests at another server).",
            hide_password(admin)
        )
    })
}

/// A PostgreSQL database created for one test and dropped (`WITH (FORCE)`) when dropped.
pub struct TempPg {
    /// The database name, `strata_test_<pid>_<counter>_<nanos>`.
    pub name: String,
    /// Its URL: the admin URL with the database name replaced.
    pub url: String,
    admin_url: String,
}

impl TempPg {
    /// Creates a uniquely named database. Panics, saying how to start PostgreSQL, when the server is
    /// unreachable.
    #[allow(clippy::new_without_default)]
    pub fn new() -> TempPg {
        let admin = admin_url();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "strata_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            nanos
        );
        let mut client = admin_client(&admin);
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap_or_else(|e| panic!("could not create the test database {name}: {e}"));
        let parts = split_url(&admin);
        let url = join_url(&parts, parts.userinfo, &name);
        TempPg {
            name,
            url,
            admin_url: admin,
        }
    }

    /// A plain (no TLS) client connected to the test database, for assertions.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("could not connect to {}: {e}", hide_password(&self.url)))
    }

    /// The database's URL with `ROLE:PASSWORD@` as its user info, for checking that passwords never
    /// leak into output. `password` is inserted into the URL as given (percent-encode it yourself
    /// to test encoded passwords); the role is a login superuser named after the database
    /// (`<name>_u`), created on first use with the *decoded* password, so the URL connects under
    /// any authentication method (trust, or scram-sha-256 as on a fresh install). A later call
    /// changes the role's password. The role is dropped with the database.
    pub fn url_with_password(&self, password: &str) -> String {
        let role = format!("{}_u", self.name);
        let decoded = percent_decode(password);
        let mut admin = admin_client(&self.admin_url);
        admin
            .batch_execute(&format!(
                "DO $$BEGIN \
                   IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {name}) THEN \
                     CREATE ROLE \"{role}\" LOGIN SUPERUSER; \
                   END IF; \
                 END$$; \
                 ALTER ROLE \"{role}\" PASSWORD {pw}",
                name = quote_literal(&role),
                pw = quote_literal(&decoded),
            ))
            .unwrap_or_else(|e| panic!("could not create the test role {role}: {e}"));
        let parts = split_url(&self.url);
        join_url(&parts, Some(&format!("{role}:{password}")), &self.name)
    }
}

/// `'text'` for SQL (standard_conforming_strings is on in every supported server).
fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Decodes `%XX` escapes (invalid ones are kept as they are).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Drop for TempPg {
    fn drop(&mut self) {
        // Never panic in drop (it may run while a failed test unwinds).
        if let Ok(mut client) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            // Separately: DROP DATABASE cannot run in the implicit transaction of a batch.
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
            let _ = client.batch_execute(&format!("DROP ROLE IF EXISTS \"{}_u\"", self.name));
        }
    }
}

/// A SQLite database file in a temporary directory (removed when dropped). The file itself does
/// not exist until something opens it.
pub struct TempSqlite {
    dir: tempfile::TempDir,
    /// `<dir>/test.db`.
    pub path: PathBuf,
    /// `sqlite://<absolute path>`.
    pub url: String,
}

impl TempSqlite {
    #[allow(clippy::new_without_default)]
    pub fn new() -> TempSqlite {
        let dir = tempfile::tempdir().expect("could not create a temporary directory");
        let path = dir.path().join("test.db");
        let url = format!("sqlite://{}", path.display());
        TempSqlite { dir, path, url }
    }

    /// The temporary directory holding the file.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// A project directory with a `strata.toml` and an empty `migrations/` folder (removed when
/// dropped).
pub struct TempProject {
    pub dir: tempfile::TempDir,
}

impl TempProject {
    /// Writes `config_toml` to `strata.toml` and creates `migrations/`.
    pub fn new(config_toml: &str) -> TempProject {
        let dir = tempfile::tempdir().expect("could not create a temporary directory");
        std::fs::write(dir.path().join("strata.toml"), config_toml)
            .expect("could not write strata.toml");
        std::fs::create_dir(dir.path().join("migrations")).expect("could not create migrations/");
        TempProject { dir }
    }

    /// The project directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `migrations/<file_name>` and returns its path.
    pub fn write_migration(&self, file_name: &str, text: &str) -> PathBuf {
        self.write_file(Path::new("migrations").join(file_name), text)
    }

    /// Writes any file relative to the project directory (creating its parent folders) and returns
    /// its path.
    pub fn write_file(&self, relative: impl AsRef<Path>, text: &str) -> PathBuf {
        let path = self.dir.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("could not create a directory");
        }
        std::fs::write(&path, text)
            .unwrap_or_else(|e| panic!("could not write {}: {e}", path.display()));
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_surgery() {
        let parts = split_url("postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable");
        assert_eq!(
            join_url(&parts, parts.userinfo, "x"),
            "postgres://postgres@127.0.0.1:5432/x?sslmode=disable"
        );
        assert_eq!(
            join_url(&parts, Some("u:p"), "x"),
            "postgres://u:p@127.0.0.1:5432/x?sslmode=disable"
        );
        let parts = split_url("postgres://h");
        assert_eq!(join_url(&parts, None, "x"), "postgres://h/x");
        assert_eq!(
            hide_password("postgres://u:secret@h/d"),
            "postgres://u:***@h/d"
        );
        assert_eq!(hide_password("postgres://u@h/d"), "postgres://u@h/d");
        assert_eq!(percent_decode("p%40ss%2Fw%zz"), "p@ss/w%zz");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }
}
