#!/usr/bin/env bash
# load.sh URL SIZE CONC DURATION
# Upload load by hand (run.sh drives lib/loadgen.py itself): PUTs on CONC keep-alive connections for
# DURATION seconds; prints requests/s, MB/s (10^6 B), latency p50/p90/p99/max, non-2xx, socket errors,
# client and server CPU, server peak RSS, and one "RESULT k=v ..." line.
#   SIZE: bytes or k/m/g (KiB/MiB/GiB): one multipart body of exactly SIZE bytes, sent again and again.
#         Fine for nginx; NOT for the gateway, which answers a byte-identical re-push of a stored snupkg
#         201 without storing it: use SET (SIZE is then ignored, pass -).
# Env:
#   SET=DIR START=0 LIMIT=N WRAP=0|1  distinct valid snupkgs from a BenchPackages set (bench/.cache/sets/*);
#                         each body once from START; the run ends when the set is used up unless WRAP=1.
#                         Their parents must be in the gateway's feed: python3 lib/bodyset.py DIR seed ...
#   HEADER_FILE=FILE      extra request headers, e.g. "X-NuGet-ApiKey: ..." (keeps the key off the command line)
#   MODE=length|chunked   Content-Length (default) or Transfer-Encoding: chunked (SIZE bodies only)
#   ENGINE=auto|wrk|py    auto: wrk up to 16m (1m with SET), the python sendfile engine above
#   SERVER_PIDS="p ..."   also report the server's CPU s, CPU s/GB and peak RSS
#   HEAP_URL=URL          sample a gateway's heap from its /metrics
#   WRK_THREADS TIMEOUT DRAIN=1|0 GUARD_PATH MIN_FREE_GB PRECHECK WAIT_QUIET LABEL RESULTS_JSONL VERBOSE
set -euo pipefail
[[ $# -eq 4 ]] || { awk 'NR>1 && /^#/ {sub(/^# ?/, ""); print; next} NR>1 {exit}' "$0"; exit 2; }
args=(--mode "${MODE:-length}" --engine "${ENGINE:-auto}" --wrk-max "${WRK_MAX:-16m}"
      --threads "${WRK_THREADS:-0}" --timeout "${TIMEOUT:-300}" --chunk "${CHUNK:-64k}"
      --server-pids "${SERVER_PIDS:-}" --guard-path "${GUARD_PATH:-/tmp}"
      --min-free-gb "${MIN_FREE_GB:-10}" --precheck "${PRECHECK:-1}" --wait-quiet "${WAIT_QUIET:-0}"
      --wait-quiet-max "${WAIT_QUIET_MAX:-120}" --label "${LABEL:-}" --jsonl "${RESULTS_JSONL:-}"
      --header-file "${HEADER_FILE:-}" --heap-url "${HEAP_URL:-}")
if [[ -n ${SET:-} ]]; then
  args+=(--set "$SET" --start "${START:-0}")
  [[ -n ${LIMIT:-} ]] && args+=(--limit "$LIMIT")
  [[ ${WRAP:-0} == 1 ]] && args+=(--wrap)
fi
[[ ${DRAIN:-1} == 0 ]] && args+=(--no-drain)
[[ ${VERBOSE:-0} == 1 ]] && args+=(--verbose)
exec python3 "$(dirname "$0")/lib/loadgen.py" "$@" "${args[@]}"
