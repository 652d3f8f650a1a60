//! `prefer-bigint` (opt-in): an `integer` or `smallint` column that counts or references — a
//! foreign key, a name ending in `_id`, a counter such as `…_count` — new tables too.
//!
//! Columns that reference a `bigint` key must hold every value of it: an `integer` `user_id`
//! works until the users table passes 2,147,483,647 ids and then every insert fails. Counters
//! (views, retries, bytes) grow the same way. Widening such a column later rewrites its table
//! under ACCESS EXCLUSIVE. `bigint` costs 4 more bytes a row.
//!
//! Non-key columns only: primary keys and `serial`/identity counters are `prefer-bigint-pk`'s.
//! A column counts as referencing when it has `REFERENCES`, is in a table's `FOREIGN KEY`, or its
//! name is `…_id`; as counting when its name is `count`, `…_count`, `…_total`, `num_…`/`n_…`,
//! `…_num`/`…_number`, `…_seq`/`…_sequence`. Off by default: turn it on in `[lint]` with
//! `"prefer-bigint" = "warning"` (or `"on"`). Design rule: not in a down section.

use super::{Hit, SectionCx};
use crate::walk::{self, ColumnSite};
use pg_query::protobuf::{ConstrType, Constraint};
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    if cx.is_down() {
        return hits;
    }
    for (i, statement) in cx.statements.iter().enumerate() {
        let table_constraints = table_constraints(&statement.node);
        for site in walk::column_sites(&statement.node) {
            let base = walk::type_base(&site.def.type_name);
            let limit = match base.as_str() {
                "int4" => "2,147,483,647",
                "int2" => "32,767",
                _ => continue,
            };
            if is_key(&site, &table_constraints) {
                continue;
            }
            let references = walk::column_constraint(site.def, ConstrType::ConstrForeign).is_some()
                || table_constraints.iter().any(|c| {
                    walk::is_constraint(c, ConstrType::ConstrForeign)
                        && walk::names(&c.fk_attrs).iter().any(|a| a == site.name)
                });
            let why = if references || site.name.ends_with("_id") {
                "references other rows"
            } else if counts(site.name) {
                "counts"
            } else {
                continue;
            };
            let bigint = format!("bigint{}", "[]".repeat(array_depth(&site)));
            hits.push(
                Hit::at(
                    i,
                    format!(
                        "{}.{} {why} but is {}: it fails once a value passes {limit}, and widening it later rewrites {}",
                        site.table,
                        site.name,
                        walk::type_sql(&site.def.type_name),
                        site.table
                    ),
                )
                .location(site.location())
                .help(format!("use bigint:\n{}", walk::column_with_type(&site, &bigint, None)))
                .table(site.table.clone()),
            );
        }
    }
    hits
}

fn array_depth(site: &ColumnSite<'_>) -> usize {
    site.def
        .type_name
        .as_ref()
        .map_or(0, |t| t.array_bounds.len())
}

/// Names that say a column counts something.
fn counts(name: &str) -> bool {
    name == "count"
        || ["_count", "_total", "_num", "_number", "_seq", "_sequence"]
            .iter()
            .any(|s| name.ends_with(s))
        || name.starts_with("num_")
        || name.starts_with("n_")
}

/// Whether the column is (part of) a primary key or an identity/serial counter:
/// `prefer-bigint-pk`'s columns.
fn is_key(site: &ColumnSite<'_>, table_constraints: &[&Constraint]) -> bool {
    walk::column_constraint(site.def, ConstrType::ConstrPrimary).is_some()
        || walk::column_constraint(site.def, ConstrType::ConstrIdentity).is_some()
        || table_constraints.iter().any(|c| {
            walk::is_constraint(c, ConstrType::ConstrPrimary)
                && walk::names(&c.keys).iter().any(|k| k == site.name)
        })
}

/// The table constraints of a `CREATE TABLE`, and the constraints an `ALTER TABLE` adds.
fn table_constraints(node: &NodeEnum) -> Vec<&Constraint> {
    match node {
        NodeEnum::CreateStmt(create) => walk::create_table_parts(create).1,
        NodeEnum::AlterTableStmt(alter) => walk::alter_commands(alter)
            .into_iter()
            .filter_map(walk::command_constraint)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};
    use crate::Severity;

    const RULE: &str = "prefer-bigint";

    fn enabled() -> Options {
        let mut options = Options::default();
        options
            .levels
            .insert(RULE.to_owned(), Some(Severity::Warning));
        options
    }

    fn fires_enabled(sql: &str) -> bool {
        !of(&lint_with(&[Source::plain("m.sql", sql)], &enabled()), RULE).is_empty()
    }

    #[test]
    fn off_by_default() {
        assert!(!fires(
            RULE,
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id integer REFERENCES users);"
        ));
    }

    #[test]
    fn fires_on_referencing_and_counting_columns() {
        for sql in [
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id integer REFERENCES users);",
            "CREATE TABLE orders (id bigint PRIMARY KEY, buyer int, FOREIGN KEY (buyer) REFERENCES users (id));",
            "CREATE TABLE orders (id bigint PRIMARY KEY, account_id int4);",
            "ALTER TABLE posts ADD COLUMN view_count integer NOT NULL DEFAULT 0;",
            "ALTER TABLE posts ADD COLUMN retries_total smallint;",
            "ALTER TABLE posts ALTER COLUMN author_id TYPE integer;",
        ] {
            assert!(fires_enabled(sql), "{sql}");
        }
        let findings = lint_with(
            &[Source::plain(
                "m.sql",
                "CREATE TABLE orders (id bigint PRIMARY KEY, user_id integer NOT NULL);",
            )],
            &enabled(),
        );
        let hit = of(&findings, RULE)[0];
        assert_eq!(hit.help.as_deref(), Some("use bigint:\nuser_id bigint"));
    }

    #[test]
    fn does_not_fire() {
        for sql in [
            // Keys are prefer-bigint-pk's.
            "CREATE TABLE t (id integer PRIMARY KEY);",
            "CREATE TABLE t (a_id int, b_id int, PRIMARY KEY (a_id, b_id));",
            "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY);",
            // Neither counting nor referencing.
            "CREATE TABLE t (id bigint PRIMARY KEY, age integer, priority smallint);",
            "CREATE TABLE t (id bigint PRIMARY KEY, user_id bigint REFERENCES users);",
        ] {
            assert!(!fires_enabled(sql), "{sql}");
        }
    }

    #[test]
    fn waived() {
        let sql = "-- strata:lint-ignore prefer-bigint countries will not pass 32,767\nCREATE TABLE cities (id bigint PRIMARY KEY, country_id smallint REFERENCES countries);";
        let findings = lint_with(&[Source::plain("m.sql", sql)], &enabled());
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
        assert!(of(&findings, "unused-waiver").is_empty(), "{findings:?}");
    }
}
