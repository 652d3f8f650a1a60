#!/usr/bin/env bash
# Lints the crates.io diesel history of the shared corpus (285 migrations) and checks what strata
# must find there: the known-bad downs, the empty downs, the down that does not parse. Then the
# whole history against each migration on its own: `strata lint --all` in the project (read in
# place) must report at least as many findings per rule as the migrations linted one by one (a
# table an earlier migration created is not new for a later one).
#
#   scripts/corpus-check.sh [CORPUS_DIR]      # default: ../shared/corpus (from the repository root)
#   STRATA=target/release/strata scripts/corpus-check.sh
#
# The corpus is not part of the repository and the project's tests never need it.
# Exit 0 when every check holds, 1 when one does not, 2 when the corpus or strata is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

CORPUS=${1:-../shared/corpus}
MIGRATIONS="$CORPUS/cratesio/migrations"
if [ ! -d "$MIGRATIONS" ]; then
  echo "corpus-check: $MIGRATIONS not found (pass the corpus folder as the first argument)" >&2
  exit 2
fi
if [ -z "${STRATA:-}" ]; then
  cargo build -q -p strata-cli
  STRATA=target/debug/strata
fi

OUT=$(mktemp)
ERR=$(mktemp)
ALL=$(mktemp)
ONE=$(mktemp -d)
trap 'rm -rf "$OUT" "$ERR" "$ALL" "$ONE"' EXIT
set +e
# No database: row estimates and applied checksums play no part here.
env -u DATABASE_URL -u GITHUB_ACTIONS "$STRATA" lint --format json "$MIGRATIONS" >"$OUT" 2>"$ERR"
CODE=$?
set -e

# The whole history, as `strata lint --all` in the diesel project (no strata.toml: its
# migrations folder by layout), then each migration folder on its own.
STRATA_ABS=$(cd "$(dirname "$STRATA")" && pwd)/$(basename "$STRATA")
(cd "$CORPUS/cratesio" && env -u DATABASE_URL -u GITHUB_ACTIONS "$STRATA_ABS" lint --all --format json >"$ALL" 2>/dev/null) || true
for m in "$MIGRATIONS"/*/; do
  name=$(basename "$m")
  env -u DATABASE_URL -u GITHUB_ACTIONS "$STRATA" lint --format json "$m" >"$ONE/$name.json" 2>/dev/null || true
done
set -e

python3 - "$OUT" "$CODE" "$ERR" "$ALL" "$ONE" <<'PY'
import json, re, sys
from collections import Counter

out_path, code, err_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    report = json.load(open(out_path))
except ValueError as e:
    sys.stderr.write(open(err_path).read())
    print(f"corpus-check: strata lint did not print JSON ({e})")
    sys.exit(1)
findings = report.get("findings", [])
parse_errors = report.get("parse_errors", [])
problems = []

def migration(path):
    """The migration folder a finding is in (the child of .../cratesio/migrations/)."""
    m = re.search(r"cratesio/migrations/([^/]+)", path)
    return m.group(1) if m else path

# One down does not parse (a missing `;`): bad input, exit 2, but everything else is linted.
if code != 2:
    problems.append(f"exit code {code}, expected 2 (a down.sql does not parse)")
bad_down = [p for p in parse_errors
            if "20170318181441_downloads_need_no_id/down.sql" in p["file"] and p.get("line", 0) == 2]
if not bad_down:
    problems.append("no parse error at line 2 (the statement after the missing semicolon) in 20170318181441_downloads_need_no_id/down.sql; got: "
                    + json.dumps(parse_errors))

# CREATE INDEX CONCURRENTLY in a down that diesel runs in a transaction (no metadata.toml).
if not any(f["rule"] == "concurrently-in-transaction"
           and "2024-04-12-144536_remove-downloads-column/down.sql" in f["file"] for f in findings):
    problems.append("no concurrently-in-transaction finding in 2024-04-12-144536_remove-downloads-column/down.sql")

# Empty downs under ups that change the schema: exactly these (the other empty downs are data-only).
expected_empty = {
    "dumped_migration_12", "dumped_migration_17", "dumped_migration_89",
    "2017-10-06-234455_fix_local_dbs_unique_gh_login", "2019-11-11-162609_drop_email_from_user",
}
def matches(name, expected):
    # dumped migrations are `<timestamp>_dumped_migration_N`
    return name == expected or name.endswith("_" + expected)
found_empty = sorted({migration(f["file"]) for f in findings if f["rule"] == "empty-downgrade"})
missing = [e for e in sorted(expected_empty) if not any(matches(n, e) for n in found_empty)]
extra = [n for n in found_empty if not any(matches(n, e) for e in expected_empty)]
if missing:
    problems.append("empty-downgrade missing for: " + ", ".join(missing))
if extra:
    problems.append("empty-downgrade where not expected: " + ", ".join(extra))

counts = Counter(f["rule"] for f in findings)
print(f"corpus-check: {len(findings)} finding(s), {len(parse_errors)} parse error(s), exit {code}")
for rule, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
    print(f"  {n:5d}  {rule}")
for p in parse_errors:
    print(f"  parse error: {p['file']}:{p['line']}: {p['message']}")
# The whole history against each migration on its own, per rule.
import os
all_path, one_dir = sys.argv[4], sys.argv[5]
history = Counter(f["rule"] for f in json.load(open(all_path)).get("findings", []))
alone = Counter()
for name in sorted(os.listdir(one_dir)):
    try:
        alone.update(f["rule"] for f in json.load(open(os.path.join(one_dir, name))).get("findings", []))
    except ValueError:
        problems.append(f"lint of {name} alone did not print JSON")
# fk-without-index is a design rule about the final schema: the history sees the index that a
# later migration adds, which a migration alone cannot (so fewer there is right).
KNOWS_MORE = {"fk-without-index": "the index is created by another migration of the history"}
print(f"history: --all {sum(history.values())} finding(s), one by one {sum(alone.values())} (per rule: --all / alone)")
for rule in sorted(set(history) | set(alone), key=lambda r: (-alone[r], r)):
    mark = ""
    if history[rule] < alone[rule]:
        mark = f"   (fewer: {KNOWS_MORE[rule]})" if rule in KNOWS_MORE else "   <-- fewer in the history"
    print(f"  {history[rule]:5d} / {alone[rule]:5d}  {rule}{mark}")
    if history[rule] < alone[rule] and rule not in KNOWS_MORE:
        problems.append(f"{rule}: {history[rule]} finding(s) with --all, {alone[rule]} linting each migration alone")

if problems:
    print("corpus-check: FAILED")
    for p in problems:
        print(f"  - {p}")
    sys.exit(1)
print("corpus-check: ok")
PY
