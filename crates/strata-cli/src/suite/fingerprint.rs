//! A fingerprint of a scratch database's schema: one query whose text changes whenever anything
//! the schema model holds changes (and sometimes when it does not: then the full comparison
//! finds nothing). The stairway compares fingerprints and reads the whole model only when they
//! differ, so a migration whose down undoes its up costs one full read instead of three.

use crate::context::Connection;
use strata_engine::DbError;

/// Names, definitions and attributes of every object in the user's schemas, never oids (a
/// re-created object gets new ones); columns by name, not attnum or rank: a down that re-adds a
/// column the up dropped puts it last, which PostgreSQL cannot do otherwise (the stairway notes
/// the order only when something else differs). Functions of an extension count through the
/// extension's version.
const POSTGRES: &str = r#"SELECT md5(string_agg(x, E'\n' ORDER BY x)) FROM (
  SELECT concat_ws(' ', 'n', nspname) AS x FROM pg_catalog.pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'
  UNION ALL SELECT concat_ws(' ', 'e', extname, extversion, extnamespace::regnamespace) FROM pg_catalog.pg_extension
  UNION ALL SELECT concat_ws(' ', 'c', c.oid::regclass, c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity, c.relispartition, c.reloptions, pg_catalog.pg_get_expr(c.relpartbound, c.oid), pg_catalog.pg_get_partkeydef(c.oid),
      (SELECT string_agg(i.inhparent::regclass::text, ',' ORDER BY i.inhseqno) FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid),
      CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END,
      CASE WHEN c.relkind = 'i' THEN pg_catalog.pg_get_indexdef(c.oid) END,
      (SELECT x.indisvalid FROM pg_catalog.pg_index x WHERE x.indexrelid = c.oid))
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
  UNION ALL SELECT concat_ws(' ', 'a', a.attrelid::regclass, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, a.attgenerated, a.attislocal, a.attcollation, pg_catalog.pg_get_expr(d.adbin, d.adrelid))
    FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
  UNION ALL SELECT concat_ws(' ', 'k', conrelid::regclass, contypid::regtype, conname, contype, pg_catalog.pg_get_constraintdef(oid), convalidated, condeferrable, condeferred, conislocal, connoinherit)
    FROM pg_catalog.pg_constraint WHERE connamespace::regnamespace::text !~ '^pg_' AND connamespace::regnamespace::text <> 'information_schema'
  UNION ALL SELECT concat_ws(' ', 't', tgrelid::regclass, tgname, pg_catalog.pg_get_triggerdef(oid), tgenabled) FROM pg_catalog.pg_trigger WHERE NOT tgisinternal
  UNION ALL SELECT concat_ws(' ', 'p', p.oid::regprocedure, p.prokind, md5(p.prosrc), p.provolatile, p.proisstrict, p.prosecdef, p.proretset, p.proparallel, p.proleakproof, p.prorettype::regtype, p.proconfig, p.prolang, p.probin, p.proargnames, p.proargmodes::text, pg_catalog.pg_get_expr(p.proargdefaults, 0),
      (SELECT row(g.aggkind, g.aggnumdirectargs, g.aggtransfn::regproc, g.aggfinalfn::regproc, g.aggcombinefn::regproc, g.aggtranstype::regtype, g.agginitval, g.aggsortop)::text FROM pg_catalog.pg_aggregate g WHERE g.aggfnoid = p.oid))
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')
  UNION ALL SELECT concat_ws(' ', 'y', t.oid::regtype, t.typtype, t.typnotnull, t.typdefault, CASE WHEN t.typbasetype <> 0 THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END, t.typcollation,
      (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_catalog.pg_enum WHERE enumtypid = t.oid),
      (SELECT concat_ws(' ', rngsubtype::regtype, rngsubopc, rngcollation, rngcanonical, rngsubdiff) FROM pg_catalog.pg_range WHERE rngtypid = t.oid))
    FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND t.typtype IN ('e', 'd', 'r', 'm', 'c', 'b')
  UNION ALL SELECT concat_ws(' ', 'q', s.seqrelid::regclass, s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle,
      (SELECT concat_ws('.', d.refobjid::regclass, d.refobjsubid, d.deptype) FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = s.seqrelid AND d.deptype IN ('a', 'i') AND d.refclassid = 'pg_catalog.pg_class'::regclass LIMIT 1)) FROM pg_catalog.pg_sequence s
  UNION ALL SELECT concat_ws(' ', 'o', polrelid::regclass, polname, polcmd, polpermissive, polroles::regrole[], pg_catalog.pg_get_expr(polqual, polrelid), pg_catalog.pg_get_expr(polwithcheck, polrelid)) FROM pg_catalog.pg_policy
  UNION ALL SELECT concat_ws(' ', 'l', collname, collnamespace::regnamespace, collprovider, collcollate, collctype, collisdeterministic) FROM pg_catalog.pg_collation WHERE collnamespace::regnamespace::text !~ '^pg_' AND collnamespace::regnamespace::text <> 'information_schema'
  UNION ALL SELECT concat_ws(' ', 's', f.oid::regconfig, (SELECT string_agg(concat_ws(':', maptokentype, mapseqno, mapdict::regdictionary), ',' ORDER BY maptokentype, mapseqno) FROM pg_catalog.pg_ts_config_map m WHERE m.mapcfg = f.oid)) FROM pg_catalog.pg_ts_config f WHERE cfgnamespace::regnamespace::text !~ '^pg_'
  UNION ALL SELECT concat_ws(' ', 'd', pg_catalog.pg_describe_object(classoid, objoid, objsubid), description) FROM pg_catalog.pg_description WHERE objoid >= 16384
) f"#;

/// SQLite keeps each object's definition as text: the list of them is the fingerprint.
const SQLITE: &str = "SELECT group_concat(x, char(10)) FROM (SELECT type || ' ' || name || ' ' || tbl_name || ' ' || coalesce(sql, '') AS x FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY 1)";

/// The name of the prepared fingerprint query: planned once per session (the plan of this
/// query costs about as much as running it).
const PREPARED: &str = "strata_test_fingerprint";

/// Takes fingerprints on one session; [`Fingerprinter::reset`] after a new session.
#[derive(Default)]
pub struct Fingerprinter {
    prepared: bool,
}

impl Fingerprinter {
    /// The session changed: prepare the query again on the next fingerprint.
    pub fn reset(&mut self) {
        self.prepared = false;
    }

    /// The fingerprint of the schema `conn` holds now (within the session's open transaction,
    /// if any).
    pub fn take(&mut self, conn: &mut Connection) -> Result<String, DbError> {
        self.take_after(conn, "")
    }

    /// Runs `sql` (strata's own control SQL, say `COMMIT`), then takes the fingerprint, in one
    /// round trip.
    pub fn take_after(&mut self, conn: &mut Connection, sql: &str) -> Result<String, DbError> {
        use strata_engine::Database;
        let rows = match conn {
            Connection::Postgres(pg) => {
                if !self.prepared {
                    pg.execute(&format!("PREPARE {PREPARED} AS {POSTGRES}"))?;
                    self.prepared = true;
                }
                let sep = if sql.is_empty() { "" } else { ";\n" };
                pg.simple_query_rows(&format!("{sql}{sep}EXECUTE {PREPARED}"))?
            }
            Connection::Sqlite(db) if !sql.is_empty() => {
                db.execute(sql)?;
                return self.take(conn);
            }
            Connection::Sqlite(db) => {
                let text: Option<String> = db
                    .connection()
                    .query_row(SQLITE, [], |r| r.get(0))
                    .map_err(|e| DbError::msg(e.to_string()))?;
                vec![vec![text]]
            }
        };
        Ok(rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten())
            .unwrap_or_default())
    }
}
