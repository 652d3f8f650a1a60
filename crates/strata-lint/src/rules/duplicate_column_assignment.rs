//! `duplicate-column-assignment`: a column assigned or declared twice in one statement —
//! `UPDATE … SET a = 1, a = 2`, `INSERT INTO t (a, a)`, `ON CONFLICT … DO UPDATE SET`, `MERGE`,
//! `CREATE TABLE t (a int, a text)`, `CREATE VIEW v (a, a)`.
//!
//! PostgreSQL rejects these when the statement runs ("multiple assignments to same column",
//! "column specified more than once"), so the migration fails at deploy time — usually a
//! copy-paste slip that review missed because both lines look plausible. Outside a transaction,
//! the statements before it stay applied. Assigning different fields or array elements of one
//! column (`SET a[1] = 1, a[2] = 2`) is allowed and not reported.

use super::{Hit, SectionCx};
use crate::walk;
use pg_query::protobuf::{self, Node};
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, statement) in cx.statements.iter().enumerate() {
        let mut lists: Vec<(&str, Vec<Target<'_>>)> = Vec::new();
        match &statement.node {
            NodeEnum::UpdateStmt(update) => {
                lists.push(("UPDATE … SET", targets(&update.target_list)))
            }
            NodeEnum::InsertStmt(insert) => {
                lists.push(("the INSERT column list", targets(&insert.cols)));
                if let Some(conflict) = &insert.on_conflict_clause {
                    lists.push((
                        "ON CONFLICT … DO UPDATE SET",
                        targets(&conflict.target_list),
                    ));
                }
            }
            NodeEnum::MergeStmt(merge) => {
                for clause in &merge.merge_when_clauses {
                    if let Some(NodeEnum::MergeWhenClause(when)) = clause.node.as_ref() {
                        lists.push(("MERGE … WHEN", targets(&when.target_list)));
                    }
                }
            }
            NodeEnum::CreateStmt(create) => {
                let columns = walk::create_table_parts(create)
                    .0
                    .into_iter()
                    .map(|c| Target {
                        name: &c.colname,
                        whole: true,
                        location: c.location,
                    })
                    .collect();
                lists.push(("CREATE TABLE", columns));
            }
            NodeEnum::ViewStmt(view) => {
                let aliases = view
                    .aliases
                    .iter()
                    .filter_map(walk::string_value)
                    .map(|name| Target {
                        name,
                        whole: true,
                        location: -1,
                    })
                    .collect();
                lists.push(("the view's column list", aliases));
            }
            _ => continue,
        }
        for (what, list) in lists {
            for (at, target) in list.iter().enumerate() {
                let Some(first) = list[..at].iter().find(|t| t.name == target.name) else {
                    continue;
                };
                if first.whole || target.whole {
                    let c = walk::ident(target.name);
                    hits.push(
                        Hit::at(
                            i,
                            format!("{c} appears twice in {what}: PostgreSQL rejects the statement, so the migration fails here"),
                        )
                        .location(target.location)
                        .help(format!("keep one {c} (the one with the value you mean) and remove the other")),
                    );
                }
            }
        }
    }
    hits
}

/// A column named in an assignment or column list; `whole` unless only a field or element of it.
struct Target<'a> {
    name: &'a str,
    whole: bool,
    location: i32,
}

fn targets(list: &[Node]) -> Vec<Target<'_>> {
    list.iter()
        .filter_map(|n| match n.node.as_ref() {
            Some(NodeEnum::ResTarget(t)) => Some(target(t)),
            _ => None,
        })
        .collect()
}

fn target(t: &protobuf::ResTarget) -> Target<'_> {
    Target {
        name: &t.name,
        whole: t.indirection.is_empty(),
        location: t.location,
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::Severity;

    const RULE: &str = "duplicate-column-assignment";

    #[test]
    fn fires_on_the_dangerous_form() {
        for sql in [
            // Squawk's examples.
            "create table t(a int, a text);",
            "create view v (a, a) as select 1, 2;",
            "update t set a = 1, a = 2;",
            "UPDATE t SET (a, b) = (1, 2), a = 3 WHERE id = 1;",
            "INSERT INTO t (a, b, a) VALUES (1, 2, 3);",
            "INSERT INTO t (id, a) VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET a = 1, a = excluded.a;",
            "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a, a = 0;",
            "UPDATE t SET tags = '{}', tags[1] = 'x';",
        ] {
            assert!(fires(RULE, sql), "{sql}");
        }
        let sql = "UPDATE accounts SET plan = 'free',\n  plan = 'pro' WHERE id = 1;";
        let findings = lint_up(sql);
        let hit = of(&findings, RULE)[0];
        assert_eq!(hit.severity, Severity::Error);
        assert_eq!(
            (hit.line, hit.column),
            (2, 3),
            "points at the second assignment"
        );
        assert_eq!(
            hit.message,
            "plan appears twice in UPDATE … SET: PostgreSQL rejects the statement, so the migration fails here"
        );
        // In a down too: it fails there the same way.
        let findings = lint_up_down(
            "ALTER TABLE t ADD COLUMN b int;",
            "UPDATE t SET a = 1, a = 2;\nALTER TABLE t DROP COLUMN b;",
        );
        assert_eq!(of(&findings, RULE).len(), 1);
    }

    #[test]
    fn does_not_fire() {
        for sql in [
            "create table t(a int);",
            "create view v (a, b) as select 1, 2;",
            "update t set a = 2;",
            "UPDATE t SET a = 1, b = 2;",
            "INSERT INTO t (a, b) VALUES (1, 2);",
            // Different elements and fields of one column are fine.
            "UPDATE t SET tags[1] = 'a', tags[2] = 'b';",
            "UPDATE t SET point.x = 1, point.y = 2;",
            "INSERT INTO t (tags[1], tags[2]) VALUES ('a', 'b');",
        ] {
            assert!(!fires(RULE, sql), "{sql}");
        }
    }

    #[test]
    fn waived() {
        let findings = lint_up("-- strata:lint-ignore duplicate-column-assignment kept to show the failure in the docs\nUPDATE t SET a = 1, a = 2;");
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
    }
}
