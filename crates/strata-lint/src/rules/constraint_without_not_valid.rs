//! `constraint-without-not-valid`: `ADD CONSTRAINT … FOREIGN KEY` / `CHECK` on an existing table
//! without `NOT VALID`.
//!
//! Adding a foreign key checks every existing row against the referenced table while holding
//! SHARE ROW EXCLUSIVE on both tables: writes to both stop for the whole scan. A CHECK scans the
//! table under ACCESS EXCLUSIVE: reads stop too. With `NOT VALID` the constraint is a catalog
//! change (enforced for new and updated rows at once), and a later `VALIDATE CONSTRAINT` checks
//! the old rows under SHARE UPDATE EXCLUSIVE, which lets reads and writes go on.
//!
//! The later `VALIDATE` must run in a later transaction: in the transaction that added the
//! constraint, the ADD's lock is still held, and the scan runs under it as if `NOT VALID` had not
//! been said: in the same transaction, followed statement by statement (`crate::tx`), so an
//! explicit `BEGIN … COMMIT` around both in a migration that runs outside a transaction is
//! reported, and a `VALIDATE` after the block's `COMMIT` is not. A `CHECK` on `ADD COLUMN` scans
//! the same way; a `REFERENCES` on `ADD COLUMN` is only checked when the new column has a default
//! (otherwise every value is NULL and PostgreSQL skips the check) — but it locks the referenced
//! table all the same, which is reported without claiming a scan.

use super::concurrently_in_transaction::runs_in_transaction;
use super::{Hit, SectionCx};
use crate::locks::{self, LockLevel};
use crate::walk;
use pg_query::protobuf::{
    AlterTableCmd, AlterTableStmt, AlterTableType, ConstrType, Constraint, Node,
};
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    // Constraints added NOT VALID earlier in the section: (table, name, lock description, the
    // transaction it ran in).
    let mut added_not_valid: Vec<(String, String, String, Option<usize>)> = Vec::new();
    let states = crate::tx::states(runs_in_transaction(cx), cx.statements);
    for (i, statement) in cx.statements.iter().enumerate() {
        let NodeEnum::AlterTableStmt(stmt) = &statement.node else {
            continue;
        };
        if !walk::is_table(stmt.objtype) {
            continue;
        }
        let table = walk::table_name(&stmt.relation);
        for cmd in walk::alter_commands(stmt) {
            match AlterTableType::try_from(cmd.subtype) {
                Ok(AlterTableType::AtAddConstraint) => {
                    let Some(c) = walk::command_constraint(cmd) else {
                        continue;
                    };
                    if !is_fk_or_check(c) {
                        continue;
                    }
                    let name = constraint_name(&table, c);
                    if c.skip_validation {
                        added_not_valid.push((
                            table.clone(),
                            name,
                            lock_held(&table, c),
                            states[i].transaction,
                        ));
                        continue;
                    }
                    let not_valid = {
                        let mut cmd = cmd.clone();
                        if let Some(NodeEnum::Constraint(c)) =
                            cmd.def.as_mut().and_then(|d| d.node.as_mut())
                        {
                            c.conname = name.clone();
                            c.skip_validation = true;
                            c.initially_valid = false;
                        }
                        walk::alter_sql(stmt, vec![cmd])
                    };
                    hits.push(
                        hit(i, &table, c, &name, not_valid)
                            .location(c.location)
                            .table(table.clone()),
                    );
                }
                Ok(AlterTableType::AtAddColumn) => {
                    let Some(column) = walk::command_column_def(cmd) else {
                        continue;
                    };
                    let has_default =
                        walk::column_default(column).is_some_and(|d| !walk::is_null_constant(d));
                    for c in walk::column_constraints(column) {
                        let foreign = walk::is_constraint(c, ConstrType::ConstrForeign);
                        let checked = walk::is_constraint(c, ConstrType::ConstrCheck)
                            || foreign && has_default;
                        if foreign && !checked {
                            // Every value of the new column is NULL: nothing to check, but the
                            // referenced table is locked all the same.
                            let name = constraint_name_for(&table, c, Some(&column.colname));
                            let split = split_column_constraint(stmt, cmd, c, &name);
                            hits.push(
                                references_hit(i, &table, &column.colname, c, split)
                                    .location(c.location)
                                    .table(table.clone()),
                            );
                            continue;
                        }
                        if !checked {
                            continue;
                        }
                        let name = constraint_name_for(&table, c, Some(&column.colname));
                        let split = split_column_constraint(stmt, cmd, c, &name);
                        hits.push(
                            hit(i, &table, c, &name, split)
                                .location(c.location)
                                .table(table.clone()),
                        );
                    }
                }
                Ok(AlterTableType::AtValidateConstraint) => {
                    let Some((_, name, held, _)) = added_not_valid.iter().find(|(t, n, _, tx)| {
                        walk::same_table(t, &table)
                            && *n == cmd.name
                            && tx.is_some()
                            && *tx == states[i].transaction
                    }) else {
                        continue;
                    };
                    hits.push(
                        Hit::at(
                            i,
                            format!(
                                "VALIDATE CONSTRAINT {name} runs in the transaction that added it NOT VALID: the ADD's lock is still held, through the whole scan of {table}"
                            ),
                        )
                        .lock(held.clone())
                        .help(format!(
                            "move `ALTER TABLE {} VALIDATE CONSTRAINT {};` to a later migration (it then takes only SHARE UPDATE EXCLUSIVE, which lets reads and writes go on)",
                            walk::table_ident(&table),
                            walk::ident(name)
                        ))
                        .table(table.clone()),
                    );
                }
                _ => {}
            }
        }
    }
    hits
}

fn is_fk_or_check(c: &Constraint) -> bool {
    walk::is_constraint(c, ConstrType::ConstrForeign)
        || walk::is_constraint(c, ConstrType::ConstrCheck)
}

/// The finding for a constraint validated at once; `safe` is the SQL adding it `NOT VALID`.
fn hit(i: usize, table: &str, c: &Constraint, name: &str, safe: Option<String>) -> Hit {
    let t = walk::table_ident(table);
    let n = walk::ident(name);
    let validate = format!(
        "-- then, in a later migration (SHARE UPDATE EXCLUSIVE: reads and writes go on):\nALTER TABLE {t} VALIDATE CONSTRAINT {n};"
    );
    let safe = safe.map_or_else(
        || format!("add it with NOT VALID;\n{validate}"),
        |sql| format!("{sql};\n{validate}"),
    );
    if walk::is_constraint(c, ConstrType::ConstrForeign) {
        let referenced = walk::table_name(&c.pktable);
        Hit::at(
            i,
            format!(
                "FOREIGN KEY {name} without NOT VALID checks every row of {table} against {referenced} while blocking writes to both"
            ),
        )
        .lock(lock_held(table, c))
        .help(safe)
    } else {
        Hit::at(
            i,
            format!(
                "CHECK {name} without NOT VALID checks every row of {table} while blocking all reads and writes"
            ),
        )
        .lock(lock_held(table, c))
        .help(safe)
    }
}

/// `ADD COLUMN … REFERENCES` without a default: the new column is all NULL, so no row is
/// checked, but SHARE ROW EXCLUSIVE is taken on the referenced table (writes to it wait) until
/// the migration's transaction ends, on top of ACCESS EXCLUSIVE on the table.
fn references_hit(
    i: usize,
    table: &str,
    column: &str,
    c: &Constraint,
    split: Option<String>,
) -> Hit {
    let referenced = walk::table_name(&c.pktable);
    let lock = LockLevel::ShareRowExclusive;
    Hit::at(
        i,
        format!(
            "ADD COLUMN {column} … REFERENCES {referenced} locks {referenced} too: SHARE ROW EXCLUSIVE (writes to {referenced} wait) until the migration's transaction ends; no row is checked, the new column is all NULL"
        ),
    )
    .lock(format!(
        "{} on {table} and {} on {referenced} until the transaction ends (writes to {referenced} wait; every query on {table} waits)",
        LockLevel::AccessExclusive.name(),
        lock.name()
    ))
    .help(split.map_or_else(
        || "add the column, then the foreign key NOT VALID in a short transaction with a lock_timeout; VALIDATE it in a later migration".to_owned(),
        |sql| format!("SET lock_timeout = '5s';\n{sql};\n-- then, in a later migration (SHARE UPDATE EXCLUSIVE: reads and writes go on):\nALTER TABLE {} VALIDATE CONSTRAINT {};", walk::table_ident(table), walk::ident(&constraint_name_for(table, c, Some(column)))),
    ))
}

/// The lock adding `c` takes, in words.
fn lock_held(table: &str, c: &Constraint) -> String {
    if walk::is_constraint(c, ConstrType::ConstrForeign) {
        let lock = LockLevel::ShareRowExclusive;
        format!(
            "{} on {table} and {} for a full scan of {table} ({})",
            lock.name(),
            walk::table_name(&c.pktable),
            lock.blocks()
        )
    } else {
        locks::describe(LockLevel::AccessExclusive, table, "for a full table scan")
    }
}

/// The constraint's name, or the one PostgreSQL gives it.
fn constraint_name(table: &str, c: &Constraint) -> String {
    constraint_name_for(table, c, None)
}

/// PostgreSQL's default names: `orders_user_id_fkey` (the key columns), `orders_amount_check`
/// (the first column the check reads), for a column constraint the column.
fn constraint_name_for(table: &str, c: &Constraint, column: Option<&str>) -> String {
    if !c.conname.is_empty() {
        return c.conname.clone();
    }
    let bare = walk::bare_table(table);
    let name = if walk::is_constraint(c, ConstrType::ConstrForeign) {
        let columns = match column {
            Some(column) => vec![column.to_owned()],
            None => walk::names(&c.fk_attrs),
        };
        format!("{bare}_{}_fkey", columns.join("_"))
    } else {
        let first = column.map(str::to_owned).or_else(|| {
            let mut first = None;
            if let Some(expr) = c.raw_expr.as_deref() {
                walk::visit_expr(expr, &mut |n| {
                    if first.is_none() {
                        if let NodeEnum::ColumnRef(r) = n {
                            first = r
                                .fields
                                .last()
                                .and_then(walk::string_value)
                                .map(str::to_owned);
                        }
                    }
                });
            }
            first
        });
        match first {
            Some(column) => format!("{bare}_{column}_check"),
            None => format!("{bare}_check"),
        }
    };
    walk::object_name(&name)
}

/// `ADD COLUMN … REFERENCES/CHECK` split into the column, then the constraint `NOT VALID`.
fn split_column_constraint(
    stmt: &AlterTableStmt,
    cmd: &AlterTableCmd,
    c: &Constraint,
    name: &str,
) -> Option<String> {
    let mut add_column = cmd.clone();
    if let Some(NodeEnum::ColumnDef(def)) = add_column.def.as_mut().and_then(|d| d.node.as_mut()) {
        def.constraints.retain(|n| match n.node.as_ref() {
            Some(NodeEnum::Constraint(other)) => other.as_ref() != c,
            _ => true,
        });
    }
    let column = walk::command_column_def(cmd)?.colname.clone();
    let mut constraint = c.clone();
    constraint.conname = name.to_owned();
    constraint.skip_validation = true;
    constraint.initially_valid = false;
    if walk::is_constraint(c, ConstrType::ConstrForeign) && constraint.fk_attrs.is_empty() {
        constraint.fk_attrs = vec![Node {
            node: Some(NodeEnum::String(pg_query::protobuf::String {
                sval: column,
            })),
        }];
    }
    let mut add_constraint = cmd.clone();
    add_constraint.subtype = AlterTableType::AtAddConstraint as i32;
    add_constraint.def = Some(Box::new(Node {
        node: Some(NodeEnum::Constraint(Box::new(constraint))),
    }));
    Some(format!(
        "{};\n{}",
        walk::alter_sql(stmt, vec![add_column])?,
        walk::alter_sql(stmt, vec![add_constraint])?
    ))
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};

    const RULE: &str = "constraint-without-not-valid";

    #[test]
    fn fires_on_validated_constraints() {
        for sql in [
            "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);",
            "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users;",
            "ALTER TABLE app.orders ADD CONSTRAINT amount_positive CHECK (amount > 0);",
            "ALTER TABLE orders ADD CHECK (amount > 0), ADD COLUMN note text;",
            "ALTER TABLE orders ADD COLUMN amount int CHECK (amount > 0);",
            "ALTER TABLE orders ADD COLUMN user_id bigint DEFAULT 1 REFERENCES users (id);",
        ] {
            assert!(fires(RULE, sql), "{sql}");
        }
    }

    #[test]
    fn does_not_fire() {
        for sql in [
            "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
            "ALTER TABLE orders ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID;",
            "ALTER TABLE orders VALIDATE CONSTRAINT amount_positive;",
            // Unique and primary key constraints are unique-constraint-directly's.
            "ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE (code);",
            // The table is new.
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\nALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);",
        ] {
            assert!(!fires(RULE, sql), "{sql}");
        }
    }

    #[test]
    fn validating_in_the_same_transaction_keeps_the_lock() {
        let sql =
            "ALTER TABLE orders ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID;\n\
                   ALTER TABLE orders VALIDATE CONSTRAINT amount_positive;";
        let found = lint_up(sql);
        let hits = of(&found, RULE);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].line, 2);
        assert!(hits[0]
            .message
            .contains("VALIDATE CONSTRAINT amount_positive"));
        // Outside a transaction each statement commits: fine.
        let mut source = Source::plain("m.sql", sql);
        source.sections[0].transactional = false;
        assert!(of(&lint_with(&[source], &Options::default()), RULE).is_empty());
    }

    #[test]
    fn a_new_column_references_locks_the_referenced_table_without_a_scan() {
        let found = lint_up("ALTER TABLE orders ADD COLUMN user_id bigint REFERENCES users (id);");
        let hits = of(&found, RULE);
        assert_eq!(hits.len(), 1);
        assert!(
            hits[0].message.contains("locks users too"),
            "{}",
            hits[0].message
        );
        assert!(
            hits[0].message.contains("no row is checked"),
            "{}",
            hits[0].message
        );
        assert!(
            !hits[0].message.contains("checks every row"),
            "{}",
            hits[0].message
        );
        let lock = hits[0].lock.clone().unwrap();
        assert!(lock.contains("SHARE ROW EXCLUSIVE on users"), "{lock}");
        assert!(!lock.contains("scan"), "{lock}");
        let help = hits[0].help.clone().unwrap();
        assert!(help.contains("ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID"), "{help}");
    }

    #[test]
    fn explicit_blocks_are_transactions() {
        let off = |sql: &str| {
            let mut source = Source::plain("m.sql", sql);
            source.sections[0].transactional = false;
            source.sections[0].explicitly_non_transactional = true;
            of(&lint_with(&[source], &Options::default()), RULE).len()
        };
        // In the block that added it NOT VALID: the ADD's lock is held through the scan.
        assert_eq!(off("BEGIN;\nALTER TABLE orders ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT c;\nCOMMIT;"), 1);
        // After the block's COMMIT: another transaction.
        assert_eq!(off("BEGIN;\nALTER TABLE orders ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nCOMMIT;\nALTER TABLE orders VALIDATE CONSTRAINT c;"), 0);
        // A COMMIT in a transactional migration ends the runner's transaction too.
        assert!(!fires(RULE, "ALTER TABLE orders ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nCOMMIT;\nALTER TABLE orders VALIDATE CONSTRAINT c;"));
    }

    #[test]
    fn the_help_is_the_statement_not_valid() {
        let found = lint_up(
            "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;",
        );
        let help = of(&found, RULE)[0].help.clone().unwrap();
        assert!(help.starts_with("ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE NOT VALID;"), "{help}");
        assert!(
            help.contains("VALIDATE CONSTRAINT orders_user_id_fkey;"),
            "{help}"
        );
        let found = lint_up("ALTER TABLE orders ADD COLUMN amount int CHECK (amount > 0);");
        let help = of(&found, RULE)[0].help.clone().unwrap();
        assert!(help.starts_with("ALTER TABLE orders ADD COLUMN amount int;\nALTER TABLE orders ADD CONSTRAINT orders_amount_check CHECK (amount > 0) NOT VALID;"), "{help}");
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "ALTER TABLE orders\n    ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);\n"
        ));
    }
}
