//! `require-table-schema` (opt-in): `CREATE TABLE` (or `CREATE TABLE … AS`), `ALTER TABLE` or
//! `DROP TABLE` with a table name that is not schema-qualified.
//!
//! An unqualified name goes into the first schema of the `search_path` of whoever runs the
//! migration — which depends on the role, the database's and the role's settings, and
//! `PGOPTIONS`. The same migration can create the table in `public` on one server and in a
//! per-user schema on another, and later migrations that name `app.orders` then miss it; an
//! unqualified `ALTER TABLE` or `DROP TABLE` changes whichever table of that name the path finds
//! first. Naming the schema makes the migration mean one thing everywhere.
//!
//! Temporary tables are not checked (they live in their own schema). Off by default: turn it on
//! in `[lint]` with `"require-table-schema" = "warning"` (or `"on"`). Design rule: not in a down
//! section.

use super::{Hit, SectionCx};
use crate::walk;
use pg_query::protobuf::{ObjectType, RangeVar, RenameStmt};
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    if cx.is_down() {
        return hits;
    }
    for (i, statement) in cx.statements.iter().enumerate() {
        match &statement.node {
            NodeEnum::AlterTableStmt(alter) if alter.objtype == ObjectType::ObjectTable as i32 => {
                if let Some(relation) = alter.relation.as_ref() {
                    if relation.schemaname.is_empty() {
                        hits.push(refers(i, "ALTER TABLE", relation));
                    }
                }
                continue;
            }
            // `ALTER TABLE … RENAME [COLUMN | CONSTRAINT] …` and `ALTER TABLE … SET SCHEMA`
            // parse as statements of their own.
            NodeEnum::RenameStmt(rename) if renames_in_table(rename) => {
                if let Some(relation) = rename.relation.as_ref() {
                    if relation.schemaname.is_empty() {
                        hits.push(refers(i, "ALTER TABLE", relation));
                    }
                }
                continue;
            }
            NodeEnum::AlterObjectSchemaStmt(alter)
                if alter.object_type == ObjectType::ObjectTable as i32 =>
            {
                if let Some(relation) = alter.relation.as_ref() {
                    if relation.schemaname.is_empty() {
                        hits.push(refers(i, "ALTER TABLE", relation));
                    }
                }
                continue;
            }
            NodeEnum::DropStmt(drop) if drop.remove_type == ObjectType::ObjectTable as i32 => {
                for object in &drop.objects {
                    let names = match object.node.as_ref() {
                        Some(NodeEnum::List(list)) => walk::names(&list.items),
                        _ => continue,
                    };
                    if let [name] = names.as_slice() {
                        let name = walk::ident(name);
                        hits.push(
                            Hit::at(i, format!("DROP TABLE {name} names no schema: it drops whichever table of that name the search_path of whoever runs the migration finds first"))
                                .help(format!("name the schema, e.g. DROP TABLE public.{name};")),
                        );
                    }
                }
                continue;
            }
            _ => {}
        }
        let (relation, what) = match &statement.node {
            NodeEnum::CreateStmt(create) => (create.relation.as_ref(), "CREATE TABLE"),
            NodeEnum::CreateTableAsStmt(create) if !create.is_select_into => (
                create.into.as_ref().and_then(|into| into.rel.as_ref()),
                "CREATE TABLE … AS",
            ),
            _ => continue,
        };
        let Some(relation) = relation else {
            continue;
        };
        if !relation.schemaname.is_empty() || temporary(relation) {
            continue;
        }
        let name = walk::ident(&relation.relname);
        hits.push(
            Hit::at(
                i,
                format!("{what} {name} names no schema: the table goes to the first schema of the search_path of whoever runs the migration"),
            )
            .location(relation.location)
            .help(format!("name the schema, e.g. public.{name} (and in the statements that use the table)"))
            .table(relation.relname.clone()),
        );
    }
    hits
}

/// `ALTER TABLE t RENAME TO …`, `… RENAME COLUMN …`, `… RENAME CONSTRAINT …` (not an index's,
/// a view's or another object's).
fn renames_in_table(rename: &RenameStmt) -> bool {
    let table = ObjectType::ObjectTable as i32;
    rename.rename_type == table
        || rename.rename_type == ObjectType::ObjectTabconstraint as i32
        || (rename.relation_type == table && rename.rename_type == ObjectType::ObjectColumn as i32)
}

/// A statement that refers to an existing table by an unqualified name.
fn refers(i: usize, what: &str, relation: &RangeVar) -> Hit {
    let name = walk::ident(&relation.relname);
    Hit::at(
        i,
        format!("{what} {name} names no schema: it changes whichever table of that name the search_path of whoever runs the migration finds first"),
    )
    .location(relation.location)
    .help(format!("name the schema, e.g. {what} public.{name} …"))
    .table(relation.relname.clone())
}

fn temporary(relation: &RangeVar) -> bool {
    relation.relpersistence == "t"
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};
    use crate::Severity;

    const RULE: &str = "require-table-schema";

    fn enabled(sql: &str) -> Vec<crate::Finding> {
        let mut options = Options::default();
        options
            .levels
            .insert(RULE.to_owned(), Some(Severity::Warning));
        lint_with(&[Source::plain("m.sql", sql)], &options)
    }

    #[test]
    fn off_by_default() {
        assert!(!fires(RULE, "create table posts(id bigint);"));
    }

    #[test]
    fn fires_when_enabled() {
        // Squawk's examples.
        for sql in [
            "create table posts(id bigint);",
            "create table posts as select 1;",
        ] {
            assert_eq!(of(&enabled(sql), RULE).len(), 1, "{sql}");
        }
        // An existing table by an unqualified name: whichever the search_path finds.
        let findings = enabled("ALTER TABLE posts ADD COLUMN name text;\nDROP TABLE public.a, b;\nALTER TABLE posts RENAME COLUMN a TO b;\nALTER TABLE posts RENAME CONSTRAINT a TO b;\nALTER TABLE posts RENAME TO articles;\nALTER TABLE articles SET SCHEMA app;");
        let hits = of(&findings, RULE);
        assert_eq!(hits.len(), 6, "{findings:?}");
        assert!(hits[2..]
            .iter()
            .all(|h| h.message.starts_with("ALTER TABLE ")));
        assert_eq!((hits[0].line, hits[0].column), (1, 13));
        assert!(hits[0]
            .message
            .starts_with("ALTER TABLE posts names no schema"));
        assert_eq!(hits[1].line, 2);
        assert!(hits[1].message.starts_with("DROP TABLE b names no schema"));
        let findings = enabled("CREATE TABLE IF NOT EXISTS \"Posts\" (id bigint);");
        let hit = of(&findings, RULE)[0];
        assert_eq!(hit.severity, Severity::Warning);
        assert_eq!(hit.column, 28, "points at the name");
        assert!(hit
            .help
            .as_deref()
            .unwrap()
            .starts_with("name the schema, e.g. public.\"Posts\""));
    }

    #[test]
    fn does_not_fire() {
        for sql in [
            "create table public.posts(id bigint);",
            "create table public.posts as select 1;",
            "CREATE TEMP TABLE scratch (id bigint);",
            "ALTER TABLE public.posts ADD COLUMN name text;",
            "DROP TABLE public.posts;",
            "ALTER INDEX posts_idx RENAME TO posts_name_idx;",
            "ALTER VIEW v RENAME COLUMN a TO b;",
            "ALTER TABLE public.posts RENAME COLUMN a TO b;",
            "ALTER TABLE public.posts SET SCHEMA app;",
        ] {
            assert!(of(&enabled(sql), RULE).is_empty(), "{sql}");
        }
    }

    #[test]
    fn waived() {
        let findings = enabled("-- strata:lint-ignore require-table-schema the test fixtures run with search_path = test\nCREATE TABLE fixtures (id bigint PRIMARY KEY);");
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
        assert!(of(&findings, "unused-waiver").is_empty(), "{findings:?}");
    }
}
