//! Rename hints (`--rename old=new`) on SQLite: `RENAME TO` and `RENAME COLUMN`, and what SQLite
//! renames with them (constraints and their automatic names, foreign keys, indexes, expressions),
//! applied to the working copy of the old model.

use super::canonical::{auto_constraint_name, foreign_key_definition, index_definition};
use super::diff::{change, Diff, Phase};
use super::lex::{self, TokenKind};
use super::names::{find_table, lc, same_name, table_ref};
use crate::diff::{ChangeKind, DiffOptions};
use crate::model::*;
use strata_core::quote_ident;

/// Words that are never a column in an expression.
const KEYWORDS: &[&str] = &[
    "and", "or", "not", "null", "is", "in", "like", "glob", "regexp", "match", "between", "case",
    "when", "then", "else", "end", "cast", "as", "collate", "asc", "desc", "escape", "exists",
    "select", "from", "where", "distinct", "isnull", "notnull",
];

/// `text` with every use of the name `old` (a word or quoted identifier, not a function name or
/// a collation) replaced by `new`, quoted: what SQLite's `RENAME COLUMN` does to expressions.
fn rename_identifiers(text: &str, old: &str, new: &str) -> String {
    let tokens = lex::tokenize(text);
    let mut out = String::new();
    let mut last = 0;
    for (i, t) in tokens.iter().enumerate() {
        let matches = match t.kind {
            TokenKind::Quoted => same_name(&lex::dequote(t.text), old),
            TokenKind::Word => same_name(t.text, old) && !KEYWORDS.contains(&lc(t.text).as_str()),
            _ => false,
        };
        let call = tokens.get(i + 1).is_some_and(|n| n.is_punct("("));
        let collation = i > 0 && tokens[i - 1].is("COLLATE");
        if matches && !call && !collation {
            out.push_str(&text[last..t.start]);
            out.push_str(&quote_ident(new));
            last = t.end;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// [`rename_identifiers`] inside the first parenthesised group of a constraint definition only
/// (`PRIMARY KEY (…)`, `UNIQUE (…) ON CONFLICT …`, `CHECK (…)`).
fn rename_in_group(definition: &str, old: &str, new: &str) -> String {
    let tokens = lex::tokenize(definition);
    let Some(open) = tokens.iter().position(|t| t.is_punct("(")) else {
        return definition.to_owned();
    };
    let Some(close) = lex::closing(&tokens, open) else {
        return definition.to_owned();
    };
    let (a, b) = (tokens[open].start, tokens[close].end);
    format!(
        "{}{}{}",
        &definition[..a],
        rename_identifiers(&definition[a..b], old, new),
        &definition[b..]
    )
}

/// Whether `name` is `base` or `base` followed by digits; the digits.
fn auto_suffix<'a>(name: &'a str, base: &str) -> Option<&'a str> {
    let rest = name.strip_prefix(base)?;
    rest.bytes().all(|b| b.is_ascii_digit()).then_some(rest)
}

/// Renames a table in the working copy of the old model as SQLite's `RENAME TO` does: its
/// constraints (and their automatic names), the foreign keys that reference it, its indexes.
fn rename_table_in(s: &mut Schema, old: &str, new: &str) {
    for t in &mut s.tables {
        if same_name(&t.name.name, old) {
            t.name.name = new.to_owned();
        }
    }
    for c in &mut s.constraints {
        if same_name(&c.table.name, old) {
            let base = auto_constraint_name(&c.table.name, c.kind, &c.columns);
            c.table.name = new.to_owned();
            if let Some(suffix) = auto_suffix(&c.name, &base) {
                c.name = format!("{}{suffix}", auto_constraint_name(new, c.kind, &c.columns));
            }
        }
        let references = c
            .foreign_key
            .as_mut()
            .filter(|fk| same_name(&fk.references.name, old));
        if let Some(fk) = references {
            fk.references.name = new.to_owned();
            c.definition = foreign_key_definition(c);
        }
    }
    for i in &mut s.indexes {
        if same_name(&i.table.name, old) {
            i.table.name = new.to_owned();
            i.definition = index_definition(i);
        }
    }
}

/// Renames a column in the working copy as SQLite's `RENAME COLUMN` does.
fn rename_column_in(s: &mut Schema, table: &str, old: &str, new: &str) {
    let rename = |names: &mut Vec<String>| {
        for n in names.iter_mut() {
            if same_name(n, old) {
                *n = new.to_owned();
            }
        }
    };
    if let Some(t) = s.tables.iter_mut().find(|t| same_name(&t.name.name, table)) {
        for c in &mut t.columns {
            if same_name(&c.name, old) {
                c.name = new.to_owned();
            }
            if let Some(g) = &c.generated {
                c.generated = Some(rename_identifiers(g, old, new));
            }
        }
    }
    for c in &mut s.constraints {
        let own = same_name(&c.table.name, table);
        let referencing = c
            .foreign_key
            .as_ref()
            .is_some_and(|fk| same_name(&fk.references.name, table));
        if own {
            let base = auto_constraint_name(&c.table.name, c.kind, &c.columns);
            rename(&mut c.columns);
            if let Some(suffix) = auto_suffix(&c.name, &base) {
                c.name = format!(
                    "{}{suffix}",
                    auto_constraint_name(&c.table.name, c.kind, &c.columns)
                );
            }
            if c.kind != ConstraintKind::ForeignKey {
                c.definition = rename_in_group(&c.definition, old, new);
            }
        }
        if referencing {
            if let Some(fk) = &mut c.foreign_key {
                rename(&mut fk.referenced_columns);
            }
        }
        if c.kind == ConstraintKind::ForeignKey && (own || referencing) {
            c.definition = foreign_key_definition(c);
        }
    }
    for i in &mut s.indexes {
        if same_name(&i.table.name, table) {
            for col in &mut i.columns {
                *col = rename_identifiers(col, old, new);
            }
            if let Some(p) = &i.predicate {
                i.predicate = Some(rename_identifiers(p, old, new));
            }
            i.definition = index_definition(i);
        }
    }
}

impl Diff<'_> {
    pub(super) fn renames(&mut self, opts: &DiffOptions) {
        for (hint_old, new) in &opts.renames {
            let old = hint_old.strip_prefix("main.").unwrap_or(hint_old);
            // A table: the old name is a table now, the new one a table of `to` only.
            if let (Some(t), Some(target)) =
                (find_table(&self.state, old), find_table(self.to, new))
            {
                if find_table(&self.state, new).is_none() {
                    let (old_name, new_name) = (t.name.name.clone(), target.name.name.clone());
                    rename_table_in(&mut self.state, &old_name, &new_name);
                    let origin = self.origin.remove(&lc(&old_name)).unwrap_or(lc(&old_name));
                    self.touched.insert(origin.clone());
                    self.origin.insert(lc(&new_name), origin);
                    let rename = |a: &str, b: &str| {
                        format!(
                            "ALTER TABLE {} RENAME TO {};",
                            quote_ident(a),
                            quote_ident(b)
                        )
                    };
                    let mut c = change(
                        ChangeKind::RenameTable,
                        table_ref(&old_name),
                        vec![rename(&old_name, &new_name)],
                        vec![rename(&new_name, &old_name)],
                    );
                    c.renames.push((hint_old.clone(), new.clone()));
                    self.push(Phase::Rename, c);
                    continue;
                }
            }
            let Some((table, column)) = old.rsplit_once('.') else {
                continue;
            };
            let Some(t) = find_table(&self.state, table) else {
                continue;
            };
            let Some(target) = find_table(self.to, &t.name.name) else {
                continue;
            };
            let (Some(oc), Some(nc)) = (
                t.columns.iter().find(|c| same_name(&c.name, column)),
                target.columns.iter().find(|c| same_name(&c.name, new)),
            ) else {
                continue;
            };
            if t.columns.iter().any(|c| same_name(&c.name, new)) {
                continue;
            }
            let (table, old_col, new_col) = (t.name.name.clone(), oc.name.clone(), nc.name.clone());
            rename_column_in(&mut self.state, &table, &old_col, &new_col);
            let origin = self.origin.get(&lc(&table)).cloned().unwrap_or(lc(&table));
            self.touched.insert(origin);
            let rename = |a: &str, b: &str| {
                format!(
                    "ALTER TABLE {} RENAME COLUMN {} TO {};",
                    quote_ident(&table),
                    quote_ident(a),
                    quote_ident(b)
                )
            };
            let mut c = change(
                ChangeKind::RenameColumn,
                table_ref(&table),
                vec![rename(&old_col, &new_col)],
                vec![rename(&new_col, &old_col)],
            );
            c.column = Some(old_col);
            c.renames.push((hint_old.clone(), new.clone()));
            self.push(Phase::Rename, c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renaming_identifiers_skips_functions_collations_and_strings() {
        assert_eq!(
            rename_identifiers(
                "lower(name) || 'name' || \"NAME\" COLLATE name",
                "name",
                "full name"
            ),
            "lower(\"full name\") || 'name' || \"full name\" COLLATE name"
        );
        assert_eq!(
            rename_in_group("UNIQUE (\"a\") ON CONFLICT a", "a", "b"),
            "UNIQUE (\"b\") ON CONFLICT a"
        );
    }
}
