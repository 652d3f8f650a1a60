//! `volatile-default`: `ADD COLUMN … DEFAULT <volatile expression>` on an existing table.
//!
//! Since PostgreSQL 11 a column added with a non-volatile default is a catalog change: the value
//! is computed once and stored as the column's "missing value". A volatile default —
//! `clock_timestamp()`, `random()`, `gen_random_uuid()`, `nextval()`, … — must be evaluated for
//! every existing row, so PostgreSQL rewrites the whole table (and rebuilds every index) under
//! ACCESS EXCLUSIVE: no reads, no writes, for as long as that takes. Before 11 every non-null
//! default rewrote the table.
//!
//! Which of the two column rules reports what: a volatile default is this rule's, also on a
//! `NOT NULL` column; below 11 a constant default on a `NOT NULL` column is
//! `adding-not-null-column`'s, any other non-null default is this rule's. Serial, identity and
//! generated columns are `add-serial-or-identity`'s.

use super::setting_not_null::not_null_steps;
use super::{Hit, SectionCx};
use crate::locks::{self, LockLevel};
use crate::walk;
use pg_query::protobuf::{AlterTableType, ColumnDef, ConstrType, Node};

/// Functions that return a new value on every call: a default calling one is evaluated per row
/// (shared with the diff, which marks such an `ADD COLUMN` as a table rewrite).
pub use strata_core::sql::VOLATILE_FUNCTIONS as VOLATILE;

/// Functions known to be stable or immutable: PostgreSQL evaluates a default calling only these
/// once, at `ALTER TABLE` time (11+). Any function not listed here is treated as volatile.
pub use strata_core::sql::NON_VOLATILE_FUNCTIONS as NON_VOLATILE;

/// Why a default is volatile: the first call to a function not known to be non-volatile
/// (`Some((name, offset))`), or `None` for a constant, a cast of one, `CURRENT_TIMESTAMP` and
/// friends, or calls to [`NON_VOLATILE`] functions only.
pub fn volatile_call(default: &Node) -> Option<(String, i32)> {
    walk::function_calls(default)
        .into_iter()
        .find(|(name, _)| !NON_VOLATILE.contains(&name.as_str()))
}

/// Whether a column is `add-serial-or-identity`'s: serial type, identity, or stored generated.
pub fn is_serial_identity_or_generated(column: &ColumnDef) -> bool {
    walk::is_serial(&walk::type_base(&column.type_name))
        || !column.identity.is_empty()
        || walk::column_constraint(column, ConstrType::ConstrIdentity).is_some()
        || walk::column_constraint(column, ConstrType::ConstrGenerated).is_some()
}

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    let old = cx.options.pg_version < 110000;
    for walk::AlteredColumn {
        statement: i,
        table,
        column,
        ..
    } in walk::altered_columns(cx.statements, AlterTableType::AtAddColumn)
    {
        if is_serial_identity_or_generated(column) {
            continue;
        }
        let Some(default) = walk::column_default(column) else {
            continue;
        };
        if walk::is_null_constant(default) {
            continue;
        }
        let lock = locks::describe(
            LockLevel::AccessExclusive,
            &table,
            "for a full table rewrite",
        );
        let name = &column.colname;
        let hit = match volatile_call(default) {
                Some((function, at)) => {
                    let why = if VOLATILE.contains(&function.as_str()) {
                        format!("{function}() is volatile")
                    } else {
                        format!("{function}() is not known to be stable or immutable")
                    };
                    Hit::at(
                        i,
                        format!(
                            "ADD COLUMN {name} DEFAULT {function}() rewrites {table}: {why}, so every existing row needs its own value"
                        ),
                    )
                    .location(at)
                }
                // Below 11 any default rewrites; a NOT NULL column with a constant default is
                // adding-not-null-column's then.
                None if old && !walk::column_not_null(column) => Hit::at(
                    i,
                    format!(
                        "ADD COLUMN {name} with a DEFAULT rewrites {table} on PostgreSQL {} (a constant default is metadata-only from 11)",
                        cx.options.pg_version / 10000
                    ),
                )
                .location(column.location),
                None => continue,
            };
        hits.push(
            hit.lock(lock)
                .help(safe_form(&table, column, default, cx.options.pg_version))
                .table(table.clone()),
        );
    }
    hits
}

/// Add the column without the default, set the default for new rows, backfill old rows in
/// batches; NOT NULL afterwards through a validated check.
fn safe_form(table: &str, column: &ColumnDef, default: &Node, version: u32) -> String {
    let t = walk::table_ident(table);
    let c = walk::ident(&column.colname);
    let ty = walk::type_sql(&column.type_name);
    let expr = walk::expr_sql(default).unwrap_or_else(|| "<default>".to_owned());
    let mut out = format!(
        "ALTER TABLE {t} ADD COLUMN {c} {ty};\n\
         ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {expr};  -- new rows only: no rewrite\n\
         -- backfill existing rows in batches, each in its own transaction:\n\
         UPDATE {t} SET {c} = {expr} WHERE {c} IS NULL AND <key range>;"
    );
    if walk::column_not_null(column) {
        out.push('\n');
        out.push_str(&not_null_steps(table, &column.colname, version));
    }
    if let Some((function, _)) = volatile_call(default) {
        if !VOLATILE.contains(&function.as_str()) {
            out.push_str(&format!(
                "\n(if {function}() is declared STABLE or IMMUTABLE the default is metadata-only: waive with -- strata:lint-ignore volatile-default <reason>)"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};

    const RULE: &str = "volatile-default";

    #[test]
    fn fires_on_volatile_defaults() {
        for sql in [
            "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();",
            "ALTER TABLE orders ADD COLUMN token uuid NOT NULL DEFAULT uuid_generate_v4();",
            "ALTER TABLE orders ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp();",
            "ALTER TABLE orders ADD COLUMN r float8 DEFAULT (random() * 10);",
            "ALTER TABLE app.orders ADD COLUMN n bigint DEFAULT nextval('orders_n_seq');",
            "ALTER TABLE orders ADD COLUMN code text DEFAULT md5(random()::text);",
            // Not on the known list: treated as volatile.
            "ALTER TABLE orders ADD COLUMN code text DEFAULT my_code();",
        ] {
            assert!(fires(RULE, sql), "{sql}");
        }
    }

    #[test]
    fn does_not_fire_on_non_volatile_defaults() {
        for sql in [
            "ALTER TABLE orders ADD COLUMN created_at timestamptz DEFAULT now();",
            "ALTER TABLE orders ADD COLUMN created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP;",
            "ALTER TABLE orders ADD COLUMN d date DEFAULT CURRENT_DATE;",
            "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';",
            "ALTER TABLE orders ADD COLUMN meta jsonb DEFAULT '{}'::jsonb;",
            "ALTER TABLE orders ADD COLUMN tags text[] DEFAULT ARRAY[]::text[];",
            "ALTER TABLE orders ADD COLUMN n int DEFAULT NULL;",
            "ALTER TABLE orders ADD COLUMN n int;",
            "ALTER TABLE orders ALTER COLUMN token SET DEFAULT gen_random_uuid();",
            // The table is new.
            "CREATE TABLE orders (id bigint PRIMARY KEY);\nALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();",
            // Serial, identity: add-serial-or-identity's.
            "ALTER TABLE orders ADD COLUMN n bigserial;",
        ] {
            assert!(!fires(RULE, sql), "{sql}");
        }
    }

    #[test]
    fn below_11_any_default_rewrites() {
        let pg10 = Options {
            pg_version: 100000,
            ..Options::default()
        };
        let on_10 =
            |sql: &str| !of(&lint_with(&[Source::plain("m.sql", sql)], &pg10), RULE).is_empty();
        assert!(on_10(
            "ALTER TABLE orders ADD COLUMN status text DEFAULT 'new';"
        ));
        assert!(on_10(
            "ALTER TABLE orders ADD COLUMN at timestamptz DEFAULT now();"
        ));
        assert!(!on_10(
            "ALTER TABLE orders ADD COLUMN status text DEFAULT NULL;"
        ));
        // A NOT NULL column with a constant default: adding-not-null-column reports it.
        assert!(!on_10(
            "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';"
        ));
        assert!(!fires(
            RULE,
            "ALTER TABLE orders ADD COLUMN status text DEFAULT 'new';"
        ));
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "ALTER TABLE orders\n    ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid();\n"
        ));
    }
}
