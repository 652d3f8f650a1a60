//! Constraints as validation: a text column whose sampled values (at least `--min-rows` rows)
//! fall in a small set, with no CHECK, enum or foreign key to keep them there. A typo in one
//! writer becomes a new "status" nobody handles.

use crate::model::count;
use crate::{Finding, Options, Severity, Snapshot};
use std::collections::BTreeMap;
use strata_core::{quote_ident, quote_literal};

const MAX_VALUES: usize = 10;

pub fn check(snapshot: &Snapshot, options: &Options, out: &mut Vec<Finding>) {
    for (table, _) in super::sampled_tables(snapshot, options) {
        for (n, column) in table.columns.iter().enumerate() {
            if !column.is_text()
                || table.has_check_on(&column.name)
                || table.is_unique(&column.name)
                || table
                    .foreign_keys()
                    .any(|fk| fk.columns.contains(&column.name))
            {
                continue;
            }
            let mut values: BTreeMap<&str, usize> = BTreeMap::new();
            let mut non_null = 0;
            for v in table.values(n).flatten() {
                non_null += 1;
                *values.entry(v).or_default() += 1;
                if values.len() > MAX_VALUES {
                    break;
                }
            }
            if values.len() < 2 || values.len() > MAX_VALUES || non_null < options.min_rows.max(1) {
                continue;
            }
            let list: Vec<String> = values.keys().map(|v| quote_literal(v)).collect();
            let t = table.qualified();
            let check = quote_ident(&super::object_name(&[&table.name, &column.name], "check"));
            out.push(Finding {
                rule: "missing-check",
                severity: Severity::Info,
                object: format!("{}.{}", table.display(), column.name),
                evidence: format!(
                    "{} sampled values of {} are one of {} values: {}",
                    count(non_null as i64),
                    column.name,
                    values.len(),
                    values.iter().map(|(v, c)| format!("{} ({c})", quote_literal(v))).collect::<Vec<_>>().join(", ")
                ),
                help: format!(
                    "if the set is the rule, say so:\nALTER TABLE {t} ADD CONSTRAINT {check} CHECK ({} IN ({})) NOT VALID;\nALTER TABLE {t} VALIDATE CONSTRAINT {check};",
                    quote_ident(&column.name),
                    list.join(", ")
                ),
                fix: Vec::new(),
            });
        }
    }
}
