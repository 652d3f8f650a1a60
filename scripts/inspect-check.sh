#!/usr/bin/env bash
# Issue 11's inspect check ("every file strata writes, strata accepts"): for the MusicBrainz dump
# and the cratesio and harness schemas of the shared corpus (read in place, never copied into the
# repository), load each into a fresh database with psql, then in a temporary project:
#
#   1. `strata inspect --format sql > schema/app.sql`;
#   2. `strata diff --exit-code URL schema`: exit 0 (the file re-creates the live schema);
#   3. `strata revision --autogenerate`, then `strata check`: exit 0 (the file as `schema/`);
#   4. a `CREATE TABLE` appended to the file: `strata check` exits 1 and names the table.
#
#   scripts/inspect-check.sh [CORPUS_DIR]    # default: ../shared/corpus
#
# Needs psql on PATH and a PostgreSQL server (STRATA_TEST_PG_ADMIN_URL, default
# postgres://postgres@127.0.0.1:5432/postgres; the role creates databases) with the contrib
# extensions the dumps use (cube, earthdistance, unaccent, ltree, btree_gin, ...) and ICU.
# Exit 0 when every schema passes, 1 when one fails, 2 when the corpus is missing.
set -uo pipefail
cd "$(dirname "$0")/.."

CORPUS=${1:-../shared/corpus}
ADMIN=${STRATA_TEST_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
NAMES=(musicbrainz cratesio harness)
DUMPS=(
  "$CORPUS/musicbrainz-schema/musicbrainz_schema_pg15_dump.sql"
  "$CORPUS/schemas-derived/cratesio_schema_pg15.sql"
  "$CORPUS/schemas-derived/harness_schema_pg15.sql"
)
for dump in "${DUMPS[@]}"; do
  if [ ! -f "$dump" ]; then
    echo "inspect-check: $dump not found (pass the corpus folder as the first argument)" >&2
    exit 2
  fi
done

cargo build -q -p strata-cli || exit 1
BIN=$PWD/target/debug/strata
WORK=$(mktemp -d)
DBS=()
cleanup() {
  for db in "${DBS[@]}"; do
    psql -X -q "$ADMIN" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# The URL of database $1 on the admin URL's server.
db_url() {
  local base=${ADMIN%/*}
  local query=""
  case "$ADMIN" in *\?*) query="?${ADMIN#*\?}" ;; esac
  echo "$base/$1$query"
}

failed=0
for i in "${!NAMES[@]}"; do
  name=${NAMES[$i]}
  dump=${DUMPS[$i]}
  db="strata_inspect_check_${name}_$$"
  DBS+=("$db")
  url=$(db_url "$db")
  project="$WORK/$name"
  mkdir -p "$project/migrations" "$project/schema"
  printf 'migrations_dir = "migrations"\n\n[env.development]\nurl = "%s"\n' "$url" >"$project/strata.toml"
  fail() {
    echo "$name: FAILED: $1 (output in $project/out.txt)"
    cat "$project/out.txt" | tail -20
    failed=1
  }
  start=$(date +%s)
  psql -X -q "$ADMIN" -c "CREATE DATABASE \"$db\"" >/dev/null || { fail "create database"; continue; }
  # pg_dump 15.18 writes \restrict / \unrestrict lines: psql meta-commands, not SQL.
  if ! grep -v -E '^\\(un)?restrict ' "$dump" | psql -X -q -v ON_ERROR_STOP=1 "$url" >"$project/out.txt" 2>&1; then
    fail "loading $dump"
    continue
  fi
  (
    cd "$project" || exit 1
    "$BIN" --no-color inspect --format sql >schema/app.sql 2>out.txt || exit 11
    "$BIN" --no-color diff --exit-code "$url" schema >out.txt 2>&1 || exit 12
    "$BIN" --no-color revision --autogenerate -m "from inspect" >out.txt 2>&1 || exit 13
    "$BIN" --no-color check >out.txt 2>&1 || exit 14
    printf '\nCREATE TABLE public.strata_inspect_check_added (id bigint PRIMARY KEY);\n' >>schema/app.sql
    "$BIN" --no-color check >out.txt 2>&1
    code=$?
    [ "$code" = 1 ] || exit 15
    grep -q 'strata_inspect_check_added' out.txt || exit 16
    exit 0
  )
  step=$?
  took=$(($(date +%s) - start))
  case $step in
    0) echo "$name: ok: inspect --format sql re-creates the schema (diff empty), check exits 0 on it, 1 naming an appended table (${took}s)" ;;
    11) fail "inspect --format sql" ;;
    12) fail "diff --exit-code URL schema/ is not empty" ;;
    13) fail "revision --autogenerate" ;;
    14) fail "check on the inspected schema did not exit 0" ;;
    15) fail "check after appending a table did not exit 1" ;;
    16) fail "check after appending a table did not name it" ;;
    *) fail "step $step" ;;
  esac
done
exit $failed
