//! Table rebuilds: the tables SQLite's `ALTER TABLE` cannot change, in sets linked by foreign keys,
//! each set re-created as copies (`"_strata_new_<t>"`), filled, swapped in, as one change.

use super::diff::{change, hazard, possible_rename};
use super::names::{find_table, lc, same_name, table_constraints, table_ref};
use super::render::{
    create_table_sql, has_rowid_alias, is_autoincrement, parents_first, without_rowid,
};
use crate::diff::{Change, ChangeKind, HazardId};
use crate::model::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use strata_core::{quote_ident, quote_literal};

/// The prefix of the copy a table is rebuilt into.
pub const REBUILD_PREFIX: &str = "_strata_new_";

/// The rebuilt tables, in sets linked by foreign keys (in either model), each set sorted.
pub(super) fn components(
    state: &Schema,
    to: &Schema,
    group: &BTreeSet<String>,
) -> Vec<BTreeSet<String>> {
    let mut edges: Vec<(String, String)> = Vec::new();
    for s in [state, to] {
        for c in &s.constraints {
            if let Some(fk) = &c.foreign_key {
                let (a, b) = (lc(&c.table.name), lc(&fk.references.name));
                if a != b && group.contains(&a) && group.contains(&b) {
                    edges.push((a, b));
                }
            }
        }
    }
    let mut out: Vec<BTreeSet<String>> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for start in group {
        if seen.contains(start) {
            continue;
        }
        let mut set = BTreeSet::from([start.clone()]);
        loop {
            let more: Vec<String> = edges
                .iter()
                .filter_map(|(a, b)| match (set.contains(a), set.contains(b)) {
                    (true, false) => Some(b.clone()),
                    (false, true) => Some(a.clone()),
                    _ => None,
                })
                .collect();
            if more.is_empty() {
                break;
            }
            set.extend(more);
        }
        seen.extend(set.iter().cloned());
        out.push(set);
    }
    out
}

/// The statements that rebuild `members` from their definition in `old` to the one in `new`:
/// every copy is created (its foreign keys to other members pointed at their copies), then
/// filled, then the old tables dropped (referencing tables first) and the copies renamed.
fn rebuild_statements(old: &Schema, new: &Schema, members: &BTreeSet<String>) -> Vec<String> {
    let targets: BTreeMap<String, String> = members
        .iter()
        .map(|m| {
            let name = &find_table(new, m).expect("member").name.name;
            (m.clone(), format!("{REBUILD_PREFIX}{name}"))
        })
        .collect();
    let mut out = vec!["PRAGMA defer_foreign_keys = ON;".to_owned()];
    let order = parents_first(new, members);
    for m in &order {
        let nt = find_table(new, m).expect("member");
        out.push(create_table_sql(
            nt,
            &table_constraints(new, m),
            &targets[m],
            &targets,
        ));
    }
    for m in &order {
        let (ot, nt) = (
            find_table(old, m).expect("member"),
            find_table(new, m).expect("member"),
        );
        let copy = &targets[m];
        let pairs: Vec<(&str, &str)> = nt
            .columns
            .iter()
            .filter(|c| c.generated.is_none())
            .filter_map(|c| {
                ot.columns
                    .iter()
                    .find(|o| same_name(&o.name, &c.name))
                    .map(|o| (c.name.as_str(), o.name.as_str()))
            })
            .collect();
        let rowid_named = |t: &Table| {
            t.columns
                .iter()
                .any(|c| ["rowid", "oid", "_rowid_"].contains(&lc(&c.name).as_str()))
        };
        let rowid = !without_rowid(ot)
            && !without_rowid(nt)
            && !has_rowid_alias(nt, &table_constraints(new, m))
            && !rowid_named(ot)
            && !rowid_named(nt);
        if !pairs.is_empty() || rowid {
            let mut into: Vec<String> = pairs.iter().map(|(n, _)| quote_ident(n)).collect();
            let mut select: Vec<String> = pairs.iter().map(|(_, o)| quote_ident(o)).collect();
            if rowid {
                into.insert(0, "rowid".to_owned());
                select.insert(0, "rowid".to_owned());
            }
            out.push(format!(
                "INSERT INTO {} ({}) SELECT {} FROM {};",
                quote_ident(copy),
                into.join(", "),
                select.join(", "),
                quote_ident(&ot.name.name)
            ));
        }
        let autoincrement = |s: &Schema| table_constraints(s, m).into_iter().any(is_autoincrement);
        if autoincrement(old) && autoincrement(new) {
            // Keeps the AUTOINCREMENT counter, which may be above the largest key.
            out.push(format!(
                "DELETE FROM sqlite_sequence WHERE name = {};",
                quote_literal(copy)
            ));
            out.push(format!(
                "INSERT INTO sqlite_sequence (name, seq) SELECT {}, seq FROM sqlite_sequence WHERE name = {};",
                quote_literal(copy),
                quote_literal(&ot.name.name)
            ));
        }
    }
    for m in parents_first(old, members).into_iter().rev() {
        let ot = find_table(old, &m).expect("member");
        out.push(format!("DROP TABLE {};", quote_ident(&ot.name.name)));
    }
    for m in &order {
        let nt = find_table(new, m).expect("member");
        out.push(format!(
            "ALTER TABLE {} RENAME TO {};",
            quote_ident(&targets[m]),
            quote_ident(&nt.name.name)
        ));
    }
    out
}

pub(super) fn rebuild_change(
    state: &Schema,
    to: &Schema,
    members: &BTreeSet<String>,
    changed: &BTreeSet<String>,
) -> Change {
    let first = members
        .iter()
        .find(|m| changed.contains(*m))
        .unwrap_or_else(|| members.iter().next().expect("a member"));
    let name = |m: &str| find_table(to, m).expect("member").name.name.clone();
    let mut c = change(
        ChangeKind::RebuildTable,
        table_ref(&name(first)),
        rebuild_statements(state, to, members),
        rebuild_statements(to, state, members),
    );
    let listed: Vec<String> = members.iter().map(|m| quote_ident(&name(m))).collect();
    let referencing: Vec<String> = members
        .iter()
        .filter(|m| !changed.contains(*m))
        .map(|m| quote_ident(&name(m)))
        .collect();
    let mut message = format!(
        "{} rebuilt: created anew, rows copied, old table dropped (SQLite's ALTER TABLE cannot make this change)",
        if listed.len() == 1 {
            format!("table {} is", listed[0])
        } else {
            format!("tables {} are", listed.join(", "))
        }
    );
    if !referencing.is_empty() {
        let _ = write!(
            message,
            "; {} only because {} foreign keys reference a rebuilt table",
            referencing.join(", "),
            if referencing.len() == 1 {
                "its"
            } else {
                "their"
            }
        );
    }
    c.hazards.push(hazard(HazardId::TableRewrite, message));
    for m in members {
        let (ot, nt) = (
            find_table(state, m).expect("member"),
            find_table(to, m).expect("member"),
        );
        let has = |t: &Table, n: &str| t.columns.iter().any(|c| same_name(&c.name, n));
        let dropped: Vec<&Column> = ot.columns.iter().filter(|c| !has(nt, &c.name)).collect();
        let added: Vec<&Column> = nt.columns.iter().filter(|c| !has(ot, &c.name)).collect();
        let t = quote_ident(&nt.name.name);
        for d in &dropped {
            c.hazards.push(hazard(
                HazardId::DataLoss,
                format!(
                    "column {t}.{} is dropped with its values",
                    quote_ident(&d.name)
                ),
            ));
            c.destructive = true;
            if let Some(a) = added.iter().find(|a| a.data_type == d.data_type) {
                c.hazards.push(possible_rename(&nt.name.name, d, a));
            }
        }
        for a in &added {
            if a.not_null && a.default.is_none() && a.generated.is_none() {
                c.hazards.push(hazard(
                    HazardId::NotNullBackfill,
                    format!(
                        "{t}.{} is NOT NULL without a default: the copy fails if the table has rows; add it nullable, backfill, then make it NOT NULL",
                        quote_ident(&a.name)
                    ),
                ));
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use crate::sqlite::fixtures::*;

    #[test]
    fn type_change_rebuilds_and_copies_rows() {
        let from = schema(vec![users()], vec![]);
        let mut t = users();
        t.columns[1].data_type = "VARCHAR(20)".into();
        let to = schema(vec![t], vec![]);
        let p = plan(&from, &to);
        assert_eq!(kinds(&p), [ChangeKind::RebuildTable]);
        let up = &p.changes[0].up;
        assert_eq!(up[0], "PRAGMA defer_foreign_keys = ON;");
        assert!(up[1].starts_with("CREATE TABLE \"_strata_new_users\" ("));
        assert_eq!(
            up[2],
            "INSERT INTO \"_strata_new_users\" (rowid, \"id\", \"name\") SELECT rowid, \"id\", \"name\" FROM \"users\";"
        );
        assert_eq!(up[3], "DROP TABLE \"users\";");
        assert_eq!(
            up[4],
            "ALTER TABLE \"_strata_new_users\" RENAME TO \"users\";"
        );
        assert!(p.changes[0].down[1].contains("\"name\" TEXT"));
    }

    #[test]
    fn referencing_tables_are_rebuilt_with_their_parent() {
        let orders = table(
            "orders",
            vec![col("id", "INTEGER"), col("user_id", "INTEGER")],
        );
        let cons = vec![
            pk("users", &["id"]),
            pk("orders", &["id"]),
            fk("orders", "user_id", "users", ForeignKeyAction::Cascade),
        ];
        let from = schema(vec![users(), orders.clone()], cons.clone());
        let mut u = users();
        u.columns[1].not_null = true;
        let to = schema(vec![u, orders], cons);
        let p = plan(&from, &to);
        assert_eq!(kinds(&p), [ChangeKind::RebuildTable]);
        let c = &p.changes[0];
        assert_eq!(c.object, table_ref("users"));
        assert!(c.hazards[0].message.contains("\"orders\" only because"));
        let up = c.up.join("\n");
        assert!(
            up.contains("REFERENCES \"_strata_new_users\" (\"id\") ON DELETE CASCADE"),
            "{up}"
        );
        // Referencing table dropped first, copies renamed after.
        let drop_orders = up.find("DROP TABLE \"orders\"").unwrap();
        let drop_users = up.find("DROP TABLE \"users\"").unwrap();
        assert!(drop_orders < drop_users);
        assert!(up.ends_with("ALTER TABLE \"_strata_new_orders\" RENAME TO \"orders\";"));
    }
}
