#!/usr/bin/env bash
# Runs `strata test` on the crates.io (diesel layout) and Harness (maragudk/migrate layout)
# histories of the shared corpus, converted to strata files in a temporary folder, and checks
# that every broken down their MANIFEST.md files list is reported. Then the benchmark of
# docs/benchmarks.md: the stairway against applying, reverting and re-applying the history.
#
#   scripts/test-corpus.sh [CORPUS_DIR]     # default: ../shared/corpus (from the repository root)
#   STRATA=target/release/strata STRATA_TEST_PG_ADMIN_URL=postgres://u:p@host/postgres scripts/test-corpus.sh
#   ROUNDS=5 scripts/test-corpus.sh       # rounds of the benchmark (default 3)
#
# Needs python3 (the conversion) and psql. The corpus is not part of the repository and the
# project's tests never need it; this is a script, not CI.
# Exit 0 when every listed broken down is reported, 1 when one is not, 2 when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

CORPUS=${1:-../shared/corpus}
ADMIN=${STRATA_TEST_PG_ADMIN_URL:-postgres://strata_test:strata_test_pw@127.0.0.1:5432/postgres}
for d in "$CORPUS/cratesio/migrations" "$CORPUS/harness/migrations/postgres"; do
  [ -d "$d" ] || { echo "test-corpus: $d not found (pass the corpus folder)" >&2; exit 2; }
done
if [ -z "${STRATA:-}" ]; then
  cargo build -q -p strata-cli
  STRATA=target/debug/strata
fi
STRATA=$(cd "$(dirname "$STRATA")" && pwd)/$(basename "$STRATA")
WORK=$(mktemp -d)
DBS=()
cleanup() {
  for db in "${DBS[@]}"; do psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true; done
  if [ -n "${KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# A new empty database on the admin URL's server, its URL in $url (not in a subshell, so that
# the cleanup knows it and drops it).
new_db() {
  local name="strata_corpus_$$_$1"
  psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS \"$name\"" -c "CREATE DATABASE \"$name\"" >/dev/null 2>&1
  DBS+=("$name")
  url="${ADMIN%/*}/$name"
}

# The conversion: one strata file per migration, in the tool's own order, each revising the one
# before; an empty (or comment-only) or missing down becomes `-- strata:irreversible`.
python3 - "$CORPUS" "$WORK" <<'PY'
import os, re, sys
corpus, work = sys.argv[1], sys.argv[2]

def meaningful(sql):
    body = re.sub(r'--[^\n]*', '', sql)
    body = re.sub(r'/\*.*?\*/', '', body, flags=re.S)
    return body.strip() != ''

def write(project, items):
    mig = os.path.join(work, project, 'migrations')
    os.makedirs(mig)
    with open(os.path.join(work, project, 'strata.toml'), 'w') as f:
        f.write('migrations_dir = "migrations"\n')
    prev = None
    for rid, name, up, down, notx in items:
        head = [f'-- strata:message {name}']
        if prev:
            head.append(f'-- strata:revises {prev}')
        if notx:
            head.append('-- strata:transaction off')
        if down is None or not meaningful(down):
            why = 'no down file' if down is None else 'the down is empty'
            head.append(f'-- strata:irreversible {why} in the source project')
            text = '\n'.join(head) + '\n\n-- strata:up\n' + up.rstrip() + '\n'
        else:
            text = '\n'.join(head) + '\n\n-- strata:up\n' + up.rstrip() + '\n\n-- strata:down\n' + down.rstrip() + '\n'
        with open(os.path.join(mig, f'{rid}_m.sql'), 'w') as f:
            f.write(text)
        prev = rid

# crates.io: diesel orders by the version with dashes removed.
root = os.path.join(corpus, 'cratesio', 'migrations')
items = []
for d in os.listdir(root):
    p = os.path.join(root, d)
    if not os.path.isdir(p):
        continue
    version = d.split('_', 1)[0].replace('-', '')
    read = lambda n: open(os.path.join(p, n)).read() if os.path.exists(os.path.join(p, n)) else None
    meta = read('metadata.toml') or ''
    notx = 'run_in_transaction = false' in meta
    items.append((version, d, read('up.sql'), read('down.sql'), notx))
items.sort(key=lambda i: i[0])
assert len({i[0] for i in items}) == len(items), 'duplicate diesel versions'
write('cratesio', [('d' + v, n, u, dn, t) for v, n, u, dn, t in items])

# Harness: maragudk/migrate, plain string order of the version (the name without .up.sql; its
# regex also takes NAME_up.sql), and its `migrations(version)` table, made by the tool itself.
root = os.path.join(corpus, 'harness', 'migrations', 'postgres')
ups, downs = {}, {}
for f in os.listdir(root):
    m = re.match(r'^([\w-]+).up\.sql$', f)
    if m:
        ups[m.group(1)] = open(os.path.join(root, f)).read()
    m = re.match(r'^([\w-]+).down\.sql$', f)
    if m:
        downs[m.group(1)] = open(os.path.join(root, f)).read()
items = [('v0000', 'maragudk migrations table', 'CREATE TABLE migrations (version text NOT NULL);', 'DROP TABLE migrations;', False)]
for i, version in enumerate(sorted(ups)):
    items.append((f'v{i + 1:04d}', version, ups[version], downs.get(version), 'concurrently' in ups[version].lower()))
write('harness', items)
PY

STATUS=0
# `expect WHAT FILE NAME`: the case NAME (a prefix) of the JSON report FILE failed in the
# stairway or the data check, or was noted irreversible.
expect() {
  if python3 - "$2" "$3" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
hits = [c for check in report['checks'] if check['check'] in ('stairway', 'data')
        for c in check['cases'] if c['name'].startswith(sys.argv[2])
        and (c['failures'] or any(n.startswith('irreversible') for n in c.get('notes', [])))]
sys.exit(0 if hits else 1)
PY
  then
    echo "  reported: $1"
  else
    echo "  NOT REPORTED: $1"
    STATUS=1
  fi
}

for project in cratesio harness; do
  echo "== $project: $(ls "$WORK/$project/migrations" | wc -l) migrations"
  new_db "${project}_scratch"
  start=$(date +%s.%N)
  set +e
  (cd "$WORK/$project" && "$STRATA" test --url "$url" --only single-head,stairway,data --format json >"$WORK/$project.json" 2>"$WORK/$project.err")
  code=$?
  set -e
  end=$(date +%s.%N)
  echo "  strata test (single-head, stairway, data): exit $code, $(echo "$end - $start" | bc) s"
  # The benchmark: `--only stairway` against applying, reverting and re-applying the history
  # with strata (`upgrade`, `downgrade base`, `upgrade`), in rounds, each in new databases. The
  # revert stops at the first migration that cannot be reverted (near the top in both
  # histories), so the baseline is three times the full upgrade, a revert costing about what
  # an apply does. PostgreSQL's shared catalogs are vacuumed before each round: with autovacuum
  # off (as on the development machines) every round would otherwise run slower than the one
  # before.
  RATIOS=()
  for round in $(seq 1 "${ROUNDS:-3}"); do
    psql -q "$ADMIN" -c "VACUUM pg_catalog.pg_shdepend" -c "VACUUM pg_catalog.pg_database" >/dev/null 2>&1 || true
    new_db "${project}_baseline_$round"
    start=$(date +%s.%N)
    (cd "$WORK/$project" && "$STRATA" --url "$url" -q upgrade >/dev/null 2>&1) || true
    mid=$(date +%s.%N)
    (cd "$WORK/$project" && "$STRATA" --url "$url" -q downgrade base >/dev/null 2>"$WORK/$project.down.err") || true
    reverted_to=$(psql -At "$url" -c "SELECT coalesce(string_agg(revision, ' '), 'base') FROM strata_version")
    mid2=$(date +%s.%N)
    (cd "$WORK/$project" && "$STRATA" --url "$url" -q upgrade >/dev/null 2>&1) || true
    end=$(date +%s.%N)
    UP=$(echo "$mid - $start" | bc)
    new_db "${project}_stair_$round"
    start=$(date +%s.%N)
    set +e
    (cd "$WORK/$project" && "$STRATA" test --url "$url" --only stairway --format json >"$WORK/$project.stair.json" 2>/dev/null)
    set -e
    end2=$(date +%s.%N)
    STAIR=$(echo "$end2 - $start" | bc)
    RATIO=$(echo "scale=2; $STAIR / (3 * $UP)" | bc)
    RATIOS+=("$RATIO")
    echo "  round $round: baseline upgrade $UP s, downgrade base $(echo "$mid2 - $mid" | bc) s (stopped at $reverted_to), upgrade $(echo "$end - $mid2" | bc) s; --only stairway $STAIR s; ratio to 3 x upgrade ${RATIO}x"
  done
  echo "  median ratio: $(printf '%s\n' "${RATIOS[@]}" | sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')x"
  python3 - "$WORK/$project.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
for check in report['checks']:
    failed = [c for c in check['cases'] if c['failures']]
    irreversible = [c for c in check['cases'] if any(n.startswith('irreversible') for n in c.get('notes', []))]
    skipped = [c for c in check['cases'] if c.get('skipped')]
    print(f"  {check['check']}: {len(check['cases'])} cases, {len(failed)} failed, {len(irreversible)} irreversible, {len(skipped)} skipped")
    for c in failed:
        for f in c['failures']:
            print(f"    {c['name']}: {f[:300]}")
    for c in check['cases']:
        for n in c.get('notes', []):
            print(f"    note {c['name']}: {n[:200]}")
PY
done

echo "== what the MANIFEST.md files list"
C="$WORK/cratesio.json"
expect "cratesio 20170318181441 down: missing ;" "$C" "d20170318181441 "
# diesel runs this down in a transaction, where CREATE INDEX CONCURRENTLY fails; strata runs a
# migration with CREATE INDEX CONCURRENTLY outside one, so the down works: the stairway must
# not report it as failing (only the note that the re-added column is now last).
if python3 - "$C" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
cases = [c for check in report['checks'] if check['check'] == 'stairway'
         for c in check['cases'] if c['name'].startswith('d20240412144536 ')]
sys.exit(0 if cases and not any('failed' in f for f in cases[0]['failures']) else 1)
PY
then
  echo "  as expected: cratesio 2024-04-12-144536 down runs (strata runs CREATE INDEX CONCURRENTLY outside a transaction)"
else
  echo "  UNEXPECTED: cratesio 2024-04-12-144536 down failed under strata"
  STATUS=1
fi
expect "cratesio 2024-10-25-112826 down: DROP CONSTRAINT on an index" "$C" "d20241025112826 "
expect "cratesio 2019-11-11-162609 empty down" "$C" "d20191111162609 "
H="$WORK/harness.json"
for v in 0027 0029 0045 0046 0069 0013 0097; do
  name=$(grep -l -- "-- strata:message ${v}_" "$WORK/harness/migrations/"*.sql | head -1)
  id=$(basename "$name" _m.sql)
  expect "harness $v ($id)" "$H" "$id "
done
exit $STATUS
