#!/usr/bin/env bash
# Runs every fuzz target of the project for FUZZTIME each (default 2m) and fails on any crash.
#   FUZZTIME=30s hack/fuzz.sh            # `make fuzz` runs this
#   FUZZTIME=10m hack/fuzz.sh FuzzRun    # only the targets named
# Each target runs alone: go test -run '^$' -fuzz '^Name$' -fuzztime $FUZZTIME PKG. A crash
# leaves its input under PKG/testdata/fuzz/Name/ (commit it: it becomes a regression test).
#
# -fuzzminimizetime defaults to 0s here: with Go's default (60s) a worker that finds new
# coverage first minimizes the input, and for our multi-KB manifest seeds that takes the whole
# minute while the progress line shows "execs: 7 (0/sec)" (it looked like FuzzRun stalled
# because its binary links helm and kustomize; it was minimization). Crashing inputs are still
# written out, just not shrunk; set FUZZMINIMIZETIME=30s to shrink them.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-2m}
minimize=${FUZZMINIMIZETIME:-0s}
targets=(
  ./plugin/manifest:FuzzRead
  ./plugin/manifest:FuzzAppendYAML
  ./plugin/manifest:FuzzFastParse
  ./plugin/mr3conf:FuzzParseSite
  ./plugin/mr3conf:FuzzParseSparkDefaults
  ./plugin/mr3conf:FuzzParseHostAliases
  ./plugin/mr3conf:FuzzSourceEnvSh
  ./plugin/postrender:FuzzRun
  ./plugin/postrender:FuzzNativeOverlay
)
# Every Fuzz function in the module must be in the list above, so none is silently skipped.
for f in $(git grep -h -o '^func Fuzz[A-Za-z0-9_]*' -- '*_test.go' | sed 's/^func //'); do
  found=0
  for t in "${targets[@]}"; do [ "${t#*:}" = "$f" ] && found=1; done
  if [ $found = 0 ]; then echo "fuzz target $f is not listed in hack/fuzz.sh" >&2; exit 1; fi
done
only=("$@")
timer=()
[ -x /usr/bin/time ] && timer=(/usr/bin/time -v)
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
failed=0
printf '%-36s %-10s %12s %10s %12s %s\n' TARGET FUZZTIME EXECS EXECS/S PEAK_RSS_MB RESULT
for t in "${targets[@]}"; do
  pkg=${t%%:*} name=${t#*:}
  if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " == *" $name "* ]]; then continue; fi
  # Build first so the fuzz time is spent fuzzing (and the build's memory is not counted).
  go test -c -o /dev/null "$pkg" >/dev/null
  out=$log/$name.log
  rc=0
  "${timer[@]}" go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" "$pkg" >"$out" 2>&1 || rc=$?
  last=$(grep '^fuzz: elapsed' "$out" | tail -n1 || true)
  execs=$(sed -n 's/.*execs: \([0-9]*\).*/\1/p' <<<"$last")
  secs=$(sed -n 's/^fuzz: elapsed: \([0-9hms]*\),.*/\1/p' <<<"$last")
  rate=""
  if [ -n "$execs" ] && [ -n "$secs" ]; then
    s=$(sed 's/h/*3600+/; s/m/*60+/; s/s//; s/+$//' <<<"$secs" | bc 2>/dev/null || echo 0)
    [ "${s:-0}" != 0 ] && rate=$(( execs / s ))
  fi
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\)/\1/p' "$out")
  rssmb=""
  [ -n "$rss" ] && rssmb=$(( rss / 1024 ))
  result=ok
  if [ $rc -ne 0 ]; then
    result=FAIL
    failed=1
  fi
  printf '%-36s %-10s %12s %10s %12s %s\n' "$name" "$fuzztime" "${execs:-?}" "${rate:-?}" "${rssmb:-?}" "$result"
  if [ $rc -ne 0 ]; then
    grep -v '^fuzz: elapsed' "$out" | grep -v '^\s*\(Command being timed\|User time\|System time\|Percent\|Elapsed\|Average\|Maximum\|Major\|Minor\|Voluntary\|Involuntary\|Swaps\|File system\|Socket\|Signals\|Page size\|Exit status\)' >&2
  fi
done
if [ $failed -ne 0 ]; then
  echo "fuzz: a target crashed (its input is under the package's testdata/fuzz/)" >&2
  exit 1
fi
echo "fuzz: no crashes"
