//! The target grammar and how each target resolves against the graph and the current state.
//!
//! ```text
//! head | heads | base                  keywords
//! <id> | <id prefix> | <label>          one revision (exact id, then exact label, then unique prefix)
//! <name>@head | <name>@base             name = a label (or an id / prefix)
//! +N | -N                               relative to the database's current state
//! <anchor>+N | <anchor>-N               anchor = head, <name>@head, an id, prefix or label
//! <name>@+N | <name>@-N                 relative to what is applied on the branch of <name>
//! ```
//!
//! The branch of `<name>` is the named revision and every revision descending from it (over
//! parents). `<name>@+N` counts N steps up from the branch's applied head (from before the named
//! revision when none of the branch is applied); `<name>@-N` counts N steps down from it, the last
//! possible step reverting the named revision itself (as `<name>@base` does).
//!
//! Ids are `[A-Za-z0-9]+` and labels `[A-Za-z0-9_-]+`, so a relative step is recognised only at
//! the last `+`/`-` that is followed by digits alone (`release-2@head-1` = one step down from the
//! head of the `release-2` branch). A text that is exactly a label is always that label.

use std::collections::BTreeSet;

use crate::error::TargetError;
use crate::graph::{list, Graph};
use crate::plan::Direction;
use crate::validate::valid_label;

/// A parsed target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Head,
    Heads,
    Base,
    /// An id, a unique prefix of one, or a branch label.
    Revision(String),
    /// `name@head`: the single head among the descendants of the named revision.
    BranchHead(String),
    /// `name@base`: the state in which the named revision is not applied.
    BranchBase(String),
    /// `+N`, `-N` (no anchor: from the current state), `anchor+N`, `anchor-N`.
    Relative {
        anchor: Option<Anchor>,
        direction: Direction,
        steps: usize,
    },
}

/// What an `X+N` / `X-N` target counts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    Head,
    Revision(String),
    BranchHead(String),
    /// `name@`: the applied head of the branch that starts at the named revision.
    Branch(String),
}

fn syntax(target: &str, reason: impl Into<String>) -> TargetError {
    TargetError::InvalidSyntax {
        target: target.to_string(),
        reason: reason.into(),
    }
}

const EXPECTED: &str = "expected a revision id or a unique prefix of one, a branch label, `head`, `heads`, `base`, `<label>@head`, `<label>@base`, `<label>@+N`, `<label>@-N`, `+N`, `-N`, `<revision>+N` or `<revision>-N`";

impl Target {
    /// Parses the grammar without looking at any graph (see [`Graph::parse_target`], which also
    /// recognises labels that end in `-<digits>`).
    pub fn parse(text: &str) -> Result<Target, TargetError> {
        match text {
            "" => return Err(TargetError::Empty),
            "head" => return Ok(Target::Head),
            "heads" => return Ok(Target::Heads),
            "base" => return Ok(Target::Base),
            _ => {}
        }
        if let Some(i) = text.rfind(['+', '-']) {
            let (prefix, sign, digits) = (&text[..i], &text[i..i + 1], &text[i + 1..]);
            let direction = if sign == "+" {
                Direction::Up
            } else {
                Direction::Down
            };
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                let steps = digits
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| TargetError::InvalidStepCount {
                        target: text.to_string(),
                    })?;
                let anchor = if prefix.is_empty() {
                    None
                } else {
                    Some(parse_anchor(prefix, text)?)
                };
                return Ok(Target::Relative {
                    anchor,
                    direction,
                    steps,
                });
            }
            // `+` never appears in an id or a label; a `-` may, inside a label.
            if sign == "+" || prefix.is_empty() || digits.is_empty() {
                return Err(TargetError::InvalidStepCount {
                    target: text.to_string(),
                });
            }
        }
        parse_named(text, text)
    }
}

/// `name@head`, `name@base` or a bare name.
fn parse_named(part: &str, text: &str) -> Result<Target, TargetError> {
    if let Some((name, kind)) = part.split_once('@') {
        if !valid_label(name) {
            return Err(syntax(
                text,
                format!("`{name}` before `@` is not a branch label or revision id; {EXPECTED}"),
            ));
        }
        return match kind {
            "head" => Ok(Target::BranchHead(name.to_string())),
            "base" => Ok(Target::BranchBase(name.to_string())),
            "" => Err(syntax(
                text,
                format!("nothing follows `@`: expected `head`, `base`, `+N` or `-N` (as in `{name}@head` or `{name}@-1`)"),
            )),
            _ => Err(syntax(
                text,
                format!("after `@` expected `head`, `base`, `+N` or `-N`, not `{kind}` (as in `{name}@head` or `{name}@-1`)"),
            )),
        };
    }
    if valid_label(part) {
        Ok(Target::Revision(part.to_string()))
    } else {
        Err(syntax(text, EXPECTED))
    }
}

fn parse_anchor(prefix: &str, text: &str) -> Result<Anchor, TargetError> {
    let reason = "a relative step needs one revision to count from: `head`, `<label>@head`, a revision id or prefix, or a label (or nothing, to count from the current state)";
    if let Some(name) = prefix.strip_suffix('@') {
        if name.is_empty() {
            return Err(syntax(
                text,
                "nothing before `@`: name a branch label or revision id, as in `<label>@-1`",
            ));
        }
        if !valid_label(name) {
            return Err(syntax(
                text,
                format!("`{name}` before `@` is not a branch label or revision id; {EXPECTED}"),
            ));
        }
        return Ok(Anchor::Branch(name.to_string()));
    }
    match prefix {
        "head" => Ok(Anchor::Head),
        "heads" | "base" => Err(syntax(
            text,
            format!("`{prefix}` cannot be counted from; {reason}"),
        )),
        _ => match parse_named(prefix, text)? {
            Target::Revision(name) => Ok(Anchor::Revision(name)),
            Target::BranchHead(name) => Ok(Anchor::BranchHead(name)),
            _ => Err(syntax(
                text,
                format!("`{prefix}` cannot be counted from; {reason}"),
            )),
        },
    }
}

impl Graph {
    /// [`Target::parse`], except that a text which is exactly a branch label is that label.
    pub fn parse_target(&self, text: &str) -> Result<Target, TargetError> {
        if self.labels.contains_key(text) {
            return Ok(Target::Revision(text.to_string()));
        }
        Target::parse(text)
    }

    /// An exact id, an exact branch label, or a unique prefix of an id, in that order.
    pub fn resolve(&self, text: &str) -> Result<&str, TargetError> {
        if text.is_empty() {
            return Err(TargetError::Empty);
        }
        self.resolve_in(text, text)
    }

    /// Any target that names one revision without looking at the database: an id, prefix or
    /// label, `head`, `<label>@head`, `<anchor>+N` / `<anchor>-N`.
    pub fn resolve_revision(&self, text: &str) -> Result<&str, TargetError> {
        let target = self.parse_target(text)?;
        self.single(&target, text)
    }

    /// `name` as part of `target`.
    fn resolve_in(&self, name: &str, target: &str) -> Result<&str, TargetError> {
        if let Some((id, _)) = self.nodes.get_key_value(name) {
            return Ok(id);
        }
        if let Some(id) = self.labels.get(name) {
            return Ok(id);
        }
        let candidates: Vec<&String> = self
            .nodes
            .range::<str, _>((std::ops::Bound::Included(name), std::ops::Bound::Unbounded))
            .map(|(id, _)| id)
            .take_while(|id| id.starts_with(name))
            .collect();
        match candidates.as_slice() {
            [] => Err(TargetError::UnknownRevision {
                target: target.to_string(),
                name: name.to_string(),
                suggestion: self.closest(name, name == target),
            }),
            [one] => Ok(one),
            many => Err(TargetError::AmbiguousPrefix {
                target: target.to_string(),
                name: name.to_string(),
                candidates: many.iter().map(|s| s.to_string()).collect(),
            }),
        }
    }

    /// The keyword, label or revision id closest to a `name` that matches nothing, when one is
    /// close enough to be a typo of it: `hed` → `head`, `ordres` → `orders`. An id also counts as
    /// close when its start is (`2026112514300x` → `20261125143000`). `whole`: the name is the
    /// whole target, so `heads` and `base` are candidates too (otherwise only `head`, the one
    /// keyword that can be counted from).
    fn closest(&self, name: &str, whole: bool) -> Option<String> {
        let length = name.chars().count();
        let limit = (length / 3).clamp(1, 3);
        let keywords: &[&str] = if whole {
            &["head", "heads", "base"]
        } else {
            &["head"]
        };
        let distance = strata_core::edit_distance;
        // Ranked by distance, then by how long a start they share with `name`.
        let shared = |c: &str| {
            name.chars()
                .zip(c.chars())
                .take_while(|(a, b)| a == b)
                .count()
        };
        let mut candidates: Vec<(usize, std::cmp::Reverse<usize>, &str)> = keywords
            .iter()
            .copied()
            .chain(self.labels.keys().map(String::as_str))
            .map(|c| (distance(name, c), c))
            .chain(self.nodes.keys().map(|id| {
                let mut d = distance(name, id);
                if length >= 4 {
                    let start: String = id.chars().take(length).collect();
                    d = d.min(distance(name, &start));
                }
                (d, id.as_str())
            }))
            .filter(|(d, c)| *d <= limit && *d < c.chars().count())
            .map(|(d, c)| (d, std::cmp::Reverse(shared(c)), c))
            .collect();
        candidates.sort();
        candidates.first().map(|(_, _, c)| c.to_string())
    }

    /// The revision named before `@`: a label first, else an id or prefix.
    fn branch_revision(&self, name: &str, target: &str) -> Result<&str, TargetError> {
        if let Some(id) = self.labels.get(name) {
            return Ok(id);
        }
        match self.resolve_in(name, target) {
            Ok(id) => Ok(id),
            Err(e @ TargetError::AmbiguousPrefix { .. }) => Err(e),
            Err(_) => Err(TargetError::UnknownLabel {
                target: target.to_string(),
                label: name.to_string(),
                known: self.labels.keys().cloned().collect(),
            }),
        }
    }

    fn single_head(&self, target: &str) -> Result<&str, TargetError> {
        match self.heads().as_slice() {
            [] => Err(TargetError::NoRevisions {
                target: target.to_string(),
            }),
            [one] => Ok(one),
            many => Err(TargetError::MultipleHeads {
                target: target.to_string(),
                heads: many.iter().map(|s| s.to_string()).collect(),
            }),
        }
    }

    /// The single head among the revisions descending (over parents) from the named one.
    fn branch_head(&self, name: &str, target: &str) -> Result<&str, TargetError> {
        let revision = self.branch_revision(name, target)?;
        let mut heads = Vec::new();
        let mut seen = BTreeSet::new();
        let mut stack = vec![revision];
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            let children = list(&self.children, id);
            if children.is_empty() {
                heads.push(id);
            }
            stack.extend(children.iter().map(String::as_str));
        }
        heads.sort_unstable();
        match heads.as_slice() {
            [one] => Ok(one),
            many => Err(TargetError::MultipleBranchHeads {
                target: target.to_string(),
                branch: name.to_string(),
                revision: revision.to_string(),
                heads: many.iter().map(|s| s.to_string()).collect(),
            }),
        }
    }

    /// A target that names exactly one revision, independent of the current state.
    fn single(&self, target: &Target, text: &str) -> Result<&str, TargetError> {
        match target {
            Target::Head => self.single_head(text),
            Target::Revision(name) => self.resolve_in(name, text),
            Target::BranchHead(name) => self.branch_head(name, text),
            Target::Relative { anchor: Some(Anchor::Branch(name)), .. } => {
                self.branch_revision(name, text)?;
                Err(syntax(
                    text,
                    format!("it counts from what is applied on branch `{name}`, which is not known here; give a revision id, or count from one, as in `{name}@head-1`"),
                ))
            }
            Target::Relative { anchor: Some(anchor), direction, steps } => {
                let start = match anchor {
                    Anchor::Head => self.single_head(text)?,
                    Anchor::Revision(name) => self.resolve_in(name, text)?,
                    Anchor::BranchHead(name) => self.branch_head(name, text)?,
                    Anchor::Branch(_) => unreachable!("matched above"),
                };
                match direction {
                    Direction::Up => self.walk_up(Some(start), *steps, text),
                    Direction::Down => self.walk_down(start, *steps, text),
                }
            }
            Target::Heads | Target::Base | Target::BranchBase(_) => Err(syntax(
                text,
                "it does not name a single revision; give a revision id, `head`, `<label>@head` or `<revision>+N`",
            )),
            Target::Relative { anchor: None, .. } => Err(syntax(
                text,
                "it counts from the database's current state, which is not known here; give a revision id, or count from one, as in `<revision>+1`",
            )),
        }
    }

    /// `steps` unique children up from `start` (`None` = base: the first step is the unique root).
    fn walk_up<'a>(
        &'a self,
        start: Option<&'a str>,
        steps: usize,
        text: &str,
    ) -> Result<&'a str, TargetError> {
        let path = self.walk_up_path(start, steps, text)?;
        Ok(path.last().copied().expect("steps >= 1"))
    }

    /// The revisions [`Graph::walk_up`] passes through, in order; its answer is the last.
    fn walk_up_path<'a>(
        &'a self,
        start: Option<&'a str>,
        steps: usize,
        text: &str,
    ) -> Result<Vec<&'a str>, TargetError> {
        let mut at = start;
        let mut path = Vec::with_capacity(steps);
        for done in 0..steps {
            let next: Vec<&str> = match at {
                None => self.bases(),
                Some(id) => list(&self.children, id)
                    .iter()
                    .map(String::as_str)
                    .collect(),
            };
            at = Some(match next.as_slice() {
                [one] => one,
                [] => {
                    return Err(TargetError::PastHead {
                        target: text.to_string(),
                        requested: steps,
                        possible: done,
                        head: at.map(str::to_string),
                    })
                }
                many => {
                    let many = many.iter().map(|s| s.to_string()).collect();
                    return Err(match at {
                        None => TargetError::AmbiguousRoot {
                            target: text.to_string(),
                            roots: many,
                        },
                        Some(id) => TargetError::AmbiguousChild {
                            target: text.to_string(),
                            revision: id.to_string(),
                            children: many,
                        },
                    });
                }
            });
            path.extend(at);
        }
        Ok(path)
    }

    /// The branch of `name`: the revision it names and every revision descending from it over
    /// parents, with that revision.
    fn branch(&self, name: &str, text: &str) -> Result<(&str, BTreeSet<String>), TargetError> {
        let revision = self.branch_revision(name, text)?;
        Ok((revision, self.walk([revision], &self.children)))
    }

    /// The applied head of the branch of `name` (`None`: nothing of it is applied).
    fn branch_current<'a>(
        &'a self,
        applied: &BTreeSet<String>,
        name: &str,
        text: &str,
    ) -> Result<(&'a str, Option<&'a str>), TargetError> {
        let (revision, branch) = self.branch(name, text)?;
        let on_branch: BTreeSet<String> = branch.intersection(applied).cloned().collect();
        let heads: Vec<String> = on_branch
            .iter()
            .filter(|id| {
                !list(&self.children, id)
                    .iter()
                    .any(|c| on_branch.contains(c))
            })
            .cloned()
            .collect();
        match heads.as_slice() {
            [] => Ok((revision, None)),
            [one] => Ok((
                revision,
                Some(self.nodes.get_key_value(one).expect("known").0.as_str()),
            )),
            _ => Err(TargetError::MultipleBranchCurrentHeads {
                target: text.to_string(),
                branch: name.to_string(),
                heads,
            }),
        }
    }

    /// `<name>@+N`: the revisions counted, from the branch's applied head (or from before the
    /// named revision when nothing of the branch is applied).
    fn branch_up_path<'a>(
        &'a self,
        applied: &BTreeSet<String>,
        name: &str,
        steps: usize,
        text: &str,
    ) -> Result<Vec<&'a str>, TargetError> {
        match self.branch_current(applied, name, text)? {
            (_, Some(head)) => self.walk_up_path(Some(head), steps, text),
            (revision, None) if steps == 1 => Ok(vec![revision]),
            (revision, None) => {
                let mut path = vec![revision];
                match self.walk_up_path(Some(revision), steps - 1, text) {
                    Ok(rest) => path.extend(rest),
                    Err(TargetError::PastHead {
                        target,
                        requested,
                        possible,
                        head,
                    }) => {
                        return Err(TargetError::PastHead {
                            target,
                            requested: requested + 1,
                            possible: possible + 1,
                            head,
                        })
                    }
                    Err(e) => return Err(e),
                }
                Ok(path)
            }
        }
    }

    /// `<name>@-N`: what stays applied after counting N steps down the branch from its applied
    /// head; the step down from the named revision reverts it (the branch's base).
    fn branch_down_state(
        &self,
        applied: &BTreeSet<String>,
        name: &str,
        steps: usize,
        text: &str,
    ) -> Result<BTreeSet<String>, TargetError> {
        let (revision, head) = self.branch_current(applied, name, text)?;
        let Some(head) = head else {
            return Err(TargetError::BranchNotApplied {
                target: text.to_string(),
                branch: name.to_string(),
                revision: revision.to_string(),
            });
        };
        let mut at = head;
        for done in 0..steps {
            if at == revision {
                if done + 1 < steps {
                    return Err(TargetError::PastBranchBase {
                        target: text.to_string(),
                        branch: name.to_string(),
                        requested: steps,
                        possible: done + 1,
                    });
                }
                let gone = self.descendants(revision);
                return Ok(applied.difference(&gone).cloned().collect());
            }
            at = match self.nodes[at].parents.as_slice() {
                [one] => one,
                many => {
                    return Err(TargetError::AmbiguousParent {
                        target: text.to_string(),
                        revision: at.to_string(),
                        parents: many.to_vec(),
                    })
                }
            };
        }
        let mut gone = self.descendants(at);
        gone.remove(at);
        Ok(applied.difference(&gone).cloned().collect())
    }

    /// For an upgrade target that counts steps up (`+N`, `<revision>+N`, `<label>@+N`): the N
    /// revisions it counts from the database's heads, in order; the last is where it lands. An
    /// upgrade applies these and everything they need that is not applied yet (the other parents
    /// of a merge, depends-on), so a plan can be longer than N. `None` for any other target.
    pub fn counted_steps(
        &self,
        current_heads: &[String],
        text: &str,
    ) -> Result<Option<Vec<String>>, TargetError> {
        let applied = self.applied_set(current_heads)?;
        let owned = |path: Vec<&str>| Some(path.into_iter().map(str::to_string).collect());
        match self.parse_target(text)? {
            Target::Relative {
                anchor,
                direction: Direction::Up,
                steps,
            } => Ok(match anchor {
                None => {
                    let start = match self.heads_of(&applied).as_slice() {
                        [] => None,
                        [one] => Some(self.nodes.get_key_value(one).expect("known").0.as_str()),
                        _ => return Ok(None),
                    };
                    owned(self.walk_up_path(start, steps, text)?)
                }
                Some(Anchor::Branch(name)) => {
                    owned(self.branch_up_path(&applied, &name, steps, text)?)
                }
                Some(Anchor::Head) => {
                    owned(self.walk_up_path(Some(self.single_head(text)?), steps, text)?)
                }
                Some(Anchor::Revision(name)) => {
                    owned(self.walk_up_path(Some(self.resolve_in(&name, text)?), steps, text)?)
                }
                Some(Anchor::BranchHead(name)) => {
                    owned(self.walk_up_path(Some(self.branch_head(&name, text)?), steps, text)?)
                }
            }),
            _ => Ok(None),
        }
    }

    /// `steps` unique parents down from `start`.
    fn walk_down<'a>(
        &'a self,
        start: &'a str,
        steps: usize,
        text: &str,
    ) -> Result<&'a str, TargetError> {
        let mut at = start;
        for done in 0..steps {
            at = match self.nodes[at].parents.as_slice() {
                [one] => one,
                [] => {
                    return Err(TargetError::PastBase {
                        target: text.to_string(),
                        requested: steps,
                        possible: done,
                        root: Some(at.to_string()),
                    })
                }
                many => {
                    return Err(TargetError::AmbiguousParent {
                        target: text.to_string(),
                        revision: at.to_string(),
                        parents: many.to_vec(),
                    })
                }
            };
        }
        Ok(at)
    }

    /// The revisions an upgrade must reach (their closure is added to `applied`).
    pub(crate) fn upgrade_revisions(
        &self,
        applied: &BTreeSet<String>,
        text: &str,
    ) -> Result<Vec<String>, TargetError> {
        let target = self.parse_target(text)?;
        match &target {
            Target::Head => match self.heads().as_slice() {
                [] => Ok(Vec::new()),
                _ => Ok(vec![self.single_head(text)?.to_string()]),
            },
            Target::Heads => Ok(self.heads().into_iter().map(str::to_string).collect()),
            Target::Base => Ok(Vec::new()),
            Target::BranchBase(name) => {
                self.branch_revision(name, text)?;
                Ok(Vec::new())
            }
            Target::Relative {
                anchor: None,
                direction: Direction::Down,
                ..
            } => Err(TargetError::WrongDirection {
                target: text.to_string(),
                used_for: Direction::Up,
            }),
            Target::Relative {
                anchor: None,
                direction: Direction::Up,
                steps,
            } => {
                let start = match self.heads_of(applied).as_slice() {
                    [] => None,
                    [one] => Some(self.nodes.get_key_value(one).expect("applied is known").0),
                    many => {
                        return Err(TargetError::MultipleCurrentHeads {
                            target: text.to_string(),
                            heads: many.to_vec(),
                            steps_done: 0,
                        })
                    }
                };
                Ok(vec![self
                    .walk_up(start.map(String::as_str), *steps, text)?
                    .to_string()])
            }
            Target::Relative {
                anchor: Some(Anchor::Branch(name)),
                direction: Direction::Up,
                steps,
            } => {
                let path = self.branch_up_path(applied, name, *steps, text)?;
                Ok(vec![path.last().expect("steps >= 1").to_string()])
            }
            Target::Relative {
                anchor: Some(Anchor::Branch(name)),
                direction: Direction::Down,
                ..
            } => {
                self.branch_revision(name, text)?;
                Err(TargetError::WrongDirection {
                    target: text.to_string(),
                    used_for: Direction::Up,
                })
            }
            _ => Ok(vec![self.single(&target, text)?.to_string()]),
        }
    }

    /// What stays applied after downgrading `applied` to the target.
    pub(crate) fn downgrade_state(
        &self,
        applied: &BTreeSet<String>,
        text: &str,
    ) -> Result<BTreeSet<String>, TargetError> {
        let target = self.parse_target(text)?;
        let without = |gone: BTreeSet<String>| applied.difference(&gone).cloned().collect();
        match &target {
            Target::Base => Ok(BTreeSet::new()),
            Target::Heads => Err(TargetError::HeadsInDowngrade {
                target: text.to_string(),
            }),
            Target::BranchBase(name) => {
                let revision = self.branch_revision(name, text)?;
                Ok(without(self.descendants(revision)))
            }
            Target::Relative {
                anchor: None,
                direction: Direction::Up,
                ..
            } => Err(TargetError::WrongDirection {
                target: text.to_string(),
                used_for: Direction::Down,
            }),
            Target::Relative {
                anchor: None,
                direction: Direction::Down,
                steps,
            } => {
                let mut state = applied.clone();
                for done in 0..*steps {
                    let heads = self.heads_of(&state);
                    match heads.as_slice() {
                        [] => {
                            return Err(TargetError::PastBase {
                                target: text.to_string(),
                                requested: *steps,
                                possible: done,
                                root: None,
                            })
                        }
                        [one] => {
                            let gone = self.descendants(one);
                            state.retain(|id| !gone.contains(id));
                        }
                        _ => {
                            return Err(TargetError::MultipleCurrentHeads {
                                target: text.to_string(),
                                heads,
                                steps_done: done,
                            })
                        }
                    }
                }
                Ok(state)
            }
            Target::Relative {
                anchor: Some(Anchor::Branch(name)),
                direction: Direction::Down,
                steps,
            } => self.branch_down_state(applied, name, *steps, text),
            Target::Relative {
                anchor: Some(Anchor::Branch(name)),
                direction: Direction::Up,
                ..
            } => {
                self.branch_revision(name, text)?;
                Err(TargetError::WrongDirection {
                    target: text.to_string(),
                    used_for: Direction::Down,
                })
            }
            _ => {
                let revision = self.single(&target, text)?;
                if !applied.contains(revision) {
                    return Err(TargetError::NotApplied {
                        target: text.to_string(),
                        revision: revision.to_string(),
                    });
                }
                let mut gone = self.descendants(revision);
                gone.remove(revision);
                Ok(without(gone))
            }
        }
    }
}
