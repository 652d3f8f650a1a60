//! `-- strata:lint-ignore RULE[,RULE] reason` before a statement, and
//! `-- strata:lint-ignore-file RULE[,RULE] reason` anywhere in a file. The reason is required.

/// One waiver comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiver {
    pub rules: Vec<String>,
    pub reason: String,
    pub file_wide: bool,
    /// Byte offset of the comment in the text it was found in.
    pub offset: usize,
}

/// Every waiver comment in `text` (line comments only; a waiver inside a string is not a
/// comment, but migration text rarely has one and a false waiver only silences, never breaks).
pub fn find(text: &str) -> Vec<Waiver> {
    let mut out = Vec::new();
    // Most texts (a statement, the comments before one) have none: a byte scan for a comment,
    // then one search of the whole text, rather than a search per line.
    if !text.as_bytes().windows(2).any(|w| w == b"--") || !text.contains("-- strata:lint-ignore") {
        return out;
    }
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(pos) = line.find("-- strata:lint-ignore") {
            let rest = &line[pos + "-- strata:lint-ignore".len()..];
            let (file_wide, rest) = match rest.strip_prefix("-file") {
                Some(rest) => (true, rest),
                None => (false, rest),
            };
            if rest.starts_with(char::is_whitespace) || rest.trim().is_empty() {
                let rest = rest.trim();
                let (rules, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                out.push(Waiver {
                    rules: rules
                        .split(',')
                        .map(str::trim)
                        .filter(|r| !r.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    reason: reason.trim().to_owned(),
                    file_wide,
                    offset: offset + pos,
                });
            }
        }
        offset += line.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_waivers() {
        let text = "SELECT 1;\n-- strata:lint-ignore non-concurrent-index,drop-table small table, no traffic\n-- strata:lint-ignore-file prefer-text legacy\n-- strata:lint-ignore rename-column\n";
        let w = find(text);
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].rules, vec!["non-concurrent-index", "drop-table"]);
        assert_eq!(w[0].reason, "small table, no traffic");
        assert_eq!(w[0].offset, 10);
        assert!(w[1].file_wide && w[1].reason == "legacy");
        assert_eq!(w[2].reason, "");
    }
}
