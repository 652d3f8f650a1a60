//! Scratch ("shadow") databases for the desired state: the schema files, or the
//! migrations up to a revision, are applied there and read back, so PostgreSQL itself interprets
//! the DDL.
//!
//! [`TempDatabase`] creates a database on the target server and drops it when it goes out of scope
//! (also when the command fails); [`drop_database`] is what a Ctrl-C handler calls for the same
//! name. [`reset`] empties a configured `shadow_url` database before and after use.

use crate::{ConnectOptions, Postgres};
use strata_core::{quote_ident, quote_literal};
use strata_engine::{Database, DbError};

/// Every temporary database strata creates starts with this.
pub const PREFIX: &str = "strata_shadow_";

/// A database created for one command and dropped afterwards.
pub struct TempDatabase {
    url: String,
    name: String,
    dropped: bool,
}

impl TempDatabase {
    /// Creates `strata_shadow_<pid>_<n>` on the server of `url` (from `template0`, so it is
    /// empty whatever `template1` holds). Needs the CREATEDB privilege.
    pub fn create(url: &str) -> Result<TempDatabase, DbError> {
        let mut admin = connect_admin(url)?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!("{PREFIX}{}_{nanos}", std::process::id());
        admin
            .execute(&format!(
                "CREATE DATABASE {} TEMPLATE template0",
                quote_ident(&name)
            ))
            .map_err(|mut e| {
                e.message = format!("could not create the shadow database: {}", e.message);
                if e.code.as_deref() == Some("42501") {
                    e.hint = Some("grant the role CREATEDB, or set `shadow_url` in strata.toml to a scratch database strata may empty".into());
                }
                e
            })?;
        Ok(TempDatabase {
            url: url.to_owned(),
            name,
            dropped: false,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A new connection to the temporary database.
    pub fn connect(&self) -> Result<Postgres, DbError> {
        Postgres::connect(
            &self.url,
            &ConnectOptions {
                dbname: Some(self.name.clone()),
                ..ConnectOptions::default()
            },
        )
    }

    /// Drops the database now, reporting failure (dropping the value does the same silently).
    pub fn drop_now(mut self) -> Result<(), DbError> {
        self.dropped = true;
        drop_database(&self.url, &self.name)
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        if !self.dropped {
            self.dropped = true;
            let _ = drop_database(&self.url, &self.name);
        }
    }
}

/// Connects to the server of `url` for administration: its own database, or `postgres` when that
/// does not exist yet.
fn connect_admin(url: &str) -> Result<Postgres, DbError> {
    match Postgres::connect(url, &ConnectOptions::default()) {
        Err(e) if e.message.contains("does not exist") => Postgres::connect(
            url,
            &ConnectOptions {
                dbname: Some("postgres".into()),
                ..ConnectOptions::default()
            },
        ),
        other => other,
    }
}

/// Drops database `name` on the server of `url`, ending the sessions still connected to it.
pub fn drop_database(url: &str, name: &str) -> Result<(), DbError> {
    let mut admin = connect_admin(url)?;
    let sql = if admin.server_version >= 130000 {
        format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name))
    } else {
        admin.execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {} AND pid <> pg_backend_pid()",
            quote_literal(name)
        ))?;
        format!("DROP DATABASE IF EXISTS {}", quote_ident(name))
    };
    admin.execute(&sql)
}

/// How a fresh database has its `public` schema: the SQL that gives a re-created `public` the
/// owner, privileges and comment of `template1`'s (which `CREATE DATABASE` copies), or `None` when
/// `template1` has no `public` schema.
fn public_as_template(url: &str, server_version: u32) -> Result<Option<String>, DbError> {
    const QUERY: &str = "SELECT format('CREATE SCHEMA public AUTHORIZATION %I;', pg_catalog.pg_get_userbyid(n.nspowner)) \
         || coalesce((SELECT string_agg(format(E'\\nGRANT %s ON SCHEMA public TO %s%s;', a.privilege_type, \
                CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END, \
                CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END), '' ORDER BY a.grantee, a.privilege_type) \
              FROM pg_catalog.aclexplode(n.nspacl) a WHERE a.grantee <> n.nspowner), '') \
         || coalesce(format(E'\\nCOMMENT ON SCHEMA public IS %L;', pg_catalog.obj_description(n.oid, 'pg_namespace')), '') \
         FROM pg_catalog.pg_namespace n WHERE n.nspname = 'public'";
    match Postgres::connect(
        url,
        &ConnectOptions {
            dbname: Some("template1".into()),
            ..ConnectOptions::default()
        },
    ) {
        Ok(mut template) => {
            let rows = template.simple_query_rows(QUERY)?;
            Ok(rows
                .into_iter()
                .next()
                .and_then(|r| r.into_iter().next().flatten()))
        }
        // template1 refuses connections: what PostgreSQL's own template1 holds.
        Err(e) if !e.connection || e.code.is_some() => {
            let mut sql = String::from("CREATE SCHEMA public;");
            if server_version >= 150000 {
                sql = "CREATE SCHEMA public AUTHORIZATION pg_database_owner;\nGRANT USAGE ON SCHEMA public TO PUBLIC;".into();
            } else {
                sql.push_str("\nGRANT CREATE, USAGE ON SCHEMA public TO PUBLIC;");
            }
            sql.push_str("\nCOMMENT ON SCHEMA public IS 'standard public schema';");
            Ok(Some(sql))
        }
        Err(e) => Err(e),
    }
}

/// Empties a scratch database: drops every schema but PostgreSQL's own (with what they hold), then
/// re-creates `public` as a fresh database has it (owner, privileges and comment as `template1`
/// has them), so the emptied database reads exactly like a new one. `url` is the scratch
/// database's URL (`template1` is read on the same server).
pub fn reset(pg: &mut Postgres, url: &str) -> Result<(), DbError> {
    let rows = pg.simple_query_rows(
        "SELECT nspname FROM pg_catalog.pg_namespace \
         WHERE nspname <> 'information_schema' AND nspname !~ '^pg_' ORDER BY 1",
    )?;
    let mut sql = String::new();
    for row in rows {
        if let Some(Some(schema)) = row.into_iter().next() {
            sql.push_str(&format!("DROP SCHEMA {} CASCADE;\n", quote_ident(&schema)));
        }
    }
    if let Some(public) = public_as_template(url, pg.server_version)? {
        sql.push_str(&public);
    }
    pg.execute(&sql)
}
