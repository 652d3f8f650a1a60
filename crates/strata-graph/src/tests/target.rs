//! The target grammar: ids, prefixes, labels, keywords and relative steps.

use super::*;
use crate::{Anchor, Direction, Target, TargetError};

fn linear() -> Graph {
    g(&[("a", &[]), ("b", &["a"]), ("c", &["b"]), ("d", &["c"])])
}

/// Timestamp ids: 20260101120000 -> 20260101130000 -> 20260102090000, and a branch from the
/// first one, 20260101140000, which carries the label `audit`; the trunk root carries `core`.
fn stamped() -> Graph {
    gx(vec![
        Node::new("20260101120000", &[]).with_labels(&["core"]),
        Node::new("20260101130000", &["20260101120000"]),
        Node::new("20260102090000", &["20260101130000"]),
        Node::new("20260101140000", &["20260101120000"]).with_labels(&["audit"]),
        Node::new("20260103000000", &["20260101140000"]),
    ])
}

#[test]
fn parse_grammar() {
    let p = |t: &str| Target::parse(t).unwrap();
    assert_eq!(p("head"), Target::Head);
    assert_eq!(p("heads"), Target::Heads);
    assert_eq!(p("base"), Target::Base);
    assert_eq!(p("2026"), Target::Revision("2026".into()));
    assert_eq!(p("audit-log"), Target::Revision("audit-log".into()));
    assert_eq!(p("audit@head"), Target::BranchHead("audit".into()));
    assert_eq!(p("audit-log@base"), Target::BranchBase("audit-log".into()));
    assert_eq!(
        p("+2"),
        Target::Relative {
            anchor: None,
            direction: Direction::Up,
            steps: 2
        }
    );
    assert_eq!(
        p("-10"),
        Target::Relative {
            anchor: None,
            direction: Direction::Down,
            steps: 10
        }
    );
    assert_eq!(
        p("abc+1"),
        Target::Relative {
            anchor: Some(Anchor::Revision("abc".into())),
            direction: Direction::Up,
            steps: 1
        }
    );
    assert_eq!(
        p("head-3"),
        Target::Relative {
            anchor: Some(Anchor::Head),
            direction: Direction::Down,
            steps: 3
        }
    );
    // Only the last sign followed by digits splits; dashes inside labels stay.
    assert_eq!(
        p("release-2@head-1"),
        Target::Relative {
            anchor: Some(Anchor::BranchHead("release-2".into())),
            direction: Direction::Down,
            steps: 1
        }
    );
}

#[test]
fn parse_errors() {
    for bad in [
        "+0",
        "-0",
        "+x",
        "+",
        "-",
        "abc+",
        "a-",
        "-1.5",
        "+99999999999999999999999",
    ] {
        let err = Target::parse(bad).unwrap_err();
        assert_eq!(
            err,
            TargetError::InvalidStepCount { target: bad.into() },
            "{bad}"
        );
        assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
        assert!(err.to_string().contains("at least 1"), "{err}");
    }
    assert_eq!(Target::parse("").unwrap_err(), TargetError::Empty);
    for bad in [
        "a b", "a@tail", "@head", "heads+1", "base-1", "x@base+1", "a.b",
    ] {
        let err = Target::parse(bad).unwrap_err();
        assert!(
            matches!(&err, TargetError::InvalidSyntax { target, .. } if target == bad),
            "{bad}: {err:?}"
        );
        assert!(
            err.to_string()
                .starts_with(&format!("invalid target `{bad}`: ")),
            "{err}"
        );
    }
    let err = Target::parse("a@tail").unwrap_err();
    assert!(
        err.to_string()
            .contains("expected `head`, `base`, `+N` or `-N`"),
        "{err}"
    );
}

#[test]
fn resolve_ids_and_prefixes() {
    let graph = stamped();
    assert_eq!(graph.resolve("20260101130000").unwrap(), "20260101130000");
    let err = graph.resolve("202601021").unwrap_err();
    assert!(
        matches!(err, TargetError::UnknownRevision { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("no revision matches `202601021`"),
        "{err}"
    );
    assert_eq!(graph.resolve("2026010209").unwrap(), "20260102090000");
    // A near miss of an id's start suggests that id.
    assert_eq!(
        graph.resolve("202601031").unwrap_err(),
        TargetError::UnknownRevision {
            target: "202601031".into(),
            name: "202601031".into(),
            suggestion: Some("20260103000000".into()),
        }
    );
    assert_eq!(graph.resolve("2026010213").ok(), None);
    assert_eq!(graph.resolve("20260103").unwrap(), "20260103000000");
    // A label resolves to its revision.
    assert_eq!(graph.resolve("audit").unwrap(), "20260101140000");
}

#[test]
fn ambiguous_prefix_lists_candidates() {
    let graph = stamped();
    let err = graph.resolve("20260101").unwrap_err();
    assert_eq!(
        err,
        TargetError::AmbiguousPrefix {
            target: "20260101".into(),
            name: "20260101".into(),
            candidates: heads(&["20260101120000", "20260101130000", "20260101140000"]),
        }
    );
    let msg = err.to_string();
    assert!(
        msg.contains(
            "it is the start of 3 revision ids (20260101120000, 20260101130000, 20260101140000)"
        ),
        "{msg}"
    );
    assert!(msg.contains("type more of the id"), "{msg}");
    // The planners report it the same way.
    assert!(matches!(
        graph.plan_upgrade(&[], "20260101").unwrap_err(),
        TargetError::AmbiguousPrefix { .. }
    ));
}

#[test]
fn unknown_target_suggests_history() {
    let graph = linear();
    let err = graph.plan_upgrade(&[], "zzz").unwrap_err();
    assert_eq!(
        err,
        TargetError::UnknownRevision {
            target: "zzz".into(),
            name: "zzz".into(),
            suggestion: None,
        }
    );
    let msg = err.to_string();
    assert!(msg.starts_with("no revision matches `zzz`"), "{msg}");
    assert!(msg.contains("strata history"), "{msg}");
    // Inside a relative target, both parts are named.
    let err = graph.plan_upgrade(&[], "zzz+1").unwrap_err();
    assert!(
        err.to_string().contains("`zzz` (in target `zzz+1`)"),
        "{err}"
    );
    assert_eq!(err.target(), Some("zzz+1"));
    assert_eq!(
        graph.plan_downgrade(&heads(&["d"]), "").unwrap_err(),
        TargetError::Empty
    );
}

#[test]
fn label_head_and_label_base() {
    let graph = stamped();
    assert_eq!(graph.label_target("audit"), Some("20260101140000"));
    assert_eq!(
        graph.resolve_revision("audit@head").unwrap(),
        "20260103000000"
    );
    // `head` is ambiguous here: two branches.
    let err = graph.plan_upgrade(&[], "head").unwrap_err();
    assert!(matches!(&err, TargetError::MultipleHeads { heads, .. }
        if heads == &["20260102090000", "20260103000000"]));
    // audit@head upgrades only that branch.
    let plan = graph.plan_upgrade(&[], "audit@head").unwrap();
    assert_eq!(
        revs(&plan),
        ["20260101120000", "20260101140000", "20260103000000"]
    );
    // label@base as an upgrade target: nothing to do.
    assert!(graph.plan_upgrade(&[], "audit@base").unwrap().is_empty());
    // label@base as a downgrade target: the labelled revision and its descendants go, the
    // trunk stays.
    let current = heads(&["20260102090000", "20260103000000"]);
    let plan = graph.plan_downgrade(&current, "audit@base").unwrap();
    assert_eq!(revs(&plan), ["20260103000000", "20260101140000"]);
    assert_eq!(plan[1].heads_after, ["20260102090000"]);
    check_consistent(&graph, &current, &plan);
    // Already not applied: nothing to do.
    assert!(graph
        .plan_downgrade(&heads(&["20260102090000"]), "audit@base")
        .unwrap()
        .is_empty());
    // label@head downgrades to that head, if applied.
    assert!(graph
        .plan_downgrade(&current, "audit@head")
        .unwrap()
        .is_empty());
    // A bare label is its revision.
    let plan = graph.plan_downgrade(&current, "audit").unwrap();
    assert_eq!(revs(&plan), ["20260103000000"]);
}

#[test]
fn label_head_with_several_heads_is_an_error() {
    let graph = gx(vec![
        Node::new("a", &[]).with_labels(&["trunk"]),
        Node::new("b", &["a"]),
        Node::new("c", &["a"]),
    ]);
    let err = graph.plan_upgrade(&[], "trunk@head").unwrap_err();
    assert_eq!(
        err,
        TargetError::MultipleBranchHeads {
            target: "trunk@head".into(),
            branch: "trunk".into(),
            revision: "a".into(),
            heads: heads(&["b", "c"]),
        }
    );
    let msg = err.to_string();
    assert!(
        msg.contains("2 heads descend from revision a (b, c)"),
        "{msg}"
    );
    assert!(msg.contains("strata merge"), "{msg}");
}

#[test]
fn unknown_label_lists_known_ones() {
    let graph = stamped();
    let err = graph.plan_upgrade(&[], "nope@head").unwrap_err();
    assert_eq!(
        err,
        TargetError::UnknownLabel {
            target: "nope@head".into(),
            label: "nope".into(),
            known: heads(&["audit", "core"]),
        }
    );
    let msg = err.to_string();
    assert!(
        msg.contains("no revision has the branch label `nope` (in target `nope@head`)"),
        "{msg}"
    );
    assert!(msg.contains("the known labels are audit, core"), "{msg}");
    let err = linear()
        .plan_downgrade(&heads(&["d"]), "x@base")
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("no revision carries a branch label"),
        "{err}"
    );
}

#[test]
fn id_at_head_works_like_a_label() {
    let graph = stamped();
    assert_eq!(
        graph.resolve_revision("2026010113@head").unwrap(),
        "20260102090000"
    );
    let err = graph.resolve_revision("core@head").unwrap_err();
    assert!(
        matches!(&err, TargetError::MultipleBranchHeads { revision, heads, .. }
            if revision == "20260101120000" && heads == &["20260102090000", "20260103000000"]),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("2 heads descend from revision 20260101120000"),
        "{err}"
    );
}

#[test]
fn labels_that_look_relative() {
    // `release-2` is a label; `release-2` alone is that label, not `release` minus 2.
    let graph = gx(vec![
        Node::new("a", &[]),
        Node::new("b", &["a"]).with_labels(&["release-2"]),
        Node::new("c", &["b"]),
    ]);
    assert_eq!(
        graph.parse_target("release-2").unwrap(),
        Target::Revision("release-2".into())
    );
    assert_eq!(graph.resolve_revision("release-2").unwrap(), "b");
    assert_eq!(graph.resolve_revision("release-2+1").unwrap(), "c");
    assert_eq!(graph.resolve_revision("release-2@head-2").unwrap(), "a");
    assert_eq!(
        revs(&graph.plan_upgrade(&[], "release-2").unwrap()),
        ["a", "b"]
    );
}

#[test]
fn relative_from_current_state() {
    let graph = linear();
    // +N from base starts at the unique root.
    assert_eq!(revs(&graph.plan_upgrade(&[], "+2").unwrap()), ["a", "b"]);
    assert_eq!(
        revs(&graph.plan_upgrade(&heads(&["b"]), "+1").unwrap()),
        ["c"]
    );
    assert_eq!(
        revs(&graph.plan_upgrade(&heads(&["a"]), "+3").unwrap()),
        ["b", "c", "d"]
    );
    let plan = graph.plan_downgrade(&heads(&["d"]), "-1").unwrap();
    assert_eq!(trail(&plan), [("d", vec!["c"])]);
    assert_eq!(
        revs(&graph.plan_downgrade(&heads(&["d"]), "-4").unwrap()),
        ["d", "c", "b", "a"]
    );
}

#[test]
fn relative_past_head_and_past_base() {
    let graph = linear();
    let err = graph.plan_upgrade(&heads(&["b"]), "+3").unwrap_err();
    assert_eq!(
        err,
        TargetError::PastHead {
            target: "+3".into(),
            requested: 3,
            possible: 2,
            head: Some("d".into())
        }
    );
    let msg = err.to_string();
    assert!(
        msg.contains("asks for 3 steps up, but only 2 are possible (revision d has no children)"),
        "{msg}"
    );
    let err = graph.plan_upgrade(&heads(&["d"]), "+1").unwrap_err();
    assert!(err.to_string().contains("only 0 are possible"), "{err}");

    let err = graph.plan_downgrade(&heads(&["b"]), "-3").unwrap_err();
    assert_eq!(
        err,
        TargetError::PastBase {
            target: "-3".into(),
            requested: 3,
            possible: 2,
            root: None
        }
    );
    let msg = err.to_string();
    assert!(
        msg.contains("goes past base: it asks for 3 steps down, but only 2 are possible"),
        "{msg}"
    );
    assert!(msg.contains("use `base`"), "{msg}");
    let err = graph.plan_downgrade(&[], "-1").unwrap_err();
    assert!(matches!(err, TargetError::PastBase { possible: 0, .. }));
    let err = g(&[]).plan_upgrade(&[], "+1").unwrap_err();
    assert!(
        err.to_string().contains("(there are no revisions)"),
        "{err}"
    );
}

#[test]
fn relative_ambiguous_child_and_root() {
    let graph = g(&[("a", &[]), ("b", &["a"]), ("c", &["a"])]);
    let err = graph.plan_upgrade(&heads(&["a"]), "+1").unwrap_err();
    assert_eq!(
        err,
        TargetError::AmbiguousChild {
            target: "+1".into(),
            revision: "a".into(),
            children: heads(&["b", "c"])
        }
    );
    let msg = err.to_string();
    assert!(msg.contains("revision a has 2 children (b, c)"), "{msg}");
    assert!(msg.contains("by id"), "{msg}");
    // From a revision too.
    assert!(matches!(
        graph.resolve_revision("a+1"),
        Err(TargetError::AmbiguousChild { .. })
    ));
    // From base with several roots.
    let graph = g(&[("r1", &[]), ("r2", &[])]);
    let err = graph.plan_upgrade(&[], "+1").unwrap_err();
    assert_eq!(
        err,
        TargetError::AmbiguousRoot {
            target: "+1".into(),
            roots: heads(&["r1", "r2"])
        }
    );
    // With several current heads, +1 has no single place to start from.
    let err = graph.plan_upgrade(&heads(&["r1", "r2"]), "+1").unwrap_err();
    assert!(
        matches!(&err, TargetError::MultipleCurrentHeads { heads, steps_done: 0, .. }
        if heads == &["r1", "r2"])
    );
    assert!(
        err.to_string().contains("counts from the current revision"),
        "{err}"
    );
}

#[test]
fn relative_from_a_revision() {
    let graph = linear();
    assert_eq!(graph.resolve_revision("a+1").unwrap(), "b");
    assert_eq!(graph.resolve_revision("a+3").unwrap(), "d");
    assert_eq!(graph.resolve_revision("d-2").unwrap(), "b");
    assert_eq!(graph.resolve_revision("head-1").unwrap(), "c");
    // As targets: ID+N upgrades, ID-N downgrades, independent of the current state.
    assert_eq!(revs(&graph.plan_upgrade(&[], "a+1").unwrap()), ["a", "b"]);
    assert_eq!(
        revs(&graph.plan_downgrade(&heads(&["d"]), "d-2").unwrap()),
        ["d", "c"]
    );
    assert_eq!(
        revs(&graph.plan_downgrade(&heads(&["d"]), "b+1").unwrap()),
        ["d"]
    );
    assert!(graph
        .plan_upgrade(&heads(&["d"]), "d-2")
        .unwrap()
        .is_empty());

    let err = graph.resolve_revision("b-2").unwrap_err();
    assert_eq!(
        err,
        TargetError::PastBase {
            target: "b-2".into(),
            requested: 2,
            possible: 1,
            root: Some("a".into())
        }
    );
    assert!(
        err.to_string()
            .contains("(revision a is a root: it revises nothing)"),
        "{err}"
    );
    let err = graph.resolve_revision("c+2").unwrap_err();
    assert!(
        matches!(err, TargetError::PastHead { possible: 1, .. }),
        "{err:?}"
    );
}

#[test]
fn relative_from_a_revision_through_a_merge() {
    let graph = g(&[("a", &[]), ("b", &[]), ("m", &["a", "b"]), ("n", &["m"])]);
    assert_eq!(graph.resolve_revision("n-1").unwrap(), "m");
    let err = graph.resolve_revision("n-2").unwrap_err();
    assert_eq!(
        err,
        TargetError::AmbiguousParent {
            target: "n-2".into(),
            revision: "m".into(),
            parents: heads(&["a", "b"])
        }
    );
    assert!(
        err.to_string().contains("revision m is a merge of a and b"),
        "{err}"
    );
    // Going up through a merge is fine: a's only child is m.
    assert_eq!(graph.resolve_revision("a+2").unwrap(), "n");
}

#[test]
fn wrong_direction_and_heads_in_downgrade() {
    let graph = linear();
    let err = graph.plan_upgrade(&heads(&["b"]), "-1").unwrap_err();
    assert_eq!(
        err,
        TargetError::WrongDirection {
            target: "-1".into(),
            used_for: Direction::Up
        }
    );
    assert!(
        err.to_string()
            .contains("run `strata downgrade -1` instead"),
        "{err}"
    );
    let err = graph.plan_downgrade(&heads(&["b"]), "+1").unwrap_err();
    assert!(
        err.to_string().contains("run `strata upgrade +1` instead"),
        "{err}"
    );
    let err = graph.plan_downgrade(&heads(&["b"]), "heads").unwrap_err();
    assert_eq!(
        err,
        TargetError::HeadsInDowngrade {
            target: "heads".into()
        }
    );
    assert!(err.to_string().contains("`base`"), "{err}");
}

#[test]
fn head_on_an_empty_graph() {
    let graph = g(&[]);
    assert!(graph.plan_upgrade(&[], "head").unwrap().is_empty());
    assert!(graph.plan_upgrade(&[], "heads").unwrap().is_empty());
    let err = graph.resolve_revision("head").unwrap_err();
    assert_eq!(
        err,
        TargetError::NoRevisions {
            target: "head".into()
        }
    );
}

#[test]
fn resolve_revision_rejects_state_targets() {
    let graph = linear();
    for t in ["heads", "base", "+1", "a@base"] {
        let err = graph.resolve_revision(t).unwrap_err();
        assert!(
            matches!(&err, TargetError::InvalidSyntax { target, .. } if target == t),
            "{t}"
        );
    }
}

#[test]
fn every_target_error_names_its_target() {
    let graph = stamped();
    let cases: &[(&[&str], &str, bool)] = &[
        (&[], "nope", true),
        (&[], "2026", true),
        (&[], "head", true),
        (&[], "x@head", true),
        (&[], "+0", true),
        (&[], "-1", true),
        (&["20260101120000"], "+1", true),
        (&["20260101120000"], "heads", false),
        (&["20260101120000"], "20260103", false),
    ];
    for (current, target, up) in cases {
        let current = heads(current);
        let err = if *up {
            graph.plan_upgrade(&current, target).unwrap_err()
        } else {
            graph.plan_downgrade(&current, target).unwrap_err()
        };
        assert_eq!(err.target(), Some(*target), "{err:?}");
        assert!(err.to_string().contains(&format!("`{target}`")), "{err}");
        assert!(err
            .to_string()
            .ends_with(|c: char| c.is_alphanumeric() || c == '`' || c == ')'));
    }
}

#[test]
fn near_misses_suggest_the_closest_name() {
    let graph = stamped();
    let suggestion = |text: &str| match graph.plan_upgrade(&[], text).unwrap_err() {
        TargetError::UnknownRevision { suggestion, .. } => suggestion,
        other => panic!("{text}: {other:?}"),
    };
    assert_eq!(suggestion("hed").as_deref(), Some("head"));
    assert_eq!(suggestion("heeds").as_deref(), Some("heads"));
    assert_eq!(suggestion("bas").as_deref(), Some("base"));
    assert_eq!(suggestion("audt").as_deref(), Some("audit"));
    assert_eq!(
        suggestion("20260101140001").as_deref(),
        Some("20260101140000")
    );
    assert_eq!(suggestion("x"), None);
    assert_eq!(suggestion("elephant"), None);
    let msg = graph.plan_upgrade(&[], "hed").unwrap_err().to_string();
    assert!(msg.contains("did you mean `head`?"), "{msg}");
    assert!(
        msg.contains("`strata history` lists the revisions"),
        "{msg}"
    );
    // Counting from a misspelt anchor: only `head` can be counted from.
    let msg = graph.plan_upgrade(&[], "hed+1").unwrap_err().to_string();
    assert!(msg.contains("`hed` (in target `hed+1`)"), "{msg}");
    assert!(msg.contains("did you mean `head`?"), "{msg}");
    let msg = graph.plan_upgrade(&[], "bas+1").unwrap_err().to_string();
    assert!(!msg.contains("did you mean"), "{msg}");
}

/// a -> b -> c on the trunk; o1 (label `orders`) -> o2 -> o3 branching from a.
fn with_orders() -> Graph {
    gx(vec![
        Node::new("a", &[]),
        Node::new("b", &["a"]),
        Node::new("c", &["b"]),
        Node::new("o1", &["a"]).with_labels(&["orders"]),
        Node::new("o2", &["o1"]),
        Node::new("o3", &["o2"]),
    ])
}

#[test]
fn branch_relative_parses() {
    assert_eq!(
        Target::parse("orders@-1").unwrap(),
        Target::Relative {
            anchor: Some(Anchor::Branch("orders".into())),
            direction: Direction::Down,
            steps: 1
        }
    );
    assert_eq!(
        Target::parse("release-2@+2").unwrap(),
        Target::Relative {
            anchor: Some(Anchor::Branch("release-2".into())),
            direction: Direction::Up,
            steps: 2
        }
    );
    for (bad, says) in [
        ("@-1", "nothing before `@`"),
        ("a.b@-1", "`a.b` before `@`"),
        ("orders@", "nothing follows `@`"),
        ("orders@tail", "not `tail`"),
    ] {
        let err = Target::parse(bad).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("invalid target `{bad}`: ")),
            "{msg}"
        );
        assert!(msg.contains(says), "{bad}: {msg}");
    }
    assert!(matches!(
        Target::parse("orders@-0").unwrap_err(),
        TargetError::InvalidStepCount { .. }
    ));
}

#[test]
fn branch_relative_downgrade_counts_within_the_branch() {
    let graph = with_orders();
    let all = heads(&["c", "o3"]);
    let plan = graph.plan_downgrade(&all, "orders@-1").unwrap();
    assert_eq!(trail(&plan), [("o3", vec!["c", "o2"])]);
    check_consistent(&graph, &all, &plan);
    assert_eq!(
        revs(&graph.plan_downgrade(&all, "orders@-2").unwrap()),
        ["o3", "o2"]
    );
    // The last possible step reverts the labelled revision; the trunk is never touched.
    let plan = graph.plan_downgrade(&all, "orders@-3").unwrap();
    assert_eq!(revs(&plan), ["o3", "o2", "o1"]);
    assert_eq!(plan[2].heads_after, ["c"]);
    let err = graph.plan_downgrade(&all, "orders@-4").unwrap_err();
    assert_eq!(
        err,
        TargetError::PastBranchBase {
            target: "orders@-4".into(),
            branch: "orders".into(),
            requested: 4,
            possible: 3,
        }
    );
    assert!(err.to_string().contains("use `orders@base`"), "{err}");
    // Counts from the branch's applied head, not its newest revision.
    assert_eq!(
        revs(
            &graph
                .plan_downgrade(&heads(&["c", "o2"]), "orders@-1")
                .unwrap()
        ),
        ["o2"]
    );
    // Nothing of the branch applied.
    let err = graph
        .plan_downgrade(&heads(&["c"]), "orders@-1")
        .unwrap_err();
    assert!(
        matches!(err, TargetError::BranchNotApplied { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("none of it is applied"), "{err}");
    // An unknown branch names the known labels; the wrong direction says which command.
    let err = graph.plan_downgrade(&all, "ordres@-1").unwrap_err();
    assert!(
        err.to_string().contains("the known labels are orders"),
        "{err}"
    );
    let err = graph.plan_downgrade(&all, "orders@+1").unwrap_err();
    assert!(
        err.to_string().contains("strata upgrade orders@+1"),
        "{err}"
    );
}

#[test]
fn branch_relative_upgrade_counts_within_the_branch() {
    let graph = with_orders();
    // Nothing of the branch applied: the first step is the labelled revision.
    let start = heads(&["c"]);
    let plan = graph.plan_upgrade(&start, "orders@+2").unwrap();
    assert_eq!(revs(&plan), ["o1", "o2"]);
    check_consistent(&graph, &start, &plan);
    assert_eq!(
        graph.counted_steps(&start, "orders@+2").unwrap(),
        Some(heads(&["o1", "o2"]))
    );
    assert_eq!(
        revs(
            &graph
                .plan_upgrade(&heads(&["c", "o1"]), "orders@+1")
                .unwrap()
        ),
        ["o2"]
    );
    // From base, the revisions the branch needs come along.
    assert_eq!(
        revs(&graph.plan_upgrade(&[], "orders@+1").unwrap()),
        ["a", "o1"]
    );
    let err = graph.plan_upgrade(&start, "orders@+4").unwrap_err();
    assert_eq!(
        err,
        TargetError::PastHead {
            target: "orders@+4".into(),
            requested: 4,
            possible: 3,
            head: Some("o3".into()),
        }
    );
    let err = graph.plan_upgrade(&start, "orders@-1").unwrap_err();
    assert!(
        err.to_string().contains("strata downgrade orders@-1"),
        "{err}"
    );
    // Offline there is no state to count from.
    let err = graph
        .plan_range("orders@+1", "head", Direction::Up)
        .unwrap_err();
    assert!(err.to_string().contains("cannot count from"), "{err}");
    let err = graph.resolve_revision("orders@+1").unwrap_err();
    assert!(err.to_string().contains("not known here"), "{err}");
}

#[test]
fn branch_with_two_applied_heads_is_ambiguous() {
    let graph = gx(vec![
        Node::new("a", &[]).with_labels(&["trunk"]),
        Node::new("b", &["a"]),
        Node::new("c", &["a"]),
    ]);
    let err = graph
        .plan_downgrade(&heads(&["b", "c"]), "trunk@-1")
        .unwrap_err();
    assert_eq!(
        err,
        TargetError::MultipleBranchCurrentHeads {
            target: "trunk@-1".into(),
            branch: "trunk".into(),
            heads: heads(&["b", "c"]),
        }
    );
    assert!(err.to_string().contains("2 applied heads (b, c)"), "{err}");
}

#[test]
fn counted_steps_name_what_a_relative_upgrade_counts() {
    // a -> b, a -> c, m merges b and c.
    let graph = g(&[("a", &[]), ("b", &["a"]), ("c", &["a"]), ("m", &["b", "c"])]);
    let current = heads(&["b"]);
    assert_eq!(
        graph.counted_steps(&current, "+1").unwrap(),
        Some(heads(&["m"]))
    );
    // The plan is longer: the merge needs its other parent.
    assert_eq!(
        revs(&graph.plan_upgrade(&current, "+1").unwrap()),
        ["c", "m"]
    );
    assert_eq!(
        graph.counted_steps(&current, "b+1").unwrap(),
        Some(heads(&["m"]))
    );
    assert_eq!(graph.counted_steps(&current, "head").unwrap(), None);
    assert_eq!(graph.counted_steps(&current, "m-1").unwrap(), None);
}
