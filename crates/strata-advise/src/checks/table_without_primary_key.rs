//! A table without a primary key: rows cannot be addressed one by one, logical replication
//! cannot replicate its updates and deletes, and duplicates creep in.

use super::column_list;
use crate::{Finding, Options, Severity, Snapshot};
use strata_core::quote_ident;

pub fn check(snapshot: &Snapshot, _options: &Options, out: &mut Vec<Finding>) {
    for table in &snapshot.tables {
        if table.partition || table.primary_key().is_some() {
            continue;
        }
        // A unique, NOT NULL key already there can be promoted.
        let candidate = table.indexes.iter().find(|i| {
            i.unique
                && i.valid
                && i.predicate.is_none()
                && i.plain_columns().is_some_and(|cols| {
                    cols.iter()
                        .all(|c| table.column(c).is_some_and(|c| c.not_null))
                })
        });
        let help = match candidate {
            Some(index) => format!(
                "promote the unique index {} to the primary key:\nALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY USING INDEX {};",
                index.name,
                table.qualified(),
                quote_ident(&format!("{}_pkey", table.name)),
                quote_ident(&index.name)
            ),
            None => format!(
                "add a key:\nALTER TABLE {} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;\n(or a primary key on the columns that identify a row: ALTER TABLE {} ADD PRIMARY KEY ({}))",
                table.qualified(),
                table.qualified(),
                column_list(&table.columns.iter().take(1).map(|c| c.name.clone()).collect::<Vec<_>>())
            ),
        };
        out.push(Finding {
            rule: "table-without-primary-key",
            severity: Severity::Warning,
            object: table.display(),
            evidence: format!(
                "{} ({} rows, {}) has no primary key{}",
                table.display(),
                crate::model::count(table.rows.max(0)),
                table.size(),
                if candidate.is_some() {
                    ", but a unique NOT NULL index"
                } else {
                    ""
                }
            ),
            help,
            fix: Vec::new(),
        });
    }
}
