#!/usr/bin/env bash
# Runs every test: installs what the end-to-end tests need (scripts/test-tools.sh), runs `mvn -B verify`, and
# fails if Vert.x reported an exception that escaped a handler, or if its blocked-thread checker warned about an
# event loop (nothing may block one; a worker over its time limit is a test's business: ValidationTimeoutTest
# provokes one on purpose).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-tools.sh
mkdir -p .cache
log=.cache/test-run.log
mvn -B verify 2>&1 | tee "$log"
if grep -E "eventloop[^]]*\] has been blocked for [0-9]+ ms" "$log"; then
  echo "FAIL: the Vert.x blocked-thread checker warned during the tests (see above)" >&2
  exit 1
fi
# An exception that escapes a handler is logged by Vert.x and otherwise invisible to the tests.
if grep -E "Unhandled exception|Caught unexpected Throwable" "$log"; then
  echo "FAIL: an exception escaped a handler during the tests (see the log above)" >&2
  exit 1
fi
echo "test.sh: all tests passed; no blocked event loop, no unhandled exception"
