#!/usr/bin/env bash
# Imports a history of the shared corpus with `strata import`, applies the converted files with
# `strata upgrade` to one PostgreSQL database and the original files with psql (as the source tool
# runs them) to another, compares the two schemas with `strata diff --exit-code` and
# `pg_dump --schema-only` (strata's tables left out), then adopts the psql-migrated database from
# the tool's own table with `strata import --adopt` and checks it with `strata verify`.
#
# HISTORY is one of:
#   diesel   the crates.io diesel history (285 migrations): each up.sql in one transaction unless
#            its metadata.toml says run_in_transaction = false, in diesel's version order (the
#            default)
#   harness  the Harness history (maragudk/migrate layout, postgres/: 209 ups): the tool's
#            `migrations (version)` table first, then each up file in one transaction, versions
#            ordered as text. The Go "after" hooks (data fixes for six versions) are no-ops on an
#            empty database and are not part of a SQL import.
#
#   scripts/import-corpus.sh [HISTORY] [CORPUS_DIR]   # default: diesel ../shared/corpus
#   scripts/import-corpus-harness.sh [CORPUS_DIR]     # the same as: import-corpus.sh harness
#   PG=postgres://user:pw@host:5432 scripts/import-corpus.sh harness
#
# The corpus is not part of the repository and the project's tests never need it.
# Exit 0 when the schemas match, 1 when they differ, 2 when the corpus, strata or PostgreSQL is
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."

HISTORY=diesel
case "${1:-}" in
  diesel | harness) HISTORY=$1; shift ;;
esac
CORPUS=${1:-../shared/corpus}
case "$HISTORY" in
  diesel) NAME=import-corpus; TOOL=diesel; SUBDIR=cratesio/migrations; PREFIX=strata_import; LINES=3 ;;
  harness) NAME=import-corpus-harness; TOOL=maragudk-migrate; SUBDIR=harness/migrations/postgres; PREFIX=strata_harness; LINES=4 ;;
esac
MIGRATIONS="$CORPUS/$SUBDIR"
PG=${PG:-postgres://strata_test:strata_test_pw@127.0.0.1:5432}
if [ ! -d "$MIGRATIONS" ]; then
  echo "$NAME: $MIGRATIONS not found (pass the corpus folder as the first argument)" >&2
  exit 2
fi
if [ -z "${STRATA:-}" ]; then
  cargo build -q -p strata-cli
  STRATA=target/debug/strata
fi
STRATA=$(cd "$(dirname "$STRATA")" && pwd)/$(basename "$STRATA")
MIGRATIONS=$(cd "$MIGRATIONS" && pwd)

SUFFIX=$$
ORIG=${PREFIX}_orig_$SUFFIX
CONV=${PREFIX}_conv_$SUFFIX
WORK=$(mktemp -d)
cleanup() {
  psql -X -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $ORIG" -c "DROP DATABASE IF EXISTS $CONV" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql -X -q "$PG/postgres" -c "CREATE DATABASE $ORIG" -c "CREATE DATABASE $CONV" >/dev/null

START=$(date +%s.%N)
LAST=
if [ "$HISTORY" = diesel ]; then
  # The originals, as diesel runs them: folders ordered by version (the name before the first
  # `_`, dashes removed, compared as text).
  for dir in "$MIGRATIONS"/*/; do
    name=$(basename "$dir")
    [ -f "$dir/up.sql" ] || continue
    printf '%s\t%s\n' "$(echo "${name%%_*}" | tr -d -)" "$dir"
  done | LC_ALL=C sort -k1,1 | while IFS=$'\t' read -r _ dir; do
    single=--single-transaction
    if grep -qs 'run_in_transaction *= *false' "$dir/metadata.toml"; then single=; fi
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 $single -d "$PG/$ORIG" -f "$dir/up.sql" >/dev/null
  done
  echo "psql applied the originals in $(echo "$(date +%s.%N) - $START" | bc) s"
else
  # The tool's table exists before its first migration (which adds its primary key).
  for db in "$ORIG" "$CONV"; do
    psql -X -q -d "$PG/$db" -c "CREATE TABLE migrations (version text NOT NULL)" >/dev/null
  done
  for f in $(cd "$MIGRATIONS" && ls | grep -E '^[A-Za-z0-9_-]+.up\.sql$' | LC_ALL=C sort -t. -k1,1); do
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d "$PG/$ORIG" -f "$MIGRATIONS/$f" >/dev/null
    LAST=${f%???????}
  done
  echo "psql applied the originals in $(echo "$(date +%s.%N) - $START" | bc) s (last: $LAST)"
fi

mkdir -p "$WORK/project/migrations"
printf 'migrations_dir = "migrations"\n' >"$WORK/project/strata.toml"
cd "$WORK/project"
"$STRATA" import --from "$TOOL" --dir "$MIGRATIONS" 2>&1 | tail -"$LINES"
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

# Adoption: the database psql migrated gets the tool's table as the tool would have written it,
# then `strata import --adopt` stamps it; nothing is pending afterwards and verify is clean.
if [ "$HISTORY" = diesel ]; then
  {
    echo "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);"
    for dir in "$MIGRATIONS"/*/; do
      [ -f "$dir/up.sql" ] || continue
      name=$(basename "$dir")
      echo "INSERT INTO __diesel_schema_migrations (version) VALUES ('$(echo "${name%%_*}" | tr -d -)');"
    done
  } | psql -X -q -v ON_ERROR_STOP=1 -d "$PG/$ORIG" >/dev/null
else
  psql -X -q -d "$PG/$ORIG" -c "INSERT INTO migrations VALUES ('$LAST')" >/dev/null
fi
START=$(date +%s.%N)
"$STRATA" --url "$PG/$ORIG" import --from "$TOOL" --dir "$MIGRATIONS" --adopt 2>/dev/null
echo "import --adopt took $(echo "$(date +%s.%N) - $START" | bc) s"
"$STRATA" --url "$PG/$ORIG" current
"$STRATA" --url "$PG/$ORIG" verify || STATUS=1
exit $STATUS
