//! Second and third normal form from the data: a non-key column whose value determines other
//! columns in the sample (`zip → city, state`; `product_id → product_name, unit_price` in order
//! lines). Each fact is stored once per row instead of once, and copies drift apart. Needs
//! `--min-rows` sampled rows; a dependency must hold in 99% of the rows whose determinant repeats,
//! and the determinant must repeat (at least half the rows share their value with another).

use super::{column_list, object_name, slug};
use crate::model::{count, Column, Table};
use crate::stats::{self, percent};
use crate::{Finding, Fix, Options, Severity, Snapshot};
use strata_core::quote_ident;

const MIN_CONFIDENCE: f64 = 0.99;

fn can_determine(column: &Column) -> bool {
    !column.base.starts_with('_')
        && !matches!(
            column.base.as_str(),
            "json"
                | "jsonb"
                | "bytea"
                | "tsvector"
                | "float4"
                | "float8"
                | "bool"
                | "timestamp"
                | "timestamptz"
                | "date"
                | "time"
                | "timetz"
                | "numeric"
                | "xml"
                | "vector"
        )
}

fn can_depend(column: &Column) -> bool {
    !matches!(column.base.as_str(), "bytea" | "tsvector" | "vector")
}

pub fn check(snapshot: &Snapshot, options: &Options, out: &mut Vec<Finding>) {
    for table in &snapshot.tables {
        let rows = table.sampled_rows();
        if rows < options.min_rows.max(2) {
            continue;
        }
        let pk: Vec<String> = table
            .primary_key()
            .map(|c| c.columns.clone())
            .unwrap_or_default();
        let columns: Vec<_> = (0..table.columns.len())
            .map(|n| stats::interned(table, n))
            .collect();
        let n = columns.len();
        let mut depends = vec![vec![None; n]; n];
        for a in 0..n {
            let col = &table.columns[a];
            if !can_determine(col) || table.is_unique(&col.name) || pk == [col.name.clone()] {
                continue;
            }
            let (values, distinct) = &columns[a];
            let groups = stats::groups(values, *distinct);
            let non_null: usize = groups.iter().map(Vec::len).sum();
            if *distinct < 3 || distinct * 2 > non_null || non_null * 2 < rows {
                continue;
            }
            for b in 0..n {
                let dep = &table.columns[b];
                if b == a || !can_depend(dep) || pk.contains(&dep.name) {
                    continue;
                }
                let (bv, bd) = &columns[b];
                if *bd < 2 || stats::top_share(bv, *bd) >= 0.9 {
                    continue;
                }
                let allowed = non_null - (non_null as f64 * MIN_CONFIDENCE).ceil() as usize;
                let Some(d) = stats::dependency(bv, &groups, allowed) else {
                    continue;
                };
                if d.repeated_rows * 2 >= d.rows && d.confidence() >= MIN_CONFIDENCE {
                    depends[a][b] = Some(d);
                }
            }
        }
        report(table, &depends, out);
    }
}

fn report(table: &Table, depends: &[Vec<Option<stats::Dependency>>], out: &mut Vec<Finding>) {
    let n = depends.len();
    let dependents =
        |a: usize| -> Vec<usize> { (0..n).filter(|&b| depends[a][b].is_some()).collect() };
    // Prefer key-like determinants (`*_id`), then column order.
    let mut order: Vec<usize> = (0..n).filter(|&a| !dependents(a).is_empty()).collect();
    order.sort_by_key(|&a| (!table.columns[a].name.ends_with("_id"), a));
    let mut reported: Vec<usize> = Vec::new();
    for a in order {
        let deps = dependents(a);
        // Skip a determinant equivalent to, or implied by, one already reported.
        let implied = reported.iter().any(|&r| {
            depends[r][a].is_some() && deps.iter().all(|&b| b == r || depends[r][b].is_some())
        });
        if implied {
            continue;
        }
        reported.push(a);
        let det = &table.columns[a];
        let names: Vec<String> = deps
            .iter()
            .map(|&b| table.columns[b].name.clone())
            .collect();
        let weakest = deps
            .iter()
            .filter_map(|&b| depends[a][b].as_ref())
            .min_by(|x, y| x.confidence().total_cmp(&y.confidence()))
            .expect("a determinant has dependents");
        let evidence = format!(
            "{} → {} in the sample: {} of {} rows agree ({}; {} distinct {} values, {} rows share theirs with another row)",
            det.name,
            names.join(", "),
            count(weakest.agreeing as i64),
            count(weakest.rows as i64),
            percent(weakest.agreeing, weakest.rows),
            count(weakest.groups as i64),
            det.name,
            count(weakest.repeated_rows as i64),
        );
        let (help, fix) = decomposition(table, det, &names);
        out.push(Finding {
            rule: "functional-dependency",
            severity: Severity::Warning,
            object: format!("{}({} → {})", table.display(), det.name, names.join(", ")),
            evidence,
            help,
            fix,
        });
    }
}

fn decomposition(table: &Table, det: &Column, deps: &[String]) -> (String, Vec<Fix>) {
    let t = table.qualified();
    let drop = deps
        .iter()
        .map(|d| format!("DROP COLUMN {}", quote_ident(d)))
        .collect::<Vec<_>>()
        .join(", ");
    if let Some(fk) = table
        .foreign_keys()
        .find(|fk| fk.columns == [det.name.clone()])
    {
        let target = fk
            .references
            .as_ref()
            .map(|(s, n)| format!("{s}.{n}"))
            .unwrap_or_default();
        return (
            format!(
                "{} already references {target}: these columns describe that row. Keep them in {target} (add what it lacks), read them through a join (a view keeps old readers working), then:\nALTER TABLE {t} {drop};",
                det.name
            ),
            Vec::new(),
        );
    }
    let new_table = object_name(&[&table.name, &det.name], "ref")
        .trim_end_matches("_ref")
        .to_owned();
    let new_q = format!("{}.{}", quote_ident(&table.schema), quote_ident(&new_table));
    let mut all = vec![det.name.clone()];
    all.extend(deps.iter().cloned());
    let defs: Vec<String> = all
        .iter()
        .map(|c| {
            let ty = table
                .column(c)
                .map(|c| c.type_name.clone())
                .unwrap_or_else(|| "text".into());
            if c == &det.name {
                format!("{} {ty} PRIMARY KEY", quote_ident(c))
            } else {
                format!("{} {ty}", quote_ident(c))
            }
        })
        .collect();
    let d = quote_ident(&det.name);
    let fk_name = quote_ident(&object_name(&[&table.name, &det.name], "fkey"));
    let index_name = quote_ident(&object_name(&[&table.name, &det.name], "idx"));
    let index = table
        .indexes
        .iter()
        .find(|i| i.valid && i.method == "btree" && i.leads_with(std::slice::from_ref(&det.name)));
    let create_index =
        format!("CREATE INDEX CONCURRENTLY IF NOT EXISTS {index_name} ON {t} ({d});");
    // The index exists already: lint, reading this file alone, cannot know.
    let waiver = index
        .map(|i| {
            format!(
                "-- strata:lint-ignore fk-without-index {} indexes {}\n",
                i.name, det.name
            )
        })
        .unwrap_or_default();
    let create = format!(
        "CREATE TABLE {new_q} ({});\nINSERT INTO {new_q} ({cols})\n  SELECT DISTINCT ON ({d}) {cols} FROM {t} WHERE {d} IS NOT NULL ORDER BY {d};\n",
        defs.join(", "),
        cols = column_list(&all),
    );
    let add_fk = format!(
        "ALTER TABLE {t} ADD CONSTRAINT {fk_name} FOREIGN KEY ({d}) REFERENCES {new_q} ({d}) NOT VALID;"
    );
    let then = format!(
        "ALTER TABLE {t} VALIDATE CONSTRAINT {fk_name};\n-- once readers join {new_table}:\nALTER TABLE {t} {drop};"
    );
    let help = format!(
        "move the dependent columns to a table keyed by {}:\n{}{create}{add_fk}\n{then}",
        det.name,
        if index.is_some() {
            String::new()
        } else {
            format!("{create_index}\n")
        },
    );
    let mut fixes = Vec::new();
    if index.is_none() {
        fixes.push(Fix {
            slug: slug(&format!("index {} {}", table.name, det.name)),
            up: create_index,
            down: format!(
                "DROP INDEX CONCURRENTLY IF EXISTS {}.{index_name};",
                quote_ident(&table.schema)
            ),
            transaction: false,
        });
    }
    fixes.push(Fix {
        slug: slug(&format!("decompose {} {}", table.name, det.name)),
        up: format!("{create}{waiver}{add_fk}"),
        down: format!(
            "ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {fk_name};\nDROP TABLE IF EXISTS {new_q};"
        ),
        transaction: true,
    });
    (help, fixes)
}
