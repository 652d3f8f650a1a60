//! Parsing a section with the PostgreSQL parser and mapping every statement and node back to
//! `file:line:column`.

use pg_query::protobuf::Node;
use pg_query::NodeEnum;

/// One parsed statement.
#[derive(Clone, Debug)]
pub struct Statement {
    /// The parse tree of the statement.
    pub node: NodeEnum,
    /// The statement's text, from its first token to its end (without the `;`).
    pub sql: String,
    /// Byte offset of the first token in the section's text. Node locations inside `node` are
    /// byte offsets into the section's text too.
    pub offset: usize,
    /// The comments and blank space before the statement (where waivers live).
    pub leading: String,
    /// File line of the first line of `leading`.
    pub leading_line: usize,
}

/// A section that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset in the section's text of the statement (or token) that failed.
    pub offset: usize,
    pub message: String,
}

/// Maps byte offsets of a section to file lines and columns.
#[derive(Clone, Debug)]
pub struct LineIndex {
    first_line: usize,
    /// Byte offset where each line starts.
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str, first_line: usize) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { first_line, starts }
    }

    /// (file line, 1-based column in characters) of a byte offset of `text`.
    pub fn position(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line];
        let column = text.get(start..offset).map_or(0, |s| s.chars().count()) + 1;
        (self.first_line + line, column)
    }
}

/// Parses a section into statements.
pub fn parse_section(sql: &str, first_line: usize) -> Result<Vec<Statement>, ParseError> {
    let parsed = match pg_query::parse(sql, pg_query::ParserOptions::DEFAULT) {
        Ok(parsed) => parsed,
        Err(error) => return Err(locate_error(sql, error)),
    };
    let index = LineIndex::new(sql, first_line);
    let mut out = Vec::new();
    // The gap between the previous statement and this one holds its comments (and waivers).
    let mut previous_end = 0;
    for raw in parsed.protobuf.stmts {
        let start = (raw.stmt_location.max(0) as usize).min(sql.len());
        let end = if raw.stmt_len > 0 {
            start + raw.stmt_len as usize
        } else {
            sql.len()
        };
        let end = end.min(sql.len());
        let chunk = sql.get(start..end).unwrap_or("");
        let skip = skip_trivia(chunk);
        let gap_start = previous_end.min(start);
        let gap = &sql[gap_start..start];
        let after_space = gap.len() - gap.trim_start().len();
        let gap_start = gap_start
            + if gap[after_space..].starts_with(';') {
                after_space + 1
            } else {
                0
            };
        previous_end = end;
        let Some(node) = raw.stmt.and_then(|n| n.node) else {
            continue;
        };
        out.push(Statement {
            node,
            sql: chunk[skip..].trim_end().to_owned(),
            offset: start + skip,
            leading: sql[gap_start..start + skip].to_owned(),
            leading_line: index.position(sql, gap_start).0,
        });
    }
    Ok(out)
}

/// The parser does not say where it failed; find the statement by parsing them one by one (split
/// by strata's own splitter), and the token it names within that statement.
fn locate_error(sql: &str, error: pg_query::Error) -> ParseError {
    let message = match error {
        pg_query::Error::Parse(m) => m,
        other => other.to_string(),
    };
    for statement in strata_core::sql::split(sql, 1) {
        if let Err(pg_query::Error::Parse(m)) =
            pg_query::parse(&statement.sql, pg_query::ParserOptions::DEFAULT)
        {
            let mut offset = statement.offset;
            // "syntax error at or near "foo"": point at the occurrence of the token that the
            // parser stopped at — the first one where the text cut just after it fails the same
            // way (cut before the culprit, the parser only complains about the end of input).
            if let Some(token) = m
                .split("at or near \"")
                .nth(1)
                .and_then(|t| t.strip_suffix('"'))
            {
                let sql = &statement.sql;
                let culprit = sql.match_indices(token).map(|(at, _)| at).find(|&at| {
                    let cut = &sql[..at + token.len()];
                    matches!(pg_query::parse(cut, pg_query::ParserOptions::DEFAULT),
                        Err(pg_query::Error::Parse(e)) if e == m)
                });
                if let Some(at) = culprit.or_else(|| sql.find(token)) {
                    offset += at;
                }
            }
            return ParseError { offset, message: m };
        }
    }
    ParseError { offset: 0, message }
}

pub use strata_core::sql::skip_trivia;

/// The node inside an optional protobuf box.
pub fn inner(node: &Option<Box<Node>>) -> Option<&NodeEnum> {
    node.as_deref().and_then(|n| n.node.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_map_to_their_lines() {
        let sql = "-- first\nCREATE TABLE a (id int);\n\n  /* c */ ALTER TABLE a\n    ADD COLUMN b int;\nSELECT $$;$$;";
        let stmts = parse_section(sql, 10).unwrap();
        assert_eq!(stmts.len(), 3);
        let index = LineIndex::new(sql, 10);
        assert_eq!(index.position(sql, stmts[0].offset), (11, 1));
        assert_eq!(index.position(sql, stmts[1].offset), (13, 11));
        assert_eq!(stmts[1].sql, "ALTER TABLE a\n    ADD COLUMN b int");
        assert!(stmts[1].leading.contains("/* c */"));
        assert_eq!(stmts[2].sql, "SELECT $$;$$");
        assert!(matches!(stmts[0].node, NodeEnum::CreateStmt(_)));
    }

    #[test]
    fn a_missing_semicolon_points_at_the_next_line() {
        let sql = "ALTER TABLE t DROP CONSTRAINT t_pkey\nALTER TABLE t ALTER COLUMN d TYPE date;\n";
        let error = parse_section(sql, 1).unwrap_err();
        assert_eq!(
            LineIndex::new(sql, 1).position(sql, error.offset),
            (2, 1),
            "{error:?}"
        );
    }

    #[test]
    fn a_parse_error_points_at_its_statement() {
        let sql = "SELECT 1;\nCREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN;\n";
        let error = parse_section(sql, 1).unwrap_err();
        let index = LineIndex::new(sql, 1);
        assert_eq!(index.position(sql, error.offset).0, 3);
        assert!(error.message.contains("syntax error"), "{}", error.message);
    }
}
