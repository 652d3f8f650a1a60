//! A diagnostic: what is wrong, where, and how to fix it.

use std::fmt;

/// One problem found in a file, reported as `file:line: message` with an optional hint.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// The file as the user should read it (relative to the project where possible).
    pub file: String,
    /// 1-based line; 0 when the problem is about the whole file.
    pub line: usize,
    pub message: String,
    /// How to fix it, when strata knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(file: impl Into<String>, line: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.into(),
            line,
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)?;
        } else {
            write!(f, "{}: {}", self.file, self.message)?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// The Levenshtein distance between two strings, in characters: what "did you mean" suggestions
/// for misspelt keys, fields and rule ids are ranked by.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod distance_tests {
    #[test]
    fn edit_distances() {
        assert_eq!(super::edit_distance("revise", "revises"), 1);
        assert_eq!(super::edit_distance("", "abc"), 3);
        assert_eq!(super::edit_distance("café", "cafe"), 1);
        assert_eq!(super::edit_distance("kitten", "sitting"), 3);
    }
}
