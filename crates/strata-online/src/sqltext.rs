//! Small pieces of SQL text every operation needs: helper-object names, dollar quoting, guards that
//! make contract and abort steps idempotent, the "is this a new client?" test, and evaluating a
//! user expression over a row inside a trigger.

use strata_core::{quote_ident, quote_literal, QualifiedName};

/// Prefix of every physical helper object strata creates (columns, triggers, functions,
/// constraints, indexes), so that tests and `status` can find what is left behind.
pub const HELPER_PREFIX: &str = "_strata_";

/// Prefix of the version schemas.
pub const VERSION_SCHEMA_PREFIX: &str = "strata_v_";

/// PostgreSQL truncates identifiers to 63 bytes; names that would be truncated are shortened with
/// a hash so that two long names never collide after truncation.
const MAX_IDENT: usize = strata_core::MAX_IDENTIFIER_BYTES;

/// `_strata_<part>_<part>...`, at most 63 bytes.
pub fn helper_name(parts: &[&str]) -> String {
    let name = format!("{HELPER_PREFIX}{}", parts.join("_"));
    if name.len() <= MAX_IDENT {
        return name;
    }
    let hash = fnv1a(name.as_bytes());
    // Room for `_` and eight hex digits.
    let mut cut = MAX_IDENT - 9;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{hash:08x}", &name[..cut])
}

fn fnv1a(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in bytes {
        hash ^= u32::from(*b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// The shadow column that holds a column's new representation (or a new column) until complete.
pub fn shadow_column(column: &str) -> String {
    helper_name(&["new", column])
}

/// The trigger (and its function) that keeps `column` of `table` in sync.
pub fn sync_name(table: &str, column: &str) -> String {
    helper_name(&["sync", table, column])
}

/// The `CHECK (c IS NOT NULL) NOT VALID` constraint standing for NOT NULL until it is validated.
pub fn not_null_check(column: &str) -> String {
    helper_name(&["nn", column])
}

/// The unique index built concurrently on a shadow column, attached as a constraint on complete.
pub fn unique_index(table: &str, column: &str) -> String {
    helper_name(&["uq", table, column])
}

/// The version schema of a migration: `strata_v_<id>`, lower-cased so that an unquoted
/// `SET search_path = strata_v_<id>` finds it.
pub fn version_schema(migration_id: &str) -> String {
    format!("{VERSION_SCHEMA_PREFIX}{}", migration_id.to_lowercase())
}

/// `$tag$body$tag$` with a tag that does not occur in `body`.
pub fn dollar_quote(body: &str) -> String {
    let mut tag = "$_strata_$".to_owned();
    let mut n = 0;
    while body.contains(&tag) {
        n += 1;
        tag = format!("$_strata_{n}$");
    }
    format!("{tag}{body}{tag}")
}

/// An anonymous PL/pgSQL block.
pub fn do_block(body: &str) -> String {
    format!("DO {}", dollar_quote(&format!("\nBEGIN\n{body}\nEND\n")))
}

/// `IF cond THEN statements END IF;` in a `DO` block: a step that is safe to run again.
pub fn guarded(condition: &str, statements: &[String]) -> String {
    let mut body = format!("  IF {condition} THEN\n");
    for s in statements {
        body.push_str("    ");
        body.push_str(s);
        body.push_str(";\n");
    }
    body.push_str("  END IF;");
    do_block(&body)
}

/// SQL condition: `table` has a (live) column named `column`.
pub fn column_exists(table: &QualifiedName, column: &str) -> String {
    format!(
        "EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass({}) \
         AND attname = {} AND NOT attisdropped)",
        quote_literal(&table.to_string()),
        quote_literal(column)
    )
}

/// SQL condition: `table` has a constraint named `name`.
pub fn constraint_exists(table: &QualifiedName, name: &str) -> String {
    format!(
        "EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = pg_catalog.to_regclass({}) \
         AND conname = {})",
        quote_literal(&table.to_string()),
        quote_literal(name)
    )
}

/// SQL condition: the relation (index, table) `name` exists.
pub fn relation_exists(name: &QualifiedName) -> String {
    format!(
        "pg_catalog.to_regclass({}) IS NOT NULL",
        quote_literal(&name.to_string())
    )
}

/// SQL condition, in a trigger: the writing session is a client of the new version, i.e. the
/// version schema is the first schema of its `search_path`.
pub fn is_new_client(version_schema: &str) -> String {
    // coalesce: with an empty search_path the first schema is NULL, which is "old".
    format!(
        "coalesce((pg_catalog.current_schemas(false))[1] = {}, false)",
        quote_literal(version_schema)
    )
}

/// `(SELECT (expr) FROM (SELECT NEW."physical" AS "visible", ...) AS "_strata_row")`: a user
/// expression evaluated in a row trigger over the row as one version sees it, so that `up` sees
/// the old column names and `down` the new ones.
pub fn eval_over_new(expression: &str, columns: &[(String, String)]) -> String {
    let row = columns
        .iter()
        .map(|(visible, physical)| {
            format!("NEW.{} AS {}", quote_ident(physical), quote_ident(visible))
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!("(SELECT ({expression}) FROM (SELECT {row}) AS \"_strata_row\")")
}

/// Replaces references to column `from` in a SQL expression by `to` (quoted), leaving string
/// literals, quoted identifiers of other names, comments, qualified names (`t.from`), function
/// calls (`from(`) and type names (`::from`) alone. Used for CHECK expressions written against
/// a column's final name that must hold on its shadow column while both versions run.
pub fn rewrite_column_refs(expression: &str, from: &str, to: &str) -> String {
    use strata_core::sql::{tokens, TokenKind};
    let tokens = tokens(expression);
    let punct = |k: usize, p: u8| tokens.get(k).map(|t| t.kind) == Some(TokenKind::Punct(p));
    let mut out = String::with_capacity(expression.len() + 16);
    let mut copied = 0;
    for (k, t) in tokens.iter().enumerate() {
        let text = &expression[t.start..t.end];
        let (name, quoted) = match t.kind {
            TokenKind::Word => (text.to_lowercase(), false),
            TokenKind::QuotedIdent if text.len() >= 2 => {
                (text[1..text.len() - 1].replace("\"\"", "\""), true)
            }
            _ => continue,
        };
        let qualified = (k > 0 && punct(k - 1, b'.')) || punct(k + 1, b'.');
        let call = punct(k + 1, b'(');
        // `value::name`: a type, not a column.
        let type_name = k >= 2
            && punct(k - 1, b':')
            && punct(k - 2, b':')
            && tokens[k - 2].end == tokens[k - 1].start;
        let matches = if quoted {
            name == from
        } else {
            name == from.to_lowercase() && from == from.to_lowercase()
        };
        if matches && !qualified && !call && !type_name {
            out.push_str(&expression[copied..t.start]);
            out.push_str(&quote_ident(to));
            copied = t.end;
        }
    }
    out.push_str(&expression[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_helper_names_are_hashed_not_truncated() {
        assert_eq!(
            sync_name("accounts", "balance"),
            "_strata_sync_accounts_balance"
        );
        let a = sync_name(&"t".repeat(40), &format!("{}a", "c".repeat(30)));
        let b = sync_name(&"t".repeat(40), &format!("{}b", "c".repeat(30)));
        assert!(a.len() <= 63 && b.len() <= 63 && a != b && a.starts_with("_strata_sync_"));
    }

    #[test]
    fn dollar_tags_avoid_the_body() {
        assert_eq!(dollar_quote("x"), "$_strata_$x$_strata_$");
        assert_eq!(
            dollar_quote("$_strata_$"),
            "$_strata_1$$_strata_$$_strata_1$"
        );
    }

    #[test]
    fn column_references_are_rewritten() {
        let r = |e: &str| rewrite_column_refs(e, "amount", "_strata_new_amount");
        assert_eq!(r("amount > 0"), r#""_strata_new_amount" > 0"#);
        assert_eq!(
            r("\"amount\" > 0 AND AMOUNT < 10"),
            r#""_strata_new_amount" > 0 AND "_strata_new_amount" < 10"#
        );
        assert_eq!(
            r("'amount' <> amount::text"),
            r#"'amount' <> "_strata_new_amount"::text"#
        );
        assert_eq!(
            r("t.amount > amount(1) -- amount"),
            "t.amount > amount(1) -- amount"
        );
        assert_eq!(
            r("amounts > 0 AND x::amount IS NULL"),
            "amounts > 0 AND x::amount IS NULL"
        );
        assert_eq!(r("$$amount$$ = E'\\'amount'"), "$$amount$$ = E'\\'amount'");
        assert_eq!(
            rewrite_column_refs("\"Mixed\" > 0 AND mixed > 0", "Mixed", "s"),
            "\"s\" > 0 AND mixed > 0"
        );
    }
}
