#!/usr/bin/env bash
# Runs strata's whole test suite on a Debian machine that has only Rust: installs what is missing
# (PostgreSQL, libclang for the parser crate), starts the cluster, creates the test role, starts the
# second cluster that checks passwords (scripts/pg-password-cluster.sh), then runs every test
# against the real PostgreSQL and real SQLite files.
#
#   scripts/test.sh            # everything
#   scripts/test.sh -p strata-graph    # extra arguments go to the test runner
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
AS_POSTGRES="runuser -u postgres --"
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; AS_POSTGRES="sudo -u postgres"; fi

# 1. System packages, only when missing.
need=()
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
dpkg -s libclang-dev >/dev/null 2>&1 || need+=(libclang-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# 2. The PostgreSQL cluster, started when it is not running.
PGVER=$(ls /etc/postgresql | sort -V | tail -n 1)
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "test.sh: starting PostgreSQL $PGVER"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$PGVER" main start || true
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 || { echo "test.sh: PostgreSQL did not start on 127.0.0.1:5432; see /var/log/postgresql/" >&2; exit 3; }

# 3. The test role (a superuser local to this cluster, with a password so it works under the
#    default scram-sha-256 rules of a fresh install as well as under trust).
$AS_POSTGRES psql -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'strata_test') THEN
    CREATE ROLE strata_test LOGIN SUPERUSER PASSWORD 'strata_test_pw';
  END IF;
END $$;
SQL
export STRATA_TEST_PG_ADMIN_URL="${STRATA_TEST_PG_ADMIN_URL:-postgres://strata_test:strata_test_pw@127.0.0.1:5432/postgres}"

# 4. A second cluster that checks passwords and client certificates (the main one trusts every
#    connection), for the tests of libpq's environment: PGPASSWORD, .pgpass, service files.
scripts/pg-password-cluster.sh start

# 5. The tests.
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -q -- -D warnings
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi
