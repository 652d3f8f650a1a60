//! `prefer-bigint-pk`: an `integer`/`smallint`/`serial` primary key, or an integer counter
//! (`serial`, `GENERATED … AS IDENTITY`) of less than 64 bits, new tables too.
//!
//! Ids are never reused, so a busy table runs through 2,147,483,647 `integer` values (32,767 for
//! `smallint`) sooner than anyone planned — and then every insert fails. Widening the key then
//! rewrites the table and every table whose foreign keys point at it, under ACCESS EXCLUSIVE
//! locks. `bigint` costs 4 more bytes a row and never runs out.
//!
//! Fires on a single-column primary key (column `PRIMARY KEY`, table `PRIMARY KEY (col)` or
//! `ALTER TABLE … ADD PRIMARY KEY (col)` on a column defined in the same section) of type
//! `smallint`/`integer`/`smallserial`/`serial`, and on any `smallserial`/`serial` or
//! `smallint`/`integer` identity column. Composite keys are left alone: their columns are usually
//! foreign keys and follow the tables they point at. Design rule: not in a down section, which
//! restores what an earlier migration defined.

use super::{Hit, SectionCx};
use crate::walk::{self, ColumnSite, ColumnSiteKind};
use pg_query::protobuf::{AlterTableType, ConstrType};
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    if cx.is_down() {
        return hits;
    }
    let sites: Vec<(usize, ColumnSite<'_>)> = cx
        .statements
        .iter()
        .enumerate()
        .flat_map(|(i, s)| walk::column_sites(&s.node).into_iter().map(move |c| (i, c)))
        .filter(|(_, c)| c.kind != ColumnSiteKind::Retype)
        .collect();
    let primary_keys = single_column_primary_keys(cx);
    for (i, site) in &sites {
        let base = walk::type_base(&site.def.type_name);
        let Some(limit) = small_integer_limit(&base) else {
            continue;
        };
        let in_primary_key = walk::column_constraint(site.def, ConstrType::ConstrPrimary).is_some()
            || primary_keys
                .iter()
                .any(|(t, c)| walk::same_table(t, &site.table) && c == site.name);
        let counter = walk::is_serial(&base)
            || walk::column_constraint(site.def, ConstrType::ConstrIdentity).is_some();
        if !in_primary_key && !counter {
            continue;
        }
        let what = if in_primary_key {
            "primary key"
        } else {
            "counter"
        };
        let written = walk::type_sql(&site.def.type_name);
        hits.push(
            Hit::at(
                *i,
                format!(
                    "{what} {}.{} is {written}: ids are never reused, so it runs out at {limit} and every insert fails; widening it later rewrites the table and the tables referencing it",
                    site.table, site.name
                ),
            )
            .location(site.location())
            .help(format!(
                "use bigint:\n{}\n(and bigint for the columns that reference it)",
                bigint_form(site, in_primary_key)
            ))
            .table(site.table.clone()),
        );
    }
    hits
}

/// The largest value of a small integer type, for the message; `None` for other types.
fn small_integer_limit(base: &str) -> Option<&'static str> {
    match base {
        "int2" | "smallserial" | "serial2" => Some("32,767"),
        "int4" | "serial" | "serial4" => Some("2,147,483,647"),
        _ => None,
    }
}

/// The column as `bigint GENERATED ALWAYS AS IDENTITY`, where it is defined.
fn bigint_form(site: &ColumnSite<'_>, primary_key: bool) -> String {
    let c = walk::ident(site.name);
    let pk = if primary_key { " PRIMARY KEY" } else { "" };
    let column = format!("{c} bigint GENERATED ALWAYS AS IDENTITY{pk}");
    match site.kind {
        ColumnSiteKind::Create => column,
        _ => format!(
            "ALTER TABLE {} ADD COLUMN {column};",
            walk::table_ident(&site.table)
        ),
    }
}

/// `(table, column)` of the single-column primary keys that table constraints declare in the
/// section: `PRIMARY KEY (id)` in `CREATE TABLE` and `ALTER TABLE … ADD PRIMARY KEY (id)`.
fn single_column_primary_keys(cx: &SectionCx<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for statement in cx.statements {
        let (table, constraints) = match &statement.node {
            NodeEnum::CreateStmt(stmt) => (
                walk::table_name(&stmt.relation),
                walk::create_table_parts(stmt).1,
            ),
            NodeEnum::AlterTableStmt(stmt) if walk::is_table(stmt.objtype) => (
                walk::table_name(&stmt.relation),
                walk::alter_commands(stmt)
                    .into_iter()
                    .filter(|cmd| cmd.subtype == AlterTableType::AtAddConstraint as i32)
                    .filter_map(walk::command_constraint)
                    .collect(),
            ),
            _ => continue,
        };
        for constraint in constraints {
            if walk::is_constraint(constraint, ConstrType::ConstrPrimary) {
                if let [column] = walk::names(&constraint.keys).as_slice() {
                    out.push((table.clone(), column.clone()));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::Severity;

    const RULE: &str = "prefer-bigint-pk";

    #[test]
    fn fires_on_small_integer_keys() {
        for sql in [
            "CREATE TABLE t (id integer PRIMARY KEY, name text);",
            "CREATE TABLE t (id int, name text, PRIMARY KEY (id));",
            "CREATE TABLE t (id smallint NOT NULL, CONSTRAINT t_pkey PRIMARY KEY (id));",
            "CREATE TABLE t (id serial PRIMARY KEY);",
            "CREATE TABLE t (id SERIAL4);",
            "CREATE TABLE t (id smallserial);",
            "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
            "CREATE TABLE t (n int GENERATED BY DEFAULT AS IDENTITY, id uuid PRIMARY KEY);",
            "ALTER TABLE t ADD COLUMN id serial PRIMARY KEY;",
            "CREATE TABLE t (id int NOT NULL);\nALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY (id);",
        ] {
            assert!(fires(RULE, sql), "{sql}");
        }
        let findings = lint_up("CREATE TABLE t (id int, PRIMARY KEY (id));");
        let hit = of(&findings, RULE)[0];
        assert_eq!(hit.severity, Severity::Info);
        assert!(
            hit.message.starts_with("primary key t.id is integer"),
            "{}",
            hit.message
        );
        assert_eq!(
            hit.help.as_deref(),
            Some("use bigint:\nid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY\n(and bigint for the columns that reference it)")
        );
    }

    #[test]
    fn does_not_fire() {
        for sql in [
            "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
            "CREATE TABLE t (id bigserial PRIMARY KEY);",
            "CREATE TABLE t (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), n int);",
            "CREATE TABLE t (code text PRIMARY KEY);",
            // Composite keys follow the tables they point at.
            "CREATE TABLE t (a int REFERENCES x, b int REFERENCES y, PRIMARY KEY (a, b));",
            // A plain integer that is not a key.
            "CREATE TABLE t (id bigint PRIMARY KEY, quantity integer NOT NULL);",
            "ALTER TABLE t ALTER COLUMN id TYPE integer;",
        ] {
            assert!(!fires(RULE, sql), "{sql}");
        }
        let findings = lint_up_down("DROP TABLE t;", "CREATE TABLE t (id serial PRIMARY KEY);");
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "CREATE TABLE orders (\n  id serial PRIMARY KEY,\n  note text\n);\n"
        ));
    }
}
