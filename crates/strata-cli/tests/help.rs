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

/// The subcommands listed by `strata --help`, without `help`.
fn subcommands(dir: &std::path::Path) -> Vec<String> {
    let out = strata(dir, None, &["--help"]);
    let help = stdout(&out);
    let list = help
        .split("Commands:\n")
        .nth(1)
        .expect("a Commands: section");
    list.lines()
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn shell_completions_for_four_shells() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_strata");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source <('{bin}' completions bash) && complete -p strata"
        ))
        .output()
        .expect("run bash");
    assert_exit(&out, 0);
    let registered = stdout(&out);
    assert!(registered.contains("-F _strata"), "{registered}");
    assert!(registered.trim_end().ends_with(" strata"), "{registered}");

    for (shell, marker) in [
        ("bash", "_strata()"),
        ("zsh", "#compdef strata"),
        ("fish", "complete -c strata"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = strata(dir.path(), None, &["completions", shell]);
        assert_exit(&out, 0);
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}: {marker} missing");
        for command in ["upgrade", "downgrade", "completions", "man"] {
            assert!(script.contains(command), "{shell} completes {command}");
        }
        assert!(script.contains("dry-run"), "{shell} completes flags");
    }
    let out = strata(dir.path(), None, &["completions", "tcsh"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("powershell"), "{}", text(&out));
}

#[test]
fn man_page_in_roff_names_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = strata(dir.path(), None, &["man"]);
    assert_exit(&out, 0);
    let page = stdout(&out);
    assert!(
        page.starts_with(".ie \\n(.g .ds Aq"),
        "roff preamble:\n{page}"
    );
    assert!(page.contains("\n.TH strata 1 "), "a .TH header:\n{page}");
    assert!(page.contains("\n.SH NAME\n") && page.contains("\n.SH SYNOPSIS\n"));
    let commands = subcommands(dir.path());
    assert!(commands.len() >= 26, "{commands:?}");
    for command in &commands {
        assert!(
            page.contains(&format!("strata\\-{command}(1)")),
            "the man page names {command}"
        );
    }
    let out = strata(dir.path(), None, &["man", "upgrade"]);
    assert_exit(&out, 0);
    let page = stdout(&out);
    assert!(page.contains("\n.TH strata-upgrade 1 "), "{page}");
    assert!(page.contains("\\-\\-dry\\-run"), "{page}");
    let out = strata(dir.path(), None, &["man", "upgarde"]);
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("did you mean `upgrade`?"),
        "{}",
        text(&out)
    );
}

/// An unknown subcommand runs nothing, whatever it resembles; the tip only suggests.
#[test]
fn unknown_subcommands_run_nothing() {
    let p = Project::new();
    // Nothing listens here: a command that ran would fail to connect (exit 3).
    let url = "postgres://nobody@127.0.0.1:1/none";
    for (typed, tip) in [
        ("completion", Some("'completions'")),
        ("complet", Some("'complete'")),
        ("comp", None),
        ("roll", None),
        ("downgrad", Some("'downgrade'")),
    ] {
        let out = strata(p.path(), Some(url), &[typed]);
        assert_exit(&out, 2);
        let t = text(&out);
        assert!(
            t.contains(&format!("unrecognized subcommand '{typed}'")),
            "{t}"
        );
        assert!(stdout(&out).is_empty(), "{t}");
        if let Some(tip) = tip {
            assert!(
                t.contains(&format!("similar subcommand exists: {tip}")),
                "{t}"
            );
        }
    }
    let out = strata(p.path(), Some(url), &["completion"]);
    assert!(!text(&out).contains("'complete'"), "{}", text(&out));
}
