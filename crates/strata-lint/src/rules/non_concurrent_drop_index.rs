//! `non-concurrent-drop-index`: `DROP INDEX` without `CONCURRENTLY`.
//!
//! A plain `DROP INDEX` takes ACCESS EXCLUSIVE on the index's table. The drop itself is quick, but
//! the lock request waits behind every running query on the table — and every query that arrives
//! meanwhile waits behind the request: one long report stalls all traffic to the table.
//! `DROP INDEX CONCURRENTLY` waits for those queries without blocking anyone (SHARE UPDATE
//! EXCLUSIVE), at the price of running outside a transaction, one index per statement.
//!
//! The statement does not name the index's table: the hit carries the index as its object, so a
//! down dropping an index its own up created, or an index created earlier in the run, is not
//! reported.

use super::{Hit, Object, SectionCx};
use crate::locks::LockLevel;
use crate::walk;
use pg_query::protobuf::ObjectType;
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, statement) in cx.statements.iter().enumerate() {
        let NodeEnum::DropStmt(stmt) = &statement.node else {
            continue;
        };
        if stmt.remove_type != ObjectType::ObjectIndex as i32 || stmt.concurrent {
            continue;
        }
        let lock = LockLevel::AccessExclusive;
        for object in &stmt.objects {
            let index = walk::dotted_name(object);
            let if_exists = if stmt.missing_ok { "IF EXISTS " } else { "" };
            hits.push(
                Hit::at(
                    i,
                    format!(
                        "DROP INDEX {index} without CONCURRENTLY waits behind every running query on its table, and every query after it waits too"
                    ),
                )
                .lock(format!(
                    "{} on the table of {index}, brief once granted, but queries queue behind it while it waits ({})",
                    lock.name(),
                    lock.blocks()
                ))
                .help(format!(
                    "DROP INDEX CONCURRENTLY {if_exists}{};\n(in its own migration: CONCURRENTLY cannot run inside a transaction, and drops one index per statement)",
                    walk::table_ident(&index)
                ))
                .object(Object::Index(index)),
            );
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;

    const RULE: &str = "non-concurrent-drop-index";

    #[test]
    fn fires_without_concurrently() {
        assert!(fires(RULE, "DROP INDEX orders_user_idx;"));
        assert!(fires(
            RULE,
            "DROP INDEX IF EXISTS app.orders_user_idx CASCADE;"
        ));
        let found = lint_up("DROP INDEX a_idx, b_idx;");
        assert_eq!(of(&found, RULE).len(), 2);
    }

    #[test]
    fn does_not_fire_concurrently_or_on_new_indexes() {
        assert!(!fires(RULE, "DROP INDEX CONCURRENTLY orders_user_idx;"));
        assert!(!fires(RULE, "DROP TABLE orders;"));
        // Created earlier in the same section.
        assert!(!fires(
            RULE,
            "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\nDROP INDEX orders_user_idx;"
        ));
        // A down dropping what its own up created.
        let found = lint_up_down(
            "CREATE INDEX CONCURRENTLY orders_user_idx ON app.orders (user_id);",
            "DROP INDEX app.orders_user_idx;",
        );
        assert!(of(&found, RULE).is_empty());
        // ...but not an index the up did not create.
        let found = lint_up_down(
            "CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);",
            "DROP INDEX orders_other_idx;",
        );
        assert_eq!(of(&found, RULE).len(), 1);
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(RULE, "DROP INDEX IF EXISTS orders_user_idx;\n"));
    }
}
