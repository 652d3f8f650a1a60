//! Masking secrets in database URLs and connection strings before anything is printed.

/// Replaces the password in a URL (`scheme://user:password@host`) and any `password=` query or
/// key/value parameter with `***`. Everything strata prints that might hold a URL passes through
/// here.
pub fn mask_url(text: &str) -> String {
    let mut out = mask_userinfo(text);
    for key in ["password=", "sslpassword="] {
        out = mask_param(&out, key);
    }
    out
}

fn mask_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        // userinfo ends at the last '@' before the next '/', '?', '#' or whitespace.
        let end = tail
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..colon]);
                        out.push_str(":***");
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

fn mask_param(text: &str, key: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let lower = rest.to_ascii_lowercase();
        match lower.find(key) {
            Some(pos) => {
                let value_start = pos + key.len();
                out.push_str(&rest[..value_start]);
                let tail = &rest[value_start..];
                let end = tail
                    .find(|c: char| c == '&' || c == '#' || c.is_whitespace())
                    .unwrap_or(tail.len());
                if end > 0 {
                    out.push_str("***");
                }
                rest = &tail[end..];
            }
            None => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::mask_url;

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
}
