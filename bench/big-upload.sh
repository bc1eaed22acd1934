#!/usr/bin/env bash
# Streams one big snupkg through the gateway with the real client under a small heap and reports peak heap
# and RSS: proof that bodies are streamed, not buffered.
#   usage: bench/big-upload.sh [SIZE_MIB=512] [XMX=64m]
# Needs: target/snupkg-gateway.jar (mvn -B package), scripts/test-tools.sh (mono + nuget.exe), python3.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SIZE_MIB="${1:-512}"; XMX="${2:-64m}"
NUGET="mono $ROOT/.cache/test-tools/node_modules/nuget-exe/nuget-5.8.0.exe"
WORK="$(mktemp -d)"; trap 'kill "$GW" 2>/dev/null || true; rm -rf "$WORK"' EXIT
cd "$WORK"

# A package pair; the snupkg's PDB entry is stored (not deflated) and padded with random data to SIZE_MIB. Its
# PDB matches no DLL (the nupkg's is a stub), so publishing fails afterwards: the push is what is measured.
python3 - "$SIZE_MIB" <<'PY'
import os, struct, sys, uuid, zipfile
size = int(sys.argv[1]) << 20
nuspec = lambda sym: ('<?xml version="1.0" encoding="utf-8"?><package xmlns="http://schemas.microsoft.com/packaging/2010/07/nuspec.xsd"><metadata><id>Bench.Big</id><version>1.0.0</version>'
    + ('<description>big</description><packageTypes><packageType name="SymbolsPackage" /></packageTypes>' if sym else '<authors>bench</authors><description>big</description>')
    + '</metadata></package>')
with zipfile.ZipFile('Bench.Big.1.0.0.nupkg', 'w') as z:
    z.writestr('Bench.Big.nuspec', nuspec(False)); z.writestr('lib/net45/Bench.Big.dll', b'MZ')
with zipfile.ZipFile('Bench.Big.1.0.0.snupkg', 'w', zipfile.ZIP_STORED, allowZip64=True) as z:
    z.writestr('Bench.Big.nuspec', nuspec(True))
    with z.open('lib/net45/Bench.Big.pdb', 'w', force_zip64=True) as f:
        # A portable PDB's metadata root (BSJB, version string, one stream header) and its #Pdb stream (id,
        # entry point, table mask), as the gateway's validation reads them; random bytes pad it to SIZE_MIB.
        root = b'BSJB' + struct.pack('<HHII', 1, 1, 0, 12) + b'PDB v1.0'.ljust(12, b'\0') + struct.pack('<HH', 0, 1)
        header_len = len(root) + 8 + 8
        f.write(root + struct.pack('<II', header_len, 32) + b'#Pdb'.ljust(8, b'\0'))
        f.write(uuid.uuid4().bytes_le + struct.pack('<IIQ', 1, 0, 0))
        chunk = os.urandom(1 << 20)
        for _ in range(size >> 20):
            f.write(chunk)
PY

mkdir conf
# The PDB is one entry of SIZE_MIB: the validation budgets (64 MiB per entry by default) are raised with the limit.
SNUPKG_HTTP_PORT=18080 SNUPKG_MANAGEMENT_PORT=19090 SNUPKG_LIMITS_MAX_SYMBOL_PACKAGE_SIZE=2GiB \
  SNUPKG_VALIDATION_MAX_ENTRY_SIZE=2GiB SNUPKG_VALIDATION_MAX_TOTAL_SIZE=2GiB \
  SNUPKG_VALIDATION_TIMEOUT=5m java -Xmx"$XMX" -jar "$ROOT/target/snupkg-gateway.jar" > gateway.log 2>&1 &
GW=$!
for _ in $(seq 100); do curl -sf localhost:19090/health/ready >/dev/null && break; sleep 0.2; done
KEY="$(sed -n 's/^ *API key: //p' gateway.log)"
idle_rss=$(awk '/VmRSS/{print $2}' /proc/$GW/status)

peak_heap=0; peak_rss=0
sample() {
  local used rss
  used=$(jcmd "$GW" GC.heap_info 2>/dev/null | awk '/garbage-first heap|def new generation|total .* used/ {for(i=1;i<=NF;i++) if($i=="used"){v=$(i+1); sub("K,?","",v); print v; exit}}')
  rss=$(awk '/VmHWM/{print $2}' /proc/$GW/status)
  [ -n "$used" ] && [ "$used" -gt "$peak_heap" ] && peak_heap=$used
  [ -n "$rss" ] && peak_rss=$rss
}
$NUGET push Bench.Big.1.0.0.nupkg -Source http://127.0.0.1:18080/v3/index.json -ApiKey "$KEY" -NonInteractive -NoSymbols > push-nupkg.txt 2>&1
start=$(date +%s.%N)
$NUGET push Bench.Big.1.0.0.snupkg -Source http://127.0.0.1:18080/v3/index.json -ApiKey "$KEY" -NonInteractive -Timeout 600 > push.txt 2>&1 &
PUSH=$!
while kill -0 $PUSH 2>/dev/null; do sample; sleep 0.5; done
end=$(date +%s.%N)
sample
grep -E 'Created|does not indicate|pushed' push.txt || true
stored=$(find data/symbols -name '*.snupkg' -printf '%s\n' 2>/dev/null | head -1)
echo "snupkg:        $(stat -c%s Bench.Big.1.0.0.snupkg) bytes; stored: ${stored:-none} bytes"
echo "push time:     $(echo "$end - $start" | bc) s"
echo "heap:          -Xmx$XMX, peak used ${peak_heap} KiB (jcmd GC.heap_info, sampled every 0.5 s)"
echo "RSS:           idle ${idle_rss} KiB, peak ${peak_rss} KiB (VmHWM)"
