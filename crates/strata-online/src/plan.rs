//! Plans: what each phase of an online migration sends to the database, as data.
//!
//! Every operation produces a [`Plan`] of three lists of [`Step`]s: `expand` (run by `start`),
//! `contract` (run by `complete`) and `abort` (run by `rollback`). [`build`] joins the operations'
//! plans into one [`MigrationPlan`], adding the version schema and its views. The same plan is
//! printed (`--sql`), snapshot-tested, persisted in the state table and executed.

use crate::file::OnlineMigration;
use crate::sqltext;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;
use strata_core::{quote_ident, QualifiedName};
use strata_schema::{ConstraintKind, Schema, Table};

/// One statement (or a few, sent together) of a phase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// What the step does, for progress output and errors.
    pub description: String,
    pub sql: String,
    /// Run inside `BEGIN … COMMIT` (with the state update). False for `CONCURRENTLY`.
    pub transactional: bool,
    /// `SET lock_timeout` for the step; a timeout is retried (`RunOptions::lock_retries`).
    pub lock_timeout: Option<Duration>,
    pub kind: StepKind,
}

/// How the runner treats a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum StepKind {
    /// Schema change; every contract and abort DDL step can run again safely.
    Ddl,
    /// `CREATE INDEX CONCURRENTLY`: a failed build leaves an INVALID index, which the runner
    /// drops before (re)trying.
    CreateIndexConcurrently { index: QualifiedName },
    /// A batched, resumable `UPDATE` (the step's `sql` shows the first batch).
    Backfill(Backfill),
    /// The user's own SQL (`raw_sql`): run as given, once.
    Raw,
    /// The user's SQL undoing expand step `expand_step` (`raw_sql`'s `down`, 0-based index):
    /// skipped by a rollback of a start that never ran that step.
    Undo { expand_step: usize },
}

/// Fill `column` of `table` with `expression` (over the row, old column names), in batches of
/// primary-key ranges, rows whose `column` is still NULL only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backfill {
    pub table: QualifiedName,
    pub column: String,
    pub expression: String,
    /// The primary key, in order: batches are ranges of it.
    pub key: Vec<String>,
}

/// The batch size shown in printed plans.
pub const DEFAULT_BATCH_SIZE: u64 = 1000;

impl Backfill {
    /// One batch: the next `limit` keys after `after` (all keys when `None`), the rows among them
    /// still to fill updated. Returns one row, when the batch was not empty: the number of rows
    /// updated, then the last key of the batch (as text, one column per key column).
    pub fn batch_sql(&self, after: Option<&[String]>, limit: u64) -> String {
        let keys: Vec<String> = self.key.iter().map(|k| quote_ident(k)).collect();
        let aliases: Vec<String> = (0..self.key.len())
            .map(|i| quote_ident(&format!("_strata_k{i}")))
            .collect();
        let select = keys
            .iter()
            .zip(&aliases)
            .map(|(k, a)| format!("{k} AS {a}"))
            .collect::<Vec<_>>()
            .join(", ");
        let filter = match after {
            Some(values) => format!(
                " WHERE ({}) > ({})",
                keys.join(", "),
                values
                    .iter()
                    .map(|v| strata_core::quote_literal(v))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => String::new(),
        };
        let join = keys
            .iter()
            .zip(&aliases)
            .map(|(k, a)| {
                format!(
                    "{}.{k} = \"_strata_batch\".{a}",
                    quote_ident(&self.table.name)
                )
            })
            .collect::<Vec<_>>()
            .join(" AND ");
        let last = aliases
            .iter()
            .map(|a| format!("{a}::text"))
            .collect::<Vec<_>>()
            .join(", ");
        let order_desc = aliases
            .iter()
            // Qualified: the bare name would sort the `::text` output column, as text.
            .map(|a| format!("\"_strata_batch\".{a} DESC"))
            .collect::<Vec<_>>()
            .join(", ");
        let column = quote_ident(&self.column);
        format!(
            "WITH \"_strata_batch\" AS (SELECT {select} FROM {table}{filter} ORDER BY {order_keys} LIMIT {limit}),\n\
             \"_strata_updated\" AS (UPDATE {table} SET {column} = ({expr}) FROM \"_strata_batch\" \
             WHERE {join} AND {table_name}.{column} IS NULL RETURNING 1)\n\
             SELECT (SELECT count(*) FROM \"_strata_updated\"), {last} FROM \"_strata_batch\" ORDER BY {order_desc} LIMIT 1",
            table = self.table,
            order_keys = keys.join(", "),
            expr = self.expression,
            table_name = quote_ident(&self.table.name),
        )
    }
}

/// The three phases of one operation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub expand: Vec<Step>,
    pub contract: Vec<Step>,
    pub abort: Vec<Step>,
}

/// A phase of an online migration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Expand,
    Contract,
    Abort,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Expand => "expand",
            Phase::Contract => "contract",
            Phase::Abort => "abort",
        }
    }
}

/// The plan of a whole migration: the operations' plans in file order, plus the version schema
/// (created last in expand, dropped last in contract and first in abort).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationPlan {
    pub migration: String,
    /// `strata_v_<id>`: one view per table of the new shape.
    pub version_schema: String,
    /// The schema unqualified table names resolved to.
    pub default_schema: String,
    pub expand: Vec<Step>,
    pub contract: Vec<Step>,
    pub abort: Vec<Step>,
}

impl MigrationPlan {
    pub fn steps(&self, phase: Phase) -> &[Step] {
        match phase {
            Phase::Expand => &self.expand,
            Phase::Contract => &self.contract,
            Phase::Abort => &self.abort,
        }
    }

    /// The `search_path` for clients of the new version: `strata_v_<id>, <default schema>`.
    /// Without a space after the comma, so the value also works in `PGOPTIONS="-c search_path=…"`
    /// (libpq splits options on spaces).
    pub fn search_path(&self) -> String {
        format!(
            "{},{}",
            quote_ident(&self.version_schema),
            quote_ident(&self.default_schema)
        )
    }

    /// The SQL of a phase as a reviewable script (`--sql`): each step with a comment saying what
    /// it does, whether it runs in a transaction, its lock timeout, and how a backfill is batched.
    pub fn render(&self, phase: Phase) -> String {
        let mut out = format!("-- {} {}\n", self.migration, phase.name());
        for (i, step) in self.steps(phase).iter().enumerate() {
            let _ = write!(out, "\n-- {}. {}", i + 1, step.description);
            let mut notes = Vec::new();
            if !step.transactional {
                notes.push("no transaction".to_owned());
            }
            if let Some(t) = step.lock_timeout {
                notes.push(format!("lock_timeout {}ms", t.as_millis()));
            }
            if let StepKind::Backfill(b) = &step.kind {
                notes.push(format!(
                    "repeated per batch of {DEFAULT_BATCH_SIZE} rows by ({}), commit per batch",
                    b.key.join(", ")
                ));
            }
            if !notes.is_empty() {
                let _ = write!(out, " ({})", notes.join("; "));
            }
            out.push('\n');
            if step.transactional {
                out.push_str("BEGIN;\n");
                if let Some(t) = step.lock_timeout {
                    let _ = writeln!(out, "SET LOCAL lock_timeout = '{}ms';", t.as_millis());
                }
            } else if let Some(t) = step.lock_timeout {
                let _ = writeln!(out, "SET lock_timeout = '{}ms';", t.as_millis());
            }
            out.push_str(step.sql.trim_end());
            if !step.sql.trim_end().ends_with(';') {
                out.push(';');
            }
            out.push('\n');
            if step.transactional {
                out.push_str("COMMIT;\n");
            } else if step.lock_timeout.is_some() {
                out.push_str("RESET lock_timeout;\n");
            }
        }
        out
    }
}

/// What planning needs beyond the migration and the schema.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    /// The schema of unqualified table names (`current_schema()` of the connection).
    pub default_schema: String,
    /// `lock_timeout` of each DDL step.
    pub lock_timeout: Duration,
}

impl Default for PlanOptions {
    fn default() -> PlanOptions {
        PlanOptions {
            default_schema: "public".to_owned(),
            lock_timeout: Duration::from_secs(2),
        }
    }
}

/// A table as one version sees it: its name and its columns, each `(visible name, physical
/// column, type)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    pub name: String,
    pub columns: Vec<ShapeColumn>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeColumn {
    pub visible: String,
    pub physical: String,
    pub data_type: String,
}

impl Shape {
    fn of(table: &Table) -> Shape {
        Shape {
            name: table.name.name.clone(),
            columns: table
                .columns
                .iter()
                .map(|c| ShapeColumn {
                    visible: c.name.clone(),
                    physical: c.name.clone(),
                    data_type: c.data_type.clone(),
                })
                .collect(),
        }
    }

    /// `(visible, physical)` pairs, for evaluating expressions in triggers.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.columns
            .iter()
            .map(|c| (c.visible.clone(), c.physical.clone()))
            .collect()
    }
}

/// Everything an operation's planner may look at.
pub struct Ctx<'a> {
    pub schema: &'a Schema,
    pub options: &'a PlanOptions,
    pub version_schema: String,
    /// Shapes before the migration, by physical table.
    old: BTreeMap<QualifiedName, Shape>,
    /// Shapes after the migration, by physical table (a dropped table is absent).
    new: BTreeMap<QualifiedName, Shape>,
    /// Tables whose shape changes, in file order (each gets a view in the version schema).
    touched: Vec<QualifiedName>,
}

impl Ctx<'_> {
    /// The table name with its schema filled in.
    pub fn resolve(&self, name: &QualifiedName) -> QualifiedName {
        resolve(name, &self.options.default_schema)
    }

    pub fn table(&self, name: &QualifiedName) -> Option<&Table> {
        let name = self.resolve(name);
        self.schema.tables.iter().find(|t| t.name == name)
    }

    /// The table as old clients see it (its physical columns before the migration).
    pub fn old_shape(&self, name: &QualifiedName) -> Shape {
        self.old
            .get(&self.resolve(name))
            .cloned()
            .unwrap_or_else(|| Shape {
                name: name.name.clone(),
                columns: Vec::new(),
            })
    }

    /// The table as new clients see it (through the version schema's view).
    pub fn new_shape(&self, name: &QualifiedName) -> Shape {
        self.new
            .get(&self.resolve(name))
            .cloned()
            .unwrap_or_else(|| Shape {
                name: name.name.clone(),
                columns: Vec::new(),
            })
    }

    /// The primary-key columns of an existing table, in key order.
    pub fn primary_key(&self, name: &QualifiedName) -> Vec<String> {
        let name = self.resolve(name);
        self.schema
            .constraints
            .iter()
            .find(|c| c.table == name && c.kind == ConstraintKind::PrimaryKey)
            .map(|c| c.columns.clone())
            .unwrap_or_default()
    }

    pub fn ddl(&self, description: impl Into<String>, sql: impl Into<String>) -> Step {
        Step {
            description: description.into(),
            sql: sql.into(),
            transactional: true,
            lock_timeout: Some(self.options.lock_timeout),
            kind: StepKind::Ddl,
        }
    }
}

pub(crate) fn resolve(name: &QualifiedName, default_schema: &str) -> QualifiedName {
    QualifiedName::new(
        Some(name.schema.as_deref().unwrap_or(default_schema)),
        &name.name,
    )
}

impl<'a> Ctx<'a> {
    /// The planning context of a migration: the shapes, before and after, of every table it
    /// touches.
    pub fn new(
        migration: &OnlineMigration,
        schema: &'a Schema,
        options: &'a PlanOptions,
    ) -> Ctx<'a> {
        let mut ctx = Ctx {
            schema,
            options,
            version_schema: sqltext::version_schema(&migration.id),
            old: BTreeMap::new(),
            new: BTreeMap::new(),
            touched: Vec::new(),
        };
        for entry in &migration.operations {
            let Some(table) = entry.op.table().map(|t| ctx.resolve(t)) else {
                continue;
            };
            if let Some(t) = ctx.table(&table) {
                let shape = Shape::of(t);
                ctx.old
                    .entry(table.clone())
                    .or_insert_with(|| shape.clone());
                ctx.new.entry(table.clone()).or_insert(shape);
            }
            match entry.op.new_shape(ctx.new.get(&table).cloned(), &ctx) {
                Some(shape) => ctx.new.insert(table.clone(), shape),
                None => ctx.new.remove(&table),
            };
            if entry.op.changes_shape() && !ctx.touched.contains(&table) {
                ctx.touched.push(table);
            }
        }
        ctx
    }
}

/// The plan of a migration validated against `schema` ([`crate::validate()`] first: planning
/// assumes the tables and columns it names exist).
pub fn build(migration: &OnlineMigration, schema: &Schema, options: &PlanOptions) -> MigrationPlan {
    let ctx = Ctx::new(migration, schema, options);
    let touched = &ctx.touched;
    let mut expand = Vec::new();
    let mut contract = Vec::new();
    let mut abort = Vec::new();
    for entry in &migration.operations {
        let mut plan = entry.op.plan(&ctx);
        for step in &mut plan.abort {
            if step.kind == StepKind::Raw {
                step.kind = StepKind::Undo {
                    expand_step: expand.len(),
                };
            }
        }
        expand.extend(plan.expand);
        contract.extend(plan.contract);
        abort.push(plan.abort);
    }

    // The version schema: one view per table of the new shape that the migration touches. Made
    // last, so new clients can only arrive once the backfills are done.
    let vs = quote_ident(&ctx.version_schema);
    let mut views = format!("CREATE SCHEMA IF NOT EXISTS {vs};");
    for table in touched {
        if let Some(shape) = ctx.new.get(table) {
            let columns = shape
                .columns
                .iter()
                .map(|c| {
                    if c.visible == c.physical {
                        quote_ident(&c.visible)
                    } else {
                        format!(
                            "{} AS {}",
                            quote_ident(&c.physical),
                            quote_ident(&c.visible)
                        )
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            let view = format!("{vs}.{}", quote_ident(&shape.name));
            let _ = write!(
                views,
                "\nDROP VIEW IF EXISTS {view};\nCREATE VIEW {view} AS SELECT {columns} FROM {table};"
            );
        }
    }
    expand.push(ctx.ddl(
        format!(
            "create the version schema {} and its views",
            ctx.version_schema
        ),
        views,
    ));
    contract.push(ctx.ddl(
        format!("drop the version schema {}", ctx.version_schema),
        format!("DROP SCHEMA IF EXISTS {vs} CASCADE;"),
    ));
    let mut abort_steps = vec![ctx.ddl(
        format!("drop the version schema {}", ctx.version_schema),
        format!("DROP SCHEMA IF EXISTS {vs} CASCADE;"),
    )];
    for steps in abort.into_iter().rev() {
        abort_steps.extend(steps);
    }

    MigrationPlan {
        migration: migration.id.clone(),
        version_schema: ctx.version_schema,
        default_schema: options.default_schema.clone(),
        expand,
        contract,
        abort: abort_steps,
    }
}
