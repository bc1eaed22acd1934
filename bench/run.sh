#!/usr/bin/env bash
# bench/run.sh [B1 B2 B3 B4 B5 B6 B7]   run the benchmark (default: B1..B7), about 21 minutes
# bench/run.sh B8 B3s                    the shared backend (S3Proxy + PostgreSQL), only when named: about 18 minutes
# bench/run.sh purge                     delete the data of earlier runs for good (see README: trap 1)
#
# One command for issue 8: installs what is missing (Debian nginx-full, wrk, python3, a JDK and maven),
# builds the jar and the test classes if the sources are newer, generates the body sets (cached in
# bench/.cache/sets), starts nginx and the gateway, runs the scenarios and prints one table. Raw results go
# to bench/results/<timestamp>/; servers' data and logs (with API keys) to bench/run/<timestamp>/.
# B8 and B3s also start S3Proxy (its jar from Maven, like the tests) and PostgreSQL (Debian's postgresql).
# Shorter: DURATION=3 ROUNDS=1 WARMUP=2 bench/run.sh B1.  All settings: bench/README.md.
set -euo pipefail
BENCH="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$BENCH")"
cd "$ROOT"

if [ "${1:-}" = purge ]; then
  # Deleting tens of thousands of files makes file creation on this kind of filesystem slow for minutes
  # afterwards (ext4 without a journal: recently deleted inodes are scanned): never right before a run.
  if [ -d "$BENCH/run" ]; then
    echo "purge: deleting $BENCH/run ($(du -sh "$BENCH/run" | cut -f1)); wait ~6 minutes before the next run"
    rm -rf "$BENCH/run"
  fi
  exit 0
fi

# --- tools: Debian packages only, installed when missing (like scripts/test-tools.sh does for mono)
missing=""
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
# the dav module (PUT to disk) is in nginx-full (and -extras), not in nginx-light
if [ ! -x "$nginx_bin" ] || ! "$nginx_bin" -V 2>&1 | grep -q http_dav_module; then missing="$missing nginx-full"; fi
command -v wrk >/dev/null || missing="$missing wrk"
command -v python3 >/dev/null || missing="$missing python3"
command -v java >/dev/null || missing="$missing openjdk-17-jdk-headless"
# B8 and B3s (storage.type s3): PostgreSQL and S3Proxy, as the tests run them
shared=""
for a in "$@"; do case "${a^^}" in B8|B3S) shared=1 ;; esac; done
if [ -n "$shared" ] && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then missing="$missing postgresql"; fi
s3proxy=target/test-servers/s3proxy.jar
jar=target/snupkg-gateway.jar
gen=target/test-classes/io/snupkg/gateway/bench/BenchPackages.class
stale=""
if [ ! -f "$jar" ] || [ ! -f "$gen" ] || [ -n "$(find src pom.xml -newer "$jar" -type f -print -quit)" ]; then
  stale=1
fi
if [ -n "$stale" ] || { [ -n "$shared" ] && [ ! -f "$s3proxy" ]; }; then
  command -v mvn >/dev/null || missing="$missing maven"
fi
if [ -n "$missing" ]; then
  echo "bench: installing$missing from Debian"
  # shellcheck disable=SC2086
  "$ROOT/scripts/debian-install.sh" $missing
  # (on a machine that starts services, the package also starts the system nginx on port 80; the bench
  # runs its own instances on their own ports and leaves that one alone)
fi

# --- build: the jar and the test classes (BenchPackages writes the body sets), when missing or stale
if [ -n "$stale" ]; then
  echo "bench: building (mvn -B -q package -DskipTests)"
  mvn -B -q package -DskipTests
  touch "$jar"  # the jar may be unchanged when only test sources changed: mark it built
fi
if [ -n "$shared" ] && [ ! -f "$s3proxy" ]; then
  # the build's own execution (pom.xml, process-test-resources), which -DskipTests skips
  echo "bench: fetching S3Proxy (mvn -B -q dependency:copy@test-servers)"
  mvn -B -q dependency:copy@test-servers
fi

# --- run; the python driver stops everything it started, this trap is the backstop if it dies hard
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
export BENCH_STAMP="$stamp"
cleanup() {
  local pids="$BENCH/run/$stamp/pids" pid what
  if [ -f "$pids" ]; then
    while read -r pid what; do
      # only a process that is still the one we started (pids are reused)
      if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "$BENCH\|$ROOT/target"; then
        echo "bench: stopping leftover $what (pid $pid)"
        kill "$pid" 2>/dev/null || true
      fi
    done < "$pids"
  fi
  local pg="$BENCH/run/$stamp/shared/postgres"
  if [ -f "$pg/data/postmaster.pid" ]; then
    echo "bench: stopping leftover PostgreSQL ($pg)"
    local as=()
    [ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
    "${as[@]}" "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pg_ctl" -D "$pg/data" -m fast -w stop \
      >/dev/null 2>&1 || true
  fi
  if [ -d "$BENCH/run/$stamp/nginx" ]; then
    "$BENCH/nginx-peer.sh" stop "${BASE_PORT:-18280}" "$BENCH/run/$stamp/nginx" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
python3 "$BENCH/lib/run.py" "$@"
