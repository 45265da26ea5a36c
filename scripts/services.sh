#!/usr/bin/env bash
# Start the servers the tests use on 127.0.0.1, from Debian's packages (scripts/setup.sh installs them):
# PostgreSQL (the cluster Debian made, with a role `archiver` that may create databases) and Redis.
# Prints the environment the tests read:  eval "$(bash scripts/services.sh)"
set -euo pipefail
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$ver main" || as_root pg_createcluster "$ver" main >/dev/null
port=$(pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main" {print $3}')
pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main" {print $4}' | grep -q online \
  || as_root pg_ctlcluster "$ver" main start >&2
for _ in $(seq 30); do as_postgres pg_isready -q -p "$port" && break; sleep 0.5; done
as_postgres psql -p "$port" -qtAc "SELECT 1 FROM pg_roles WHERE rolname = 'archiver'" | grep -q 1 \
  || as_postgres psql -p "$port" -qc "CREATE ROLE archiver LOGIN PASSWORD 'archiver' CREATEDB" >&2
# The tests drop their databases WITH (FORCE), which may have to end an autovacuum worker in them.
as_postgres psql -p "$port" -q -c "SET client_min_messages = warning" -c "GRANT pg_signal_backend TO archiver" >&2

redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 \
  || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no >&2
for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done

echo "export ARCHIVER_TEST_PG=postgresql+psycopg://archiver:archiver@127.0.0.1:$port/postgres"
echo "export ARCHIVER_TEST_REDIS=redis://127.0.0.1:6379/15"
