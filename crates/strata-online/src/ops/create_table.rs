//! `create_table`: a new table.
//!
//! - After start: the table exists with its columns and constraints. Old clients do not know it;
//!   new clients see it through the version schema.
//! - After complete: nothing more to do; the table is simply there.
//! - After rollback: the table is dropped (rows only the new version could write go with it).

use super::{parse_table, ColumnDef, Entry, Fields, Op, Sink};
use crate::fields::Node;
use crate::plan::{Ctx, Plan, Shape, ShapeColumn};
use crate::preflight::{is_serial, type_and_default, Probe};
use crate::validate::{display, Checker};
use std::collections::BTreeSet;
use strata_core::{quote_ident, QualifiedName};

pub const FIELDS: &[&str] = &["type", "table", "columns"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateTable {
    pub table: QualifiedName,
    pub columns: Vec<ColumnDef>,
}

impl Op for CreateTable {
    fn fields() -> &'static [&'static str] {
        FIELDS
    }

    fn parse(f: &mut Fields<'_>, sink: &mut Sink<'_>) -> Option<CreateTable> {
        let table = parse_table(f, sink, "table");
        let columns = match f.take("columns") {
            Some((Node::Array(items), line)) if !items.is_empty() => {
                let mut columns = Vec::new();
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Node::Table(t) => {
                            match ColumnDef::parse(
                                format!("column {} of `columns`", i + 1),
                                line,
                                t,
                                sink,
                                true,
                            ) {
                                Some(c) => columns.push(c),
                                None => ok = false,
                            }
                        }
                        other => {
                            sink.error(line, format!("`columns` must hold tables `{{ name = \"…\", type = \"…\" }}`, not {}", other.kind()));
                            ok = false;
                        }
                    }
                }
                ok.then_some(columns)
            }
            Some((_, line)) => {
                sink.error(line, "`columns` must be a non-empty array of column tables");
                None
            }
            None => {
                sink.error(f.line, format!("{} needs `columns`", f.what));
                None
            }
        };
        Some(CreateTable {
            table: table?,
            columns: columns?,
        })
    }

    fn table(&self) -> Option<&QualifiedName> {
        Some(&self.table)
    }

    fn changes_shape(&self) -> bool {
        true
    }

    /// New clients see the table with its columns, under their names.
    fn new_shape(&self, _current: Option<Shape>, _ctx: &Ctx<'_>) -> Option<Shape> {
        Some(Shape {
            name: self.table.name.clone(),
            columns: self
                .columns
                .iter()
                .map(|c| ShapeColumn {
                    visible: c.name.clone(),
                    physical: c.name.clone(),
                    data_type: c.data_type.clone(),
                })
                .collect(),
        })
    }

    /// The table does not exist yet; its columns are distinct; its foreign keys reference
    /// existing tables and columns (or its own).
    fn validate(&self, entry: &Entry, v: &mut Checker<'_>) {
        let table = v.resolve(&self.table);
        if v.table_exists(&table) {
            v.error(
                entry.line_of("table"),
                format!("table {} already exists", display(&table)),
                None,
            );
            return;
        }
        let mut seen = BTreeSet::new();
        for c in &self.columns {
            if !seen.insert(c.name.clone()) {
                v.error(
                    entry.line_of("columns"),
                    format!("column `{}` is defined twice", c.name),
                    None,
                );
            }
        }
        v.table_created(
            table,
            self.columns.iter().map(|c| c.name.clone()).collect(),
        );
        for c in &self.columns {
            if let Some(r) = &c.references {
                v.reference(entry, "columns", r);
            }
        }
    }

    /// Each column's type and default (`serial` and friends are not types).
    fn probes(&self, _ctx: &Ctx<'_>) -> Vec<Probe> {
        self.columns
            .iter()
            .filter(|c| !is_serial(&c.data_type))
            .flat_map(|c| type_and_default(&c.data_type, c.default.as_deref(), "columns"))
            .collect()
    }

    /// Expand creates the table; contract has nothing to do; abort drops it.
    fn plan(&self, ctx: &Ctx<'_>) -> Plan {
        let table = ctx.resolve(&self.table);
        let mut parts = Vec::new();
        for c in &self.columns {
            let mut col = format!("{} {}", quote_ident(&c.name), c.data_type);
            if !c.nullable {
                col.push_str(" NOT NULL");
            }
            if let Some(d) = &c.default {
                col.push_str(&format!(" DEFAULT {d}"));
            }
            if c.unique {
                col.push_str(" UNIQUE");
            }
            parts.push(col);
        }
        let key: Vec<String> = self
            .columns
            .iter()
            .filter(|c| c.primary_key)
            .map(|c| quote_ident(&c.name))
            .collect();
        if !key.is_empty() {
            parts.push(format!("PRIMARY KEY ({})", key.join(", ")));
        }
        for c in &self.columns {
            if let Some(r) = &c.references {
                let constraint = match &r.name {
                    Some(n) => format!("CONSTRAINT {} ", quote_ident(n)),
                    None => String::new(),
                };
                parts.push(format!(
                    "{constraint}{}",
                    r.sql(&c.name, &ctx.options.default_schema)
                ));
            }
            if let Some(check) = &c.check {
                let constraint = match &check.name {
                    Some(n) => format!("CONSTRAINT {} ", quote_ident(n)),
                    None => String::new(),
                };
                parts.push(format!("{constraint}CHECK ({})", check.expression));
            }
        }
        Plan {
            expand: vec![ctx.ddl(
                format!("create table {table}"),
                format!(
                    "CREATE TABLE IF NOT EXISTS {table} (\n  {}\n);",
                    parts.join(",\n  ")
                ),
            )],
            contract: Vec::new(),
            abort: vec![ctx.ddl(
                format!("drop table {table}"),
                format!("DROP TABLE IF EXISTS {table};"),
            )],
        }
    }
}
