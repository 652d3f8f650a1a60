#!/usr/bin/env bash
# `strata advise` on MusicBrainz (issue 16's benchmark): loads the schema dump of the shared
# corpus into a fresh database, fills every table with synthetic rows, then runs
# `strata advise -v` with the default sample and time budget and reports the run's time, the
# tables sampled (every one must be, within the default budget) and the time per table.
#
#   scripts/advise-musicbrainz.sh [CORPUS_DIR] [ROWS_PER_TABLE]   # defaults: ../shared/corpus, 5000
#
# Needs psql on PATH and a PostgreSQL superuser URL in STRATA_TEST_PG_ADMIN_URL (the dump needs
# the contrib extensions cube, earthdistance, unaccent and ICU; the synthetic load sets
# session_replication_role = replica so foreign keys and triggers do not fire). Builds the debug
# binary unless STRATA_BIN names one. Exit 1 when a table is left unsampled.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${1:-../shared/corpus}
ROWS=${2:-5000}
DUMP="$CORPUS/musicbrainz-schema/musicbrainz_schema_pg15_dump.sql"
[ -f "$DUMP" ] || { echo "advise-musicbrainz: $DUMP not found" >&2; exit 2; }
admin="${STRATA_TEST_PG_ADMIN_URL:?set STRATA_TEST_PG_ADMIN_URL}"
base="${admin%/*}"
db="strata_advise_mb_$$"
out="$(mktemp -d)"
# KEEP_DB=1 keeps the filled database (its name is printed) for runs of your own.
cleanup() {
  if [ -n "${KEEP_DB:-}" ]; then echo "kept database $db"; else psql "$admin" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; fi
  rm -rf "$out"
}
trap cleanup EXIT

if [ -z "${STRATA_BIN:-}" ]; then
  cargo build -q -p strata-cli
  STRATA_BIN=target/debug/strata
fi

psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
grep -v '^\\\(un\)\?restrict ' "$DUMP" | psql "$base/$db" -q -v ON_ERROR_STOP=1 >/dev/null 2>"$out/load.err"

# Synthetic rows: every column that has no default of its own gets a value of its type built from
# the row number (so keys are unique and *_id values match the ids of the tables they name).
# CHECK constraints are dropped (synthetic values do not follow MusicBrainz's rules); a table whose
# insert still fails (a domain's check) is retried with its nullable columns left NULL, then left
# empty and counted.
start=$(date +%s.%N)
psql "$base/$db" -q -v ON_ERROR_STOP=1 -v rows="$ROWS" > "$out/fill.log" 2>&1 <<'SQL'
SET session_replication_role = replica;
SELECT set_config('advise.rows', :'rows', false) \gset
DO $$
DECLARE r record; c record; cols text; vals text; filled int := 0; empty int := 0; pass int;
BEGIN
  FOR r IN SELECT con.conname, n.nspname, cl.relname FROM pg_constraint con
           JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
           WHERE con.contype = 'c' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' LOOP
    EXECUTE format('ALTER TABLE %I.%I DROP CONSTRAINT %I', r.nspname, r.relname, r.conname);
  END LOOP;
  FOR r IN SELECT cl.oid, n.nspname, cl.relname FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
           WHERE cl.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = cl.oid AND d.deptype = 'e')
           ORDER BY 2, 3 LOOP
    FOR pass IN 1..2 LOOP
      cols := NULL; vals := NULL;
      FOR c IN SELECT a.attname, a.attnotnull, format_type(a.atttypid, a.atttypmod) AS ty, t.typcategory AS cat,
                      coalesce(bt.typname, t.typname) AS base, t.oid AS typ
               FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
               LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
               WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity = ''
                 AND a.attgenerated = '' AND ad.adbin IS NULL AND (pass = 1 OR a.attnotnull)
               ORDER BY a.attnum LOOP
        cols := concat_ws(', ', cols, quote_ident(c.attname));
        vals := concat_ws(', ', vals, CASE
          WHEN c.base = 'int2' THEN format('(g %% 30000)::%s', c.ty)
          WHEN c.cat = 'N' THEN format('g::%s', c.ty)
          WHEN c.cat = 'S' THEN format('(%L || g)::%s', left(c.attname, 3), c.ty)
          WHEN c.cat = 'D' AND c.base IN ('time', 'timetz') THEN format('(time ''00:00'' + g * interval ''1 second'')::%s', c.ty)
          WHEN c.cat = 'D' THEN format('(timestamp ''2020-01-01'' + g * interval ''1 minute'')::%s', c.ty)
          WHEN c.cat = 'B' THEN format('(g %% 2 = 0)::%s', c.ty)
          WHEN c.cat = 'T' THEN format('(g * interval ''1 second'')::%s', c.ty)
          WHEN c.cat = 'E' THEN format('(enum_range(NULL::%1$s))[1 + g %% array_length(enum_range(NULL::%1$s), 1)]', c.ty)
          WHEN c.base = 'uuid' THEN format('md5(g::text)::uuid::%s', c.ty)
          WHEN c.base IN ('json', 'jsonb') THEN format('json_build_object(''id'', g, ''name'', ''n'' || g)::%s', c.ty)
          WHEN c.base = 'bytea' THEN format('decode(md5(g::text), ''hex'')::%s', c.ty)
          WHEN c.base = 'tsvector' THEN format('to_tsvector(''simple'', ''w'' || g)::%s', c.ty)
          WHEN c.base = 'inet' THEN format('(''10.0.0.0''::inet + g)::%s', c.ty)
          WHEN c.cat = 'A' THEN format('''{}''::%s', c.ty)
          ELSE format('NULL::%s', c.ty) END);
      END LOOP;
      BEGIN
        IF cols IS NULL THEN
          EXECUTE format('INSERT INTO %I.%I SELECT FROM generate_series(1, %s) g', r.nspname, r.relname, current_setting('advise.rows'));
        ELSE
          EXECUTE format('INSERT INTO %I.%I (%s) SELECT %s FROM generate_series(1, %s) g', r.nspname, r.relname, cols, vals, current_setting('advise.rows'));
        END IF;
        filled := filled + 1;
        EXIT;
      EXCEPTION WHEN others THEN
        IF pass = 2 THEN
          empty := empty + 1;
          RAISE NOTICE 'left empty: %.%: %', r.nspname, r.relname, SQLERRM;
        END IF;
      END;
    END LOOP;
  END LOOP;
  RAISE NOTICE 'filled % tables, % left empty', filled, empty;
END $$;
ANALYZE;
SQL
fill_s=$(echo "$(date +%s.%N) - $start" | bc)
grep -h "filled\|left empty" "$out/fill.log" | sed 's/^psql:[^ ]* NOTICE: */  /' | tail -20

rc=0
t0=$(date +%s.%N)
(cd "$out" && "$OLDPWD/$STRATA_BIN" --url "$base/$db" advise -v --format json > findings.json 2> advise.err) || rc=$?
elapsed=$(echo "$(date +%s.%N) - $t0" | bc)
[ "$rc" -le 1 ] || { cat "$out/advise.err" >&2; exit "$rc"; }

python3 - "$out" "$elapsed" "$fill_s" "$ROWS" <<'PY'
import json, re, statistics, sys
out, elapsed, fill, rows = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
err = open(f"{out}/advise.err").read()
sampled = [(t, int(n), int(ms)) for n, t, ms in re.findall(r"sampled (\d+) rows of (\S+) in (\d+) ms", err)]
total = re.search(r"gathered (\d+) tables in (\d+) ms", err)
checks = re.search(r"findings from (\d+) checks in (\d+) ms", err)
findings = json.load(open(f"{out}/findings.json"))["findings"]
by_rule = {}
for f in findings:
    by_rule[f["rule"]] = by_rule.get(f["rule"], 0) + 1
ms = [m for _, _, m in sampled]
print(f"synthetic load: {rows} rows per table in {fill:.1f} s")
print(f"strata advise (whole process, default --sample 2000 --budget 60s): {elapsed:.2f} s")
print(f"tables: {total.group(1)}, sampled: {len(sampled)}, gathering (catalog + samples + key probes): {total.group(2)} ms")
print(f"checks: {checks.group(1)} in {checks.group(2)} ms")
print(f"rows sampled: {sum(n for _, n, _ in sampled):,} (per table: min {min(n for _, n, _ in sampled)}, max {max(n for _, n, _ in sampled)})")
print(f"time per table: median {statistics.median(ms)} ms, p90 {sorted(ms)[int(len(ms) * 0.9)]} ms, max {max(ms)} ms")
slow = sorted(sampled, key=lambda s: -s[2])[:5]
print("slowest: " + ", ".join(f"{t} {m} ms ({n} rows)" for t, n, m in slow))
print(f"findings: {len(findings)}: " + ", ".join(f"{r} {n}" for r, n in sorted(by_rule.items(), key=lambda x: -x[1])))
if "ran out before" in err:
    print("NOT COVERED: " + [l for l in err.splitlines() if "ran out" in l][0])
    sys.exit(1)
PY
