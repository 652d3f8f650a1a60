//! docs/getting-started.md runs as written: its shell blocks, pasted in order, work.
//!
//! The test plays the reader: it runs every ```sh block with `bash -e` in a scratch folder (the
//! `strata` under test first on PATH), writes each ```sql block into the migration the block
//! before it created (the page says "open the file and write both directions"), and adds each
//! ```toml block to the project's strata.toml. Installing (`apt-get`, `cargo install`) is the
//! only thing skipped; `DATABASE_URL` points at a scratch PostgreSQL database.

use std::path::{Path, PathBuf};
use std::process::Command;
use strata_testkit::TempPg;

/// The fenced blocks of a Markdown text: (language, body).
fn blocks(markdown: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in markdown.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(lang)) => current = Some((lang.trim().to_owned(), String::new())),
            (Some(_), Some(_)) => out.push(current.take().unwrap()),
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn newest_migration(dir: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.pop().expect("a migration was created")
}

#[test]
fn getting_started_runs_as_written() {
    let page = std::fs::read_to_string(repo_root().join("docs/getting-started.md")).unwrap();
    let pg = TempPg::new();
    let scratch = tempfile::tempdir().unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_strata"))
        .parent()
        .unwrap()
        .to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cwd = scratch.path().to_owned();
    let mut ran = 0;
    let mut wrote_sql = false;
    for (lang, body) in blocks(&page) {
        match lang.as_str() {
            "sh" => {
                let mut script = String::new();
                let mut dir = cwd.clone();
                for line in body.lines() {
                    let command = line.trim_start();
                    if command.starts_with("sudo apt-get") || command.starts_with("cargo install") {
                        continue;
                    }
                    if command.starts_with("export DATABASE_URL=") {
                        script.push_str(&format!("export DATABASE_URL='{}'\n", pg.url));
                        continue;
                    }
                    if command.contains("examples/quickstart") {
                        // Run from the repository, where the page's path points.
                        dir = repo_root();
                    }
                    script.push_str(&line.replace("cargo run -q -p strata-cli --", "strata"));
                    script.push('\n');
                }
                let marker = scratch.path().join(".cwd");
                script.push_str(&format!("pwd > '{}'\n", marker.display()));
                let out = Command::new("bash")
                    .args(["-e", "-c", &script])
                    .current_dir(&dir)
                    .env("PATH", &path)
                    .env("NO_COLOR", "1")
                    .env_remove("DATABASE_URL")
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "this block of docs/getting-started.md fails:\n{body}\n--- output:\n{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                if dir == cwd {
                    cwd = PathBuf::from(std::fs::read_to_string(&marker).unwrap().trim());
                }
                ran += 1;
            }
            "sql" => {
                // The file the previous block's `strata revision` created.
                let file = newest_migration(&cwd);
                std::fs::write(&file, &body).unwrap();
                wrote_sql = true;
            }
            "toml" => {
                let config = cwd.join("strata.toml");
                let mut text = std::fs::read_to_string(&config).unwrap();
                text.push('\n');
                text.push_str(&body);
                std::fs::write(&config, text).unwrap();
            }
            _ => {}
        }
    }
    assert!(
        ran >= 5 && wrote_sql,
        "the page's blocks were found ({ran} run)"
    );
    // The reader's PostgreSQL database is at the migration they wrote.
    let mut client = pg.client();
    let heads: Vec<String> = client
        .query("SELECT revision FROM strata_version", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(heads.len(), 1, "{heads:?}");
}

/// Source comments, help text, errors and docs describe the behaviour (or link the doc page that
/// does); they never cite a document the repository does not hold.
#[test]
fn nothing_cites_a_document_the_repository_does_not_hold() {
    let needle = concat!("SPEC", " §");
    let mut found = Vec::new();
    let mut stack: Vec<PathBuf> = ["crates", "docs", "examples", "scripts", "README.md"]
        .iter()
        .map(|p| repo_root().join(p))
        .collect();
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            if path.ends_with("target") {
                continue;
            }
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
        } else if let Ok(text) = std::fs::read_to_string(&path) {
            for (i, line) in text.lines().enumerate() {
                if line.contains(needle) {
                    found.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "cite the docs instead:\n{}",
        found.join("\n")
    );
}

/// A newcomer finds things by file name: no source file outside `tests/` grows past 1,500 lines
/// (inline test modules count; large ones move to a `tests.rs` beside the file).
#[test]
fn no_source_file_is_over_1500_lines() {
    let mut stack = vec![repo_root().join("crates"), repo_root().join("examples")];
    let mut long = Vec::new();
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name == "tests" || name == "target" {
                continue;
            }
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let lines = std::fs::read_to_string(&path).unwrap().lines().count();
            if lines > 1500 {
                long.push(format!("{} ({lines} lines)", path.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "split these by concept:\n{}",
        long.join("\n")
    );
}
