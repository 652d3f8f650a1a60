//! `unbatched-backfill`: `UPDATE` or `DELETE` without `WHERE` on an existing table.
//!
//! One statement over the whole table runs in the migration's one transaction: every row it
//! touches stays locked until the migration commits (concurrent writes to them wait), every
//! updated row leaves a dead copy behind (table and index bloat until VACUUM catches up), and the
//! whole change reaches replicas as one burst of WAL (replication lag). Batches by primary key
//! range, each committed on its own, keep every one of those small.
//!
//! Fires on `UPDATE`/`DELETE` without `WHERE` only. With a `WHERE` the linter cannot tell how many
//! rows match (`WHERE flag IS NULL` may be all of them), so it stays silent rather than guess —
//! even with row estimates at hand. Silent on tables created earlier in the file or run; `info`
//! on tables under `small_table_rows` (the driver).

use super::{Hit, SectionCx};
use crate::locks::LockLevel;
use crate::walk;
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, statement) in cx.statements.iter().enumerate() {
        let (verb, relation, has_returning) = match &statement.node {
            NodeEnum::UpdateStmt(s) if s.where_clause.is_none() => {
                ("UPDATE", &s.relation, s.returning_clause.is_some())
            }
            NodeEnum::DeleteStmt(s) if s.where_clause.is_none() => {
                ("DELETE", &s.relation, s.returning_clause.is_some())
            }
            _ => continue,
        };
        let table = walk::table_name(relation);
        let lock = LockLevel::RowExclusive;
        let help = if has_returning {
            batched_help(verb, &table, None)
        } else {
            batched_help(verb, &table, Some(&statement.sql))
        };
        hits.push(
            Hit::at(
                i,
                format!(
                    "{verb} without WHERE changes every row of {table} in one transaction: \
                     the rows stay locked until the migration commits, and the dead rows and WAL \
                     arrive all at once (bloat, replication lag)"
                ),
            )
            .lock(format!(
                "{} on {table}, plus a lock on every row it changes until the migration commits (concurrent writes to them wait)",
                lock.name()
            ))
            .help(help)
            .table(table),
        );
    }
    hits
}

/// The statement in batches by primary key range, each committed on its own.
fn batched_help(verb: &str, table: &str, sql: Option<&str>) -> String {
    let t = walk::table_ident(table);
    let batch = match (verb, sql) {
        ("UPDATE", Some(sql)) => format!("{sql}\n  WHERE id >= $1 AND id < $1 + 10000;"),
        ("UPDATE", None) => format!("UPDATE {t} SET … WHERE id >= $1 AND id < $1 + 10000;"),
        _ => format!("DELETE FROM {t} WHERE id IN (SELECT id FROM {t} ORDER BY id LIMIT 10000);"),
    };
    let also = if verb == "DELETE" {
        "\nto empty a table nobody reads any more, TRUNCATE is instant (but takes ACCESS EXCLUSIVE)"
    } else {
        ""
    };
    format!(
        "run it in batches by primary key, committing each one (`strata backfill` does this), \
         outside this migration:\n{batch}{also}"
    )
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};
    use crate::Severity;

    const RULE: &str = "unbatched-backfill";

    #[test]
    fn fires_without_where() {
        assert!(fires(RULE, "UPDATE users SET status = 'active';"));
        assert!(fires(
            RULE,
            "update app.users u set status = lower(u.status) returning u.id;"
        ));
        assert!(fires(RULE, "DELETE FROM sessions;"));
        assert!(fires(
            RULE,
            "WITH x AS (SELECT 1) DELETE FROM app.sessions;"
        ));
        // A down that empties a table it did not create.
        let findings = lint_up_down(
            "ALTER TABLE users ADD COLUMN flag bool;",
            "UPDATE users SET status = NULL;",
        );
        assert_eq!(of(&findings, RULE).len(), 1);
    }

    #[test]
    fn does_not_fire() {
        assert!(!fires(
            RULE,
            "UPDATE users SET status = 'active' WHERE id BETWEEN 1 AND 10000;"
        ));
        assert!(!fires(
            RULE,
            "DELETE FROM sessions WHERE expires_at < now();"
        ));
        assert!(!fires(RULE, "TRUNCATE sessions;"));
        assert!(!fires(RULE, "INSERT INTO settings VALUES ('a', 'b');"));
        // A table created in this file holds nothing anyone waits on.
        assert!(!fires(
            RULE,
            "CREATE TABLE flags (id bigint PRIMARY KEY, on_ bool);\nINSERT INTO flags VALUES (1, true);\nUPDATE flags SET on_ = false;"
        ));
    }

    #[test]
    fn small_tables_are_info() {
        let options = Options {
            table_rows: Some([("users".to_owned(), 500.0)].into_iter().collect()),
            ..Options::default()
        };
        let findings = lint_with(
            &[Source::plain(
                "m.sql",
                "UPDATE users SET status = 'active';",
            )],
            &options,
        );
        assert_eq!(of(&findings, RULE)[0].severity, Severity::Info);
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "ALTER TABLE users ADD COLUMN status text;\nUPDATE users SET status = 'active';\n"
        ));
    }

    #[test]
    fn human_output_delete() {
        insta::assert_snapshot!(human(RULE, "DELETE FROM audit_log;\n"));
    }
}
