//! Models and plan lookups the diff's unit tests share: names that need quoting everywhere
//! (`"a""b"."Mixed Case"`), columns with type modifiers, definitions of every kind.

pub(super) use super::{diff, render, Change, ChangeKind, DiffOptions, Plan};
pub(super) use crate::model::*;
use strata_core::quote_ident;
pub(super) use strata_core::QualifiedName;

pub(super) fn q(schema: &str, name: &str) -> QualifiedName {
    QualifiedName::new(Some(schema), name)
}

pub(super) fn column(name: &str, data_type: &str) -> Column {
    let (type_name, type_modifier) = match data_type.split_once('(') {
        Some((base, rest)) => {
            let args: Vec<i32> = rest
                .trim_end_matches(')')
                .split(',')
                .map(|n| n.trim().parse().unwrap())
                .collect();
            let typmod = match args[..] {
                [n] if base == "character varying" => n + 4,
                [p] => (p << 16) + 4,
                [p, s] => ((p << 16) | s) + 4,
                _ => unreachable!(),
            };
            (base.to_owned(), Some(typmod))
        }
        None => (data_type.to_owned(), None),
    };
    Column {
        data_type: data_type.into(),
        type_modifier,
        ..Column::new(name, type_name)
    }
}

pub(super) fn table(name: QualifiedName, columns: Vec<Column>) -> Table {
    Table::new(name, columns)
}

pub(super) fn hostile() -> QualifiedName {
    q(r#"a"b"#, "Mixed Case")
}

pub(super) fn with_tables(tables: Vec<Table>) -> Schema {
    let mut s = Schema {
        tables,
        ..Schema::default()
    };
    s.normalize();
    s
}

pub(super) fn plan(from: &Schema, to: &Schema) -> Plan {
    diff(from, to, &DiffOptions::default())
}

pub(super) fn only(plan: &Plan, kind: ChangeKind) -> &Change {
    let found: Vec<&Change> = plan.changes.iter().filter(|c| c.kind == kind).collect();
    assert_eq!(found.len(), 1, "{kind:?} in {plan:#?}");
    found[0]
}

pub(super) fn hazards(c: &Change) -> Vec<&'static str> {
    c.hazards.iter().map(|h| h.id.as_str()).collect()
}

pub(super) fn index(table: &QualifiedName, name: &str) -> Index {
    Index {
        name: QualifiedName::new(table.schema.as_deref(), name),
        table: table.clone(),
        definition: format!(
            "CREATE INDEX {} ON {table} USING btree (\"order\")",
            quote_ident(name)
        ),
        unique: false,
        method: "btree".into(),
        columns: vec!["\"order\"".into()],
        include: vec![],
        predicate: None,
        nulls_not_distinct: false,
        comment: None,
    }
}

pub(super) fn constraint(
    table: &QualifiedName,
    name: &str,
    kind: ConstraintKind,
    definition: &str,
) -> Constraint {
    Constraint {
        table: table.clone(),
        name: name.into(),
        kind,
        definition: definition.into(),
        columns: vec![],
        validated: true,
        deferrable: false,
        initially_deferred: false,
        no_inherit: false,
        inherited: false,
        foreign_key: None,
        comment: None,
    }
}

pub(super) fn kinds(p: &Plan) -> Vec<ChangeKind> {
    p.changes.iter().map(|c| c.kind).collect()
}

pub(super) fn enum_type(name: QualifiedName, labels: &[&str]) -> EnumType {
    EnumType {
        name,
        labels: labels.iter().map(|l| l.to_string()).collect(),
        comment: None,
    }
}

pub(super) fn domain(name: QualifiedName, data_type: &str) -> Domain {
    Domain {
        name,
        data_type: data_type.into(),
        collation: None,
        default: None,
        not_null: false,
        checks: vec![],
        comment: None,
        depends_on: vec![],
    }
}

pub(super) fn function(name: QualifiedName, body: &str, depends_on: Vec<ObjectRef>) -> Function {
    Function {
        definition: format!(
            "CREATE OR REPLACE FUNCTION {name}()\n RETURNS integer\n LANGUAGE sql\nAS $function${body}$function$"
        ),
        name,
        arguments: String::new(),
        signature: String::new(),
        kind: FunctionKind::Function,
        returns: Some("integer".into()),
        language: "sql".into(),
        comment: None,
        depends_on,
    }
}

pub(super) fn uses(kind: ObjectKind, name: &QualifiedName) -> ObjectRef {
    ObjectRef::new(kind, name.clone())
}

pub(super) fn routine(name: &QualifiedName) -> ObjectRef {
    ObjectRef {
        arguments: Some(String::new()),
        ..uses(ObjectKind::Function, name)
    }
}
