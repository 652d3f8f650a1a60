//! Privileges and owners: part of the model only when asked for (`[schema] privileges = true`,
//! `[schema] owners = true`), since roles are cluster-wide and differ between environments.
//! Introspection leaves these lists empty otherwise, so nothing of them is compared or written.
//!
//! An object's privileges are kept as their difference from the privileges PostgreSQL gives a new
//! object (`acldefault`: the owner's full set, plus `EXECUTE` to `PUBLIC` on routines): what was
//! granted on top ([`Grant::revoked`] false) and what was revoked from it (true). An untouched
//! object has none, whoever owns it, so a fresh database compares equal to its schema files.

use crate::model::{ObjectKind, ObjectRef};
use serde::{Deserialize, Serialize};
use strata_core::quote_ident;

fn is_false(b: &bool) -> bool {
    !*b
}

/// One privilege on one object (or one column of it), granted or revoked.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Grant {
    /// A table, view, materialized view, sequence, function or procedure, or schema.
    pub on: ObjectRef,
    /// Column privileges: the column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// A role name, or `PUBLIC`.
    pub grantee: String,
    /// `SELECT`, `INSERT`, `USAGE`, `EXECUTE`, ... as PostgreSQL names it.
    pub privilege: String,
    /// `WITH GRANT OPTION`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub grantable: bool,
    /// A privilege PostgreSQL gives by default that was revoked.
    #[serde(default, skip_serializing_if = "is_false")]
    pub revoked: bool,
}

/// One `ALTER DEFAULT PRIVILEGES` entry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DefaultPrivilege {
    /// `FOR ROLE`: whose future objects get it.
    pub role: String,
    /// `IN SCHEMA` (none: every schema).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// `TABLES`, `SEQUENCES`, `FUNCTIONS`, `TYPES` or `SCHEMAS`.
    pub objects: String,
    pub grantee: String,
    pub privilege: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub grantable: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub revoked: bool,
}

/// The owner of an object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Owner {
    pub on: ObjectRef,
    pub owner: String,
}

fn role(name: &str) -> String {
    if name == "PUBLIC" {
        "PUBLIC".to_owned()
    } else {
        quote_ident(name)
    }
}

/// `TABLE "s"."t"`, `SEQUENCE …`, `ROUTINE "s"."f"(integer)`, `SCHEMA "s"`: what `GRANT … ON`
/// names.
fn grant_target(on: &ObjectRef) -> String {
    match on.kind {
        ObjectKind::Schema => format!("SCHEMA {}", quote_ident(&on.name.name)),
        ObjectKind::Function => format!(
            "ROUTINE {}({})",
            on.name,
            on.arguments.as_deref().unwrap_or("")
        ),
        ObjectKind::Sequence => format!("SEQUENCE {}", on.name),
        _ => format!("TABLE {}", on.name),
    }
}

fn privilege(g: &Grant) -> String {
    match &g.column {
        Some(c) => format!("{} ({})", g.privilege, quote_ident(c)),
        None => g.privilege.clone(),
    }
}

fn give(g: &Grant) -> String {
    let option = if g.grantable {
        " WITH GRANT OPTION"
    } else {
        ""
    };
    format!(
        "GRANT {} ON {} TO {}{option};",
        privilege(g),
        grant_target(&g.on),
        role(&g.grantee)
    )
}

fn take(g: &Grant) -> String {
    format!(
        "REVOKE {} ON {} FROM {};",
        privilege(g),
        grant_target(&g.on),
        role(&g.grantee)
    )
}

impl Grant {
    /// The statement that makes this entry true: `GRANT`, or `REVOKE` for a revoked default.
    pub fn apply_sql(&self) -> String {
        if self.revoked {
            take(self)
        } else {
            give(self)
        }
    }

    /// The statement that undoes [`Grant::apply_sql`].
    pub fn undo_sql(&self) -> String {
        if self.revoked {
            give(self)
        } else {
            take(self)
        }
    }
}

impl std::fmt::Display for Grant {
    /// `SELECT on table "app"."t" to "reader"`, `revoked EXECUTE on function … from PUBLIC`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (verb, to) = if self.revoked {
            ("revoked ", "from")
        } else {
            ("", "to")
        };
        let option = if self.grantable {
            " with grant option"
        } else {
            ""
        };
        write!(
            f,
            "{verb}{} on {} {to} {}{option}",
            privilege(self),
            self.on,
            role(&self.grantee)
        )
    }
}

impl DefaultPrivilege {
    fn statement(&self, grant: bool) -> String {
        let schema = match &self.schema {
            Some(s) => format!(" IN SCHEMA {}", quote_ident(s)),
            None => String::new(),
        };
        let head = format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {}{schema}",
            quote_ident(&self.role)
        );
        if grant {
            let option = if self.grantable {
                " WITH GRANT OPTION"
            } else {
                ""
            };
            format!(
                "{head} GRANT {} ON {} TO {}{option};",
                self.privilege,
                self.objects,
                role(&self.grantee)
            )
        } else {
            format!(
                "{head} REVOKE {} ON {} FROM {};",
                self.privilege,
                self.objects,
                role(&self.grantee)
            )
        }
    }

    pub fn apply_sql(&self) -> String {
        self.statement(!self.revoked)
    }

    pub fn undo_sql(&self) -> String {
        self.statement(self.revoked)
    }
}

impl std::fmt::Display for DefaultPrivilege {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.apply_sql();
        write!(f, "default privilege: {}", text.trim_end_matches(';'))
    }
}

impl Owner {
    /// `ALTER TABLE "s"."t" OWNER TO "r";` (`ROUTINE` for functions and procedures).
    pub fn sql(&self, owner: &str) -> String {
        let target = match self.on.kind {
            ObjectKind::Schema => format!("SCHEMA {}", quote_ident(&self.on.name.name)),
            ObjectKind::Function => format!(
                "ROUTINE {}({})",
                self.on.name,
                self.on.arguments.as_deref().unwrap_or("")
            ),
            kind => format!("{} {}", kind.sql_name(), self.on.name),
        };
        let owner = if owner == "CURRENT_USER" {
            owner.to_owned()
        } else {
            quote_ident(owner)
        };
        format!("ALTER {target} OWNER TO {owner};")
    }
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "owner of {}: {}", self.on, quote_ident(&self.owner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_core::QualifiedName;

    #[test]
    fn statements_are_quoted_and_inverse() {
        let on = ObjectRef::new(ObjectKind::Table, QualifiedName::new(Some("a\"b"), "t t"));
        let g = Grant {
            on: on.clone(),
            column: Some("order".into()),
            grantee: "Reader".into(),
            privilege: "SELECT".into(),
            grantable: true,
            revoked: false,
        };
        assert_eq!(
            g.apply_sql(),
            r#"GRANT SELECT ("order") ON TABLE "a""b"."t t" TO "Reader" WITH GRANT OPTION;"#
        );
        assert_eq!(
            g.undo_sql(),
            r#"REVOKE SELECT ("order") ON TABLE "a""b"."t t" FROM "Reader";"#
        );
        let mut f = ObjectRef::new(ObjectKind::Function, QualifiedName::new(Some("app"), "f"));
        f.arguments = Some("integer".into());
        let r = Grant {
            on: f.clone(),
            column: None,
            grantee: "PUBLIC".into(),
            privilege: "EXECUTE".into(),
            grantable: false,
            revoked: true,
        };
        assert_eq!(
            r.apply_sql(),
            r#"REVOKE EXECUTE ON ROUTINE "app"."f"(integer) FROM PUBLIC;"#
        );
        assert_eq!(
            r.undo_sql(),
            r#"GRANT EXECUTE ON ROUTINE "app"."f"(integer) TO PUBLIC;"#
        );
        let d = DefaultPrivilege {
            role: "o'wner".into(),
            schema: Some("app".into()),
            objects: "TABLES".into(),
            grantee: "r".into(),
            privilege: "SELECT".into(),
            grantable: false,
            revoked: false,
        };
        assert_eq!(
            d.apply_sql(),
            r#"ALTER DEFAULT PRIVILEGES FOR ROLE "o'wner" IN SCHEMA "app" GRANT SELECT ON TABLES TO "r";"#
        );
        assert!(d
            .undo_sql()
            .contains(r#" REVOKE SELECT ON TABLES FROM "r";"#));
        let o = Owner {
            on: f,
            owner: "x".into(),
        };
        assert_eq!(
            o.sql("x"),
            r#"ALTER ROUTINE "app"."f"(integer) OWNER TO "x";"#
        );
        assert_eq!(
            o.sql("CURRENT_USER"),
            r#"ALTER ROUTINE "app"."f"(integer) OWNER TO CURRENT_USER;"#
        );
    }
}
