#!/usr/bin/env bash
# Run the test suite on SQLite, then on MariaDB (127.0.0.1:3306, root, no password); arguments go to each pytest run
# (``make test`` passes the coverage options, so each run prints coverage and fails below the floor).
# Without a reachable MariaDB it says so and stops after SQLite, except under CI=true, where MariaDB is required.
set -u
PY=${PY:-.venv/bin/python}
status=0

echo "=== Test suite on SQLite ==="
GRADE_FREEZE_TEST_DB=sqlite "$PY" -m pytest "$@" || status=1

if "$PY" tests/mariadb_check.py; then
  echo "=== Test suite on MariaDB ==="
  GRADE_FREEZE_TEST_DB=mysql "$PY" -m pytest "$@" || status=1
elif [ "${CI:-}" = "true" ]; then
  echo "MariaDB is required under CI=true but is not reachable at 127.0.0.1:3306: failing." >&2
  status=1
else
  echo "NOTE: MariaDB is not reachable at 127.0.0.1:3306 (user root, no password): ran the suite on SQLite only." >&2
fi
exit $status
