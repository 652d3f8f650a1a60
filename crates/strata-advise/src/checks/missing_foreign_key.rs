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
            let add = format!(
                "ALTER TABLE {t} ADD CONSTRAINT {fk} FOREIGN KEY ({c}) REFERENCES {target} ({}) NOT VALID;",
                quote_ident(&probe.target_column)
            );
            let index = table.indexes.iter().find(|i| {
                i.valid && i.method == "btree" && i.leads_with(std::slice::from_ref(&probe.column))
            });
            let index_name = quote_ident(&super::object_name(&[&table.name, &probe.column], "idx"));
            let create_index =
                format!("CREATE INDEX CONCURRENTLY IF NOT EXISTS {index_name} ON {t} ({c});");
            let mut fix = Vec::new();
            // The foreign key needs an index on its columns (the check foreign-key-without-index);
            // when one exists, lint reading the file alone cannot know, so the file says so.
            let up = match index {
                Some(i) => format!(
                    "-- strata:lint-ignore fk-without-index {} indexes {}\n{add}",
                    i.name, probe.column
                ),
                None => {
                    fix.push(Fix {
                        slug: super::slug(&format!("index {} {}", table.name, probe.column)),
                        up: create_index.clone(),
                        down: format!(
                            "DROP INDEX CONCURRENTLY IF EXISTS {}.{index_name};",
                            quote_ident(&table.schema)
                        ),
                        transaction: false,
                    });
                    add.clone()
                }
            };
            fix.push(Fix {
                slug: super::slug(&format!("fk {} {}", table.name, probe.column)),
                up,
                down: format!("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {fk};"),
                transaction: true,
            });
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
                    "add the foreign key without a long lock, then validate it:\n{}{add}\nALTER TABLE {t} VALIDATE CONSTRAINT {fk};",
                    if index.is_some() { String::new() } else { format!("{create_index}\n") }
                ),
                fix,
            });
        }
    }
}
