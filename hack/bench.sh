#!/usr/bin/env bash
# make bench: helm sparkmr3 next to kubectl, helm 3 and helm 4 on one local cluster, in one run;
# prints the tables of docs/PERFORMANCE.md with PASS/MISS per target. Never part of make test.
#   SPARKMR3_KUBECONFIG=…       use a running cluster instead of starting one in .cluster-bench/
#   SPARKMR3_BENCH_ONLY=P1,P3   run some parts only (P1…P7)
#   SPARKMR3_BENCH_TRIALS=30    P1 rounds (one trial per tool in each)
#   SPARKMR3_BENCH_REPORT=FILE  also write the report to FILE
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(hack/tools.sh all | tail -n1)
export SPARKMR3_TOOLS=$bin
work=$(mktemp -d)
started=""
cleanup() {
  rm -rf "$work"
  if [ -n "$started" ]; then go run ./test/cluster/cmd/localcluster down --dir .cluster-bench; fi
}
trap cleanup EXIT
if [ -z "${SPARKMR3_KUBECONFIG:-}" ]; then
  echo "==> local cluster in .cluster-bench/"
  started=1
  go run ./test/cluster/cmd/localcluster up --dir .cluster-bench
  export SPARKMR3_KUBECONFIG=$PWD/.cluster-bench/kubeconfig
fi
echo "==> build helm-sparkmr3"
go build -o "$work/" ./cmd/helm-sparkmr3
export SPARKMR3_BENCH=1 SPARKMR3_BENCH_PLUGIN=$work/helm-sparkmr3
echo "==> benchmarks (several minutes; load from other work on this machine shows up as noise)"
go test ./bench -run '^TestReport$' -count=1 -timeout 90m -v 2>&1 | grep -v -E '^=== RUN'
echo "==> done"
