#!/usr/bin/env bash
# A second PostgreSQL cluster for the tests of logging in with a password and with a client
# certificate (the main cluster trusts every connection, so it cannot tell a right password from a
# wrong one). Called by scripts/test.sh before the tests, and by the tests themselves when the
# cluster is not running; idempotent, and quick when everything is in place already.
#
#   scripts/pg-password-cluster.sh start    # create (first time), configure, start
#   scripts/pg-password-cluster.sh stop
#   scripts/pg-password-cluster.sh drop     # stop and delete it
#
# What it sets up (the tests rely on these names):
#   cluster   strata_pw on 127.0.0.1:5433, TLS on (a self-signed certificate)
#   role      strata_pw_user, password `S3cr:et\pw` (a colon and a backslash, for .pgpass escapes)
#   database  strata_pw, owned by strata_pw_user
#   role      strata_cert: logs in over TLS with the client certificate of
#             crates/strata-postgres/tests/fixtures/tls (the cluster trusts that folder's CA)
# pg_hba: scram-sha-256 for everyone over TCP, except strata_cert (certificate only); the postgres OS
# user keeps peer access over the socket, which is how this script administers the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER=strata_pw
PORT=5433
CA_FIXTURE="$PWD/crates/strata-postgres/tests/fixtures/tls/ca.crt"
AS_POSTGRES="runuser -u postgres --"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; AS_POSTGRES="sudo -u postgres"; fi

fail() { echo "pg-password-cluster.sh: $*" >&2; exit 3; }

command -v pg_createcluster >/dev/null 2>&1 \
  || fail "PostgreSQL's server packages are missing: apt-get install postgresql (scripts/test.sh does)"
PGVER=$(ls /etc/postgresql | sort -V | tail -n 1)
CONF="/etc/postgresql/$PGVER/$CLUSTER"

exists() { [ -f "$CONF/postgresql.conf" ]; }
running() { pg_isready -q -h 127.0.0.1 -p "$PORT"; }

# Writes $2 to $1 (as root) when it differs; returns 0 when it changed.
put() {
  local file=$1 text=$2
  if [ -f "$file" ] && [ "$(cat "$file")" == "$text" ]; then return 1; fi
  printf '%s\n' "$text" | $SUDO tee "$file" >/dev/null
  $SUDO chown postgres:postgres "$file"
  return 0
}

start() {
  # Several test processes may ask at once: one sets up, the others wait and find it done.
  exec 9>/tmp/strata-pg-password-cluster.lock
  flock 9
  if ! exists; then
    echo "pg-password-cluster.sh: creating cluster $PGVER/$CLUSTER on port $PORT" >&2
    $SUDO pg_createcluster "$PGVER" "$CLUSTER" -p "$PORT" -- \
      --auth-host=scram-sha-256 --auth-local=peer >/dev/null
  fi
  local changed=0
  put "$CONF/pg_hba.conf" "# Written by strata's scripts/pg-password-cluster.sh
local   all  postgres                  peer
local   all  all                       scram-sha-256
hostssl all  strata_cert  127.0.0.1/32 cert
hostssl all  strata_cert  ::1/128      cert
host    all  all          127.0.0.1/32 scram-sha-256
host    all  all          ::1/128      scram-sha-256" && changed=1
  if ! cmp -s "$CA_FIXTURE" "$CONF/strata-test-ca.crt"; then
    $SUDO install -o postgres -g postgres -m 0644 "$CA_FIXTURE" "$CONF/strata-test-ca.crt"
    changed=1
  fi
  # The server's own certificate: self-signed, made once (the tests do not verify it).
  if ! $SUDO test -f "$CONF/strata-server.key"; then
    command -v openssl >/dev/null 2>&1 || fail "openssl is missing: apt-get install openssl"
    $SUDO openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 36500 \
      -subj "/CN=localhost" -keyout "$CONF/strata-server.key" -out "$CONF/strata-server.crt" 2>/dev/null
    $SUDO chown postgres:postgres "$CONF/strata-server.key" "$CONF/strata-server.crt"
    $SUDO chmod 0600 "$CONF/strata-server.key"
    changed=1
  fi
  $SUDO mkdir -p "$CONF/conf.d"
  put "$CONF/conf.d/90-strata-test.conf" "listen_addresses = '127.0.0.1'
port = $PORT
ssl = on
ssl_cert_file = '$CONF/strata-server.crt'
ssl_key_file = '$CONF/strata-server.key'
ssl_ca_file = '$CONF/strata-test-ca.crt'
password_encryption = 'scram-sha-256'
autovacuum = off
shared_buffers = 16MB
max_connections = 40" && changed=1

  if ! running; then
    # 9>&-: the server must not inherit (and hold forever) the lock.
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$PGVER" "$CLUSTER" start 9>&- \
      || fail "could not start cluster $PGVER/$CLUSTER; see /var/log/postgresql/postgresql-$PGVER-$CLUSTER.log"
    for _ in $(seq 1 30); do running && break; sleep 0.5; done
    running || fail "cluster $PGVER/$CLUSTER did not come up on 127.0.0.1:$PORT; see /var/log/postgresql/postgresql-$PGVER-$CLUSTER.log"
  elif [ "$changed" -eq 1 ]; then
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$PGVER" "$CLUSTER" reload 9>&-
  fi

  $AS_POSTGRES psql -q -X -v ON_ERROR_STOP=1 -p "$PORT" -d postgres >/dev/null <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'strata_pw_user') THEN
    CREATE ROLE strata_pw_user LOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'strata_cert') THEN
    CREATE ROLE strata_cert LOGIN;
  END IF;
END $$;
ALTER ROLE strata_pw_user PASSWORD 'S3cr:et\pw';
SELECT 'CREATE DATABASE strata_pw OWNER strata_pw_user'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'strata_pw') \gexec
GRANT CREATE ON DATABASE strata_pw TO strata_cert;
SQL
}

case "${1:-}" in
  start) start ;;
  stop) if exists && running; then $SUDO pg_ctlcluster --skip-systemctl-redirect "$PGVER" "$CLUSTER" stop; fi ;;
  drop) if exists; then $SUDO pg_dropcluster --stop "$PGVER" "$CLUSTER"; fi ;;
  *) echo "usage: $0 start|stop|drop" >&2; exit 2 ;;
esac
