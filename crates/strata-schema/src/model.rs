//! The database model: every object kind strata models (docs/schema.md), as plain data.
//!
//! Two principles shape it:
//!
//! - **PostgreSQL's own canonical text where it has one** (`format_type`, `pg_get_expr`,
//!   `pg_get_constraintdef`, `pg_get_indexdef`, `pg_get_viewdef`, `pg_get_functiondef`,
//!   `pg_get_triggerdef`, `pg_get_partkeydef`), produced with an empty `search_path` so every name
//!   in it is schema-qualified and quoted by PostgreSQL. Two databases holding the same object give
//!   the same text, so comparing text compares objects.
//! - **Structured fields beside the text** for what a diff must reason about (nullability,
//!   identity, NOT VALID, deferrability, foreign-key targets, index uniqueness, ...). Names strata
//!   renders itself are kept unquoted here and quoted when rendered.
//!
//! Every object has a stable key ([`ObjectRef`]): kind, schema-qualified name, plus the table for
//! table-scoped objects (constraints, triggers, policies) and the argument types for functions.
//! [`Schema::normalize`] sorts every list by key, so two models of the same database are equal
//! and serialize identically. Order *inside* an object is kept as PostgreSQL defines it (columns
//! by position, enum labels by sort order, index columns by key position).

use serde::{Deserialize, Serialize};
use strata_core::QualifiedName;

/// A whole database schema: every object strata manages, each list sorted by key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    /// `server_version_num` of the database it was read from (0 when built by hand). Not compared
    /// by [`Schema::same_objects`].
    #[serde(default)]
    pub server_version: u32,
    #[serde(default)]
    pub schemas: Vec<Namespace>,
    #[serde(default)]
    pub extensions: Vec<Extension>,
    #[serde(default)]
    pub collations: Vec<Collation>,
    #[serde(default)]
    pub enums: Vec<EnumType>,
    #[serde(default)]
    pub domains: Vec<Domain>,
    #[serde(default)]
    pub composite_types: Vec<CompositeType>,
    #[serde(default)]
    pub range_types: Vec<RangeType>,
    #[serde(default)]
    pub sequences: Vec<Sequence>,
    #[serde(default)]
    pub functions: Vec<Function>,
    #[serde(default)]
    pub aggregates: Vec<Aggregate>,
    #[serde(default)]
    pub text_search_configs: Vec<TextSearchConfig>,
    #[serde(default)]
    pub tables: Vec<Table>,
    #[serde(default)]
    pub views: Vec<View>,
    #[serde(default)]
    pub materialized_views: Vec<MaterializedView>,
    #[serde(default)]
    pub constraints: Vec<Constraint>,
    #[serde(default)]
    pub indexes: Vec<Index>,
    #[serde(default)]
    pub triggers: Vec<Trigger>,
    #[serde(default)]
    pub policies: Vec<Policy>,
    /// Extended statistics (`CREATE STATISTICS`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statistics: Vec<Statistics>,
    /// Privileges on objects (`[schema] privileges = true`; empty otherwise): see
    /// [`crate::privileges`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<crate::privileges::Grant>,
    /// `ALTER DEFAULT PRIVILEGES` entries (`[schema] privileges = true`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default_privileges: Vec<crate::privileges::DefaultPrivilege>,
    /// Owners of objects (`[schema] owners = true`; empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<crate::privileges::Owner>,
    /// Objects the database holds that the model does not cover (event triggers, foreign tables,
    /// publications, casts, operators, ...): never compared nor written, but reported by every
    /// command that reads a schema, so that nothing disappears without a word.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_modelled: Vec<NotModelled>,
}

/// What kind of object an [`ObjectRef`] points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Schema,
    Extension,
    Collation,
    Enum,
    Domain,
    CompositeType,
    RangeType,
    Sequence,
    Function,
    Aggregate,
    TextSearchConfig,
    Table,
    View,
    MaterializedView,
    Constraint,
    Index,
    Trigger,
    Policy,
    Statistics,
}

impl ObjectKind {
    /// The words SQL uses for this kind (`MATERIALIZED VIEW`, `TEXT SEARCH CONFIGURATION`).
    pub fn sql_name(self) -> &'static str {
        match self {
            ObjectKind::Schema => "SCHEMA",
            ObjectKind::Extension => "EXTENSION",
            ObjectKind::Collation => "COLLATION",
            ObjectKind::Enum | ObjectKind::CompositeType | ObjectKind::RangeType => "TYPE",
            ObjectKind::Domain => "DOMAIN",
            ObjectKind::Sequence => "SEQUENCE",
            ObjectKind::Function => "FUNCTION",
            ObjectKind::Aggregate => "AGGREGATE",
            ObjectKind::TextSearchConfig => "TEXT SEARCH CONFIGURATION",
            ObjectKind::Table => "TABLE",
            ObjectKind::View => "VIEW",
            ObjectKind::MaterializedView => "MATERIALIZED VIEW",
            ObjectKind::Constraint => "CONSTRAINT",
            ObjectKind::Index => "INDEX",
            ObjectKind::Trigger => "TRIGGER",
            ObjectKind::Policy => "POLICY",
            ObjectKind::Statistics => "STATISTICS",
        }
    }
}

/// The stable key of an object: what a diff matches objects by, and what lists are sorted by.
///
/// Field order is sort order: kind, then the table (table-scoped objects sort by table first),
/// then the name, then the arguments (overloaded functions).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectRef {
    pub kind: ObjectKind,
    /// The table of a table-scoped object (constraint, trigger, policy; an index's table is in
    /// [`Index::table`], its key is its own schema-qualified name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<QualifiedName>,
    /// Schema-qualified name; unqualified for schemas and extensions; for table-scoped objects,
    /// the object's name in the table's schema.
    pub name: QualifiedName,
    /// The argument types of a function, procedure or aggregate, which with the name identify it
    /// (`oidvectortypes(proargtypes)`: `integer, text`; argument names are not part of it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
}

impl ObjectRef {
    pub fn new(kind: ObjectKind, name: QualifiedName) -> ObjectRef {
        ObjectRef {
            kind,
            table: None,
            name,
            arguments: None,
        }
    }

    fn in_table(kind: ObjectKind, table: &QualifiedName, name: &str) -> ObjectRef {
        ObjectRef {
            kind,
            table: Some(table.clone()),
            name: QualifiedName::new(table.schema.as_deref(), name),
            arguments: None,
        }
    }

    fn routine(kind: ObjectKind, name: &QualifiedName, arguments: &str) -> ObjectRef {
        ObjectRef {
            kind,
            table: None,
            name: name.clone(),
            arguments: Some(arguments.to_owned()),
        }
    }
}

impl std::fmt::Display for ObjectRef {
    /// `table "app"."users"`, `constraint "users_pkey" on "app"."users"`,
    /// `function "app"."f"(integer)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = format!("{:?}", self.kind);
        let kind = snake(&kind);
        match (&self.table, &self.arguments) {
            (Some(table), _) => write!(
                f,
                "{kind} {} on {table}",
                strata_core::quote_ident(&self.name.name)
            ),
            (None, Some(args)) => write!(f, "{kind} {}({args})", self.name),
            (None, None) => write!(f, "{kind} {}", self.name),
        }
    }
}

fn snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push(' ');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Anything with a key.
pub trait Keyed {
    fn key(&self) -> ObjectRef;
}

/// A schema (namespace). `public` is listed like any other.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Namespace {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// An installed extension. Its member objects are not part of the model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub name: String,
    /// The schema its objects live in.
    pub schema: String,
    /// The installed version (informational: `inspect --format sql` installs the server's
    /// default version, as `pg_dump` does).
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A collation created with `CREATE COLLATION`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collation {
    pub name: QualifiedName,
    /// `libc`, `icu` or `default`.
    pub provider: String,
    /// ICU locale (ICU collations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// `LC_COLLATE` / `LC_CTYPE` (libc collations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lc_collate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lc_ctype: Option<String>,
    pub deterministic: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `CREATE TYPE … AS ENUM`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumType {
    pub name: QualifiedName,
    /// In sort order.
    pub labels: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `CREATE DOMAIN`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    pub name: QualifiedName,
    /// The base type with its modifier (`format_type`): `character varying(20)`.
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<QualifiedName>,
    /// `pg_get_expr` of the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    pub not_null: bool,
    /// CHECK constraints, by name.
    #[serde(default)]
    pub checks: Vec<DomainCheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Objects of the model this one needs (derived from `pg_depend`; used to order creation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ObjectRef>,
}

/// A CHECK constraint of a domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainCheck {
    pub name: String,
    /// `pg_get_constraintdef`: `CHECK ((VALUE > 0))` (with `NOT VALID` when not validated).
    pub definition: String,
    pub validated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `CREATE TYPE … AS (…)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompositeType {
    pub name: QualifiedName,
    /// By position.
    pub attributes: Vec<CompositeAttribute>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ObjectRef>,
}

/// `CREATE TYPE … AS RANGE`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeType {
    pub name: QualifiedName,
    /// `format_type` of the subtype.
    pub subtype: String,
    /// The subtype's operator class, when not its default b-tree class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtype_opclass: Option<QualifiedName>,
    /// A collation other than the subtype's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<QualifiedName>,
    /// `regproc` text of the canonical function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
    /// `regproc` text of the subtype difference function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtype_diff: Option<String>,
    /// The multirange type that comes with it (PostgreSQL 14+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multirange: Option<QualifiedName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ObjectRef>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompositeAttribute {
    pub name: String,
    /// `format_type` with the modifier.
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<QualifiedName>,
}

/// A sequence created on its own (`CREATE SEQUENCE`, or by `serial`). Identity columns' sequences
/// are part of their column ([`Identity`]), not listed here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    pub name: QualifiedName,
    #[serde(flatten)]
    pub options: SequenceOptions,
    /// `CREATE UNLOGGED SEQUENCE` (PostgreSQL 15+; `serial` columns of unlogged tables).
    #[serde(default, skip_serializing_if = "is_false")]
    pub unlogged: bool,
    /// `OWNED BY`: the column whose drop drops the sequence (what `serial` sets up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<ColumnRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// The parameters of a sequence (also of an identity column's sequence).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceOptions {
    /// `smallint`, `integer` or `bigint`.
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub cache: i64,
    pub cycle: bool,
}

/// A column of a table.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ColumnRef {
    pub table: QualifiedName,
    pub column: String,
}

/// A function, procedure or window function: `pg_get_functiondef` plus what identifies it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    pub name: QualifiedName,
    /// The argument types (`oidvectortypes(proargtypes)`): part of the key.
    pub arguments: String,
    /// The arguments with their modes and names (`pg_get_function_identity_arguments`):
    /// `IN n integer, INOUT total integer`.
    pub signature: String,
    pub kind: FunctionKind,
    /// `pg_get_function_result`: `integer`, `SETOF app.users`, `TABLE(id integer)`; `None` for
    /// procedures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returns: Option<String>,
    pub language: String,
    /// `pg_get_functiondef`: the complete `CREATE OR REPLACE FUNCTION …` statement (without the
    /// final `;`).
    pub definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ObjectRef>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FunctionKind {
    Function,
    Procedure,
    Window,
}

/// `CREATE AGGREGATE`. Function and type references are PostgreSQL's `regproc`/`regtype` text,
/// quoted and schema-qualified (except for `pg_catalog` objects) by PostgreSQL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggregate {
    pub name: QualifiedName,
    /// The argument types (`oidvectortypes(proargtypes)`): part of the key.
    pub arguments: String,
    /// The argument list to declare it with (`pg_get_function_arguments`; ordered-set aggregates
    /// show `ORDER BY` here; empty for `*`).
    pub signature: String,
    /// `normal`, `ordered_set` or `hypothetical`.
    pub kind: String,
    pub sfunc: String,
    pub stype: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sspace: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalfunc: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub finalfunc_extra: bool,
    /// `READ_ONLY`, `SHAREABLE` or `READ_WRITE`.
    pub finalfunc_modify: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combinefunc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serialfunc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deserialfunc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initcond: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msfunc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minvfunc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mstype: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub msspace: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfinalfunc: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub mfinalfunc_extra: bool,
    pub mfinalfunc_modify: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minitcond: Option<String>,
    /// `regoperator` text of the sort operator (`MIN`/`MAX`-like aggregates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sortop: Option<String>,
    /// `SAFE`, `RESTRICTED` or `UNSAFE`.
    pub parallel: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ObjectRef>,
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `CREATE TEXT SEARCH CONFIGURATION` and its mappings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextSearchConfig {
    pub name: QualifiedName,
    pub parser: QualifiedName,
    /// By token type number (the parser's order).
    pub mappings: Vec<TextSearchMapping>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextSearchMapping {
    /// The token type's alias (`asciiword`).
    pub token_type: String,
    /// In the order they are consulted.
    pub dictionaries: Vec<QualifiedName>,
}

/// A table (ordinary or partitioned, including partitions).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub name: QualifiedName,
    /// By position (dropped columns left out).
    pub columns: Vec<Column>,
    /// A partitioned table's key (`pg_get_partkeydef`): `RANGE (created_at)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_key: Option<String>,
    /// When this table is a partition: its parent and bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_of: Option<PartitionOf>,
    /// Parents by (legacy) inheritance, in `inhseqno` order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inherits: Vec<QualifiedName>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub unlogged: bool,
    /// Storage parameters (`reloptions`): `fillfactor=70`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub row_security: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub force_row_security: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ObjectRef>,
}

impl Table {
    /// An ordinary, logged table with these columns and nothing else set.
    pub fn new(name: QualifiedName, columns: Vec<Column>) -> Table {
        Table {
            name,
            columns,
            partition_key: None,
            partition_of: None,
            inherits: Vec::new(),
            unlogged: false,
            options: Vec::new(),
            row_security: false,
            force_row_security: false,
            comment: None,
            depends_on: Vec::new(),
        }
    }
}

/// A partition's place: `PARTITION OF parent FOR VALUES …`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionOf {
    pub parent: QualifiedName,
    /// `pg_get_expr(relpartbound)`: `FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')`, `DEFAULT`.
    pub bound: String,
}

/// A column of a table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// The type with its modifier (`format_type(atttypid, atttypmod)`): `character varying(20)`,
    /// `numeric(12,2)`, `app.mood[]`.
    pub data_type: String,
    /// The type without its modifier (`format_type(atttypid, NULL)`): `character varying`.
    pub type_name: String,
    /// The raw type modifier (`atttypmod`) when the type has one; compare with care (for
    /// `varchar(n)` it is `n + 4`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_modifier: Option<i32>,
    pub not_null: bool,
    /// `pg_get_expr` of the default (not for generated or identity columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// The expression of a `GENERATED ALWAYS AS (…) STORED` column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
    /// A collation other than the type's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<QualifiedName>,
    /// Only inherited: an inheritance child's column that comes from its parents and that the
    /// child does not declare itself (`attislocal = false`). Always false for partitions, whose
    /// columns all come from their parent.
    #[serde(default, skip_serializing_if = "is_false")]
    pub inherited: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Column {
    /// A nullable column of a type without a modifier, with nothing else set.
    pub fn new(name: impl Into<String>, type_name: impl Into<String>) -> Column {
        let type_name = type_name.into();
        Column {
            name: name.into(),
            data_type: type_name.clone(),
            type_name,
            type_modifier: None,
            not_null: false,
            default: None,
            identity: None,
            generated: None,
            collation: None,
            inherited: false,
            comment: None,
        }
    }
}

/// `GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY (…)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// `ALWAYS` (true) or `BY DEFAULT` (false).
    pub always: bool,
    /// The identity sequence's name.
    pub sequence: QualifiedName,
    #[serde(flatten)]
    pub options: SequenceOptions,
}

/// `CREATE VIEW`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub name: QualifiedName,
    /// `pg_get_viewdef` (without the final `;`).
    pub definition: String,
    /// `reloptions`: `check_option=local`, `security_barrier=true`, `security_invoker=true`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ObjectRef>,
}

/// `CREATE MATERIALIZED VIEW` (its indexes are in [`Schema::indexes`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterializedView {
    pub name: QualifiedName,
    pub definition: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ObjectRef>,
}

/// A table constraint. NOT NULL is a column attribute ([`Column::not_null`]); constraint
/// triggers are [`Trigger`]s; constraints a partition or child inherits (and does not also
/// declare itself) are left out: they come back with their parent's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    pub table: QualifiedName,
    pub name: String,
    pub kind: ConstraintKind,
    /// `pg_get_constraintdef`: `FOREIGN KEY (a) REFERENCES app.t(id) ON DELETE CASCADE NOT VALID`.
    pub definition: String,
    /// The constrained columns, in key order (empty for expression-only checks).
    #[serde(default)]
    pub columns: Vec<String>,
    /// False for a constraint added `NOT VALID` and not validated since.
    pub validated: bool,
    pub deferrable: bool,
    pub initially_deferred: bool,
    /// `NO INHERIT` (checks).
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_inherit: bool,
    /// Also inherited from a parent (a partition's or child's own copy of its parent's check).
    #[serde(default, skip_serializing_if = "is_false")]
    pub inherited: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreign_key: Option<ForeignKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    Check,
    Exclusion,
    ForeignKey,
}

/// The target and behaviour of a foreign key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub references: QualifiedName,
    pub referenced_columns: Vec<String>,
    pub on_update: ForeignKeyAction,
    pub on_delete: ForeignKeyAction,
    pub match_type: ForeignKeyMatch,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForeignKeyAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForeignKeyMatch {
    Simple,
    Full,
    Partial,
}

/// An index that is not the index of a constraint (those belong to their [`Constraint`]) and
/// not a partition's copy of its parent's index (re-created with the parent's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// In the schema of its table.
    pub name: QualifiedName,
    /// The table or materialized view.
    pub table: QualifiedName,
    /// `pg_get_indexdef`: `CREATE UNIQUE INDEX i ON app.t USING btree (lower(email)) WHERE …`.
    /// For a partitioned table PostgreSQL writes `ON ONLY`; it is dropped here, because creating
    /// the index on the parent is what creates its partitions' indexes.
    pub definition: String,
    pub unique: bool,
    /// The access method: `btree`, `gin`, `gist`, ...
    pub method: String,
    /// Key columns or expressions, in order (`pg_get_indexdef(…, n, false)`; opclasses, collations
    /// and ordering are in [`Index::definition`]).
    pub columns: Vec<String>,
    /// `INCLUDE` columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// The `WHERE` of a partial index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// `NULLS NOT DISTINCT` (PostgreSQL 15+).
    #[serde(default, skip_serializing_if = "is_false")]
    pub nulls_not_distinct: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A trigger (including constraint triggers); internal triggers (foreign keys') and partitions'
/// copies of their parent's triggers are left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub table: QualifiedName,
    pub name: String,
    /// `pg_get_triggerdef`: the complete `CREATE [CONSTRAINT] TRIGGER …` statement.
    pub definition: String,
    pub constraint: bool,
    pub enabled: TriggerEnabled,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// When a trigger fires (`tgenabled`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerEnabled {
    /// Default: fires in `origin` and `local` replication roles.
    Origin,
    Disabled,
    Replica,
    Always,
}

/// A row-level security policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub table: QualifiedName,
    pub name: String,
    pub permissive: bool,
    /// `ALL`, `SELECT`, `INSERT`, `UPDATE` or `DELETE`.
    pub command: String,
    /// Role names, sorted; `public` stands for `PUBLIC`.
    pub roles: Vec<String>,
    /// `pg_get_expr` of `USING`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub using: Option<String>,
    /// `pg_get_expr` of `WITH CHECK`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_check: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `CREATE STATISTICS`: extended statistics on columns or expressions of one table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statistics {
    /// In its own schema (usually its table's).
    pub name: QualifiedName,
    /// The table or materialized view.
    pub table: QualifiedName,
    /// `pg_get_statisticsobjdef`: the complete `CREATE STATISTICS …` statement (without `;`).
    pub definition: String,
    /// `ALTER STATISTICS … SET STATISTICS n` when set (`stxstattarget`; `None`: the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// An object of a kind the model does not cover, reported so that it is not lost silently.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NotModelled {
    /// The kind as PostgreSQL names it: `event trigger`, `foreign table`, `publication`, ...
    /// (one of [`NOT_MODELLED_KINDS`]).
    pub kind: String,
    /// Its name as SQL writes it (quoted, schema-qualified where it has a schema).
    pub name: String,
}

impl std::fmt::Display for NotModelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind, self.name)
    }
}

/// The kinds of objects introspection reports as not modelled ([`NotModelled::kind`]); the
/// "What strata models" table of docs/schema.md lists the same.
pub const NOT_MODELLED_KINDS: &[&str] = &[
    "event trigger",
    "foreign-data wrapper",
    "foreign server",
    "user mapping",
    "foreign table",
    "publication",
    "subscription",
    "cast",
    "operator",
    "operator class",
    "operator family",
    "rule",
    "transform",
    "language",
    "conversion",
    "text search dictionary",
    "text search parser",
    "text search template",
    "access method",
    "base type",
];

impl Keyed for Namespace {
    fn key(&self) -> ObjectRef {
        ObjectRef::new(ObjectKind::Schema, QualifiedName::new(None, &self.name))
    }
}

impl Keyed for Extension {
    fn key(&self) -> ObjectRef {
        ObjectRef::new(ObjectKind::Extension, QualifiedName::new(None, &self.name))
    }
}

macro_rules! keyed_by_name {
    ($($ty:ty => $kind:expr),* $(,)?) => {
        $(impl Keyed for $ty {
            fn key(&self) -> ObjectRef {
                ObjectRef::new($kind, self.name.clone())
            }
        })*
    };
}

keyed_by_name! {
    Collation => ObjectKind::Collation,
    EnumType => ObjectKind::Enum,
    Domain => ObjectKind::Domain,
    CompositeType => ObjectKind::CompositeType,
    RangeType => ObjectKind::RangeType,
    Sequence => ObjectKind::Sequence,
    TextSearchConfig => ObjectKind::TextSearchConfig,
    Table => ObjectKind::Table,
    View => ObjectKind::View,
    MaterializedView => ObjectKind::MaterializedView,
    Index => ObjectKind::Index,
    Statistics => ObjectKind::Statistics,
}

impl Keyed for Function {
    fn key(&self) -> ObjectRef {
        ObjectRef::routine(ObjectKind::Function, &self.name, &self.arguments)
    }
}

impl Keyed for Aggregate {
    fn key(&self) -> ObjectRef {
        ObjectRef::routine(ObjectKind::Aggregate, &self.name, &self.arguments)
    }
}

impl Keyed for Constraint {
    fn key(&self) -> ObjectRef {
        ObjectRef::in_table(ObjectKind::Constraint, &self.table, &self.name)
    }
}

impl Keyed for Trigger {
    fn key(&self) -> ObjectRef {
        ObjectRef::in_table(ObjectKind::Trigger, &self.table, &self.name)
    }
}

impl Keyed for Policy {
    fn key(&self) -> ObjectRef {
        ObjectRef::in_table(ObjectKind::Policy, &self.table, &self.name)
    }
}

fn sort_by_key<T: Keyed>(items: &mut [T]) {
    items.sort_by_cached_key(Keyed::key);
}

fn sort_refs(refs: &mut Vec<ObjectRef>) {
    refs.sort();
    refs.dedup();
}

impl Schema {
    /// Sorts every list by key (and each `depends_on` list), so that equal databases give equal
    /// models. Order that means something (columns, enum labels, index keys) is left alone.
    pub fn normalize(&mut self) {
        sort_by_key(&mut self.schemas);
        sort_by_key(&mut self.extensions);
        sort_by_key(&mut self.collations);
        sort_by_key(&mut self.enums);
        sort_by_key(&mut self.domains);
        for domain in &mut self.domains {
            domain.checks.sort_by(|a, b| a.name.cmp(&b.name));
            sort_refs(&mut domain.depends_on);
        }
        sort_by_key(&mut self.composite_types);
        for ty in &mut self.composite_types {
            sort_refs(&mut ty.depends_on);
        }
        sort_by_key(&mut self.range_types);
        for ty in &mut self.range_types {
            sort_refs(&mut ty.depends_on);
        }
        sort_by_key(&mut self.sequences);
        sort_by_key(&mut self.functions);
        for f in &mut self.functions {
            sort_refs(&mut f.depends_on);
        }
        sort_by_key(&mut self.aggregates);
        for a in &mut self.aggregates {
            sort_refs(&mut a.depends_on);
        }
        sort_by_key(&mut self.text_search_configs);
        sort_by_key(&mut self.tables);
        for t in &mut self.tables {
            sort_refs(&mut t.depends_on);
        }
        sort_by_key(&mut self.views);
        for v in &mut self.views {
            sort_refs(&mut v.depends_on);
        }
        sort_by_key(&mut self.materialized_views);
        for v in &mut self.materialized_views {
            sort_refs(&mut v.depends_on);
        }
        sort_by_key(&mut self.constraints);
        sort_by_key(&mut self.indexes);
        sort_by_key(&mut self.triggers);
        sort_by_key(&mut self.policies);
        for p in &mut self.policies {
            p.roles.sort();
        }
        sort_by_key(&mut self.statistics);
        self.grants.sort();
        self.grants.dedup();
        self.default_privileges.sort();
        self.default_privileges.dedup();
        self.owners.sort();
        self.owners.dedup();
        self.not_modelled.sort();
        self.not_modelled.dedup();
    }

    /// The model as JSON (pretty, stable field order).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the model always serializes")
    }

    pub fn from_json(text: &str) -> Result<Schema, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The same objects, ignoring [`Schema::server_version`].
    pub fn same_objects(&self, other: &Schema) -> bool {
        Schema {
            server_version: 0,
            ..self.clone()
        } == Schema {
            server_version: 0,
            ..other.clone()
        }
    }

    pub fn table(&self, name: &QualifiedName) -> Option<&Table> {
        self.tables.iter().find(|t| &t.name == name)
    }

    /// How many objects of each kind, for summaries: `[("tables", 519), ...]` (kinds with none
    /// left out).
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        let counts = [
            ("schemas", self.schemas.len()),
            ("extensions", self.extensions.len()),
            ("collations", self.collations.len()),
            ("enums", self.enums.len()),
            ("domains", self.domains.len()),
            ("composite types", self.composite_types.len()),
            ("range types", self.range_types.len()),
            ("sequences", self.sequences.len()),
            ("functions", self.functions.len()),
            ("aggregates", self.aggregates.len()),
            ("text search configurations", self.text_search_configs.len()),
            ("tables", self.tables.len()),
            (
                "columns",
                self.tables.iter().map(|t| t.columns.len()).sum::<usize>(),
            ),
            ("views", self.views.len()),
            ("materialized views", self.materialized_views.len()),
            ("constraints", self.constraints.len()),
            ("indexes", self.indexes.len()),
            ("triggers", self.triggers.len()),
            ("policies", self.policies.len()),
            ("statistics", self.statistics.len()),
        ];
        counts.into_iter().filter(|(_, n)| *n > 0).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_sorts_by_key_and_json_round_trips() {
        let q = |s: &str, n: &str| QualifiedName::new(Some(s), n);
        let trigger = |table: &str, name: &str| Trigger {
            table: q("app", table),
            name: name.into(),
            definition: String::new(),
            constraint: false,
            enabled: TriggerEnabled::Replica,
            comment: Some("c".into()),
        };
        let mut schema = Schema {
            server_version: 150000,
            schemas: vec![
                Namespace {
                    name: "b".into(),
                    comment: None,
                },
                Namespace {
                    name: "a".into(),
                    comment: None,
                },
            ],
            triggers: vec![trigger("t2", "a"), trigger("t1", "z"), trigger("t1", "b")],
            ..Schema::default()
        };
        schema.normalize();
        let names: Vec<&str> = schema.schemas.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        let keys: Vec<String> = schema
            .triggers
            .iter()
            .map(|t| t.key().to_string())
            .collect();
        assert_eq!(
            keys,
            [
                r#"trigger "b" on "app"."t1""#,
                r#"trigger "z" on "app"."t1""#,
                r#"trigger "a" on "app"."t2""#
            ]
        );
        let json = schema.to_json();
        assert!(json.contains(r#""enabled": "replica""#), "{json}");
        assert_eq!(Schema::from_json(&json).unwrap(), schema);
        // Absent lists and optional fields default.
        let minimal = Schema::from_json(r#"{"schemas": [{"name": "x"}]}"#).unwrap();
        assert_eq!(minimal.schemas[0].comment, None);
        assert!(minimal.tables.is_empty());
    }
}
