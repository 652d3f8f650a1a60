//! `unique-constraint-directly`: `ADD CONSTRAINT … UNIQUE` / `PRIMARY KEY` on an existing table
//! without `USING INDEX`.
//!
//! The constraint's index is built inside the `ALTER TABLE`, under ACCESS EXCLUSIVE: no reads and
//! no writes for the whole build. Building the index first with `CREATE UNIQUE INDEX
//! CONCURRENTLY` (writes go on) and then attaching it with `ADD CONSTRAINT … USING INDEX` makes the
//! locked part a catalog change. A PRIMARY KEY also makes its columns NOT NULL, which scans the
//! table under the same lock when a column is still nullable: make them NOT NULL first (see
//! `setting-not-null`). `UNIQUE`/`PRIMARY KEY` on `ADD COLUMN` builds its index the same way.

use super::{Hit, SectionCx};
use crate::locks::{self, LockLevel};
use crate::walk;
use pg_query::protobuf::{AlterTableType, ConstrType, Constraint};
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, statement) in cx.statements.iter().enumerate() {
        let NodeEnum::AlterTableStmt(stmt) = &statement.node else {
            continue;
        };
        if !walk::is_table(stmt.objtype) {
            continue;
        }
        let table = walk::table_name(&stmt.relation);
        for cmd in walk::alter_commands(stmt) {
            let found: Vec<(&Constraint, Vec<String>)> =
                if cmd.subtype == AlterTableType::AtAddConstraint as i32 {
                    walk::command_constraint(cmd)
                        .map(|c| (c, walk::names(&c.keys)))
                        .into_iter()
                        .collect()
                } else if cmd.subtype == AlterTableType::AtAddColumn as i32 {
                    walk::command_column_def(cmd)
                        .map(|col| {
                            walk::column_constraints(col)
                                .into_iter()
                                .map(|c| (c, vec![col.colname.clone()]))
                                .collect()
                        })
                        .unwrap_or_default()
                } else {
                    continue;
                };
            for (c, columns) in found {
                let primary = walk::is_constraint(c, ConstrType::ConstrPrimary);
                if !(primary || walk::is_constraint(c, ConstrType::ConstrUnique))
                    || !c.indexname.is_empty()
                {
                    continue;
                }
                let kind = if primary { "PRIMARY KEY" } else { "UNIQUE" };
                let name = if !c.conname.is_empty() {
                    c.conname.clone()
                } else if primary {
                    walk::object_name(&format!("{}_pkey", walk::bare_table(&table)))
                } else {
                    walk::object_name(&format!(
                        "{}_{}_key",
                        walk::bare_table(&table),
                        columns.join("_")
                    ))
                };
                let mut message = format!(
                    "ADD {kind} builds its unique index on {table} while holding ACCESS EXCLUSIVE: no reads or writes until the build ends"
                );
                if primary {
                    message.push_str(&format!(
                        "; it also sets NOT NULL on {}, a full scan when nullable",
                        columns.join(", ")
                    ));
                }
                hits.push(
                    Hit::at(i, message)
                        .location(c.location)
                        .lock(locks::describe(
                            LockLevel::AccessExclusive,
                            &table,
                            "for the whole index build",
                        ))
                        .help(safe_form(&table, c, kind, &name, &columns))
                        .table(table.clone()),
                );
            }
        }
    }
    hits
}

/// Build the index concurrently, then attach it.
fn safe_form(table: &str, c: &Constraint, kind: &str, name: &str, columns: &[String]) -> String {
    let t = walk::table_ident(table);
    let n = walk::ident(name);
    let cols: Vec<String> = columns.iter().map(|c| walk::ident(c)).collect();
    let nulls = if c.nulls_not_distinct {
        " NULLS NOT DISTINCT"
    } else {
        ""
    };
    let include: Vec<String> = walk::names(&c.including)
        .iter()
        .map(|c| walk::ident(c))
        .collect();
    let include = if include.is_empty() {
        String::new()
    } else {
        format!(" INCLUDE ({})", include.join(", "))
    };
    let deferrable = match (c.deferrable, c.initdeferred) {
        (true, true) => " DEFERRABLE INITIALLY DEFERRED",
        (true, false) => " DEFERRABLE",
        _ => "",
    };
    let mut out = format!(
        "-- in a migration of its own (CONCURRENTLY cannot run inside a transaction):\n\
         CREATE UNIQUE INDEX CONCURRENTLY {n} ON {t} ({}){include}{nulls};\n\
         -- then, in the next migration (a catalog change):\n\
         ALTER TABLE {t} ADD CONSTRAINT {n} {kind} USING INDEX {n}{deferrable};",
        cols.join(", ")
    );
    if kind == "PRIMARY KEY" {
        out.push_str(&format!(
            "\n(make {} NOT NULL first, through a validated CHECK: see setting-not-null)",
            cols.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;

    const RULE: &str = "unique-constraint-directly";

    #[test]
    fn fires_when_the_index_is_built_under_the_lock() {
        for sql in [
            "ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE (code);",
            "ALTER TABLE orders ADD UNIQUE (code, region);",
            "ALTER TABLE app.orders ADD PRIMARY KEY (id);",
            "ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id), ADD COLUMN note text;",
            "ALTER TABLE orders ADD COLUMN code text UNIQUE;",
        ] {
            assert!(fires(RULE, sql), "{sql}");
        }
    }

    #[test]
    fn does_not_fire() {
        for sql in [
            "ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE USING INDEX orders_code_idx;",
            "ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY USING INDEX orders_pkey_idx;",
            "CREATE UNIQUE INDEX CONCURRENTLY orders_code_idx ON orders (code);",
            "ALTER TABLE orders ADD CONSTRAINT c CHECK (amount > 0) NOT VALID;",
            // The table is new.
            "CREATE TABLE orders (id bigint, code text);\nALTER TABLE orders ADD PRIMARY KEY (id), ADD UNIQUE (code);",
        ] {
            assert!(!fires(RULE, sql), "{sql}");
        }
    }

    #[test]
    fn the_help_names_the_index_and_columns() {
        let found =
            lint_up("ALTER TABLE orders ADD UNIQUE NULLS NOT DISTINCT (code, region) DEFERRABLE;");
        let help = of(&found, RULE)[0].help.clone().unwrap();
        assert!(help.contains("\nCREATE UNIQUE INDEX CONCURRENTLY orders_code_region_key ON orders (code, region) NULLS NOT DISTINCT;"), "{help}");
        assert!(help.contains("ADD CONSTRAINT orders_code_region_key UNIQUE USING INDEX orders_code_region_key DEFERRABLE;"), "{help}");
        let found = lint_up("ALTER TABLE orders ADD PRIMARY KEY (id);");
        let finding = of(&found, RULE)[0];
        assert!(
            finding.message.contains("NOT NULL on id"),
            "{}",
            finding.message
        );
        assert!(finding
            .help
            .as_deref()
            .unwrap()
            .contains("ADD CONSTRAINT orders_pkey PRIMARY KEY USING INDEX orders_pkey;"));
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE (code);\n"
        ));
    }
}
