//! Statistics over sampled columns that several checks share: distinct values and single-column
//! functional dependencies.

use crate::model::Table;
use std::collections::HashMap;

/// A column's sampled values as small ids (`None` for NULL), so comparisons are integer ones.
pub fn interned(table: &Table, column: usize) -> (Vec<Option<u32>>, usize) {
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let values = table
        .values(column)
        .map(|v| {
            v.map(|v| {
                let next = ids.len() as u32;
                *ids.entry(v).or_insert(next)
            })
        })
        .collect();
    (values, ids.len())
}

/// `determinant → dependent` on the sample.
#[derive(Clone, Debug)]
pub struct Dependency {
    /// Rows (with a non-NULL determinant) whose dependent value is their group's most common one.
    pub agreeing: usize,
    pub rows: usize,
    /// Distinct determinant values, and rows in groups of two or more (the ones that test it).
    pub groups: usize,
    pub repeated_rows: usize,
}

impl Dependency {
    pub fn confidence(&self) -> f64 {
        if self.rows == 0 {
            0.0
        } else {
            self.agreeing as f64 / self.rows as f64
        }
    }
}

/// Measures `a → b` over interned columns, grouped by `a`; `None` as soon as more than
/// `max_disagreeing` rows disagree with their group (most pairs of columns are not dependent, and
/// give up within a few groups).
pub fn dependency(
    b: &[Option<u32>],
    groups_of_a: &[Vec<usize>],
    max_disagreeing: usize,
) -> Option<Dependency> {
    let mut agreeing = 0;
    let mut rows = 0;
    let mut repeated_rows = 0;
    let mut values: Vec<Option<u32>> = Vec::new();
    for group in groups_of_a {
        rows += group.len();
        if group.len() > 1 {
            repeated_rows += group.len();
        }
        values.clear();
        values.extend(group.iter().map(|&row| b[row]));
        values.sort_unstable();
        let mut best = 0;
        let mut run = 0;
        for (i, v) in values.iter().enumerate() {
            run = if i > 0 && values[i - 1] == *v {
                run + 1
            } else {
                1
            };
            best = best.max(run);
        }
        agreeing += best;
        if rows - agreeing > max_disagreeing {
            return None;
        }
    }
    Some(Dependency {
        agreeing,
        rows,
        groups: groups_of_a.len(),
        repeated_rows,
    })
}

/// Row indexes grouped by the (non-NULL) value of a column.
pub fn groups(values: &[Option<u32>], distinct: usize) -> Vec<Vec<usize>> {
    let mut groups = vec![Vec::new(); distinct];
    for (row, v) in values.iter().enumerate() {
        if let Some(v) = v {
            groups[*v as usize].push(row);
        }
    }
    groups
}

/// The share of rows holding the most common non-NULL value.
pub fn top_share(values: &[Option<u32>], distinct: usize) -> f64 {
    let mut counts = vec![0usize; distinct];
    let mut n = 0;
    for v in values.iter().flatten() {
        counts[*v as usize] += 1;
        n += 1;
    }
    if n == 0 {
        return 1.0;
    }
    counts.into_iter().max().unwrap_or(0) as f64 / n as f64
}

pub fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "0%".to_owned();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}
