//! The validated revision graph and its read-only queries.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::{GraphError, TargetError};
use crate::validate;

/// One revision: its id, its parents (`revises`), the revisions it depends on without being their
/// child, and its branch labels.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Node {
    pub id: String,
    /// Empty for a root; two or more for a merge.
    #[serde(default)]
    pub parents: Vec<String>,
    /// Revisions that must be applied before this one without being its parents.
    #[serde(default)]
    pub depends_on: Vec<String>,
    #[serde(default)]
    pub labels: Vec<String>,
}

impl Node {
    /// A revision with the given parents, no dependencies and no labels.
    pub fn new(id: impl Into<String>, parents: &[&str]) -> Node {
        Node {
            id: id.into(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
            depends_on: Vec::new(),
            labels: Vec::new(),
        }
    }

    pub fn with_depends_on(mut self, depends_on: &[&str]) -> Node {
        self.depends_on = depends_on.iter().map(|d| d.to_string()).collect();
        self
    }

    pub fn with_labels(mut self, labels: &[&str]) -> Node {
        self.labels = labels.iter().map(|l| l.to_string()).collect();
        self
    }
}

/// A validated revision graph: no duplicates, no unknown references, no cycles, unique labels.
#[derive(Debug, Clone)]
pub struct Graph {
    pub(crate) nodes: BTreeMap<String, Node>,
    /// id -> revisions that list it as a parent, sorted.
    pub(crate) children: BTreeMap<String, Vec<String>>,
    /// id -> revisions that list it in depends-on, sorted.
    pub(crate) dependents: BTreeMap<String, Vec<String>>,
    /// id -> parents ∪ depends-on, sorted and unique: what must be applied first.
    pub(crate) needs: BTreeMap<String, Vec<String>>,
    /// id -> children ∪ dependents, sorted and unique: what cannot stay without it.
    pub(crate) needed_by: BTreeMap<String, Vec<String>>,
    /// label -> the revision carrying it.
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) topo: Vec<String>,
}

pub(crate) fn list<'a>(map: &'a BTreeMap<String, Vec<String>>, id: &str) -> &'a [String] {
    map.get(id).map(Vec::as_slice).unwrap_or(&[])
}

fn strs(items: &[String]) -> Vec<&str> {
    items.iter().map(String::as_str).collect()
}

impl Graph {
    /// Validates the revisions and builds the graph; every problem is reported at once.
    pub fn new(nodes: Vec<Node>) -> Result<Graph, Vec<GraphError>> {
        let (nodes, labels) = validate::validate(nodes)?;
        let mut children: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut dependents: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut needs: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut needed_by: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for id in nodes.keys() {
            children.insert(id.clone(), Vec::new());
            dependents.insert(id.clone(), Vec::new());
            needed_by.insert(id.clone(), Vec::new());
        }
        for node in nodes.values() {
            let mut before = BTreeSet::new();
            for p in &node.parents {
                children
                    .get_mut(p)
                    .expect("validated")
                    .push(node.id.clone());
                before.insert(p.clone());
            }
            for d in &node.depends_on {
                dependents
                    .get_mut(d)
                    .expect("validated")
                    .push(node.id.clone());
                before.insert(d.clone());
            }
            for b in &before {
                needed_by
                    .get_mut(b)
                    .expect("validated")
                    .push(node.id.clone());
            }
            needs.insert(node.id.clone(), before.into_iter().collect());
        }
        // Nodes are visited in id order, so every list is already sorted.
        let mut graph = Graph {
            nodes,
            children,
            dependents,
            needs,
            needed_by,
            labels,
            topo: Vec::new(),
        };
        let all: BTreeSet<String> = graph.nodes.keys().cloned().collect();
        graph.topo = graph.order(&all, false);
        Ok(graph)
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// Every revision, in id order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Parents and dependencies before the revisions that need them; ties by id.
    pub fn topo_order(&self) -> Vec<&str> {
        strs(&self.topo)
    }

    /// Revisions without children, sorted. (A revision that others only depend on is a head.)
    pub fn heads(&self) -> Vec<&str> {
        self.children
            .iter()
            .filter(|(_, c)| c.is_empty())
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// Revisions without parents, sorted.
    pub fn bases(&self) -> Vec<&str> {
        self.nodes
            .values()
            .filter(|n| n.parents.is_empty())
            .map(|n| n.id.as_str())
            .collect()
    }

    /// Revisions that list `id` as a parent, sorted.
    pub fn children(&self, id: &str) -> Vec<&str> {
        strs(list(&self.children, id))
    }

    /// Revisions that list `id` in depends-on, sorted.
    pub fn dependents(&self, id: &str) -> Vec<&str> {
        strs(list(&self.dependents, id))
    }

    /// Revisions with more than one child, sorted.
    pub fn branch_points(&self) -> Vec<&str> {
        self.children
            .iter()
            .filter(|(_, c)| c.len() > 1)
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// The revision carrying `label`.
    pub fn label_target(&self, label: &str) -> Option<&str> {
        self.labels.get(label).map(String::as_str)
    }

    /// Every `(label, revision)` pair, sorted by label.
    pub fn labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.labels.iter().map(|(l, id)| (l.as_str(), id.as_str()))
    }

    /// `id` and everything it needs, over parents and depends-on (empty for an unknown id).
    pub fn ancestors(&self, id: &str) -> BTreeSet<String> {
        if !self.nodes.contains_key(id) {
            return BTreeSet::new();
        }
        self.closure([id])
    }

    /// `id` and everything that needs it, over children and dependents (empty for an unknown id).
    pub fn descendants(&self, id: &str) -> BTreeSet<String> {
        if !self.nodes.contains_key(id) {
            return BTreeSet::new();
        }
        self.walk([id], &self.needed_by)
    }

    /// What is applied when the database's heads are `heads`: their closure over parents and
    /// depends-on, inclusive.
    pub fn applied_set(&self, heads: &[String]) -> Result<BTreeSet<String>, TargetError> {
        let unknown = heads
            .iter()
            .filter(|h| !self.nodes.contains_key(h.as_str()))
            .min();
        if let Some(id) = unknown {
            return Err(TargetError::UnknownCurrentRevision { id: id.clone() });
        }
        Ok(self.closure(heads.iter().map(String::as_str)))
    }

    /// The members of `applied` that are not a parent of another member, sorted. Depends-on does
    /// not hide a head: a dependency stays the head of its own branch.
    pub fn heads_of(&self, applied: &BTreeSet<String>) -> Vec<String> {
        applied
            .iter()
            .filter(|id| !list(&self.children, id).iter().any(|c| applied.contains(c)))
            .cloned()
            .collect()
    }

    /// `ids` and everything they need (ids must be known).
    pub(crate) fn closure<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        self.walk(ids, &self.needs)
    }

    pub(crate) fn walk<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a str>,
        edges: &BTreeMap<String, Vec<String>>,
    ) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<String> = ids.into_iter().map(str::to_string).collect();
        while let Some(id) = stack.pop() {
            if seen.contains(&id) {
                continue;
            }
            stack.extend(
                list(edges, &id)
                    .iter()
                    .filter(|n| !seen.contains(*n))
                    .cloned(),
            );
            seen.insert(id);
        }
        seen
    }

    /// Kahn's algorithm restricted to `set`. Forward: what is needed first, smallest ready id
    /// first. Reverse: what needs others first, largest ready id first.
    pub(crate) fn order(&self, set: &BTreeSet<String>, reverse: bool) -> Vec<String> {
        let (before, after) = if reverse {
            (&self.needed_by, &self.needs)
        } else {
            (&self.needs, &self.needed_by)
        };
        let mut waiting: BTreeMap<&str, usize> = BTreeMap::new();
        let mut ready: BTreeSet<&str> = BTreeSet::new();
        for id in set {
            let n = list(before, id).iter().filter(|b| set.contains(*b)).count();
            if n == 0 {
                ready.insert(id);
            } else {
                waiting.insert(id, n);
            }
        }
        let mut out = Vec::with_capacity(set.len());
        while let Some(id) = if reverse {
            ready.pop_last()
        } else {
            ready.pop_first()
        } {
            out.push(id.to_string());
            for next in list(after, id) {
                if let Some(n) = waiting.get_mut(next.as_str()) {
                    *n -= 1;
                    if *n == 0 {
                        waiting.remove(next.as_str());
                        ready.insert(next);
                    }
                }
            }
        }
        out
    }
}
