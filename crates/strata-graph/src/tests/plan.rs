//! Upgrade and downgrade plans: order, heads around each step, and the shapes of graphs.

use super::*;
use crate::{Direction, TargetError};

fn linear() -> Graph {
    g(&[("a", &[]), ("b", &["a"]), ("c", &["b"]), ("d", &["c"])])
}

/// root -> l1 -> l2 and root -> r1, merged by m, then n after the merge.
fn diamond() -> Graph {
    g(&[
        ("root", &[]),
        ("l1", &["root"]),
        ("l2", &["l1"]),
        ("r1", &["root"]),
        ("m", &["l2", "r1"]),
        ("n", &["m"]),
    ])
}

#[test]
fn linear_upgrade_from_base_to_head() {
    let graph = linear();
    let plan = graph.plan_upgrade(&[], "head").unwrap();
    assert_eq!(revs(&plan), ["a", "b", "c", "d"]);
    assert!(plan.iter().all(|s| s.direction == Direction::Up));
    assert_eq!(
        plan[0],
        Step {
            revision: "a".into(),
            direction: Direction::Up,
            heads_before: vec![],
            heads_after: heads(&["a"]),
        }
    );
    assert_eq!(plan[2].heads_before, ["b"]);
    assert_eq!(plan[2].heads_after, ["c"]);
    assert_eq!(plan[2].removed_heads(), ["b"]);
    assert_eq!(plan[2].added_heads(), ["c"]);
    assert!(plan[0].removed_heads().is_empty());
    check_consistent(&graph, &[], &plan);
}

#[test]
fn linear_upgrade_partial_and_already_applied() {
    let graph = linear();
    assert_eq!(
        revs(&graph.plan_upgrade(&heads(&["b"]), "head").unwrap()),
        ["c", "d"]
    );
    assert_eq!(
        revs(&graph.plan_upgrade(&heads(&["a"]), "c").unwrap()),
        ["b", "c"]
    );
    // Already there or past it: empty plan, not an error.
    assert!(graph
        .plan_upgrade(&heads(&["d"]), "head")
        .unwrap()
        .is_empty());
    assert!(graph.plan_upgrade(&heads(&["d"]), "b").unwrap().is_empty());
    assert!(graph
        .plan_upgrade(&heads(&["c"]), "base")
        .unwrap()
        .is_empty());
    assert!(graph.plan_upgrade(&heads(&["c"]), "heads").unwrap().len() == 1);
}

#[test]
fn linear_downgrade() {
    let graph = linear();
    let plan = graph.plan_downgrade(&heads(&["d"]), "b").unwrap();
    assert_eq!(revs(&plan), ["d", "c"]);
    assert!(plan.iter().all(|s| s.direction == Direction::Down));
    assert_eq!(trail(&plan), [("d", vec!["c"]), ("c", vec!["b"])]);
    assert_eq!(plan[0].heads_before, ["d"]);
    assert_eq!(plan[1].removed_heads(), ["c"]);
    assert_eq!(plan[1].added_heads(), ["b"]);
    check_consistent(&graph, &heads(&["d"]), &plan);

    let plan = graph.plan_downgrade(&heads(&["d"]), "base").unwrap();
    assert_eq!(revs(&plan), ["d", "c", "b", "a"]);
    assert_eq!(plan[3].heads_after, Vec::<String>::new());
    check_consistent(&graph, &heads(&["d"]), &plan);

    // Downgrading to the current head, or from base to base, does nothing.
    assert!(graph
        .plan_downgrade(&heads(&["c"]), "c")
        .unwrap()
        .is_empty());
    assert!(graph.plan_downgrade(&[], "base").unwrap().is_empty());
}

#[test]
fn downgrade_to_unapplied_revision_is_an_error() {
    let graph = linear();
    let err = graph.plan_downgrade(&heads(&["b"]), "c").unwrap_err();
    assert_eq!(
        err,
        TargetError::NotApplied {
            target: "c".into(),
            revision: "c".into()
        }
    );
    let msg = err.to_string();
    assert!(msg.contains("revision c is not applied"), "{msg}");
    assert!(msg.contains("strata upgrade c"), "{msg}");
    assert!(matches!(
        graph.plan_downgrade(&[], "a").unwrap_err(),
        TargetError::NotApplied { .. }
    ));
}

#[test]
fn several_roots_upgrade_and_downgrade() {
    let graph = g(&[("a1", &[]), ("a2", &["a1"]), ("b1", &[]), ("b2", &["b1"])]);
    let err = graph.plan_upgrade(&[], "head").unwrap_err();
    assert!(matches!(&err, TargetError::MultipleHeads { heads, .. } if heads == &["a2", "b2"]));
    let plan = graph.plan_upgrade(&[], "heads").unwrap();
    assert_eq!(revs(&plan), ["a1", "a2", "b1", "b2"]);
    assert_eq!(
        trail(&plan),
        [
            ("a1", vec!["a1"]),
            ("a2", vec!["a2"]),
            ("b1", vec!["a2", "b1"]),
            ("b2", vec!["a2", "b2"]),
        ]
    );
    check_consistent(&graph, &[], &plan);
    // Upgrading one root's branch leaves the other alone.
    assert_eq!(revs(&graph.plan_upgrade(&[], "b2").unwrap()), ["b1", "b2"]);
    // Downgrading one root removes only its own branch.
    let current = heads(&["a2", "b2"]);
    assert_eq!(revs(&graph.plan_downgrade(&current, "a1").unwrap()), ["a2"]);
    // `<id>@base` works like `<label>@base`: b1 and everything after it go.
    assert_eq!(
        revs(&graph.plan_downgrade(&current, "b1@base").unwrap()),
        ["b2", "b1"]
    );
    let plan = graph.plan_downgrade(&current, "base").unwrap();
    assert_eq!(revs(&plan), ["b2", "b1", "a2", "a1"]);
    check_consistent(&graph, &current, &plan);
}

#[test]
fn branch_head_is_ambiguous_and_heads_upgrades_both() {
    let graph = g(&[("a", &[]), ("b", &["a"]), ("c", &["a"]), ("d", &["c"])]);
    let err = graph.plan_upgrade(&heads(&["a"]), "head").unwrap_err();
    assert_eq!(
        err,
        TargetError::MultipleHeads {
            target: "head".into(),
            heads: heads(&["b", "d"])
        }
    );
    let msg = err.to_string();
    assert!(msg.contains("2 heads (b, d)"), "{msg}");
    assert!(msg.contains("`heads`"), "{msg}");
    assert!(msg.contains("`<label>@head`"), "{msg}");
    assert!(msg.contains("strata merge"), "{msg}");

    let plan = graph.plan_upgrade(&heads(&["a"]), "heads").unwrap();
    assert_eq!(revs(&plan), ["b", "c", "d"]);
    assert_eq!(
        trail(&plan),
        [
            ("b", vec!["b"]),
            ("c", vec!["b", "c"]),
            ("d", vec!["b", "d"])
        ]
    );
    assert_eq!(plan[1].removed_heads(), Vec::<&str>::new());
    assert_eq!(plan[1].added_heads(), ["c"]);
    check_consistent(&graph, &heads(&["a"]), &plan);

    // Downgrading to the branch point removes both branches, children before parents,
    // the largest id first among those ready.
    let plan = graph.plan_downgrade(&heads(&["b", "d"]), "a").unwrap();
    assert_eq!(revs(&plan), ["d", "c", "b"]);
    assert_eq!(
        trail(&plan),
        [("d", vec!["b", "c"]), ("c", vec!["b"]), ("b", vec!["a"])]
    );
    check_consistent(&graph, &heads(&["b", "d"]), &plan);
}

#[test]
fn diamond_upgrade_order_and_heads() {
    let graph = diamond();
    let plan = graph.plan_upgrade(&[], "head").unwrap();
    assert_eq!(revs(&plan), ["root", "l1", "l2", "r1", "m", "n"]);
    assert_eq!(
        trail(&plan),
        [
            ("root", vec!["root"]),
            ("l1", vec!["l1"]),
            ("l2", vec!["l2"]),
            ("r1", vec!["l2", "r1"]),
            ("m", vec!["m"]),
            ("n", vec!["n"]),
        ]
    );
    assert_eq!(plan[4].heads_before, ["l2", "r1"]);
    assert_eq!(plan[4].removed_heads(), ["l2", "r1"]);
    assert_eq!(plan[4].added_heads(), ["m"]);
    check_consistent(&graph, &[], &plan);

    // From one side of the diamond, the merge pulls in the other side first.
    let plan = graph.plan_upgrade(&heads(&["l1"]), "m").unwrap();
    assert_eq!(revs(&plan), ["l2", "r1", "m"]);
    assert_eq!(plan[1].heads_after, ["l2", "r1"]);
}

#[test]
fn downgrade_minus_one_from_merge_gives_both_parents() {
    let graph = g(&[("a", &[]), ("b", &[]), ("m", &["a", "b"])]);
    let plan = graph.plan_downgrade(&heads(&["m"]), "-1").unwrap();
    assert_eq!(
        plan,
        [Step {
            revision: "m".into(),
            direction: Direction::Down,
            heads_before: heads(&["m"]),
            heads_after: heads(&["a", "b"]),
        }]
    );
    assert_eq!(plan[0].removed_heads(), ["m"]);
    assert_eq!(plan[0].added_heads(), ["a", "b"]);
    // The next -1 is ambiguous and names both heads.
    let err = graph.plan_downgrade(&heads(&["a", "b"]), "-1").unwrap_err();
    assert_eq!(
        err,
        TargetError::MultipleCurrentHeads {
            target: "-1".into(),
            heads: heads(&["a", "b"]),
            steps_done: 0
        }
    );
    assert!(
        err.to_string().contains("the database has 2 heads (a, b)"),
        "{err}"
    );
    // And -2 from the merge fails after one step.
    let err = graph.plan_downgrade(&heads(&["m"]), "-2").unwrap_err();
    assert_eq!(
        err,
        TargetError::MultipleCurrentHeads {
            target: "-2".into(),
            heads: heads(&["a", "b"]),
            steps_done: 1
        }
    );
    assert!(err.to_string().contains("ambiguous after 1 step"), "{err}");
}

#[test]
fn downgrade_past_a_merge() {
    let graph = diamond();
    let current = heads(&["n"]);
    // To l1: removes what needs l1 (l2, m, n); r1 stays applied.
    let plan = graph.plan_downgrade(&current, "l1").unwrap();
    assert_eq!(revs(&plan), ["n", "m", "l2"]);
    assert_eq!(
        trail(&plan),
        [
            ("n", vec!["m"]),
            ("m", vec!["l2", "r1"]),
            ("l2", vec!["l1", "r1"])
        ]
    );
    check_consistent(&graph, &current, &plan);
    // To one parent of the merge: the other parent's side stays.
    let plan = graph.plan_downgrade(&current, "r1").unwrap();
    assert_eq!(revs(&plan), ["n", "m"]);
    assert_eq!(plan[1].heads_after, ["l2", "r1"]);
    // To the shared root: both branches go.
    let plan = graph.plan_downgrade(&current, "root").unwrap();
    assert_eq!(revs(&plan), ["n", "m", "r1", "l2", "l1"]);
    assert_eq!(plan.last().unwrap().heads_after, ["root"]);
    check_consistent(&graph, &current, &plan);
}

#[test]
fn depends_on_across_branches() {
    // Branch A: a1 -> a2 (a2 depends on b1). Branch B: b0 -> b1 -> b2.
    let graph = gx(vec![
        Node::new("a1", &[]),
        Node::new("a2", &["a1"]).with_depends_on(&["b1"]),
        Node::new("b0", &[]),
        Node::new("b1", &["b0"]),
        Node::new("b2", &["b1"]),
    ]);
    // Upgrading a2 pulls in its dependency (and the dependency's ancestors) first, not b2.
    let plan = graph.plan_upgrade(&heads(&["a1"]), "a2").unwrap();
    assert_eq!(revs(&plan), ["b0", "b1", "a2"]);
    // The dependency stays a head of its own branch.
    assert_eq!(
        trail(&plan),
        [
            ("b0", vec!["a1", "b0"]),
            ("b1", vec!["a1", "b1"]),
            ("a2", vec!["a2", "b1"])
        ]
    );
    check_consistent(&graph, &heads(&["a1"]), &plan);
    let after = heads(&["a2", "b1"]);
    assert_eq!(
        graph.applied_set(&after).unwrap(),
        set(&["a1", "a2", "b0", "b1"])
    );

    // Downgrading the dependency removes the dependent first.
    let current = heads(&["a2", "b2"]);
    let plan = graph.plan_downgrade(&current, "b0").unwrap();
    assert_eq!(revs(&plan), ["b2", "a2", "b1"]);
    assert_eq!(
        trail(&plan),
        [
            ("b2", vec!["a2", "b1"]),
            ("a2", vec!["a1", "b1"]),
            ("b1", vec!["a1", "b0"])
        ]
    );
    check_consistent(&graph, &current, &plan);
    // Downgrading the dependent's own branch leaves the dependency alone.
    assert_eq!(revs(&graph.plan_downgrade(&current, "a1").unwrap()), ["a2"]);
}

#[test]
fn depends_on_makes_minus_one_ambiguous() {
    let graph = gx(vec![
        Node::new("a1", &[]),
        Node::new("a2", &["a1"]).with_depends_on(&["b1"]),
        Node::new("b1", &[]),
    ]);
    let err = graph
        .plan_downgrade(&heads(&["a2", "b1"]), "-1")
        .unwrap_err();
    assert!(
        matches!(&err, TargetError::MultipleCurrentHeads { heads, .. } if heads == &["a2", "b1"])
    );
}

#[test]
fn heads_before_after_exact_in_a_wide_graph() {
    // r -> x1 -> x2; r -> y1; y1 + x2 -> m; z standalone; w depends on y1.
    let graph = gx(vec![
        Node::new("r", &[]),
        Node::new("x1", &["r"]),
        Node::new("x2", &["x1"]),
        Node::new("y1", &["r"]),
        Node::new("m", &["x2", "y1"]),
        Node::new("z", &[]),
        Node::new("w", &["z"]).with_depends_on(&["y1"]),
    ]);
    let plan = graph.plan_upgrade(&[], "heads").unwrap();
    assert_eq!(revs(&plan), ["r", "x1", "x2", "y1", "m", "z", "w"]);
    let expected: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec![], vec!["r"]),
        (vec!["r"], vec!["x1"]),
        (vec!["x1"], vec!["x2"]),
        (vec!["x2"], vec!["x2", "y1"]),
        (vec!["x2", "y1"], vec!["m"]),
        (vec!["m"], vec!["m", "z"]),
        (vec!["m", "z"], vec!["m", "w"]),
    ];
    let got: Vec<(Vec<&str>, Vec<&str>)> = plan
        .iter()
        .map(|s| {
            (
                s.heads_before.iter().map(String::as_str).collect(),
                s.heads_after.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    check_consistent(&graph, &[], &plan);
    // Reverse: every step's heads are exact too.
    let down = graph.plan_downgrade(&heads(&["m", "w"]), "base").unwrap();
    assert_eq!(revs(&down), ["w", "z", "m", "y1", "x2", "x1", "r"]);
    check_consistent(&graph, &heads(&["m", "w"]), &down);
    assert_eq!(down[2].heads_after, ["x2", "y1"]);
}

#[test]
fn upgrade_order_is_kahn_within_the_plan() {
    // The plan is ordered by Kahn's algorithm over the revisions it applies, not by filtering the
    // global order: x is applied, so b and m are both ready and b (the smaller id) goes first,
    // although m comes before b in topo_order().
    let graph = g(&[("x", &[]), ("b", &["x"]), ("m", &[])]);
    assert_eq!(graph.topo_order(), ["m", "x", "b"]);
    assert_eq!(
        revs(&graph.plan_upgrade(&heads(&["x"]), "heads").unwrap()),
        ["b", "m"]
    );
}

#[test]
fn plan_range_up_from_base_and_from_a_revision() {
    let graph = linear();
    let plan = graph.plan_range("base", "head", Direction::Up).unwrap();
    assert_eq!(revs(&plan), ["a", "b", "c", "d"]);
    assert_eq!(plan, graph.plan_upgrade(&[], "head").unwrap());
    let plan = graph.plan_range("b", "d", Direction::Up).unwrap();
    assert_eq!(revs(&plan), ["c", "d"]);
    assert_eq!(plan[0].heads_before, ["b"]);
    // Relative TO counts from FROM.
    assert_eq!(
        revs(&graph.plan_range("a", "+2", Direction::Up).unwrap()),
        ["b", "c"]
    );
    // Already past it.
    assert!(graph
        .plan_range("c", "b", Direction::Up)
        .unwrap()
        .is_empty());
}

#[test]
fn plan_range_down() {
    let graph = diamond();
    let plan = graph.plan_range("head", "root", Direction::Down).unwrap();
    assert_eq!(revs(&plan), ["n", "m", "r1", "l2", "l1"]);
    let plan = graph.plan_range("m", "-1", Direction::Down).unwrap();
    assert_eq!(trail(&plan), [("m", vec!["l2", "r1"])]);
    let plan = graph.plan_range("heads", "base", Direction::Down).unwrap();
    assert_eq!(plan.len(), 6);
    assert_eq!(plan[0].heads_before, ["n"]);
    assert!(graph
        .plan_range("base", "base", Direction::Down)
        .unwrap()
        .is_empty());
    let err = graph.plan_range("l1", "r1", Direction::Down).unwrap_err();
    assert!(matches!(err, TargetError::NotApplied { .. }));
}

#[test]
fn plan_range_rejects_a_relative_start() {
    let graph = linear();
    let err = graph.plan_range("+1", "head", Direction::Up).unwrap_err();
    assert!(matches!(&err, TargetError::InvalidSyntax { target, .. } if target == "+1"));
    assert!(err.to_string().contains("offline"), "{err}");
    assert!(matches!(
        graph.plan_range("nope", "head", Direction::Up).unwrap_err(),
        TargetError::UnknownRevision { .. }
    ));
    // An anchored start is fine: a+1 = b.
    assert_eq!(
        revs(&graph.plan_range("a+1", "head", Direction::Up).unwrap()),
        ["c", "d"]
    );
}

#[test]
fn steps_serialize() {
    let step = Step {
        revision: "a".into(),
        direction: Direction::Up,
        heads_before: vec![],
        heads_after: heads(&["a"]),
    };
    assert_eq!(Direction::Down.to_string(), "down");
    assert_eq!(step.clone(), step);
}
