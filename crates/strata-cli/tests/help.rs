//! `--help` teaches: every command has one, with an example.

mod common;
use common::*;

#[test]
fn every_command_has_help_with_an_example() {
    let dir = tempfile::tempdir().unwrap();
    let commands = [
        "init",
        "revision",
        "upgrade",
        "downgrade",
        "current",
        "history",
        "log",
        "heads",
        "branches",
        "show",
        "merge",
        "stamp",
        "verify",
        "graph",
        "inspect",
        "lint",
    ];
    for command in commands {
        let out = strata(dir.path(), None, &[command, "--help"]);
        assert_exit(&out, 0);
        let help = stdout(&out);
        assert!(
            help.contains("Example"),
            "`strata {command} --help` has no example:\n{help}"
        );
        assert!(
            help.contains(&format!("strata {command}")),
            "`strata {command} --help` shows no use of it:\n{help}"
        );
    }
    let out = strata(dir.path(), None, &["--help"]);
    assert_exit(&out, 0);
    for command in commands {
        assert!(
            stdout(&out).contains(command),
            "top-level help lists {command}"
        );
    }
    assert!(stdout(&out).contains("Exit codes"));
}

#[test]
fn version_and_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = strata(dir.path(), None, &["--version"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).starts_with("strata "));
    assert_exit(&strata(dir.path(), None, &["no-such-command"]), 2);
    assert_exit(&strata(dir.path(), None, &["downgrade"]), 2);
    // Without strata.toml strata runs on the defaults; a missing migrations folder is bad input.
    let out = strata(dir.path(), None, &["heads"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("strata init"), "{}", text(&out));
}
