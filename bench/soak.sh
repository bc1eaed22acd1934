#!/usr/bin/env bash
# bench/soak.sh        30 minutes of mixed load on one gateway; heap after GC, RSS and open files every 10 s
#
# The load (bench/lib/soak.py): valid pushes of distinct 64 KiB snupkgs, refused pushes (401, 403, 404, 413),
# aborted uploads (FIN and RST), SSQP and snupkg downloads, scrapes and readiness probes, about 60 operations a
# second from 8 threads. None of the three measures may trend upward; the table, samples.csv and the plot
# (soak.svg) go to bench/results/soak-<timestamp>/. Exit status 1 if one does, or if any answer was a 5xx or wrong.
#   SOAK_MINUTES=5 bench/soak.sh            a shorter look
#   SOAK_RATE=120 SOAK_WORKERS=16 ...       more load;  SOAK_SAMPLE=5  sample more often
set -euo pipefail
BENCH="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$BENCH")"
cd "$ROOT"
missing=""
command -v python3 >/dev/null || missing="$missing python3"
command -v jcmd >/dev/null || missing="$missing openjdk-17-jdk-headless"
jar=target/snupkg-gateway.jar
gen=target/test-classes/io/snupkg/gateway/bench/BenchPackages.class
if [ ! -f "$jar" ] || [ ! -f "$gen" ] || [ -n "$(find src pom.xml -newer "$jar" -type f -print -quit)" ]; then
  command -v mvn >/dev/null || missing="$missing maven"
  build=1
fi
if [ -n "$missing" ]; then
  # shellcheck disable=SC2086
  "$ROOT/scripts/debian-install.sh" $missing
fi
if [ -n "${build:-}" ]; then
  echo "soak: building (mvn -B -q package -DskipTests)"
  mvn -B -q package -DskipTests
  touch "$jar"
fi
stamp="soak-$(date -u +%Y%m%dT%H%M%SZ)"
export SOAK_STAMP="$stamp"
cleanup() { # the driver stops its gateway; this is the backstop if it dies hard
  local pids="$BENCH/run/$stamp/pids" pid what
  [ -f "$pids" ] || return 0
  while read -r pid what; do
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "$ROOT/target"; then
      kill "$pid" 2>/dev/null || true
    fi
  done < "$pids"
}
trap cleanup EXIT
python3 "$BENCH/lib/soak.py"
