#!/usr/bin/env bash
# Times `strata import` and `strata import --adopt` over a generated sqlx history of N migrations
# (default 1000; reversible pairs, one table each) whose `_sqlx_migrations` table lists every one
# with its SHA-384 checksum, so adoption compares all of them. Baseline in the same run:
# `strata heads` over the converted files (reading and validating the N files, no database).
#
#   scripts/import-bench.sh [N] [ROUNDS]        # defaults 1000 3
#   STRATA=target/release/strata PG=postgres://user:pw@host:5432 scripts/import-bench.sh
#
# Prints the median of ROUNDS runs of each, in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
ROUNDS=${2:-3}
PG=${PG:-postgres://strata_test:strata_test_pw@127.0.0.1:5432}
if [ -z "${STRATA:-}" ]; then
  cargo build -q -p strata-cli
  STRATA=target/debug/strata
fi
STRATA=$(cd "$(dirname "$STRATA")" && pwd)/$(basename "$STRATA")
DB=strata_import_bench_$$
WORK=$(mktemp -d)
cleanup() {
  psql -X -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql -X -q "$PG/postgres" -c "CREATE DATABASE $DB" >/dev/null

mkdir -p "$WORK/sqlx" "$WORK/project/migrations"
printf 'migrations_dir = "migrations"\n' >"$WORK/project/strata.toml"
{
  echo "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL);"
  for i in $(seq 1 "$N"); do
    v=$((20240000000000 + i))
    up="-- migration $i
CREATE TABLE t$i (id bigint PRIMARY KEY, note text DEFAULT 'a;b');"
    printf '%s\n' "$up" >"$WORK/sqlx/${v}_create_t$i.up.sql"
    printf 'DROP TABLE t%s;\n' "$i" >"$WORK/sqlx/${v}_create_t$i.down.sql"
    echo "INSERT INTO _sqlx_migrations VALUES ($v, 'create t$i', now(), true, sha384(convert_to(\$q\$$up
\$q\$, 'UTF8')), 1);"
  done
} | psql -X -q -v ON_ERROR_STOP=1 -d "$PG/$DB" >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
elapsed() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $s" | bc; }

cd "$WORK/project"
IMPORT=$(for _ in $(seq "$ROUNDS"); do rm -f migrations/*; elapsed "$STRATA" import --from sqlx --dir "$WORK/sqlx"; done | median)
HEADS=$(for _ in $(seq "$ROUNDS"); do elapsed "$STRATA" heads; done | median)
ADOPT=$(for _ in $(seq "$ROUNDS"); do
  PGOPTIONS="-c client_min_messages=warning" psql -X -q "$PG/$DB" -c "DROP TABLE IF EXISTS strata_version, strata_history" >/dev/null
  elapsed "$STRATA" --url "$PG/$DB" import --from sqlx --dir "$WORK/sqlx" --adopt
done | median)
"$STRATA" --url "$PG/$DB" current | head -1
echo "N=$N rounds=$ROUNDS strata=$STRATA"
echo "strata heads (read and validate the $N converted files): ${HEADS}s"
echo "strata import (read, convert, write $N files):          ${IMPORT}s"
echo "strata import --adopt ($N rows, checksums compared):    ${ADOPT}s"
echo "adopt on top of reading the files: $(echo "$ADOPT - $HEADS" | bc)s"
