//! The `postgres://` URL parser on hostile input: a deterministic mutation fuzzer (stable
//! toolchain, as strata-files/tests/robustness.rs). URLs with a known password in their user info
//! (holding `#`, `/`, `?`, `@`, spaces, `%`) are mutated by random bytes inserted, deleted and
//! replaced, reserved characters inserted, truncations and splices. The parser must never panic,
//! every error must be a URL error (bad input, no connection attempted), and no error message or
//! hint may hold the password. Nothing here connects.

use strata_postgres::check_url;

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
    "S3cr3tPW99",
];

/// `{pw}` is replaced by a password.
const TEMPLATES: &[&str] = &[
    "postgres://app:{pw}@db.example.com:5432/shop?sslmode=require",
    "postgresql://app:{pw}@127.0.0.1/d",
    "postgres://u:{pw}@[::1]:5433/d?application_name=x@y&connect_timeout=3",
    "postgres://u:{pw}@a:1,b:2/d?target_session_attrs=read-write",
    "postgres://u:{pw}@/d?host=/var/run/postgresql&options=-c%20x%3D1",
    "postgress://u:{pw}@h/d",
    "postgres://h/d?user=u&password={pw}&sslmode=verify-full&sslrootcert=system",
];

const TOKENS: &[&str] = &[
    "#", "/", "?", "@", " ", "%", ":", "//", "://", "\n", "&", "=", "'", "[", "]", ",", "%zz",
    "sslmode=", "port=", "99999",
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

/// Whether each occurrence of the password is where a URL holds one: in the user info (after a
/// `://` and a `:` with no `@` between, before an `@`) or right after `password=`.
fn where_a_password_goes(url: &str, password: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let occurrences: Vec<usize> = url.match_indices(password).map(|(at, _)| at).collect();
    !occurrences.is_empty()
        && occurrences.iter().all(|&at| {
            let before = &lower[..at];
            // (Without a `:` before it, it is a user name.)
            let user_info = before.rfind("://").is_some_and(|scheme| {
                !before[scheme..].contains('@') && before[scheme + 3..].contains(':')
            }) && url[at + password.len()..].contains('@');
            user_info || before.ends_with("password=")
        })
}

const ROUNDS: usize = 20_000;

#[test]
fn the_url_parser_never_panics_and_its_errors_never_hold_the_password() {
    let mut rng = Rng(0x5eed_0201);
    let (mut errors, mut checked) = (0, 0);
    for _ in 0..ROUNDS {
        let password = PASSWORDS[rng.below(PASSWORDS.len())];
        let seed = TEMPLATES[rng.below(TEMPLATES.len())].replace("{pw}", password);
        let url = mutate(&mut rng, &seed);
        let Err(e) = check_url(&url) else {
            continue;
        };
        errors += 1;
        assert!(e.invalid_url, "not flagged as a URL problem: {url:?}\n{e}");
        assert!(!e.connection, "{url:?}");
        assert!(
            e.message.starts_with("invalid connection URL"),
            "{url:?}\n{e}"
        );
        if where_a_password_goes(&url, password) {
            checked += 1;
            let text = format!("{}\n{}", e.message, e.hint.as_deref().unwrap_or(""));
            assert!(
                !text.contains(password),
                "the error holds the password:\n{url:?}\n{text}"
            );
        }
    }
    assert!(errors > ROUNDS / 4, "only {errors} errors");
    assert!(checked > ROUNDS / 10, "only {checked} errors checked");
}
