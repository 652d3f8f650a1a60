//! `diff`, `check`, `drift` and `revision --autogenerate`: compare two schemas and write
//! the migration between them.

use crate::cli::{DiffArgs, DiffFormat, RevisionArgs};
use crate::context::Project;
use crate::desired::{Loaded, Side, Workspace};
use crate::error::{db_err, CliError};
use crate::output::Printer;
use strata_core::{quote_ident, Dialect};
use strata_engine::verify::{verify as verify_files, Mismatch};
use strata_files::NewMigration;
use strata_schema::{Change, ChangeKind, DiffOptions, Plan, Schema, SplitOptions};

/// The plan from `from` to `to` in the dialect's diff.
pub fn plan(dialect: Dialect, from: &Schema, to: &Schema, opts: &DiffOptions) -> Plan {
    match dialect {
        Dialect::Postgres => strata_schema::diff(from, to, opts),
        Dialect::Sqlite => strata_schema::sqlite::diff(from, to, opts),
    }
}

/// The up script of `plan`, runnable by `psql` / `sqlite3`.
pub fn render(dialect: Dialect, plan: &Plan, allow_destructive: bool) -> String {
    match dialect {
        Dialect::Postgres => strata_schema::render_plan(plan, allow_destructive),
        Dialect::Sqlite => strata_schema::sqlite::render(plan, allow_destructive),
    }
}

/// `--rename OLD=NEW` values as the diff takes them.
fn parse_renames(values: &[String]) -> Result<Vec<(String, String)>, CliError> {
    values
        .iter()
        .map(|v| match v.split_once('=') {
            Some((old, new)) if !old.trim().is_empty() && !new.trim().is_empty() && !new.contains('.') => {
                Ok((old.trim().to_owned(), new.trim().to_owned()))
            }
            _ => Err(CliError::invalid_with_hint(
                format!("invalid --rename `{v}`"),
                "write --rename TABLE.OLD_COLUMN=NEW_COLUMN or --rename OLD_TABLE=NEW_TABLE (the new name without its table or schema)",
            )),
        })
        .collect()
}

/// Rename hints from the command line and from `-- strata:renamed-from` comments; warns about
/// command-line hints the plan did not use.
fn diff_with_hints(
    ws: &Workspace,
    from: &Loaded,
    to: &Loaded,
    flags: &[String],
    allow_destructive: bool,
    printer: &Printer,
) -> Result<Plan, CliError> {
    let cli = parse_renames(flags)?;
    let mut renames = cli.clone();
    renames.extend(to.hints.iter().map(|h| (h.old.clone(), h.new.clone())));
    let opts = DiffOptions {
        allow_destructive,
        renames,
    };
    let plan = plan(ws.dialect, &from.schema, &to.schema, &opts);
    for (old, new) in &cli {
        let hint = (old.clone(), new.clone());
        let used = plan.changes.iter().any(|c| c.renames.contains(&hint));
        if !used {
            printer.notice(&format!(
                "--rename {old}={new} was not used: the old name must exist only on the FROM side and the new one only on the TO side"
            ));
        }
    }
    Ok(plan)
}

pub fn diff(project: &Project, args: &DiffArgs, printer: &Printer) -> Result<(), CliError> {
    let from = Side::parse(&args.from);
    let to = Side::parse(&args.to);
    let ws = Workspace::new(project, &[&from, &to], printer)?;
    let (from_schema, to_schema) = ws.load_pair(&from, &to)?;
    let plan = diff_with_hints(
        &ws,
        &from_schema,
        &to_schema,
        &args.rename,
        args.allow_destructive,
        printer,
    )?;
    if args.format == DiffFormat::Json || printer.json {
        let mut value = plan_json(&plan);
        value["not_modelled"] = ws.not_modelled_json();
        printer.json_value(&value);
    } else {
        printer.result(render(ws.dialect, &plan, args.allow_destructive).trim_end());
        if !plan.is_empty() {
            summarize_hazards(&plan, args.allow_destructive, printer);
        }
    }
    if args.exit_code && !plan.is_empty() {
        return Err(CliError::Reported(crate::error::EXIT_PROBLEMS));
    }
    Ok(())
}

/// Each hazard of the plan on standard error, so that standard output stays a clean script.
fn print_hazards(plan: &Plan, printer: &Printer) {
    for h in plan.changes.iter().flat_map(|c| &c.hazards) {
        printer.stderr(&format!(
            "{} {}: {}",
            printer.yellow("hazard"),
            h.id,
            h.message
        ));
    }
}

/// Hazards on standard error, and how many destructive changes were left as comments.
fn summarize_hazards(plan: &Plan, allow_destructive: bool, printer: &Printer) {
    print_hazards(plan, printer);
    let skipped = plan
        .changes
        .iter()
        .filter(|c| c.destructive && !allow_destructive)
        .count();
    if skipped > 0 {
        printer.stderr(&format!(
            "{skipped} destructive change(s) written as comments; add --allow-destructive to include them"
        ));
    }
}

fn snake(kind: ChangeKind) -> String {
    let debug = format!("{kind:?}");
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

pub fn plan_json(plan: &Plan) -> serde_json::Value {
    let changes: Vec<_> = plan
        .changes
        .iter()
        .map(|c| {
            serde_json::json!({
                "kind": snake(c.kind),
                "object": c.object.to_string(),
                "column": c.column,
                "summary": summary(c),
                "up": c.up,
                "down": c.down,
                "hazards": c.hazards.iter().map(|h| serde_json::json!({"id": h.id.as_str(), "message": h.message})).collect::<Vec<_>>(),
                "non_transactional": c.non_transactional,
                "destructive": c.destructive,
            })
        })
        .collect();
    serde_json::json!({ "changes": changes })
}

/// The schema files hold no table: most likely none were written yet, not a wish to drop it all.
fn empty_schema_hint(project: &Project) -> String {
    let source = match &project.config.schema_command {
        Some(command) => format!("`schema_command` ({command}) printed"),
        None => format!(
            "the schema files ({}) hold",
            project.config.schema.join(", ")
        ),
    };
    format!(
        "  hint: {source} no table. Write the desired schema there first; `strata inspect > schema/schema.sql` on an up-to-date database gives a start"
    )
}

/// One line for a change, read as "what `to` has that `from` has not":
/// `added column "nick" of table "public"."users"`.
pub fn summary(c: &Change) -> String {
    use ChangeKind::*;
    let verb = match c.kind {
        CreateSchema
        | CreateEnum
        | CreateSequence
        | CreateFunction
        | CreateTable
        | AddColumn
        | CreateView
        | CreateMaterializedView
        | CreateIndex
        | CreateStatistics
        | AddConstraint
        | CreateTrigger
        | CreatePolicy
        | AddEnumValue
        | AddIdentity
        | EnableRls => "added",
        DropSchema | DropEnum | DropSequence | DropFunction | DropTable | DropColumn | DropView
        | DropMaterializedView | DropIndex | DropStatistics | DropConstraint | DropTrigger
        | DropPolicy | DropIdentity | DisableRls => "removed",
        RenameTable | RenameColumn => "renamed",
        _ => "changed",
    };
    let what = match &c.column {
        Some(column) => format!("column {} of {}", quote_ident(column), c.object),
        None if c.kind == AlterDefaultPrivileges => {
            let schema = c
                .object
                .name
                .schema
                .as_deref()
                .map_or(String::new(), |s| format!(" in schema {}", quote_ident(s)));
            format!(
                "default privileges of role {}{schema}",
                quote_ident(&c.object.name.name)
            )
        }
        None => c.object.to_string(),
    };
    let detail = match c.kind {
        AddEnumValue => " (new value)",
        AddIdentity | DropIdentity | AlterIdentity => " (identity)",
        SetNotNull | DropNotNull => " (nullability)",
        SetDefault | DropDefault => " (default)",
        AlterColumnType => " (type)",
        EnableRls | DisableRls => " (row-level security)",
        SetComment => " (comment)",
        ValidateConstraint => " (validated)",
        RebuildTable => " (rebuilt)",
        Grant | Revoke => " (privileges)",
        AlterOwner => " (owner)",
        _ => "",
    };
    let hazards: Vec<&str> = c.hazards.iter().map(|h| h.id.as_str()).collect();
    let hazards = if hazards.is_empty() {
        String::new()
    } else {
        format!("  [hazard: {}]", hazards.join(", "))
    };
    format!("{verb} {what}{detail}{hazards}")
}

/// The changes a person should read, without the bookkeeping ones (`VALIDATE` after an added
/// constraint is part of adding it).
fn visible(plan: &Plan) -> impl Iterator<Item = &Change> {
    plan.changes
        .iter()
        .filter(|c| c.kind != ChangeKind::ValidateConstraint)
}

pub fn check(project: &Project, printer: &Printer) -> Result<(), CliError> {
    let versions_ok = super::version::check_headers(project, printer)?;
    let head = Side::Rev("heads".into());
    let desired = Side::Desired;
    let ws = Workspace::new(project, &[], printer)?;
    let at_head = ws.load(&head)?;
    let wanted = ws.load(&desired)?;
    let plan = diff_with_hints(&ws, &at_head, &wanted, &[], true, printer)?;
    if printer.json {
        let mut value = plan_json(&plan);
        value["ok"] = serde_json::json!(plan.is_empty());
        value["not_modelled"] = ws.not_modelled_json();
        printer.json_value(&value);
    } else if plan.is_empty() {
        printer.line("check: the schema files match the migrations at head");
    } else {
        printer.result(&format!(
            "{} the schema files differ from the migrations at head ({} change(s)):",
            printer.red("check failed:"),
            visible(&plan).count()
        ));
        for c in visible(&plan) {
            printer.result(&format!("  {}", summary(c)));
        }
        if wanted.schema.tables.is_empty() && !at_head.schema.tables.is_empty() {
            printer.result(&empty_schema_hint(project));
        } else {
            printer.result("  hint: write the migration with `strata revision --autogenerate -m \"...\"`, review it, commit it");
        }
    }
    if plan.is_empty() && versions_ok {
        Ok(())
    } else {
        Err(CliError::Reported(crate::error::EXIT_PROBLEMS))
    }
}

pub fn drift(project: &Project, printer: &Printer) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let tables = project.settings(false).tables;
    let url = project.url()?;
    project.require_existing(&url)?;
    let live_side = Side::Url(url.clone());
    let ws = Workspace::new(project, &[&live_side], printer)?;
    let mut conn = project.open_url(&url)?;
    let db = conn.db();
    let (heads, history) = super::status::read_state(db, &tables)?;
    let verified = verify_files(&migrations, &heads, &history);
    // An INVALID index looks like any other in the catalog, but the database does not use it.
    let invalid = db
        .invalid_indexes(&[])
        .map_err(db_err("could not look for invalid indexes"))?;
    drop(conn);

    let live = ws.load(&live_side)?;
    let target = if heads.is_empty() {
        "base".to_owned()
    } else {
        heads.join(",")
    };
    let expected = ws.load(&Side::Rev(target.clone()))?;
    let opts = DiffOptions {
        allow_destructive: true,
        renames: Vec::new(),
    };
    let plan = plan(ws.dialect, &expected.schema, &live.schema, &opts);
    let drifted = !plan.is_empty() || !verified.mismatches.is_empty() || !invalid.is_empty();
    if printer.json {
        let changes: Vec<_> = visible(&plan).map(summary).collect();
        printer.json_value(&serde_json::json!({
            "ok": !drifted,
            "revision": heads,
            "schema": changes,
            "verify": verified,
            "invalid_indexes": invalid.iter().map(|i| serde_json::json!({
                "schema": i.schema, "table": i.table, "index": i.name,
            })).collect::<Vec<_>>(),
            "not_modelled": ws.not_modelled_json(),
        }));
    } else {
        let at = if heads.is_empty() {
            "base".to_owned()
        } else {
            heads.join(", ")
        };
        for c in visible(&plan) {
            printer.result(&format!(
                "{} {} (outside migrations)",
                printer.red("drift:"),
                summary(c)
            ));
        }
        for i in &invalid {
            printer.result(&format!(
                "{} index {} on {} is INVALID (an interrupted CREATE INDEX CONCURRENTLY): the database does not use it; drop it with DROP INDEX CONCURRENTLY and build it again (`strata upgrade` does this for an index its migration creates)",
                printer.red("drift:"),
                i.qualified(),
                strata_core::QualifiedName::new(Some(&i.schema), &i.table)
            ));
        }
        for m in &verified.mismatches {
            match m {
                Mismatch::Changed { revision, file, .. } => printer.result(&format!(
                    "{} {file}: revision {revision} changed after it was applied",
                    printer.red("verify:")
                )),
                Mismatch::Missing { revision } => printer.result(&format!(
                    "{} revision {revision} is applied but has no migration file",
                    printer.red("verify:")
                )),
                other => printer.result(&format!(
                    "{} revision {} does not match its migration file",
                    printer.red("verify:"),
                    other.revision()
                )),
            }
        }
        if drifted {
            printer.result(&format!(
                "  hint: the database at {at} should look like its migrations; revert the manual change, or capture it in a migration (`strata revision --autogenerate`) and `strata stamp` it"
            ));
        } else {
            printer.line(&format!(
                "no drift: the database matches its migrations at {at}, and the applied files are unchanged"
            ));
        }
    }
    if drifted {
        Err(CliError::Reported(crate::error::EXIT_PROBLEMS))
    } else {
        Ok(())
    }
}

/// `revision --autogenerate`: the migration(s) from the migrations at the new revision's parent to
/// the schema files. Changes that must run outside a transaction go into files of their own, so
/// one generated change may give a chain of two or three migrations (`strata_schema::split`).
/// Also returns the objects of kinds the model does not cover that the sides held, for `--json`.
pub fn autogenerate(
    project: &Project,
    args: &RevisionArgs,
    revises: Vec<String>,
    printer: &Printer,
) -> Result<(Vec<NewMigration>, serde_json::Value), CliError> {
    let from_target = if revises.is_empty() {
        "base".to_owned()
    } else {
        revises.join(",")
    };
    let ws = Workspace::new(project, &[], printer)?;
    let at_parent = ws.load(&Side::Rev(from_target))?;
    let wanted = ws.load(&Side::Desired)?;
    let plan = diff_with_hints(
        &ws,
        &at_parent,
        &wanted,
        &args.rename,
        args.allow_destructive,
        printer,
    )?;
    if plan.is_empty() {
        return Ok((Vec::new(), ws.not_modelled_json()));
    }
    let destructive: Vec<&Change> = plan.changes.iter().filter(|c| c.destructive).collect();
    if !destructive.is_empty() && !args.allow_destructive {
        printer.result(&format!(
            "{} the schema files drop data; nothing was written:",
            printer.red("refused:")
        ));
        for c in destructive {
            printer.result(&format!("  {}", summary(c)));
        }
        if wanted.schema.tables.is_empty() {
            printer.result(&empty_schema_hint(project));
        }
        printer.result("  hint: if a column or table was renamed, say so with --rename OLD=NEW (or `-- strata:renamed-from OLD` in the schema file); if the data really goes, add --allow-destructive");
        return Err(CliError::Reported(crate::error::EXIT_PROBLEMS));
    }
    print_hazards(&plan, printer);

    let files = strata_schema::split(
        &plan,
        &SplitOptions {
            dialect: ws.dialect,
            lock_timeout_configured: project.lock_timeout_configured(),
        },
    );
    let count = files.len();
    let mut out = Vec::new();
    for file in files {
        let message = file.message(&args.message, count);
        let impact =
            strata_schema::impact::assess_changes(&file.changes, &at_parent.schema, &wanted.schema)
                .impact;
        out.push(NewMigration {
            id: String::new(),
            slug: strata_files::slugify(&message),
            message,
            revises: Vec::new(),
            labels: Vec::new(),
            depends_on: Vec::new(),
            irreversible: file.irreversible,
            destructive_downgrade: file.destructive_downgrade,
            impact: Some(impact),
            up: file.up,
            down: file.down,
        });
    }
    Ok((out, ws.not_modelled_json()))
}
