//! Objects of kinds the schema model does not cover, read in one query so that every command that
//! reads a schema can report them ([`Schema::not_modelled`](strata_schema::Schema)) instead of
//! leaving them out without a word. System objects and extension members are left out, as
//! everywhere in introspection: an extension brings its casts, operators and languages back
//! itself.
//!
//! The kinds are [`strata_schema::NOT_MODELLED_KINDS`]; a test checks that each can be reported.

use crate::Postgres;
use strata_engine::DbError;
use strata_schema::NotModelled;

/// `AND NOT EXISTS (…)`: not an extension's member.
fn own(catalog: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = '{catalog}'::regclass \
         AND e.objid = {oid} AND e.deptype = 'e')"
    )
}

/// `schema.name`, each part quoted as SQL writes it.
fn qualified(schema: &str, name: &str) -> String {
    format!("pg_catalog.quote_ident({schema}::text) || '.' || pg_catalog.quote_ident({name}::text)")
}

const USER: &str = "n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'";

/// One `SELECT kind, name` per kind, in [`strata_schema::NOT_MODELLED_KINDS`] order.
fn query() -> String {
    let ns = |alias: &str, column: &str| {
        format!("JOIN pg_catalog.pg_namespace n ON n.oid = {alias}.{column}")
    };
    let parts = [
        format!(
            "SELECT 'event trigger', pg_catalog.quote_ident(x.evtname::text) \
             FROM pg_catalog.pg_event_trigger x WHERE {}",
            own("pg_event_trigger", "x.oid")
        ),
        format!(
            "SELECT 'foreign-data wrapper', pg_catalog.quote_ident(x.fdwname::text) \
             FROM pg_catalog.pg_foreign_data_wrapper x WHERE {}",
            own("pg_foreign_data_wrapper", "x.oid")
        ),
        format!(
            "SELECT 'foreign server', pg_catalog.quote_ident(x.srvname::text) \
             FROM pg_catalog.pg_foreign_server x WHERE {}",
            own("pg_foreign_server", "x.oid")
        ),
        "SELECT 'user mapping', 'FOR ' || CASE WHEN x.umuser = 0 THEN 'PUBLIC' \
             ELSE pg_catalog.quote_ident(x.usename::text) END \
             || ' SERVER ' || pg_catalog.quote_ident(x.srvname::text) \
         FROM pg_catalog.pg_user_mappings x"
            .to_owned(),
        format!(
            "SELECT 'foreign table', {} FROM pg_catalog.pg_class x {} \
             WHERE x.relkind = 'f' AND {USER} AND {}",
            qualified("n.nspname", "x.relname"),
            ns("x", "relnamespace"),
            own("pg_class", "x.oid")
        ),
        "SELECT 'publication', pg_catalog.quote_ident(x.pubname::text) \
         FROM pg_catalog.pg_publication x"
            .to_owned(),
        "SELECT 'subscription', pg_catalog.quote_ident(x.subname::text) \
         FROM pg_catalog.pg_subscription x \
         WHERE x.subdbid = (SELECT oid FROM pg_catalog.pg_database \
                            WHERE datname = pg_catalog.current_database())"
            .to_owned(),
        format!(
            "SELECT 'cast', '(' || pg_catalog.format_type(x.castsource, NULL) || ' AS ' \
                    || pg_catalog.format_type(x.casttarget, NULL) || ')' \
             FROM pg_catalog.pg_cast x WHERE x.oid >= 16384 AND {}",
            own("pg_cast", "x.oid")
        ),
        format!(
            "SELECT 'operator', x.oid::pg_catalog.regoperator::text \
             FROM pg_catalog.pg_operator x {} WHERE {USER} AND {}",
            ns("x", "oprnamespace"),
            own("pg_operator", "x.oid")
        ),
        format!(
            "SELECT 'operator class', {} || ' USING ' || pg_catalog.quote_ident(am.amname::text) \
             FROM pg_catalog.pg_opclass x {} \
             JOIN pg_catalog.pg_am am ON am.oid = x.opcmethod WHERE {USER} AND {}",
            qualified("n.nspname", "x.opcname"),
            ns("x", "opcnamespace"),
            own("pg_opclass", "x.oid")
        ),
        format!(
            "SELECT 'operator family', {} || ' USING ' || pg_catalog.quote_ident(am.amname::text) \
             FROM pg_catalog.pg_opfamily x {} \
             JOIN pg_catalog.pg_am am ON am.oid = x.opfmethod WHERE {USER} AND {}",
            qualified("n.nspname", "x.opfname"),
            ns("x", "opfnamespace"),
            own("pg_opfamily", "x.oid")
        ),
        format!(
            "SELECT 'rule', pg_catalog.quote_ident(x.rulename::text) || ' ON ' || {} \
             FROM pg_catalog.pg_rewrite x JOIN pg_catalog.pg_class c ON c.oid = x.ev_class {} \
             WHERE x.rulename <> '_RETURN' AND {USER} AND {}",
            qualified("n.nspname", "c.relname"),
            ns("c", "relnamespace"),
            own("pg_rewrite", "x.oid")
        ),
        format!(
            "SELECT 'transform', 'FOR ' || pg_catalog.format_type(x.trftype, NULL) \
                    || ' LANGUAGE ' || pg_catalog.quote_ident(l.lanname::text) \
             FROM pg_catalog.pg_transform x JOIN pg_catalog.pg_language l ON l.oid = x.trflang \
             WHERE x.oid >= 16384 AND {}",
            own("pg_transform", "x.oid")
        ),
        format!(
            "SELECT 'language', pg_catalog.quote_ident(x.lanname::text) \
             FROM pg_catalog.pg_language x WHERE x.oid >= 16384 AND {}",
            own("pg_language", "x.oid")
        ),
        format!(
            "SELECT 'conversion', {} FROM pg_catalog.pg_conversion x {} WHERE {USER} AND {}",
            qualified("n.nspname", "x.conname"),
            ns("x", "connamespace"),
            own("pg_conversion", "x.oid")
        ),
        format!(
            "SELECT 'text search dictionary', {} FROM pg_catalog.pg_ts_dict x {} \
             WHERE {USER} AND {}",
            qualified("n.nspname", "x.dictname"),
            ns("x", "dictnamespace"),
            own("pg_ts_dict", "x.oid")
        ),
        format!(
            "SELECT 'text search parser', {} FROM pg_catalog.pg_ts_parser x {} \
             WHERE {USER} AND {}",
            qualified("n.nspname", "x.prsname"),
            ns("x", "prsnamespace"),
            own("pg_ts_parser", "x.oid")
        ),
        format!(
            "SELECT 'text search template', {} FROM pg_catalog.pg_ts_template x {} \
             WHERE {USER} AND {}",
            qualified("n.nspname", "x.tmplname"),
            ns("x", "tmplnamespace"),
            own("pg_ts_template", "x.oid")
        ),
        format!(
            "SELECT 'access method', pg_catalog.quote_ident(x.amname::text) \
             FROM pg_catalog.pg_am x WHERE x.oid >= 16384 AND {}",
            own("pg_am", "x.oid")
        ),
        // Base types (CREATE TYPE … (INPUT = …)), and shell types; not their array types.
        format!(
            "SELECT 'base type', {} FROM pg_catalog.pg_type x {} \
             WHERE x.typtype IN ('b', 'p') AND {USER} AND {} \
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.typarray = x.oid)",
            qualified("n.nspname", "x.typname"),
            ns("x", "typnamespace"),
            own("pg_type", "x.oid")
        ),
    ];
    parts.join(" UNION ALL ")
}

/// Every object of a kind the model does not cover, sorted.
pub(crate) fn read(pg: &mut Postgres) -> Result<Vec<NotModelled>, DbError> {
    let rows = pg.query_kept(&query())?;
    let mut out: Vec<NotModelled> = rows
        .into_iter()
        .map(|row| NotModelled {
            kind: row.get(0),
            name: row.get(1),
        })
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_kind_has_its_query() {
        let sql = super::query();
        for kind in strata_schema::NOT_MODELLED_KINDS {
            assert!(sql.contains(&format!("SELECT '{kind}'")), "{kind}");
        }
        assert_eq!(
            sql.matches(" UNION ALL ").count() + 1,
            strata_schema::NOT_MODELLED_KINDS.len()
        );
    }
}
