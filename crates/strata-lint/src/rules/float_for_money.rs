//! `float-for-money`: `real`, `double precision` or `float(n)` on a column whose name says money
//! (`price`, `amount`, `total`, `fee`, …), new tables too.
//!
//! Binary floating point cannot hold most decimal fractions: 0.1 + 0.2 is 0.30000000000000004,
//! sums drift by a cent here and there, and equality tests on amounts fail. `numeric(p, s)` is
//! exact decimal arithmetic; an integer count of the smallest unit (cents) is exact and fast.
//!
//! The name is split into words at `_`, digits and camelCase humps (`unit_price`, `totalAmount`,
//! `fee2`); a word matches when it is one of price, amount, cost, total, balance, fee, salary,
//! money, tax, revenue, paid, charge, wage, budget (or its plural), or ends in one of the longer
//! ones (`subtotal`, `unitprice`, `prepaid`). Design rule: not in a down section, which restores
//! what an earlier migration defined.

use super::{Hit, SectionCx};
use crate::walk;

/// Words that name money.
const MONEY: &[&str] = &[
    "price", "amount", "cost", "total", "balance", "fee", "salary", "money", "tax", "revenue",
    "paid", "charge", "wage", "budget",
];

/// Of those, the ones long enough to match at the end of a longer word without false hits
/// (`coffee`, `syntax`, `accost`, `discharge` are not money).
const MONEY_SUFFIXES: &[&str] = &[
    "price", "amount", "total", "salary", "money", "revenue", "paid", "budget",
];

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    if cx.is_down() {
        return hits;
    }
    for (i, statement) in cx.statements.iter().enumerate() {
        for site in walk::column_sites(&statement.node) {
            let base = walk::type_base(&site.def.type_name);
            if !matches!(base.as_str(), "float4" | "float8") || !is_money(site.name) {
                continue;
            }
            let written = walk::type_sql(&site.def.type_name);
            hits.push(
                Hit::at(
                    i,
                    format!(
                        "{}.{} looks like money but is {written}: binary floating point cannot hold most decimal amounts exactly (0.1 + 0.2 = 0.30000000000000004), so sums drift by cents",
                        site.table, site.name
                    ),
                )
                .location(site.location())
                .help(format!(
                    "use exact decimal arithmetic:\n{}\nor an integer count of cents (bigint)",
                    walk::column_with_type(&site, "numeric(12, 2)", None)
                ))
                .table(site.table.clone()),
            );
        }
    }
    hits
}

/// Whether a column name says money, word by word.
pub fn is_money(name: &str) -> bool {
    words(name).iter().any(|word| {
        MONEY.iter().any(|m| {
            word == m
                || word.strip_suffix('s') == Some(m)
                || word.strip_suffix("es") == Some(m)
                || (*m == "salary" && word == "salaries")
        }) || MONEY_SUFFIXES.iter().any(|m| word.ends_with(m))
    })
}

/// The words of an identifier, lower case: split at non-letters and at a lower-to-upper change.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphabetic() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{is_money, words};
    use crate::rules::test_support::*;

    const RULE: &str = "float-for-money";

    #[test]
    fn money_names() {
        assert_eq!(words("totalAmount"), ["total", "amount"]);
        assert_eq!(words("unit_price2"), ["unit", "price"]);
        assert_eq!(words("HTTPFee"), ["httpfee"]);
        for name in [
            "price",
            "unit_price",
            "totalAmount",
            "\"Total\"",
            "fees",
            "tax_rate_taxes",
            "subtotal",
            "prepaid",
            "salaries",
            "shipping_cost",
            "ChargeAmount",
            "account_balance",
            "WAGE",
            "budget_eur",
            "revenue",
            "money_in",
            "amount_paid",
        ] {
            assert!(is_money(name.trim_matches('"')), "{name}");
        }
        for name in [
            "latitude",
            "coffee",
            "syntax",
            "accost",
            "discharge_rate",
            "weight",
            "score",
            "taxonomy",
            "feedback",
            "costume",
            "ratio",
        ] {
            assert!(!is_money(name), "{name}");
        }
    }

    #[test]
    fn fires_on_floats_named_like_money() {
        for sql in [
            "CREATE TABLE items (id bigint PRIMARY KEY, unit_price double precision NOT NULL);",
            "CREATE TABLE items (id bigint PRIMARY KEY, \"totalAmount\" real);",
            "CREATE TABLE items (id bigint PRIMARY KEY, fee float);",
            "CREATE TABLE items (id bigint PRIMARY KEY, fee float(24));",
            "ALTER TABLE items ADD COLUMN tax float8;",
            "ALTER TABLE items ALTER COLUMN cost TYPE float4;",
        ] {
            assert!(fires(RULE, sql), "{sql}");
        }
        let findings = lint_up("ALTER TABLE items ADD COLUMN tax float8;");
        assert_eq!(
            of(&findings, RULE)[0].help.as_deref(),
            Some("use exact decimal arithmetic:\nALTER TABLE items ADD COLUMN tax numeric(12, 2);\nor an integer count of cents (bigint)")
        );
    }

    #[test]
    fn does_not_fire() {
        for sql in [
            "CREATE TABLE items (id bigint PRIMARY KEY, unit_price numeric(12, 2) NOT NULL);",
            "CREATE TABLE items (id bigint PRIMARY KEY, price_cents bigint);",
            "CREATE TABLE places (id bigint PRIMARY KEY, latitude double precision, weight real);",
        ] {
            assert!(!fires(RULE, sql), "{sql}");
        }
        let findings = lint_up_down(
            "ALTER TABLE items ALTER COLUMN cost TYPE numeric(12, 2);",
            "ALTER TABLE items ALTER COLUMN cost TYPE double precision;",
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "CREATE TABLE invoices (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  total_amount double precision NOT NULL\n);\n"
        ));
    }
}
