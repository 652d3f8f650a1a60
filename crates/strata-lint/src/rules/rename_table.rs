//! `rename-table`: `ALTER TABLE … RENAME TO` on an existing table.
//!
//! A catalog change under a brief ACCESS EXCLUSIVE lock, but every running client that still uses
//! the old name fails from the commit on. Renaming and creating a view under the old name in the
//! same transaction keeps them working (a plain `SELECT *` view is updatable) until they have
//! moved; strata's online `rename_table` operation does the same with a view per
//! version.

use super::rename_column::brief_lock;
use super::{Hit, SectionCx};
use crate::walk;
use pg_query::protobuf::ObjectType;
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, statement) in cx.statements.iter().enumerate() {
        let NodeEnum::RenameStmt(stmt) = &statement.node else {
            continue;
        };
        if stmt.rename_type != ObjectType::ObjectTable as i32 {
            continue;
        }
        let table = walk::table_name(&stmt.relation);
        let schema = stmt
            .relation
            .as_ref()
            .map(|r| r.schemaname.as_str())
            .unwrap_or("");
        let new = if schema.is_empty() {
            stmt.newname.clone()
        } else {
            format!("{schema}.{}", stmt.newname)
        };
        let (old_sql, new_sql) = (walk::table_ident(&table), walk::table_ident(&new));
        hits.push(
            Hit::at(
                i,
                format!(
                    "renaming {table} to {} breaks every running client that still uses {table}",
                    stmt.newname
                ),
            )
            .lock(brief_lock(&table))
            .help(format!(
                "keep the old name as a view until no client uses it (same transaction):\n\
                 ALTER TABLE {old_sql} RENAME TO {};\n\
                 CREATE VIEW {old_sql} AS SELECT * FROM {new_sql};\n\
                 -- later, once every client uses {}:\n\
                 DROP VIEW {old_sql};\n\
                 or strata's online migration:\n\
                 [[operations]]\n\
                 type = \"rename_table\"\n\
                 table = \"{table}\"\n\
                 to = \"{}\"",
                walk::ident(&stmt.newname),
                stmt.newname,
                stmt.newname
            ))
            .table(table),
        );
    }
    hits
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;

    const RULE: &str = "rename-table";

    #[test]
    fn fires_on_an_existing_table() {
        assert!(fires(RULE, "ALTER TABLE orders RENAME TO purchases;"));
        assert!(fires(
            RULE,
            "ALTER TABLE IF EXISTS app.orders RENAME TO purchases;"
        ));
    }

    #[test]
    fn does_not_fire() {
        for sql in [
            "ALTER TABLE orders RENAME COLUMN a TO b;",
            "ALTER INDEX orders_pkey RENAME TO purchases_pkey;",
            "ALTER VIEW order_totals RENAME TO purchase_totals;",
            "ALTER SEQUENCE orders_id_seq RENAME TO purchases_id_seq;",
            // The table is new.
            "CREATE TABLE orders (id bigint PRIMARY KEY);\nALTER TABLE orders RENAME TO purchases;",
        ] {
            assert!(!fires(RULE, sql), "{sql}");
        }
    }

    #[test]
    fn the_help_keeps_the_schema() {
        let found = lint_up("ALTER TABLE app.orders RENAME TO purchases;");
        let help = of(&found, RULE)[0].help.clone().unwrap();
        assert!(
            help.contains("CREATE VIEW app.orders AS SELECT * FROM app.purchases;"),
            "{help}"
        );
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(RULE, "ALTER TABLE orders RENAME TO purchases;\n"));
    }
}
