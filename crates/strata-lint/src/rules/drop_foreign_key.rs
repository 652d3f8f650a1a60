//! `drop-foreign-key`: `ALTER TABLE … DROP CONSTRAINT` of a foreign key on an existing table.
//!
//! A foreign key is the database's guarantee that every reference points at a row that exists.
//! Once it is dropped, rows can reference deleted or never-existing rows, `ON DELETE CASCADE` /
//! `SET NULL` stop happening, and nothing says so: the damage shows up later as orphans that joins
//! silently drop. Adding the key back then needs the orphans cleaned first. The statement takes
//! ACCESS EXCLUSIVE on both tables, briefly.
//!
//! Which constraints are foreign keys: those defined as one anywhere in the run (in
//! `CREATE TABLE` or `ADD CONSTRAINT`), else the names PostgreSQL gives foreign keys
//! (`…_fkey`) and the common conventions (`fk_…`, `…_fk`). Destructive rule: silent on
//! constraints and tables created earlier in the same file or run, and in a down dropping the key
//! its own up added.

use super::{Hit, Object, SectionCx};
use crate::locks::LockLevel;
use crate::walk;
use pg_query::protobuf::{self, AlterTableType, ConstrType};
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, statement) in cx.statements.iter().enumerate() {
        let NodeEnum::AlterTableStmt(alter) = &statement.node else {
            continue;
        };
        if !walk::is_table(alter.objtype) {
            continue;
        }
        let table = walk::table_name(&alter.relation);
        for cmd in walk::alter_commands(alter) {
            if cmd.subtype != AlterTableType::AtDropConstraint as i32 {
                continue;
            }
            let definition = defined(cx, &table, &cmd.name);
            let referenced = match definition {
                Some(Some(referenced)) => Some(referenced),
                Some(None) => continue,
                None if looks_like_foreign_key(&cmd.name) => None,
                None => continue,
            };
            let target = referenced
                .as_deref()
                .map_or_else(|| "the table it references".to_owned(), str::to_owned);
            let lock = LockLevel::AccessExclusive;
            let t = walk::table_ident(&table);
            let name = walk::ident(&cmd.name);
            hits.push(
                Hit::at(
                    i,
                    format!("dropping the foreign key {} of {table} stops checking that its rows point at rows of {target} that exist: orphans can be written from now on, and ON DELETE actions stop", cmd.name),
                )
                .lock(format!(
                    "{} on {table} and on {target}, briefly, but while it waits for running queries it {}",
                    lock.name(),
                    lock.blocks()
                ))
                .help(format!(
                    "keep the key unless the relationship is going away for good; then first deploy code that no longer relies on it (joins that expect a match, ON DELETE behavior), and drop it in a migration of its own:\n\
                     ALTER TABLE {t} DROP CONSTRAINT {name};\n\
                     (to change a key instead, add the new one NOT VALID and VALIDATE it before dropping the old one)"
                ))
                .table(table.clone())
                .object(Object::Constraint(table.clone(), cmd.name.clone())),
            );
        }
    }
    hits
}

/// PostgreSQL's default name for a foreign key, and the common conventions.
fn looks_like_foreign_key(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with("_fkey") || lower.starts_with("fk_") || lower.ends_with("_fk")
}

/// How the run defines the constraint `name` of `table`: `Some(Some(referenced table))` for a
/// foreign key, `Some(None)` for another kind, `None` when the run does not define it.
fn defined(cx: &SectionCx<'_>, table: &str, name: &str) -> Option<Option<String>> {
    let sections = cx.file.iter().flat_map(|p| p.statements.iter());
    let mut found = None;
    for statement in cx.run.iter().copied().chain(sections) {
        let (on, constraints): (String, Vec<&protobuf::Constraint>) = match &statement.node {
            NodeEnum::CreateStmt(create) => {
                let (columns, mut constraints) = walk::create_table_parts(create);
                for column in columns {
                    constraints.extend(walk::column_constraints(column));
                }
                (walk::table_name(&create.relation), constraints)
            }
            NodeEnum::AlterTableStmt(alter) => (
                walk::table_name(&alter.relation),
                walk::alter_commands(alter)
                    .into_iter()
                    .filter_map(walk::command_constraint)
                    .collect(),
            ),
            _ => continue,
        };
        if !walk::same_table(&on, table) {
            continue;
        }
        for constraint in constraints {
            if constraint.conname == name {
                found = Some(
                    walk::is_constraint(constraint, ConstrType::ConstrForeign)
                        .then(|| walk::table_name(&constraint.pktable)),
                );
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};
    use crate::Severity;

    const RULE: &str = "drop-foreign-key";

    #[test]
    fn fires_on_foreign_keys() {
        // PostgreSQL's own name for a foreign key, and the conventions.
        for sql in [
            "ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;",
            "ALTER TABLE orders DROP CONSTRAINT IF EXISTS fk_orders_user;",
            "ALTER TABLE app.orders DROP CONSTRAINT orders_user_fk;",
        ] {
            assert!(fires(RULE, sql), "{sql}");
        }
        let findings = lint_up("ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;");
        assert_eq!(of(&findings, RULE)[0].severity, Severity::Warning);
        // Any name, when the file defines it as a foreign key: here the down that restores it,
        // which also names the referenced table.
        let findings = lint_up_down(
            "ALTER TABLE orders DROP CONSTRAINT buyer;",
            "ALTER TABLE orders ADD CONSTRAINT buyer FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
        );
        let hits = of(&findings, RULE);
        assert_eq!(hits.len(), 1, "{findings:?}");
        assert!(
            hits[0].message.contains("rows of users"),
            "{}",
            hits[0].message
        );
        assert_eq!(hits[0].line, 1);
    }

    #[test]
    fn does_not_fire() {
        assert!(!fires(
            RULE,
            "ALTER TABLE orders DROP CONSTRAINT orders_total_check;"
        ));
        assert!(!fires(
            RULE,
            "ALTER TABLE orders DROP CONSTRAINT orders_pkey;"
        ));
        // A name that looks like a foreign key but is defined as something else.
        let findings = lint_up_down(
            "ALTER TABLE orders DROP CONSTRAINT total_fk;",
            "ALTER TABLE orders ADD CONSTRAINT total_fk CHECK (total >= 0) NOT VALID;",
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
        // Defined in an earlier migration of the run: without a database that table may be full
        // by the time the later migration runs, so the drop is reported; with a database that
        // does not have the table yet (a first deploy), both run together and it is new.
        let sources = [
            Source::plain(
                "1.sql",
                "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint CONSTRAINT buyer REFERENCES users (id));",
            ),
            Source::plain("2.sql", "ALTER TABLE orders DROP CONSTRAINT buyer;"),
        ];
        assert_eq!(of(&lint_with(&sources, &Options::default()), RULE).len(), 1);
        let first_deploy = Options {
            existing: Some(crate::source::Existing::default()),
            ..Options::default()
        };
        assert!(of(&lint_with(&sources, &first_deploy), RULE).is_empty());
        // Created earlier in the same file.
        assert!(!fires(
            RULE,
            "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders DROP CONSTRAINT orders_user_fk;"
        ));
        // A down dropping the key its own up added.
        let findings = lint_up_down(
            "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
            "ALTER TABLE orders DROP CONSTRAINT orders_user_fk;",
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
    }

    #[test]
    fn waived() {
        let findings = lint_up("-- strata:lint-ignore drop-foreign-key users move to the auth service; the id stays as a plain value\nALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;");
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
        assert!(of(&findings, "unused-waiver").is_empty(), "{findings:?}");
    }
}
