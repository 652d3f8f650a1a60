//! Masking on hostile URLs: a deterministic mutation fuzzer (stable toolchain, as
//! strata-files/tests/robustness.rs). URLs with a known password in their user info (holding `#`,
//! `/`, `?`, `@`, spaces, `%`) are mutated by random bytes inserted, deleted and replaced,
//! reserved characters inserted, truncations and splices. `mask_url` and `display_url` must never
//! panic, and the password must never survive them.

use strata_core::{display_url, mask_url};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PASSWORDS: &[&str] = &[
    "S3cr#3tPW",
    "p/ss?w0rd",
    "pa ss w0rd",
    "p@ss:w0rd%",
    "h#x/y?z@w v%41",
    "S3cr3t%zz",
];

/// `{pw}` is replaced by a password.
const TEMPLATES: &[&str] = &[
    "postgres://app:{pw}@db.example.com:5432/shop?sslmode=require",
    "postgresql://app:{pw}@127.0.0.1/d",
    "postgres://u:{pw}@[::1]:5433/d?application_name=x@y",
    "postgres://u:{pw}@a:1,b:2/d",
    "postgress://u:{pw}@h/d",
    "mysql://root:{pw}@h/d",
    "could not connect to postgres://u:{pw}@h/d: connection refused",
    "error: invalid connection URL `postgres://u:{pw}@h:99999/d`\n  hint: percent-encode it",
    "url = \"postgres://u:{pw}@h/d\"",
    "postgres://h/d?user=u&password={pw}",
    "host=h password='{pw}' user=u",
];

const TOKENS: &[&str] = &[
    "#", "/", "?", "@", " ", "%", ":", "//", "://", "\n", "&", "=", "'", "\"", ": ", "[", "]", ",",
];

fn mutate(rng: &mut Rng, seed: &str) -> String {
    let mut bytes = seed.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(6) {
            0 if !bytes.is_empty() => {
                let at = rng.below(bytes.len());
                bytes[at] = rng.next() as u8;
            }
            1 => {
                let at = rng.below(bytes.len() + 1);
                bytes.insert(at, rng.next() as u8);
            }
            2 if !bytes.is_empty() => {
                let at = rng.below(bytes.len());
                bytes.remove(at);
            }
            3 => {
                let at = rng.below(bytes.len() + 1);
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                bytes.splice(at..at, token.iter().copied());
            }
            4 if bytes.len() > 2 => {
                let a = rng.below(bytes.len());
                let b = rng.below(bytes.len());
                let (lo, hi) = (a.min(b), a.max(b));
                let piece: Vec<u8> = bytes[lo..hi].to_vec();
                let at = rng.below(bytes.len());
                bytes.splice(at..at, piece);
            }
            _ if !bytes.is_empty() => {
                let at = rng.below(bytes.len());
                bytes.truncate(at);
            }
            _ => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Whether each occurrence of the password is where a URL holds one: before an `@` (the user
/// info) or right after `password=`. For free text (`on_its_line`), the user info must be on one
/// line after a `://` with no `@` between them (a copy of the user info without a scheme, or on
/// another line than its scheme, is just text).
fn where_a_password_goes(text: &str, password: &str, on_its_line: bool) -> bool {
    let lower = text.to_ascii_lowercase();
    let occurrences: Vec<usize> = text.match_indices(password).map(|(at, _)| at).collect();
    !occurrences.is_empty()
        && occurrences.iter().all(|&at| {
            let after = &text[at + password.len()..];
            let param = lower[..at].ends_with("password=") || lower[..at].ends_with("password='");
            if !on_its_line {
                return param || after.contains('@');
            }
            let line_start = lower[..at].rfind(['\n', '\r']).map_or(0, |i| i + 1);
            let line_end = after.find(['\n', '\r']).unwrap_or(after.len());
            let before = &lower[line_start..at];
            let own_scheme = before
                .rfind("://")
                .is_some_and(|scheme| !before[scheme..].contains('@'));
            param || (own_scheme && after[..line_end].contains('@'))
        })
}

const ROUNDS: usize = 20_000;

#[test]
fn masking_never_panics_and_never_lets_a_password_through() {
    let mut rng = Rng(0x5eed_0101);
    let mut checked = 0;
    for _ in 0..ROUNDS {
        let password = PASSWORDS[rng.below(PASSWORDS.len())];
        let seed = TEMPLATES[rng.below(TEMPLATES.len())].replace("{pw}", password);
        let text = mutate(&mut rng, &seed);
        let masked = mask_url(&text);
        let shown = display_url(&text);
        if !text.contains("://") {
            assert_eq!(shown, None, "a text without `://` is never shown: {text:?}");
        }
        if let Some(shown) = &shown {
            if where_a_password_goes(&text, password, false) {
                assert!(
                    !shown.contains(password),
                    "display_url let the password through:\n{text:?}\n{shown:?}"
                );
            }
        }
        if where_a_password_goes(&text, password, true) {
            checked += 1;
            assert!(
                !masked.contains(password),
                "mask_url let the password through:\n{text:?}\n{masked:?}"
            );
        }
    }
    // Most mutations leave the password whole somewhere it can be recognised.
    assert!(checked > ROUNDS / 4, "only {checked} inputs checked");
}

#[test]
fn masking_the_unmutated_shapes() {
    for password in PASSWORDS {
        for template in TEMPLATES {
            let text = template.replace("{pw}", password);
            assert!(!mask_url(&text).contains(password), "{text}");
        }
    }
}
