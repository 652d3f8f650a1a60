//! The rows of the data check: how many a table holds, every row of a table read back as text,
//! and what changed between two reads.

use crate::context::Connection;
use std::collections::BTreeMap;
use strata_core::{quote_ident, QualifiedName};
use strata_engine::DbError;
use strata_schema::synth::display_table;
use strata_schema::Schema;

/// A table's rows: column names, and rows of text values (`None`: NULL), sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// Every table's rows.
pub type Snapshot = BTreeMap<QualifiedName, Rows>;

fn name_sql(conn: &Connection, table: &QualifiedName) -> String {
    match (conn, table.schema.as_deref()) {
        (Connection::Sqlite(_), _) | (_, None) => quote_ident(&table.name),
        _ => table.to_string(),
    }
}

fn query(conn: &mut Connection, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
    match conn {
        Connection::Postgres(pg) => pg.simple_query_rows(sql),
        Connection::Sqlite(db) => {
            use rusqlite::types::ValueRef;
            let c = db.connection();
            let mut stmt = c.prepare(sql).map_err(|e| DbError::msg(e.to_string()))?;
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    (0..n)
                        .map(|i| {
                            Ok(match r.get_ref(i)? {
                                ValueRef::Null => None,
                                ValueRef::Integer(v) => Some(v.to_string()),
                                ValueRef::Real(v) => Some(v.to_string()),
                                ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
                                ValueRef::Blob(b) => {
                                    Some(b.iter().map(|x| format!("{x:02x}")).collect())
                                }
                            })
                        })
                        .collect::<Result<Vec<_>, rusqlite::Error>>()
                })
                .map_err(|e| DbError::msg(e.to_string()))?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(|e| DbError::msg(e.to_string()))
        }
    }
}

/// The tables of `schema` that hold no row.
pub fn empty_tables(conn: &mut Connection, schema: &Schema) -> Result<Vec<QualifiedName>, DbError> {
    let mut out = Vec::new();
    for table in &schema.tables {
        if table.partition_of.is_some() {
            continue;
        }
        let sql = format!("SELECT 1 FROM {} LIMIT 1", name_sql(conn, &table.name));
        if query(conn, &sql)?.is_empty() {
            out.push(table.name.clone());
        }
    }
    Ok(out)
}

/// Deletes every row of every table of `schema` (PostgreSQL: one `TRUNCATE … CASCADE`; SQLite:
/// `DELETE`s with foreign keys off for the while).
pub fn empty_all(conn: &mut Connection, schema: &Schema) -> Result<(), DbError> {
    let tables: Vec<String> = schema
        .tables
        .iter()
        .filter(|t| t.partition_of.is_none())
        .map(|t| name_sql(conn, &t.name))
        .collect();
    if tables.is_empty() {
        return Ok(());
    }
    match conn {
        Connection::Postgres(pg) => {
            use strata_engine::Database;
            pg.execute(&format!("TRUNCATE {} CASCADE", tables.join(", ")))
        }
        Connection::Sqlite(_) => {
            let on = query(conn, "PRAGMA foreign_keys")?
                .first()
                .and_then(|r| r.first().cloned().flatten())
                .is_some_and(|v| v == "1");
            let mut sql = String::from("PRAGMA foreign_keys = OFF;\n");
            for t in &tables {
                sql.push_str(&format!("DELETE FROM {t};\n"));
            }
            if on {
                sql.push_str("PRAGMA foreign_keys = ON;\n");
            }
            conn.db().execute(&sql)
        }
    }
}

/// Every row of every table of `schema`.
pub fn snapshot(conn: &mut Connection, schema: &Schema) -> Result<Snapshot, DbError> {
    let mut out = Snapshot::new();
    for table in &schema.tables {
        if table.partition_of.is_some() || table.columns.is_empty() {
            continue;
        }
        let pg = matches!(conn, Connection::Postgres(_));
        let columns: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
        let list = columns
            .iter()
            .map(|c| {
                if pg {
                    format!("{}::text", quote_ident(c))
                } else {
                    quote_ident(c)
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("SELECT {list} FROM {}", name_sql(conn, &table.name));
        let mut rows = query(conn, &sql)?;
        rows.sort();
        out.insert(table.name.clone(), Rows { columns, rows });
    }
    Ok(out)
}

/// The rows of `before` projected on `columns` (those it has), sorted.
fn project(rows: &Rows, columns: &[&str]) -> Vec<Vec<Option<String>>> {
    let at: Vec<usize> = columns
        .iter()
        .filter_map(|c| rows.columns.iter().position(|x| x == c))
        .collect();
    let mut out: Vec<Vec<Option<String>>> = rows
        .rows
        .iter()
        .map(|r| at.iter().map(|&i| r[i].clone()).collect())
        .collect();
    out.sort();
    out
}

/// What a migration's up then down did to the rows of the tables that were there before it and
/// are there after its down, on the columns present before, after the up and after the down (the
/// columns the migration did not drop or add): each table that lost rows or changed values.
pub fn lost(before: &Snapshot, after_up: &Snapshot, after_down: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    for (table, old) in before {
        if old.rows.is_empty() {
            continue;
        }
        let (Some(up), Some(new)) = (after_up.get(table), after_down.get(table)) else {
            continue;
        };
        let columns: Vec<&str> = old
            .columns
            .iter()
            .map(String::as_str)
            .filter(|c| up.columns.iter().any(|x| x == c) && new.columns.iter().any(|x| x == c))
            .collect();
        if columns.is_empty() {
            continue;
        }
        let (a, b) = (project(old, &columns), project(new, &columns));
        if a == b {
            continue;
        }
        let shown = display_table(table);
        if b.len() < a.len() {
            out.push(format!(
                "down loses rows of table {shown}: {} before the up, {} after the down",
                a.len(),
                b.len()
            ));
        } else {
            let changed: Vec<&str> = columns
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    let mut x: Vec<_> = a.iter().map(|r| r[*i].clone()).collect();
                    let mut y: Vec<_> = b.iter().map(|r| r[*i].clone()).collect();
                    x.sort();
                    y.sort();
                    x != y
                })
                .map(|(_, c)| *c)
                .collect();
            out.push(format!(
                "down changes the rows of table {shown} (columns {}): {} rows before the up, {} after the down",
                changed.join(", "),
                a.len(),
                b.len()
            ));
        }
    }
    out
}

/// The tables that exist before and after the up and hold fewer rows after it.
pub fn lost_on_up(before: &Snapshot, after_up: &Snapshot) -> Vec<String> {
    before
        .iter()
        .filter_map(|(table, old)| {
            let new = after_up.get(table)?;
            (new.rows.len() < old.rows.len()).then(|| {
                format!(
                    "up deletes rows of table {}: {} before, {} after",
                    display_table(table),
                    old.rows.len(),
                    new.rows.len()
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(columns: &[&str], rows: &[&[&str]]) -> Rows {
        Rows {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|v| Some(v.to_string())).collect())
                .collect(),
        }
    }

    #[test]
    fn lost_rows_and_changed_values_are_named() {
        let t = QualifiedName::new(Some("public"), "users");
        let snap = |r: Rows| Snapshot::from([(t.clone(), r)]);
        let before = snap(rows(&["id", "name"], &[&["1", "a"], &["2", "b"]]));
        let up = snap(rows(
            &["id", "name", "extra"],
            &[&["1", "a", "x"], &["2", "b", "x"]],
        ));
        assert!(lost(&before, &up, &before).is_empty());
        let down = snap(rows(&["id", "name"], &[&["1", "a"]]));
        assert_eq!(
            lost(&before, &up, &down),
            ["down loses rows of table users: 2 before the up, 1 after the down"]
        );
        let down = snap(rows(&["id", "name"], &[&["1", "a"], &["2", "c"]]));
        assert_eq!(
            lost(&before, &up, &down),
            ["down changes the rows of table users (columns name): 2 rows before the up, 2 after the down"]
        );
        // A column the up drops is not compared: its values are gone by design.
        let up = snap(rows(&["id"], &[&["1"], &["2"]]));
        let down = snap(rows(&["id", "name"], &[&["1", ""], &["2", ""]]));
        assert!(lost(&before, &up, &down).is_empty());
        assert_eq!(
            lost_on_up(&before, &snap(rows(&["id"], &[]))),
            ["up deletes rows of table users: 2 before, 0 after"]
        );
    }
}
