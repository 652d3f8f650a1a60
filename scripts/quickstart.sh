#!/usr/bin/env bash
# strata's main job on the embedded default, on a Debian machine that has only Rust: builds
# strata (installing the one system package the build needs when it is missing), then applies the
# quickstart project's migrations — six, with a branch and its merge — to a SQLite file and shows
# the result. No database server is needed.
#
#   scripts/quickstart.sh             # build, upgrade, show the history
#   scripts/quickstart.sh downgrade -1  # any other strata command, on the quickstart project
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# The build compiles PostgreSQL's own SQL parser (for `strata lint`), whose bindings need libclang;
# the SQLite engine and the parser are C code, so a C compiler too.
need=()
dpkg -s libclang-dev >/dev/null 2>&1 || need+=(libclang-dev)
command -v cc >/dev/null 2>&1 || need+=(gcc)
if [ ${#need[@]} -gt 0 ]; then
  echo "quickstart: the build needs ${need[*]} (Debian packages); installing them with apt-get"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
  echo "quickstart: installed ${need[*]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "quickstart: cargo is not on PATH; install Rust from https://rustup.rs first" >&2
  exit 2
fi

echo "quickstart: building strata (the first build takes a few minutes)"
cargo build -q -p strata-cli
strata=target/debug/strata
config=examples/quickstart/strata.toml

if [ $# -gt 0 ]; then
  exec "$strata" --config "$config" "$@"
fi

echo "quickstart: applying the quickstart migrations to examples/quickstart/quickstart.db"
"$strata" --config "$config" upgrade
echo
"$strata" --config "$config" history
echo
echo "quickstart: done. Try: scripts/quickstart.sh log | downgrade -1 | graph | lint --all | check"
