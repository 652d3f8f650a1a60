//! A TOML tree whose keys remember their line, and a reader over one table that reports unknown,
//! missing and mistyped fields as [`Diagnostic`]s at the line of the key.
//!
//! `toml::Value` drops positions, so the file is deserialized into [`Node`], whose table keys are
//! `toml::Spanned<String>`. Values are reported at their key's line (an array element at the line
//! of the array's key).

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use strata_core::Diagnostic;
use toml::Spanned;

/// The entries of a table, keys with their spans.
pub(crate) type Entries = [(Spanned<String>, Node)];

/// A TOML value; a table keeps its keys' byte spans in the file.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Array(Vec<Node>),
    Table(Vec<(Spanned<String>, Node)>),
}

impl Node {
    /// How the value is described in "expected X, found Y" messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Node::Str(_) => "a string",
            Node::Int(_) => "an integer",
            Node::Float(_) => "a float",
            Node::Bool(_) => "a boolean",
            Node::Array(_) => "an array",
            Node::Table(_) => "a table",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        struct NodeVisitor;

        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a TOML value")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
                i64::try_from(v)
                    .map(Node::Int)
                    .map_err(|_| E::custom("integer out of range"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
                Ok(Node::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Str(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
                Ok(Node::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Node>()? {
                    items.push(item);
                }
                Ok(Node::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    let value = map.next_value::<Node>()?;
                    entries.push((key, value));
                }
                Ok(Node::Table(entries))
            }
        }

        deserializer.deserialize_any(NodeVisitor)
    }
}

pub(crate) use strata_core::line_of_offset as line_of;

/// The candidate closest to `word`, when it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    if word.is_empty() {
        return None;
    }
    let normalise = |s: &str| s.replace(['_', '-'], "");
    candidates
        .iter()
        .map(|&c| {
            let distance = if normalise(c) == normalise(&word) {
                0
            } else {
                strata_core::edit_distance(&word, c)
            };
            (distance, c)
        })
        .filter(|&(distance, c)| distance <= 3.min(c.len() / 2))
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, c)| c)
}

/// Where diagnostics go: the file's display name, its text (for lines) and what was found.
pub(crate) struct Sink<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub diagnostics: Vec<Diagnostic>,
}

impl Sink<'_> {
    pub(crate) fn error(&mut self, line: usize, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::new(self.file, line, message));
    }

    pub(crate) fn error_hint(
        &mut self,
        line: usize,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.diagnostics
            .push(Diagnostic::new(self.file, line, message).with_hint(hint));
    }
}

/// Reads the fields of one table: each `take` marks a key as known; [`Fields::finish`] reports
/// the keys nobody took, suggesting the closest known name.
pub(crate) struct Fields<'t> {
    /// What the table is, for messages: "operation 2 (add_column)", "`column`".
    pub what: String,
    /// Line of the table itself (its first key, or the key holding it).
    pub line: usize,
    entries: Vec<(&'t str, usize, &'t Node, bool)>,
    /// Field name -> line, for later diagnostics (validation against the database).
    pub lines: Vec<(String, usize)>,
}

impl<'t> Fields<'t> {
    pub(crate) fn new(
        what: impl Into<String>,
        fallback_line: usize,
        table: &'t [(Spanned<String>, Node)],
        text: &str,
    ) -> Fields<'t> {
        let entries: Vec<_> = table
            .iter()
            .map(|(k, v)| {
                (
                    k.get_ref().as_str(),
                    line_of(text, k.span().start),
                    v,
                    false,
                )
            })
            .collect();
        let line = entries.first().map_or(fallback_line, |e| e.1);
        let lines = entries.iter().map(|e| (e.0.to_owned(), e.1)).collect();
        Fields {
            what: what.into(),
            line,
            entries,
            lines,
        }
    }

    /// The line of `key` when present, else the table's line.
    pub(crate) fn line_of(&self, key: &str) -> usize {
        self.entries
            .iter()
            .find(|e| e.0 == key)
            .map_or(self.line, |e| e.1)
    }

    /// The value of `key` and its line, marking the key as known.
    pub(crate) fn take(&mut self, key: &str) -> Option<(&'t Node, usize)> {
        let entry = self.entries.iter_mut().find(|e| e.0 == key)?;
        entry.3 = true;
        Some((entry.2, entry.1))
    }

    fn wrong_type(&self, sink: &mut Sink<'_>, key: &str, line: usize, want: &str, got: &Node) {
        sink.error(
            line,
            format!(
                "`{key}` in {} must be {want}, not {}",
                self.what,
                got.kind()
            ),
        );
    }

    pub(crate) fn string(&mut self, sink: &mut Sink<'_>, key: &str) -> Option<String> {
        match self.take(key)? {
            (Node::Str(s), line) => {
                if s.trim().is_empty() {
                    sink.error(line, format!("`{key}` in {} is empty", self.what));
                    None
                } else {
                    Some(s.clone())
                }
            }
            (other, line) => {
                self.wrong_type(sink, key, line, "a string", other);
                None
            }
        }
    }

    pub(crate) fn required_string(&mut self, sink: &mut Sink<'_>, key: &str) -> Option<String> {
        if self.entries.iter().any(|e| e.0 == key) {
            self.string(sink, key)
        } else {
            sink.error(self.line, format!("{} needs `{key}`", self.what));
            None
        }
    }

    pub(crate) fn bool(&mut self, sink: &mut Sink<'_>, key: &str) -> Option<bool> {
        match self.take(key)? {
            (Node::Bool(b), _) => Some(*b),
            (other, line) => {
                self.wrong_type(sink, key, line, "true or false", other);
                None
            }
        }
    }

    /// A string, or an array of strings.
    pub(crate) fn strings(&mut self, sink: &mut Sink<'_>, key: &str) -> Option<Vec<String>> {
        match self.take(key)? {
            (Node::Str(s), _) => Some(vec![s.clone()]),
            (Node::Array(items), line) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Node::Str(s) if !s.trim().is_empty() => out.push(s.clone()),
                        other => {
                            self.wrong_type(
                                sink,
                                key,
                                line,
                                "an array of non-empty strings",
                                other,
                            );
                            return None;
                        }
                    }
                }
                Some(out)
            }
            (other, line) => {
                self.wrong_type(sink, key, line, "a string or an array of strings", other);
                None
            }
        }
    }

    /// A table value (inline `{ ... }` or `[a.b]`): its entries and line.
    pub(crate) fn table(&mut self, sink: &mut Sink<'_>, key: &str) -> Option<(&'t Entries, usize)> {
        match self.take(key)? {
            (Node::Table(entries), line) => Some((entries.as_slice(), line)),
            (other, line) => {
                self.wrong_type(sink, key, line, "a table (`{ ... }`)", other);
                None
            }
        }
    }

    /// Reports every key that no `take` asked for.
    pub(crate) fn finish(self, sink: &mut Sink<'_>, known: &[&str]) {
        for (key, line, _, taken) in &self.entries {
            if *taken {
                continue;
            }
            let message = format!("unknown field `{key}` in {}", self.what);
            let valid = known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            match did_you_mean(key, known) {
                Some(close) => sink.error_hint(
                    *line,
                    message,
                    format!("did you mean `{close}`? valid fields: {valid}"),
                ),
                None => sink.error_hint(*line, message, format!("valid fields: {valid}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("add_colum", &["add_column", "drop_column"]),
            Some("add_column")
        );
        assert_eq!(did_you_mean("datatype", &["data_type"]), Some("data_type"));
        assert_eq!(did_you_mean("zzz", &["data_type"]), None);
    }

    #[test]
    fn keys_keep_their_lines() {
        let text = "a = 1\n[[ops]]\ntype = \"x\"\ncols = [{ name = \"n\" },\n  { name = \"m\" }]\n";
        let node: Node = toml::from_str(text).unwrap();
        let Node::Table(top) = node else { panic!() };
        assert_eq!(line_of(text, top[0].0.span().start), 1);
        let Node::Array(ops) = &top[1].1 else {
            panic!()
        };
        let Node::Table(op) = &ops[0] else { panic!() };
        assert_eq!(line_of(text, op[0].0.span().start), 3);
        let Node::Array(cols) = &op[1].1 else {
            panic!()
        };
        let Node::Table(second) = &cols[1] else {
            panic!()
        };
        assert_eq!(line_of(text, second[0].0.span().start), 5);
    }
}
