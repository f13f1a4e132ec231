#!/usr/bin/env sh
# Builds bin/helm-sparkmr3, the plugin's one binary (every verb, helm's post-renderer included),
# from this source tree with the local Go toolchain. Run by helm's plugin install/update hooks
# (HELM_PLUGIN_DIR is this tree) and by the demo and tests.
set -eu
cd "$(dirname "$0")/.."
if ! command -v go >/dev/null 2>&1; then
  echo "helm-sparkmr3: the Go toolchain (1.26 or newer) is needed to build the plugin: install it from https://go.dev/dl and run 'helm plugin update sparkmr3'" >&2
  exit 1
fi
version=$(sed -n 's/^version: *//p' plugin.yaml)
echo "helm-sparkmr3: building v$version with $(go version | cut -d' ' -f3) (first build downloads Go modules: a few minutes)" >&2
mkdir -p bin
go build -trimpath -ldflags "-s -w -X github.com/spark-mr3/spark-mr3/plugin/cli.Version=v$version" -o bin/ ./cmd/helm-sparkmr3
echo "helm-sparkmr3: built bin/helm-sparkmr3" >&2
