//! From sources to findings: parse, run every rule, then place and filter what they found.

use crate::finding::{Finding, ParseFailure, Severity};
use crate::parse::{self, LineIndex, Statement};
use crate::rules::{Hit, Object, ParsedSection, RuleKind, SectionCx, RULES};
use crate::source::{Options, SectionKind, Source};
use crate::waiver::{self, Waiver};
use pg_query::NodeEnum;
use std::collections::BTreeSet;

/// The result of a lint run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// Sections the parser rejected (bad input: exit 2).
    pub failures: Vec<ParseFailure>,
    /// How many statements were checked.
    pub statements: usize,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }
}

/// Lints `sources` as one run, in order: what an earlier file creates is new for later ones.
pub fn lint(sources: &[Source], options: &Options) -> Report {
    let mut report = Report::default();
    // First parse everything, so rules can see the whole run (an index created in a later file
    // of the run, a table created in an earlier one).
    let mut all_parsed: Vec<Vec<(usize, ParsedSection<'_>)>> = Vec::with_capacity(sources.len());
    for source in sources {
        let mut parsed = Vec::new();
        for (i, section) in source.sections.iter().enumerate() {
            match parse::parse_section(&section.sql, section.first_line) {
                Ok(statements) => parsed.push((
                    i,
                    ParsedSection {
                        section,
                        statements,
                    },
                )),
                Err(error) => {
                    let (line, _) = LineIndex::new(&section.sql, section.first_line)
                        .position(&section.sql, error.offset);
                    report.failures.push(ParseFailure {
                        file: source.section_path(i).to_owned(),
                        line,
                        message: error.message,
                    });
                }
            }
        }
        all_parsed.push(parsed);
    }
    // Every up statement of the run, in order, and where each file's begin and end.
    let mut run_ups: Vec<Statement> = Vec::new();
    let mut spans = Vec::with_capacity(sources.len());
    for parsed in &all_parsed {
        let start = run_ups.len();
        for (_, p) in parsed
            .iter()
            .filter(|(_, p)| p.section.kind == SectionKind::Up)
        {
            run_ups.extend(p.statements.iter().cloned());
        }
        spans.push((start, run_ups.len()));
    }

    let mut created_in_run: BTreeSet<Object> = BTreeSet::new();
    for ((source, parsed), (span_start, span_end)) in sources.iter().zip(&all_parsed).zip(spans) {
        let up_created: BTreeSet<Object> = parsed
            .iter()
            .filter(|(_, p)| p.section.kind == SectionKind::Up)
            .flat_map(|(_, p)| p.statements.iter().flat_map(created_objects))
            .collect();
        let sections: Vec<ParsedSection<'_>> = parsed
            .iter()
            .map(|(_, p)| ParsedSection {
                section: p.section,
                statements: p.statements.clone(),
            })
            .collect();
        let file_waivers: Vec<Waiver> = source
            .sections
            .iter()
            .flat_map(|s| waiver::find(&s.sql))
            .chain(waiver::find(&source.text))
            .filter(|w| w.file_wide)
            .collect();
        let mut file_waiver_used = vec![false; file_waivers.len()];
        for (index, p) in parsed {
            let path = source.section_path(*index);
            report.statements += p.statements.len();
            let mut known: BTreeSet<Object> = created_in_run.clone();
            if p.section.kind == SectionKind::Down {
                known.extend(up_created.iter().cloned());
            }
            let created_before = created_before_each(&p.statements, &known);
            let cx = SectionCx {
                source,
                section: p.section,
                statements: &p.statements,
                file: &sections,
                run_before: &run_ups[..span_start],
                run_after: &run_ups[span_end..],
                options,
            };
            let lines = LineIndex::new(&p.section.sql, p.section.first_line);
            let statement_waivers: Vec<Vec<Waiver>> = p
                .statements
                .iter()
                .map(|s| {
                    waiver::find(&s.leading)
                        .into_iter()
                        .filter(|w| !w.file_wide)
                        .collect()
                })
                .collect();
            let mut statement_waiver_used: Vec<Vec<bool>> = statement_waivers
                .iter()
                .map(|w| vec![false; w.len()])
                .collect();
            for rule in RULES {
                let severity = match options.levels.get(rule.id) {
                    Some(None) => continue,
                    Some(Some(level)) => *level,
                    None => rule.default,
                };
                for hit in (rule.check)(&cx) {
                    let known_here = hit.statement.map(|i| &created_before[i]).unwrap_or(&known);
                    if matches!(rule.kind, RuleKind::Locking | RuleKind::Destructive)
                        && is_new(&hit, known_here)
                    {
                        continue;
                    }
                    let mut severity = severity;
                    if rule.kind == RuleKind::Locking && is_small(&hit, options) {
                        severity = Severity::Info;
                    }
                    // Waivers: the statement's own, then the file's.
                    if let Some(i) = hit.statement {
                        if let Some(w) =
                            statement_waivers[i].iter().position(|w| waives(w, rule.id))
                        {
                            statement_waiver_used[i][w] = true;
                            continue;
                        }
                    }
                    if let Some(w) = file_waivers.iter().position(|w| waives(w, rule.id)) {
                        file_waiver_used[w] = true;
                        continue;
                    }
                    report.findings.push(place(
                        rule.id,
                        severity,
                        path,
                        &p.section.sql,
                        &lines,
                        &p.statements,
                        hit,
                    ));
                }
            }
            for (i, waivers) in statement_waivers.iter().enumerate() {
                let leading_lines =
                    LineIndex::new(&p.statements[i].leading, p.statements[i].leading_line);
                for (w, waiver) in waivers.iter().enumerate() {
                    let (line, column) =
                        leading_lines.position(&p.statements[i].leading, waiver.offset);
                    report.findings.extend(waiver_problem(
                        waiver,
                        statement_waiver_used[i][w],
                        path,
                        line,
                        column,
                    ));
                }
            }
        }
        for (w, waiver) in file_waivers.iter().enumerate() {
            report.findings.extend(waiver_problem(
                waiver,
                file_waiver_used[w],
                &source.path,
                0,
                0,
            ));
        }
        created_in_run.extend(up_created);
    }
    report.findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.rule).cmp(&(&b.file, b.line, b.column, b.rule))
    });
    report
}

fn waives(waiver: &Waiver, rule: &str) -> bool {
    !waiver.reason.is_empty() && waiver.rules.iter().any(|r| r == rule || r == "all")
}

/// A waiver without a reason, naming an unknown rule, or waiving nothing, is itself a finding.
fn waiver_problem(
    waiver: &Waiver,
    used: bool,
    file: &str,
    line: usize,
    column: usize,
) -> Option<Finding> {
    let kind = if waiver.file_wide {
        "lint-ignore-file"
    } else {
        "lint-ignore"
    };
    let unknown: Vec<&str> = waiver
        .rules
        .iter()
        .map(String::as_str)
        .filter(|r| *r != "all" && crate::rules::rule(r).is_none())
        .collect();
    let (rule, severity, message, help) = if waiver.rules.is_empty() || waiver.reason.is_empty() {
        (
            "invalid-waiver",
            Severity::Error,
            format!(
                "`-- strata:{kind}` needs rule ids and a reason; it waives nothing without them"
            ),
            format!(
                "-- strata:{kind} {} <why this is safe here>",
                waiver.rules.first().map_or("RULE", String::as_str)
            ),
        )
    } else if !unknown.is_empty() {
        (
            "invalid-waiver",
            Severity::Error,
            format!(
                "`-- strata:{kind}` names unknown rule(s): {}",
                unknown.join(", ")
            ),
            "rule ids are listed in docs/rules/ (e.g. non-concurrent-index)".to_owned(),
        )
    } else if !used {
        (
            "unused-waiver",
            Severity::Warning,
            format!(
                "`-- strata:{kind} {}` waives nothing here",
                waiver.rules.join(",")
            ),
            if waiver.file_wide {
                "remove it: no statement in this file triggers these rules".to_owned()
            } else {
                "put it on the line before the statement it is for, or remove it".to_owned()
            },
        )
    } else {
        return None;
    };
    Some(Finding {
        rule,
        severity,
        file: file.to_owned(),
        line,
        column,
        statement: String::new(),
        message,
        lock: None,
        help: Some(help),
    })
}

fn place(
    rule: &'static str,
    severity: Severity,
    file: &str,
    sql: &str,
    lines: &LineIndex,
    statements: &[Statement],
    hit: Hit,
) -> Finding {
    let statement = hit.statement.map(|i| &statements[i]);
    let offset = hit.location.or(statement.map(|s| s.offset)).unwrap_or(0);
    let (line, column) = lines.position(sql, offset);
    Finding {
        rule,
        severity,
        file: file.to_owned(),
        line,
        column,
        statement: statement.map(|s| s.sql.clone()).unwrap_or_default(),
        message: hit.message,
        lock: hit.lock,
        help: hit.help,
    }
}

/// Whether a hit is about something created earlier in the file or run.
fn is_new(hit: &Hit, known: &BTreeSet<Object>) -> bool {
    let table_new = hit.table.as_ref().is_some_and(|t| {
        known.contains(&Object::Table(t.clone()))
            || known.contains(&Object::Table(bare(t).to_owned()))
    });
    let object_new = hit.object.as_ref().is_some_and(|o| known.contains(o));
    table_new || object_new
}

fn bare(table: &str) -> &str {
    table.rsplit('.').next().unwrap_or(table)
}

fn is_small(hit: &Hit, options: &Options) -> bool {
    let (Some(rows), Some(table)) = (&options.table_rows, &hit.table) else {
        return false;
    };
    rows.get(table)
        .or_else(|| rows.get(bare(table)))
        .is_some_and(|n| *n < options.small_table_rows)
}

/// For each statement, what exists as "new" before it: `known` plus what earlier statements of
/// the section created.
fn created_before_each(
    statements: &[Statement],
    known: &BTreeSet<Object>,
) -> Vec<BTreeSet<Object>> {
    let mut current = known.clone();
    let mut out = Vec::with_capacity(statements.len());
    for statement in statements {
        out.push(current.clone());
        current.extend(created_objects(statement));
    }
    out
}

/// The objects a statement creates: tables (and their columns and constraints), added columns,
/// indexes, added constraints.
pub(crate) fn created_objects(statement: &Statement) -> Vec<Object> {
    use crate::walk;
    let mut out = Vec::new();
    match &statement.node {
        NodeEnum::CreateStmt(stmt) => {
            let table = walk::table_name(&stmt.relation);
            let (columns, constraints) = walk::create_table_parts(stmt);
            for column in columns {
                out.push(Object::Column(table.clone(), column.colname.clone()));
            }
            for constraint in constraints {
                if !constraint.conname.is_empty() {
                    out.push(Object::Constraint(
                        table.clone(),
                        constraint.conname.clone(),
                    ));
                }
            }
            out.push(Object::Table(table));
        }
        NodeEnum::CreateTableAsStmt(stmt) => {
            if let Some(into) = &stmt.into {
                out.push(Object::Table(walk::table_name(&into.rel)));
            }
        }
        NodeEnum::IndexStmt(stmt) => {
            let schema = stmt
                .relation
                .as_ref()
                .map(|r| r.schemaname.clone())
                .unwrap_or_default();
            if !stmt.idxname.is_empty() {
                out.push(Object::Index(if schema.is_empty() {
                    stmt.idxname.clone()
                } else {
                    format!("{schema}.{}", stmt.idxname)
                }));
                out.push(Object::Index(stmt.idxname.clone()));
            }
        }
        NodeEnum::AlterTableStmt(stmt) => {
            let table = walk::table_name(&stmt.relation);
            for cmd in walk::alter_commands(stmt) {
                if let Some(column) = walk::command_column_def(cmd) {
                    if cmd.subtype == pg_query::protobuf::AlterTableType::AtAddColumn as i32 {
                        out.push(Object::Column(table.clone(), column.colname.clone()));
                    }
                }
                if let Some(constraint) = walk::command_constraint(cmd) {
                    if !constraint.conname.is_empty() {
                        out.push(Object::Constraint(
                            table.clone(),
                            constraint.conname.clone(),
                        ));
                    }
                }
            }
        }
        _ => {}
    }
    out
}
