//! The SQLite diff: the phases of a plan, what `ALTER TABLE` can do for a table that stays (and
//! what needs a rebuild), tables dropped and created, `DROP COLUMN` / `ADD COLUMN`, and the views,
//! triggers and indexes dropped and created around them. Renames are in `renames.rs`, rebuilds in
//! `rebuild.rs`.

use super::lex::{self, TokenKind};
use super::names::{find_table, lc, same_name, table_constraints, table_ref};
use super::rebuild::{components, rebuild_change};
use super::render::{
    column_sql, create_table_sql, index_sql, parents_first, statement, views_in_order,
};
use crate::diff::{Change, ChangeKind, DiffOptions, Hazard, HazardId, Plan};
use crate::model::*;
use std::collections::{BTreeMap, BTreeSet};
use strata_core::quote_ident;

/// Plan order. Views and triggers that go are dropped first, before renames (their text names
/// the old names); indexes after renames. Tables are dropped after the rebuilds (the tables that
/// referenced them are rebuilt without those foreign keys first: dropping a parent fires its
/// children's `ON DELETE` actions), but before them when they reference a rebuilt table (dropping
/// the old parent would fire theirs). Tables are created before the rebuilds (rebuilt tables may
/// reference them), after them when they reference a rebuilt table. Indexes, views and triggers
/// are created last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Phase {
    DropTrigger,
    DropView,
    Rename,
    DropIndex,
    DropTable,
    DropColumn,
    CreateTable,
    AddColumn,
    Rebuild,
    DropTableAfterRebuild,
    CreateTableAfterRebuild,
    CreateIndex,
    CreateView,
    CreateTrigger,
}

pub(super) use crate::diff::change::{change, hazard};

/// A default `ADD COLUMN` accepts: a literal, a signed number, NULL, TRUE or FALSE.
fn constant_default(text: &str) -> bool {
    let tokens = lex::tokenize(text);
    match tokens.as_slice() {
        [t] => match t.kind {
            TokenKind::String | TokenKind::Number | TokenKind::Blob => true,
            TokenKind::Word => ["null", "true", "false"].contains(&lc(t.text).as_str()),
            _ => false,
        },
        [sign, n] => (sign.is_punct("+") || sign.is_punct("-")) && n.kind == TokenKind::Number,
        _ => false,
    }
}

/// Whether a constraint of the table, or another column's generated expression, uses `column`.
fn column_used(column: &str, t: &Table, constraints: &[&Constraint]) -> bool {
    let name = lc(column);
    constraints.iter().any(|c| {
        c.columns.iter().any(|x| same_name(x, column))
            || (c.kind == ConstraintKind::Check && lex::identifiers(&c.definition).contains(&name))
    }) || t.columns.iter().any(|c| {
        !same_name(&c.name, column)
            && c.generated
                .as_ref()
                .is_some_and(|g| lex::identifiers(g).contains(&name))
    })
}

/// Whether `ALTER TABLE … ADD COLUMN` can add this column to the table as it is in `constraints`.
fn addable(c: &Column, t: &Table, constraints: &[&Constraint]) -> bool {
    if let Some(g) = &c.generated {
        if c.not_null || !g.trim_end().to_ascii_uppercase().ends_with("VIRTUAL") {
            return false;
        }
    }
    match &c.default {
        None => {
            if c.not_null {
                return false;
            }
        }
        Some(d) => {
            if !constant_default(d) || (c.not_null && d.trim().eq_ignore_ascii_case("null")) {
                return false;
            }
        }
    }
    !column_used(&c.name, t, constraints)
}

/// How a table that both models hold changes.
enum TableChange<'a> {
    Same,
    /// `DROP COLUMN` of trailing columns, then `ADD COLUMN` of trailing columns.
    Alter {
        dropped: Vec<&'a Column>,
        added: Vec<&'a Column>,
    },
    Rebuild,
}

fn classify<'a>(
    old: &'a Table,
    old_constraints: &[&Constraint],
    new: &'a Table,
    new_constraints: &[&Constraint],
) -> TableChange<'a> {
    let same_constraints = old_constraints == new_constraints;
    if old == new && same_constraints {
        return TableChange::Same;
    }
    if old.name.name != new.name.name || old.options != new.options || !same_constraints {
        return TableChange::Rebuild;
    }
    let has = |t: &Table, n: &str| t.columns.iter().any(|c| same_name(&c.name, n));
    let kept_old: Vec<&Column> = old.columns.iter().filter(|c| has(new, &c.name)).collect();
    let kept_new: Vec<&Column> = new.columns.iter().filter(|c| has(old, &c.name)).collect();
    let dropped: Vec<&Column> = old.columns.iter().filter(|c| !has(new, &c.name)).collect();
    let added: Vec<&Column> = new.columns.iter().filter(|c| !has(old, &c.name)).collect();
    let trailing = |all: &[Column], kept: &[&Column]| {
        all.iter().take(kept.len()).zip(kept).all(|(a, b)| a == *b)
    };
    let alterable = kept_old == kept_new
        && !kept_old.is_empty()
        && trailing(&old.columns, &kept_old)
        && trailing(&new.columns, &kept_new)
        && added.iter().all(|c| addable(c, new, new_constraints))
        // A dropped column must be droppable, and addable back for the down.
        && dropped.iter().all(|c| addable(c, old, old_constraints));
    if alterable {
        TableChange::Alter { dropped, added }
    } else {
        TableChange::Rebuild
    }
}

pub(super) struct Diff<'s> {
    /// The old model after the renames: what the database holds once they ran.
    pub(super) state: Schema,
    from: &'s Schema,
    pub(super) to: &'s Schema,
    /// Lower-case name in `state` → lower-case name in `from`.
    pub(super) origin: BTreeMap<String, String>,
    /// Tables (lower-case names in `from`) whose views and triggers must be re-created.
    pub(super) touched: BTreeSet<String>,
    out: Vec<(Phase, Change)>,
}

/// The changes that turn the SQLite model `from` into `to`, each with the statements that undo
/// it (applied in reverse order, the downs restore `from`).
pub fn diff(from: &Schema, to: &Schema, opts: &DiffOptions) -> Plan {
    // What differs only in spelling is no change.
    let from = &super::spelling::unify(from, to);
    let mut d = Diff {
        state: from.clone(),
        from,
        to,
        origin: from
            .tables
            .iter()
            .map(|t| (lc(&t.name.name), lc(&t.name.name)))
            .collect(),
        touched: BTreeSet::new(),
        out: Vec::new(),
    };
    d.renames(opts);
    d.tables();
    d.out.sort_by_key(|(phase, _)| *phase);
    Plan {
        changes: d.out.into_iter().map(|(_, c)| c).collect(),
    }
}

impl Diff<'_> {
    pub(super) fn push(&mut self, phase: Phase, c: Change) {
        self.out.push((phase, c));
    }

    fn tables(&mut self) {
        let state = self.state.clone();
        let to = self.to;
        let names = |s: &Schema| -> BTreeSet<String> {
            s.tables.iter().map(|t| lc(&t.name.name)).collect()
        };
        let (old_names, new_names) = (names(&state), names(to));
        let dropped: BTreeSet<String> = old_names.difference(&new_names).cloned().collect();
        let created: BTreeSet<String> = new_names.difference(&old_names).cloned().collect();

        // What each table that stays needs.
        let mut rebuild: BTreeSet<String> = BTreeSet::new();
        let mut alters: Vec<(String, Vec<Column>, Vec<Column>)> = Vec::new();
        for name in old_names.intersection(&new_names) {
            let (old, new) = (
                find_table(&state, name).expect("listed"),
                find_table(to, name).expect("listed"),
            );
            match classify(
                old,
                &table_constraints(&state, name),
                new,
                &table_constraints(to, name),
            ) {
                TableChange::Same => {}
                TableChange::Rebuild => {
                    rebuild.insert(name.clone());
                }
                TableChange::Alter { dropped, added } => alters.push((
                    name.clone(),
                    dropped.into_iter().cloned().collect(),
                    added.into_iter().cloned().collect(),
                )),
            }
        }
        // Tables whose foreign keys reference a rebuilt table are rebuilt with it.
        let mut group = rebuild.clone();
        loop {
            let more: BTreeSet<String> = state
                .constraints
                .iter()
                .filter_map(|c| {
                    let fk = c.foreign_key.as_ref()?;
                    let child = lc(&c.table.name);
                    (group.contains(&lc(&fk.references.name))
                        && !group.contains(&child)
                        && new_names.contains(&child))
                    .then_some(child)
                })
                .collect();
            if more.is_empty() {
                break;
            }
            group.extend(more);
        }
        alters.retain(|(name, _, _)| !group.contains(name));

        // Views and triggers are re-created around what SQLite re-checks them for: a table
        // dropped, rebuilt, or losing a column (an added column breaks nothing).
        for name in dropped
            .iter()
            .chain(&group)
            .chain(alters.iter().filter(|a| !a.1.is_empty()).map(|a| &a.0))
        {
            let origin = self.origin.get(name).cloned().unwrap_or(name.clone());
            self.touched.insert(origin);
        }
        self.views_and_triggers();
        self.indexes(&group, &dropped);

        // Dropped tables, referencing tables first.
        let references_group: BTreeSet<String> = state
            .constraints
            .iter()
            .filter(|c| {
                c.foreign_key
                    .as_ref()
                    .is_some_and(|fk| group.contains(&lc(&fk.references.name)))
            })
            .map(|c| lc(&c.table.name))
            .collect();
        for name in parents_first(&state, &dropped).into_iter().rev() {
            let t = find_table(&state, &name).expect("listed");
            let down = create_table_sql(
                t,
                &table_constraints(&state, &name),
                &t.name.name,
                &BTreeMap::new(),
            );
            let mut c = change(
                ChangeKind::DropTable,
                table_ref(&t.name.name),
                vec![format!("DROP TABLE {};", quote_ident(&t.name.name))],
                vec![down],
            );
            c.hazards.push(hazard(
                HazardId::DataLoss,
                format!(
                    "table {} is dropped with its rows",
                    quote_ident(&t.name.name)
                ),
            ));
            let shape = |t: &Table| -> Vec<(String, String)> {
                t.columns
                    .iter()
                    .map(|c| (lc(&c.name), c.data_type.clone()))
                    .collect()
            };
            if let Some(n) = created
                .iter()
                .filter_map(|n| find_table(to, n))
                .find(|n| shape(n) == shape(t))
            {
                c.hazards.push(hazard(
                    HazardId::PossibleRename,
                    format!(
                        "{} dropped and {} created with the same columns: a rename? (--rename {}={})",
                        quote_ident(&t.name.name),
                        quote_ident(&n.name.name),
                        t.name.name,
                        n.name.name
                    ),
                ));
            }
            c.destructive = true;
            let phase = if references_group.contains(&name) {
                Phase::DropTable
            } else {
                Phase::DropTableAfterRebuild
            };
            self.push(phase, c);
        }

        // Created tables, referenced tables first; after the rebuilds when they reference a
        // rebuilt table (and no rebuilt table references them).
        let referenced_by_group: BTreeSet<String> = to
            .constraints
            .iter()
            .filter(|c| group.contains(&lc(&c.table.name)))
            .filter_map(|c| c.foreign_key.as_ref())
            .map(|fk| lc(&fk.references.name))
            .collect();
        for name in parents_first(to, &created) {
            let t = find_table(to, &name).expect("listed");
            let constraints = table_constraints(to, &name);
            let late = !referenced_by_group.contains(&name)
                && constraints.iter().any(|c| {
                    c.foreign_key
                        .as_ref()
                        .is_some_and(|fk| group.contains(&lc(&fk.references.name)))
                });
            self.push(
                if late {
                    Phase::CreateTableAfterRebuild
                } else {
                    Phase::CreateTable
                },
                change(
                    ChangeKind::CreateTable,
                    table_ref(&t.name.name),
                    vec![create_table_sql(
                        t,
                        &constraints,
                        &t.name.name,
                        &BTreeMap::new(),
                    )],
                    vec![format!("DROP TABLE {};", quote_ident(&t.name.name))],
                ),
            );
        }

        // ALTER TABLE … DROP COLUMN / ADD COLUMN.
        for (name, dropped_cols, added_cols) in &alters {
            let t = quote_ident(&find_table(to, name).expect("listed").name.name);
            let old_t = find_table(&state, name).expect("listed");
            // Last column first, so that the downs add them back in order.
            for c in dropped_cols.iter().rev() {
                let mut ch = change(
                    ChangeKind::DropColumn,
                    table_ref(&old_t.name.name),
                    vec![format!(
                        "ALTER TABLE {t} DROP COLUMN {};",
                        quote_ident(&c.name)
                    )],
                    vec![format!(
                        "ALTER TABLE {t} ADD COLUMN {};",
                        column_sql(c, None)
                    )],
                );
                ch.column = Some(c.name.clone());
                ch.hazards.push(hazard(
                    HazardId::DataLoss,
                    format!(
                        "column {t}.{} is dropped with its values",
                        quote_ident(&c.name)
                    ),
                ));
                if let Some(a) = added_cols.iter().find(|a| a.data_type == c.data_type) {
                    ch.hazards.push(possible_rename(&old_t.name.name, c, a));
                }
                ch.destructive = true;
                self.push(Phase::DropColumn, ch);
            }
            for c in added_cols {
                let mut ch = change(
                    ChangeKind::AddColumn,
                    table_ref(&old_t.name.name),
                    vec![format!(
                        "ALTER TABLE {t} ADD COLUMN {};",
                        column_sql(c, None)
                    )],
                    vec![format!(
                        "ALTER TABLE {t} DROP COLUMN {};",
                        quote_ident(&c.name)
                    )],
                );
                ch.column = Some(c.name.clone());
                if let Some(d) = dropped_cols.iter().find(|d| d.data_type == c.data_type) {
                    ch.hazards.push(hazard(
                        HazardId::PossibleRename,
                        format!(
                            "{} added and {} dropped with the same type: a rename?",
                            quote_ident(&c.name),
                            quote_ident(&d.name)
                        ),
                    ));
                }
                self.push(Phase::AddColumn, ch);
            }
        }

        // Rebuilds: one change per set of tables linked by foreign keys.
        for members in components(&state, to, &group) {
            let c = rebuild_change(&state, to, &members, &rebuild);
            self.push(Phase::Rebuild, c);
        }
    }

    /// Views and triggers: those that go, change, or name a touched table (or a view that goes)
    /// are dropped first (from `from`, before the renames) and created last (from `to`).
    fn views_and_triggers(&mut self) {
        let (from, to) = (self.from, self.to);
        let by_name = |views: &'_ [View]| -> BTreeMap<String, usize> {
            views
                .iter()
                .enumerate()
                .map(|(i, v)| (lc(&v.name.name), i))
                .collect()
        };
        let (fv, tv) = (by_name(&from.views), by_name(&to.views));
        let mentions = |sql: &str, names: &BTreeSet<String>| {
            lex::identifiers(sql).iter().any(|i| names.contains(i))
        };
        let mut gone: BTreeSet<String> = fv
            .iter()
            .filter(|(name, &i)| {
                let v = &from.views[i];
                tv.get(*name).is_none_or(|&j| {
                    let n = &to.views[j];
                    n.name.name != v.name.name || n.definition != v.definition
                }) || mentions(&v.definition, &self.touched)
            })
            .map(|(name, _)| name.clone())
            .collect();
        loop {
            let more: Vec<String> = fv
                .iter()
                .filter(|(name, _)| !gone.contains(*name))
                .filter(|(name, &i)| {
                    let mut ids = lex::identifiers(&from.views[i].definition);
                    ids.remove(*name);
                    ids.iter().any(|x| gone.contains(x))
                })
                .map(|(name, _)| name.clone())
                .collect();
            if more.is_empty() {
                break;
            }
            gone.extend(more);
        }
        let dropped_views: Vec<&View> = gone.iter().map(|n| &from.views[fv[n]]).collect();
        for v in views_in_order(&dropped_views).into_iter().rev() {
            self.push(
                Phase::DropView,
                change(
                    ChangeKind::DropView,
                    v.key(),
                    vec![format!("DROP VIEW {};", quote_ident(&v.name.name))],
                    vec![statement(&v.definition)],
                ),
            );
        }
        let created_views: Vec<&View> = to
            .views
            .iter()
            .filter(|v| {
                let k = lc(&v.name.name);
                !fv.contains_key(&k) || gone.contains(&k)
            })
            .collect();
        for v in views_in_order(&created_views) {
            self.push(
                Phase::CreateView,
                change(
                    ChangeKind::CreateView,
                    v.key(),
                    vec![statement(&v.definition)],
                    vec![format!("DROP VIEW {};", quote_ident(&v.name.name))],
                ),
            );
        }

        // Triggers (names are unique in a database, not per table).
        let mut reasons = self.touched.clone();
        reasons.extend(gone.iter().cloned());
        let by_trigger_name = |ts: &'_ [Trigger]| -> BTreeMap<String, usize> {
            ts.iter()
                .enumerate()
                .map(|(i, t)| (lc(&t.name), i))
                .collect()
        };
        let (ft, tt) = (
            by_trigger_name(&from.triggers),
            by_trigger_name(&to.triggers),
        );
        let mut dropped_triggers: BTreeSet<String> = BTreeSet::new();
        for (name, &i) in &ft {
            let x = &from.triggers[i];
            let goes = tt.get(name).is_none_or(|&j| {
                let n = &to.triggers[j];
                n.name != x.name || n.definition != x.definition || n.table != x.table
            }) || reasons.contains(&lc(&x.table.name))
                || mentions(&x.definition, &reasons);
            if goes {
                dropped_triggers.insert(name.clone());
                self.push(
                    Phase::DropTrigger,
                    change(
                        ChangeKind::DropTrigger,
                        x.key(),
                        vec![format!("DROP TRIGGER {};", quote_ident(&x.name))],
                        vec![statement(&x.definition)],
                    ),
                );
            }
        }
        for (name, &j) in &tt {
            let x = &to.triggers[j];
            if !ft.contains_key(name) || dropped_triggers.contains(name) {
                self.push(
                    Phase::CreateTrigger,
                    change(
                        ChangeKind::CreateTrigger,
                        x.key(),
                        vec![statement(&x.definition)],
                        vec![format!("DROP TRIGGER {};", quote_ident(&x.name))],
                    ),
                );
            }
        }
    }

    /// Indexes that go or change, and all those of rebuilt tables, are dropped (after the
    /// renames) and created (after the tables).
    fn indexes(&mut self, group: &BTreeSet<String>, dropped_tables: &BTreeSet<String>) {
        let by_name = |s: &Schema| -> BTreeMap<String, Index> {
            s.indexes
                .iter()
                .map(|i| (lc(&i.name.name), i.clone()))
                .collect()
        };
        let (f, t) = (by_name(&self.state), by_name(self.to));
        for (name, i) in &f {
            let table = lc(&i.table.name);
            if t.get(name) != Some(i) || group.contains(&table) || dropped_tables.contains(&table) {
                self.push(
                    Phase::DropIndex,
                    change(
                        ChangeKind::DropIndex,
                        i.key(),
                        vec![format!("DROP INDEX {};", quote_ident(&i.name.name))],
                        vec![index_sql(i)],
                    ),
                );
            }
        }
        for (name, i) in &t {
            if f.get(name) != Some(i) || group.contains(&lc(&i.table.name)) {
                let mut c = change(
                    ChangeKind::CreateIndex,
                    i.key(),
                    vec![index_sql(i)],
                    vec![format!("DROP INDEX {};", quote_ident(&i.name.name))],
                );
                c.unique_index = i.unique;
                self.push(Phase::CreateIndex, c);
            }
        }
    }
}

pub(super) fn possible_rename(table: &str, dropped: &Column, added: &Column) -> Hazard {
    hazard(
        HazardId::PossibleRename,
        format!(
            "{} dropped and {} added with the same type: a rename? (--rename {}.{}={})",
            quote_ident(&dropped.name),
            quote_ident(&added.name),
            table,
            dropped.name,
            added.name
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::sqlite::fixtures::*;

    #[test]
    fn alter_table_forms_when_sqlite_allows_them() {
        let from = schema(vec![users()], vec![pk("users", &["id"])]);
        let mut t = users();
        let mut n = col("n", "INT");
        n.not_null = true;
        n.default = Some("0".into());
        t.columns.push(n);
        let to = schema(vec![t], vec![pk("users", &["id"])]);
        let p = plan(&from, &to);
        assert_eq!(kinds(&p), [ChangeKind::AddColumn]);
        assert_eq!(
            p.changes[0].up,
            ["ALTER TABLE \"users\" ADD COLUMN \"n\" INT NOT NULL DEFAULT 0;"]
        );
        assert_eq!(
            p.changes[0].down,
            ["ALTER TABLE \"users\" DROP COLUMN \"n\";"]
        );
        let back = plan(&to, &from);
        assert_eq!(kinds(&back), [ChangeKind::DropColumn]);
        assert!(back.changes[0].destructive);
        assert_eq!(hazards(&back.changes[0]), ["data-loss"]);
        // A new NOT NULL column without a default: rebuilt, with the backfill hazard.
        let mut t = users();
        let mut n = col("n", "INT");
        n.not_null = true;
        t.columns.push(n);
        let to = schema(vec![t], vec![pk("users", &["id"])]);
        let p = plan(&from, &to);
        assert_eq!(kinds(&p), [ChangeKind::RebuildTable]);
        assert_eq!(
            hazards(&p.changes[0]),
            ["table-rewrite", "not-null-backfill"]
        );
        assert!(!p.changes[0].destructive);
    }

    #[test]
    fn drops_are_destructive_and_renames_follow_hints() {
        let from = schema(vec![users(), table("gone", vec![col("x", "TEXT")])], vec![]);
        let mut renamed = users();
        renamed.name = q("people");
        renamed.columns[1].name = "full_name".into();
        let to = schema(
            vec![renamed.clone(), table("fresh", vec![col("x", "TEXT")])],
            vec![],
        );
        let p = plan(&from, &to);
        let drop = p
            .changes
            .iter()
            .find(|c| c.kind == ChangeKind::DropTable && c.object == table_ref("gone"))
            .unwrap();
        assert!(drop.destructive);
        assert_eq!(hazards(drop), ["data-loss", "possible-rename"]);
        assert!(p.changes.iter().any(|c| c.kind == ChangeKind::CreateTable));
        let opts = DiffOptions {
            allow_destructive: false,
            renames: vec![
                ("users".into(), "people".into()),
                ("people.name".into(), "full_name".into()),
            ],
        };
        let from = schema(vec![users()], vec![]);
        let to = schema(vec![renamed], vec![]);
        let p = diff(&from, &to, &opts);
        assert_eq!(
            kinds(&p),
            [ChangeKind::RenameTable, ChangeKind::RenameColumn]
        );
        assert_eq!(
            p.changes[0].up,
            ["ALTER TABLE \"users\" RENAME TO \"people\";"]
        );
        assert_eq!(
            p.changes[1].down,
            ["ALTER TABLE \"people\" RENAME COLUMN \"full_name\" TO \"name\";"]
        );
        // Without hints: drop + add of the same type, a possible rename.
        let p = plan(
            &schema(vec![users()], vec![]),
            &schema(
                vec![{
                    let mut t = users();
                    t.columns[1].name = "full_name".into();
                    t
                }],
                vec![],
            ),
        );
        assert_eq!(kinds(&p), [ChangeKind::DropColumn, ChangeKind::AddColumn]);
        assert_eq!(hazards(&p.changes[0]), ["data-loss", "possible-rename"]);
        assert_eq!(hazards(&p.changes[1]), ["possible-rename"]);
        let script = render(&p, false);
        assert!(
            script.contains("-- ALTER TABLE \"users\" DROP COLUMN \"name\";"),
            "{script}"
        );
        assert!(script.contains("\nALTER TABLE \"users\" ADD COLUMN \"full_name\" TEXT;"));
        assert!(render(&p, true).contains("\nALTER TABLE \"users\" DROP COLUMN \"name\";"));
    }

    #[test]
    fn views_and_triggers_naming_a_table_that_loses_a_column_are_recreated() {
        let view = View {
            name: q("v"),
            definition: "CREATE VIEW v AS SELECT name FROM users".into(),
            options: vec![],
            comment: None,
            depends_on: vec![],
        };
        let other = View {
            name: q("w"),
            definition: "CREATE VIEW w AS SELECT 1".into(),
            ..view.clone()
        };
        let from = Schema {
            views: vec![view.clone(), other.clone()],
            ..schema(vec![users()], vec![])
        };
        let mut t = users();
        t.columns.push(col("extra", "TEXT"));
        let to = Schema {
            views: vec![view, other],
            ..schema(vec![t], vec![])
        };
        // An added column breaks no view: nothing else changes.
        let p = plan(&from, &to);
        assert_eq!(kinds(&p), [ChangeKind::AddColumn]);
        // A dropped one: the views naming the table are re-created around it.
        let p = plan(&to, &from);
        assert_eq!(
            kinds(&p),
            [
                ChangeKind::DropView,
                ChangeKind::DropColumn,
                ChangeKind::CreateView
            ]
        );
        assert_eq!(p.changes[0].up, ["DROP VIEW \"v\";"]);
        assert_eq!(
            p.changes[2].up,
            ["CREATE VIEW v AS SELECT name FROM users;"]
        );
        assert!(to_sql(&to)
            .contains("-- views\n\nCREATE VIEW v AS SELECT name FROM users;\nCREATE VIEW w"));
    }
}
