#!/usr/bin/env bash
# Every test of the project, in stages. `make test` runs `hack/test.sh all`.
#   hack/test.sh [all|lint|unit|e2e]
# The e2e stage starts its own local cluster in .cluster-test/ (stopped at the end), unless
# SPARKMR3_KUBECONFIG names a running one.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
start=$(date +%s)
step() { printf '\n==> %s (%ss)\n' "$*" "$(( $(date +%s) - start ))"; }

# Each stage builds only the tools it runs (built once, then cached by version): unit needs
# none, lint needs helm, ct and helm-docs, e2e needs everything.
tools() {
  step "tools: $* (built once, then cached by version)"
  bin=$(hack/tools.sh "$@" | tail -n1)
  export SPARKMR3_TOOLS=$bin
  cache=$(dirname "$bin")
  # ct runs `helm` and `kubectl` from PATH: give it the pinned ones.
  mkdir -p "$cache/path"
  ln -sfn "$bin/helm3" "$cache/path/helm"
  ln -sfn "$bin/kubectl" "$cache/path/kubectl"
  export PATH="$cache/path:$PATH"
}

lint() {
  tools helm ct helmdocs yamllint
  step "gofmt"
  bad=$(gofmt -l $(git ls-files '*.go' | grep -v '^test/cluster/tools/') 2>&1 || true)
  if [ -n "$bad" ]; then echo "gofmt would change these files (run gofmt -w):"; echo "$bad"; exit 1; fi
  step "go vet"
  go vet ./...
  step "helm lint --strict (helm 3 and helm 4)"
  "$bin/helm3" lint --strict charts/spark-mr3
  "$bin/helm4" lint --strict charts/spark-mr3
  for f in charts/spark-mr3/ci/*-values.yaml; do
    [ -e "$f" ] || continue
    "$bin/helm3" lint --strict charts/spark-mr3 -f "$f" >/dev/null || { echo "helm lint failed with $f"; "$bin/helm3" lint --strict charts/spark-mr3 -f "$f"; exit 1; }
  done
  step "chart README up to date (helm-docs: the Values table from values.yaml's \`# --\` comments)"
  # The template (README.md.gotmpl) fails on a key without a `# --` comment or not in camelCase;
  # helm-docs then logs why and prints a partial README, so the comparison fails too.
  if ! "$bin/helm-docs" --chart-search-root charts --sort-values-order file --dry-run --log-level warning \
      | diff -u charts/spark-mr3/README.md -; then
    echo "charts/spark-mr3/README.md is stale (or helm-docs logged an error above): edit values.yaml or"
    echo "charts/spark-mr3/README.md.gotmpl, not README.md, then run"
    echo "  \"$bin/helm-docs\" --chart-search-root charts --sort-values-order file"
    echo "and commit charts/spark-mr3/README.md"
    exit 1
  fi
  step "ct lint (yamllint, chart schema off: yamale is not packaged)"
  "$bin/ct" lint --config ct.yaml --all --validate-chart-schema=false --validate-maintainers=false \
    --lint-conf "$cache/ct-etc/lintconf.yaml" --chart-yaml-schema "$cache/ct-etc/chart_schema.yaml"
}

unit() {
  step "unit tests (go test -short)"
  go test -short -count=1 ./...
}

e2e() {
  tools all
  if [ -z "${SPARKMR3_KUBECONFIG:-}" ]; then
    step "local cluster"
    go run ./test/cluster/cmd/localcluster up --dir .cluster-test
    trap 'go run ./test/cluster/cmd/localcluster down --dir .cluster-test' EXIT
    export SPARKMR3_KUBECONFIG=$PWD/.cluster-test/kubeconfig
  fi
  step "e2e tests on the real cluster"
  go test -count=1 -timeout 25m -p 1 ./test/e2e/...
  step "ct install on the real cluster"
  KUBECONFIG=$SPARKMR3_KUBECONFIG "$bin/ct" install --config ct.yaml --all --helm-extra-args "--timeout 180s"
}

case $what in
  all) lint; unit; e2e ;;
  lint) lint ;;
  unit) unit ;;
  e2e) e2e ;;
  *) echo "unknown stage '$what': use all, lint, unit or e2e" >&2; exit 2 ;;
esac
step "all green"
