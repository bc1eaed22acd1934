#!/usr/bin/env bash
# Fuzzes every Jazzer target of the project for FUZZ_DURATION each (default 10m), one after the other, and
# prints one table: target, duration, executions, coverage, corpus files, findings, result. CI fuzzes each target for 20 s
# (pom.xml, fuzz.duration); this is the long run that bench/RESULTS.md reports.
#
#   bench/fuzz.sh                       # the four targets, 10 minutes each: about 42 minutes
#   FUZZ_DURATION=1m bench/fuzz.sh      # a quick look
#   bench/fuzz.sh fuzz-pdb fuzz-zip     # some of them (the surefire execution ids of pom.xml)
#
# The corpus grows across runs in target/jazzer/.cifuzz-corpus/; a finding (a crash or a hang input) is written by
# Jazzer under target/jazzer/src/test/resources/ and fails the target's run. Everything printed goes to
# bench/results/fuzz-<timestamp>/ as well.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${FUZZ_DURATION:-10m}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz-zip fuzz-nuspec fuzz-pdb fuzz-multipart)
fi
out="bench/results/fuzz-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"

# target id -> test class and method, as pom.xml's executions name them
declare -A method=(
  [fuzz-zip]="io.snupkg.gateway.validation.ValidationFuzzTest/fuzzPackage"
  [fuzz-nuspec]="io.snupkg.gateway.validation.ValidationFuzzTest/fuzzNuspec"
  [fuzz-pdb]="io.snupkg.gateway.validation.ValidationFuzzTest/fuzzPdb"
  [fuzz-multipart]="io.snupkg.gateway.push.MultipartFuzzTest/fuzzMultipart"
)

echo "compiling the tests once" | tee "$out/log.txt"
mvn -B -q test-compile >>"$out/log.txt" 2>&1

corpus_size() { # files in a target's corpus folder
  local dir="target/jazzer/.cifuzz-corpus/$1"
  if [ -d "$dir" ]; then find "$dir" -type f | wc -l; else echo 0; fi
}
findings() { # crash-, timeout- and oom- inputs Jazzer wrote for a target
  local cls=${1%/*} m=${1#*/}
  find target/jazzer -path "*${cls##*.}Inputs/$m/*" \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \
    -o -name 'slow-unit-*' \) 2>/dev/null | wc -l
}

printf '%-16s %-9s %12s %9s %13s %14s %9s %s\n' target duration executions cov/ft corpus_before corpus_after \
  findings result \
  | tee "$out/summary.txt"
status=0
for t in "${targets[@]}"; do
  m=${method[$t]:?unknown target $t (one of ${!method[*]})}
  before=$(corpus_size "$m")
  found_before=$(findings "$m")
  log="$out/$t.log"
  result=PASS
  # surefire:test@id runs that execution alone; redirectTestOutputToFile keeps Jazzer's output in the report folder
  if ! mvn -B -o surefire:test@"$t" -Dfuzz.duration="$duration" >"$log" 2>&1; then
    result=FAIL
    status=1
  fi
  # libFuzzer writes to the JVM's own stderr, which lands in maven's output: "#8555332 DONE cov: 82 ft: 141 ..."
  last=$( (grep -h '^#[0-9]' "$log" || true) | tail -1)
  execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
  cov=$(sed -nE 's/.* cov: ([0-9]+) ft: ([0-9]+).*/\1\/\2/p' <<<"$last")
  after=$(corpus_size "$m")
  found=$(( $(findings "$m") - found_before ))
  [ "$found" -gt 0 ] && result=FAIL && status=1
  printf '%-16s %-9s %12s %9s %13s %14s %9s %s\n' "$t" "$duration" "${execs:-?}" "${cov:-?}" "$before" "$after" \
    "$found" "$result" \
    | tee -a "$out/summary.txt"
done
echo "written to $out" | tee -a "$out/log.txt"
exit $status
