//! The changes a plan is made of: [`Change`], with its [`ChangeKind`], [`Hazard`]s and the typed
//! facts the migration split reads ([`Change::validation`], [`Change::unique_index`],
//! [`Change::foreign_key`], [`Change::renames`]), and the ordered [`Plan`].

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
    CreateStatistics,
    DropStatistics,
    /// `ALTER STATISTICS … SET STATISTICS n`.
    AlterStatistics,
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
    /// `GRANT`, or a revoked default privilege given back.
    Grant,
    /// `REVOKE`.
    Revoke,
    /// `ALTER … OWNER TO`.
    AlterOwner,
    /// `ALTER DEFAULT PRIVILEGES FOR ROLE r [IN SCHEMA s] GRANT | REVOKE …`: its object is a
    /// schema ref whose name is the role and whose schema is the `IN SCHEMA` one, if any.
    AlterDefaultPrivileges,
    /// A change the diff does not make, because PostgreSQL cannot alter the object in place and
    /// what uses it stays: its up and down are comments, its hazard `manual-step` says why.
    ManualStep,
    /// SQLite: a table re-created under its new definition and its rows copied (what SQLite's
    /// `ALTER TABLE` cannot do).
    RebuildTable,
}

/// The kind of risk a hazard names. Its text ([`HazardId::as_str`]) is what scripts, generated
/// files and JSON show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum HazardId {
    /// A table or column is dropped (or an enum loses labels): its data is gone.
    DataLoss,
    /// The table is rewritten under an ACCESS EXCLUSIVE lock.
    TableRewrite,
    /// A NOT NULL column without a default is added to an existing table.
    NotNullBackfill,
    /// A column dropped and one of the same type added on the same table.
    PossibleRename,
    /// A change the diff does not make: a person writes it.
    ManualStep,
    /// A table or column is renamed (from a hint): clients that use the old name fail from then
    /// on.
    Rename,
    /// A foreign key is dropped: from then on nothing stops rows that reference missing rows.
    IntegrityLoss,
    /// A column accepts NULL from then on: readers that expect a value meet NULLs.
    NullsAllowed,
    /// A constraint on a domain is added, validated or set (`NOT NULL`): every column of the
    /// domain in every table is checked while writes to those tables wait (a domain has no
    /// form that does not block them); a `CHECK` created with a domain can only change that way.
    BlockingValidation,
    /// A partition is detached without `CONCURRENTLY` on PostgreSQL 14+: ACCESS EXCLUSIVE on the
    /// parent while it waits for running queries.
    BlockingDetach,
}

impl HazardId {
    pub const ALL: [HazardId; 10] = [
        HazardId::DataLoss,
        HazardId::TableRewrite,
        HazardId::NotNullBackfill,
        HazardId::PossibleRename,
        HazardId::ManualStep,
        HazardId::Rename,
        HazardId::IntegrityLoss,
        HazardId::NullsAllowed,
        HazardId::BlockingValidation,
        HazardId::BlockingDetach,
    ];

    /// The stable id: `data-loss`, `table-rewrite`, `not-null-backfill`, `possible-rename`,
    /// `manual-step`, `rename`, `integrity-loss`, `nulls-allowed`, `blocking-validation`,
    /// `blocking-detach`.
    pub fn as_str(self) -> &'static str {
        match self {
            HazardId::DataLoss => "data-loss",
            HazardId::TableRewrite => "table-rewrite",
            HazardId::NotNullBackfill => "not-null-backfill",
            HazardId::PossibleRename => "possible-rename",
            HazardId::ManualStep => "manual-step",
            HazardId::Rename => "rename",
            HazardId::IntegrityLoss => "integrity-loss",
            HazardId::NullsAllowed => "nulls-allowed",
            HazardId::BlockingValidation => "blocking-validation",
            HazardId::BlockingDetach => "blocking-detach",
        }
    }
}

impl std::fmt::Display for HazardId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for HazardId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for HazardId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

/// A risk a change carries, named by a stable id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hazard {
    pub id: HazardId,
    pub message: String,
}

/// Statements and the statements that undo just them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Part {
    pub up: Vec<String>,
    pub down: Vec<String>,
    /// Must run outside a transaction block (`CREATE UNIQUE INDEX CONCURRENTLY`).
    pub non_transactional: bool,
}

/// A change that runs in two migrations: its early part with the other changes of the plan, its
/// validating part (a validation that scans the table, and what needs it) in the migration after
/// them, so that the scan does not run under the lock the early part took. Each part carries the
/// down that undoes just it. Together their ups are the change's `up`; the change's own `down`
/// undoes the whole change at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validation {
    pub early: Part,
    pub validating: Part,
}

/// One change: its up statements, the statements that undo it, its hazards, and what the split
/// into migration files needs to know about it.
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
    /// Set when the change is split across two migrations (`SET NOT NULL` through a validated
    /// check): which statements are the early part and which the validating one.
    pub validation: Option<Validation>,
    /// A `CreateIndex` of a unique index (a foreign key may need it built first).
    pub unique_index: bool,
    /// An `AddConstraint` of a foreign key.
    pub foreign_key: bool,
    /// The rename hints (`(old, new)` as given in [`DiffOptions::renames`](super::DiffOptions))
    /// this change carries out.
    pub renames: Vec<(String, String)>,
    /// What it does can only be used once it is committed (`ALTER TYPE … ADD VALUE`: a new label
    /// cannot be used in the transaction that added it): it runs in a transaction of its own,
    /// before the changes that may use it.
    pub own_transaction: bool,
    /// Needs what the validating migration establishes (`ADD GENERATED … AS IDENTITY` needs the
    /// `NOT NULL` its column gets there): it runs after it, in the same migration.
    pub after_validation: bool,
    /// Set when no down can be written: why (`down` is then empty).
    pub irreversible: Option<String>,
    /// Set when the down refuses to run (fails) while data depends on what the up added: what
    /// it loses or needs (`down` is written all the same).
    pub destructive_downgrade: Option<String>,
}

impl Change {
    /// Whether the change carries a hazard of this kind.
    pub fn has_hazard(&self, id: HazardId) -> bool {
        self.hazards.iter().any(|h| h.id == id)
    }
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

pub(crate) fn change(
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
        validation: None,
        unique_index: false,
        foreign_key: false,
        renames: Vec::new(),
        own_transaction: false,
        after_validation: false,
        irreversible: None,
        destructive_downgrade: None,
    }
}

pub(crate) fn hazard(id: HazardId, message: String) -> Hazard {
    Hazard { id, message }
}
