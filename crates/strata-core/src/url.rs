//! Masking secrets in database URLs and connection strings before anything is printed.
//!
//! Two entry points:
//!
//! - [`display_url`] for a value known to be one database URL (`--url`, a configured `url`,
//!   `DATABASE_URL`): everything between `://` and the URL's *last* `@` may be a password (an
//!   unencoded `/`, `?`, `#`, `@` or space in a password moves the end of the user info past where
//!   a URL parser would put it), so it is masked, keeping only a plain user name. A text without
//!   `scheme://` is not shown at all: there is no telling which part of it is a password.
//! - [`mask_url`] for free text that may contain URLs or `key=value` connection strings (error
//!   messages, notices, SQL): every line strata prints passes through it.

/// Masks passwords in text: in every `scheme://user:password@host` (the user info runs to the last
/// `@` of the URL's line, see below) and in every `password=` / `sslpassword=` parameter. Text
/// already masked is left as it is.
///
/// In free text a URL's end is not known: its user info ends at the last `@` before the next URL
/// on the line (or before a `": "` when what precedes it is clean), else at the line's last `@`:
/// masking too much is preferred to masking too little.
pub fn mask_url(text: &str) -> String {
    mask_params(&mask_userinfo(text), false)
}

/// A database URL as it may be shown: `scheme://user:***@host/db?...` with the password (and
/// anything between `://` and the last `@` that may hold one) and `password=` parameters masked.
/// `None` when `url` does not start with `scheme://`: it is then not shown at all.
pub fn display_url(url: &str) -> Option<String> {
    let scheme = url_scheme(url)?;
    let rest = &url[scheme.len() + 3..];
    let mut out = String::with_capacity(url.len());
    out.push_str(&url[..scheme.len() + 3]);
    match rest.rfind('@') {
        Some(at) => {
            out.push_str(&mask_userinfo_part(&rest[..at]));
            out.push_str(&rest[at..]);
        }
        // `user:pass/word` with the `@` missing: a port that is no port may be a password.
        None if suspicious_authority(rest) => out.push_str("***"),
        None => out.push_str(rest),
    }
    Some(mask_params(&out, true))
}

/// The scheme of `url` (`postgres` in `postgres://...`): the text before its first `://` when that
/// is a URL scheme (a letter, then letters, digits, `+`, `-`, `.`).
pub fn url_scheme(url: &str) -> Option<&str> {
    let scheme = &url[..url.find("://")?];
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(scheme)
}

/// A user name that can be shown: letters, digits, `_`, `-`, `.`, `$` and `%XX` escapes only. Anything
/// else (`postgres://app;S3cret@h`: a mistyped `:`) may be part of a password.
fn plain_user(user: &str) -> bool {
    let bytes = user.as_bytes();
    !user.is_empty()
        && user.char_indices().all(|(i, c)| {
            c.is_alphanumeric()
                || matches!(c, '_' | '-' | '.' | '$')
                || (c == '%'
                    && bytes
                        .get(i + 1..i + 3)
                        .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)))
        })
}

/// The masked form of a URL's user info (the text between `://` and the `@` ending it).
fn mask_userinfo_part(userinfo: &str) -> String {
    match userinfo.split_once(':') {
        Some((user, _)) if plain_user(user) => format!("{user}:***"),
        Some(_) => "***".to_owned(),
        None if plain_user(userinfo) => userinfo.to_owned(),
        None => "***".to_owned(),
    }
}

/// Where the user info of a URL in free text ends (the offset of its `@` in `tail`, the text after
/// `://`), if it has one.
fn userinfo_end(tail: &str) -> Option<usize> {
    let line = &tail[..tail.find(['\n', '\r']).unwrap_or(tail.len())];
    // Already masked by strata (`***@`, `user:***@`): it ends there.
    let token_end = line.find(|c: char| c.is_whitespace()).unwrap_or(line.len());
    if let Some(at) = line[..token_end].find("***@") {
        let before = &line[..at];
        if before.is_empty() || (before.ends_with(':') && plain_user(&before[..before.len() - 1])) {
            return Some(at + 3);
        }
    }
    // The URL ends before the next URL on the line (unless it has no `@` before it). Its user
    // info ends at the last `@` before the first `": "` (how strata's messages go on after a URL) when the user info before that
    // `@` is clean; with a `/`, `?`, `#`, `@` or a space in it, the password may run on past the
    // `": "`, so at the last `@` before the end.
    let bound = next_url_start(line).unwrap_or(line.len());
    let clean = |userinfo: &str| {
        !userinfo
            .chars()
            .any(|c| matches!(c, '/' | '?' | '#' | '@') || c.is_whitespace())
    };
    let early = line[..bound]
        .find(": ")
        .and_then(|colon| line[..colon].rfind('@'))
        .filter(|&at| clean(&line[..at]));
    // With no `@` before the next URL, this one may still have a password with ` x://` in it.
    if let Some(at) = early
        .or_else(|| line[..bound].rfind('@'))
        .or_else(|| line.rfind('@'))
    {
        return Some(at);
    }
    // A URL cut by a line break inside its user info: `://` then a token without whitespace at the
    // end of one line, continued at the very start of the next up to its `@`.
    if line.trim_end().contains(char::is_whitespace) || line.len() == tail.len() {
        return None;
    }
    let next_start = line.len() + tail[line.len()..].len()
        - tail[line.len()..].trim_start_matches(['\n', '\r']).len();
    let next = &tail[next_start..];
    let token = &next[..next.find(|c: char| c.is_whitespace()).unwrap_or(next.len())];
    token.rfind('@').map(|at| next_start + at)
}

/// The start of the next `scheme://` in `line` that is separated from the start by whitespace
/// (another URL on the same line, not a `://` inside a password).
fn next_url_start(line: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = line[from..].find("://") {
        let pos = from + found;
        let start = line[..pos]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |i| {
                i + line[i..].chars().next().map_or(1, char::len_utf8)
            });
        if start < pos && line[..start].contains(char::is_whitespace) {
            return Some(start);
        }
        from = pos + 3;
    }
    None
}

/// Whether the host part of `rest` (the text after `://`, without an `@`) has something after a
/// `:` that is not a port: `user:pass` with the `@` missing or moved.
fn suspicious_authority(rest: &str) -> bool {
    let end = rest
        .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
        .unwrap_or(rest.len());
    rest[..end].split(',').any(|chunk| {
        let after_host = match chunk.strip_prefix('[') {
            Some(v6) => match v6.find(']') {
                Some(close) => &v6[close + 1..],
                None => return true,
            },
            None => chunk.find(':').map_or("", |colon| &chunk[colon..]),
        };
        match after_host.strip_prefix(':') {
            Some(port) => !port.bytes().all(|b| b.is_ascii_digit()),
            None => !after_host.is_empty(),
        }
    })
}

/// The end of a URL in free text that has no user info: the first whitespace or quote, without
/// the punctuation that usually follows a URL in a sentence.
fn token_end(tail: &str) -> usize {
    let end = tail
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`'))
        .unwrap_or(tail.len());
    tail[..end]
        .trim_end_matches([':', ',', '.', ')', ';'])
        .len()
}

fn mask_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        match userinfo_end(tail) {
            Some(at) => {
                out.push_str(&mask_userinfo_part(&tail[..at]));
                rest = &tail[at..];
            }
            None if !tail.starts_with("***") && suspicious_authority(tail) => {
                let end = token_end(tail);
                if end > 0 {
                    out.push_str("***");
                }
                rest = &tail[end..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// Masks the values of `password=` and `sslpassword=` (any case). A value ends at `&` followed by
/// a parameter name and `=`; in free text also at whitespace, unless it is single-quoted
/// (`password='a b'`, a libpq connection string). In a URL (`whole_url`) it runs to the end
/// otherwise.
fn mask_params(text: &str, whole_url: bool) -> String {
    let lower = text.to_ascii_lowercase();
    // Every value's byte range; a value may contain another `password=` (ranges are merged).
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for (found, key) in lower.match_indices("password=") {
        let value_start = found + key.len();
        let tail = &text[value_start..];
        let end = if let Some(quoted) = tail.strip_prefix('\'') {
            let mut escaped = false;
            quoted
                .char_indices()
                .find(|&(_, c)| {
                    let close = c == '\'' && !escaped;
                    escaped = c == '\\' && !escaped;
                    close
                })
                .map_or(tail.len(), |(i, _)| i + 2)
        } else {
            tail.char_indices()
                .find(|&(i, c)| {
                    (!whole_url && c.is_whitespace()) || (c == '&' && starts_param(&tail[i + 1..]))
                })
                .map_or(tail.len(), |(i, _)| i)
        };
        match ranges.last_mut() {
            Some(last) if value_start <= last.1 => last.1 = last.1.max(value_start + end),
            _ => ranges.push((value_start, value_start + end)),
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (start, end) in ranges {
        out.push_str(&text[copied..start]);
        let value = &text[start..end];
        out.push_str(if value.is_empty() || value == "***" {
            value
        } else {
            "***"
        });
        copied = end;
    }
    out.push_str(&text[copied..]);
    out
}

/// `name=` at the start of `text` (a query parameter after `&`).
fn starts_param(text: &str) -> bool {
    let name_len = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    name_len > 0 && text[name_len..].starts_with('=')
}

#[cfg(test)]
mod tests {
    use super::{display_url, mask_url, url_scheme};

    #[test]
    fn masks_passwords() {
        assert_eq!(
            mask_url("postgres://app:s3cr%40t@db:5432/x?sslmode=require"),
            "postgres://app:***@db:5432/x?sslmode=require"
        );
        assert_eq!(
            mask_url("postgres://db/x?user=a&password=hunter2"),
            "postgres://db/x?user=a&password=***"
        );
        assert_eq!(
            mask_url("host=db password=hunter2 user=x"),
            "host=db password=*** user=x"
        );
        assert_eq!(
            mask_url("error connecting to postgres://u:p@h/d: refused"),
            "error connecting to postgres://u:***@h/d: refused"
        );
        assert_eq!(mask_url("sqlite://strata.db"), "sqlite://strata.db");
        assert_eq!(mask_url("postgres://user@h/d"), "postgres://user@h/d");
    }

    #[test]
    fn masks_passwords_with_unencoded_reserved_characters() {
        for (text, masked) in [
            (
                "connected to postgres://user:S3cr#3tPW@h/d",
                "connected to postgres://user:***@h/d",
            ),
            (
                "could not connect to postgres://u:pa ss@h/d: refused",
                "could not connect to postgres://u:***@h/d: refused",
            ),
            (
                "postgres://u:p/ss?w0rd@h:5432/d?sslmode=require",
                "postgres://u:***@h:5432/d?sslmode=require",
            ),
            ("postgres://u:p@ss@h/d", "postgres://u:***@h/d"),
            ("postgress://u:S3cr#3tPW@h/d", "postgress://u:***@h/d"),
            // No plain user name before the password: everything up to the last `@` goes.
            ("postgres://a/b:S3cr3t@h/d", "postgres://***@h/d"),
            // A server message after the URL keeps its own `@`.
            (
                "could not connect to postgres://u:pw@h/d: no role \"a@b\"",
                "could not connect to postgres://u:***@h/d: no role \"a@b\"",
            ),
            // Two URLs on a line.
            (
                "from postgres://a:x@h/d to postgres://b:y@h/e",
                "from postgres://a:***@h/d to postgres://b:***@h/e",
            ),
            // A password with `://` in it.
            ("postgres://u:x://y@h/d", "postgres://u:***@h/d"),
            (
                "url = \"postgres://u:S3cr#3tPW@h/d\"\nnext = 1",
                "url = \"postgres://u:***@h/d\"\nnext = 1",
            ),
            ("password='pa ss' host=h", "password=*** host=h"),
            (
                "could not parse `postgres://u:S3cr/3t&h/d`: bad",
                "could not parse `postgres://***`: bad",
            ),
            (
                "could not connect to postgres://h:5432/d: refused",
                "could not connect to postgres://h:5432/d: refused",
            ),
            ("?password=S3cr#3t&sslmode=x", "?password=***&sslmode=x"),
        ] {
            assert_eq!(mask_url(text), masked, "{text}");
            assert_eq!(mask_url(masked), masked, "masking twice: {masked}");
        }
    }

    #[test]
    fn display_masks_up_to_the_last_at() {
        for (url, shown) in [
            ("postgres://u:pw@h:5432/d", "postgres://u:***@h:5432/d"),
            ("postgres://u:S3cr#3tPW@h/d", "postgres://u:***@h/d"),
            ("postgres://u:p/ss?w0rd@h/d", "postgres://u:***@h/d"),
            ("postgres://u:pa ss@h/d", "postgres://u:***@h/d"),
            ("postgres://u@h/d", "postgres://u@h/d"),
            ("postgres://h/d", "postgres://h/d"),
            ("postgres://p/ss?w@h/d", "postgres://***@h/d"),
            ("postgres://h/d?application_name=a@b", "postgres://***@b"),
            // The `@` missing: what follows a `:` in the host part is no port.
            ("postgres://u:p/ss?w0rd&h/d", "postgres://***"),
            ("postgres://h:5432,[::1]:7/d", "postgres://h:5432,[::1]:7/d"),
            (
                "postgres://h/d?password=a b&sslmode=require",
                "postgres://h/d?password=***&sslmode=require",
            ),
            ("sqlite://strata.db", "sqlite://strata.db"),
        ] {
            assert_eq!(display_url(url).as_deref(), Some(shown), "{url}");
            assert_eq!(mask_url(shown), shown, "{shown}");
        }
        for url in [
            "postgresql//u:S3cr#3tPW@h/d",
            "postgres:/u:S3cr#3tPW@h/d",
            "u:S3cr#3tPW@h/d",
            "u:pw://h",
            "",
        ] {
            assert_eq!(display_url(url), None, "{url}");
        }
        assert_eq!(url_scheme("postgress://x"), Some("postgress"));
        assert_eq!(url_scheme("u:p@h://x"), None);
    }
}
