#!/usr/bin/env bash
# The test command: start the PostgreSQL and Redis servers the tests need (when installed), then pytest.
# Without them the PostgreSQL and Celery halves of the suite are skipped, each saying why.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v pg_lsclusters >/dev/null && command -v redis-server >/dev/null; then
  eval "$(bash scripts/services.sh)"
else
  echo "test.sh: PostgreSQL or Redis is not installed (scripts/setup.sh installs both): their tests will be skipped" >&2
fi
exec .venv/bin/python -m pytest -q "$@"
