//! Data-aware checks: what the rows a statement will meet say about it.
//!
//! The linter does no I/O, so this is a conversation in two halves:
//!
//! 1. [`questions`] reads the run and asks, for each statement on an existing table that no
//!    earlier statement of the run changes, what only the data can tell: the duplicate keys a
//!    unique index will meet, the NULLs a `SET NOT NULL` will meet, the orphan rows a foreign key
//!    will meet, the values a type change cannot convert, and how large the relation a rewrite,
//!    scan or index build works through is. Each [`Question`] renders its own SQL
//!    ([`Question::count_sql`], optionally on a sample) and the query a user runs to see the rows
//!    ([`Question::see_sql`]).
//! 2. The caller (the CLI, with a database connected) runs them within its time budget and hands
//!    the [`Answers`] back in `Options::data`; the rules of [`RULES`] turn them into findings
//!    (`data-duplicates`, `data-nulls`, `data-orphans`, `data-unconvertible`,
//!    `estimated-duration`), placed on their statements like any other rule's.
//!
//! A table an earlier statement of the run changes (a dedupe `DELETE`, an `UPDATE` backfill, a
//! new column, a `DO` block that may do anything) is not asked about: what the database holds now
//! is not what the statement will meet.

use crate::finding::Severity;
use crate::locks::{Effect, LockLevel};
use crate::parse::{self, Statement};
use crate::rules::{Hit, Object, Rule, RuleKind, SectionCx};
use crate::source::{Options, SectionKind, Source};
use crate::walk;
use pg_query::protobuf::{AlterTableType, ConstrType, TypeName};
use pg_query::NodeEnum;
use std::collections::BTreeMap;

/// Where a statement is: (source index, section index, statement index in its section).
pub type At = (usize, usize, usize);

/// A question about the rows of an existing table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Question {
    /// Keys (SQL expressions over the table's columns) that more than one row shares.
    Duplicates {
        table: String,
        keys: Vec<String>,
        /// A partial index's `WHERE`.
        predicate: Option<String>,
        /// `NULLS NOT DISTINCT`: rows with NULL keys count as equal.
        nulls_not_distinct: bool,
    },
    /// Rows where any of the columns is NULL.
    Nulls { table: String, columns: Vec<String> },
    /// Rows whose key (all parts non-NULL) has no match in the referenced table. Empty
    /// `referenced_columns`: its primary key (the caller resolves it).
    Orphans {
        table: String,
        columns: Vec<String>,
        referenced: String,
        referenced_columns: Vec<String>,
    },
    /// `VALIDATE CONSTRAINT` of a constraint the run does not define: the caller reads it from
    /// the catalog and asks [`constraint_question`].
    Validate { table: String, constraint: String },
    /// Non-NULL values of `column` that `(USING expr or the column)::new_type` rejects.
    Unconvertible {
        table: String,
        column: String,
        new_type: String,
        using: Option<String>,
    },
    /// The size of what the statement works through, for an estimated duration.
    Duration {
        table: String,
        lock: LockLevel,
        effect: Effect,
        /// For `ALTER COLUMN … TYPE`: the column, whose current type decides whether it is a
        /// rewrite at all (binary-compatible changes are not).
        retype: Option<String>,
    },
}

/// A question and the statement it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asked {
    pub at: At,
    pub question: Question,
}

/// What the caller found.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// How many keys or rows. `sampled`: the percentage of the table's pages read (the count is
    /// then a lower bound for duplicates, an estimate scaled to the whole table otherwise).
    Count { count: u64, sampled: Option<f64> },
    /// The relation's size and the time the statement will take at the measured throughput.
    Duration {
        bytes: u64,
        seconds: f64,
        /// For a retype: the column's current type as PostgreSQL prints it.
        old_type: Option<String>,
    },
    /// Not answered: the time budget ran out, the query failed, ...
    NotChecked { why: String },
}

/// The answers, by statement.
#[derive(Clone, Debug, Default)]
pub struct Answers {
    pub by_statement: BTreeMap<At, Vec<(Question, Answer)>>,
}

impl Answers {
    pub fn insert(&mut self, at: At, question: Question, answer: Answer) {
        self.by_statement
            .entry(at)
            .or_default()
            .push((question, answer));
    }

    pub fn is_empty(&self) -> bool {
        self.by_statement.is_empty()
    }
}

// --- Asking.

/// The questions the run's up sections raise about existing tables, in run order. Asks nothing
/// without `options.existing` (no database: nothing to ask).
pub fn questions(sources: &[Source], options: &Options) -> Vec<Asked> {
    let Some(existing) = &options.existing else {
        return Vec::new();
    };
    let exists = |t: &str| existing.contains(&Object::Table(t.to_owned()));
    let mut out = Vec::new();
    // Tables an earlier statement of the run changed (bare names); `opaque`: a statement whose
    // effect the parser cannot see ran.
    let mut changed: Vec<String> = Vec::new();
    let mut opaque = false;
    // Constraints added NOT VALID earlier in the run: (table, name, constraint).
    let mut not_valid: Vec<(String, String, pg_query::protobuf::Constraint)> = Vec::new();
    for (s, source) in sources.iter().enumerate() {
        // A migration the database has applied already (`--all` on a migrated database) will
        // not run again: its statements are not asked about, but still change what later ones
        // meet.
        let applied = source
            .revision
            .as_ref()
            .is_some_and(|r| options.applied_checksums.contains_key(r));
        for (k, section) in source.sections.iter().enumerate() {
            if section.kind != SectionKind::Up {
                continue;
            }
            let Ok(statements) = parse::parse_section(&section.sql, section.first_line) else {
                continue;
            };
            for (i, statement) in statements.iter().enumerate() {
                let fresh = |t: &str| {
                    !opaque && exists(t) && !changed.iter().any(|c| walk::same_table(c, t))
                };
                let asked = if applied {
                    Vec::new()
                } else {
                    statement_questions(statement, &not_valid)
                };
                for question in asked {
                    let table = question_table(&question);
                    let mut ok = match &question {
                        // A size is a size: only the table must exist and not be new.
                        Question::Duration { .. } => exists(table),
                        _ => fresh(table),
                    };
                    if let Question::Orphans { referenced, .. } = &question {
                        ok &= fresh(referenced);
                    }
                    if ok {
                        out.push(Asked {
                            at: (s, k, i),
                            question,
                        });
                    }
                }
                remember_not_valid(statement, &mut not_valid);
                let (tables, unknown) = changes(&statement.node);
                changed.extend(tables);
                opaque |= unknown;
            }
        }
    }
    out
}

fn question_table(q: &Question) -> &str {
    match q {
        Question::Duplicates { table, .. }
        | Question::Nulls { table, .. }
        | Question::Orphans { table, .. }
        | Question::Validate { table, .. }
        | Question::Unconvertible { table, .. }
        | Question::Duration { table, .. } => table,
    }
}

fn remember_not_valid(
    statement: &Statement,
    not_valid: &mut Vec<(String, String, pg_query::protobuf::Constraint)>,
) {
    let NodeEnum::AlterTableStmt(stmt) = &statement.node else {
        return;
    };
    let table = walk::table_name(&stmt.relation);
    for cmd in walk::alter_commands(stmt) {
        if cmd.subtype != AlterTableType::AtAddConstraint as i32 {
            continue;
        }
        if let Some(c) = walk::command_constraint(cmd) {
            if c.skip_validation && !c.conname.is_empty() {
                not_valid.push((table.clone(), c.conname.clone(), c.clone()));
            }
        }
    }
}

/// The tables whose rows or columns a statement changes, and whether it may change anything
/// (`DO`, `CALL`, `EXECUTE`: the parser cannot see what they do).
fn changes(node: &NodeEnum) -> (Vec<String>, bool) {
    use AlterTableType::*;
    let one = |r: &Option<pg_query::protobuf::RangeVar>| (vec![walk::table_name(r)], false);
    match node {
        NodeEnum::InsertStmt(s) => one(&s.relation),
        NodeEnum::UpdateStmt(s) => one(&s.relation),
        NodeEnum::DeleteStmt(s) => one(&s.relation),
        NodeEnum::MergeStmt(s) => one(&s.relation),
        NodeEnum::CopyStmt(s) if s.is_from => one(&s.relation),
        NodeEnum::TruncateStmt(s) => (walk::range_var_names(&s.relations), false),
        NodeEnum::CreateStmt(s) => one(&s.relation),
        NodeEnum::DropStmt(s) => (s.objects.iter().map(walk::dotted_name).collect(), false),
        NodeEnum::RenameStmt(s) => {
            let mut tables = vec![walk::table_name(&s.relation)];
            if s.rename_type == pg_query::protobuf::ObjectType::ObjectTable as i32 {
                tables.push(s.newname.clone());
            }
            (tables, false)
        }
        NodeEnum::AlterTableStmt(s) => {
            let keeps_rows = |cmd: &&pg_query::protobuf::AlterTableCmd| {
                matches!(
                    AlterTableType::try_from(cmd.subtype),
                    Ok(AtAddConstraint
                        | AtValidateConstraint
                        | AtSetNotNull
                        | AtDropNotNull
                        | AtAddIndex
                        | AtAddIndexConstraint
                        | AtDropConstraint
                        | AtSetStatistics
                        | AtSetOptions
                        | AtResetOptions
                        | AtSetRelOptions
                        | AtResetRelOptions
                        | AtClusterOn
                        | AtDropCluster
                        | AtChangeOwner
                        | AtColumnDefault
                        | AtReplicaIdentity
                        | AtEnableRowSecurity
                        | AtDisableRowSecurity
                        | AtForceRowSecurity
                        | AtNoForceRowSecurity
                        | AtEnableTrig
                        | AtEnableAlwaysTrig
                        | AtEnableReplicaTrig
                        | AtEnableTrigAll
                        | AtEnableTrigUser
                        | AtDisableTrig
                        | AtDisableTrigAll
                        | AtDisableTrigUser)
                )
            };
            if walk::alter_commands(s).iter().all(keeps_rows) {
                (Vec::new(), false)
            } else {
                one(&s.relation)
            }
        }
        NodeEnum::DoStmt(_) | NodeEnum::CallStmt(_) | NodeEnum::ExecuteStmt(_) => {
            (Vec::new(), true)
        }
        _ => (Vec::new(), false),
    }
}

/// The questions one statement raises (before checking that its tables are existing and
/// unchanged).
fn statement_questions(
    statement: &Statement,
    not_valid: &[(String, String, pg_query::protobuf::Constraint)],
) -> Vec<Question> {
    let mut out = Vec::new();
    match &statement.node {
        NodeEnum::IndexStmt(stmt) => {
            let table = walk::table_name(&stmt.relation);
            if stmt.unique {
                let keys: Vec<String> = stmt
                    .index_params
                    .iter()
                    .filter_map(|p| match p.node.as_ref() {
                        Some(NodeEnum::IndexElem(e)) if !e.name.is_empty() => {
                            Some(walk::ident(&e.name))
                        }
                        Some(NodeEnum::IndexElem(e)) => e
                            .expr
                            .as_deref()
                            .and_then(walk::expr_sql)
                            .map(|x| format!("({x})")),
                        _ => None,
                    })
                    .collect();
                if keys.len() == stmt.index_params.len() && !keys.is_empty() {
                    out.push(Question::Duplicates {
                        table: table.clone(),
                        keys,
                        predicate: stmt.where_clause.as_deref().and_then(walk::expr_sql),
                        nulls_not_distinct: stmt.nulls_not_distinct,
                    });
                }
            }
            if !stmt.concurrent {
                out.push(Question::Duration {
                    table,
                    lock: LockLevel::Share,
                    effect: Effect::Build,
                    retype: None,
                });
            }
        }
        NodeEnum::AlterTableStmt(stmt) if walk::is_table(stmt.objtype) => {
            let table = walk::table_name(&stmt.relation);
            let mut duration: Option<(LockLevel, Effect, Option<String>)> = None;
            let mut longer = |lock: LockLevel, effect: Effect, retype: Option<String>| {
                let rank = |e: Effect| match e {
                    Effect::Metadata => 0,
                    Effect::Scan => 1,
                    Effect::Build => 2,
                    Effect::Rewrite => 3,
                };
                if duration
                    .as_ref()
                    .is_none_or(|(_, e, _)| rank(effect) > rank(*e))
                {
                    duration = Some((lock, effect, retype));
                }
            };
            for cmd in walk::alter_commands(stmt) {
                let Ok(subtype) = AlterTableType::try_from(cmd.subtype) else {
                    continue;
                };
                match subtype {
                    AlterTableType::AtAddConstraint => {
                        let Some(c) = walk::command_constraint(cmd) else {
                            continue;
                        };
                        out.extend(constraint_checks(&table, c));
                        if c.skip_validation {
                            continue;
                        }
                        if walk::is_constraint(c, ConstrType::ConstrForeign) {
                            longer(LockLevel::ShareRowExclusive, Effect::Scan, None);
                        } else if walk::is_constraint(c, ConstrType::ConstrCheck) {
                            longer(LockLevel::AccessExclusive, Effect::Scan, None);
                        } else if (walk::is_constraint(c, ConstrType::ConstrUnique)
                            || walk::is_constraint(c, ConstrType::ConstrPrimary))
                            && c.indexname.is_empty()
                        {
                            longer(LockLevel::AccessExclusive, Effect::Build, None);
                        }
                    }
                    AlterTableType::AtValidateConstraint => {
                        match not_valid
                            .iter()
                            .rev()
                            .find(|(t, n, _)| walk::same_table(t, &table) && *n == cmd.name)
                        {
                            Some((_, _, c)) => {
                                let mut c = c.clone();
                                c.skip_validation = false;
                                out.extend(constraint_checks(&table, &c));
                            }
                            None => out.push(Question::Validate {
                                table: table.clone(),
                                constraint: cmd.name.clone(),
                            }),
                        }
                    }
                    AlterTableType::AtSetNotNull => {
                        out.push(Question::Nulls {
                            table: table.clone(),
                            columns: vec![cmd.name.clone()],
                        });
                        longer(LockLevel::AccessExclusive, Effect::Scan, None);
                    }
                    AlterTableType::AtAlterColumnType => {
                        if let Some(def) = walk::command_column_def(cmd) {
                            out.push(Question::Unconvertible {
                                table: table.clone(),
                                column: cmd.name.clone(),
                                new_type: walk::type_sql(&def.type_name),
                                using: def.raw_default.as_deref().and_then(walk::expr_sql),
                            });
                            longer(
                                LockLevel::AccessExclusive,
                                Effect::Rewrite,
                                def.raw_default.is_none().then(|| cmd.name.clone()),
                            );
                        }
                    }
                    AlterTableType::AtAddColumn
                        if walk::command_column_def(cmd).is_some_and(rewrites_on_add) =>
                    {
                        longer(LockLevel::AccessExclusive, Effect::Rewrite, None);
                    }
                    AlterTableType::AtSetTableSpace
                    | AlterTableType::AtSetLogged
                    | AlterTableType::AtSetUnLogged
                    | AlterTableType::AtSetAccessMethod => {
                        longer(LockLevel::AccessExclusive, Effect::Rewrite, None);
                    }
                    _ => {}
                }
            }
            if let Some((lock, effect, retype)) = duration {
                out.push(Question::Duration {
                    table,
                    lock,
                    effect,
                    retype,
                });
            }
        }
        NodeEnum::VacuumStmt(stmt)
            if stmt.is_vacuumcmd && walk::option_on(&stmt.options, "full") =>
        {
            for r in &stmt.rels {
                if let Some(NodeEnum::VacuumRelation(v)) = r.node.as_ref() {
                    out.push(Question::Duration {
                        table: walk::table_name(&v.relation),
                        lock: LockLevel::AccessExclusive,
                        effect: Effect::Rewrite,
                        retype: None,
                    });
                }
            }
        }
        NodeEnum::ClusterStmt(stmt) if stmt.relation.is_some() => out.push(Question::Duration {
            table: walk::table_name(&stmt.relation),
            lock: LockLevel::AccessExclusive,
            effect: Effect::Rewrite,
            retype: None,
        }),
        NodeEnum::ReindexStmt(stmt)
            if stmt.relation.is_some()
                && stmt.kind
                    == pg_query::protobuf::ReindexObjectType::ReindexObjectTable as i32
                && !walk::option_on(&stmt.params, "concurrently") =>
        {
            out.push(Question::Duration {
                table: walk::table_name(&stmt.relation),
                lock: LockLevel::Share,
                effect: Effect::Build,
                retype: None,
            })
        }
        _ => {}
    }
    out
}

/// Whether adding this column writes every row: a volatile default, serial, identity, stored
/// generated.
fn rewrites_on_add(column: &pg_query::protobuf::ColumnDef) -> bool {
    const VOLATILE: &[&str] = &[
        "random",
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v4",
        "clock_timestamp",
        "timeofday",
        "nextval",
        "txid_current",
    ];
    walk::is_serial(&walk::type_base(&column.type_name))
        || walk::column_constraint(column, ConstrType::ConstrIdentity).is_some()
        || walk::column_constraint(column, ConstrType::ConstrGenerated).is_some()
        || walk::column_default(column).is_some_and(|d| {
            walk::function_calls(d)
                .iter()
                .any(|(name, _)| VOLATILE.contains(&name.as_str()))
        })
}

/// The questions adding (or validating) a table constraint raises: duplicates for `UNIQUE` and
/// `PRIMARY KEY` (not `USING INDEX`: that index is unique already), NULLs for `PRIMARY KEY` and
/// `CHECK (col IS NOT NULL)`, orphans for a `FOREIGN KEY`. Nothing for a `NOT VALID` one: it
/// checks no existing row.
fn constraint_checks(table: &str, c: &pg_query::protobuf::Constraint) -> Vec<Question> {
    let mut out = Vec::new();
    if c.skip_validation {
        return out;
    }
    let keys: Vec<String> = walk::names(&c.keys);
    if walk::is_constraint(c, ConstrType::ConstrUnique)
        || walk::is_constraint(c, ConstrType::ConstrPrimary)
    {
        if c.indexname.is_empty() && !keys.is_empty() {
            out.push(Question::Duplicates {
                table: table.to_owned(),
                keys: keys.iter().map(|k| walk::ident(k)).collect(),
                predicate: None,
                nulls_not_distinct: c.nulls_not_distinct,
            });
        }
        if walk::is_constraint(c, ConstrType::ConstrPrimary) && !keys.is_empty() {
            out.push(Question::Nulls {
                table: table.to_owned(),
                columns: keys,
            });
        }
    } else if walk::is_constraint(c, ConstrType::ConstrCheck) {
        if let Some(column) = walk::not_null_check_column(c) {
            out.push(Question::Nulls {
                table: table.to_owned(),
                columns: vec![column.to_owned()],
            });
        }
    } else if walk::is_constraint(c, ConstrType::ConstrForeign) {
        let columns = walk::names(&c.fk_attrs);
        if !columns.is_empty() {
            out.push(Question::Orphans {
                table: table.to_owned(),
                columns,
                referenced: walk::table_name(&c.pktable),
                referenced_columns: walk::names(&c.pk_attrs),
            });
        }
    }
    out
}

/// The questions of a constraint read from the catalog (`VALIDATE CONSTRAINT` of one the run does
/// not define): `definition` as `pg_get_constraintdef` prints it.
pub fn constraint_question(table: &str, definition: &str) -> Vec<Question> {
    let sql = format!("ALTER TABLE {} ADD {definition}", walk::table_ident(table));
    let Ok(statements) = parse::parse_section(&sql, 1) else {
        return Vec::new();
    };
    let Some(NodeEnum::AlterTableStmt(stmt)) = statements.first().map(|s| &s.node) else {
        return Vec::new();
    };
    walk::alter_commands(stmt)
        .into_iter()
        .filter_map(walk::command_constraint)
        .flat_map(|c| {
            let mut c = c.clone();
            c.skip_validation = false;
            constraint_checks(table, &c)
        })
        .collect()
}

// --- The SQL of a question.

impl Question {
    /// The query counting what the question asks about, reading `sample` percent of the table's
    /// pages (`TABLESAMPLE SYSTEM`) when given. One row, one column. `None` for `Validate`
    /// (resolved by the caller first), `Duration` (catalog sizes), `Unconvertible` (see
    /// [`Question::unconvertible_sql`]) and `Orphans` without referenced columns.
    pub fn count_sql(&self, sample: Option<f64>) -> Option<String> {
        let from = |table: &str| match sample {
            Some(p) => format!("{} TABLESAMPLE SYSTEM ({p})", walk::table_ident(table)),
            None => walk::table_ident(table),
        };
        Some(match self {
            Question::Duplicates {
                table,
                keys,
                predicate,
                nulls_not_distinct,
            } => {
                let keys_sql = keys.join(", ");
                format!(
                    "SELECT count(*) FROM (SELECT 1 FROM {} WHERE {} GROUP BY {keys_sql} HAVING count(*) > 1) AS duplicates",
                    from(table),
                    duplicate_filter(keys, predicate.as_deref(), *nulls_not_distinct)
                )
            }
            Question::Nulls { table, columns } => format!(
                "SELECT count(*) FROM {} WHERE {}",
                from(table),
                null_filter(columns)
            ),
            Question::Orphans {
                table,
                columns,
                referenced,
                referenced_columns,
            } => {
                if referenced_columns.len() != columns.len() {
                    return None;
                }
                format!(
                    "SELECT count(*) FROM {} AS c WHERE {}",
                    from(table),
                    orphan_filter(columns, referenced, referenced_columns)
                )
            }
            Question::Validate { .. }
            | Question::Duration { .. }
            | Question::Unconvertible { .. } => return None,
        })
    }

    /// For `Unconvertible`: the function (in `pg_temp`, so it lasts only as long as the caller's
    /// transaction, which it rolls back) that tells whether one value converts, given the
    /// column's current type, and the query counting those that do not.
    pub fn unconvertible_sql(
        &self,
        old_type: &str,
        sample: Option<f64>,
    ) -> Option<(String, String)> {
        let Question::Unconvertible {
            table,
            column,
            new_type,
            using,
        } = self
        else {
            return None;
        };
        let c = walk::ident(column);
        let expr = using.clone().unwrap_or_else(|| c.clone());
        let function = format!(
            "CREATE FUNCTION pg_temp.strata_converts(v {old_type}) RETURNS boolean LANGUAGE plpgsql AS $strata$\n\
             BEGIN\n  PERFORM (SELECT ({expr}) FROM (SELECT v AS {c}) AS s)::{new_type};\n  RETURN true;\n\
             EXCEPTION WHEN others THEN\n  RETURN false;\nEND\n$strata$"
        );
        let from = match sample {
            Some(p) => format!("{} TABLESAMPLE SYSTEM ({p})", walk::table_ident(table)),
            None => walk::table_ident(table),
        };
        let count = format!(
            "SELECT count(*) FROM {from} WHERE {c} IS NOT NULL AND NOT pg_temp.strata_converts({c})"
        );
        Some((function, count))
    }

    /// The query a user runs to see the rows a finding is about.
    pub fn see_sql(&self, pg_version: u32) -> String {
        match self {
            Question::Duplicates {
                table,
                keys,
                predicate,
                nulls_not_distinct,
            } => {
                let keys_sql = keys.join(", ");
                format!(
                    "SELECT {keys_sql}, count(*) FROM {} WHERE {} GROUP BY {keys_sql} HAVING count(*) > 1 ORDER BY count(*) DESC LIMIT 20;",
                    walk::table_ident(table),
                    duplicate_filter(keys, predicate.as_deref(), *nulls_not_distinct)
                )
            }
            Question::Nulls { table, columns } => format!(
                "SELECT * FROM {} WHERE {} LIMIT 20;",
                walk::table_ident(table),
                null_filter(columns)
            ),
            Question::Orphans {
                table,
                columns,
                referenced,
                referenced_columns,
            } => format!(
                "SELECT * FROM {} AS c WHERE {} LIMIT 20;",
                walk::table_ident(table),
                orphan_filter(columns, referenced, referenced_columns)
            ),
            Question::Unconvertible {
                table,
                column,
                new_type,
                using: None,
            } if pg_version >= 160000 => {
                let c = walk::ident(column);
                format!(
                    "SELECT {c} FROM {} WHERE {c} IS NOT NULL AND NOT pg_input_is_valid({c}::text, '{new_type}') LIMIT 20;",
                    walk::table_ident(table)
                )
            }
            Question::Unconvertible {
                table,
                column,
                new_type,
                using,
            } => {
                let c = walk::ident(column);
                let expr = using.clone().unwrap_or_else(|| c.clone());
                format!(
                    "SELECT ({expr})::{new_type} FROM {} WHERE {c} IS NOT NULL;  -- fails on the first value that does not convert, naming it",
                    walk::table_ident(table)
                )
            }
            Question::Validate { table, constraint } => format!(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = '{}'::regclass AND conname = '{}';",
                walk::table_ident(table).replace('\'', "''"),
                constraint.replace('\'', "''")
            ),
            Question::Duration { table, .. } => format!(
                "SELECT pg_size_pretty(pg_total_relation_size('{}'));",
                walk::table_ident(table).replace('\'', "''")
            ),
        }
    }
}

fn duplicate_filter(keys: &[String], predicate: Option<&str>, nulls_not_distinct: bool) -> String {
    let mut parts: Vec<String> = if nulls_not_distinct {
        Vec::new()
    } else {
        keys.iter().map(|k| format!("{k} IS NOT NULL")).collect()
    };
    if let Some(p) = predicate {
        parts.push(format!("({p})"));
    }
    if parts.is_empty() {
        "true".to_owned()
    } else {
        parts.join(" AND ")
    }
}

fn null_filter(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("{} IS NULL", walk::ident(c)))
        .collect::<Vec<_>>()
        .join(" OR ")
}

fn orphan_filter(columns: &[String], referenced: &str, referenced_columns: &[String]) -> String {
    let not_null: Vec<String> = columns
        .iter()
        .map(|c| format!("c.{} IS NOT NULL", walk::ident(c)))
        .collect();
    let matches: Vec<String> = columns
        .iter()
        .zip(referenced_columns)
        .map(|(c, r)| format!("r.{} = c.{}", walk::ident(r), walk::ident(c)))
        .collect();
    format!(
        "{} AND NOT EXISTS (SELECT 1 FROM {} AS r WHERE {})",
        not_null.join(" AND "),
        walk::table_ident(referenced),
        matches.join(" AND ")
    )
}

// --- The findings.

/// The data-aware rules: they fire only on answers the caller gave (`Options::data`), so a run
/// without a database has none. Listed apart from [`crate::rules::RULES`].
pub static RULES: &[Rule] = &[
    Rule {
        id: "data-duplicates",
        default: Severity::Error,
        kind: RuleKind::Always,
        opt_in: false,
        summary: "a unique index or constraint on existing rows that share a key (it will fail)",
        check: check_duplicates,
    },
    Rule {
        id: "data-nulls",
        default: Severity::Error,
        kind: RuleKind::Always,
        opt_in: false,
        summary: "`SET NOT NULL`, a primary key or a NOT NULL check on a column with NULLs (it will fail)",
        check: check_nulls,
    },
    Rule {
        id: "data-orphans",
        default: Severity::Error,
        kind: RuleKind::Always,
        opt_in: false,
        summary: "a foreign key added or validated over rows with no match (it will fail)",
        check: check_orphans,
    },
    Rule {
        id: "data-unconvertible",
        default: Severity::Error,
        kind: RuleKind::Always,
        opt_in: false,
        summary: "`ALTER COLUMN … TYPE` over values that do not convert (it will fail)",
        check: check_unconvertible,
    },
    Rule {
        id: "estimated-duration",
        default: Severity::Warning,
        kind: RuleKind::Always,
        opt_in: false,
        summary: "a rewrite, scan or index build that holds its lock for a second or more",
        check: check_duration,
    },
];

/// Durations under this are not reported.
pub const DURATION_FLOOR_SECONDS: f64 = 1.0;

/// The answers for the statements of this section: (statement index, question, answer).
fn answers<'a>(cx: &'a SectionCx<'_>) -> Vec<(usize, &'a Question, &'a Answer)> {
    if cx.options.data.is_empty() {
        return Vec::new();
    }
    let Some(section) = cx
        .source
        .sections
        .iter()
        .position(|s| std::ptr::eq(s, cx.section))
    else {
        return Vec::new();
    };
    cx.options
        .data
        .by_statement
        .range((cx.file_index, section, 0)..=(cx.file_index, section, usize::MAX))
        .flat_map(|((_, _, i), list)| list.iter().map(move |(q, a)| (*i, q, a)))
        .collect()
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "3 duplicate keys" / "about 1,200 rows (from a 2% sample)".
fn counted(count: u64, sampled: Option<f64>, one: &str, many: &str, lower_bound: bool) -> String {
    let noun = if count == 1 { one } else { many };
    match sampled {
        None => format!("{} {noun}", thousands(count)),
        Some(p) if lower_bound => format!(
            "at least {} {noun} (in a {} sample of its pages; the check was sampled to stay within the time budget)",
            thousands(count),
            percent(p)
        ),
        Some(p) => format!(
            "about {} {noun} (estimated from a {} sample of its pages; the check was sampled to stay within the time budget)",
            thousands(((count as f64) * 100.0 / p).round() as u64),
            percent(p)
        ),
    }
}

fn percent(p: f64) -> String {
    if p >= 1.0 {
        format!("{p:.0}%")
    } else {
        format!("{p:.2}%")
    }
}

fn check_duplicates(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, question, answer) in answers(cx) {
        let (Question::Duplicates { table, keys, .. }, Answer::Count { count, sampled }) =
            (question, answer)
        else {
            continue;
        };
        if *count == 0 {
            continue;
        }
        hits.push(
            Hit::at(
                i,
                format!(
                    "this statement will fail: {table} already has {} on ({})",
                    counted(*count, *sampled, "duplicate key", "duplicate keys", true),
                    keys.join(", ")
                ),
            )
            .help(format!(
                "remove or merge the duplicates first, in an earlier migration; to see them:\n{}",
                question.see_sql(cx.options.pg_version)
            )),
        );
    }
    hits
}

fn check_nulls(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, question, answer) in answers(cx) {
        let (Question::Nulls { table, columns }, Answer::Count { count, sampled }) =
            (question, answer)
        else {
            continue;
        };
        if *count == 0 {
            continue;
        }
        hits.push(
            Hit::at(
                i,
                format!(
                    "this statement will fail: {table} has {} with {} NULL",
                    counted(*count, *sampled, "row", "rows", false),
                    columns.join(" or ")
                ),
            )
            .help(format!(
                "backfill the NULLs first (in batches, in an earlier migration); to see them:\n{}",
                question.see_sql(cx.options.pg_version)
            )),
        );
    }
    hits
}

fn check_orphans(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, question, answer) in answers(cx) {
        let (
            Question::Orphans {
                table,
                columns,
                referenced,
                ..
            },
            Answer::Count { count, sampled },
        ) = (question, answer)
        else {
            continue;
        };
        if *count == 0 {
            continue;
        }
        hits.push(
            Hit::at(
                i,
                format!(
                    "this statement will fail: {table} has {} whose ({}) matches no row of {referenced}",
                    counted(*count, *sampled, "row", "rows", false),
                    columns.join(", ")
                ),
            )
            .help(format!(
                "delete or fix the orphan rows first (or add the constraint NOT VALID, which checks only new rows); to see them:\n{}",
                question.see_sql(cx.options.pg_version)
            )),
        );
    }
    hits
}

fn check_unconvertible(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, question, answer) in answers(cx) {
        let (
            Question::Unconvertible {
                table,
                column,
                new_type,
                ..
            },
            Answer::Count { count, sampled },
        ) = (question, answer)
        else {
            continue;
        };
        if *count == 0 {
            continue;
        }
        hits.push(
            Hit::at(
                i,
                format!(
                    "this statement will fail: {table} has {} whose {column} does not convert to {new_type}",
                    counted(*count, *sampled, "row", "rows", false),
                ),
            )
            .help(format!(
                "fix those values first, or convert them with a USING expression that handles them; to see them:\n{}",
                question.see_sql(cx.options.pg_version)
            )),
        );
    }
    hits
}

/// "about 40 s", "about 3 min", "about 1.2 h".
pub fn human_duration(seconds: f64) -> String {
    if seconds < 90.0 {
        format!("about {} s", seconds.round().max(1.0))
    } else if seconds < 5400.0 {
        format!("about {} min", (seconds / 60.0).round())
    } else {
        format!("about {:.1} h", seconds / 3600.0)
    }
}

fn human_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.0} MB", b / 1e6)
    } else {
        format!("{:.0} kB", b / 1e3)
    }
}

fn check_duration(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (i, question, answer) in answers(cx) {
        let (
            Question::Duration {
                table,
                lock,
                effect,
                retype,
            },
            Answer::Duration {
                bytes,
                seconds,
                old_type,
            },
        ) = (question, answer)
        else {
            continue;
        };
        if *seconds < DURATION_FLOOR_SECONDS {
            continue;
        }
        if let (Some(column), Some(old)) = (retype, old_type) {
            if retype_is_metadata(&cx.statements[i], table, column, old) {
                continue;
            }
        }
        let how_long = human_duration(*seconds);
        hits.push(
            Hit::at(
                i,
                format!(
                    "holds {} on {table} for {how_long}: a {} of {} at the throughput measured on this server ({})",
                    lock.name(),
                    effect.name(),
                    human_bytes(*bytes),
                    lock.blocks()
                ),
            )
            .lock(crate::locks::describe(*lock, table, &format!("for {how_long}")))
            .help(
                "do it the online way (see the other findings on this statement), or in a maintenance window; \
                 `strata lint --calibrate` measures this server's throughput again",
            ),
        );
    }
    hits
}

/// Whether `ALTER COLUMN column TYPE new` (the statement's) from `old` is metadata only.
fn retype_is_metadata(statement: &Statement, table: &str, column: &str, old: &str) -> bool {
    let Some(new) = walk::altered_columns(
        std::slice::from_ref(statement),
        AlterTableType::AtAlterColumnType,
    )
    .into_iter()
    .find(|a| a.cmd.name == column && walk::same_table(&a.table, table))
    .map(|a| a.column.type_name.clone()) else {
        return false;
    };
    let Some(old) = type_name_of(old) else {
        return false;
    };
    new.as_ref()
        .is_some_and(|new| crate::rules::column_type_change::binary_compatible(&old, new))
}

/// A type as PostgreSQL prints it (`character varying(20)`), parsed.
fn type_name_of(text: &str) -> Option<TypeName> {
    let statements = parse::parse_section(&format!("SELECT NULL::{text}"), 1).ok()?;
    let NodeEnum::SelectStmt(select) = &statements.first()?.node else {
        return None;
    };
    let Some(NodeEnum::ResTarget(target)) = select.target_list.first()?.node.as_ref() else {
        return None;
    };
    match parse::inner(&target.val)? {
        NodeEnum::TypeCast(cast) => cast.type_name.clone(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Existing;

    fn with_db(tables: &[&str]) -> Options {
        let mut existing = Existing::default();
        for t in tables {
            existing.relations.insert((*t).to_owned());
        }
        Options {
            existing: Some(existing),
            ..Options::default()
        }
    }

    fn asked(sqls: &[&str], tables: &[&str]) -> Vec<Asked> {
        let sources: Vec<Source> = sqls
            .iter()
            .enumerate()
            .map(|(i, sql)| Source::plain(format!("{i}.sql"), *sql))
            .collect();
        questions(&sources, &with_db(tables))
    }

    #[test]
    fn questions_for_existing_unchanged_tables() {
        let q = asked(
            &["CREATE UNIQUE INDEX CONCURRENTLY orders_code_key ON orders (code) WHERE deleted_at IS NULL;\n\
               ALTER TABLE orders ALTER COLUMN user_id SET NOT NULL;\n\
               ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n\
               ALTER TABLE orders ALTER COLUMN code TYPE integer USING code::integer;"],
            &["orders", "users"],
        );
        let kinds: Vec<&Question> = q.iter().map(|a| &a.question).collect();
        assert!(
            matches!(kinds[0], Question::Duplicates { keys, predicate: Some(p), .. } if keys == &["code"] && p.contains("deleted_at IS NULL")),
            "{kinds:?}"
        );
        assert!(kinds
            .iter()
            .any(|k| matches!(k, Question::Nulls { columns, .. } if columns == &["user_id"])));
        assert!(kinds.iter().any(|k| matches!(k, Question::Orphans { referenced, referenced_columns, .. } if referenced == "users" && referenced_columns == &["id"])));
        assert!(kinds.iter().any(|k| matches!(k, Question::Unconvertible { new_type, using: Some(_), .. } if new_type == "integer")));
        assert!(kinds.iter().any(|k| matches!(
            k,
            Question::Duration {
                effect: Effect::Rewrite,
                ..
            }
        )));
        // Placed on their statements.
        assert_eq!(q[0].at, (0, 0, 0));
    }

    #[test]
    fn no_questions_after_an_earlier_change_to_the_table() {
        // A dedupe in an earlier migration: the index will not meet today's duplicates.
        let q = asked(
            &[
                "DELETE FROM orders a USING orders b WHERE a.code = b.code AND a.id > b.id;",
                "CREATE UNIQUE INDEX orders_code_key ON orders (code);",
            ],
            &["orders"],
        );
        assert!(
            !q.iter()
                .any(|a| matches!(a.question, Question::Duplicates { .. })),
            "{q:?}"
        );
        // A DO block may change anything.
        let q = asked(
            &["DO $$ BEGIN PERFORM 1; END $$;\nALTER TABLE orders ALTER COLUMN a SET NOT NULL;"],
            &["orders"],
        );
        assert!(!q
            .iter()
            .any(|a| matches!(a.question, Question::Nulls { .. })));
        // A table the database does not have, or no database at all.
        assert!(asked(&["ALTER TABLE t ALTER COLUMN a SET NOT NULL;"], &["orders"]).is_empty());
        let sources = [Source::plain(
            "m.sql",
            "ALTER TABLE orders ALTER COLUMN a SET NOT NULL;",
        )];
        assert!(questions(&sources, &Options::default()).is_empty());
        // An earlier NOT VALID constraint is no change; its VALIDATE asks about its rows.
        let q = asked(
            &[
                "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
                "ALTER TABLE orders VALIDATE CONSTRAINT fk;",
            ],
            &["orders", "users"],
        );
        assert!(
            q.iter()
                .any(|a| a.at == (1, 0, 0) && matches!(a.question, Question::Orphans { .. })),
            "{q:?}"
        );
        let q = asked(&["ALTER TABLE orders VALIDATE CONSTRAINT fk;"], &["orders"]);
        assert!(
            matches!(&q[0].question, Question::Validate { constraint, .. } if constraint == "fk")
        );
        // A migration the database has applied is not asked about.
        let mut source = Source::plain("1.sql", "ALTER TABLE orders ALTER COLUMN a SET NOT NULL;");
        source.revision = Some("1".into());
        let mut options = with_db(&["orders"]);
        assert_eq!(questions(std::slice::from_ref(&source), &options).len(), 2);
        options.applied_checksums.insert("1".into(), "x".into());
        assert!(questions(&[source], &options).is_empty());
    }

    #[test]
    fn sql_of_the_questions() {
        let d = Question::Duplicates {
            table: "app.orders".into(),
            keys: vec!["code".into(), "(lower(email))".into()],
            predicate: None,
            nulls_not_distinct: false,
        };
        assert_eq!(
            d.count_sql(Some(2.0)).unwrap(),
            "SELECT count(*) FROM (SELECT 1 FROM app.orders TABLESAMPLE SYSTEM (2) WHERE code IS NOT NULL AND (lower(email)) IS NOT NULL GROUP BY code, (lower(email)) HAVING count(*) > 1) AS duplicates"
        );
        let o = Question::Orphans {
            table: "orders".into(),
            columns: vec!["user".into()],
            referenced: "users".into(),
            referenced_columns: vec!["id".into()],
        };
        assert_eq!(
            o.count_sql(None).unwrap(),
            "SELECT count(*) FROM orders AS c WHERE c.\"user\" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users AS r WHERE r.id = c.\"user\")"
        );
        let u = Question::Unconvertible {
            table: "t".into(),
            column: "a".into(),
            new_type: "integer".into(),
            using: None,
        };
        let (function, count) = u.unconvertible_sql("text", None).unwrap();
        assert!(
            function.contains("pg_temp.strata_converts(v text)"),
            "{function}"
        );
        assert!(count.ends_with("WHERE a IS NOT NULL AND NOT pg_temp.strata_converts(a)"));
        assert_eq!(
            constraint_question("orders", "FOREIGN KEY (user_id) REFERENCES users(id)"),
            vec![Question::Orphans {
                table: "orders".into(),
                columns: vec!["user_id".into()],
                referenced: "users".into(),
                referenced_columns: vec!["id".into()],
            }]
        );
        assert_eq!(human_duration(40.2), "about 40 s");
        assert_eq!(human_duration(600.0), "about 10 min");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn answers_become_findings_on_their_statements() {
        let source = Source::plain(
            "m.sql",
            "SET lock_timeout = '1s';\nCREATE UNIQUE INDEX CONCURRENTLY orders_code_key ON orders (code);\nALTER TABLE orders ALTER COLUMN code TYPE varchar(40);",
        );
        let mut options = with_db(&["orders"]);
        let asked = questions(std::slice::from_ref(&source), &options);
        for a in &asked {
            let answer = match &a.question {
                Question::Duplicates { .. } => Answer::Count {
                    count: 3,
                    sampled: None,
                },
                Question::Unconvertible { .. } => Answer::Count {
                    count: 2,
                    sampled: Some(10.0),
                },
                Question::Duration { .. } => Answer::Duration {
                    bytes: 2_000_000_000,
                    seconds: 40.0,
                    old_type: Some("character varying(20)".into()),
                },
                _ => continue,
            };
            options.data.insert(a.at, a.question.clone(), answer);
        }
        let report = crate::lint(std::slice::from_ref(&source), &options);
        let of = |rule: &str| -> Vec<&crate::Finding> {
            report.findings.iter().filter(|f| f.rule == rule).collect()
        };
        let dup = of("data-duplicates");
        assert_eq!(dup.len(), 1);
        assert_eq!(dup[0].line, 2);
        assert!(
            dup[0]
                .message
                .contains("will fail: orders already has 3 duplicate keys on (code)"),
            "{}",
            dup[0].message
        );
        assert!(dup[0]
            .help
            .as_deref()
            .unwrap()
            .contains("GROUP BY code HAVING count(*) > 1"));
        let conv = of("data-unconvertible");
        assert!(
            conv[0]
                .message
                .contains("about 20 rows (estimated from a 10% sample"),
            "{}",
            conv[0].message
        );
        // varchar(20) -> varchar(40) is metadata only: no duration.
        assert!(of("estimated-duration").is_empty());
        // From text it is a rewrite.
        for list in options.data.by_statement.values_mut() {
            for (_, a) in list.iter_mut() {
                if let Answer::Duration { old_type, .. } = a {
                    *old_type = Some("text".into());
                }
            }
        }
        let report = crate::lint(&[source], &options);
        let d: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.rule == "estimated-duration")
            .collect();
        assert_eq!(d.len(), 1);
        assert!(
            d[0].message
                .starts_with("holds ACCESS EXCLUSIVE on orders for about 40 s"),
            "{}",
            d[0].message
        );
    }
}
