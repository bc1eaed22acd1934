#!/usr/bin/env bash
# Measures SSQP lookups with N PDBs stored against the same with 100: the index is a path per key, so the time
# per lookup should not grow with N. Usage: bench/ssqp-index.sh [N] (default 100000). Needs target/snupkg-gateway.jar.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"
JAR=target/snupkg-gateway.jar
[ -f "$JAR" ] || { echo "build first: mvn -B package -DskipTests" >&2; exit 1; }
WORK="$(mktemp -d)"; trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT

fill() { # dir count: count PDB entries laid out as the publisher writes them
  python3 - "$1" "$2" <<'PY'
import os, sys, uuid
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    name = "lib%d.pdb" % i
    key = uuid.UUID(int=i + 1).hex + "ffffffff"
    d = os.path.join(root, "ssqp", name, key)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(b"BSJB" + bytes(252))
PY
}

measure() { # count port: median ms of 200 lookups of random stored keys, over one keep-alive connection
  local count=$1 port=$2
  python3 - "$count" "$port" <<'PY'
import http.client, random, statistics, sys, time, uuid
n, port = int(sys.argv[1]), int(sys.argv[2])
conn = http.client.HTTPConnection("127.0.0.1", port)
times = []
for _ in range(200):
    i = random.randrange(n)
    name = "lib%d.pdb" % i
    path = "/download/symbols/%s/%sFFFFFFFF/%s" % (name, uuid.UUID(int=i + 1).hex, name)
    t = time.perf_counter(); conn.request("GET", path); r = conn.getresponse(); r.read()
    times.append((time.perf_counter() - t) * 1000)
    assert r.status == 200, (path, r.status)
print("%.3f" % statistics.median(times))
PY
}

run() { # count port
  local dir="$WORK/$1" port=$2
  mkdir -p "$dir"
  fill "$dir/data" "$1"
  printf 'http:\n  host: 127.0.0.1\n  port: %s\nmanagement:\n  host: 127.0.0.1\n  port: %s\nstorage:\n  path: %s\nauth:\n  file: %s\n' \
    "$port" $((port + 1)) "$dir/data" "$dir/keys.yaml" > "$dir/gateway.yaml"
  java -Xmx256m -jar "$JAR" "$dir/gateway.yaml" > "$dir/gateway.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$((port + 1))/health/ready" >/dev/null && break; sleep 0.2; done
  measure "$1" "$port" > /dev/null # warm-up
  echo "$1 PDBs stored: median $(measure "$1" "$port") ms per lookup"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

run 100 18500
run "$N" 18600
