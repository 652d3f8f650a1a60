//! `enum-value-ordering`: `ALTER TYPE … ADD VALUE` without `BEFORE` or `AFTER`, on an existing
//! enum.
//!
//! An enum's values are ordered, and queries use that order: `status < 'approved'`,
//! `ORDER BY status`, `max(status)`, range partitions and CHECKs that compare. A value added
//! without `BEFORE`/`AFTER` goes last — after `rejected`, `archived` or whatever ends the list —
//! so those queries silently treat it as greater than every existing value, which is rarely what
//! a workflow state means. Saying where it belongs (`AFTER` the last value, when last is right)
//! makes the order a decision someone reviewed.
//!
//! Destructive rule (what breaks is queries on existing data): silent on an enum created earlier
//! in the same file or run.

use super::{Hit, Object, SectionCx};
use crate::walk;
use pg_query::NodeEnum;
use strata_core::quote_literal;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, statement) in cx.statements.iter().enumerate() {
        let NodeEnum::AlterEnumStmt(alter) = &statement.node else {
            continue;
        };
        // RENAME VALUE has an old value; ADD VALUE … BEFORE/AFTER a neighbor.
        if !alter.old_val.is_empty() || !alter.new_val_neighbor.is_empty() {
            continue;
        }
        let name = walk::names(&alter.type_name).join(".");
        let t = walk::table_ident(&name);
        let value = quote_literal(&alter.new_val);
        let if_not_exists = if alter.skip_if_new_val_exists {
            " IF NOT EXISTS"
        } else {
            ""
        };
        let after_last =
            format!("ALTER TYPE {t} ADD VALUE{if_not_exists} {value} AFTER '<the last value>';");
        hits.push(
            Hit::at(
                i,
                format!("ADD VALUE without BEFORE or AFTER puts {value} last in the order of {name}: queries that compare or sort by it ({name} < '…', ORDER BY, max()) now treat it as greater than every existing value"),
            )
            .help(format!(
                "say where {value} belongs in the order:\n\
                 ALTER TYPE {t} ADD VALUE{if_not_exists} {value} BEFORE '<value>';\n\
                 or, when last is right, say so:\n{after_last}"
            ))
            .object(Object::Type(name)),
        );
    }
    hits
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::Severity;

    const RULE: &str = "enum-value-ordering";

    #[test]
    fn fires_without_before_or_after() {
        // Squawk's example.
        assert!(fires(RULE, "ALTER TYPE status ADD VALUE 'pending_review';"));
        assert!(fires(
            RULE,
            "ALTER TYPE app.status ADD VALUE IF NOT EXISTS 'pending_review';"
        ));
        let findings = lint_up("ALTER TYPE status ADD VALUE 'pending_review';");
        let hit = of(&findings, RULE)[0];
        assert_eq!(hit.severity, Severity::Warning);
        assert!(hit
            .help
            .as_deref()
            .unwrap()
            .contains("AFTER '<the last value>';"));
    }

    #[test]
    fn does_not_fire() {
        for sql in [
            "ALTER TYPE status ADD VALUE 'pending_review' BEFORE 'approved';",
            "ALTER TYPE status ADD VALUE 'pending_review' AFTER 'submitted';",
            "ALTER TYPE status RENAME VALUE 'pending' TO 'pending_review';",
            "ALTER TYPE status RENAME TO state;",
        ] {
            assert!(!fires(RULE, sql), "{sql}");
        }
        // Created earlier in the same file.
        assert!(!fires(
            RULE,
            "CREATE TYPE status AS ENUM ('draft', 'submitted');\nALTER TYPE status ADD VALUE 'approved';"
        ));
    }

    #[test]
    fn waived() {
        let findings = lint_up("-- strata:lint-ignore enum-value-ordering nothing compares or sorts by status\nALTER TYPE status ADD VALUE 'archived';");
        assert!(findings.is_empty(), "{findings:?}");
    }
}
