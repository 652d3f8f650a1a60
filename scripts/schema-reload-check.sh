#!/usr/bin/env bash
# Issue 4's reload check ("the SQL re-creates an identical model"): for the MusicBrainz
# dump and the cratesio and harness schemas of the shared corpus, load each into a fresh database
# with psql, introspect it, render the model as SQL, load that into another fresh database,
# introspect again, and compare the two models. pg_dump --schema-only of both databases is
# compared too, as a second opinion that knows nothing of strata's model.
#
#   scripts/schema-reload-check.sh [CORPUS_DIR]          # default: ../shared/corpus
#   scripts/schema-reload-check.sh [CORPUS_DIR] --bench  # also: inspect vs pg_dump (release build)
#
# Needs psql and pg_dump on PATH and a PostgreSQL server (STRATA_TEST_PG_ADMIN_URL, default
# postgres://postgres@127.0.0.1:5432/postgres) with the contrib extensions cube, earthdistance,
# unaccent, ltree, btree_gin... and ICU (the MusicBrainz dump needs them).
# Exit 0 when every schema reloads equal, 1 when one differs or fails, 2 when the corpus is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

CORPUS=${1:-../shared/corpus}
BENCH=${2:-}
DUMPS=(
  "$CORPUS/musicbrainz-schema/musicbrainz_schema_pg15_dump.sql"
  "$CORPUS/schemas-derived/cratesio_schema_pg15.sql"
  "$CORPUS/schemas-derived/harness_schema_pg15.sql"
)
for dump in "${DUMPS[@]}"; do
  if [ ! -f "$dump" ]; then
    echo "schema-reload-check: $dump not found (pass the corpus folder as the first argument)" >&2
    exit 2
  fi
done

if [ "$BENCH" = "--bench" ]; then
  cargo build -q --release -p strata-bench
  BIN=target/release/strata-bench
else
  cargo build -q -p strata-bench
  BIN=target/debug/strata-bench
fi

# Prints, per schema: what was introspected, whether pg_dump of both databases is identical, and
# `result: equal` or the first differences. Exits 1 when any schema differs.
"$BIN" inspect-reload "${DUMPS[@]}"

if [ "$BENCH" = "--bench" ]; then
  echo
  "$BIN" inspect "${DUMPS[0]}" --rounds "${ROUNDS:-11}"
fi
