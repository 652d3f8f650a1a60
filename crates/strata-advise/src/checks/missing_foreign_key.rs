//! Constraints as validation: a foreign-key-shaped column (`customer_id`) whose sampled values
//! are all keys of another table (`customers.id`), with no foreign key. Orphans are one bug away.

use crate::model::count;
use crate::{Finding, Fix, Options, Severity, Snapshot};
use strata_core::quote_ident;

pub fn check(snapshot: &Snapshot, options: &Options, out: &mut Vec<Finding>) {
    for table in &snapshot.tables {
        for probe in &table.key_probes {
            if probe.missing > 0 || probe.checked < (options.min_rows as i64 / 100).max(5) {
                continue;
            }
            if table
                .foreign_keys()
                .any(|fk| fk.columns == [probe.column.clone()])
            {
                continue;
            }
            let t = table.qualified();
            let c = quote_ident(&probe.column);
            let target = format!(
                "{}.{}",
                quote_ident(&probe.target_schema),
                quote_ident(&probe.target_table)
            );
            let fk = quote_ident(&super::object_name(&[&table.name, &probe.column], "fkey"));
            let up = format!(
                "ALTER TABLE {t} ADD CONSTRAINT {fk} FOREIGN KEY ({c}) REFERENCES {target} ({}) NOT VALID;",
                quote_ident(&probe.target_column)
            );
            out.push(Finding {
                rule: "missing-foreign-key",
                severity: Severity::Warning,
                object: format!("{}.{}", table.display(), probe.column),
                evidence: format!(
                    "all {} distinct sampled values of {} are keys of {}.{} ({}), and no foreign key says so",
                    count(probe.checked),
                    probe.column,
                    probe.target_schema,
                    probe.target_table,
                    probe.target_column
                ),
                help: format!(
                    "add the foreign key without a long lock, then validate it (and index {} if it is not):\n{up}\nALTER TABLE {t} VALIDATE CONSTRAINT {fk};",
                    probe.column
                ),
                fix: Some(Fix {
                    slug: super::slug(&format!("fk {} {}", table.name, probe.column)),
                    up,
                    down: format!("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {fk};"),
                    transaction: true,
                }),
            });
        }
    }
}
