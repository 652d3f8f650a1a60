//! From a plan to migration files: [`split`] puts each change in the file its typed fields call
//! for ([`Change::non_transactional`], [`Change::validation`], [`Change::unique_index`],
//! [`Change::foreign_key`], its kind), never by reading its SQL, and writes each file's up and
//! down text. Rewording a statement cannot move it to another file.

use super::change::{Change, ChangeKind, Plan};
use strata_core::Dialect;

/// The migration files one plan can give, in the order they run; each is written only when it
/// holds a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// Indexes dropped `CONCURRENTLY` (outside a transaction), before what follows changes their
    /// tables.
    DropIndexesConcurrently,
    /// New enum labels, committed in a transaction of their own before anything uses them.
    AddEnumValues,
    /// Everything else that runs in a transaction.
    Transactional,
    /// Indexes built `CONCURRENTLY` (outside a transaction), also those of new primary keys and
    /// unique constraints.
    BuildIndexesConcurrently,
    /// What needs an index built in the stage before: primary keys and unique constraints added
    /// `USING INDEX`, foreign keys that need such a key (added `NOT VALID`).
    AddConstraints,
    /// `VALIDATE CONSTRAINT` and what needs a validated constraint (`SET NOT NULL` through its
    /// check, an identity on that column).
    ValidateConstraints,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::DropIndexesConcurrently,
        Stage::AddEnumValues,
        Stage::Transactional,
        Stage::BuildIndexesConcurrently,
        Stage::AddConstraints,
        Stage::ValidateConstraints,
    ];

    /// Whether the file runs outside a transaction.
    pub fn non_transactional(self) -> bool {
        matches!(
            self,
            Stage::DropIndexesConcurrently | Stage::BuildIndexesConcurrently
        )
    }

    /// What the file does, appended to the migration's message when a plan gives more than one
    /// file (`None` for the transactional file, which carries the message as it is).
    pub fn describe(self) -> Option<&'static str> {
        match self {
            Stage::DropIndexesConcurrently => Some("drop indexes concurrently"),
            Stage::AddEnumValues => Some("add enum values"),
            Stage::Transactional => None,
            Stage::BuildIndexesConcurrently => Some("build indexes concurrently"),
            Stage::AddConstraints => Some("add constraints"),
            Stage::ValidateConstraints => Some("validate constraints"),
        }
    }
}

/// What the split needs to know beyond the plan.
#[derive(Clone, Copy, Debug)]
pub struct SplitOptions {
    pub dialect: Dialect,
    /// The environment sets `lock_timeout` for every run: the files do not set their own.
    pub lock_timeout_configured: bool,
}

/// One migration file of a plan: its stage, its changes (a two-part change contributes the part
/// that belongs here), the text of its up and down sections, and its header: irreversible (no
/// down can be written: why) or with a destructive downgrade (the down fails while data needs
/// what the up added).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedMigration {
    pub stage: Stage,
    pub changes: Vec<Change>,
    pub up: String,
    pub down: String,
    pub irreversible: Option<String>,
    pub destructive_downgrade: Option<String>,
}

impl PlannedMigration {
    /// The migration's message: `message` itself when the plan gives one file, or for the
    /// transactional file; otherwise with what this file does: `nickname (validate constraints)`.
    pub fn message(&self, message: &str, files: usize) -> String {
        match self.stage.describe() {
            Some(what) if files > 1 => format!("{message} ({what})"),
            _ => message.to_owned(),
        }
    }
}

/// The stage a change (or the early part of a two-part one) goes to.
fn stage_of(c: &Change, unique_built_concurrently: bool) -> Stage {
    if c.non_transactional {
        if c.kind == ChangeKind::DropIndex {
            Stage::DropIndexesConcurrently
        } else {
            Stage::BuildIndexesConcurrently
        }
    } else if c.own_transaction {
        Stage::AddEnumValues
    } else if c.kind == ChangeKind::AddConstraint && c.foreign_key && unique_built_concurrently {
        Stage::AddConstraints
    } else if c.kind == ChangeKind::ValidateConstraint || c.after_validation {
        Stage::ValidateConstraints
    } else {
        Stage::Transactional
    }
}

/// The plan's changes by stage, each file safe as it stands:
/// 1. indexes dropped `CONCURRENTLY` (outside a transaction);
/// 2. new enum labels, committed before anything uses them;
/// 3. everything that runs in a transaction (and the early part of two-part changes);
/// 4. indexes built `CONCURRENTLY` (outside a transaction), with those of new primary keys and
///    unique constraints (the early part of those changes);
/// 5. what needs those indexes: the keys added `USING INDEX`, the foreign keys that need them;
/// 6. `VALIDATE CONSTRAINT` and what needs a validated check (the validating part of `SET NOT
///    NULL`): a validation in the transaction that added the constraint would scan under the
///    ADD's ACCESS EXCLUSIVE lock.
pub fn stages(plan: &Plan) -> Vec<(Stage, Vec<Change>)> {
    let unique_built_concurrently = plan.changes.iter().any(|c| {
        c.unique_index
            && (c.non_transactional && c.kind == ChangeKind::CreateIndex
                || c.validation
                    .as_ref()
                    .is_some_and(|v| v.early.non_transactional))
    });
    let mut out: Vec<(Stage, Vec<Change>)> = Stage::ALL.iter().map(|s| (*s, Vec::new())).collect();
    let mut put = |stage: Stage, c: Change| {
        if let Some((_, list)) = out.iter_mut().find(|(s, _)| *s == stage) {
            list.push(c);
        }
    };
    for c in &plan.changes {
        match &c.validation {
            Some(v) => {
                let mut early = c.clone();
                early.up = v.early.up.clone();
                early.down = v.early.down.clone();
                early.non_transactional = v.early.non_transactional;
                let mut late = c.clone();
                late.up = v.validating.up.clone();
                late.down = v.validating.down.clone();
                late.non_transactional = false;
                // After an index built concurrently: the constraint that uses it.
                let late_stage = if v.early.non_transactional {
                    Stage::AddConstraints
                } else {
                    Stage::ValidateConstraints
                };
                put(stage_of(&early, unique_built_concurrently), early);
                put(late_stage, late);
            }
            _ => put(stage_of(c, unique_built_concurrently), c.clone()),
        }
    }
    out.retain(|(_, changes)| !changes.is_empty());
    out
}

/// The migration files of `plan`, in order, with their up and down text and headers.
pub fn split(plan: &Plan, opts: &SplitOptions) -> Vec<PlannedMigration> {
    stages(plan)
        .into_iter()
        .map(|(stage, changes)| {
            let (up, down) = bodies(opts, &changes, stage.non_transactional());
            let irreversible = changes
                .iter()
                .filter_map(|c| c.irreversible.clone())
                .collect::<Vec<_>>();
            let destructive = changes
                .iter()
                .filter_map(|c| c.destructive_downgrade.clone())
                .collect::<Vec<_>>();
            PlannedMigration {
                stage,
                changes,
                up,
                down,
                irreversible: (!irreversible.is_empty()).then(|| irreversible.join("; ")),
                destructive_downgrade: (!destructive.is_empty()).then(|| destructive.join("; ")),
            }
        })
        .collect()
}

/// The up and down text of one generated migration.
fn bodies(opts: &SplitOptions, changes: &[Change], non_transactional: bool) -> (String, String) {
    let dialect = opts.dialect;
    let mut up = String::from(
        "-- Generated by `strata revision --autogenerate`: review it before you apply it.\n",
    );
    if non_transactional {
        up.push_str(
            "-- Runs outside a transaction (CONCURRENTLY); if it fails, see docs/schema.md.\n",
        );
    }
    if changes.iter().any(|c| c.own_transaction) {
        up.push_str("-- New enum labels, committed here before the next migration can use them.\n");
    }
    // A bounded wait for locks on busy tables, unless the environment sets one for every run.
    // Not for CONCURRENTLY: it waits for older transactions by design, and a timeout there leaves
    // an invalid index behind.
    let lock_timeout = match (dialect, opts.lock_timeout_configured, non_transactional) {
        (Dialect::Postgres, false, false) => "SET LOCAL lock_timeout = '5s';\n",
        _ => "",
    };
    up.push_str(lock_timeout);
    let functions = changes.iter().any(|c| {
        matches!(
            c.kind,
            ChangeKind::CreateFunction | ChangeKind::ReplaceFunction
        )
    });
    if dialect == Dialect::Postgres && functions && !non_transactional {
        // Function bodies may name tables this migration creates after them.
        up.push_str("SET LOCAL check_function_bodies = off;\n");
    }
    for c in changes {
        up.push('\n');
        for h in &c.hazards {
            up.push_str(&format!(
                "-- hazard: {}: {}\n",
                h.id,
                h.message.replace(['\n', '\r'], " ")
            ));
        }
        for s in &c.up {
            up.push_str(s);
            up.push('\n');
        }
    }
    let mut down = String::new();
    if changes.iter().all(|c| c.down.is_empty()) {
        // Only validations: they change no definition, so there is nothing to undo.
        if changes
            .iter()
            .all(|c| c.kind == ChangeKind::ValidateConstraint)
        {
            down.push_str("-- Nothing to undo: validating a constraint changes no definition.\n");
        }
        return (up, down);
    }
    down.push_str(lock_timeout);
    if dialect == Dialect::Postgres && functions && !non_transactional {
        down.push_str("SET LOCAL check_function_bodies = off;\n");
    }
    for c in changes.iter().rev() {
        for s in &c.down {
            down.push_str(s);
            down.push('\n');
        }
    }
    (up, down)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::change::change;
    use crate::diff::fixtures::*;

    const PG: SplitOptions = SplitOptions {
        dialect: Dialect::Postgres,
        lock_timeout_configured: false,
    };

    fn stage_names(files: &[PlannedMigration]) -> Vec<Stage> {
        files.iter().map(|f| f.stage).collect()
    }

    #[test]
    fn a_plain_change_is_one_transactional_file() {
        let from = with_tables(vec![table(hostile(), vec![column("id", "integer")])]);
        let to = with_tables(vec![table(
            hostile(),
            vec![column("id", "integer"), column("order", "text")],
        )]);
        let files = split(&plan(&from, &to), &PG);
        assert_eq!(stage_names(&files), [Stage::Transactional]);
        assert_eq!(files[0].message("nick", 1), "nick");
        assert!(files[0].up.contains("SET LOCAL lock_timeout = '5s';\n"));
        assert!(files[0]
            .up
            .contains(r#"ALTER TABLE "a""b"."Mixed Case" ADD COLUMN "order" text;"#));
        assert!(files[0].down.ends_with("DROP COLUMN \"order\";\n"));
        // With a lock_timeout configured for the environment, the file sets none.
        let files = split(
            &plan(&from, &to),
            &SplitOptions {
                lock_timeout_configured: true,
                ..PG
            },
        );
        assert!(!files[0].up.contains("lock_timeout"));
    }

    #[test]
    fn set_not_null_is_split_by_its_typed_parts() {
        let from = with_tables(vec![table(hostile(), vec![column("order", "text")])]);
        let mut c = column("order", "text");
        c.not_null = true;
        let to = with_tables(vec![table(hostile(), vec![c])]);
        let p = plan(&from, &to);
        let files = split(&p, &PG);
        assert_eq!(
            stage_names(&files),
            [Stage::Transactional, Stage::ValidateConstraints]
        );
        assert_eq!(files[1].message("nn", 2), "nn (validate constraints)");
        let v = p.changes[0].validation.as_ref().expect("two parts");
        assert_eq!(files[0].changes[0].up, v.early.up);
        assert_eq!(files[0].changes[0].down, v.early.down);
        assert_eq!(files[1].changes[0].up, v.validating.up);
        assert_eq!(files[1].changes[0].down, v.validating.down);
        assert!(v.early.up[0].contains("NOT VALID"));
        assert!(v.early.down[0].contains("DROP CONSTRAINT"));
        assert!(v.validating.up[0].contains("VALIDATE CONSTRAINT"));
        assert_eq!(v.validating.down.len(), 2);
    }

    #[test]
    fn stages_follow_typed_fields_not_the_sql_text() {
        let t = || crate::model::ObjectRef::new(ObjectKind::Table, hostile());
        // Statements that say nothing about what they are.
        let mut index = change(ChangeKind::CreateIndex, t(), vec!["-- a".into()], vec![]);
        index.non_transactional = true;
        index.unique_index = true;
        let mut fk = change(ChangeKind::AddConstraint, t(), vec!["-- b".into()], vec![]);
        fk.foreign_key = true;
        let check = change(ChangeKind::AddConstraint, t(), vec!["-- c".into()], vec![]);
        let validate = change(
            ChangeKind::ValidateConstraint,
            t(),
            vec!["-- d".into()],
            vec![],
        );
        let mut label = change(ChangeKind::AddEnumValue, t(), vec!["-- e".into()], vec![]);
        label.own_transaction = true;
        let p = Plan {
            changes: vec![label, index.clone(), fk.clone(), check, validate],
        };
        let by_stage: Vec<(Stage, Vec<String>)> = stages(&p)
            .into_iter()
            .map(|(s, cs)| (s, cs.iter().map(|c| c.up[0].clone()).collect()))
            .collect();
        assert_eq!(
            by_stage,
            [
                (Stage::AddEnumValues, vec!["-- e".to_owned()]),
                (Stage::Transactional, vec!["-- c".to_owned()]),
                (Stage::BuildIndexesConcurrently, vec!["-- a".to_owned()]),
                (Stage::AddConstraints, vec!["-- b".to_owned()]),
                (Stage::ValidateConstraints, vec!["-- d".to_owned()]),
            ]
        );
        // The same foreign key without a unique index built concurrently stays with the others.
        index.unique_index = false;
        let p = Plan {
            changes: vec![index, fk],
        };
        let stages: Vec<Stage> = stages(&p).into_iter().map(|(s, _)| s).collect();
        assert_eq!(
            stages,
            [Stage::Transactional, Stage::BuildIndexesConcurrently]
        );
    }

    #[test]
    fn outside_a_transaction_no_lock_timeout_and_a_note() {
        let t = table(hostile(), vec![column("order", "text")]);
        let from = with_tables(vec![t.clone()]);
        let mut to = with_tables(vec![t]);
        to.indexes.push(index(&hostile(), "i"));
        let files = split(&plan(&from, &to), &PG);
        assert_eq!(stage_names(&files), [Stage::BuildIndexesConcurrently]);
        // Alone, the file carries the message as it is.
        assert_eq!(files[0].message("idx", 1), "idx");
        assert_eq!(
            files[0].message("idx", 2),
            "idx (build indexes concurrently)"
        );
        assert!(files[0].up.contains("Runs outside a transaction"));
        assert!(!files[0].up.contains("lock_timeout"));
        assert!(files[0].down.contains("DROP INDEX CONCURRENTLY"));
    }
}
