//! `setting-not-null`: `ALTER COLUMN … SET NOT NULL` on an existing table without a validated
//! `CHECK (col IS NOT NULL)`.
//!
//! `SET NOT NULL` takes ACCESS EXCLUSIVE and reads every row to prove there is no NULL: on a large
//! table, reads and writes stop for the whole scan. From PostgreSQL 12 the scan is skipped when a
//! validated `CHECK (col IS NOT NULL)` already proves it — and that check can be added
//! `NOT VALID` (a catalog change) and validated under SHARE UPDATE EXCLUSIVE, which lets reads
//! and writes go on. Before 12 there is no way around the scan; the validated check itself is the
//! safe constraint there. PostgreSQL 18's `ADD CONSTRAINT … NOT NULL col` (without `NOT VALID`)
//! scans the same way and is reported too.
//!
//! A check counts when an earlier statement of the section adds it (`NOT VALID`, then `VALIDATE
//! CONSTRAINT`), or validates a constraint whose definition is not in the section but whose name
//! mentions the column (`VALIDATE CONSTRAINT orders_org_id_not_null`: added by an earlier
//! migration).

use super::{Hit, SectionCx};
use crate::locks::{self, LockLevel};
use crate::parse::Statement;
use crate::walk;
use pg_query::protobuf::{AlterTableType, ConstrType};
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    let checks_skip_scan = cx.options.pg_version >= 120000;
    for (i, statement) in cx.statements.iter().enumerate() {
        let NodeEnum::AlterTableStmt(stmt) = &statement.node else {
            continue;
        };
        if !walk::is_table(stmt.objtype) {
            continue;
        }
        let table = walk::table_name(&stmt.relation);
        for cmd in walk::alter_commands(stmt) {
            let (column, location) = if cmd.subtype == AlterTableType::AtSetNotNull as i32 {
                (cmd.name.clone(), -1)
            } else if cmd.subtype == AlterTableType::AtAddConstraint as i32 {
                // PostgreSQL 18: ADD CONSTRAINT name NOT NULL col (validated at once).
                match walk::command_constraint(cmd) {
                    Some(c)
                        if walk::is_constraint(c, ConstrType::ConstrNotnull)
                            && !c.skip_validation =>
                    {
                        match walk::names(&c.keys).into_iter().next() {
                            Some(column) => (column, c.location),
                            None => continue,
                        }
                    }
                    _ => continue,
                }
            } else {
                continue;
            };
            if checks_skip_scan && proven_not_null(&cx.statements[..i], &table, &column) {
                continue;
            }
            hits.push(
                Hit::at(
                    i,
                    format!(
                        "SET NOT NULL on {table}.{column} scans the whole table under ACCESS EXCLUSIVE to prove it holds no NULL"
                    ),
                )
                .location(location)
                .lock(locks::describe(
                    LockLevel::AccessExclusive,
                    &table,
                    "while it reads every row",
                ))
                .help(not_null_steps(&table, &column, cx.options.pg_version))
                .table(table.clone()),
            );
        }
    }
    hits
}

/// The safe way to make `column` NOT NULL, as SQL with the real names: a `NOT VALID` check,
/// validated without blocking, which lets `SET NOT NULL` skip its scan (12+).
pub fn not_null_steps(table: &str, column: &str, pg_version: u32) -> String {
    let t = walk::table_ident(table);
    let c = walk::ident(column);
    let name = walk::object_name(&format!("{}_{column}_not_null", walk::bare_table(table)));
    let n = walk::ident(&name);
    let first = format!(
        "ALTER TABLE {t} ADD CONSTRAINT {n} CHECK ({c} IS NOT NULL) NOT VALID;\n\
         -- then, in a later migration (VALIDATE reads the table under SHARE UPDATE EXCLUSIVE: reads and writes go on):\n\
         ALTER TABLE {t} VALIDATE CONSTRAINT {n};"
    );
    if pg_version >= 120000 {
        format!(
            "{first}\n\
             ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL;  -- no scan: the validated check proves it\n\
             ALTER TABLE {t} DROP CONSTRAINT {n};"
        )
    } else {
        format!(
            "{first}\n\
             -- before PostgreSQL 12 SET NOT NULL always scans: keep the validated check as the constraint"
        )
    }
}

/// Whether earlier statements of the section prove `column` of `table` NOT NULL with a validated
/// check (or, on 18, a validated NOT NULL constraint).
fn proven_not_null(earlier: &[Statement], table: &str, column: &str) -> bool {
    // Constraint name -> (column it proves NOT NULL, validated).
    let mut known: Vec<(String, String, bool)> = Vec::new();
    let mut proven = false;
    for statement in earlier {
        let NodeEnum::AlterTableStmt(stmt) = &statement.node else {
            continue;
        };
        if !walk::same_table(&walk::table_name(&stmt.relation), table) {
            continue;
        }
        for cmd in walk::alter_commands(stmt) {
            let subtype = AlterTableType::try_from(cmd.subtype);
            match subtype {
                Ok(AlterTableType::AtAddConstraint) => {
                    let Some(c) = walk::command_constraint(cmd) else {
                        continue;
                    };
                    let proves = walk::not_null_check_column(c)
                        .map(str::to_owned)
                        .or_else(|| {
                            walk::is_constraint(c, ConstrType::ConstrNotnull)
                                .then(|| walk::names(&c.keys).into_iter().next())
                                .flatten()
                        });
                    if let Some(col) = proves {
                        if col == column && !c.skip_validation {
                            proven = true;
                        }
                        known.push((c.conname.clone(), col, !c.skip_validation));
                    }
                }
                Ok(AlterTableType::AtValidateConstraint) => {
                    match known.iter_mut().find(|(name, _, _)| *name == cmd.name) {
                        Some((_, col, validated)) => {
                            *validated = true;
                            proven |= col == column;
                        }
                        // Added by an earlier migration: trust a name that mentions the column.
                        None => proven |= cmd.name.contains(column),
                    }
                }
                Ok(AlterTableType::AtDropConstraint) => {
                    if let Some(at) = known.iter().position(|(name, _, _)| *name == cmd.name) {
                        let (_, col, validated) = known.remove(at);
                        if col == column && validated {
                            proven = known.iter().any(|(_, c, v)| c == column && *v);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    proven
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};

    const RULE: &str = "setting-not-null";

    #[test]
    fn fires_without_a_validated_check() {
        for sql in [
            "ALTER TABLE orders ALTER COLUMN org_id SET NOT NULL;",
            "ALTER TABLE app.orders ALTER org_id SET NOT NULL, ALTER COLUMN note DROP NOT NULL;",
            // NOT VALID, never validated: the check proves nothing yet.
            "ALTER TABLE orders ADD CONSTRAINT c CHECK (org_id IS NOT NULL) NOT VALID;\nALTER TABLE orders ALTER COLUMN org_id SET NOT NULL;",
            // A validated check on another column.
            "ALTER TABLE orders ADD CONSTRAINT c CHECK (user_id IS NOT NULL) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT c;\nALTER TABLE orders ALTER COLUMN org_id SET NOT NULL;",
            // A validated check on another table.
            "ALTER TABLE users ADD CONSTRAINT c CHECK (org_id IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT c;\nALTER TABLE orders ALTER COLUMN org_id SET NOT NULL;",
            // PostgreSQL 18's NOT NULL constraint, validated at once.
            "ALTER TABLE orders ADD CONSTRAINT orders_org_id_nn NOT NULL org_id;",
        ] {
            assert!(fires(RULE, sql), "{sql}");
        }
    }

    #[test]
    fn does_not_fire_with_a_validated_check() {
        for sql in [
            "ALTER TABLE orders ADD CONSTRAINT orders_org_id_not_null CHECK (org_id IS NOT NULL) NOT VALID;\n\
             ALTER TABLE orders VALIDATE CONSTRAINT orders_org_id_not_null;\n\
             ALTER TABLE orders ALTER COLUMN org_id SET NOT NULL;\n\
             ALTER TABLE orders DROP CONSTRAINT orders_org_id_not_null;",
            // The check was added by an earlier migration; its name says which column.
            "ALTER TABLE orders VALIDATE CONSTRAINT orders_org_id_not_null;\nALTER TABLE orders ALTER COLUMN org_id SET NOT NULL;",
            // PostgreSQL 18: NOT NULL NOT VALID, then VALIDATE.
            "ALTER TABLE orders ADD CONSTRAINT nn NOT NULL org_id NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT nn;\nALTER TABLE orders ALTER COLUMN org_id SET NOT NULL;",
            "ALTER TABLE orders ADD CONSTRAINT nn NOT NULL org_id NOT VALID;",
            // The table is new.
            "CREATE TABLE orders (id bigint PRIMARY KEY, org_id bigint);\nALTER TABLE orders ALTER COLUMN org_id SET NOT NULL;",
            "ALTER TABLE orders ALTER COLUMN org_id DROP NOT NULL;",
        ] {
            assert!(!fires(RULE, sql), "{sql}");
        }
    }

    #[test]
    fn before_12_the_check_does_not_help() {
        let sql = "ALTER TABLE orders ADD CONSTRAINT c CHECK (org_id IS NOT NULL) NOT VALID;\n\
                   ALTER TABLE orders VALIDATE CONSTRAINT c;\n\
                   ALTER TABLE orders ALTER COLUMN org_id SET NOT NULL;";
        let pg11 = Options {
            pg_version: 110000,
            ..Options::default()
        };
        let found = lint_with(&[Source::plain("m.sql", sql)], &pg11);
        let hits = of(&found, RULE);
        assert_eq!(hits.len(), 1);
        assert!(hits[0]
            .help
            .as_deref()
            .unwrap()
            .contains("before PostgreSQL 12"));
        assert!(!fires(RULE, sql));
    }

    #[test]
    fn a_dropped_check_no_longer_proves_anything() {
        assert!(fires(
            RULE,
            "ALTER TABLE orders ADD CONSTRAINT c CHECK (org_id IS NOT NULL);\n\
             ALTER TABLE orders DROP CONSTRAINT c;\n\
             ALTER TABLE orders ALTER COLUMN org_id SET NOT NULL;"
        ));
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "ALTER TABLE orders ALTER COLUMN org_id SET NOT NULL;\n"
        ));
    }
}
