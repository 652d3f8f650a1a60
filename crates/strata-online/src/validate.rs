//! Checks an online migration against the live schema before anything runs: every table, column
//! and index it names exists (or, for what it creates, does not yet), in file order, so an
//! operation may use a table an earlier one created. Each problem is a [`Diagnostic`] at the line
//! of the field that names the missing object (the CLI exits 2 on them).

use crate::file::OnlineMigration;
use crate::ops::{Entry, Operation};
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

struct Checker<'a> {
    file: &'a str,
    schema: &'a Schema,
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
        checker.operation(entry);
    }
    checker.view_names(migration);
    checker.diagnostics.sort_by_key(|d| d.line);
    checker.diagnostics
}

impl Checker<'_> {
    /// A table to drop must not be referenced by another table's foreign key or read by a view:
    /// `complete` would fail on them after the old version's shape is partly gone.
    fn no_dependents(&mut self, entry: &Entry, table: &QualifiedName) {
        let schema = self.schema;
        let mut dependents: Vec<String> = schema
            .constraints
            .iter()
            .filter(|c| {
                c.table != *table
                    && c.foreign_key
                        .as_ref()
                        .is_some_and(|fk| fk.references == *table)
            })
            .map(|c| format!("foreign key {} on {}", c.name, display(&c.table)))
            .collect();
        let reads = |deps: &[strata_schema::ObjectRef]| {
            deps.iter().any(|d| d.name == *table && d.table.is_none())
        };
        dependents.extend(
            schema
                .views
                .iter()
                .filter(|v| reads(&v.depends_on))
                .map(|v| format!("view {}", display(&v.name))),
        );
        dependents.extend(
            schema
                .materialized_views
                .iter()
                .filter(|v| reads(&v.depends_on))
                .map(|v| format!("materialized view {}", display(&v.name))),
        );
        if !dependents.is_empty() {
            self.error(
                entry.line_of("table"),
                format!(
                    "table {} cannot be dropped online: {} depend(s) on it",
                    display(table),
                    dependents.join(", ")
                ),
                Some("drop or change them in an earlier migration first".to_owned()),
            );
        }
    }

    fn error(&mut self, line: usize, message: String, hint: Option<String>) {
        let mut d = Diagnostic::new(self.file, line, message);
        if let Some(h) = hint {
            d = d.with_hint(h);
        }
        self.diagnostics.push(d);
    }

    fn resolve(&self, name: &QualifiedName) -> QualifiedName {
        resolve(name, self.default_schema)
    }

    /// The table, when it exists and may be used; reports why not otherwise.
    fn existing_table(&mut self, entry: &Entry, name: &QualifiedName) -> Option<QualifiedName> {
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
    fn existing_column(
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

    fn new_column(
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
    fn touch(&mut self, entry: &Entry, table: &QualifiedName, column: &str, field: &str) {
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

    fn not_created_here(&mut self, entry: &Entry, table: &QualifiedName) -> bool {
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

    fn primary_key(&mut self, entry: &Entry, table: &QualifiedName) {
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

    fn reference(&mut self, entry: &Entry, field: &str, r: &crate::ops::Reference) {
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

    fn constraint_name_free(
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

    fn operation(&mut self, entry: &Entry) {
        match &entry.op {
            Operation::CreateTable(o) => {
                let table = self.resolve(&o.table);
                if self.tables.contains_key(&table) {
                    self.error(
                        entry.line_of("table"),
                        format!("table {} already exists", display(&table)),
                        None,
                    );
                    return;
                }
                let mut seen = BTreeSet::new();
                for c in &o.columns {
                    if !seen.insert(c.name.clone()) {
                        self.error(
                            entry.line_of("columns"),
                            format!("column `{}` is defined twice", c.name),
                            None,
                        );
                    }
                }
                self.tables.insert(
                    table.clone(),
                    TableState {
                        columns: o.columns.iter().map(|c| c.name.clone()).collect(),
                        created: true,
                        gone_by: None,
                    },
                );
                for c in &o.columns {
                    if let Some(r) = &c.references {
                        self.reference(entry, "columns", r);
                    }
                }
            }
            Operation::DropTable(o) => {
                if let Some(table) = self.existing_table(entry, &o.table) {
                    self.no_other_use(entry, &table);
                    self.no_dependents(entry, &table);
                    if let Some(t) = self.tables.get_mut(&table) {
                        t.gone_by = Some("dropped");
                    }
                }
            }
            Operation::RenameTable(o) => {
                if let Some(table) = self.existing_table(entry, &o.table) {
                    self.no_other_use(entry, &table);
                    let target = QualifiedName::new(table.schema.as_deref(), &o.to);
                    if self.tables.contains_key(&target) {
                        self.error(
                            entry.line_of("to"),
                            format!("table {} already exists", display(&target)),
                            None,
                        );
                    }
                    if let Some(t) = self.tables.get_mut(&table) {
                        t.gone_by = Some("renamed");
                    }
                }
            }
            Operation::AddColumn(o) => {
                let Some(table) = self.existing_table(entry, &o.table) else {
                    return;
                };
                if !self.not_created_here(entry, &table) {
                    return;
                }
                let c = &o.column;
                if !self.new_column(entry, &table, &c.name, "column") {
                    return;
                }
                self.touch(entry, &table, &c.name, "column");
                if !c.nullable && c.default.is_none() && o.up.is_none() {
                    self.error(
                        entry.line_of("column"),
                        format!("NOT NULL column `{}` needs `up` or a `default` to fill existing rows", c.name),
                        Some("add `up = \"<expression over the row>\"`, or `default`, or make it nullable".to_owned()),
                    );
                }
                if o.up.is_some() {
                    self.primary_key(entry, &table);
                }
                if let Some(r) = &c.references {
                    self.reference(entry, "column", r);
                }
                if let Some(name) = c.check.as_ref().and_then(|ch| ch.name.clone()) {
                    self.constraint_name_free(entry, &table, &name, "column");
                }
                if let Some(t) = self.tables.get_mut(&table) {
                    t.columns.push(c.name.clone());
                }
            }
            Operation::DropColumn(o) => {
                let Some(table) = self.existing_table(entry, &o.table) else {
                    return;
                };
                if !self.not_created_here(entry, &table)
                    || !self.existing_column(entry, &table, &o.column, "column")
                {
                    return;
                }
                self.touch(entry, &table, &o.column, "column");
                let column = self
                    .schema
                    .tables
                    .iter()
                    .find(|t| t.name == table)
                    .and_then(|t| t.columns.iter().find(|c| c.name == o.column));
                if let Some(c) = column {
                    let fills_itself =
                        c.default.is_some() || c.identity.is_some() || c.generated.is_some();
                    if c.not_null && !fills_itself && o.down.is_none() {
                        self.error(
                            entry.line_of("column"),
                            format!(
                                "column `{}` is NOT NULL without a default: rows new clients insert would fail",
                                o.column
                            ),
                            Some("add `down = \"<expression over the new row>\"` to fill it for old clients".to_owned()),
                        );
                    }
                }
                if let Some(t) = self.tables.get_mut(&table) {
                    t.columns.retain(|c| *c != o.column);
                }
            }
            Operation::RenameColumn(o) => {
                let Some(table) = self.existing_table(entry, &o.table) else {
                    return;
                };
                if !self.not_created_here(entry, &table)
                    || !self.existing_column(entry, &table, &o.from, "from")
                {
                    return;
                }
                if !self.new_column(entry, &table, &o.to, "to") {
                    return;
                }
                self.touch(entry, &table, &o.from, "from");
                self.touch(entry, &table, &o.to, "to");
                if let Some(t) = self.tables.get_mut(&table) {
                    for c in &mut t.columns {
                        if *c == o.from {
                            c.clone_from(&o.to);
                        }
                    }
                }
            }
            Operation::AlterColumn(o) => {
                let Some(table) = self.existing_table(entry, &o.table) else {
                    return;
                };
                if !self.not_created_here(entry, &table)
                    || !self.existing_column(entry, &table, &o.column, "column")
                {
                    return;
                }
                self.touch(entry, &table, &o.column, "column");
                self.primary_key(entry, &table);
                self.alter_column_limits(entry, &table, o);
                if let Some(check) = &o.check {
                    if let Some(name) = &check.name {
                        self.constraint_name_free(entry, &table, name, "check");
                    }
                }
                if let Some(name) = &o.unique {
                    self.constraint_name_free(entry, &table, name, "unique");
                }
                if let Some(r) = &o.references {
                    self.reference(entry, "references", r);
                    if let Some(name) = &r.name {
                        self.constraint_name_free(entry, &table, name, "references");
                    }
                }
            }
            Operation::CreateIndex(o) => {
                let Some(table) = self.existing_table(entry, &o.table) else {
                    return;
                };
                let index = QualifiedName::new(table.schema.as_deref(), &o.name);
                if self.indexes.contains(&index) {
                    self.error(
                        entry.line_of("name"),
                        format!("index {} already exists", display(&index)),
                        None,
                    );
                }
                for c in &o.columns {
                    self.existing_column(entry, &table, c, "columns");
                }
                self.indexes.insert(index);
            }
            Operation::DropIndex(o) => {
                let Some(table) = self.existing_table(entry, &o.table) else {
                    return;
                };
                let index = QualifiedName::new(table.schema.as_deref(), &o.name);
                let on_table = self
                    .schema
                    .indexes
                    .iter()
                    .any(|i| i.name == index && i.table == table);
                if !on_table {
                    let message = if self.indexes.contains(&index) {
                        format!(
                            "index {} is not a plain index of {} (a constraint's index is dropped with the constraint)",
                            display(&index),
                            display(&table)
                        )
                    } else {
                        format!("index {} does not exist", display(&index))
                    };
                    self.error(entry.line_of("name"), message, None);
                }
                self.indexes.remove(&index);
            }
            Operation::RawSql(_) => {}
        }
    }

    /// What alter_column cannot do yet without losing something.
    fn alter_column_limits(
        &mut self,
        entry: &Entry,
        table: &QualifiedName,
        o: &crate::ops::alter_column::AlterColumn,
    ) {
        let line = entry.line_of("column");
        let column = self
            .schema
            .tables
            .iter()
            .find(|t| t.name == *table)
            .and_then(|t| t.columns.iter().find(|c| c.name == o.column))
            .cloned();
        if let Some(c) = &column {
            if c.identity.is_some() || c.generated.is_some() {
                self.error(
                    line,
                    format!("column `{}` is an identity or generated column, which alter_column cannot shadow", o.column),
                    None,
                );
            }
        }
        let mut held_by: Vec<String> = self
            .schema
            .constraints
            .iter()
            .filter(|c| c.table == *table && c.columns.contains(&o.column))
            .map(|c| format!("constraint `{}`", c.name))
            .collect();
        held_by.extend(
            self.schema
                .indexes
                .iter()
                .filter(|i| {
                    i.table == *table && i.columns.iter().any(|col| index_mentions(col, &o.column))
                })
                .map(|i| format!("index `{}`", i.name.name)),
        );
        if !held_by.is_empty() {
            self.error(
                line,
                format!(
                    "column `{}` is used by {}, which complete would lose with the old column",
                    o.column,
                    held_by.join(", ")
                ),
                Some("drop them in an earlier migration and re-create them on the new column (create_index, or `check`/`unique`/`references` here)".to_owned()),
            );
        }
    }

    /// A renamed or dropped table may not be used by any other operation of the migration.
    fn no_other_use(&mut self, entry: &Entry, table: &QualifiedName) {
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

    /// Views of the version schema are named after the tables: two tables of the same name in
    /// different schemas cannot both be there.
    fn view_names(&mut self, migration: &OnlineMigration) {
        let mut seen: BTreeMap<String, QualifiedName> = BTreeMap::new();
        for entry in &migration.operations {
            if !entry.op.changes_shape() {
                continue;
            }
            let Some(table) = entry.op.table().map(|t| self.resolve(t)) else {
                continue;
            };
            let name = match &entry.op {
                Operation::RenameTable(r) => r.to.clone(),
                _ => table.name.clone(),
            };
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

/// Whether an index key (a column name or an expression) mentions `column`.
fn index_mentions(key: &str, column: &str) -> bool {
    key == column
        || key == strata_core::quote_ident(column)
        || crate::sqltext::rewrite_column_refs(key, column, "\u{1}") != key
}

/// `schema.table`, unquoted, for messages.
fn display(name: &QualifiedName) -> String {
    match &name.schema {
        Some(s) => format!("{s}.{}", name.name),
        None => name.name.clone(),
    }
}
