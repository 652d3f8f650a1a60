//! `domain-constraint`: `CREATE DOMAIN … CHECK`, and `ALTER DOMAIN` adding or validating a
//! constraint on an existing domain.
//!
//! `ALTER DOMAIN … ADD CONSTRAINT` (and `SET NOT NULL`) checks every row of every table with a
//! column of the domain, holding a SHARE lock on each of those tables for the whole scan: writes
//! to all of them wait. `NOT VALID` skips the scan, but unlike a table constraint, the later
//! `ALTER DOMAIN … VALIDATE CONSTRAINT` takes the same SHARE locks. So a constraint on a domain
//! cannot be added or changed later without blocking writes; `CREATE DOMAIN … CHECK` fires too,
//! because it creates exactly that constraint. Put the `CHECK` on the columns instead: a table's
//! constraint can be added `NOT VALID` and validated under SHARE UPDATE EXCLUSIVE, which lets
//! reads and writes go on.
//!
//! Locking rule: silent on a domain created earlier in the same file or run (no table has rows
//! of it yet), except the `CREATE DOMAIN` itself.

use super::{Hit, Object, SectionCx};
use crate::walk;
use pg_query::protobuf::{self, ConstrType};
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, statement) in cx.statements.iter().enumerate() {
        match &statement.node {
            NodeEnum::CreateDomainStmt(create) => {
                let domain = walk::names(&create.domainname).join(".");
                let Some(check) = constraints(&create.constraints)
                    .into_iter()
                    .find(|c| walk::is_constraint(c, ConstrType::ConstrCheck))
                else {
                    continue;
                };
                let d = walk::table_ident(&domain);
                let base = walk::type_sql(&create.type_name);
                let expr = check
                    .raw_expr
                    .as_deref()
                    .and_then(walk::expr_sql)
                    .unwrap_or_else(|| "…".to_owned());
                let column_expr = replace_value(&expr);
                hits.push(
                    Hit::at(
                        i,
                        format!("a CHECK on the domain {domain} can only be added or changed later with ALTER DOMAIN, which checks every column of the domain in every table while blocking writes to them"),
                    )
                    .location(check.location)
                    .lock(format!(
                        "none now; a later ALTER DOMAIN {d} ADD CONSTRAINT or VALIDATE CONSTRAINT takes SHARE on every table with a column of {d} while it checks every row (blocks writes)"
                    ))
                    .help(format!(
                        "keep the domain without the CHECK, and put the CHECK on each column, where it can later be changed NOT VALID then VALIDATE without blocking writes:\n\
                         CREATE DOMAIN {d} AS {base};\n\
                         <column> {d} CHECK ({column_expr})"
                    ))
                    .object(Object::Type(domain)),
                );
            }
            NodeEnum::AlterDomainStmt(alter) => {
                let domain = walk::names(&alter.type_name).join(".");
                let d = walk::table_ident(&domain);
                let what = match alter.subtype.as_str() {
                    // ADD CONSTRAINT, unless NOT VALID.
                    "C" => match crate::parse::inner(&alter.def) {
                        Some(NodeEnum::Constraint(c)) if !c.skip_validation => {
                            "ALTER DOMAIN … ADD CONSTRAINT"
                        }
                        _ => continue,
                    },
                    "O" => "ALTER DOMAIN … SET NOT NULL",
                    "V" => "ALTER DOMAIN … VALIDATE CONSTRAINT",
                    _ => continue,
                };
                let help = if alter.subtype == "V" {
                    format!(
                        "unlike a table's VALIDATE CONSTRAINT, a domain's blocks writes for the whole scan: run it when writes to the tables using {d} can wait, or move the constraint to those columns:\n\
                         ALTER TABLE <table> ADD CONSTRAINT <name> CHECK (…) NOT VALID;\n\
                         ALTER TABLE <table> VALIDATE CONSTRAINT <name>;"
                    )
                } else {
                    format!(
                        "put the constraint on the columns instead, one table at a time, without blocking writes:\n\
                         ALTER TABLE <table> ADD CONSTRAINT <name> CHECK (…) NOT VALID;\n\
                         ALTER TABLE <table> VALIDATE CONSTRAINT <name>;\n\
                         (ALTER DOMAIN {d} ADD … NOT VALID skips the check now, but its VALIDATE CONSTRAINT blocks writes the same way)"
                    )
                };
                hits.push(
                    Hit::at(
                        i,
                        format!("{what} checks every row of every table with a column of {domain}, blocking writes to all of them until it is done"),
                    )
                    .lock(format!(
                        "SHARE on every table with a column of {d} for a full scan of each (blocks writes)"
                    ))
                    .help(help)
                    .object(Object::Type(domain)),
                );
            }
            _ => {}
        }
    }
    hits
}

/// The expression with the word `VALUE` (any case, outside quotes) as `<column>`.
fn replace_value(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut quote: Option<char> = None;
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.eq_ignore_ascii_case("value") {
            out.push_str("<column>");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in expr.chars() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
        } else if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            if c == '\'' || c == '"' {
                quote = Some(c);
            }
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn constraints(list: &[protobuf::Node]) -> Vec<&protobuf::Constraint> {
    list.iter()
        .filter_map(|n| match n.node.as_ref() {
            Some(NodeEnum::Constraint(c)) => Some(c.as_ref()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::Severity;

    const RULE: &str = "domain-constraint";

    #[test]
    fn fires_on_the_dangerous_form() {
        for sql in [
            // Squawk's examples.
            "CREATE DOMAIN domain_name_3 AS NUMERIC(15,5) CHECK (value > 0);",
            "ALTER DOMAIN domain_name ADD CONSTRAINT constraint_name CHECK (value > 0);",
            "ALTER DOMAIN app.positive ADD CHECK (VALUE > 0);",
            "ALTER DOMAIN email SET NOT NULL;",
            "ALTER DOMAIN email VALIDATE CONSTRAINT email_format;",
        ] {
            assert!(fires(RULE, sql), "{sql}");
        }
        let findings = lint_up("CREATE DOMAIN positive AS integer CHECK (VALUE > 0);");
        let hit = of(&findings, RULE)[0];
        assert_eq!(hit.severity, Severity::Warning);
        assert_eq!(hit.column, 35, "points at the CHECK");
        assert_eq!(
            hit.help.as_deref(),
            Some("keep the domain without the CHECK, and put the CHECK on each column, where it can later be changed NOT VALID then VALIDATE without blocking writes:\nCREATE DOMAIN positive AS integer;\n<column> positive CHECK (<column> > 0)")
        );
    }

    #[test]
    fn does_not_fire() {
        for sql in [
            "CREATE DOMAIN email AS text;",
            "CREATE DOMAIN email AS text NOT NULL;",
            "ALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0) NOT VALID;",
            "ALTER DOMAIN positive DROP CONSTRAINT positive_check;",
            "ALTER DOMAIN positive SET DEFAULT 1;",
            "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;",
        ] {
            assert!(!fires(RULE, sql), "{sql}");
        }
        // A domain created earlier in the same file: no table has rows of it yet.
        let findings = lint_up(
            "CREATE DOMAIN positive AS integer;\nALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0);",
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
    }

    #[test]
    fn waived() {
        let findings = lint_up("-- strata:lint-ignore domain-constraint only the empty audit tables use this domain\nALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0);");
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
    }
}
