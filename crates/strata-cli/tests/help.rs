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
        "version",
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

/// `strata ARGS --help` as a terminal `width` columns wide would show it.
fn help_at(dir: &std::path::Path, args: &[&str], width: usize) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(dir)
        .env_remove("STRATA_ENV")
        .env("NO_COLOR", "1")
        .env("COLUMNS", width.to_string())
        .args(args)
        .arg("--help")
        .output()
        .expect("run strata");
    assert_exit(&out, 0);
    stdout(&out)
}

#[test]
fn help_is_written_for_users_at_80_and_100_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut commands: Vec<Vec<&str>> = vec![vec![]];
    let names = subcommands(dir.path());
    commands.extend(names.iter().map(|n| vec![n.as_str()]));
    for width in [80, 100] {
        for command in &commands {
            let help = help_at(dir.path(), command, width);
            let shown = format!("strata {} --help at {width} columns", command.join(" "));
            assert!(!help.contains("SPEC"), "{shown} mentions the spec:\n{help}");
            for line in help.lines() {
                assert!(
                    line.matches('`').count() % 2 == 0,
                    "{shown} breaks a code span:\n{line}\n\n{help}"
                );
                assert!(line.chars().count() <= width, "{shown}: {line}");
            }
            // The command's own flags and the global ones are in separate groups.
            let (own, global) = help
                .split_once("\nGlobal options:\n")
                .unwrap_or_else(|| panic!("{shown} has no Global options:\n{help}"));
            assert!(
                global.contains("--config") && global.contains("--json"),
                "{shown}"
            );
            assert!(global.contains("--help"), "{shown}");
            assert!(!own.contains("--config <PATH>"), "{shown}:\n{help}");
        }
    }
    let help = help_at(dir.path(), &["upgrade"], 80);
    let (own, rest) = help.split_once("\nGlobal options:\n").unwrap();
    assert!(
        own.contains("\nOptions:\n") && own.contains("--dry-run"),
        "{help}"
    );
    // The group ends where the text after the flags (Targets, Examples) starts.
    let global: Vec<&str> = rest
        .lines()
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .collect();
    let global = global.join("\n");
    assert!(
        global.contains("--quiet") && !global.contains("--dry-run"),
        "{help}"
    );
}

#[test]
fn lint_help_lists_every_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let help = help_at(dir.path(), &["lint"], 100);
    let codes = help
        .split_once("Exit codes:\n")
        .expect("an Exit codes section")
        .1;
    for (code, meaning) in [
        ("0", "no finding of error severity"),
        ("1", "error findings"),
        ("2", "bad input"),
        ("3", "the database failed"),
    ] {
        assert!(
            codes.contains(&format!("  {code}  {meaning}")),
            "exit code {code}:\n{help}"
        );
    }
}

#[test]
fn errors_do_not_cite_the_spec() {
    let db = Db::sqlite();
    let p = Project::new();
    let out = strata(p.path(), Some(db.url()), &["start"]);
    assert_exit(&out, 2);
    let t = text(&out);
    assert!(t.contains("need PostgreSQL"), "{t}");
    assert!(!t.contains("SPEC"), "{t}");
}

/// The `--help` of the main commands, at 100 columns, as users see it.
#[test]
fn help_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    for command in [
        &[][..],
        &["revision"],
        &["upgrade"],
        &["downgrade"],
        &["current"],
        &["history"],
        &["log"],
        &["lint"],
        &["diff"],
        &["start"],
        &["complete"],
        &["status"],
    ] {
        let name = match command {
            [] => "help_strata".to_owned(),
            [c] => format!("help_{c}"),
            _ => unreachable!(),
        };
        insta::assert_snapshot!(name, help_at(dir.path(), command, 100));
    }
}
