//! Privileges and owners, read only when asked for ([`IntrospectOptions::privileges`] /
//! [`IntrospectOptions::owners`]; `[schema] privileges` / `owners` in strata.toml).
//!
//! ACLs come from `relacl`, `attacl`, `proacl`, `nspacl` and `pg_default_acl` through
//! `aclexplode`, as their difference from `acldefault` (what PostgreSQL gives a new object: the
//! owner's full set, `EXECUTE` to `PUBLIC` on routines): granted on top, or revoked from it. An
//! object nobody granted anything on has none, so a fresh database compares equal to its schema
//! files whoever owns it. The grantor is not compared.
//!
//! [`IntrospectOptions::privileges`]: crate::IntrospectOptions::privileges
//! [`IntrospectOptions::owners`]: crate::IntrospectOptions::owners

use crate::Postgres;
use strata_engine::DbError;
use strata_schema::{DefaultPrivilege, Grant, ObjectKind, ObjectRef, Owner, Schema};

/// Rows of `(grantee, privilege, grantable, revoked)`: `acl` against the default `dflt`.
fn delta(acl: &str, dflt: &str) -> String {
    let explode = |acl: &str, revoked: bool| {
        format!(
            "SELECT CASE WHEN g.grantee = 0 THEN 'PUBLIC' \
                    ELSE pg_catalog.pg_get_userbyid(g.grantee)::text END, \
                    g.privilege_type::text, g.is_grantable, {revoked} \
             FROM pg_catalog.aclexplode({acl}) g"
        )
    };
    let acl = format!("COALESCE({acl}, {dflt})");
    format!(
        "({} EXCEPT {}) UNION ALL ({} EXCEPT {})",
        explode(&acl, false),
        explode(dflt, false),
        explode(dflt, true),
        explode(&acl, true)
    )
}

/// The objects privileges are read on.
fn grantable_kind(kind: ObjectKind) -> bool {
    matches!(
        kind,
        ObjectKind::Table
            | ObjectKind::View
            | ObjectKind::MaterializedView
            | ObjectKind::Sequence
            | ObjectKind::Function
            | ObjectKind::Schema
    )
}

/// `resolve(class, oid)`: the model object of a catalog row (`class`, `proc` or `type`), if the
/// model holds it. Schemas are found by name.
pub(crate) fn read(
    pg: &mut Postgres,
    privileges: bool,
    owners: bool,
    resolve: &dyn Fn(&str, u32) -> Option<ObjectRef>,
    schema: &mut Schema,
) -> Result<(), DbError> {
    let namespace = |schema: &Schema, name: Option<String>| {
        let name = name?;
        schema.schemas.iter().any(|n| n.name == name).then(|| {
            ObjectRef::new(
                ObjectKind::Schema,
                strata_core::QualifiedName::new(None, &name),
            )
        })
    };
    let lookup = |schema: &Schema, class: &str, oid: u32, name: Option<String>| {
        if class == "namespace" {
            namespace(schema, name)
        } else {
            resolve(class, oid)
        }
    };
    if owners {
        let sql = "SELECT 'class', c.oid, pg_catalog.pg_get_userbyid(c.relowner)::text, NULL::text \
                   FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') \
                   UNION ALL SELECT 'proc', p.oid, pg_catalog.pg_get_userbyid(p.proowner)::text, NULL \
                   FROM pg_catalog.pg_proc p WHERE p.prokind IN ('f', 'p', 'w') \
                   UNION ALL SELECT 'type', t.oid, pg_catalog.pg_get_userbyid(t.typowner)::text, NULL \
                   FROM pg_catalog.pg_type t WHERE t.typtype IN ('e', 'd', 'r', 'c') \
                   UNION ALL SELECT 'namespace', n.oid, pg_catalog.pg_get_userbyid(n.nspowner)::text, \
                   n.nspname::text FROM pg_catalog.pg_namespace n";
        let rows = pg.query_kept(sql)?;
        for row in rows {
            let class: String = row.get(0);
            let Some(on) = lookup(schema, &class, row.get(1), row.get(3)) else {
                continue;
            };
            // A sequence owned by a column follows its table's owner.
            let follows_table = on.kind == ObjectKind::Sequence
                && schema
                    .sequences
                    .iter()
                    .any(|s| s.name == on.name && s.owned_by.is_some());
            if on.kind == ObjectKind::Aggregate || follows_table {
                continue;
            }
            schema.owners.push(Owner {
                on,
                owner: row.get(2),
            });
        }
    }
    if !privileges {
        return Ok(());
    }
    let sql = format!(
        "SELECT x.class, x.oid, x.nspname, x.col, a.* FROM ( \
           SELECT 'class' AS class, c.oid, NULL::text AS nspname, NULL::text AS col, c.relacl AS acl, \
                  pg_catalog.acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", \
                                        c.relowner) AS dflt \
           FROM pg_catalog.pg_class c \
           WHERE c.relacl IS NOT NULL AND c.relkind IN ('r', 'p', 'v', 'm', 'S') \
           UNION ALL SELECT 'class', a.attrelid, NULL, a.attname::text, a.attacl, NULL::aclitem[] \
           FROM pg_catalog.pg_attribute a \
           WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped \
           UNION ALL SELECT 'proc', p.oid, NULL, NULL, p.proacl, \
                  pg_catalog.acldefault('f'::\"char\", p.proowner) \
           FROM pg_catalog.pg_proc p WHERE p.proacl IS NOT NULL AND p.prokind IN ('f', 'p', 'w') \
           UNION ALL SELECT 'namespace', n.oid, n.nspname::text, NULL, n.nspacl, \
                  pg_catalog.acldefault('n'::\"char\", n.nspowner) \
           FROM pg_catalog.pg_namespace n WHERE n.nspacl IS NOT NULL \
         ) x CROSS JOIN LATERAL ({}) a(grantee, privilege, grantable, revoked)",
        delta("x.acl", "x.dflt")
    );
    let rows = pg.query_kept(&sql)?;
    for row in rows {
        let class: String = row.get(0);
        let Some(on) = lookup(schema, &class, row.get(1), row.get(2)) else {
            continue;
        };
        if !grantable_kind(on.kind) {
            continue;
        }
        schema.grants.push(Grant {
            on,
            column: row.get(3),
            grantee: row.get(4),
            privilege: row.get(5),
            grantable: row.get(6),
            revoked: row.get(7),
        });
    }
    let sql = format!(
        "SELECT pg_catalog.pg_get_userbyid(d.defaclrole)::text, n.nspname::text, \
                d.defaclobjtype::text, a.* \
         FROM pg_catalog.pg_default_acl d \
         LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace \
         CROSS JOIN LATERAL ({}) a(grantee, privilege, grantable, revoked)",
        delta(
            "d.defaclacl",
            "CASE WHEN d.defaclnamespace = 0 THEN pg_catalog.acldefault(\
             CASE d.defaclobjtype WHEN 'S' THEN 's'::\"char\" ELSE d.defaclobjtype END, \
             d.defaclrole) END"
        )
    );
    let rows = pg.query_kept(&sql)?;
    for row in rows {
        let objects = match row.get::<_, String>(2).as_str() {
            "r" => "TABLES",
            "S" => "SEQUENCES",
            "f" => "FUNCTIONS",
            "T" => "TYPES",
            "n" => "SCHEMAS",
            _ => continue,
        };
        schema.default_privileges.push(DefaultPrivilege {
            role: row.get(0),
            schema: row.get(1),
            objects: objects.to_owned(),
            grantee: row.get(3),
            privilege: row.get(4),
            grantable: row.get(5),
            revoked: row.get(6),
        });
    }
    Ok(())
}
