//! `non-concurrent-index`: `CREATE INDEX` without `CONCURRENTLY` on an existing table.
//!
//! A plain `CREATE INDEX` takes a SHARE lock on the table for the whole build: reads go on,
//! every INSERT, UPDATE and DELETE waits until the index is built — minutes on a large table.

use super::{Hit, SectionCx};
use crate::locks::LockLevel;
use crate::walk;
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, statement) in cx.statements.iter().enumerate() {
        let NodeEnum::IndexStmt(index) = &statement.node else {
            continue;
        };
        if index.concurrent {
            continue;
        }
        let table = walk::table_name(&index.relation);
        let lock = LockLevel::Share;
        hits.push(
            Hit::at(i, format!("CREATE INDEX without CONCURRENTLY blocks writes to {table} while the index builds"))
                .lock(format!("{} on {table} for the whole index build ({})", lock.name(), lock.blocks()))
                .help(concurrent_form(&statement.sql))
                .table(table),
        );
    }
    hits
}

/// The statement with `CONCURRENTLY` added, and the note that it must run outside a transaction.
fn concurrent_form(sql: &str) -> String {
    let upper = sql.to_ascii_uppercase();
    let with = match upper.find("INDEX") {
        Some(at) => format!(
            "{}INDEX CONCURRENTLY{}",
            &sql[..at],
            &sql[at + "INDEX".len()..]
        ),
        None => sql.to_owned(),
    };
    format!("{with};\n(in its own migration: CONCURRENTLY cannot run inside a transaction)")
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;

    const RULE: &str = "non-concurrent-index";

    #[test]
    fn fires_on_an_existing_table() {
        assert!(fires(
            RULE,
            "CREATE INDEX orders_user_idx ON orders (user_id);"
        ));
        assert!(fires(RULE, "CREATE UNIQUE INDEX ON app.orders USING btree (lower(email)) WHERE deleted_at IS NULL;"));
    }

    #[test]
    fn does_not_fire() {
        assert!(!fires(
            RULE,
            "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);"
        ));
        // The table is new: nobody is waiting on it yet.
        assert!(!fires(RULE, "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\nCREATE INDEX ON orders (user_id);"));
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "-- add an index\nCREATE INDEX orders_user_idx ON orders (user_id);\n"
        ));
    }
}
