//! Table constraints: dropped and added (checks and foreign keys on tables that exist `NOT VALID`,
//! then validated), foreign keys' deferrability altered, `NOT VALID` ones validated.

use super::by_key;
use super::change::{change, hazard, ChangeKind, HazardId, Part, Validation};
use super::comments::{comment_change, comment_statements};
use super::order::{Builder, Phase};
use crate::model::*;
use crate::render;
use strata_core::{quote_ident, QualifiedName};

/// A constraint definition without what can change in place: `NOT VALID` and deferrability.
pub(super) fn core_definition(definition: &str) -> &str {
    let mut d = definition.trim_end();
    for suffix in [
        " NOT VALID",
        " INITIALLY DEFERRED",
        " INITIALLY IMMEDIATE",
        " NOT DEFERRABLE",
        " DEFERRABLE",
    ] {
        d = d.strip_suffix(suffix).unwrap_or(d);
    }
    d
}

fn deferrability(c: &Constraint) -> String {
    format!(
        "{} {}",
        if c.deferrable {
            "DEFERRABLE"
        } else {
            "NOT DEFERRABLE"
        },
        if c.initially_deferred {
            "INITIALLY DEFERRED"
        } else {
            "INITIALLY IMMEDIATE"
        }
    )
}

/// The index part of a primary key or unique constraint's definition (`(a, b) INCLUDE (c)`), for
/// `CREATE UNIQUE INDEX … USING btree <it>`; `None` for a form an index cannot take as it is.
fn unique_index_form(c: &Constraint) -> Option<String> {
    let rest = match c.kind {
        ConstraintKind::PrimaryKey => {
            core_definition(&c.definition).strip_prefix("PRIMARY KEY ")?
        }
        ConstraintKind::Unique => core_definition(&c.definition).strip_prefix("UNIQUE ")?,
        _ => return None,
    };
    if let Some(columns) = rest.strip_prefix("NULLS NOT DISTINCT ") {
        return (columns.starts_with('(')
            && columns.ends_with(')')
            && !columns.contains(" INCLUDE ")
            && !columns.contains(" WITH ("))
        .then(|| format!("{columns} NULLS NOT DISTINCT"));
    }
    (rest.starts_with('(') && !rest.contains(" USING INDEX TABLESPACE ")).then(|| rest.to_owned())
}

pub(super) fn constraints(from: &Schema, to: &Schema, b: &mut Builder) {
    let (f, t) = (by_key(&from.constraints), by_key(&to.constraints));
    // The same constraint: the same definition and deferrability. NOT VALID → validated is a
    // VALIDATE; validated → NOT VALID is nothing (a validated constraint satisfies the
    // unvalidated one).
    let same_but_deferrability = |a: &Constraint, b: &Constraint| {
        core_definition(&a.definition) == core_definition(&b.definition) && a.kind == b.kind
    };
    let same = |a: &Constraint, b: &Constraint| {
        same_but_deferrability(a, b)
            && a.deferrable == b.deferrable
            && a.initially_deferred == b.initially_deferred
    };
    // Only a foreign key's deferrability can be altered in place.
    let alterable = |a: &Constraint, b: &Constraint| {
        a.kind == ConstraintKind::ForeignKey
            && b.kind == ConstraintKind::ForeignKey
            && same_but_deferrability(a, b)
    };
    let kept = |a: &Constraint, b: &Constraint| same(a, b) || alterable(a, b);
    let drop = |c: &Constraint| {
        format!(
            "ALTER TABLE {} DROP CONSTRAINT {};",
            c.table,
            quote_ident(&c.name)
        )
    };
    let validate = |c: &Constraint| {
        format!(
            "ALTER TABLE {} VALIDATE CONSTRAINT {};",
            c.table,
            quote_ident(&c.name)
        )
    };
    let target = |c: &Constraint| format!("CONSTRAINT {} ON {}", quote_ident(&c.name), c.table);
    let partitioned =
        |table: &QualifiedName| to.table(table).is_some_and(|t| t.partition_key.is_some());
    for (key, c) in &f {
        if t.get(key).is_none_or(|n| !kept(c, n)) {
            let phase = if c.kind == ConstraintKind::ForeignKey {
                Phase::DropForeignKey
            } else {
                Phase::DropConstraint
            };
            let mut down = vec![render::add_constraint(c)];
            down.extend(comment_statements(&[(target(c), c.comment.clone())]));
            let mut dropped = change(ChangeKind::DropConstraint, key.clone(), vec![drop(c)], down);
            // The lint rule drop-foreign-key names this hazard (on a table that stays).
            if c.kind == ConstraintKind::ForeignKey && to.table(&c.table).is_some() {
                dropped.hazards.push(hazard(
                    HazardId::IntegrityLoss,
                    format!(
                        "foreign key {} on {} is dropped: until it is back, nothing stops rows of {} that reference missing rows",
                        quote_ident(&c.name),
                        c.table,
                        c.table
                    ),
                ));
            }
            b.push(phase, dropped);
        }
    }
    for (key, c) in &t {
        let old = f.get(key).filter(|o| kept(o, c));
        let phase = if c.kind == ConstraintKind::ForeignKey {
            Phase::AddForeignKey
        } else {
            Phase::AddConstraint
        };
        // A child's own copy of an inherited check before its parent's (which then merges with
        // it), deepest first.
        let order = if c.inherited {
            usize::MAX - 1 - b.depth(&c.table)
        } else {
            usize::MAX
        };
        match old {
            Some(o) => {
                if !same(o, c) {
                    b.push_at(
                        phase,
                        order,
                        change(
                            ChangeKind::AlterConstraint,
                            key.clone(),
                            vec![format!(
                                "ALTER TABLE {} ALTER CONSTRAINT {} {};",
                                c.table,
                                quote_ident(&c.name),
                                deferrability(c)
                            )],
                            vec![format!(
                                "ALTER TABLE {} ALTER CONSTRAINT {} {};",
                                o.table,
                                quote_ident(&o.name),
                                deferrability(o)
                            )],
                        ),
                    );
                }
                if !o.validated && c.validated {
                    // The down puts back the unvalidated constraint.
                    let mut down = vec![drop(o), render::add_constraint(o)];
                    down.extend(comment_statements(&[(target(o), o.comment.clone())]));
                    b.push(
                        Phase::Validate,
                        change(
                            ChangeKind::ValidateConstraint,
                            key.clone(),
                            vec![validate(c)],
                            down,
                        ),
                    );
                }
            }
            None => {
                let existing = from.table(&c.table).is_some();
                // PostgreSQL 15 cannot add a NOT VALID foreign key to a partitioned table.
                let safe = existing
                    && c.validated
                    && match c.kind {
                        ConstraintKind::Check => true,
                        ConstraintKind::ForeignKey => !partitioned(&c.table),
                        _ => false,
                    };
                let fk = c.kind == ConstraintKind::ForeignKey;
                // A primary key or unique constraint on a table that exists: its index built
                // concurrently first, then attached (`USING INDEX`), so the table is not locked
                // for the build.
                let through_index = (existing && !partitioned(&c.table))
                    .then(|| unique_index_form(c))
                    .flatten();
                if let Some(columns) = through_index {
                    let index = QualifiedName::new(c.table.schema.as_deref(), &c.name);
                    let early = Part {
                        up: vec![format!(
                            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} USING btree {columns};",
                            quote_ident(&c.name),
                            c.table
                        )],
                        down: vec![format!("DROP INDEX CONCURRENTLY IF EXISTS {index};")],
                        non_transactional: true,
                    };
                    let validating = Part {
                        up: vec![format!(
                            "ALTER TABLE {} ADD CONSTRAINT {} {} USING INDEX {}{};",
                            c.table,
                            quote_ident(&c.name),
                            if c.kind == ConstraintKind::PrimaryKey {
                                "PRIMARY KEY"
                            } else {
                                "UNIQUE"
                            },
                            quote_ident(&c.name),
                            if c.deferrable {
                                format!(" {}", deferrability(c))
                            } else {
                                String::new()
                            }
                        )],
                        down: vec![drop(c)],
                        non_transactional: false,
                    };
                    let mut add = change(
                        ChangeKind::AddConstraint,
                        key.clone(),
                        early.up.iter().chain(&validating.up).cloned().collect(),
                        vec![drop(c)],
                    );
                    add.unique_index = true;
                    add.validation = Some(Validation { early, validating });
                    b.push_at(phase, order, add);
                } else if safe {
                    let mut add = change(
                        ChangeKind::AddConstraint,
                        key.clone(),
                        vec![format!(
                            "ALTER TABLE {} ADD CONSTRAINT {} {} NOT VALID;",
                            c.table,
                            quote_ident(&c.name),
                            c.definition
                        )],
                        vec![drop(c)],
                    );
                    add.foreign_key = fk;
                    b.push_at(phase, order, add);
                    b.push(
                        Phase::Validate,
                        change(
                            ChangeKind::ValidateConstraint,
                            key.clone(),
                            vec![validate(c)],
                            vec![],
                        ),
                    );
                } else {
                    let mut add = change(
                        ChangeKind::AddConstraint,
                        key.clone(),
                        vec![render::add_constraint(c)],
                        vec![drop(c)],
                    );
                    add.foreign_key = fk;
                    b.push_at(phase, order, add);
                }
            }
        }
        let before = old.and_then(|o| o.comment.clone());
        if let Some(x) = comment_change(target(c), key.clone(), &before, &c.comment) {
            b.push(Phase::Comment, x);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diff::fixtures::*;

    #[test]
    fn constraints_on_existing_tables_are_added_not_valid() {
        let t = table(hostile(), vec![column("order", "integer")]);
        let from = with_tables(vec![t.clone()]);
        let mut to = with_tables(vec![t]);
        to.constraints = vec![
            constraint(
                &hostile(),
                "fk",
                ConstraintKind::ForeignKey,
                r#"FOREIGN KEY ("order") REFERENCES "a""b"."Mixed Case"("order")"#,
            ),
            constraint(
                &hostile(),
                "order",
                ConstraintKind::Check,
                r#"CHECK (("order" > 0))"#,
            ),
            constraint(
                &hostile(),
                "pk",
                ConstraintKind::PrimaryKey,
                r#"PRIMARY KEY ("order")"#,
            ),
        ];
        to.normalize();
        let p = plan(&from, &to);
        let k: Vec<ChangeKind> = p.changes.iter().map(|c| c.kind).collect();
        use ChangeKind::*;
        // Checks and keys, then foreign keys, then validations.
        assert_eq!(
            k,
            [
                AddConstraint,
                AddConstraint,
                AddConstraint,
                ValidateConstraint,
                ValidateConstraint
            ]
        );
        assert_eq!(
            p.changes[0].up,
            [
                r#"ALTER TABLE "a""b"."Mixed Case" ADD CONSTRAINT "order" CHECK (("order" > 0)) NOT VALID;"#
            ]
        );
        assert!(
            !p.changes[1].up[0].contains("NOT VALID"),
            "primary keys are added directly"
        );
        assert!(
            p.changes[2].up[0].contains("FOREIGN KEY")
                && p.changes[2].up[0].ends_with("NOT VALID;")
        );
        assert_eq!(
            p.changes[4].up,
            [r#"ALTER TABLE "a""b"."Mixed Case" VALIDATE CONSTRAINT "order";"#]
        );
        // Dropped: foreign keys first.
        let p = plan(&to, &from);
        assert!(
            p.changes[0].up[0].contains(r#"DROP CONSTRAINT "fk""#),
            "{p:#?}"
        );
        assert!(p.changes.iter().all(|c| c.kind == DropConstraint));
    }

    #[test]
    fn foreign_keys_deferrability_and_validation() {
        let t = with_tables(vec![table(hostile(), vec![column("order", "integer")])]);
        let fk = |deferred: bool| Constraint {
            deferrable: deferred,
            initially_deferred: deferred,
            ..constraint(
                &hostile(),
                "fk ü",
                ConstraintKind::ForeignKey,
                if deferred {
                    r#"FOREIGN KEY ("order") REFERENCES "a""b"."Mixed Case"("order") DEFERRABLE INITIALLY DEFERRED"#
                } else {
                    r#"FOREIGN KEY ("order") REFERENCES "a""b"."Mixed Case"("order")"#
                },
            )
        };
        let with = |c: Constraint| Schema {
            constraints: vec![c],
            ..t.clone()
        };
        let p = plan(&with(fk(false)), &with(fk(true)));
        assert_eq!(kinds(&p), [ChangeKind::AlterConstraint]);
        assert_eq!(
            p.changes[0].up,
            [
                r#"ALTER TABLE "a""b"."Mixed Case" ALTER CONSTRAINT "fk ü" DEFERRABLE INITIALLY DEFERRED;"#
            ]
        );
        assert_eq!(
            p.changes[0].down,
            [
                r#"ALTER TABLE "a""b"."Mixed Case" ALTER CONSTRAINT "fk ü" NOT DEFERRABLE INITIALLY IMMEDIATE;"#
            ]
        );
        // NOT VALID -> validated: VALIDATE, and the down puts the unvalidated state back.
        let mut not_valid = fk(false);
        not_valid.validated = false;
        not_valid.definition.push_str(" NOT VALID");
        let p = plan(&with(not_valid.clone()), &with(fk(false)));
        assert_eq!(kinds(&p), [ChangeKind::ValidateConstraint]);
        assert_eq!(
            p.changes[0].down,
            [
                r#"ALTER TABLE "a""b"."Mixed Case" DROP CONSTRAINT "fk ü";"#,
                r#"ALTER TABLE "a""b"."Mixed Case" ADD CONSTRAINT "fk ü" FOREIGN KEY ("order") REFERENCES "a""b"."Mixed Case"("order") NOT VALID;"#,
            ]
        );
        // Validated -> NOT VALID: nothing to do.
        assert!(plan(&with(fk(false)), &with(not_valid)).is_empty());
        // A new foreign key on an existing partitioned table cannot be NOT VALID (PostgreSQL 15).
        let mut parted = t.clone();
        parted.tables[0].partition_key = Some("RANGE (\"order\")".into());
        let p = plan(
            &parted,
            &Schema {
                constraints: vec![fk(false)],
                ..parted.clone()
            },
        );
        assert_eq!(kinds(&p), [ChangeKind::AddConstraint]);
        assert!(!p.changes[0].up[0].contains("NOT VALID"));
    }
}
