//! The operation types of SPEC §9, one file each. Every operation parses its own fields, says how
//! it changes the table new clients see ([`Operation::new_shape`]) and produces its [`Plan`].

pub mod add_column;
pub mod alter_column;
pub mod create_index;
pub mod create_table;
pub mod drop_column;
pub mod drop_index;
pub mod drop_table;
pub mod raw_sql;
pub mod rename_column;
pub mod rename_table;

use crate::fields::{Fields, Node, Sink};
use crate::plan::{Ctx, Plan, Shape};
use crate::sqltext::{dollar_quote, sync_name};
use strata_core::{quote_ident, QualifiedName};

/// Every `type` an operation may have.
pub const TYPES: &[&str] = &[
    "create_table",
    "drop_table",
    "rename_table",
    "add_column",
    "drop_column",
    "rename_column",
    "alter_column",
    "create_index",
    "drop_index",
    "raw_sql",
];

/// One operation of an online migration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    CreateTable(create_table::CreateTable),
    DropTable(drop_table::DropTable),
    RenameTable(rename_table::RenameTable),
    AddColumn(add_column::AddColumn),
    DropColumn(drop_column::DropColumn),
    RenameColumn(rename_column::RenameColumn),
    AlterColumn(alter_column::AlterColumn),
    CreateIndex(create_index::CreateIndex),
    DropIndex(drop_index::DropIndex),
    RawSql(raw_sql::RawSql),
}

/// An operation with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// 1-based position in `[[operations]]`.
    pub index: usize,
    /// Line of the operation (its first key).
    pub line: usize,
    /// Line of each field, for diagnostics about a particular field.
    pub lines: Vec<(String, usize)>,
    pub op: Operation,
}

impl Entry {
    /// The line of `field`, or of the operation when the field is absent.
    pub fn line_of(&self, field: &str) -> usize {
        self.lines
            .iter()
            .find(|(f, _)| f == field)
            .map_or(self.line, |(_, l)| *l)
    }
}

impl Operation {
    pub fn type_name(&self) -> &'static str {
        match self {
            Operation::CreateTable(_) => "create_table",
            Operation::DropTable(_) => "drop_table",
            Operation::RenameTable(_) => "rename_table",
            Operation::AddColumn(_) => "add_column",
            Operation::DropColumn(_) => "drop_column",
            Operation::RenameColumn(_) => "rename_column",
            Operation::AlterColumn(_) => "alter_column",
            Operation::CreateIndex(_) => "create_index",
            Operation::DropIndex(_) => "drop_index",
            Operation::RawSql(_) => "raw_sql",
        }
    }

    /// The table the operation works on (`raw_sql` has none).
    pub fn table(&self) -> Option<&QualifiedName> {
        match self {
            Operation::CreateTable(o) => Some(&o.table),
            Operation::DropTable(o) => Some(&o.table),
            Operation::RenameTable(o) => Some(&o.table),
            Operation::AddColumn(o) => Some(&o.table),
            Operation::DropColumn(o) => Some(&o.table),
            Operation::RenameColumn(o) => Some(&o.table),
            Operation::AlterColumn(o) => Some(&o.table),
            Operation::CreateIndex(o) => Some(&o.table),
            Operation::DropIndex(o) => Some(&o.table),
            Operation::RawSql(_) => None,
        }
    }

    /// The column the operation changes, when it changes one.
    pub fn column(&self) -> Option<&str> {
        match self {
            Operation::AddColumn(o) => Some(&o.column.name),
            Operation::DropColumn(o) => Some(&o.column),
            Operation::RenameColumn(o) => Some(&o.from),
            Operation::AlterColumn(o) => Some(&o.column),
            _ => None,
        }
    }

    /// Whether new clients see the table differently (so it gets a view in the version schema).
    pub fn changes_shape(&self) -> bool {
        matches!(
            self,
            Operation::CreateTable(_)
                | Operation::RenameTable(_)
                | Operation::AddColumn(_)
                | Operation::DropColumn(_)
                | Operation::RenameColumn(_)
                | Operation::AlterColumn(_)
        )
    }

    /// The table as new clients see it after this operation, from how they saw it before
    /// (`None`: the table does not exist for them).
    pub(crate) fn new_shape(&self, current: Option<Shape>, ctx: &Ctx<'_>) -> Option<Shape> {
        match self {
            Operation::CreateTable(o) => Some(o.shape()),
            Operation::DropTable(_) => None,
            Operation::RenameTable(o) => current.map(|mut s| {
                s.name = o.to.clone();
                s
            }),
            Operation::AddColumn(o) => current.map(|s| o.shape(s)),
            Operation::DropColumn(o) => current.map(|mut s| {
                s.columns.retain(|c| c.visible != o.column);
                s
            }),
            Operation::RenameColumn(o) => current.map(|mut s| {
                for c in &mut s.columns {
                    if c.visible == o.from {
                        c.visible = o.to.clone();
                    }
                }
                s
            }),
            Operation::AlterColumn(o) => current.map(|s| o.shape(s, ctx)),
            Operation::CreateIndex(_) | Operation::DropIndex(_) | Operation::RawSql(_) => current,
        }
    }

    /// The operation's expand, contract and abort steps.
    pub(crate) fn plan(&self, ctx: &Ctx<'_>) -> Plan {
        match self {
            Operation::CreateTable(o) => o.plan(ctx),
            Operation::DropTable(o) => o.plan(ctx),
            Operation::RenameTable(o) => o.plan(ctx),
            Operation::AddColumn(o) => o.plan(ctx),
            Operation::DropColumn(o) => o.plan(ctx),
            Operation::RenameColumn(o) => o.plan(ctx),
            Operation::AlterColumn(o) => o.plan(ctx),
            Operation::CreateIndex(o) => o.plan(ctx),
            Operation::DropIndex(o) => o.plan(ctx),
            Operation::RawSql(o) => o.plan(ctx),
        }
    }

    /// Parses the fields of an operation of type `type_name` (already checked to be in
    /// [`TYPES`]), reporting unknown and missing fields.
    pub(crate) fn parse(
        type_name: &str,
        mut f: Fields<'_>,
        sink: &mut Sink<'_>,
    ) -> Option<Operation> {
        let (op, known) = match type_name {
            "create_table" => (
                create_table::CreateTable::parse(&mut f, sink).map(Operation::CreateTable),
                create_table::FIELDS,
            ),
            "drop_table" => (
                drop_table::DropTable::parse(&mut f, sink).map(Operation::DropTable),
                drop_table::FIELDS,
            ),
            "rename_table" => (
                rename_table::RenameTable::parse(&mut f, sink).map(Operation::RenameTable),
                rename_table::FIELDS,
            ),
            "add_column" => (
                add_column::AddColumn::parse(&mut f, sink).map(Operation::AddColumn),
                add_column::FIELDS,
            ),
            "drop_column" => (
                drop_column::DropColumn::parse(&mut f, sink).map(Operation::DropColumn),
                drop_column::FIELDS,
            ),
            "rename_column" => (
                rename_column::RenameColumn::parse(&mut f, sink).map(Operation::RenameColumn),
                rename_column::FIELDS,
            ),
            "alter_column" => (
                alter_column::AlterColumn::parse(&mut f, sink).map(Operation::AlterColumn),
                alter_column::FIELDS,
            ),
            "create_index" => (
                create_index::CreateIndex::parse(&mut f, sink).map(Operation::CreateIndex),
                create_index::FIELDS,
            ),
            "drop_index" => (
                drop_index::DropIndex::parse(&mut f, sink).map(Operation::DropIndex),
                drop_index::FIELDS,
            ),
            _ => (
                raw_sql::RawSql::parse(&mut f, sink).map(Operation::RawSql),
                raw_sql::FIELDS,
            ),
        };
        f.take("type");
        f.finish(sink, known);
        op
    }
}

/// `table = "name"` or `"schema.name"`.
pub(crate) fn parse_table(
    f: &mut Fields<'_>,
    sink: &mut Sink<'_>,
    key: &str,
) -> Option<QualifiedName> {
    f.required_string(sink, key)
        .map(|t| QualifiedName::parse(&t))
}

/// `on_delete` values, as written in SQL.
const ON_DELETE: &[&str] = &[
    "NO ACTION",
    "RESTRICT",
    "CASCADE",
    "SET NULL",
    "SET DEFAULT",
];

/// `references = { table, column, on_delete, name }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub name: Option<String>,
    pub table: QualifiedName,
    pub column: String,
    /// One of `NO ACTION`, `RESTRICT`, `CASCADE`, `SET NULL`, `SET DEFAULT`.
    pub on_delete: Option<String>,
}

impl Reference {
    pub(crate) fn parse(
        f: &mut Fields<'_>,
        sink: &mut Sink<'_>,
        key: &str,
        name_required: bool,
    ) -> Option<Option<Reference>> {
        let Some((table, line)) = f.table(sink, key) else {
            return Some(None);
        };
        let what = format!("`{key}`");
        let mut r = Fields::new(what, line, table, sink.text);
        let name = if name_required {
            r.required_string(sink, "name")
        } else {
            r.string(sink, "name")
        };
        let target = parse_table(&mut r, sink, "table");
        let column = r.required_string(sink, "column");
        let mut ok = target.is_some() && column.is_some() && (name.is_some() || !name_required);
        let on_delete = match r.string(sink, "on_delete") {
            Some(v) => {
                let normal = v.replace('_', " ").to_uppercase();
                if ON_DELETE.contains(&normal.as_str()) {
                    Some(normal)
                } else {
                    sink.error_hint(
                        r.line_of("on_delete"),
                        format!("unknown `on_delete` action `{v}`"),
                        format!("use one of: {}", ON_DELETE.join(", ")),
                    );
                    ok = false;
                    None
                }
            }
            None => None,
        };
        r.finish(sink, &["name", "table", "column", "on_delete"]);
        if !ok {
            return None;
        }
        Some(Some(Reference {
            name,
            table: target?,
            column: column?,
            on_delete,
        }))
    }

    /// `FOREIGN KEY (column) REFERENCES t (c) ON DELETE …` (without the constraint name).
    pub(crate) fn sql(&self, column: &str, default_schema: &str) -> String {
        let mut sql = format!(
            "FOREIGN KEY ({}) REFERENCES {} ({})",
            quote_ident(column),
            crate::plan::resolve(&self.table, default_schema),
            quote_ident(&self.column)
        );
        if let Some(action) = &self.on_delete {
            sql.push_str(" ON DELETE ");
            sql.push_str(action);
        }
        sql
    }
}

/// `check = { name, expression }` (or, for a new column, just the expression as a string).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckDef {
    pub name: Option<String>,
    pub expression: String,
}

impl CheckDef {
    pub(crate) fn parse(
        f: &mut Fields<'_>,
        sink: &mut Sink<'_>,
        key: &str,
        name_required: bool,
    ) -> Option<Option<CheckDef>> {
        match f.take(key) {
            None => Some(None),
            Some((Node::Str(s), _)) if !name_required => Some(Some(CheckDef {
                name: None,
                expression: s.clone(),
            })),
            Some((Node::Table(table), line)) => {
                let mut c = Fields::new(format!("`{key}`"), line, table, sink.text);
                let name = if name_required {
                    c.required_string(sink, "name")
                } else {
                    c.string(sink, "name")
                };
                let expression = c.required_string(sink, "expression");
                c.finish(sink, &["name", "expression"]);
                if name_required && name.is_none() {
                    return None;
                }
                Some(Some(CheckDef {
                    name,
                    expression: expression?,
                }))
            }
            Some((other, line)) => {
                sink.error(
                    line,
                    format!(
                        "`{key}` must be {}, not {}",
                        if name_required {
                            "a table `{ name = \"…\", expression = \"…\" }`"
                        } else {
                            "an expression or a table `{ name = \"…\", expression = \"…\" }`"
                        },
                        other.kind()
                    ),
                );
                None
            }
        }
    }
}

/// A column definition: `{ name, type, nullable, default, primary_key, unique, references, check }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: String,
    pub data_type: String,
    /// Default true, as in SQL.
    pub nullable: bool,
    pub default: Option<String>,
    pub primary_key: bool,
    pub unique: bool,
    pub references: Option<Reference>,
    pub check: Option<CheckDef>,
}

pub(crate) const COLUMN_FIELDS: &[&str] = &[
    "name",
    "type",
    "nullable",
    "default",
    "primary_key",
    "unique",
    "references",
    "check",
];

impl ColumnDef {
    /// Parses a column table; `allow_primary_key` is false for `add_column`.
    pub(crate) fn parse(
        what: String,
        line: usize,
        table: &[(toml::Spanned<String>, Node)],
        sink: &mut Sink<'_>,
        allow_primary_key: bool,
    ) -> Option<ColumnDef> {
        let mut c = Fields::new(what, line, table, sink.text);
        let name = c.required_string(sink, "name");
        let data_type = c.required_string(sink, "type");
        let nullable = c.bool(sink, "nullable");
        let default = c.string(sink, "default");
        let primary_key = if allow_primary_key {
            c.bool(sink, "primary_key").unwrap_or(false)
        } else {
            false
        };
        let unique = c.bool(sink, "unique").unwrap_or(false);
        let references = Reference::parse(&mut c, sink, "references", false);
        let check = CheckDef::parse(&mut c, sink, "check", false);
        let known: Vec<&str> = COLUMN_FIELDS
            .iter()
            .copied()
            .filter(|f| allow_primary_key || *f != "primary_key")
            .collect();
        c.finish(sink, &known);
        Some(ColumnDef {
            name: name?,
            data_type: data_type?,
            nullable: nullable.unwrap_or(!primary_key),
            default,
            primary_key,
            unique,
            references: references?,
            check: check?,
        })
    }
}

/// A `BEFORE INSERT OR UPDATE … FOR EACH ROW` trigger and its function, named
/// `_strata_sync_<table>_<column>`, in the table's schema.
pub(crate) struct SyncTrigger {
    pub table: QualifiedName,
    pub name: String,
}

impl SyncTrigger {
    pub(crate) fn new(table: &QualifiedName, column: &str) -> SyncTrigger {
        SyncTrigger {
            table: table.clone(),
            name: sync_name(&table.name, column),
        }
    }

    fn function(&self) -> QualifiedName {
        QualifiedName::new(self.table.schema.as_deref(), &self.name)
    }

    /// Creates (or replaces) the function with `body` (PL/pgSQL statements assigning `NEW`
    /// fields) and the trigger. The function only assigns `NEW`, so it never fires itself or
    /// another trigger: no recursion guard is needed.
    pub(crate) fn create(&self, body: &str) -> String {
        let function = self.function();
        let code = format!("\n#variable_conflict use_column\nBEGIN\n{body}\n  RETURN NEW;\nEND\n");
        format!(
            "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS {};\n\
             DROP TRIGGER IF EXISTS {name} ON {table};\n\
             CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {function}();",
            dollar_quote(&code),
            name = quote_ident(&self.name),
            table = self.table,
        )
    }

    pub(crate) fn drop(&self) -> String {
        format!(
            "DROP TRIGGER IF EXISTS {} ON {};\nDROP FUNCTION IF EXISTS {}();",
            quote_ident(&self.name),
            self.table,
            self.function()
        )
    }
}

/// `ALTER TABLE t DROP CONSTRAINT IF EXISTS c, ADD CONSTRAINT c <definition> NOT VALID`: adding
/// a constraint without scanning the table, safe to run again.
pub(crate) fn add_not_valid(table: &QualifiedName, name: &str, definition: &str) -> String {
    format!(
        "ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}, ADD CONSTRAINT {name} {definition} NOT VALID;",
        name = quote_ident(name)
    )
}

/// `SET NOT NULL` on `column` (proven by the validated check `check`, so no scan), then the check
/// goes.
pub(crate) fn set_not_null_then_drop_check(
    table: &QualifiedName,
    column: &str,
    check: &str,
) -> String {
    format!(
        "ALTER TABLE {table} ALTER COLUMN {} SET NOT NULL;\nALTER TABLE {table} DROP CONSTRAINT IF EXISTS {};",
        quote_ident(column),
        quote_ident(check)
    )
}

/// The unique index built concurrently becomes constraint `name` (once: guarded).
pub(crate) fn attach_unique(table: &QualifiedName, name: &str, index: &QualifiedName) -> String {
    crate::sqltext::guarded(
        &crate::sqltext::relation_exists(index),
        &[format!(
            "ALTER TABLE {table} ADD CONSTRAINT {} UNIQUE USING INDEX {}",
            quote_ident(name),
            quote_ident(&index.name)
        )],
    ) + ";"
}

/// The abort step of a shadow column: its sync trigger, then the column.
pub(crate) fn drop_shadow(
    ctx: &Ctx<'_>,
    description: String,
    trigger_drop: String,
    table: &QualifiedName,
    shadow: &str,
) -> crate::plan::Step {
    ctx.ddl(
        description,
        format!(
            "{trigger_drop}\nALTER TABLE {table} DROP COLUMN IF EXISTS {};",
            quote_ident(shadow)
        ),
    )
}

/// A contract step validating a constraint added `NOT VALID` (a no-op once it is gone).
pub(crate) fn validate_step(ctx: &Ctx<'_>, table: &QualifiedName, name: &str) -> crate::plan::Step {
    ctx.ddl(
        format!("validate constraint {name} on {table}"),
        crate::sqltext::guarded(
            &crate::sqltext::constraint_exists(table, name),
            &[format!(
                "ALTER TABLE {table} VALIDATE CONSTRAINT {}",
                quote_ident(name)
            )],
        ),
    )
}
