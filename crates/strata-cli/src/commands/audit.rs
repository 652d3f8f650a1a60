//! `strata audit add|anchor|verify`: audit trails for application tables. The SQL comes from
//! `strata_schema::audit` (no I/O); this module reads the database, writes the migration and
//! the anchors, and reports. PostgreSQL only. docs/audit.md.

use crate::cli::{AuditAddArgs, AuditCommand, AuditPattern};
use crate::context::{display_path, Connection, Project};
use crate::error::{db_err, CliError, EXIT_PROBLEMS};
use crate::output::Printer;
use strata_core::quote_literal;
use strata_engine::{Database, EventKind, NewEvent};
use strata_files::NewMigration;
use strata_schema::audit::{self, AuditedTable, Declared, Pattern, Request};

pub fn audit(project: &Project, command: &AuditCommand, printer: &Printer) -> Result<(), CliError> {
    match command {
        AuditCommand::Add(args) => add(project, args, printer),
        AuditCommand::Anchor => anchor(project, printer),
        AuditCommand::Verify => verify(project, printer),
    }
}

fn open(project: &Project, command: &str) -> Result<strata_postgres::Postgres, CliError> {
    let sqlite = || {
        CliError::invalid_with_hint(
            format!("strata audit {command} works on PostgreSQL only; this URL is SQLite"),
            "audit trails use PostgreSQL triggers, jsonb and sha256(); pass a postgres:// URL with --url (or DATABASE_URL)",
        )
    };
    if project.url_dialect(&project.url()?)? != strata_core::Dialect::Postgres {
        return Err(sqlite());
    }
    match project.open_read_only()? {
        Connection::Postgres(pg) => Ok(pg),
        _ => Err(sqlite()),
    }
}

fn query(
    pg: &mut strata_postgres::Postgres,
    sql: &str,
    context: &str,
) -> Result<Vec<Vec<Option<String>>>, CliError> {
    pg.simple_query_rows(sql).map_err(db_err(context))
}

/// `TABLE` or `SCHEMA.TABLE` -> (schema, name, primary key columns, key constraint), from the
/// database.
fn read_table(pg: &mut strata_postgres::Postgres, text: &str) -> Result<AuditedTable, CliError> {
    let name = match text.split_once('.') {
        Some((s, n)) if !s.is_empty() && !n.is_empty() && !n.contains('.') => {
            format!(
                "{}.{}",
                strata_core::quote_ident(s),
                strata_core::quote_ident(n)
            )
        }
        None if !text.is_empty() => strata_core::quote_ident(text),
        _ => {
            return Err(CliError::invalid_with_hint(
                format!("`{text}` is not a table name"),
                "write TABLE or SCHEMA.TABLE, e.g. orders or billing.invoices",
            ))
        }
    };
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, c.relkind::text, k.conname::text, \
(SELECT string_agg(a.attname::text, E'\\n' ORDER BY u.ord) FROM unnest(k.conkey) WITH ORDINALITY AS u(attnum, ord) \
JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum = u.attnum) \
FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace \
LEFT JOIN pg_catalog.pg_constraint AS k ON k.conrelid = c.oid AND k.contype = 'p' \
WHERE c.oid = to_regclass({})",
        quote_literal(&name)
    );
    let rows = query(pg, &sql, &format!("could not read the table {text}"))?;
    let Some(row) = rows.into_iter().next() else {
        return Err(CliError::invalid_with_hint(
            format!("no table `{text}` in the database"),
            "check the name (case-sensitive) and that the migration creating it is applied; `strata inspect` lists the tables",
        ));
    };
    let get = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
    if !matches!(get(2).as_str(), "r" | "p") {
        return Err(CliError::invalid_with_hint(
            format!("`{text}` is not a table"),
            "audit trails go on tables (views and other relations have no rows of their own)",
        ));
    }
    Ok(AuditedTable {
        schema: get(0),
        name: get(1),
        key_constraint: get(3),
        key: get(4)
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

fn add(project: &Project, args: &AuditAddArgs, printer: &Printer) -> Result<(), CliError> {
    let pattern = match args.pattern {
        AuditPattern::Cdc => Pattern::Cdc,
        AuditPattern::Versioned => Pattern::Versioned,
        AuditPattern::Temporal => Pattern::Temporal,
    };
    if pattern != Pattern::Cdc && (args.tamper_evident || args.log.is_some()) {
        return Err(CliError::invalid_with_hint(
            "--tamper-evident and --log apply to the cdc pattern only",
            "use --pattern cdc for a hash-chained change log, or drop those flags",
        ));
    }
    let migrations = project.migrations()?;
    let parent = super::revision::single_head(
        &migrations,
        "join them first with `strata merge heads -m MSG`, then run audit add again",
    )?;
    let mut pg = open(project, "add")?;
    let mut tables = Vec::new();
    for text in &args.tables {
        let table = read_table(&mut pg, text)?;
        if tables.contains(&table) {
            continue;
        }
        if pattern == Pattern::Versioned {
            versioned_fits(&mut pg, &table, text)?;
        }
        tables.push(table);
    }
    let mut app_roles = project.config.audit_app_roles.clone();
    for role in &args.app_roles {
        if !app_roles.contains(role) {
            app_roles.push(role.clone());
        }
    }
    if pattern == Pattern::Cdc && app_roles.is_empty() {
        printer.notice("no application role given (--app-role or `[audit] app_roles`): nothing is revoked; the trigger on the log still rejects UPDATE and DELETE");
    }
    let log = match args.log.as_deref() {
        Some(text) => match text.split_once('.') {
            Some((s, n)) if !s.is_empty() && !n.is_empty() => (s.to_owned(), n.to_owned()),
            None if !text.is_empty() => (tables[0].schema.clone(), text.to_owned()),
            _ => {
                return Err(CliError::invalid_with_hint(
                    format!("--log `{text}` is not a table name"),
                    "write LOG or SCHEMA.LOG, e.g. --log audit_log",
                ))
            }
        },
        None => (tables[0].schema.clone(), "audit_log".to_owned()),
    };
    let mut tamper_evident = args.tamper_evident;
    let log_exists = pattern == Pattern::Cdc
        && {
            match existing_log(&mut pg, &log)? {
                None => false,
                Some(chained) => {
                    if tamper_evident && !chained {
                        return Err(CliError::invalid_with_hint(
                        format!("the audit log {}.{} exists and is not tamper-evident", log.0, log.1),
                        "drop --tamper-evident to add these tables to it, or pass --log NAME for a new tamper-evident log",
                    ));
                    }
                    printer.notice(&format!(
                    "the audit log {}.{} exists: the migration adds the tables' triggers to it{}",
                    log.0,
                    log.1,
                    if chained { " (tamper-evident)" } else { "" }
                ));
                    tamper_evident = chained;
                    true
                }
            }
        };
    let request = Request {
        pattern,
        tables,
        log,
        tamper_evident,
        app_roles,
        log_exists,
    };
    let generated = audit::generate(&request);
    let names: Vec<String> = request
        .tables
        .iter()
        .map(|t| format!("{}.{}", t.schema, t.name))
        .collect();
    let message = args.message.clone().unwrap_or_else(|| {
        format!(
            "audit {} ({}{})",
            names.join(", "),
            pattern.as_str(),
            if tamper_evident {
                ", tamper-evident"
            } else {
                ""
            }
        )
    });
    let id = super::revision::new_id(&migrations, None, &[])?;
    let new = NewMigration {
        id,
        slug: strata_files::slugify(&format!("audit {}", pattern.as_str())),
        message,
        revises: parent,
        labels: Vec::new(),
        depends_on: Vec::new(),
        irreversible: None,
        destructive_downgrade: (!generated.destructive.is_empty())
            .then(|| generated.destructive.clone()),
        impact: None,
        up: generated.up,
        down: generated.down,
    };
    let path = super::revision::write_migration(project, &new)?;
    printer.result(&format!(
        "wrote {} ({} on {}); review it, then `strata lint` and `strata upgrade`",
        display_path(&path),
        pattern.as_str(),
        names.join(", ")
    ));
    Ok(())
}

/// An audit log strata made (`Some(tamper-evident)`), or `None` when there is no table of that
/// name; another table of that name is refused.
fn existing_log(
    pg: &mut strata_postgres::Postgres,
    log: &(String, String),
) -> Result<Option<bool>, CliError> {
    let name = format!(
        "{}.{}",
        strata_core::quote_ident(&log.0),
        strata_core::quote_ident(&log.1)
    );
    let sql = format!(
        "SELECT coalesce(obj_description(c.oid, 'pg_class'), ''), \
EXISTS (SELECT FROM pg_catalog.pg_attribute AS a WHERE a.attrelid = c.oid AND a.attname = 'row_hash' AND NOT a.attisdropped)::text \
FROM pg_catalog.pg_class AS c WHERE c.oid = to_regclass({})",
        quote_literal(&name)
    );
    let rows = query(pg, &sql, "could not read the audit log")?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    if !row[0]
        .as_deref()
        .unwrap_or("")
        .starts_with("strata audit log")
    {
        return Err(CliError::invalid_with_hint(
            format!("{}.{} exists and is not a strata audit log", log.0, log.1),
            "pass --log NAME to name the change log",
        ));
    }
    Ok(Some(row[1].as_deref() == Some("true")))
}

/// The versioned pattern widens the primary key with `version`: a table needs one, and no
/// foreign key may point at it (it would then point at several versions).
fn versioned_fits(
    pg: &mut strata_postgres::Postgres,
    table: &AuditedTable,
    text: &str,
) -> Result<(), CliError> {
    if table.key.is_empty() {
        return Err(CliError::invalid_with_hint(
            format!("`{text}` has no primary key; the versioned pattern keys each version by it"),
            "add a primary key first, or use --pattern cdc or --pattern temporal",
        ));
    }
    let sql = format!(
        "SELECT conname::text, conrelid::regclass::text FROM pg_catalog.pg_constraint \
WHERE contype = 'f' AND confrelid = to_regclass({})",
        quote_literal(&format!(
            "{}.{}",
            strata_core::quote_ident(&table.schema),
            strata_core::quote_ident(&table.name)
        ))
    );
    let rows = query(pg, &sql, "could not read the foreign keys")?;
    if let Some(row) = rows.first() {
        return Err(CliError::invalid_with_hint(
            format!(
                "the foreign key {} of {} references `{text}`; the versioned pattern keeps several rows per key",
                row[0].clone().unwrap_or_default(),
                row[1].clone().unwrap_or_default()
            ),
            "use --pattern temporal (history in a table of its own) or --pattern cdc for this table",
        ));
    }
    Ok(())
}

/// What the applied migrations audit, from their `-- strata-audit` lines.
fn declared(project: &Project, db: &mut dyn Database) -> Result<Vec<Declared>, CliError> {
    let migrations = project.migrations()?;
    let tables = project.settings(false).tables;
    if !db
        .state_tables_exist(&tables)
        .map_err(db_err("could not read the state tables"))?
    {
        return Ok(Vec::new());
    }
    let heads = db
        .read_heads(&tables)
        .map_err(db_err("could not read the heads"))?;
    let applied = migrations
        .graph
        .applied_set(&heads)
        .map_err(|e| CliError::invalid(e.to_string()))?;
    let mut out = Vec::new();
    for file in migrations.files.iter().filter(|f| applied.contains(&f.id)) {
        for d in audit::declared(&file.up.sql) {
            if !out.contains(&d) {
                out.push(d);
            }
        }
    }
    Ok(out)
}

/// The tamper-evident logs, once each.
fn chained_logs(declared: &[Declared]) -> Vec<(String, String)> {
    let mut logs: Vec<(String, String)> = Vec::new();
    for d in declared.iter().filter(|d| d.tamper_evident) {
        if let Some(log) = &d.log {
            if !logs.contains(log) {
                logs.push(log.clone());
            }
        }
    }
    logs
}

fn anchor(project: &Project, printer: &Printer) -> Result<(), CliError> {
    let mut pg = open(project, "anchor")?;
    let declared = declared(project, &mut pg)?;
    let logs = chained_logs(&declared);
    if logs.is_empty() {
        return Err(CliError::invalid_with_hint(
            "no tamper-evident audit log among the applied migrations: nothing to anchor",
            "`strata audit add TABLE --pattern cdc --tamper-evident` writes one; apply it with `strata upgrade`",
        ));
    }
    let settings = project.settings(false);
    // The anchor is a `stamp` row of its own revision id (`audit-anchor`, which no migration can
    // have: ids are letters and digits), so the heads, the checksums of record and the applied
    // times of the real revisions are left alone. Its parents are the heads at the time.
    let heads = pg
        .read_heads(&settings.tables)
        .map_err(db_err("could not read the heads"))?;
    for (schema, name) in logs {
        let rows = query(
            &mut pg,
            &audit::head_sql(&schema, &name),
            &format!("could not read the audit log {schema}.{name}"),
        )?;
        let Some(row) = rows.first() else {
            printer.notice(&format!("{schema}.{name} is empty: nothing to anchor yet"));
            continue;
        };
        let id = row[0].clone().unwrap_or_default();
        let hash = row[1].clone().unwrap_or_default();
        let message = audit::anchor_message(&schema, &name, &id, &hash);
        let sql = strata_engine::state::insert_event_sql(
            pg.dialect(),
            &settings.tables,
            &NewEvent {
                revision: audit::ANCHOR_REVISION,
                parents: &heads,
                kind: EventKind::Stamp,
                message: Some(&message),
                checksum: Some(&hash),
                applied_by: &settings.client,
                execution_ms: Some(0),
                error: None,
            },
        );
        pg.execute(&sql)
            .map_err(db_err("could not record the anchor"))?;
        printer.result(&format!(
            "anchored {schema}.{name} at row {id} ({}…)",
            &hash[..hash.len().min(16)]
        ));
    }
    Ok(())
}

fn verify(project: &Project, printer: &Printer) -> Result<(), CliError> {
    let mut pg = open(project, "verify")?;
    let declared = declared(project, &mut pg)?;
    if declared.is_empty() {
        printer.result("no audit trail among the applied migrations: nothing to verify");
        return Ok(());
    }
    let mut problems = Vec::new();
    let mut checked = 0usize;
    // Triggers present and enabled.
    let mut on: Vec<(String, String, Vec<&str>)> = Vec::new();
    for d in &declared {
        let (table, log) = audit::expected_triggers(d.pattern, d.tamper_evident);
        on.push((d.schema.clone(), d.table.clone(), table));
        if let Some((s, n)) = &d.log {
            on.push((s.clone(), n.clone(), log));
        }
    }
    for (schema, table, expected) in &on {
        let rows = query(
            &mut pg,
            &audit::triggers_sql(schema, table),
            &format!("could not read the triggers of {schema}.{table}"),
        )?;
        for name in expected {
            checked += 1;
            match rows
                .iter()
                .find(|r| r[0].as_deref() == Some(*name))
                .map(|r| r[1].clone().unwrap_or_default())
            {
                None => problems.push(format!("{schema}.{table}: the trigger {name} is missing")),
                Some(state) if state == "D" || state == "R" => problems.push(format!(
                    "{schema}.{table}: the trigger {name} is disabled (ALTER TABLE … ENABLE TRIGGER {name})"
                )),
                Some(_) => {}
            }
        }
    }
    // Hash chains, and the latest anchor of each.
    let settings = project.settings(false);
    let history = pg
        .read_history(&settings.tables)
        .map_err(db_err("could not read the history"))?;
    for (schema, name) in chained_logs(&declared) {
        let what = format!("{schema}.{name}");
        let context = format!("could not read the audit log {what}");
        checked += 1;
        let rows = query(
            &mut pg,
            &audit::first_broken_row_sql(&schema, &name),
            &context,
        )?;
        if let Some(row) = rows.first() {
            problems.push(format!(
                "{what}: the chain breaks at row {}: {}",
                row[0].clone().unwrap_or_default(),
                row[1].clone().unwrap_or_default()
            ));
        }
        let anchor = history
            .iter()
            .rev()
            .filter_map(|r| r.message.as_deref().and_then(audit::parse_anchor))
            .find(|(log, _, _)| log == &what);
        if let Some((_, id, hash)) = anchor {
            checked += 1;
            let rows = query(&mut pg, &audit::row_hash_sql(&schema, &name, id), &context)?;
            match rows.first().and_then(|r| r[0].clone()) {
                None => problems.push(format!(
                    "{what}: row {id}, anchored in the history, is gone (rows up to the anchor were deleted)"
                )),
                Some(h) if h != hash => problems.push(format!(
                    "{what}: row {id} no longer has the hash anchored in the history ({}…)",
                    &hash[..hash.len().min(16)]
                )),
                Some(_) => {}
            }
        } else {
            printer.notice(&format!(
                "{what} has no anchor yet: `strata audit anchor` records its head, so deleting its last rows is detected"
            ));
        }
    }
    if problems.is_empty() {
        printer.result(&format!(
            "{} audit trail(s) verified: {checked} check(s), all triggers enabled, every chain intact",
            declared.len()
        ));
        return Ok(());
    }
    for p in &problems {
        printer.result(&format!("{} {p}", printer.red("broken:")));
    }
    Err(CliError::Reported(EXIT_PROBLEMS))
}
