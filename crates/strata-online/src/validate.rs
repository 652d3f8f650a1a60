//! Checks an online migration against the live schema before anything runs: every table, column
//! and index it names exists (or, for what it creates, does not yet), in file order, so an
//! operation may use a table an earlier one created. Each problem is a [`Diagnostic`] at the line
//! of the field that names the missing object (the CLI exits 2 on them).
//!
//! Each operation checks itself (`Op::validate` in its `ops/<type>.rs`) with the `Checker` here,
//! which holds what is shared: the tables, columns and indexes as the earlier operations left
//! them, and the checks several operations make (an existing table, a new column's name, a free constraint
//! name, a column changed once…). The checks of the whole migration (the version schema's view
//! names) are here too.

use crate::file::OnlineMigration;
use crate::ops::Entry;
use crate::plan::resolve;
use crate::sqltext::{HELPER_PREFIX, VERSION_SCHEMA_PREFIX};
use std::collections::{BTreeMap, BTreeSet};
use strata_core::{Diagnostic, QualifiedName};
use strata_schema::{ConstraintKind, Schema};

/// What validation knows about a table as the migration proceeds.
#[derive(Clone, Debug)]
struct TableState {
    columns: Vec<String>,
    /// Created by this migration (column operations belong in its `create_table`).
    created: bool,
    /// Renamed or dropped by this migration: no other operation may use it.
    gone_by: Option<&'static str>,
}

/// The schema as the operations validated so far leave it, and the problems found.
pub(crate) struct Checker<'a> {
    file: &'a str,
    /// The live schema, before the migration.
    pub(crate) schema: &'a Schema,
    default_schema: &'a str,
    tables: BTreeMap<QualifiedName, TableState>,
    indexes: BTreeSet<QualifiedName>,
    /// (table, column) pairs already changed by an operation, with its index.
    touched: BTreeMap<(QualifiedName, String), usize>,
    diagnostics: Vec<Diagnostic>,
}

/// Problems that stop the migration from starting; empty when it may start.
pub fn validate(
    migration: &OnlineMigration,
    schema: &Schema,
    default_schema: &str,
) -> Vec<Diagnostic> {
    let mut tables = BTreeMap::new();
    for t in &schema.tables {
        tables.insert(
            t.name.clone(),
            TableState {
                columns: t.columns.iter().map(|c| c.name.clone()).collect(),
                created: false,
                gone_by: None,
            },
        );
    }
    let mut indexes: BTreeSet<QualifiedName> =
        schema.indexes.iter().map(|i| i.name.clone()).collect();
    for c in &schema.constraints {
        if matches!(
            c.kind,
            ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion
        ) {
            indexes.insert(QualifiedName::new(c.table.schema.as_deref(), &c.name));
        }
    }
    let mut checker = Checker {
        file: &migration.file,
        schema,
        default_schema,
        tables,
        indexes,
        touched: BTreeMap::new(),
        diagnostics: Vec::new(),
    };
    for entry in &migration.operations {
        entry.op.as_op().validate(entry, &mut checker);
    }
    checker.view_names(migration);
    checker.diagnostics.sort_by_key(|d| d.line);
    checker.diagnostics
}

impl Checker<'_> {
    pub(crate) fn error(&mut self, line: usize, message: String, hint: Option<String>) {
        let mut d = Diagnostic::new(self.file, line, message);
        if let Some(h) = hint {
            d = d.with_hint(h);
        }
        self.diagnostics.push(d);
    }

    /// The table name with its schema filled in.
    pub(crate) fn resolve(&self, name: &QualifiedName) -> QualifiedName {
        resolve(name, self.default_schema)
    }

    // What the earlier operations left: tables, columns, indexes.

    /// Whether a table of that (resolved) name exists, gone or not.
    pub(crate) fn table_exists(&self, table: &QualifiedName) -> bool {
        self.tables.contains_key(table)
    }

    /// A table this migration creates, with its columns.
    pub(crate) fn table_created(&mut self, table: QualifiedName, columns: Vec<String>) {
        self.tables.insert(
            table,
            TableState {
                columns,
                created: true,
                gone_by: None,
            },
        );
    }

    /// A table this migration renames or drops (`by`: "renamed", "dropped"): no later operation
    /// may use it.
    pub(crate) fn table_gone(&mut self, table: &QualifiedName, by: &'static str) {
        if let Some(t) = self.tables.get_mut(table) {
            t.gone_by = Some(by);
        }
    }

    pub(crate) fn column_added(&mut self, table: &QualifiedName, column: &str) {
        if let Some(t) = self.tables.get_mut(table) {
            t.columns.push(column.to_owned());
        }
    }

    pub(crate) fn column_dropped(&mut self, table: &QualifiedName, column: &str) {
        if let Some(t) = self.tables.get_mut(table) {
            t.columns.retain(|c| *c != column);
        }
    }

    pub(crate) fn column_renamed(&mut self, table: &QualifiedName, from: &str, to: &str) {
        if let Some(t) = self.tables.get_mut(table) {
            for c in &mut t.columns {
                if *c == from {
                    to.clone_into(c);
                }
            }
        }
    }

    /// Whether an index (or a constraint's index) of that name exists in the table's schema.
    pub(crate) fn index_exists(&self, index: &QualifiedName) -> bool {
        self.indexes.contains(index)
    }

    pub(crate) fn index_created(&mut self, index: QualifiedName) {
        self.indexes.insert(index);
    }

    pub(crate) fn index_dropped(&mut self, index: &QualifiedName) {
        self.indexes.remove(index);
    }

    // Checks shared by operations.

    /// The table, when it exists and may be used; reports why not otherwise.
    pub(crate) fn existing_table(
        &mut self,
        entry: &Entry,
        name: &QualifiedName,
    ) -> Option<QualifiedName> {
        let table = self.resolve(name);
        let line = entry.line_of("table");
        match self.tables.get(&table) {
            None => {
                let hint = self.similar_table(&table);
                self.error(
                    line,
                    format!("table {} does not exist", display(&table)),
                    hint,
                );
                None
            }
            Some(TableState {
                gone_by: Some(by), ..
            }) => {
                let by = *by;
                self.error(
                    line,
                    format!(
                        "table {} is {by} by an earlier operation of this migration",
                        display(&table)
                    ),
                    Some("use one migration per change of a renamed or dropped table".to_owned()),
                );
                None
            }
            Some(_) => Some(table),
        }
    }

    fn similar_table(&self, table: &QualifiedName) -> Option<String> {
        let names: Vec<String> = self
            .tables
            .keys()
            .filter(|t| t.schema == table.schema)
            .map(|t| t.name.clone())
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        crate::fields::did_you_mean(&table.name, &refs).map(|n| format!("did you mean `{n}`?"))
    }

    fn has_column(&self, table: &QualifiedName, column: &str) -> bool {
        self.tables
            .get(table)
            .is_some_and(|t| t.columns.iter().any(|c| c == column))
    }

    /// Reports a missing column at `field`'s line, suggesting a close name.
    pub(crate) fn existing_column(
        &mut self,
        entry: &Entry,
        table: &QualifiedName,
        column: &str,
        field: &str,
    ) -> bool {
        if self.has_column(table, column) {
            return true;
        }
        let columns = self
            .tables
            .get(table)
            .map(|t| t.columns.clone())
            .unwrap_or_default();
        let refs: Vec<&str> = columns.iter().map(String::as_str).collect();
        let hint =
            crate::fields::did_you_mean(column, &refs).map(|n| format!("did you mean `{n}`?"));
        self.error(
            entry.line_of(field),
            format!(
                "column `{column}` does not exist in table {}",
                display(table)
            ),
            hint,
        );
        false
    }

    /// A name for a new column: not strata's, not taken.
    pub(crate) fn new_column(
        &mut self,
        entry: &Entry,
        table: &QualifiedName,
        column: &str,
        field: &str,
    ) -> bool {
        if column.starts_with(HELPER_PREFIX) {
            self.error(
                entry.line_of(field),
                format!("column names starting with `{HELPER_PREFIX}` are strata's own"),
                None,
            );
            return false;
        }
        if self.has_column(table, column) {
            self.error(
                entry.line_of(field),
                format!(
                    "column `{column}` already exists in table {}",
                    display(table)
                ),
                None,
            );
            return false;
        }
        true
    }

    /// Each column may be changed by one operation of a migration.
    pub(crate) fn touch(
        &mut self,
        entry: &Entry,
        table: &QualifiedName,
        column: &str,
        field: &str,
    ) {
        let key = (table.clone(), column.to_owned());
        if let Some(first) = self.touched.get(&key) {
            let first = *first;
            self.error(
                entry.line_of(field),
                format!(
                    "column `{column}` of {} is already changed by operation {first}",
                    display(table)
                ),
                Some("change a column once per migration; start another migration for the next change".to_owned()),
            );
        } else {
            self.touched.insert(key, entry.index);
        }
    }

    /// A column operation on a table the same migration creates is refused.
    pub(crate) fn not_created_here(&mut self, entry: &Entry, table: &QualifiedName) -> bool {
        if self.tables.get(table).is_some_and(|t| t.created) {
            self.error(
                entry.line_of("table"),
                format!(
                    "{} changes table {}, which this migration creates",
                    entry.op.type_name(),
                    display(table)
                ),
                Some("describe the table's final columns in its create_table".to_owned()),
            );
            return false;
        }
        true
    }

    /// A backfill runs in primary-key ranges: the table needs a primary key.
    pub(crate) fn primary_key(&mut self, entry: &Entry, table: &QualifiedName) {
        let has_key = self
            .schema
            .constraints
            .iter()
            .any(|c| c.table == *table && c.kind == ConstraintKind::PrimaryKey);
        if !has_key {
            self.error(
                entry.line_of("table"),
                format!(
                    "table {} has no primary key, which the backfill of {} needs",
                    display(table),
                    entry.op.type_name()
                ),
                Some("add a primary key first (backfills run in primary-key ranges)".to_owned()),
            );
        }
    }

    /// The table and column a foreign key references exist.
    pub(crate) fn reference(&mut self, entry: &Entry, field: &str, r: &crate::ops::Reference) {
        let target = self.resolve(&r.table);
        if !self.tables.contains_key(&target) {
            self.error(
                entry.line_of(field),
                format!(
                    "`{field}` names table {}, which does not exist",
                    display(&target)
                ),
                None,
            );
        } else if !self.has_column(&target, &r.column) {
            self.error(
                entry.line_of(field),
                format!(
                    "`{field}` names column `{}` of {}, which does not exist",
                    r.column,
                    display(&target)
                ),
                None,
            );
        }
    }

    /// No constraint or index of the table's schema has the name yet.
    pub(crate) fn constraint_name_free(
        &mut self,
        entry: &Entry,
        table: &QualifiedName,
        name: &str,
        field: &str,
    ) {
        let taken = self
            .schema
            .constraints
            .iter()
            .any(|c| c.table == *table && c.name == name)
            || self
                .indexes
                .contains(&QualifiedName::new(table.schema.as_deref(), name));
        if taken {
            self.error(
                entry.line_of(field),
                format!(
                    "a constraint or index named `{name}` already exists on {}",
                    display(table)
                ),
                None,
            );
        }
    }

    /// A renamed or dropped table may not be used by any other operation of the migration.
    pub(crate) fn no_other_use(&mut self, entry: &Entry, table: &QualifiedName) {
        let used = self.touched.keys().any(|(t, _)| t == table);
        if used {
            self.error(
                entry.line_of("table"),
                format!(
                    "table {} is changed by an earlier operation of this migration",
                    display(table)
                ),
                Some("rename or drop a table in a migration of its own".to_owned()),
            );
        }
    }

    // Checks of the whole migration.

    /// Views of the version schema are named after the tables: two tables of the same name in
    /// different schemas cannot both be there.
    fn view_names(&mut self, migration: &OnlineMigration) {
        let mut seen: BTreeMap<String, QualifiedName> = BTreeMap::new();
        for entry in &migration.operations {
            let op = entry.op.as_op();
            if !op.changes_shape() {
                continue;
            }
            let Some(table) = op.table().map(|t| self.resolve(t)) else {
                continue;
            };
            let name = op.view_name().unwrap_or(&table.name).to_owned();
            if name.starts_with(VERSION_SCHEMA_PREFIX) || name.starts_with(HELPER_PREFIX) {
                self.error(entry.line_of("table"), format!("table names starting with `{HELPER_PREFIX}` or `{VERSION_SCHEMA_PREFIX}` are strata's own"), None);
            }
            match seen.get(&name) {
                Some(other) if *other != table => {
                    let other = other.clone();
                    self.error(
                        entry.line_of("table"),
                        format!(
                            "tables {} and {} would both be `{name}` in the version schema",
                            display(&other),
                            display(&table)
                        ),
                        Some("change them in separate migrations".to_owned()),
                    );
                }
                _ => {
                    seen.insert(name, table);
                }
            }
        }
    }
}

/// `schema.table`, unquoted, for messages.
pub(crate) fn display(name: &QualifiedName) -> String {
    match &name.schema {
        Some(s) => format!("{s}.{}", name.name),
        None => name.name.clone(),
    }
}
