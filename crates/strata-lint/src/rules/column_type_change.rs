//! `column-type-change`: `ALTER TABLE … ALTER COLUMN … TYPE` on an existing table, unless the
//! change is binary-compatible.
//!
//! Changing a column's type rewrites the whole table and rebuilds every index on it under ACCESS
//! EXCLUSIVE: no reads, no writes, for as long as that takes. PostgreSQL skips the rewrite when
//! the old values are valid as they are (9.2+): `varchar(n)` to `varchar(m)` with m ≥ n, to
//! `varchar` or `text`; `text` to `varchar`; `numeric(p,s)` to `numeric(q,s)` with q ≥ p or to
//! `numeric`; `varbit(n)` likewise; `cidr` to `inet`; and from 12 `timestamp` to `timestamptz`
//! (or back) when the session's `TimeZone` is UTC (an earlier `SET TimeZone = 'UTC'` in the
//! section). `USING` always rewrites.
//!
//! The statement does not say the old type. It is taken from what the migration itself says
//! earlier (a `CREATE TABLE`, `ADD COLUMN` or earlier `TYPE` change in the section; for a down,
//! also its up; for an up, the type its down changes the column back to); when unknown, the rule
//! fires and says the change is safe only if binary-compatible.

use super::{Hit, SectionCx};
use crate::locks::{self, LockLevel};
use crate::parse::Statement;
use crate::source::SectionKind;
use crate::walk;
use pg_query::protobuf::{AlterTableType, TypeName};
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    let before: &[Statement] = if cx.is_down() {
        cx.sibling(SectionKind::Up).unwrap_or(&[])
    } else {
        &[]
    };
    for walk::AlteredColumn {
        statement: i,
        table,
        cmd,
        column: def,
    } in walk::altered_columns(cx.statements, AlterTableType::AtAlterColumnType)
    {
        let column = &cmd.name;
        let new = &def.type_name;
        let new_sql = walk::type_sql(new);
        let using = def.raw_default.as_deref();
        let old = old_type(before.iter().chain(&cx.statements[..i]), &table, column)
            .or_else(|| restored_type(cx, &table, column));
        // PostgreSQL 12+: timestamp <-> timestamptz is metadata-only when the session's
        // TimeZone is UTC.
        let earlier = &cx.statements[..i];
        let is_ts = |t: &Option<TypeName>| {
            matches!(walk::type_base(t).as_str(), "timestamp" | "timestamptz")
        };
        let ts_pair = cx.options.pg_version >= 120000
            && is_ts(new)
            && old.as_ref().is_none_or(|o| {
                is_ts(&Some(o.clone())) && walk::type_base(&Some(o.clone())) != walk::type_base(new)
            });
        let utc = utc_session(earlier);
        let message = match (using, &old) {
                (Some(_), _) => format!(
                    "ALTER COLUMN {column} TYPE {new_sql} USING … rewrites {table} and rebuilds its indexes under ACCESS EXCLUSIVE"
                ),
                (None, Some(old))
                    if new.as_ref().is_some_and(|new| binary_compatible(old, new))
                        || ts_pair && utc =>
                {
                    continue
                }
                (None, None) if ts_pair && utc => continue,
                (None, Some(old)) => format!(
                    "changing {table}.{column} from {} to {new_sql} rewrites {table} and rebuilds its indexes under ACCESS EXCLUSIVE{}",
                    walk::type_sql(&Some(old.clone())),
                    if ts_pair { ", unless the session's TimeZone is UTC" } else { "" }
                ),
                (None, None) if ts_pair => format!(
                    "ALTER COLUMN {column} TYPE {new_sql} rewrites {table} and rebuilds its indexes under ACCESS EXCLUSIVE, unless the old type is {} and the session's TimeZone is UTC (PostgreSQL 12+); the old type is not in this migration",
                    if walk::type_base(new) == "timestamptz" { "timestamp" } else { "timestamptz" }
                ),
                (None, None) => format!(
                    "ALTER COLUMN {column} TYPE {new_sql} rewrites {table} and rebuilds its indexes under ACCESS EXCLUSIVE, unless the change is binary-compatible (such as varchar(n) to a longer varchar or to text); the old type is not in this migration"
                ),
            };
        let up = using
            .and_then(walk::expr_sql)
            .unwrap_or_else(|| format!("{}::{new_sql}", walk::ident(column)));
        let down = old.as_ref().map(|old| {
            format!(
                "{}::{}",
                walk::ident(column),
                walk::type_sql(&Some(old.clone()))
            )
        });
        hits.push(
                Hit::at(i, message)
                    .location(new.as_ref().map_or(-1, |t| t.location))
                    .lock(locks::describe(
                        LockLevel::AccessExclusive,
                        &table,
                        "for a full table rewrite",
                    ))
                    .help({
                        let safe = safe_form(&table, column, &new_sql, &up, down.as_deref());
                        if ts_pair {
                            format!(
                                "SET TimeZone = 'UTC';  -- before the ALTER: PostgreSQL 12+ then changes timestamp <-> timestamptz without a rewrite (old values are read as UTC)\nor, {safe}"
                            )
                        } else {
                            safe
                        }
                    })
                    .table(table.clone()),
            );
    }
    hits
}

/// The column's type after `statements`, when they say it.
fn old_type<'a>(
    statements: impl Iterator<Item = &'a Statement>,
    table: &str,
    column: &str,
) -> Option<TypeName> {
    let mut found = None;
    for statement in statements {
        for site in walk::column_sites(&statement.node) {
            if site.name == column && walk::same_table(&site.table, table) {
                found = site.def.type_name.clone();
            }
        }
        // A rename or a drop makes what was known about the column stale.
        match &statement.node {
            NodeEnum::RenameStmt(r)
                if walk::same_table(&walk::table_name(&r.relation), table)
                    && (r.subname == column || r.newname == column) =>
            {
                found = None;
            }
            NodeEnum::AlterTableStmt(s)
                if walk::same_table(&walk::table_name(&s.relation), table)
                    && walk::alter_commands(s).iter().any(|c| {
                        c.subtype == AlterTableType::AtDropColumn as i32 && c.name == column
                    }) =>
            {
                found = None;
            }
            _ => {}
        }
    }
    found
}

/// In an up, the type the file's down changes the column back to: the type it had before (the
/// down restores it). Only when the down changes that column's type once.
fn restored_type(cx: &SectionCx<'_>, table: &str, column: &str) -> Option<TypeName> {
    if cx.is_down() {
        return None;
    }
    let down = cx.sibling(SectionKind::Down)?;
    let mut found = walk::altered_columns(down, AlterTableType::AtAlterColumnType)
        .into_iter()
        .filter(|a| a.cmd.name == column && walk::same_table(&a.table, table));
    match (found.next(), found.next()) {
        (Some(a), None) => a.column.type_name.clone(),
        _ => None,
    }
}

/// Whether an earlier `SET TimeZone` (or `SET TIME ZONE`) made the session's zone UTC.
fn utc_session(earlier: &[Statement]) -> bool {
    let mut utc = false;
    for statement in earlier {
        if let NodeEnum::VariableSetStmt(set) = &statement.node {
            if set.name.eq_ignore_ascii_case("timezone") {
                utc = set.args.first().is_some_and(|arg| match arg.node.as_ref() {
                    Some(NodeEnum::AConst(c)) => match &c.val {
                        Some(pg_query::protobuf::a_const::Val::Sval(s)) => matches!(
                            s.sval.to_ascii_lowercase().as_str(),
                            "utc" | "etc/utc" | "gmt" | "etc/gmt" | "zulu" | "z" | "+00" | "00:00"
                        ),
                        Some(pg_query::protobuf::a_const::Val::Ival(i)) => i.ival == 0,
                        _ => false,
                    },
                    _ => false,
                });
            }
        }
    }
    utc
}

/// Whether PostgreSQL changes `old` to `new` without a rewrite or a scan (binary-compatible, the
/// new type modifier no stricter).
pub fn binary_compatible(old: &TypeName, new: &TypeName) -> bool {
    let mods =
        |t: &TypeName| -> Vec<i64> { t.typmods.iter().filter_map(walk::integer_value).collect() };
    let (old_base, new_base) = (
        walk::type_base(&Some(old.clone())),
        walk::type_base(&Some(new.clone())),
    );
    let (old_mods, new_mods) = (mods(old), mods(new));
    if old.array_bounds.len() != new.array_bounds.len() {
        return false;
    }
    if old_base == new_base && old_mods == new_mods {
        return true;
    }
    if !old.array_bounds.is_empty() {
        return false;
    }
    // A length limit that is absent or no smaller.
    let wider = |old: &[i64], new: &[i64]| match (old.first(), new.first()) {
        (_, None) => true,
        (Some(o), Some(n)) => n >= o,
        (None, Some(_)) => false,
    };
    match (old_base.as_str(), new_base.as_str()) {
        ("varchar", "varchar") | ("varbit", "varbit") => wider(&old_mods, &new_mods),
        ("varchar" | "text", "text") => true,
        ("text", "varchar") => new_mods.is_empty(),
        ("numeric", "numeric") => {
            // numeric(p) is numeric(p, 0); numeric without modifiers has no limit.
            let scale = |m: &[i64]| m.get(1).copied().unwrap_or(0);
            new_mods.is_empty()
                || !old_mods.is_empty()
                    && scale(&old_mods) == scale(&new_mods)
                    && wider(&old_mods, &new_mods)
        }
        ("cidr", "inet") => true,
        _ => false,
    }
}

/// strata's online `alter_column`, or expand/contract by hand.
fn safe_form(table: &str, column: &str, new: &str, up: &str, down: Option<&str>) -> String {
    let t = walk::table_ident(table);
    let c = walk::ident(column);
    let shadow = walk::object_name(&format!("{column}_new"));
    let s = walk::ident(&shadow);
    let toml = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let down = down.map_or(String::new(), |d| format!("\ndown = \"{}\"", toml(d)));
    format!(
        "strata's online migration keeps old and new clients working while it backfills:\n\
         [[operations]]\n\
         type = \"alter_column\"\n\
         table = \"{table}\"\n\
         column = \"{column}\"\n\
         data_type = \"{new}\"\n\
         up = \"{}\"{down}\n\
         or by hand:\n\
         ALTER TABLE {t} ADD COLUMN {s} {new};\n\
         -- keep {shadow} in sync (trigger), backfill in batches: UPDATE {t} SET {s} = {up} WHERE {s} IS NULL AND <key range>;\n\
         -- then swap, in one short transaction:\n\
         ALTER TABLE {t} RENAME COLUMN {c} TO {};\n\
         ALTER TABLE {t} RENAME COLUMN {s} TO {c};",
        toml(up),
        walk::ident(&walk::object_name(&format!("{column}_old")))
    )
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};

    const RULE: &str = "column-type-change";

    #[test]
    fn the_down_says_the_old_type() {
        // The down changes the column back: that is the type it had.
        assert!(!fires_with_down_sql(
            "ALTER TABLE orders ALTER COLUMN p TYPE numeric(12,2);",
            "ALTER TABLE orders ALTER COLUMN p TYPE numeric(10,2);"
        ));
        assert!(!fires_with_down_sql(
            "ALTER TABLE \"app\".\"t\" ALTER COLUMN \"v\" TYPE text;",
            "ALTER TABLE \"app\".\"t\" ALTER COLUMN \"v\" TYPE character varying(10);"
        ));
        // Not binary-compatible: still a rewrite.
        assert!(fires_with_down_sql(
            "ALTER TABLE orders ALTER COLUMN n TYPE bigint;",
            "ALTER TABLE orders ALTER COLUMN n TYPE integer;"
        ));
        // A down of another column says nothing about this one.
        assert!(fires_with_down_sql(
            "ALTER TABLE orders ALTER COLUMN p TYPE numeric(12,2);",
            "ALTER TABLE orders ALTER COLUMN q TYPE numeric(10,2);"
        ));
    }

    fn fires_with_down_sql(up: &str, down: &str) -> bool {
        lint_with(&[source_up_down(up, down)], &Options::default())
            .iter()
            .any(|f| f.rule == RULE && f.line < 100)
    }

    #[test]
    fn fires_on_a_rewrite_or_an_unknown_old_type() {
        for sql in [
            "ALTER TABLE orders ALTER COLUMN amount TYPE bigint;",
            "ALTER TABLE orders ALTER amount SET DATA TYPE numeric(12, 2) USING amount::numeric / 100;",
            "ALTER TABLE app.orders ALTER COLUMN note TYPE text;",
            // The old type is known and the change is not binary-compatible.
            "ALTER TABLE orders ADD COLUMN code varchar(20);\nALTER TABLE orders ALTER COLUMN code TYPE varchar(10);",
            "ALTER TABLE orders ADD COLUMN n int;\nALTER TABLE orders ALTER COLUMN n TYPE bigint;",
            "ALTER TABLE orders ADD COLUMN p numeric(10, 2);\nALTER TABLE orders ALTER COLUMN p TYPE numeric(12, 3);",
            "ALTER TABLE orders ADD COLUMN code text;\nALTER TABLE orders ALTER COLUMN code TYPE varchar(10);",
            // USING rewrites even when the types are compatible.
            "ALTER TABLE orders ADD COLUMN code varchar(10);\nALTER TABLE orders ALTER COLUMN code TYPE varchar(20) USING code;",
        ] {
            assert!(fires(RULE, sql), "{sql}");
        }
    }

    #[test]
    fn does_not_fire_when_binary_compatible() {
        for sql in [
            "ALTER TABLE orders ADD COLUMN code varchar(10);\nALTER TABLE orders ALTER COLUMN code TYPE varchar(20);",
            "ALTER TABLE orders ADD COLUMN code varchar(10);\nALTER TABLE orders ALTER COLUMN code TYPE text;",
            "ALTER TABLE orders ADD COLUMN code character varying(10);\nALTER TABLE orders ALTER COLUMN code TYPE varchar;",
            "ALTER TABLE orders ADD COLUMN p numeric(10, 2);\nALTER TABLE orders ALTER COLUMN p TYPE numeric(14, 2);",
            "ALTER TABLE orders ADD COLUMN p decimal(10, 2);\nALTER TABLE orders ALTER COLUMN p TYPE numeric;",
            "ALTER TABLE orders ADD COLUMN p numeric(10);\nALTER TABLE orders ALTER COLUMN p TYPE numeric(12, 0);",
            "ALTER TABLE orders ADD COLUMN b bit varying(8);\nALTER TABLE orders ALTER COLUMN b TYPE varbit(16);",
            "ALTER TABLE orders ADD COLUMN a cidr;\nALTER TABLE orders ALTER COLUMN a TYPE inet;",
            // Two steps, each known.
            "ALTER TABLE orders ADD COLUMN code varchar(10);\nALTER TABLE orders ALTER COLUMN code TYPE varchar(20);\nALTER TABLE orders ALTER COLUMN code TYPE text;",
            // The table is new.
            "CREATE TABLE orders (id bigint PRIMARY KEY, amount int);\nALTER TABLE orders ALTER COLUMN amount TYPE bigint;",
        ] {
            assert!(!fires(RULE, sql), "{sql}");
        }
    }

    #[test]
    fn timestamp_to_timestamptz_is_metadata_only_in_utc_from_12() {
        let to_tz = "ALTER TABLE orders ALTER COLUMN created_at TYPE timestamptz;";
        let found = lint_up(to_tz);
        let hit = of(&found, RULE)[0];
        assert!(
            hit.message
                .contains("unless the old type is timestamp and the session's TimeZone is UTC"),
            "{}",
            hit.message
        );
        assert!(hit
            .help
            .as_deref()
            .unwrap()
            .contains("SET TimeZone = 'UTC';"));
        assert!(!fires(RULE, &format!("SET TimeZone = 'UTC';\n{to_tz}")));
        assert!(!fires(RULE, "SET TIME ZONE 'UTC';\nALTER TABLE orders ADD COLUMN at timestamp;\nALTER TABLE orders ALTER COLUMN at TYPE timestamptz;"));
        assert!(fires(
            RULE,
            &format!("SET TimeZone = 'Europe/Paris';\n{to_tz}")
        ));
        // Before 12 it always rewrites.
        let pg11 = Options {
            pg_version: 110000,
            ..Options::default()
        };
        let sql = format!("SET TimeZone = 'UTC';\n{to_tz}");
        let found = lint_with(&[Source::plain("m.sql", sql)], &pg11);
        assert_eq!(of(&found, RULE).len(), 1);
    }

    #[test]
    fn a_down_knows_the_type_its_up_set() {
        // The down narrows back what the up widened: a rewrite.
        let found = lint_up_down(
            "ALTER TABLE orders ALTER COLUMN code TYPE varchar(50);",
            "ALTER TABLE orders ALTER COLUMN code TYPE varchar(20);",
        );
        let hits = of(&found, RULE);
        // The up widens from the type its down restores (varchar(20)): binary-compatible.
        assert_eq!(hits.len(), 1);
        assert!(
            hits[0].message.contains("from varchar(50) to varchar(20)"),
            "{}",
            hits[0].message
        );
        // The down widens what the up narrowed: binary-compatible; the up narrows from the
        // varchar(50) its down restores: a rewrite.
        let found = lint_up_down(
            "ALTER TABLE orders ALTER COLUMN code TYPE varchar(20);",
            "ALTER TABLE orders ALTER COLUMN code TYPE varchar(50);",
        );
        let hits = of(&found, RULE);
        assert_eq!(hits.len(), 1);
        assert!(hits[0].line < 100, "{hits:?}");
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "ALTER TABLE orders ADD COLUMN amount integer;\nALTER TABLE orders ALTER COLUMN amount TYPE bigint;\n"
        ));
    }
}
