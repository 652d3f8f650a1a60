//! The command line: parsed raw by clap here, validated into settings in `context`.

use crate::commands::inspect::InspectFormat;
use clap::{ArgAction, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Exit codes: 0 success; 1 problems found (lint errors, verify mismatches, ...); 2 bad input (usage, \
config, migration files, unresolvable target); 3 database or runtime failure.

Get started:
  strata init && strata revision -m \"create users\" && strata upgrade

Docs: docs/getting-started.md";

#[derive(Parser, Debug)]
#[command(
    name = "strata",
    version,
    about = "Versioned schema migrations over a revision graph, for PostgreSQL and SQLite",
    long_about = "strata runs versioned SQL migrations over a revision graph (branches, merges, labels), \
keeps an append-only audit log in the database, and verifies that applied files never change. \
It lints migrations for statements that lock or lose data, writes them from a desired schema \
(revision --autogenerate, check, drift, diff), and runs zero-downtime expand/contract changes \
on PostgreSQL (start, complete, rollback).",
    after_help = AFTER_HELP,
    propagate_version = true,
    max_term_width = 100,
    disable_help_flag = true,
    disable_version_flag = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// The help heading of the flags every command takes (a command's own are under "Options").
const GLOBAL: &str = "Global options";

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Path to strata.toml (default: ./strata.toml, searched upward)
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Environment from strata.toml [env.NAME] (default: default_env)
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "NAME", env = "STRATA_ENV")]
    pub env: Option<String>,
    /// Database URL; overrides the environment's url and DATABASE_URL
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "URL")]
    pub url: Option<String>,
    /// Machine-readable JSON on stdout
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub json: bool,
    /// Print only errors
    #[arg(short, long, global = true, help_heading = GLOBAL)]
    pub quiet: bool,
    /// Print more: notices from the database, the SQL being run
    #[arg(short, long, global = true, help_heading = GLOBAL)]
    pub verbose: bool,
    /// No colors (also: NO_COLOR=1)
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub no_color: bool,
    /// Print help (-h: a summary)
    #[arg(short, long, global = true, help_heading = GLOBAL, action = ArgAction::Help)]
    help: Option<bool>,
    /// Print the version
    #[arg(short = 'V', long, global = true, help_heading = GLOBAL, action = ArgAction::Version)]
    version: Option<bool>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create strata.toml, migrations/ and schema/
    #[command(after_help = "Example:\n  strata init myproject")]
    Init {
        /// Folder to initialise (created if missing)
        #[arg(default_value = ".")]
        dir: PathBuf,
    },

    /// Write a new migration file and print its path
    #[command(
        after_help = "Examples:\n  strata revision -m \"add users\"\n  strata revision -m \"billing tables\" --head base --branch-label billing\n  strata revision -m \"invoices\" --head billing@head\n  strata revision --autogenerate -m \"add nickname\"\n  strata revision --autogenerate -m \"rename\" --rename users.name=full_name\n\n\
--autogenerate replays the migrations up to the parent in a shadow database, applies the schema\n\
files to another, and writes the migration between them in its safe form (concurrent indexes in\n\
a file of their own, NOT VALID then VALIDATE). No change: nothing is written, exit 0. Changes\n\
that drop data are refused (exit 1) without --allow-destructive.\n\nDocs: docs/schema.md"
    )]
    Revision(RevisionArgs),

    /// Apply migrations up to a target (default: head)
    #[command(
        after_help = "Targets: head, heads, ID or unique prefix, LABEL@head, +N, ID+N, LABEL@+N.\n\nExamples:\n  strata upgrade\n  strata upgrade +1\n  strata upgrade heads\n  strata upgrade --dry-run\n  strata upgrade base:head --sql > review.sql"
    )]
    Upgrade(MigrateArgs),

    /// Revert migrations down to a target
    #[command(
        after_help = "Targets: base, ID or unique prefix, LABEL@base, -N, ID-N, LABEL@-N.\n\nExamples:\n  strata downgrade -1\n  strata downgrade base\n  strata downgrade 20261125143000\n  strata downgrade head:base --sql"
    )]
    Downgrade(DowngradeArgs),

    /// Show the current heads and what is pending
    #[command(after_help = "Example:\n  strata current --json")]
    Current,

    /// List revisions in graph order, marking applied and current ones
    #[command(
        after_help = "Examples:\n  strata history\n  strata history -r 20261120:head --json"
    )]
    History {
        /// Only revisions in FROM:TO (either side may be omitted)
        #[arg(short = 'r', long = "rev-range", value_name = "RANGE")]
        range: Option<String>,
    },

    /// Show the audit log kept in the history table, oldest first
    #[command(
        after_help = "Examples:\n  strata log\n  strata log --limit 20\n  strata log --json"
    )]
    Log {
        /// Only the newest N events
        #[arg(long, value_name = "N", value_parser = parse_limit)]
        limit: Option<usize>,
    },

    /// Show the head revisions of the graph (no database needed)
    #[command(after_help = "Example:\n  strata heads --json")]
    Heads,

    /// Show the branch points of the graph (no database needed)
    #[command(after_help = "Example:\n  strata branches")]
    Branches,

    /// Show one revision (no database needed)
    #[command(after_help = "Example:\n  strata show 2026112514")]
    Show {
        /// Revision id, unique prefix, head or LABEL@head
        rev: String,
    },

    /// Write a merge revision joining several heads
    #[command(
        after_help = "Examples:\n  strata merge heads -m \"merge billing\"\n  strata merge 20261125 20261126 -m \"merge\""
    )]
    Merge {
        /// Revisions to merge (or `heads`)
        #[arg(required = true)]
        revs: Vec<String>,
        /// Message of the merge revision
        #[arg(short, long, value_parser = parse_message)]
        message: String,
        /// Id of the new revision (default: UTC timestamp)
        #[arg(long)]
        rev_id: Option<String>,
    },

    /// Convert another tool's migrations to strata files, and adopt what a database applied
    #[command(after_help = IMPORT_HELP)]
    Import(ImportArgs),

    /// Set the version table to a target without running SQL (recorded as `stamp`)
    #[command(
        after_help = "Example:\n  strata stamp head --reason \"schema restored from a dump\""
    )]
    Stamp {
        /// Target revision (head, heads, base, ID, LABEL@head)
        target: String,
        /// Why; recorded in the history table
        #[arg(long, required = true)]
        reason: String,
    },

    /// Check that applied migration files are unchanged and none is missing
    #[command(
        after_help = "Exits 1 listing each mismatch. Line-ending changes (CRLF/LF) are not changes.\n\n\
--accept REV --reason TEXT accepts an applied file's edit (a comment fixed, say): its new checksum\n\
is recorded as a `stamp` row naming the old and new checksums and the reason; nothing runs and the\n\
heads do not move.\n\n\
Examples:\n  strata verify --json\n  strata verify --accept 20261125143000 --reason \"comment typo fixed, SQL unchanged\""
    )]
    Verify {
        /// Accept the edited file of this applied revision (records its new checksum)
        #[arg(long, value_name = "REV", requires = "reason")]
        accept: Option<String>,
        /// Why the edit is accepted (required with --accept; kept in the history)
        #[arg(long, value_name = "TEXT", requires = "accept")]
        reason: Option<String>,
    },

    /// Check migrations for statements that lock, rewrite or lose data
    #[command(
        after_help = "With no PATHS: the project's pending migrations (needs the database; --all: every migration).\n\
PATHS may be strata files, plain .sql files, diesel folders (up.sql/down.sql), N_name.up.sql/.down.sql\n\
pairs, or folders of any of these.\n\n\
Exit codes:\n  0  no finding of error severity (warnings may be listed)\n  1  error findings\n  2  bad input: a file does not parse or cannot be read, a bad flag or config\n  3  the database failed (when linting pending migrations)\n\n\
Examples:\n  strata lint\n  strata lint --all --format sarif > lint.sarif\n  strata lint migrations/20261125143000_add_index.sql\n  strata lint --format json path/to/diesel/migrations\n\n\
Docs: docs/lint.md"
    )]
    Lint(LintArgs),

    /// Print the revision graph as Mermaid, Graphviz dot, SVG or JSON
    #[command(
        after_help = "Examples:\n  strata graph --format svg > graph.svg\n  strata graph --format dot | dot -Tpng > graph.png\n  strata graph --json"
    )]
    Graph {
        /// Output format (--json: json)
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
    },

    /// Print the live schema as SQL that re-creates it, or as the JSON model
    #[command(
        after_help = "strata's own tables and extensions' objects are left out.\n\n\
Examples:\n  strata inspect > schema.sql\n  strata inspect --format json\n\n\
Docs: docs/schema.md"
    )]
    Inspect {
        /// Output format
        #[arg(long, value_enum, default_value_t = InspectFormat::Sql)]
        format: InspectFormat,
    },

    /// Print the migration from one schema to another
    #[command(
        after_help = "Each side is a database URL, SQL files or a folder of them (applied to a shadow\n\
database), or rev:TARGET (the migrations replayed up to TARGET in a shadow database).\n\
The shadow database is the environment's shadow_url, or a temporary strata_shadow_* database\n\
on the target server, dropped afterwards.\n\n\
The SQL is the complete migration, runnable by psql as it stands: hazardous statements carry a\n\
`-- hazard: <id>: ...` comment, destructive ones are commented out without --allow-destructive.\n\
Exit 0 whether or not there are differences; with --exit-code, 1 when there are.\n\n\
Examples:\n  strata diff rev:head schema/\n  strata diff postgres://localhost/prod rev:head --format json\n  strata diff old.sql new.sql --rename users.name=full_name\n\nDocs: docs/schema.md"
    )]
    Diff(DiffArgs),

    /// Exit 1 when the schema files differ from the migrations at head (a CI gate)
    #[command(
        after_help = "Replays the migrations up to head in a shadow database, applies the schema files to\n\
another, and compares them. Exit 0: they match; 1: they differ (each difference is listed).\n\n\
Example (CI):\n  strata check || { echo \"run: strata revision --autogenerate\"; exit 1; }\n\nDocs: docs/schema.md"
    )]
    Check,

    /// Exit 1 when the live database differs from what its migrations should have made it
    #[command(
        after_help = "Compares the live schema with the migrations replayed up to the database's recorded\n\
revision (in a shadow database) and runs `verify` (applied files unchanged). Exit 1 lists every\n\
object added, removed or changed outside migrations.\n\nExample:\n  strata --env production drift --json\n\nDocs: docs/schema.md"
    )]
    Drift,

    /// Test migrations in a scratch database: each down undoes its up (for CI)
    #[command(after_help = "Checks (all by default; --only picks some):\n\
  single-head  one head per branch label (else: which heads to merge)\n\
  stairway     each migration: up, down (the schema must be as before), up again (as after the first up)\n\
  data         rows in every table before each migration survive its up and down\n\
  model-match  at head, the database equals the schema files (as `check`)\n\
  checksums    applied files unchanged against --manifest (the JSON of `strata log --json`)\n\
  lint         the migrations pass lint in the environment's mode\n\
  online       each online (.toml) migration: start, writes of both versions, rollback, start, complete\n\n\
Runs in a scratch database, never the target: --url names an empty database to use (refused when\n\
it holds any table); without it, the environment's shadow_url or a temporary database on its\n\
server. A migration marked `-- strata:irreversible` stops the stair there; the migrations above\n\
are still tested. `-- strata:destructive-downgrade` allows its down to lose rows.\n\n\
Exit codes: 0 every check passed; 1 a check failed (a migration erroring while tested too);\n\
2 bad input; 3 the database failed.\n\n\
Examples:\n  strata test\n  strata test --url postgres://localhost/scratch --format junit > strata-test.xml\n  strata test --only stairway,single-head\n  strata test 20261120:head --data 50\n  strata test --only checksums --manifest deployed.json\n\nDocs: docs/testing.md")]
    Test(TestArgs),
    /// Print the database's schema version (MAJOR.MINOR.PATCH) from its applied history
    #[command(
        after_help = "Every revision has an impact on the schema's clients, in its header as\n\
`-- strata:impact major|minor|patch`: major breaks a client that runs today (a drop or rename, a\n\
narrowed type, NOT NULL without a default, a new constraint on existing rows), minor adds (a table,\n\
a nullable column, an index, a view), patch does neither (comments, index rebuilds, data).\n\
The version is `[versioning] start` (default 1.0.0) bumped by each applied revision's impact, in\n\
the order the database applied them; a revision may declare `-- strata:version X.Y.Z` (not less\n\
than its impact implies). The impact is read from the file whose checksum is the one applied.\n\n\
--compute replays every revision in a scratch database (shadow_url, or a temporary database on\n\
the environment's server; SQLite in memory), never in the target, and writes the missing\n\
`-- strata:impact` lines; a line that disagrees with the schema change is reported (exit 1).\n\
With --check nothing is written (for CI).\n\n\
Examples:\n  strata version\n  strata --env production version --json\n  strata version --compute\n  strata version --compute --check\n\nDocs: docs/versions.md"
    )]
    Version(VersionArgs),

    /// Print the schema changelog: revisions grouped by the schema version they make
    #[command(
        after_help = "For each revision: its message, its author (the git commit that added the file, else\n\
the history's applied_by), the objects it adds, changes and drops (from the schema model,\n\
replayed in a scratch database as `version --compute` does, never in the target), its hazards\n\
and lint waivers, and the environments of strata.toml that applied it, with when.\n\
FROM..TO selects versions (after FROM, up to TO) or revisions (what TO needs and FROM does not).\n\n\
Examples:\n  strata changelog > CHANGELOG-schema.md\n  strata changelog 1.4.0..2.0.0\n  strata changelog 20261101090000..head --format json\n  strata changelog --format html > changelog.html\n\nDocs: docs/versions.md"
    )]
    Changelog(ChangelogArgs),

    /// Promotion between environments: export a signed record, show the status, make a key
    #[command(
        subcommand,
        after_help = "With `[promotion] order = [\"staging\", \"production\"]` in strata.toml, `upgrade` in an\n\
environment refuses (exit 1) revisions the environment before it has not applied with the same\n\
checksum; it reads that environment's history, or a signed record (--promotion FILE).\n\n\
Examples:\n  strata promote status\n  strata promote export --env staging > promotion.json\n  strata --env production upgrade --promotion promotion.json\n  strata promote keygen --out staging.key\n\nDocs: docs/promotion.md"
    )]
    Promote(PromoteCommand),

    /// Run a deployment checklist against the target and report blockers
    #[command(
        after_help = "One report: the schema version and the pending migrations; lint of them in the\n\
environment's mode; sessions holding locks the pending statements need (pg_locks,\n\
pg_stat_activity) and long-running transactions; replication lag; the size of each touched\n\
table; the WAL archiver (pg_stat_archiver); the promotion status. Nothing is changed.\n\n\
Exit codes:\n  0  no blocker\n  1  a blocker: lint errors under `lint = \"enforce\"`, a session holding a lock a\n     pending statement needs (for longer than lock_timeout, or at all without one), replication\n     lag over --max-replication-lag, a promotion upgrade would refuse\n  2  bad input\n  3  the database failed\n\n\
What cannot be seen (no replica, no archive) is reported as info, never a blocker.\n\n\
Examples:\n  strata --env production preflight\n  strata preflight --json --max-replication-lag 30s\n\nDocs: docs/preflight.md"
    )]
    Preflight(PreflightArgs),

    /// Audit trails for application tables: write the migration, anchor the log, verify it
    #[command(
        subcommand,
        after_help = "Three patterns: `cdc` (one append-only change log filled by triggers, optionally a hash\n\
chain), `versioned` (version, valid_from, valid_to, is_current on the table) and `temporal`\n\
(a history table with a period and TABLE_as_of(ts)). PostgreSQL only.\n\n\
Examples:\n  strata audit add orders payments --pattern cdc --tamper-evident --app-role app\n  strata audit add prices --pattern versioned\n  strata audit anchor\n  strata audit verify\n\nDocs: docs/audit.md"
    )]
    Audit(AuditCommand),

    /// Start the next online migration: its expand phase
    #[command(
        after_help = "Applies the plain migrations before the next online (.toml) migration, then runs its\n\
expand phase: new and shadow columns, NOT VALID constraints, concurrent indexes, triggers that\n\
keep the old and new shapes in sync, a batched backfill (progress with rows/s and ETA on a\n\
terminal; resumable), and the version schema strata_v_<id> of views for new clients.\n\
Old clients keep using the tables. `upgrade` does the same when it reaches the migration.\n\n\
Examples:\n  strata start\n  strata start --sql      # print the expand phase's SQL, change nothing\n\nDocs: docs/online.md"
    )]
    Start {
        /// Print the expand phase's steps and SQL; change nothing
        #[arg(long)]
        sql: bool,
        /// Rows per backfill batch (each batch is one transaction)
        #[arg(long, value_name = "N", value_parser = parse_batch_size)]
        batch_size: Option<u64>,
        /// Pause between backfill batches, e.g. 50ms
        #[arg(long, value_parser = parse_pause, value_name = "DURATION")]
        pause: Option<std::time::Duration>,
        /// Cancel and retry strata's statement when it keeps others waiting longer than this
        /// (default 300ms; 0s: never)
        #[arg(long, value_parser = parse_pause, value_name = "DURATION")]
        max_blocking: Option<std::time::Duration>,
    },

    /// Finish the online migration in progress: its contract phase
    #[command(
        after_help = "Validates constraints, swaps shadow columns in, drops the old columns, triggers,\n\
functions and the version schema, and records the migration as applied. Run it once every\n\
client uses the new version. Interrupted, run it again: it resumes.\n\n\
Examples:\n  strata complete\n  strata complete --max-replication-lag 30s\n\nDocs: docs/online.md"
    )]
    Complete {
        /// Refuse (after waiting up to a minute) while a replica's replay lag is above this
        #[arg(long, default_value = "10s", value_parser = parse_pause, value_name = "DURATION")]
        max_replication_lag: std::time::Duration,
        /// Cancel and retry strata's statement when it keeps others waiting longer than this
        /// (default 300ms; 0s: never)
        #[arg(long, value_parser = parse_pause, value_name = "DURATION")]
        max_blocking: Option<std::time::Duration>,
    },

    /// Undo the expand phase of the online migration in progress, keeping every row
    #[command(
        after_help = "Interrupted, run it again: it resumes. After `complete` there is nothing to roll back:\n\
write a new migration instead.\n\nExample:\n  strata rollback\n\nDocs: docs/online.md"
    )]
    Rollback,

    /// Show the online migration in progress: phase, version schema, backfill progress
    #[command(
        after_help = "Examples:\n  strata status\n  strata status --json\n  # a new client (the value must hold no spaces):\n  PGOPTIONS=\"-c search_path=$(strata status --search-path)\" ./new-version\n\nDocs: docs/online.md"
    )]
    Status {
        /// Print only the search_path new clients set (exit 2 when nothing is in progress)
        #[arg(long)]
        search_path: bool,
    },

    /// Resume an online migration's backfill, or run a batched UPDATE for a plain migration
    #[command(
        after_help = "Without --table: resumes the backfill of the online migration in progress.\n\
With --table: UPDATE T SET <set> WHERE <where>, in batches of rows locked FOR UPDATE SKIP\n\
LOCKED, each batch committed on its own, until no row matches <where>. <where> must select the\n\
rows still to update, so running the command again resumes where it stopped.\n\n\
Example:\n  strata backfill --table accounts --set \"full_name = name\" \\\n    --where \"full_name IS NULL\" --batch-size 5000 --pause 50ms\n\nDocs: docs/online.md"
    )]
    Backfill(BackfillArgs),

    /// Advise on the schema design of a live PostgreSQL database
    ///
    /// Indexes, keys and types, normal forms, JSONB, missing constraints and fit, judged from the
    /// catalog, the statistics and a sample of the rows; each finding with its evidence and fix.
    #[command(
        after_help = "Reads, never writes: one read-only transaction, statement_timeout on every query,\n\
rows sampled with TABLESAMPLE SYSTEM up to --sample per table, the whole run within --budget.\n\
Each finding has its evidence and the SQL that fixes it; --fix writes those that are migrations\n\
into the migrations folder (review them, then `strata lint` and `strata upgrade`).\n\n\
Exit codes:\n  0  no finding of error severity\n  1  error findings (an invalid index, a sequence about to overflow)\n  2  bad input (a flag, a schema or table that does not exist)\n  3  the database failed\n\n\
Examples:\n  strata advise --url postgres://localhost/app\n  strata advise --schema billing --table invoices --format json\n  strata advise --sample 5000 --budget 2m --format html > advise.html\n  strata advise --fix\n\n\
Docs: docs/advise.md"
    )]
    Advise(crate::commands::advise::AdviseArgs),

    /// Print the live schema as an entity-relationship diagram
    #[command(
        after_help = "Tables with their columns, types and keys (PK, FK); foreign keys as edges. SVG is laid out\n\
by Graphviz's dot when it is installed, otherwise by the layout-rs library. PostgreSQL only.\n\n\
Examples:\n  strata erd > schema.svg\n  strata erd --format mermaid --schema billing\n  strata erd --format dot | dot -Tpng > schema.png\n\n\
Docs: docs/advise.md"
    )]
    Erd(crate::commands::erd::ErdArgs),

    /// Print a shell completion script for bash, zsh, fish or PowerShell
    #[command(
        after_help = "Examples:\n  source <(strata completions bash)       # in ~/.bashrc\n  strata completions zsh > ~/.zfunc/_strata\n  strata completions fish > ~/.config/fish/completions/strata.fish\n  strata completions powershell >> $PROFILE"
    )]
    Completions {
        /// The shell to complete in
        #[arg(value_enum)]
        shell: CompletionShell,
    },

    /// Print the manual page (roff) of strata, or of one command, on stdout
    #[command(
        after_help = "Examples:\n  strata man > strata.1 && man ./strata.1\n  strata man upgrade | man -l -"
    )]
    Man {
        /// A command, for its own page (strata-COMMAND(1))
        #[arg(value_name = "COMMAND")]
        command: Option<String>,
    },
}

/// The shells `strata completions` writes for.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Args, Debug)]
pub struct BackfillArgs {
    /// Table to update (plain backfill)
    #[arg(long, value_name = "TABLE")]
    pub table: Option<String>,
    /// The SET list: "col = expr[, col2 = expr2]"
    #[arg(long, value_name = "ASSIGNMENTS", requires = "table")]
    pub set: Option<String>,
    /// The rows still to update: "col IS NULL"
    #[arg(long = "where", value_name = "CONDITION", requires = "table")]
    pub r#where: Option<String>,
    /// Rows per batch (each batch is one transaction)
    #[arg(long, default_value_t = 1000, value_name = "N", value_parser = parse_batch_size)]
    pub batch_size: u64,
    /// Pause between batches, e.g. 50ms, 1s
    #[arg(long, default_value = "0s", value_parser = parse_pause, value_name = "DURATION")]
    pub pause: std::time::Duration,
}

fn parse_batch_size(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("a batch needs at least 1 row".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a number of rows (e.g. 1000)")),
    }
}

fn parse_message(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("a migration needs a message: it says what the migration does and names its file (e.g. -m \"add users\")".to_owned())
    } else {
        Ok(text.to_owned())
    }
}

fn parse_limit(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("show at least 1 event".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a number of events (e.g. 20)")),
    }
}

fn parse_pause(text: &str) -> Result<std::time::Duration, String> {
    strata_files::parse_duration(text)
        .ok_or_else(|| format!("`{text}` is not a duration (e.g. 50ms, 2s, 1m)"))
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid flowchart (default)
    Mermaid,
    /// Graphviz dot
    Dot,
    /// An SVG picture (laid out by Graphviz when installed, otherwise by layout-rs)
    Svg,
    /// `{"nodes": [...], "edges": [...]}` (also: --json)
    Json,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// Findings with a source snippet (default; `github` when GITHUB_ACTIONS=true)
    Human,
    /// `{"findings": [...]}` (also: --json)
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards
    Sarif,
    /// GitHub Actions annotations (`::error file=...`)
    Github,
}

#[derive(Args, Debug)]
pub struct LintArgs {
    /// Files or folders to lint (default: the project's pending migrations)
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// Lint every migration of the project, in graph order
    #[arg(long, conflicts_with = "paths")]
    pub all: bool,
    /// Output format
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<LintFormat>,
    /// Measure the connected server's throughput (scan, rewrite, index build) for the estimated
    /// durations of data-aware checks, cache it, and exit
    #[arg(long, conflicts_with_all = ["paths", "all"])]
    pub calibrate: bool,
}

/// The checks of `strata test`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum TestCheck {
    /// One head per branch label
    SingleHead,
    /// Each migration's down undoes its up, and its up applied again gives the same schema
    Stairway,
    /// Rows survive each migration's up and down
    Data,
    /// At head, the database equals the schema files
    ModelMatch,
    /// Applied files unchanged against --manifest
    Checksums,
    /// The migrations pass lint in the environment's mode
    Lint,
    /// Each online (.toml) migration in the range: start, writes through both versions, rollback,
    /// start again, complete (PostgreSQL)
    Online,
}

/// What `strata test` prints.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// A progress bar, then a table of failures (default)
    Human,
    /// `{"ok": …, "checks": [...]}` (also: --json)
    Json,
    /// Ant/Jenkins JUnit XML, as GitHub, GitLab and Jenkins display it
    Junit,
}

#[derive(Args, Debug)]
pub struct TestArgs {
    /// Revisions to test: TO (from base), or FROM:TO (FROM applied untested first); default
    /// base:heads
    #[arg(value_name = "RANGE")]
    pub range: Option<String>,
    /// Run only these checks (comma-separated or repeated)
    #[arg(long, value_enum, value_delimiter = ',', value_name = "CHECK")]
    pub only: Vec<TestCheck>,
    /// Output format
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<TestFormat>,
    /// Synthetic rows per table for the data check
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = parse_rows)]
    pub data: usize,
    /// The deployed history to check applied files against: the JSON of `strata log --json` run
    /// against production
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
}

fn parse_rows(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err(
            "the data check needs at least 1 row per table (leave it out with --only)".to_owned(),
        ),
        Ok(n) if n > 100_000 => Err(format!(
            "{n} rows per table is more than a test needs (at most 100000)"
        )),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a number of rows (e.g. 20)")),
    }
}

const IMPORT_HELP: &str = "\
Two steps: one commit of converted files, then one command per database:
  strata import --from diesel                      # a strata file per migration
  strata import --from diesel --adopt --url \"$DATABASE_URL\"   # stamp what ran there

The files keep each migration's up, down (a missing one becomes `-- strata:irreversible`), its
transaction setting and comments, with `-- strata:imported-from PATH`. Revision ids are the
source versions (non-alphanumeric runs become `x`: Flyway 1.2 -> 1x2), chained in the tool's order.

--adopt reads the tool's own table (__diesel_schema_migrations, _sqlx_migrations, schema_migrations,
goose_db_version, flyway_schema_history, migrations, sqitch.changes, databasechangelog,
alembic_version; --table to name another) and writes one `stamp` row per
applied migration, with the source's applied time and user, and strata's version row. It changes
nothing of the source tool, writes nothing when a row cannot be matched (exit 1: a dirty or failed
run, a row the folder lacks, a gap, a file changed since sqlx or Flyway applied it), and --dry-run
prints the SQL instead. PostgreSQL only.

Docs: docs/migrating-from.md";

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The tool the history comes from: diesel, sqlx, golang-migrate, dbmate, goose, flyway,
    /// maragudk-migrate, sqitch, liquibase-sql, alembic (through `alembic … --sql`)
    #[arg(long, value_name = "TOOL")]
    pub from: String,
    /// The tool's migrations folder (default: the tool's own default: migrations, db/migrations
    /// for dbmate, sql for flyway; the folder of sqitch.plan or alembic.ini for those)
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Where to write strata files (default: the project's migrations folder)
    #[arg(long, value_name = "DIR")]
    pub into: Option<PathBuf>,
    /// Stamp the database's applied migrations (read from the tool's table) into strata's tables
    #[arg(long)]
    pub adopt: bool,
    /// The tool's table, `name` or `schema.name` (default: the tool's default)
    #[arg(long, value_name = "TABLE", requires = "adopt")]
    pub table: Option<String>,
    /// Print what would be written (files, or the adoption's SQL) and change nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Args, Debug)]
pub struct RevisionArgs {
    /// One-line description; also names the file
    #[arg(short, long, value_parser = parse_message)]
    pub message: String,
    /// Parent of the new revision: head (default), base (a new root), ID, LABEL@head
    #[arg(long, value_name = "TARGET")]
    pub head: Option<String>,
    /// Branch label to put on the new revision
    #[arg(long, value_name = "LABEL")]
    pub branch_label: Option<String>,
    /// Revision that must be applied first without being a parent (repeatable)
    #[arg(long, value_name = "ID")]
    pub depends_on: Vec<String>,
    /// Id of the new revision (default: UTC timestamp YYYYMMDDHHMMSS)
    #[arg(long, value_name = "ID")]
    pub rev_id: Option<String>,
    /// Write the migration from the parent revision to the schema files
    #[arg(long, conflicts_with = "online")]
    pub autogenerate: bool,
    /// Write an online (expand/contract) migration: a .toml file of operations
    #[arg(long, conflicts_with = "branch_label")]
    pub online: bool,
    /// With --autogenerate: also write changes that drop data (dropped tables and columns)
    #[arg(long, requires = "autogenerate")]
    pub allow_destructive: bool,
    /// With --autogenerate: a rename, TABLE.OLD=NEW (column) or OLD=NEW (table); repeatable
    #[arg(long, value_name = "OLD=NEW", requires = "autogenerate")]
    pub rename: Vec<String>,
}

/// What `diff` prints.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// The migration script from FROM to TO (default)
    Sql,
    /// The typed changes, each with up, down and hazards (also: --json)
    Json,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The schema to start from: a database URL, SQL files or a folder, or rev:TARGET
    pub from: String,
    /// The schema to reach, in the same forms
    pub to: String,
    /// Output format
    #[arg(long, value_enum, default_value_t = DiffFormat::Sql)]
    pub format: DiffFormat,
    /// Write destructive statements (dropped tables and columns) instead of commenting them out
    #[arg(long)]
    pub allow_destructive: bool,
    /// Exit with 1 when there are differences (as `git diff --exit-code`)
    #[arg(long)]
    pub exit_code: bool,
    /// A rename, TABLE.OLD=NEW (column) or OLD=NEW (table); repeatable
    #[arg(long, value_name = "OLD=NEW")]
    pub rename: Vec<String>,
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// Where to go; FROM:TO with --sql
    // `-1` is a target, `--dryrun` an unknown flag: only numbers may start with `-`.
    #[arg(default_value = "head", allow_negative_numbers = true)]
    pub target: String,
    #[command(flatten)]
    pub run: RunFlags,
    #[command(flatten)]
    pub promotion: PromotionFlags,
}

/// `upgrade`'s promotion flags (`[promotion] order` in strata.toml).
#[derive(Args, Debug, Default)]
pub struct PromotionFlags {
    /// Apply revisions the previous environment has not applied, and record who and why
    #[arg(long, requires = "reason")]
    pub override_promotion: bool,
    /// Why the promotion is overridden (required with --override-promotion; kept in the history)
    #[arg(long, value_name = "TEXT", requires = "override_promotion")]
    pub reason: Option<String>,
    /// A signed record of what the previous environment applied (`strata promote export`),
    /// instead of reading its history table
    #[arg(long, value_name = "FILE")]
    pub promotion: Option<PathBuf>,
}

/// `strata audit`.
#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Write a migration that adds an audit trail to the tables (reviewable, with its down)
    #[command(
        after_help = "Reads each table's primary key from the database, then writes one migration after the\n\
current head; nothing is changed until `strata upgrade` applies it.\n\
cdc: a change log (table_name, operation, pk, old_data, new_data, changed_at, changed_by,\n\
txid) filled by an AFTER trigger; INSERT/UPDATE/DELETE/TRUNCATE on it revoked from the\n\
application roles (--app-role, or `[audit] app_roles` in strata.toml) and rejected by a\n\
trigger. --tamper-evident chains the rows by sha256 (writes to audited tables then take\n\
turns on the log until they commit); anchor the head with `strata audit anchor`.\n\
versioned: version, valid_from, valid_to, is_current and a unique index on the current rows;\n\
an update or delete keeps the previous version as a row with is_current false.\n\
temporal: TABLE_history with valid_period (tstzrange) and the function TABLE_as_of(ts).\n\n\
Examples:\n  strata audit add orders --pattern cdc --app-role app\n  strata audit add billing.invoices --pattern cdc --tamper-evident --log billing.invoice_log\n  strata audit add prices --pattern temporal -m \"price history\""
    )]
    Add(AuditAddArgs),
    /// Record the head of each tamper-evident log in strata's history (append-only)
    #[command(
        after_help = "A later `strata audit verify` checks the anchored row is still there with the same hash,\n\
so deleting the last rows of a log is detected too. Run it on a schedule (e.g. hourly).\n\n\
Example:\n  strata --env production audit anchor"
    )]
    Anchor,
    /// Check the audit triggers are present and enabled and every hash chain is intact
    #[command(
        after_help = "Reads what the applied migrations audit (the `-- strata-audit` lines `audit add` wrote).\n\
Exit 1 naming the first broken row or the missing or disabled trigger.\n\n\
Example:\n  strata --env production audit verify"
    )]
    Verify,
}

#[derive(Args, Debug)]
pub struct AuditAddArgs {
    /// The tables to audit: TABLE or SCHEMA.TABLE
    #[arg(required = true, value_name = "TABLE")]
    pub tables: Vec<String>,
    /// cdc (change log), versioned (row versions in the table) or temporal (history table)
    #[arg(long, value_enum)]
    pub pattern: AuditPattern,
    /// cdc: chain the log's rows by sha256 so a deleted or edited row is detected
    #[arg(long)]
    pub tamper_evident: bool,
    /// cdc: a role the application connects as (repeatable; adds to `[audit] app_roles`)
    #[arg(long = "app-role", value_name = "ROLE")]
    pub app_roles: Vec<String>,
    /// cdc: the change log table, LOG or SCHEMA.LOG (default: audit_log beside the first table)
    #[arg(long, value_name = "LOG")]
    pub log: Option<String>,
    /// The migration's message (default: "audit TABLE… (PATTERN)")
    #[arg(short, long)]
    pub message: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum AuditPattern {
    Cdc,
    Versioned,
    Temporal,
}

/// `strata preflight`.
#[derive(Args, Debug)]
pub struct PreflightArgs {
    /// A replica whose replay lag is above this is a blocker, e.g. `30s` (default: reported only)
    #[arg(long, value_parser = parse_pause, value_name = "DURATION")]
    pub max_replication_lag: Option<std::time::Duration>,
}

/// `strata promote`.
#[derive(Subcommand, Debug)]
pub enum PromoteCommand {
    /// Print a signed record of what this environment has applied (JSON), for the next one
    #[command(
        after_help = "Signed with the environment's `signing_key` (Ed25519); verified by\n\
`strata upgrade --promotion FILE` in the next environment with `public_key` of [promotion].\n\n\
Example:\n  strata promote export --env staging > promotion.json"
    )]
    Export,
    /// Show which revisions each environment of the promotion order has applied
    #[command(
        after_help = "States: applied, pending, failed, overridden (applied over a refused promotion),\n\
applied (other checksum), unreachable.\n\nExample:\n  strata promote status --json"
    )]
    Status,
    /// Generate a signing key: the private key into FILE, the public key on stdout
    #[command(after_help = "Example:\n  strata promote keygen --out staging.key")]
    Keygen {
        /// Where to write the private key (created; never overwritten)
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Args, Debug)]
pub struct DowngradeArgs {
    /// Where to go (required: downgrading is never implicit); FROM:TO with --sql
    #[arg(allow_negative_numbers = true)]
    pub target: String,
    #[command(flatten)]
    pub run: RunFlags,
}

#[derive(Args, Debug)]
pub struct RunFlags {
    /// Print the exact SQL the run would execute, without connecting (target or FROM:TO)
    #[arg(long)]
    pub sql: bool,
    /// Connect, resolve and print the ordered plan; change nothing
    #[arg(long, conflicts_with = "sql")]
    pub dry_run: bool,
    /// Run every migration of this run in one transaction
    #[arg(long)]
    pub single_transaction: bool,
    /// Dialect for --sql when no URL is configured
    #[arg(long, value_name = "postgres|sqlite")]
    pub dialect: Option<String>,
    /// How long to wait while another strata holds the runner lock, e.g. `30s` or `10m`
    /// (default: as long as it takes); when it runs out, strata exits 3 naming the session that
    /// holds it
    #[arg(long, value_name = "DURATION", value_parser = parse_wait)]
    pub lock_wait: Option<std::time::Duration>,
}

/// Help text is wrapped here, before clap sees it: prose at [`PROSE`] columns, a flag's text at
/// [`FLAG`], so that clap, which breaks lines at any space, has nothing left to break at 80 or 100
/// columns, and a `code span` is never split across lines.
const PROSE: usize = 78;
/// A flag's text starts at column 10 of `--help` (80 - 10 - a margin of 2).
const FLAG: usize = 68;

/// `strata version`.
#[derive(Args, Debug)]
pub struct VersionArgs {
    /// Compute every revision's impact in a scratch database and write the missing headers
    #[arg(long)]
    pub compute: bool,
    /// With --compute: write nothing; exit 1 when a header is missing or wrong
    #[arg(long, requires = "compute")]
    pub check: bool,
}

/// `strata changelog`.
#[derive(Args, Debug)]
pub struct ChangelogArgs {
    /// FROM..TO: versions (1.2.0..2.0.0) or revisions (ID..head); either side may be empty
    #[arg(value_name = "FROM..TO")]
    pub range: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ChangelogFormat::Markdown)]
    pub format: ChangelogFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ChangelogFormat {
    Markdown,
    Json,
    Html,
}

/// The command line: the clap definitions, with every help text wrapped by [`wrap`].
pub fn command() -> clap::Command {
    fn rewrap(mut cmd: clap::Command) -> clap::Command {
        if let Some(text) = cmd.get_long_about().map(|t| wrap(&t.to_string(), PROSE)) {
            cmd = cmd.long_about(text);
        }
        if let Some(text) = cmd.get_after_help().map(|t| wrap(&t.to_string(), PROSE)) {
            cmd = cmd.after_help(text);
        }
        cmd = cmd.mut_args(|arg| {
            let help = arg.get_help().map(|t| wrap(&t.to_string(), FLAG));
            let long = arg.get_long_help().map(|t| wrap(&t.to_string(), FLAG));
            let arg = match help {
                Some(text) => arg.help(text),
                None => arg,
            };
            match long {
                Some(text) => arg.long_help(text),
                None => arg,
            }
        });
        cmd.mut_subcommands(rewrap)
    }
    rewrap(Cli::command())
}

/// Parses the process's arguments with [`command`].
pub fn parse() -> Result<Cli, clap::Error> {
    let mut cmd = command();
    let matches = cmd.try_get_matches_from_mut(std::env::args_os())?;
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))
}

/// `text` wrapped at `width` columns: the lines of a paragraph (lines that start with neither a
/// space nor `- `) are joined and broken again at spaces outside code spans; indented lines,
/// list items and empty lines stay as they are.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |paragraph: &mut Vec<&str>, out: &mut Vec<String>| {
        if !paragraph.is_empty() {
            out.extend(fill(&paragraph.join(" "), width));
            paragraph.clear();
        }
    };
    for line in text.lines() {
        let verbatim = line.is_empty() || line.starts_with(' ') || line.starts_with("- ");
        if verbatim {
            flush(&mut paragraph, &mut out);
            out.push(line.to_owned());
        } else {
            paragraph.push(line.trim_end());
        }
    }
    flush(&mut paragraph, &mut out);
    out.join("\n")
}

/// One paragraph broken into lines of at most `width` columns (a longer word or code span gets a
/// line of its own), never inside a `code span`.
fn fill(text: &str, width: usize) -> Vec<String> {
    // Words: runs between spaces outside backticks.
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_code = false;
    for c in text.chars() {
        if c == '`' {
            in_code = !in_code;
        }
        if c == ' ' && !in_code {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in words {
        let fits = line.chars().count() + 1 + word.chars().count() <= width;
        if !line.is_empty() && !fits {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Commands that change a database in ways that are hard to take back.
const DESTRUCTIVE: &[&str] = &["downgrade", "stamp", "complete", "rollback", "backfill"];

/// An unknown subcommand runs nothing (clap does not infer subcommands from prefixes here); its
/// "similar subcommand" tip keeps only the closest names, and of those drops the commands that
/// change a database when a harmless one is as close: `strata completion` suggests
/// `completions`, not `complete` (which drops columns).
pub fn careful_suggestions(error: &mut clap::Error) {
    use clap::error::{ContextKind, ContextValue};
    let Some(ContextValue::String(typed)) = error.get(ContextKind::InvalidSubcommand) else {
        return;
    };
    let typed = typed.clone();
    let Some(ContextValue::Strings(suggested)) = error.get(ContextKind::SuggestedSubcommand) else {
        return;
    };
    let distance = |s: &String| strata_core::edit_distance(&typed, s);
    let Some(best) = suggested.iter().map(distance).min() else {
        return;
    };
    let mut keep: Vec<String> = suggested
        .iter()
        .filter(|s| distance(s) == best)
        .cloned()
        .collect();
    if keep.iter().any(|s| !DESTRUCTIVE.contains(&s.as_str())) {
        keep.retain(|s| !DESTRUCTIVE.contains(&s.as_str()));
    }
    error.insert(
        ContextKind::SuggestedSubcommand,
        ContextValue::Strings(keep),
    );
}

fn parse_wait(text: &str) -> Result<std::time::Duration, String> {
    strata_files::parse_duration(text).ok_or_else(|| {
        format!("`{text}` is not a duration: write it with a unit, e.g. 500ms, 30s, 10m or 1h")
    })
}

#[cfg(test)]
mod tests {
    use super::{careful_suggestions, fill, wrap, Cli};
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    use clap::{CommandFactory, Parser};

    /// No prefix of a command runs it: `strata comp` is an error, never `complete`.
    #[test]
    fn subcommands_are_never_inferred_from_a_prefix() {
        let cmd = Cli::command();
        let names: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
        for name in &names {
            for end in 1..name.len() {
                let prefix = &name[..end];
                if names.contains(&prefix) {
                    continue;
                }
                let err = Cli::try_parse_from(["strata", prefix]).unwrap_err();
                assert_eq!(
                    err.kind(),
                    ErrorKind::InvalidSubcommand,
                    "`strata {prefix}`"
                );
            }
        }
    }

    #[test]
    fn wrapping_keeps_code_spans_whole() {
        let text = "run `strata complete --max-replication-lag 30s` once every client uses it";
        for width in 10..40 {
            for line in fill(text, width) {
                assert_eq!(line.matches('`').count() % 2, 0, "{width}: {line}");
            }
        }
        assert_eq!(fill("aa bb `c d` ee", 6), ["aa bb", "`c d`", "ee"]);
        // Paragraph lines are joined; examples and list items stay.
        assert_eq!(
            wrap("one\ntwo\n\nExamples:\n  strata x\n- item", 78),
            "one two\n\nExamples:\n  strata x\n- item"
        );
    }

    fn suggestions(typed: &str) -> Vec<String> {
        let mut err = Cli::try_parse_from(["strata", typed]).unwrap_err();
        careful_suggestions(&mut err);
        match err.get(ContextKind::SuggestedSubcommand) {
            Some(ContextValue::Strings(s)) => s.clone(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn suggestions_prefer_harmless_commands() {
        assert_eq!(suggestions("completion"), ["completions"]);
        assert_eq!(suggestions("upgade"), ["upgrade"]);
        // The closest is still named when it is the one meant; it is only a tip.
        assert_eq!(suggestions("rollbak"), ["rollback"]);
        let err = Cli::try_parse_from(["strata", "completion"]).unwrap_err();
        assert!(err
            .to_string()
            .contains("unrecognized subcommand 'completion'"));
    }
}
