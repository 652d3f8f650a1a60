//! `varchar(n)` and `char(n)`: the length is a business rule hidden in a type (changing it takes
//! a lock, shrinking it a rewrite), and `char(n)` pads with spaces. `text` with a CHECK says the
//! same and changes cheaply.

use crate::{Finding, Options, Severity, Snapshot};
use strata_core::quote_ident;

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    for table in &snapshot.tables {
        if table.partition {
            continue;
        }
        for column in &table.columns {
            let limited = match column.base.as_str() {
                "varchar" => column.type_name.contains('('),
                "bpchar" => true,
                _ => false,
            };
            if !limited {
                continue;
            }
            let name = quote_ident(&column.name);
            let length = column
                .type_name
                .split(['(', ')'])
                .nth(1)
                .unwrap_or("1")
                .to_owned();
            out.push(Finding {
                rule: "varchar-length",
                severity: Severity::Info,
                object: format!("{}.{}", table.display(), column.name),
                evidence: format!("{} is {}", column.name, column.type_name),
                help: format!(
                    "use text, with the limit as a constraint if it is a real rule:\nALTER TABLE {t} ALTER COLUMN {name} TYPE text;\nALTER TABLE {t} ADD CONSTRAINT {} CHECK (char_length({name}) <= {length}) NOT VALID;",
                    quote_ident(&super::object_name(&[&table.name, &column.name], "length")),
                    t = table.qualified(),
                ),
                fix: Vec::new(),
            });
        }
    }
}
