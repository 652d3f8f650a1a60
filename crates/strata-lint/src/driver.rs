//! From sources to findings: parse, run every rule, then place and filter what they found.

use crate::finding::{Finding, ParseFailure, Severity};
use crate::parse::{self, LineIndex, Statement};
use crate::rules::{Hit, Object, ParsedSection, RuleKind, RunCache, SectionCx, RULES};
use crate::source::{Options, SectionKind, Source};
use crate::waiver::{self, Waiver};
use pg_query::NodeEnum;
use std::collections::{BTreeMap, BTreeSet};

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

type Parsed = Result<Vec<Statement>, parse::ParseError>;

/// Parses every section of every source, on all cores: parsing is most of a lint's work and each
/// section parses on its own. Results keep the sources' order.
fn parse_all(sources: &[Source]) -> Vec<Vec<Parsed>> {
    let parse_source = |source: &Source| -> Vec<Parsed> {
        source
            .sections
            .iter()
            .map(|s| parse::parse_section(&s.sql, s.first_line))
            .collect()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || sources.len() < 16 {
        return sources.iter().map(parse_source).collect();
    }
    let chunk = sources.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = sources
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(parse_source).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("the parser does not panic"))
            .collect()
    })
}

/// Lints `sources` as one run, in order: what an earlier file creates is new for later ones.
pub fn lint(sources: &[Source], options: &Options) -> Report {
    let mut report = Report::default();
    // First parse everything, so rules can see the whole run (an index created in a later file
    // of the run, a table created in an earlier one).
    // Per source: the index of each section that parsed, and the parsed sections.
    let mut all_parsed: Vec<(Vec<usize>, Vec<ParsedSection<'_>>)> =
        Vec::with_capacity(sources.len());
    for (source, parsed) in sources.iter().zip(parse_all(sources)) {
        let mut indices = Vec::new();
        let mut sections = Vec::new();
        for (i, (section, result)) in source.sections.iter().zip(parsed).enumerate() {
            match result {
                Ok(statements) => {
                    indices.push(i);
                    sections.push(ParsedSection {
                        section,
                        statements,
                    });
                }
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
        all_parsed.push((indices, sections));
    }
    // Every up statement of the run, in order.
    let mut run_ups: Vec<&Statement> = Vec::new();
    for (_, parsed) in &all_parsed {
        for p in parsed.iter().filter(|p| p.section.kind == SectionKind::Up) {
            run_ups.extend(p.statements.iter());
        }
    }

    // Where each object was first created in the run (file index), so every file can be checked
    // on its own — and the files in parallel.
    let mut created_in_run: BTreeMap<Object, usize> = BTreeMap::new();
    for (file, (_, sections)) in all_parsed.iter().enumerate() {
        for p in sections
            .iter()
            .filter(|p| p.section.kind == SectionKind::Up)
        {
            for object in p.statements.iter().flat_map(created_objects) {
                created_in_run.entry(object).or_insert(file);
            }
        }
    }
    let cache = RunCache::default();
    let run = Run {
        sources,
        parsed: &all_parsed,
        run_ups: &run_ups,
        created_in_run: &created_in_run,
        cache: &cache,
        options,
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let files: Vec<usize> = (0..sources.len()).collect();
    let parts: Vec<FileReport> = if threads < 2 || sources.len() < 16 {
        files.iter().map(|&f| run.check_file(f)).collect()
    } else {
        let chunk = files.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = files
                .chunks(chunk)
                .map(|part| {
                    let run = &run;
                    scope.spawn(move || part.iter().map(|&f| run.check_file(f)).collect::<Vec<_>>())
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("rules do not panic"))
                .collect()
        })
    };
    for part in parts {
        report.statements += part.statements;
        report.findings.extend(part.findings);
    }
    // Freeing thousands of parse trees takes a while; nothing waits for it.
    drop(run_ups);
    let trees: Vec<Vec<Statement>> = all_parsed
        .into_iter()
        .flat_map(|(_, sections)| sections.into_iter().map(|p| p.statements))
        .collect();
    std::thread::spawn(move || drop(trees));
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

/// Everything the checks of one file need to know about the whole run.
struct Run<'r> {
    sources: &'r [Source],
    parsed: &'r [(Vec<usize>, Vec<ParsedSection<'r>>)],
    run_ups: &'r [&'r Statement],
    created_in_run: &'r BTreeMap<Object, usize>,
    cache: &'r RunCache,
    options: &'r Options,
}

/// The findings of one file.
#[derive(Default)]
struct FileReport {
    findings: Vec<Finding>,
    statements: usize,
}

impl Run<'_> {
    fn check_file(&self, file: usize) -> FileReport {
        let mut out = FileReport::default();
        let source = &self.sources[file];
        let (indices, sections) = &self.parsed[file];
        let (created_in_run, options, run_ups, cache) =
            (self.created_in_run, self.options, self.run_ups, self.cache);
        let up_created: BTreeSet<Object> = sections
            .iter()
            .filter(|p| p.section.kind == SectionKind::Up)
            .flat_map(|p| p.statements.iter().flat_map(created_objects))
            .collect();
        let file_waivers: Vec<Waiver> = source
            .sections
            .iter()
            .flat_map(|s| waiver::find(&s.sql))
            .chain(waiver::find(&source.text))
            .filter(|w| w.file_wide)
            .collect();
        let mut file_waiver_used = vec![false; file_waivers.len()];
        for (index, p) in indices.iter().zip(sections) {
            let path = source.section_path(*index);
            out.statements += p.statements.len();
            // What the section's own statements create, with the first statement creating it:
            // looked up, instead of copying the run's set for every statement.
            let mut created_at: BTreeMap<Object, usize> = BTreeMap::new();
            for (i, statement) in p.statements.iter().enumerate() {
                for object in created_objects(statement) {
                    created_at.entry(object).or_insert(i);
                }
            }
            let known = Known {
                run: (created_in_run, file),
                existing: options.existing.as_ref(),
                up: (p.section.kind == SectionKind::Down).then_some(&up_created),
                section: &created_at,
            };
            let cx = SectionCx {
                source,
                section: p.section,
                statements: &p.statements,
                file: sections,
                run: run_ups,
                created_in_run,
                file_index: file,
                cache,
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
            for rule in RULES.iter().chain(crate::data::RULES) {
                let severity = match options.levels.get(rule.id) {
                    Some(None) => continue,
                    Some(Some(level)) => *level,
                    None if rule.opt_in => continue,
                    None => rule.default,
                };
                for hit in (rule.check)(&cx) {
                    if matches!(rule.kind, RuleKind::Locking | RuleKind::Destructive)
                        && is_new(&hit, &known, hit.statement)
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
                    out.findings.push(place(
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
                    out.findings.extend(waiver_problem(
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
            out.findings.extend(waiver_problem(
                waiver,
                file_waiver_used[w],
                &source.path,
                0,
                0,
            ));
        }
        out
    }
}

/// What exists as "new" at a statement: what the file's up created (in a down), what earlier
/// statements of the section created, and — only with a database connected — what an earlier
/// migration of the run created that the database does not have yet. Without a database an
/// earlier migration's table is not new: the later migration may run long after, on a table
/// full of rows.
struct Known<'a> {
    /// Objects first created in the run, by file index, and the file being checked.
    run: (&'a BTreeMap<Object, usize>, usize),
    /// What the connected database has (`None`: no database).
    existing: Option<&'a crate::source::Existing>,
    up: Option<&'a BTreeSet<Object>>,
    section: &'a BTreeMap<Object, usize>,
}

impl Known<'_> {
    /// Whether `object` exists as new before statement `before` (`None`: before the section).
    fn contains(&self, object: &Object, before: Option<usize>) -> bool {
        new_in_database(self.run, self.existing, object)
            || self.up.is_some_and(|up| up.contains(object))
            || before.is_some_and(|i| self.section.get(object).is_some_and(|&at| at < i))
    }
}

/// Whether an earlier migration of the run created `object` and the connected database does
/// not have it yet (never without a database).
pub(crate) fn new_in_database(
    (created_in_run, file): (&BTreeMap<Object, usize>, usize),
    existing: Option<&crate::source::Existing>,
    object: &Object,
) -> bool {
    existing.is_some_and(|existing| {
        !existing.contains(object) && created_in_run.get(object).is_some_and(|&f| f < file)
    })
}

/// Whether a hit is about something created earlier in the file or run.
fn is_new(hit: &Hit, known: &Known<'_>, before: Option<usize>) -> bool {
    let table_new = hit.table.as_ref().is_some_and(|t| {
        known.contains(&Object::Table(t.clone()), before)
            || known.contains(&Object::Table(bare(t).to_owned()), before)
    });
    let object_new = hit
        .object
        .as_ref()
        .is_some_and(|o| known.contains(o, before));
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
        NodeEnum::CreateSchemaStmt(stmt) if !stmt.schemaname.is_empty() => {
            out.push(Object::Schema(stmt.schemaname.clone()));
        }
        NodeEnum::CreateDomainStmt(stmt) => out.extend(type_objects(&stmt.domainname)),
        NodeEnum::CreateEnumStmt(stmt) => out.extend(type_objects(&stmt.type_name)),
        NodeEnum::CompositeTypeStmt(stmt) => {
            let name = walk::table_name(&stmt.typevar);
            out.extend(type_objects_of(&name));
        }
        _ => {}
    }
    out
}

/// A created type, qualified as written and bare (as indexes are).
fn type_objects(names: &[pg_query::protobuf::Node]) -> Vec<Object> {
    type_objects_of(&crate::walk::names(names).join("."))
}

fn type_objects_of(name: &str) -> Vec<Object> {
    let mut out = vec![Object::Type(name.to_owned())];
    if let Some((_, bare)) = name.rsplit_once('.') {
        out.push(Object::Type(bare.to_owned()));
    }
    out
}
