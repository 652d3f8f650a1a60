//! SQLite's tokens, enough to find the parts of a `CREATE` statement and the names an expression
//! uses. Whitespace and comments are skipped; every token keeps its place in the text.

use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A bare word: keyword or identifier.
    Word,
    /// `"…"`, `[…]` or `` `…` ``: an identifier.
    Quoted,
    /// `'…'`.
    String,
    /// `x'…'`.
    Blob,
    Number,
    /// `?`, `?1`, `:name`, `@name`, `$name`.
    Variable,
    /// Anything else: `(`, `)`, `,`, `.`, `;`, operators.
    Punct,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: TokenKind,
    pub text: &'a str,
    /// Byte offsets in the text.
    pub start: usize,
    pub end: usize,
}

impl Token<'_> {
    /// This bare word, ignoring case.
    pub fn is(&self, keyword: &str) -> bool {
        self.kind == TokenKind::Word && self.text.eq_ignore_ascii_case(keyword)
    }

    pub fn is_punct(&self, punct: &str) -> bool {
        self.kind == TokenKind::Punct && self.text == punct
    }

    /// The name a word or quoted identifier stands for (also a `'string'`, which SQLite
    /// accepts as a name in DDL).
    pub fn name(&self) -> Option<String> {
        match self.kind {
            TokenKind::Word => Some(self.text.to_owned()),
            TokenKind::Quoted | TokenKind::String => Some(dequote(self.text)),
            _ => None,
        }
    }
}

/// The text inside quotes, with doubled quotes undone.
pub fn dequote(text: &str) -> String {
    let (open, close) = match text.as_bytes().first() {
        Some(b'"') => ('"', '"'),
        Some(b'\'') => ('\'', '\''),
        Some(b'`') => ('`', '`'),
        Some(b'[') => ('[', ']'),
        _ => return text.to_owned(),
    };
    let inner = &text[1..];
    let inner = inner.strip_suffix(close).unwrap_or(inner);
    if open == '[' {
        return inner.to_owned();
    }
    let doubled = format!("{close}{close}");
    inner.replace(&doubled, &close.to_string())
}

fn ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

fn end_of_quoted(b: &[u8], open: usize, close: u8, doubling: bool) -> usize {
    let mut j = open + 1;
    while j < b.len() {
        if b[j] == close {
            if doubling && b.get(j + 1) == Some(&close) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

/// The tokens of `sql`.
pub fn tokenize(sql: &str) -> Vec<Token<'_>> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let kind = match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c => {
                i += 1;
                continue;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i = (i + 2).min(b.len());
                continue;
            }
            b'\'' => {
                i = end_of_quoted(b, i, b'\'', true);
                TokenKind::String
            }
            b'"' => {
                i = end_of_quoted(b, i, b'"', true);
                TokenKind::Quoted
            }
            b'`' => {
                i = end_of_quoted(b, i, b'`', true);
                TokenKind::Quoted
            }
            b'[' => {
                i = end_of_quoted(b, i, b']', false);
                TokenKind::Quoted
            }
            b'x' | b'X' if b.get(i + 1) == Some(&b'\'') => {
                i = end_of_quoted(b, i + 1, b'\'', false);
                TokenKind::Blob
            }
            b'0'..=b'9' => {
                i = number_end(b, i);
                TokenKind::Number
            }
            b'.' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i = number_end(b, i);
                TokenKind::Number
            }
            b'?' | b':' | b'@' | b'$' => {
                i += 1;
                while i < b.len() && ident_byte(b[i]) {
                    i += 1;
                }
                TokenKind::Variable
            }
            c if ident_byte(c) => {
                while i < b.len() && ident_byte(b[i]) {
                    i += 1;
                }
                TokenKind::Word
            }
            _ => {
                let rest = &sql[i..];
                let len = ["->>", "||", "<=", ">=", "==", "!=", "<>", "<<", ">>", "->"]
                    .iter()
                    .find(|op| rest.starts_with(*op))
                    .map_or_else(
                        || rest.chars().next().map_or(1, char::len_utf8),
                        |op| op.len(),
                    );
                i += len;
                TokenKind::Punct
            }
        };
        out.push(Token {
            kind,
            text: &sql[start..i],
            start,
            end: i,
        });
    }
    out
}

fn number_end(b: &[u8], mut i: usize) -> usize {
    let hex = b[i] == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X'));
    while i < b.len() {
        let c = b[i];
        let exponent_sign = !hex && (c == b'+' || c == b'-') && matches!(b[i - 1], b'e' | b'E');
        if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || exponent_sign {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// The index of the `)` that closes the `(` at `open`.
pub fn closing(tokens: &[Token<'_>], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        if t.is_punct("(") {
            depth += 1;
        } else if t.is_punct(")") {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// `tokens` split at the commas outside parentheses.
pub fn split_commas<'t, 'a>(tokens: &'t [Token<'a>]) -> Vec<&'t [Token<'a>]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        if t.is_punct("(") {
            depth += 1;
        } else if t.is_punct(")") {
            depth = depth.saturating_sub(1);
        } else if depth == 0 && t.is_punct(",") {
            out.push(&tokens[start..i]);
            start = i + 1;
        }
    }
    if start < tokens.len() || !out.is_empty() {
        out.push(&tokens[start..]);
    }
    out
}

/// Every name `sql` mentions (words and quoted identifiers), in lower case: what a view or
/// trigger may depend on (a superset).
pub fn identifiers(sql: &str) -> BTreeSet<String> {
    tokenize(sql)
        .iter()
        .filter(|t| matches!(t.kind, TokenKind::Word | TokenKind::Quoted))
        .filter_map(|t| t.name())
        .map(|n| n.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::TokenKind;
    use crate::sqlite::lex;

    #[test]
    fn lexer_handles_quotes_comments_and_blobs() {
        let sql = "CREATE TABLE \"a\"\"b\" ([x y] TEXT DEFAULT 'it''s', -- c\n `z` BLOB DEFAULT x'00' /* d */, n REAL DEFAULT -1.5e+3)";
        let toks = lex::tokenize(sql);
        let names: Vec<String> = toks.iter().filter_map(|t| t.name()).collect();
        assert!(names.contains(&"a\"b".to_owned()), "{names:?}");
        assert!(names.contains(&"x y".to_owned()));
        assert!(names.contains(&"it's".to_owned()));
        assert!(toks
            .iter()
            .any(|t| t.kind == TokenKind::Blob && t.text == "x'00'"));
        assert!(toks
            .iter()
            .any(|t| t.kind == TokenKind::Number && t.text == "1.5e+3"));
        assert!(!names.iter().any(|n| n == "c" || n == "d"));
        let open = toks.iter().position(|t| t.is_punct("(")).unwrap();
        let close = lex::closing(&toks, open).unwrap();
        assert_eq!(lex::split_commas(&toks[open + 1..close]).len(), 3);
        assert!(lex::identifiers("SELECT \"Order\" FROM [T]").contains("order"));
    }
}
