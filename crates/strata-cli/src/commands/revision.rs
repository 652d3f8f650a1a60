//! `revision` and `merge`: write new migration files.

use crate::cli::RevisionArgs;
use crate::context::{display_path, Project};
use crate::error::{io_err, CliError};
use crate::output::Printer;
use std::path::PathBuf;
use strata_files::{Migrations, NewMigration};

pub fn revision(project: &Project, args: &RevisionArgs, printer: &Printer) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let graph = &migrations.graph;
    let revises = match args.head.as_deref() {
        Some("base") => Vec::new(),
        Some(target) => vec![resolve_single(&migrations, target)?],
        None => single_head(
            &migrations,
            "choose the parent with --head ID (or LABEL@head, or base for a new root), or join them first with `strata merge heads -m MSG`",
        )?,
    };
    let mut depends_on = Vec::new();
    for dep in &args.depends_on {
        depends_on.push(
            graph
                .resolve(dep)
                .map_err(|e| CliError::invalid(e.to_string()))?
                .to_owned(),
        );
    }
    if let Some(label) = &args.branch_label {
        if let Some(existing) = graph.label_target(label) {
            return Err(CliError::invalid_with_hint(
                format!("branch label `{label}` is already used by {existing}"),
                format!("add to that branch with --head {label}@head, or choose another label"),
            ));
        }
    }
    if args.autogenerate {
        return autogenerate(project, args, &migrations, revises, depends_on, printer);
    }
    if args.online {
        let id = new_id(&migrations, args.rev_id.as_deref(), &[])?;
        return write_online(project, &id, args, &revises, &depends_on, printer);
    }
    let new = NewMigration {
        id: new_id(&migrations, args.rev_id.as_deref(), &[])?,
        slug: strata_files::slugify(&args.message),
        message: args.message.clone(),
        revises,
        labels: args.branch_label.iter().cloned().collect(),
        depends_on,
        irreversible: None,
        destructive_downgrade: None,
        impact: None,
        up: "-- Write the SQL that applies this change.\n".to_owned(),
        down: "-- Write the SQL that reverts it exactly.\n".to_owned(),
    };
    write_file(project, &new, None, printer)
}

/// `revision --autogenerate`: one file, or a chain when some changes must run outside a
/// transaction; nothing when the schema files match the parent revision.
fn autogenerate(
    project: &Project,
    args: &RevisionArgs,
    migrations: &Migrations,
    revises: Vec<String>,
    depends_on: Vec<String>,
    printer: &Printer,
) -> Result<(), CliError> {
    let (generated, not_modelled) =
        super::schema::autogenerate(project, args, revises.clone(), printer)?;
    if generated.is_empty() {
        let at = if revises.is_empty() {
            "base".to_owned()
        } else {
            revises.join(", ")
        };
        if printer.json {
            printer.json_value(&serde_json::json!({ "written": [], "not_modelled": not_modelled }));
        } else {
            printer.line(&format!(
                "no changes: the schema files match the migrations at {at}; nothing written"
            ));
        }
        return Ok(());
    }
    let mut taken: Vec<String> = Vec::new();
    let mut parent = revises;
    for (i, mut new) in generated.into_iter().enumerate() {
        let explicit = args.rev_id.as_ref().map(|id| {
            if i == 0 {
                id.clone()
            } else {
                format!("{id}{}", i + 1)
            }
        });
        new.id = new_id(migrations, explicit.as_deref(), &taken)?;
        new.revises = std::mem::take(&mut parent);
        if i == 0 {
            new.labels = args.branch_label.iter().cloned().collect();
            new.depends_on = depends_on.clone();
        }
        taken.push(new.id.clone());
        parent = vec![new.id.clone()];
        write_file(project, &new, Some(&not_modelled), printer)?;
    }
    Ok(())
}

pub fn merge(
    project: &Project,
    revs: &[String],
    message: &str,
    rev_id: Option<&str>,
    printer: &Printer,
) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let mut parents: Vec<String> = Vec::new();
    for rev in revs {
        if rev == "heads" {
            parents.extend(migrations.graph.heads().into_iter().map(str::to_owned));
        } else {
            parents.push(resolve_single(&migrations, rev)?);
        }
    }
    parents.sort();
    parents.dedup();
    if parents.len() < 2 {
        return Err(CliError::invalid_with_hint(
            format!(
                "a merge needs at least two revisions; got {}",
                if parents.is_empty() {
                    "none".to_owned()
                } else {
                    parents.join(", ")
                }
            ),
            "name two or more heads, or `heads` to merge all of them (see `strata heads`)",
        ));
    }
    let new = NewMigration {
        id: new_id(&migrations, rev_id, &[])?,
        slug: strata_files::slugify(message),
        message: message.to_owned(),
        revises: parents,
        labels: Vec::new(),
        depends_on: Vec::new(),
        irreversible: None,
        destructive_downgrade: None,
        impact: None,
        up: String::new(),
        down: String::new(),
    };
    write_file(project, &new, None, printer)
}

/// A target that names exactly one revision: an id or prefix, `head`, `LABEL@head`.
fn resolve_single(migrations: &Migrations, target: &str) -> Result<String, CliError> {
    let graph = &migrations.graph;
    if let Ok(id) = graph.resolve(target) {
        return Ok(id.to_owned());
    }
    let steps = graph
        .plan_upgrade(&[], target)
        .map_err(|e| CliError::invalid(e.to_string()))?;
    match steps.last().map(|s| s.heads_after.clone()) {
        Some(heads) if heads.len() == 1 => Ok(heads[0].clone()),
        _ => Err(CliError::invalid_with_hint(
            format!("`{target}` does not name a single revision"),
            "use an id (see `strata history`) or LABEL@head",
        )),
    }
}

pub(super) fn new_id(
    migrations: &Migrations,
    explicit: Option<&str>,
    taken: &[String],
) -> Result<String, CliError> {
    if let Some(id) = explicit {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(CliError::invalid_with_hint(
                format!("invalid revision id `{id}`"),
                "ids are letters and digits only ([A-Za-z0-9]+)",
            ));
        }
        if migrations.get(id).is_some() || taken.iter().any(|t| t == id) {
            return Err(CliError::invalid(format!("revision {id} already exists")));
        }
        return Ok(id.to_owned());
    }
    let format = time::macros::format_description!("[year][month][day][hour][minute][second]");
    let mut now = time::OffsetDateTime::now_utc();
    loop {
        let id = now
            .format(&format)
            .map_err(|e| CliError::invalid(format!("cannot format the time: {e}")))?;
        if migrations.get(&id).is_none() && !taken.contains(&id) {
            return Ok(id);
        }
        now += time::Duration::seconds(1);
    }
}

/// A new online migration: the header and an example operation to edit.
fn write_online(
    project: &Project,
    id: &str,
    args: &RevisionArgs,
    revises: &[String],
    depends_on: &[String],
    printer: &Printer,
) -> Result<(), CliError> {
    let toml_string = |s: &str| toml::Value::String(s.to_owned()).to_string();
    let list = |ids: &[String]| match ids {
        [one] => toml_string(one),
        many => format!(
            "[{}]",
            many.iter()
                .map(|i| toml_string(i))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut text = format!("message = {}\n", toml_string(args.message.trim()));
    if !revises.is_empty() {
        text.push_str(&format!("revises = {}\n", list(revises)));
    }
    if !depends_on.is_empty() {
        text.push_str(&format!("depends_on = {}\n", list(depends_on)));
    }
    text.push_str(
        "\n# The operations, in order (docs/online.md has one worked example per type):\n\
         # create_table, drop_table, rename_table, add_column, drop_column, rename_column,\n\
         # alter_column, create_index, drop_index, raw_sql. For example:\n\
         #\n\
         # [[operations]]\n\
         # type = \"rename_column\"\n\
         # table = \"accounts\"\n\
         # from = \"name\"\n\
         # to = \"full_name\"\n",
    );
    let path = write_new(
        project,
        &format!("{id}_{}.toml", strata_files::slugify(&args.message)),
        &text,
    )?;
    if printer.json {
        printer.json_value(
            &serde_json::json!({ "path": display_path(&path), "id": id, "revises": revises }),
        );
    } else {
        printer.result(&display_path(&path));
    }
    Ok(())
}

/// Writes a migration file; with `--json`, one object per file (with `not_modelled` for a
/// generated one).
fn write_file(
    project: &Project,
    new: &NewMigration,
    not_modelled: Option<&serde_json::Value>,
    printer: &Printer,
) -> Result<(), CliError> {
    let path = write_migration(project, new)?;
    if printer.json {
        let mut value = serde_json::json!({ "path": display_path(&path), "id": new.id, "revises": new.revises });
        if let Some(not_modelled) = not_modelled {
            value["not_modelled"] = not_modelled.clone();
        }
        printer.json_value(&value);
    } else {
        printer.result(&display_path(&path));
    }
    super::lint::after_revision(project, &path, printer)
}

/// The one head a new migration goes after (none in an empty graph); several heads are bad input,
/// with `hint` saying how to go on.
pub(super) fn single_head(migrations: &Migrations, hint: &str) -> Result<Vec<String>, CliError> {
    match migrations.graph.heads().as_slice() {
        [] => Ok(Vec::new()),
        [head] => Ok(vec![head.to_string()]),
        heads => Err(CliError::invalid_with_hint(
            format!("the graph has {} heads: {}", heads.len(), heads.join(", ")),
            hint.to_owned(),
        )),
    }
}

/// Renders `new` and writes it as `ID_SLUG.sql` in the migrations folder; returns its path.
pub(super) fn write_migration(project: &Project, new: &NewMigration) -> Result<PathBuf, CliError> {
    let text = strata_files::render_migration(new);
    write_new(project, &format!("{}_{}.sql", new.id, new.slug), &text)
}

/// Writes a new file `name` in the migrations folder (created if missing), never over an
/// existing one; returns its path.
fn write_new(project: &Project, name: &str, text: &str) -> Result<PathBuf, CliError> {
    let dir = project.migrations_dir();
    std::fs::create_dir_all(&dir).map_err(io_err(format!("cannot create {}", dir.display())))?;
    let path = dir.join(name);
    use std::io::Write;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(io_err(format!("cannot write {}", path.display())))?;
    Ok(path)
}
