//! `requires-newer-postgres`: syntax the target PostgreSQL version (`[lint] pg_version`, else the
//! server's) does not have yet.
//!
//! strata parses with the newest PostgreSQL grammar, so a migration written against a newer
//! development database parses here and fails in production with a syntax error (or an
//! "unrecognized parameter") — outside a transaction, after the statements before it have been
//! applied. The constructs checked, by the version that introduced them:
//!
//! | version | construct |
//! |---|---|
//! | 11 | `CREATE PROCEDURE`, `CALL`, `INCLUDE (…)` on indexes and keys |
//! | 12 | `GENERATED ALWAYS AS (…) STORED`, `REINDEX … CONCURRENTLY` |
//! | 13 | `ALTER COLUMN … DROP EXPRESSION`, `FETCH FIRST … WITH TIES` |
//! | 14 | `BEGIN ATOMIC` / `RETURN` function bodies, `CREATE OR REPLACE TRIGGER`, `DETACH PARTITION … CONCURRENTLY` / `FINALIZE`, `COMPRESSION` on columns, `REINDEX (TABLESPACE …)` |
//! | 15 | `MERGE`, `NULLS NOT DISTINCT`, views `WITH (security_invoker)`, `SET ACCESS METHOD`, `ON DELETE SET NULL (columns)` |
//! | 16 | `IS JSON`, `JSON_OBJECT`, `JSON_ARRAY`, `JSON_OBJECTAGG`, `JSON_ARRAYAGG`, `STORAGE` in `CREATE TABLE`, `GRANT … WITH INHERIT / SET` |
//! | 17 | `JSON_TABLE`, `JSON_QUERY`, `JSON_VALUE`, `JSON_EXISTS`, `JSON_SCALAR`, `JSON_SERIALIZE`, `JSON(…)`, `MERGE … RETURNING`, `WHEN NOT MATCHED BY SOURCE`, `ALTER COLUMN … SET EXPRESSION` |
//! | 18 | `NOT NULL` as a table constraint (`CONSTRAINT … NOT NULL col`, `ADD CONSTRAINT … NOT NULL col`), `NOT NULL … NOT VALID`, `NOT ENFORCED`, `WITHOUT OVERLAPS`, `PERIOD` in foreign keys, virtual generated columns |
//!
//! Always checked, in ups and downs: the down runs on the same server.

use super::{Hit, SectionCx};
use crate::walk;
use pg_query::protobuf::{self, AlterTableType, ConstrType, Constraint, Token};
use pg_query::NodeEnum;

/// A construct, the version that introduced it, and what to write on older versions.
struct Newer {
    what: &'static str,
    version: u32,
    instead: &'static str,
    location: i32,
}

fn newer(what: &'static str, version: u32, instead: &'static str) -> Newer {
    Newer {
        what,
        version,
        instead,
        location: -1,
    }
}

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    let target = cx.options.pg_version;
    for (i, statement) in cx.statements.iter().enumerate() {
        let mut found = constructs(&statement.node);
        found.extend(json_syntax(statement));
        let mut seen = std::collections::BTreeSet::new();
        for construct in found {
            if construct.version * 10000 <= target || !seen.insert(construct.what) {
                continue;
            }
            hits.push(
                Hit::at(
                    i,
                    format!(
                        "{} needs PostgreSQL {}, and the target is {}: the migration fails there",
                        construct.what,
                        construct.version,
                        version_name(target)
                    ),
                )
                .location(construct.location)
                .help(format!(
                    "{}\n(if production runs {} or newer, set it: [lint] pg_version = {})",
                    construct.instead, construct.version, construct.version
                )),
            );
        }
    }
    hits
}

/// `150004` as `15.4`, `90600` as `9.6`.
fn version_name(num: u32) -> String {
    let major = num / 10000;
    if major >= 10 {
        match num % 10000 {
            0 => major.to_string(),
            minor => format!("{major}.{minor}"),
        }
    } else {
        format!("{}.{}", num / 10000, num / 100 % 100)
    }
}

/// The constructs of a statement's tree.
fn constructs(node: &NodeEnum) -> Vec<Newer> {
    let mut out = Vec::new();
    match node {
        NodeEnum::MergeStmt(merge) => {
            out.push(newer(
                "MERGE",
                15,
                "INSERT … ON CONFLICT … DO UPDATE, or an UPDATE and an INSERT",
            ));
            if merge.returning_clause.is_some() {
                out.push(newer(
                    "MERGE … RETURNING",
                    17,
                    "a MERGE without RETURNING, then a SELECT",
                ));
            }
            for clause in &merge.merge_when_clauses {
                if let Some(NodeEnum::MergeWhenClause(when)) = clause.node.as_ref() {
                    if when.match_kind
                        == protobuf::MergeMatchKind::MergeWhenNotMatchedBySource as i32
                    {
                        out.push(newer(
                            "MERGE … WHEN NOT MATCHED BY SOURCE",
                            17,
                            "a separate UPDATE or DELETE of the target rows without a source row",
                        ));
                    }
                }
            }
        }
        NodeEnum::CreateFunctionStmt(f) => {
            if f.is_procedure {
                out.push(newer("CREATE PROCEDURE", 11, "a function"));
            }
            if f.sql_body.is_some() {
                out.push(newer(
                    "a SQL-standard function body (BEGIN ATOMIC / RETURN)",
                    14,
                    "a body in a string: AS $$ … $$ LANGUAGE sql",
                ));
            }
        }
        NodeEnum::CallStmt(_) => out.push(newer("CALL", 11, "SELECT of a function")),
        NodeEnum::CreateTrigStmt(t) if t.replace => out.push(newer(
            "CREATE OR REPLACE TRIGGER",
            14,
            "DROP TRIGGER IF EXISTS …; CREATE TRIGGER …",
        )),
        NodeEnum::IndexStmt(index) => {
            if index.nulls_not_distinct {
                out.push(newer(
                    "NULLS NOT DISTINCT",
                    15,
                    "a unique index on COALESCE(column, <a value that cannot occur>)",
                ));
            }
            if !index.index_including_params.is_empty() {
                out.push(newer(
                    "INCLUDE on an index",
                    11,
                    "the extra columns as key columns",
                ));
            }
        }
        NodeEnum::ReindexStmt(reindex) => {
            let options = walk::option_names(&reindex.params);
            if options.iter().any(|o| o == "concurrently") {
                out.push(newer("REINDEX … CONCURRENTLY", 12, "CREATE INDEX CONCURRENTLY a copy, DROP INDEX CONCURRENTLY the old one, rename the copy"));
            }
            if options.iter().any(|o| o == "tablespace") {
                out.push(newer(
                    "REINDEX (TABLESPACE …)",
                    14,
                    "ALTER INDEX … SET TABLESPACE",
                ));
            }
        }
        NodeEnum::ViewStmt(view) => {
            if let Some(query) = crate::parse::inner(&view.query) {
                out.extend(constructs(query));
            }
            if walk::option_names(&view.options)
                .iter()
                .any(|o| o == "security_invoker")
            {
                out.push(newer(
                    "a view WITH (security_invoker)",
                    15,
                    "a security_barrier view, or row-level security on the tables",
                ));
            }
        }
        NodeEnum::CreateTableAsStmt(create) => {
            if let Some(query) = crate::parse::inner(&create.query) {
                out.extend(constructs(query));
            }
        }
        NodeEnum::SelectStmt(select)
            if select.limit_option == protobuf::LimitOption::WithTies as i32 =>
        {
            out.push(newer(
                "FETCH FIRST … WITH TIES",
                13,
                "a window function: rank() OVER (ORDER BY …) <= n",
            ));
        }
        NodeEnum::GrantRoleStmt(grant)
            if walk::option_names(&grant.opt)
                .iter()
                .any(|o| o == "inherit" || o == "set") =>
        {
            out.push(newer(
                "GRANT … WITH INHERIT / SET",
                16,
                "the role's INHERIT attribute",
            ));
        }
        NodeEnum::CreateStmt(create) => {
            let (columns, constraints) = walk::create_table_parts(create);
            for column in columns {
                column_constructs(column, &mut out);
                if !column.storage_name.is_empty() {
                    out.push(newer(
                        "STORAGE in CREATE TABLE",
                        16,
                        "ALTER TABLE … ALTER COLUMN … SET STORAGE after creating the table",
                    ));
                }
            }
            for constraint in constraints {
                constraint_constructs(constraint, true, &mut out);
            }
        }
        NodeEnum::AlterTableStmt(alter) => {
            let is_view = alter.objtype == protobuf::ObjectType::ObjectView as i32;
            for cmd in walk::alter_commands(alter) {
                let Ok(subtype) = AlterTableType::try_from(cmd.subtype) else {
                    continue;
                };
                match subtype {
                    AlterTableType::AtAddColumn => {
                        if let Some(column) = walk::command_column_def(cmd) {
                            column_constructs(column, &mut out);
                        }
                    }
                    AlterTableType::AtAddConstraint => {
                        if let Some(c) = walk::command_constraint(cmd) {
                            constraint_constructs(c, true, &mut out);
                        }
                    }
                    AlterTableType::AtDropExpression => out.push(newer(
                        "ALTER COLUMN … DROP EXPRESSION",
                        13,
                        "a new plain column, a backfill, and a rename",
                    )),
                    AlterTableType::AtSetExpression => out.push(newer(
                        "ALTER COLUMN … SET EXPRESSION",
                        17,
                        "drop the generated column and add it again",
                    )),
                    AlterTableType::AtSetCompression => out.push(newer(
                        "ALTER COLUMN … SET COMPRESSION",
                        14,
                        "the default compression (pglz)",
                    )),
                    AlterTableType::AtSetAccessMethod => out.push(newer(
                        "SET ACCESS METHOD",
                        15,
                        "a new table with USING, a copy, and a rename",
                    )),
                    AlterTableType::AtDetachPartitionFinalize => {
                        out.push(newer("DETACH PARTITION … FINALIZE", 14, "DETACH PARTITION"))
                    }
                    AlterTableType::AtDetachPartition => {
                        if matches!(crate::parse::inner(&cmd.def), Some(NodeEnum::PartitionCmd(p)) if p.concurrent)
                        {
                            out.push(newer("DETACH PARTITION … CONCURRENTLY", 14, "DETACH PARTITION (ACCESS EXCLUSIVE on the parent), with a lock_timeout"));
                        }
                    }
                    AlterTableType::AtSetRelOptions if is_view => {
                        let options = match crate::parse::inner(&cmd.def) {
                            Some(NodeEnum::List(list)) => walk::option_names(&list.items),
                            _ => Vec::new(),
                        };
                        if options.iter().any(|o| o == "security_invoker") {
                            out.push(newer(
                                "a view WITH (security_invoker)",
                                15,
                                "a security_barrier view, or row-level security on the tables",
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    out
}

fn column_constructs(column: &protobuf::ColumnDef, out: &mut Vec<Newer>) {
    if !column.compression.is_empty() {
        out.push(newer(
            "COMPRESSION on a column",
            14,
            "the default compression (pglz)",
        ));
    }
    for constraint in walk::column_constraints(column) {
        constraint_constructs(constraint, false, out);
    }
}

fn constraint_constructs(c: &Constraint, table_level: bool, out: &mut Vec<Newer>) {
    let Ok(kind) = ConstrType::try_from(c.contype) else {
        return;
    };
    let at = |mut n: Newer| {
        n.location = c.location;
        n
    };
    match kind {
        ConstrType::ConstrNotnull if table_level => out.push(at(newer(
            "NOT NULL as a table constraint",
            18,
            "ALTER TABLE … ALTER COLUMN … SET NOT NULL (after a validated CHECK (col IS NOT NULL) on a large table)",
        ))),
        ConstrType::ConstrNotnull if c.skip_validation => out.push(at(newer(
            "NOT NULL … NOT VALID",
            18,
            "CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL",
        ))),
        ConstrType::ConstrGenerated if c.generated_kind == "v" => out.push(at(newer(
            "a virtual generated column",
            18,
            "GENERATED ALWAYS AS (…) STORED (12+), or a view",
        ))),
        ConstrType::ConstrGenerated => out.push(at(newer(
            "GENERATED ALWAYS AS (…) STORED",
            12,
            "a trigger that sets the column",
        ))),
        ConstrType::ConstrUnique | ConstrType::ConstrPrimary => {
            if c.nulls_not_distinct {
                out.push(at(newer("NULLS NOT DISTINCT", 15, "a unique index on COALESCE(column, <a value that cannot occur>)")));
            }
            if c.without_overlaps {
                out.push(at(newer("WITHOUT OVERLAPS", 18, "an exclusion constraint: EXCLUDE USING gist (id WITH =, during WITH &&) (btree_gist)")));
            }
            if !c.including.is_empty() {
                out.push(at(newer("INCLUDE on an index", 11, "the extra columns as key columns")));
            }
        }
        ConstrType::ConstrForeign => {
            if c.fk_with_period || c.pk_with_period {
                out.push(at(newer("PERIOD in a foreign key", 18, "a trigger that checks the referenced ranges")));
            }
            if !c.fk_del_set_cols.is_empty() {
                out.push(at(newer("ON DELETE SET NULL / SET DEFAULT (columns)", 15, "ON DELETE SET NULL of every referencing column, or a trigger")));
            }
        }
        _ => {}
    }
    if !c.is_enforced && matches!(kind, ConstrType::ConstrCheck | ConstrType::ConstrForeign) {
        out.push(at(newer(
            "NOT ENFORCED",
            18,
            "no constraint, or one added NOT VALID",
        )));
    }
}

/// SQL/JSON syntax, from the tokens: the parse tree holds it deep inside expressions. Only
/// statements that mention JSON are scanned.
fn json_syntax(statement: &crate::parse::Statement) -> Vec<Newer> {
    let mut out = Vec::new();
    if !may_hold_json_syntax(&statement.sql) {
        return out;
    }
    let Ok(scan) = pg_query::scan(&statement.sql) else {
        return out;
    };
    let tokens: Vec<i32> = scan.tokens.iter().map(|t| t.token).collect();
    for (k, token) in scan.tokens.iter().enumerate() {
        let next = |n: usize| tokens.get(k + n).copied().unwrap_or(0);
        let found = match Token::try_from(token.token) {
            Ok(Token::JsonTable) => newer(
                "JSON_TABLE",
                17,
                "jsonb_to_recordset() or jsonb_array_elements() in FROM",
            ),
            Ok(Token::JsonQuery) => newer(
                "JSON_QUERY",
                17,
                "jsonb_path_query_first() or the -> and #> operators",
            ),
            Ok(Token::JsonValue) => newer(
                "JSON_VALUE",
                17,
                "jsonb_path_query_first() ->> or the ->> and #>> operators",
            ),
            Ok(Token::JsonExists) => {
                newer("JSON_EXISTS", 17, "jsonb_path_exists() or the @? operator")
            }
            Ok(Token::JsonScalar) => newer("JSON_SCALAR", 17, "to_json()"),
            Ok(Token::JsonSerialize) => newer("JSON_SERIALIZE", 17, "a cast to text"),
            Ok(Token::Json) if next(1) == b'(' as i32 => newer("JSON(…)", 17, "a cast: …::json"),
            Ok(Token::JsonObject) => newer("JSON_OBJECT", 16, "json_build_object()"),
            Ok(Token::JsonArray) => newer("JSON_ARRAY", 16, "json_build_array()"),
            Ok(Token::JsonObjectagg) => newer("JSON_OBJECTAGG", 16, "json_object_agg()"),
            Ok(Token::JsonArrayagg) => newer("JSON_ARRAYAGG", 16, "json_agg()"),
            Ok(Token::Is)
                if next(1) == Token::Json as i32
                    || (next(1) == Token::Not as i32 && next(2) == Token::Json as i32) =>
            {
                newer(
                    "IS JSON",
                    16,
                    "a function that tries a cast to json, or jsonb_typeof()",
                )
            }
            _ => continue,
        };
        out.push(Newer {
            location: (statement.offset + token.start.max(0) as usize) as i32,
            ..found
        });
    }
    out
}

/// Whether a `json` of the text could be SQL/JSON syntax: `json_…`, `json (`, or after `IS` /
/// `NOT`. A `json` column type (`payload json,`) is not, and needs no scan. Text with a comment
/// is always scanned (a comment could sit between the words).
fn may_hold_json_syntax(sql: &str) -> bool {
    let bytes = sql.as_bytes();
    let mut found = false;
    for at in 0..bytes.len().saturating_sub(3) {
        if !bytes[at..at + 4].eq_ignore_ascii_case(b"json") {
            continue;
        }
        found = true;
        let after = bytes[at + 4..].iter().find(|b| !b.is_ascii_whitespace());
        if matches!(after, Some(b'_' | b'(')) {
            return true;
        }
        let before = sql[..at].trim_end().as_bytes();
        let word = |w: &[u8]| {
            before.len() >= w.len() && before[before.len() - w.len()..].eq_ignore_ascii_case(w)
        };
        if word(b"is") || word(b"not") {
            return true;
        }
    }
    found && (sql.contains("/*") || sql.contains("--"))
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};
    use crate::Severity;

    const RULE: &str = "requires-newer-postgres";

    #[test]
    fn json_column_types_need_no_scan() {
        use super::may_hold_json_syntax as may;
        assert!(!may(
            "CREATE TABLE t (payload json, doc jsonb, \"json\" text)"
        ));
        assert!(!may("ALTER TABLE t ADD COLUMN payload json"));
        for sql in [
            "SELECT JSON_OBJECT('a': 1)",
            "SELECT json_table.x FROM json_table",
            "SELECT JSON ('{}')",
            "SELECT x IS JSON FROM t",
            "SELECT x is not\n json FROM t",
            "SELECT x IS /* a comment */ JSON FROM t",
        ] {
            assert!(may(sql), "{sql}");
        }
    }

    fn on(version: u32, sql: &str) -> Vec<String> {
        let options = Options {
            pg_version: version * 10000,
            ..Options::default()
        };
        of(&lint_with(&[Source::plain("m.sql", sql)], &options), RULE)
            .iter()
            .map(|f| f.message.clone())
            .collect()
    }

    /// `sql` fires on the version before `version` and not on `version`.
    fn needs(version: u32, sql: &str) {
        let before = on(version - 1, sql);
        assert_eq!(before.len(), 1, "{sql} on {}: {before:?}", version - 1);
        assert!(
            before[0].contains(&format!(
                "needs PostgreSQL {version}, and the target is {}",
                version - 1
            )),
            "{}",
            before[0]
        );
        assert!(on(version, sql).is_empty(), "{sql} on {version}");
    }

    #[test]
    fn each_construct_at_its_version() {
        needs(11, "CREATE PROCEDURE p() LANGUAGE sql AS $$ SELECT 1 $$;");
        needs(11, "CALL p();");
        needs(11, "CREATE INDEX i ON t (a) INCLUDE (b);");
        needs(
            12,
            "ALTER TABLE t ADD COLUMN total numeric GENERATED ALWAYS AS (price * qty) STORED;",
        );
        needs(12, "REINDEX TABLE CONCURRENTLY t;");
        needs(13, "ALTER TABLE t ALTER COLUMN total DROP EXPRESSION;");
        needs(13, "CREATE VIEW podium AS SELECT * FROM scores ORDER BY points DESC FETCH FIRST 3 ROWS WITH TIES;");
        needs(
            14,
            "CREATE FUNCTION one() RETURNS int LANGUAGE sql RETURN 1;",
        );
        needs(14, "CREATE OR REPLACE TRIGGER t_audit AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION audit();");
        needs(14, "ALTER TABLE p DETACH PARTITION c CONCURRENTLY;");
        needs(14, "ALTER TABLE p DETACH PARTITION c FINALIZE;");
        needs(
            14,
            "CREATE TABLE t (id bigint PRIMARY KEY, body text COMPRESSION lz4);",
        );
        needs(
            15,
            "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a;",
        );
        needs(15, "CREATE UNIQUE INDEX i ON t (a) NULLS NOT DISTINCT;");
        needs(
            15,
            "ALTER TABLE t ADD CONSTRAINT u UNIQUE NULLS NOT DISTINCT (a);",
        );
        needs(
            15,
            "CREATE VIEW v WITH (security_invoker = true) AS SELECT * FROM t;",
        );
        needs(15, "ALTER VIEW v SET (security_invoker = on);");
        needs(15, "ALTER TABLE t SET ACCESS METHOD heap2;");
        needs(16, "CREATE VIEW v AS SELECT id FROM t WHERE body IS JSON;");
        needs(16, "UPDATE t SET doc = JSON_OBJECT('a': 1) WHERE id = 1;");
        needs(
            16,
            "CREATE TABLE t (id bigint PRIMARY KEY, body text STORAGE EXTERNAL);",
        );
        needs(16, "GRANT app_reader TO alice WITH INHERIT TRUE;");
        needs(17, "CREATE VIEW v AS SELECT jt.* FROM t, JSON_TABLE(t.doc, '$.items[*]' COLUMNS (name text PATH '$.name')) AS jt;");
        needs(
            17,
            "UPDATE t SET price = JSON_VALUE(doc, '$.price' RETURNING numeric) WHERE id = 1;",
        );
        needs(
            17,
            "ALTER TABLE t ALTER COLUMN total SET EXPRESSION AS (price * qty * 2);",
        );
        needs(
            18,
            "CREATE TABLE t (id bigint, CONSTRAINT t_id_not_null NOT NULL id);",
        );
        needs(
            18,
            "ALTER TABLE t ADD CONSTRAINT t_email_not_null NOT NULL email NOT VALID;",
        );
        needs(
            18,
            "ALTER TABLE t ADD CONSTRAINT t_total_check CHECK (total > 0) NOT ENFORCED;",
        );
        needs(
            18,
            "ALTER TABLE t ADD COLUMN total numeric GENERATED ALWAYS AS (price * qty) VIRTUAL;",
        );
        needs(18, "CREATE TABLE r (id bigint, during tstzrange, PRIMARY KEY (id, during WITHOUT OVERLAPS));");
    }

    #[test]
    fn several_in_one_statement() {
        let found = on(14, "MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED BY SOURCE THEN DELETE RETURNING t.id;");
        assert_eq!(found.len(), 3, "{found:?}");
    }

    #[test]
    fn details() {
        let sql = "SELECT 1;\nCREATE UNIQUE INDEX i ON t (a) NULLS NOT DISTINCT;";
        let findings = lint_with(
            &[Source::plain("m.sql", sql)],
            &Options {
                pg_version: 140007,
                ..Options::default()
            },
        );
        let hit = of(&findings, RULE)[0];
        assert_eq!(hit.severity, Severity::Error);
        assert_eq!(hit.line, 2);
        assert_eq!(hit.message, "NULLS NOT DISTINCT needs PostgreSQL 15, and the target is 14.7: the migration fails there");
        assert_eq!(
            hit.help.as_deref(),
            Some("a unique index on COALESCE(column, <a value that cannot occur>)\n(if production runs 15 or newer, set it: [lint] pg_version = 15)")
        );
        // In a down too.
        let mut source = source_up_down(
            "SELECT 1;",
            "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE;",
        );
        source.has_down = true;
        let findings = lint_with(
            &[source],
            &Options {
                pg_version: 140000,
                ..Options::default()
            },
        );
        assert_eq!(of(&findings, RULE).len(), 1);
    }

    #[test]
    fn does_not_fire() {
        for sql in [
            "CREATE TABLE t (id bigint PRIMARY KEY, email text NOT NULL, doc json);",
            "CREATE TABLE t (id bigint, email text CONSTRAINT email_nn NOT NULL);",
            "SELECT '{}'::json;",
            "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;",
            "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id) ON DELETE SET NULL;",
            "CREATE INDEX i ON t (a);",
            "CREATE VIEW v WITH (security_barrier) AS SELECT * FROM t;",
            "SELECT json_build_object('a', 1);",
        ] {
            assert!(on(10, sql).is_empty(), "{sql}: {:?}", on(10, sql));
        }
    }

    #[test]
    fn waived() {
        let sql = "-- strata:lint-ignore requires-newer-postgres applied only after the upgrade to 15 (runbook 12)\nMERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE;";
        let findings = lint_with(
            &[Source::plain("m.sql", sql)],
            &Options {
                pg_version: 140000,
                ..Options::default()
            },
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
        assert!(of(&findings, "unused-waiver").is_empty(), "{findings:?}");
    }
}
