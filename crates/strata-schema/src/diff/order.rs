//! The order of a plan: its phases, the dependency order of definitions in both models, the
//! definitions re-created because PostgreSQL cannot alter them (with what uses them) or blocked
//! because what uses them stays, and the `Builder` each kind of object pushes its changes into.

use super::aggregates::{aggregate_body, aggregate_replaceable};
use super::by_key;
use super::change::Change;
use super::composite_types::attributes_alterable;
use super::enums::labels_only_added;
use super::functions::function_replaceable;
use super::partitions::parents;
use super::tables::table_ref;
use crate::model::*;
use crate::render;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use strata_core::QualifiedName;

/// Phases, in plan order: drops of dependents first, then creates in dependency order, then late
/// drops, then what hangs off tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Phase {
    Rename,
    /// Privileges and owners of what is dropped or re-created, undone first (restored last on
    /// the way back).
    Unprivilege,
    DropPolicy,
    DropTrigger,
    DropForeignKey,
    DropConstraint,
    DropIndex,
    DropView,
    /// `DETACH PARTITION`, `NO INHERIT`.
    Detach,
    /// `OWNED BY NONE` before the owning column or table goes (it would take the sequence along).
    ReleaseOwnership,
    DropColumn,
    /// Drops of what is re-created, and of what goes and depends on it (reverse dependency order).
    DropEarly,
    CreateSchema,
    CreateExtension,
    /// Creates and in-place changes of definitions, in dependency order.
    CreateDefinition,
    AlterColumn,
    AlterTable,
    /// `ATTACH PARTITION`, `INHERIT`: after both sides have their columns.
    Attach,
    /// Every other drop of a definition (reverse dependency order).
    DropLate,
    DropExtension,
    DropSchema,
    CreateView,
    CreateIndex,
    AddConstraint,
    AddForeignKey,
    SequenceOwner,
    Validate,
    CreateTrigger,
    RowSecurity,
    CreatePolicy,
    Comment,
    /// `ALTER … OWNER TO`, then `GRANT` / `REVOKE`.
    Owner,
    Privilege,
}

/// What the diff knows about both models beyond the objects themselves.
pub(super) struct Ctx {
    /// Creation order of definitions in `from` (drops go in reverse) and in `to`.
    from_pos: HashMap<ObjectRef, usize>,
    to_pos: HashMap<ObjectRef, usize>,
    /// Definitions dropped and re-created: PostgreSQL cannot alter them (nothing that stays and
    /// holds data uses them), and what holds no data and uses them (views aside).
    pub(super) recreate: BTreeSet<ObjectRef>,
    /// Definitions that would need a re-creation but are used by objects that stay: the users.
    pub(super) blocked: BTreeMap<ObjectRef, Vec<ObjectRef>>,
    /// Drops that run before the creates: `recreate` and what goes and depends on it.
    early: BTreeSet<ObjectRef>,
    /// Views and materialized views that read any of these are dropped and re-created.
    pub(super) view_breakers: BTreeSet<ObjectRef>,
    /// Levels of parents of each table (partitions and inheritance): parents are altered first.
    depth: HashMap<QualifiedName, usize>,
    /// The model the plan leads to (what a down starts from).
    pub(super) to: Schema,
}

pub(super) struct Builder {
    pub(super) ctx: Ctx,
    pub(super) out: Vec<(Phase, usize, Change)>,
}

impl Builder {
    pub(super) fn push(&mut self, phase: Phase, c: Change) {
        self.push_at(phase, 0, c);
    }

    pub(super) fn push_at(&mut self, phase: Phase, order: usize, c: Change) {
        self.out.push((phase, order, c));
    }

    /// A create or in-place change of a definition: at its place in `to`'s dependency order.
    pub(super) fn create(&mut self, c: Change) {
        let order = self
            .ctx
            .to_pos
            .get(&c.object)
            .copied()
            .unwrap_or(usize::MAX);
        self.push_at(Phase::CreateDefinition, order, c);
    }

    /// A drop of a definition: early or late, in reverse of `from`'s dependency order.
    pub(super) fn drop(&mut self, c: Change) {
        let phase = if self.ctx.early.contains(&c.object) {
            Phase::DropEarly
        } else {
            Phase::DropLate
        };
        let order = usize::MAX - self.ctx.from_pos.get(&c.object).copied().unwrap_or(0);
        self.push_at(phase, order, c);
    }

    pub(super) fn depth(&self, table: &QualifiedName) -> usize {
        self.ctx.depth.get(table).copied().unwrap_or(0)
    }
}

fn collation_ref(name: &QualifiedName) -> ObjectRef {
    ObjectRef::new(ObjectKind::Collation, name.clone())
}

/// Every definition of `s` with what it needs: `depends_on`, plus the collations it uses, and for
/// a table its partition parent and inheritance parents.
fn graph(s: &Schema) -> Vec<(ObjectRef, Vec<ObjectRef>)> {
    let collations = |names: &mut dyn Iterator<Item = &QualifiedName>| -> Vec<ObjectRef> {
        names.map(collation_ref).collect()
    };
    let mut out: Vec<(ObjectRef, Vec<ObjectRef>)> = Vec::new();
    out.extend(s.collations.iter().map(|c| (c.key(), Vec::new())));
    out.extend(s.text_search_configs.iter().map(|c| (c.key(), Vec::new())));
    out.extend(s.enums.iter().map(|e| (e.key(), Vec::new())));
    out.extend(s.sequences.iter().map(|q| (q.key(), Vec::new())));
    for d in &s.domains {
        let mut deps = d.depends_on.clone();
        deps.extend(collations(&mut d.collation.iter()));
        out.push((d.key(), deps));
    }
    for t in &s.composite_types {
        let mut deps = t.depends_on.clone();
        deps.extend(collations(
            &mut t.attributes.iter().filter_map(|a| a.collation.as_ref()),
        ));
        out.push((t.key(), deps));
    }
    for r in &s.range_types {
        let mut deps = r.depends_on.clone();
        deps.extend(collations(&mut r.collation.iter()));
        out.push((r.key(), deps));
    }
    out.extend(s.functions.iter().map(|f| (f.key(), f.depends_on.clone())));
    out.extend(s.aggregates.iter().map(|a| (a.key(), a.depends_on.clone())));
    for t in &s.tables {
        let mut deps = t.depends_on.clone();
        deps.extend(collations(
            &mut t.columns.iter().filter_map(|c| c.collation.as_ref()),
        ));
        deps.extend(parents(t).into_iter().map(table_ref));
        out.push((t.key(), deps));
    }
    out.extend(s.views.iter().map(|v| (v.key(), v.depends_on.clone())));
    out.extend(
        s.materialized_views
            .iter()
            .map(|v| (v.key(), v.depends_on.clone())),
    );
    out
}

/// Kinds in creation order when nothing else decides.
fn rank(kind: ObjectKind) -> u8 {
    match kind {
        ObjectKind::Collation
        | ObjectKind::TextSearchConfig
        | ObjectKind::Enum
        | ObjectKind::Sequence => 0,
        ObjectKind::Domain => 1,
        ObjectKind::RangeType | ObjectKind::CompositeType => 2,
        ObjectKind::Function => 3,
        ObjectKind::Aggregate => 4,
        ObjectKind::Table => 5,
        ObjectKind::View => 6,
        ObjectKind::MaterializedView => 7,
        _ => 8,
    }
}

fn positions(graph: &[(ObjectRef, Vec<ObjectRef>)]) -> HashMap<ObjectRef, usize> {
    render::dependency_order(graph, rank)
        .into_iter()
        .enumerate()
        .map(|(place, (i, _))| (graph[i].0.clone(), place))
        .collect()
}

/// Pairs of objects with the same key on both sides for which `needs` holds.
fn changed<T: Keyed>(
    from: &[T],
    to: &[T],
    needs: impl Fn(&T, &T) -> bool,
    out: &mut BTreeSet<ObjectRef>,
) {
    let t = by_key(to);
    for o in from {
        let key = o.key();
        if let Some(n) = t.get(&key) {
            if needs(o, n) {
                out.insert(key);
            }
        }
    }
}

impl Ctx {
    pub(super) fn new(from: &Schema, to: &Schema) -> Ctx {
        let from_graph = graph(from);
        let to_graph = graph(to);
        let to_keys: BTreeSet<&ObjectRef> = to_graph.iter().map(|(k, _)| k).collect();
        // What PostgreSQL cannot alter in place.
        let mut recreate: BTreeSet<ObjectRef> = BTreeSet::new();
        changed(
            &from.collations,
            &to.collations,
            |o, n| {
                Collation {
                    comment: None,
                    ..o.clone()
                } != Collation {
                    comment: None,
                    ..n.clone()
                }
            },
            &mut recreate,
        );
        changed(
            &from.text_search_configs,
            &to.text_search_configs,
            |o, n| (&o.parser, &o.mappings) != (&n.parser, &n.mappings),
            &mut recreate,
        );
        changed(
            &from.enums,
            &to.enums,
            |o, n| o.labels != n.labels && !labels_only_added(o, n),
            &mut recreate,
        );
        changed(
            &from.domains,
            &to.domains,
            |o, n| (&o.data_type, &o.collation) != (&n.data_type, &n.collation),
            &mut recreate,
        );
        let used_by_table = |key: &ObjectRef| {
            from.tables
                .iter()
                .any(|t| t.depends_on.contains(key) && to.table(&t.name).is_some())
        };
        let mut reshaped = BTreeSet::new();
        changed(
            &from.composite_types,
            &to.composite_types,
            |o, n| o.attributes != n.attributes,
            &mut reshaped,
        );
        for key in &reshaped {
            let (o, n) = (
                from.composite_types.iter().find(|t| &t.key() == key),
                to.composite_types.iter().find(|t| &t.key() == key),
            );
            if let (Some(o), Some(n)) = (o, n) {
                if !attributes_alterable(o, n) || used_by_table(key) {
                    recreate.insert(key.clone());
                }
            }
        }
        changed(
            &from.range_types,
            &to.range_types,
            |o, n| {
                RangeType {
                    comment: None,
                    depends_on: vec![],
                    ..o.clone()
                } != RangeType {
                    comment: None,
                    depends_on: vec![],
                    ..n.clone()
                }
            },
            &mut recreate,
        );
        changed(
            &from.functions,
            &to.functions,
            |o, n| !function_replaceable(o, n),
            &mut recreate,
        );
        changed(
            &from.aggregates,
            &to.aggregates,
            |o, n| aggregate_body(o) != aggregate_body(n) && !aggregate_replaceable(o, n),
            &mut recreate,
        );
        // What uses an object and stays: views and materialized views are re-created with it;
        // types and routines (they hold no data) are dropped and re-created with it too; anything
        // else (a table) blocks the re-creation.
        let users = |key: &ObjectRef| -> Vec<ObjectRef> {
            from_graph
                .iter()
                .filter(|(user, deps)| {
                    user != key
                        && deps.contains(key)
                        && to_keys.contains(user)
                        && !matches!(user.kind, ObjectKind::View | ObjectKind::MaterializedView)
                })
                .map(|(user, _)| user.clone())
                .collect()
        };
        let hidden = hidden_users(from);
        let carried = |key: &ObjectRef| {
            matches!(
                key.kind,
                ObjectKind::Domain
                    | ObjectKind::CompositeType
                    | ObjectKind::RangeType
                    | ObjectKind::Aggregate
            ) || (key.kind == ObjectKind::Function && !hidden.contains(&key.name.name))
        };
        let mut blocked: BTreeMap<ObjectRef, Vec<ObjectRef>> = BTreeMap::new();
        let mut candidates = recreate;
        let recreate = loop {
            let mut all = BTreeSet::new();
            let mut newly = Vec::new();
            for start in &candidates {
                let mut closure = BTreeSet::from([start.clone()]);
                let mut stack = vec![start.clone()];
                let mut blockers = Vec::new();
                while let Some(key) = stack.pop() {
                    for user in users(&key) {
                        if candidates.contains(&user) || closure.contains(&user) {
                            continue;
                        }
                        if carried(&user) {
                            closure.insert(user.clone());
                            stack.push(user);
                        } else if !blockers.contains(&user) {
                            blockers.push(user);
                        }
                    }
                }
                if blockers.is_empty() {
                    all.extend(closure);
                } else {
                    newly.push((start.clone(), blockers));
                }
            }
            if newly.is_empty() {
                break all;
            }
            for (key, users) in newly {
                candidates.remove(&key);
                blocked.insert(key, users);
            }
        };
        // What goes and depends on an early drop goes before it.
        let mut early = recreate.clone();
        loop {
            let more: Vec<ObjectRef> = from_graph
                .iter()
                .filter(|(k, deps)| {
                    !to_keys.contains(k)
                        && !early.contains(k)
                        && deps.iter().any(|d| early.contains(d))
                })
                .map(|(k, _)| k.clone())
                .collect();
            if more.is_empty() {
                break;
            }
            early.extend(more);
        }
        let mut view_breakers = recreate.clone();
        view_breakers.extend(reshaped.into_iter().filter(|k| !blocked.contains_key(k)));
        let mut depth: HashMap<QualifiedName, usize> = render::depths(from)
            .into_iter()
            .map(|(k, v)| (k.clone(), v))
            .collect();
        depth.extend(render::depths(to).into_iter().map(|(k, v)| (k.clone(), v)));
        Ctx {
            from_pos: positions(&from_graph),
            to_pos: positions(&to_graph),
            recreate,
            blocked,
            early,
            view_breakers,
            depth,
            to: to.clone(),
        }
    }
}

/// Names of functions that a constraint, index, trigger or policy may call (the model records no
/// dependencies for those): such a function is not dropped and re-created along with a type it
/// uses, since PostgreSQL would refuse the drop.
fn hidden_users(s: &Schema) -> BTreeSet<String> {
    let texts: Vec<&str> = s
        .constraints
        .iter()
        .map(|c| c.definition.as_str())
        .chain(s.indexes.iter().map(|i| i.definition.as_str()))
        .chain(s.triggers.iter().map(|t| t.definition.as_str()))
        .chain(
            s.policies
                .iter()
                .flat_map(|p| p.using.iter().chain(p.with_check.iter()))
                .map(String::as_str),
        )
        .collect();
    s.functions
        .iter()
        .map(|f| f.name.name.clone())
        .filter(|name| texts.iter().any(|t| t.contains(name.as_str())))
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::diff::fixtures::*;

    #[test]
    fn definitions_in_dependency_order_both_ways() {
        // t needs the domain d and the function f (its default); d's check calls h; g returns
        // t's row type.
        let (d, f, g, h, t) = (
            q("app", "d"),
            q("app", "f"),
            q("app", "g"),
            q("app", "h"),
            q("app", "t"),
        );
        let mut dom = domain(d.clone(), "integer");
        dom.depends_on = vec![routine(&h)];
        let mut tab = table(t.clone(), vec![column("x", "integer")]);
        tab.depends_on = vec![uses(ObjectKind::Domain, &d), routine(&f)];
        let mut to = Schema {
            domains: vec![dom],
            functions: vec![
                function(f.clone(), "SELECT 1", vec![]),
                function(g.clone(), "SELECT 1", vec![uses(ObjectKind::Table, &t)]),
                function(h.clone(), "SELECT 1", vec![]),
            ],
            tables: vec![tab],
            ..Schema::default()
        };
        to.normalize();
        let p = plan(&Schema::default(), &to);
        let names: Vec<&str> = p
            .changes
            .iter()
            .map(|c| c.object.name.name.as_str())
            .collect();
        assert_eq!(names, ["f", "h", "d", "t", "g"]);
        let back = plan(&to, &Schema::default());
        let names: Vec<&str> = back
            .changes
            .iter()
            .map(|c| c.object.name.name.as_str())
            .collect();
        assert_eq!(names, ["g", "t", "d", "h", "f"]);
        use ChangeKind::*;
        assert_eq!(
            kinds(&back),
            [
                DropFunction,
                DropTable,
                DropDomain,
                DropFunction,
                DropFunction
            ]
        );
    }

    #[test]
    fn a_dropped_function_goes_after_the_default_that_called_it() {
        let f = q("app", "next id");
        let mut with_default = column("id", "integer");
        with_default.default = Some(r#"app."next id"()"#.into());
        let mut from = with_tables(vec![table(q("app", "t"), vec![with_default])]);
        from.tables[0].depends_on = vec![routine(&f)];
        from.functions = vec![function(f, "SELECT 1", vec![])];
        let to = with_tables(vec![table(q("app", "t"), vec![column("id", "integer")])]);
        let p = plan(&from, &to);
        assert_eq!(
            kinds(&p),
            [ChangeKind::DropDefault, ChangeKind::DropFunction]
        );
        assert_eq!(p.changes[1].up, [r#"DROP FUNCTION "app"."next id"();"#]);
    }

    #[test]
    fn types_recreated_only_when_nothing_that_stays_uses_them() {
        let e = q("app", "order");
        let from = Schema {
            enums: vec![enum_type(e.clone(), &["a", "b"])],
            ..Schema::default()
        };
        let to = Schema {
            enums: vec![enum_type(e.clone(), &["b"])],
            ..Schema::default()
        };
        use ChangeKind::*;
        // Unused: dropped and re-created, no hazard.
        let p = plan(&from, &to);
        assert_eq!(kinds(&p), [DropEnum, CreateEnum]);
        assert!(p.changes.iter().all(|c| c.hazards.is_empty()));
        // A table that stays uses it: left to a person.
        let user = |s: &Schema| {
            let mut t = table(q("app", "user"), vec![column("x", r#"app."order""#)]);
            t.depends_on = vec![uses(ObjectKind::Enum, &e)];
            Schema {
                tables: vec![t],
                ..s.clone()
            }
        };
        let p = plan(&user(&from), &user(&to));
        assert_eq!(kinds(&p), [ManualStep]);
        let c = &p.changes[0];
        assert_eq!(hazards(c), ["manual-step"]);
        assert!(
            c.hazards[0]
                .message
                .contains(r#"table "app"."user" uses it"#),
            "{}",
            c.hazards[0].message
        );
        assert!(c.up.iter().chain(&c.down).all(|s| s.starts_with("-- ")));
        assert!(render(&p, false).contains("-- hazard: manual-step: enum \"app\".\"order\""));
        // A table that goes uses it: the table goes first, before the type is re-created.
        let p = plan(&user(&from), &to);
        assert_eq!(kinds(&p), [DropTable, DropEnum, CreateEnum]);
        // A view that uses it is re-created with it.
        let view = |s: &Schema| Schema {
            views: vec![View {
                name: q("app", "v"),
                definition: r#" SELECT 'b'::app."order" AS o"#.into(),
                options: vec![],
                comment: None,
                depends_on: vec![uses(ObjectKind::Enum, &e)],
            }],
            ..s.clone()
        };
        let p = plan(&view(&from), &view(&to));
        assert_eq!(kinds(&p), [DropView, DropEnum, CreateEnum, CreateView]);
    }

    #[test]
    fn types_and_routines_using_a_recreated_type_are_recreated_with_it() {
        let e = q("app", "order");
        let d = q("app", "naïve status");
        let f = q("app", "is paid");
        let schema = |labels: &[&str]| {
            let mut dom = domain(d.clone(), r#"app."order""#);
            dom.depends_on = vec![uses(ObjectKind::Enum, &e)];
            let mut s = Schema {
                enums: vec![enum_type(e.clone(), labels)],
                domains: vec![dom],
                functions: vec![function(
                    f.clone(),
                    "SELECT true",
                    vec![uses(ObjectKind::Enum, &e)],
                )],
                ..Schema::default()
            };
            s.normalize();
            s
        };
        let (from, to) = (schema(&["new", "paid", "gone"]), schema(&["new", "paid"]));
        let p = plan(&from, &to);
        use ChangeKind::*;
        assert_eq!(
            kinds(&p),
            [
                DropFunction,
                DropDomain,
                DropEnum,
                CreateEnum,
                CreateDomain,
                CreateFunction
            ]
        );
        // A function that a check constraint may call is not dropped along: a person decides.
        let mut checked = from.clone();
        checked.tables = vec![table(q("app", "t"), vec![column("s", "text")])];
        checked.constraints = vec![constraint(
            &q("app", "t"),
            "c",
            ConstraintKind::Check,
            r#"CHECK (app."is paid"('new'::app."order"))"#,
        )];
        let to_checked = Schema {
            tables: checked.tables.clone(),
            constraints: checked.constraints.clone(),
            ..to.clone()
        };
        let p = plan(&checked, &to_checked);
        assert_eq!(kinds(&p), [ManualStep]);
        assert!(p.changes[0].hazards[0]
            .message
            .contains(r#"function "app"."is paid"() uses it"#));
    }
}
