//! One check per file; [`CHECKS`] is the one list. A check reads the snapshot and pushes
//! findings; it never fails (what it cannot judge, it leaves alone).

mod composite_index_order;
mod delimited_list;
mod duplicate_index;
mod float_for_money;
mod foreign_key_without_index;
mod functional_dependency;
mod invalid_index;
mod jsonb_keys_as_data;
mod jsonb_large_documents;
mod jsonb_stable_keys;
mod jsonb_without_gin;
mod key_value_table;
mod missing_check;
mod missing_foreign_key;
mod missing_not_null;
mod queue_table;
mod repeating_group;
mod search_column_without_index;
mod sequence_near_overflow;
mod serial_not_identity;
mod soft_delete_without_partial_index;
mod table_without_primary_key;
mod timestamp_without_time_zone;
mod unpartitioned_time_series;
mod unused_index;
mod uuid_primary_key;
mod varchar_length;

use crate::model::Table;
use crate::{Check, Fix, Options, Snapshot};

macro_rules! check {
    ($module:ident, $id:literal, $summary:literal) => {
        Check {
            id: $id,
            summary: $summary,
            run: $module::check,
        }
    };
}

pub const CHECKS: &[Check] = &[
    // Indexes
    check!(
        foreign_key_without_index,
        "foreign-key-without-index",
        "a foreign key whose columns no index leads with"
    ),
    check!(
        duplicate_index,
        "duplicate-index",
        "an index with the same columns as another, or a btree prefix of one"
    ),
    check!(
        unused_index,
        "unused-index",
        "an index never scanned since the statistics were reset"
    ),
    check!(
        invalid_index,
        "invalid-index",
        "an INVALID index left by a failed CREATE INDEX CONCURRENTLY"
    ),
    check!(
        search_column_without_index,
        "search-column-without-index",
        "a tsvector without a GIN index, a pgvector column without HNSW or IVFFlat"
    ),
    check!(
        jsonb_without_gin,
        "jsonb-without-gin",
        "a JSONB column searched with @> or ? (pg_stat_statements) without a GIN index"
    ),
    check!(
        soft_delete_without_partial_index,
        "soft-delete-without-partial-index",
        "a deleted_at column and no index WHERE deleted_at IS NULL"
    ),
    check!(
        composite_index_order,
        "composite-index-order",
        "a composite index that leads with a column of few distinct values before a selective one"
    ),
    // Keys and types
    check!(
        sequence_near_overflow,
        "sequence-near-overflow",
        "a sequence that has used much of its column's integer range"
    ),
    check!(
        table_without_primary_key,
        "table-without-primary-key",
        "a table without a primary key"
    ),
    check!(
        float_for_money,
        "float-for-money",
        "float or real for an amount of money"
    ),
    check!(
        timestamp_without_time_zone,
        "timestamp-without-time-zone",
        "timestamp without time zone"
    ),
    check!(
        varchar_length,
        "varchar-length",
        "varchar(n) or char(n) rather than text"
    ),
    check!(
        serial_not_identity,
        "serial-not-identity",
        "a serial column rather than an identity column"
    ),
    check!(
        uuid_primary_key,
        "uuid-primary-key",
        "a random (v4) UUID primary key on a very large table"
    ),
    // Normal forms
    check!(
        delimited_list,
        "delimited-list",
        "a text column holding delimiter-separated lists or JSON arrays (1NF)"
    ),
    check!(
        repeating_group,
        "repeating-group",
        "columns phone1, phone2, phone3... (1NF)"
    ),
    check!(
        functional_dependency,
        "functional-dependency",
        "a non-key column that determines others in the data (2NF/3NF)"
    ),
    // JSONB
    check!(
        jsonb_stable_keys,
        "jsonb-stable-keys",
        "JSONB keys present in nearly every document with one scalar type"
    ),
    check!(
        jsonb_large_documents,
        "jsonb-large-documents",
        "JSONB documents over the TOAST threshold, or arrays that grow"
    ),
    check!(
        jsonb_keys_as_data,
        "jsonb-keys-as-data",
        "JSONB documents whose keys are data (a key/value store in a column)"
    ),
    // Constraints as validation
    check!(
        missing_not_null,
        "missing-not-null",
        "a column never NULL in the data, without NOT NULL"
    ),
    check!(
        missing_check,
        "missing-check",
        "a text column with a small set of values and no CHECK"
    ),
    check!(
        missing_foreign_key,
        "missing-foreign-key",
        "an *_id column whose values are all keys of another table, without a foreign key"
    ),
    // Fit
    check!(queue_table, "queue-table", "a table used as a job queue"),
    check!(key_value_table, "key-value-table", "a key/value table"),
    check!(
        unpartitioned_time_series,
        "unpartitioned-time-series",
        "a large append-only time series without partitioning"
    ),
];

/// `DROP INDEX CONCURRENTLY IF EXISTS "schema"."index";`
pub(crate) fn drop_index(schema: &str, index: &str) -> String {
    format!(
        "DROP INDEX CONCURRENTLY IF EXISTS {}.{};",
        strata_core::quote_ident(schema),
        strata_core::quote_ident(index)
    )
}

/// The fix of a check that advises an index: `create` (a `CREATE INDEX CONCURRENTLY`) up,
/// [`drop_index`] down, outside a transaction; `slug_text` names the file.
pub(crate) fn index_fix(slug_text: &str, create: String, schema: &str, index: &str) -> Fix {
    Fix {
        slug: slug(slug_text),
        up: create,
        down: drop_index(schema, index),
        transaction: false,
    }
}

/// The `json` and `jsonb` columns of every table, with their table and position.
pub(crate) fn json_columns(
    snapshot: &Snapshot,
) -> impl Iterator<Item = (&Table, usize, &crate::model::Column)> {
    snapshot.tables.iter().flat_map(|table| {
        table
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.base == "jsonb" || c.base == "json")
            .map(move |(n, column)| (table, n, column))
    })
}

/// The JSON objects among the sampled values of a table's column `n` (other values are skipped).
pub(crate) fn json_objects(
    table: &Table,
    n: usize,
) -> impl Iterator<Item = serde_json::Map<String, serde_json::Value>> + '_ {
    table
        .values(n)
        .flatten()
        .filter_map(|value| match serde_json::from_str(value) {
            Ok(serde_json::Value::Object(doc)) => Some(doc),
            _ => None,
        })
}

/// The tables a data check judges: not partitions, with at least `--min-rows` (and one) sampled
/// rows; with that count.
pub(crate) fn sampled_tables<'a>(
    snapshot: &'a Snapshot,
    options: &'a Options,
) -> impl Iterator<Item = (&'a Table, usize)> + 'a {
    snapshot
        .tables
        .iter()
        .map(|table| (table, table.sampled_rows()))
        .filter(|(table, rows)| *rows >= options.min_rows.max(1) && !table.partition)
}

/// `"a", "b"` for SQL.
pub(crate) fn column_list(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| strata_core::quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An index or constraint name PostgreSQL accepts (63 bytes), built from parts.
pub(crate) fn object_name(parts: &[&str], suffix: &str) -> String {
    let mut base = parts.join("_");
    let max = 63 - suffix.len() - 1;
    while base.len() > max {
        base.pop();
    }
    format!("{base}_{suffix}")
}

/// Slug for a migration file name: lowercase letters, digits and underscores.
pub(crate) fn slug(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    out.truncate(60);
    out
}
