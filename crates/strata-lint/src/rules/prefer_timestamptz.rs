//! `prefer-timestamptz`: a column of type `timestamp` (`timestamp without time zone`), new tables
//! too.
//!
//! `timestamp` stores a wall-clock reading with no zone: `now()` is converted to the session's
//! time zone and the zone thrown away, so the same instant written from an application server in
//! UTC and a `psql` session in Europe/Paris is stored as two values an hour apart, and an hour of
//! readings repeats every autumn. `timestamptz` stores the instant (in UTC) and converts on the way
//! out; it takes the same 8 bytes. Keep `timestamp` only for a civil time that is deliberately
//! zone-less (an alarm at 07:00 wherever the user is) — then waive it and say so.
//!
//! Design rule: not in a down section, which restores what an earlier migration defined.

use super::{Hit, SectionCx};
use crate::walk;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    if cx.is_down() {
        return hits;
    }
    for (i, statement) in cx.statements.iter().enumerate() {
        for site in walk::column_sites(&statement.node) {
            if walk::type_base(&site.def.type_name) != "timestamp" {
                continue;
            }
            // `timestamp(3)` → `timestamptz(3)`, arrays stay arrays.
            let written = walk::type_sql(&site.def.type_name);
            let better = written.replacen("timestamp", "timestamptz", 1);
            let using = format!("{} AT TIME ZONE 'UTC'", walk::ident(site.name));
            hits.push(
                Hit::at(
                    i,
                    format!(
                        "{}.{} is {written} without time zone: it stores a wall-clock reading, so the same instant written from sessions in different time zones is stored as different values",
                        site.table, site.name
                    ),
                )
                .location(site.location())
                .help(format!(
                    "use timestamptz, which stores the instant (same 8 bytes):\n{}",
                    walk::column_with_type(&site, &better, Some(&using))
                ))
                .table(site.table.clone()),
            );
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;

    const RULE: &str = "prefer-timestamptz";

    #[test]
    fn fires_on_timestamp_columns() {
        assert!(fires(
            RULE,
            "CREATE TABLE t (id bigint PRIMARY KEY, created_at timestamp NOT NULL DEFAULT now());"
        ));
        assert!(fires(
            RULE,
            "CREATE TABLE t (id bigint PRIMARY KEY, created_at TIMESTAMP WITHOUT TIME ZONE);"
        ));
        assert!(fires(
            RULE,
            "ALTER TABLE t ADD COLUMN seen_at timestamp(3);"
        ));
        assert!(fires(
            RULE,
            "ALTER TABLE t ALTER COLUMN seen_at TYPE timestamp;"
        ));
        assert!(fires(
            RULE,
            "CREATE TABLE t (id bigint PRIMARY KEY, stamps timestamp[]);"
        ));
        let findings = lint_up("ALTER TABLE t ADD COLUMN seen_at timestamp(3);");
        assert_eq!(
            of(&findings, RULE)[0].help.as_deref(),
            Some("use timestamptz, which stores the instant (same 8 bytes):\nALTER TABLE t ADD COLUMN seen_at timestamptz(3);")
        );
        let findings = lint_up("ALTER TABLE t ALTER COLUMN seen_at TYPE timestamp;");
        assert!(of(&findings, RULE)[0]
            .help
            .as_deref()
            .unwrap()
            .ends_with("TYPE timestamptz USING seen_at AT TIME ZONE 'UTC';"));
    }

    #[test]
    fn does_not_fire() {
        assert!(!fires(RULE, "CREATE TABLE t (id bigint PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());"));
        assert!(!fires(
            RULE,
            "CREATE TABLE t (id bigint PRIMARY KEY, created_at timestamp with time zone);"
        ));
        assert!(!fires(
            RULE,
            "CREATE TABLE t (id bigint PRIMARY KEY, day date, at time);"
        ));
        assert!(!fires(RULE, "SELECT now()::timestamp;"));
        let findings = lint_up_down(
            "ALTER TABLE t ALTER COLUMN seen_at TYPE timestamptz;",
            "ALTER TABLE t ALTER COLUMN seen_at TYPE timestamp;",
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "CREATE TABLE orders (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  created_at timestamp NOT NULL DEFAULT now()\n);\n"
        ));
    }
}
