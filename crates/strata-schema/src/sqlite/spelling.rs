//! SQLite keeps the text as it was written: `int` and `INT`, `a>0` and `a > 0`, `x` and `"x"` are
//! the same to it, but not to a comparison of text. [`unify`] makes the old model spell what did
//! not change as the new one does, so that the diff sees no change there (and rebuilds nothing for
//! it); what did change keeps its own text.

use super::lex::{self, TokenKind};
use crate::model::*;

/// `sql` with its spelling made canonical: words and quoted identifiers lower-cased (SQLite's
/// names and keywords ignore ASCII case), strings, blobs and numbers as written, one space
/// between tokens.
pub(crate) fn canonical(sql: &str) -> String {
    lex::tokenize(sql)
        .iter()
        .map(|t| match t.kind {
            TokenKind::Word => t.text.to_ascii_lowercase(),
            TokenKind::Quoted => {
                let name = lex::dequote(t.text).to_ascii_lowercase();
                let bare = !name.is_empty()
                    && !name.starts_with(|c: char| c.is_ascii_digit())
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80);
                if bare {
                    name
                } else {
                    format!("\"{}\"", name.replace('"', "\"\""))
                }
            }
            _ => t.text.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The same text, up to spelling.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a == b || canonical(a) == canonical(b)
}

fn same_opt(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same(a, b),
        (None, None) => true,
        _ => false,
    }
}

fn same_column(a: &Column, b: &Column) -> bool {
    a.name == b.name
        && same(&a.data_type, &b.data_type)
        && same(&a.type_name, &b.type_name)
        && a.type_modifier == b.type_modifier
        && a.not_null == b.not_null
        && same_opt(&a.default, &b.default)
        && a.identity == b.identity
        && same_opt(&a.generated, &b.generated)
        && a.collation.as_ref().map(|c| c.name.to_ascii_lowercase())
            == b.collation.as_ref().map(|c| c.name.to_ascii_lowercase())
        && a.inherited == b.inherited
        && a.comment == b.comment
}

fn same_constraint(a: &Constraint, b: &Constraint) -> bool {
    a.name == b.name
        && a.table.name == b.table.name
        && a.kind == b.kind
        && same(&a.definition, &b.definition)
        && a.columns.len() == b.columns.len()
        && a.columns
            .iter()
            .zip(&b.columns)
            .all(|(x, y)| x.eq_ignore_ascii_case(y))
        && Constraint {
            definition: String::new(),
            name: String::new(),
            table: b.table.clone(),
            columns: Vec::new(),
            ..a.clone()
        } == Constraint {
            definition: String::new(),
            name: String::new(),
            columns: Vec::new(),
            ..b.clone()
        }
}

fn same_index(a: &Index, b: &Index) -> bool {
    a.name.name == b.name.name
        && a.table.name == b.table.name
        && a.unique == b.unique
        && a.columns.len() == b.columns.len()
        && a.columns.iter().zip(&b.columns).all(|(x, y)| same(x, y))
        && same_opt(&a.predicate, &b.predicate)
        && same(&a.definition, &b.definition)
}

/// `from` with every table column, constraint, index, view and trigger that matches its
/// counterpart in `to` up to spelling replaced by that counterpart. Names must match exactly (a
/// name whose case changes is a rename the diff makes).
pub(crate) fn unify(from: &Schema, to: &Schema) -> Schema {
    let mut out = from.clone();
    for t in &mut out.tables {
        let Some(n) = to.tables.iter().find(|n| n.name.name == t.name.name) else {
            continue;
        };
        for c in &mut t.columns {
            if let Some(nc) = n.columns.iter().find(|nc| same_column(c, nc)) {
                *c = nc.clone();
            }
        }
    }
    for c in &mut out.constraints {
        if let Some(n) = to.constraints.iter().find(|n| same_constraint(c, n)) {
            *c = n.clone();
        }
    }
    for i in &mut out.indexes {
        if let Some(n) = to.indexes.iter().find(|n| same_index(i, n)) {
            *i = n.clone();
        }
    }
    for v in &mut out.views {
        if let Some(n) = to
            .views
            .iter()
            .find(|n| n.name.name == v.name.name && same(&n.definition, &v.definition))
        {
            *v = n.clone();
        }
    }
    for t in &mut out.triggers {
        if let Some(n) = to.triggers.iter().find(|n| {
            n.name == t.name && n.table.name == t.table.name && same(&n.definition, &t.definition)
        }) {
            *t = n.clone();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_is_ignored_strings_are_not() {
        assert!(same("int", "INT"));
        assert!(same("CHECK (a>0)", "check ( a > 0 )"));
        assert!(same("\"x\" + 1", "X+1"));
        assert!(!same("'a'", "'A'"));
        assert!(!same("INT", "INTEGER"));
        assert!(!same("a > 0", "a >= 0"));
        assert_eq!(canonical("\"my col\""), "\"my col\"");
    }
}
