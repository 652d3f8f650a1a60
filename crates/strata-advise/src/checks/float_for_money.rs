//! `real` or `double precision` for an amount of money: binary floating point cannot hold 0.10
//! exactly, and sums drift by cents.

use crate::{Finding, Options, Severity, Snapshot};
use strata_core::quote_ident;

const MONEY: &[&str] = &[
    "price", "amount", "cost", "total", "balance", "fee", "salary", "tax", "subtotal", "payment",
    "revenue", "discount", "money", "wage", "charge",
];

pub fn is_money_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|part| {
            MONEY.contains(&part) || MONEY.iter().any(|m| part.strip_suffix('s') == Some(m))
        })
}

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    for table in &snapshot.tables {
        if table.partition {
            continue;
        }
        for column in &table.columns {
            if !matches!(column.base.as_str(), "float4" | "float8") || !is_money_name(&column.name)
            {
                continue;
            }
            out.push(Finding {
                rule: "float-for-money",
                severity: Severity::Warning,
                object: format!("{}.{}", table.display(), column.name),
                evidence: format!(
                    "{} is {} and its name says money: binary floating point rounds amounts (0.1 + 0.2 <> 0.3)",
                    column.name, column.type_name
                ),
                help: format!(
                    "store exact amounts: numeric with the scale of the currency, or integer cents:\nALTER TABLE {} ALTER COLUMN {} TYPE numeric(12,2);",
                    table.qualified(),
                    quote_ident(&column.name)
                ),
                fix: Vec::new(),
            });
        }
    }
}
