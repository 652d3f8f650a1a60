//! `create_index`: a new index, always built concurrently, so neither version is blocked.
//!
//! - After start: the index exists; both versions use it at once.
//! - After complete: nothing more to do; the index is simply there.
//! - After rollback: the index is dropped concurrently.

use super::{parse_table, Entry, Fields, Op, Sink};
use crate::plan::{Ctx, Plan, Shape, Step, StepKind};
use crate::validate::{display, Checker};
use strata_core::{quote_ident, QualifiedName};

pub const FIELDS: &[&str] = &[
    "type",
    "table",
    "name",
    "columns",
    "expression",
    "unique",
    "method",
    "where",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateIndex {
    pub table: QualifiedName,
    /// The index name (in the table's schema).
    pub name: String,
    /// Key columns, or
    pub columns: Vec<String>,
    /// a key written as SQL (`lower(email)`, `a, b DESC`).
    pub expression: Option<String>,
    pub unique: bool,
    /// `btree` (default), `gin`, `gist`, ...
    pub method: Option<String>,
    /// The predicate of a partial index.
    pub predicate: Option<String>,
}

impl Op for CreateIndex {
    fn fields() -> &'static [&'static str] {
        FIELDS
    }

    fn parse(f: &mut Fields<'_>, sink: &mut Sink<'_>) -> Option<CreateIndex> {
        let table = parse_table(f, sink, "table");
        let name = f.required_string(sink, "name");
        let columns = f.strings(sink, "columns");
        let expression = f.string(sink, "expression");
        let unique = f.bool(sink, "unique").unwrap_or(false);
        let method = f.string(sink, "method");
        let predicate = f.string(sink, "where");
        let columns = match (columns, &expression) {
            (Some(_), Some(_)) => {
                sink.error_hint(
                    f.line_of("expression"),
                    "`columns` and `expression` are both given",
                    "an index has either `columns` (names) or an `expression` (SQL)",
                );
                return None;
            }
            (None, None) => {
                sink.error(
                    f.line,
                    format!("{} needs `columns` or `expression`", f.what),
                );
                return None;
            }
            (Some(c), None) if c.is_empty() => {
                sink.error(f.line_of("columns"), "`columns` is empty");
                return None;
            }
            (c, _) => c.unwrap_or_default(),
        };
        if let Some(m) = &method {
            if !m.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                sink.error(
                    f.line_of("method"),
                    format!("`method` = `{m}` is not an access method name"),
                );
                return None;
            }
        }
        Some(CreateIndex {
            table: table?,
            name: name?,
            columns,
            expression,
            unique,
            method,
            predicate,
        })
    }

    fn table(&self) -> Option<&QualifiedName> {
        Some(&self.table)
    }

    /// Both versions see the same table: no view.
    fn changes_shape(&self) -> bool {
        false
    }

    fn new_shape(&self, current: Option<Shape>, _ctx: &Ctx<'_>) -> Option<Shape> {
        current
    }

    /// The table and the key columns exist; the index name is free in the table's schema.
    fn validate(&self, entry: &Entry, v: &mut Checker<'_>) {
        let Some(table) = v.existing_table(entry, &self.table) else {
            return;
        };
        let index = QualifiedName::new(table.schema.as_deref(), &self.name);
        if v.index_exists(&index) {
            v.error(
                entry.line_of("name"),
                format!("index {} already exists", display(&index)),
                None,
            );
        }
        for c in &self.columns {
            v.existing_column(entry, &table, c, "columns");
        }
        v.index_created(index);
    }

    /// Expand builds the index concurrently; contract has nothing to do; abort drops it.
    fn plan(&self, ctx: &Ctx<'_>) -> Plan {
        let table = ctx.resolve(&self.table);
        let index = QualifiedName::new(table.schema.as_deref(), &self.name);
        let key = match &self.expression {
            Some(e) => e.clone(),
            None => self
                .columns
                .iter()
                .map(|c| quote_ident(c))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let mut sql = format!(
            "CREATE {}INDEX CONCURRENTLY IF NOT EXISTS {} ON {table}",
            if self.unique { "UNIQUE " } else { "" },
            quote_ident(&self.name),
        );
        if let Some(m) = &self.method {
            sql.push_str(&format!(" USING {m}"));
        }
        sql.push_str(&format!(" ({key})"));
        if let Some(p) = &self.predicate {
            sql.push_str(&format!(" WHERE {p}"));
        }
        sql.push(';');
        Plan {
            expand: vec![Step {
                description: format!("create index {index} concurrently"),
                sql,
                transactional: false,
                // A concurrent build waits for older transactions; a lock timeout would only
                // leave an invalid index behind.
                lock_timeout: None,
                kind: StepKind::CreateIndexConcurrently {
                    index: index.clone(),
                },
            }],
            contract: Vec::new(),
            abort: vec![Step {
                description: format!("drop index {index}"),
                sql: format!("DROP INDEX CONCURRENTLY IF EXISTS {index};"),
                transactional: false,
                lock_timeout: None,
                kind: StepKind::Ddl,
            }],
        }
    }
}
