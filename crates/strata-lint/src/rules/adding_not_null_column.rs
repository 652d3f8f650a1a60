//! `adding-not-null-column`: `ALTER TABLE … ADD COLUMN … NOT NULL` on an existing table without a
//! non-volatile default.
//!
//! Without a default, existing rows would hold NULL in the new column, so the statement fails as
//! soon as the table has a row — after queueing for ACCESS EXCLUSIVE, in the middle of a deploy.
//! With a constant (non-volatile) default it is a catalog change from PostgreSQL 11; before 11
//! the default is written into every row: a full rewrite under ACCESS EXCLUSIVE. A volatile
//! default is `volatile-default`'s; serial, identity and generated columns are
//! `add-serial-or-identity`'s.
//!
//! The safe form: add the column nullable, backfill it in batches, then make it NOT NULL through a
//! validated `CHECK (col IS NOT NULL)` (see `setting-not-null`).

use super::setting_not_null::not_null_steps;
use super::volatile_default::{is_serial_identity_or_generated, volatile_call};
use super::{Hit, SectionCx};
use crate::locks::{self, LockLevel};
use crate::walk;
use pg_query::protobuf::{AlterTableType, ColumnDef};

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    let version = cx.options.pg_version;
    for walk::AlteredColumn {
        statement: i,
        table,
        column,
        ..
    } in walk::altered_columns(cx.statements, AlterTableType::AtAddColumn)
    {
        if !walk::column_not_null(column) || is_serial_identity_or_generated(column) {
            continue;
        }
        let name = &column.colname;
        let default = walk::column_default(column).filter(|d| !walk::is_null_constant(d));
        let hit = match default {
                None => Hit::at(
                    i,
                    format!(
                        "ADD COLUMN {name} NOT NULL without a default fails as soon as {table} has a row"
                    ),
                )
                .lock(locks::describe(
                    LockLevel::AccessExclusive,
                    &table,
                    "until it fails on the first existing row",
                )),
                // A volatile default rewrites the table: volatile-default reports it.
                Some(d) if volatile_call(d).is_some() => continue,
                Some(_) if version >= 110000 => continue,
                Some(_) => Hit::at(
                    i,
                    format!(
                        "ADD COLUMN {name} NOT NULL with a DEFAULT rewrites {table} on PostgreSQL {} (a constant default is metadata-only from 11)",
                        version / 10000
                    ),
                )
                .lock(locks::describe(
                    LockLevel::AccessExclusive,
                    &table,
                    "for a full table rewrite",
                )),
            };
        hits.push(
            hit.location(column.location)
                .help(safe_form(&table, column, version))
                .table(table.clone()),
        );
    }
    hits
}

/// Add it nullable, backfill, then NOT NULL through a validated check.
fn safe_form(table: &str, column: &ColumnDef, version: u32) -> String {
    let t = walk::table_ident(table);
    let c = walk::ident(&column.colname);
    let ty = walk::type_sql(&column.type_name);
    let value = walk::column_default(column)
        .and_then(walk::expr_sql)
        .unwrap_or_else(|| "<value>".to_owned());
    let mut out = format!(
        "ALTER TABLE {t} ADD COLUMN {c} {ty};\n\
         -- backfill existing rows in batches, each in its own transaction:\n\
         UPDATE {t} SET {c} = {value} WHERE {c} IS NULL AND <key range>;\n\
         {}",
        not_null_steps(table, &column.colname, version)
    );
    if version >= 110000 {
        out.push_str(&format!(
            "\n(or, when one constant fits every existing row: ADD COLUMN {c} {ty} NOT NULL DEFAULT <constant>, metadata-only on PostgreSQL 11+)"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};

    const RULE: &str = "adding-not-null-column";

    fn fires_on(version: u32, sql: &str) -> bool {
        let options = Options {
            pg_version: version,
            ..Options::default()
        };
        !of(&lint_with(&[Source::plain("m.sql", sql)], &options), RULE).is_empty()
    }

    #[test]
    fn fires_without_a_default() {
        for sql in [
            "ALTER TABLE orders ADD COLUMN org_id uuid NOT NULL;",
            "ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS org_id bigint NOT NULL REFERENCES orgs (id);",
            "ALTER TABLE orders ADD COLUMN note text, ADD COLUMN org_id bigint NOT NULL;",
            "ALTER TABLE orders ADD org_id bigint DEFAULT NULL NOT NULL;",
            "ALTER TABLE orders ADD COLUMN code text PRIMARY KEY;",
        ] {
            assert!(fires(RULE, sql), "{sql}");
        }
    }

    #[test]
    fn does_not_fire() {
        for sql in [
            "ALTER TABLE orders ADD COLUMN org_id uuid;",
            "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';",
            "ALTER TABLE orders ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();",
            "ALTER TABLE orders ADD COLUMN flags int NOT NULL DEFAULT 0;",
            // A volatile default: volatile-default's.
            "ALTER TABLE orders ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();",
            // Identity, serial, generated: add-serial-or-identity's.
            "ALTER TABLE orders ADD COLUMN n bigint NOT NULL GENERATED ALWAYS AS IDENTITY;",
            "ALTER TABLE orders ADD COLUMN n bigserial NOT NULL;",
            // The table is new.
            "CREATE TABLE orders (id bigint PRIMARY KEY);\nALTER TABLE orders ADD COLUMN org_id uuid NOT NULL;",
        ] {
            assert!(!fires(RULE, sql), "{sql}");
        }
    }

    #[test]
    fn a_constant_default_rewrites_before_11() {
        let sql = "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';";
        assert!(fires_on(100000, sql));
        assert!(!fires_on(110000, sql));
        // Without a default it fails on every version.
        assert!(fires_on(
            100000,
            "ALTER TABLE orders ADD COLUMN org_id uuid NOT NULL;"
        ));
        // A volatile default stays volatile-default's below 11 too.
        assert!(!fires_on(
            100000,
            "ALTER TABLE orders ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();"
        ));
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "ALTER TABLE orders\n    ADD COLUMN org_id bigint NOT NULL;\n"
        ));
    }
}
