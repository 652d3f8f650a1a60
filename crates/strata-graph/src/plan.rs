//! Plans: the revisions to apply or revert, one [`Step`] each, with the heads before and after.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::TargetError;
use crate::graph::{list, Graph};
use crate::target::{Anchor, Target};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Up,
    Down,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Up => "up",
            Direction::Down => "down",
        })
    }
}

/// Applying (`Up`) or reverting (`Down`) one revision, and the database's heads around it (sorted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub revision: String,
    pub direction: Direction,
    pub heads_before: Vec<String>,
    pub heads_after: Vec<String>,
}

impl Step {
    /// Heads before the step that are not heads after it.
    pub fn removed_heads(&self) -> Vec<&str> {
        minus(&self.heads_before, &self.heads_after)
    }

    /// Heads after the step that were not heads before it.
    pub fn added_heads(&self) -> Vec<&str> {
        minus(&self.heads_after, &self.heads_before)
    }
}

fn minus<'a>(a: &'a [String], b: &[String]) -> Vec<&'a str> {
    a.iter()
        .filter(|x| !b.contains(x))
        .map(String::as_str)
        .collect()
}

impl Graph {
    /// From the database's heads to `target` (see the crate docs for the grammar). Upgrading to
    /// something already applied is an empty plan.
    pub fn plan_upgrade(
        &self,
        current_heads: &[String],
        target: &str,
    ) -> Result<Vec<Step>, TargetError> {
        let applied = self.applied_set(current_heads)?;
        self.upgrade_from(&applied, target)
    }

    /// From the database's heads down to `target`: everything applied that needs the target
    /// revision is reverted, children before parents.
    pub fn plan_downgrade(
        &self,
        current_heads: &[String],
        target: &str,
    ) -> Result<Vec<Step>, TargetError> {
        let applied = self.applied_set(current_heads)?;
        self.downgrade_from(&applied, target)
    }

    /// `FROM:TO` for offline SQL; FROM may be `base` or any upgrade/downgrade target.
    ///
    /// FROM is the state the database is assumed to be in: `base` (nothing applied) or the
    /// closure of what FROM names as an upgrade target from base (`head`, `heads`, a revision,
    /// `<label>@head`, `<revision>+N`...). A FROM relative to the current state (`+N`, `-N`) is
    /// an error, since offline there is no database.
    pub fn plan_range(
        &self,
        from: &str,
        to: &str,
        direction: Direction,
    ) -> Result<Vec<Step>, TargetError> {
        if let Target::Relative {
            anchor: None | Some(Anchor::Branch(_)),
            ..
        } = self.parse_target(from)?
        {
            return Err(TargetError::InvalidSyntax {
                target: from.to_string(),
                reason: "the start of a range cannot count from the database's current state (offline there is no database); give `base`, `head`, `heads`, a revision id, or count from a revision as in `<revision>+1`".to_string(),
            });
        }
        let nothing = BTreeSet::new();
        let start = self.upgrade_revisions(&nothing, from)?;
        let start = self.closure(start.iter().map(String::as_str));
        match direction {
            Direction::Up => self.upgrade_from(&start, to),
            Direction::Down => self.downgrade_from(&start, to),
        }
    }

    fn upgrade_from(
        &self,
        applied: &BTreeSet<String>,
        target: &str,
    ) -> Result<Vec<Step>, TargetError> {
        let wanted = self.upgrade_revisions(applied, target)?;
        let mut after = applied.clone();
        after.extend(self.closure(wanted.iter().map(String::as_str)));
        Ok(self.steps(applied, &after, Direction::Up))
    }

    fn downgrade_from(
        &self,
        applied: &BTreeSet<String>,
        target: &str,
    ) -> Result<Vec<Step>, TargetError> {
        let after = self.downgrade_state(applied, target)?;
        Ok(self.steps(applied, &after, Direction::Down))
    }

    /// One step per revision in `after \ before` (Up, topological order) or `before \ after`
    /// (Down, reverse topological order), tracking the heads incrementally.
    fn steps(
        &self,
        before: &BTreeSet<String>,
        after: &BTreeSet<String>,
        direction: Direction,
    ) -> Vec<Step> {
        let (changed, reverse): (BTreeSet<String>, bool) = match direction {
            Direction::Up => (after.difference(before).cloned().collect(), false),
            Direction::Down => (before.difference(after).cloned().collect(), true),
        };
        let mut applied = before.clone();
        let mut heads: BTreeSet<String> = self.heads_of(&applied).into_iter().collect();
        let mut steps = Vec::with_capacity(changed.len());
        for revision in self.order(&changed, reverse) {
            let heads_before: Vec<String> = heads.iter().cloned().collect();
            let parents = &self.nodes[&revision].parents;
            match direction {
                Direction::Up => {
                    // Everything it needs is applied and nothing applied is its child yet.
                    for p in parents {
                        heads.remove(p);
                    }
                    heads.insert(revision.clone());
                    applied.insert(revision.clone());
                }
                Direction::Down => {
                    // Everything that needed it is gone, so it is a head; its parents may become
                    // heads again.
                    heads.remove(&revision);
                    applied.remove(&revision);
                    for p in parents {
                        if applied.contains(p)
                            && !list(&self.children, p).iter().any(|c| applied.contains(c))
                        {
                            heads.insert(p.clone());
                        }
                    }
                }
            }
            steps.push(Step {
                revision,
                direction,
                heads_before,
                heads_after: heads.iter().cloned().collect(),
            });
        }
        steps
    }
}
