//! The operation types of online migrations (docs/online.md), one file each.
//!
//! An operation type is a struct implementing `Op` in `ops/<type>.rs`, which reads top to bottom
//! as the operation's whole life: its fields and how they are parsed, the table it touches and the
//! shape it gives that table for new clients (the version schema's view), its validation against
//! the live schema, its SQL probes (checked by the server before start), and its [`Plan`]: the
//! expand steps of start, the contract steps of complete, the abort steps of rollback.
//!
//! Adding an operation is that file plus one line in the list of `operations!` below, which
//! declares the module, the [`Operation`] variant, the `type` name and the `match` dispatching to
//! the trait.
//! What stays in this file is shared between operations: [`Entry`], the column, reference and
//! check definitions, and the helpers of shadow columns (sync triggers, `NOT VALID` constraints).

use crate::fields::{Fields, Node, Sink};
use crate::plan::{Ctx, Plan, Shape};
use crate::preflight::Probe;
use crate::sqltext::{dollar_quote, sync_name};
use crate::validate::Checker;
use strata_core::{quote_ident, QualifiedName};

/// The life of one operation type, from the file to rollback. Implemented by the struct of each
/// `ops/<type>.rs`, in this order.
pub(crate) trait Op {
    /// The keys an `[[operations]]` table of this type may have, `type` included (the parser
    /// reports any other key as unknown, suggesting the closest of these).
    fn fields() -> &'static [&'static str]
    where
        Self: Sized;

    /// Reads the fields, reporting missing and mistyped ones to `sink`.
    fn parse(f: &mut Fields<'_>, sink: &mut Sink<'_>) -> Option<Self>
    where
        Self: Sized;

    /// The table the operation works on (`raw_sql` has none).
    fn table(&self) -> Option<&QualifiedName>;

    /// The column the operation changes, when it changes one.
    fn column(&self) -> Option<&str> {
        None
    }

    /// Whether new clients see the table differently (so it gets a view in the version schema).
    fn changes_shape(&self) -> bool;

    /// The name of that view: the table's own name unless the operation renames the table.
    fn view_name(&self) -> Option<&str> {
        self.table().map(|t| t.name.as_str())
    }

    /// The table as new clients see it after this operation, from how they saw it before
    /// (`None`: the table does not exist for them).
    fn new_shape(&self, current: Option<Shape>, ctx: &Ctx<'_>) -> Option<Shape>;

    /// Checks the operation against the schema as the earlier operations of the migration left
    /// it, reporting problems at the line of the field concerned, and records what it changes
    /// (created, renamed and dropped tables, columns and indexes) for the operations after it.
    fn validate(&self, entry: &Entry, v: &mut Checker<'_>);

    /// The SQL fragments the server plans before start (`LIMIT 0`), so a misspelt column or type
    /// is a diagnostic at its line instead of a failure halfway through start. None by default.
    fn probes(&self, _ctx: &Ctx<'_>) -> Vec<Probe> {
        Vec::new()
    }

    /// The steps of each phase: expand (start), contract (complete), abort (rollback).
    fn plan(&self, ctx: &Ctx<'_>) -> Plan;
}

/// Declares the operation types from one list of `<type>: <Struct>` lines (the module
/// `ops/<type>.rs` holds `<Struct>`, which implements [`Op`]): the modules, [`TYPES`], the
/// [`Operation`] enum, and the `match`es dispatching from a variant to its [`Op`].
macro_rules! operations {
    ($($module:ident: $Struct:ident,)*) => {
        $(pub mod $module;)*

        /// Every `type` an operation may have.
        pub const TYPES: &[&str] = &[$(stringify!($module)),*];

        /// One operation of an online migration.
        #[derive(Clone, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Operation {
            $($Struct($module::$Struct),)*
        }

        impl Operation {
            /// The operation's `type` in the file.
            pub fn type_name(&self) -> &'static str {
                match self {
                    $(Operation::$Struct(_) => stringify!($module),)*
                }
            }

            /// What the operation does, as its type implements it.
            pub(crate) fn as_op(&self) -> &dyn Op {
                match self {
                    $(Operation::$Struct(op) => op,)*
                }
            }

            /// The operation of type `type_name` read from `f`, and the fields of its type;
            /// `None` for a type not in [`TYPES`].
            fn parse_type(
                type_name: &str,
                f: &mut Fields<'_>,
                sink: &mut Sink<'_>,
            ) -> Option<(Option<Operation>, &'static [&'static str])> {
                match type_name {
                    $(stringify!($module) => Some((
                        $module::$Struct::parse(f, sink).map(Operation::$Struct),
                        $module::$Struct::fields(),
                    )),)*
                    _ => None,
                }
            }
        }
    };
}

// The operation types, in the order docs/online.md lists them (and of the `type` hint). One line each.
operations! {
    create_table: CreateTable,
    drop_table: DropTable,
    rename_table: RenameTable,
    add_column: AddColumn,
    drop_column: DropColumn,
    rename_column: RenameColumn,
    alter_column: AlterColumn,
    create_index: CreateIndex,
    drop_index: DropIndex,
    raw_sql: RawSql,
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
    /// The table the operation works on (`raw_sql` has none).
    pub fn table(&self) -> Option<&QualifiedName> {
        self.as_op().table()
    }

    /// The column the operation changes, when it changes one.
    pub fn column(&self) -> Option<&str> {
        self.as_op().column()
    }

    /// Whether new clients see the table differently (so it gets a view in the version schema).
    pub fn changes_shape(&self) -> bool {
        self.as_op().changes_shape()
    }

    /// The table as new clients see it after this operation, from how they saw it before
    /// (`None`: the table does not exist for them).
    pub(crate) fn new_shape(&self, current: Option<Shape>, ctx: &Ctx<'_>) -> Option<Shape> {
        self.as_op().new_shape(current, ctx)
    }

    /// The operation's expand, contract and abort steps.
    pub(crate) fn plan(&self, ctx: &Ctx<'_>) -> Plan {
        self.as_op().plan(ctx)
    }

    /// Parses the fields of an operation of type `type_name` (already checked to be in
    /// [`TYPES`]), reporting unknown and missing fields.
    pub(crate) fn parse(
        type_name: &str,
        mut f: Fields<'_>,
        sink: &mut Sink<'_>,
    ) -> Option<Operation> {
        let (op, known) = Operation::parse_type(type_name, &mut f, sink)?;
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
