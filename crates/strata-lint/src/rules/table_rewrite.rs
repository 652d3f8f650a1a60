//! `table-rewrite`: `VACUUM FULL`, `CLUSTER`, `ALTER TABLE … SET TABLESPACE`, `SET LOGGED`,
//! `SET UNLOGGED` (and `SET ACCESS METHOD`) on an existing table.
//!
//! Each writes a complete new copy of the table and its indexes while holding ACCESS EXCLUSIVE:
//! no reads and no writes until the copy is done — minutes to hours on a large table, and twice
//! its disk space meanwhile. Reclaiming space and reordering rows can be done online with
//! `pg_repack` (or `pg_squeeze`); a plain `VACUUM` makes dead space reusable without the lock.
//! Persistence and tablespace changes have no online form in PostgreSQL: run them in a maintenance
//! window, or copy into a new table and swap.

use super::{Hit, SectionCx};
use crate::locks::{self, LockLevel};
use crate::walk;
use pg_query::protobuf::AlterTableType;
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    let repack = "pg_repack rewrites the table online (a brief ACCESS EXCLUSIVE at the start and end only):\n\
                  pg_repack --table=";
    for (i, statement) in cx.statements.iter().enumerate() {
        // (what, table if named, help)
        let mut found: Vec<(String, Option<String>, String)> = Vec::new();
        match &statement.node {
            NodeEnum::VacuumStmt(stmt)
                if stmt.is_vacuumcmd && walk::option_on(&stmt.options, "full") =>
            {
                let tables: Vec<String> = stmt
                    .rels
                    .iter()
                    .filter_map(|r| match r.node.as_ref() {
                        Some(NodeEnum::VacuumRelation(v)) => Some(walk::table_name(&v.relation)),
                        _ => None,
                    })
                    .collect();
                let help = |t: &str| {
                    format!(
                        "{repack}{t} <database>\n(or a plain VACUUM {}: dead space becomes reusable, without the lock)",
                        walk::table_ident(t)
                    )
                };
                if tables.is_empty() {
                    found.push((
                        "VACUUM FULL".to_owned(),
                        None,
                        "pg_repack rewrites tables online (a brief ACCESS EXCLUSIVE at the start and end only): pg_repack <database>\n(or a plain VACUUM: dead space becomes reusable, without the lock)".to_owned(),
                    ));
                }
                for t in tables {
                    found.push(("VACUUM FULL".to_owned(), Some(t.clone()), help(&t)));
                }
            }
            NodeEnum::ClusterStmt(stmt) => {
                if stmt.relation.is_some() {
                    let t = walk::table_name(&stmt.relation);
                    let order = if stmt.indexname.is_empty() {
                        String::new()
                    } else {
                        format!(" --order-by=<the columns of {}>", stmt.indexname)
                    };
                    found.push((
                        "CLUSTER".to_owned(),
                        Some(t.clone()),
                        format!("{repack}{t}{order} <database>"),
                    ));
                } else {
                    found.push((
                        "CLUSTER".to_owned(),
                        None,
                        "pg_repack rewrites tables online, in index order with --order-by (a brief ACCESS EXCLUSIVE at the start and end only)".to_owned(),
                    ));
                }
            }
            NodeEnum::AlterTableStmt(stmt) if walk::is_table(stmt.objtype) => {
                let t = walk::table_name(&stmt.relation);
                for cmd in walk::alter_commands(stmt) {
                    let (what, help) = match AlterTableType::try_from(cmd.subtype) {
                        Ok(AlterTableType::AtSetTableSpace) => (
                            format!("SET TABLESPACE {}", cmd.name),
                            format!("pg_repack moves it online (a brief ACCESS EXCLUSIVE at the start and end only):\npg_repack --table={t} --tablespace={} <database>", cmd.name),
                        ),
                        Ok(AlterTableType::AtSetLogged) => (
                            "SET LOGGED".to_owned(),
                            "there is no online form: run it in a maintenance window, or copy the rows into a new logged table in batches and swap the names".to_owned(),
                        ),
                        Ok(AlterTableType::AtSetUnLogged) => (
                            "SET UNLOGGED".to_owned(),
                            "there is no online form: run it in a maintenance window (and note an unlogged table is emptied after a crash and not replicated)".to_owned(),
                        ),
                        Ok(AlterTableType::AtSetAccessMethod) => (
                            "SET ACCESS METHOD".to_owned(),
                            "there is no online form: run it in a maintenance window, or copy the rows into a new table in batches and swap the names".to_owned(),
                        ),
                        _ => continue,
                    };
                    found.push((what, Some(t.clone()), help));
                }
            }
            _ => {}
        }
        for (what, table, help) in found {
            let on = table
                .clone()
                .unwrap_or_else(|| "every table it touches".to_owned());
            let mut hit = Hit::at(
                i,
                format!("{what} rewrites {on} and its indexes under ACCESS EXCLUSIVE: no reads or writes until the copy is done"),
            )
            .lock(locks::describe(
                LockLevel::AccessExclusive,
                &on,
                "for a full table rewrite",
            ))
            .help(help);
            if let Some(t) = table {
                hit = hit.table(t);
            }
            hits.push(hit);
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;

    const RULE: &str = "table-rewrite";

    #[test]
    fn fires_on_rewrites() {
        for sql in [
            "VACUUM FULL orders;",
            "VACUUM (FULL, ANALYZE) app.orders;",
            "VACUUM (FULL TRUE) orders;",
            "VACUUM FULL;",
            "CLUSTER orders USING orders_created_idx;",
            "CLUSTER orders;",
            "ALTER TABLE orders SET TABLESPACE fast_ssd;",
            "ALTER TABLE orders SET LOGGED;",
            "ALTER TABLE orders SET UNLOGGED;",
            "ALTER TABLE orders SET ACCESS METHOD heap2;",
        ] {
            assert!(fires(RULE, sql), "{sql}");
        }
        assert_eq!(of(&lint_up("VACUUM FULL a, b;"), RULE).len(), 2);
    }

    #[test]
    fn does_not_fire() {
        for sql in [
            "VACUUM orders;",
            "VACUUM (ANALYZE) orders;",
            "VACUUM (FULL FALSE) orders;",
            "VACUUM (FULL off, ANALYZE) orders;",
            "ANALYZE orders;",
            "ALTER INDEX orders_pkey SET TABLESPACE fast_ssd;",
            "ALTER TABLE orders SET (fillfactor = 70);",
            // The table is new.
            "CREATE TABLE orders (id bigint PRIMARY KEY);\nALTER TABLE orders SET UNLOGGED;",
        ] {
            assert!(!fires(RULE, sql), "{sql}");
        }
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(RULE, "VACUUM FULL orders;\n"));
    }
}
