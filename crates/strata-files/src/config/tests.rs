use super::*;

fn parse(text: &str) -> Result<Config, Vec<Diagnostic>> {
    parse_config("strata.toml", PathBuf::from("/project"), text)
}

fn errors(text: &str) -> Vec<(usize, String)> {
    let diags = parse(text).expect_err("expected errors");
    for d in &diags {
        assert_eq!(d.file, "strata.toml");
        assert!(d.hint.is_some(), "no hint: {d}");
    }
    diags.into_iter().map(|d| (d.line, d.message)).collect()
}

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn the_full_example_of_the_spec() {
    let text = r#"migrations_dir = "db/migrations"
schema = ["schema", "extra.sql"]
schema_command = "python -m app.dump_ddl"
version_table = "app.strata_version"
history_table = "strata_log"
default_env = "production"

[env.development]
url = "sqlite://strata-dev.db"

[env.production]
url = "${DATABASE_URL}"
shadow_url = "${SHADOW_DATABASE_URL}"
lock_timeout = "5s"
statement_timeout = "30m"
lock_retries = 3
lint = "enforce"

[lint]
pg_version = 15
disable = ["prefer-text"]
"#;
    let c = parse(text).unwrap();
    assert_eq!(c.root, PathBuf::from("/project"));
    assert_eq!(c.path, Some(PathBuf::from("/project/strata.toml")));
    assert_eq!(c.migrations_dir, "db/migrations");
    assert_eq!(c.schema, ["schema", "extra.sql"]);
    assert_eq!(c.schema_command.as_deref(), Some("python -m app.dump_ddl"));
    assert_eq!(c.version_table, "app.strata_version");
    assert_eq!(c.history_table, "strata_log");
    assert_eq!(c.default_env, "production");
    let prod = &c.envs["production"];
    assert_eq!(
        prod.url,
        Some(Located {
            value: "${DATABASE_URL}".into(),
            line: 12
        })
    );
    assert_eq!(prod.shadow_url.as_ref().unwrap().line, 13);
    assert_eq!(prod.lock_timeout, Some(Duration::from_secs(5)));
    assert_eq!(prod.statement_timeout, Some(Duration::from_secs(1800)));
    assert_eq!(prod.lock_retries, Some(3));
    assert_eq!(prod.lint, Some(LintMode::Enforce));
    assert_eq!(c.envs["development"].url.as_ref().unwrap().line, 9);
    let lint = c.lint.unwrap();
    assert_eq!(lint["pg_version"].as_integer(), Some(15));
}

#[test]
fn an_empty_file_is_the_default() {
    let c = parse("").unwrap();
    let mut expected = default_config(PathBuf::from("/project"));
    expected.path = Some(PathBuf::from("/project/strata.toml"));
    assert_eq!(c, expected);
    assert!(c.envs.is_empty());
    assert_eq!(c.default_env, "development");
}

#[test]
fn the_template_parses() {
    let c = parse(CONFIG_TEMPLATE).unwrap();
    assert_eq!(c.migrations_dir, "migrations");
    assert_eq!(c.default_env, "development");
    assert_eq!(
        c.envs["development"].url.as_ref().unwrap().value,
        "sqlite://strata-dev.db"
    );
    assert!(!c.envs.contains_key("production"));
    // Uncommented, the production example is valid too.
    let uncommented = CONFIG_TEMPLATE
        .replace("# [env.production]", "[env.production]")
        .replace("\n# url", "\nurl")
        .replace("\n# shadow_url", "\nshadow_url")
        .replace("\n# lock_", "\nlock_")
        .replace("\n# statement_", "\nstatement_")
        .replace("\n# lint", "\nlint");
    let c = parse(&uncommented).unwrap();
    let prod = &c.envs["production"];
    assert_eq!(prod.url.as_ref().unwrap().value, "${DATABASE_URL}");
    assert_eq!(prod.lock_timeout, Some(Duration::from_secs(5)));
    assert_eq!(prod.statement_timeout, Some(Duration::from_secs(30 * 60)));
    assert_eq!(prod.lock_retries, Some(3));
    assert_eq!(prod.lint, Some(LintMode::Enforce));
}

#[test]
fn lint_naming_patterns_with_their_lines() {
    let c = parse(
        "[lint]\npg_version = 15\n\n[lint.naming]\nindex = \"^idx_\"\nforeign_key = '^fk_\\w+$'\n",
    )
    .unwrap();
    assert_eq!(c.lint_naming.len(), 2);
    assert_eq!(
        c.lint_naming["index"],
        Located {
            value: "^idx_".to_owned(),
            line: 5
        }
    );
    assert_eq!(c.lint_naming["foreign_key"].value, "^fk_\\w+$");
    assert_eq!(c.lint_naming["foreign_key"].line, 6);
    // The table stays in `lint` too, for the linter's other keys.
    assert!(c.lint.unwrap().contains_key("naming"));
    assert!(parse("[lint]\npg_version = 15\n")
        .unwrap()
        .lint_naming
        .is_empty());
}

#[test]
fn lint_naming_problems_at_their_lines() {
    let errs = errors(
        "[lint.naming]\nindex = \"^idx_(\"\nforeing_key = \"^fk_\"\ncheck = 3\nunique = \"\"\n",
    );
    assert_eq!(
        errs.iter().map(|e| e.0).collect::<Vec<_>>(),
        [2, 3, 4, 5],
        "{errs:?}"
    );
    assert!(
        errs[0]
            .1
            .starts_with("`lint.naming.index` is not a valid regular expression"),
        "{errs:?}"
    );
    assert!(
        errs[1].1.contains("`foreing_key` in [lint.naming]"),
        "{errs:?}"
    );
    assert!(
        errs[2].1.contains("must be a string, not an integer"),
        "{errs:?}"
    );
    assert!(errs[3].1.contains("must not be empty"), "{errs:?}");
    let diags = parse("[lint.naming]\nforeing_key = \"^fk_\"\n").unwrap_err();
    assert!(diags[0]
        .hint
        .as_deref()
        .unwrap()
        .starts_with("did you mean `foreign_key`?"));
    let errs = errors("[lint]\nnaming = \"^fk_\"\n");
    assert_eq!(errs[0].0, 1, "at the line of [lint]: {errs:?}");
    assert!(
        errs[0].1.contains("`lint.naming` must be a table"),
        "{errs:?}"
    );
}

#[test]
fn unknown_keys_at_their_lines() {
    let errs = errors("migrations_dir = \"m\"\nmigration_dir = \"m\"\n\n[env.dev]\nurl = \"sqlite://x\"\nlock_timout = \"5s\"\n");
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert_eq!(errs[0].0, 2);
    assert!(errs[0].1.contains("`migration_dir`"));
    assert_eq!(errs[1].0, 6);
    assert!(errs[1].1.contains("`lock_timout` in [env.dev]"));
    let diags = parse("migration_dir = \"m\"\n").unwrap_err();
    assert!(diags[0]
        .hint
        .as_deref()
        .unwrap()
        .starts_with("did you mean `migrations_dir`?"));
}

#[test]
fn dotted_and_inline_env_tables() {
    let c =
        parse("env.dev.url = \"sqlite://a.db\"\n[env.prod]\nurl = \"postgres://h/d\"\n").unwrap();
    assert_eq!(
        c.envs["dev"].url,
        Some(Located {
            value: "sqlite://a.db".into(),
            line: 1
        })
    );
    let c = parse("[env]\nci = { url = \"sqlite::memory:\", lock_retries = 0 }\n").unwrap();
    assert_eq!(c.envs["ci"].lock_retries, Some(0));
    assert_eq!(c.envs["ci"].url.as_ref().unwrap().line, 2);
}

#[test]
fn wrong_types_at_their_lines() {
    let errs = errors(
        "\nmigrations_dir = 3\nschema = [\"a\", 1]\n[env.x]\nlock_retries = \"3\"\nurl = 5\n",
    );
    assert_eq!(
        errs.iter().map(|e| e.0).collect::<Vec<_>>(),
        [2, 3, 5, 6],
        "{errs:?}"
    );
    assert!(
        errs[0].1.contains("must be a string, not an integer"),
        "{}",
        errs[0].1
    );
    assert_eq!(errors("env = \"prod\"\n")[0].0, 1);
    assert_eq!(errors("lint = \"warn\"\n")[0].0, 1);
    assert_eq!(errors("migrations_dir = \"\"\n")[0].0, 1);
    assert_eq!(errors("[env.x]\nlock_retries = -1\n")[0].0, 2);
    assert_eq!(errors("[env.x]\nlint = \"strict\"\n")[0].0, 2);
}

#[test]
fn state_table_names_have_at_most_two_parts() {
    let c = parse("version_table = \"app.v\"\nhistory_table = \"Mixed Case\"\n").unwrap();
    assert_eq!(
        (c.version_table.as_str(), c.history_table.as_str()),
        ("app.v", "Mixed Case")
    );
    let errs = errors("\nversion_table = \"a.b.c\"\nhistory_table = \"app.\"\n");
    assert_eq!(
        errs.iter().map(|e| e.0).collect::<Vec<_>>(),
        [2, 3],
        "{errs:?}"
    );
    assert!(errs[0].1.contains("`version_table`"), "{}", errs[0].1);
    assert!(errs[0].1.contains("3 dot-separated parts"), "{}", errs[0].1);
    assert!(errs[1].1.contains("`history_table`"), "{}", errs[1].1);
    assert!(errs[1].1.contains("empty part"), "{}", errs[1].1);
    for bad in [
        "\".t\"",
        "\"a..b\"",
        "\"  \"",
        "\"\"",
        "\"a\\u001bb\"",
        "\" . \"",
    ] {
        let errs = errors(&format!("history_table = {bad}\n"));
        assert_eq!(errs.len(), 1, "{bad}: {errs:?}");
        assert_eq!(errs[0].0, 1);
        assert!(
            errs[0].1.contains("`history_table`"),
            "{bad}: {}",
            errs[0].1
        );
    }
}

#[test]
fn verify_modes() {
    let c = parse("[env.a]\nverify = \"off\"\n[env.b]\nverify = \"before-upgrade\"\n[env.c]\nverify = \"warn\"\n[env.d]\n").unwrap();
    assert_eq!(c.envs["a"].verify, Some(VerifyMode::Off));
    assert_eq!(c.envs["b"].verify, Some(VerifyMode::BeforeUpgrade));
    assert_eq!(c.envs["c"].verify, Some(VerifyMode::Warn));
    assert_eq!(c.envs["d"].verify, None);
    let errs = errors("[env.x]\nurl = \"sqlite::memory:\"\nverify = \"always\"\n");
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].0, 3);
    assert!(
        errs[0].1.contains(
            "`env.x.verify` must be \"off\", \"warn\" or \"before-upgrade\", not \"always\""
        ),
        "{}",
        errs[0].1
    );
    assert_eq!(errors("[env.x]\nverify = true\n")[0].0, 2);
    assert_eq!(errors("verify = \"warn\"\n")[0].0, 1);
}

#[test]
fn durations() {
    assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
    assert_eq!(parse_duration("5s"), Some(Duration::from_secs(5)));
    assert_eq!(parse_duration("30m"), Some(Duration::from_secs(1800)));
    assert_eq!(parse_duration("30min"), Some(Duration::from_secs(1800)));
    assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
    assert_eq!(parse_duration("1d"), Some(Duration::from_secs(86400)));
    assert_eq!(parse_duration(" 0s "), Some(Duration::ZERO));
    assert_eq!(parse_duration("10 s"), Some(Duration::from_secs(10)));
    for bad in [
        "500",
        "",
        "s",
        "5x",
        "-5s",
        "1.5s",
        "5 seconds",
        "99999999999999999999d",
        "18446744073709551615d",
    ] {
        assert_eq!(parse_duration(bad), None, "{bad}");
    }
}

#[test]
fn invalid_durations_at_their_lines() {
    let errs =
        errors("[env.p]\nlock_timeout = \"500\"\nstatement_timeout = 30\nlock_retries = 1\n\n\n");
    assert_eq!(errs.iter().map(|e| e.0).collect::<Vec<_>>(), [2, 3]);
    let diags = parse("[env.p]\nlock_timeout = \"500\"\n").unwrap_err();
    assert!(diags[0].hint.as_deref().unwrap().contains("`500ms`"));
    assert_eq!(
        errors("[env.p]\n\nstatement_timeout = \"5 weeks\"\n")[0].0,
        3
    );
}

#[test]
fn toml_syntax_errors_at_their_line() {
    let errs = errors("migrations_dir = \"m\"\n\nschema = [\"a\"\nversion_table = \n");
    assert_eq!(errs.len(), 1);
    assert!(errs[0].0 >= 3, "{errs:?}");
    assert!(errs[0].1.starts_with("invalid TOML"));
    let errs = errors("a = 1\nmigrations_dir = \"x\"\nmigrations_dir = \"y\"\n");
    assert_eq!(errs[0].0, 3, "{errs:?}");
}

#[test]
fn default_env_must_exist_when_envs_are_defined() {
    let errs = errors("default_env = \"prod\"\n[env.production]\nurl = \"x\"\n");
    assert_eq!(errs[0].0, 1);
    // Without environments any name is fine.
    assert!(parse("default_env = \"ci\"\n").is_ok());
}

fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

#[test]
fn interpolation() {
    let env = vars(&[("HOST", "db"), ("PASS", "s3cr$t"), ("EMPTY", "")]);
    let at = |s: &str| Located {
        value: s.to_owned(),
        line: 9,
    };
    assert_eq!(
        interpolate("strata.toml", &at("postgres://u:${PASS}@${HOST}/x"), &env).unwrap(),
        "postgres://u:s3cr$t@db/x"
    );
    assert_eq!(
        interpolate("strata.toml", &at("a$$b$HOST"), &env).unwrap(),
        "a$$b$HOST"
    );
    assert_eq!(
        interpolate("strata.toml", &at("no vars"), &env).unwrap(),
        "no vars"
    );
    let unset = interpolate("strata.toml", &at("${DATABASE_URL}"), &env).unwrap_err();
    assert_eq!((unset.file.as_str(), unset.line), ("strata.toml", 9));
    assert_eq!(
        unset.message,
        "environment variable DATABASE_URL is not set"
    );
    assert_eq!(unset.hint.as_deref(), Some("export DATABASE_URL=..."));
    assert!(interpolate("strata.toml", &at("x${HOST"), &env)
        .unwrap_err()
        .message
        .contains("unterminated"));
    assert!(interpolate("strata.toml", &at("${}"), &env).is_err());
    assert!(interpolate("strata.toml", &at("${1A}"), &env).is_err());
    assert!(interpolate("strata.toml", &at("${EMPTY}"), &env)
        .unwrap_err()
        .message
        .contains("is empty"));
}

#[test]
fn config_lines_are_shown_without_passwords() {
    for (line, shown) in [
        (
            "url = \"postgres://u:S3cr#3tPW@h/d\"",
            "url = \"postgres://u:***@h/d\"",
        ),
        ("url = \"postgres://u:p/ss?w0rd@h/d\"  # prod", "url = ***"),
        ("url = \"postgres:/u:S3cr#3tPW@h/d\"", "url = \"***\""),
        ("url = 'u:pa ss@h/d'", "url = '***'"),
        ("url = postgresql//u:S3cr3t@h/d", "url = ***"),
        ("t = \"5u:pa ss w0rd\"@h/d\"", "t = ***"),
        ("\"a\"@b = 1", "***"),
        ("url = \"x:/\"/u:S3cr#3t'${S}@h/d\"", "url = ***"),
        ("a#S3cr#3t${x:// = \"X}@h/d\"", "***"),
        ("[env.\"a@b\"]", "***"),
        ("shadow_url =s:/u:S3cr#3t \"${3t@h/d'", "shadow_url = ***"),
        (
            "url = \"postgres://u:S3cr3t@h/d",
            "url = \"postgres://u:***@h/d",
        ),
        (
            "ci = { url = \"postgress://u:x@h/d\", lock_retries = 1 }",
            "ci = { url = \"postgress://u:***@h/d\", lock_retries = 1 }",
        ),
        (
            "url = \"postgres://h/d?password=S3cr3t\"",
            "url = \"postgres://h/d?password=***\"",
        ),
        ("lock_timeout = \"5s\"", "lock_timeout = \"5s\""),
        ("url = \"${DATABASE_URL}\"", "url = \"${DATABASE_URL}\""),
    ] {
        assert_eq!(mask_config_line(line), shown, "{line}");
    }
}

#[test]
fn a_dollar_in_a_url_password_is_not_quoted() {
    let env = vars(&[]);
    let at = |s: &str| Located {
        value: s.to_owned(),
        line: 1,
    };
    let bad = interpolate_key(
        "strata.toml",
        Some("env.prod.url"),
        &at("postgres://u:S3cr${3tPW}@h/d"),
        &env,
    )
    .unwrap_err();
    assert!(!bad.message.contains("3tPW"), "{bad}");
    assert!(
        bad.message
            .contains("not a valid environment variable reference (used by env.prod.url)"),
        "{bad}"
    );
    assert!(bad.hint.as_deref().unwrap().contains("%24"), "{bad}");
    let open = interpolate_key(
        "strata.toml",
        Some("env.prod.url"),
        &at("postgres://u:S3cr${3tPW@h/d"),
        &env,
    )
    .unwrap_err();
    assert!(!open.message.contains("3tPW"), "{open}");
    // Elsewhere the reference is quoted.
    let other = interpolate("strata.toml", &at("a${1x}"), &env).unwrap_err();
    assert!(other.message.contains("`${1x}`"), "{other}");
}

const TWO_ENVS: &str = "[env.development]\nurl = \"sqlite://dev.db\"\n\n[env.production]\n\n\n\n\nurl = \"${DATABASE_URL}\"\nshadow_url = \"${SHADOW}\"\n";

#[test]
fn url_precedence() {
    let c = parse(TWO_ENVS).unwrap();
    let env = vars(&[("DATABASE_URL", "postgres://env/x")]);
    assert_eq!(
        resolve_url(&c, "production", Some("postgres://cli/x"), &env).unwrap(),
        "postgres://cli/x"
    );
    assert_eq!(
        resolve_url(&c, "production", None, &env).unwrap(),
        "postgres://env/x"
    );
    assert_eq!(
        resolve_url(&c, "development", None, &env).unwrap(),
        "sqlite:///project/dev.db"
    );
    // An environment without url falls back to DATABASE_URL, then to sqlite://strata.db.
    let c = parse("[env.development]\nlock_retries = 1\n").unwrap();
    assert_eq!(
        resolve_url(&c, "development", None, &env).unwrap(),
        "postgres://env/x"
    );
    assert_eq!(
        resolve_url(&c, "development", None, &no_env).unwrap(),
        "sqlite:///project/strata.db"
    );
    let d = default_config(PathBuf::from("/project"));
    assert_eq!(
        resolve_url(&d, "development", None, &no_env).unwrap(),
        "sqlite://strata.db"
    );
    assert_eq!(
        resolve_url(&d, "development", None, &env).unwrap(),
        "postgres://env/x"
    );
}

#[test]
fn an_unset_variable_is_reported_at_its_line_only_for_the_selected_env() {
    let c = parse(TWO_ENVS).unwrap();
    assert_eq!(
        resolve_url(&c, "development", None, &no_env).unwrap(),
        "sqlite:///project/dev.db"
    );
    let err = resolve_url(&c, "production", None, &no_env).unwrap_err();
    assert_eq!(
        err.to_string(),
        "strata.toml:9: environment variable DATABASE_URL is not set (used by env.production.url)\n  hint: export DATABASE_URL=..."
    );
    let err = resolve_shadow_url(&c, "production", &no_env).unwrap_err();
    assert_eq!(err.line, 10);
    assert!(err
        .message
        .contains("SHADOW is not set (used by env.production.shadow_url)"));
    assert_eq!(
        resolve_shadow_url(&c, "development", &no_env).unwrap(),
        None
    );
    let shadow = vars(&[("SHADOW", "sqlite:shadow.db")]);
    assert_eq!(
        resolve_shadow_url(&c, "production", &shadow)
            .unwrap()
            .as_deref(),
        Some("sqlite:/project/shadow.db")
    );
}

#[test]
fn unknown_environments() {
    let c = parse(TWO_ENVS).unwrap();
    let err = resolve_url(&c, "prod", None, &no_env).unwrap_err();
    assert!(
        err.message.contains("unknown environment `prod`"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("development, production"),
        "{}",
        err.message
    );
    // Even with --url: the environment also carries timeouts.
    assert!(resolve_url(&c, "staging", Some("sqlite::memory:"), &no_env).is_err());
    let d = default_config(PathBuf::from("/project"));
    assert!(resolve_url(&d, "development", None, &no_env).is_ok());
    assert!(resolve_url(&d, "staging", None, &no_env)
        .unwrap_err()
        .message
        .contains("unknown environment `staging`"));
    assert_eq!(c.environment("production").unwrap().url.unwrap().line, 9);
}

#[test]
fn sqlite_paths_from_the_config_are_relative_to_its_folder() {
    let root = Path::new("/project");
    assert_eq!(
        sqlite_relative_to("sqlite://dev.db", root),
        "sqlite:///project/dev.db"
    );
    assert_eq!(
        sqlite_relative_to("sqlite://./data/dev.db?mode=rwc", root),
        "sqlite:///project/data/dev.db?mode=rwc"
    );
    assert_eq!(
        sqlite_relative_to("sqlite:dev.db", root),
        "sqlite:/project/dev.db"
    );
    assert_eq!(
        sqlite_relative_to("sqlite:///abs/dev.db", root),
        "sqlite:///abs/dev.db"
    );
    assert_eq!(
        sqlite_relative_to("sqlite::memory:", root),
        "sqlite::memory:"
    );
    assert_eq!(
        sqlite_relative_to("sqlite://:memory:", root),
        "sqlite://:memory:"
    );
    assert_eq!(sqlite_relative_to("postgres://h/d", root), "postgres://h/d");
    // --url and DATABASE_URL stay relative to the current directory.
    let c = parse(TWO_ENVS).unwrap();
    assert_eq!(
        resolve_url(&c, "development", Some("sqlite://cli.db"), &no_env).unwrap(),
        "sqlite://cli.db"
    );
    let env = vars(&[("DATABASE_URL", "sqlite://env.db")]);
    let c = parse("[env.development]\n").unwrap();
    assert_eq!(
        resolve_url(&c, "development", None, &env).unwrap(),
        "sqlite://env.db"
    );
}

#[test]
fn never_panics_on_odd_configs() {
    let pieces = [
        "[env.a]\n",
        "[env]\n",
        "url = ",
        "\"x\"",
        "'${A}'",
        "3",
        "[lint]\n",
        "env = 1\n",
        "schema = [",
        "]",
        "\n",
        "é",
        "=",
        "\"",
        "lock_timeout = \"5\"\n",
        "a.b.c = 1\n",
        "{",
        "}",
        "1979-05-27T07:32:00Z",
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..5_000 {
        let mut text = String::new();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut s = seed;
        for _ in 0..(seed % 16) {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            text.push_str(pieces[(s >> 33) as usize % pieces.len()]);
        }
        if let Ok(c) = parse(&text) {
            for name in c.envs.keys() {
                let _ = resolve_url(&c, name, None, &no_env);
            }
        }
    }
}

#[test]
fn finds_the_config_upward() {
    let tmp = tempfile::tempdir().unwrap();
    let deep = tmp.path().join("a/b");
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(tmp.path().join("strata.toml"), "").unwrap();
    assert_eq!(find_config(&deep), Some(tmp.path().join("strata.toml")));
    std::fs::write(deep.join("strata.toml"), "").unwrap();
    assert_eq!(find_config(&deep), Some(deep.join("strata.toml")));
    // A folder named strata.toml is found (for the caller to refuse), not skipped in favour
    // of a parent's file.
    std::fs::remove_file(deep.join("strata.toml")).unwrap();
    std::fs::create_dir(deep.join("strata.toml")).unwrap();
    assert_eq!(find_config(&deep), Some(deep.join("strata.toml")));
}

#[test]
fn the_schema_table_holds_files_privileges_and_owners() {
    let c = parse("[schema]\nfiles = [\"db/schema\"]\nprivileges = true\nowners = true\n").unwrap();
    assert_eq!(c.schema, ["db/schema"]);
    assert!(c.schema_privileges && c.schema_owners);
    // The list form still works, and both options are off by default.
    let c = parse("schema = [\"s\"]\n").unwrap();
    assert_eq!(c.schema, ["s"]);
    assert!(!c.schema_privileges && !c.schema_owners);
    let c = parse("[schema]\nprivileges = true\n").unwrap();
    assert_eq!(c.schema, ["schema"]);
    assert!(c.schema_privileges && !c.schema_owners);
}

#[test]
fn a_bad_schema_table_is_refused_at_its_line() {
    let e = errors("[schema]\nfiles = [\"s\"]\nprivileges = \"yes\"\nowner = true\n");
    assert_eq!(e.len(), 2, "{e:?}");
    assert_eq!(e[0].0, 3);
    assert!(
        e[0].1.contains("`schema.privileges` must be true or false"),
        "{e:?}"
    );
    assert_eq!(e[1].0, 4);
    assert!(e[1].1.contains("unknown key `owner` in [schema]"), "{e:?}");
    // Both forms: TOML refuses the second at its line.
    let e = errors("schema = [\"s\"]\n\n[schema]\nprivileges = true\n");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].0, 3, "{e:?}");
    assert!(e[0].1.contains("invalid TOML"), "{e:?}");
    let d = parse("schema = [\"s\"]\n\n[schema]\nprivileges = true\n").unwrap_err();
    assert!(
        d[0].hint.as_deref().unwrap_or("").contains("keep one"),
        "{d:?}"
    );
}
