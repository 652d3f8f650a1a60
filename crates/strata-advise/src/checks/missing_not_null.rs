//! Constraints as validation: a nullable column that is never NULL in a sample of at least
//! `--min-rows` rows (and whose `pg_stats.null_frac` is 0). The data says the rule holds; NOT NULL
//! makes the database keep it.

use crate::model::count;
use crate::{Finding, Options, Severity, Snapshot};
use strata_core::quote_ident;

pub fn check(snapshot: &Snapshot, options: &Options, out: &mut Vec<Finding>) {
    for (table, rows) in super::sampled_tables(snapshot, options) {
        for (n, column) in table.columns.iter().enumerate() {
            if column.not_null || column.null_frac.is_some_and(|f| f > 0.0) {
                continue;
            }
            if table.values(n).any(|v| v.is_none()) {
                continue;
            }
            let t = table.qualified();
            let c = quote_ident(&column.name);
            let check = quote_ident(&super::object_name(
                &[&table.name, &column.name],
                "not_null",
            ));
            out.push(Finding {
                rule: "missing-not-null",
                severity: Severity::Warning,
                object: format!("{}.{}", table.display(), column.name),
                evidence: format!(
                    "{} is nullable but none of {} sampled rows{} has NULL{}",
                    column.name,
                    count(rows as i64),
                    table.sample.as_ref().filter(|s| s.complete).map_or("", |_| " (the whole table)"),
                    column.null_frac.map_or(String::new(), |_| "; pg_stats: null_frac 0".into())
                ),
                help: format!(
                    "declare it, without a long lock (VALIDATE scans under SHARE UPDATE EXCLUSIVE; SET NOT NULL then uses the check):\nALTER TABLE {t} ADD CONSTRAINT {check} CHECK ({c} IS NOT NULL) NOT VALID;\nALTER TABLE {t} VALIDATE CONSTRAINT {check};\nALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL;\nALTER TABLE {t} DROP CONSTRAINT {check};"
                ),
                fix: Vec::new(),
            });
        }
    }
}
