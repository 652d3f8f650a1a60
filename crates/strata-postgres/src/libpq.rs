//! libpq's environment, as psql and the PostgreSQL drivers honour it: the `PG*` variables, the
//! password file (`~/.pgpass`, `PGPASSFILE`, `passfile=`) and the connection service file
//! (`~/.pg_service.conf`, `PGSERVICEFILE`, `PGSYSCONFDIR/pg_service.conf`).
//!
//! Everything read from outside goes through [`Environment`], so that the URL parser stays pure
//! and its tests need no real home folder.

use std::path::{Path, PathBuf};

/// What a file is, as far as the checks libpq makes need it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FileMeta {
    pub is_file: bool,
    /// The permission bits (`0o600`), where the platform has them.
    pub mode: Option<u32>,
    /// The owner's user id, where the platform has one.
    pub uid: Option<u32>,
}

/// The process's environment and files, as the connection settings read them.
pub(crate) trait Environment {
    /// An environment variable; `None` when unset or not UTF-8.
    fn var(&self, name: &str) -> Option<String>;
    fn metadata(&self, path: &Path) -> std::io::Result<FileMeta>;
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>>;

    /// A variable that is set and not empty (libpq treats an empty value as unset).
    fn nonempty(&self, name: &str) -> Option<String> {
        self.var(name).filter(|v| !v.is_empty())
    }

    /// The home folder: `HOME` (as libpq since PostgreSQL 13 reads it first).
    fn home(&self) -> Option<PathBuf> {
        self.nonempty("HOME").map(PathBuf::from)
    }
}

/// The real environment.
pub(crate) struct SystemEnv;

impl Environment for SystemEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn metadata(&self, path: &Path) -> std::io::Result<FileMeta> {
        let meta = std::fs::metadata(path)?;
        #[cfg(unix)]
        let (mode, uid) = {
            use std::os::unix::fs::MetadataExt;
            (Some(meta.mode() & 0o7777), Some(meta.uid()))
        };
        #[cfg(not(unix))]
        let (mode, uid) = (None, None);
        Ok(FileMeta {
            is_file: meta.is_file(),
            mode,
            uid,
        })
    }

    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(path)
    }
}

/// The `PG*` variables and the parameter each one supplies when neither the URL nor the service
/// file gives it.
pub(crate) const VARIABLES: &[(&str, &str)] = &[
    ("PGHOST", "host"),
    ("PGHOSTADDR", "hostaddr"),
    ("PGPORT", "port"),
    ("PGDATABASE", "dbname"),
    ("PGUSER", "user"),
    ("PGPASSWORD", "password"),
    ("PGPASSFILE", "passfile"),
    ("PGOPTIONS", "options"),
    ("PGAPPNAME", "application_name"),
    ("PGSSLMODE", "sslmode"),
    ("PGSSLROOTCERT", "sslrootcert"),
    ("PGSSLCERT", "sslcert"),
    ("PGSSLKEY", "sslkey"),
    ("PGSSLNEGOTIATION", "sslnegotiation"),
    ("PGCONNECT_TIMEOUT", "connect_timeout"),
    ("PGTARGETSESSIONATTRS", "target_session_attrs"),
    ("PGCHANNELBINDING", "channel_binding"),
    ("PGLOADBALANCEHOSTS", "load_balance_hosts"),
];

/// Where the system-wide service file is when `PGSYSCONFDIR` is not set (Debian's and Ubuntu's
/// libpq; upstream builds use their installation's `etc`).
pub(crate) const DEFAULT_SYSCONFDIR: &str = "/etc/postgresql-common";

// ---------------------------------------------------------------------------------------------
// The password file

/// One field of a password-file line matches `value`: `*` matches anything, `\` escapes the
/// next character (so `\*` is a literal star and `\:` a colon).
fn field_matches(field: &str, value: &str) -> bool {
    field == "*" || unescape(field) == value
}

fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(next) => out.push(next),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A line split at its unescaped colons, the escapes left in (for `*` to be told from `\*`).
fn split_fields(line: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (at, c) in line.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ':' {
            fields.push(&line[start..at]);
            start = at + 1;
        }
    }
    fields.push(&line[start..]);
    fields
}

/// What a password-file line is matched against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LoginKey {
    pub host: String,
    pub port: String,
    pub dbname: String,
    pub user: String,
}

/// The password of the first line of a password file (`hostname:port:database:username:password`)
/// that matches `key`, with its line number. Comments (`#`) and lines with fewer than five fields
/// are skipped; a password that holds a colon is written with it escaped (`\:`), and a backslash
/// as `\\`, though an unescaped colon in the last field is kept, as libpq keeps it.
pub(crate) fn pgpass_lookup(text: &str, key: &LoginKey) -> Option<(String, usize)> {
    for (index, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let fields = split_fields(line);
        if fields.len() < 5 {
            continue;
        }
        if field_matches(fields[0], &key.host)
            && field_matches(fields[1], &key.port)
            && field_matches(fields[2], &key.dbname)
            && field_matches(fields[3], &key.user)
        {
            let password = unescape(&fields[4..].join(":"));
            if password.is_empty() {
                return None;
            }
            return Some((password, index + 1));
        }
    }
    None
}

/// The host a password-file line names for a connection to `host`: `localhost` for the default
/// Unix-socket folders (as libpq matches them), else the host itself.
pub(crate) fn pgpass_host(host: &str) -> &str {
    match host {
        "" | "/var/run/postgresql" | "/run/postgresql" | "/tmp" => "localhost",
        other => other,
    }
}

/// Why a password file was not used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PassFile {
    /// Neither `passfile`/`PGPASSFILE` nor a home folder: nowhere to look.
    NoHome,
    Missing(String),
    /// Not a regular file, or readable by group or others: ignored, as libpq ignores it.
    Ignored {
        path: String,
        why: String,
    },
    Unreadable {
        path: String,
        error: String,
    },
    NoMatch {
        path: String,
        key: String,
    },
    Used {
        path: String,
        line: usize,
    },
}

impl PassFile {
    /// What became of the password file, for a hint.
    pub(crate) fn describe(&self) -> String {
        match self {
            PassFile::NoHome => {
                "no password file (HOME is not set and neither is PGPASSFILE)".to_owned()
            }
            PassFile::Missing(path) => format!("the password file {path} (it does not exist)"),
            PassFile::Ignored { path, why } => {
                format!("the password file {path} (ignored: {why})")
            }
            PassFile::Unreadable { path, error } => {
                format!("the password file {path} (unreadable: {error})")
            }
            PassFile::NoMatch { path, key } => {
                format!("the password file {path} (no line matches {key})")
            }
            PassFile::Used { path, line } => format!("the password file {path}, line {line}"),
        }
    }
}

/// Looks for the password in the password file at `path`: the first line matching any of `keys`
/// (one per host, in order). `warnings` gets libpq's warning when the file is ignored.
pub(crate) fn read_pgpass(
    env: &dyn Environment,
    path: &Path,
    keys: &[LoginKey],
    warnings: &mut Vec<String>,
) -> (Option<String>, PassFile) {
    let shown = path.display().to_string();
    let meta = match env.metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return (None, PassFile::Missing(shown))
        }
        Err(e) => {
            return (
                None,
                PassFile::Unreadable {
                    path: shown,
                    error: e.to_string(),
                },
            )
        }
    };
    if !meta.is_file {
        warnings.push(format!(
            "password file {shown} is not a plain file: strata ignores it, as libpq does"
        ));
        return (
            None,
            PassFile::Ignored {
                path: shown,
                why: "not a plain file".to_owned(),
            },
        );
    }
    if let Some(mode) = meta.mode.filter(|mode| mode & 0o077 != 0) {
        warnings.push(format!(
            "password file {shown} has group or world access (permissions {mode:04o}): strata ignores it, as libpq does; make it private with: chmod 0600 {shown}"
        ));
        return (
            None,
            PassFile::Ignored {
                path: shown.clone(),
                why: format!(
                    "it has group or world access, permissions {mode:04o}; chmod 0600 {shown}"
                ),
            },
        );
    }
    let text = match env.read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            return (
                None,
                PassFile::Unreadable {
                    path: shown,
                    error: e.to_string(),
                },
            )
        }
    };
    for key in keys {
        if let Some((password, line)) = pgpass_lookup(&text, key) {
            return (Some(password), PassFile::Used { path: shown, line });
        }
    }
    let key = keys
        .iter()
        .map(|k| format!("{}:{}:{}:{}", k.host, k.port, k.dbname, k.user))
        .collect::<Vec<_>>()
        .join(" or ");
    (None, PassFile::NoMatch { path: shown, key })
}

// ---------------------------------------------------------------------------------------------
// The service file

/// One `key=value` line of a service's section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ServiceEntry {
    pub line: usize,
    pub key: String,
    pub value: String,
}

/// A problem in a service file, at a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ServiceSyntax {
    pub line: usize,
    pub message: String,
}

/// The entries of section `[service]` of a service file's text, `None` when it has no such
/// section. Blank lines and `#` comments are skipped, surrounding spaces ignored; the first
/// section of that name is used (libpq stops at the next section). A line in the section without
/// `=` is an error.
pub(crate) fn service_section(
    text: &str,
    service: &str,
) -> Result<Option<Vec<ServiceEntry>>, ServiceSyntax> {
    let mut found: Option<Vec<ServiceEntry>> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            if found.is_some() {
                break;
            }
            if header.strip_suffix(']') == Some(service) {
                found = Some(Vec::new());
            }
            continue;
        }
        let Some(entries) = found.as_mut() else {
            continue;
        };
        let Some((key, value)) = line.split_once('=') else {
            return Err(ServiceSyntax {
                line: index + 1,
                message: "syntax error: expected key=value".to_owned(),
            });
        };
        entries.push(ServiceEntry {
            line: index + 1,
            key: key.trim().to_owned(),
            value: value.trim().to_owned(),
        });
    }
    Ok(found)
}

/// A service's definition, found in `file`.
pub(crate) struct Service {
    pub file: String,
    pub entries: Vec<ServiceEntry>,
}

/// Why a service could not be read.
pub(crate) enum ServiceError {
    /// In none of the files looked in (each: its path and whether it exists).
    NotFound(Vec<(String, bool)>),
    Unreadable {
        file: String,
        error: String,
    },
    Syntax {
        file: String,
        error: ServiceSyntax,
    },
}

/// The files a service is looked for in, in order: `PGSERVICEFILE` or `~/.pg_service.conf`, then
/// `PGSYSCONFDIR/pg_service.conf`.
pub(crate) fn service_files(env: &dyn Environment) -> Vec<PathBuf> {
    let mut files = Vec::new();
    match env.nonempty("PGSERVICEFILE") {
        Some(file) => files.push(PathBuf::from(file)),
        None => {
            if let Some(home) = env.home() {
                files.push(home.join(".pg_service.conf"));
            }
        }
    }
    let sysconf = env
        .nonempty("PGSYSCONFDIR")
        .unwrap_or_else(|| DEFAULT_SYSCONFDIR.to_owned());
    files.push(Path::new(&sysconf).join("pg_service.conf"));
    files
}

/// Finds service `name` in the first file that defines it.
pub(crate) fn find_service(env: &dyn Environment, name: &str) -> Result<Service, ServiceError> {
    let mut looked = Vec::new();
    for path in service_files(env) {
        let file = path.display().to_string();
        let text = match env.read(&path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                looked.push((file, false));
                continue;
            }
            Err(e) => {
                return Err(ServiceError::Unreadable {
                    file,
                    error: e.to_string(),
                })
            }
        };
        match service_section(&text, name) {
            Ok(Some(entries)) => return Ok(Service { file, entries }),
            Ok(None) => looked.push((file, true)),
            Err(error) => return Err(ServiceError::Syntax { file, error }),
        }
    }
    Err(ServiceError::NotFound(looked))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::HashMap;

    /// An environment of given variables and files, for tests.
    #[derive(Default)]
    pub(crate) struct FakeEnv {
        pub vars: HashMap<String, String>,
        /// Path → (contents, permission bits).
        pub files: HashMap<PathBuf, (Vec<u8>, u32)>,
    }

    impl FakeEnv {
        pub fn new() -> FakeEnv {
            FakeEnv::default()
        }

        pub fn var(mut self, name: &str, value: &str) -> FakeEnv {
            self.vars.insert(name.to_owned(), value.to_owned());
            self
        }

        pub fn file(mut self, path: &str, text: impl AsRef<[u8]>, mode: u32) -> FakeEnv {
            self.files
                .insert(PathBuf::from(path), (text.as_ref().to_vec(), mode));
            self
        }
    }

    impl Environment for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.vars.get(name).cloned()
        }

        fn metadata(&self, path: &Path) -> std::io::Result<FileMeta> {
            match self.files.get(path) {
                Some((_, mode)) => Ok(FileMeta {
                    is_file: true,
                    mode: Some(*mode),
                    uid: Some(1000),
                }),
                None => Err(std::io::ErrorKind::NotFound.into()),
            }
        }

        fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
            match self.files.get(path) {
                Some((text, _)) => Ok(text.clone()),
                None => Err(std::io::ErrorKind::NotFound.into()),
            }
        }
    }

    fn key(host: &str, port: &str, dbname: &str, user: &str) -> LoginKey {
        LoginKey {
            host: host.into(),
            port: port.into(),
            dbname: dbname.into(),
            user: user.into(),
        }
    }

    #[test]
    fn pgpass_wildcards_and_first_match_wins() {
        let text = "# comment\n\
                    db.example.com:5432:shop:app:first\n\
                    *:5432:shop:app:second\n\
                    *:*:*:app:third\n\
                    *:*:*:*:fallback\n";
        let find = |k: LoginKey| pgpass_lookup(text, &k);
        assert_eq!(
            find(key("db.example.com", "5432", "shop", "app")),
            Some(("first".into(), 2))
        );
        assert_eq!(
            find(key("other", "5432", "shop", "app")),
            Some(("second".into(), 3))
        );
        assert_eq!(
            find(key("other", "6432", "shop", "app")),
            Some(("third".into(), 4))
        );
        assert_eq!(
            find(key("other", "6432", "x", "someone")),
            Some(("fallback".into(), 5))
        );
        assert_eq!(
            pgpass_lookup("h:1:d:u:pw\n", &key("h", "2", "d", "u")),
            None
        );
        // A line of fewer than five fields is skipped, not matched.
        assert_eq!(pgpass_lookup("*:*:*:*\n", &key("h", "1", "d", "u")), None);
    }

    #[test]
    fn pgpass_escapes() {
        // `\:` and `\\` in the password; `\*` is a literal star, not a wildcard.
        let text = "h:5432:d:u:S3cr\\:et\\\\pw\n\\*:5432:d:v:star\nh\\:x:5432:d:w:colon-host\n";
        assert_eq!(
            pgpass_lookup(text, &key("h", "5432", "d", "u")),
            Some(("S3cr:et\\pw".into(), 1))
        );
        assert_eq!(pgpass_lookup(text, &key("h", "5432", "d", "v")), None);
        assert_eq!(
            pgpass_lookup(text, &key("*", "5432", "d", "v")),
            Some(("star".into(), 2))
        );
        assert_eq!(
            pgpass_lookup(text, &key("h:x", "5432", "d", "w")),
            Some(("colon-host".into(), 3))
        );
        // An unescaped colon in the password is kept; CRLF line ends are fine.
        assert_eq!(
            pgpass_lookup("h:1:d:u:a:b\r\n", &key("h", "1", "d", "u")),
            Some(("a:b".into(), 1))
        );
    }

    #[test]
    fn pgpass_socket_hosts_are_localhost() {
        assert_eq!(pgpass_host("/var/run/postgresql"), "localhost");
        assert_eq!(pgpass_host(""), "localhost");
        assert_eq!(pgpass_host("db"), "db");
    }

    #[test]
    fn pgpass_permissions_are_checked() {
        let keys = [key("h", "5432", "d", "u")];
        let env = FakeEnv::new()
            .file("/home/u/.pgpass", "*:*:*:*:pw\n", 0o600)
            .file("/loose", "*:*:*:*:pw\n", 0o644);
        let mut warnings = Vec::new();
        let (pw, state) = read_pgpass(&env, Path::new("/home/u/.pgpass"), &keys, &mut warnings);
        assert_eq!(pw.as_deref(), Some("pw"));
        assert_eq!(
            state,
            PassFile::Used {
                path: "/home/u/.pgpass".into(),
                line: 1
            }
        );
        assert!(warnings.is_empty());
        let (pw, state) = read_pgpass(&env, Path::new("/loose"), &keys, &mut warnings);
        assert_eq!(pw, None);
        assert!(matches!(state, PassFile::Ignored { .. }), "{state:?}");
        assert!(state.describe().contains("0644"), "{}", state.describe());
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("chmod 0600 /loose"), "{}", warnings[0]);
        let (pw, state) = read_pgpass(&env, Path::new("/none"), &keys, &mut warnings);
        assert_eq!((pw, state), (None, PassFile::Missing("/none".into())));
        let env = FakeEnv::new().file("/p", "other:*:*:*:pw\n", 0o400);
        let (pw, state) = read_pgpass(&env, Path::new("/p"), &keys, &mut warnings);
        assert_eq!(pw, None);
        assert_eq!(
            state.describe(),
            "the password file /p (no line matches h:5432:d:u)"
        );
    }

    #[test]
    fn service_file_sections() {
        let text = "# services\n\
                    [other]\n\
                    host=wrong\n\
                    \n\
                    [app]\n\
                    host=db.example.com\n\
                    \x20 port = 6432 \n\
                    # a comment\n\
                    dbname=shop\n\
                    [app2]\n\
                    host=later\n";
        let entries = service_section(text, "app").unwrap().unwrap();
        let got: Vec<(usize, &str, &str)> = entries
            .iter()
            .map(|e| (e.line, e.key.as_str(), e.value.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (6, "host", "db.example.com"),
                (7, "port", "6432"),
                (9, "dbname", "shop")
            ]
        );
        assert_eq!(service_section(text, "ap").unwrap(), None);
        assert_eq!(service_section(text, "missing").unwrap(), None);
        // A value may hold `=`; only the first one splits.
        let entries = service_section("[s]\noptions=-c a=b\n", "s")
            .unwrap()
            .unwrap();
        assert_eq!(entries[0].value, "-c a=b");
        let err = service_section("[s]\nhost=h\njunk\n", "s").unwrap_err();
        assert_eq!(err.line, 3);
        // A bad line outside the section is none of its business.
        assert!(service_section("[t]\njunk\n[s]\nhost=h\n", "s").is_ok());
    }

    #[test]
    fn service_files_in_order() {
        let env = FakeEnv::new().var("HOME", "/home/u");
        assert_eq!(
            service_files(&env),
            [
                PathBuf::from("/home/u/.pg_service.conf"),
                PathBuf::from("/etc/postgresql-common/pg_service.conf")
            ]
        );
        let env = FakeEnv::new()
            .var("HOME", "/home/u")
            .var("PGSERVICEFILE", "/srv/services.conf")
            .var("PGSYSCONFDIR", "/opt/pg/etc");
        assert_eq!(
            service_files(&env),
            [
                PathBuf::from("/srv/services.conf"),
                PathBuf::from("/opt/pg/etc/pg_service.conf")
            ]
        );
        // The user's file first; the system's when the user's lacks the service.
        let env = FakeEnv::new()
            .var("HOME", "/home/u")
            .var("PGSYSCONFDIR", "/etc/pg")
            .file("/home/u/.pg_service.conf", "[mine]\nhost=a\n", 0o644)
            .file(
                "/etc/pg/pg_service.conf",
                "[mine]\nhost=b\n[sys]\nhost=c\n",
                0o644,
            );
        let found = find_service(&env, "mine").ok().unwrap();
        assert_eq!(found.file, "/home/u/.pg_service.conf");
        assert_eq!(found.entries[0].value, "a");
        let found = find_service(&env, "sys").ok().unwrap();
        assert_eq!(found.file, "/etc/pg/pg_service.conf");
        assert_eq!(found.entries[0].value, "c");
        match find_service(&env, "nope") {
            Err(ServiceError::NotFound(looked)) => assert_eq!(
                looked,
                [
                    ("/home/u/.pg_service.conf".to_owned(), true),
                    ("/etc/pg/pg_service.conf".to_owned(), true)
                ]
            ),
            _ => panic!("found a service that is not there"),
        }
    }
}
