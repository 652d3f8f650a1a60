//! Small helpers for reading parse trees, shared by the rules.

use crate::parse::inner;
use pg_query::protobuf::{self, Node, RangeVar, TypeName};
use pg_query::NodeEnum;

/// `schema.table` or `table` as PostgreSQL resolved the name (unquoted names folded to lower case).
pub fn table_name(relation: &Option<RangeVar>) -> String {
    match relation {
        Some(r) if !r.schemaname.is_empty() => format!("{}.{}", r.schemaname, r.relname),
        Some(r) => r.relname.clone(),
        None => String::new(),
    }
}

/// The string value of a `String` node.
pub fn string_value(node: &Node) -> Option<&str> {
    match node.node.as_ref()? {
        NodeEnum::String(s) => Some(&s.sval),
        _ => None,
    }
}

/// The last part of a type name, lower case: `int4`, `varchar`, `timestamp`, `json`, ...
pub fn type_base(type_name: &Option<TypeName>) -> String {
    type_name
        .as_ref()
        .and_then(|t| t.names.iter().rev().find_map(string_value))
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// The type as written for humans: `varchar(255)`, `integer`, `timestamp`.
pub fn type_display(type_name: &Option<TypeName>) -> String {
    let base = type_base(type_name);
    let mods: Vec<String> = type_name
        .as_ref()
        .map(|t| {
            t.typmods
                .iter()
                .filter_map(integer_value)
                .map(|i| i.to_string())
                .collect()
        })
        .unwrap_or_default();
    let pretty = match base.as_str() {
        "int4" => "integer",
        "int8" => "bigint",
        "int2" => "smallint",
        "float8" => "double precision",
        "float4" => "real",
        "bpchar" => "char",
        "timestamptz" => "timestamptz",
        other => other,
    };
    if mods.is_empty() {
        pretty.to_owned()
    } else {
        format!("{pretty}({})", mods.join(", "))
    }
}

/// The integer of an `A_Const` or `Integer` node.
pub fn integer_value(node: &Node) -> Option<i64> {
    match node.node.as_ref()? {
        NodeEnum::Integer(i) => Some(i64::from(i.ival)),
        NodeEnum::AConst(c) => match c.val.as_ref()? {
            protobuf::a_const::Val::Ival(i) => Some(i64::from(i.ival)),
            _ => None,
        },
        _ => None,
    }
}

/// The column definitions and table constraints of a `CREATE TABLE`.
pub fn create_table_parts(
    stmt: &protobuf::CreateStmt,
) -> (Vec<&protobuf::ColumnDef>, Vec<&protobuf::Constraint>) {
    let mut columns = Vec::new();
    let mut constraints = Vec::new();
    for element in &stmt.table_elts {
        match element.node.as_ref() {
            Some(NodeEnum::ColumnDef(c)) => columns.push(c.as_ref()),
            Some(NodeEnum::Constraint(c)) => constraints.push(c.as_ref()),
            _ => {}
        }
    }
    (columns, constraints)
}

/// The constraints attached to a column definition.
pub fn column_constraints(column: &protobuf::ColumnDef) -> Vec<&protobuf::Constraint> {
    column
        .constraints
        .iter()
        .filter_map(|c| match c.node.as_ref() {
            Some(NodeEnum::Constraint(c)) => Some(c.as_ref()),
            _ => None,
        })
        .collect()
}

/// The commands of an `ALTER TABLE`.
pub fn alter_commands(stmt: &protobuf::AlterTableStmt) -> Vec<&protobuf::AlterTableCmd> {
    stmt.cmds
        .iter()
        .filter_map(|c| match c.node.as_ref() {
            Some(NodeEnum::AlterTableCmd(c)) => Some(c.as_ref()),
            _ => None,
        })
        .collect()
}

/// The column definition an `ALTER TABLE … ADD COLUMN` / `ALTER COLUMN … TYPE` carries.
pub fn command_column_def(cmd: &protobuf::AlterTableCmd) -> Option<&protobuf::ColumnDef> {
    match inner(&cmd.def)? {
        NodeEnum::ColumnDef(c) => Some(c),
        _ => None,
    }
}

/// The constraint an `ALTER TABLE … ADD CONSTRAINT` carries.
pub fn command_constraint(cmd: &protobuf::AlterTableCmd) -> Option<&protobuf::Constraint> {
    match inner(&cmd.def)? {
        NodeEnum::Constraint(c) => Some(c),
        _ => None,
    }
}

/// Names of a list of `String` nodes (column lists, qualified names).
pub fn names(list: &[Node]) -> Vec<String> {
    list.iter()
        .filter_map(string_value)
        .map(str::to_owned)
        .collect()
}

/// Whether an object type is a table-like relation (`ALTER TABLE`, not `ALTER INDEX`/`VIEW`).
pub fn is_table(objtype: i32) -> bool {
    objtype == protobuf::ObjectType::ObjectTable as i32
}
