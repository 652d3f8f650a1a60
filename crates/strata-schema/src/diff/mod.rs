//! The migration diff: typed changes from one model to another, ordered by dependency,
//! each with its up SQL, its inverse (down) SQL and the hazards it carries. Safe forms are the
//! default: indexes on existing tables are built `CONCURRENTLY`, foreign keys and checks on
//! existing tables (and checks on existing domains) are added `NOT VALID` then validated,
//! `SET NOT NULL` goes through a validated check constraint.
//!
//! Order. Objects that depend on one another in either direction (collations, text search
//! configurations, enums, domains, composite and range types, sequences, functions, aggregates,
//! tables) are created in one phase in dependency order (`depends_on`, plus partitions after
//! their parent, children after their parents and users after their collations), and dropped in
//! the reverse order. Objects re-created because PostgreSQL cannot alter them are dropped early,
//! before anything is created; everything else that goes is dropped late, after the columns that
//! used it have been altered (a default that called a dropped function, a column whose type was a
//! dropped type). What uses a re-created object is re-created with it when it holds no data
//! (views, materialized views, domains, composite and range types, functions, aggregates); a type
//! whose change needs a re-creation while a table that stays uses it is not touched: the plan
//! holds a `manual-step` change saying why.
//!
//! Every name is written with [`quote_ident`](strata_core::quote_ident) /
//! [`QualifiedName`](strata_core::QualifiedName)'s `Display`, every value with
//! [`quote_literal`](strata_core::quote_literal); types, expressions and definitions are
//! PostgreSQL's own text from the model.
//!
//! # Files
//!
//! One place for each concept; the kinds in the order [`diff()`] visits them:
//!
//! - `mod.rs`: [`diff()`] and [`DiffOptions`]: the calls below, in order (and `by_key`, which
//!   pairs the objects of both models).
//! - `change.rs`: [`Change`], [`ChangeKind`], [`Hazard`], [`Plan`], and the `change` / `hazard`
//!   builders.
//! - `renames.rs`: the rename hints, applied to a copy of `from` first (`RENAME TO`,
//!   `RENAME COLUMN`).
//! - `order.rs`: the phases of a plan, the dependency order of definitions in both models, what
//!   is re-created or blocked (`manual-step`), and the `Builder` every kind pushes changes into.
//! - `schemas.rs`, `extensions.rs`.
//! - `definitions.rs`: what every kind of definition shares (the `Definition` trait; create,
//!   drop, re-create, alter in place, manual step), then one file per kind, each with its
//!   `Definition` and in-place changes: `collations.rs`, `text_search.rs` (text search
//!   configurations), `enums.rs`, `domains.rs`, `composite_types.rs`, `range_types.rs`,
//!   `sequences.rs` (with `OWNED BY`), `functions.rs` (functions and procedures),
//!   `aggregates.rs`.
//! - `tables.rs`: tables created and dropped, persistence, storage options, row security, table
//!   and column comments; `partitions.rs`: partition keys, `ATTACH` / `DETACH PARTITION`,
//!   `INHERIT` / `NO INHERIT`; `columns.rs`: columns added, dropped and altered (type, default,
//!   identity, `NOT NULL`).
//! - `views.rs` (views and materialized views), `indexes.rs`, `statistics.rs` (extended
//!   statistics), `constraints.rs`, `triggers.rs`, `policies.rs`.
//! - `comments.rs`: `COMMENT ON` changes, for every kind.
//! - `privileges.rs`: `GRANT` / `REVOKE`, default privileges and `OWNER TO` (empty unless the
//!   models hold them: `[schema] privileges` / `owners`).
//! - `script.rs`: [`fn@render`], the up script, and its [`PREAMBLE`].
//! - `split.rs`: [`fn@split`], a plan as migration files ([`PlannedMigration`]: a [`Stage`], its
//!   changes, up and down text), decided by the changes' typed fields.
//!
//! Each module's unit tests sit at its end; `fixtures.rs` holds the models they share. The
//! proof that plans run is `crates/strata-postgres/tests/diff.rs`.

mod aggregates;
pub(crate) mod change;
mod collations;
mod columns;
mod comments;
mod composite_types;
mod constraints;
mod definitions;
mod domains;
mod enums;
mod extensions;
#[cfg(test)]
mod fixtures;
mod functions;
mod indexes;
mod order;
mod partitions;
mod policies;
mod privileges;
mod range_types;
mod renames;
mod schemas;
mod script;
mod sequences;
pub mod split;
mod statistics;
mod tables;
mod text_search;
mod triggers;
mod views;

pub use change::{Change, ChangeKind, Hazard, HazardId, Part, Plan, Validation};
pub(crate) use script::render_parts;
pub use script::{render, PREAMBLE};
pub use split::{split, PlannedMigration, SplitOptions, Stage};

use crate::model::*;
use aggregates::replace_aggregate;
use composite_types::alter_composite;
use constraints::constraints;
use definitions::definitions;
use domains::alter_domain;
use enums::alter_enum;
use extensions::extensions;
use functions::replace_function;
use indexes::indexes;
use order::{Builder, Ctx, Phase};
use policies::policies;
use renames::apply_renames;
use schemas::schemas;
use sequences::{alter_sequence, sequence_owners};
use statistics::statistics;
use std::collections::{BTreeMap, BTreeSet};
use tables::tables;
use triggers::triggers;
use views::views;

/// What the diff is told beyond the two models.
#[derive(Clone, Debug, Default)]
pub struct DiffOptions {
    /// Whether destructive changes are meant to run (recorded; [`fn@render`] decides what to write).
    pub allow_destructive: bool,
    /// Rename hints `(old, new)`: `("table.col", "new_col")` / `("schema.table.col", "new_col")`
    /// rename a column; `("table", "new_table")` / `("schema.table", "new_table")` a table.
    pub renames: Vec<(String, String)>,
}

/// The objects of one kind by key, to pair them across the two models.
fn by_key<T: Keyed>(items: &[T]) -> BTreeMap<ObjectRef, &T> {
    items.iter().map(|i| (i.key(), i)).collect()
}

/// The changes that turn `from` into `to`.
pub fn diff(from: &Schema, to: &Schema, opts: &DiffOptions) -> Plan {
    let mut renames = Vec::new();
    let from = apply_renames(from, to, opts, &mut renames);
    let from = &from;
    let mut b = Builder {
        ctx: Ctx::new(from, to),
        out: Vec::new(),
    };
    for c in renames {
        b.push(Phase::Rename, c);
    }
    schemas(from, to, &mut b);
    extensions(from, to, &mut b);
    definitions(&mut b, &from.collations, &to.collations, |_, _, _| {
        BTreeSet::new()
    });
    definitions(
        &mut b,
        &from.text_search_configs,
        &to.text_search_configs,
        |_, _, _| BTreeSet::new(),
    );
    definitions(&mut b, &from.enums, &to.enums, alter_enum);
    definitions(&mut b, &from.domains, &to.domains, alter_domain);
    definitions(
        &mut b,
        &from.composite_types,
        &to.composite_types,
        alter_composite,
    );
    definitions(&mut b, &from.range_types, &to.range_types, |_, _, _| {
        BTreeSet::new()
    });
    definitions(&mut b, &from.sequences, &to.sequences, alter_sequence);
    sequence_owners(from, to, &mut b);
    definitions(&mut b, &from.functions, &to.functions, replace_function);
    definitions(&mut b, &from.aggregates, &to.aggregates, replace_aggregate);
    tables(from, to, &mut b);
    let recreated = views(from, to, &mut b);
    indexes(from, to, &recreated, &mut b);
    statistics(from, to, &recreated, &mut b);
    constraints(from, to, &mut b);
    triggers(from, to, &mut b);
    policies(from, to, &mut b);
    privileges::privileges(from, to, &mut b);
    // Stable sort: within a phase and place, the order changes were produced in (key order).
    b.out.sort_by_key(|(phase, order, _)| (*phase, *order));
    let mut changes: Vec<Change> = b.out.into_iter().map(|(_, _, c)| c).collect();
    partitions::mark_plain_detach(from, &mut changes);
    Plan { changes }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;

    #[test]
    fn equal_models_give_no_changes() {
        let s = with_tables(vec![table(hostile(), vec![column("order", "text")])]);
        assert!(plan(&s, &s).is_empty());
        assert!(render(&plan(&s, &s), false).contains("-- no changes"));
    }

    #[test]
    fn schemas_enums_sequences_functions_views_and_comments() {
        let from = Schema {
            enums: vec![EnumType {
                name: q("app", "mood"),
                labels: vec!["sad".into(), "happy".into()],
                comment: None,
            }],
            ..Schema::default()
        };
        let view = View {
            name: q("app", "v"),
            definition: " SELECT 1 AS \"a\"\"b\";".into(),
            options: vec![],
            comment: Some("it's".into()),
            depends_on: vec![],
        };
        let to = Schema {
            schemas: vec![Namespace { name: "Mixed Case".into(), comment: Some("it's".into()) }],
            enums: vec![EnumType { name: q("app", "mood"), labels: vec!["sad".into(), "it's ok".into(), "happy".into()], comment: None }],
            sequences: vec![Sequence {
                name: q("app", "order seq"),
                options: SequenceOptions { data_type: "bigint".into(), start: 1, increment: 1, min_value: 1, max_value: 100, cache: 1, cycle: false },
                unlogged: false,
                owned_by: None,
                comment: None,
            }],
            functions: vec![Function {
                name: q("app", "f"),
                arguments: "integer".into(),
                signature: "x integer".into(),
                kind: FunctionKind::Function,
                returns: Some("integer".into()),
                language: "sql".into(),
                definition: "CREATE OR REPLACE FUNCTION app.f(x integer)\n RETURNS integer\n LANGUAGE sql\nAS $function$SELECT x$function$\n".into(),
                comment: None,
                depends_on: vec![],
            }],
            views: vec![view],
            ..Schema::default()
        };
        let p = plan(&from, &to);
        use ChangeKind::*;
        let k: Vec<ChangeKind> = p.changes.iter().map(|c| c.kind).collect();
        assert_eq!(
            k,
            [
                CreateSchema,
                AddEnumValue,
                CreateSequence,
                CreateFunction,
                CreateView,
                SetComment,
                SetComment
            ]
        );
        assert_eq!(
            p.changes[0].up,
            [r#"CREATE SCHEMA IF NOT EXISTS "Mixed Case";"#]
        );
        assert_eq!(
            p.changes[1].up,
            [r#"ALTER TYPE "app"."mood" ADD VALUE 'it''s ok' AFTER 'sad';"#]
        );
        assert!(p.changes[1].own_transaction && !p.changes[1].non_transactional);
        // Named by its identity arguments, as pg_dump names it.
        assert_eq!(
            p.changes[3].down,
            [r#"DROP FUNCTION "app"."f"(x integer);"#]
        );
        assert_eq!(
            p.changes[5].up,
            [r#"COMMENT ON SCHEMA "Mixed Case" IS 'it''s';"#]
        );
        assert_eq!(
            p.changes[5].down,
            [r#"COMMENT ON SCHEMA "Mixed Case" IS NULL;"#]
        );
        assert_eq!(
            p.changes[6].up,
            [r#"COMMENT ON VIEW "app"."v" IS 'it''s';"#]
        );
        // And back: a removed label re-creates the type (nothing uses it: no hazard), before
        // anything else is created; the other drops come late, in reverse dependency order.
        let back = plan(&to, &from);
        let k: Vec<ChangeKind> = back.changes.iter().map(|c| c.kind).collect();
        assert_eq!(
            k,
            [
                DropView,
                DropEnum,
                CreateEnum,
                DropFunction,
                DropSequence,
                DropSchema
            ]
        );
        assert!(back.changes[1].hazards.is_empty() && !back.changes[1].destructive);
        // A changed function is replaced, its down the old definition.
        let mut changed = to.clone();
        changed.functions[0].definition = changed.functions[0]
            .definition
            .replace("SELECT x", "SELECT x + 1");
        let p = plan(&to, &changed);
        let r = only(&p, ReplaceFunction);
        assert!(r.up[0].contains("SELECT x + 1") && r.down[0].contains("SELECT x$"));
    }
}
