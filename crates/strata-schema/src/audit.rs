//! Audit trails for application tables (`strata audit add`): the SQL of the three patterns, as
//! the up and down of a migration, and the queries `strata audit verify` runs. No I/O.
//!
//! - `cdc`: one append-only change log filled by an AFTER trigger on each audited table;
//!   UPDATE/DELETE/TRUNCATE on the log are revoked from the application roles and rejected by a
//!   trigger; optionally a hash chain over the log (tamper-evident).
//! - `versioned`: `version, valid_from, valid_to, is_current` on the table itself; an update or
//!   delete keeps the previous version as a non-current row.
//! - `temporal`: a history table with a `valid_period` (tstzrange) and `TABLE_as_of(ts)`.
//!
//! Every identifier goes through `quote_ident`, every value through `quote_literal`.
//! docs/audit.md.

use strata_core::{quote_ident, quote_literal};

/// The trigger every pattern puts on an audited table.
pub const TRIGGER_PREFIX: &str = "strata_audit_";
/// A line of the up section that declares what the migration audits; `verify` reads it back.
pub const MARKER: &str = "-- strata-audit ";
/// The first key of the advisory lock that serializes writes to a tamper-evident log.
pub const LOCK_KEY: i32 = 0x7374_7261;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pattern {
    Cdc,
    Versioned,
    Temporal,
}

impl Pattern {
    pub fn as_str(self) -> &'static str {
        match self {
            Pattern::Cdc => "cdc",
            Pattern::Versioned => "versioned",
            Pattern::Temporal => "temporal",
        }
    }
}

/// A table as the database has it: schema, name, primary key columns and constraint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditedTable {
    pub schema: String,
    pub name: String,
    pub key: Vec<String>,
    /// The primary key constraint's name (the versioned pattern widens it with `version`).
    pub key_constraint: String,
}

impl AuditedTable {
    fn q(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }
    fn sibling(&self, suffix: &str) -> String {
        format!(
            "{}.{}",
            quote_ident(&self.schema),
            quote_ident(&format!("{}{suffix}", self.name))
        )
    }
    fn trigger(&self, pattern: Pattern) -> String {
        quote_ident(&format!("{TRIGGER_PREFIX}{}", pattern.as_str()))
    }
    fn key_list(&self) -> String {
        self.key
            .iter()
            .map(|c| quote_ident(c))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What `audit add` asked for.
#[derive(Clone, Debug)]
pub struct Request {
    pub pattern: Pattern,
    pub tables: Vec<AuditedTable>,
    /// cdc: the change log (schema, name).
    pub log: (String, String),
    pub tamper_evident: bool,
    pub app_roles: Vec<String>,
    /// cdc: the log exists already (an earlier `audit add`): only the tables' triggers are added.
    pub log_exists: bool,
}

/// One declaration in a migration's up (the [`MARKER`] line), read back by `verify`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Declared {
    pub pattern: Pattern,
    pub schema: String,
    pub table: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<(String, String)>,
    #[serde(default)]
    pub tamper_evident: bool,
}

/// Reads the [`MARKER`] lines of a migration's up section.
pub fn declared(up: &str) -> Vec<Declared> {
    up.lines()
        .filter_map(|l| l.trim_start().strip_prefix(MARKER))
        .filter_map(|json| serde_json::from_str(json.trim()).ok())
        .collect()
}

/// The up and down of the migration.
#[derive(Clone, Debug)]
pub struct Generated {
    pub up: String,
    pub down: String,
    /// What the down loses (the audit data), for `-- strata:destructive-downgrade`.
    pub destructive: String,
}

/// Locks on the audited tables wait at most this long, so a busy table makes the migration fail
/// (and be retried) rather than stall the traffic queued behind it.
const LOCK_TIMEOUT: &str = "SET LOCAL lock_timeout = '5s';\n";

pub fn generate(r: &Request) -> Generated {
    let mut g = match r.pattern {
        Pattern::Cdc => cdc(r),
        Pattern::Versioned => versioned(r),
        Pattern::Temporal => temporal(r),
    };
    g.up = format!("{LOCK_TIMEOUT}{}", g.up);
    g.down = format!("{LOCK_TIMEOUT}{}", g.down);
    g
}

fn markers(r: &Request) -> String {
    let mut out = String::new();
    for t in &r.tables {
        let d = Declared {
            pattern: r.pattern,
            schema: t.schema.clone(),
            table: t.name.clone(),
            log: (r.pattern == Pattern::Cdc).then(|| r.log.clone()),
            tamper_evident: r.tamper_evident && r.pattern == Pattern::Cdc,
        };
        out.push_str(MARKER);
        out.push_str(&serde_json::to_string(&d).expect("serializable"));
        out.push('\n');
    }
    out
}

fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

fn log_fn(r: &Request, suffix: &str) -> String {
    qualified(&r.log.0, &format!("{}_{suffix}", r.log.1))
}

/// The text a log row's hash is computed over, for the row `r` (`NEW` in the trigger, a table
/// alias in `verify`): every column, NULLs as empty, timestamps in UTC with microseconds.
pub fn hash_expr(r: &str) -> String {
    format!(
        "sha256(convert_to(concat_ws('|', {r}.id::text, {r}.table_name, {r}.operation, {r}.pk::text, \
coalesce({r}.old_data::text, ''), coalesce({r}.new_data::text, ''), \
to_char({r}.changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), {r}.changed_by, \
{r}.txid::text, coalesce(encode({r}.prev_hash, 'hex'), '')), 'UTF8'))"
    )
}

fn cdc(r: &Request) -> Generated {
    let log = qualified(&r.log.0, &r.log.1);
    let log_lit = quote_literal(&format!("{}.{}", r.log.0, r.log.1));
    let capture = log_fn(r, "capture");
    let guard = log_fn(r, "guard");
    let chain = log_fn(r, "chain");
    let mut up = markers(r);
    if r.log_exists {
        let mut down = String::new();
        for t in &r.tables {
            up.push_str(&capture_trigger(t, &capture));
            down.push_str(&format!(
                "DROP TRIGGER {} ON {};\n",
                t.trigger(Pattern::Cdc),
                t.q()
            ));
        }
        return Generated {
            up,
            down,
            destructive: String::new(),
        };
    }
    let hash_cols = if r.tamper_evident {
        ",\n    prev_hash bytea,\n    row_hash bytea"
    } else {
        ""
    };
    up.push_str(&format!(
        "CREATE TABLE {log} (\n    \
id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n    \
table_name text NOT NULL,\n    \
operation text NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),\n    \
pk jsonb NOT NULL,\n    \
old_data jsonb,\n    \
new_data jsonb,\n    \
changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),\n    \
changed_by text NOT NULL DEFAULT session_user,\n    \
txid bigint NOT NULL DEFAULT txid_current(){hash_cols}\n);\n"
    ));
    up.push_str(&format!(
        "COMMENT ON TABLE {log} IS {};\n",
        quote_literal(if r.tamper_evident {
            "strata audit log (cdc, tamper-evident): append-only"
        } else {
            "strata audit log (cdc): append-only"
        })
    ));
    up.push_str(&format!(
        "\nCREATE FUNCTION {capture}() RETURNS trigger\n\
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $strata$\n\
DECLARE\n    o jsonb;\n    n jsonb;\n    k jsonb;\n\
BEGIN\n    \
IF TG_OP <> 'INSERT' THEN o := to_jsonb(OLD); END IF;\n    \
IF TG_OP <> 'DELETE' THEN n := to_jsonb(NEW); END IF;\n    \
SELECT jsonb_object_agg(c, coalesce(n, o) -> c) INTO k FROM unnest(TG_ARGV) AS c;\n    \
INSERT INTO {log} (table_name, operation, pk, old_data, new_data)\n    \
VALUES (TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, TG_OP, coalesce(k, '{{}}'), o, n);\n    \
RETURN NULL;\n\
END\n$strata$;\n"
    ));
    up.push_str(&format!(
        "\nCREATE FUNCTION {guard}() RETURNS trigger\n\
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $strata$\n\
BEGIN\n    \
RAISE EXCEPTION 'the audit log % is append-only: % is not allowed', {log_lit}, TG_OP\n        \
USING ERRCODE = 'insufficient_privilege', HINT = 'audit rows are never changed or removed';\n\
END\n$strata$;\n\
CREATE TRIGGER \"strata_audit_append_only\" BEFORE UPDATE OR DELETE ON {log}\n    \
FOR EACH ROW EXECUTE FUNCTION {guard}();\n\
CREATE TRIGGER \"strata_audit_no_truncate\" BEFORE TRUNCATE ON {log}\n    \
FOR EACH STATEMENT EXECUTE FUNCTION {guard}();\n"
    ));
    if r.tamper_evident {
        up.push_str(&format!(
            "\nCREATE FUNCTION {chain}() RETURNS trigger\n\
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $strata$\n\
BEGIN\n    \
IF current_setting('transaction_isolation') <> 'read committed' THEN\n        \
RAISE EXCEPTION 'writes audited in the tamper-evident log % need READ COMMITTED', {log_lit}\n            \
USING HINT = 'the hash chain links each row to the last committed one';\n    \
END IF;\n    \
PERFORM pg_advisory_xact_lock({LOCK_KEY}, hashtext({log_lit}));\n    \
NEW.id := nextval(pg_get_serial_sequence({log_regclass}, 'id'));\n    \
SELECT l.row_hash INTO NEW.prev_hash FROM {log} AS l ORDER BY l.id DESC LIMIT 1;\n    \
NEW.row_hash := {};\n    \
RETURN NEW;\n\
END\n$strata$;\n\
CREATE TRIGGER \"strata_audit_chain\" BEFORE INSERT ON {log}\n    \
FOR EACH ROW EXECUTE FUNCTION {chain}();\n",
            hash_expr("NEW"),
            log_regclass = quote_literal(&log)
        ));
    }
    for role in &r.app_roles {
        up.push_str(&format!(
            "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {log} FROM {};\n",
            quote_ident(role)
        ));
    }
    up.push('\n');
    let mut down = String::new();
    for t in &r.tables {
        up.push_str(&capture_trigger(t, &capture));
        down.push_str(&format!(
            "DROP TRIGGER {} ON {};\n",
            t.trigger(Pattern::Cdc),
            t.q()
        ));
    }
    down.push_str(&format!("DROP TABLE {log};\n"));
    down.push_str(&format!("DROP FUNCTION {capture}();\n"));
    down.push_str(&format!("DROP FUNCTION {guard}();\n"));
    if r.tamper_evident {
        down.push_str(&format!("DROP FUNCTION {chain}();\n"));
    }
    Generated {
        up,
        down,
        destructive: format!(
            "drops the audit log {}.{} and every row it holds",
            r.log.0, r.log.1
        ),
    }
}

/// The trigger that writes a table's changes to the log; its arguments are the key columns.
fn capture_trigger(t: &AuditedTable, capture: &str) -> String {
    let args = t
        .key
        .iter()
        .map(|c| quote_literal(c))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "CREATE TRIGGER {} AFTER INSERT OR UPDATE OR DELETE ON {}\n    \
FOR EACH ROW EXECUTE FUNCTION {capture}({args});\n",
        t.trigger(Pattern::Cdc),
        t.q()
    )
}

fn versioned(r: &Request) -> Generated {
    let mut up = markers(r);
    let mut down = String::new();
    for t in &r.tables {
        let q = t.q();
        let f = t.sibling("_audit_versioned");
        let pk = quote_ident(&t.key_constraint);
        let keys = t.key_list();
        let current = quote_ident(&format!("{}_current_key", t.name));
        let same_key = t
            .key
            .iter()
            .map(|c| format!("v.{0} = NEW.{0}", quote_ident(c)))
            .collect::<Vec<_>>()
            .join(" AND ");
        up.push_str(&format!(
            "\nALTER TABLE {q}\n    \
ADD COLUMN \"version\" integer NOT NULL DEFAULT 1,\n    \
ADD COLUMN \"valid_from\" timestamptz NOT NULL DEFAULT now(),\n    \
ADD COLUMN \"valid_to\" timestamptz,\n    \
ADD COLUMN \"is_current\" boolean NOT NULL DEFAULT true;\n\
-- strata:lint-ignore unique-constraint-directly the versions of a row share its key, so the key gains version (built under lock: see docs/audit.md)\n\
ALTER TABLE {q} DROP CONSTRAINT {pk}, ADD CONSTRAINT {pk} PRIMARY KEY ({keys}, \"version\");\n\
-- strata:lint-ignore non-concurrent-index built in the same transaction as the key above\n\
CREATE UNIQUE INDEX {current} ON {q} ({keys}) WHERE \"is_current\";\n\
CREATE FUNCTION {f}() RETURNS trigger\n\
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $strata$\n\
DECLARE\n    h {q}%ROWTYPE;\n\
BEGIN\n    \
IF TG_WHEN = 'BEFORE' THEN\n        \
IF TG_OP = 'INSERT' THEN\n            \
IF NEW.\"is_current\" THEN\n                \
SELECT coalesce(max(v.\"version\"), 0) + 1 INTO NEW.\"version\" FROM {q} AS v WHERE {same_key};\n                \
NEW.\"valid_from\" := now();\n                \
NEW.\"valid_to\" := NULL;\n            \
END IF;\n            \
RETURN NEW;\n        \
END IF;\n        \
-- earlier versions are history: updates and deletes leave them alone\n        \
IF NOT OLD.\"is_current\" THEN RETURN NULL; END IF;\n        \
IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\n        \
NEW.\"version\" := OLD.\"version\" + 1;\n        \
NEW.\"valid_from\" := now();\n        \
NEW.\"valid_to\" := NULL;\n        \
NEW.\"is_current\" := true;\n        \
RETURN NEW;\n    \
END IF;\n    \
h := OLD;\n    \
h.\"is_current\" := false;\n    \
h.\"valid_to\" := now();\n    \
INSERT INTO {q} OVERRIDING SYSTEM VALUE SELECT (h).*;\n    \
RETURN NULL;\n\
END\n$strata$;\n\
CREATE TRIGGER \"strata_audit_versioned\" BEFORE INSERT OR UPDATE OR DELETE ON {q}\n    \
FOR EACH ROW EXECUTE FUNCTION {f}();\n\
CREATE TRIGGER \"strata_audit_versioned_keep\" AFTER UPDATE OR DELETE ON {q}\n    \
FOR EACH ROW WHEN (OLD.\"is_current\") EXECUTE FUNCTION {f}();\n"
        ));
        down.push_str(&format!(
            "DROP TRIGGER \"strata_audit_versioned_keep\" ON {q};\n\
DROP TRIGGER \"strata_audit_versioned\" ON {q};\n\
DROP FUNCTION {f}();\n\
DELETE FROM {q} WHERE NOT \"is_current\";\n\
DROP INDEX {}.{current};\n\
-- strata:lint-ignore unique-constraint-directly the key goes back to what it was before the audit\n\
ALTER TABLE {q} DROP CONSTRAINT {pk}, ADD CONSTRAINT {pk} PRIMARY KEY ({keys});\n\
ALTER TABLE {q} DROP COLUMN \"version\", DROP COLUMN \"valid_from\", DROP COLUMN \"valid_to\", DROP COLUMN \"is_current\";\n",
            quote_ident(&t.schema)
        ));
    }
    Generated {
        up,
        down,
        destructive: "deletes the earlier versions of every row (the rows with is_current false)"
            .into(),
    }
}

fn temporal(r: &Request) -> Generated {
    let mut up = markers(r);
    let mut down = String::new();
    for t in &r.tables {
        let q = t.q();
        let hist = t.sibling("_history");
        let f = t.sibling("_audit_temporal");
        let as_of = t.sibling("_as_of");
        let hist_idx = quote_ident(&format!("{}_history_key", t.name));
        up.push_str(&format!(
            "\nALTER TABLE {q} ADD COLUMN \"valid_period\" tstzrange NOT NULL DEFAULT tstzrange(now(), NULL);\n\
CREATE TABLE {hist} (LIKE {q});\n\
CREATE INDEX {hist_idx} ON {hist} ({}\"valid_period\");\n\
COMMENT ON TABLE {hist} IS {};\n\
CREATE FUNCTION {f}() RETURNS trigger\n\
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $strata$\n\
DECLARE\n    h {q}%ROWTYPE;\n\
BEGIN\n    \
IF TG_WHEN = 'BEFORE' THEN\n        \
NEW.\"valid_period\" := tstzrange(now(), NULL);\n        \
RETURN NEW;\n    \
END IF;\n    \
h := OLD;\n    \
h.\"valid_period\" := tstzrange(lower(OLD.\"valid_period\"), now());\n    \
INSERT INTO {hist} SELECT (h).*;\n    \
RETURN NULL;\n\
END\n$strata$;\n\
CREATE TRIGGER \"strata_audit_temporal\" BEFORE INSERT OR UPDATE ON {q}\n    \
FOR EACH ROW EXECUTE FUNCTION {f}();\n\
CREATE TRIGGER \"strata_audit_temporal_keep\" AFTER UPDATE OR DELETE ON {q}\n    \
FOR EACH ROW EXECUTE FUNCTION {f}();\n\
CREATE FUNCTION {as_of}(ts timestamptz) RETURNS SETOF {q}\n\
LANGUAGE sql STABLE AS $strata$\n    \
SELECT * FROM {q} WHERE \"valid_period\" @> ts\n    \
UNION ALL\n    \
SELECT * FROM {hist} WHERE \"valid_period\" @> ts\n\
$strata$;\n",
            t.key.iter().map(|c| format!("{}, ", quote_ident(c))).collect::<String>(),
            quote_literal(&format!(
                "strata audit history of {}.{} (temporal)",
                t.schema, t.name
            )),
        ));
        down.push_str(&format!(
            "DROP FUNCTION {as_of}(timestamptz);\n\
DROP TRIGGER \"strata_audit_temporal_keep\" ON {q};\n\
DROP TRIGGER \"strata_audit_temporal\" ON {q};\n\
DROP FUNCTION {f}();\n\
DROP TABLE {hist};\n\
ALTER TABLE {q} DROP COLUMN \"valid_period\";\n"
        ));
    }
    Generated {
        up,
        down,
        destructive: "drops the history tables and every earlier version they hold".into(),
    }
}

/// `verify`: the first row of a tamper-evident log whose hash does not match its content or whose
/// `prev_hash` is not the hash of the row before it. Columns: id, what is wrong.
pub fn first_broken_row_sql(schema: &str, name: &str) -> String {
    format!(
        "SELECT c.id::text, CASE WHEN row_hash IS DISTINCT FROM computed THEN 'its content does not match its hash' \
ELSE 'its prev_hash is not the hash of the row before it (a row was deleted or changed)' END \
FROM (SELECT l.id, l.row_hash, l.prev_hash, {} AS computed, lag(l.row_hash) OVER (ORDER BY l.id) AS before \
FROM {} AS l) AS c \
WHERE row_hash IS DISTINCT FROM computed OR prev_hash IS DISTINCT FROM before \
ORDER BY c.id LIMIT 1",
        hash_expr("l"),
        qualified(schema, name)
    )
}

/// `anchor`/`verify`: the head of a log: its last row's id and hash (hex).
pub fn head_sql(schema: &str, name: &str) -> String {
    format!(
        "SELECT l.id::text, encode(l.row_hash, 'hex') FROM {} AS l ORDER BY l.id DESC LIMIT 1",
        qualified(schema, name)
    )
}

/// `verify`: the hash (hex) of the row `id`, if it is there.
pub fn row_hash_sql(schema: &str, name: &str, id: i64) -> String {
    format!(
        "SELECT encode(row_hash, 'hex') FROM {} WHERE id = {id}",
        qualified(schema, name)
    )
}

/// `verify`: the triggers of a table named `strata_audit_*`, with `tgenabled`.
pub fn triggers_sql(schema: &str, table: &str) -> String {
    format!(
        "SELECT t.tgname::text, t.tgenabled::text FROM pg_catalog.pg_trigger AS t \
JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid \
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace \
WHERE n.nspname = {} AND c.relname = {} AND NOT t.tgisinternal",
        quote_literal(schema),
        quote_literal(table)
    )
}

/// The triggers a pattern puts on an audited table, and those on a cdc log.
pub fn expected_triggers(
    pattern: Pattern,
    tamper_evident: bool,
) -> (Vec<&'static str>, Vec<&'static str>) {
    match pattern {
        Pattern::Cdc => {
            let mut log = vec!["strata_audit_append_only", "strata_audit_no_truncate"];
            if tamper_evident {
                log.push("strata_audit_chain");
            }
            (vec!["strata_audit_cdc"], log)
        }
        Pattern::Versioned => (
            vec!["strata_audit_versioned", "strata_audit_versioned_keep"],
            Vec::new(),
        ),
        Pattern::Temporal => (
            vec!["strata_audit_temporal", "strata_audit_temporal_keep"],
            Vec::new(),
        ),
    }
}

/// The revision column of an anchor row in the history (not a revision id: those are letters
/// and digits).
pub const ANCHOR_REVISION: &str = "audit-anchor";

/// The message of an anchor row in the history: `audit anchor: SCHEMA.LOG ID HASH`.
pub const ANCHOR_PREFIX: &str = "audit anchor: ";

pub fn anchor_message(schema: &str, name: &str, id: &str, hash: &str) -> String {
    format!("{ANCHOR_PREFIX}{schema}.{name} {id} {hash}")
}

/// Reads an anchor message back: (log as `schema.name`, id, hash).
pub fn parse_anchor(message: &str) -> Option<(String, i64, String)> {
    let rest = message.strip_prefix(ANCHOR_PREFIX)?;
    let mut parts = rest.rsplitn(3, ' ');
    let hash = parts.next()?.to_owned();
    let id = parts.next()?.parse().ok()?;
    let log = parts.next()?.to_owned();
    Some((log, id, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str) -> AuditedTable {
        AuditedTable {
            schema: "public".into(),
            name: name.into(),
            key: vec!["id".into()],
            key_constraint: format!("{name}_pkey"),
        }
    }

    #[test]
    fn quotes_names_and_declares_what_it_audits() {
        let r = Request {
            pattern: Pattern::Cdc,
            tables: vec![table("Order's")],
            log: ("public".into(), "audit_log".into()),
            tamper_evident: true,
            app_roles: vec!["app".into()],
            log_exists: false,
        };
        let g = generate(&r);
        assert!(g.up.contains("ON \"public\".\"Order's\""), "{}", g.up);
        assert!(g.up.contains("FROM \"app\";"), "{}", g.up);
        assert!(g.up.contains("pg_advisory_xact_lock"), "{}", g.up);
        let d = declared(&g.up);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].table, "Order's");
        assert!(d[0].tamper_evident);
        assert!(g.down.contains("DROP TABLE \"public\".\"audit_log\""));
        // Into an existing log: the triggers only.
        let g = generate(&Request {
            log_exists: true,
            ..r
        });
        assert!(!g.up.contains("CREATE TABLE"), "{}", g.up);
        assert!(!g.down.contains("DROP TABLE"), "{}", g.down);
        assert!(
            g.up.contains("\"public\".\"audit_log_capture\"('id')"),
            "{}",
            g.up
        );
    }

    #[test]
    fn anchors_read_back() {
        let m = anchor_message("public", "audit log", "42", "ab12");
        assert_eq!(
            parse_anchor(&m),
            Some(("public.audit log".into(), 42, "ab12".into()))
        );
        assert_eq!(parse_anchor("something else"), None);
    }
}
