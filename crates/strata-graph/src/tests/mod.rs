//! Unit tests: graphs built in memory with [`g`] and [`gx`].

mod graph;
mod plan;
mod target;

use std::collections::BTreeSet;

use crate::{Graph, GraphError, Node, Step};

/// A graph from `(id, parents)` pairs; panics on validation errors.
pub(crate) fn g(spec: &[(&str, &[&str])]) -> Graph {
    Graph::new(nodes(spec)).unwrap_or_else(|e| panic!("invalid test graph: {e:?}"))
}

/// Plain nodes from `(id, parents)` pairs.
pub(crate) fn nodes(spec: &[(&str, &[&str])]) -> Vec<Node> {
    spec.iter()
        .map(|(id, parents)| Node::new(*id, parents))
        .collect()
}

/// A graph from full nodes; panics on validation errors.
pub(crate) fn gx(nodes: Vec<Node>) -> Graph {
    Graph::new(nodes).unwrap_or_else(|e| panic!("invalid test graph: {e:?}"))
}

pub(crate) fn errors(nodes: Vec<Node>) -> Vec<GraphError> {
    Graph::new(nodes).expect_err("graph should be invalid")
}

pub(crate) fn heads(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

pub(crate) fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// The revisions of a plan, in order.
pub(crate) fn revs(steps: &[Step]) -> Vec<&str> {
    steps.iter().map(|s| s.revision.as_str()).collect()
}

/// `(revision, heads_after)` of each step.
pub(crate) fn trail(steps: &[Step]) -> Vec<(&str, Vec<&str>)> {
    steps
        .iter()
        .map(|s| {
            (
                s.revision.as_str(),
                s.heads_after.iter().map(String::as_str).collect(),
            )
        })
        .collect()
}

/// Checks every step against a recomputation from scratch: heads_before/heads_after equal
/// `heads_of` of the applied set around the step, consecutive steps chain, and every applied set
/// along the way is closed over parents and depends-on.
pub(crate) fn check_consistent(graph: &Graph, start: &[String], steps: &[Step]) {
    let mut applied = graph.applied_set(start).unwrap();
    for step in steps {
        assert_eq!(
            step.heads_before,
            graph.heads_of(&applied),
            "heads_before of {}",
            step.revision
        );
        match step.direction {
            crate::Direction::Up => assert!(applied.insert(step.revision.clone())),
            crate::Direction::Down => assert!(applied.remove(&step.revision)),
        }
        assert_eq!(
            step.heads_after,
            graph.heads_of(&applied),
            "heads_after of {}",
            step.revision
        );
        assert_eq!(
            graph.applied_set(&step.heads_after).unwrap(),
            applied,
            "closed after {}",
            step.revision
        );
    }
}
