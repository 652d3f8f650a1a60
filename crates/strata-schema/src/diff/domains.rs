//! Domains: default, `NOT NULL` and checks altered in place (a new check added `NOT VALID`, then
//! validated); re-created when the base type or collation changes.

use super::change::{change, hazard, Change, ChangeKind, Hazard, HazardId};
use super::comments::comment_statements;
use super::constraints::core_definition;
use super::definitions::Definition;
use super::order::Builder;
use crate::model::*;
use crate::render;
use std::collections::BTreeSet;
use strata_core::quote_ident;

impl Definition for Domain {
    const CREATE: ChangeKind = ChangeKind::CreateDomain;
    const DROP: ChangeKind = ChangeKind::DropDomain;
    fn create(&self) -> Vec<String> {
        vec![render::create_domain(self).trim_end().to_owned()]
    }
    fn drop(&self) -> String {
        format!("DROP DOMAIN {};", self.name)
    }
    fn comments(&self) -> Vec<(String, Option<String>)> {
        let mut out = vec![(format!("DOMAIN {}", self.name), self.comment.clone())];
        for c in &self.checks {
            out.push((domain_check_target(self, c), c.comment.clone()));
        }
        out
    }
    fn what_changes(&self) -> &'static str {
        "changes its base type or collation"
    }
    fn hazards(&self) -> Vec<Hazard> {
        match self.checks.first() {
            Some(c) => vec![hazard(
                HazardId::BlockingValidation,
                format!(
                    "domain {} is created with CHECK {}: changing it later (ALTER DOMAIN) checks every column of the domain while blocking writes to their tables",
                    self.name,
                    quote_ident(&c.name)
                ),
            )],
            None => Vec::new(),
        }
    }
}

/// The hazard of an `ALTER DOMAIN` that checks every column of the domain (what the lint rule
/// domain-constraint names): there is no form of it that lets writes go on.
fn blocking(mut c: Change, name: &strata_core::QualifiedName, what: &str) -> Change {
    c.hazards.push(hazard(
        HazardId::BlockingValidation,
        format!(
            "{what} on domain {name} checks every column of the domain in every table while writes to those tables wait"
        ),
    ));
    c
}

fn domain_check_target(d: &Domain, c: &DomainCheck) -> String {
    format!("CONSTRAINT {} ON DOMAIN {}", quote_ident(&c.name), d.name)
}

/// Default, NOT NULL and checks of a domain whose base type stays.
pub(super) fn alter_domain(b: &mut Builder, old: &Domain, new: &Domain) -> BTreeSet<String> {
    let key = new.key();
    let name = &new.name;
    let mut gone = BTreeSet::new();
    if old.default != new.default {
        let set = |d: &Option<String>| match d {
            Some(d) => format!("ALTER DOMAIN {name} SET DEFAULT {d};"),
            None => format!("ALTER DOMAIN {name} DROP DEFAULT;"),
        };
        b.create(change(
            ChangeKind::AlterDomain,
            key.clone(),
            vec![set(&new.default)],
            vec![set(&old.default)],
        ));
    }
    if old.not_null != new.not_null {
        let set = |on: bool| {
            format!(
                "ALTER DOMAIN {name} {} NOT NULL;",
                if on { "SET" } else { "DROP" }
            )
        };
        let c = change(
            ChangeKind::AlterDomain,
            key.clone(),
            vec![set(new.not_null)],
            vec![set(old.not_null)],
        );
        b.create(if new.not_null {
            blocking(c, name, "SET NOT NULL")
        } else {
            c
        });
    }
    let add = |c: &DomainCheck| {
        format!(
            "ALTER DOMAIN {name} ADD CONSTRAINT {} {};",
            quote_ident(&c.name),
            c.definition
        )
    };
    let drop = |c: &DomainCheck| {
        format!(
            "ALTER DOMAIN {name} DROP CONSTRAINT {};",
            quote_ident(&c.name)
        )
    };
    let validate = |c: &DomainCheck| {
        format!(
            "ALTER DOMAIN {name} VALIDATE CONSTRAINT {};",
            quote_ident(&c.name)
        )
    };
    let find = |d: &Domain, n: &str| d.checks.iter().find(|c| c.name == n).cloned();
    // Same check: the same expression. NOT VALID → validated is a VALIDATE; validated → NOT
    // VALID is nothing (a validated check satisfies the unvalidated one).
    let same = |a: &DomainCheck, z: &DomainCheck| {
        core_definition(&a.definition) == core_definition(&z.definition)
    };
    for c in &old.checks {
        if find(new, &c.name).is_none_or(|n| !same(c, &n)) {
            let mut down = vec![add(c)];
            down.extend(comment_statements(&[(
                domain_check_target(old, c),
                c.comment.clone(),
            )]));
            b.create(change(
                ChangeKind::DropDomainConstraint,
                key.clone(),
                vec![drop(c)],
                down,
            ));
            gone.insert(domain_check_target(new, c));
        }
    }
    for c in &new.checks {
        match find(old, &c.name) {
            Some(o) if same(&o, c) => {
                if !o.validated && c.validated {
                    // The down puts back the unvalidated state.
                    let mut down = vec![drop(c), add(&o)];
                    down.extend(comment_statements(&[(
                        domain_check_target(old, &o),
                        o.comment.clone(),
                    )]));
                    b.create(blocking(
                        change(
                            ChangeKind::ValidateConstraint,
                            key.clone(),
                            vec![validate(c)],
                            down,
                        ),
                        name,
                        "VALIDATE CONSTRAINT",
                    ));
                }
            }
            _ if c.validated => {
                // Safe form: added without checking the columns that use the domain, validated
                // after (without blocking writes).
                b.create(change(
                    ChangeKind::AddDomainConstraint,
                    key.clone(),
                    vec![format!(
                        "ALTER DOMAIN {name} ADD CONSTRAINT {} {} NOT VALID;",
                        quote_ident(&c.name),
                        core_definition(&c.definition)
                    )],
                    vec![drop(c)],
                ));
                b.create(blocking(
                    change(
                        ChangeKind::ValidateConstraint,
                        key.clone(),
                        vec![validate(c)],
                        vec![],
                    ),
                    name,
                    "VALIDATE CONSTRAINT",
                ));
            }
            _ => b.create(change(
                ChangeKind::AddDomainConstraint,
                key.clone(),
                vec![add(c)],
                vec![drop(c)],
            )),
        }
    }
    gone
}

#[cfg(test)]
mod tests {
    use crate::diff::fixtures::*;

    #[test]
    fn domains_altered_with_safe_forms() {
        let check = |name: &str, definition: &str, validated: bool| DomainCheck {
            name: name.into(),
            definition: definition.into(),
            validated,
            comment: None,
        };
        let d = q("a\"b", "naïve ü");
        let mut from = domain(d.clone(), "integer");
        from.default = Some("1".into());
        from.checks = vec![
            check("gone", "CHECK ((VALUE < 10))", true),
            check("order", "CHECK ((VALUE > 0)) NOT VALID", false),
        ];
        let mut to = domain(d.clone(), "integer");
        to.not_null = true;
        to.checks = vec![
            check("order", "CHECK ((VALUE > 0))", true),
            check("select", "CHECK ((VALUE <> 3))", true),
        ];
        let a = Schema {
            domains: vec![from],
            ..Schema::default()
        };
        let b = Schema {
            domains: vec![to],
            ..Schema::default()
        };
        let p = plan(&a, &b);
        use ChangeKind::*;
        assert_eq!(
            kinds(&p),
            [
                AlterDomain,
                AlterDomain,
                DropDomainConstraint,
                ValidateConstraint,
                AddDomainConstraint,
                ValidateConstraint
            ]
        );
        let name = r#""a""b"."naïve ü""#;
        assert_eq!(
            p.changes[0].up,
            [format!("ALTER DOMAIN {name} DROP DEFAULT;")]
        );
        assert_eq!(
            p.changes[0].down,
            [format!("ALTER DOMAIN {name} SET DEFAULT 1;")]
        );
        assert_eq!(
            p.changes[1].up,
            [format!("ALTER DOMAIN {name} SET NOT NULL;")]
        );
        assert_eq!(
            p.changes[3].down,
            [
                format!(r#"ALTER DOMAIN {name} DROP CONSTRAINT "order";"#),
                format!(
                    r#"ALTER DOMAIN {name} ADD CONSTRAINT "order" CHECK ((VALUE > 0)) NOT VALID;"#
                ),
            ]
        );
        assert_eq!(
            p.changes[4].up,
            [format!(
                r#"ALTER DOMAIN {name} ADD CONSTRAINT "select" CHECK ((VALUE <> 3)) NOT VALID;"#
            )]
        );
        assert_eq!(
            p.changes[5].up,
            [format!(
                r#"ALTER DOMAIN {name} VALIDATE CONSTRAINT "select";"#
            )]
        );
        // Validated -> NOT VALID is no change for that check.
        let back = plan(&b, &a);
        assert!(
            !back.up().iter().any(|s| s.contains(r#""order""#)),
            "{back:#?}"
        );
        // A new base type: re-created (nothing uses it).
        let mut wider = b.clone();
        wider.domains[0].data_type = "bigint".into();
        assert_eq!(kinds(&plan(&b, &wider)), [DropDomain, CreateDomain]);
    }
}
