//! `fk-without-index`: a foreign key whose columns no index of its table leads with, new tables
//! too.
//!
//! PostgreSQL indexes the referenced side of a foreign key (it must be a key) but not the
//! referencing side. Without an index there, every `DELETE` of a referenced row, and every
//! `UPDATE` of its key, scans the whole referencing table to look for rows pointing at it — under
//! a lock, once per row deleted — and `ON DELETE CASCADE` does the same to find what to delete.
//! Joins from the parent to its children scan too.
//!
//! An index counts when its leading columns are exactly the foreign key's columns (in any order):
//! a `CREATE INDEX` (btree or hash, not partial, anywhere in the section, before or after), a
//! primary key or unique constraint (in `CREATE TABLE` or `ALTER TABLE`). The linter sees only
//! the migration: when the index already exists in the database, waive the finding and name it.
//! Design rule: not in a down section, which restores what an earlier migration defined.

use super::{Hit, IndexPrefixes, SectionCx};
use crate::parse::Statement;
use crate::walk;
use pg_query::protobuf::{AlterTableType, ConstrType, Constraint};
use pg_query::NodeEnum;
use std::collections::BTreeMap;

/// A foreign key a statement declares.
struct ForeignKey<'a> {
    statement: usize,
    table: String,
    columns: Vec<String>,
    constraint: &'a Constraint,
}

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    if cx.is_down() {
        return hits;
    }
    let indexes = cx
        .cache
        .index_prefixes
        .get_or_init(|| index_prefixes(cx.run));
    for fk in foreign_keys(cx) {
        let covered = indexes
            .get(walk::bare_table(&fk.table))
            .is_some_and(|candidates| {
                candidates.iter().any(|(table, columns)| {
                    walk::same_table(table, &fk.table) && leads_with(columns, &fk.columns)
                })
            });
        if covered || fk.columns.is_empty() {
            continue;
        }
        let referenced = walk::table_name(&fk.constraint.pktable);
        let cols = fk.columns.join(", ");
        hits.push(
            Hit::at(
                fk.statement,
                format!(
                    "foreign key {} ({cols}) → {referenced} has no index leading with ({cols}) in this migration: every DELETE on {referenced} (and every update of its key) scans {} for referencing rows",
                    fk.table, fk.table
                ),
            )
            .location(fk.constraint.location)
            .help(help(cx, &fk))
            .table(fk.table.clone()),
        );
    }
    hits
}

/// The index to create: plain in the same migration for a table it creates, else concurrently.
fn help(cx: &SectionCx<'_>, fk: &ForeignKey<'_>) -> String {
    let table = walk::table_ident(&fk.table);
    let name = walk::ident(&walk::object_name(&format!(
        "{}_{}_idx",
        walk::bare_table(&fk.table),
        fk.columns.join("_")
    )));
    let columns: Vec<String> = fk.columns.iter().map(|c| walk::ident(c)).collect();
    let columns = columns.join(", ");
    let new_table = cx.statements[..=fk.statement]
        .iter()
        .any(|s| match &s.node {
            NodeEnum::CreateStmt(c) => walk::same_table(&walk::table_name(&c.relation), &fk.table),
            _ => false,
        });
    if new_table {
        format!("index it in this migration (the table is new, so nothing waits on the build):\nCREATE INDEX {name} ON {table} ({columns});")
    } else {
        format!(
            "index it without blocking writes, in a migration of its own (CONCURRENTLY cannot run in a transaction):\n\
             CREATE INDEX CONCURRENTLY {name} ON {table} ({columns});\n\
             if such an index exists already, waive this finding and name the index"
        )
    }
}

/// Whether an index's leading columns are exactly `columns`, in any order.
fn leads_with(index: &[String], columns: &[String]) -> bool {
    index.len() >= columns.len() && columns.iter().all(|c| index[..columns.len()].contains(c))
}

/// Every foreign key declared in the section.
fn foreign_keys<'a>(cx: &'a SectionCx<'_>) -> Vec<ForeignKey<'a>> {
    let mut out = Vec::new();
    for (i, statement) in cx.statements.iter().enumerate() {
        let mut push = |table: &str, columns: Vec<String>, constraint: &'a Constraint| {
            out.push(ForeignKey {
                statement: i,
                table: table.to_owned(),
                columns,
                constraint,
            })
        };
        match &statement.node {
            NodeEnum::CreateStmt(stmt) => {
                let table = walk::table_name(&stmt.relation);
                let (columns, constraints) = walk::create_table_parts(stmt);
                for column in columns {
                    for c in walk::column_constraints(column) {
                        if walk::is_constraint(c, ConstrType::ConstrForeign) {
                            push(&table, vec![column.colname.clone()], c);
                        }
                    }
                }
                for c in constraints {
                    if walk::is_constraint(c, ConstrType::ConstrForeign) {
                        push(&table, walk::names(&c.fk_attrs), c);
                    }
                }
            }
            NodeEnum::AlterTableStmt(stmt) if walk::is_table(stmt.objtype) => {
                let table = walk::table_name(&stmt.relation);
                for cmd in walk::alter_commands(stmt) {
                    if let Some(c) = walk::command_constraint(cmd) {
                        if walk::is_constraint(c, ConstrType::ConstrForeign) {
                            push(&table, walk::names(&c.fk_attrs), c);
                        }
                    }
                    if cmd.subtype == AlterTableType::AtAddColumn as i32 {
                        if let Some(column) = walk::command_column_def(cmd) {
                            for c in walk::column_constraints(column) {
                                if walk::is_constraint(c, ConstrType::ConstrForeign) {
                                    push(&table, vec![column.colname.clone()], c);
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// `(table, leading columns)` of every index, primary key and unique constraint in the run's
/// ups, by bare table name.
fn index_prefixes(run: &[&Statement]) -> IndexPrefixes {
    let mut out = Vec::new();
    let is_key = |c: &Constraint| {
        walk::is_constraint(c, ConstrType::ConstrPrimary)
            || walk::is_constraint(c, ConstrType::ConstrUnique)
    };
    for statement in run {
        match &statement.node {
            NodeEnum::CreateStmt(stmt) => {
                let table = walk::table_name(&stmt.relation);
                let (columns, constraints) = walk::create_table_parts(stmt);
                for column in columns {
                    if walk::column_constraints(column).into_iter().any(is_key) {
                        out.push((table.clone(), vec![column.colname.clone()]));
                    }
                }
                for c in constraints.into_iter().filter(|c| is_key(c)) {
                    out.push((table.clone(), walk::names(&c.keys)));
                }
            }
            NodeEnum::AlterTableStmt(stmt) if walk::is_table(stmt.objtype) => {
                let table = walk::table_name(&stmt.relation);
                for cmd in walk::alter_commands(stmt) {
                    if let Some(c) = walk::command_constraint(cmd).filter(|c| is_key(c)) {
                        // `USING INDEX` keys are the index's, which counts on its own.
                        out.push((table.clone(), walk::names(&c.keys)));
                    }
                    if cmd.subtype == AlterTableType::AtAddColumn as i32 {
                        if let Some(column) = walk::command_column_def(cmd) {
                            if walk::column_constraints(column).into_iter().any(is_key) {
                                out.push((table.clone(), vec![column.colname.clone()]));
                            }
                        }
                    }
                }
            }
            NodeEnum::IndexStmt(index) => {
                let method = index.access_method.to_ascii_lowercase();
                let usable = index.where_clause.is_none()
                    && matches!(method.as_str(), "" | "btree" | "hash");
                if !usable {
                    continue;
                }
                // The plain columns up to the first expression.
                let columns: Vec<String> = index
                    .index_params
                    .iter()
                    .map_while(|p| match p.node.as_ref() {
                        Some(NodeEnum::IndexElem(e)) if !e.name.is_empty() => Some(e.name.clone()),
                        _ => None,
                    })
                    .collect();
                out.push((walk::table_name(&index.relation), columns));
            }
            _ => {}
        }
    }
    let mut by_table: BTreeMap<String, Vec<(String, Vec<String>)>> = BTreeMap::new();
    for (table, columns) in out {
        by_table
            .entry(walk::bare_table(&table).to_owned())
            .or_default()
            .push((table, columns));
    }
    by_table
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;

    const RULE: &str = "fk-without-index";

    #[test]
    fn fires_without_an_index() {
        for sql in [
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);",
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id));",
            "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
            "ALTER TABLE orders ADD COLUMN user_id bigint REFERENCES users;",
            // An index that does not lead with the column, a partial one, a GIN one.
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users, at timestamptz);\nCREATE INDEX ON orders (at, user_id);",
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);\nCREATE INDEX ON orders (user_id) WHERE user_id IS NOT NULL;",
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);\nCREATE INDEX ON orders USING gin (user_id);",
            // A two-column key with an index on only one of them.
            "CREATE TABLE l (id bigint PRIMARY KEY, a int, b int, FOREIGN KEY (a, b) REFERENCES p (a, b));\nCREATE INDEX ON l (a);",
            // The index is on another table.
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);\nCREATE INDEX ON invoices (user_id);",
        ] {
            assert!(fires(RULE, sql), "{sql}");
        }
        let findings = lint_up("CREATE TABLE orders (\n  id bigint PRIMARY KEY,\n  user_id bigint REFERENCES users,\n  shop_id bigint REFERENCES shops\n);\nCREATE INDEX ON orders (shop_id);");
        let hits = of(&findings, RULE);
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0].line, hits[0].column), (3, 18));
        assert_eq!(
            hits[0].help.as_deref(),
            Some("index it in this migration (the table is new, so nothing waits on the build):\nCREATE INDEX orders_user_id_idx ON orders (user_id);")
        );
    }

    #[test]
    fn does_not_fire_with_an_index() {
        for sql in [
            // Created after the table, in the same section.
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);\nCREATE INDEX orders_user_id_idx ON orders (user_id);",
            // Before the key is added.
            "CREATE INDEX CONCURRENTLY orders_user_id_idx ON app.orders (user_id, created_at);\nALTER TABLE app.orders ADD FOREIGN KEY (user_id) REFERENCES users NOT VALID;",
            // Columns in another order.
            "CREATE TABLE l (id bigint PRIMARY KEY, a int, b int, FOREIGN KEY (a, b) REFERENCES p (a, b));\nCREATE UNIQUE INDEX ON l USING btree (b, a, id);",
            // The key itself is the primary key or unique.
            "CREATE TABLE profiles (user_id bigint PRIMARY KEY REFERENCES users);",
            "CREATE TABLE m (a bigint REFERENCES x, b bigint REFERENCES y, PRIMARY KEY (a, b));\nCREATE INDEX ON m (b);",
            "CREATE TABLE s (id bigint PRIMARY KEY, user_id bigint UNIQUE REFERENCES users);",
            "ALTER TABLE s ADD COLUMN user_id bigint UNIQUE REFERENCES users;",
            "CREATE TABLE s (id bigint PRIMARY KEY, user_id bigint REFERENCES users, CONSTRAINT s_u UNIQUE (user_id));",
            "CREATE TABLE s (id bigint PRIMARY KEY, user_id bigint);\nALTER TABLE s ADD CONSTRAINT s_u UNIQUE (user_id), ADD FOREIGN KEY (user_id) REFERENCES users;",
            "CREATE TABLE s (id bigint PRIMARY KEY, user_id bigint REFERENCES users);\nCREATE INDEX ON s USING hash (user_id);",
        ] {
            assert!(!fires(RULE, sql), "{sql}");
        }
        let findings = lint_up_down(
            "ALTER TABLE orders DROP CONSTRAINT orders_user_fk;",
            "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users;",
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n"
        ));
    }
}

#[cfg(test)]
mod run_tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};

    #[test]
    fn an_index_in_another_file_of_the_run_counts() {
        let sources = [
            Source::plain("1.sql", "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));"),
            Source::plain("2.sql", "CREATE INDEX orders_user_id_idx ON orders (user_id);"),
        ];
        let findings = lint_with(&sources, &Options::default());
        assert!(of(&findings, "fk-without-index").is_empty(), "{findings:?}");
        let findings = lint_with(&sources[..1], &Options::default());
        assert_eq!(of(&findings, "fk-without-index").len(), 1);
    }

    #[test]
    fn a_table_created_in_an_earlier_file_is_new_only_while_the_database_lacks_it() {
        let sources = [
            Source::plain(
                "1.sql",
                "SET lock_timeout = '1s';\nCREATE TABLE users (id bigint PRIMARY KEY);",
            ),
            Source::plain(
                "2.sql",
                "ALTER TABLE users ADD COLUMN email text;\nCREATE INDEX users_email_idx ON users (email);",
            ),
        ];
        // No database: the later migration may run long after, on a full table.
        let findings = lint_with(&sources, &Options::default());
        assert_eq!(
            of(&findings, "missing-lock-timeout").len(),
            1,
            "{findings:?}"
        );
        assert_eq!(
            of(&findings, "non-concurrent-index").len(),
            1,
            "{findings:?}"
        );
        assert_eq!(of(&findings, "non-concurrent-index")[0].file, "2.sql");
        // A database without the table: a first deploy creates it, then indexes it.
        let empty = Options {
            existing: Some(crate::source::Existing::default()),
            ..Options::default()
        };
        let findings = lint_with(&sources, &empty);
        assert!(
            of(&findings, "missing-lock-timeout").is_empty(),
            "{findings:?}"
        );
        assert!(
            of(&findings, "non-concurrent-index").is_empty(),
            "{findings:?}"
        );
        // A database that has it: the table is not new.
        let mut has = crate::source::Existing::default();
        has.relations.insert("users".to_owned());
        let with_users = Options {
            existing: Some(has),
            ..Options::default()
        };
        let findings = lint_with(&sources, &with_users);
        assert_eq!(of(&findings, "missing-lock-timeout").len(), 1);
        assert_eq!(of(&findings, "non-concurrent-index").len(), 1);
        // Alone, the later migration reports the same.
        let findings = lint_with(&sources[1..], &Options::default());
        assert_eq!(of(&findings, "missing-lock-timeout").len(), 1);
        assert_eq!(of(&findings, "non-concurrent-index").len(), 1);
    }
}
