//! The two error types: problems in the migration tree itself ([`GraphError`]) and targets that
//! cannot be resolved or planned ([`TargetError`]). Every message is a complete sentence that says
//! what to do next.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::plan::Direction;

/// How one revision points at another on a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// The revision lists the other one as a parent (`revises`).
    Revises,
    /// The revision lists the other one in `depends_on`.
    DependsOn,
}

impl EdgeKind {
    fn verb(self) -> &'static str {
        match self {
            EdgeKind::Revises => "revises",
            EdgeKind::DependsOn => "depends on",
        }
    }
}

/// A problem in the revision tree found by [`crate::Graph::new`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum GraphError {
    #[error("revision {id} is defined more than once; every migration file needs its own id, so give one of them a new id")]
    DuplicateId { id: String },

    #[error("revision id `{id}` is not valid: an id must be non-empty and use only ASCII letters and digits")]
    InvalidId { id: String },

    #[error("revision {id} revises unknown revision {parent} (no migration file has that id)")]
    UnknownParent { id: String, parent: String },

    #[error(
        "revision {id} depends on unknown revision {dependency} (no migration file has that id)"
    )]
    UnknownDependency { id: String, dependency: String },

    #[error(
        "revision {id} lists revision {parent} as a parent more than once; list each parent once"
    )]
    DuplicateParent { id: String, parent: String },

    #[error("revision {id} lists revision {dependency} in depends-on more than once; list each dependency once")]
    DuplicateDependency { id: String, dependency: String },

    /// `ids[i]` points at `ids[i + 1]` (and the last one at `ids[0]`) the way `links[i]` says.
    #[error("{}", describe_cycle(.ids, .links))]
    Cycle {
        ids: Vec<String>,
        links: Vec<EdgeKind>,
    },

    /// `id` is the later revision (in id order) carrying the label, `other` the earlier one.
    #[error("branch label `{label}` is carried by both revision {other} and revision {id}; a label must name exactly one revision, so remove or rename one of them")]
    DuplicateLabel {
        label: String,
        id: String,
        other: String,
    },

    #[error("revision {id} has an invalid branch label `{label}`: a label must be non-empty and use only ASCII letters, digits, `_` and `-`")]
    InvalidLabel { id: String, label: String },

    #[error("revision {id} has the branch label `{label}`, which is reserved for targets (`head`, `heads`, `base`); choose another label")]
    ReservedLabel { id: String, label: String },

    #[error("revision {id} has the branch label `{label}`, which is also the id of revision {label}; a label must differ from every revision id, so choose another label")]
    LabelIsRevisionId { id: String, label: String },
}

impl GraphError {
    /// The revisions involved; the one the problem is reported against comes first.
    pub fn ids(&self) -> Vec<&str> {
        match self {
            GraphError::DuplicateId { id } | GraphError::InvalidId { id } => vec![id],
            GraphError::UnknownParent { id, parent }
            | GraphError::DuplicateParent { id, parent } => {
                vec![id, parent]
            }
            GraphError::UnknownDependency { id, dependency }
            | GraphError::DuplicateDependency { id, dependency } => vec![id, dependency],
            GraphError::Cycle { ids, .. } => ids.iter().map(String::as_str).collect(),
            GraphError::DuplicateLabel { id, other, .. } => vec![id, other],
            GraphError::InvalidLabel { id, .. } | GraphError::ReservedLabel { id, .. } => vec![id],
            GraphError::LabelIsRevisionId { id, label } => vec![id, label],
        }
    }
}

fn describe_cycle(ids: &[String], links: &[EdgeKind]) -> String {
    let link = |i: usize| {
        let next = &ids[(i + 1) % ids.len()];
        let kind = links.get(i).copied().unwrap_or(EdgeKind::Revises);
        format!("{} {} {}", ids[i], kind.verb(), next)
    };
    if ids.len() == 1 {
        return format!(
            "revision {} {} itself, so it can never be applied; remove that link",
            ids[0],
            links.first().copied().unwrap_or(EdgeKind::Revises).verb()
        );
    }
    let chain: Vec<String> = (0..ids.len()).map(link).collect();
    format!(
        "revisions {} form a cycle ({}), so none of them can ever be applied; remove one of these links",
        and_list(ids),
        chain.join(", ")
    )
}

/// A target that cannot be resolved, or a plan that cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TargetError {
    #[error("no target given: name a revision id (or a unique prefix of one), a branch label, `head`, `heads`, `base`, `<label>@head`, `<label>@base`, or a relative step such as `+1` or `-1`")]
    Empty,

    #[error("invalid target `{target}`: {reason}")]
    InvalidSyntax { target: String, reason: String },

    #[error("invalid target `{target}`: the number of steps after `+` or `-` must be a whole number of at least 1 (for example `+1`, `-2` or `<revision>+1`)")]
    InvalidStepCount { target: String },

    #[error("no revision matches `{name}`{}: it is not a revision id, the start of one, or a branch label; run `strata history` to list the revisions", in_target(.name, .target))]
    UnknownRevision { target: String, name: String },

    #[error("`{name}`{} is ambiguous: it is the start of {} revision ids ({}); type more of the id", in_target(.name, .target), .candidates.len(), short_list(.candidates))]
    AmbiguousPrefix {
        target: String,
        name: String,
        candidates: Vec<String>,
    },

    #[error("no revision has the branch label `{label}`{}; {}", in_target(.label, .target), known_labels(.known))]
    UnknownLabel {
        target: String,
        label: String,
        known: Vec<String>,
    },

    #[error("target `{target}` names no revision because there are no migrations yet; create a migration first")]
    NoRevisions { target: String },

    #[error("target `{target}` is ambiguous: the migrations have {} heads ({}); use `heads` to upgrade all of them, `<label>@head` to pick one branch, or `strata merge` to join them into a single head", .heads.len(), .heads.join(", "))]
    MultipleHeads { target: String, heads: Vec<String> },

    #[error("target `{target}` is ambiguous: {} heads descend from revision {revision} ({}); name one of them by id, or join them with `strata merge`", .heads.len(), .heads.join(", "))]
    MultipleBranchHeads {
        target: String,
        branch: String,
        revision: String,
        heads: Vec<String>,
    },

    #[error("`{target}` cannot be a downgrade target: it names every branch tip and can only be upgraded to; to downgrade, give a revision id, `-N`, `<label>@base` or `base`")]
    HeadsInDowngrade { target: String },

    #[error("{}", wrong_direction(.target, *.used_for))]
    WrongDirection { target: String, used_for: Direction },

    #[error("the database is at revision {id}, but no migration file has that id; restore the missing migration file, or run `strata verify` to see how the database and the migrations differ")]
    UnknownCurrentRevision { id: String },

    #[error("{}", multiple_current_heads(.target, .heads, *.steps_done))]
    MultipleCurrentHeads {
        target: String,
        heads: Vec<String>,
        steps_done: usize,
    },

    #[error("target `{target}` is ambiguous: nothing is applied and there are {} root revisions ({}); upgrade to one of them by id", .roots.len(), .roots.join(", "))]
    AmbiguousRoot { target: String, roots: Vec<String> },

    #[error("target `{target}` is ambiguous: revision {revision} has {} children ({}), so a step up could go to either; name the revision you want by id", .children.len(), .children.join(", "))]
    AmbiguousChild {
        target: String,
        revision: String,
        children: Vec<String>,
    },

    #[error("target `{target}` is ambiguous: revision {revision} is a merge of {}, so a step back could go to either; name the revision you want by id", and_list(.parents))]
    AmbiguousParent {
        target: String,
        revision: String,
        parents: Vec<String>,
    },

    #[error("target `{target}` goes past the head: it asks for {} up, but only {possible} {} possible{}; use `head` (or `<label>@head`) to go to the newest revision", steps(*.requested), is_are(*.possible), past_head_reason(.head))]
    PastHead {
        target: String,
        requested: usize,
        possible: usize,
        head: Option<String>,
    },

    #[error("target `{target}` goes past base: it asks for {} down, but only {possible} {} possible{}; use `base` to downgrade everything", steps(*.requested), is_are(*.possible), past_base_reason(.root))]
    PastBase {
        target: String,
        requested: usize,
        possible: usize,
        root: Option<String>,
    },

    #[error("cannot downgrade to `{target}`: revision {revision} is not applied, so there is nothing to go back to; to apply it, run `strata upgrade {target}`")]
    NotApplied { target: String, revision: String },
}

impl TargetError {
    /// The target text the error is about (`None` for [`TargetError::Empty`] and
    /// [`TargetError::UnknownCurrentRevision`], which is about the database's state).
    pub fn target(&self) -> Option<&str> {
        match self {
            TargetError::Empty | TargetError::UnknownCurrentRevision { .. } => None,
            TargetError::InvalidSyntax { target, .. }
            | TargetError::InvalidStepCount { target }
            | TargetError::UnknownRevision { target, .. }
            | TargetError::AmbiguousPrefix { target, .. }
            | TargetError::UnknownLabel { target, .. }
            | TargetError::NoRevisions { target }
            | TargetError::MultipleHeads { target, .. }
            | TargetError::MultipleBranchHeads { target, .. }
            | TargetError::HeadsInDowngrade { target }
            | TargetError::WrongDirection { target, .. }
            | TargetError::MultipleCurrentHeads { target, .. }
            | TargetError::AmbiguousRoot { target, .. }
            | TargetError::AmbiguousChild { target, .. }
            | TargetError::AmbiguousParent { target, .. }
            | TargetError::PastHead { target, .. }
            | TargetError::PastBase { target, .. }
            | TargetError::NotApplied { target, .. } => Some(target),
        }
    }
}

fn in_target(part: &str, target: &str) -> String {
    if part == target {
        String::new()
    } else {
        format!(" (in target `{target}`)")
    }
}

/// At most ten items, then how many more.
fn short_list(items: &[String]) -> String {
    const MAX: usize = 10;
    if items.len() <= MAX {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..MAX].join(", "), items.len() - MAX)
    }
}

fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn known_labels(known: &[String]) -> String {
    if known.is_empty() {
        "no revision carries a branch label; use a revision id instead".to_string()
    } else {
        format!("the known labels are {}", known.join(", "))
    }
}

fn steps(n: usize) -> String {
    if n == 1 {
        "1 step".to_string()
    } else {
        format!("{n} steps")
    }
}

fn is_are(n: usize) -> &'static str {
    if n == 1 {
        "is"
    } else {
        "are"
    }
}

fn past_head_reason(head: &Option<String>) -> String {
    match head {
        Some(h) => format!(" (revision {h} has no children)"),
        None => " (there are no revisions)".to_string(),
    }
}

fn past_base_reason(root: &Option<String>) -> String {
    match root {
        Some(r) => format!(" (revision {r} is a root: it revises nothing)"),
        None => String::new(),
    }
}

fn wrong_direction(target: &str, used_for: Direction) -> String {
    match used_for {
        Direction::Up => format!(
            "`{target}` is a downgrade step and cannot be an upgrade target; run `strata downgrade {target}` instead"
        ),
        Direction::Down => format!(
            "`{target}` is an upgrade step and cannot be a downgrade target; run `strata upgrade {target}` instead"
        ),
    }
}

fn multiple_current_heads(target: &str, heads: &[String], steps_done: usize) -> String {
    if steps_done == 0 {
        format!(
            "target `{target}` counts from the current revision, but the database has {} heads ({}); give an explicit revision id (or `<label>@head`) instead",
            heads.len(),
            heads.join(", ")
        )
    } else {
        format!(
            "target `{target}` is ambiguous after {}: the database would then have {} heads ({}); downgrade to an explicit revision id instead",
            steps(steps_done),
            heads.len(),
            heads.join(", ")
        )
    }
}
