//! Splitting migration SQL into statements, each mapped back to its line, and recognising the
//! statements that cannot run inside a transaction.
//!
//! The splitter is a lexer, not a parser: it knows enough of PostgreSQL's and SQLite's lexical
//! rules (strings, quoted identifiers, dollar quotes, nested block comments) never to split inside
//! a literal or a comment, and enough of their grammar to keep `BEGIN ATOMIC … END` function bodies
//! and `CREATE TRIGGER … BEGIN … END` trigger bodies in one statement. It never panics, whatever
//! the input.

/// One statement of a SQL text.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Statement {
    /// From the first token through the terminating `;` (when there is one). Comments inside the
    /// statement are kept; comments and whitespace around it are not.
    pub sql: String,
    /// Line of the first token, counted from the `first_line` given to [`split`].
    pub line: usize,
    /// 1-based column of the first token, in characters.
    pub column: usize,
    /// Byte offset of the first token in the text given to [`split`].
    pub offset: usize,
    /// Whether the statement ends with its own `;` (the last statement of a text may not, and
    /// one with an unterminated string or quoted identifier never does). Nothing may be appended
    /// to the text of an unterminated statement without changing how the database parses it.
    #[serde(skip)]
    pub terminated: bool,
}

/// Splits `sql` into statements at top-level `;`. `first_line` is the line number of the first line
/// of `sql`, so that statement lines are file lines.
pub fn split(sql: &str, first_line: usize) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut position = Position {
        offset: 0,
        line: first_line,
        line_start: 0,
    };
    let mut current: Option<Current> = None;
    let mut lexer = Lexer::new(sql);
    let mut previous_was_dot = false;

    while let Some(token) = lexer.next() {
        if token.kind == Kind::Punct(b';')
            && !matches!(&current, Some(c) if c.depth > 0 || c.parens > 0)
        {
            if let Some(c) = current.take() {
                out.push(position.statement(sql, c.start, token.end, true));
            }
            previous_was_dot = false;
            continue;
        }
        let c = current.get_or_insert_with(|| Current::new(token.start));
        c.end = token.end;
        match token.kind {
            Kind::Punct(b'(') => c.parens += 1,
            Kind::Punct(b')') => c.parens = c.parens.saturating_sub(1),
            _ => {}
        }
        if token.kind == Kind::Word && !previous_was_dot {
            let word = upper_word(token.text(sql));
            c.on_word(&word, &lexer);
        }
        previous_was_dot = token.kind == Kind::Punct(b'.');
    }
    if let Some(c) = current {
        out.push(position.statement(sql, c.start, c.end, false));
    }
    out
}

/// When `statement` cannot run inside a transaction block, a short name of it
/// (e.g. `"CREATE INDEX CONCURRENTLY"`); otherwise `None`.
pub fn no_transaction_reason(statement: &str) -> Option<&'static str> {
    let tokens = simple_tokens(statement, 256);
    let word = |i: usize| tokens.get(i).and_then(SimpleToken::word);
    let is = |i: usize, w: &str| word(i) == Some(w);

    match word(0)? {
        "CREATE" => {
            let i = if is(1, "UNIQUE") { 2 } else { 1 };
            match word(i)? {
                "INDEX" if is(i + 1, "CONCURRENTLY") => Some("CREATE INDEX CONCURRENTLY"),
                "DATABASE" if i == 1 => Some("CREATE DATABASE"),
                "TABLESPACE" if i == 1 => Some("CREATE TABLESPACE"),
                "SUBSCRIPTION" if i == 1 => Some("CREATE SUBSCRIPTION"),
                _ => None,
            }
        }
        "DROP" => match word(1)? {
            "INDEX" if is(2, "CONCURRENTLY") => Some("DROP INDEX CONCURRENTLY"),
            "DATABASE" => Some("DROP DATABASE"),
            "TABLESPACE" => Some("DROP TABLESPACE"),
            "SUBSCRIPTION" => Some("DROP SUBSCRIPTION"),
            _ => None,
        },
        "REINDEX" => {
            let mut i = 1;
            if tokens.get(1) == Some(&SimpleToken::Punct(b'(')) {
                i = skip_parenthesized(&tokens, 1);
            }
            let kind = word(i)?;
            if is(i + 1, "CONCURRENTLY") {
                return Some("REINDEX CONCURRENTLY");
            }
            match kind {
                "SCHEMA" => Some("REINDEX SCHEMA"),
                "DATABASE" => Some("REINDEX DATABASE"),
                "SYSTEM" => Some("REINDEX SYSTEM"),
                _ => None,
            }
        }
        "VACUUM" => Some("VACUUM"),
        "ALTER" => match word(1)? {
            "SYSTEM" => Some("ALTER SYSTEM"),
            // ALTER DATABASE name SET TABLESPACE t
            "DATABASE" if tokens.len() > 4 && is(3, "SET") && is(4, "TABLESPACE") => {
                Some("ALTER DATABASE SET TABLESPACE")
            }
            "TABLE" => {
                let detach =
                    (1..tokens.len()).find(|&i| is(i, "DETACH") && is(i + 1, "PARTITION"))?;
                tokens[detach + 2..]
                    .iter()
                    .any(|t| t.word() == Some("CONCURRENTLY"))
                    .then_some("DETACH PARTITION CONCURRENTLY")
            }
            _ => None,
        },
        _ => None,
    }
}

/// What kind of token a [`SqlToken`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// An unquoted identifier or keyword.
    Word,
    /// A string of any kind: `'…'`, `E'…'`, dollar-quoted.
    String,
    /// A quoted identifier: `"…"`.
    QuotedIdent,
    /// A number or a `$1` parameter.
    Number,
    /// Any other single character (`::` is two).
    Punct(u8),
}

/// One token of SQL text, by byte offsets; whitespace and comments are not tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SqlToken {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

/// The tokens of `sql`, by the same lexical rules as [`split`] (strings, quoted identifiers,
/// dollar quotes, nested comments): for code that must find names in SQL text without touching
/// literals or comments. Never panics.
pub fn tokens(sql: &str) -> Vec<SqlToken> {
    Lexer::new(sql)
        .map(|t| SqlToken {
            kind: match t.kind {
                Kind::Word => TokenKind::Word,
                Kind::Str => TokenKind::String,
                Kind::QuotedIdent => TokenKind::QuotedIdent,
                Kind::Number => TokenKind::Number,
                Kind::Punct(p) => TokenKind::Punct(p),
            },
            start: t.start,
            end: t.end,
        })
        .collect()
}

/// Length in bytes of the whitespace and comments at the start of `text`.
pub fn skip_trivia(text: &str) -> usize {
    let mut lexer = Lexer::new(text);
    lexer.skip_trivia();
    lexer.pos
}

/// What a transaction-control statement does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransactionControl {
    /// `BEGIN`, `START TRANSACTION`.
    Begin,
    /// `COMMIT`, `END`.
    Commit,
    /// `ROLLBACK`, `ABORT`.
    Rollback,
    /// `PREPARE TRANSACTION`, `COMMIT PREPARED`, `ROLLBACK PREPARED`.
    TwoPhase,
}

/// Whether `statement` begins, ends or prepares a transaction, and how. `ROLLBACK TO [SAVEPOINT]`
/// and `BEGIN ATOMIC` are not transaction control.
pub fn transaction_control(statement: &str) -> Option<TransactionControl> {
    let tokens = simple_tokens(statement, 4);
    let word = |i: usize| tokens.get(i).and_then(SimpleToken::word);
    match word(0)? {
        "BEGIN" => (word(1) != Some("ATOMIC")).then_some(TransactionControl::Begin),
        "START" => (word(1) == Some("TRANSACTION")).then_some(TransactionControl::Begin),
        "COMMIT" if word(1) == Some("PREPARED") => Some(TransactionControl::TwoPhase),
        "COMMIT" | "END" => Some(TransactionControl::Commit),
        "ABORT" => Some(TransactionControl::Rollback),
        "ROLLBACK" => {
            if word(1) == Some("PREPARED") {
                return Some(TransactionControl::TwoPhase);
            }
            let next = if matches!(word(1), Some("WORK" | "TRANSACTION")) {
                2
            } else {
                1
            };
            (word(next) != Some("TO")).then_some(TransactionControl::Rollback)
        }
        "PREPARE" => (word(1) == Some("TRANSACTION")).then_some(TransactionControl::TwoPhase),
        _ => None,
    }
}

/// Whether `statement` begins, ends or prepares a transaction (`BEGIN`, `START TRANSACTION`,
/// `COMMIT`, `END`, `ROLLBACK`, `ABORT`, `COMMIT PREPARED`, `ROLLBACK PREPARED`,
/// `PREPARE TRANSACTION`). `ROLLBACK TO [SAVEPOINT]` and `BEGIN ATOMIC` are not.
pub fn is_transaction_control(statement: &str) -> bool {
    transaction_control(statement).is_some()
}

/// Functions that return a new value on every call: a column default calling one is evaluated for
/// every row (lint's `volatile-default`, the diff's `table-rewrite` on `ADD COLUMN`).
pub const VOLATILE_FUNCTIONS: &[&str] = &[
    "clock_timestamp",
    "timeofday",
    "random",
    "random_normal",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "uuidv4",
    "uuidv7",
    "gen_random_bytes",
    "nextval",
    "txid_current",
    "pg_current_xact_id",
];

/// Functions known to be stable or immutable: PostgreSQL evaluates a default calling only these
/// once, at `ALTER TABLE` time (11+). Any function not listed here is treated as volatile.
pub const NON_VOLATILE_FUNCTIONS: &[&str] = &[
    // Stable: the transaction's time, settings, session.
    "now",
    "transaction_timestamp",
    "statement_timestamp",
    "current_setting",
    "current_database",
    "current_schema",
    "pg_backend_pid",
    // Immutable constructors and conversions often used in defaults.
    "make_date",
    "make_time",
    "make_timestamp",
    "make_timestamptz",
    "make_interval",
    "to_timestamp",
    "to_date",
    "to_char",
    "to_number",
    "date_trunc",
    "timezone",
    "lower",
    "upper",
    "concat",
    "concat_ws",
    "length",
    "substr",
    "substring",
    "replace",
    "trim",
    "btrim",
    "md5",
    "abs",
    "round",
    "greatest",
    "least",
    "jsonb_build_object",
    "jsonb_build_array",
    "json_build_object",
    "json_build_array",
    "to_jsonb",
    "to_json",
    "array_fill",
    "uuid_nil",
    "point",
    "int4range",
    "int8range",
    "numrange",
    "tstzrange",
    "daterange",
];

/// The functions an expression in PostgreSQL's text calls (`pg_get_expr` of a default): the last
/// part of each name, lower-cased, in order. Type names after `::` are not calls.
pub fn function_calls(expr: &str) -> Vec<String> {
    let tokens: Vec<Token> = Lexer::new(expr).collect();
    // The words of a cast's type (`::character varying(10)`, `::pg_catalog.numeric(10,2)`).
    let mut cast_type = vec![false; tokens.len()];
    for i in 1..tokens.len() {
        if matches!(tokens[i].kind, Kind::Punct(b':'))
            && matches!(tokens[i - 1].kind, Kind::Punct(b':'))
        {
            let mut j = i + 1;
            while let Some(t) = tokens.get(j) {
                if !matches!(t.kind, Kind::Word | Kind::QuotedIdent | Kind::Punct(b'.')) {
                    break;
                }
                cast_type[j] = true;
                j += 1;
            }
        }
    }
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if !matches!(t.kind, Kind::Word | Kind::QuotedIdent) || cast_type[i] {
            continue;
        }
        if !matches!(tokens.get(i + 1).map(|n| n.kind), Some(Kind::Punct(b'('))) {
            continue;
        }
        let text = t.text(expr);
        let name = match t.kind {
            Kind::QuotedIdent => text.trim_matches('"').replace("\"\"", "\""),
            _ => text.to_ascii_lowercase(),
        };
        if t.kind == Kind::Word
            && matches!(
                name.as_str(),
                "row"
                    | "array"
                    | "cast"
                    | "coalesce"
                    | "nullif"
                    | "greatest"
                    | "least"
                    | "in"
                    | "and"
                    | "or"
                    | "not"
                    | "exists"
                    | "any"
                    | "all"
                    | "some"
                    | "values"
            )
            && !NON_VOLATILE_FUNCTIONS.contains(&name.as_str())
        {
            continue;
        }
        out.push(name);
    }
    out
}

/// The first function `expr` calls that is not known to be stable or immutable: a column default
/// calling it is evaluated for every existing row (`ADD COLUMN` rewrites the table).
pub fn volatile_call(expr: &str) -> Option<String> {
    function_calls(expr)
        .into_iter()
        .find(|name| !NON_VOLATILE_FUNCTIONS.contains(&name.as_str()))
}

/// Whether `statement` only validates constraints (`ALTER TABLE … VALIDATE CONSTRAINT …`,
/// `ALTER DOMAIN … VALIDATE CONSTRAINT …`): it checks existing rows and changes no definition, so
/// a migration made of such statements has nothing for its down to undo.
pub fn only_validates_constraints(statement: &str) -> bool {
    let tokens = simple_tokens(statement, 512);
    let word = |i: usize| tokens.get(i).and_then(SimpleToken::word);
    if word(0) != Some("ALTER") || !matches!(word(1), Some("TABLE" | "DOMAIN")) {
        return false;
    }
    let mut i = 2;
    if word(i) == Some("IF") && word(i + 1) == Some("EXISTS") {
        i += 2;
    }
    if word(i) == Some("ONLY") {
        i += 1;
    }
    // The name: parts separated by dots.
    loop {
        match tokens.get(i) {
            Some(SimpleToken::Word(_) | SimpleToken::Other) => i += 1,
            _ => return false,
        }
        if tokens.get(i) == Some(&SimpleToken::Punct(b'.')) {
            i += 1;
        } else {
            break;
        }
    }
    loop {
        if word(i) != Some("VALIDATE") || word(i + 1) != Some("CONSTRAINT") {
            return false;
        }
        if !matches!(
            tokens.get(i + 2),
            Some(SimpleToken::Word(_) | SimpleToken::Other)
        ) {
            return false;
        }
        i += 3;
        match tokens.get(i) {
            None | Some(SimpleToken::Punct(b';')) => return tokens.len() <= i + 1,
            Some(SimpleToken::Punct(b',')) => i += 1,
            _ => return false,
        }
    }
}

/// The index a `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] name ON [ONLY] table`
/// statement creates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedIndex {
    /// The index's name as the database stores it (unquoted names folded to lower case); `None`
    /// when the statement lets the database choose it.
    pub name: Option<String>,
    /// The table as written (quoted and qualified as in the statement), for the database to
    /// resolve.
    pub table: String,
    pub concurrently: bool,
}

/// What index `statement` creates, when it is a `CREATE INDEX`.
pub fn created_index(statement: &str) -> Option<CreatedIndex> {
    let tokens: Vec<Token> = Lexer::new(statement).take(64).collect();
    let text = |i: usize| tokens.get(i).map(|t| t.text(statement));
    let is = |i: usize, w: &str| {
        tokens.get(i).is_some_and(|t| t.kind == Kind::Word)
            && text(i).is_some_and(|t| t.eq_ignore_ascii_case(w))
    };
    if !is(0, "CREATE") {
        return None;
    }
    let mut i = if is(1, "UNIQUE") { 2 } else { 1 };
    if !is(i, "INDEX") {
        return None;
    }
    i += 1;
    let concurrently = is(i, "CONCURRENTLY");
    if concurrently {
        i += 1;
    }
    if is(i, "IF") && is(i + 1, "NOT") && is(i + 2, "EXISTS") {
        i += 3;
    }
    let name = if is(i, "ON") {
        None
    } else {
        let name = identifier_value(tokens.get(i)?, statement)?;
        i += 1;
        Some(name)
    };
    if !is(i, "ON") {
        return None;
    }
    i += 1;
    if is(i, "ONLY") {
        i += 1;
    }
    let first = tokens.get(i)?;
    let mut j = i;
    let last = loop {
        let t = tokens.get(j)?;
        if !matches!(t.kind, Kind::Word | Kind::QuotedIdent) {
            return None;
        }
        if tokens.get(j + 1).map(|t| t.kind) == Some(Kind::Punct(b'.')) {
            j += 2;
        } else {
            break t;
        }
    };
    Some(CreatedIndex {
        name,
        table: statement.get(first.start..last.end)?.to_owned(),
        concurrently,
    })
}

/// The name an identifier token stands for: unquoted folded to lower case (as PostgreSQL does),
/// quoted with its doubled quotes undone.
fn identifier_value(token: &Token, sql: &str) -> Option<String> {
    let text = token.text(sql);
    match token.kind {
        Kind::Word => Some(text.to_ascii_lowercase()),
        Kind::QuotedIdent if text.len() >= 2 && text.starts_with('"') && text.ends_with('"') => {
            Some(text[1..text.len() - 1].replace("\"\"", "\""))
        }
        _ => None,
    }
}

/// Line bookkeeping: statement starts only move forward, so lines are counted once.
struct Position {
    offset: usize,
    line: usize,
    line_start: usize,
}

impl Position {
    fn statement(&mut self, sql: &str, start: usize, end: usize, terminated: bool) -> Statement {
        let bytes = sql.as_bytes();
        while self.offset < start {
            if bytes[self.offset] == b'\n' {
                self.line += 1;
                self.line_start = self.offset + 1;
            }
            self.offset += 1;
        }
        let column = sql
            .get(self.line_start..start)
            .map_or(0, |s| s.chars().count())
            + 1;
        let text = sql.get(start..end).unwrap_or_default();
        Statement {
            sql: text.to_owned(),
            line: self.line,
            column,
            offset: start,
            terminated,
        }
    }
}

/// The statement being read by [`split`].
struct Current {
    start: usize,
    end: usize,
    /// The first words, uppercased, to recognise `CREATE TRIGGER` and `CREATE FUNCTION`.
    words: Vec<String>,
    /// Open `BEGIN`/`CASE` blocks inside a trigger or `BEGIN ATOMIC` body; `;` splits only at 0.
    depth: usize,
    /// Open parentheses: as in psql, a `;` inside them (e.g. a multi-action `CREATE RULE`) does
    /// not end the statement.
    parens: usize,
}

impl Current {
    fn new(start: usize) -> Current {
        Current {
            start,
            end: start,
            words: Vec::new(),
            depth: 0,
            parens: 0,
        }
    }

    fn on_word(&mut self, word: &str, lexer: &Lexer<'_>) {
        if self.words.len() < 8 {
            self.words.push(word.to_owned());
        }
        if self.depth > 0 {
            match word {
                "BEGIN" | "CASE" => self.depth += 1,
                "END" => self.depth -= 1,
                _ => {}
            }
        } else if word == "BEGIN" {
            let body = match self.created_kind() {
                Some("TRIGGER") => true,
                Some("FUNCTION" | "PROCEDURE") => lexer
                    .peek_word()
                    .is_some_and(|w| w.eq_ignore_ascii_case("ATOMIC")),
                _ => false,
            };
            if body {
                self.depth = 1;
            }
        }
    }

    /// `TRIGGER` for `CREATE [OR REPLACE] [TEMP|TEMPORARY] TRIGGER`, and so on.
    fn created_kind(&self) -> Option<&str> {
        let mut words = self.words.iter().map(String::as_str);
        if words.next()? != "CREATE" {
            return None;
        }
        let mut next = words.next()?;
        if next == "OR" {
            words.next()?; // REPLACE
            next = words.next()?;
        }
        if next == "TEMP" || next == "TEMPORARY" {
            next = words.next()?;
        }
        Some(next)
    }
}

fn upper_word(word: &str) -> String {
    // Keywords are short and ASCII; anything else is an identifier that matches no keyword.
    if word.len() <= 16 {
        word.to_ascii_uppercase()
    } else {
        String::new()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Unquoted identifier or keyword (PostgreSQL identifier characters, including `$` after the first).
    Word,
    /// A string of any kind, including dollar-quoted and `E'…'`.
    Str,
    /// A quoted identifier: `"…"` or `` `…` ``.
    QuotedIdent,
    /// A number or a `$1` parameter.
    Number,
    /// Any other single character.
    Punct(u8),
}

#[derive(Clone, Copy, Debug)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

impl Token {
    fn text<'a>(&self, sql: &'a str) -> &'a str {
        sql.get(self.start..self.end).unwrap_or_default()
    }
}

/// Yields tokens, skipping whitespace and comments. Every token boundary is a char boundary:
/// tokens end after an ASCII delimiter, at an ASCII byte, or at the end of the text.
#[derive(Clone)]
struct Lexer<'a> {
    sql: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_continue(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit() || b == b'$'
}

impl<'a> Lexer<'a> {
    fn new(sql: &'a str) -> Lexer<'a> {
        Lexer {
            sql,
            bytes: sql.as_bytes(),
            pos: 0,
        }
    }

    fn at(&self, i: usize) -> u8 {
        self.bytes.get(i).copied().unwrap_or(0)
    }

    /// The next word, if the next token is one (for `BEGIN ATOMIC`).
    fn peek_word(&self) -> Option<&'a str> {
        let mut ahead = self.clone();
        let token = ahead.next()?;
        (token.kind == Kind::Word).then(|| token.text(self.sql))
    }

    fn skip_trivia(&mut self) {
        loop {
            let b = self.at(self.pos);
            if self.pos >= self.bytes.len() {
                return;
            }
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
                self.pos += 1;
            } else if self.bytes[self.pos..].starts_with("\u{feff}".as_bytes()) {
                self.pos += 3;
            } else if b == b'-' && self.at(self.pos + 1) == b'-' {
                while self.pos < self.bytes.len() && self.bytes[self.pos] != b'\n' {
                    self.pos += 1;
                }
            } else if b == b'/' && self.at(self.pos + 1) == b'*' {
                self.skip_block_comment();
            } else {
                return;
            }
        }
    }

    /// `/* … */`, nested as in PostgreSQL; unterminated runs to the end.
    fn skip_block_comment(&mut self) {
        let mut depth = 0usize;
        while self.pos < self.bytes.len() {
            let (b, next) = (self.bytes[self.pos], self.at(self.pos + 1));
            if b == b'/' && next == b'*' {
                depth += 1;
                self.pos += 2;
            } else if b == b'*' && next == b'/' {
                depth -= 1;
                self.pos += 2;
                if depth == 0 {
                    return;
                }
            } else {
                self.pos += 1;
            }
        }
        self.pos = self.bytes.len();
    }

    /// From just after an opening `quote` to just after its closing one; a doubled quote is an
    /// escaped quote, and with `backslash` a backslash escapes the next character.
    fn skip_quoted(&mut self, quote: u8, backslash: bool) {
        while self.pos < self.bytes.len() {
            let b = self.bytes[self.pos];
            if backslash && b == b'\\' {
                self.pos += 2;
            } else if b == quote {
                if self.at(self.pos + 1) == quote {
                    self.pos += 2;
                } else {
                    self.pos += 1;
                    return;
                }
            } else {
                self.pos += 1;
            }
        }
        self.pos = self.bytes.len();
    }

    /// At a `$`: the end of the opening delimiter `$tag$` when there is one.
    fn dollar_tag_end(&self) -> Option<usize> {
        let mut i = self.pos + 1;
        if self.at(i) == b'$' {
            return Some(i + 1);
        }
        if !is_ident_start(self.at(i)) {
            return None;
        }
        while self.at(i) != b'$' {
            let b = self.at(i);
            if !(is_ident_start(b) || b.is_ascii_digit()) {
                return None;
            }
            i += 1;
        }
        Some(i + 1)
    }
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        self.skip_trivia();
        let start = self.pos;
        if start >= self.bytes.len() {
            return None;
        }
        let b = self.bytes[start];
        let kind = match b {
            b'\'' => {
                self.pos += 1;
                self.skip_quoted(b'\'', false);
                Kind::Str
            }
            b'"' | b'`' => {
                self.pos += 1;
                self.skip_quoted(b, false);
                Kind::QuotedIdent
            }
            b'$' if self.at(start + 1).is_ascii_digit() => {
                self.pos += 1;
                while self.at(self.pos).is_ascii_digit() {
                    self.pos += 1;
                }
                Kind::Number
            }
            b'$' => match self.dollar_tag_end() {
                Some(tag_end) => {
                    let delimiter = &self.sql[start..tag_end];
                    self.pos = match self.sql[tag_end..].find(delimiter) {
                        Some(found) => tag_end + found + delimiter.len(),
                        None => self.bytes.len(),
                    };
                    Kind::Str
                }
                None => {
                    self.pos += 1;
                    Kind::Punct(b'$')
                }
            },
            b'0'..=b'9' => {
                while self.pos < self.bytes.len()
                    && (self.bytes[self.pos].is_ascii_alphanumeric()
                        || matches!(self.bytes[self.pos], b'_' | b'.'))
                {
                    self.pos += 1;
                }
                Kind::Number
            }
            _ if is_ident_start(b) => {
                while self.pos < self.bytes.len() && is_ident_continue(self.bytes[self.pos]) {
                    self.pos += 1;
                }
                if self.pos == start + 1 && (b == b'e' || b == b'E') && self.at(self.pos) == b'\'' {
                    self.pos += 1;
                    self.skip_quoted(b'\'', true);
                    Kind::Str
                } else {
                    Kind::Word
                }
            }
            _ => {
                self.pos += 1;
                Kind::Punct(b)
            }
        };
        self.pos = self.pos.min(self.bytes.len());
        Some(Token {
            kind,
            start,
            end: self.pos,
        })
    }
}

/// A token reduced to what keyword matching needs.
#[derive(Clone, Debug, PartialEq, Eq)]
enum SimpleToken {
    Word(String),
    Punct(u8),
    Other,
}

impl SimpleToken {
    fn word(&self) -> Option<&str> {
        match self {
            SimpleToken::Word(w) => Some(w),
            _ => None,
        }
    }
}

/// The first `limit` tokens of `statement`, words uppercased.
fn simple_tokens(statement: &str, limit: usize) -> Vec<SimpleToken> {
    Lexer::new(statement)
        .take(limit)
        .map(|t| match t.kind {
            Kind::Word => SimpleToken::Word(upper_word(t.text(statement))),
            Kind::Punct(p) => SimpleToken::Punct(p),
            _ => SimpleToken::Other,
        })
        .collect()
}

/// The index after the `)` matching the `(` at `open`.
fn skip_parenthesized(tokens: &[SimpleToken], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t {
            SimpleToken::Punct(b'(') => depth += 1,
            SimpleToken::Punct(b')') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqls(text: &str) -> Vec<String> {
        split(text, 1).into_iter().map(|s| s.sql).collect()
    }

    #[test]
    fn the_functions_an_expression_calls() {
        assert_eq!(
            function_calls("nextval('public.\"a b_seq\"'::regclass)"),
            ["nextval"]
        );
        assert_eq!(
            volatile_call("nextval('s'::regclass)").as_deref(),
            Some("nextval")
        );
        assert_eq!(volatile_call("now()"), None);
        assert_eq!(volatile_call("'x'::character varying(10)"), None);
        assert_eq!(volatile_call("(0)::numeric(10,2)"), None);
        assert_eq!(volatile_call("(0)::pg_catalog.numeric(10,2)"), None);
        assert_eq!(volatile_call("CURRENT_TIMESTAMP"), None);
        assert_eq!(volatile_call("lower(upper('a'::text))"), None);
        assert_eq!(
            volatile_call("COALESCE(public.\"My f\"(1), 0)").as_deref(),
            Some("My f")
        );
        assert_eq!(
            volatile_call("gen_random_uuid()").as_deref(),
            Some("gen_random_uuid")
        );
    }

    #[test]
    fn statements_that_only_validate_constraints() {
        for yes in [
            "ALTER TABLE t VALIDATE CONSTRAINT c;",
            "alter table only \"a\"\"b\".\"T\" validate constraint \"c x\", validate constraint d",
            "ALTER TABLE IF EXISTS s.t VALIDATE CONSTRAINT c",
            "ALTER DOMAIN d VALIDATE CONSTRAINT c;",
        ] {
            assert!(only_validates_constraints(yes), "{yes}");
        }
        for no in [
            "ALTER TABLE t ADD CONSTRAINT c CHECK (x > 0) NOT VALID;",
            "ALTER TABLE t VALIDATE CONSTRAINT c, DROP COLUMN x;",
            "ALTER TABLE t ALTER COLUMN x SET NOT NULL;",
            "ALTER INDEX i VALIDATE CONSTRAINT c;",
            "VALIDATE CONSTRAINT c;",
        ] {
            assert!(!only_validates_constraints(no), "{no}");
        }
    }

    #[test]
    fn the_index_a_statement_creates() {
        let idx = created_index(
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS Orders_Idx ON ONLY app.\"Order Lines\" USING btree (id);",
        )
        .unwrap();
        assert_eq!(idx.name.as_deref(), Some("orders_idx"));
        assert_eq!(idx.table, "app.\"Order Lines\"");
        assert!(idx.concurrently);
        let idx = created_index("create index \"A\"\"b\" on t(x)").unwrap();
        assert_eq!(idx.name.as_deref(), Some("A\"b"));
        assert_eq!(idx.table, "t");
        assert!(!idx.concurrently);
        let unnamed = created_index("CREATE INDEX CONCURRENTLY ON t (x)").unwrap();
        assert_eq!(unnamed.name, None);
        assert_eq!(created_index("CREATE TABLE t (x int)"), None);
        assert_eq!(created_index("CREATE INDEX"), None);
    }

    #[test]
    fn a_statement_knows_whether_it_has_its_semicolon() {
        let statements = split("SELECT 1;\nSELECT 'a;b';\nCREATE TABLE t (id int)", 1);
        let terminated: Vec<bool> = statements.iter().map(|s| s.terminated).collect();
        assert_eq!(terminated, [true, true, false]);
        // An unterminated string runs to the end, even past a `;` inside it.
        let open = split("SELECT 'abc;", 1);
        assert_eq!(open.len(), 1);
        assert!(!open[0].terminated);
    }

    #[test]
    fn splits_at_top_level_semicolons() {
        assert_eq!(
            sqls("SELECT 1; SELECT 2;\nSELECT 3"),
            ["SELECT 1;", "SELECT 2;", "SELECT 3"]
        );
    }

    #[test]
    fn empty_and_comment_only_texts_have_no_statements() {
        assert!(split("", 1).is_empty());
        assert!(split("  \n\t\r\n", 1).is_empty());
        assert!(split("-- only a comment\n/* and a block */\n", 1).is_empty());
        assert!(split(";;\n ; -- x\n;", 1).is_empty());
    }

    #[test]
    fn comments_between_statements_are_dropped_and_inside_kept() {
        let text = "-- lead\nSELECT 1 /* inner; */ + 2; -- trailing; comment\n/* between */ SELECT 3 -- tail\n";
        assert_eq!(sqls(text), ["SELECT 1 /* inner; */ + 2;", "SELECT 3"]);
    }

    #[test]
    fn last_statement_ends_at_its_last_token() {
        assert_eq!(sqls("SELECT 1\n  -- done\n/* unterminated"), ["SELECT 1"]);
    }

    #[test]
    fn line_column_and_offset_are_exact() {
        let text = "\n  SELECT 1;  SELECT\n2;\n\n\t-- c\n   INSERT INTO t VALUES (1);";
        let s = split(text, 10);
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].line, s[0].column, s[0].offset), (11, 3, 3));
        assert_eq!((s[1].line, s[1].column, s[1].offset), (11, 14, 14));
        assert_eq!(s[1].sql, "SELECT\n2;");
        assert_eq!((s[2].line, s[2].column), (15, 4));
        assert_eq!(&text[s[2].offset..s[2].offset + 6], "INSERT");
    }

    #[test]
    fn columns_count_characters_and_offsets_count_bytes() {
        let text = "SELECT 'héllo'; SELECT '日本'; SELECT 1;\n";
        let s = split(text, 1);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].sql, "SELECT 'héllo';");
        assert_eq!((s[1].column, s[1].offset), (17, 17));
        assert_eq!((s[2].column, s[2].offset), (30, 34));
        assert_eq!(&text[s[2].offset..], "SELECT 1;\n");
    }

    #[test]
    fn crlf_line_endings() {
        let s = split("SELECT 1;\r\n\r\nSELECT 2;\r\n", 3);
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[1].line, s[1].column, s[1].sql.as_str()),
            (5, 1, "SELECT 2;")
        );
    }

    #[test]
    fn single_quoted_strings_with_doubled_quotes() {
        assert_eq!(
            sqls("SELECT 'a;''b;'; SELECT 2"),
            ["SELECT 'a;''b;';", "SELECT 2"]
        );
        // A backslash is an ordinary character in a standard string.
        assert_eq!(
            sqls(r"SELECT 'a\'; SELECT 2"),
            [r"SELECT 'a\';", "SELECT 2"]
        );
    }

    #[test]
    fn escape_strings_with_backslashes() {
        assert_eq!(
            sqls(r"SELECT E'a\';b'; SELECT 2"),
            [r"SELECT E'a\';b';", "SELECT 2"]
        );
        assert_eq!(
            sqls(r"SELECT e'\\'; SELECT 2"),
            [r"SELECT e'\\';", "SELECT 2"]
        );
        assert_eq!(
            sqls(r"SELECT E'it''s;'; SELECT 2"),
            [r"SELECT E'it''s;';", "SELECT 2"]
        );
        // `name'...'` is not an escape string, only a lone E is.
        assert_eq!(
            sqls(r"SELECT date'a\'; SELECT 2"),
            [r"SELECT date'a\';", "SELECT 2"]
        );
    }

    #[test]
    fn double_quoted_identifiers() {
        assert_eq!(
            sqls(r#"CREATE TABLE "a;""b" (x int); SELECT 2"#),
            [r#"CREATE TABLE "a;""b" (x int);"#, "SELECT 2"]
        );
        assert_eq!(
            sqls("SELECT `a;b` FROM t; SELECT 2"),
            ["SELECT `a;b` FROM t;", "SELECT 2"]
        );
    }

    #[test]
    fn dollar_quoted_strings() {
        let f = "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;";
        assert_eq!(sqls(&format!("{f}\nSELECT 2;")), [f, "SELECT 2;"]);
        let g = "CREATE FUNCTION g() RETURNS void AS $body$ BEGIN PERFORM 1; RETURN; END $body$ LANGUAGE plpgsql;";
        assert_eq!(sqls(&format!("{g} SELECT 2;")), [g, "SELECT 2;"]);
        // A different tag inside does not close it.
        let h = "SELECT $a$ $b$ ; $b$ ; $a$;";
        assert_eq!(sqls(&format!("{h} SELECT 2")), [h, "SELECT 2"]);
        let unicode = "SELECT $é$ ; $é$;";
        assert_eq!(sqls(&format!("{unicode} SELECT 2")), [unicode, "SELECT 2"]);
    }

    #[test]
    fn positional_parameters_are_not_dollar_quotes() {
        assert_eq!(
            sqls("PREPARE p AS SELECT $1; SELECT $2;"),
            ["PREPARE p AS SELECT $1;", "SELECT $2;"]
        );
        // `$` inside an identifier is part of it.
        assert_eq!(
            sqls("SELECT a$b$ FROM t; SELECT 2"),
            ["SELECT a$b$ FROM t;", "SELECT 2"]
        );
    }

    #[test]
    fn line_comments_hide_semicolons() {
        assert_eq!(
            sqls("SELECT 1 -- a; b\n + 1; SELECT 2"),
            ["SELECT 1 -- a; b\n + 1;", "SELECT 2"]
        );
    }

    #[test]
    fn block_comments_nest() {
        let text = "SELECT 1 /* a /* b; */ still; comment */; SELECT 2";
        assert_eq!(
            sqls(text),
            ["SELECT 1 /* a /* b; */ still; comment */;", "SELECT 2"]
        );
    }

    #[test]
    fn begin_atomic_bodies_are_one_statement() {
        let f = "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\n  SELECT a + 1;\nEND;";
        let s = split(&format!("{f}\nSELECT 2;"), 1);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].sql, f);
        assert_eq!((s[1].sql.as_str(), s[1].line), ("SELECT 2;", 6));
        let p = "create or replace procedure p() begin atomic insert into t values (1); end;";
        assert_eq!(sqls(&format!("{p} select 2;")), [p, "select 2;"]);
    }

    #[test]
    fn begin_in_a_function_without_atomic_is_not_a_body() {
        // A parameter named `begin` must not swallow the rest of the file.
        assert_eq!(
            sqls("CREATE FUNCTION f(begin int) RETURNS int AS 'SELECT 1' LANGUAGE sql; SELECT 2;"),
            [
                "CREATE FUNCTION f(begin int) RETURNS int AS 'SELECT 1' LANGUAGE sql;",
                "SELECT 2;"
            ]
        );
    }

    #[test]
    fn sqlite_trigger_bodies_are_one_statement() {
        let t = "CREATE TRIGGER trg AFTER INSERT ON t\nBEGIN\n  UPDATE u SET n = CASE WHEN n IS NULL THEN 1 ELSE n + 1 END;\n  INSERT INTO log VALUES ('end;');\nEND;";
        assert_eq!(
            sqls(&format!("{t}\nCREATE TABLE x (a);")),
            [t, "CREATE TABLE x (a);"]
        );
        let temp = "CREATE TEMP TRIGGER IF NOT EXISTS trg BEFORE DELETE ON t BEGIN SELECT RAISE(ABORT, 'no'); END;";
        assert_eq!(sqls(&format!("{temp} SELECT 1;")), [temp, "SELECT 1;"]);
    }

    #[test]
    fn keywords_in_strings_comments_identifiers_do_not_nest() {
        let t = "CREATE TRIGGER trg AFTER INSERT ON t BEGIN\n  SELECT 'case', \"begin\", t.begin, end_date /* case */ -- begin\n  FROM t;\nEND;";
        assert_eq!(sqls(&format!("{t} SELECT 2;")), [t, "SELECT 2;"]);
    }

    #[test]
    fn semicolons_inside_parentheses_do_not_split() {
        let rule = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));";
        assert_eq!(sqls(&format!("{rule}\nSELECT 2;")), [rule, "SELECT 2;"]);
        // A stray `)` does not disturb what follows.
        assert_eq!(sqls("SELECT 1); SELECT 2;"), ["SELECT 1);", "SELECT 2;"]);
    }

    #[test]
    fn case_end_outside_bodies_is_ordinary() {
        assert_eq!(
            sqls("SELECT CASE WHEN x THEN 1 END FROM t; SELECT 2;"),
            ["SELECT CASE WHEN x THEN 1 END FROM t;", "SELECT 2;"]
        );
    }

    #[test]
    fn unterminated_constructs_run_to_the_end() {
        assert_eq!(
            sqls("SELECT 1; SELECT 'abc; SELECT 2;"),
            ["SELECT 1;", "SELECT 'abc; SELECT 2;"]
        );
        assert_eq!(
            sqls("SELECT 1; SELECT \"abc; SELECT 2;"),
            ["SELECT 1;", "SELECT \"abc; SELECT 2;"]
        );
        assert_eq!(
            sqls("SELECT 1; SELECT $x$ abc; SELECT 2;"),
            ["SELECT 1;", "SELECT $x$ abc; SELECT 2;"]
        );
        assert_eq!(sqls("SELECT 1; SELECT E'\\"), ["SELECT 1;", "SELECT E'\\"]);
        assert_eq!(sqls("SELECT 1 /* a /* b */ ; SELECT 2;"), ["SELECT 1"]);
        assert_eq!(
            sqls("CREATE TRIGGER t BEGIN SELECT 1; SELECT 2;"),
            ["CREATE TRIGGER t BEGIN SELECT 1; SELECT 2;"]
        );
    }

    #[test]
    fn never_panics_on_odd_input() {
        let pieces = [
            "'",
            "\"",
            "`",
            "$",
            "$$",
            "$a",
            "$a$",
            "$1",
            "E'",
            "e",
            "\\",
            "--",
            "/*",
            "*/",
            "*",
            "/",
            "-",
            ";",
            "\n",
            "\r",
            " ",
            "é",
            "日本",
            "\u{feff}",
            "BEGIN",
            " ATOMIC ",
            "END",
            "CASE",
            "CREATE TRIGGER ",
            "CREATE FUNCTION ",
            "1e",
            "+",
            "0",
            ".",
            "(",
            ")",
            "\u{1F600}",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            let mut text = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 24) as usize;
            let mut s = seed;
            for _ in 0..len {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                text.push_str(pieces[(s >> 33) as usize % pieces.len()]);
            }
            for st in split(&text, 1) {
                assert!(text.is_char_boundary(st.offset));
                assert!(text[st.offset..].starts_with(&st.sql), "{text:?}");
                assert!(!st.sql.trim().is_empty());
            }
            let _ = no_transaction_reason(&text);
            let _ = is_transaction_control(&text);
        }
    }

    #[test]
    fn every_statement_is_a_slice_of_the_input() {
        let text = "/*x*/ SELECT 'a' ; -- y\n\n  SELECT $$;$$ ;SELECT 3";
        for s in split(text, 7) {
            assert_eq!(&text[s.offset..s.offset + s.sql.len()], s.sql);
        }
    }

    #[test]
    fn no_transaction_statements() {
        let cases = [
            (
                "CREATE INDEX CONCURRENTLY i ON t (a)",
                "CREATE INDEX CONCURRENTLY",
            ),
            (
                "create unique index concurrently if not exists i on t (a)",
                "CREATE INDEX CONCURRENTLY",
            ),
            (
                "CREATE /* c */ INDEX\n-- x\n  CONCURRENTLY i ON t (a)",
                "CREATE INDEX CONCURRENTLY",
            ),
            ("DROP INDEX CONCURRENTLY i", "DROP INDEX CONCURRENTLY"),
            ("REINDEX INDEX CONCURRENTLY x", "REINDEX CONCURRENTLY"),
            (
                "REINDEX (VERBOSE) TABLE CONCURRENTLY t",
                "REINDEX CONCURRENTLY",
            ),
            (
                "REINDEX (VERBOSE, TABLESPACE ts) INDEX CONCURRENTLY t",
                "REINDEX CONCURRENTLY",
            ),
            ("REINDEX DATABASE app", "REINDEX DATABASE"),
            ("REINDEX SCHEMA app", "REINDEX SCHEMA"),
            ("VACUUM", "VACUUM"),
            ("vacuum (analyze) t", "VACUUM"),
            ("CREATE DATABASE app", "CREATE DATABASE"),
            ("DROP DATABASE IF EXISTS app", "DROP DATABASE"),
            ("ALTER SYSTEM SET work_mem = '64MB'", "ALTER SYSTEM"),
            ("CREATE TABLESPACE ts LOCATION '/x'", "CREATE TABLESPACE"),
            ("DROP TABLESPACE ts", "DROP TABLESPACE"),
            (
                "ALTER DATABASE app SET TABLESPACE ts",
                "ALTER DATABASE SET TABLESPACE",
            ),
            (
                "ALTER DATABASE \"my app\" SET TABLESPACE ts",
                "ALTER DATABASE SET TABLESPACE",
            ),
            (
                "CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p",
                "CREATE SUBSCRIPTION",
            ),
            ("DROP SUBSCRIPTION s", "DROP SUBSCRIPTION"),
            (
                "ALTER TABLE m DETACH PARTITION m_2020 CONCURRENTLY",
                "DETACH PARTITION CONCURRENTLY",
            ),
            (
                "alter table only public.m detach partition public.m_2020 concurrently;",
                "DETACH PARTITION CONCURRENTLY",
            ),
            (
                "-- leading comment\n  DROP INDEX CONCURRENTLY i;",
                "DROP INDEX CONCURRENTLY",
            ),
        ];
        for (sql, reason) in cases {
            assert_eq!(no_transaction_reason(sql), Some(reason), "{sql}");
        }
    }

    #[test]
    fn transactional_statements() {
        let cases = [
            "CREATE INDEX i ON t (a)",
            "CREATE UNIQUE INDEX i ON t (a)",
            "DROP INDEX i",
            "REINDEX INDEX i",
            "REINDEX TABLE t",
            "SELECT 'VACUUM'",
            "SELECT 'CREATE INDEX CONCURRENTLY i ON t (a)'",
            "-- VACUUM\nSELECT 1",
            "/* DROP DATABASE x */ SELECT 1",
            "CREATE TABLE vacuum (a int)",
            "ALTER DATABASE app SET work_mem = '1MB'",
            "ALTER TABLE m DETACH PARTITION m_2020",
            "ALTER TABLE t ADD COLUMN concurrently int",
            "CREATE INDEX \"CONCURRENTLY\" ON t (a)",
            "",
        ];
        for sql in cases {
            assert_eq!(no_transaction_reason(sql), None, "{sql}");
        }
    }

    #[test]
    fn transaction_control() {
        for sql in [
            "BEGIN",
            "begin;",
            "BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE",
            "BEGIN IMMEDIATE",
            "START TRANSACTION",
            "COMMIT",
            "commit work;",
            "COMMIT PREPARED 'x'",
            "END",
            "END TRANSACTION",
            "ROLLBACK",
            "ROLLBACK PREPARED 'x'",
            "ABORT",
            "PREPARE TRANSACTION 'x'",
            "/* c */ -- d\n COMMIT",
        ] {
            assert!(is_transaction_control(sql), "{sql}");
        }
        for sql in [
            "BEGIN ATOMIC SELECT 1; END",
            "ROLLBACK TO SAVEPOINT s",
            "ROLLBACK TO s",
            "ROLLBACK WORK TO SAVEPOINT s",
            "SAVEPOINT s",
            "RELEASE SAVEPOINT s",
            "PREPARE p AS SELECT 1",
            "START",
            "SELECT 'BEGIN'",
            "CREATE TABLE begin (a int)",
            "",
        ] {
            assert!(!is_transaction_control(sql), "{sql}");
        }
    }
}
