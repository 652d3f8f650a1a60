//! The command line: parsed raw by clap here, validated into settings in `context`.

use crate::commands::inspect::InspectFormat;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Exit codes: 0 success; 1 problems found (lint errors, verify mismatches, ...); 2 bad input (usage, config,
migration files, unresolvable target); 3 database or runtime failure.

Get started:  strata init && strata revision -m \"create users\" && strata upgrade
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
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Path to strata.toml (default: ./strata.toml, searched upward)
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Environment from strata.toml [env.NAME] (default: default_env)
    #[arg(long, global = true, value_name = "NAME", env = "STRATA_ENV")]
    pub env: Option<String>,
    /// Database URL; overrides the environment's url and DATABASE_URL
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,
    /// Machine-readable JSON on stdout
    #[arg(long, global = true)]
    pub json: bool,
    /// Print only errors
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print more: notices from the database, the SQL being run
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// No colors (also: NO_COLOR=1)
    #[arg(long, global = true)]
    pub no_color: bool,
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
        after_help = "Targets: head, heads, ID or unique prefix, LABEL@head, +N, ID+N.\n\nExamples:\n  strata upgrade\n  strata upgrade +1\n  strata upgrade heads\n  strata upgrade --dry-run\n  strata upgrade base:head --sql > review.sql"
    )]
    Upgrade(MigrateArgs),

    /// Revert migrations down to a target
    #[command(
        after_help = "Targets: base, ID or unique prefix, LABEL@base, -N, ID-N.\n\nExamples:\n  strata downgrade -1\n  strata downgrade base\n  strata downgrade 20261125143000\n  strata downgrade head:base --sql"
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

    /// Show the audit log kept in the history table
    #[command(after_help = "Example:\n  strata log --json")]
    Log,

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
        after_help = "Example:\n  strata merge heads -m \"merge billing\"\n  strata merge 20261125 20261126 -m \"merge\""
    )]
    Merge {
        /// Revisions to merge (or `heads`)
        #[arg(required = true)]
        revs: Vec<String>,
        /// Message of the merge revision
        #[arg(short, long)]
        message: String,
        /// Id of the new revision (default: UTC timestamp)
        #[arg(long)]
        rev_id: Option<String>,
    },

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
        after_help = "Exits 1 listing each mismatch. Line-ending changes (CRLF/LF) are not changes.\n\nExample:\n  strata verify --json"
    )]
    Verify,

    /// Check migrations for statements that lock, rewrite or lose data
    #[command(
        after_help = "With no PATHS: the project's pending migrations (needs the database; --all: every migration).\n\
PATHS may be strata files, plain .sql files, diesel folders (up.sql/down.sql), N_name.up.sql/.down.sql\n\
pairs, or folders of any of these.\n\n\
Exit codes: 0 no error finding; 1 error findings; 2 a file does not parse or cannot be read.\n\n\
Examples:\n  strata lint\n  strata lint --all --format sarif > lint.sarif\n  strata lint migrations/20261125143000_add_index.sql\n  strata lint --format json path/to/diesel/migrations\n\n\
Docs: docs/lint.md"
    )]
    Lint(LintArgs),

    /// Print the revision graph as Mermaid or Graphviz dot
    #[command(after_help = "Example:\n  strata graph --format dot | dot -Tsvg > graph.svg")]
    Graph {
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
Example (CI):\n  strata check || { echo 'run: strata revision --autogenerate -m ...'; exit 1; }\n\nDocs: docs/schema.md"
    )]
    Check,

    /// Exit 1 when the live database differs from what its migrations should have made it
    #[command(
        after_help = "Compares the live schema with the migrations replayed up to the database's recorded\n\
revision (in a shadow database) and runs `verify` (applied files unchanged). Exit 1 lists every\n\
object added, removed or changed outside migrations.\n\nExample:\n  strata --env production drift --json\n\nDocs: docs/schema.md"
    )]
    Drift,

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
        after_help = "Examples:\n  strata status\n  strata status --json\n  PGOPTIONS=\"-c search_path=$(strata status --search-path)\" ./new-version   # no spaces in the value\n\nDocs: docs/online.md"
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
Example:\n  strata backfill --table accounts --set \"full_name = name\" --where \"full_name IS NULL\" --batch-size 5000 --pause 50ms\n\nDocs: docs/online.md"
    )]
    Backfill(BackfillArgs),
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

fn parse_pause(text: &str) -> Result<std::time::Duration, String> {
    strata_files::parse_duration(text)
        .ok_or_else(|| format!("`{text}` is not a duration (e.g. 50ms, 2s, 1m)"))
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
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
}

#[derive(Args, Debug)]
pub struct RevisionArgs {
    /// One-line description; also names the file
    #[arg(short, long)]
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
    #[arg(default_value = "head", allow_hyphen_values = true)]
    pub target: String,
    #[command(flatten)]
    pub run: RunFlags,
}

#[derive(Args, Debug)]
pub struct DowngradeArgs {
    /// Where to go (required: downgrading is never implicit); FROM:TO with --sql
    #[arg(allow_hyphen_values = true)]
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

fn parse_wait(text: &str) -> Result<std::time::Duration, String> {
    strata_files::parse_duration(text).ok_or_else(|| {
        format!("`{text}` is not a duration: write it with a unit, e.g. 500ms, 30s, 10m or 1h")
    })
}
