//! How the stairway tells whether a down gave the schema back without reading the whole model.
//!
//! - A fingerprint of a scratch database's schema: one query whose text changes whenever
//!   anything the schema model holds changes (and sometimes when it does not: then the full
//!   comparison finds nothing). For SQLite, for the data check's steps, and for migrations that
//!   run outside a transaction.
//! - On PostgreSQL's lighter path, a comparison of only the catalog rows a step changed: the rows
//!   its transaction added against the rows it deleted or updated ([`Fingerprinter::raw_same`],
//!   then [`Fingerprinter::added`] and [`Fingerprinter::gone`]); its cost follows the size of the
//!   step, not of the schema.

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
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid >= 16384 AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
  UNION ALL SELECT concat_ws(' ', 'a', a.attrelid::regclass, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, a.attgenerated, a.attislocal, a.attcollation, pg_catalog.pg_get_expr(d.adbin, d.adrelid))
    FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid >= 16384 AND a.attnum > 0 AND NOT a.attisdropped AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
  UNION ALL SELECT concat_ws(' ', 'k', conrelid::regclass, contypid::regtype, conname, contype, pg_catalog.pg_get_constraintdef(oid), convalidated, condeferrable, condeferred, conislocal, connoinherit)
    FROM pg_catalog.pg_constraint WHERE oid >= 16384 AND connamespace::regnamespace::text !~ '^pg_' AND connamespace::regnamespace::text <> 'information_schema'
  UNION ALL SELECT concat_ws(' ', 't', tgrelid::regclass, tgname, pg_catalog.pg_get_triggerdef(oid), tgenabled) FROM pg_catalog.pg_trigger WHERE tgrelid >= 16384 AND NOT tgisinternal
  UNION ALL SELECT concat_ws(' ', 'p', p.oid::regprocedure, p.prokind, md5(btrim(regexp_replace(p.prosrc, '\s+', ' ', 'g'))), p.provolatile, p.proisstrict, p.prosecdef, p.proretset, p.proparallel, p.proleakproof, p.prorettype::regtype, p.proconfig, p.prolang, p.probin, p.proargnames, p.proargmodes::text, pg_catalog.pg_get_expr(p.proargdefaults, 0),
      (SELECT row(g.aggkind, g.aggnumdirectargs, g.aggtransfn::regproc, g.aggfinalfn::regproc, g.aggcombinefn::regproc, g.aggtranstype::regtype, g.agginitval, g.aggsortop)::text FROM pg_catalog.pg_aggregate g WHERE g.aggfnoid = p.oid))
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE p.oid >= 16384 AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')
  UNION ALL SELECT concat_ws(' ', 'y', t.oid::regtype, t.typtype, t.typnotnull, t.typdefault, CASE WHEN t.typbasetype <> 0 THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END, t.typcollation,
      (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_catalog.pg_enum WHERE enumtypid = t.oid),
      (SELECT concat_ws(' ', rngsubtype::regtype, rngsubopc, rngcollation, rngcanonical, rngsubdiff) FROM pg_catalog.pg_range WHERE rngtypid = t.oid))
    FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE t.oid >= 16384 AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND t.typtype IN ('e', 'd', 'r', 'm', 'c', 'b')
  UNION ALL SELECT concat_ws(' ', 'q', s.seqrelid::regclass, s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle,
      (SELECT concat_ws('.', d.refobjid::regclass, d.refobjsubid, d.deptype) FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = s.seqrelid AND d.deptype IN ('a', 'i') AND d.refclassid = 'pg_catalog.pg_class'::regclass LIMIT 1)) FROM pg_catalog.pg_sequence s
  UNION ALL SELECT concat_ws(' ', 'o', polrelid::regclass, polname, polcmd, polpermissive, polroles::regrole[], pg_catalog.pg_get_expr(polqual, polrelid), pg_catalog.pg_get_expr(polwithcheck, polrelid)) FROM pg_catalog.pg_policy
  UNION ALL SELECT concat_ws(' ', 'l', collname, collnamespace::regnamespace, collprovider, collcollate, collctype, collisdeterministic) FROM pg_catalog.pg_collation WHERE oid >= 16384 AND collnamespace::regnamespace::text !~ '^pg_' AND collnamespace::regnamespace::text <> 'information_schema'
  UNION ALL SELECT concat_ws(' ', 's', f.oid::regconfig, (SELECT string_agg(concat_ws(':', maptokentype, mapseqno, mapdict::regdictionary), ',' ORDER BY maptokentype, mapseqno) FROM pg_catalog.pg_ts_config_map m WHERE m.mapcfg = f.oid)) FROM pg_catalog.pg_ts_config f WHERE f.oid >= 16384 AND cfgnamespace::regnamespace::text !~ '^pg_'
  UNION ALL SELECT concat_ws(' ', 'd', pg_catalog.pg_describe_object(classoid, objoid, objsubid), description) FROM pg_catalog.pg_description WHERE objoid >= 16384
) f"#;

/// The catalog rows of the user's schemas, one line each, that a filter on the row (`{F}`, on
/// the alias `t`) selects: each line names what it describes (never by oid: a re-created object
/// gets new ones) and depends on that row alone, and on the names of the objects it refers to.
/// Objects PostgreSQL itself creates have oids below 16384, which lets the larger catalogs be
/// read through their indexes.
/// Lines, not a hash: the stairway compares the rows a step added with the rows it removed (see
/// [`Fingerprinter::added`]). Columns by name, not number, as in [`POSTGRES`].
const DELTA: &str = r#"SELECT x FROM (
  SELECT concat_ws(' ', 'n', t.nspname, t.nspowner::regrole, t.nspacl) AS x FROM pg_catalog.pg_namespace t WHERE {F} AND t.nspname !~ '^pg_' AND t.nspname <> 'information_schema'
  UNION ALL SELECT concat_ws(' ', 'e', t.extname, t.extversion, t.extnamespace::regnamespace) FROM pg_catalog.pg_extension t WHERE {F}
  UNION ALL SELECT concat_ws(' ', 'c', t.oid::regclass, t.relkind, t.relpersistence, t.relrowsecurity, t.relforcerowsecurity, t.relispartition, t.reloptions, t.relowner::regrole, t.relacl, pg_catalog.pg_get_expr(t.relpartbound, t.oid))
    FROM pg_catalog.pg_class t WHERE t.oid >= 16384 AND {F} AND t.relnamespace::regnamespace::text !~ '^pg_' AND t.relnamespace::regnamespace::text <> 'information_schema'
  UNION ALL SELECT concat_ws(' ', 'a', t.attrelid::regclass, t.attname, pg_catalog.format_type(t.atttypid, t.atttypmod), t.attnotnull, t.attidentity, t.attgenerated, t.attislocal, t.attacl,
      (SELECT l.collname FROM pg_catalog.pg_collation l WHERE l.oid = t.attcollation))
    FROM pg_catalog.pg_attribute t WHERE t.attrelid >= 16384 AND {F} AND t.attnum > 0 AND NOT t.attisdropped AND t.attrelid::regclass::text !~ '^(pg_|information_schema\.)'
      AND (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.attrelid) NOT IN ('i', 'I', 'S')
  UNION ALL SELECT concat_ws(' ', 'f', t.adrelid::regclass, (SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.adrelid AND a.attnum = t.adnum), pg_catalog.pg_get_expr(t.adbin, t.adrelid))
    FROM pg_catalog.pg_attrdef t WHERE t.adrelid >= 16384 AND {F} AND t.adrelid::regclass::text !~ '^(pg_|information_schema\.)'
  UNION ALL SELECT concat_ws(' ', 'i', t.indexrelid::regclass, pg_catalog.pg_get_indexdef(t.indexrelid), t.indisvalid, t.indisclustered, t.indisreplident)
    FROM pg_catalog.pg_index t WHERE t.indrelid >= 16384 AND {F} AND t.indexrelid::regclass::text !~ '^(pg_|information_schema\.)'
  UNION ALL SELECT concat_ws(' ', 'h', t.inhrelid::regclass, t.inhparent::regclass, t.inhseqno) FROM pg_catalog.pg_inherits t WHERE {F}
  UNION ALL SELECT concat_ws(' ', 'k', t.partrelid::regclass, pg_catalog.pg_get_partkeydef(t.partrelid)) FROM pg_catalog.pg_partitioned_table t WHERE {F}
  UNION ALL SELECT concat_ws(' ', 'r', t.ev_class::regclass, t.rulename, t.ev_type, t.ev_enabled,
      CASE WHEN t.rulename = '_RETURN' THEN pg_catalog.pg_get_viewdef(t.ev_class) ELSE pg_catalog.pg_get_ruledef(t.oid) END)
    FROM pg_catalog.pg_rewrite t WHERE t.ev_class >= 16384 AND {F} AND t.ev_class::regclass::text !~ '^(pg_|information_schema\.)'
  UNION ALL SELECT concat_ws(' ', 'o', t.conrelid::regclass, t.contypid::regtype, t.conname, t.contype, pg_catalog.pg_get_constraintdef(t.oid), t.convalidated, t.condeferrable, t.condeferred, t.conislocal, t.connoinherit)
    FROM pg_catalog.pg_constraint t WHERE t.oid >= 16384 AND {F} AND t.connamespace::regnamespace::text !~ '^pg_' AND t.connamespace::regnamespace::text <> 'information_schema'
  UNION ALL SELECT concat_ws(' ', 't', t.tgrelid::regclass, t.tgname, pg_catalog.pg_get_triggerdef(t.oid), t.tgenabled) FROM pg_catalog.pg_trigger t WHERE t.tgrelid >= 16384 AND {F} AND NOT t.tgisinternal
  UNION ALL SELECT concat_ws(' ', 'p', t.oid::regprocedure, t.prokind, md5(btrim(regexp_replace(t.prosrc, '\s+', ' ', 'g'))), t.provolatile, t.proisstrict, t.prosecdef, t.proretset, t.proparallel, t.proleakproof, t.prorettype::regtype, t.proconfig, t.prolang, t.probin, t.proargnames, t.proargmodes::text, pg_catalog.pg_get_expr(t.proargdefaults, 0), t.proowner::regrole, t.proacl)
    FROM pg_catalog.pg_proc t WHERE t.oid >= 16384 AND {F} AND t.pronamespace::regnamespace::text !~ '^pg_' AND t.pronamespace::regnamespace::text <> 'information_schema'
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.pg_proc'::regclass AND e.objid = t.oid AND e.deptype = 'e')
  UNION ALL SELECT concat_ws(' ', 'g', t.aggfnoid::regprocedure, t.aggkind, t.aggnumdirectargs, t.aggtransfn::regproc, t.aggfinalfn::regproc, t.aggcombinefn::regproc, t.aggtranstype::regtype, t.agginitval, t.aggsortop::regoperator)
    FROM pg_catalog.pg_aggregate t WHERE t.aggfnoid >= 16384 AND {F}
  UNION ALL SELECT concat_ws(' ', 'y', t.oid::regtype, t.typtype, t.typnotnull, t.typdefault, CASE WHEN t.typbasetype <> 0 THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END, t.typowner::regrole, t.typacl,
      (SELECT l.collname FROM pg_catalog.pg_collation l WHERE l.oid = t.typcollation))
    FROM pg_catalog.pg_type t WHERE t.oid >= 16384 AND {F} AND t.typtype IN ('e', 'd', 'r', 'm', 'c', 'b') AND t.typnamespace::regnamespace::text !~ '^pg_' AND t.typnamespace::regnamespace::text <> 'information_schema'
  UNION ALL SELECT concat_ws(' ', 'u', t.enumtypid::regtype, t.enumlabel, t.enumsortorder) FROM pg_catalog.pg_enum t WHERE t.enumtypid >= 16384 AND {F}
  UNION ALL SELECT concat_ws(' ', 'w', t.rngtypid::regtype, t.rngsubtype::regtype, (SELECT o.opcname FROM pg_catalog.pg_opclass o WHERE o.oid = t.rngsubopc), t.rngcanonical::regproc, t.rngsubdiff::regproc,
      (SELECT l.collname FROM pg_catalog.pg_collation l WHERE l.oid = t.rngcollation))
    FROM pg_catalog.pg_range t WHERE {F}
  UNION ALL SELECT concat_ws(' ', 'q', t.seqrelid::regclass, t.seqtypid::regtype, t.seqstart, t.seqincrement, t.seqmax, t.seqmin, t.seqcache, t.seqcycle) FROM pg_catalog.pg_sequence t WHERE {F}
  UNION ALL SELECT concat_ws(' ', 'v', t.objid::regclass, t.refobjid::regclass, t.deptype, (SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.refobjid AND a.attnum = t.refobjsubid))
    FROM pg_catalog.pg_depend t WHERE t.objid >= 16384 AND {F} AND t.classid = 'pg_catalog.pg_class'::regclass AND t.refclassid = 'pg_catalog.pg_class'::regclass AND t.deptype IN ('a', 'i')
      AND EXISTS (SELECT 1 FROM pg_catalog.pg_sequence s WHERE s.seqrelid = t.objid)
  UNION ALL SELECT concat_ws(' ', 'l', t.polrelid::regclass, t.polname, t.polcmd, t.polpermissive, t.polroles::regrole[], pg_catalog.pg_get_expr(t.polqual, t.polrelid), pg_catalog.pg_get_expr(t.polwithcheck, t.polrelid)) FROM pg_catalog.pg_policy t WHERE {F}
  UNION ALL SELECT concat_ws(' ', 'x', t.collname, t.collnamespace::regnamespace, t.collprovider, t.collcollate, t.collctype, t.collisdeterministic) FROM pg_catalog.pg_collation t WHERE t.oid >= 16384 AND {F} AND t.collnamespace::regnamespace::text !~ '^pg_' AND t.collnamespace::regnamespace::text <> 'information_schema'
  UNION ALL SELECT concat_ws(' ', 's', t.oid::regconfig, (SELECT r.prsname FROM pg_catalog.pg_ts_parser r WHERE r.oid = t.cfgparser)) FROM pg_catalog.pg_ts_config t WHERE {F} AND t.cfgnamespace::regnamespace::text !~ '^pg_'
  UNION ALL SELECT concat_ws(' ', 'm', t.mapcfg::regconfig, t.maptokentype, t.mapseqno, t.mapdict::regdictionary) FROM pg_catalog.pg_ts_config_map t WHERE t.mapcfg >= 16384 AND {F}
  UNION ALL SELECT concat_ws(' ', 'z', pg_catalog.pg_get_statisticsobjdef(t.oid), t.stxkind) FROM pg_catalog.pg_statistic_ext t WHERE {F}
  UNION ALL SELECT concat_ws(' ', 'j', t.defaclrole::regrole, NULLIF(t.defaclnamespace, 0)::regnamespace, t.defaclobjtype, t.defaclacl) FROM pg_catalog.pg_default_acl t WHERE {F}
  UNION ALL SELECT concat_ws(' ', 'd', pg_catalog.pg_describe_object(t.classoid, t.objoid, t.objsubid), t.description) FROM pg_catalog.pg_description t WHERE {F} AND t.objoid >= 16384
) f"#;

/// The raw form of [`DELTA`], for a second session that reads the rows a step deleted while the
/// step's transaction is still open: each row as JSON without its own oid and the columns
/// PostgreSQL updates as a side effect (sizes, `relnatts`, `relhasindex`, …), and no function
/// that renders a definition (`pg_get_*def` and `pg_get_expr` lock the relation, which the
/// open transaction may hold). Equal lines mean equal rows; different lines may still be equal
/// definitions (a re-created object referred to by its new oid), which [`DELTA`] then decides.
/// The schema of each row is read through its namespace's oid, never through `search_path`;
/// expression trees lose their `:location` (where in its statement an expression was written).
const RAW: &str = r#"SELECT pg_catalog.regexp_replace(x, ':location -?[0-9]+', '', 'g') FROM (
  SELECT 'n ' || (to_jsonb(t) - 'oid')::text AS x FROM pg_catalog.pg_namespace t WHERE {F} AND t.nspname !~ '^pg_' AND t.nspname <> 'information_schema'
  UNION ALL SELECT 'e ' || (to_jsonb(t) - 'oid')::text FROM pg_catalog.pg_extension t WHERE {F}
  UNION ALL SELECT 'c ' || (to_jsonb(t) - '{oid,relfilenode,relpages,reltuples,relallvisible,relfrozenxid,relminmxid,relhasindex,relhastriggers,relhasrules,relhassubclass,relnatts,reltoastrelid,relrewrite}'::text[])::text
    FROM pg_catalog.pg_class t WHERE t.oid >= 16384 AND {F} AND t.relnamespace::regnamespace::text !~ '^pg_' AND t.relnamespace::regnamespace::text <> 'information_schema'
  UNION ALL SELECT 'a ' || (to_jsonb(t) - 'attoptions')::text FROM pg_catalog.pg_attribute t WHERE t.attrelid >= 16384 AND {F} AND t.attnum > 0 AND NOT t.attisdropped
      AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = t.attrelid AND c.relkind NOT IN ('i', 'I', 'S') AND c.relnamespace::regnamespace::text !~ '^pg_' AND c.relnamespace::regnamespace::text <> 'information_schema')
  UNION ALL SELECT 'f ' || (to_jsonb(t) - 'oid')::text FROM pg_catalog.pg_attrdef t WHERE t.adrelid >= 16384 AND {F}
  UNION ALL SELECT 'i ' || (to_jsonb(t) - '{indexrelid,indcheckxmin}'::text[])::text FROM pg_catalog.pg_index t WHERE t.indrelid >= 16384 AND {F}
      AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = t.indrelid AND c.relnamespace::regnamespace::text !~ '^pg_' AND c.relnamespace::regnamespace::text <> 'information_schema')
  UNION ALL SELECT 'h ' || to_jsonb(t)::text FROM pg_catalog.pg_inherits t WHERE {F}
  UNION ALL SELECT 'k ' || to_jsonb(t)::text FROM pg_catalog.pg_partitioned_table t WHERE {F}
  UNION ALL SELECT 'r ' || (to_jsonb(t) - 'oid')::text FROM pg_catalog.pg_rewrite t WHERE t.ev_class >= 16384 AND {F}
      AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = t.ev_class AND c.relnamespace::regnamespace::text !~ '^pg_' AND c.relnamespace::regnamespace::text <> 'information_schema')
  UNION ALL SELECT 'o ' || (to_jsonb(t) - 'oid')::text FROM pg_catalog.pg_constraint t WHERE t.oid >= 16384 AND {F} AND t.connamespace::regnamespace::text !~ '^pg_' AND t.connamespace::regnamespace::text <> 'information_schema'
  UNION ALL SELECT 't ' || (to_jsonb(t) - 'oid')::text FROM pg_catalog.pg_trigger t WHERE t.tgrelid >= 16384 AND {F} AND NOT t.tgisinternal
  UNION ALL SELECT 'p ' || (to_jsonb(t) - 'oid')::text FROM pg_catalog.pg_proc t WHERE t.oid >= 16384 AND {F} AND t.pronamespace::regnamespace::text !~ '^pg_' AND t.pronamespace::regnamespace::text <> 'information_schema'
  UNION ALL SELECT 'g ' || to_jsonb(t)::text FROM pg_catalog.pg_aggregate t WHERE t.aggfnoid >= 16384 AND {F}
  UNION ALL SELECT 'y ' || (to_jsonb(t) - 'oid')::text FROM pg_catalog.pg_type t WHERE t.oid >= 16384 AND {F} AND t.typtype IN ('e', 'd', 'r', 'm', 'c', 'b') AND t.typnamespace::regnamespace::text !~ '^pg_' AND t.typnamespace::regnamespace::text <> 'information_schema'
  UNION ALL SELECT 'u ' || (to_jsonb(t) - 'oid')::text FROM pg_catalog.pg_enum t WHERE t.enumtypid >= 16384 AND {F}
  UNION ALL SELECT 'w ' || to_jsonb(t)::text FROM pg_catalog.pg_range t WHERE {F}
  UNION ALL SELECT 'q ' || to_jsonb(t)::text FROM pg_catalog.pg_sequence t WHERE {F}
  UNION ALL SELECT 'v ' || to_jsonb(t)::text FROM pg_catalog.pg_depend t WHERE t.objid >= 16384 AND {F} AND t.classid = 'pg_catalog.pg_class'::regclass AND t.refclassid = 'pg_catalog.pg_class'::regclass AND t.deptype IN ('a', 'i')
      AND EXISTS (SELECT 1 FROM pg_catalog.pg_sequence s WHERE s.seqrelid = t.objid)
  UNION ALL SELECT 'l ' || (to_jsonb(t) - 'oid')::text FROM pg_catalog.pg_policy t WHERE {F}
  UNION ALL SELECT 'x ' || (to_jsonb(t) - 'oid')::text FROM pg_catalog.pg_collation t WHERE t.oid >= 16384 AND {F} AND t.collnamespace::regnamespace::text !~ '^pg_' AND t.collnamespace::regnamespace::text <> 'information_schema'
  UNION ALL SELECT 's ' || (to_jsonb(t) - 'oid')::text FROM pg_catalog.pg_ts_config t WHERE {F} AND t.cfgnamespace::regnamespace::text !~ '^pg_'
  UNION ALL SELECT 'm ' || to_jsonb(t)::text FROM pg_catalog.pg_ts_config_map t WHERE t.mapcfg >= 16384 AND {F}
  UNION ALL SELECT 'z ' || (to_jsonb(t) - 'oid')::text FROM pg_catalog.pg_statistic_ext t WHERE {F}
  UNION ALL SELECT 'j ' || (to_jsonb(t) - 'oid')::text FROM pg_catalog.pg_default_acl t WHERE {F}
  UNION ALL SELECT 'd ' || to_jsonb(t)::text FROM pg_catalog.pg_description t WHERE {F} AND t.objoid >= 16384
) f"#;

/// SQLite keeps each object's definition as text: the list of them is the fingerprint.
const SQLITE: &str = "SELECT group_concat(x, char(10)) FROM (SELECT type || ' ' || name || ' ' || tbl_name || ' ' || coalesce(sql, '') AS x FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY 1)";

/// The name of the prepared fingerprint query: planned once per session (the plan of this
/// query costs about as much as running it).
const PREPARED: &str = "strata_test_fingerprint";

/// The rows a transaction added and that are still there: their `xmin` is the transaction's
/// (or one of its subtransactions', newer than it), which `age` counts as zero or less.
const ADDED: &str = "strata_test_added";
/// The rows a rolled-back part of the transaction had deleted (or updated): their `xmax` is one
/// of its subtransactions', which are newer than the transaction's own id (`$1`).
const GONE: &str = "strata_test_gone";

/// Ids of subtransactions above this are too close to the 32-bit counter's wrap to compare as
/// numbers (the comparison is then left to the full models).
const WRAP_MARGIN: i64 = (1 << 32) - (1 << 24);

const RAW_ADDED: &str = "strata_test_raw_added";
const RAW_GONE: &str = "strata_test_raw_gone";
/// Rows deleted (or updated) by the transaction whose id is `$1` or by its subtransactions,
/// whose ids are larger: on the scratch database nobody else writes.
const GONE_SINCE: &str = "t.xmax <> '0'::xid AND t.xmax::text::bigint >= $1";

/// Takes fingerprints on one session; [`Fingerprinter::reset`] after a new session.
#[derive(Default)]
pub struct Fingerprinter {
    prepared: bool,
    prepared_delta: bool,
    /// A second session on the scratch database (see [`Fingerprinter::raw_same`]).
    observer: Option<strata_postgres::Postgres>,
    observer_prepared: bool,
}

impl Fingerprinter {
    /// The session changed: prepare the queries again on their next use.
    pub fn reset(&mut self) {
        self.prepared = false;
        self.prepared_delta = false;
    }

    /// Prepares the step comparison's queries on the scratch session, once per session (outside
    /// a transaction).
    pub fn prepare_delta(&mut self, conn: &mut Connection) -> Result<(), DbError> {
        if !self.prepared_delta {
            let added = DELTA.replace("{F}", "pg_catalog.age(t.xmin) <= 0");
            let gone = DELTA.replace("{F}", "t.xmax <> '0'::xid AND t.xmax::text::bigint >= $1");
            let raw = RAW.replace("{F}", "pg_catalog.age(t.xmin) <= 0");
            conn.db().execute(&format!(
                "PREPARE {ADDED} AS {added};\nPREPARE {GONE}(bigint) AS {gone};\n\
                 PREPARE {RAW_ADDED} AS {raw}"
            ))?;
            self.prepared_delta = true;
        }
        Ok(())
    }

    /// The lines of the catalog rows the open transaction added and still has (sorted).
    pub fn added(&mut self, conn: &mut Connection) -> Result<Vec<String>, DbError> {
        // In a savepoint of its own: `SET LOCAL` ends with it (names come out qualified).
        self.lines(
            conn,
            &format!(
                "SAVEPOINT strata_test_scan; SET LOCAL search_path = ''; EXECUTE {ADDED}; \
                 ROLLBACK TO SAVEPOINT strata_test_scan; RELEASE SAVEPOINT strata_test_scan"
            ),
        )
    }

    /// `rollback` (strata's SQL that rolls the transaction back to a savepoint below the step),
    /// then the lines of the catalog rows that the rolled-back part had deleted or updated
    /// (sorted), in one round trip; `None` when the ids cannot be compared. Those rows carry the
    /// id of one of the step's subtransactions as their `xmax`, larger than the transaction's
    /// own id (PostgreSQL gives a transaction its id before its subtransactions theirs).
    pub fn gone(
        &mut self,
        conn: &mut Connection,
        rollback: &str,
    ) -> Result<Option<Vec<String>>, DbError> {
        const XID: &str = "pg_catalog.txid_current() % 4294967296";
        let Connection::Postgres(pg) = conn else {
            return Err(DbError::msg("the step comparison is for PostgreSQL"));
        };
        let mut rows = pg
            .simple_query_rows(&format!(
                "{rollback}; SAVEPOINT strata_test_scan; SET LOCAL search_path = ''; SELECT {XID}; \
                 EXECUTE {GONE}({XID}); ROLLBACK TO SAVEPOINT strata_test_scan; \
                 RELEASE SAVEPOINT strata_test_scan"
            ))?
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten());
        let xid: i64 = rows
            .next()
            .and_then(|x| x.parse().ok())
            .ok_or_else(|| DbError::msg("could not read the transaction's id"))?;
        if xid >= WRAP_MARGIN {
            return Ok(None);
        }
        let mut lines: Vec<String> = rows.collect();
        lines.sort_unstable();
        Ok(Some(lines))
    }

    /// PostgreSQL: `BEGIN`, a savepoint `savepoint` below everything the step will do, and the
    /// transaction's id (the low 32 bits, as `xmin` and `xmax` hold it), in one round trip.
    pub fn begin(&mut self, conn: &mut Connection, savepoint: &str) -> Result<i64, DbError> {
        let Connection::Postgres(pg) = conn else {
            return Err(DbError::msg("the step comparison is for PostgreSQL"));
        };
        pg.simple_query_rows(&format!(
            "BEGIN; SELECT pg_catalog.txid_current() % 4294967296; SAVEPOINT {savepoint}"
        ))?
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
        .and_then(|x| x.parse().ok())
        .ok_or_else(|| DbError::msg("could not read the transaction's id"))
    }

    /// A second session on the scratch database, which sees it as it was before the open
    /// transaction of the first.
    pub fn observe(&mut self, observer: strata_postgres::Postgres) {
        self.observer = Some(observer);
        self.observer_prepared = false;
    }

    /// Whether the open transaction (an up and its down) left the catalogs as they were, row
    /// for row, read without rolling anything back: the rows it added (read here) against the
    /// rows it deleted, which the observer still sees, marked with the transaction's (or its
    /// subtransactions') id as their `xmax`; the two are read at the same time. `Some(true)`:
    /// the schema is back; `Some(false)`: it may not be (the rows differ, or only in the oids of
    /// re-created objects); `None`: no observer.
    pub fn raw_same(&mut self, conn: &mut Connection, xid: i64) -> Result<Option<bool>, DbError> {
        let Some(observer) = &mut self.observer else {
            return Ok(None);
        };
        if xid >= WRAP_MARGIN {
            return Ok(None);
        }
        let Connection::Postgres(pg) = conn else {
            return Ok(None);
        };
        if !self.observer_prepared {
            // Planned once: its plan does not depend on the id it is given.
            strata_engine::Database::execute(
                observer,
                &format!(
                    "SET plan_cache_mode = force_generic_plan;\nPREPARE {RAW_GONE}(bigint) AS {}",
                    RAW.replace("{F}", GONE_SINCE)
                ),
            )?;
            self.observer_prepared = true;
        }
        let lines = |rows: Vec<Vec<Option<String>>>| {
            let mut lines: Vec<String> = rows
                .into_iter()
                .filter_map(|r| r.into_iter().next().flatten())
                .collect();
            lines.sort_unstable();
            lines
        };
        let (added, gone) = std::thread::scope(|scope| {
            let gone =
                scope.spawn(|| observer.simple_query_rows(&format!("EXECUTE {RAW_GONE}({xid})")));
            let added = pg.simple_query_rows(&format!("EXECUTE {RAW_ADDED}"));
            let gone = gone
                .join()
                .unwrap_or_else(|_| Err(DbError::msg("the observer session failed")));
            (added, gone)
        });
        let (added, gone) = (lines(added?), lines(gone?));
        Ok(Some(added == gone))
    }

    fn lines(&mut self, conn: &mut Connection, sql: &str) -> Result<Vec<String>, DbError> {
        let Connection::Postgres(pg) = conn else {
            return Err(DbError::msg("the step comparison is for PostgreSQL"));
        };
        let mut lines: Vec<String> = pg
            .simple_query_rows(sql)?
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect();
        lines.sort_unstable();
        Ok(lines)
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
