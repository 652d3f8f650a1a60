#!/usr/bin/env bash
# Imports the crates.io diesel history of the shared corpus (285 migrations) with `strata import`,
# applies the converted files with `strata upgrade` to one PostgreSQL database and the original
# files with psql (as diesel runs them: each up.sql in one transaction unless its metadata.toml
# says run_in_transaction = false, in diesel's version order) to another, and compares the two
# schemas with `strata diff --exit-code` and `pg_dump --schema-only` (strata's tables left out).
#
#   scripts/import-corpus.sh [CORPUS_DIR]     # default: ../shared/corpus (from the repository root)
#   PG=postgres://user:pw@host:5432 scripts/import-corpus.sh
#
# The corpus is not part of the repository and the project's tests never need it.
# Exit 0 when the schemas match, 1 when they differ, 2 when the corpus, strata or PostgreSQL is
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."

CORPUS=${1:-../shared/corpus}
MIGRATIONS="$CORPUS/cratesio/migrations"
PG=${PG:-postgres://strata_test:strata_test_pw@127.0.0.1:5432}
if [ ! -d "$MIGRATIONS" ]; then
  echo "import-corpus: $MIGRATIONS not found (pass the corpus folder as the first argument)" >&2
  exit 2
fi
if [ -z "${STRATA:-}" ]; then
  cargo build -q -p strata-cli
  STRATA=target/debug/strata
fi
STRATA=$(cd "$(dirname "$STRATA")" && pwd)/$(basename "$STRATA")
MIGRATIONS=$(cd "$MIGRATIONS" && pwd)

SUFFIX=$$
ORIG=strata_import_orig_$SUFFIX
CONV=strata_import_conv_$SUFFIX
WORK=$(mktemp -d)
cleanup() {
  psql -X -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $ORIG" -c "DROP DATABASE IF EXISTS $CONV" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql -X -q "$PG/postgres" -c "CREATE DATABASE $ORIG" -c "CREATE DATABASE $CONV" >/dev/null

# The originals, as diesel runs them: folders ordered by version (the name before the first `_`,
# dashes removed, compared as text).
START=$(date +%s.%N)
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

mkdir -p "$WORK/project/migrations"
printf 'migrations_dir = "migrations"\n' >"$WORK/project/strata.toml"
cd "$WORK/project"
"$STRATA" import --from diesel --dir "$MIGRATIONS" 2>&1 | tail -3
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

# Adoption: the database psql migrated gets diesel's table as diesel would have written it, then
# `strata import --adopt` stamps it; nothing is pending afterwards and verify is clean.
{
  echo "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);"
  for dir in "$MIGRATIONS"/*/; do
    [ -f "$dir/up.sql" ] || continue
    name=$(basename "$dir")
    echo "INSERT INTO __diesel_schema_migrations (version) VALUES ('$(echo "${name%%_*}" | tr -d -)');"
  done
} | psql -X -q -v ON_ERROR_STOP=1 -d "$PG/$ORIG" >/dev/null
START=$(date +%s.%N)
"$STRATA" --url "$PG/$ORIG" import --from diesel --dir "$MIGRATIONS" --adopt 2>/dev/null
echo "import --adopt took $(echo "$(date +%s.%N) - $START" | bc) s"
"$STRATA" --url "$PG/$ORIG" current
"$STRATA" --url "$PG/$ORIG" verify || STATUS=1
exit $STATUS
