//! `table-without-primary-key`: `CREATE TABLE` with no primary key.
//!
//! Without a key, duplicate rows cannot be told apart, so they cannot be updated or deleted one
//! at a time; logical replication (and tools built on it: blue/green upgrades, CDC) cannot
//! replicate the table's `UPDATE`s and `DELETE`s; ORMs and online-migration tools need a key to
//! batch by. Adding one later to a large table builds a unique index and checks every row.
//!
//! A primary key added later in the same section (`ALTER TABLE … ADD PRIMARY KEY`) counts. Not
//! for temporary tables, partitions (`PARTITION OF`: the parent's key applies), tables copying
//! another's definition with `LIKE … INCLUDING` (the key may come with it), or `CREATE TABLE … AS`
//! (which cannot declare a key; usually a snapshot or backup). Design rule: not in a down section,
//! which restores what an earlier migration defined.

use super::{Hit, SectionCx};
use crate::walk;
use pg_query::protobuf::{AlterTableType, ConstrType};
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    if cx.is_down() {
        return hits;
    }
    for (i, statement) in cx.statements.iter().enumerate() {
        let NodeEnum::CreateStmt(stmt) = &statement.node else {
            continue;
        };
        let temporary = stmt
            .relation
            .as_ref()
            .is_some_and(|r| r.relpersistence == "t");
        let like = stmt
            .table_elts
            .iter()
            .any(|e| matches!(e.node, Some(NodeEnum::TableLikeClause(_))));
        if temporary || stmt.partbound.is_some() || like {
            continue;
        }
        let (columns, constraints) = walk::create_table_parts(stmt);
        let inline = columns
            .iter()
            .any(|c| walk::column_constraint(c, ConstrType::ConstrPrimary).is_some())
            || constraints
                .iter()
                .any(|c| walk::is_constraint(c, ConstrType::ConstrPrimary));
        let table = walk::table_name(&stmt.relation);
        if inline || added_later(cx, i, &table) {
            continue;
        }
        let location = stmt.relation.as_ref().map_or(-1, |r| r.location);
        hits.push(
            Hit::at(
                i,
                format!(
                    "table {table} has no primary key: duplicate rows cannot be told apart, and logical replication cannot carry its UPDATEs and DELETEs"
                ),
            )
            .location(location)
            .help(format!(
                "give it one, e.g. a surrogate key:\n\
                 id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY\n\
                 or declare the columns that identify a row: PRIMARY KEY ({})",
                columns
                    .first()
                    .map_or("…".to_owned(), |c| walk::ident(&c.colname))
            ))
            .table(table),
        );
    }
    hits
}

/// Whether a later statement of the section adds a primary key to `table`.
fn added_later(cx: &SectionCx<'_>, after: usize, table: &str) -> bool {
    cx.statements[after + 1..].iter().any(|s| match &s.node {
        NodeEnum::AlterTableStmt(alter) => {
            walk::same_table(&walk::table_name(&alter.relation), table)
                && walk::alter_commands(alter).into_iter().any(|cmd| {
                    let constraint = walk::command_constraint(cmd)
                        .is_some_and(|c| walk::is_constraint(c, ConstrType::ConstrPrimary));
                    let column = cmd.subtype == AlterTableType::AtAddColumn as i32
                        && walk::command_column_def(cmd).is_some_and(|c| {
                            walk::column_constraint(c, ConstrType::ConstrPrimary).is_some()
                        });
                    constraint || column
                })
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;

    const RULE: &str = "table-without-primary-key";

    #[test]
    fn fires_without_a_key() {
        for sql in [
            "CREATE TABLE events (kind text, at timestamptz);",
            "CREATE TABLE IF NOT EXISTS app.events (kind text UNIQUE NOT NULL);",
            "CREATE UNLOGGED TABLE cache (k text, v text);",
            "CREATE TABLE child (extra int) INHERITS (parent);",
            "CREATE TABLE logs (at timestamptz, line text) PARTITION BY RANGE (at);",
            // A key on another table does not count.
            "CREATE TABLE a (x int);\nALTER TABLE b ADD PRIMARY KEY (x);",
        ] {
            assert!(fires(RULE, sql), "{sql}");
        }
        let findings = lint_up("CREATE TABLE events (\n  kind text\n);");
        let hit = of(&findings, RULE)[0];
        assert_eq!((hit.line, hit.column), (1, 14));
    }

    #[test]
    fn does_not_fire() {
        for sql in [
            "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
            "CREATE TABLE t (a int, b int, PRIMARY KEY (a, b));",
            "CREATE TABLE t (a int, CONSTRAINT t_pkey PRIMARY KEY (a));",
            "CREATE TABLE t (a int NOT NULL);\nALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY (a);",
            "CREATE TABLE t (a int NOT NULL);\nCREATE UNIQUE INDEX t_a ON t (a);\nALTER TABLE t ADD PRIMARY KEY USING INDEX t_a;",
            "CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;",
            "CREATE TEMP TABLE scratch (a int);",
            "CREATE TABLE logs_2026 PARTITION OF logs FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
            "CREATE TABLE t2 (LIKE t INCLUDING ALL);",
            "CREATE TABLE users_backup AS SELECT * FROM users;",
        ] {
            assert!(!fires(RULE, sql), "{sql}");
        }
        let findings = lint_up_down("DROP TABLE events;", "CREATE TABLE events (kind text);");
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "CREATE TABLE page_views (\n  path text NOT NULL,\n  viewed_at timestamptz NOT NULL\n);\n"
        ));
    }
}
