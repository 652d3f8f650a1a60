//! Text from files and databases made safe to print on a terminal.
//!
//! A migration's message, a file name, a history row (`message`, `applied_by`, `error`) or a
//! database error can hold control characters. Printed raw, ESC starts a terminal escape sequence
//! (recolouring, moving the cursor, rewriting the title, hiding text), CR overwrites the line
//! before it, BEL rings. Human output shows them as visible escapes instead: `\u{1b}`, `\r`.

use std::borrow::Cow;

/// The 1-based line of byte `offset` in `text` (an offset past the end counts as the end).
pub fn line_of_offset(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Whether `c` is shown escaped: C0 controls, DEL and C1 controls. Tab and newline are not
/// (see [`escape_line`] for newlines).
fn is_unsafe(c: char) -> bool {
    matches!(c, '\0'..='\x08' | '\x0b'..='\x1f' | '\x7f'..='\u{9f}')
}

/// `text` with every control character except newline and tab shown as a visible escape
/// (`\u{1b}`, `\r`, `\u{7}`), for text that is multi-line by design (SQL, error details).
/// Borrowed when there is nothing to escape.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// [`escape_controls`], and newlines as `\n` too: for a value printed on one line (a message, a
/// file name, a user name), so that it cannot start a line of its own.
pub fn escape_line(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, newlines: bool) -> Cow<'_, str> {
    let needs = |c: char| is_unsafe(c) || (newlines && c == '\n');
    if !text.chars().any(needs) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' if newlines => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible() {
        assert_eq!(
            escape_controls("a\x1b[2Jb\rc\x07d\x7fe\u{9b}f\0"),
            "a\\u{1b}[2Jb\\rc\\u{7}d\\u{7f}e\\u{9b}f\\u{0}"
        );
        assert_eq!(escape_controls("line 1\n\tline 2"), "line 1\n\tline 2");
        assert_eq!(escape_line("line 1\nline 2\t!"), "line 1\\nline 2\t!");
        assert_eq!(escape_line("a\r\nb"), "a\\r\\nb");
    }

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(
            escape_controls("café — ▲ naïve"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(escape_line("x"), Cow::Borrowed(_)));
        // Printable characters just above the C1 range stay.
        assert_eq!(escape_line("\u{a0}\u{ff}"), "\u{a0}\u{ff}");
    }
}
