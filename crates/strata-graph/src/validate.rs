//! Everything [`crate::Graph::new`] checks, reported all at once.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use crate::error::{EdgeKind, GraphError};
use crate::graph::Node;

/// Words the target grammar gives a meaning to; a label cannot be one of them.
pub(crate) const RESERVED: [&str; 3] = ["head", "heads", "base"];

pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

pub(crate) fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

type Validated = (BTreeMap<String, Node>, BTreeMap<String, String>);

/// The nodes by id and the labels, or every problem found.
pub(crate) fn validate(nodes: Vec<Node>) -> Result<Validated, Vec<GraphError>> {
    let mut errors = Vec::new();
    let mut map: BTreeMap<String, Node> = BTreeMap::new();
    let mut duplicated = BTreeSet::new();
    for node in nodes {
        if map.contains_key(&node.id) {
            duplicated.insert(node.id.clone());
        } else {
            map.insert(node.id.clone(), node);
        }
    }
    errors.extend(
        duplicated
            .into_iter()
            .map(|id| GraphError::DuplicateId { id }),
    );

    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    for node in map.values() {
        let id = &node.id;
        if !valid_id(id) {
            errors.push(GraphError::InvalidId { id: id.clone() });
        }
        let mut seen = BTreeSet::new();
        for parent in &node.parents {
            let e = || (id.clone(), parent.clone());
            if !seen.insert(parent) {
                let (id, parent) = e();
                errors.push(GraphError::DuplicateParent { id, parent });
            } else if !map.contains_key(parent) {
                let (id, parent) = e();
                errors.push(GraphError::UnknownParent { id, parent });
            }
        }
        let mut seen = BTreeSet::new();
        for dep in &node.depends_on {
            let e = || (id.clone(), dep.clone());
            if !seen.insert(dep) {
                let (id, dependency) = e();
                errors.push(GraphError::DuplicateDependency { id, dependency });
            } else if !map.contains_key(dep) {
                let (id, dependency) = e();
                errors.push(GraphError::UnknownDependency { id, dependency });
            }
        }
        for label in &node.labels {
            let (id, l) = (id.clone(), label.clone());
            if !valid_label(label) {
                errors.push(GraphError::InvalidLabel { id, label: l });
            } else if RESERVED.contains(&label.as_str()) {
                errors.push(GraphError::ReservedLabel { id, label: l });
            } else if map.contains_key(label) {
                errors.push(GraphError::LabelIsRevisionId { id, label: l });
            } else {
                match labels.get(label) {
                    Some(other) if *other == id => {} // the same label twice on one revision
                    Some(other) => errors.push(GraphError::DuplicateLabel {
                        label: l,
                        id,
                        other: other.clone(),
                    }),
                    None => {
                        labels.insert(l, id);
                    }
                }
            }
        }
    }
    errors.extend(cycles(&map));
    if errors.is_empty() {
        Ok((map, labels))
    } else {
        Err(errors)
    }
}

/// One [`GraphError::Cycle`] per strongly connected component that contains a cycle, found with
/// Kosaraju's algorithm (iterative, so deep graphs cannot overflow the stack), and described by
/// the shortest cycle through the component's smallest id.
fn cycles(map: &BTreeMap<String, Node>) -> Vec<GraphError> {
    let ids: Vec<&str> = map.keys().map(String::as_str).collect();
    let index: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let n = ids.len();
    // needs[v]: what v points at (parents and dependencies), sorted by id, unique.
    let needs: Vec<Vec<usize>> = map
        .values()
        .map(|node| {
            let set: BTreeSet<usize> = node
                .parents
                .iter()
                .chain(&node.depends_on)
                .filter_map(|p| index.get(p.as_str()).copied())
                .collect();
            set.into_iter().collect()
        })
        .collect();
    let mut transposed: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (v, ws) in needs.iter().enumerate() {
        for &w in ws {
            transposed[w].push(v);
        }
    }

    let mut visited = vec![false; n];
    let mut finished = Vec::with_capacity(n);
    for start in 0..n {
        if visited[start] {
            continue;
        }
        visited[start] = true;
        let mut stack = vec![(start, 0usize)];
        while let Some((v, i)) = stack.last_mut() {
            if let Some(&w) = needs[*v].get(*i) {
                *i += 1;
                if !visited[w] {
                    visited[w] = true;
                    stack.push((w, 0));
                }
            } else {
                finished.push(*v);
                stack.pop();
            }
        }
    }

    let mut component = vec![usize::MAX; n];
    let mut errors = Vec::new();
    for &start in finished.iter().rev() {
        if component[start] != usize::MAX {
            continue;
        }
        let c = start;
        component[start] = c;
        let mut members = vec![start];
        let mut stack = vec![start];
        while let Some(v) = stack.pop() {
            for &w in &transposed[v] {
                if component[w] == usize::MAX {
                    component[w] = c;
                    members.push(w);
                    stack.push(w);
                }
            }
        }
        let first = *members.iter().min().expect("non-empty");
        if members.len() == 1 && !needs[first].contains(&first) {
            continue;
        }
        let path = shortest_cycle(first, &needs, |w| component[w] == c);
        let links = (0..path.len())
            .map(|i| {
                let from = &map[ids[path[i]]];
                let to = ids[path[(i + 1) % path.len()]];
                if from.parents.iter().any(|p| p == to) {
                    EdgeKind::Revises
                } else {
                    EdgeKind::DependsOn
                }
            })
            .collect();
        let cycle_ids = path.iter().map(|&v| ids[v].to_string()).collect();
        errors.push(GraphError::Cycle {
            ids: cycle_ids,
            links,
        });
    }
    errors.sort_by(|a, b| a.ids().first().cmp(&b.ids().first()));
    errors
}

/// Breadth-first from `start` back to itself inside the component: the path without the repeat.
fn shortest_cycle(
    start: usize,
    needs: &[Vec<usize>],
    inside: impl Fn(usize) -> bool,
) -> Vec<usize> {
    let mut previous: HashMap<usize, usize> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in &needs[v] {
            if w == start {
                let mut path = vec![v];
                let mut at = v;
                while at != start {
                    at = previous[&at];
                    path.push(at);
                }
                path.reverse();
                return path;
            }
            if inside(w) && !previous.contains_key(&w) {
                previous.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    vec![start] // unreachable for a real cycle
}
