//! `rename-column`: `ALTER TABLE … RENAME COLUMN` on an existing table.
//!
//! The rename itself is a catalog change under a brief ACCESS EXCLUSIVE lock, but from the commit
//! on, every running client that still uses the old name fails — and during a deploy the old
//! version of the application is still running. The safe way is expand/contract: add the new
//! column, keep both in sync (trigger or dual writes), backfill, move the clients, drop the old
//! column — or strata's online `rename_column` operation, which does that with a view
//! per version.

use super::{Hit, Object, SectionCx};
use crate::walk;
use pg_query::protobuf::ObjectType;
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, statement) in cx.statements.iter().enumerate() {
        let NodeEnum::RenameStmt(stmt) = &statement.node else {
            continue;
        };
        if stmt.rename_type != ObjectType::ObjectColumn as i32
            || stmt.relation_type != ObjectType::ObjectTable as i32
        {
            continue;
        }
        let table = walk::table_name(&stmt.relation);
        let (from, to) = (&stmt.subname, &stmt.newname);
        hits.push(
            Hit::at(
                i,
                format!(
                    "renaming {table}.{from} to {to} breaks every running client that still uses {from}"
                ),
            )
            .lock(brief_lock(&table))
            .help(format!(
                "strata's online migration keeps both names working while clients move:\n\
                 [[operations]]\n\
                 type = \"rename_column\"\n\
                 table = \"{table}\"\n\
                 from = \"{from}\"\n\
                 to = \"{to}\"\n\
                 or by hand (expand/contract):\n\
                 ALTER TABLE {t} ADD COLUMN {to_sql} <type of {from}>;\n\
                 -- keep {to} in sync with {from} (trigger), backfill in batches, move every client to {to}, then:\n\
                 ALTER TABLE {t} DROP COLUMN {from_sql};",
                t = walk::table_ident(&table),
                to_sql = walk::ident(to),
                from_sql = walk::ident(from),
            ))
            .table(table.clone())
            .object(Object::Column(table, from.clone())),
        );
    }
    hits
}

/// The lock of a rename: brief, but queued.
pub fn brief_lock(table: &str) -> String {
    let lock = crate::locks::LockLevel::AccessExclusive;
    format!(
        "{} on {table}, brief once granted, but queries queue behind it while it waits ({})",
        lock.name(),
        lock.blocks()
    )
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;

    const RULE: &str = "rename-column";

    #[test]
    fn fires_on_a_column_of_an_existing_table() {
        assert!(fires(
            RULE,
            "ALTER TABLE users RENAME COLUMN name TO full_name;"
        ));
        assert!(fires(
            RULE,
            "ALTER TABLE IF EXISTS app.users RENAME name TO full_name;"
        ));
    }

    #[test]
    fn does_not_fire() {
        for sql in [
            "ALTER TABLE users RENAME TO people;",
            "ALTER INDEX users_name_idx RENAME TO users_full_name_idx;",
            "ALTER VIEW user_names RENAME COLUMN name TO full_name;",
            "ALTER TABLE users RENAME CONSTRAINT a TO b;",
            // The table is new.
            "CREATE TABLE users (id bigint PRIMARY KEY, name text);\nALTER TABLE users RENAME COLUMN name TO full_name;",
            // The column is new: no client uses it yet.
            "ALTER TABLE users ADD COLUMN nick text;\nALTER TABLE users RENAME COLUMN nick TO nickname;",
        ] {
            assert!(!fires(RULE, sql), "{sql}");
        }
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "ALTER TABLE users RENAME COLUMN name TO full_name;\n"
        ));
    }
}
