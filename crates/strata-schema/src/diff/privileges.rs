//! Privileges (`GRANT` / `REVOKE`, `ALTER DEFAULT PRIVILEGES`) and owners (`ALTER … OWNER TO`):
//! only what the models hold, which is nothing unless `[schema] privileges` / `owners` is on.
//!
//! Entries of an object that stays are compared as sets: what `from` has and `to` has not is
//! undone first (`REVOKE`), then what `to` adds is applied, each with its inverse as down. An
//! object that goes or is re-created loses its privileges and owner with it: they are undone
//! just before (first in the plan, so that on the way back they are restored last, once the
//! object exists again), and applied again after everything is created (last in the plan). An
//! owner is reset with `OWNER TO CURRENT_USER`, which is who creates the objects of a plan.

use super::change::{change, Change, ChangeKind};
use super::order::{Builder, Phase};
use crate::model::*;
use crate::privileges::{Grant, Owner};
use std::collections::BTreeSet;
use strata_core::QualifiedName;

/// Whether the object `on` exists in `s`.
fn exists(s: &Schema, on: &ObjectRef) -> bool {
    let name = &on.name;
    match on.kind {
        ObjectKind::Schema => s.schemas.iter().any(|n| n.name == name.name),
        ObjectKind::Table => s.table(name).is_some(),
        ObjectKind::View => s.views.iter().any(|v| &v.name == name),
        ObjectKind::MaterializedView => s.materialized_views.iter().any(|v| &v.name == name),
        ObjectKind::Sequence => s.sequences.iter().any(|q| &q.name == name),
        ObjectKind::Function => s.functions.iter().any(|f| f.key() == *on),
        ObjectKind::Enum => s.enums.iter().any(|e| &e.name == name),
        ObjectKind::Domain => s.domains.iter().any(|d| &d.name == name),
        ObjectKind::CompositeType => s.composite_types.iter().any(|t| &t.name == name),
        ObjectKind::RangeType => s.range_types.iter().any(|t| &t.name == name),
        _ => true,
    }
}

fn column_exists(s: &Schema, table: &QualifiedName, column: &str) -> bool {
    s.table(table)
        .is_some_and(|t| t.columns.iter().any(|c| c.name == column))
}

/// The objects the changes so far drop (and maybe create again).
fn dropped(b: &Builder) -> BTreeSet<ObjectRef> {
    use ChangeKind::*;
    b.out
        .iter()
        .filter(|(_, _, c)| {
            matches!(
                c.kind,
                DropSchema
                    | DropEnum
                    | DropDomain
                    | DropCompositeType
                    | DropRangeType
                    | DropSequence
                    | DropFunction
                    | DropTable
                    | DropView
                    | DropMaterializedView
            )
        })
        .map(|(_, _, c)| c.object.clone())
        .collect()
}

/// Runs after every other kind: what the plan drops or re-creates is read from its changes.
pub(super) fn privileges(from: &Schema, to: &Schema, b: &mut Builder) {
    let dropped = dropped(b);
    // The object is dropped, or dropped and created again, by this plan.
    let goes = |b: &Builder, on: &ObjectRef| {
        !exists(to, on) || b.ctx.recreate.contains(on) || dropped.contains(on)
    };
    let grant_goes = |b: &Builder, g: &Grant| {
        goes(b, &g.on)
            || g.column.as_ref().is_some_and(|c| {
                !column_exists(to, &g.on.name, c) || !column_exists(from, &g.on.name, c)
            })
    };
    let old: BTreeSet<&Grant> = from.grants.iter().collect();
    let new: BTreeSet<&Grant> = to.grants.iter().collect();
    for g in &old {
        let lost = exists(from, &g.on) && grant_goes(b, g);
        if lost {
            b.push(Phase::Unprivilege, grant_change(g, false));
        } else if !new.contains(g) {
            b.push(Phase::Privilege, grant_change(g, false));
        }
    }
    for g in &new {
        // New or re-created: granted again; otherwise only what is new.
        if grant_goes(b, g) || !exists(from, &g.on) || !old.contains(g) {
            b.push(Phase::Privilege, grant_change(g, true));
        }
    }
    let old: BTreeSet<_> = from.default_privileges.iter().collect();
    let new: BTreeSet<_> = to.default_privileges.iter().collect();
    // Named by its role (and schema): `ObjectRef` has no kind for default privileges.
    let object = |d: &crate::privileges::DefaultPrivilege| {
        ObjectRef::new(
            ObjectKind::Schema,
            QualifiedName::new(d.schema.as_deref(), &d.role),
        )
    };
    for d in old.difference(&new) {
        b.push(
            Phase::Privilege,
            change(
                ChangeKind::AlterDefaultPrivileges,
                object(d),
                vec![d.undo_sql()],
                vec![d.apply_sql()],
            ),
        );
    }
    for d in new.difference(&old) {
        b.push(
            Phase::Privilege,
            change(
                ChangeKind::AlterDefaultPrivileges,
                object(d),
                vec![d.apply_sql()],
                vec![d.undo_sql()],
            ),
        );
    }
    owners(from, to, &goes, b);
}

/// `apply`: the entry is made true (a `GRANT`, or a `REVOKE` of a default); else undone.
fn grant_change(g: &Grant, apply: bool) -> Change {
    let (up, down) = if apply {
        (g.apply_sql(), g.undo_sql())
    } else {
        (g.undo_sql(), g.apply_sql())
    };
    let kind = if apply != g.revoked {
        ChangeKind::Grant
    } else {
        ChangeKind::Revoke
    };
    let mut c = change(kind, g.on.clone(), vec![up], vec![down]);
    c.column = g.column.clone();
    c
}

fn owners(
    from: &Schema,
    to: &Schema,
    goes: &dyn Fn(&Builder, &ObjectRef) -> bool,
    b: &mut Builder,
) {
    let find = |s: &Schema, on: &ObjectRef| s.owners.iter().find(|o| &o.on == on).cloned();
    let owner_change = |o: &Owner, up: &str, down: &str| {
        change(
            ChangeKind::AlterOwner,
            o.on.clone(),
            vec![o.sql(up)],
            vec![o.sql(down)],
        )
    };
    for o in &from.owners {
        if exists(from, &o.on) && goes(b, &o.on) {
            let c = owner_change(o, "CURRENT_USER", &o.owner);
            b.push(Phase::Unprivilege, c);
        }
    }
    for o in &to.owners {
        let before = find(from, &o.on).filter(|_| !goes(b, &o.on));
        match before {
            Some(old) if old.owner == o.owner => {}
            Some(old) => {
                let c = owner_change(o, &o.owner, &old.owner);
                b.push(Phase::Owner, c);
            }
            None => {
                let c = owner_change(o, &o.owner, "CURRENT_USER");
                b.push(Phase::Owner, c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diff::fixtures::*;
    use crate::privileges::{DefaultPrivilege, Grant, Owner};

    fn grant(on: &ObjectRef, column: Option<&str>, privilege: &str, grantable: bool) -> Grant {
        Grant {
            on: on.clone(),
            column: column.map(str::to_owned),
            grantee: "Reader".into(),
            privilege: privilege.into(),
            grantable,
            revoked: false,
        }
    }

    #[test]
    fn grants_and_owners_are_diffed_with_inverses() {
        let t = table(
            hostile(),
            vec![column("a", "text"), column("order", "text")],
        );
        let on = ObjectRef::new(ObjectKind::Table, hostile());
        let base = with_tables(vec![t]);
        let mut to = base.clone();
        to.grants = vec![
            grant(&on, None, "SELECT", false),
            grant(&on, Some("order"), "UPDATE", false),
        ];
        to.default_privileges = vec![DefaultPrivilege {
            role: "owner".into(),
            schema: None,
            objects: "TABLES".into(),
            grantee: "Reader".into(),
            privilege: "SELECT".into(),
            grantable: false,
            revoked: false,
        }];
        to.owners = vec![Owner {
            on: on.clone(),
            owner: "Owner".into(),
        }];
        let mut from = base.clone();
        from.owners = vec![Owner {
            on: on.clone(),
            owner: "other".into(),
        }];
        let p = plan(&from, &to);
        let grants: Vec<&Change> = p
            .changes
            .iter()
            .filter(|c| c.kind == ChangeKind::Grant)
            .collect();
        assert_eq!(grants.len(), 2, "{:#?}", p.changes);
        assert!(grants.iter().any(|c| c.up
            == [r#"GRANT UPDATE ("order") ON TABLE "a""b"."Mixed Case" TO "Reader";"#]
            && c.down
                == [r#"REVOKE UPDATE ("order") ON TABLE "a""b"."Mixed Case" FROM "Reader";"#]));
        let o = only(&p, ChangeKind::AlterOwner);
        assert_eq!(
            o.up,
            [r#"ALTER TABLE "a""b"."Mixed Case" OWNER TO "Owner";"#]
        );
        assert_eq!(
            o.down,
            [r#"ALTER TABLE "a""b"."Mixed Case" OWNER TO "other";"#]
        );
        // Back: revoked, default privilege revoked, owner restored.
        let back = plan(&to, &from);
        let revokes = back
            .changes
            .iter()
            .filter(|c| c.kind == ChangeKind::Revoke)
            .count();
        assert_eq!(revokes, 2, "{:#?}", back.changes);
        let d = only(&back, ChangeKind::AlterDefaultPrivileges);
        assert_eq!(
            d.up,
            [r#"ALTER DEFAULT PRIVILEGES FOR ROLE "owner" REVOKE SELECT ON TABLES FROM "Reader";"#]
        );
        // Gaining the grant option: revoked first, granted again.
        let mut option = to.clone();
        option.grants[0].grantable = true;
        let p = plan(&to, &option);
        let kinds: Vec<ChangeKind> = p.changes.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [ChangeKind::Revoke, ChangeKind::Grant]);
        assert!(p.changes[1].up[0].ends_with("WITH GRANT OPTION;"));
        // The table dropped: its grants are revoked first (restored last on the way back).
        let p = plan(&to, &Schema::default());
        assert!(matches!(
            p.changes[0].kind,
            ChangeKind::Revoke | ChangeKind::AlterOwner
        ));
        assert!(p.changes.iter().any(|c| c.kind == ChangeKind::AlterOwner
            && c.up == [r#"ALTER TABLE "a""b"."Mixed Case" OWNER TO CURRENT_USER;"#]));
        // Nothing to compare: no change.
        assert!(plan(&to, &to).changes.is_empty());
    }

    #[test]
    fn grants_follow_a_renamed_table_and_column() {
        let name = |n: &str| QualifiedName::new(Some("app"), n);
        let model = |t: &str, c: &str| {
            let mut s = with_tables(vec![table(name(t), vec![column(c, "text")])]);
            let on = ObjectRef::new(ObjectKind::Table, name(t));
            s.grants = vec![
                grant(&on, None, "SELECT", false),
                grant(&on, Some(c), "UPDATE", false),
            ];
            s.owners = vec![Owner {
                on,
                owner: "o".into(),
            }];
            s
        };
        let opts = DiffOptions {
            renames: vec![
                ("app.old".into(), "new".into()),
                ("app.new.a".into(), "b".into()),
            ],
            ..DiffOptions::default()
        };
        let p = crate::diff::diff(&model("old", "a"), &model("new", "b"), &opts);
        let kinds: Vec<ChangeKind> = p.changes.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [ChangeKind::RenameTable, ChangeKind::RenameColumn],
            "{:#?}",
            p.changes
        );
    }
}
