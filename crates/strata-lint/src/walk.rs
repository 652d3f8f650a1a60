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

// --- Names in help SQL, column definitions, schema changes (design, data-loss and downgrade rules).

/// A name as SQL: bare when PostgreSQL reads it back unchanged (lower case, not a reserved word),
/// double-quoted otherwise. For the SQL in help texts.
pub fn ident(name: &str) -> String {
    let simple = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if simple && !is_reserved_word(name) {
        name.to_owned()
    } else {
        strata_core::quote_ident(name)
    }
}

/// Whether a word needs quoting as a column or table name (`user`, `order`, `select`, ...).
fn is_reserved_word(word: &str) -> bool {
    use protobuf::KeywordKind;
    // No reserved (or type/function name) keyword holds a digit or is longer than
    // `current_timestamp`: most names need no scan (a scan per name was 7% of a lint run).
    if word.len() > "current_timestamp".len() || word.bytes().any(|b| b.is_ascii_digit()) {
        return false;
    }
    // The same few table names come back in finding after finding: remember the answers.
    thread_local! {
        static SEEN: std::cell::RefCell<std::collections::HashMap<String, bool>> =
            std::cell::RefCell::default();
    }
    if let Some(known) = SEEN.with(|seen| seen.borrow().get(word).copied()) {
        return known;
    }
    let reserved = pg_query::scan(word).is_ok_and(|scan| {
        scan.tokens.iter().any(|t| {
            t.keyword_kind == KeywordKind::ReservedKeyword as i32
                || t.keyword_kind == KeywordKind::TypeFuncNameKeyword as i32
        })
    });
    SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        if seen.len() < 4096 {
            seen.insert(word.to_owned(), reserved);
        }
    });
    reserved
}

/// A [`table_name`] string (`schema.table` or `table`) as SQL, each part through [`ident`].
pub fn table_ident(table: &str) -> String {
    match table.split_once('.') {
        Some((schema, name)) => format!("{}.{}", ident(schema), ident(name)),
        None => ident(table),
    }
}

/// A qualified name given as a list of `String` nodes (`DROP TABLE` objects), in the form of
/// [`table_name`]: `schema.table` or `table` (a database name in front is dropped).
pub fn dotted_name(node: &Node) -> String {
    let parts = match node.node.as_ref() {
        Some(NodeEnum::List(list)) => names(&list.items),
        Some(NodeEnum::String(s)) => vec![s.sval.clone()],
        _ => Vec::new(),
    };
    let skip = parts.len().saturating_sub(2);
    parts[skip..].join(".")
}

/// Whether two [`table_name`]s can be the same table: equal, or equal once the schema of the
/// qualified one is dropped (`public.orders` and `orders`).
pub fn same_table(a: &str, b: &str) -> bool {
    fn bare(t: &str) -> &str {
        t.rsplit('.').next().unwrap_or(t)
    }
    a == b || ((!a.contains('.') || !b.contains('.')) && bare(a) == bare(b))
}

/// Whether a constraint is of the given type.
pub fn is_constraint(constraint: &protobuf::Constraint, kind: protobuf::ConstrType) -> bool {
    constraint.contype == kind as i32
}

/// How a statement comes to define a column's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnSiteKind {
    /// A column of `CREATE TABLE`.
    Create,
    /// `ALTER TABLE … ADD COLUMN`.
    Add,
    /// `ALTER TABLE … ALTER COLUMN … TYPE`.
    Retype,
}

/// A column definition in a statement, with the table and name it belongs to.
#[derive(Clone, Debug)]
pub struct ColumnSite<'a> {
    /// As [`table_name`] gives it.
    pub table: String,
    pub name: &'a str,
    pub def: &'a protobuf::ColumnDef,
    pub kind: ColumnSiteKind,
}

impl ColumnSite<'_> {
    /// Byte offset of the definition in the section (its column name; the type when unknown).
    pub fn location(&self) -> i32 {
        if self.def.location >= 0 {
            self.def.location
        } else {
            self.def.type_name.as_ref().map_or(-1, |t| t.location)
        }
    }
}

/// Every column a statement defines or gives a new type: the columns of `CREATE TABLE` (not
/// `CREATE TABLE AS`), `ADD COLUMN`, `ALTER COLUMN … TYPE` (tables only, not views or types).
pub fn column_sites(node: &NodeEnum) -> Vec<ColumnSite<'_>> {
    use protobuf::AlterTableType;
    let mut out = Vec::new();
    match node {
        NodeEnum::CreateStmt(stmt) => {
            for def in create_table_parts(stmt).0 {
                out.push(ColumnSite {
                    table: table_name(&stmt.relation),
                    name: &def.colname,
                    def,
                    kind: ColumnSiteKind::Create,
                });
            }
        }
        NodeEnum::AlterTableStmt(stmt) if is_table(stmt.objtype) => {
            for cmd in alter_commands(stmt) {
                let Some(def) = command_column_def(cmd) else {
                    continue;
                };
                let (name, kind) = if cmd.subtype == AlterTableType::AtAddColumn as i32 {
                    (def.colname.as_str(), ColumnSiteKind::Add)
                } else if cmd.subtype == AlterTableType::AtAlterColumnType as i32 {
                    (cmd.name.as_str(), ColumnSiteKind::Retype)
                } else {
                    continue;
                };
                out.push(ColumnSite {
                    table: table_name(&stmt.relation),
                    name,
                    def,
                    kind,
                });
            }
        }
        _ => {}
    }
    out
}

/// Whether a statement changes the shape of the schema (so undoing it needs a down): DDL of any
/// kind, `COMMENT`, `SECURITY LABEL`, `TRUNCATE` (as `upgrade`'s own check counts it) and
/// `SELECT … INTO`. Not: validating constraints (`VALIDATE CONSTRAINT` alone), reading and
/// writing rows, session settings, transaction control,
/// privileges (`GRANT`, `REVOKE`, `ALTER DEFAULT PRIVILEGES`, `REASSIGN OWNED`), maintenance that
/// keeps the shape (`VACUUM`, `ANALYZE`, `REINDEX`, `CLUSTER`, `REFRESH MATERIALIZED VIEW`),
/// `ALTER SYSTEM`, and opaque code (`DO`, `CALL`): what it does is not visible to the parser.
pub fn changes_schema(node: &NodeEnum) -> bool {
    match node {
        NodeEnum::SelectStmt(select) => select.into_clause.is_some(),
        // Validating a constraint checks the rows and changes no definition.
        NodeEnum::AlterTableStmt(s)
            if !alter_commands(s).is_empty()
                && alter_commands(s).iter().all(|c| {
                    c.subtype == protobuf::AlterTableType::AtValidateConstraint as i32
                }) =>
        {
            false
        }
        NodeEnum::AlterDomainStmt(d) if d.subtype == "V" => false,
        NodeEnum::InsertStmt(_)
        | NodeEnum::UpdateStmt(_)
        | NodeEnum::DeleteStmt(_)
        | NodeEnum::MergeStmt(_)
        | NodeEnum::CopyStmt(_)
        | NodeEnum::VariableSetStmt(_)
        | NodeEnum::VariableShowStmt(_)
        | NodeEnum::TransactionStmt(_)
        | NodeEnum::GrantStmt(_)
        | NodeEnum::GrantRoleStmt(_)
        | NodeEnum::AlterDefaultPrivilegesStmt(_)
        | NodeEnum::ReassignOwnedStmt(_)
        | NodeEnum::DoStmt(_)
        | NodeEnum::CallStmt(_)
        | NodeEnum::ExplainStmt(_)
        | NodeEnum::LockStmt(_)
        | NodeEnum::NotifyStmt(_)
        | NodeEnum::ListenStmt(_)
        | NodeEnum::UnlistenStmt(_)
        | NodeEnum::VacuumStmt(_)
        | NodeEnum::CheckPointStmt(_)
        | NodeEnum::DiscardStmt(_)
        | NodeEnum::PrepareStmt(_)
        | NodeEnum::ExecuteStmt(_)
        | NodeEnum::DeallocateStmt(_)
        | NodeEnum::DeclareCursorStmt(_)
        | NodeEnum::FetchStmt(_)
        | NodeEnum::ClosePortalStmt(_)
        | NodeEnum::ConstraintsSetStmt(_)
        | NodeEnum::LoadStmt(_)
        | NodeEnum::ReindexStmt(_)
        | NodeEnum::ClusterStmt(_)
        | NodeEnum::RefreshMatViewStmt(_)
        | NodeEnum::AlterSystemStmt(_) => false,
        _ => true,
    }
}

// --- Locking rules: columns and their constraints, expressions, options, names in help SQL.

/// The first constraint of a kind attached to a column definition.
pub fn column_constraint(
    column: &protobuf::ColumnDef,
    kind: protobuf::ConstrType,
) -> Option<&protobuf::Constraint> {
    column_constraints(column)
        .into_iter()
        .find(|c| is_constraint(c, kind))
}

/// The `DEFAULT` expression of a column definition.
pub fn column_default(column: &protobuf::ColumnDef) -> Option<&Node> {
    column.raw_default.as_deref().or_else(|| {
        column_constraint(column, protobuf::ConstrType::ConstrDefault)
            .and_then(|c| c.raw_expr.as_deref())
    })
}

/// Whether a column definition says `NOT NULL` (or `PRIMARY KEY`, which implies it).
pub fn column_not_null(column: &protobuf::ColumnDef) -> bool {
    column.is_not_null
        || column_constraints(column).iter().any(|c| {
            is_constraint(c, protobuf::ConstrType::ConstrNotnull)
                || is_constraint(c, protobuf::ConstrType::ConstrPrimary)
        })
}

/// `serial`, `bigserial`, `smallserial` (and `serial2/4/8`): a type [`type_base`] names that is
/// an integer with a sequence default.
pub fn is_serial(base: &str) -> bool {
    matches!(
        base,
        "serial" | "bigserial" | "smallserial" | "serial2" | "serial4" | "serial8"
    )
}

/// Whether an expression is the constant `NULL` (possibly cast: `NULL::text`).
pub fn is_null_constant(node: &Node) -> bool {
    match node.node.as_ref() {
        Some(NodeEnum::AConst(c)) => c.isnull,
        Some(NodeEnum::TypeCast(cast)) => cast.arg.as_deref().is_some_and(is_null_constant),
        _ => false,
    }
}

/// Calls `f` on every node of an expression, the node itself first: operators, function
/// arguments, casts, `CASE`, `COALESCE`, `ARRAY[…]`, row constructors, boolean and null tests.
/// Subqueries are not entered.
pub fn visit_expr<'a>(node: &'a Node, f: &mut dyn FnMut(&'a NodeEnum)) {
    let Some(inner) = node.node.as_ref() else {
        return;
    };
    f(inner);
    let one = |n: &'a Option<Box<Node>>| n.as_deref().into_iter().collect::<Vec<&'a Node>>();
    let children: Vec<&'a Node> = match inner {
        NodeEnum::FuncCall(c) => c.args.iter().collect(),
        NodeEnum::TypeCast(c) => one(&c.arg),
        NodeEnum::AExpr(e) => [&e.lexpr, &e.rexpr].into_iter().flat_map(one).collect(),
        NodeEnum::BoolExpr(e) => e.args.iter().collect(),
        NodeEnum::CoalesceExpr(e) => e.args.iter().collect(),
        NodeEnum::MinMaxExpr(e) => e.args.iter().collect(),
        NodeEnum::NullTest(e) => one(&e.arg),
        NodeEnum::BooleanTest(e) => one(&e.arg),
        NodeEnum::CaseExpr(e) => [&e.arg, &e.defresult]
            .into_iter()
            .flat_map(one)
            .chain(e.args.iter())
            .collect(),
        NodeEnum::CaseWhen(w) => [&w.expr, &w.result].into_iter().flat_map(one).collect(),
        NodeEnum::AArrayExpr(e) => e.elements.iter().collect(),
        NodeEnum::RowExpr(e) => e.args.iter().collect(),
        NodeEnum::List(l) => l.items.iter().collect(),
        NodeEnum::NamedArgExpr(e) => one(&e.arg),
        NodeEnum::CollateClause(c) => one(&c.arg),
        NodeEnum::AIndirection(i) => one(&i.arg),
        _ => Vec::new(),
    };
    for child in children {
        visit_expr(child, f);
    }
}

/// The function calls in an expression: (name, lower case, without schema; byte offset).
pub fn function_calls(node: &Node) -> Vec<(String, i32)> {
    let mut out = Vec::new();
    visit_expr(node, &mut |n| {
        if let NodeEnum::FuncCall(call) = n {
            let name = call
                .funcname
                .iter()
                .rev()
                .find_map(string_value)
                .unwrap_or("")
                .to_ascii_lowercase();
            out.push((name, call.location));
        }
    });
    out
}

/// The column a plain column reference names (`a`, or the last part of `t.a`).
pub fn column_ref(node: &Node) -> Option<&str> {
    match node.node.as_ref()? {
        NodeEnum::ColumnRef(c) => c.fields.last().and_then(string_value),
        _ => None,
    }
}

/// For `CHECK (col IS NOT NULL)`: the column.
pub fn not_null_check_column(constraint: &protobuf::Constraint) -> Option<&str> {
    if !is_constraint(constraint, protobuf::ConstrType::ConstrCheck) {
        return None;
    }
    match crate::parse::inner(&constraint.raw_expr)? {
        NodeEnum::NullTest(t) if t.nulltesttype == protobuf::NullTestType::IsNotNull as i32 => {
            column_ref(t.arg.as_deref()?)
        }
        _ => None,
    }
}

/// The names of the options in a `DefElem` list, lower case: `VACUUM (FULL)`, `REINDEX
/// (CONCURRENTLY)`, `CLUSTER (VERBOSE)`.
pub fn option_names(list: &[Node]) -> Vec<String> {
    list.iter()
        .filter_map(|n| match n.node.as_ref() {
            Some(NodeEnum::DefElem(d)) => Some(d.defname.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// Whether an option of a `DefElem` list is given and on: `VACUUM (FULL)`, `VACUUM (FULL TRUE)`,
/// `REINDEX (CONCURRENTLY 1)`; not `VACUUM (FULL FALSE)`, `(FULL off)` or `(FULL 0)`.
pub fn option_on(list: &[Node], name: &str) -> bool {
    list.iter().any(|n| match n.node.as_ref() {
        Some(NodeEnum::DefElem(d)) if d.defname.eq_ignore_ascii_case(name) => {
            match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
                None => true,
                Some(NodeEnum::String(s)) => !matches!(
                    s.sval.to_ascii_lowercase().as_str(),
                    "false" | "off" | "0" | "no"
                ),
                Some(NodeEnum::Boolean(b)) => b.boolval,
                Some(NodeEnum::Integer(i)) => i.ival != 0,
                Some(NodeEnum::AConst(c)) => match &c.val {
                    Some(protobuf::a_const::Val::Boolval(b)) => b.boolval,
                    Some(protobuf::a_const::Val::Ival(i)) => i.ival != 0,
                    Some(protobuf::a_const::Val::Sval(s)) => !matches!(
                        s.sval.to_ascii_lowercase().as_str(),
                        "false" | "off" | "0" | "no"
                    ),
                    _ => true,
                },
                Some(_) => true,
            }
        }
        _ => false,
    })
}

/// The tables of a list of `RangeVar` nodes (`TRUNCATE`, `LOCK TABLE`), as [`table_name`].
pub fn range_var_names(list: &[Node]) -> Vec<String> {
    list.iter()
        .filter_map(|n| match n.node.as_ref() {
            Some(NodeEnum::RangeVar(r)) => Some(table_name(&Some(r.clone()))),
            _ => None,
        })
        .collect()
}

/// A type as SQL for help texts: [`type_display`] plus `[]` for arrays.
pub fn type_sql(type_name: &Option<TypeName>) -> String {
    let arrays = type_name.as_ref().map_or(0, |t| t.array_bounds.len());
    format!("{}{}", type_display(type_name), "[]".repeat(arrays))
}

/// A name PostgreSQL would accept for a new object: cut to 63 bytes (at a character boundary).
pub fn object_name(name: &str) -> String {
    strata_core::truncate_identifier(name).to_owned()
}

/// The table part of a [`table_name`] (`orders` of `app.orders`), for building object names.
pub fn bare_table(table: &str) -> &str {
    table.rsplit('.').next().unwrap_or(table)
}

/// An expression as SQL, as PostgreSQL prints it back (`gen_random_uuid()`, `'new'::text`), for
/// help texts. Deparsed inside a `SELECT` the parser made, so every field is one it accepts.
pub fn expr_sql(expr: &Node) -> Option<String> {
    let parsed = pg_query::parse("SELECT 1", pg_query::ParserOptions::DEFAULT).ok()?;
    let mut statement = parsed
        .protobuf
        .stmts
        .first()?
        .stmt
        .as_deref()?
        .node
        .clone()?;
    let NodeEnum::SelectStmt(select) = &mut statement else {
        return None;
    };
    let Some(NodeEnum::ResTarget(target)) = select.target_list.first_mut()?.node.as_mut() else {
        return None;
    };
    target.val = Some(Box::new(expr.clone()));
    let text = statement
        .deparse(pg_query::DeparseOptions::default())
        .ok()?;
    text.strip_prefix("SELECT ").map(str::to_owned)
}

// --- Design rules: a column with another type, as help SQL.

/// The SQL that gives a column another type where it is defined: `payload jsonb` in a
/// `CREATE TABLE`, `ALTER TABLE t ADD COLUMN payload jsonb;`, or
/// `ALTER TABLE t ALTER COLUMN payload TYPE jsonb USING <using>;` (`using` defaults to a cast).
pub fn column_with_type(site: &ColumnSite<'_>, new_type: &str, using: Option<&str>) -> String {
    let t = table_ident(&site.table);
    let c = ident(site.name);
    match site.kind {
        ColumnSiteKind::Create => format!("{c} {new_type}"),
        ColumnSiteKind::Add => format!("ALTER TABLE {t} ADD COLUMN {c} {new_type};"),
        ColumnSiteKind::Retype => {
            let using = using.map_or_else(|| format!("{c}::{new_type}"), str::to_owned);
            format!("ALTER TABLE {t} ALTER COLUMN {c} TYPE {new_type} USING {using};")
        }
    }
}

/// `ALTER TABLE <stmt's table> <commands>` as SQL, as PostgreSQL prints it back: for help texts
/// that show a statement's own commands changed (`NOT VALID` added, split in two). The commands
/// come from the parser, so every field is one the deparser accepts.
pub fn alter_sql(
    stmt: &protobuf::AlterTableStmt,
    cmds: Vec<protobuf::AlterTableCmd>,
) -> Option<String> {
    let mut stmt = stmt.clone();
    stmt.cmds = cmds
        .into_iter()
        .map(|c| Node {
            node: Some(NodeEnum::AlterTableCmd(Box::new(c))),
        })
        .collect();
    NodeEnum::AlterTableStmt(stmt)
        .deparse(pg_query::DeparseOptions::default())
        .ok()
}

/// A column definition carried by an `ALTER TABLE` command on a table (`ADD COLUMN`,
/// `ALTER COLUMN … TYPE`).
pub struct AlteredColumn<'s> {
    /// Index of the statement in its section.
    pub statement: usize,
    pub table: String,
    pub cmd: &'s protobuf::AlterTableCmd,
    pub column: &'s protobuf::ColumnDef,
}

/// Every command of kind `subtype` in the table `ALTER`s of `statements`, with its column
/// definition, in order: what the rules about added and retyped columns walk.
pub fn altered_columns(
    statements: &[crate::parse::Statement],
    subtype: protobuf::AlterTableType,
) -> Vec<AlteredColumn<'_>> {
    let mut out = Vec::new();
    for (i, statement) in statements.iter().enumerate() {
        let NodeEnum::AlterTableStmt(stmt) = &statement.node else {
            continue;
        };
        if !is_table(stmt.objtype) {
            continue;
        }
        let table = table_name(&stmt.relation);
        for cmd in alter_commands(stmt) {
            if cmd.subtype != subtype as i32 {
                continue;
            }
            if let Some(column) = command_column_def(cmd) {
                out.push(AlteredColumn {
                    statement: i,
                    table: table.clone(),
                    cmd,
                    column,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod name_and_schema_change_tests {
    use super::*;

    fn first(sql: &str) -> NodeEnum {
        crate::parse::parse_section(sql, 1).unwrap().remove(0).node
    }

    #[test]
    fn names_are_quoted_only_when_needed() {
        assert_eq!(ident("users"), "users");
        assert_eq!(ident("user_2"), "user_2");
        assert_eq!(ident("name"), "name");
        assert_eq!(ident("user"), "\"user\"");
        assert_eq!(ident("order"), "\"order\"");
        assert_eq!(ident("totalAmount"), "\"totalAmount\"");
        assert_eq!(ident("2fa"), "\"2fa\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(table_ident("app.user"), "app.\"user\"");
        let NodeEnum::DropStmt(drop) = first("DROP TABLE a, s.b, db.s.c;") else {
            panic!()
        };
        let names: Vec<String> = drop.objects.iter().map(dotted_name).collect();
        assert_eq!(names, ["a", "s.b", "s.c"]);
        assert!(same_table("public.t", "t") && same_table("t", "t"));
        assert!(!same_table("a.t", "b.t") && !same_table("t", "u"));
    }

    #[test]
    fn schema_changes() {
        for sql in [
            "CREATE TABLE t (a int)",
            "ALTER TABLE t ADD COLUMN b int",
            "DROP INDEX i",
            "CREATE EXTENSION pg_trgm",
            "COMMENT ON TABLE t IS 'x'",
            "ALTER TABLE t RENAME TO u",
            "TRUNCATE t",
            "SELECT * INTO t2 FROM t",
            "CREATE VIEW v AS SELECT 1",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        ] {
            assert!(changes_schema(&first(sql)), "{sql}");
        }
        for sql in [
            "INSERT INTO t VALUES (1)",
            "UPDATE t SET a = 1",
            "DELETE FROM t",
            "SELECT 1",
            "SET lock_timeout = '1s'",
            "COPY t FROM STDIN",
            "GRANT SELECT ON t TO r",
            "REVOKE SELECT ON t FROM r",
            "DO $$ BEGIN END $$",
            "VACUUM t",
            "REINDEX TABLE t",
            "REFRESH MATERIALIZED VIEW v",
            "BEGIN",
        ] {
            assert!(!changes_schema(&first(sql)), "{sql}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ident;

    #[test]
    fn ident_quotes_what_postgresql_would_not_read_back() {
        // Twice each: the second answer comes from the remembered ones.
        for _ in 0..2 {
            assert_eq!(ident("orders"), "orders");
            assert_eq!(ident("note_12"), "note_12");
            assert_eq!(ident("user"), "\"user\"");
            assert_eq!(ident("order"), "\"order\"");
            assert_eq!(ident("current_timestamp"), "\"current_timestamp\"");
            assert_eq!(ident("authorization"), "\"authorization\"");
            assert_eq!(ident("Orders"), "\"Orders\"");
            assert_eq!(
                ident("a_name_well_over_seventeen_bytes"),
                "a_name_well_over_seventeen_bytes"
            );
        }
    }
}
