//! The online migration parser on hostile input (parsers are fuzzed: no panic, whatever the input): the
//! documented example and a file of every operation type, mutated 20,000 times by a deterministic
//! generator (byte flips, TOML-significant insertions, truncations, splices). Every input gives
//! a migration or diagnostics within the file's lines, never a panic.

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

const SEED: &str = r#"message = "every operation"
revises = "a1"

[[operations]]
type = "create_table"
table = "app.t"
columns = [{ name = "id", type = "bigint", primary_key = true }, { name = "o", type = "int", references = { table = "u", column = "id", on_delete = "cascade" } }]

[[operations]]
type = "add_column"
table = "u"
column = { name = "c", type = "text", nullable = false, default = "'x'", check = "c <> ''" }
up = "coalesce(c, 'x')"

[[operations]]
type = "alter_column"
table = "u"
column = "balance"
data_type = "bigint"
check = { name = "ck", expression = "balance > 0" }
up = "balance::bigint"
down = "balance::integer"

[[operations]]
type = "create_index"
name = "i"
table = "u"
columns = ["a", "b"]
where = "a > 0"

[[operations]]
type = "raw_sql"
up = "SELECT 1"
down = "SELECT 2"
"#;

const TOKENS: &[&str] = &[
    "[[operations]]\n",
    "type = ",
    "\"",
    "'",
    "[",
    "]",
    "{",
    "}",
    "=",
    "\n",
    ",",
    ".",
    "#",
    "\"\"\"",
    "é",
    "\u{0}",
    "table = \"\"",
    "column = {}",
    "up = 1",
    "nullable = \"yes\"",
];

#[test]
fn online_migrations_never_panic() {
    if let Err(d) = strata_online::parse("migrations/a2_x.toml", SEED) {
        panic!("the seed itself must parse: {d:?}");
    }
    let mut rng = Rng(0x5eed_0104);
    for _ in 0..20_000 {
        let mut bytes = SEED.as_bytes().to_vec();
        for _ in 0..=(rng.next() % 4) {
            let at = (rng.next() % (bytes.len() as u64 + 1)) as usize;
            match rng.next() % 4 {
                0 if at < bytes.len() => bytes[at] = rng.next() as u8,
                1 => {
                    let token = TOKENS[(rng.next() % TOKENS.len() as u64) as usize];
                    bytes.splice(at..at, token.bytes());
                }
                2 => bytes.truncate(at),
                _ => {
                    let end = (at + (rng.next() % 40) as usize).min(bytes.len());
                    let piece = bytes[at..end].to_vec();
                    bytes.splice(at..at, piece);
                }
            }
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if let Err(diagnostics) = strata_online::parse("migrations/a2_x.toml", &text) {
            let lines = text.split('\n').count() + 1;
            for d in diagnostics {
                assert!(d.line <= lines, "{d:?} beyond {lines} lines:\n{text}");
            }
        }
    }
}
