//! Promotion between environments (`[promotion] order`): what `upgrade` checks against the
//! previous environment (its history table, or a signed promotion record), the override it
//! records, and `strata promote export|status|keygen`. docs/promotion.md.

use crate::cli::{PromoteCommand, PromotionFlags};
use crate::context::Project;
use crate::error::{db_err, io_err, CliError, EXIT_PROBLEMS};
use crate::output::Printer;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use std::collections::BTreeMap;
use strata_engine::{Database, EventKind, HistoryRow, NewEvent};
use strata_files::{Migrations, Promotion};
use strata_graph::Step;

/// The format tag of a promotion record, signed with it.
const RECORD_FORMAT: &str = "strata-promotion-1";
/// How an override's history row starts (`promote status` reads it back).
const OVERRIDE_PREFIX: &str = "promotion override:";

/// A signed promotion record: what an environment has applied, with checksums.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub format: String,
    pub env: String,
    pub exported_at: String,
    pub revisions: Vec<RecordEntry>,
    /// Ed25519 over [`Record::payload`], hex.
    pub signature: String,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RecordEntry {
    pub revision: String,
    pub checksum: String,
}

impl Record {
    /// The signed bytes: every field but the signature, one per line.
    fn payload(&self) -> String {
        let mut text = format!(
            "{}\nenv={}\nexported_at={}\n",
            self.format, self.env, self.exported_at
        );
        for e in &self.revisions {
            text.push_str(&format!("{} {}\n", e.revision, e.checksum));
        }
        text
    }
}

/// Revisions that go ahead although the previous environment has not applied them: recorded in
/// the history once they are applied.
pub struct Override {
    previous: String,
    revisions: Vec<String>,
    reason: String,
}

/// Before an upgrade: each revision of `steps` must have been applied, with the same checksum,
/// in the environment before this one. Refuses (exit 1, naming them) unless overridden.
pub fn before_upgrade(
    project: &Project,
    migrations: &Migrations,
    steps: &[Step],
    flags: &PromotionFlags,
    printer: &Printer,
) -> Result<Option<Override>, CliError> {
    let Some(promotion) = &project.config.promotion else {
        if flags.promotion.is_some() || flags.override_promotion {
            return Err(CliError::invalid_with_hint(
                "--promotion and --override-promotion need a `[promotion]` table in strata.toml",
                "add `[promotion] order = [\"staging\", \"production\"]` (docs/promotion.md)",
            ));
        }
        return Ok(None);
    };
    let env = project.env_name.as_str();
    let Some(previous) = promotion.previous(env) else {
        if flags.promotion.is_some() {
            return Err(CliError::invalid_with_hint(
                format!("environment `{env}` has no environment before it in `promotion.order`, so a promotion record has nothing to prove"),
                "use --promotion when upgrading the environment that comes after the one that exported the record",
            ));
        }
        return Ok(None);
    };
    let applied = match &flags.promotion {
        Some(path) => {
            let record = read_record(promotion, path, printer)?;
            if record.env != previous {
                printer.result(&format!(
                    "{} the promotion record is from `{}`, but `{env}` is promoted from `{previous}`",
                    printer.red("refused:"),
                    record.env
                ));
                return Err(CliError::Reported(EXIT_PROBLEMS));
            }
            record
                .revisions
                .into_iter()
                .map(|e| (e.revision, e.checksum))
                .collect()
        }
        None => {
            let history = read_env_history(project, previous).map_err(|e| {
                with_hint(e, format!("strata reads `{previous}`'s history to check the promotion; where it cannot reach `{previous}`, export a signed record there (`strata promote export --env {previous} > promotion.json`) and pass `--promotion promotion.json`"))
            })?;
            applied_checksums(&history)
        }
    };
    let missing: Vec<&Step> = steps
        .iter()
        .filter(|s| {
            migrations.get(&s.revision).is_some_and(|f| {
                applied.get(&s.revision).map(String::as_str) != Some(f.checksum.as_str())
            })
        })
        .collect();
    if missing.is_empty() {
        return Ok(None);
    }
    let why = |s: &Step| match applied.get(&s.revision) {
        None => format!("{} has not been applied in `{previous}`", s.revision),
        Some(c) => format!(
            "{} was applied in `{previous}` with another checksum ({}…): the file changed since",
            s.revision,
            &c[..c.len().min(12)]
        ),
    };
    if flags.override_promotion {
        let reason = flags.reason.clone().unwrap_or_default();
        for s in &missing {
            printer.notice(&format!("promotion overridden: {}", why(s)));
        }
        return Ok(Some(Override {
            previous: previous.to_owned(),
            revisions: missing.iter().map(|s| s.revision.clone()).collect(),
            reason,
        }));
    }
    printer.result(&format!(
        "{} `{env}` comes after `{previous}` in the promotion order, and {} revision(s) have not been applied there:",
        printer.red("refused:"),
        missing.len()
    ));
    for s in &missing {
        printer.result(&format!("  {}", why(s)));
    }
    printer.result(&format!("  hint: upgrade `{previous}` first (`strata --env {previous} upgrade`); to go ahead anyway, add --override-promotion --reason TEXT (recorded in the history)"));
    Err(CliError::Reported(EXIT_PROBLEMS))
}

/// After the upgrade: one `stamp` row per overridden revision that was applied, saying who
/// went ahead of which environment and why (the heads do not move).
pub fn record_override(
    project: &Project,
    migrations: &Migrations,
    db: &mut dyn Database,
    over: &Override,
    applied: &[String],
) -> Result<(), CliError> {
    let settings = project.settings(false);
    for revision in over.revisions.iter().filter(|r| applied.contains(r)) {
        let Some(file) = migrations.get(revision) else {
            continue;
        };
        let message = format!(
            "{OVERRIDE_PREFIX} applied before `{}` had applied it; reason: {}",
            over.previous, over.reason
        );
        let sql = strata_engine::state::insert_event_sql(
            db.dialect(),
            &settings.tables,
            &NewEvent {
                revision,
                parents: &file.revises,
                kind: EventKind::Stamp,
                message: Some(&message),
                checksum: Some(file.checksum.as_str()),
                applied_by: &settings.client,
                execution_ms: Some(0),
                error: None,
            },
        );
        db.execute(&sql)
            .map_err(db_err("could not record the promotion override"))?;
    }
    Ok(())
}

fn with_hint(e: CliError, hint: String) -> CliError {
    match e {
        CliError::Database { context, error } => CliError::Database {
            context: format!("{context} ({hint})"),
            error,
        },
        other => other,
    }
}

/// Revision -> checksum of the latest `up` or `stamp` row, for the revisions not reverted since.
fn applied_checksums(history: &[HistoryRow]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for row in history {
        match row.kind.as_str() {
            "up" | "stamp" => {
                if let Some(c) = &row.checksum {
                    out.insert(row.revision.clone(), c.clone());
                }
            }
            "down" => {
                out.remove(&row.revision);
            }
            _ => {}
        }
    }
    out
}

fn env_url(project: &Project, env: &str) -> Result<String, CliError> {
    if env == project.env_name {
        return project.url();
    }
    strata_files::resolve_url(&project.config, env, None, &|k| std::env::var(k).ok())
        .map_err(|d| CliError::Diagnostics(vec![d]))
}

fn read_env_history(project: &Project, env: &str) -> Result<Vec<HistoryRow>, CliError> {
    let url = env_url(project, env)?;
    project.require_existing(&url)?;
    let mut conn = project.open_url(&url)?;
    let tables = project.settings(false).tables;
    let db = conn.db();
    let context = format!("could not read `{env}`'s history table");
    if !db.state_tables_exist(&tables).map_err(db_err(&context))? {
        return Ok(Vec::new());
    }
    db.read_history(&tables).map_err(db_err(&context))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let text = text.trim();
    if text.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn read_record(
    promotion: &Promotion,
    path: &std::path::Path,
    printer: &Printer,
) -> Result<Record, CliError> {
    let shown = path.display().to_string();
    let Some(public) = &promotion.public_key else {
        return Err(CliError::invalid_with_hint(
            "--promotion needs `public_key` in `[promotion]` to verify the record",
            "put the public key of the exporting environment's signing key there (`strata promote keygen` prints it)",
        ));
    };
    let text = std::fs::read_to_string(path).map_err(io_err(format!("cannot read {shown}")))?;
    let record: Record = serde_json::from_str(&text).map_err(|e| {
        CliError::invalid_with_hint(
            format!("{shown}:{}: not a promotion record: {e}", e.line()),
            "pass the file `strata promote export` wrote, unchanged",
        )
    })?;
    let key = unhex::<32>(public)
        .and_then(|k| VerifyingKey::from_bytes(&k).ok())
        .ok_or_else(|| {
            CliError::invalid("`promotion.public_key` is not a valid Ed25519 public key")
        })?;
    let signature = unhex::<64>(&record.signature).map(|s| Signature::from_bytes(&s));
    let valid = record.format == RECORD_FORMAT
        && signature.is_some_and(|s| key.verify(record.payload().as_bytes(), &s).is_ok());
    if !valid {
        printer.result(&format!(
            "{} {shown}: the promotion record's signature does not match its content: it was changed after it was signed, or signed with another key\n  hint: export the record again in the previous environment (`strata promote export --env ENV`) and pass it unchanged; check that `promotion.public_key` belongs to that environment's signing_key",
            printer.red("refused:")
        ));
        return Err(CliError::Reported(EXIT_PROBLEMS));
    }
    Ok(record)
}

/// The environment's signing key, from `signing_key` (hex, or a file holding hex). Messages name
/// where it comes from, never the key.
fn signing_key(project: &Project, env: &str) -> Result<SigningKey, CliError> {
    let settings = project
        .config
        .environment(env)
        .map_err(|d| CliError::Diagnostics(vec![d]))?;
    let Some(located) = &settings.signing_key else {
        return Err(CliError::invalid_with_hint(
            format!("environment `{env}` has no `signing_key`"),
            format!("generate one with `strata promote keygen --out {env}.key`, then set `signing_key = \"{env}.key\"` (or `\"${{VAR}}\"`) in [env.{env}] and the printed public key as `public_key` in [promotion]"),
        ));
    };
    let value = strata_files::interpolate(&project.config.display_path(), located, &|k| {
        std::env::var(k).ok()
    })
    .map_err(|d| CliError::Diagnostics(vec![d]))?;
    let origin = format!(
        "{}:{}: `signing_key` of [env.{env}]",
        project.config.display_path(),
        located.line
    );
    let bytes = match unhex::<32>(&value) {
        Some(bytes) => bytes,
        None => {
            let path = project.config.root.join(value.trim());
            let text = std::fs::read_to_string(&path).map_err(|_| {
                CliError::invalid_with_hint(
                    format!("{origin} is neither 64 hex digits nor a readable key file"),
                    "point it at the file `strata promote keygen --out FILE` wrote, or at a variable holding the key",
                )
            })?;
            unhex::<32>(&text).ok_or_else(|| {
                CliError::invalid(format!(
                    "{origin}: the key file does not hold 64 hex digits"
                ))
            })?
        }
    };
    Ok(SigningKey::from_bytes(&bytes))
}

pub fn promote(
    project: &Project,
    command: &PromoteCommand,
    printer: &Printer,
) -> Result<(), CliError> {
    match command {
        PromoteCommand::Export => export(project, printer),
        PromoteCommand::Status => status(project, printer),
        PromoteCommand::Keygen { out } => keygen(out, printer),
    }
}

fn export(project: &Project, printer: &Printer) -> Result<(), CliError> {
    let env = project.env_name.clone();
    let key = signing_key(project, &env)?;
    let history = read_env_history(project, &env)?;
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut record = Record {
        format: RECORD_FORMAT.to_owned(),
        env,
        exported_at: now,
        revisions: applied_checksums(&history)
            .into_iter()
            .map(|(revision, checksum)| RecordEntry { revision, checksum })
            .collect(),
        signature: String::new(),
    };
    record.signature = hex(&key.sign(record.payload().as_bytes()).to_bytes());
    printer.result(&serde_json::to_string_pretty(&record).unwrap_or_default());
    Ok(())
}

fn keygen(out: &std::path::Path, printer: &Printer) -> Result<(), CliError> {
    use std::io::{Read, Write};
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .map_err(io_err(
            "cannot read random bytes from /dev/urandom".to_owned(),
        ))?;
    let key = SigningKey::from_bytes(&seed);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(out)
        .and_then(|mut f| f.write_all(format!("{}\n", hex(&seed)).as_bytes()))
        .map_err(io_err(format!("cannot write {}", out.display())))?;
    let public = hex(key.verifying_key().as_bytes());
    if printer.json {
        printer.json_value(&serde_json::json!({ "private_key_file": out.display().to_string(), "public_key": public }));
    } else {
        printer.stderr(&format!(
            "wrote the private key to {} (keep it secret); the public key, for `public_key` in [promotion]:",
            out.display()
        ));
        printer.result(&public);
    }
    Ok(())
}

/// The state of a revision in an environment.
fn state_in(history: &[HistoryRow], revision: &str, checksum: &str) -> &'static str {
    let mut state = "pending";
    let mut overridden = false;
    for row in history.iter().filter(|r| r.revision == revision) {
        match row.kind.as_str() {
            "up" | "stamp" => {
                state = if row.checksum.as_deref() == Some(checksum) {
                    "applied"
                } else {
                    "applied (other checksum)"
                };
                overridden |= row
                    .message
                    .as_deref()
                    .is_some_and(|m| m.starts_with(OVERRIDE_PREFIX));
            }
            "down" => {
                state = "pending";
                overridden = false;
            }
            "failed" => state = "failed",
            _ => {}
        }
    }
    if overridden && state == "applied" {
        "overridden"
    } else {
        state
    }
}

fn status(project: &Project, printer: &Printer) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let Some(promotion) = &project.config.promotion else {
        return Err(CliError::invalid_with_hint(
            "there is no `[promotion]` table in strata.toml",
            "add `[promotion] order = [\"staging\", \"production\"]` (docs/promotion.md)",
        ));
    };
    let mut columns = Vec::new();
    for env in &promotion.order {
        match read_env_history(project, env) {
            Ok(h) => columns.push((env.clone(), Some(h))),
            Err(e) => {
                printer.notice(&format!(
                    "environment `{env}` cannot be read: {}",
                    crate::render::error_message(&e)
                ));
                columns.push((env.clone(), None));
            }
        }
    }
    let order = migrations.graph.topo_order();
    let mut rows = Vec::new();
    for id in &order {
        let Some(file) = migrations.get(id) else {
            continue;
        };
        let states: Vec<&str> = columns
            .iter()
            .map(|(_, h)| match h {
                Some(h) => state_in(h, id, file.checksum.as_str()),
                None => "unreachable",
            })
            .collect();
        rows.push((id.to_string(), states));
    }
    if printer.json {
        printer.json_value(&serde_json::json!({
            "environments": promotion.order,
            "revisions": rows.iter().map(|(id, states)| serde_json::json!({
                "revision": id,
                "states": columns.iter().zip(states).map(|((env, _), s)| (env.clone(), serde_json::json!(s))).collect::<serde_json::Map<_, _>>(),
            })).collect::<Vec<_>>(),
        }));
        return Ok(());
    }
    let width = rows
        .iter()
        .map(|(id, _)| id.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let widths: Vec<usize> = columns.iter().map(|(env, _)| env.len().max(10)).collect();
    let mut header = format!("{:<width$}", "revision");
    for ((env, _), w) in columns.iter().zip(&widths) {
        header.push_str(&format!("  {env:<w$}"));
    }
    printer.result(header.trim_end());
    for (id, states) in &rows {
        let mut line = format!("{id:<width$}");
        for (s, w) in states.iter().zip(&widths) {
            line.push_str(&format!("  {s:<w$}"));
        }
        printer.result(line.trim_end());
    }
    Ok(())
}

/// For `preflight`: when this environment has one before it in the order, the revisions of
/// `steps` it has not applied with the same checksum (as `upgrade` would refuse them), read from
/// its history table.
pub fn gaps(
    project: &Project,
    migrations: &Migrations,
    steps: &[Step],
) -> Result<Option<(String, Vec<String>)>, CliError> {
    let Some(promotion) = &project.config.promotion else {
        return Ok(None);
    };
    let Some(previous) = promotion.previous(&project.env_name) else {
        return Ok(None);
    };
    let applied = applied_checksums(&read_env_history(project, previous)?);
    let missing: Vec<String> = steps
        .iter()
        .filter_map(|s| {
            let file = migrations.get(&s.revision)?;
            match applied.get(&s.revision) {
                Some(c) if c == file.checksum.as_str() => None,
                Some(_) => Some(format!(
                    "{} (applied in `{previous}` with another checksum)",
                    s.revision
                )),
                None => Some(format!("{} (not applied in `{previous}`)", s.revision)),
            }
        })
        .collect();
    Ok((!missing.is_empty()).then(|| (previous.to_owned(), missing)))
}
