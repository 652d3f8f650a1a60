//! SHA-256 checksums of migration files, with line endings normalised so that a checkout with
//! CRLF line endings has the same checksum as one with LF.

use sha2::{Digest, Sha256};
use std::fmt;

/// The SHA-256 of a file's text after `\r\n` and lone `\r` are normalised to `\n`, as lowercase hex.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Checksum(String);

impl Checksum {
    pub fn of_text(text: &str) -> Checksum {
        let mut hasher = Sha256::new();
        let bytes = text.as_bytes();
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'\r' {
                hasher.update(&bytes[start..i]);
                hasher.update(b"\n");
                if i + 1 < bytes.len() && bytes[i + 1] == b'\n' {
                    i += 1;
                }
                start = i + 1;
            }
            i += 1;
        }
        hasher.update(&bytes[start..]);
        let digest = hasher.finalize();
        let mut hex = String::with_capacity(64);
        for b in digest {
            hex.push_str(&format!("{b:02x}"));
        }
        Checksum(hex)
    }

    /// Wraps a checksum read back from the history table.
    pub fn from_hex(hex: impl Into<String>) -> Checksum {
        Checksum(hex.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 hex digits, for human output.
    pub fn short(&self) -> &str {
        &self.0[..self.0.len().min(12)]
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_lf_have_the_same_checksum() {
        assert_eq!(Checksum::of_text("a\r\nb\r\n"), Checksum::of_text("a\nb\n"));
        assert_eq!(Checksum::of_text("a\rb"), Checksum::of_text("a\nb"));
    }

    #[test]
    fn a_comment_changes_the_checksum() {
        assert_ne!(
            Checksum::of_text("SELECT 1;\n"),
            Checksum::of_text("-- x\nSELECT 1;\n")
        );
    }

    #[test]
    fn known_value() {
        assert_eq!(
            Checksum::of_text("").as_str(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
