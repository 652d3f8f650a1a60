#!/usr/bin/env bash
# Imports the Harness history of the shared corpus (maragudk/migrate layout, postgres/: 209 ups)
# with `strata import --from maragudk-migrate`, applies the converted files with `strata upgrade`
# to one PostgreSQL database and the originals with psql to another (as the tool runs them: its
# `migrations (version)` table first, then each up file in one transaction, versions ordered as
# text), compares the schemas with `strata diff --exit-code` and `pg_dump --schema-only`, then
# adopts the psql-migrated database from its `migrations` row.
#
#   scripts/import-corpus-harness.sh [CORPUS_DIR]   # default: ../shared/corpus
#   PG=postgres://user:pw@host:5432 scripts/import-corpus-harness.sh
#
# The Go "after" hooks (data fixes for six versions) are no-ops on an empty database and are not
# part of a SQL import. Exit 0 when the schemas match, 1 when they differ, 2 when something is
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."

CORPUS=${1:-../shared/corpus}
MIGRATIONS="$CORPUS/harness/migrations/postgres"
PG=${PG:-postgres://strata_test:strata_test_pw@127.0.0.1:5432}
if [ ! -d "$MIGRATIONS" ]; then
  echo "import-corpus-harness: $MIGRATIONS not found (pass the corpus folder as the first argument)" >&2
  exit 2
fi
if [ -z "${STRATA:-}" ]; then
  cargo build -q -p strata-cli
  STRATA=target/debug/strata
fi
STRATA=$(cd "$(dirname "$STRATA")" && pwd)/$(basename "$STRATA")
MIGRATIONS=$(cd "$MIGRATIONS" && pwd)

SUFFIX=$$
ORIG=strata_harness_orig_$SUFFIX
CONV=strata_harness_conv_$SUFFIX
WORK=$(mktemp -d)
cleanup() {
  psql -X -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $ORIG" -c "DROP DATABASE IF EXISTS $CONV" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql -X -q "$PG/postgres" -c "CREATE DATABASE $ORIG" -c "CREATE DATABASE $CONV" >/dev/null
# The tool's table exists before its first migration (which adds its primary key).
for db in "$ORIG" "$CONV"; do
  psql -X -q -d "$PG/$db" -c "CREATE TABLE migrations (version text NOT NULL)" >/dev/null
done

START=$(date +%s.%N)
LAST=
for f in $(cd "$MIGRATIONS" && ls | grep -E '^[A-Za-z0-9_-]+.up\.sql$' | LC_ALL=C sort -t. -k1,1); do
  PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d "$PG/$ORIG" -f "$MIGRATIONS/$f" >/dev/null
  LAST=${f%???????}
done
echo "psql applied the originals in $(echo "$(date +%s.%N) - $START" | bc) s (last: $LAST)"

mkdir -p "$WORK/project/migrations"
printf 'migrations_dir = "migrations"\n' >"$WORK/project/strata.toml"
cd "$WORK/project"
"$STRATA" import --from maragudk-migrate --dir "$MIGRATIONS" 2>&1 | tail -4
START=$(date +%s.%N)
"$STRATA" --url "$PG/$CONV" upgrade -q
echo "strata upgrade applied the converted history in $(echo "$(date +%s.%N) - $START" | bc) s"
"$STRATA" --url "$PG/$CONV" current

STATUS=0
if "$STRATA" diff "$PG/$ORIG" "$PG/$CONV" --exit-code >"$WORK/diff.sql" 2>&1; then
  echo "strata diff: no differences"
else
  echo "strata diff: DIFFERENCES"; cat "$WORK/diff.sql"; STATUS=1
fi
pg_dump -s -x -O "$PG/$ORIG" | grep -v -E -e '^--' -e '^.(un)?restrict ' >"$WORK/orig.sql"
pg_dump -s -x -O -T strata_version -T strata_history -T strata_history_id_seq "$PG/$CONV" | grep -v -E -e '^--' -e '^.(un)?restrict ' >"$WORK/conv.sql"
if diff -u "$WORK/orig.sql" "$WORK/conv.sql" >"$WORK/dump.diff"; then
  echo "pg_dump -s: identical ($(grep -c 'CREATE TABLE' "$WORK/orig.sql") tables)"
else
  echo "pg_dump -s: DIFFERENT"; head -50 "$WORK/dump.diff"; STATUS=1
fi

psql -X -q -d "$PG/$ORIG" -c "INSERT INTO migrations VALUES ('$LAST')" >/dev/null
START=$(date +%s.%N)
"$STRATA" --url "$PG/$ORIG" import --from maragudk-migrate --dir "$MIGRATIONS" --adopt 2>/dev/null
echo "import --adopt took $(echo "$(date +%s.%N) - $START" | bc) s"
"$STRATA" --url "$PG/$ORIG" current
"$STRATA" --url "$PG/$ORIG" verify || STATUS=1
exit $STATUS
