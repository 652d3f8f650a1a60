#!/usr/bin/env bash
# Squawk conformance: runs squawk's own rule test cases (read from a squawk checkout) through the
# squawk binary and strata, and reports per shared rule how often they agree.
#
#   scripts/squawk-conformance.sh SQUAWK_CHECKOUT [--details FILE]
#   STRATA=target/release/strata SQUAWK=/path/to/squawk scripts/squawk-conformance.sh ../squawk
#
# squawk: `pip install squawk-cli`. The checkout is read in place; nothing of it is copied here.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || [ ! -d "$1/crates/squawk_linter/src/rules" ]; then
  echo "usage: scripts/squawk-conformance.sh SQUAWK_CHECKOUT [--details FILE]" >&2
  exit 2
fi
CHECKOUT=$1
shift
if [ -z "${STRATA:-}" ]; then
  cargo build -q --release -p strata-cli
  STRATA=target/release/strata
fi
SQUAWK=${SQUAWK:-$(command -v squawk || true)}
if [ -z "$SQUAWK" ]; then
  echo "squawk-conformance: squawk not found; install it with \`pip install squawk-cli\`" >&2
  exit 2
fi
exec python3 scripts/squawk-conformance.py "$CHECKOUT" --strata "$STRATA" --squawk "$SQUAWK" "$@"
