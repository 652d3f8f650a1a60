//! strata's vocabulary, with no I/O.
//!
//! Everything else in strata stands on these types: identifiers that always quote themselves,
//! checksums of migration files, diagnostics that point at `file:line`, URL masking, and the SQL
//! statement splitter that maps every statement back to its line.

pub mod checksum;
pub mod diag;
pub mod dialect;
pub mod ident;
pub mod semver;
pub mod severity;
pub mod sql;
pub mod text;
pub mod url;

pub use checksum::Checksum;
pub use diag::{edit_distance, Diagnostic};
pub use dialect::Dialect;
pub use ident::{
    quote_ident, quote_literal, truncate_identifier, QualifiedName, MAX_IDENTIFIER_BYTES,
};
pub use semver::{Impact, SchemaVersion};
pub use severity::Severity;
pub use text::line_of_offset;
pub use url::{display_url, mask_url, url_scheme};
