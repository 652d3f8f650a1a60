//! `missing-lock-timeout`: a statement taking ACCESS EXCLUSIVE or SHARE ROW EXCLUSIVE (or
//! EXCLUSIVE) on an existing relation with no `lock_timeout` in effect.
//!
//! Even a catalog-only change needs ACCESS EXCLUSIVE, and it must wait for every query already
//! running on the table. While it waits, every new query on the table — reads included — queues
//! behind it: one slow report turns a millisecond change into an outage. `lock_timeout` bounds
//! the wait: the statement fails after, say, 5 s, traffic resumes, and the migration can be
//! retried. strata sets it for every migration when the environment configures `lock_timeout`
//! (`Options::lock_timeout_configured`); otherwise the migration must `SET lock_timeout` (or
//! `SET LOCAL`, inside a transaction) before the statement.
//!
//! Reported once per section, on the first such statement, with the count of the others. The
//! statements and their locks come from `locks::statement_lock`: ALTER TABLE of most kinds (and
//! the tables its foreign keys reference), ALTER VIEW / MATERIALIZED VIEW, CREATE TABLE …
//! REFERENCES, CREATE OR REPLACE VIEW, REFRESH MATERIALIZED VIEW, CREATE / ALTER / DROP of
//! triggers, rules and policies, RENAME, SET SCHEMA, DROP TABLE / VIEW / INDEX, TRUNCATE,
//! LOCK TABLE, VACUUM FULL, CLUSTER. `SET LOCAL lock_timeout` lasts until the transaction it is
//! in ends, followed statement by statement (`crate::tx`): the runner's, or a `BEGIN … COMMIT`
//! block.

use super::concurrently_in_transaction::runs_in_transaction;
use super::{Hit, Object, SectionCx};
use crate::locks::{self, LockLevel};
use crate::source::SectionKind;
use crate::walk;
use pg_query::protobuf::{a_const, Node, VariableSetKind};
use pg_query::NodeEnum;
use std::collections::BTreeSet;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    if cx.options.lock_timeout_configured {
        return Vec::new();
    }
    // What the file creates before each statement is new: nobody waits on it.
    // What this file creates; `cx.created_before_file` tells what earlier files created.
    let mut known: BTreeSet<Object> = BTreeSet::new();
    if cx.is_down() {
        for statement in cx.sibling(SectionKind::Up).unwrap_or(&[]) {
            known.extend(crate::driver::created_objects(statement));
        }
    }
    let states = crate::tx::states(runs_in_transaction(cx), cx.statements);
    let mut session = false;
    // The transaction a `SET LOCAL lock_timeout` is in: it lasts until that transaction ends.
    let mut local: Option<usize> = None;
    let mut first: Option<Hit> = None;
    let mut more = 0;
    for (i, statement) in cx.statements.iter().enumerate() {
        let transaction = states[i].transaction;
        match &statement.node {
            NodeEnum::VariableSetStmt(set) => {
                if set.kind == VariableSetKind::VarResetAll as i32 {
                    session = false;
                    local = None;
                } else if set.name.eq_ignore_ascii_case("lock_timeout") {
                    let on = set.kind == VariableSetKind::VarSetValue as i32
                        && set.args.first().is_some_and(nonzero);
                    if set.is_local {
                        local = transaction.filter(|_| on);
                    } else {
                        session = on;
                    }
                }
            }
            NodeEnum::SelectStmt(_) => {
                if let Some((on, is_local)) = set_config(&statement.node) {
                    if is_local {
                        local = transaction.filter(|_| on);
                    } else {
                        session = on;
                    }
                }
            }
            _ => {}
        }
        let local_on = local.is_some() && local == transaction;
        let hit = if session || local_on {
            None
        } else {
            blocking_hit(cx, i, &known)
        };
        known.extend(crate::driver::created_objects(statement));
        let Some(hit) = hit else {
            continue;
        };
        if first.is_none() {
            first = Some(hit);
        } else {
            more += 1;
        }
    }
    let Some(mut hit) = first else {
        return Vec::new();
    };
    if more > 0 {
        hit.message.push_str(&format!(
            " ({more} more statement{} below take{} it too)",
            if more == 1 { "" } else { "s" },
            if more == 1 { "s" } else { "" }
        ));
    }
    vec![hit]
}

/// The finding for statement `i` when it takes ACCESS EXCLUSIVE (or another lock that blocks
/// writes: SHARE ROW EXCLUSIVE, EXCLUSIVE) on a relation that is not new.
fn blocking_hit(cx: &SectionCx<'_>, i: usize, known: &BTreeSet<Object>) -> Option<Hit> {
    let lock = locks::statement_lock(&cx.statements[i].node)?;
    let known = |o: &Object| known.contains(o) || cx.created_before_file(o);
    let is_new_table = |t: &String| {
        known(&Object::Table(t.clone())) || known(&Object::Table(walk::bare_table(t).to_owned()))
    };
    let is_new_index = |name: &String| known(&Object::Index(name.clone()));
    let what = lock.what;
    let help = "SET lock_timeout = '5s';\n\
                (first in the migration: a statement that waits longer fails instead of stalling traffic, and the migration can be retried)\n\
                or lock_timeout = \"5s\" for the environment in strata.toml: strata then sets it for every migration";
    let blocked = |level: LockLevel, on: &str| {
        let queued = if level == LockLevel::AccessExclusive {
            format!("every new query on {on} waits behind it")
        } else {
            format!("every new write to {on} waits behind it")
        };
        format!(
            "{what} takes {} on {on} with no lock_timeout: while it waits behind running queries, {queued}",
            level.name()
        )
    };
    let waits = |level: LockLevel| {
        format!(
            "waiting without limit, and blocking {} while it waits",
            if level == LockLevel::AccessExclusive {
                "all reads and writes"
            } else {
                "writes"
            }
        )
    };
    let strong = lock.lock >= LockLevel::ShareRowExclusive;
    if strong && !lock.indexes.is_empty() {
        let index = lock.indexes.iter().find(|x| !is_new_index(x))?;
        let on = format!("the table of {index}");
        return Some(
            Hit::at(i, blocked(lock.lock, &on))
                .lock(format!(
                    "{} on {on}, {}",
                    lock.lock.name(),
                    waits(lock.lock)
                ))
                .help(help)
                .object(Object::Index(index.clone())),
        );
    }
    if strong && lock.tables.is_empty() && lock.referenced.is_empty() {
        let on = "every table it touches";
        return Some(
            Hit::at(i, blocked(lock.lock, on))
                .lock(format!(
                    "{} on {on}, {}",
                    lock.lock.name(),
                    waits(lock.lock)
                ))
                .help(help),
        );
    }
    let (level, table) = lock
        .tables
        .iter()
        .filter(|_| strong)
        .map(|t| (lock.lock, t))
        .chain(
            lock.referenced
                .iter()
                .map(|t| (LockLevel::ShareRowExclusive, t)),
        )
        .find(|(_, t)| !is_new_table(t))?;
    Some(
        Hit::at(i, blocked(level, table))
            .lock(format!("{} on {table}, {}", level.name(), waits(level)))
            .help(help)
            .table(table.clone()),
    )
}

/// Whether a `lock_timeout` value turns it on (`0` turns it off).
fn nonzero(value: &Node) -> bool {
    match value.node.as_ref() {
        Some(NodeEnum::AConst(c)) => match &c.val {
            Some(a_const::Val::Ival(i)) => i.ival != 0,
            Some(a_const::Val::Fval(f)) => f.fval.parse::<f64>() != Ok(0.0),
            Some(a_const::Val::Sval(s)) => {
                let digits: String = s
                    .sval
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.')
                    .collect();
                digits.parse::<f64>() != Ok(0.0)
            }
            _ => true,
        },
        _ => true,
    }
}

/// `SELECT set_config('lock_timeout', value, is_local)`: (turns it on, is local).
fn set_config(node: &NodeEnum) -> Option<(bool, bool)> {
    let NodeEnum::SelectStmt(select) = node else {
        return None;
    };
    select.target_list.iter().find_map(|target| {
        let Some(NodeEnum::ResTarget(target)) = target.node.as_ref() else {
            return None;
        };
        let Some(NodeEnum::FuncCall(call)) = crate::parse::inner(&target.val) else {
            return None;
        };
        let name = call.funcname.last().and_then(walk::string_value)?;
        if !name.eq_ignore_ascii_case("set_config") || call.args.len() != 3 {
            return None;
        }
        let setting = match call.args[0].node.as_ref()? {
            NodeEnum::AConst(c) => match &c.val {
                Some(a_const::Val::Sval(s)) => s.sval.clone(),
                _ => return None,
            },
            _ => return None,
        };
        if !setting.eq_ignore_ascii_case("lock_timeout") {
            return None;
        }
        let is_local = match call.args[2].node.as_ref() {
            Some(NodeEnum::AConst(c)) => match &c.val {
                Some(a_const::Val::Boolval(b)) => b.boolval,
                _ => true,
            },
            _ => true,
        };
        Some((nonzero(&call.args[1]), is_local))
    })
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};

    const RULE: &str = "missing-lock-timeout";

    fn count(sql: &str) -> usize {
        of(&lint_up(sql), RULE).len()
    }

    #[test]
    fn fires_once_per_section() {
        for sql in [
            "ALTER TABLE orders ADD COLUMN note text;",
            "ALTER TABLE orders ALTER COLUMN note SET DEFAULT 'x';",
            "DROP TABLE orders;",
            "TRUNCATE orders;",
            "ALTER TABLE orders RENAME TO purchases;",
            "ALTER TABLE orders SET SCHEMA archive;",
            "LOCK TABLE orders;",
            "VACUUM FULL orders;",
            "CLUSTER orders;",
            "DROP INDEX orders_user_idx;",
            "ALTER TABLE orders DROP CONSTRAINT orders_code_key;",
            // SHARE ROW EXCLUSIVE: writes wait behind it.
            "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users (id) NOT VALID;",
            "CREATE TRIGGER t BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION f();",
            "ALTER TABLE orders DISABLE TRIGGER ALL;",
            // Views, materialized views, triggers, rules, policies.
            "CREATE OR REPLACE VIEW active_orders AS SELECT * FROM orders;",
            "ALTER VIEW active_orders RENAME TO open_orders;",
            "ALTER VIEW active_orders ALTER COLUMN id SET DEFAULT 1;",
            "DROP VIEW active_orders;",
            "DROP MATERIALIZED VIEW totals;",
            "REFRESH MATERIALIZED VIEW totals;",
            "REFRESH MATERIALIZED VIEW CONCURRENTLY totals;",
            "DROP TRIGGER t ON orders;",
            "ALTER TRIGGER t ON orders RENAME TO u;",
            "CREATE RULE r AS ON INSERT TO orders DO INSTEAD NOTHING;",
            "DROP RULE r ON orders;",
            "CREATE POLICY p ON orders USING (true);",
            "ALTER POLICY p ON orders USING (false);",
            "DROP POLICY p ON orders;",
        ] {
            assert_eq!(count(sql), 1, "{sql}");
        }
        // The referenced table of a new table's foreign key.
        let found = lint_up(
            "CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id));",
        );
        let hits = of(&found, RULE);
        assert_eq!(hits.len(), 1);
        assert!(
            hits[0].message.contains("SHARE ROW EXCLUSIVE on orders"),
            "{}",
            hits[0].message
        );
        // ADD COLUMN … REFERENCES of a new table: the referenced one.
        let found = lint_up("CREATE TABLE items (id bigint PRIMARY KEY);\nALTER TABLE items ADD COLUMN order_id bigint REFERENCES orders (id);");
        assert_eq!(of(&found, RULE).len(), 1);
        let found = lint_up(
            "ALTER TABLE orders ADD COLUMN a text;\nALTER TABLE users ADD COLUMN b text;\nDROP TABLE legacy;",
        );
        let hits = of(&found, RULE);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].line, 1);
        assert!(
            hits[0]
                .message
                .ends_with("(2 more statements below take it too)"),
            "{}",
            hits[0].message
        );
    }

    #[test]
    fn does_not_fire_with_a_lock_timeout() {
        for sql in [
            "SET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN note text;",
            "SET LOCAL lock_timeout TO 5000;\nALTER TABLE orders ADD COLUMN note text;",
            "SET SESSION lock_timeout = '2min';\nDROP TABLE orders;",
            "SELECT set_config('lock_timeout', '5s', true);\nALTER TABLE orders ADD COLUMN note text;",
        ] {
            assert_eq!(count(sql), 0, "{sql}");
        }
        let configured = Options {
            lock_timeout_configured: true,
            ..Options::default()
        };
        let source = Source::plain("m.sql", "ALTER TABLE orders ADD COLUMN note text;");
        assert!(of(&lint_with(&[source], &configured), RULE).is_empty());
    }

    #[test]
    fn does_not_fire_on_weaker_locks_or_new_tables() {
        for sql in [
            "CREATE INDEX CONCURRENTLY i ON orders (a);",
            "CREATE INDEX i ON orders (a);",
            "ALTER TABLE orders VALIDATE CONSTRAINT c;",
            "ALTER TABLE orders ALTER COLUMN a SET STATISTICS 500;",
            "DROP INDEX CONCURRENTLY i;",
            "LOCK TABLE orders IN SHARE MODE;",
            "UPDATE orders SET a = 1 WHERE id = 1;",
            "CREATE TABLE orders (id bigint PRIMARY KEY);\nALTER TABLE orders ADD COLUMN note text;",
            "CREATE TABLE orders (id bigint);\nCREATE INDEX orders_id_idx ON orders (id);\nDROP INDEX orders_id_idx;",
        ] {
            assert_eq!(count(sql), 0, "{sql}");
        }
        // The first statement is on a new table, the second on an existing one: the second.
        let found = lint_up("CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN b int;\nALTER TABLE orders ADD COLUMN b int;");
        assert_eq!(of(&found, RULE)[0].line, 3);
        // A down dropping what its up created.
        let found = lint_up_down("CREATE TABLE a (id int);", "DROP TABLE a;");
        assert!(of(&found, RULE).is_empty());
    }

    #[test]
    fn a_timeout_that_is_off_or_comes_too_late_does_not_count() {
        for sql in [
            "SET lock_timeout = 0;\nALTER TABLE orders ADD COLUMN note text;",
            "SET lock_timeout = '0';\nALTER TABLE orders ADD COLUMN note text;",
            "SET lock_timeout = '5s';\nRESET lock_timeout;\nALTER TABLE orders ADD COLUMN note text;",
            "SET lock_timeout = '5s';\nSET lock_timeout TO DEFAULT;\nALTER TABLE orders ADD COLUMN note text;",
            "ALTER TABLE orders ADD COLUMN note text;\nSET lock_timeout = '5s';",
        ] {
            assert_eq!(count(sql), 1, "{sql}");
        }
        // SET LOCAL in a BEGIN … COMMIT block lasts until its COMMIT.
        let mut source = Source::plain(
            "m.sql",
            "BEGIN;\nSET LOCAL lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN a text;\nCOMMIT;\nALTER TABLE orders ADD COLUMN b text;",
        );
        source.sections[0].transactional = false;
        let found = lint_with(&[source], &Options::default());
        let hits = of(&found, RULE);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].line, 5);
        // SET LOCAL outside a transaction does nothing.
        let mut source = Source::plain(
            "m.sql",
            "SET LOCAL lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN note text;",
        );
        source.sections[0].transactional = false;
        assert_eq!(
            of(&lint_with(&[source], &Options::default()), RULE).len(),
            1
        );
    }

    #[test]
    fn human_output() {
        insta::assert_snapshot!(human(
            RULE,
            "ALTER TABLE orders ADD COLUMN note text;\nALTER TABLE orders DROP COLUMN legacy;\n"
        ));
    }
}
