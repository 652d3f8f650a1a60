//! `prefer-jsonb`: a column of type `json` (in `CREATE TABLE`, `ADD COLUMN`, `ALTER COLUMN …
//! TYPE`), new tables too.
//!
//! `json` stores the text as written and parses it again on every access. It has no equality
//! operator, so a `json` column cannot be in `DISTINCT`, `GROUP BY`, `UNION` or a unique index, and
//! it cannot have a GIN index for `@>` / `?` lookups. `jsonb` is parsed once, compares, indexes,
//! and is what every JSON operator is fast on. Keep `json` only where the exact text (key order,
//! duplicate keys, whitespace) must survive — then waive it and say so.
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
            if walk::type_base(&site.def.type_name) != "json" {
                continue;
            }
            let arrays = site
                .def
                .type_name
                .as_ref()
                .map_or(0, |t| t.array_bounds.len());
            let jsonb = format!("jsonb{}", "[]".repeat(arrays));
            hits.push(
                Hit::at(
                    i,
                    format!(
                        "{}.{} is json: re-parsed on every access, not comparable (no DISTINCT, GROUP BY or unique index) and not GIN-indexable",
                        site.table, site.name
                    ),
                )
                .location(site.location())
                .help(format!(
                    "use jsonb:\n{}",
                    walk::column_with_type(&site, &jsonb, None)
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

    const RULE: &str = "prefer-jsonb";

    #[test]
    fn fires_on_json_columns() {
        assert!(fires(
            RULE,
            "CREATE TABLE events (id bigint PRIMARY KEY, payload json NOT NULL);"
        ));
        assert!(fires(RULE, "ALTER TABLE events ADD COLUMN meta JSON;"));
        assert!(fires(
            RULE,
            "ALTER TABLE events ADD COLUMN meta pg_catalog.json DEFAULT '{}';"
        ));
        assert!(fires(
            RULE,
            "ALTER TABLE events ALTER COLUMN meta TYPE json USING meta::json;"
        ));
        assert!(fires(
            RULE,
            "CREATE TABLE t (id bigint PRIMARY KEY, docs json[]);"
        ));
        // New tables too, every column, pointing at the column.
        let findings =
            lint_up("CREATE TABLE t (\n  id bigint PRIMARY KEY,\n  a json,\n  b json\n);");
        let hits = of(&findings, RULE);
        assert_eq!(hits.len(), 2);
        assert_eq!((hits[0].line, hits[0].column), (3, 3));
        assert_eq!(hits[1].help.as_deref(), Some("use jsonb:\nb jsonb"));
    }

    #[test]
    fn does_not_fire() {
        assert!(!fires(
            RULE,
            "CREATE TABLE events (id bigint PRIMARY KEY, payload jsonb NOT NULL);"
        ));
        assert!(!fires(
            RULE,
            "ALTER TABLE events ALTER COLUMN meta TYPE jsonb USING meta::jsonb;"
        ));
        assert!(!fires(RULE, "SELECT '{}'::json;"));
        assert!(!fires(
            RULE,
            "CREATE TABLE t (id bigint PRIMARY KEY, j_son text);"
        ));
        // A down restores what was there before.
        let findings = lint_up_down(
            "ALTER TABLE events ALTER COLUMN meta TYPE jsonb USING meta::jsonb;",
            "ALTER TABLE events ALTER COLUMN meta TYPE json USING meta::json;",
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "CREATE TABLE webhooks (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  payload json NOT NULL\n);\nALTER TABLE events ALTER COLUMN meta TYPE json;\n"
        ));
    }
}
