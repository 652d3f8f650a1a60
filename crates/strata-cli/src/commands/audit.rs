//! `strata audit add TABLE… --pattern cdc [--tamper-evident] [--app-role R]`: a reviewable
//! migration (with its down) that captures every change of the tables into one append-only
//! change log; `strata audit verify`: the capture triggers are present and enabled, and a
//! tamper-evident log's hash chain is intact (and matches its anchors); `strata audit anchor`:
//! records the chain's head in strata's history. PostgreSQL. docs/audit.md.

use crate::cli::{AuditCommand, AuditPattern};
use crate::context::{display_path, Connection, Project};
use crate::error::{db_err, io_err, CliError, EXIT_PROBLEMS};
use crate::output::Printer;
use strata_core::{quote_ident, quote_literal, QualifiedName};
use strata_engine::{EventKind, NewEvent};
use strata_files::NewMigration;

/// The change log, the registry of audited tables, and strata's functions: one name each.
const LOG: &str = "strata_audit_log";
const REGISTRY: &str = "strata_audit_tables";
const CAPTURE: &str = "strata_audit_capture";
const HASH: &str = "strata_audit_hash";
const CHAIN: &str = "strata_audit_chain";
const REJECT: &str = "strata_audit_reject";
/// The history row an anchor is recorded as (`stamp`, no checksum; not a revision).
pub const ANCHOR_REVISION: &str = "_strata_audit_anchor";

pub fn audit(project: &Project, command: &AuditCommand, printer: &Printer) -> Result<(), CliError> {
    match command {
        AuditCommand::Add {
            tables,
            pattern,
            tamper_evident,
            app_role,
            message,
        } => add(
            project,
            tables,
            *pattern,
            *tamper_evident,
            app_role,
            message.as_deref(),
            printer,
        ),
        AuditCommand::Verify => verify(project, printer),
        AuditCommand::Anchor => anchor(project, printer),
    }
}

/// The up and down SQL of a change log for `tables`.
fn cdc_sql(
    tables: &[QualifiedName],
    tamper_evident: bool,
    app_roles: &[String],
) -> (String, String) {
    let log = quote_ident(LOG);
    let registry = quote_ident(REGISTRY);
    let mut up = String::new();
    up.push_str(&format!(
        "-- The change log: one row per INSERT, UPDATE and DELETE of the audited tables, written by\n\
         -- the trigger function {capture} (SECURITY DEFINER: the application needs no right on the log).\n\
         CREATE TABLE IF NOT EXISTS {log} (\n    \
             id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    \
             table_name text NOT NULL,\n    \
             operation text NOT NULL,\n    \
             pk jsonb,\n    \
             old_data jsonb,\n    \
             new_data jsonb,\n    \
             changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),\n    \
             changed_by text NOT NULL DEFAULT session_user,\n    \
             txid bigint NOT NULL DEFAULT txid_current(),\n    \
             prev_hash text,\n    \
             hash text\n\
         );\n\
         CREATE TABLE IF NOT EXISTS {registry} (\n    \
             table_name text PRIMARY KEY,\n    \
             pattern text NOT NULL,\n    \
             tamper_evident boolean NOT NULL\n\
         );\n\n",
        capture = quote_ident(CAPTURE),
    ));
    // The row hash: every column, in a text form that does not depend on session settings.
    up.push_str(&format!(
        "CREATE OR REPLACE FUNCTION {hash}(prev text, r {log}) RETURNS text\n\
         LANGUAGE sql IMMUTABLE AS $strata$\n  \
           SELECT encode(sha256(convert_to(concat_ws('|', coalesce(prev, ''), r.id, r.table_name, r.operation,\n    \
             coalesce(r.pk::text, ''), coalesce(r.old_data::text, ''), coalesce(r.new_data::text, ''),\n    \
             extract(epoch FROM r.changed_at)::text, r.changed_by, r.txid), 'UTF8')), 'hex')\n\
         $strata$;\n\n",
        hash = quote_ident(HASH),
    ));
    up.push_str(&format!(
        "CREATE OR REPLACE FUNCTION {capture}() RETURNS trigger\n\
         LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $strata$\n\
         DECLARE\n  \
           row_data jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;\n  \
           key jsonb;\n\
         BEGIN\n  \
           SELECT jsonb_object_agg(a.attname, row_data -> a.attname) INTO key\n  \
           FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)\n  \
           WHERE i.indrelid = TG_RELID AND i.indisprimary;\n  \
           INSERT INTO {log} (table_name, operation, pk, old_data, new_data)\n  \
           VALUES (quote_ident(TG_TABLE_SCHEMA) || '.' || quote_ident(TG_TABLE_NAME), TG_OP, key,\n          \
             CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,\n          \
             CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);\n  \
           RETURN NULL;\n\
         END\n\
         $strata$;\n\n",
        capture = quote_ident(CAPTURE),
    ));
    // The log is append-only: a trigger rejects UPDATE, DELETE and TRUNCATE for everyone.
    up.push_str(&format!(
        "CREATE OR REPLACE FUNCTION {reject}() RETURNS trigger LANGUAGE plpgsql AS $strata$\n\
         BEGIN\n  \
           RAISE EXCEPTION '% on {log_text} is not allowed: the change log is append-only', TG_OP;\n\
         END\n\
         $strata$;\n\
         DROP TRIGGER IF EXISTS {reject} ON {log};\n\
         CREATE TRIGGER {reject} BEFORE UPDATE OR DELETE ON {log} FOR EACH ROW EXECUTE FUNCTION {reject}();\n\
         DROP TRIGGER IF EXISTS {reject_truncate} ON {log};\n\
         CREATE TRIGGER {reject_truncate} BEFORE TRUNCATE ON {log} FOR EACH STATEMENT EXECUTE FUNCTION {reject}();\n\n",
        reject = quote_ident(REJECT),
        reject_truncate = quote_ident(&format!("{REJECT}_truncate")),
        log_text = LOG,
    ));
    if tamper_evident {
        up.push_str(&format!(
            "-- Tamper evidence: each row stores the hash of its predecessor. Writers of audited tables\n\
             -- serialize on the log (EXCLUSIVE lock until commit) so that the chain follows id order.\n\
             CREATE OR REPLACE FUNCTION {chain}() RETURNS trigger\n\
             LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $strata$\n\
             BEGIN\n  \
               SELECT l.hash INTO NEW.prev_hash FROM {log} l ORDER BY l.id DESC LIMIT 1;\n  \
               NEW.hash := {hash}(NEW.prev_hash, NEW);\n  \
               RETURN NEW;\n\
             END\n\
             $strata$;\n\
             DROP TRIGGER IF EXISTS {chain} ON {log};\n\
             CREATE TRIGGER {chain} BEFORE INSERT ON {log} FOR EACH ROW EXECUTE FUNCTION {chain}();\n\n",
            chain = quote_ident(CHAIN),
            hash = quote_ident(HASH),
        ));
    }
    for table in tables {
        let trigger = quote_ident(CAPTURE);
        let lock = if tamper_evident {
            format!(
                "CREATE TRIGGER {lock_trigger} BEFORE INSERT OR UPDATE OR DELETE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {lock_fn}();\n",
                lock_trigger = quote_ident(&format!("{CAPTURE}_lock")),
                lock_fn = quote_ident(&format!("{CHAIN}_lock")),
            )
        } else {
            String::new()
        };
        if tamper_evident && !up.contains(&format!("{CHAIN}_lock")) {
            up.push_str(&format!(
                "CREATE OR REPLACE FUNCTION {lock_fn}() RETURNS trigger\n\
                 LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $strata$\n\
                 BEGIN\n  \
                   LOCK TABLE {log} IN EXCLUSIVE MODE;\n  \
                   RETURN NULL;\n\
                 END\n\
                 $strata$;\n\n",
                lock_fn = quote_ident(&format!("{CHAIN}_lock")),
            ));
        }
        up.push_str(&format!(
            "CREATE TRIGGER {trigger} AFTER INSERT OR UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {capture}();\n{lock}\
             INSERT INTO {registry} (table_name, pattern, tamper_evident) VALUES ({name}, 'cdc', {tamper_evident});\n\n",
            capture = quote_ident(CAPTURE),
            name = quote_literal(&table.to_string()),
        ));
    }
    for role in app_roles {
        up.push_str(&format!(
            "REVOKE UPDATE, DELETE, TRUNCATE ON {log} FROM {};\n",
            quote_ident(role)
        ));
    }

    let mut down = String::new();
    for table in tables.iter().rev() {
        down.push_str(&format!(
            "DELETE FROM {registry} WHERE table_name = {};\n",
            quote_literal(&table.to_string())
        ));
        if tamper_evident {
            down.push_str(&format!(
                "DROP TRIGGER IF EXISTS {} ON {table};\n",
                quote_ident(&format!("{CAPTURE}_lock"))
            ));
        }
        down.push_str(&format!(
            "DROP TRIGGER IF EXISTS {} ON {table};\n",
            quote_ident(CAPTURE)
        ));
    }
    // The log and the functions go with the last audited table (an earlier `audit add` may
    // still use them).
    down.push_str(&format!(
        "DO $strata$\n\
         BEGIN\n  \
           IF NOT EXISTS (SELECT 1 FROM {registry} WHERE pattern = 'cdc') THEN\n    \
             DROP TRIGGER IF EXISTS {chain} ON {log};\n    \
             DROP FUNCTION IF EXISTS {chain}();\n    \
             DROP FUNCTION IF EXISTS {hash}(text, {log});\n    \
             DROP TABLE {log};\n    \
             DROP FUNCTION IF EXISTS {capture}();\n    \
             DROP FUNCTION IF EXISTS {reject}();\n    \
             DROP FUNCTION IF EXISTS {lock_fn}();\n  \
           END IF;\n  \
           IF NOT EXISTS (SELECT 1 FROM {registry}) THEN\n    \
             DROP TABLE {registry};\n  \
           END IF;\n\
         END\n\
         $strata$;\n",
        capture = quote_ident(CAPTURE),
        reject = quote_ident(REJECT),
        chain = quote_ident(CHAIN),
        lock_fn = quote_ident(&format!("{CHAIN}_lock")),
        hash = quote_ident(HASH),
    ));
    (up, down)
}

const TEMPORAL: &str = "strata_audit_temporal";

/// The up and down SQL of system-versioned history for `tables`: a `sys_period` column, a
/// `TABLE_history` table that receives every row version an UPDATE or DELETE ends, and
/// `TABLE_as_of(ts)`, the rows as they were at `ts`.
fn temporal_sql(tables: &[QualifiedName]) -> (String, String) {
    let registry = quote_ident(REGISTRY);
    let function = quote_ident(TEMPORAL);
    let mut up = format!(
        "CREATE TABLE IF NOT EXISTS {registry} (\n    \
             table_name text PRIMARY KEY,\n    \
             pattern text NOT NULL,\n    \
             tamper_evident boolean NOT NULL\n\
         );\n\n\
         -- Before an UPDATE or DELETE: the old row, its period closed now, goes to the history table\n\
         -- named by the trigger's argument; an updated row's period starts now.\n\
         CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $strata$\n\
         BEGIN\n  \
           OLD.sys_period := tstzrange(lower(OLD.sys_period), now());\n  \
           EXECUTE format('INSERT INTO %s SELECT ($1).*', TG_ARGV[0]) USING OLD;\n  \
           IF TG_OP = 'DELETE' THEN\n    \
             RETURN OLD;\n  \
           END IF;\n  \
           NEW.sys_period := tstzrange(now(), NULL);\n  \
           RETURN NEW;\n\
         END\n\
         $strata$;\n\n"
    );
    let mut down = String::new();
    for table in tables {
        let history =
            QualifiedName::new(table.schema.as_deref(), &format!("{}_history", table.name));
        let as_of = QualifiedName::new(table.schema.as_deref(), &format!("{}_as_of", table.name));
        let period_index = quote_ident(&format!("{}_history_period", table.name));
        up.push_str(&format!(
            "ALTER TABLE {table} ADD COLUMN sys_period tstzrange NOT NULL DEFAULT tstzrange(now(), NULL);\n\
             CREATE TABLE {history} (LIKE {table});\n\
             CREATE INDEX {period_index} ON {history} USING gist (sys_period);\n\
             CREATE TRIGGER {function} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {function}({arg});\n\
             -- The rows of {table_text} as they were at a time (current and past versions).\n\
             CREATE FUNCTION {as_of}(ts timestamptz) RETURNS SETOF {table} LANGUAGE sql STABLE AS $strata$\n  \
               SELECT * FROM {table} WHERE sys_period @> ts\n  \
               UNION ALL\n  \
               SELECT * FROM {history} WHERE sys_period @> ts\n\
             $strata$;\n\
             INSERT INTO {registry} (table_name, pattern, tamper_evident) VALUES ({name}, 'temporal', false);\n\n",
            arg = quote_literal(&history.to_string()),
            table_text = table.to_string().replace('\n', " "),
            name = quote_literal(&table.to_string()),
        ));
        down.push_str(&format!(
            "DELETE FROM {registry} WHERE table_name = {name};\n\
             DROP FUNCTION {as_of}(timestamptz);\n\
             DROP TRIGGER {function} ON {table};\n\
             DROP TABLE {history};\n\
             ALTER TABLE {table} DROP COLUMN sys_period;\n",
            name = quote_literal(&table.to_string()),
        ));
    }
    down.push_str(&format!(
        "DO $strata$\n\
         BEGIN\n  \
           IF NOT EXISTS (SELECT 1 FROM {registry} WHERE pattern = 'temporal') THEN\n    \
             DROP FUNCTION IF EXISTS {function}();\n  \
           END IF;\n  \
           IF NOT EXISTS (SELECT 1 FROM {registry}) THEN\n    \
             DROP TABLE {registry};\n  \
           END IF;\n\
         END\n\
         $strata$;\n"
    ));
    (up, down)
}

#[allow(clippy::too_many_arguments)]
fn add(
    project: &Project,
    tables: &[String],
    pattern: AuditPattern,
    tamper_evident: bool,
    app_roles: &[String],
    message: Option<&str>,
    printer: &Printer,
) -> Result<(), CliError> {
    if pattern == AuditPattern::Versioned {
        return Err(CliError::invalid_with_hint(
            "the `versioned` pattern is not available yet",
            "use --pattern temporal (a history table and TABLE_as_of(ts)) or --pattern cdc (a change log); docs/audit.md says what is planned",
        ));
    }
    if pattern == AuditPattern::Temporal && (tamper_evident || !app_roles.is_empty()) {
        return Err(CliError::invalid_with_hint(
            "--tamper-evident and --app-role are for --pattern cdc",
            "remove them, or use --pattern cdc",
        ));
    }
    let names: Vec<QualifiedName> = tables.iter().map(|t| QualifiedName::parse(t)).collect();
    let (up, down) = match pattern {
        AuditPattern::Temporal => temporal_sql(&names),
        _ => cdc_sql(&names, tamper_evident, app_roles),
    };
    let migrations = project.migrations()?;
    let revises: Vec<String> = match migrations.graph.heads().as_slice() {
        [] => Vec::new(),
        [head] => vec![head.to_string()],
        heads => {
            return Err(CliError::invalid_with_hint(
                format!("the graph has {} heads: {}", heads.len(), heads.join(", ")),
                "join them first with `strata merge heads -m MSG`",
            ))
        }
    };
    let message = message.map(str::to_owned).unwrap_or_else(|| {
        format!(
            "audit {} ({}{})",
            tables.join(", "),
            if pattern == AuditPattern::Temporal {
                "temporal"
            } else {
                "cdc"
            },
            if tamper_evident {
                ", tamper-evident"
            } else {
                ""
            }
        )
    });
    let format = time::macros::format_description!("[year][month][day][hour][minute][second]");
    let mut now = time::OffsetDateTime::now_utc();
    let id = loop {
        let id = now
            .format(&format)
            .map_err(|e| CliError::invalid(format!("cannot format the time: {e}")))?;
        if migrations.get(&id).is_none() {
            break id;
        }
        now += time::Duration::seconds(1);
    };
    let new = NewMigration {
        id: id.clone(),
        slug: strata_files::slugify(&message),
        message,
        revises,
        impact: Some(strata_core::Impact::Minor),
        up,
        down,
        ..Default::default()
    };
    let dir = project.migrations_dir();
    std::fs::create_dir_all(&dir).map_err(io_err(format!("cannot create {}", dir.display())))?;
    let path = dir.join(format!("{}_{}.sql", new.id, new.slug));
    use std::io::Write;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut f| f.write_all(strata_files::render_migration(&new).as_bytes()))
        .map_err(io_err(format!("cannot write {}", path.display())))?;
    if printer.json {
        printer.json_value(&serde_json::json!({ "path": display_path(&path), "id": id }));
    } else {
        printer.result(&display_path(&path));
    }
    Ok(())
}

fn postgres(project: &Project) -> Result<strata_postgres::Postgres, CliError> {
    match project.open_read_only()? {
        Connection::Postgres(pg) => Ok(pg),
        Connection::Sqlite(_) => Err(CliError::invalid_with_hint(
            "audit trails need PostgreSQL",
            "point --url or the environment's url at a PostgreSQL database",
        )),
    }
}

fn rows(pg: &mut strata_postgres::Postgres, sql: &str) -> Result<Vec<Vec<String>>, CliError> {
    Ok(pg
        .simple_query_rows(sql)
        .map_err(db_err("could not read the audit tables"))?
        .into_iter()
        .map(|r| r.into_iter().map(Option::unwrap_or_default).collect())
        .collect())
}

fn verify(project: &Project, printer: &Printer) -> Result<(), CliError> {
    let mut pg = postgres(project)?;
    let exists = rows(
        &mut pg,
        &format!(
            "SELECT to_regclass({})::text IS NOT NULL",
            quote_literal(REGISTRY)
        ),
    )?;
    if exists.first().and_then(|r| r.first()).map(String::as_str) != Some("t") {
        printer.result("no audited tables (strata_audit_tables does not exist)");
        return Ok(());
    }
    let mut problems = Vec::new();
    // Each registered table has its capture trigger, enabled.
    let registered = rows(
        &mut pg,
        &format!(
            "SELECT r.table_name, r.tamper_evident::text, coalesce(( \
               SELECT t.tgenabled::text FROM pg_trigger t \
               WHERE t.tgrelid = to_regclass(r.table_name) \
                 AND t.tgname = CASE r.pattern WHEN 'temporal' THEN {temporal} ELSE {capture} END), 'missing'), r.pattern \
             FROM {registry} r ORDER BY r.table_name",
            capture = quote_literal(CAPTURE),
            temporal = quote_literal(TEMPORAL),
            registry = quote_ident(REGISTRY),
        ),
    )?;
    let mut tamper = false;
    for r in &registered {
        tamper |= r[1] == "true";
        match r[2].as_str() {
            "O" | "A" => {}
            "missing" => problems.push(format!(
                "{}: the {} trigger is missing",
                r[0],
                trigger_of(&r[3])
            )),
            _ => problems.push(format!(
                "{}: the {} trigger is disabled",
                r[0],
                trigger_of(&r[3])
            )),
        }
    }
    let cdc = registered.iter().any(|r| r[3] == "cdc");
    for trigger in [REJECT, &format!("{REJECT}_truncate")] {
        if !cdc {
            break;
        }
        let found = rows(
            &mut pg,
            &format!(
                "SELECT tgenabled::text FROM pg_trigger WHERE tgrelid = to_regclass({}) AND tgname = {}",
                quote_literal(LOG),
                quote_literal(trigger)
            ),
        )?;
        match found.first().map(|r| r[0].as_str()) {
            Some("O" | "A") => {}
            Some(_) => problems.push(format!("{LOG}: the trigger {trigger} is disabled")),
            None => problems.push(format!("{LOG}: the trigger {trigger} is missing")),
        }
    }
    let mut checked = 0;
    if tamper {
        // The first row whose stored predecessor or own hash does not match.
        let broken = rows(
            &mut pg,
            &format!(
                "SELECT id::text, CASE WHEN prev_hash IS DISTINCT FROM expected THEN 'its predecessor is not the row before it (a row before it was deleted or changed)' \
                   ELSE 'its content does not match its hash (it was changed)' END \
                 FROM (SELECT l.id, l.prev_hash, l.hash, lag(l.hash) OVER (ORDER BY l.id) AS expected, {hash}(l.prev_hash, l) AS recomputed \
                       FROM {log} l) c \
                 WHERE prev_hash IS DISTINCT FROM expected OR hash IS DISTINCT FROM recomputed ORDER BY id LIMIT 1",
                hash = quote_ident(HASH),
                log = quote_ident(LOG),
            ),
        )?;
        if let Some(b) = broken.first() {
            problems.push(format!(
                "{LOG}: the hash chain is broken at row {}: {}",
                b[0], b[1]
            ));
        }
        checked = rows(
            &mut pg,
            &format!("SELECT count(*)::text FROM {}", quote_ident(LOG)),
        )?
        .first()
        .and_then(|r| r[0].parse().ok())
        .unwrap_or(0);
        // Anchors: the rows they name are still there with the same hash.
        let tables = project.settings(false).tables;
        let history = strata_engine::Database::read_history(&mut pg, &tables)
            .map_err(db_err("could not read the history table"))?;
        for row in history.iter().filter(|r| r.revision == ANCHOR_REVISION) {
            let Some((id, hash)) = row.message.as_deref().and_then(parse_anchor) else {
                continue;
            };
            let found = rows(
                &mut pg,
                &format!("SELECT hash FROM {} WHERE id = {}", quote_ident(LOG), id),
            )?;
            match found.first() {
                Some(r) if r[0] == hash => {}
                Some(_) => problems.push(format!("{LOG}: row {id}, anchored at {}, was changed", row.applied_at)),
                None => problems.push(format!("{LOG}: row {id}, anchored at {}, is missing (rows up to the anchor were deleted)", row.applied_at)),
            }
        }
    }
    if printer.json {
        printer.json_value(&serde_json::json!({
            "ok": problems.is_empty(), "tables": registered.iter().map(|r| r[0].clone()).collect::<Vec<_>>(),
            "chain_rows": checked, "problems": problems,
        }));
    } else if problems.is_empty() {
        printer.line(&format!(
            "audit: {} table(s) captured, triggers enabled{}",
            registered.len(),
            if tamper {
                format!("; hash chain intact over {checked} row(s)")
            } else {
                String::new()
            }
        ));
    } else {
        for p in &problems {
            printer.result(&format!("{} {p}", printer.red("audit failed:")));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::Reported(EXIT_PROBLEMS))
    }
}

fn trigger_of(pattern: &str) -> &'static str {
    if pattern == "temporal" {
        "history"
    } else {
        "capture"
    }
}

fn parse_anchor(message: &str) -> Option<(i64, String)> {
    let rest = message.strip_prefix("audit anchor: id=")?;
    let (id, hash) = rest.split_once(" hash=")?;
    Some((id.parse().ok()?, hash.trim().to_owned()))
}

fn anchor(project: &Project, printer: &Printer) -> Result<(), CliError> {
    let mut pg = match project.open()? {
        Connection::Postgres(pg) => pg,
        Connection::Sqlite(_) => return Err(CliError::invalid("audit trails need PostgreSQL")),
    };
    let head = rows(
        &mut pg,
        &format!(
            "SELECT id::text, coalesce(hash, '') FROM {} ORDER BY id DESC LIMIT 1",
            quote_ident(LOG)
        ),
    )?;
    let Some(head) = head.first() else {
        printer.line("audit: the change log is empty; nothing to anchor");
        return Ok(());
    };
    if head[1].is_empty() {
        return Err(CliError::invalid_with_hint(
            "the change log has no hash chain",
            "anchors are for tamper-evident logs: `strata audit add TABLE --pattern cdc --tamper-evident`",
        ));
    }
    let settings = project.settings(false);
    let message = format!("audit anchor: id={} hash={}", head[0], head[1]);
    let sql = strata_engine::state::insert_event_sql(
        strata_core::Dialect::Postgres,
        &settings.tables,
        &NewEvent {
            revision: ANCHOR_REVISION,
            parents: &[],
            kind: EventKind::Stamp,
            message: Some(&message),
            checksum: None,
            applied_by: &settings.client,
            execution_ms: Some(0),
            error: None,
        },
    );
    strata_engine::Database::execute(&mut pg, &sql)
        .map_err(db_err("could not record the anchor"))?;
    printer.result(&format!("anchored row {} ({})", head[0], head[1]));
    Ok(())
}
