//! The changes a plan is made of: [`Change`], with its [`ChangeKind`] and [`Hazard`]s, and the
//! ordered [`Plan`].

use crate::model::ObjectRef;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChangeKind {
    CreateSchema,
    DropSchema,
    /// `CREATE EXTENSION IF NOT EXISTS … WITH SCHEMA … VERSION …`.
    CreateExtension,
    DropExtension,
    /// `ALTER EXTENSION … UPDATE TO …` / `SET SCHEMA …`.
    AlterExtension,
    CreateCollation,
    DropCollation,
    CreateTextSearchConfig,
    DropTextSearchConfig,
    CreateEnum,
    AddEnumValue,
    DropEnum,
    CreateDomain,
    DropDomain,
    /// `ALTER DOMAIN … SET/DROP DEFAULT`, `SET/DROP NOT NULL`.
    AlterDomain,
    /// `ALTER DOMAIN … ADD CONSTRAINT …` (`NOT VALID`, validated by a `ValidateConstraint`).
    AddDomainConstraint,
    DropDomainConstraint,
    CreateCompositeType,
    DropCompositeType,
    /// `ALTER TYPE … ADD ATTRIBUTE`.
    AddAttribute,
    /// `ALTER TYPE … DROP ATTRIBUTE`.
    DropAttribute,
    /// `ALTER TYPE … ALTER ATTRIBUTE … SET DATA TYPE`.
    AlterAttribute,
    CreateRangeType,
    DropRangeType,
    CreateSequence,
    DropSequence,
    AlterSequence,
    CreateFunction,
    DropFunction,
    ReplaceFunction,
    CreateAggregate,
    DropAggregate,
    /// `CREATE OR REPLACE AGGREGATE`.
    ReplaceAggregate,
    CreateTable,
    DropTable,
    RenameTable,
    /// `ALTER TABLE parent ATTACH PARTITION … FOR VALUES …`.
    AttachPartition,
    DetachPartition,
    /// `ALTER TABLE … INHERIT parent`.
    Inherit,
    NoInherit,
    /// `ALTER TABLE … SET LOGGED` (hazard `table-rewrite`).
    SetLogged,
    /// `ALTER TABLE … SET UNLOGGED` (hazard `table-rewrite`).
    SetUnlogged,
    /// `ALTER TABLE … SET (…)` / `RESET (…)`: storage parameters.
    SetTableOptions,
    AddColumn,
    DropColumn,
    RenameColumn,
    AlterColumnType,
    AddIdentity,
    DropIdentity,
    AlterIdentity,
    SetNotNull,
    DropNotNull,
    SetDefault,
    DropDefault,
    CreateView,
    DropView,
    CreateMaterializedView,
    DropMaterializedView,
    CreateIndex,
    DropIndex,
    AddConstraint,
    DropConstraint,
    ValidateConstraint,
    /// `ALTER TABLE … ALTER CONSTRAINT … [NOT] DEFERRABLE …` (foreign keys).
    AlterConstraint,
    CreateTrigger,
    DropTrigger,
    CreatePolicy,
    DropPolicy,
    EnableRls,
    DisableRls,
    SetComment,
    /// A change the diff does not make, because PostgreSQL cannot alter the object in place and
    /// what uses it stays: its up and down are comments, its hazard `manual-step` says why.
    ManualStep,
    /// SQLite: a table re-created under its new definition and its rows copied (what SQLite's
    /// `ALTER TABLE` cannot do).
    RebuildTable,
}

/// A risk a change carries, named by a stable id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hazard {
    /// `data-loss`, `table-rewrite`, `not-null-backfill`, `possible-rename` or `manual-step`.
    pub id: &'static str,
    pub message: String,
}

/// One change: its up statements, the statements that undo it, and its hazards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    /// The object changed (a column change names its table; the column is in `column`).
    pub object: ObjectRef,
    pub column: Option<String>,
    pub up: Vec<String>,
    pub down: Vec<String>,
    pub hazards: Vec<Hazard>,
    /// Must run outside a transaction block (`CREATE INDEX CONCURRENTLY`).
    pub non_transactional: bool,
    /// Destroys data (dropped table or column): written only when destructive changes are allowed.
    pub destructive: bool,
}

/// The ordered changes from one model to another.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub changes: Vec<Change>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The up statements, in order.
    pub fn up(&self) -> Vec<String> {
        self.changes.iter().flat_map(|c| c.up.clone()).collect()
    }

    /// The down statements: each change's down, changes in reverse order.
    pub fn down(&self) -> Vec<String> {
        self.changes
            .iter()
            .rev()
            .flat_map(|c| c.down.clone())
            .collect()
    }
}

pub(super) fn change(
    kind: ChangeKind,
    object: ObjectRef,
    up: Vec<String>,
    down: Vec<String>,
) -> Change {
    Change {
        kind,
        object,
        column: None,
        up,
        down,
        hazards: Vec::new(),
        non_transactional: false,
        destructive: false,
    }
}

pub(super) fn hazard(id: &'static str, message: String) -> Hazard {
    Hazard { id, message }
}
