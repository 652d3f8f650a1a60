#!/usr/bin/env bash
# Applies the import fixtures (crates/strata-cli/tests/import_fixtures/TOOL) with the real tools
# that install quickly here, and captures each tool's table into
# crates/strata-cli/tests/import_fixtures/captured/TOOL.sql, which the CI tests
# (crates/strata-cli/tests/import.rs) load instead of the documented layout. Then, on the
# database the tool migrated: `strata import --adopt`, `strata current`, `strata verify`.
#
#   scripts/import-check.sh                  # dbmate (npm i -g dbmate), sqitch (apt-get install
#                                            # sqitch libdbd-pg-perl), alembic (pip install alembic),
#                                            # sqlx and diesel (see below)
#
# Alembic is converted through its offline mode: its two outputs (`upgrade heads --sql`,
# `downgrade heads:base --sql`) are captured as captured/alembic-upgrade.sql and
# captured/alembic-downgrade.sql, which the tests replay through STRATA_ALEMBIC.
#   PG=postgres://user:pw@host:5432 scripts/import-check.sh
#
# sqlx-cli and diesel_cli are required too (they take minutes to compile, so the script does not
# install them: `cargo install sqlx-cli --no-default-features --features postgres,rustls` and,
# with libpq-dev, `cargo install diesel_cli --no-default-features --features postgres`).
# goose and golang-migrate need Go, Flyway and Liquibase Java from their own sites: their tests use
# the tables as those tools document them.
# Exit 0 when every tool found ran and adopted cleanly, 1 otherwise, 2 when a tool is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${PG:-postgres://strata_test:strata_test_pw@127.0.0.1:5432}
FIXTURES=$(pwd)/crates/strata-cli/tests/import_fixtures
if [ -z "${STRATA:-}" ]; then
  cargo build -q -p strata-cli
  STRATA=target/debug/strata
fi
STRATA=$(cd "$(dirname "$STRATA")" && pwd)/$(basename "$STRATA")
for tool in dbmate sqitch alembic sqlx diesel; do
  if ! command -v $tool >/dev/null; then
    echo "import-check: $tool not found (dbmate: npm i -g dbmate; sqitch: apt-get install sqitch libdbd-pg-perl; alembic: pip install alembic; sqlx: cargo install sqlx-cli --no-default-features --features postgres,rustls; diesel: apt-get install libpq-dev && cargo install diesel_cli --no-default-features --features postgres)" >&2
    exit 2
  fi
done
DB=strata_import_check_$$
WORK=$(mktemp -d)
cleanup() {
  psql -X -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The table as the tool left it: its DDL and rows, as plain SQL a test can run (without foreign
# keys to the tool's other tables; with its schema when it has one).
capture() {
  {
    case "$2" in *.*) echo "CREATE SCHEMA ${2%%.*};" ;; esac
    pg_dump --table="$2" --no-owner --no-privileges --inserts "$PG/$DB" |
      grep -v -E '^(\\|SET |SELECT pg_catalog.set_config|--)' |
      perl -00 -ne 'print unless /FOREIGN KEY/'
  } | cat -s >"$FIXTURES/captured/$1.sql"
  echo "captured $2 ($(grep -c '^INSERT' "$FIXTURES/captured/$1.sql") rows) into tests/import_fixtures/captured/$1.sql"
}

mkdir -p "$FIXTURES/captured"
psql -X -q "$PG/postgres" -c "CREATE DATABASE $DB" >/dev/null
dbmate --url "$PG/$DB?sslmode=disable" --migrations-dir "$FIXTURES/dbmate" --no-dump-schema up >/dev/null
echo "dbmate $(dbmate --version | awk '{print $3}') applied $(ls "$FIXTURES/dbmate" | wc -l) migrations"
capture dbmate schema_migrations

adopt() {
  rm -rf "$WORK/project"
  mkdir -p "$WORK/project/migrations"
  printf 'migrations_dir = "migrations"\n' >"$WORK/project/strata.toml"
  (
    cd "$WORK/project"
    "$STRATA" import --from "$1" --dir "$FIXTURES/$1" -q
    "$STRATA" --url "$PG/$DB" import --from "$1" --dir "$FIXTURES/$1" --adopt
    "$STRATA" --url "$PG/$DB" current
    "$STRATA" --url "$PG/$DB" verify
  )
}
adopt dbmate

psql -X -q "$PG/postgres" -c "DROP DATABASE $DB" -c "CREATE DATABASE $DB" >/dev/null
(cd "$FIXTURES/sqitch" && sqitch deploy "db:$PG/$DB" >/dev/null)
echo "sqitch $(sqitch --version | awk '{print $3}') deployed $(grep -c '^[a-z]' "$FIXTURES/sqitch/sqitch.plan") changes"
capture sqitch sqitch.changes
adopt sqitch

(cd "$FIXTURES/alembic" && alembic upgrade heads --sql 2>/dev/null >"$FIXTURES/captured/alembic-upgrade.sql" &&
  alembic downgrade heads:base --sql 2>/dev/null >"$FIXTURES/captured/alembic-downgrade.sql" &&
  find . -name __pycache__ -prune -exec rm -rf {} +)
echo "alembic $(alembic --version | awk '{print $2}') offline SQL captured into tests/import_fixtures/captured/alembic-*.sql"
psql -X -q "$PG/postgres" -c "DROP DATABASE $DB" -c "CREATE DATABASE $DB" >/dev/null
# Alembic's offline script, applied as psql applies it (its own BEGIN/COMMIT, alembic_version).
psql -X -q -v ON_ERROR_STOP=1 -d "$PG/$DB" -f "$FIXTURES/captured/alembic-upgrade.sql" >/dev/null
adopt alembic

# The Rust tools.
psql -X -q "$PG/postgres" -c "DROP DATABASE $DB" -c "CREATE DATABASE $DB" >/dev/null
sqlx migrate run --source "$FIXTURES/sqlx" --database-url "$PG/$DB" >/dev/null
echo "$(sqlx --version) applied $(ls "$FIXTURES/sqlx" | grep -c -v '\.down\.sql$') migrations"
capture sqlx _sqlx_migrations
adopt sqlx

psql -X -q "$PG/postgres" -c "DROP DATABASE $DB" -c "CREATE DATABASE $DB" >/dev/null
diesel migration run --migration-dir "$FIXTURES/diesel" --database-url "$PG/$DB" >/dev/null
echo "diesel_cli $(diesel --version | awk '/Version/ {print $2}') applied $(ls "$FIXTURES/diesel" | wc -l) migrations"
capture diesel __diesel_schema_migrations
adopt diesel
