//! Reads a [`Schema`] from a SQLite database (the model's SQLite conventions are described in
//! [`strata_schema::sqlite`]).
//!
//! One query per kind of information, all in one read transaction (a savepoint, so it also works
//! inside the caller's transaction): `sqlite_schema` for every table, index, view and trigger and
//! its `CREATE` text, `pragma_table_list` (`WITHOUT ROWID`, `STRICT`), `pragma_table_xinfo`
//! (columns, nullability, primary-key order, generated columns), `pragma_index_list` and
//! `pragma_index_xinfo` (uniqueness, origin, key count) and `pragma_foreign_key_list`, each
//! joined to `sqlite_schema` so that it is read for every table at once.
//!
//! What SQLite does not report anywhere else — constraint names, `CHECK` expressions, defaults
//! and generated expressions as written, collations, `AUTOINCREMENT`, deferrability, index
//! expressions and predicates — is read from the `CREATE` text with SQLite's own tokens; what
//! both report is cross-checked, and a table whose text and pragmas disagree is an error rather
//! than a wrong model.
//!
//! Left out: SQLite's own tables (`sqlite_%`: `sqlite_sequence`, `sqlite_stat1`, …) and automatic
//! indexes, the tables named in `exclude_tables` (strata's state tables) with their indexes and
//! triggers, and virtual tables with their shadow tables.

use crate::Sqlite;
use std::collections::{BTreeMap, BTreeSet};
use strata_core::{quote_ident, QualifiedName};
use strata_engine::DbError;
use strata_schema::sqlite::lex::{self, Token, TokenKind};
use strata_schema::sqlite::{auto_constraint_name, foreign_key_definition, index_definition};
use strata_schema::{
    Column, Constraint, ConstraintKind, ForeignKey, ForeignKeyAction, ForeignKeyMatch, Index,
    ObjectKind, ObjectRef, Schema, Table, Trigger, TriggerEnabled, View,
};

/// Reads the schema of `main`. Names are unqualified (`QualifiedName { schema: None, .. }`):
/// `main` is the only schema strata manages, and that is how SQLite's DDL must name objects.
///
/// `exclude_tables` are left out with their indexes and triggers: strata's state tables
/// (`strata_version`, `strata_history` by default); names compare case-insensitively, and a
/// qualified name (`main.strata_version`) names the table after the last dot.
pub fn introspect(db: &Sqlite, exclude_tables: &[String]) -> Result<Schema, DbError> {
    db.conn
        .execute_batch("SAVEPOINT strata_introspect")
        .map_err(|e| db.error(&e, None))?;
    let result = read(db, exclude_tables);
    let end = if result.is_ok() {
        "RELEASE strata_introspect"
    } else {
        "ROLLBACK TO strata_introspect; RELEASE strata_introspect"
    };
    let ended = db.conn.execute_batch(end).map_err(|e| db.error(&e, None));
    let schema = result?;
    ended?;
    Ok(schema)
}

fn lc(s: &str) -> String {
    s.to_ascii_lowercase()
}

fn unqualified(name: &str) -> QualifiedName {
    QualifiedName::new(None, name)
}

/// Runs `sql` and maps each row.
fn rows<T>(
    db: &Sqlite,
    sql: &str,
    map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, DbError> {
    let run = || -> rusqlite::Result<Vec<T>> {
        let mut stmt = db.conn.prepare(sql)?;
        let rows = stmt.query_map([], map)?;
        rows.collect()
    };
    run().map_err(|e| db.error(&e, Some(sql)))
}

struct Object {
    kind: String,
    name: String,
    table: String,
    sql: Option<String>,
}

struct XColumn {
    name: String,
    not_null: bool,
    pk: i64,
    hidden: i64,
}

struct XForeignKey {
    id: i64,
    table: String,
    from: String,
    on_update: String,
    on_delete: String,
}

fn read(db: &Sqlite, exclude_tables: &[String]) -> Result<Schema, DbError> {
    let excluded: BTreeSet<String> = exclude_tables
        .iter()
        .map(|n| lc(n.rsplit_once('.').map_or(n.as_str(), |(_, name)| name)))
        .collect();
    let skip = |name: &str| {
        let name = lc(name);
        name.starts_with("sqlite_") || excluded.contains(&name)
    };

    let objects = rows(
        db,
        "SELECT type, name, tbl_name, sql FROM main.sqlite_schema \
         WHERE type IN ('table', 'index', 'view', 'trigger') ORDER BY type, name",
        |r| {
            Ok(Object {
                kind: r.get(0)?,
                name: r.get(1)?,
                table: r.get(2)?,
                sql: r.get(3)?,
            })
        },
    )?;
    // type is `table`, `view`, `virtual` or `shadow`; wr: WITHOUT ROWID.
    let table_list: BTreeMap<String, (String, bool, bool)> = rows(
        db,
        "SELECT name, type, wr, strict FROM pragma_table_list WHERE schema = 'main'",
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                (
                    r.get(1)?,
                    r.get::<_, i64>(2)? != 0,
                    r.get::<_, i64>(3)? != 0,
                ),
            ))
        },
    )?
    .into_iter()
    .collect();
    let mut xcolumns: BTreeMap<String, Vec<XColumn>> = BTreeMap::new();
    for (table, c) in rows(
        db,
        "SELECT m.name, x.name, x.\"notnull\", x.pk, x.hidden \
         FROM main.sqlite_schema AS m, pragma_table_xinfo(m.name, 'main') AS x \
         WHERE m.type = 'table' ORDER BY m.name, x.cid",
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                XColumn {
                    name: r.get(1)?,
                    not_null: r.get::<_, i64>(2)? != 0,
                    pk: r.get(3)?,
                    hidden: r.get(4)?,
                },
            ))
        },
    )? {
        xcolumns.entry(table).or_default().push(c);
    }
    // index name → (unique, origin, partial)
    let index_list: BTreeMap<String, (bool, String, bool)> = rows(
        db,
        "SELECT l.name, l.\"unique\", l.origin, l.partial \
         FROM main.sqlite_schema AS m, pragma_index_list(m.name, 'main') AS l \
         WHERE m.type = 'table'",
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                (
                    r.get::<_, i64>(1)? != 0,
                    r.get(2)?,
                    r.get::<_, i64>(3)? != 0,
                ),
            ))
        },
    )?
    .into_iter()
    .collect();
    let index_keys: BTreeMap<String, usize> = rows(
        db,
        "SELECT m.name, count(*) FROM main.sqlite_schema AS m, pragma_index_xinfo(m.name, 'main') AS x \
         WHERE m.type = 'index' AND x.key = 1 GROUP BY m.name",
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize)),
    )?
    .into_iter()
    .collect();
    let mut xforeign: BTreeMap<String, Vec<XForeignKey>> = BTreeMap::new();
    for (table, f) in rows(
        db,
        "SELECT m.name, f.id, f.\"table\", f.\"from\", f.on_update, f.on_delete \
         FROM main.sqlite_schema AS m, pragma_foreign_key_list(m.name, 'main') AS f \
         WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq",
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                XForeignKey {
                    id: r.get(1)?,
                    table: r.get(2)?,
                    from: r.get(3)?,
                    on_update: r.get(4)?,
                    on_delete: r.get(5)?,
                },
            ))
        },
    )? {
        xforeign.entry(table).or_default().push(f);
    }

    let mut schema = Schema {
        server_version: rusqlite::version_number().unsigned_abs(),
        ..Schema::default()
    };
    let mut tables: BTreeSet<String> = BTreeSet::new();
    for o in objects
        .iter()
        .filter(|o| o.kind == "table" && !skip(&o.name))
    {
        let Some((kind, wr, strict)) = table_list.get(&o.name) else {
            continue;
        };
        if kind != "table" {
            continue; // virtual tables and their shadow tables
        }
        let sql = o.sql.as_deref().unwrap_or_default();
        let fail = |why: String| {
            DbError::msg(format!(
                "cannot read table {}: {why}\n{sql}",
                quote_ident(&o.name)
            ))
        };
        let parsed = parse_table(sql).map_err(fail)?;
        let xcols: Vec<&XColumn> = xcolumns
            .get(&o.name)
            .map(|v| v.iter().filter(|c| c.hidden != 1).collect())
            .unwrap_or_default();
        let (table, constraints) = build_table(o, &parsed, &xcols, *wr, *strict)
            .and_then(|(t, cs)| {
                check_foreign_keys(&cs, xforeign.get(&o.name).map_or(&[][..], Vec::as_slice))?;
                Ok((t, cs))
            })
            .map_err(fail)?;
        tables.insert(lc(&o.name));
        schema.tables.push(table);
        schema.constraints.extend(constraints);
    }
    for o in &objects {
        let Some(sql) = &o.sql else { continue };
        if skip(&o.name) || skip(&o.table) {
            continue;
        }
        match o.kind.as_str() {
            "index" if tables.contains(&lc(&o.table)) => {
                let (unique, origin, _) =
                    index_list
                        .get(&o.name)
                        .cloned()
                        .unwrap_or((false, "c".into(), false));
                if origin != "c" {
                    continue;
                }
                let index = parse_index(sql, &o.name, &o.table, unique).map_err(|why| {
                    DbError::msg(format!(
                        "cannot read index {}: {why}\n{sql}",
                        quote_ident(&o.name)
                    ))
                })?;
                if index_keys
                    .get(&o.name)
                    .is_some_and(|&n| n != index.columns.len())
                {
                    return Err(DbError::msg(format!(
                        "cannot read index {}: its text names {} columns, SQLite reports {}\n{sql}",
                        quote_ident(&o.name),
                        index.columns.len(),
                        index_keys[&o.name]
                    )));
                }
                schema.indexes.push(index);
            }
            "view" => schema.views.push(View {
                name: unqualified(&o.name),
                definition: sql.clone(),
                options: Vec::new(),
                comment: None,
                depends_on: Vec::new(),
            }),
            "trigger" => schema.triggers.push(Trigger {
                table: unqualified(&o.table),
                name: o.name.clone(),
                definition: sql.clone(),
                constraint: false,
                enabled: TriggerEnabled::Origin,
                comment: None,
            }),
            _ => {}
        }
    }

    // Foreign keys name their parent as written; the model uses the table's own spelling.
    let spelled: BTreeMap<String, String> = schema
        .tables
        .iter()
        .map(|t| (lc(&t.name.name), t.name.name.clone()))
        .collect();
    for c in &mut schema.constraints {
        let Some(fk) = &mut c.foreign_key else {
            continue;
        };
        if let Some(name) = spelled.get(&lc(&fk.references.name)) {
            fk.references.name = name.clone();
        }
        c.definition = foreign_key_definition(c);
    }
    // What each view's text names.
    let relations: BTreeMap<String, ObjectRef> = schema
        .tables
        .iter()
        .map(|t| {
            (
                lc(&t.name.name),
                ObjectRef::new(ObjectKind::Table, t.name.clone()),
            )
        })
        .chain(schema.views.iter().map(|v| {
            (
                lc(&v.name.name),
                ObjectRef::new(ObjectKind::View, v.name.clone()),
            )
        }))
        .collect();
    for v in &mut schema.views {
        let own = lc(&v.name.name);
        v.depends_on = lex::identifiers(&v.definition)
            .iter()
            .filter(|n| **n != own)
            .filter_map(|n| relations.get(n).cloned())
            .collect();
    }
    schema.normalize();
    Ok(schema)
}

fn build_table(
    o: &Object,
    parsed: &ParsedTable,
    xcols: &[&XColumn],
    without_rowid: bool,
    strict: bool,
) -> Result<(Table, Vec<Constraint>), String> {
    if xcols.len() != parsed.columns.len() {
        return Err(format!(
            "its text declares {} columns, SQLite reports {}",
            parsed.columns.len(),
            xcols.len()
        ));
    }
    let mut columns = Vec::new();
    for (p, x) in parsed.columns.iter().zip(xcols) {
        if !p.name.eq_ignore_ascii_case(&x.name) {
            return Err(format!(
                "column {} of its text is {} for SQLite",
                quote_ident(&p.name),
                quote_ident(&x.name)
            ));
        }
        let storage = p
            .generated
            .as_deref()
            .map(|g| if g.ends_with("STORED") { 3 } else { 2 });
        if storage.unwrap_or(0) != x.hidden {
            return Err(format!(
                "column {} is generated differently in its text",
                quote_ident(&x.name)
            ));
        }
        let type_name = p
            .data_type
            .split('(')
            .next()
            .unwrap_or_default()
            .trim_end()
            .to_owned();
        columns.push(Column {
            name: x.name.clone(),
            data_type: p.data_type.clone(),
            type_name,
            type_modifier: None,
            not_null: x.not_null,
            default: p.default.clone(),
            identity: None,
            generated: p.generated.clone(),
            collation: p.collation.as_deref().map(unqualified),
            inherited: false,
            comment: None,
        });
    }
    // The primary key SQLite reports, in key order.
    let mut keyed: Vec<(i64, &str)> = xcols
        .iter()
        .filter(|x| x.pk > 0)
        .map(|x| (x.pk, x.name.as_str()))
        .collect();
    keyed.sort();
    let declared: Vec<&ParsedConstraint> = parsed
        .constraints
        .iter()
        .filter(|c| c.kind == ConstraintKind::PrimaryKey)
        .collect();
    let declared_key: Vec<&str> = declared
        .first()
        .map(|c| c.columns.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let same_key = declared.len() <= 1
        && keyed.len() == declared_key.len()
        && keyed
            .iter()
            .zip(&declared_key)
            .all(|((_, a), b)| a.eq_ignore_ascii_case(b));
    if !same_key {
        return Err("its primary key differs from the one SQLite reports".into());
    }

    let name = &o.name;
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut names: Vec<Option<String>> = Vec::new();
    for c in &parsed.constraints {
        let explicit = c.name.as_ref().map(|n| {
            let mut n = n.clone();
            let base = n.clone();
            let mut i = 1;
            while taken.contains(&n) {
                n = format!("{base}{i}");
                i += 1;
            }
            taken.insert(n.clone());
            n
        });
        names.push(explicit);
    }
    let mut constraints = Vec::new();
    for (c, explicit) in parsed.constraints.iter().zip(names) {
        let name = explicit.unwrap_or_else(|| {
            let base = auto_constraint_name(name, c.kind, &c.columns);
            let mut n = base.clone();
            let mut i = 1;
            while taken.contains(&n) {
                n = format!("{base}{i}");
                i += 1;
            }
            taken.insert(n.clone());
            n
        });
        let mut constraint = Constraint {
            table: unqualified(&o.name),
            name,
            kind: c.kind,
            definition: c.definition.clone(),
            columns: c.columns.clone(),
            validated: true,
            deferrable: c.deferrable,
            initially_deferred: c.initially_deferred,
            no_inherit: false,
            inherited: false,
            foreign_key: c.foreign_key.clone(),
            comment: None,
        };
        if constraint.foreign_key.is_some() {
            constraint.definition = foreign_key_definition(&constraint);
        }
        constraints.push(constraint);
    }
    let mut options = Vec::new();
    if without_rowid {
        options.push("WITHOUT ROWID".to_owned());
    }
    if strict {
        options.push("STRICT".to_owned());
    }
    let table = Table {
        options,
        ..Table::new(unqualified(&o.name), columns)
    };
    Ok((table, constraints))
}

fn action_name(a: ForeignKeyAction) -> &'static str {
    match a {
        ForeignKeyAction::NoAction => "NO ACTION",
        ForeignKeyAction::Restrict => "RESTRICT",
        ForeignKeyAction::Cascade => "CASCADE",
        ForeignKeyAction::SetNull => "SET NULL",
        ForeignKeyAction::SetDefault => "SET DEFAULT",
    }
}

/// The foreign keys read from the text must be those SQLite reports (columns, parent, actions).
fn check_foreign_keys(constraints: &[Constraint], reported: &[XForeignKey]) -> Result<(), String> {
    let mut ours: Vec<(String, String, String, String)> = constraints
        .iter()
        .filter_map(|c| {
            let fk = c.foreign_key.as_ref()?;
            Some((
                lc(&c.columns.join(",")),
                lc(&fk.references.name),
                action_name(fk.on_update).to_owned(),
                action_name(fk.on_delete).to_owned(),
            ))
        })
        .collect();
    let mut by_id: BTreeMap<i64, (Vec<String>, String, String, String)> = BTreeMap::new();
    for f in reported {
        let entry = by_id.entry(f.id).or_insert_with(|| {
            (
                Vec::new(),
                lc(&f.table),
                f.on_update.clone(),
                f.on_delete.clone(),
            )
        });
        entry.0.push(f.from.clone());
    }
    let mut theirs: Vec<(String, String, String, String)> = by_id
        .into_values()
        .map(|(cols, t, u, d)| (lc(&cols.join(",")), t, u, d))
        .collect();
    ours.sort();
    theirs.sort();
    if ours != theirs {
        return Err(format!(
            "its foreign keys differ from those SQLite reports ({ours:?} / {theirs:?})"
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The CREATE text.

struct ParsedColumn {
    name: String,
    data_type: String,
    default: Option<String>,
    collation: Option<String>,
    generated: Option<String>,
}

struct ParsedConstraint {
    name: Option<String>,
    kind: ConstraintKind,
    columns: Vec<String>,
    definition: String,
    deferrable: bool,
    initially_deferred: bool,
    foreign_key: Option<ForeignKey>,
}

struct ParsedTable {
    columns: Vec<ParsedColumn>,
    constraints: Vec<ParsedConstraint>,
}

type Tokens<'t, 'a> = &'t [Token<'a>];

fn at<'a>(toks: Tokens<'_, 'a>, i: usize) -> Result<Token<'a>, String> {
    toks.get(i)
        .copied()
        .ok_or_else(|| "unexpected end".to_owned())
}

fn name_at(toks: Tokens<'_, '_>, i: usize) -> Result<String, String> {
    let t = at(toks, i)?;
    t.name()
        .ok_or_else(|| format!("expected a name at {:?}", t.text))
}

fn expect(toks: Tokens<'_, '_>, i: usize, keyword: &str) -> Result<(), String> {
    let t = at(toks, i)?;
    if t.is(keyword) || t.is_punct(keyword) {
        Ok(())
    } else {
        Err(format!("expected {keyword} at {:?}", t.text))
    }
}

/// The text from the first to the last of `toks` (comments around them left out, so that a
/// trailing `-- comment` cannot swallow what is written after it).
fn span<'a>(sql: &'a str, toks: Tokens<'_, '_>) -> &'a str {
    match (toks.first(), toks.last()) {
        (Some(first), Some(last)) => &sql[first.start..last.end],
        _ => "",
    }
}

/// The parenthesised group at `open`: its inner tokens' text, and the index after it.
fn group<'a>(sql: &'a str, toks: Tokens<'_, '_>, open: usize) -> Result<(&'a str, usize), String> {
    expect(toks, open, "(")?;
    let close = lex::closing(toks, open).ok_or("unbalanced parentheses")?;
    Ok((span(sql, &toks[open + 1..close]), close + 1))
}

fn parse_table(sql: &str) -> Result<ParsedTable, String> {
    let toks = lex::tokenize(sql);
    let open = toks
        .iter()
        .position(|t| t.is_punct("("))
        .ok_or("no column list")?;
    let close = lex::closing(&toks, open).ok_or("unbalanced parentheses")?;
    let mut table = ParsedTable {
        columns: Vec::new(),
        constraints: Vec::new(),
    };
    for item in lex::split_commas(&toks[open + 1..close]) {
        let first = at(item, 0)?;
        if ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
            .iter()
            .any(|k| first.is(k))
        {
            table_constraint(sql, item, &mut table.constraints)?;
        } else {
            column_definition(sql, item, &mut table)?;
        }
    }
    Ok(table)
}

const COLUMN_CONSTRAINTS: &[&str] = &[
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
];

/// `ON CONFLICT <resolution>` at `i`: the canonical text and the index after it.
fn conflict(toks: Tokens<'_, '_>, i: usize) -> (String, usize) {
    match (toks.get(i), toks.get(i + 1), toks.get(i + 2)) {
        (Some(on), Some(c), Some(r)) if on.is("ON") && c.is("CONFLICT") => (
            format!(" ON CONFLICT {}", r.text.to_ascii_uppercase()),
            i + 3,
        ),
        _ => (String::new(), i),
    }
}

fn collation_name(name: &str) -> String {
    name.to_ascii_uppercase()
}

fn column_definition(
    sql: &str,
    toks: Tokens<'_, '_>,
    table: &mut ParsedTable,
) -> Result<(), String> {
    let name = name_at(toks, 0)?;
    let mut i = 1;
    while i < toks.len() && !COLUMN_CONSTRAINTS.iter().any(|k| toks[i].is(k)) {
        i = if toks[i].is_punct("(") {
            lex::closing(toks, i).ok_or("unbalanced parentheses")? + 1
        } else {
            i + 1
        };
    }
    let data_type = if i > 1 {
        sql[toks[1].start..toks[i - 1].end].to_owned()
    } else {
        String::new()
    };
    let mut column = ParsedColumn {
        name: name.clone(),
        data_type,
        default: None,
        collation: None,
        generated: None,
    };
    let mut constraint_name: Option<String> = None;
    let item = |columns: &[String], collation: Option<&str>, desc: bool| {
        indexed_column(&columns[0], true, collation, desc)
    };
    let own = vec![name.clone()];
    while i < toks.len() {
        let t = toks[i];
        if t.is("CONSTRAINT") {
            constraint_name = Some(name_at(toks, i + 1)?);
            i += 2;
        } else if t.is("PRIMARY") {
            expect(toks, i + 1, "KEY")?;
            i += 2;
            let mut desc = false;
            if let Some(order) = toks.get(i).filter(|t| t.is("ASC") || t.is("DESC")) {
                desc = order.is("DESC");
                i += 1;
            }
            let (on_conflict, next) = conflict(toks, i);
            i = next;
            let autoincrement = toks.get(i).is_some_and(|t| t.is("AUTOINCREMENT"));
            if autoincrement {
                i += 1;
            }
            // On its column when written there makes a difference: AUTOINCREMENT, and
            // `INTEGER PRIMARY KEY DESC`, which is not the rowid.
            let on_column =
                autoincrement || (desc && column.data_type.eq_ignore_ascii_case("INTEGER"));
            let definition = if on_column {
                format!(
                    "PRIMARY KEY{}{on_conflict}{}",
                    if desc { " DESC" } else { "" },
                    if autoincrement { " AUTOINCREMENT" } else { "" }
                )
            } else {
                format!("PRIMARY KEY ({}){on_conflict}", item(&own, None, desc))
            };
            table.constraints.push(ParsedConstraint {
                name: constraint_name.take(),
                kind: ConstraintKind::PrimaryKey,
                columns: own.clone(),
                definition,
                deferrable: false,
                initially_deferred: false,
                foreign_key: None,
            });
        } else if t.is("NOT") {
            expect(toks, i + 1, "NULL")?;
            i = conflict(toks, i + 2).1;
            constraint_name = None;
        } else if t.is("NULL") {
            i = conflict(toks, i + 1).1;
            constraint_name = None;
        } else if t.is("UNIQUE") {
            let (on_conflict, next) = conflict(toks, i + 1);
            i = next;
            table.constraints.push(ParsedConstraint {
                name: constraint_name.take(),
                kind: ConstraintKind::Unique,
                columns: own.clone(),
                definition: format!("UNIQUE ({}){on_conflict}", item(&own, None, false)),
                deferrable: false,
                initially_deferred: false,
                foreign_key: None,
            });
        } else if t.is("CHECK") {
            let (expr, next) = group(sql, toks, i + 1)?;
            i = next;
            table.constraints.push(check(constraint_name.take(), expr));
        } else if t.is("DEFAULT") {
            let v = at(toks, i + 1)?;
            let (text, next) = if v.is_punct("(") {
                let close = lex::closing(toks, i + 1).ok_or("unbalanced parentheses")?;
                (&sql[v.start..toks[close].end], close + 1)
            } else if v.is_punct("+") || v.is_punct("-") {
                let n = at(toks, i + 2)?;
                (&sql[v.start..n.end], i + 3)
            } else {
                (v.text, i + 2)
            };
            column.default = Some(text.to_owned());
            i = next;
            constraint_name = None;
        } else if t.is("COLLATE") {
            column.collation = Some(collation_name(&name_at(toks, i + 1)?));
            i += 2;
            constraint_name = None;
        } else if t.is("REFERENCES") {
            let (fk, deferrable, deferred, next) = references(toks, i)?;
            i = next;
            table.constraints.push(ParsedConstraint {
                name: constraint_name.take(),
                kind: ConstraintKind::ForeignKey,
                columns: own.clone(),
                definition: String::new(),
                deferrable,
                initially_deferred: deferred,
                foreign_key: Some(fk),
            });
        } else if t.is("GENERATED") || t.is("AS") {
            if t.is("GENERATED") {
                expect(toks, i + 1, "ALWAYS")?;
                expect(toks, i + 2, "AS")?;
                i += 2;
            }
            let (expr, next) = group(sql, toks, i + 1)?;
            i = next;
            let stored = match toks.get(i) {
                Some(s) if s.is("STORED") => {
                    i += 1;
                    true
                }
                Some(s) if s.is("VIRTUAL") => {
                    i += 1;
                    false
                }
                _ => false,
            };
            column.generated = Some(format!(
                "({expr}) {}",
                if stored { "STORED" } else { "VIRTUAL" }
            ));
            constraint_name = None;
        } else {
            return Err(format!(
                "unexpected {:?} in the definition of column {}",
                t.text,
                quote_ident(&name)
            ));
        }
    }
    table.columns.push(column);
    Ok(())
}

fn check(name: Option<String>, expr: &str) -> ParsedConstraint {
    ParsedConstraint {
        name,
        kind: ConstraintKind::Check,
        columns: Vec::new(),
        definition: format!("CHECK ({expr})"),
        deferrable: false,
        initially_deferred: false,
        foreign_key: None,
    }
}

/// An indexed column as the model writes it: the quoted name (or the expression as written),
/// then `COLLATE "X"` and `DESC` when given.
fn indexed_column(text: &str, is_name: bool, collation: Option<&str>, desc: bool) -> String {
    let mut out = if is_name {
        quote_ident(text)
    } else {
        text.to_owned()
    };
    if let Some(c) = collation {
        out.push_str(" COLLATE ");
        out.push_str(&quote_ident(c));
    }
    if desc {
        out.push_str(" DESC");
    }
    out
}

/// The items of `( indexed-column, … )`: their canonical text and, for plain columns, names.
fn indexed_columns(
    sql: &str,
    toks: Tokens<'_, '_>,
) -> Result<Vec<(String, Option<String>)>, String> {
    let mut out = Vec::new();
    for item in lex::split_commas(toks) {
        let mut end = item.len();
        let mut desc = false;
        if end > 0 && (item[end - 1].is("ASC") || item[end - 1].is("DESC")) {
            desc = item[end - 1].is("DESC");
            end -= 1;
        }
        let mut collation = None;
        if end >= 2 && item[end - 2].is("COLLATE") {
            collation = Some(collation_name(&name_at(item, end - 1)?));
            end -= 2;
        }
        let body = &item[..end];
        if body.is_empty() {
            return Err("an empty indexed column".into());
        }
        let name = match body {
            [t] if matches!(
                t.kind,
                TokenKind::Word | TokenKind::Quoted | TokenKind::String
            ) =>
            {
                t.name()
            }
            _ => None,
        };
        let text = match &name {
            Some(n) => indexed_column(n, true, collation.as_deref(), desc),
            None => indexed_column(span(sql, body), false, collation.as_deref(), desc),
        };
        out.push((text, name));
    }
    Ok(out)
}

/// `REFERENCES t [(cols)] [ON DELETE|UPDATE action | MATCH name]… [[NOT] DEFERRABLE [INITIALLY
/// DEFERRED|IMMEDIATE]]` at `i`.
fn references(
    toks: Tokens<'_, '_>,
    mut i: usize,
) -> Result<(ForeignKey, bool, bool, usize), String> {
    expect(toks, i, "REFERENCES")?;
    let table = name_at(toks, i + 1)?;
    i += 2;
    let mut columns = Vec::new();
    if toks.get(i).is_some_and(|t| t.is_punct("(")) {
        let close = lex::closing(toks, i).ok_or("unbalanced parentheses")?;
        for item in lex::split_commas(&toks[i + 1..close]) {
            columns.push(name_at(item, 0)?);
        }
        i = close + 1;
    }
    let mut fk = ForeignKey {
        references: unqualified(&table),
        referenced_columns: columns,
        on_update: ForeignKeyAction::NoAction,
        on_delete: ForeignKeyAction::NoAction,
        match_type: ForeignKeyMatch::Simple,
    };
    let (mut deferrable, mut deferred) = (false, false);
    while let Some(t) = toks.get(i) {
        if t.is("ON") {
            let event = at(toks, i + 1)?;
            let a = at(toks, i + 2)?;
            let (action, len) = if a.is("SET") {
                let b = at(toks, i + 3)?;
                if b.is("NULL") {
                    (ForeignKeyAction::SetNull, 2)
                } else {
                    (ForeignKeyAction::SetDefault, 2)
                }
            } else if a.is("CASCADE") {
                (ForeignKeyAction::Cascade, 1)
            } else if a.is("RESTRICT") {
                (ForeignKeyAction::Restrict, 1)
            } else if a.is("NO") {
                (ForeignKeyAction::NoAction, 2)
            } else {
                return Err(format!("unknown foreign key action {:?}", a.text));
            };
            if event.is("DELETE") {
                fk.on_delete = action;
            } else if event.is("UPDATE") {
                fk.on_update = action;
            } else {
                return Err(format!("unexpected ON {:?}", event.text));
            }
            i += 2 + len;
        } else if t.is("MATCH") {
            i += 2;
        } else if t.is("NOT") && toks.get(i + 1).is_some_and(|n| n.is("DEFERRABLE")) {
            deferrable = false;
            deferred = false;
            i += 2;
            if toks.get(i).is_some_and(|n| n.is("INITIALLY")) {
                i += 2;
            }
        } else if t.is("DEFERRABLE") {
            deferrable = true;
            i += 1;
            if toks.get(i).is_some_and(|n| n.is("INITIALLY")) {
                deferred = at(toks, i + 1)?.is("DEFERRED");
                i += 2;
            }
        } else {
            break;
        }
    }
    Ok((fk, deferrable, deferred, i))
}

fn table_constraint(
    sql: &str,
    toks: Tokens<'_, '_>,
    out: &mut Vec<ParsedConstraint>,
) -> Result<(), String> {
    let mut i = 0;
    let mut name = None;
    if toks[0].is("CONSTRAINT") {
        name = Some(name_at(toks, 1)?);
        i = 2;
    }
    let t = at(toks, i)?;
    let keyed =
        |kind: ConstraintKind, word: &str, i: usize| -> Result<(ParsedConstraint, usize), String> {
            let close = lex::closing(toks, i).ok_or("unbalanced parentheses")?;
            expect(toks, i, "(")?;
            let items = indexed_columns(sql, &toks[i + 1..close])?;
            let columns = items
                .iter()
                .map(|(_, n)| n.clone().ok_or("an expression in a key"))
                .collect::<Result<Vec<String>, _>>()?;
            let (on_conflict, next) = conflict(toks, close + 1);
            let texts: Vec<&str> = items.iter().map(|(t, _)| t.as_str()).collect();
            Ok((
                ParsedConstraint {
                    name: name.clone(),
                    kind,
                    columns,
                    definition: format!("{word} ({}){on_conflict}", texts.join(", ")),
                    deferrable: false,
                    initially_deferred: false,
                    foreign_key: None,
                },
                next,
            ))
        };
    let (constraint, next) = if t.is("PRIMARY") {
        expect(toks, i + 1, "KEY")?;
        keyed(ConstraintKind::PrimaryKey, "PRIMARY KEY", i + 2)?
    } else if t.is("UNIQUE") {
        keyed(ConstraintKind::Unique, "UNIQUE", i + 1)?
    } else if t.is("CHECK") {
        let (expr, next) = group(sql, toks, i + 1)?;
        (check(name.clone(), expr), next)
    } else if t.is("FOREIGN") {
        expect(toks, i + 1, "KEY")?;
        let close = lex::closing(toks, i + 2).ok_or("unbalanced parentheses")?;
        expect(toks, i + 2, "(")?;
        let columns = lex::split_commas(&toks[i + 3..close])
            .into_iter()
            .map(|item| name_at(item, 0))
            .collect::<Result<Vec<String>, String>>()?;
        let (fk, deferrable, deferred, next) = references(toks, close + 1)?;
        (
            ParsedConstraint {
                name: name.clone(),
                kind: ConstraintKind::ForeignKey,
                columns,
                definition: String::new(),
                deferrable,
                initially_deferred: deferred,
                foreign_key: Some(fk),
            },
            next,
        )
    } else {
        return Err(format!("unexpected {:?} in a table constraint", t.text));
    };
    if let Some(extra) = toks.get(next) {
        return Err(format!(
            "unexpected {:?} after a table constraint",
            extra.text
        ));
    }
    out.push(constraint);
    Ok(())
}

/// `CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table ( indexed-column, … ) [WHERE expr]`.
fn parse_index(sql: &str, name: &str, table: &str, unique: bool) -> Result<Index, String> {
    let toks = lex::tokenize(sql);
    let on = toks.iter().position(|t| t.is("ON")).ok_or("no ON")?;
    let open = on + 2;
    expect(&toks, open, "(")?;
    let close = lex::closing(&toks, open).ok_or("unbalanced parentheses")?;
    let columns: Vec<String> = indexed_columns(sql, &toks[open + 1..close])?
        .into_iter()
        .map(|(text, _)| text)
        .collect();
    let predicate = match toks.get(close + 1) {
        Some(w) if w.is("WHERE") => {
            let rest = &toks[close + 2..];
            let end = rest.len() - usize::from(rest.last().is_some_and(|t| t.is_punct(";")));
            if end == 0 {
                return Err("an empty WHERE".into());
            }
            Some(span(sql, &rest[..end]).to_owned())
        }
        Some(t) => return Err(format!("unexpected {:?} after the indexed columns", t.text)),
        None => None,
    };
    let mut index = Index {
        name: unqualified(name),
        table: unqualified(table),
        definition: String::new(),
        unique,
        method: "btree".into(),
        columns,
        include: Vec::new(),
        predicate,
        nulls_not_distinct: false,
        comment: None,
    };
    index.definition = index_definition(&index);
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_text_is_read_into_columns_and_constraints() {
        let t = parse_table(
            "CREATE TABLE \"a\"\"b\" (id INTEGER CONSTRAINT k PRIMARY KEY AUTOINCREMENT, \
             [e mail] VARCHAR ( 20 ) NOT NULL COLLATE nocase UNIQUE ON CONFLICT REPLACE DEFAULT 'x', \
             n DEFAULT -1 CHECK (n > -5), g AS (n * 2) STORED, \
             p INT REFERENCES \"P\" ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED, \
             CONSTRAINT two UNIQUE (n DESC, \"e mail\" COLLATE binary), CHECK (n <> 3), \
             FOREIGN KEY (p, n) REFERENCES q (a, b) ON UPDATE CASCADE MATCH FULL NOT DEFERRABLE) WITHOUT ROWID",
        )
        .unwrap();
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "e mail", "n", "g", "p"]);
        assert_eq!(t.columns[1].data_type, "VARCHAR ( 20 )");
        assert_eq!(t.columns[1].collation.as_deref(), Some("NOCASE"));
        assert_eq!(t.columns[1].default.as_deref(), Some("'x'"));
        assert_eq!(t.columns[2].default.as_deref(), Some("-1"));
        assert_eq!(t.columns[2].data_type, "");
        assert_eq!(t.columns[3].generated.as_deref(), Some("(n * 2) STORED"));
        let defs: Vec<&str> = t
            .constraints
            .iter()
            .map(|c| c.definition.as_str())
            .collect();
        assert_eq!(
            defs,
            [
                "PRIMARY KEY AUTOINCREMENT",
                "UNIQUE (\"e mail\") ON CONFLICT REPLACE",
                "CHECK (n > -5)",
                "",
                "UNIQUE (\"n\" DESC, \"e mail\" COLLATE \"BINARY\")",
                "CHECK (n <> 3)",
                "",
            ]
        );
        assert_eq!(t.constraints[0].name.as_deref(), Some("k"));
        let fk = &t.constraints[3];
        assert!(fk.deferrable && fk.initially_deferred);
        assert_eq!(
            fk.foreign_key.as_ref().unwrap().on_delete,
            ForeignKeyAction::SetNull
        );
        let fk = &t.constraints[6];
        assert_eq!(fk.columns, ["p", "n"]);
        assert_eq!(
            fk.foreign_key.as_ref().unwrap().on_update,
            ForeignKeyAction::Cascade
        );
    }

    #[test]
    fn index_text_is_read_into_columns_and_predicate() {
        let i = parse_index(
            "CREATE UNIQUE INDEX IF NOT EXISTS \"i\" ON t (lower(name) COLLATE nocase DESC, [x], \"y\" ASC) WHERE x > 0 AND y IS NOT NULL",
            "i",
            "t",
            true,
        )
        .unwrap();
        assert_eq!(
            i.columns,
            ["lower(name) COLLATE \"NOCASE\" DESC", "\"x\"", "\"y\""]
        );
        assert_eq!(i.predicate.as_deref(), Some("x > 0 AND y IS NOT NULL"));
        assert_eq!(
            i.definition,
            "CREATE UNIQUE INDEX \"i\" ON \"t\" (lower(name) COLLATE \"NOCASE\" DESC, \"x\", \"y\") WHERE x > 0 AND y IS NOT NULL"
        );
    }
}
