//! Robustness of the parsers on hostile input ("the file and config parsers are fuzzed
//! without panics"). `cargo fuzz` needs a nightly toolchain this project does not require, so this
//! is a deterministic mutation fuzzer on stable: seeds (real files and tricky fragments) mutated
//! by byte flips, insertions of syntax-significant tokens, truncations and splices, 20,000 inputs
//! per parser per run. Every input must give a value or diagnostics, never a panic; and each
//! diagnostic's line must lie within the input. Configurations holding database URLs with a
//! password must never show it: not in a diagnostic's message or hint, nor in its line as the CLI
//! prints it (`mask_config_line`, then `mask_url`).

use std::path::PathBuf;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&str] = &[
    "-- strata:",
    "-- strata:up\n",
    "-- strata:down\n",
    "-- strata:revises ",
    "-- strata:transaction off\n",
    "$$",
    "$tag$",
    "'",
    "\"",
    "/*",
    "*/",
    ";",
    "\n",
    "\r\n",
    "[",
    "]",
    "[[",
    "]]",
    "=",
    "${",
    "}",
    "\\",
    "é",
    "\u{0}",
    "\u{feff}",
    "BEGIN ATOMIC",
    "END;",
    "CREATE TABLE t (",
    ")",
    "-- strata:renamed-from ",
    ",",
    ".",
    "..",
    "verify = \"",
    "before-upgrade",
    "#",
    "\"\"\"",
];

fn mutate(rng: &mut Rng, seed: &str) -> String {
    let mut bytes = seed.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(5) {
            0 if !bytes.is_empty() => {
                let at = rng.below(bytes.len());
                bytes[at] = rng.next() as u8;
            }
            1 => {
                let at = rng.below(bytes.len() + 1);
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                bytes.splice(at..at, token.iter().copied());
            }
            2 if !bytes.is_empty() => {
                let at = rng.below(bytes.len());
                bytes.truncate(at);
            }
            3 if bytes.len() > 2 => {
                let a = rng.below(bytes.len());
                let b = rng.below(bytes.len());
                let (lo, hi) = (a.min(b), a.max(b));
                let piece: Vec<u8> = bytes[lo..hi].to_vec();
                let at = rng.below(bytes.len());
                bytes.splice(at..at, piece);
            }
            _ => {
                let at = rng.below(bytes.len() + 1);
                bytes.insert(at, b"\n;'\"$-[]=#"[rng.below(10)]);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn seeds(dir: &str, ext: &str) -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(dir);
    let mut out: Vec<String> = std::fs::read_dir(&root)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == ext))
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    assert!(!out.is_empty(), "no seeds in {}", root.display());
    out.push(String::new());
    out
}

fn check_lines(text: &str, diagnostics: &[strata_core::Diagnostic]) {
    let lines = text.split('\n').count() + 1;
    for d in diagnostics {
        assert!(
            d.line <= lines,
            "line {} beyond the input ({lines} lines): {d:?}\n{text:?}",
            d.line
        );
    }
}

const ROUNDS: usize = 20_000;

#[test]
fn migration_files_and_schema_files_never_panic() {
    let seeds = seeds("examples/quickstart/migrations", "sql");
    let mut rng = Rng(0x5eed_0001);
    for _ in 0..ROUNDS {
        let seed = &seeds[rng.below(seeds.len())];
        let text = mutate(&mut rng, seed);
        if let Err(d) =
            strata_files::parse_migration("m/20260101000000_x.sql", "20260101000000_x.sql", &text)
        {
            check_lines(&text, &d);
        }
        if let Err(d) = strata_files::rename_hints("schema/x.sql", &text) {
            check_lines(&text, &d);
        }
    }
}

#[test]
fn config_files_never_panic() {
    let mut seeds = seeds("examples/quickstart", "toml");
    seeds.push(strata_files::CONFIG_TEMPLATE.to_owned());
    // State table names of every shape, and each `verify` mode.
    seeds.push(
        "version_table = \"app.strata_version\"\nhistory_table = \"a.b.c\"\n\n[env.production]\nurl = \"postgres://app@db/app\"\nverify = \"before-upgrade\"\nlint = \"warn\"\n\n[env.ci]\nverify = \"off\"\n".to_owned(),
    );
    seeds.push(
        "version_table = \".x\"\nhistory_table = \"s..t\"\n[env.development]\nverify = \"warn\"\n"
            .to_owned(),
    );
    let mut rng = Rng(0x5eed_0002);
    for _ in 0..ROUNDS {
        let seed = &seeds[rng.below(seeds.len())];
        let text = mutate(&mut rng, seed);
        if let Err(d) = strata_files::parse_config("strata.toml", PathBuf::from("/tmp"), &text) {
            check_lines(&text, &d);
        }
    }
}

#[test]
fn online_headers_never_panic() {
    let seeds = [
        "message = \"rename\"\nrevises = \"a1\"\ndepends_on = [\"b2\", \"c3\"]\n\n[[operations]]\ntype = \"rename_column\"\ntable = \"t\"\nfrom = \"a\"\nto = \"b\"\n",
        "",
    ];
    let mut rng = Rng(0x5eed_0003);
    for _ in 0..ROUNDS {
        let seed = seeds[rng.below(seeds.len())];
        let text = mutate(&mut rng, seed);
        if let Err(d) = strata_files::parse_online_header("m/a1_x.toml", "a1_x.toml", &text) {
            check_lines(&text, &d);
        }
    }
}

/// `{pw}` is replaced by a password: URLs of every shape, in every place a URL can be.
const URL_CONFIGS: &[&str] = &[
    "[env.development]\nurl = \"postgres://app:{pw}@db.example.com:5432/shop?sslmode=require\"\nshadow_url = \"postgresql//app:{pw}@127.0.0.1/shadow\"\nlock_timeout = \"5s\"\n\n[env.production]\nurl = \"u:{pw}@h/d\"\nlint = \"enforce\"\n",
    "default_env = \"ci\"\n[env]\nci = { url = \"postgress://u:{pw}@h/d\", lock_retries = 1 }\n",
    "[env.x]\nurl = 'postgres:/u:{pw}@h:99999/d?sslmod=x'\nshadow_url = \"${SHADOW}\"\n",
    "[env.x]\nurl = \"postgres://u:{pw}${SUFFIX}@h/d\"\nstatement_timeout = \"30m\"\n",
];

const CONFIG_PASSWORDS: &[&str] = &[
    "S3cr#3tPW",
    "p/ss?w0rd",
    "pa ss w0rd",
    "p@ss%zz",
    "S3cr${3tPW}",
];

/// Whether each occurrence of the password in `text` is followed on its line by an `@`: where a
/// URL's user info is. (A mutation that removed the `@` left nothing that says "password".)
fn before_an_at(text: &str, password: &str) -> bool {
    let occurrences: Vec<usize> = text.match_indices(password).map(|(at, _)| at).collect();
    !occurrences.is_empty()
        && occurrences.iter().all(|&at| {
            let after = &text[at + password.len()..];
            after[..after.find('\n').unwrap_or(after.len())].contains('@')
        })
}

#[test]
fn config_files_with_urls_never_panic_and_never_show_a_password() {
    let mut rng = Rng(0x5eed_0004);
    let env = |name: &str| match name {
        "SHADOW" => Some("postgres://s:Sh4d0wPW@h/s".to_owned()),
        "SUFFIX" => Some("x".to_owned()),
        _ => None,
    };
    let mut checked = 0;
    for _ in 0..ROUNDS {
        let password = CONFIG_PASSWORDS[rng.below(CONFIG_PASSWORDS.len())];
        let seed = URL_CONFIGS[rng.below(URL_CONFIGS.len())].replace("{pw}", password);
        let text = mutate(&mut rng, &seed);
        let diagnostics =
            match strata_files::parse_config("strata.toml", PathBuf::from("/tmp"), &text) {
                Ok(config) => config
                    .envs
                    .keys()
                    .flat_map(|name| {
                        let url = strata_files::resolve_url(&config, name, None, &env).err();
                        let shadow = strata_files::resolve_shadow_url(&config, name, &env).err();
                        url.into_iter().chain(shadow)
                    })
                    .collect(),
                Err(d) => {
                    check_lines(&text, &d);
                    d
                }
            };
        if !before_an_at(&text, password) {
            continue;
        }
        let lines: Vec<&str> = text.split('\n').collect();
        for d in &diagnostics {
            checked += 1;
            // What the CLI prints: the message, the hint and the line, masked.
            let source = d
                .line
                .checked_sub(1)
                .and_then(|i| lines.get(i))
                .map(|l| strata_files::mask_config_line(l))
                .unwrap_or_default();
            let shown = strata_core::mask_url(&format!(
                "{}\n{}\n{source}",
                d.message,
                d.hint.as_deref().unwrap_or("")
            ));
            assert!(
                !shown.contains(password),
                "a diagnostic shows the password:\n{text}\n---\n{shown}"
            );
        }
    }
    assert!(checked > ROUNDS / 10, "only {checked} diagnostics checked");
}
