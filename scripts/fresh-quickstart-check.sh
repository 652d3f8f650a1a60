#!/usr/bin/env bash
# Checks the README's first command as a newcomer meets it: a fresh clone of this repository,
# `scripts/quickstart.sh`, then the quickstart database is inspected. Not part of CI (a cold build
# takes minutes). To try it as on a machine with only Rust, remove libclang-dev first
# (`apt-get remove -y libclang-dev`): the quickstart script must install it again by itself.
#
#   scripts/fresh-quickstart-check.sh [CLONE_DIR]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
clone="${1:-$(mktemp -d)/strata}"
git clone -q "$repo" "$clone"
cd "$clone"
started=$(date +%s)
scripts/quickstart.sh | tee quickstart.out
elapsed=$(( $(date +%s) - started ))
db=examples/quickstart/quickstart.db
[ -f "$db" ] || { echo "FAIL: $db was not created" >&2; exit 1; }
current=$(target/debug/strata --config examples/quickstart/strata.toml current)
echo "$current"
echo "$current" | grep -q "20261105090000" || { echo "FAIL: the quickstart database is not at its head" >&2; exit 1; }
target/debug/strata --config examples/quickstart/strata.toml verify
dpkg -s libclang-dev >/dev/null 2>&1 || { echo "FAIL: libclang-dev is not installed after the quickstart" >&2; exit 1; }
echo "OK: fresh clone -> scripts/quickstart.sh -> quickstart database at head, files verified (${elapsed} s, clone at $clone)"
