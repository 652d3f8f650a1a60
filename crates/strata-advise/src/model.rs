//! The snapshot the checks read: catalog facts, statistics and sampled rows of one database,
//! gathered by the CLI in one read-only transaction. Plain data, so checks are pure functions
//! and tests build snapshots by hand.

use strata_core::quote_ident;

/// Everything `strata advise` knows about the database.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub tables: Vec<Table>,
    pub sequences: Vec<Sequence>,
    /// How long the statistics (`pg_stat_user_indexes`) have been collecting, in seconds.
    pub stats_age_secs: Option<u64>,
    /// When they were last reset (or collection started), as the server prints it.
    pub stats_since: Option<String>,
    /// Installed extensions (`vector`, `pg_stat_statements`, ...).
    pub extensions: Vec<String>,
    /// Query texts from `pg_stat_statements` that use JSONB operators (`@>`, `?`, `@?`), when
    /// the extension is installed and loaded; `None` when there is nothing to read.
    pub jsonb_queries: Option<Vec<String>>,
}

impl Snapshot {
    pub fn table(&self, schema: &str, name: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.schema == schema && t.name == name)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Table {
    pub schema: String,
    pub name: String,
    /// A partitioned parent (`relkind = 'p'`).
    pub partitioned: bool,
    /// A partition of another table.
    pub partition: bool,
    /// `pg_class.reltuples` (-1 when never analyzed), or the exact count for small tables.
    pub rows: i64,
    /// Heap, indexes and TOAST.
    pub total_bytes: i64,
    pub columns: Vec<Column>,
    pub indexes: Vec<Index>,
    pub constraints: Vec<Constraint>,
    /// Activity since the statistics were reset (`pg_stat_user_tables`).
    pub activity: Activity,
    /// Sampled rows, one value per column of `columns`, as text; `None` when the run's time
    /// budget ran out before this table.
    pub sample: Option<Sample>,
    /// Rows of other tables that `*_id` columns of this one were checked against.
    pub key_probes: Vec<KeyProbe>,
}

impl Table {
    /// `"schema"."name"`, quoted.
    pub fn qualified(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }

    /// `schema.name` for messages.
    pub fn display(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub fn primary_key(&self) -> Option<&Constraint> {
        self.constraints
            .iter()
            .find(|c| c.kind == ConstraintKind::PrimaryKey)
    }

    pub fn foreign_keys(&self) -> impl Iterator<Item = &Constraint> {
        self.constraints
            .iter()
            .filter(|c| c.kind == ConstraintKind::ForeignKey)
    }

    /// Whether `column` alone is unique (a single-column primary key, unique constraint or
    /// unique index without a predicate).
    pub fn is_unique(&self, column: &str) -> bool {
        self.indexes.iter().any(|i| {
            i.unique
                && i.valid
                && i.predicate.is_none()
                && i.columns.len() == 1
                && i.columns[0].as_deref() == Some(column)
        })
    }

    /// Whether a CHECK constraint mentions `column`.
    pub fn has_check_on(&self, column: &str) -> bool {
        self.constraints
            .iter()
            .any(|c| c.kind == ConstraintKind::Check && c.columns.iter().any(|n| n == column))
    }

    /// The sample's values of one column.
    pub fn values<'a>(&'a self, column: usize) -> impl Iterator<Item = Option<&'a str>> + 'a {
        self.sample
            .iter()
            .flat_map(|s| s.rows.iter())
            .map(move |row| row.get(column).and_then(|v| v.as_deref()))
    }

    pub fn sampled_rows(&self) -> usize {
        self.sample.as_ref().map_or(0, |s| s.rows.len())
    }

    /// A human size of the whole table (`1.2 MB`).
    pub fn size(&self) -> String {
        human_bytes(self.total_bytes)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Activity {
    pub seq_scan: i64,
    pub idx_scan: i64,
    pub inserts: i64,
    pub updates: i64,
    pub deletes: i64,
    pub live: i64,
    pub dead: i64,
}

#[derive(Clone, Debug, Default)]
pub struct Column {
    pub name: String,
    /// `format_type()`: `character varying(40)`, `timestamp without time zone`, `integer[]`.
    pub type_name: String,
    /// `pg_type.typname` of the base type: `varchar`, `int4`, `jsonb`, `_int4` for arrays.
    pub base: String,
    pub not_null: bool,
    pub default: Option<String>,
    /// `GENERATED ... AS IDENTITY`.
    pub identity: bool,
    /// `pg_stats.null_frac` and `n_distinct` (negative: a fraction of the rows).
    pub null_frac: Option<f64>,
    pub n_distinct: Option<f64>,
}

impl Column {
    pub fn is_text(&self) -> bool {
        matches!(self.base.as_str(), "text" | "varchar" | "bpchar")
    }

    pub fn is_integer(&self) -> bool {
        matches!(self.base.as_str(), "int2" | "int4" | "int8")
    }
}

#[derive(Clone, Debug, Default)]
pub struct Index {
    pub name: String,
    /// Key columns in order; an expression is `None`.
    pub columns: Vec<Option<String>>,
    /// `pg_get_indexdef()`.
    pub definition: String,
    /// `btree`, `gin`, `gist`, `hnsw`, ...
    pub method: String,
    pub unique: bool,
    pub primary: bool,
    pub valid: bool,
    /// `pg_get_expr(indpred)`.
    pub predicate: Option<String>,
    /// The constraint it enforces (primary key, unique, exclusion), if any.
    pub constraint: Option<String>,
    pub size_bytes: i64,
    pub scans: i64,
}

impl Index {
    /// The key columns when all are plain columns.
    pub fn plain_columns(&self) -> Option<Vec<&str>> {
        self.columns.iter().map(|c| c.as_deref()).collect()
    }

    pub fn leads_with(&self, columns: &[String]) -> bool {
        self.predicate.is_none()
            && self.columns.len() >= columns.len()
            && self
                .columns
                .iter()
                .zip(columns)
                .all(|(a, b)| a.as_deref() == Some(b.as_str()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    ForeignKey,
    Check,
    Exclusion,
}

#[derive(Clone, Debug)]
pub struct Constraint {
    pub name: String,
    pub kind: ConstraintKind,
    pub columns: Vec<String>,
    /// For foreign keys: the referenced table (schema, name) and columns.
    pub references: Option<(String, String)>,
    pub ref_columns: Vec<String>,
    /// `pg_get_constraintdef()`.
    pub definition: String,
}

#[derive(Clone, Debug, Default)]
pub struct Sequence {
    pub schema: String,
    pub name: String,
    /// `int2`, `int4` or `int8`: the sequence's own type.
    pub type_name: String,
    pub last_value: Option<i64>,
    pub max_value: i64,
    pub increment: i64,
    /// The column that owns it (`serial`, identity): table schema, table, column, column type.
    pub owner: Option<SequenceOwner>,
}

#[derive(Clone, Debug, Default)]
pub struct SequenceOwner {
    pub schema: String,
    pub table: String,
    pub column: String,
    /// `typname` of the owning column (`int4`, `int8`).
    pub column_base: String,
    pub identity: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Sample {
    pub rows: Vec<Vec<Option<String>>>,
    /// The whole table was read (it is smaller than the sample).
    pub complete: bool,
}

/// Sampled values of `column` looked up in `target`'s single-column key.
#[derive(Clone, Debug)]
pub struct KeyProbe {
    pub column: String,
    pub target_schema: String,
    pub target_table: String,
    pub target_column: String,
    /// Distinct non-NULL sampled values checked, and how many of them the target lacks.
    pub checked: i64,
    pub missing: i64,
}

pub fn human_bytes(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if b < 1024.0 {
        format!("{bytes} bytes")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.0} kB", b / 1024.0)
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} MB", b / 1024.0 / 1024.0)
    } else {
        format!("{:.1} GB", b / 1024.0 / 1024.0 / 1024.0)
    }
}

/// A count with thousands separators (`1,234,567`).
pub fn count(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}
