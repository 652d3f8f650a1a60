//! `prefer-robust-stmts`: in a migration that runs outside a transaction and has more than one
//! statement, a statement that fails when run a second time — `CREATE` without
//! `IF NOT EXISTS`, `DROP` without `IF EXISTS`, `ADD COLUMN` without `IF NOT EXISTS`,
//! `ADD CONSTRAINT` not preceded by `DROP CONSTRAINT IF EXISTS`, …
//!
//! Outside a transaction every statement commits on its own. When the third statement fails, the
//! first two stay applied and the migration is not recorded; fixing the cause and running it
//! again then fails on the first statement ("relation already exists"), and someone has to finish
//! the migration by hand in production. Guarded statements make the migration safe to re-run
//! from the top. Inside a transaction a failure undoes everything, so this does not apply there
//! (`mixed-nontransactional` asks for one statement per non-transactional migration; this rule is
//! for when there must be more).
//!
//! A step is a statement outside any transaction, or an explicit `BEGIN … COMMIT` block (which a
//! failure undoes as a whole): a migration of one step leaves nothing half done. Temporary
//! tables are not reported (a re-run is a new session, where they are gone). Always checked, new
//! tables too: a re-run repeats their `CREATE` as well.

use super::concurrently_in_transaction::runs_in_transaction;
use super::{Hit, SectionCx};
use crate::walk;
use pg_query::protobuf::{AlterTableType, ObjectType, RangeVar};
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    if runs_in_transaction(cx) {
        return hits;
    }
    // A failure undoes a whole explicit `BEGIN … COMMIT` block: the block is one step, like a
    // statement outside any. With fewer than two steps nothing is left half done.
    let states = crate::tx::states(false, cx.statements);
    let mut steps = std::collections::BTreeSet::new();
    for (i, statement) in cx.statements.iter().enumerate() {
        if matches!(
            statement.node,
            NodeEnum::VariableSetStmt(_)
                | NodeEnum::VariableShowStmt(_)
                | NodeEnum::TransactionStmt(_)
        ) {
            continue;
        }
        steps.insert(states[i].transaction.map_or((1, i), |t| (0, t)));
        if steps.len() > 1 {
            break;
        }
    }
    if steps.len() < 2 {
        return hits;
    }
    // Constraints dropped `IF EXISTS` so far: `(table, name)`.
    let mut dropped: Vec<(String, String)> = Vec::new();
    for (i, statement) in cx.statements.iter().enumerate() {
        for (what, help) in fragile(&statement.node, &dropped) {
            hits.push(
                Hit::at(
                    i,
                    format!("this migration runs outside a transaction: if a later statement fails, running it again fails here, because {what}"),
                )
                .help(help),
            );
        }
        if let NodeEnum::AlterTableStmt(alter) = &statement.node {
            let table = walk::table_name(&alter.relation);
            for cmd in walk::alter_commands(alter) {
                if cmd.subtype == AlterTableType::AtDropConstraint as i32 && cmd.missing_ok {
                    dropped.push((table.clone(), cmd.name.clone()));
                }
            }
        }
    }
    hits
}

/// What fails when the statement runs twice, and the guarded form.
fn fragile(node: &NodeEnum, dropped: &[(String, String)]) -> Vec<(String, String)> {
    let exists = |kind: &str, name: &str| format!("the {kind} {name} already exists");
    let mut out = Vec::new();
    match node {
        // A temporary table lives only as long as the session (or its transaction): a re-run
        // in a new session creates it again without conflict.
        NodeEnum::CreateStmt(s) if !s.if_not_exists && !temporary(s.relation.as_ref()) => {
            let t = walk::table_ident(&walk::table_name(&s.relation));
            out.push((
                exists("table", &t),
                format!("CREATE TABLE IF NOT EXISTS {t} (…);"),
            ));
        }
        NodeEnum::CreateTableAsStmt(s)
            if !s.if_not_exists
                && !s.is_select_into
                && !temporary(s.into.as_ref().and_then(|into| into.rel.as_ref())) =>
        {
            let t = s
                .into
                .as_ref()
                .map(|into| walk::table_ident(&walk::table_name(&into.rel)))
                .unwrap_or_default();
            let kind = if s.objtype == ObjectType::ObjectMatview as i32 {
                "MATERIALIZED VIEW"
            } else {
                "TABLE"
            };
            out.push((
                exists(&kind.to_ascii_lowercase(), &t),
                format!("CREATE {kind} IF NOT EXISTS {t} AS …;"),
            ));
        }
        NodeEnum::IndexStmt(s) if !s.if_not_exists => {
            let on = walk::table_ident(&walk::table_name(&s.relation));
            let concurrently = if s.concurrent { " CONCURRENTLY" } else { "" };
            let unique = if s.unique { "UNIQUE " } else { "" };
            if s.idxname.is_empty() {
                out.push((
                    "an index without a name is created again, a duplicate of the first (or fails, if it is unique and the data changed)".to_owned(),
                    format!("name it, and add IF NOT EXISTS:\nCREATE {unique}INDEX{concurrently} IF NOT EXISTS <name> ON {on} (…);"),
                ));
            } else {
                let name = walk::ident(&s.idxname);
                let note = if s.concurrent {
                    "\n(a build that was interrupted leaves an INVALID index of that name, which IF NOT EXISTS keeps: drop it first)"
                } else {
                    ""
                };
                out.push((
                    exists("index", &name),
                    format!("CREATE {unique}INDEX{concurrently} IF NOT EXISTS {name} ON {on} (…);{note}"),
                ));
            }
        }
        NodeEnum::CreateSeqStmt(s) if !s.if_not_exists => {
            let n = walk::table_ident(&walk::table_name(&s.sequence));
            out.push((
                exists("sequence", &n),
                format!("CREATE SEQUENCE IF NOT EXISTS {n} …;"),
            ));
        }
        NodeEnum::CreateSchemaStmt(s) if !s.if_not_exists => {
            let n = walk::ident(&s.schemaname);
            out.push((
                exists("schema", &n),
                format!("CREATE SCHEMA IF NOT EXISTS {n};"),
            ));
        }
        NodeEnum::CreateExtensionStmt(s) if !s.if_not_exists => {
            let n = walk::ident(&s.extname);
            out.push((
                exists("extension", &n),
                format!("CREATE EXTENSION IF NOT EXISTS {n};"),
            ));
        }
        NodeEnum::ViewStmt(s) if !s.replace => {
            let n = walk::table_ident(&walk::table_name(&s.view));
            out.push((
                exists("view", &n),
                format!("CREATE OR REPLACE VIEW {n} AS …;"),
            ));
        }
        NodeEnum::CreateFunctionStmt(s) if !s.replace => {
            let kind = if s.is_procedure {
                "PROCEDURE"
            } else {
                "FUNCTION"
            };
            let n = walk::table_ident(&walk::names(&s.funcname).join("."));
            out.push((
                exists(&kind.to_ascii_lowercase(), &n),
                format!("CREATE OR REPLACE {kind} {n}(…) …;"),
            ));
        }
        NodeEnum::CreateTrigStmt(s) if !s.replace => {
            let n = walk::ident(&s.trigname);
            let on = walk::table_ident(&walk::table_name(&s.relation));
            out.push((
                exists("trigger", &n),
                format!("CREATE OR REPLACE TRIGGER {n} … ON {on} …;  (PostgreSQL 14+; before, DROP TRIGGER IF EXISTS {n} ON {on}; first)"),
            ));
        }
        NodeEnum::DropStmt(s) if !s.missing_ok => {
            let kind = drop_kind(s.remove_type);
            let names: Vec<String> = s.objects.iter().map(walk::dotted_name).collect();
            let list = names
                .iter()
                .map(|n| walk::table_ident(n))
                .collect::<Vec<_>>()
                .join(", ");
            let concurrently = if s.concurrent { " CONCURRENTLY" } else { "" };
            out.push((
                format!("{list} no longer exists"),
                format!("DROP {kind}{concurrently} IF EXISTS {list};"),
            ));
        }
        NodeEnum::AlterTableStmt(s) if walk::is_table(s.objtype) => {
            let table = walk::table_name(&s.relation);
            let t = walk::table_ident(&table);
            for cmd in walk::alter_commands(s) {
                let Ok(subtype) = AlterTableType::try_from(cmd.subtype) else {
                    continue;
                };
                match subtype {
                    AlterTableType::AtAddColumn if !cmd.missing_ok => {
                        if let Some(column) = walk::command_column_def(cmd) {
                            let c = walk::ident(&column.colname);
                            out.push((
                                format!("the column {t}.{c} already exists"),
                                format!("ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {c} …;"),
                            ));
                        }
                    }
                    AlterTableType::AtDropColumn if !cmd.missing_ok => {
                        let c = walk::ident(&cmd.name);
                        out.push((
                            format!("the column {t}.{c} no longer exists"),
                            format!("ALTER TABLE {t} DROP COLUMN IF EXISTS {c};"),
                        ));
                    }
                    AlterTableType::AtDropConstraint if !cmd.missing_ok => {
                        let c = walk::ident(&cmd.name);
                        out.push((
                            format!("the constraint {c} of {t} no longer exists"),
                            format!("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {c};"),
                        ));
                    }
                    AlterTableType::AtAddConstraint => {
                        let Some(constraint) = walk::command_constraint(cmd) else {
                            continue;
                        };
                        if constraint.conname.is_empty() {
                            out.push((
                                "a constraint without a name is added again (a second copy, or an error for a key)".to_owned(),
                                format!("name it, and drop it first if it exists:\nALTER TABLE {t} DROP CONSTRAINT IF EXISTS <name>;\nALTER TABLE {t} ADD CONSTRAINT <name> …;"),
                            ));
                            continue;
                        }
                        let guarded = dropped.iter().any(|(dt, dn)| {
                            walk::same_table(dt, &table) && *dn == constraint.conname
                        });
                        if !guarded {
                            let c = walk::ident(&constraint.conname);
                            out.push((
                                exists("constraint", &c),
                                format!("drop it first if it exists (ADD CONSTRAINT has no IF NOT EXISTS):\nALTER TABLE {t} DROP CONSTRAINT IF EXISTS {c};\nALTER TABLE {t} ADD CONSTRAINT {c} …;"),
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
        NodeEnum::AlterEnumStmt(s) if s.old_val.is_empty() && !s.skip_if_new_val_exists => {
            let n = walk::table_ident(&walk::names(&s.type_name).join("."));
            let v = strata_core::quote_literal(&s.new_val);
            out.push((
                format!("{n} already has the value {v}"),
                format!("ALTER TYPE {n} ADD VALUE IF NOT EXISTS {v} …;"),
            ));
        }
        _ => {}
    }
    out
}

fn temporary(relation: Option<&RangeVar>) -> bool {
    relation.is_some_and(|r| r.relpersistence == "t")
}

/// `DROP <kind>` in SQL for the object types a migration drops.
fn drop_kind(remove_type: i32) -> &'static str {
    match ObjectType::try_from(remove_type) {
        Ok(ObjectType::ObjectTable) => "TABLE",
        Ok(ObjectType::ObjectIndex) => "INDEX",
        Ok(ObjectType::ObjectView) => "VIEW",
        Ok(ObjectType::ObjectMatview) => "MATERIALIZED VIEW",
        Ok(ObjectType::ObjectSequence) => "SEQUENCE",
        Ok(ObjectType::ObjectSchema) => "SCHEMA",
        Ok(ObjectType::ObjectType) => "TYPE",
        Ok(ObjectType::ObjectDomain) => "DOMAIN",
        Ok(ObjectType::ObjectFunction) => "FUNCTION",
        Ok(ObjectType::ObjectProcedure) => "PROCEDURE",
        Ok(ObjectType::ObjectTrigger) => "TRIGGER",
        Ok(ObjectType::ObjectExtension) => "EXTENSION",
        Ok(ObjectType::ObjectForeignTable) => "FOREIGN TABLE",
        _ => "…",
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};
    use crate::Severity;

    const RULE: &str = "prefer-robust-stmts";

    /// Lints `sql` as a plain file that runs outside a transaction (sqlx's `-- no-transaction`).
    fn outside(sql: &str) -> Vec<crate::Finding> {
        let mut source = Source::plain("m.sql", sql);
        source.sections[0].transactional = false;
        source.sections[0].explicitly_non_transactional = true;
        lint_with(&[source], &Options::default())
    }

    #[test]
    fn fires_outside_a_transaction() {
        // Squawk's example: the column is added, the index build fails; a re-run fails at once.
        let sql = "ALTER TABLE account ADD COLUMN billing_email text;\nCREATE INDEX CONCURRENTLY billing_email_idx ON account (billing_email);";
        let findings = outside(sql);
        let hits = of(&findings, RULE);
        assert_eq!(hits.len(), 2, "{findings:?}");
        assert_eq!(hits[0].severity, Severity::Warning);
        assert_eq!(
            hits[0].help.as_deref(),
            Some("ALTER TABLE account ADD COLUMN IF NOT EXISTS billing_email …;")
        );
        assert!(hits[1].help.as_deref().unwrap().starts_with(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS billing_email_idx ON account (…);"
        ));
        for sql in [
            "CREATE TABLE foo_tbl (id bigint PRIMARY KEY);\nSELECT 1;",
            "DROP TABLE foo_tbl;\nSELECT 1;",
            "ALTER TABLE app_user DROP COLUMN col_name;\nSELECT 1;",
            "ALTER TABLE foo_tbl DROP CONSTRAINT foo_constraint;\nSELECT 1;",
            "DROP INDEX CONCURRENTLY foo_idx;\nSELECT 1;",
            "ALTER TABLE app_user ADD CONSTRAINT email_constraint UNIQUE (email);\nSELECT 1;",
            "ALTER TYPE status ADD VALUE 'archived';\nSELECT 1;",
            "CREATE VIEW v AS SELECT 1;\nSELECT 1;",
            "CREATE INDEX ON t (a);\nSELECT 1;",
        ] {
            assert!(!of(&outside(sql), RULE).is_empty(), "{sql}");
        }
    }

    #[test]
    fn does_not_fire() {
        // Guarded statements (squawk's solutions).
        let sql = "CREATE TABLE IF NOT EXISTS foo_tbl (id bigint PRIMARY KEY);\n\
                   ALTER TABLE app_user ADD COLUMN IF NOT EXISTS email text;\n\
                   ALTER TABLE app_user DROP CONSTRAINT IF EXISTS email_constraint;\n\
                   ALTER TABLE app_user ADD CONSTRAINT email_constraint CHECK (email <> '');\n\
                   CREATE INDEX CONCURRENTLY IF NOT EXISTS email_idx ON app_user (email);\n\
                   DROP TABLE IF EXISTS foo_tbl;\n\
                   ALTER TABLE app_user DROP COLUMN IF EXISTS col_name;\n\
                   DROP INDEX CONCURRENTLY IF EXISTS foo_idx;\n\
                   ALTER TYPE status ADD VALUE IF NOT EXISTS 'archived';\n\
                   CREATE OR REPLACE VIEW v AS SELECT 1;\n\
                   UPDATE app_user SET email = lower(email) WHERE id < 1000;";
        let findings = outside(sql);
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
        // Inside a transaction a failure undoes everything.
        assert!(!fires(
            RULE,
            "CREATE TABLE a (id bigint PRIMARY KEY);\nCREATE TABLE b (id bigint PRIMARY KEY);"
        ));
        // One statement (and its settings) leaves nothing half done.
        assert!(of(
            &outside("SET lock_timeout = '5s';\nDROP INDEX CONCURRENTLY foo_idx;"),
            RULE
        )
        .is_empty());
    }

    #[test]
    fn an_explicit_transaction_block_is_one_step() {
        // Everything in one `BEGIN … COMMIT` block: a failure undoes all of it.
        for sql in [
            "BEGIN;\nALTER TABLE core_foo ADD COLUMN answer_id integer NULL;\nCOMMIT;",
            "BEGIN;\nDROP INDEX core_bar_foo_id_idx;\nDROP TABLE core_bar;\nDROP TYPE foo;\nCOMMIT;",
            "SET lock_timeout = '1s';\nSTART TRANSACTION;\nCREATE TABLE a (id bigint PRIMARY KEY);\nCREATE TABLE b (id bigint PRIMARY KEY);\nCOMMIT;",
        ] {
            let findings = outside(sql);
            assert!(of(&findings, RULE).is_empty(), "{sql}: {findings:?}");
        }
        // A block and a statement after it are two steps: the block stays committed when the
        // statement fails.
        let findings = outside(
            "BEGIN;\nCREATE TABLE a (id bigint PRIMARY KEY);\nCOMMIT;\nCREATE INDEX CONCURRENTLY a_idx ON a (id);",
        );
        let hits = of(&findings, RULE);
        assert_eq!(hits.len(), 2, "{findings:?}");
        assert_eq!(hits[0].line, 2);
        // Two blocks are two steps as well.
        let findings = outside("BEGIN;\nCREATE TABLE a (id bigint);\nCOMMIT;\nBEGIN;\nCREATE TABLE b (id bigint);\nCOMMIT;");
        assert_eq!(of(&findings, RULE).len(), 2, "{findings:?}");
    }

    #[test]
    fn temporary_tables_are_gone_by_the_re_run() {
        for sql in [
            "SELECT 1;\nCREATE TEMP TABLE test_table (id int) ON COMMIT DROP;",
            "SELECT 1;\nCREATE TEMPORARY TABLE test_table (id int);",
            "SELECT 1;\nCREATE TEMP TABLE test_table AS SELECT 1 AS id;",
        ] {
            let findings = outside(sql);
            assert!(of(&findings, RULE).is_empty(), "{sql}: {findings:?}");
        }
        assert_eq!(
            of(
                &outside("SELECT 1;\nCREATE UNLOGGED TABLE t (id int);"),
                RULE
            )
            .len(),
            1
        );
    }

    #[test]
    fn strata_files_with_concurrently_run_outside_a_transaction() {
        let mut source = Source::plain(
            "20260101000000_x.sql",
            "CREATE INDEX CONCURRENTLY a_idx ON t (a);\nCREATE INDEX CONCURRENTLY b_idx ON t (b);",
        );
        source.revision = Some("20260101000000".to_owned());
        let findings = lint_with(&[source], &Options::default());
        assert_eq!(of(&findings, RULE).len(), 2, "{findings:?}");
    }

    #[test]
    fn waived() {
        let sql = "-- strata:lint-ignore prefer-robust-stmts the runner drops and rebuilds invalid indexes\nCREATE INDEX CONCURRENTLY a_idx ON t (a);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS b_idx ON t (b);";
        let findings = outside(sql);
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
        assert!(of(&findings, "unused-waiver").is_empty(), "{findings:?}");
    }
}
