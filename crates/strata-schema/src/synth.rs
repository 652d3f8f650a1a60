//! Synthetic rows for `strata test`'s data check: for each table of a model, an `INSERT` of N
//! rows whose values fit the column types, NOT NULL, unique keys (every value is a function of
//! a row number that grows), simple CHECKs (`col IN (…)`, `col = ANY (ARRAY[…])`) and foreign
//! keys (a referenced row chosen by a subquery, so rows already in the referenced table serve),
//! with the tables in dependency order. A table it cannot fill (a NOT NULL column of a type it
//! does not know) is named with the reason, never filled with made-up SQL; one the database
//! rejects is the caller's to skip.

use crate::model::{ConstraintKind, Schema, Table};
use std::collections::{BTreeMap, BTreeSet};
use strata_core::{quote_ident, quote_literal, Dialect, QualifiedName};

/// What to do for one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fill {
    /// One `INSERT` statement with all the rows.
    Insert { table: QualifiedName, sql: String },
    /// The table cannot be filled; `reason` says why.
    Skip {
        table: QualifiedName,
        reason: String,
    },
}

/// `table` as a reader writes it: `users`, `app.users`.
pub fn display_table(table: &QualifiedName) -> String {
    match table.schema.as_deref() {
        None | Some("public") | Some("main") => table.name.clone(),
        Some(schema) => format!("{schema}.{}", table.name),
    }
}

fn sql_name(table: &QualifiedName, dialect: Dialect) -> String {
    match (dialect, table.schema.as_deref()) {
        (Dialect::Sqlite, Some("main")) | (_, None) => quote_ident(&table.name),
        _ => table.to_string(),
    }
}

/// The rows to insert into each of `tables` (of `schema`), `rows` per table, numbered from
/// `first` (each value derives from its row number, so numbers not used before give values not
/// used before). Tables come in foreign-key order: referenced tables first.
pub fn fill(
    schema: &Schema,
    dialect: Dialect,
    tables: &[QualifiedName],
    rows: usize,
    first: u64,
) -> Vec<Fill> {
    let wanted: BTreeSet<&QualifiedName> = tables.iter().collect();
    let by_name: BTreeMap<&QualifiedName, &Table> = schema
        .tables
        .iter()
        .filter(|t| wanted.contains(&t.name))
        .map(|t| (&t.name, t))
        .collect();
    order(schema, &by_name)
        .into_iter()
        .map(|t| fill_table(schema, dialect, t, rows, first))
        .collect()
}

/// The tables with those they reference first (a cycle is broken at its first table).
fn order<'s>(schema: &Schema, tables: &BTreeMap<&QualifiedName, &'s Table>) -> Vec<&'s Table> {
    let mut refs: BTreeMap<&QualifiedName, BTreeSet<&QualifiedName>> = BTreeMap::new();
    for c in &schema.constraints {
        if let Some(fk) = &c.foreign_key {
            if fk.references != c.table && tables.contains_key(&fk.references) {
                refs.entry(&c.table).or_default().insert(&fk.references);
            }
        }
    }
    let mut out = Vec::new();
    let mut done: BTreeSet<&QualifiedName> = BTreeSet::new();
    fn visit<'a, 's>(
        name: &'a QualifiedName,
        tables: &BTreeMap<&'a QualifiedName, &'s Table>,
        refs: &BTreeMap<&'a QualifiedName, BTreeSet<&'a QualifiedName>>,
        done: &mut BTreeSet<&'a QualifiedName>,
        out: &mut Vec<&'s Table>,
    ) {
        if !done.insert(name) {
            return;
        }
        for r in refs.get(name).into_iter().flatten() {
            visit(r, tables, refs, done, out);
        }
        if let Some(t) = tables.get(name) {
            out.push(t);
        }
    }
    for name in tables.keys() {
        visit(name, tables, &refs, &mut done, &mut out);
    }
    out
}

fn fill_table(schema: &Schema, dialect: Dialect, table: &Table, rows: usize, first: u64) -> Fill {
    let constraints: Vec<_> = schema
        .constraints
        .iter()
        .filter(|c| c.table == table.name)
        .collect();
    // column -> (referenced table, referenced column, all referenced columns of the key)
    let mut foreign: BTreeMap<&str, (&QualifiedName, &str, &[String])> = BTreeMap::new();
    for c in &constraints {
        if let Some(fk) = &c.foreign_key {
            for (col, rcol) in c.columns.iter().zip(&fk.referenced_columns) {
                foreign.insert(col, (&fk.references, rcol, &fk.referenced_columns));
            }
        }
    }
    let mut allowed: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for c in constraints
        .iter()
        .filter(|c| c.kind == ConstraintKind::Check && c.columns.len() <= 1)
    {
        let values = listed_values(&c.definition);
        // SQLite's checks name no columns: the one the list is about comes first.
        let column = match c.columns.first() {
            Some(column) => Some(column.as_str()),
            None => listed_column(&c.definition)
                .and_then(|name| table.columns.iter().find(|col| col.name == name))
                .map(|col| col.name.as_str()),
        };
        if let (Some(column), false) = (column, values.is_empty()) {
            allowed.insert(column, values);
        }
    }
    let mut columns = Vec::new();
    let mut makers: Vec<Box<dyn Fn(u64) -> String>> = Vec::new();
    for column in &table.columns {
        if column.generated.is_some() || column.identity.is_some() {
            continue;
        }
        if let Some((rtable, rcol, key)) = foreign.get(column.name.as_str()) {
            let rtable = sql_name(rtable, dialect);
            let rcol = quote_ident(rcol);
            let order_by = key
                .iter()
                .map(|k| quote_ident(k))
                .collect::<Vec<_>>()
                .join(", ");
            columns.push(quote_ident(&column.name));
            makers.push(Box::new(move |n| {
                format!(
                    "(SELECT {rcol} FROM {rtable} ORDER BY {order_by} LIMIT 1 OFFSET {})",
                    n % 7
                )
            }));
            continue;
        }
        if column.default.is_some() {
            continue;
        }
        if let Some(values) = allowed.get(column.name.as_str()) {
            let values = values.clone();
            columns.push(quote_ident(&column.name));
            makers.push(Box::new(move |n| {
                values[(n as usize) % values.len()].clone()
            }));
            continue;
        }
        match value_maker(schema, dialect, &column.data_type) {
            Some(make) => {
                columns.push(quote_ident(&column.name));
                makers.push(make);
            }
            None if !column.not_null => {}
            None => {
                return Fill::Skip {
                    table: table.name.clone(),
                    reason: format!(
                        "column {} is NOT NULL without a default, of type {} that strata cannot generate values for",
                        column.name, column.data_type
                    ),
                }
            }
        }
    }
    let name = sql_name(&table.name, dialect);
    let sql = if columns.is_empty() {
        match dialect {
            Dialect::Postgres => {
                format!("INSERT INTO {name} SELECT FROM generate_series(1, {rows})")
            }
            Dialect::Sqlite => (0..rows)
                .map(|_| format!("INSERT INTO {name} DEFAULT VALUES;"))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    } else {
        let values: Vec<String> = (0..rows as u64)
            .map(|i| {
                let n = first + i;
                let cells: Vec<String> = makers.iter().map(|m| m(n)).collect();
                format!("({})", cells.join(", "))
            })
            .collect();
        format!(
            "INSERT INTO {name} ({}) VALUES {}",
            columns.join(", "),
            values.join(", ")
        )
    };
    Fill::Insert {
        table: table.name.clone(),
        sql,
    }
}

/// The column of `CHECK (col IN (…))`, `CHECK ("col" IN (…))`.
fn listed_column(definition: &str) -> Option<String> {
    let lower = definition.to_ascii_lowercase();
    let end = lower.find(" in (").or_else(|| lower.find(" = any"))?;
    let head = definition[..end].trim();
    let head = head
        .strip_prefix("CHECK")
        .or_else(|| head.strip_prefix("check"))
        .unwrap_or(head);
    let name = head.trim().trim_start_matches('(').trim();
    let name = name.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']');
    (!name.is_empty() && !name.contains(' ')).then(|| name.to_owned())
}

/// The literals of `CHECK ((col = ANY (ARRAY['a'::text, 'b'::text])))` or
/// `CHECK (col IN ('a', 'b'))`, as SQL literals; empty for other checks.
fn listed_values(definition: &str) -> Vec<String> {
    let lower = definition.to_ascii_lowercase();
    let start = match (lower.find("array["), lower.find(" in (")) {
        (Some(i), _) => i + "array[".len(),
        (None, Some(i)) => i + " in (".len(),
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    let bytes: Vec<char> = definition[start..].chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            '\'' => {
                let mut text = String::new();
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == '\'' {
                        if bytes.get(i + 1) == Some(&'\'') {
                            text.push('\'');
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    text.push(bytes[i]);
                    i += 1;
                }
                out.push(quote_literal(&text));
            }
            ']' | ')' => break,
            c if c.is_ascii_digit() || c == '-' => {
                let mut text = String::new();
                while i < bytes.len()
                    && (bytes[i].is_ascii_digit() || matches!(bytes[i], '-' | '.'))
                {
                    text.push(bytes[i]);
                    i += 1;
                }
                out.push(text);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// A value for row `n` of a column of type `data_type`, as a SQL literal; `None` for a type
/// without a generator.
fn value_maker(
    schema: &Schema,
    dialect: Dialect,
    data_type: &str,
) -> Option<Box<dyn Fn(u64) -> String>> {
    let lower = data_type.to_ascii_lowercase();
    if lower.ends_with("[]") {
        return Some(Box::new(|_| "'{}'".to_owned()));
    }
    if let Some(e) = schema.enums.iter().find(|e| {
        e.name.name == data_type
            || e.name.to_string() == data_type
            || format!("{}.{}", e.name.schema.as_deref().unwrap_or(""), e.name.name) == data_type
    }) {
        if e.labels.is_empty() {
            return None;
        }
        let labels = e.labels.clone();
        return Some(Box::new(move |n| {
            quote_literal(&labels[(n as usize) % labels.len()])
        }));
    }
    if let Some(d) = schema.domains.iter().find(|d| {
        d.name.name == data_type
            || format!("{}.{}", d.name.schema.as_deref().unwrap_or(""), d.name.name) == data_type
    }) {
        if d.data_type != data_type {
            return value_maker(schema, dialect, &d.data_type);
        }
        return None;
    }
    let length: Option<u64> = lower
        .find('(')
        .and_then(|i| lower[i + 1..].split([')', ',']).next())
        .and_then(|n| n.trim().parse().ok());
    let base = lower.split('(').next().unwrap_or("").trim().to_owned();
    let has = |w: &str| base.contains(w);
    let make: Box<dyn Fn(u64) -> String> = if base == "smallint" || base == "int2" {
        Box::new(|n| (n % 32000).to_string())
    } else if has("interval") {
        Box::new(|n| quote_literal(&format!("{n} seconds")))
    } else if has("point") {
        return None;
    } else if has("int") || base == "oid" {
        Box::new(|n| n.to_string())
    } else if has("bool") {
        match dialect {
            Dialect::Postgres => Box::new(|n| if n % 2 == 0 { "true" } else { "false" }.into()),
            Dialect::Sqlite => Box::new(|n| (n % 2).to_string()),
        }
    } else if base == "numeric" || base == "decimal" || has("real") || has("double") || has("float")
    {
        // numeric(p, s): stay below 10^(p - s).
        let limit = match lower.find('(') {
            Some(i) => {
                let parts: Vec<u32> = lower[i + 1..]
                    .trim_end_matches(')')
                    .split(',')
                    .filter_map(|p| p.trim().parse().ok())
                    .collect();
                match parts[..] {
                    [p, s] if p > s => 10u64.saturating_pow((p - s).min(18)),
                    [p] => 10u64.saturating_pow(p.min(18)),
                    _ => 1,
                }
            }
            None => u64::MAX,
        };
        Box::new(move |n| (n % limit).to_string())
    } else if has("timestamp") || has("datetime") {
        Box::new(|n| quote_literal(&timestamp(n)))
    } else if base == "date" {
        Box::new(|n| quote_literal(&timestamp(n * 1440)[..10]))
    } else if has("time") {
        Box::new(|n| quote_literal(&timestamp(n)[11..]))
    } else if base == "uuid" {
        Box::new(|n| quote_literal(&format!("00000000-0000-4000-8000-{n:012x}")))
    } else if base == "json" || base == "jsonb" {
        Box::new(|n| quote_literal(&format!("{{\"n\": {n}}}")))
    } else if base == "bytea" || has("blob") {
        match dialect {
            Dialect::Postgres => Box::new(|n| quote_literal(&format!("\\x{n:016x}"))),
            Dialect::Sqlite => Box::new(|n| format!("X'{n:016x}'")),
        }
    } else if base == "inet" || base == "cidr" {
        Box::new(|n| {
            quote_literal(&format!(
                "10.{}.{}.{}",
                (n >> 16) & 255,
                (n >> 8) & 255,
                n & 255
            ))
        })
    } else if has("char") || has("text") || has("clob") || base == "name" || base == "citext" {
        let keep = length.map(|l| l as usize);
        Box::new(move |n| {
            let mut text = format!("s{n}");
            if let Some(keep) = keep {
                if text.len() > keep {
                    text = text[text.len() - keep..].to_owned();
                }
            }
            quote_literal(&text)
        })
    } else if dialect == Dialect::Sqlite && base.is_empty() {
        Box::new(|n| n.to_string())
    } else {
        return None;
    };
    Some(make)
}

/// `2000-01-01 00:00:00` plus `minutes` minutes (days of 28 per month, so every text is a date).
fn timestamp(minutes: u64) -> String {
    let (minute, hours) = (minutes % 60, minutes / 60);
    let (hour, days) = (hours % 24, hours / 24);
    let (day, months) = (days % 28 + 1, days / 28);
    let (month, years) = (months % 12 + 1, months / 12);
    format!(
        "{:04}-{month:02}-{day:02} {hour:02}:{minute:02}:00",
        2000 + years % 7000
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Column, Constraint, ForeignKey, ForeignKeyAction, ForeignKeyMatch};

    fn q(name: &str) -> QualifiedName {
        QualifiedName::new(Some("public"), name)
    }

    fn not_null(name: &str, ty: &str) -> Column {
        let mut c = Column::new(name, ty);
        c.not_null = true;
        c
    }

    #[test]
    fn referenced_tables_come_first_and_values_fit() {
        let users = Table::new(
            q("users"),
            vec![
                not_null("id", "integer"),
                not_null("email", "character varying(3)"),
                not_null("state", "text"),
            ],
        );
        let orders = Table::new(
            q("orders"),
            vec![not_null("id", "bigint"), not_null("user_id", "integer")],
        );
        let schema = Schema {
            tables: vec![orders, users],
            constraints: vec![
                Constraint {
                    table: q("orders"),
                    name: "orders_user_id_fkey".into(),
                    kind: ConstraintKind::ForeignKey,
                    definition: "FOREIGN KEY (user_id) REFERENCES users(id)".into(),
                    columns: vec!["user_id".into()],
                    validated: true,
                    deferrable: false,
                    initially_deferred: false,
                    no_inherit: false,
                    inherited: false,
                    foreign_key: Some(ForeignKey {
                        references: q("users"),
                        referenced_columns: vec!["id".into()],
                        on_update: ForeignKeyAction::NoAction,
                        on_delete: ForeignKeyAction::NoAction,
                        match_type: ForeignKeyMatch::Simple,
                    }),
                    comment: None,
                },
                Constraint {
                    table: q("users"),
                    name: "users_state_check".into(),
                    kind: ConstraintKind::Check,
                    definition: "CHECK ((state = ANY (ARRAY['new'::text, 'it''s'::text])))".into(),
                    columns: vec!["state".into()],
                    validated: true,
                    deferrable: false,
                    initially_deferred: false,
                    no_inherit: false,
                    inherited: false,
                    foreign_key: None,
                    comment: None,
                },
            ],
            ..Schema::default()
        };
        let fills = fill(
            &schema,
            Dialect::Postgres,
            &[q("orders"), q("users")],
            2,
            99,
        );
        let sql: Vec<&str> = fills
            .iter()
            .map(|f| match f {
                Fill::Insert { sql, .. } => sql.as_str(),
                Fill::Skip { reason, .. } => panic!("{reason}"),
            })
            .collect();
        assert_eq!(
            sql[0],
            "INSERT INTO \"public\".\"users\" (\"id\", \"email\", \"state\") VALUES (99, 's99', 'it''s'), (100, '100', 'new')"
        );
        assert!(sql[1].starts_with("INSERT INTO \"public\".\"orders\" (\"id\", \"user_id\") VALUES (99, (SELECT \"id\" FROM \"public\".\"users\" ORDER BY \"id\" LIMIT 1 OFFSET 1)"), "{}", sql[1]);
    }

    #[test]
    fn unknown_not_null_types_are_named_not_faked() {
        let t = Table::new(q("shapes"), vec![not_null("p", "point")]);
        let schema = Schema {
            tables: vec![t],
            ..Schema::default()
        };
        assert_eq!(
            fill(&schema, Dialect::Postgres, &[q("shapes")], 3, 1),
            [Fill::Skip {
                table: q("shapes"),
                reason: "column p is NOT NULL without a default, of type point that strata cannot generate values for".into()
            }]
        );
        assert_eq!(timestamp(0), "2000-01-01 00:00:00");
        assert_eq!(
            listed_column("CHECK (\"state\" IN ('a', 'b'))").as_deref(),
            Some("state")
        );
        assert_eq!(timestamp(61), "2000-01-01 01:01:00");
    }
}
