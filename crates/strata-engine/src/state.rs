//! The two tables strata keeps in every database, and the exact SQL that maintains them.
//!
//! The same functions render the SQL for a live run and for `--sql`, so offline output is what
//! a run executes.

use strata_core::{quote_literal, Dialect, QualifiedName};

/// Where strata keeps its state: the set of current heads and the append-only audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateTables {
    pub version: QualifiedName,
    pub history: QualifiedName,
}

impl StateTables {
    /// From the configured names; `schema.table` qualifies, a bare name goes to the first schema of
    /// the `search_path`.
    pub fn new(version_table: &str, history_table: &str) -> StateTables {
        StateTables {
            version: QualifiedName::parse(version_table),
            history: QualifiedName::parse(history_table),
        }
    }

    /// The SQL expression (PostgreSQL) of the runner lock's key: a 64-bit hash, computed by the
    /// server, of the version table's name *as the server resolves it* — the schema it exists in
    /// (found through the `search_path`), or the schema it would be created in — so
    /// `strata_version` and `public.strata_version` are one lock, while two projects with
    /// different version tables on one server do not block each other.
    ///
    /// The live run evaluates exactly this expression once and holds the lock on its value;
    /// `--sql` prints it.
    pub fn lock_key_sql(&self) -> String {
        let regclass = quote_literal(&self.version.to_string());
        let schema = match &self.version.schema {
            Some(schema) => quote_literal(schema),
            None => "coalesce(current_schema(), '')".to_owned(),
        };
        format!(
            "hashtextextended('strata:' || coalesce(\
             (SELECT format('%I.%I', n.nspname, c.relname) \
              FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.oid = to_regclass({regclass})), \
             format('%I.%I', {schema}, {name})), 0)",
            name = quote_literal(&self.version.name),
        )
    }

    /// The key earlier strata versions used: a hash of the version table's name as *spelled* in
    /// the configuration. A run takes it before [`StateTables::lock_key_sql`]'s, so a runner of
    /// an earlier version and one of this version never run at once during a rolling deploy.
    pub fn lock_key(&self) -> i64 {
        // FNV-1a: stable across Rust versions and platforms (unlike DefaultHasher).
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in b"strata:".iter().chain(self.version.to_string().as_bytes()) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash as i64
    }
}

impl Default for StateTables {
    fn default() -> StateTables {
        StateTables::new("strata_version", "strata_history")
    }
}

/// The kind of a history row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    Up,
    Down,
    Stamp,
    Failed,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Up => "up",
            EventKind::Down => "down",
            EventKind::Stamp => "stamp",
            EventKind::Failed => "failed",
        }
    }
}

/// One row of the history table as read back.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HistoryRow {
    pub id: i64,
    pub revision: String,
    /// Space-separated parent ids at the time of the event.
    pub parents: String,
    /// `up`, `down`, `stamp` or `failed`.
    pub kind: String,
    pub message: Option<String>,
    pub checksum: Option<String>,
    /// UTC, ISO 8601 (`2026-11-25T14:30:00.123Z`).
    pub applied_at: String,
    pub applied_by: String,
    pub execution_ms: Option<i64>,
    pub strata_version: String,
    pub error: Option<String>,
}

/// A history row to be written.
#[derive(Clone, Debug)]
pub struct NewEvent<'a> {
    pub revision: &'a str,
    pub parents: &'a [String],
    pub kind: EventKind,
    pub message: Option<&'a str>,
    pub checksum: Option<&'a str>,
    /// Who runs strata on the client (`user@host`); PostgreSQL prepends the database user
    /// (`current_user`), rendered in SQL so offline output needs no connection.
    pub applied_by: &'a str,
    /// `None`: measured by the database itself (PostgreSQL: `clock_timestamp() - now()`, the time
    /// since the transaction began).
    pub execution_ms: Option<i64>,
    pub error: Option<&'a str>,
}

/// `CREATE TABLE IF NOT EXISTS` for both tables.
pub fn create_tables_sql(dialect: Dialect, t: &StateTables) -> String {
    match dialect {
        Dialect::Postgres => format!(
            "CREATE TABLE IF NOT EXISTS {v} (revision text PRIMARY KEY);\n\
             CREATE TABLE IF NOT EXISTS {h} (\n    \
                 id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    \
                 revision text NOT NULL,\n    \
                 parents text NOT NULL DEFAULT '',\n    \
                 kind text NOT NULL CHECK (kind IN ('up', 'down', 'stamp', 'failed')),\n    \
                 message text,\n    \
                 checksum text,\n    \
                 applied_at timestamptz NOT NULL DEFAULT now(),\n    \
                 applied_by text NOT NULL,\n    \
                 execution_ms bigint,\n    \
                 strata_version text NOT NULL,\n    \
                 error text\n\
             );",
            v = t.version,
            h = t.history
        ),
        Dialect::Sqlite => format!(
            "CREATE TABLE IF NOT EXISTS {v} (revision TEXT PRIMARY KEY NOT NULL);\n\
             CREATE TABLE IF NOT EXISTS {h} (\n    \
                 id INTEGER PRIMARY KEY AUTOINCREMENT,\n    \
                 revision TEXT NOT NULL,\n    \
                 parents TEXT NOT NULL DEFAULT '',\n    \
                 kind TEXT NOT NULL CHECK (kind IN ('up', 'down', 'stamp', 'failed')),\n    \
                 message TEXT,\n    \
                 checksum TEXT,\n    \
                 applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),\n    \
                 applied_by TEXT NOT NULL,\n    \
                 execution_ms INTEGER,\n    \
                 strata_version TEXT NOT NULL,\n    \
                 error TEXT\n\
             );",
            v = t.version,
            h = t.history
        ),
    }
}

/// The `INSERT` of one history row.
pub fn insert_event_sql(dialect: Dialect, t: &StateTables, e: &NewEvent<'_>) -> String {
    let opt = |v: Option<&str>| v.map(quote_literal).unwrap_or_else(|| "NULL".to_owned());
    let ms = match (e.execution_ms, dialect) {
        (Some(ms), _) => ms.to_string(),
        (None, Dialect::Postgres) => {
            "(extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint".to_owned()
        }
        (None, Dialect::Sqlite) => "NULL".to_owned(),
    };
    let by = match dialect {
        Dialect::Postgres => format!(
            "current_user || {}",
            quote_literal(&format!(" ({})", e.applied_by))
        ),
        Dialect::Sqlite => quote_literal(e.applied_by),
    };
    format!(
        "INSERT INTO {h} (revision, parents, kind, message, checksum, applied_by, execution_ms, strata_version, error) \
         VALUES ({rev}, {parents}, {kind}, {message}, {checksum}, {by}, {ms}, {ver}, {error});",
        h = t.history,
        rev = quote_literal(e.revision),
        parents = quote_literal(&e.parents.join(" ")),
        kind = quote_literal(e.kind.as_str()),
        message = opt(e.message),
        checksum = opt(e.checksum),
        ver = quote_literal(env!("CARGO_PKG_VERSION")),
        error = opt(e.error),
    )
}

/// Moves the version rows from one set of heads to another: deletes the heads that go, inserts the
/// ones that come. Empty when nothing changes.
pub fn set_heads_sql(t: &StateTables, removed: &[&str], added: &[&str]) -> String {
    let mut sql = String::new();
    if !removed.is_empty() {
        let list: Vec<String> = removed.iter().map(|r| quote_literal(r)).collect();
        sql.push_str(&format!(
            "DELETE FROM {} WHERE revision IN ({});",
            t.version,
            list.join(", ")
        ));
    }
    if !added.is_empty() {
        if !sql.is_empty() {
            sql.push('\n');
        }
        let rows: Vec<String> = added
            .iter()
            .map(|r| format!("({})", quote_literal(r)))
            .collect();
        sql.push_str(&format!(
            "INSERT INTO {} (revision) VALUES {};",
            t.version,
            rows.join(", ")
        ));
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_key_is_stable_and_depends_on_the_table() {
        let a = StateTables::default();
        let b = StateTables::new("other_version", "other_history");
        assert_eq!(a.lock_key(), StateTables::default().lock_key());
        assert_ne!(a.lock_key(), b.lock_key());
    }

    #[test]
    fn heads_sql_quotes_everything() {
        let t = StateTables::new("app.v", "app.h");
        assert_eq!(
            set_heads_sql(&t, &["a'b"], &["c", "d"]),
            "DELETE FROM \"app\".\"v\" WHERE revision IN ('a''b');\nINSERT INTO \"app\".\"v\" (revision) VALUES ('c'), ('d');"
        );
        assert_eq!(set_heads_sql(&t, &[], &[]), "");
    }
}
