//! Gathering the snapshot `strata advise` checks: one query per kind of catalog object, then a
//! sample of each table's rows, all in one read-only repeatable-read transaction. Every query runs
//! under a `statement_timeout` of what is left of the time budget; each sample runs in a savepoint
//! so one that times out costs only its table. Nothing is written: the transaction is read-only
//! and is rolled back.

use crate::error::{db_err, CliError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use strata_advise::{
    Activity, Column, Constraint, ConstraintKind, Index, KeyProbe, Sample, Sequence, SequenceOwner,
    Snapshot, Table,
};
use strata_core::{quote_ident, quote_literal};
use strata_postgres::Postgres;

type Rows = Vec<Vec<Option<String>>>;

/// What the run covers and how long it may take.
pub struct Scope {
    pub schemas: Vec<String>,
    /// `(schema, table)`; schema `None` matches the table in any schema of the scope.
    pub tables: Vec<(Option<String>, String)>,
    /// Rows to sample per table; 0: the catalog and statistics only.
    pub sample_rows: usize,
    pub budget: Duration,
    pub progress: bool,
}

/// Per-table sampling, for `-v` and the benchmark.
pub struct Timing {
    pub table: String,
    pub rows: usize,
    pub millis: u128,
}

pub struct Gathered {
    pub snapshot: Snapshot,
    pub timings: Vec<Timing>,
    /// Tables left unsampled when the budget ran out.
    pub unsampled: Vec<String>,
    pub elapsed: Duration,
}

/// The tables strata keeps for itself.
const OWN_TABLES: &str = "('strata_version', 'strata_history', 'strata_online_state')";

struct Session<'a> {
    pg: &'a mut Postgres,
    start: Instant,
    budget: Duration,
}

impl Session<'_> {
    fn left(&self) -> Duration {
        self.budget.saturating_sub(self.start.elapsed())
    }

    /// `sql` under a statement_timeout of what is left of the budget (at least one second, so
    /// the catalog is always read).
    fn query(&mut self, sql: &str) -> Result<Rows, CliError> {
        let ms = self.left().as_millis().max(1000);
        self.pg
            .simple_query_rows(&format!("SET LOCAL statement_timeout = {ms}; {sql}"))
            .map_err(db_err("advise could not read the database"))
    }

    /// A sample query in a savepoint: a timeout loses this table's sample, not the run.
    fn try_query(&mut self, sql: &str) -> Result<Option<Rows>, CliError> {
        let ms = self.left().as_millis();
        if ms < 50 {
            return Ok(None);
        }
        let result = self.pg.simple_query_rows(&format!(
            "SAVEPOINT strata_advise; SET LOCAL statement_timeout = {ms}; {sql}"
        ));
        match result {
            Ok(rows) => {
                self.pg
                    .simple_query_rows("RELEASE SAVEPOINT strata_advise")
                    .map_err(db_err("advise could not read the database"))?;
                Ok(Some(rows))
            }
            Err(e) if e.code.as_deref() == Some("57014") => {
                self.pg
                    .simple_query_rows("ROLLBACK TO SAVEPOINT strata_advise")
                    .map_err(db_err("advise could not read the database"))?;
                Ok(None)
            }
            Err(e) => Err(db_err("advise could not sample a table")(e)),
        }
    }

    /// A query that may fail for reasons of its own (an extension not loaded): `None` then.
    fn optional_query(&mut self, sql: &str) -> Result<Option<Rows>, CliError> {
        let ms = self.left().as_millis().max(1000);
        match self.pg.simple_query_rows(&format!(
            "SAVEPOINT strata_advise; SET LOCAL statement_timeout = {ms}; {sql}"
        )) {
            Ok(rows) => {
                self.pg
                    .simple_query_rows("RELEASE SAVEPOINT strata_advise")
                    .map_err(db_err("advise could not read the database"))?;
                Ok(Some(rows))
            }
            Err(_) => {
                self.pg
                    .simple_query_rows("ROLLBACK TO SAVEPOINT strata_advise")
                    .map_err(db_err("advise could not read the database"))?;
                Ok(None)
            }
        }
    }
}

pub fn gather(pg: &mut Postgres, scope: &Scope) -> Result<Gathered, CliError> {
    let start = Instant::now();
    pg.simple_query_rows(
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL search_path = ''",
    )
    .map_err(db_err("advise could not start a read-only transaction"))?;
    let mut session = Session {
        pg,
        start,
        budget: scope.budget,
    };
    let result = read(&mut session, scope);
    // Read-only, so there is nothing to keep: roll back whatever happened.
    let _ = session.pg.simple_query_rows("ROLLBACK");
    let (snapshot, timings, unsampled) = result?;
    Ok(Gathered {
        snapshot,
        timings,
        unsampled,
        elapsed: start.elapsed(),
    })
}

fn schema_filter(scope: &Scope) -> String {
    if scope.schemas.is_empty() {
        "n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'".to_owned()
    } else {
        let list: Vec<String> = scope.schemas.iter().map(|s| quote_literal(s)).collect();
        format!("n.nspname IN ({})", list.join(", "))
    }
}

fn relation_filter(scope: &Scope) -> String {
    let mut filter = format!(
        "{} AND c.relname NOT IN {OWN_TABLES} AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
         WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'e')",
        schema_filter(scope)
    );
    if !scope.tables.is_empty() {
        let alternatives: Vec<String> = scope
            .tables
            .iter()
            .map(|(schema, table)| match schema {
                Some(s) => format!(
                    "(n.nspname = {} AND c.relname = {})",
                    quote_literal(s),
                    quote_literal(table)
                ),
                None => format!("c.relname = {}", quote_literal(table)),
            })
            .collect();
        filter.push_str(&format!(" AND ({})", alternatives.join(" OR ")));
    }
    filter
}

fn text(row: &[Option<String>], n: usize) -> String {
    row.get(n).cloned().flatten().unwrap_or_default()
}

fn int(row: &[Option<String>], n: usize) -> i64 {
    row.get(n)
        .and_then(|v| v.as_deref())
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0, |v| v as i64)
}

fn float(row: &[Option<String>], n: usize) -> Option<f64> {
    row.get(n)
        .and_then(|v| v.as_deref())
        .and_then(|v| v.parse().ok())
}

fn flag(row: &[Option<String>], n: usize) -> bool {
    row.get(n).and_then(|v| v.as_deref()) == Some("t")
}

/// A JSON array of names (NULL elements for expressions).
fn names(row: &[Option<String>], n: usize) -> Vec<Option<String>> {
    match row
        .get(n)
        .and_then(|v| v.as_deref())
        .map(serde_json::from_str::<Value>)
    {
        Some(Ok(Value::Array(items))) => items
            .into_iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

type Read = (Snapshot, Vec<Timing>, Vec<String>);

fn read(s: &mut Session<'_>, scope: &Scope) -> Result<Read, CliError> {
    let filter = relation_filter(scope);
    let mut tables: Vec<Table> = Vec::new();
    let mut by_oid: HashMap<String, usize> = HashMap::new();
    for row in s.query(&format!(
        "SELECT c.oid, n.nspname, c.relname, c.relkind, c.relispartition, c.reltuples::bigint, \
                pg_catalog.pg_total_relation_size(c.oid), st.seq_scan, st.idx_scan, st.n_tup_ins, \
                st.n_tup_upd, st.n_tup_del, st.n_live_tup, st.n_dead_tup \
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_catalog.pg_stat_user_tables st ON st.relid = c.oid \
         WHERE c.relkind IN ('r', 'p') AND {filter} ORDER BY n.nspname, c.relname"
    ))? {
        by_oid.insert(text(&row, 0), tables.len());
        tables.push(Table {
            schema: text(&row, 1),
            name: text(&row, 2),
            partitioned: text(&row, 3) == "p",
            partition: flag(&row, 4),
            rows: int(&row, 5),
            total_bytes: int(&row, 6),
            activity: Activity {
                seq_scan: int(&row, 7),
                idx_scan: int(&row, 8),
                inserts: int(&row, 9),
                updates: int(&row, 10),
                deletes: int(&row, 11),
                live: int(&row, 12),
                dead: int(&row, 13),
            },
            ..Table::default()
        });
    }
    for row in s.query(&format!(
        "SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), \
                CASE WHEN t.typtype = 'd' THEN bt.typname ELSE t.typname END, a.attnotnull, \
                pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), a.attidentity <> '', st.null_frac, st.n_distinct \
         FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype \
         LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
         LEFT JOIN pg_catalog.pg_stats st ON st.schemaname = n.nspname AND st.tablename = c.relname \
              AND st.attname = a.attname AND NOT st.inherited \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND {filter} \
         ORDER BY a.attrelid, a.attnum"
    ))? {
        if let Some(&t) = by_oid.get(&text(&row, 0)) {
            tables[t].columns.push(Column {
                name: text(&row, 1),
                type_name: text(&row, 2),
                base: text(&row, 3),
                not_null: flag(&row, 4),
                default: row.get(5).cloned().flatten(),
                identity: flag(&row, 6),
                null_frac: float(&row, 7),
                n_distinct: float(&row, 8),
            });
        }
    }
    for row in s.query(&format!(
        "SELECT i.indrelid, ic.relname, pg_catalog.pg_get_indexdef(i.indexrelid), am.amname, \
                i.indisunique, i.indisprimary, i.indisvalid, pg_catalog.pg_get_expr(i.indpred, i.indrelid), \
                con.conname, pg_catalog.pg_relation_size(i.indexrelid), coalesce(si.idx_scan, 0), \
                (SELECT pg_catalog.json_agg(a.attname ORDER BY k.ord) \
                 FROM unnest(i.indkey) WITH ORDINALITY k(num, ord) \
                 LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num \
                 WHERE k.ord <= i.indnkeyatts) \
         FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid \
         JOIN pg_catalog.pg_class c ON c.oid = i.indrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_catalog.pg_am am ON am.oid = ic.relam \
         LEFT JOIN pg_catalog.pg_constraint con ON con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x') \
         LEFT JOIN pg_catalog.pg_stat_user_indexes si ON si.indexrelid = i.indexrelid \
         WHERE {filter} ORDER BY i.indrelid, ic.relname"
    ))? {
        if let Some(&t) = by_oid.get(&text(&row, 0)) {
            tables[t].indexes.push(Index {
                name: text(&row, 1),
                definition: text(&row, 2),
                method: text(&row, 3),
                unique: flag(&row, 4),
                primary: flag(&row, 5),
                valid: flag(&row, 6),
                predicate: row.get(7).cloned().flatten(),
                constraint: row.get(8).cloned().flatten(),
                size_bytes: int(&row, 9),
                scans: int(&row, 10),
                columns: names(&row, 11),
            });
        }
    }
    for row in s.query(&format!(
        "SELECT con.conrelid, con.conname, con.contype, pg_catalog.pg_get_constraintdef(con.oid), \
                (SELECT pg_catalog.json_agg(a.attname ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(num, ord) \
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num), \
                rn.nspname, rc.relname, \
                (SELECT pg_catalog.json_agg(a.attname ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY k(num, ord) \
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num) \
         FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class c ON c.oid = con.conrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid \
         LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace \
         WHERE con.contype IN ('p', 'u', 'f', 'c', 'x') AND {filter} ORDER BY con.conrelid, con.conname"
    ))? {
        let Some(&t) = by_oid.get(&text(&row, 0)) else { continue };
        let kind = match text(&row, 2).as_str() {
            "p" => ConstraintKind::PrimaryKey,
            "u" => ConstraintKind::Unique,
            "f" => ConstraintKind::ForeignKey,
            "c" => ConstraintKind::Check,
            _ => ConstraintKind::Exclusion,
        };
        let flat = |v: Vec<Option<String>>| v.into_iter().flatten().collect::<Vec<_>>();
        tables[t].constraints.push(Constraint {
            name: text(&row, 1),
            kind,
            definition: text(&row, 3),
            columns: flat(names(&row, 4)),
            references: row
                .get(6)
                .cloned()
                .flatten()
                .map(|table| (text(&row, 5), table)),
            ref_columns: flat(names(&row, 7)),
        });
    }
    let mut sequences = Vec::new();
    for row in s.query(&format!(
        "SELECT n.nspname, c.relname, t.typname, ps.last_value, s.seqmax, s.seqincrement, \
                tn.nspname, tc.relname, a.attname, at.typname, a.attidentity <> '' \
         FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_catalog.pg_type t ON t.oid = s.seqtypid \
         LEFT JOIN pg_catalog.pg_sequences ps ON ps.schemaname = n.nspname AND ps.sequencename = c.relname \
         LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass \
              AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass \
              AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0 \
         LEFT JOIN pg_catalog.pg_class tc ON tc.oid = d.refobjid \
         LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace \
         LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
         LEFT JOIN pg_catalog.pg_type at ON at.oid = a.atttypid \
         WHERE {} ORDER BY 1, 2",
        schema_filter(scope)
    ))? {
        let owner = row.get(7).cloned().flatten().map(|table| SequenceOwner {
            schema: text(&row, 6),
            table,
            column: text(&row, 8),
            column_base: text(&row, 9),
            identity: flag(&row, 10),
        });
        // With --table, only the sequences of those tables.
        if !scope.tables.is_empty()
            && !owner.as_ref().is_some_and(|o| tables.iter().any(|t| t.schema == o.schema && t.name == o.table))
        {
            continue;
        }
        sequences.push(Sequence {
            schema: text(&row, 0),
            name: text(&row, 1),
            type_name: text(&row, 2),
            last_value: row.get(3).cloned().flatten().and_then(|v| v.parse().ok()),
            max_value: int(&row, 4),
            increment: int(&row, 5),
            owner,
        });
    }
    let stats = s.query(
        "SELECT extract(epoch FROM now() - coalesce(stats_reset, pg_catalog.pg_postmaster_start_time()))::bigint, \
                coalesce(stats_reset, pg_catalog.pg_postmaster_start_time())::text \
         FROM pg_catalog.pg_stat_database WHERE datname = current_database()",
    )?;
    let extensions = s
        .query("SELECT extname FROM pg_catalog.pg_extension ORDER BY 1")?
        .into_iter()
        .map(|r| text(&r, 0))
        .collect();
    // pg_stat_statements, when installed and loaded: the queries that use JSONB operators.
    let mut jsonb_queries = None;
    if let Some(row) = s
        .query("SELECT extnamespace::pg_catalog.regnamespace::text FROM pg_catalog.pg_extension WHERE extname = 'pg_stat_statements'")?
        .first()
    {
        let sql = format!(
            "SELECT query FROM {}.pg_stat_statements WHERE query ~ '(@>|<@|\\?[|&]?|@\\?|@@)' LIMIT 5000",
            text(row, 0)
        );
        jsonb_queries = s
            .optional_query(&sql)?
            .map(|rows| rows.into_iter().map(|r| text(&r, 0)).collect());
    }
    let mut snapshot = Snapshot {
        jsonb_queries,
        tables,
        sequences,
        stats_age_secs: stats.first().map(|r| int(r, 0).max(0) as u64),
        stats_since: stats.first().map(|r| text(r, 1)),
        extensions,
    };
    let (timings, unsampled) = sample_all(s, scope, &mut snapshot)?;
    probe_keys(s, &mut snapshot)?;
    Ok((snapshot, timings, unsampled))
}

/// The expression a column is sampled with: its text, except for types too large or useless to
/// compare (binary data, search vectors, embeddings).
fn sampled(column: &Column) -> String {
    match column.base.as_str() {
        "bytea" | "tsvector" | "vector" | "oid" => "NULL".to_owned(),
        _ => format!("{}::text", quote_ident(&column.name)),
    }
}

fn sample_all(
    s: &mut Session<'_>,
    scope: &Scope,
    snapshot: &mut Snapshot,
) -> Result<(Vec<Timing>, Vec<String>), CliError> {
    let bar = if scope.progress {
        ProgressBar::new(snapshot.tables.len() as u64)
    } else {
        ProgressBar::with_draw_target(
            Some(snapshot.tables.len() as u64),
            ProgressDrawTarget::hidden(),
        )
    };
    bar.set_style(
        ProgressStyle::with_template("  sampling [{bar:30}] {pos}/{len} tables  {elapsed}  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut timings = Vec::new();
    let mut unsampled = Vec::new();
    if scope.sample_rows == 0 {
        return Ok((timings, unsampled));
    }
    let want = scope.sample_rows as i64;
    for table in snapshot.tables.iter_mut() {
        bar.set_message(table.display());
        // A partitioned parent has no rows of its own: its partitions are sampled.
        if table.partitioned || table.columns.is_empty() {
            bar.inc(1);
            continue;
        }
        let started = Instant::now();
        let columns: Vec<String> = table.columns.iter().map(sampled).collect();
        let from = if table.rows > want * 4 {
            let percent = (want as f64 * 150.0 / table.rows as f64).clamp(0.0001, 100.0);
            format!("{} TABLESAMPLE SYSTEM ({percent:.4})", table.qualified())
        } else {
            table.qualified()
        };
        let sql = format!("SELECT {} FROM {from} LIMIT {want}", columns.join(", "));
        match s.try_query(&sql)? {
            Some(rows) => {
                let complete = table.rows <= want * 4 && (rows.len() as i64) < want;
                if complete {
                    table.rows = rows.len() as i64;
                }
                timings.push(Timing {
                    table: table.display(),
                    rows: rows.len(),
                    millis: started.elapsed().as_millis(),
                });
                table.sample = Some(Sample { rows, complete });
            }
            None => unsampled.push(table.display()),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok((timings, unsampled))
}

/// For each `x_id` column without a foreign key: the sampled values looked up in the primary key
/// of a table named `x`, `xs`, `xes` or `x` → `xies`, in the same schema first.
fn probe_keys(s: &mut Session<'_>, snapshot: &mut Snapshot) -> Result<(), CliError> {
    let mut probes: Vec<(usize, KeyProbe, String)> = Vec::new();
    for (n, table) in snapshot.tables.iter().enumerate() {
        if table.sample.is_none() {
            continue;
        }
        for (c, column) in table.columns.iter().enumerate() {
            let Some(stem) = column.name.strip_suffix("_id") else {
                continue;
            };
            if stem.is_empty()
                || table
                    .foreign_keys()
                    .any(|fk| fk.columns.contains(&column.name))
                || table
                    .primary_key()
                    .is_some_and(|pk| pk.columns == [column.name.clone()])
            {
                continue;
            }
            let candidates = [
                stem.to_owned(),
                format!("{stem}s"),
                format!("{stem}es"),
                stem.strip_suffix('y')
                    .map(|s| format!("{s}ies"))
                    .unwrap_or_default(),
            ];
            let target = snapshot
                .tables
                .iter()
                .filter(|t| {
                    candidates.contains(&t.name)
                        && !(t.schema == table.schema && t.name == table.name)
                })
                .min_by_key(|t| t.schema != table.schema)
                .and_then(|t| {
                    let pk = t.primary_key()?;
                    let [key] = pk.columns.as_slice() else {
                        return None;
                    };
                    let key_col = t.column(key)?;
                    (key_col.base == column.base).then(|| (t, key.clone()))
                });
            let Some((target, key)) = target else {
                continue;
            };
            let mut values: Vec<&str> = table.values(c).flatten().collect();
            values.sort_unstable();
            values.dedup();
            values.truncate(1000);
            if values.is_empty() {
                continue;
            }
            let list: Vec<String> = values.iter().map(|v| quote_literal(v)).collect();
            let sql = format!(
                "SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM {} t WHERE t.{} = v)) \
                 FROM unnest(ARRAY[{}]::{}[]) v",
                target.qualified(),
                quote_ident(&key),
                list.join(", "),
                column.type_name
            );
            probes.push((
                n,
                KeyProbe {
                    column: column.name.clone(),
                    target_schema: target.schema.clone(),
                    target_table: target.name.clone(),
                    target_column: key,
                    checked: 0,
                    missing: 0,
                },
                sql,
            ));
        }
    }
    for (n, mut probe, sql) in probes {
        if let Some(rows) = s.try_query(&sql)? {
            if let Some(row) = rows.first() {
                probe.checked = int(row, 0);
                probe.missing = int(row, 1);
                snapshot.tables[n].key_probes.push(probe);
            }
        }
    }
    Ok(())
}
