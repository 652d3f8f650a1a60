//! `alter_column`: a column's type, nullability, default or constraints change, through a shadow
//! column holding the new representation.
//!
//! - After start: the table has a shadow column `_strata_new_<column>` of the new type, with the
//!   new constraints added `NOT VALID` (UNIQUE as an index built concurrently), filled for
//!   existing rows by a backfill from `up`. A trigger keeps both in sync: a write by an old client
//!   sets the shadow column from `up`; a write by a new client (through the version schema, where
//!   the shadow column appears under the column's name) sets the old column from `down`.
//! - After complete: the constraints are validated; the trigger and the old column are dropped and
//!   the shadow column renamed to the column's name, in one transaction.
//! - After rollback: the shadow column and its trigger are dropped, keeping every row (new
//!   clients' writes already reached the old column through `down`).

use super::{
    add_not_valid, attach_unique, drop_shadow, parse_table, set_not_null_then_drop_check,
    validate_step, CheckDef, Entry, Fields, Op, Reference, Sink, SyncTrigger,
};
use crate::fields::Node;
use crate::plan::{Backfill, Ctx, Plan, Shape, Step, StepKind};
use crate::preflight::{new_row, old_row, over, Probe};
use crate::sqltext::{
    column_exists, eval_over_new, guarded, is_new_client, not_null_check, rewrite_column_refs,
    shadow_column, unique_index,
};
use crate::validate::Checker;
use strata_core::{quote_ident, QualifiedName};

pub const FIELDS: &[&str] = &[
    "type",
    "table",
    "column",
    "data_type",
    "nullable",
    "default",
    "check",
    "unique",
    "references",
    "up",
    "down",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlterColumn {
    pub table: QualifiedName,
    pub column: String,
    pub data_type: Option<String>,
    pub nullable: Option<bool>,
    pub default: Option<String>,
    pub check: Option<CheckDef>,
    /// `unique = { name }`: the name of the new unique constraint.
    pub unique: Option<String>,
    pub references: Option<Reference>,
    /// Old value -> new value, over the row as old clients see it (default: the column itself).
    pub up: Option<String>,
    /// New value -> old value, over the row as new clients see it (default: the column itself).
    pub down: Option<String>,
}

impl Op for AlterColumn {
    fn fields() -> &'static [&'static str] {
        FIELDS
    }

    fn parse(f: &mut Fields<'_>, sink: &mut Sink<'_>) -> Option<AlterColumn> {
        let table = parse_table(f, sink, "table");
        let column = f.required_string(sink, "column");
        let data_type = f.string(sink, "data_type");
        let nullable = f.bool(sink, "nullable");
        let default = f.string(sink, "default");
        let check = CheckDef::parse(f, sink, "check", true);
        let unique = match f.take("unique") {
            None => Some(None),
            Some((Node::Table(t), line)) => {
                let mut u = Fields::new("`unique`", line, t, sink.text);
                let name = u.required_string(sink, "name");
                u.finish(sink, &["name"]);
                name.map(Some)
            }
            Some((other, line)) => {
                sink.error(
                    line,
                    format!(
                        "`unique` must be a table `{{ name = \"…\" }}`, not {}",
                        other.kind()
                    ),
                );
                None
            }
        };
        let references = Reference::parse(f, sink, "references", true);
        let up = f.string(sink, "up");
        let down = f.string(sink, "down");
        let op = AlterColumn {
            table: table?,
            column: column?,
            data_type,
            nullable,
            default,
            check: check?,
            unique: unique?,
            references: references?,
            up,
            down,
        };
        if op.data_type.is_none()
            && op.nullable.is_none()
            && op.default.is_none()
            && op.check.is_none()
            && op.unique.is_none()
            && op.references.is_none()
        {
            sink.error_hint(
                f.line,
                format!("{} changes nothing", f.what),
                "give at least one of `data_type`, `nullable`, `default`, `check`, `unique`, `references`",
            );
            return None;
        }
        Some(op)
    }

    fn table(&self) -> Option<&QualifiedName> {
        Some(&self.table)
    }

    fn column(&self) -> Option<&str> {
        Some(&self.column)
    }

    fn changes_shape(&self) -> bool {
        true
    }

    /// New clients see the shadow column, of the new type, under the column's name.
    fn new_shape(&self, current: Option<Shape>, ctx: &Ctx<'_>) -> Option<Shape> {
        current.map(|mut shape| {
            let new_type = self.new_type(ctx);
            for c in &mut shape.columns {
                if c.physical == self.column {
                    c.physical = shadow_column(&self.column);
                    c.data_type = new_type.clone();
                }
            }
            shape
        })
    }

    /// The column exists (in a table this migration does not create) and can be shadowed
    /// ([`AlterColumn::limits`]); the table has a primary key for the backfill; the new
    /// constraints' names are free and the reference exists.
    fn validate(&self, entry: &Entry, v: &mut Checker<'_>) {
        let Some(table) = v.existing_table(entry, &self.table) else {
            return;
        };
        if !v.not_created_here(entry, &table)
            || !v.existing_column(entry, &table, &self.column, "column")
        {
            return;
        }
        v.touch(entry, &table, &self.column, "column");
        v.primary_key(entry, &table);
        self.limits(entry, &table, v);
        if let Some(check) = &self.check {
            if let Some(name) = &check.name {
                v.constraint_name_free(entry, &table, name, "check");
            }
        }
        if let Some(name) = &self.unique {
            v.constraint_name_free(entry, &table, name, "unique");
        }
        if let Some(r) = &self.references {
            v.reference(entry, "references", r);
            if let Some(name) = &r.name {
                v.constraint_name_free(entry, &table, name, "references");
            }
        }
    }

    /// The new type, `up` over the row as old clients see it, `down` over the row as new clients
    /// see it, the default (given, or the current one kept) for the new type, the check.
    fn probes(&self, ctx: &Ctx<'_>) -> Vec<Probe> {
        let mut out = Vec::new();
        let table = ctx.resolve(&self.table);
        let new_type = ctx
            .new_shape(&table)
            .columns
            .iter()
            .find(|c| c.physical == shadow_column(&self.column))
            .map(|c| c.data_type.clone())
            .unwrap_or_else(|| "text".to_owned());
        let old_type = ctx
            .table(&table)
            .and_then(|t| t.columns.iter().find(|c| c.name == self.column))
            .map(|c| c.data_type.clone())
            .unwrap_or_else(|| "text".to_owned());
        if self.data_type.is_some() {
            out.push(Probe {
                sql: format!("SELECT CAST(NULL AS {new_type})"),
                field: "data_type",
                what: "type",
            });
        }
        let col = quote_ident(&self.column);
        let up = self.up.clone().unwrap_or_else(|| col.clone());
        let down = self.down.clone().unwrap_or_else(|| col.clone());
        // Assignment casts are what the trigger applies; `CAST` is close enough to catch
        // an expression of a type that does not convert at all.
        out.push(Probe {
            sql: format!(
                "SELECT CAST(({up}) AS {new_type}) FROM {} LIMIT 0",
                old_row(ctx, &table)
            ),
            field: "up",
            what: "`up`",
        });
        out.push(Probe {
            sql: format!(
                "SELECT CAST(({down}) AS {old_type}) FROM {} LIMIT 0",
                new_row(ctx, &table)
            ),
            field: "down",
            what: "`down`",
        });
        let old_default = ctx
            .table(&table)
            .and_then(|t| t.columns.iter().find(|c| c.name == self.column))
            .and_then(|c| c.default.clone());
        match (&self.default, old_default) {
            (Some(d), _) => out.push(Probe {
                sql: format!("SELECT CAST(({d}) AS {new_type}) LIMIT 0"),
                field: "default",
                what: "default",
            }),
            (None, Some(d)) => out.push(Probe {
                sql: format!("SELECT CAST(({d}) AS {new_type}) LIMIT 0"),
                field: "data_type",
                what: "the column's current default (kept for the new type; give `default` to replace it)",
            }),
            (None, None) => {}
        }
        if let Some(check) = &self.check {
            out.push(Probe {
                sql: over(
                    &format!("({})::boolean", check.expression),
                    &new_row(ctx, &table),
                ),
                field: "check",
                what: "check",
            });
        }
        out
    }

    fn plan(&self, ctx: &Ctx<'_>) -> Plan {
        let table = ctx.resolve(&self.table);
        let old = self.old(ctx);
        let col = quote_ident(&self.column);
        let shadow = shadow_column(&self.column);
        let q_shadow = quote_ident(&shadow);
        let trigger = SyncTrigger::new(&table, &self.column);
        let nn = not_null_check(&self.column);
        let not_null = self
            .nullable
            .map(|n| !n)
            .unwrap_or_else(|| old.as_ref().is_some_and(|c| c.not_null));
        // The old default carries over (preflight checks that it suits a new type).
        let default = self
            .default
            .clone()
            .or_else(|| old.as_ref().and_then(|c| c.default.clone()));
        let up = self.up.clone().unwrap_or_else(|| col.clone());
        let down = self.down.clone().unwrap_or_else(|| col.clone());

        // Start (expand): the shadow column (no default yet, so existing rows stay NULL for the
        // backfill), its default, NOT VALID constraints, and the sync trigger; then the backfill
        // and the unique index.
        let mut sql = format!(
            "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {q_shadow} {};",
            self.new_type(ctx)
        );
        if let Some(d) = &default {
            sql.push_str(&format!(
                "\nALTER TABLE {table} ALTER COLUMN {q_shadow} SET DEFAULT {d};"
            ));
        }
        let mut validations = Vec::new();
        if not_null {
            sql.push('\n');
            sql.push_str(&add_not_valid(
                &table,
                &nn,
                &format!("CHECK ({q_shadow} IS NOT NULL)"),
            ));
            validations.push(nn.clone());
        }
        if let Some(check) = &self.check {
            let name = check.name.clone().unwrap_or_default();
            sql.push('\n');
            sql.push_str(&add_not_valid(
                &table,
                &name,
                &format!(
                    "CHECK ({})",
                    rewrite_column_refs(&check.expression, &self.column, &shadow)
                ),
            ));
            validations.push(name);
        }
        if let Some(r) = &self.references {
            let name = r.name.clone().unwrap_or_default();
            sql.push('\n');
            sql.push_str(&add_not_valid(
                &table,
                &name,
                &r.sql(&shadow, &ctx.options.default_schema),
            ));
            validations.push(name);
        }
        let body = format!(
            "  IF {} THEN\n    NEW.{col} := {};\n  ELSE\n    NEW.{q_shadow} := {};\n  END IF;",
            is_new_client(&ctx.version_schema),
            eval_over_new(&down, &ctx.new_shape(&self.table).pairs()),
            eval_over_new(&up, &ctx.old_shape(&self.table).pairs()),
        );
        sql.push('\n');
        sql.push_str(&trigger.create(&body));

        let backfill = Backfill {
            table: table.clone(),
            column: shadow.clone(),
            expression: up,
            key: ctx.primary_key(&self.table),
        };
        let mut expand = vec![
            ctx.ddl(
                format!("add shadow column {table}.{shadow} and its sync trigger"),
                sql,
            ),
            Step {
                description: format!("backfill {table}.{shadow}"),
                sql: backfill.batch_sql(None, crate::plan::DEFAULT_BATCH_SIZE),
                transactional: true,
                lock_timeout: Some(ctx.options.lock_timeout),
                kind: StepKind::Backfill(backfill),
            },
        ];
        let uq = QualifiedName::new(
            table.schema.as_deref(),
            &unique_index(&table.name, &self.column),
        );
        if self.unique.is_some() {
            expand.push(Step {
                description: format!("create unique index {uq} concurrently"),
                sql: format!(
                    "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {} ON {table} ({q_shadow});",
                    quote_ident(&uq.name)
                ),
                transactional: false,
                lock_timeout: None,
                kind: StepKind::CreateIndexConcurrently { index: uq.clone() },
            });
        }

        // Complete (contract): validate (no write lock), then swap in one short transaction.
        let mut contract: Vec<Step> = validations
            .iter()
            .map(|v| validate_step(ctx, &table, v))
            .collect();
        let mut swap = vec![
            trigger.drop(),
            // Guarded as a whole: once the shadow column is renamed, the old column is gone and
            // running the step again must not drop the new one.
            guarded(
                &column_exists(&table, &shadow),
                &[
                    format!("ALTER TABLE {table} DROP COLUMN {col}"),
                    format!("ALTER TABLE {table} RENAME COLUMN {q_shadow} TO {col}"),
                ],
            ) + ";",
        ];
        if not_null {
            swap.push(set_not_null_then_drop_check(&table, &self.column, &nn));
        }
        if let Some(name) = &self.unique {
            swap.push(attach_unique(&table, name, &uq));
        }
        contract.push(ctx.ddl(
            format!("replace {table}.{} by {shadow}", self.column),
            swap.join("\n"),
        ));

        // Rollback (abort): the trigger and the shadow column go; the old column has every row.
        let abort = vec![drop_shadow(
            ctx,
            format!("drop shadow column {table}.{shadow}"),
            trigger.drop(),
            &table,
            &shadow,
        )];
        Plan {
            expand,
            contract,
            abort,
        }
    }
}

impl AlterColumn {
    /// The column as it is now.
    fn old(&self, ctx: &Ctx<'_>) -> Option<strata_schema::Column> {
        ctx.table(&self.table)?
            .columns
            .iter()
            .find(|c| c.name == self.column)
            .cloned()
    }

    fn new_type(&self, ctx: &Ctx<'_>) -> String {
        self.data_type
            .clone()
            .or_else(|| self.old(ctx).map(|c| c.data_type))
            .unwrap_or_else(|| "text".to_owned())
    }

    /// What alter_column cannot do yet without losing something.
    fn limits(&self, entry: &Entry, table: &QualifiedName, v: &mut Checker<'_>) {
        let line = entry.line_of("column");
        let column = v
            .schema
            .tables
            .iter()
            .find(|t| t.name == *table)
            .and_then(|t| t.columns.iter().find(|c| c.name == self.column))
            .cloned();
        if let Some(c) = &column {
            if c.identity.is_some() || c.generated.is_some() {
                v.error(
                    line,
                    format!("column `{}` is an identity or generated column, which alter_column cannot shadow", self.column),
                    None,
                );
            }
        }
        let mut held_by: Vec<String> = v
            .schema
            .constraints
            .iter()
            .filter(|c| c.table == *table && c.columns.contains(&self.column))
            .map(|c| format!("constraint `{}`", c.name))
            .collect();
        held_by.extend(
            v.schema
                .indexes
                .iter()
                .filter(|i| {
                    i.table == *table
                        && i.columns.iter().any(|col| index_mentions(col, &self.column))
                })
                .map(|i| format!("index `{}`", i.name.name)),
        );
        if !held_by.is_empty() {
            v.error(
                line,
                format!(
                    "column `{}` is used by {}, which complete would lose with the old column",
                    self.column,
                    held_by.join(", ")
                ),
                Some("drop them in an earlier migration and re-create them on the new column (create_index, or `check`/`unique`/`references` here)".to_owned()),
            );
        }
    }
}

/// Whether an index key (a column name or an expression) mentions `column`.
fn index_mentions(key: &str, column: &str) -> bool {
    key == column
        || key == quote_ident(column)
        || rewrite_column_refs(key, column, "\u{1}") != key
}
