//! SQLite's DDL: [`to_sql`] (a whole model), `CREATE TABLE` for a table or its rebuilt copy, the
//! statements of views, triggers and indexes, and [`render`] (the up script of a plan).

use super::canonical::{auto_constraint_name, fk_clause};
use super::lex;
use super::names::{find_table, lc, same_name, table_constraints};
use crate::diff::Plan;
use crate::model::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use strata_core::quote_ident;

pub(super) fn is_autoincrement(c: &Constraint) -> bool {
    is_column_key(c) && c.definition.trim_end().ends_with("AUTOINCREMENT")
}

/// A primary key written on its column (`PRIMARY KEY AUTOINCREMENT`, or the `INTEGER PRIMARY KEY
/// DESC` that is not the rowid): its definition has no column list.
fn is_column_key(c: &Constraint) -> bool {
    c.kind == ConstraintKind::PrimaryKey && c.columns.len() == 1 && !c.definition.contains('(')
}

pub(super) fn without_rowid(t: &Table) -> bool {
    t.options
        .iter()
        .any(|o| o.eq_ignore_ascii_case("WITHOUT ROWID"))
}

/// Whether a table's `INTEGER PRIMARY KEY` is its rowid.
pub(super) fn has_rowid_alias(t: &Table, constraints: &[&Constraint]) -> bool {
    !without_rowid(t)
        && constraints.iter().any(|c| {
            c.kind == ConstraintKind::PrimaryKey
                && c.columns.len() == 1
                && !c.definition.contains(" DESC")
                && t.columns.iter().any(|col| {
                    same_name(&col.name, &c.columns[0])
                        && col.data_type.eq_ignore_ascii_case("INTEGER")
                })
        })
}

/// One column as `CREATE TABLE` and `ADD COLUMN` write it.
pub(super) fn column_sql(c: &Column, inline: Option<&str>) -> String {
    let mut out = quote_ident(&c.name);
    if !c.data_type.is_empty() {
        out.push(' ');
        out.push_str(&c.data_type);
    }
    if let Some(key) = inline {
        out.push(' ');
        out.push_str(key);
    }
    if let Some(collation) = &c.collation {
        let _ = write!(out, " COLLATE {}", quote_ident(&collation.name));
    }
    if c.not_null {
        out.push_str(" NOT NULL");
    }
    if let Some(d) = &c.default {
        let _ = write!(out, " DEFAULT {d}");
    }
    if let Some(g) = &c.generated {
        let _ = write!(out, " GENERATED ALWAYS AS {g}");
    }
    out
}

/// `CREATE TABLE` for `t` under `name` (its own, or the name of its rebuilt copy), foreign keys
/// to the tables of `targets` (lower-case name → name) pointed at those names instead.
pub(super) fn create_table_sql(
    t: &Table,
    constraints: &[&Constraint],
    name: &str,
    targets: &BTreeMap<String, String>,
) -> String {
    let table = &t.name.name;
    let named = |c: &Constraint, body: String| {
        if c.name == auto_constraint_name(table, c.kind, &c.columns) {
            body
        } else {
            format!("CONSTRAINT {} {body}", quote_ident(&c.name))
        }
    };
    let inline = constraints.iter().find(|c| is_column_key(c));
    let mut lines: Vec<String> = t
        .columns
        .iter()
        .map(|col| {
            let key = inline
                .filter(|c| same_name(&c.columns[0], &col.name))
                .map(|c| named(c, c.definition.clone()));
            format!("    {}", column_sql(col, key.as_deref()))
        })
        .collect();
    for c in constraints {
        if inline.is_some_and(|i| std::ptr::eq(*i, *c)) {
            continue;
        }
        let body = if c.kind == ConstraintKind::ForeignKey {
            let target = c
                .foreign_key
                .as_ref()
                .and_then(|fk| targets.get(&lc(&fk.references.name)));
            fk_clause(c, target.map(String::as_str))
        } else {
            c.definition.clone()
        };
        lines.push(format!("    {}", named(c, body)));
    }
    let mut out = format!(
        "CREATE TABLE {} (\n{}\n)",
        quote_ident(name),
        lines.join(",\n")
    );
    if !t.options.is_empty() {
        out.push(' ');
        out.push_str(&t.options.join(", "));
    }
    out.push(';');
    out
}

/// A statement from SQLite's own text (a view or trigger): `;` appended, on a line of its own when
/// the text ends in a line comment.
pub(super) fn statement(definition: &str) -> String {
    let def = definition.trim_end();
    let last_line = def.rsplit('\n').next().unwrap_or(def);
    if last_line.contains("--") {
        format!("{def}\n;")
    } else {
        format!("{def};")
    }
}

pub(super) fn index_sql(i: &Index) -> String {
    format!("{};", i.definition.trim_end())
}

/// Tables in an order where a table comes after the tables its foreign keys reference (cycles
/// broken by name), considering only `names` (lower case).
pub(super) fn parents_first(schema: &Schema, names: &BTreeSet<String>) -> Vec<String> {
    let parents: BTreeMap<&String, BTreeSet<String>> = names
        .iter()
        .map(|n| {
            let ps = schema
                .constraints
                .iter()
                .filter(|c| same_name(&c.table.name, n))
                .filter_map(|c| c.foreign_key.as_ref())
                .map(|fk| lc(&fk.references.name))
                .filter(|p| p != n && names.contains(p))
                .collect();
            (n, ps)
        })
        .collect();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    while out.len() < names.len() {
        let ready = names
            .iter()
            .find(|n| !done.contains(*n) && parents[n].iter().all(|p| done.contains(p)))
            .or_else(|| names.iter().find(|n| !done.contains(*n)))
            .expect("a table is left")
            .clone();
        done.insert(ready.clone());
        out.push(ready);
    }
    out
}

/// Views in an order where a view comes after the views its text names.
pub(super) fn views_in_order<'a>(views: &[&'a View]) -> Vec<&'a View> {
    let names: BTreeSet<String> = views.iter().map(|v| lc(&v.name.name)).collect();
    let uses: Vec<BTreeSet<String>> = views
        .iter()
        .map(|v| {
            let mut ids = lex::identifiers(&v.definition);
            ids.remove(&lc(&v.name.name));
            ids.retain(|i| names.contains(i));
            ids
        })
        .collect();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    let mut left: Vec<usize> = (0..views.len()).collect();
    while !left.is_empty() {
        let pos = left
            .iter()
            .position(|&i| uses[i].iter().all(|u| done.contains(u)))
            .unwrap_or(0);
        let i = left.remove(pos);
        done.insert(lc(&views[i].name.name));
        out.push(views[i]);
    }
    out
}

/// The DDL that re-creates `schema` in an empty SQLite database: tables (referenced tables
/// first), indexes, views (in dependency order), triggers.
pub fn to_sql(schema: &Schema) -> String {
    let mut out = String::from("-- Schema generated by strata (inspect --format sql, SQLite).\n");
    let counts: Vec<String> = schema
        .counts()
        .iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect();
    if !counts.is_empty() {
        let _ = writeln!(out, "-- {}", counts.join(", "));
    }
    let names: BTreeSet<String> = schema.tables.iter().map(|t| lc(&t.name.name)).collect();
    let tables = parents_first(schema, &names).into_iter().filter_map(|n| {
        let t = find_table(schema, &n)?;
        Some(create_table_sql(
            t,
            &table_constraints(schema, &t.name.name),
            &t.name.name,
            &BTreeMap::new(),
        ))
    });
    section(&mut out, "tables", tables);
    let mut indexes: Vec<&Index> = schema.indexes.iter().collect();
    indexes.sort_by_key(|i| lc(&i.name.name));
    section(&mut out, "indexes", indexes.into_iter().map(index_sql));
    let views: Vec<&View> = schema.views.iter().collect();
    section(
        &mut out,
        "views",
        views_in_order(&views)
            .into_iter()
            .map(|v| statement(&v.definition)),
    );
    let mut triggers: Vec<&Trigger> = schema.triggers.iter().collect();
    triggers.sort_by_key(|t| lc(&t.name));
    section(
        &mut out,
        "triggers",
        triggers.into_iter().map(|t| statement(&t.definition)),
    );
    out
}

fn section(out: &mut String, title: &str, statements: impl IntoIterator<Item = String>) {
    let mut first = true;
    for s in statements {
        if first {
            let _ = write!(out, "\n-- {title}\n\n");
            first = false;
        }
        out.push_str(&s);
        out.push('\n');
    }
}

/// The up script of a SQLite `plan`, for `sqlite3` or strata's own run (which wraps it in a
/// transaction): each hazardous change preceded by `-- hazard: <id>: <message>`, destructive
/// changes commented out unless `allow_destructive`.
pub fn render(plan: &Plan, allow_destructive: bool) -> String {
    let mut out = String::from("-- Migration generated by strata (diff, SQLite).\n");
    crate::diff::render_parts(&mut out, plan, allow_destructive);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::fixtures::*;

    #[test]
    fn create_table_writes_names_only_when_not_automatic() {
        let t = Table {
            options: vec!["WITHOUT ROWID".into(), "STRICT".into()],
            ..table("t", vec![col("id", "INTEGER"), col("p", "INTEGER")])
        };
        let mut named = pk("t", &["id"]);
        named.name = "my key".into();
        let sql = create_table_sql(
            &t,
            &[&named, &fk("t", "p", "t", ForeignKeyAction::Cascade)],
            "_strata_new_t",
            &BTreeMap::from([("t".to_owned(), "_strata_new_t".to_owned())]),
        );
        assert_eq!(
            sql,
            "CREATE TABLE \"_strata_new_t\" (\n    \"id\" INTEGER,\n    \"p\" INTEGER,\n    CONSTRAINT \"my key\" PRIMARY KEY (\"id\"),\n    FOREIGN KEY (\"p\") REFERENCES \"_strata_new_t\" (\"id\") ON DELETE CASCADE\n) WITHOUT ROWID, STRICT;"
        );
    }
}
