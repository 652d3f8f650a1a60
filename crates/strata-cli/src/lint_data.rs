//! The data-aware half of `strata lint` with a database connected: it runs the linter's data
//! questions ([`strata_lint::data::questions`]) against the database within a time budget
//! (`[lint] data_checks`), sampling large tables, and measures and caches the server's
//! throughput for estimated durations (`strata lint --calibrate`). Never run by `upgrade`: it
//! reads whole tables.
//!
//! Every query runs in a transaction of its own that is rolled back (read-only, except the one
//! that needs a temporary function to test conversions), with `statement_timeout` set to what is
//! left of the budget and a short `lock_timeout`, so a check never waits behind a migration's lock
//! (and never makes anyone wait behind it).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use strata_engine::DbError;
use strata_lint::data::{Answer, Answers, Asked, Question};
use strata_lint::walk;
use strata_lint::{Options, Source};
use strata_postgres::Postgres;

/// Tables with more estimated rows than this are sampled (`TABLESAMPLE SYSTEM`).
pub const SAMPLE_ABOVE_ROWS: f64 = 1_000_000.0;
/// About how many rows a sample reads.
const SAMPLE_ROWS: f64 = 200_000.0;

/// What the data checks did, for the one-line notice after the findings.
#[derive(Debug, Default)]
pub struct Summary {
    pub asked: usize,
    pub answered: usize,
    /// "orders (2.00% of 5,000,000 rows)".
    pub sampled: Vec<String>,
    /// Checks stopped by the time budget.
    pub cut_short: Vec<String>,
    /// Checks not started: the budget was spent.
    pub not_started: usize,
    /// Checks that failed otherwise (the message).
    pub failed: Vec<String>,
    /// Durations were asked but no throughput is measured for this server.
    pub uncalibrated: bool,
    pub budget: Duration,
    pub took: Duration,
}

impl Summary {
    /// The notice line, or `None` when nothing was asked.
    pub fn notice(&self) -> Option<String> {
        if self.asked == 0 {
            return None;
        }
        let mut parts = vec![format!(
            "data checks: {} of {} answered in {:.1} s (budget {})",
            self.answered,
            self.asked,
            self.took.as_secs_f64(),
            seconds(self.budget)
        )];
        if !self.sampled.is_empty() {
            parts.push(format!("sampled: {}", self.sampled.join(", ")));
        }
        if !self.cut_short.is_empty() {
            parts.push(format!(
                "cut short at the time budget: {}",
                self.cut_short.join(", ")
            ));
        }
        if self.not_started > 0 {
            parts.push(format!(
                "{} not run (the time budget was spent; raise [lint] data_checks)",
                self.not_started
            ));
        }
        if !self.failed.is_empty() {
            parts.push(format!("failed: {}", self.failed.join("; ")));
        }
        if self.uncalibrated {
            parts.push(
                "no durations: this server's throughput is not measured yet (run `strata lint --calibrate`)"
                    .to_owned(),
            );
        }
        Some(parts.join("; "))
    }
}

fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// The server's throughput, measured by [`calibrate`]: bytes per second of table read by a scan,
/// copied by a rewrite, and indexed by an index build.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Throughput {
    pub server: String,
    pub scan_bytes_per_s: f64,
    pub rewrite_bytes_per_s: f64,
    pub build_bytes_per_s: f64,
    pub measured_at: String,
}

/// Size facts of one table.
#[derive(Clone, Copy, Debug)]
struct TableSize {
    rows: f64,
    /// Heap and TOAST (`pg_table_size`).
    table_bytes: u64,
    /// With indexes (`pg_total_relation_size`).
    total_bytes: u64,
}

/// Runs the questions of `sources` within `budget` and returns the answers for
/// `Options::data`.
pub fn run(
    pg: &mut Postgres,
    sources: &[Source],
    options: &Options,
    budget: Duration,
    throughput: Option<&Throughput>,
) -> (Answers, Summary) {
    let started = Instant::now();
    let deadline = started + budget;
    let mut answers = Answers::default();
    let mut summary = Summary {
        budget,
        ..Summary::default()
    };
    let mut sizes: BTreeMap<String, Option<TableSize>> = BTreeMap::new();
    let mut pending: Vec<Asked> = strata_lint::data::questions(sources, options);
    pending.reverse();
    while let Some(asked) = pending.pop() {
        summary.asked += 1;
        let Asked { at, question } = asked;
        let left = deadline.saturating_duration_since(Instant::now());
        if left < Duration::from_millis(20) {
            summary.not_started += 1;
            answers.insert(
                at,
                question,
                Answer::NotChecked {
                    why: "the time budget was spent".to_owned(),
                },
            );
            continue;
        }
        // Questions the catalog turns into others.
        match &question {
            Question::Validate { table, constraint } => {
                summary.asked -= 1;
                if let Ok(Some(def)) = constraint_def(pg, table, constraint) {
                    for q in strata_lint::data::constraint_question(table, &def)
                        .into_iter()
                        .rev()
                    {
                        pending.push(Asked { at, question: q });
                    }
                }
                continue;
            }
            Question::Orphans {
                table,
                columns,
                referenced,
                referenced_columns,
            } if referenced_columns.is_empty() => {
                summary.asked -= 1;
                if let Ok(key) = primary_key(pg, referenced) {
                    if key.len() == columns.len() {
                        pending.push(Asked {
                            at,
                            question: Question::Orphans {
                                table: table.clone(),
                                columns: columns.clone(),
                                referenced: referenced.clone(),
                                referenced_columns: key,
                            },
                        });
                    }
                }
                continue;
            }
            _ => {}
        }
        let table = table_of(&question).to_owned();
        let size = *sizes
            .entry(table.clone())
            .or_insert_with(|| table_size(pg, &table).ok().flatten());
        let Some(size) = size else {
            continue;
        };
        let answer = match &question {
            Question::Duration { effect, retype, .. } => {
                let Some(t) = throughput else {
                    summary.uncalibrated = true;
                    summary.asked -= 1;
                    continue;
                };
                let (bytes, rate) = match effect {
                    strata_lint::locks::Effect::Rewrite => {
                        (size.total_bytes, t.rewrite_bytes_per_s)
                    }
                    strata_lint::locks::Effect::Build => (size.table_bytes, t.build_bytes_per_s),
                    _ => (size.table_bytes, t.scan_bytes_per_s),
                };
                let old_type = match retype {
                    Some(column) => column_type(pg, &table, column).ok().flatten(),
                    None => None,
                };
                Answer::Duration {
                    bytes,
                    seconds: bytes as f64 / rate.max(1.0),
                    old_type,
                }
            }
            _ => {
                let sample = (size.rows > SAMPLE_ABOVE_ROWS)
                    .then(|| (100.0 * SAMPLE_ROWS / size.rows).clamp(0.01, 100.0))
                    .map(|p| (p * 100.0).round() / 100.0);
                if let Some(p) = sample {
                    let entry = format!("{table} ({p}% of about {} rows)", size.rows as u64);
                    if !summary.sampled.contains(&entry) {
                        summary.sampled.push(entry);
                    }
                }
                match count(pg, &question, sample, left) {
                    Ok(Some(n)) => Answer::Count {
                        count: n,
                        sampled: sample,
                    },
                    Ok(None) => continue,
                    Err(e) if e.code.as_deref() == Some("57014") => {
                        summary
                            .cut_short
                            .push(format!("{table} after {:.1} s", left.as_secs_f64()));
                        Answer::NotChecked {
                            why: "cut short at the time budget".to_owned(),
                        }
                    }
                    Err(e) => {
                        summary.failed.push(format!("{table}: {}", e.message));
                        Answer::NotChecked { why: e.message }
                    }
                }
            }
        };
        if !matches!(answer, Answer::NotChecked { .. }) {
            summary.answered += 1;
        }
        answers.insert(at, question, answer);
    }
    summary.took = started.elapsed();
    (answers, summary)
}

fn table_of(q: &Question) -> &str {
    match q {
        Question::Duplicates { table, .. }
        | Question::Nulls { table, .. }
        | Question::Orphans { table, .. }
        | Question::Validate { table, .. }
        | Question::Unconvertible { table, .. }
        | Question::Duration { table, .. } => table,
    }
}

/// A text value as an SQL literal.
fn literal(text: &str) -> String {
    strata_core::quote_literal(text)
}

fn regclass(table: &str) -> String {
    format!("to_regclass({})", literal(&walk::table_ident(table)))
}

fn table_size(pg: &mut Postgres, table: &str) -> Result<Option<TableSize>, DbError> {
    let rows = pg.simple_query_rows(&format!(
        "SELECT c.reltuples::float8::text, pg_table_size(c.oid)::text, pg_total_relation_size(c.oid)::text \
         FROM pg_catalog.pg_class c WHERE c.oid = {}",
        regclass(table)
    ))?;
    let Some([Some(rows), Some(table_bytes), Some(total_bytes)]) = rows.first().map(|r| &r[..])
    else {
        return Ok(None);
    };
    Ok(Some(TableSize {
        rows: rows.parse::<f64>().unwrap_or(-1.0),
        table_bytes: table_bytes.parse().unwrap_or(0),
        total_bytes: total_bytes.parse().unwrap_or(0),
    }))
}

fn column_type(pg: &mut Postgres, table: &str, column: &str) -> Result<Option<String>, DbError> {
    let rows = pg.simple_query_rows(&format!(
        "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a \
         WHERE a.attrelid = {} AND a.attname = {} AND NOT a.attisdropped",
        regclass(table),
        literal(column)
    ))?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten()))
}

fn constraint_def(
    pg: &mut Postgres,
    table: &str,
    constraint: &str,
) -> Result<Option<String>, DbError> {
    let rows = pg.simple_query_rows(&format!(
        "SELECT pg_get_constraintdef(k.oid) FROM pg_catalog.pg_constraint k \
         WHERE k.conrelid = {} AND k.conname = {}",
        regclass(table),
        literal(constraint)
    ))?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten()))
}

fn primary_key(pg: &mut Postgres, table: &str) -> Result<Vec<String>, DbError> {
    let rows = pg.simple_query_rows(&format!(
        "SELECT a.attname FROM pg_catalog.pg_index i \
         JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) \
         WHERE i.indrelid = {} AND i.indisprimary \
         ORDER BY array_position(i.indkey::int2[], a.attnum)",
        regclass(table)
    ))?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect())
}

/// Runs a counting question in a transaction of its own, rolled back, with `statement_timeout`
/// at what is left of the budget.
fn count(
    pg: &mut Postgres,
    question: &Question,
    sample: Option<f64>,
    left: Duration,
) -> Result<Option<u64>, DbError> {
    let (setup, query) = match question {
        Question::Unconvertible { table, column, .. } => {
            let Some(old) = column_type(pg, table, column)? else {
                return Ok(None);
            };
            let Some((function, query)) = question.unconvertible_sql(&old, sample) else {
                return Ok(None);
            };
            (Some(function), query)
        }
        _ => match question.count_sql(sample) {
            Some(query) => (None, query),
            None => return Ok(None),
        },
    };
    let ms = left.as_millis().max(1);
    let begin = if setup.is_some() {
        "BEGIN"
    } else {
        "BEGIN READ ONLY"
    };
    pg.simple_query_rows(&format!(
        "{begin}; SET LOCAL statement_timeout = {ms}; SET LOCAL lock_timeout = {}",
        ms.min(1000)
    ))?;
    let result = (|| {
        if let Some(setup) = &setup {
            pg.simple_query_rows(setup)?;
        }
        pg.simple_query_rows(&query)
    })();
    // Always end the transaction (it is aborted when the query failed).
    let _ = pg.simple_query_rows("ROLLBACK");
    let rows = result?;
    Ok(rows
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .and_then(|n| n.parse().ok()))
}

// --- Throughput: measured once per server, cached.

/// What identifies the server: its system identifier when this role may read it, else its
/// address and port.
pub fn server_key(pg: &mut Postgres) -> String {
    if let Ok(rows) =
        pg.simple_query_rows("SELECT system_identifier::text FROM pg_control_system()")
    {
        if let Some(Some(id)) = rows.first().and_then(|r| r.first()) {
            return format!("system-{id}");
        }
    }
    let rows = pg
        .simple_query_rows(
            "SELECT coalesce(host(inet_server_addr()), 'local'), coalesce(inet_server_port(), 0)::text",
        )
        .unwrap_or_default();
    match rows.first().map(|r| &r[..]) {
        Some([Some(host), Some(port)]) => format!("{host}-{port}")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect(),
        _ => "unknown".to_owned(),
    }
}

/// Where the measured throughput of a server is kept: `$STRATA_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/strata`, else `~/.cache/strata`; one file per server under `throughput/`.
pub fn cache_file(key: &str) -> Option<PathBuf> {
    let dir = if let Some(dir) = std::env::var_os("STRATA_CACHE_DIR").filter(|d| !d.is_empty()) {
        PathBuf::from(dir)
    } else if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        PathBuf::from(dir).join("strata")
    } else {
        PathBuf::from(std::env::var_os("HOME")?)
            .join(".cache")
            .join("strata")
    };
    Some(dir.join("throughput").join(format!("{key}.json")))
}

/// The cached throughput of the connected server, when measured.
pub fn cached(pg: &mut Postgres) -> Option<Throughput> {
    let path = cache_file(&server_key(pg))?;
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// Measures the server's throughput on a table of its own (about 40 MB, in a transaction that is
/// rolled back: nothing is left behind), and caches it. Returns it with the cache file.
pub fn calibrate(pg: &mut Postgres) -> Result<(Throughput, Option<PathBuf>), DbError> {
    let key = server_key(pg);
    pg.simple_query_rows("BEGIN; SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0")?;
    let measured = (|| -> Result<(f64, f64, f64), DbError> {
        let name = "strata_calibration";
        // A regular table (written to the WAL like the user's); a temporary one when this role
        // may not create tables.
        pg.simple_query_rows("SAVEPOINT calibration")?;
        let create = format!(
            "CREATE TABLE {name} AS SELECT g AS id, md5(g::text) AS a, g % 1000 AS b, now() AS at \
             FROM generate_series(1, 400000) AS g"
        );
        if pg.simple_query_rows(&create).is_err() {
            pg.simple_query_rows("ROLLBACK TO SAVEPOINT calibration")?;
            pg.simple_query_rows(&create.replace("CREATE TABLE", "CREATE TEMP TABLE"))?;
        }
        pg.simple_query_rows(&format!("CREATE INDEX {name}_id ON {name} (id)"))?;
        let size = |pg: &mut Postgres, f: &str| -> Result<f64, DbError> {
            let rows = pg.simple_query_rows(&format!("SELECT {f}('{name}'::regclass)::text"))?;
            Ok(rows
                .first()
                .and_then(|r| r.first().cloned().flatten())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0))
        };
        let timed = |pg: &mut Postgres, sql: &str| -> Result<f64, DbError> {
            let t = Instant::now();
            pg.simple_query_rows(sql)?;
            Ok(t.elapsed().as_secs_f64().max(1e-3))
        };
        let table = size(pg, "pg_table_size")?;
        let scan = table / timed(pg, &format!("SELECT count(*) FROM {name} WHERE a IS NULL"))?;
        let build = table / timed(pg, &format!("CREATE INDEX {name}_a ON {name} (a)"))?;
        let total = size(pg, "pg_total_relation_size")?;
        let rewrite = total
            / timed(
                pg,
                &format!("ALTER TABLE {name} ALTER COLUMN id TYPE bigint"),
            )?;
        Ok((scan, rewrite, build))
    })();
    let _ = pg.simple_query_rows("ROLLBACK");
    let (scan, rewrite, build) = measured?;
    let now = time::OffsetDateTime::now_utc();
    let throughput = Throughput {
        server: key.clone(),
        scan_bytes_per_s: scan,
        rewrite_bytes_per_s: rewrite,
        build_bytes_per_s: build,
        measured_at: now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    };
    let path = cache_file(&key);
    if let Some(path) = &path {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = std::fs::write(
            path,
            serde_json::to_string_pretty(&throughput).unwrap_or_default(),
        );
    }
    Ok((throughput, path))
}
