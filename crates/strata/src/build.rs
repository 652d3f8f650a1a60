//! For build scripts: compile a migrations folder into the program.
//!
//! ```no_run
//! // in build.rs's `fn main`:
//! strata::build::embed_migrations("migrations").expect("embed the migrations");
//! ```
//!
//! writes `$OUT_DIR/strata_migrations.rs`, a `&[(file name, text)]` of `include_str!`s, which
//! [`crate::embedded_migrations!`] includes; cargo rebuilds when a file is added, removed or
//! changed. The folder is validated at run time by [`crate::load_embedded`], with the same
//! file:line diagnostics as the command line.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

/// Embeds every `*.sql` and `*.toml` file of `dir` (relative to the crate's manifest directory).
pub fn embed_migrations(dir: impl AsRef<Path>) -> io::Result<PathBuf> {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let out = std::env::var_os("OUT_DIR")
        .map(PathBuf::from)
        .ok_or_else(|| io::Error::other("OUT_DIR is not set: call this from a build script"))?;
    let dir = manifest.join(dir);
    let source = embedded_source(&dir)?;
    println!("cargo:rerun-if-changed={}", dir.display());
    let target = out.join("strata_migrations.rs");
    std::fs::write(&target, source)?;
    Ok(target)
}

/// The Rust expression listing the files of `dir`, in name order.
fn embedded_source(dir: &Path) -> io::Result<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let keep = (name.ends_with(".sql") || name.ends_with(".toml"))
            && !name.starts_with('.')
            && entry.file_type()?.is_file();
        if keep {
            names.push((name, entry.path()));
        }
    }
    names.sort();
    let mut source = String::from("&[\n");
    for (name, path) in names {
        println!("cargo:rerun-if-changed={}", path.display());
        let absolute = std::fs::canonicalize(&path)?;
        writeln!(
            source,
            "    ({name:?}, include_str!({:?})),",
            absolute.display().to_string()
        )
        .expect("writing to a String");
    }
    source.push(']');
    Ok(source)
}

#[cfg(test)]
mod tests {
    use super::embedded_source;

    #[test]
    fn lists_migration_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b2_second.sql"), "x").unwrap();
        std::fs::write(dir.path().join("a1_first.sql"), "x").unwrap();
        std::fs::write(dir.path().join("README.md"), "x").unwrap();
        std::fs::write(dir.path().join(".hidden.sql"), "x").unwrap();
        let source = embedded_source(dir.path()).unwrap();
        let first = source.find("a1_first.sql").unwrap();
        let second = source.find("b2_second.sql").unwrap();
        assert!(first < second, "{source}");
        assert!(!source.contains("README") && !source.contains(".hidden"));
        assert!(source.starts_with("&[") && source.ends_with(']'));
    }
}
