//! Building and validating graphs; the read-only queries.

use super::*;
use crate::{EdgeKind, TargetError};

#[test]
fn empty_graph_is_valid() {
    let graph = g(&[]);
    assert!(graph.is_empty());
    assert_eq!(graph.len(), 0);
    assert!(graph.heads().is_empty());
    assert!(graph.bases().is_empty());
    assert!(graph.topo_order().is_empty());
}

#[test]
fn linear_chain_queries() {
    let graph = g(&[("c", &["b"]), ("a", &[]), ("b", &["a"])]);
    assert_eq!(graph.len(), 3);
    assert_eq!(graph.topo_order(), ["a", "b", "c"]);
    assert_eq!(graph.heads(), ["c"]);
    assert_eq!(graph.bases(), ["a"]);
    assert_eq!(graph.children("a"), ["b"]);
    assert!(graph.children("c").is_empty());
    assert!(graph.children("nope").is_empty());
    assert!(graph.branch_points().is_empty());
    assert_eq!(graph.node("b").unwrap().parents, ["a"]);
    assert!(graph.node("z").is_none());
    assert_eq!(
        graph.nodes().map(|n| n.id.as_str()).collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
}

#[test]
fn several_roots_and_branches() {
    // Two independent roots, and a branch point at r1.
    let graph = g(&[
        ("r1", &[]),
        ("r2", &[]),
        ("x", &["r1"]),
        ("y", &["r1"]),
        ("z", &["r2"]),
    ]);
    assert_eq!(graph.bases(), ["r1", "r2"]);
    assert_eq!(graph.heads(), ["x", "y", "z"]);
    assert_eq!(graph.children("r1"), ["x", "y"]);
    assert_eq!(graph.branch_points(), ["r1"]);
    assert_eq!(graph.topo_order(), ["r1", "r2", "x", "y", "z"]);
}

#[test]
fn topo_order_is_kahn_smallest_ready_first() {
    // b is ready early but d (a child of c) only after c; ties by id, not by depth.
    let graph = g(&[
        ("a", &[]),
        ("c", &["a"]),
        ("b", &[]),
        ("d", &["c", "b"]),
        ("e", &["a"]),
    ]);
    assert_eq!(graph.topo_order(), ["a", "b", "c", "d", "e"]);
    let graph = g(&[("z", &[]), ("y", &["z"]), ("a", &["y"]), ("m", &[])]);
    assert_eq!(graph.topo_order(), ["m", "z", "y", "a"]);
}

#[test]
fn topo_order_respects_depends_on() {
    // 1 depends on 9, which is on another branch: 9 must come first although 1 < 9.
    let graph = gx(vec![
        Node::new("0", &[]),
        Node::new("1", &["0"]).with_depends_on(&["9"]),
        Node::new("8", &[]),
        Node::new("9", &["8"]),
    ]);
    assert_eq!(graph.topo_order(), ["0", "8", "9", "1"]);
    assert_eq!(graph.dependents("9"), ["1"]);
    // A dependency does not make a child: 9 is still a head.
    assert_eq!(graph.heads(), ["1", "9"]);
    assert!(graph.children("9").is_empty());
}

#[test]
fn determinism_same_input_same_answers() {
    let spec: &[(&str, &[&str])] = &[
        ("20260105", &["20260101"]),
        ("20260101", &[]),
        ("20260103", &["20260101"]),
        ("20260109", &["20260105", "20260103"]),
        ("20260102", &[]),
    ];
    let a = g(spec);
    let mut reversed = spec.to_vec();
    reversed.reverse();
    let b = g(&reversed);
    assert_eq!(a.topo_order(), b.topo_order());
    assert_eq!(
        a.topo_order(),
        ["20260101", "20260102", "20260103", "20260105", "20260109"]
    );
    let pa = a.plan_upgrade(&[], "heads").unwrap();
    let pb = b.plan_upgrade(&[], "heads").unwrap();
    assert_eq!(pa, pb);
    for _ in 0..5 {
        assert_eq!(g(spec).plan_upgrade(&[], "heads").unwrap(), pa);
    }
}

#[test]
fn applied_set_is_closure_over_parents_and_depends_on() {
    let graph = gx(vec![
        Node::new("a", &[]),
        Node::new("b", &["a"]),
        Node::new("c", &["b"]).with_depends_on(&["y"]),
        Node::new("x", &[]),
        Node::new("y", &["x"]),
        Node::new("z", &["y"]),
    ]);
    assert_eq!(
        graph.applied_set(&heads(&["c"])).unwrap(),
        set(&["a", "b", "c", "x", "y"])
    );
    assert_eq!(
        graph.applied_set(&heads(&["b", "z"])).unwrap(),
        set(&["a", "b", "x", "y", "z"])
    );
    assert_eq!(graph.applied_set(&[]).unwrap(), set(&[]));
    // Redundant heads are harmless.
    assert_eq!(
        graph.applied_set(&heads(&["a", "b"])).unwrap(),
        set(&["a", "b"])
    );
}

#[test]
fn applied_set_unknown_head_is_an_error() {
    let graph = g(&[("a", &[]), ("b", &["a"])]);
    let err = graph.applied_set(&heads(&["b", "gone"])).unwrap_err();
    assert_eq!(
        err,
        TargetError::UnknownCurrentRevision { id: "gone".into() }
    );
    let msg = err.to_string();
    assert!(msg.contains("the database is at revision gone"), "{msg}");
    assert!(msg.contains("no migration file has that id"), "{msg}");
    assert!(msg.contains("strata verify"), "{msg}");
    assert!(msg.contains("restore"), "{msg}");
    // Planners report it too.
    assert_eq!(
        graph.plan_upgrade(&heads(&["gone"]), "head").unwrap_err(),
        err
    );
    assert_eq!(
        graph.plan_downgrade(&heads(&["gone"]), "base").unwrap_err(),
        err
    );
}

#[test]
fn heads_of_ignores_depends_on() {
    let graph = gx(vec![
        Node::new("a", &[]),
        Node::new("b", &["a"]),
        Node::new("x", &[]),
        Node::new("y", &["b"]).with_depends_on(&["x"]),
    ]);
    assert_eq!(
        graph.heads_of(&set(&["a", "b", "x", "y"])),
        heads(&["x", "y"])
    );
    assert_eq!(graph.heads_of(&set(&["a", "b"])), heads(&["b"]));
    assert_eq!(graph.heads_of(&set(&[])), heads(&[]));
}

#[test]
fn ancestors_and_descendants() {
    let graph = gx(vec![
        Node::new("a", &[]),
        Node::new("b", &["a"]),
        Node::new("x", &[]),
        Node::new("y", &["b"]).with_depends_on(&["x"]),
    ]);
    assert_eq!(graph.ancestors("y"), set(&["a", "b", "x", "y"]));
    assert_eq!(graph.descendants("x"), set(&["x", "y"]));
    assert_eq!(graph.descendants("a"), set(&["a", "b", "y"]));
    assert!(graph.ancestors("nope").is_empty());
}

#[test]
fn labels_are_indexed() {
    let graph = gx(vec![
        Node::new("a", &[]).with_labels(&["core"]),
        Node::new("b", &["a"]),
        Node::new("x", &[]).with_labels(&["audit-log", "extra_1", "audit-log"]),
    ]);
    assert_eq!(graph.label_target("core"), Some("a"));
    assert_eq!(graph.label_target("audit-log"), Some("x"));
    assert_eq!(graph.label_target("nope"), None);
    assert_eq!(
        graph.labels().collect::<Vec<_>>(),
        [("audit-log", "x"), ("core", "a"), ("extra_1", "x")]
    );
}

#[test]
fn duplicate_id() {
    let errs = errors(vec![
        Node::new("a", &[]),
        Node::new("b", &["a"]),
        Node::new("a", &[]),
    ]);
    assert_eq!(errs, [GraphError::DuplicateId { id: "a".into() }]);
    assert_eq!(errs[0].ids(), ["a"]);
    assert!(errs[0]
        .to_string()
        .contains("revision a is defined more than once"));
}

#[test]
fn unknown_parent_message() {
    let errs = errors(nodes(&[("2026111", &[]), ("20261120", &["2026111x"])]));
    assert_eq!(
        errs,
        [GraphError::UnknownParent {
            id: "20261120".into(),
            parent: "2026111x".into()
        }]
    );
    assert_eq!(errs[0].ids(), ["20261120", "2026111x"]);
    let errs = errors(nodes(&[("20261120", &["2026111"])]));
    assert_eq!(
        errs[0].to_string(),
        "revision 20261120 revises unknown revision 2026111 (no migration file has that id)"
    );
}

#[test]
fn unknown_dependency() {
    let errs = errors(vec![
        Node::new("a", &[]),
        Node::new("b", &["a"]).with_depends_on(&["q"]),
    ]);
    assert_eq!(
        errs,
        [GraphError::UnknownDependency {
            id: "b".into(),
            dependency: "q".into()
        }]
    );
    assert_eq!(errs[0].ids(), ["b", "q"]);
    assert_eq!(
        errs[0].to_string(),
        "revision b depends on unknown revision q (no migration file has that id)"
    );
}

#[test]
fn duplicate_parent_and_dependency() {
    let errs = errors(vec![
        Node::new("a", &[]),
        Node::new("b", &["a", "a"]),
        Node::new("c", &["b"]).with_depends_on(&["a", "a"]),
    ]);
    assert_eq!(
        errs,
        [
            GraphError::DuplicateParent {
                id: "b".into(),
                parent: "a".into()
            },
            GraphError::DuplicateDependency {
                id: "c".into(),
                dependency: "a".into()
            },
        ]
    );
    assert!(errs[0]
        .to_string()
        .contains("revision b lists revision a as a parent more than once"));
    assert_eq!(errs[1].ids(), ["c", "a"]);
}

#[test]
fn a_parent_that_is_also_a_dependency_is_fine() {
    let graph = gx(vec![
        Node::new("a", &[]),
        Node::new("b", &["a"]).with_depends_on(&["a"]),
    ]);
    assert_eq!(graph.topo_order(), ["a", "b"]);
    assert_eq!(graph.plan_upgrade(&[], "head").unwrap().len(), 2);
}

#[test]
fn cycle_over_parents() {
    let errs = errors(nodes(&[
        ("root", &[]),
        ("a", &["c"]),
        ("b", &["a"]),
        ("c", &["b"]),
    ]));
    assert_eq!(
        errs,
        [GraphError::Cycle {
            ids: heads(&["a", "c", "b"]),
            links: vec![EdgeKind::Revises; 3],
        }]
    );
    assert_eq!(errs[0].ids(), ["a", "c", "b"]);
    assert_eq!(
        errs[0].to_string(),
        "revisions a, c and b form a cycle (a revises c, c revises b, b revises a), so none of them can ever be applied; remove one of these links"
    );
}

#[test]
fn cycle_through_depends_on() {
    // x revises w, w depends on x.
    let errs = errors(vec![
        Node::new("v", &[]),
        Node::new("w", &["v"]).with_depends_on(&["x"]),
        Node::new("x", &["w"]),
    ]);
    assert_eq!(
        errs,
        [GraphError::Cycle {
            ids: heads(&["w", "x"]),
            links: vec![EdgeKind::DependsOn, EdgeKind::Revises],
        }]
    );
    let msg = errs[0].to_string();
    assert!(
        msg.contains("revisions w and x form a cycle (w depends on x, x revises w)"),
        "{msg}"
    );
}

#[test]
fn self_cycles() {
    let errs = errors(vec![
        Node::new("a", &["a"]),
        Node::new("b", &[]).with_depends_on(&["b"]),
    ]);
    assert_eq!(
        errs,
        [
            GraphError::Cycle {
                ids: heads(&["a"]),
                links: vec![EdgeKind::Revises]
            },
            GraphError::Cycle {
                ids: heads(&["b"]),
                links: vec![EdgeKind::DependsOn]
            },
        ]
    );
    assert_eq!(
        errs[0].to_string(),
        "revision a revises itself, so it can never be applied; remove that link"
    );
    assert!(errs[1]
        .to_string()
        .starts_with("revision b depends on itself"));
}

#[test]
fn two_separate_cycles_and_the_shortest_path_is_named() {
    // One component {a, b, c} with two cycles through a (a->b->a is the shortest), another {x, y};
    // d hangs below the first cycle and is not on it.
    let errs = errors(vec![
        Node::new("a", &["b"]),
        Node::new("b", &["a", "c"]),
        Node::new("c", &["a"]),
        Node::new("d", &["c"]),
        Node::new("x", &["y"]),
        Node::new("y", &["x"]),
    ]);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert_eq!(errs[0].ids(), ["a", "b"]);
    assert_eq!(errs[1].ids(), ["x", "y"]);
}

#[test]
fn long_chain_does_not_overflow_and_cycle_at_the_end_is_found() {
    let ids: Vec<String> = (0..20_000).map(|i| format!("r{i:05}")).collect();
    let mut list: Vec<Node> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| Node {
            id: id.clone(),
            parents: if i == 0 {
                vec![]
            } else {
                vec![ids[i - 1].clone()]
            },
            ..Node::default()
        })
        .collect();
    let graph = Graph::new(list.clone()).unwrap();
    assert_eq!(graph.heads(), ["r19999"]);
    let plan = graph.plan_upgrade(&[], "head").unwrap();
    assert_eq!(plan.len(), 20_000);
    assert_eq!(plan[19_999].heads_before, ["r19998"]);
    list[0].parents = vec!["r19999".into()];
    let errs = errors(list);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].ids().len(), 20_000);
    assert_eq!(errs[0].ids()[..2], ["r00000", "r19999"]);
}

#[test]
fn duplicate_label_names_both() {
    let errs = errors(vec![
        Node::new("a", &[]).with_labels(&["core"]),
        Node::new("b", &["a"]).with_labels(&["core"]),
    ]);
    assert_eq!(
        errs,
        [GraphError::DuplicateLabel {
            label: "core".into(),
            id: "b".into(),
            other: "a".into()
        }]
    );
    assert_eq!(errs[0].ids(), ["b", "a"]);
    let msg = errs[0].to_string();
    assert!(
        msg.contains("branch label `core` is carried by both revision a and revision b"),
        "{msg}"
    );
}

#[test]
fn bad_labels_and_ids() {
    let errs = errors(vec![
        Node::new("a", &[]).with_labels(&["has space", "head", "b"]),
        Node::new("b", &["a"]),
        Node::new("c-d", &["b"]),
        Node::new("", &[]),
    ]);
    assert_eq!(
        errs,
        [
            GraphError::InvalidId { id: "".into() },
            GraphError::InvalidLabel {
                id: "a".into(),
                label: "has space".into()
            },
            GraphError::ReservedLabel {
                id: "a".into(),
                label: "head".into()
            },
            GraphError::LabelIsRevisionId {
                id: "a".into(),
                label: "b".into()
            },
            GraphError::InvalidId { id: "c-d".into() },
        ]
    );
    assert!(errs[2].to_string().contains("reserved"));
    assert_eq!(errs[3].ids(), ["a", "b"]);
}

#[test]
fn all_problems_at_once() {
    let errs = errors(vec![
        Node::new("a", &[]).with_labels(&["x"]),
        Node::new("a", &[]),
        Node::new("b", &["a", "nope"]).with_labels(&["x"]),
        Node::new("c", &["d"]).with_depends_on(&["gone"]),
        Node::new("d", &["c"]),
    ]);
    assert_eq!(
        errs,
        [
            GraphError::DuplicateId { id: "a".into() },
            GraphError::UnknownParent {
                id: "b".into(),
                parent: "nope".into()
            },
            GraphError::DuplicateLabel {
                label: "x".into(),
                id: "b".into(),
                other: "a".into()
            },
            GraphError::UnknownDependency {
                id: "c".into(),
                dependency: "gone".into()
            },
            GraphError::Cycle {
                ids: heads(&["c", "d"]),
                links: vec![EdgeKind::Revises, EdgeKind::Revises]
            },
        ]
    );
}
