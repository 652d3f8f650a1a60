//! Reads a [`Schema`] from PostgreSQL's catalogs: one query per kind of object, all in one
//! read-only repeatable-read transaction (a consistent snapshot), with an empty `search_path` so
//! that every name in PostgreSQL's own text (`format_type`, `pg_get_expr`, `pg_get_*def`) comes
//! out schema-qualified and quoted — as `pg_dump` does.
//!
//! Left out: the system schemas (`pg_*`, `information_schema`), objects that belong to an
//! extension (`pg_depend.deptype = 'e'`; the extension itself is listed), the `plpgsql`
//! extension every database has, strata's own tables ([`IntrospectOptions::exclude_tables`]) and
//! what hangs off them, identity sequences (part of their column), constraint indexes (part of
//! their constraint), functions PostgreSQL generates for a type (range constructors), internal
//! triggers, and what partitions and children inherit without declaring it themselves (re-created
//! with their parent's).
//!
//! Objects of kinds the model does not cover are listed in [`Schema::not_modelled`]
//! (`not_modelled.rs`), so that commands report them instead of dropping them silently.

use crate::Postgres;
use postgres::Row;
use std::collections::{HashMap, HashSet};
use strata_core::QualifiedName;
use strata_engine::DbError;
use strata_schema::*;

/// What to leave out.
#[derive(Clone, Debug)]
pub struct IntrospectOptions {
    /// Tables that are not part of the user's schema (strata's version and history tables). A
    /// name without a schema matches that table in any schema. Their sequences, indexes,
    /// constraints, triggers and policies are left out with them.
    pub exclude_tables: Vec<QualifiedName>,
    /// Read grants and default privileges (`[schema] privileges = true`). Off: none is read.
    pub privileges: bool,
    /// Read owners (`[schema] owners = true`). Off: none is read.
    pub owners: bool,
}

impl Default for IntrospectOptions {
    fn default() -> IntrospectOptions {
        IntrospectOptions {
            exclude_tables: vec![
                QualifiedName::new(None, "strata_version"),
                QualifiedName::new(None, "strata_history"),
            ],
            privileges: false,
            owners: false,
        }
    }
}

/// Reads the whole schema of the connected database. About twenty round trips whatever its size.
///
/// Runs in its own transaction (`BEGIN … COMMIT`): call it outside one.
pub fn introspect(pg: &mut Postgres, opts: &IntrospectOptions) -> Result<Schema, DbError> {
    pg.client
        .batch_execute(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; \
             SELECT pg_catalog.set_config('search_path', '', true)",
        )
        .map_err(|e| pg.error(e))?;
    let result = Reader::new(pg.server_version, opts).read(pg);
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = pg.client.batch_execute(end).map_err(|e| pg.error(e));
    let schema = result?;
    ended?;
    Ok(schema)
}

/// [`introspect`] within the session's open transaction, seeing its uncommitted changes (in a
/// savepoint that is rolled back afterwards, so the transaction is left as it was): `strata
/// test` reads the schema between a migration's up and its down before rolling them back.
pub fn introspect_in_transaction(
    pg: &mut Postgres,
    opts: &IntrospectOptions,
) -> Result<Schema, DbError> {
    pg.client
        .batch_execute(
            "SAVEPOINT strata_introspect; \
             SELECT pg_catalog.set_config('search_path', '', true)",
        )
        .map_err(|e| pg.error(e))?;
    let result = Reader::new(pg.server_version, opts).read(pg);
    let ended = pg
        .client
        .batch_execute(
            "ROLLBACK TO SAVEPOINT strata_introspect; RELEASE SAVEPOINT strata_introspect",
        )
        .map_err(|e| pg.error(e));
    let schema = result?;
    ended?;
    Ok(schema)
}

/// Objects in user schemas only (`pg_*` names are reserved for the system).
const USER_SCHEMA: &str = "n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'";

/// `AND NOT EXISTS (…)`: the object `oid` of `catalog` is not an extension's member.
fn not_extension_member(catalog: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = '{catalog}'::regclass \
         AND e.objid = {oid} AND e.deptype = 'e')"
    )
}

/// `LEFT JOIN pg_description` for an object's comment, as `alias.description`.
fn comment_join(alias: &str, catalog: &str, oid: &str) -> String {
    format!(
        "LEFT JOIN pg_catalog.pg_description {alias} ON {alias}.objoid = {oid} \
         AND {alias}.classoid = '{catalog}'::regclass AND {alias}.objsubid = 0"
    )
}

fn qname(schema: String, name: String) -> QualifiedName {
    QualifiedName {
        schema: Some(schema),
        name,
    }
}

/// Which catalog an oid of the dependency query belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Class {
    Relation,
    Type,
    Routine,
}

impl Class {
    fn parse(text: &str) -> Option<Class> {
        match text {
            "class" => Some(Class::Relation),
            "type" => Some(Class::Type),
            "proc" => Some(Class::Routine),
            _ => None,
        }
    }
}

struct Reader<'o> {
    version: u32,
    opts: &'o IntrospectOptions,
    schema: Schema,
    /// Catalog object → model object, for dependencies.
    refs: HashMap<(Class, u32), ObjectRef>,
    /// Tables, views and materialized views by oid (for what hangs off them).
    relations: HashMap<u32, QualifiedName>,
    /// Tables strata leaves out.
    excluded: HashSet<u32>,
    /// Composite types by their relation's oid (their attributes come with the columns).
    composites_by_relid: HashMap<u32, usize>,
    tables_by_oid: HashMap<u32, usize>,
}

impl<'o> Reader<'o> {
    fn new(version: u32, opts: &'o IntrospectOptions) -> Reader<'o> {
        Reader {
            version,
            opts,
            schema: Schema {
                server_version: version,
                ..Schema::default()
            },
            refs: HashMap::new(),
            relations: HashMap::new(),
            excluded: HashSet::new(),
            composites_by_relid: HashMap::new(),
            tables_by_oid: HashMap::new(),
        }
    }

    fn query(&self, pg: &mut Postgres, sql: &str) -> Result<Vec<Row>, DbError> {
        pg.query_kept(sql)
    }

    fn read(mut self, pg: &mut Postgres) -> Result<Schema, DbError> {
        self.schemas(pg)?;
        self.extensions(pg)?;
        self.collations(pg)?;
        self.enums(pg)?;
        self.domains(pg)?;
        self.composite_types(pg)?;
        self.range_types(pg)?;
        self.functions(pg)?;
        self.aggregates(pg)?;
        self.text_search_configs(pg)?;
        self.relations(pg)?;
        self.columns(pg)?;
        self.sequences(pg)?;
        self.constraints(pg)?;
        self.indexes(pg)?;
        self.triggers(pg)?;
        self.policies(pg)?;
        self.statistics(pg)?;
        self.schema.not_modelled = crate::not_modelled::read(pg)?;
        if self.opts.privileges || self.opts.owners {
            let refs = std::mem::take(&mut self.refs);
            let resolve = |class: &str, oid: u32| {
                let class = Class::parse(class)?;
                refs.get(&(class, oid)).cloned()
            };
            let (privileges, owners) = (self.opts.privileges, self.opts.owners);
            crate::privileges::read(pg, privileges, owners, &resolve, &mut self.schema)?;
            self.refs = refs;
        }
        self.dependencies(pg)?;
        self.schema.normalize();
        Ok(self.schema)
    }

    fn schemas(&mut self, pg: &mut Postgres) -> Result<(), DbError> {
        let sql = format!(
            "SELECT n.nspname::text, d.description FROM pg_catalog.pg_namespace n {} \
             WHERE {USER_SCHEMA} AND {}",
            comment_join("d", "pg_namespace", "n.oid"),
            not_extension_member("pg_namespace", "n.oid"),
        );
        for row in self.query(pg, &sql)? {
            self.schema.schemas.push(Namespace {
                name: row.get(0),
                comment: row.get(1),
            });
        }
        Ok(())
    }

    fn extensions(&mut self, pg: &mut Postgres) -> Result<(), DbError> {
        let sql = format!(
            "SELECT x.extname::text, n.nspname::text, x.extversion, d.description \
             FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace {} \
             WHERE x.extname <> 'plpgsql'",
            comment_join("d", "pg_extension", "x.oid"),
        );
        for row in self.query(pg, &sql)? {
            self.schema.extensions.push(Extension {
                name: row.get(0),
                schema: row.get(1),
                version: row.get(2),
                comment: row.get(3),
            });
        }
        Ok(())
    }

    fn collations(&mut self, pg: &mut Postgres) -> Result<(), DbError> {
        // Where the ICU locale lives moved twice.
        let icu_locale = if self.version >= 170_000 {
            "c.colllocale"
        } else if self.version >= 150_000 {
            "c.colliculocale"
        } else {
            "CASE WHEN c.collprovider = 'i' THEN c.collcollate END"
        };
        let sql = format!(
            "SELECT n.nspname::text, c.collname::text, c.collprovider::text, {icu_locale}, \
                    c.collcollate, c.collctype, c.collisdeterministic, d.description \
             FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace {} \
             WHERE {USER_SCHEMA} AND {}",
            comment_join("d", "pg_collation", "c.oid"),
            not_extension_member("pg_collation", "c.oid"),
        );
        for row in self.query(pg, &sql)? {
            let provider: String = row.get(2);
            let icu = provider == "i";
            self.schema.collations.push(Collation {
                name: qname(row.get(0), row.get(1)),
                provider: match provider.as_str() {
                    "i" => "icu",
                    "c" => "libc",
                    "b" => "builtin",
                    _ => "default",
                }
                .to_owned(),
                locale: if icu { row.get(3) } else { None },
                lc_collate: if icu { None } else { row.get(4) },
                lc_ctype: if icu { None } else { row.get(5) },
                deterministic: row.get(6),
                comment: row.get(7),
            });
        }
        Ok(())
    }

    fn enums(&mut self, pg: &mut Postgres) -> Result<(), DbError> {
        let sql = format!(
            "SELECT t.oid, n.nspname::text, t.typname::text, \
                    ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e \
                          WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder), \
                    d.description \
             FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace {} \
             WHERE t.typtype = 'e' AND {USER_SCHEMA} AND {}",
            comment_join("d", "pg_type", "t.oid"),
            not_extension_member("pg_type", "t.oid"),
        );
        for row in self.query(pg, &sql)? {
            let e = EnumType {
                name: qname(row.get(1), row.get(2)),
                labels: row.get(3),
                comment: row.get(4),
            };
            self.refs.insert((Class::Type, row.get(0)), e.key());
            self.schema.enums.push(e);
        }
        Ok(())
    }

    fn domains(&mut self, pg: &mut Postgres) -> Result<(), DbError> {
        let checks = |column: &str| {
            format!(
                "ARRAY(SELECT {column} FROM pg_catalog.pg_constraint c {} \
                 WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname)",
                comment_join("cd", "pg_constraint", "c.oid")
            )
        };
        let sql = format!(
            "SELECT t.oid, n.nspname::text, t.typname::text, \
                    pg_catalog.format_type(t.typbasetype, t.typtypmod), \
                    cn.nspname::text, co.collname::text, \
                    pg_catalog.pg_get_expr(t.typdefaultbin, 0), t.typnotnull, \
                    {}, {}, {}, {}, d.description \
             FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
             JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype \
             LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation \
                  AND t.typcollation <> bt.typcollation \
             LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace {} \
             WHERE t.typtype = 'd' AND {USER_SCHEMA} AND {}",
            checks("c.conname::text"),
            checks("pg_catalog.pg_get_constraintdef(c.oid)"),
            checks("c.convalidated"),
            checks("cd.description"),
            comment_join("d", "pg_type", "t.oid"),
            not_extension_member("pg_type", "t.oid"),
        );
        for row in self.query(pg, &sql)? {
            let names: Vec<String> = row.get(8);
            let definitions: Vec<String> = row.get(9);
            let validated: Vec<bool> = row.get(10);
            let comments: Vec<Option<String>> = row.get(11);
            let checks = names
                .into_iter()
                .zip(definitions)
                .zip(validated)
                .zip(comments)
                .map(|(((name, definition), validated), comment)| DomainCheck {
                    name,
                    definition,
                    validated,
                    comment,
                })
                .collect();
            let d = Domain {
                name: qname(row.get(1), row.get(2)),
                data_type: row.get(3),
                collation: optional_name(row.get(4), row.get(5)),
                default: row.get(6),
                not_null: row.get(7),
                checks,
                comment: row.get(12),
                depends_on: Vec::new(),
            };
            self.refs.insert((Class::Type, row.get(0)), d.key());
            self.schema.domains.push(d);
        }
        Ok(())
    }

    fn composite_types(&mut self, pg: &mut Postgres) -> Result<(), DbError> {
        let sql = format!(
            "SELECT t.oid, t.typrelid, n.nspname::text, t.typname::text, d.description \
             FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
             JOIN pg_catalog.pg_class c ON c.oid = t.typrelid AND c.relkind = 'c' {} \
             WHERE t.typtype = 'c' AND {USER_SCHEMA} AND {}",
            comment_join("d", "pg_type", "t.oid"),
            not_extension_member("pg_type", "t.oid"),
        );
        for row in self.query(pg, &sql)? {
            let t = CompositeType {
                name: qname(row.get(2), row.get(3)),
                attributes: Vec::new(),
                comment: row.get(4),
                depends_on: Vec::new(),
            };
            // Dependencies point at the type, or (from the attributes) at its relation.
            self.refs.insert((Class::Type, row.get(0)), t.key());
            self.refs.insert((Class::Relation, row.get(1)), t.key());
            self.composites_by_relid
                .insert(row.get(1), self.schema.composite_types.len());
            self.schema.composite_types.push(t);
        }
        Ok(())
    }

    fn range_types(&mut self, pg: &mut Postgres) -> Result<(), DbError> {
        let multirange = if self.version >= 140_000 {
            "r.rngmultitypid"
        } else {
            "0::oid"
        };
        let sql = format!(
            "SELECT t.oid, n.nspname::text, t.typname::text, \
                    pg_catalog.format_type(r.rngsubtype, NULL), \
                    CASE WHEN NOT opc.opcdefault THEN opcn.nspname::text END, \
                    CASE WHEN NOT opc.opcdefault THEN opc.opcname::text END, \
                    cn.nspname::text, co.collname::text, \
                    NULLIF(r.rngcanonical::oid, 0)::regproc::text, \
                    NULLIF(r.rngsubdiff::oid, 0)::regproc::text, \
                    mt.oid, mn.nspname::text, mt.typname::text, d.description \
             FROM pg_catalog.pg_range r JOIN pg_catalog.pg_type t ON t.oid = r.rngtypid \
             JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
             JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype \
             JOIN pg_catalog.pg_opclass opc ON opc.oid = r.rngsubopc \
             JOIN pg_catalog.pg_namespace opcn ON opcn.oid = opc.opcnamespace \
             LEFT JOIN pg_catalog.pg_collation co ON co.oid = r.rngcollation \
                  AND r.rngcollation <> st.typcollation \
             LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace \
             LEFT JOIN pg_catalog.pg_type mt ON mt.oid = {multirange} \
             LEFT JOIN pg_catalog.pg_namespace mn ON mn.oid = mt.typnamespace {} \
             WHERE {USER_SCHEMA} AND {}",
            comment_join("d", "pg_type", "t.oid"),
            not_extension_member("pg_type", "t.oid"),
        );
        for row in self.query(pg, &sql)? {
            let r = RangeType {
                name: qname(row.get(1), row.get(2)),
                subtype: row.get(3),
                subtype_opclass: optional_name(row.get(4), row.get(5)),
                collation: optional_name(row.get(6), row.get(7)),
                canonical: row.get(8),
                subtype_diff: row.get(9),
                multirange: optional_name(row.get(11), row.get(12)),
                comment: row.get(13),
                depends_on: Vec::new(),
            };
            self.refs.insert((Class::Type, row.get(0)), r.key());
            // Columns of the multirange type need the range type.
            if let Some(multirange) = row.get::<_, Option<u32>>(10) {
                self.refs.insert((Class::Type, multirange), r.key());
            }
            self.schema.range_types.push(r);
        }
        Ok(())
    }

    fn functions(&mut self, pg: &mut Postgres) -> Result<(), DbError> {
        let sql = format!(
            "SELECT p.oid, n.nspname::text, p.proname::text, \
                    pg_catalog.oidvectortypes(p.proargtypes), p.prokind::text, \
                    CASE WHEN p.prokind <> 'p' THEN pg_catalog.pg_get_function_result(p.oid) END, \
                    l.lanname::text, pg_catalog.pg_get_functiondef(p.oid), d.description, \
                    pg_catalog.pg_get_function_identity_arguments(p.oid) \
             FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
             JOIN pg_catalog.pg_language l ON l.oid = p.prolang {} \
             WHERE p.prokind IN ('f', 'p', 'w') AND {USER_SCHEMA} AND {} \
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i \
                               WHERE i.classid = 'pg_proc'::regclass AND i.objid = p.oid \
                                 AND i.deptype = 'i')",
            comment_join("d", "pg_proc", "p.oid"),
            not_extension_member("pg_proc", "p.oid"),
        );
        for row in self.query(pg, &sql)? {
            let kind: String = row.get(4);
            let definition: String = row.get(7);
            let f = Function {
                name: qname(row.get(1), row.get(2)),
                arguments: row.get(3),
                signature: row.get(9),
                kind: match kind.as_str() {
                    "p" => FunctionKind::Procedure,
                    "w" => FunctionKind::Window,
                    _ => FunctionKind::Function,
                },
                returns: row.get(5),
                language: row.get(6),
                definition: definition.trim_end().to_owned(),
                comment: row.get(8),
                depends_on: Vec::new(),
            };
            self.refs.insert((Class::Routine, row.get(0)), f.key());
            self.schema.functions.push(f);
        }
        Ok(())
    }

    fn aggregates(&mut self, pg: &mut Postgres) -> Result<(), DbError> {
        let func = |column: &str| format!("NULLIF(a.{column}::oid, 0)::regproc::text");
        let sql = format!(
            "SELECT p.oid, n.nspname::text, p.proname::text, \
                    pg_catalog.oidvectortypes(p.proargtypes), \
                    pg_catalog.pg_get_function_arguments(p.oid), a.aggkind::text, \
                    a.aggtransfn::regproc::text, pg_catalog.format_type(a.aggtranstype, NULL), \
                    a.aggtransspace, {}, a.aggfinalextra, a.aggfinalmodify::text, {}, {}, {}, \
                    a.agginitval, {}, {}, \
                    CASE WHEN a.aggmtranstype <> 0 THEN pg_catalog.format_type(a.aggmtranstype, NULL) END, \
                    a.aggmtransspace, {}, a.aggmfinalextra, a.aggmfinalmodify::text, a.aggminitval, \
                    CASE WHEN a.aggsortop <> 0 THEN a.aggsortop::regoper::text END, \
                    p.proparallel::text, d.description \
             FROM pg_catalog.pg_aggregate a JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid \
             JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace {} \
             WHERE {USER_SCHEMA} AND {}",
            func("aggfinalfn"),
            func("aggcombinefn"),
            func("aggserialfn"),
            func("aggdeserialfn"),
            func("aggmtransfn"),
            func("aggminvtransfn"),
            func("aggmfinalfn"),
            comment_join("d", "pg_proc", "p.oid"),
            not_extension_member("pg_proc", "p.oid"),
        );
        let modify = |code: String| {
            match code.as_str() {
                "s" => "SHAREABLE",
                "w" => "READ_WRITE",
                _ => "READ_ONLY",
            }
            .to_owned()
        };
        for row in self.query(pg, &sql)? {
            let kind: String = row.get(5);
            let parallel: String = row.get(25);
            let a = Aggregate {
                name: qname(row.get(1), row.get(2)),
                arguments: row.get(3),
                signature: row.get(4),
                kind: match kind.as_str() {
                    "o" => "ordered_set",
                    "h" => "hypothetical",
                    _ => "normal",
                }
                .to_owned(),
                sfunc: row.get(6),
                stype: row.get(7),
                sspace: row.get(8),
                finalfunc: row.get(9),
                finalfunc_extra: row.get(10),
                finalfunc_modify: modify(row.get(11)),
                combinefunc: row.get(12),
                serialfunc: row.get(13),
                deserialfunc: row.get(14),
                initcond: row.get(15),
                msfunc: row.get(16),
                minvfunc: row.get(17),
                mstype: row.get(18),
                msspace: row.get(19),
                mfinalfunc: row.get(20),
                mfinalfunc_extra: row.get(21),
                mfinalfunc_modify: modify(row.get(22)),
                minitcond: row.get(23),
                sortop: row.get(24),
                parallel: match parallel.as_str() {
                    "s" => "SAFE",
                    "r" => "RESTRICTED",
                    _ => "UNSAFE",
                }
                .to_owned(),
                comment: row.get(26),
                depends_on: Vec::new(),
            };
            self.refs.insert((Class::Routine, row.get(0)), a.key());
            self.schema.aggregates.push(a);
        }
        Ok(())
    }

    fn text_search_configs(&mut self, pg: &mut Postgres) -> Result<(), DbError> {
        let sql = format!(
            "SELECT c.oid, n.nspname::text, c.cfgname::text, pn.nspname::text, p.prsname::text, \
                    d.description \
             FROM pg_catalog.pg_ts_config c JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace \
             JOIN pg_catalog.pg_ts_parser p ON p.oid = c.cfgparser \
             JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace {} \
             WHERE {USER_SCHEMA} AND {}",
            comment_join("d", "pg_ts_config", "c.oid"),
            not_extension_member("pg_ts_config", "c.oid"),
        );
        let mut by_oid: HashMap<u32, usize> = HashMap::new();
        for row in self.query(pg, &sql)? {
            by_oid.insert(row.get(0), self.schema.text_search_configs.len());
            self.schema.text_search_configs.push(TextSearchConfig {
                name: qname(row.get(1), row.get(2)),
                parser: qname(row.get(3), row.get(4)),
                mappings: Vec::new(),
                comment: row.get(5),
            });
        }
        if by_oid.is_empty() {
            return Ok(());
        }
        // The mappings: a second query, only when there are configurations.
        let sql = format!(
            "SELECT m.mapcfg, t.alias, dn.nspname::text, dct.dictname::text \
             FROM pg_catalog.pg_ts_config_map m \
             JOIN pg_catalog.pg_ts_config c ON c.oid = m.mapcfg \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace \
             JOIN LATERAL pg_catalog.ts_token_type(c.cfgparser) t ON t.tokid = m.maptokentype \
             JOIN pg_catalog.pg_ts_dict dct ON dct.oid = m.mapdict \
             JOIN pg_catalog.pg_namespace dn ON dn.oid = dct.dictnamespace \
             WHERE {USER_SCHEMA} \
             ORDER BY m.mapcfg, m.maptokentype, m.mapseqno"
        );
        for row in self.query(pg, &sql)? {
            let Some(&i) = by_oid.get(&row.get::<_, u32>(0)) else {
                continue;
            };
            let token: String = row.get(1);
            let dict = qname(row.get(2), row.get(3));
            let mappings = &mut self.schema.text_search_configs[i].mappings;
            match mappings.last_mut() {
                Some(m) if m.token_type == token => m.dictionaries.push(dict),
                _ => mappings.push(TextSearchMapping {
                    token_type: token,
                    dictionaries: vec![dict],
                }),
            }
        }
        Ok(())
    }

    fn is_excluded(&self, schema: &str, name: &str) -> bool {
        self.opts
            .exclude_tables
            .iter()
            .any(|t| t.name == name && t.schema.as_deref().unwrap_or(schema) == schema)
    }

    /// Tables, views and materialized views.
    fn relations(&mut self, pg: &mut Postgres) -> Result<(), DbError> {
        let parents = |column: &str| {
            format!(
                "ARRAY(SELECT {column} FROM pg_catalog.pg_inherits i \
                 JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent \
                 JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace \
                 WHERE i.inhrelid = c.oid ORDER BY i.inhseqno)"
            )
        };
        let sql = format!(
            "SELECT c.oid, n.nspname::text, c.relname::text, c.relkind::text, \
                    c.relpersistence::text, c.reloptions::text[], c.relrowsecurity, \
                    c.relforcerowsecurity, \
                    CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END, \
                    c.relispartition, \
                    CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END, \
                    CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END, \
                    {}, {}, d.description \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace {} \
             WHERE c.relkind IN ('r', 'p', 'v', 'm') AND {USER_SCHEMA} AND {}",
            parents("pn.nspname::text"),
            parents("pc.relname::text"),
            comment_join("d", "pg_class", "c.oid"),
            not_extension_member("pg_class", "c.oid"),
        );
        for row in self.query(pg, &sql)? {
            let oid: u32 = row.get(0);
            let schema: String = row.get(1);
            let name: String = row.get(2);
            if self.is_excluded(&schema, &name) {
                self.excluded.insert(oid);
                continue;
            }
            let name = qname(schema, name);
            let kind: String = row.get(3);
            let options: Vec<String> = row.get::<_, Option<Vec<String>>>(5).unwrap_or_default();
            let comment: Option<String> = row.get(14);
            let definition = || {
                let text: String = row.get::<_, Option<String>>(11).unwrap_or_default();
                text.trim().trim_end_matches(';').trim_end().to_owned()
            };
            self.relations.insert(oid, name.clone());
            match kind.as_str() {
                "v" => {
                    let v = View {
                        name,
                        definition: definition(),
                        options,
                        comment,
                        depends_on: Vec::new(),
                    };
                    self.refs.insert((Class::Relation, oid), v.key());
                    self.schema.views.push(v);
                }
                "m" => {
                    let v = MaterializedView {
                        name,
                        definition: definition(),
                        options,
                        comment,
                        depends_on: Vec::new(),
                    };
                    self.refs.insert((Class::Relation, oid), v.key());
                    self.schema.materialized_views.push(v);
                }
                _ => {
                    let parent_schemas: Vec<String> = row.get(12);
                    let parent_names: Vec<String> = row.get(13);
                    let mut parents: Vec<QualifiedName> = parent_schemas
                        .into_iter()
                        .zip(parent_names)
                        .map(|(s, n)| qname(s, n))
                        .collect();
                    let is_partition: bool = row.get(9);
                    let partition_of = if is_partition && !parents.is_empty() {
                        Some(PartitionOf {
                            parent: parents.remove(0),
                            bound: row.get::<_, Option<String>>(10).unwrap_or_default(),
                        })
                    } else {
                        None
                    };
                    let persistence: String = row.get(4);
                    let t = Table {
                        name,
                        columns: Vec::new(),
                        partition_key: row.get(8),
                        partition_of,
                        inherits: parents,
                        unlogged: persistence == "u",
                        options,
                        row_security: row.get(6),
                        force_row_security: row.get(7),
                        comment,
                        depends_on: Vec::new(),
                    };
                    self.refs.insert((Class::Relation, oid), t.key());
                    self.tables_by_oid.insert(oid, self.schema.tables.len());
                    self.schema.tables.push(t);
                }
            }
        }
        Ok(())
    }

    /// Columns of tables and attributes of composite types, in one query.
    fn columns(&mut self, pg: &mut Postgres) -> Result<(), DbError> {
        let sql = format!(
            "SELECT a.attrelid, a.attname::text, \
                    pg_catalog.format_type(a.atttypid, a.atttypmod), \
                    pg_catalog.format_type(a.atttypid, NULL), a.atttypmod, a.attnotnull, \
                    pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), a.attidentity::text, \
                    a.attgenerated::text, cn.nspname::text, co.collname::text, d.description, \
                    idn.nspname, idn.relname, idn.typ, idn.seqstart, idn.seqincrement, \
                    idn.seqmin, idn.seqmax, idn.seqcache, idn.seqcycle, \
                    NOT a.attislocal AND NOT c.relispartition \
             FROM pg_catalog.pg_attribute a \
             JOIN pg_catalog.pg_class c ON c.oid = a.attrelid AND c.relkind IN ('r', 'p', 'c') \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid \
             LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
             LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation \
                  AND a.attcollation <> ty.typcollation \
             LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace \
             LEFT JOIN pg_catalog.pg_description d ON d.objoid = a.attrelid \
                  AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum \
             LEFT JOIN LATERAL ( \
                 SELECT sn.nspname::text, sc.relname::text, \
                        pg_catalog.format_type(s.seqtypid, NULL) AS typ, s.seqstart, \
                        s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle \
                 FROM pg_catalog.pg_depend dep \
                 JOIN pg_catalog.pg_sequence s ON s.seqrelid = dep.objid \
                 JOIN pg_catalog.pg_class sc ON sc.oid = s.seqrelid \
                 JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace \
                 WHERE a.attidentity <> '' AND dep.classid = 'pg_class'::regclass \
                   AND dep.refclassid = 'pg_class'::regclass AND dep.refobjid = a.attrelid \
                   AND dep.refobjsubid = a.attnum AND dep.deptype = 'i' \
                 LIMIT 1) idn ON true \
             WHERE a.attnum > 0 AND NOT a.attisdropped AND {USER_SCHEMA} \
             ORDER BY a.attrelid, a.attnum"
        );
        for row in self.query(pg, &sql)? {
            let relid: u32 = row.get(0);
            let collation = optional_name(row.get(9), row.get(10));
            if let Some(&i) = self.composites_by_relid.get(&relid) {
                self.schema.composite_types[i]
                    .attributes
                    .push(CompositeAttribute {
                        name: row.get(1),
                        data_type: row.get(2),
                        collation,
                    });
                continue;
            }
            let Some(&i) = self.tables_by_oid.get(&relid) else {
                continue;
            };
            let modifier: i32 = row.get(4);
            let expression: Option<String> = row.get(6);
            let identity: String = row.get(7);
            let generated: String = row.get(8);
            let identity = match (identity.as_str(), row.get::<_, Option<String>>(12)) {
                ("a" | "d", Some(seq_schema)) => Some(Identity {
                    always: identity == "a",
                    sequence: qname(seq_schema, row.get(13)),
                    options: SequenceOptions {
                        data_type: row.get(14),
                        start: row.get(15),
                        increment: row.get(16),
                        min_value: row.get(17),
                        max_value: row.get(18),
                        cache: row.get(19),
                        cycle: row.get(20),
                    },
                }),
                _ => None,
            };
            let (default, generated) = if generated.is_empty() {
                (expression, None)
            } else {
                (None, expression)
            };
            self.schema.tables[i].columns.push(Column {
                name: row.get(1),
                data_type: row.get(2),
                type_name: row.get(3),
                type_modifier: (modifier >= 0).then_some(modifier),
                not_null: row.get(5),
                default,
                identity,
                generated,
                collation,
                inherited: row.get(21),
                comment: row.get(11),
            });
        }
        Ok(())
    }

    /// Sequences, except identity columns' (part of the column) and those of left-out tables.
    fn sequences(&mut self, pg: &mut Postgres) -> Result<(), DbError> {
        let sql = format!(
            "SELECT c.oid, n.nspname::text, c.relname::text, \
                    pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, \
                    s.seqmin, s.seqmax, s.seqcache, s.seqcycle, \
                    own.refobjid, own.deptype::text, a.attname::text, d.description, \
                    c.relpersistence = 'u' \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_catalog.pg_depend own ON own.classid = 'pg_class'::regclass \
                  AND own.objid = c.oid AND own.refclassid = 'pg_class'::regclass \
                  AND own.refobjsubid > 0 AND own.deptype IN ('a', 'i') \
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = own.refobjid \
                  AND a.attnum = own.refobjsubid {} \
             WHERE c.relkind = 'S' AND {USER_SCHEMA} AND {}",
            comment_join("d", "pg_class", "c.oid"),
            not_extension_member("pg_class", "c.oid"),
        );
        for row in self.query(pg, &sql)? {
            let owner: Option<u32> = row.get(10);
            let deptype: Option<String> = row.get(11);
            if deptype.as_deref() == Some("i") {
                continue;
            }
            let owned_by = match owner {
                Some(table) if self.excluded.contains(&table) => continue,
                Some(table) => match (self.relations.get(&table), row.get::<_, Option<String>>(12))
                {
                    (Some(name), Some(column)) => Some(ColumnRef {
                        table: name.clone(),
                        column,
                    }),
                    _ => None,
                },
                None => None,
            };
            let s = Sequence {
                name: qname(row.get(1), row.get(2)),
                options: SequenceOptions {
                    data_type: row.get(3),
                    start: row.get(4),
                    increment: row.get(5),
                    min_value: row.get(6),
                    max_value: row.get(7),
                    cache: row.get(8),
                    cycle: row.get(9),
                },
                unlogged: row.get(14),
                owned_by,
                comment: row.get(13),
            };
            self.refs.insert((Class::Relation, row.get(0)), s.key());
            self.schema.sequences.push(s);
        }
        Ok(())
    }

    fn constraints(&mut self, pg: &mut Postgres) -> Result<(), DbError> {
        let columns = |keys: &str, table: &str| {
            format!(
                "ARRAY(SELECT a.attname::text FROM unnest(co.{keys}) WITH ORDINALITY k(num, ord) \
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = co.{table} AND a.attnum = k.num \
                 ORDER BY k.ord)"
            )
        };
        let sql = format!(
            "SELECT co.conrelid, co.conname::text, co.contype::text, \
                    pg_catalog.pg_get_constraintdef(co.oid), {}, co.convalidated, \
                    co.condeferrable, co.condeferred, co.connoinherit, co.coninhcount > 0, \
                    co.confrelid, fn.nspname::text, fc.relname::text, {}, co.confupdtype::text, \
                    co.confdeltype::text, co.confmatchtype::text, d.description \
             FROM pg_catalog.pg_constraint co \
             JOIN pg_catalog.pg_class c ON c.oid = co.conrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_catalog.pg_class fc ON fc.oid = co.confrelid \
             LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace {} \
             WHERE co.contype IN ('p', 'u', 'f', 'c', 'x') AND co.conislocal AND {USER_SCHEMA}",
            columns("conkey", "conrelid"),
            columns("confkey", "confrelid"),
            comment_join("d", "pg_constraint", "co.oid"),
        );
        for row in self.query(pg, &sql)? {
            let Some(table) = self.relations.get(&row.get::<_, u32>(0)).cloned() else {
                continue;
            };
            let kind: String = row.get(2);
            let kind = match kind.as_str() {
                "p" => ConstraintKind::PrimaryKey,
                "u" => ConstraintKind::Unique,
                "f" => ConstraintKind::ForeignKey,
                "x" => ConstraintKind::Exclusion,
                _ => ConstraintKind::Check,
            };
            let foreign_key = if kind == ConstraintKind::ForeignKey {
                Some(ForeignKey {
                    references: qname(row.get(11), row.get(12)),
                    referenced_columns: row.get(13),
                    on_update: fk_action(&row.get::<_, String>(14)),
                    on_delete: fk_action(&row.get::<_, String>(15)),
                    match_type: match row.get::<_, String>(16).as_str() {
                        "f" => ForeignKeyMatch::Full,
                        "p" => ForeignKeyMatch::Partial,
                        _ => ForeignKeyMatch::Simple,
                    },
                })
            } else {
                None
            };
            self.schema.constraints.push(Constraint {
                table,
                name: row.get(1),
                kind,
                definition: row.get(3),
                columns: row.get(4),
                validated: row.get(5),
                deferrable: row.get(6),
                initially_deferred: row.get(7),
                no_inherit: row.get(8),
                inherited: row.get(9),
                foreign_key,
                comment: row.get(17),
            });
        }
        Ok(())
    }

    fn indexes(&mut self, pg: &mut Postgres) -> Result<(), DbError> {
        let nulls_not_distinct = if self.version >= 150_000 {
            "i.indnullsnotdistinct"
        } else {
            "false"
        };
        let sql = format!(
            "SELECT i.indrelid, n.nspname::text, ic.relname::text, \
                    pg_catalog.quote_ident(ic.relname), pg_catalog.pg_get_indexdef(i.indexrelid), \
                    i.indisunique, am.amname::text, \
                    ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, false) \
                          FROM generate_series(1, i.indnkeyatts) k ORDER BY k), \
                    ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, false) \
                          FROM generate_series(i.indnkeyatts + 1, i.indnatts) k ORDER BY k), \
                    pg_catalog.pg_get_expr(i.indpred, i.indrelid), {nulls_not_distinct}, \
                    tc.relkind = 'p', d.description \
             FROM pg_catalog.pg_index i \
             JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid \
             JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace \
             JOIN pg_catalog.pg_am am ON am.oid = ic.relam {} \
             WHERE {USER_SCHEMA} AND NOT ic.relispartition \
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint co \
                               WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid \
                                 AND co.contype IN ('p', 'u', 'x'))",
            comment_join("d", "pg_class", "ic.oid"),
        );
        for row in self.query(pg, &sql)? {
            let Some(table) = self.relations.get(&row.get::<_, u32>(0)).cloned() else {
                continue;
            };
            let unique: bool = row.get(5);
            let mut definition: String = row.get(4);
            let on_partitioned: bool = row.get(11);
            if on_partitioned {
                let quoted: String = row.get(3);
                let unique_word = if unique { "UNIQUE " } else { "" };
                let only = format!("CREATE {unique_word}INDEX {quoted} ON ONLY ");
                if let Some(rest) = definition.strip_prefix(&only) {
                    definition = format!("CREATE {unique_word}INDEX {quoted} ON {rest}");
                }
            }
            self.schema.indexes.push(Index {
                name: qname(row.get(1), row.get(2)),
                table,
                definition,
                unique,
                method: row.get(6),
                columns: row.get(7),
                include: row.get(8),
                predicate: row.get(9),
                nulls_not_distinct: row.get(10),
                comment: row.get(12),
            });
        }
        Ok(())
    }

    fn triggers(&mut self, pg: &mut Postgres) -> Result<(), DbError> {
        // PostgreSQL 13+ marks partitions' copies of a parent's trigger with tgparentid; before,
        // they were internal.
        let not_cloned = if self.version >= 130_000 {
            "AND t.tgparentid = 0"
        } else {
            ""
        };
        let sql = format!(
            "SELECT t.tgrelid, t.tgname::text, pg_catalog.pg_get_triggerdef(t.oid), \
                    t.tgconstraint <> 0, t.tgenabled::text, d.description \
             FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace {} \
             WHERE NOT t.tgisinternal {not_cloned} AND {USER_SCHEMA}",
            comment_join("d", "pg_trigger", "t.oid"),
        );
        for row in self.query(pg, &sql)? {
            let Some(table) = self.relations.get(&row.get::<_, u32>(0)).cloned() else {
                continue;
            };
            let enabled: String = row.get(4);
            self.schema.triggers.push(Trigger {
                table,
                name: row.get(1),
                definition: row.get(2),
                constraint: row.get(3),
                enabled: match enabled.as_str() {
                    "D" => TriggerEnabled::Disabled,
                    "R" => TriggerEnabled::Replica,
                    "A" => TriggerEnabled::Always,
                    _ => TriggerEnabled::Origin,
                },
                comment: row.get(5),
            });
        }
        Ok(())
    }

    fn policies(&mut self, pg: &mut Postgres) -> Result<(), DbError> {
        let sql = format!(
            "SELECT p.polrelid, p.polname::text, p.polpermissive, p.polcmd::text, \
                    ARRAY(SELECT CASE WHEN r.oid = 0 THEN 'public' \
                                 ELSE (SELECT rolname::text FROM pg_catalog.pg_roles WHERE oid = r.oid) END \
                          FROM unnest(p.polroles) r(oid) ORDER BY 1), \
                    pg_catalog.pg_get_expr(p.polqual, p.polrelid), \
                    pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), d.description \
             FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace {} \
             WHERE {USER_SCHEMA}",
            comment_join("d", "pg_policy", "p.oid"),
        );
        for row in self.query(pg, &sql)? {
            let Some(table) = self.relations.get(&row.get::<_, u32>(0)).cloned() else {
                continue;
            };
            let command: String = row.get(3);
            self.schema.policies.push(Policy {
                table,
                name: row.get(1),
                permissive: row.get(2),
                command: match command.as_str() {
                    "r" => "SELECT",
                    "a" => "INSERT",
                    "w" => "UPDATE",
                    "d" => "DELETE",
                    _ => "ALL",
                }
                .to_owned(),
                roles: row.get(4),
                using: row.get(5),
                with_check: row.get(6),
                comment: row.get(7),
            });
        }
        Ok(())
    }

    /// Extended statistics (`CREATE STATISTICS`) on the tables and materialized views read.
    fn statistics(&mut self, pg: &mut Postgres) -> Result<(), DbError> {
        // stxstattarget: -1 for the default before PostgreSQL 17, NULL since.
        let target = if self.version >= 130_000 {
            "CASE WHEN s.stxstattarget >= 0 THEN s.stxstattarget::int4 END"
        } else {
            "NULL::int4"
        };
        let sql = format!(
            "SELECT s.stxrelid, n.nspname::text, s.stxname::text, \
                    pg_catalog.pg_get_statisticsobjdef(s.oid), {target}, d.description \
             FROM pg_catalog.pg_statistic_ext s \
             JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace {} \
             WHERE {USER_SCHEMA} AND {}",
            comment_join("d", "pg_statistic_ext", "s.oid"),
            not_extension_member("pg_statistic_ext", "s.oid"),
        );
        for row in self.query(pg, &sql)? {
            let Some(table) = self.relations.get(&row.get::<_, u32>(0)).cloned() else {
                continue;
            };
            self.schema.statistics.push(Statistics {
                name: qname(row.get(1), row.get(2)),
                table,
                definition: row.get(3),
                target: row.get(4),
                comment: row.get(5),
            });
        }
        Ok(())
    }

    /// What each type, function, table and view needs, from `pg_depend` (normal dependencies
    /// between user objects): views' rules, column types and defaults, function signatures and
    /// SQL-standard bodies, domain checks. Row types count as their relation, arrays as their
    /// element type.
    fn dependencies(&mut self, pg: &mut Postgres) -> Result<(), DbError> {
        let sql = "SELECT DISTINCT \
                    CASE d.classid \
                         WHEN 'pg_class'::regclass THEN 'class' \
                         WHEN 'pg_rewrite'::regclass THEN 'class' \
                         WHEN 'pg_attrdef'::regclass THEN 'class' \
                         WHEN 'pg_proc'::regclass THEN 'proc' \
                         ELSE 'type' END, \
                    CASE d.classid \
                         WHEN 'pg_rewrite'::regclass THEN rw.ev_class \
                         WHEN 'pg_attrdef'::regclass THEN ad.adrelid \
                         WHEN 'pg_constraint'::regclass THEN co.contypid \
                         ELSE d.objid END, \
                    CASE WHEN d.refclassid = 'pg_proc'::regclass THEN 'proc' \
                         WHEN d.refclassid = 'pg_class'::regclass OR et.typrelid <> 0 THEN 'class' \
                         ELSE 'type' END, \
                    CASE WHEN d.refclassid = 'pg_type'::regclass THEN \
                              CASE WHEN et.typrelid <> 0 THEN et.typrelid ELSE et.oid END \
                         ELSE d.refobjid END \
             FROM pg_catalog.pg_depend d \
             LEFT JOIN pg_catalog.pg_rewrite rw ON d.classid = 'pg_rewrite'::regclass AND rw.oid = d.objid \
             LEFT JOIN pg_catalog.pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid \
             LEFT JOIN pg_catalog.pg_constraint co ON d.classid = 'pg_constraint'::regclass AND co.oid = d.objid \
             LEFT JOIN pg_catalog.pg_type rt ON d.refclassid = 'pg_type'::regclass AND rt.oid = d.refobjid \
             LEFT JOIN pg_catalog.pg_type et ON et.oid = \
                  CASE WHEN rt.typcategory = 'A' AND rt.typelem <> 0 THEN rt.typelem ELSE rt.oid END \
             WHERE d.deptype = 'n' AND d.objid >= 16384 AND d.refobjid >= 16384 \
               AND d.classid IN ('pg_class'::regclass, 'pg_rewrite'::regclass, 'pg_attrdef'::regclass, \
                                 'pg_proc'::regclass, 'pg_type'::regclass, 'pg_constraint'::regclass) \
               AND d.refclassid IN ('pg_class'::regclass, 'pg_type'::regclass, 'pg_proc'::regclass) \
               AND (d.classid <> 'pg_constraint'::regclass OR co.contypid <> 0)";
        let rows = self.query(pg, sql)?;
        let mut needs: HashMap<ObjectRef, Vec<ObjectRef>> = HashMap::new();
        for row in rows {
            let (Some(from_class), Some(to_class)) =
                (Class::parse(row.get(0)), Class::parse(row.get(2)))
            else {
                continue;
            };
            let (Some(from), Some(to)) = (
                self.refs.get(&(from_class, row.get::<_, u32>(1))),
                self.refs.get(&(to_class, row.get::<_, u32>(3))),
            ) else {
                continue;
            };
            if from != to {
                needs.entry(from.clone()).or_default().push(to.clone());
            }
        }
        let s = &mut self.schema;
        let mut take = |key: ObjectRef| needs.remove(&key).unwrap_or_default();
        for d in &mut s.domains {
            d.depends_on = take(d.key());
        }
        for t in &mut s.composite_types {
            t.depends_on = take(t.key());
        }
        for r in &mut s.range_types {
            r.depends_on = take(r.key());
        }
        for f in &mut s.functions {
            f.depends_on = take(f.key());
        }
        for a in &mut s.aggregates {
            a.depends_on = take(a.key());
        }
        for t in &mut s.tables {
            t.depends_on = take(t.key());
        }
        for v in &mut s.views {
            v.depends_on = take(v.key());
        }
        for v in &mut s.materialized_views {
            v.depends_on = take(v.key());
        }
        Ok(())
    }
}

/// A schema-qualified name from two nullable columns.
fn optional_name(schema: Option<String>, name: Option<String>) -> Option<QualifiedName> {
    Some(qname(schema?, name?))
}

fn fk_action(code: &str) -> ForeignKeyAction {
    match code {
        "r" => ForeignKeyAction::Restrict,
        "c" => ForeignKeyAction::Cascade,
        "n" => ForeignKeyAction::SetNull,
        "d" => ForeignKeyAction::SetDefault,
        _ => ForeignKeyAction::NoAction,
    }
}
