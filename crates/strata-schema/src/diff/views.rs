//! Views and materialized views: dropped and re-created (in dependency order) when their text
//! changes, or when what they read changes in a way PostgreSQL refuses under a view.

use super::change::{change, ChangeKind};
use super::comments::comment_change;
use super::order::{Builder, Phase};
use crate::model::*;
use crate::render;
use std::collections::{BTreeMap, BTreeSet};
use strata_core::QualifiedName;

/// A view or materialized view: what the diff needs of either.
#[derive(Clone)]
struct Rel {
    key: ObjectRef,
    name: QualifiedName,
    definition: String,
    options: Vec<String>,
    comment: Option<String>,
    depends_on: Vec<ObjectRef>,
}

impl Rel {
    fn materialized(&self) -> bool {
        self.key.kind == ObjectKind::MaterializedView
    }

    fn target(&self) -> String {
        let word = if self.materialized() {
            "MATERIALIZED VIEW"
        } else {
            "VIEW"
        };
        format!("{word} {}", self.name)
    }

    fn create(&self) -> String {
        let view = View {
            name: self.name.clone(),
            definition: self.definition.clone(),
            options: self.options.clone(),
            comment: None,
            depends_on: vec![],
        };
        if self.materialized() {
            // Populated, as a migration expects (`inspect` creates it empty).
            format!(
                "CREATE MATERIALIZED VIEW {}{} AS\n{}\nWITH DATA;",
                self.name,
                render::with_options(&self.options),
                self.definition.trim_end().trim_end_matches(';')
            )
        } else {
            render::create_view(&view)
        }
    }

    fn drop(&self) -> String {
        format!("DROP {};", self.target())
    }
}

fn rels(schema: &Schema) -> BTreeMap<ObjectRef, Rel> {
    let views = schema.views.iter().map(|v| Rel {
        key: v.key(),
        name: v.name.clone(),
        definition: v.definition.clone(),
        options: v.options.clone(),
        comment: v.comment.clone(),
        depends_on: v.depends_on.clone(),
    });
    let materialized = schema.materialized_views.iter().map(|v| Rel {
        key: v.key(),
        name: v.name.clone(),
        definition: v.definition.clone(),
        options: v.options.clone(),
        comment: v.comment.clone(),
        depends_on: v.depends_on.clone(),
    });
    views
        .chain(materialized)
        .map(|r| (r.key.clone(), r))
        .collect()
}

/// Views in dependency order (a view after the views it reads).
fn views_in_order(views: &[&Rel]) -> Vec<Rel> {
    let mut left: Vec<&Rel> = views.to_vec();
    let mut out: Vec<Rel> = Vec::new();
    while !left.is_empty() {
        let names: BTreeSet<&ObjectRef> = left.iter().map(|v| &v.key).collect();
        let (ready, wait): (Vec<&Rel>, Vec<&Rel>) = left.iter().partition(|v| {
            !v.depends_on
                .iter()
                .any(|d| *d != v.key && names.contains(d))
        });
        if ready.is_empty() {
            out.extend(wait.into_iter().cloned());
            break;
        }
        out.extend(ready.into_iter().cloned());
        left = wait;
    }
    out
}

/// The views and materialized views of `schema` that read any of `starts`, directly or through
/// other views: the statements that drop them (readers first) and those that re-create them as
/// they are (with their comments, and a materialized view's indexes and their comments), for a
/// change PostgreSQL refuses while a view reads what it changes.
pub(super) fn drop_and_recreate(
    schema: &Schema,
    starts: &BTreeSet<ObjectRef>,
) -> (Vec<String>, Vec<String>) {
    let all = rels(schema);
    let mut reached: BTreeSet<ObjectRef> = starts.clone();
    loop {
        let more: Vec<ObjectRef> = all
            .iter()
            .filter(|(k, v)| {
                !reached.contains(*k) && v.depends_on.iter().any(|d| reached.contains(d))
            })
            .map(|(k, _)| (*k).clone())
            .collect();
        if more.is_empty() {
            break;
        }
        reached.extend(more);
    }
    let chosen: Vec<&Rel> = all.values().filter(|v| reached.contains(&v.key)).collect();
    let ordered = views_in_order(&chosen);
    let drops = ordered.iter().rev().map(Rel::drop).collect();
    let mut creates = Vec::new();
    for v in &ordered {
        creates.push(v.create());
        creates.extend(
            comment_change(v.target(), v.key.clone(), &None, &v.comment)
                .map(|c| c.up)
                .unwrap_or_default(),
        );
        if v.materialized() {
            for i in schema.indexes.iter().filter(|i| i.table == v.name) {
                creates.push(format!("{};", i.definition.trim_end()));
                creates.extend(
                    comment_change(format!("INDEX {}", i.name), i.key(), &None, &i.comment)
                        .map(|c| c.up)
                        .unwrap_or_default(),
                );
            }
        }
    }
    (drops, creates)
}

/// Views and materialized views. Returns the materialized views dropped and re-created (their
/// indexes must be re-created too).
pub(super) fn views(from: &Schema, to: &Schema, b: &mut Builder) -> BTreeSet<QualifiedName> {
    let (f, t) = (rels(from), rels(to));
    // Tables whose columns change type or are dropped: PostgreSQL refuses both while a view
    // reads the table, so such views are dropped before and re-created after.
    let mut touched: BTreeSet<ObjectRef> = from
        .tables
        .iter()
        .filter(|o| {
            to.table(&o.name).is_some_and(|n| {
                o.columns.iter().any(|oc| {
                    n.columns
                        .iter()
                        .find(|nc| nc.name == oc.name)
                        .is_none_or(|nc| nc.data_type != oc.data_type)
                })
            })
        })
        .map(|t| t.key())
        .collect();
    // Types and functions re-created (or composite types reshaped): PostgreSQL refuses while a
    // view uses them.
    touched.extend(b.ctx.view_breakers.iter().cloned());
    let edited = |v: &Rel, o: &Rel| v.definition != o.definition || v.options != o.options;
    // A view reading a touched table or a re-created view is re-created too.
    loop {
        let more: Vec<ObjectRef> = f
            .iter()
            .filter(|(k, _)| !touched.contains(*k))
            .filter(|(k, o)| {
                t.get(*k).is_none_or(|n| edited(n, o))
                    || o.depends_on.iter().any(|d| touched.contains(d))
            })
            .filter(|(k, _)| t.contains_key(*k))
            .map(|(k, _)| (*k).clone())
            .collect();
        if more.is_empty() {
            break;
        }
        touched.extend(more);
    }
    let changed = |v: &Rel, o: &Rel| edited(v, o) || touched.contains(&o.key);
    let dropped: Vec<&Rel> = f
        .iter()
        .filter(|(k, v)| t.get(*k).is_none_or(|n| changed(n, v)))
        .map(|(_, v)| v)
        .collect();
    let created: Vec<&Rel> = t
        .iter()
        .filter(|(k, v)| f.get(*k).is_none_or(|o| changed(v, o)))
        .map(|(_, v)| v)
        .collect();
    let kind = |v: &Rel, create: bool| match (v.materialized(), create) {
        (false, true) => ChangeKind::CreateView,
        (false, false) => ChangeKind::DropView,
        (true, true) => ChangeKind::CreateMaterializedView,
        (true, false) => ChangeKind::DropMaterializedView,
    };
    for v in views_in_order(&dropped).into_iter().rev() {
        let mut down = vec![v.create()];
        down.extend(
            comment_change(v.target(), v.key.clone(), &None, &v.comment)
                .map(|c| c.up)
                .unwrap_or_default(),
        );
        // A materialized view's indexes go with it (no change drops them), and come back with it.
        if v.materialized() {
            for i in from.indexes.iter().filter(|i| i.table == v.name) {
                down.push(format!("{};", i.definition.trim_end()));
                down.extend(
                    comment_change(format!("INDEX {}", i.name), i.key(), &None, &i.comment)
                        .map(|c| c.up)
                        .unwrap_or_default(),
                );
            }
        }
        b.push(
            Phase::DropView,
            change(kind(&v, false), v.key.clone(), vec![v.drop()], down),
        );
    }
    for v in views_in_order(&created) {
        b.push(
            Phase::CreateView,
            change(
                kind(&v, true),
                v.key.clone(),
                vec![v.create()],
                vec![v.drop()],
            ),
        );
    }
    for (key, v) in &t {
        let old = f
            .get(key)
            .filter(|o| !changed(v, o))
            .and_then(|o| o.comment.clone());
        if let Some(c) = comment_change(v.target(), key.clone(), &old, &v.comment) {
            b.push(Phase::Comment, c);
        }
    }
    dropped
        .iter()
        .filter(|v| v.materialized() && t.contains_key(&v.key))
        .map(|v| v.name.clone())
        .collect()
}
