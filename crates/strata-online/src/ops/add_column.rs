//! `add_column`: a new column, added as a shadow column so old clients are unaffected.
//!
//! - After start: the table has a shadow column `_strata_new_<name>` (nullable; NOT NULL, CHECK
//!   and FOREIGN KEY as `NOT VALID` constraints, UNIQUE as an index built concurrently). When `up`
//!   is given, a trigger fills it for rows old clients write, and existing rows are backfilled.
//!   New clients see it under its name in the version schema.
//! - After complete: the constraints are validated, the trigger is gone and the shadow column is
//!   renamed to its name (NOT NULL set, the unique index attached as a constraint).
//! - After rollback: the shadow column and its trigger are dropped.

use super::{
    add_not_valid, attach_unique, drop_shadow, parse_table, set_not_null_then_drop_check,
    validate_step, ColumnDef, Entry, Fields, Op, Sink, SyncTrigger,
};
use crate::plan::{Backfill, Ctx, Plan, Shape, ShapeColumn, Step, StepKind};
use crate::preflight::{is_serial, new_row, old_row, over, type_and_default, Probe};
use crate::sqltext::{
    column_exists, eval_over_new, guarded, is_new_client, not_null_check, rewrite_column_refs,
    shadow_column, unique_index,
};
use crate::validate::Checker;
use strata_core::{quote_ident, QualifiedName};

pub const FIELDS: &[&str] = &["type", "table", "column", "up"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddColumn {
    pub table: QualifiedName,
    pub column: ColumnDef,
    /// SQL expression over the row (old column names) filling existing rows and rows written by
    /// old clients.
    pub up: Option<String>,
}

impl Op for AddColumn {
    fn fields() -> &'static [&'static str] {
        FIELDS
    }

    fn parse(f: &mut Fields<'_>, sink: &mut Sink<'_>) -> Option<AddColumn> {
        let table = parse_table(f, sink, "table");
        let column = match f.table(sink, "column") {
            Some((t, line)) => ColumnDef::parse("`column`".to_owned(), line, t, sink, false),
            None => {
                if f.take("column").is_none() {
                    sink.error(
                        f.line,
                        format!(
                            "{} needs `column` = {{ name = \"…\", type = \"…\" }}",
                            f.what
                        ),
                    );
                }
                None
            }
        };
        let up = f.string(sink, "up");
        Some(AddColumn {
            table: table?,
            column: column?,
            up,
        })
    }

    fn table(&self) -> Option<&QualifiedName> {
        Some(&self.table)
    }

    fn column(&self) -> Option<&str> {
        Some(&self.column.name)
    }

    fn changes_shape(&self) -> bool {
        true
    }

    /// New clients see the shadow column under the column's name.
    fn new_shape(&self, current: Option<Shape>, _ctx: &Ctx<'_>) -> Option<Shape> {
        current.map(|mut shape| {
            shape.columns.push(ShapeColumn {
                visible: self.column.name.clone(),
                physical: shadow_column(&self.column.name),
                data_type: self.column.data_type.clone(),
            });
            shape
        })
    }

    /// The table exists (and is not created by this migration); the name is free; a NOT NULL
    /// column can be filled; a backfill has a primary key to batch by; the reference exists and
    /// the check's name is free.
    fn validate(&self, entry: &Entry, v: &mut Checker<'_>) {
        let Some(table) = v.existing_table(entry, &self.table) else {
            return;
        };
        if !v.not_created_here(entry, &table) {
            return;
        }
        let c = &self.column;
        if !v.new_column(entry, &table, &c.name, "column") {
            return;
        }
        v.touch(entry, &table, &c.name, "column");
        if !c.nullable && c.default.is_none() && self.up.is_none() {
            v.error(
                entry.line_of("column"),
                format!("NOT NULL column `{}` needs `up` or a `default` to fill existing rows", c.name),
                Some("add `up = \"<expression over the row>\"`, or `default`, or make it nullable".to_owned()),
            );
        }
        if self.up.is_some() {
            v.primary_key(entry, &table);
        }
        if let Some(r) = &c.references {
            v.reference(entry, "column", r);
        }
        if let Some(name) = c.check.as_ref().and_then(|ch| ch.name.clone()) {
            v.constraint_name_free(entry, &table, &name, "column");
        }
        v.column_added(&table, &c.name);
    }

    /// The type and default (none for `serial` and friends), `up` over the row as old clients
    /// see it, the check over the row as new clients see it.
    fn probes(&self, ctx: &Ctx<'_>) -> Vec<Probe> {
        let c = &self.column;
        if is_serial(&c.data_type) {
            return Vec::new();
        }
        let mut out = type_and_default(&c.data_type, c.default.as_deref(), "column");
        if let Some(up) = &self.up {
            out.push(Probe {
                sql: format!(
                    "SELECT CAST(({up}) AS {}) FROM {} LIMIT 0",
                    c.data_type,
                    old_row(ctx, &self.table)
                ),
                field: "up",
                what: "`up`",
            });
        }
        if let Some(check) = &c.check {
            out.push(Probe {
                sql: over(
                    &format!("({})::boolean", check.expression),
                    &new_row(ctx, &self.table),
                ),
                field: "column",
                what: "check",
            });
        }
        out
    }

    fn plan(&self, ctx: &Ctx<'_>) -> Plan {
        let table = ctx.resolve(&self.table);
        let c = &self.column;
        let shadow = shadow_column(&c.name);
        let q_shadow = quote_ident(&shadow);
        let trigger = SyncTrigger::new(&table, &c.name);
        let nn = not_null_check(&c.name);

        // Start (expand): the shadow column with its default, NOT VALID constraints and, with
        // `up`, the sync trigger; then the backfill and the unique index.
        let mut sql = format!(
            "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {q_shadow} {}",
            c.data_type
        );
        match (&c.default, &self.up) {
            // Without `up`, the default fills existing rows (instantly, for a non-volatile one).
            (Some(d), None) => sql.push_str(&format!(" DEFAULT {d};")),
            // With `up`, existing rows stay NULL for the backfill; the default is for new rows.
            (Some(d), Some(_)) => sql.push_str(&format!(
                ";\nALTER TABLE {table} ALTER COLUMN {q_shadow} SET DEFAULT {d};"
            )),
            (None, _) => sql.push(';'),
        }
        let mut validations = Vec::new();
        if !c.nullable {
            sql.push('\n');
            sql.push_str(&add_not_valid(
                &table,
                &nn,
                &format!("CHECK ({q_shadow} IS NOT NULL)"),
            ));
            validations.push(nn.clone());
        }
        if let Some(check) = &c.check {
            let name = self.check_name();
            sql.push('\n');
            sql.push_str(&add_not_valid(
                &table,
                &name,
                &format!(
                    "CHECK ({})",
                    rewrite_column_refs(&check.expression, &c.name, &shadow)
                ),
            ));
            validations.push(name);
        }
        if let Some(r) = &c.references {
            let name = self.foreign_key_name();
            sql.push('\n');
            sql.push_str(&add_not_valid(
                &table,
                &name,
                &r.sql(&shadow, &ctx.options.default_schema),
            ));
            validations.push(name);
        }
        if let Some(up) = &self.up {
            let body = format!(
                "  IF NOT {} THEN\n    NEW.{q_shadow} := {};\n  END IF;",
                is_new_client(&ctx.version_schema),
                eval_over_new(up, &ctx.old_shape(&self.table).pairs())
            );
            sql.push('\n');
            sql.push_str(&trigger.create(&body));
        }

        let mut expand =
            vec![ctx.ddl(format!("add column {} to {table} as {shadow}", c.name), sql)];
        if let Some(up) = &self.up {
            let backfill = Backfill {
                table: table.clone(),
                column: shadow.clone(),
                expression: up.clone(),
                key: ctx.primary_key(&self.table),
            };
            expand.push(Step {
                description: format!("backfill {table}.{shadow}"),
                sql: backfill.batch_sql(None, crate::plan::DEFAULT_BATCH_SIZE),
                transactional: true,
                lock_timeout: Some(ctx.options.lock_timeout),
                kind: StepKind::Backfill(backfill),
            });
        }
        let uq = QualifiedName::new(table.schema.as_deref(), &unique_index(&table.name, &c.name));
        if c.unique {
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

        // Complete (contract): validate (no write lock), then rename in one short transaction.
        let mut contract: Vec<Step> = validations
            .iter()
            .map(|v| validate_step(ctx, &table, v))
            .collect();
        let mut swap = vec![
            trigger.drop(),
            guarded(
                &column_exists(&table, &shadow),
                &[format!(
                    "ALTER TABLE {table} RENAME COLUMN {q_shadow} TO {}",
                    quote_ident(&c.name)
                )],
            ) + ";",
        ];
        if !c.nullable {
            swap.push(set_not_null_then_drop_check(&table, &c.name, &nn));
        }
        if c.unique {
            swap.push(attach_unique(&table, &self.unique_name(), &uq));
        }
        contract.push(ctx.ddl(
            format!("rename {table}.{shadow} to {}", c.name),
            swap.join("\n"),
        ));

        // Rollback (abort): the trigger and the shadow column go.
        let abort = vec![drop_shadow(
            ctx,
            format!("drop column {table}.{shadow}"),
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

impl AddColumn {
    /// Default constraint names, as PostgreSQL would choose them.
    fn check_name(&self) -> String {
        self.column
            .check
            .as_ref()
            .and_then(|c| c.name.clone())
            .unwrap_or_else(|| format!("{}_{}_check", self.table.name, self.column.name))
    }
    fn foreign_key_name(&self) -> String {
        self.column
            .references
            .as_ref()
            .and_then(|r| r.name.clone())
            .unwrap_or_else(|| format!("{}_{}_fkey", self.table.name, self.column.name))
    }
    fn unique_name(&self) -> String {
        format!("{}_{}_key", self.table.name, self.column.name)
    }
}
