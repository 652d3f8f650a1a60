//! `naming-convention` (opt-in): an index or constraint whose name does not match the pattern
//! `[lint.naming]` sets for its kind, new tables too.
//!
//! Deployment checklists ask for predictable names (`idx_…`, `fk_…`): they are what error
//! messages, monitoring and later migrations (`DROP CONSTRAINT …`) refer to, and an object left
//! unnamed gets one PostgreSQL makes up (`orders_user_id_fkey`, `orders_pkey`). The patterns are
//! regular expressions, one per kind:
//!
//! ```toml
//! [lint.naming]
//! index = "^idx_"
//! primary_key = "^pk_"
//! unique = "^uq_"
//! foreign_key = "^fk_"
//! check = "^ck_"
//! ```
//!
//! Checked: `CREATE INDEX` (any index, unique or not: `index`), `ALTER INDEX … RENAME TO`, and the
//! constraints of `CREATE TABLE`, `ADD COLUMN` and `ADD CONSTRAINT` (`primary_key`, `unique`,
//! `foreign_key`, `check`). An unnamed object is checked under the name PostgreSQL gives it, so a
//! convention that matches PostgreSQL's own (`_pkey$`) needs no names written. Kinds without a
//! pattern are not checked. Off by default; on when `[lint.naming]` sets a pattern (or a level in
//! `[lint]`). Design rule: not in a down section.

use super::{Hit, SectionCx};
use crate::walk;
use pg_query::protobuf::{AlterTableType, ConstrType, Constraint, ObjectType};
use pg_query::NodeEnum;
use regex::Regex;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    let naming = &cx.options.naming;
    if cx.is_down() || naming.is_empty() {
        return hits;
    }
    for (i, statement) in cx.statements.iter().enumerate() {
        let mut found: Vec<Named> = Vec::new();
        match &statement.node {
            NodeEnum::IndexStmt(index) => {
                let table = walk::table_name(&index.relation);
                let columns: Vec<String> = index
                    .index_params
                    .iter()
                    .filter_map(|p| match p.node.as_ref() {
                        Some(NodeEnum::IndexElem(e)) if !e.name.is_empty() => Some(e.name.clone()),
                        Some(NodeEnum::IndexElem(_)) => Some("expr".to_owned()),
                        _ => None,
                    })
                    .collect();
                found.push(Named {
                    kind: "index",
                    written: (!index.idxname.is_empty()).then(|| index.idxname.clone()),
                    default: default_name(&table, &columns, "idx"),
                    location: -1,
                });
            }
            NodeEnum::RenameStmt(rename)
                if rename.rename_type == ObjectType::ObjectIndex as i32 =>
            {
                found.push(Named {
                    kind: "index",
                    written: Some(rename.newname.clone()),
                    default: String::new(),
                    location: -1,
                });
            }
            NodeEnum::CreateStmt(create) => {
                let table = walk::table_name(&create.relation);
                let (columns, constraints) = walk::create_table_parts(create);
                for column in columns {
                    for c in walk::column_constraints(column) {
                        found.extend(constraint(&table, Some(&column.colname), c));
                    }
                }
                for c in constraints {
                    found.extend(constraint(&table, None, c));
                }
            }
            NodeEnum::AlterTableStmt(alter) if walk::is_table(alter.objtype) => {
                let table = walk::table_name(&alter.relation);
                for cmd in walk::alter_commands(alter) {
                    if cmd.subtype == AlterTableType::AtAddColumn as i32 {
                        if let Some(column) = walk::command_column_def(cmd) {
                            for c in walk::column_constraints(column) {
                                found.extend(constraint(&table, Some(&column.colname), c));
                            }
                        }
                    } else if let Some(c) = walk::command_constraint(cmd) {
                        found.extend(constraint(&table, None, c));
                    }
                }
            }
            _ => continue,
        }
        for named in found {
            let Some(pattern) = pattern(naming, named.kind) else {
                continue;
            };
            let name = named.written.as_deref().unwrap_or(&named.default);
            if name.is_empty() || pattern.is_match(name) {
                continue;
            }
            let words = named.kind.replace('_', " ");
            let message = match &named.written {
                Some(_) => format!("the {words} name {name} does not match the project's convention {}", pattern.as_str()),
                None => format!("this {words} has no name, so PostgreSQL calls it {name}, which does not match the project's convention {}", pattern.as_str()),
            };
            let help = match named.kind {
                "index" => format!(
                    "name the index to match {}: CREATE INDEX <name> ON …",
                    pattern.as_str()
                ),
                _ => format!(
                    "name the constraint to match {}: CONSTRAINT <name> {} …",
                    pattern.as_str(),
                    named.kind.replace('_', " ").to_ascii_uppercase()
                ),
            };
            hits.push(Hit::at(i, message).location(named.location).help(help));
        }
    }
    hits
}

/// An index or constraint and its name: as written, else the one PostgreSQL would choose.
struct Named {
    kind: &'static str,
    written: Option<String>,
    default: String,
    location: i32,
}

fn pattern<'n>(naming: &'n crate::source::Naming, kind: &str) -> Option<&'n Regex> {
    match kind {
        "index" => naming.index.as_ref(),
        "primary_key" => naming.primary_key.as_ref(),
        "unique" => naming.unique.as_ref(),
        "foreign_key" => naming.foreign_key.as_ref(),
        "check" => naming.check.as_ref(),
        _ => None,
    }
}

/// A constraint of `table` (of `column` when it is a column constraint), when it is of a kind
/// `[lint.naming]` knows.
fn constraint(table: &str, column: Option<&str>, c: &Constraint) -> Option<Named> {
    let Ok(kind) = ConstrType::try_from(c.contype) else {
        return None;
    };
    let keys = |list: &[pg_query::protobuf::Node]| -> Vec<String> {
        let names = walk::names(list);
        if names.is_empty() {
            column.map(str::to_owned).into_iter().collect()
        } else {
            names
        }
    };
    let (kind, default) = match kind {
        ConstrType::ConstrPrimary => ("primary_key", default_name(table, &[], "pkey")),
        ConstrType::ConstrUnique => ("unique", default_name(table, &keys(&c.keys), "key")),
        ConstrType::ConstrForeign => (
            "foreign_key",
            default_name(table, &keys(&c.fk_attrs), "fkey"),
        ),
        ConstrType::ConstrCheck => {
            // PostgreSQL names a check after its column when it references exactly one.
            let referenced = match column {
                Some(column) => vec![column.to_owned()],
                None => {
                    let mut columns: Vec<String> = Vec::new();
                    if let Some(expr) = c.raw_expr.as_deref() {
                        walk::visit_expr(expr, &mut |n| {
                            if let NodeEnum::ColumnRef(r) = n {
                                if let Some(name) =
                                    r.fields.iter().rev().find_map(walk::string_value)
                                {
                                    if !columns.iter().any(|c| c == name) {
                                        columns.push(name.to_owned());
                                    }
                                }
                            }
                        });
                    }
                    if columns.len() == 1 {
                        columns
                    } else {
                        Vec::new()
                    }
                }
            };
            ("check", default_name(table, &referenced, "check"))
        }
        _ => return None,
    };
    // `ADD CONSTRAINT … USING INDEX idx` is named after the index when it has no name.
    let written = if !c.conname.is_empty() {
        Some(c.conname.clone())
    } else if !c.indexname.is_empty() {
        Some(c.indexname.clone())
    } else {
        None
    };
    Some(Named {
        kind,
        written,
        default,
        location: c.location,
    })
}

/// The name PostgreSQL makes up: `table_col1_col2_suffix`, cut to 63 bytes.
fn default_name(table: &str, columns: &[String], suffix: &str) -> String {
    let mut parts = vec![walk::bare_table(table).to_owned()];
    parts.extend(columns.iter().cloned());
    parts.push(suffix.to_owned());
    walk::object_name(&parts.join("_"))
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Naming, Options, Source};
    use crate::Severity;
    use regex::Regex;

    const RULE: &str = "naming-convention";

    fn options() -> Options {
        let mut naming = Naming::default();
        for (kind, pattern) in [
            ("index", "^idx_"),
            ("foreign_key", "^fk_"),
            ("primary_key", "_pkey$"),
            ("unique", "^uq_"),
            ("check", "^ck_"),
        ] {
            assert!(naming.set(kind, Regex::new(pattern).unwrap()));
        }
        let mut options = Options {
            naming,
            ..Options::default()
        };
        options
            .levels
            .insert(RULE.to_owned(), Some(Severity::Warning));
        options
    }

    fn lint(sql: &str) -> Vec<crate::Finding> {
        lint_with(&[Source::plain("m.sql", sql)], &options())
    }

    fn messages(sql: &str) -> Vec<String> {
        of(&lint(sql), RULE)
            .iter()
            .map(|f| f.message.clone())
            .collect()
    }

    #[test]
    fn off_by_default() {
        assert!(!fires(
            RULE,
            "CREATE INDEX orders_user_idx ON orders (user_id);"
        ));
        // Enabled without patterns, it has nothing to check.
        let mut options = Options::default();
        options
            .levels
            .insert(RULE.to_owned(), Some(Severity::Warning));
        let findings = lint_with(
            &[Source::plain("m.sql", "CREATE INDEX i ON t (a);")],
            &options,
        );
        assert!(of(&findings, RULE).is_empty());
    }

    #[test]
    fn fires_on_names_against_the_convention() {
        assert_eq!(
            messages("CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);"),
            ["the index name orders_user_idx does not match the project's convention ^idx_"]
        );
        assert_eq!(
            messages("CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users, code text CONSTRAINT code_unique UNIQUE, total numeric CHECK (total >= 0));"),
            [
                "this foreign key has no name, so PostgreSQL calls it orders_user_id_fkey, which does not match the project's convention ^fk_",
                "the unique name code_unique does not match the project's convention ^uq_",
                "this check has no name, so PostgreSQL calls it orders_total_check, which does not match the project's convention ^ck_",
            ]
        );
        assert_eq!(
            messages("ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;"),
            ["the foreign key name orders_user_fk does not match the project's convention ^fk_"]
        );
        assert_eq!(
            messages("CREATE INDEX ON orders (user_id, lower(email));"),
            ["this index has no name, so PostgreSQL calls it orders_user_id_expr_idx, which does not match the project's convention ^idx_"]
        );
        assert_eq!(messages("ALTER INDEX idx_a RENAME TO a_idx;").len(), 1);
        assert_eq!(
            messages("ALTER TABLE orders ADD CONSTRAINT pk_orders PRIMARY KEY USING INDEX orders_id_idx;"),
            ["the primary key name pk_orders does not match the project's convention _pkey$"]
        );
        let findings = lint("CREATE INDEX orders_user_idx ON orders (user_id);");
        assert_eq!(of(&findings, RULE)[0].severity, Severity::Warning);
    }

    #[test]
    fn does_not_fire() {
        for sql in [
            "CREATE INDEX CONCURRENTLY idx_orders_user ON orders (user_id);",
            // PostgreSQL's own name matches `_pkey$`.
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint CONSTRAINT fk_orders_user REFERENCES users);",
            "ALTER TABLE orders ADD CONSTRAINT ck_total CHECK (total >= 0) NOT VALID;",
            "ALTER TABLE orders ADD CONSTRAINT uq_code UNIQUE USING INDEX idx_code;",
            // Kinds without a pattern, and exclusions, are not checked.
            "ALTER TABLE r ADD CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&);",
        ] {
            assert!(messages(sql).is_empty(), "{sql}: {:?}", messages(sql));
        }
        let findings = lint_with(
            &[source_up_down(
                "CREATE TABLE a (id bigint PRIMARY KEY);",
                "CREATE INDEX a_b ON b (c);",
            )],
            &options(),
        );
        assert!(of(&findings, RULE).is_empty());
    }

    #[test]
    fn waived() {
        let findings = lint("-- strata:lint-ignore naming-convention the extension expects this name\nCREATE INDEX pgq_queue_idx ON queue (id);");
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
        assert!(of(&findings, "unused-waiver").is_empty(), "{findings:?}");
    }
}
