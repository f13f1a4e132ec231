#!/usr/bin/env bash
# Builds every tool the tests and the demo need, from pinned versions on the Go module proxy
# (yamllint from Debian), into a cache outside the work tree keyed by version, so a second run
# on the same machine builds nothing. Prints the bin directory on the last line of stdout.
#
#   hack/tools.sh [all|cluster|helm|ct|helmdocs|yamllint]...
#
# SPARKMR3_CACHE overrides the cache root (default: ${XDG_CACHE_HOME:-~/.cache}/spark-mr3).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

cache=${SPARKMR3_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spark-mr3}
bin="$cache/bin"
mkdir -p "$bin"
tools="$root/test/cluster/tools"
ldk="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)"

say() { echo "tools: $*" >&2; }
need_go() { command -v go >/dev/null || { say "go is not on PATH: install Go 1.26 or newer (https://go.dev/dl) and retry"; exit 3; }; }

# link NAME VERSIONED: point the unversioned name at the current version.
link() { ln -sfn "$2" "$bin/$1"; }

# have NAME-VERSION: true when the cached binary exists and runs.
have() { [ -x "$bin/$1" ]; }

build_k8s() {
  local missing=0 c
  for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do have "$c-$KUBERNETES_VERSION" || missing=1; done
  if [ $missing = 1 ]; then
    say "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl $KUBERNETES_VERSION (cold: ~8 min on 2 cores)"
    local out; out=$(mktemp -d "$cache/build.XXXXXX")
    (cd "$tools/k8s" && go build -trimpath -ldflags "$ldk" -o "$out/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
    for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do mv "$out/$c" "$bin/$c-$KUBERNETES_VERSION"; done
    rm -rf "$out"
  fi
  for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do link "$c" "$c-$KUBERNETES_VERSION"; done
}

build_etcd() {
  if ! have "etcd-$ETCD_VERSION"; then
    say "building etcd $ETCD_VERSION (cold: ~1 min)"
    (cd "$tools/etcd" && go build -trimpath -o "$bin/etcd-$ETCD_VERSION.tmp" go.etcd.io/etcd/server/v3)
    mv "$bin/etcd-$ETCD_VERSION.tmp" "$bin/etcd-$ETCD_VERSION"
  fi
  link etcd "etcd-$ETCD_VERSION"
}

build_kwok() {
  # kwok is built from its module source with test/cluster/tools/kwok-exec.patch applied
  # (stdin EOF and exit codes on exec; see docs/TEST-CLUSTER.md). The patch hash is part of
  # the cache key, so changing the patch rebuilds.
  local sum; sum=$(sha256sum "$tools/kwok-exec.patch" | cut -c1-12)
  local name="kwok-$KWOK_VERSION-$sum"
  if ! have "$name"; then
    say "building kwok $KWOK_VERSION with kwok-exec.patch (cold: ~2 min)"
    local src; src=$(cd /tmp && go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    [ -d "$src" ] || { say "could not download sigs.k8s.io/kwok@$KWOK_VERSION from the Go module proxy"; exit 3; }
    local work="$cache/src/kwok-$KWOK_VERSION-$sum"
    rm -rf "$work"; mkdir -p "$(dirname "$work")"; cp -r "$src" "$work"; chmod -R u+w "$work"
    (cd "$work" && patch -s -p1 < "$tools/kwok-exec.patch")
    (cd "$work" && go build -trimpath -o "$bin/$name.tmp" ./cmd/kwok)
    mv "$bin/$name.tmp" "$bin/$name"
    rm -rf "$work"
  fi
  link kwok "$name"
  # The pod/node lifecycle Stage documents that kwok ships in its module (kustomize/stage/), and
  # the CRDs of the Logs and PortForward objects kwok reads from the API (kustomize/crd/bases/;
  # test/cluster installs them before kwok starts). A cache made before a file was added to this
  # list gets the missing ones on the next run.
  local f missing=0
  for f in node-initialize.yaml node-heartbeat-with-lease.yaml pod-ready.yaml pod-complete.yaml pod-delete.yaml \
           kwok.x-k8s.io_logs.yaml kwok.x-k8s.io_portforwards.yaml; do
    [ -f "$bin/kwok-stages-$KWOK_VERSION/$f" ] || missing=1
  done
  if [ $missing = 1 ]; then
    local src; src=$(cd /tmp && go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    [ -d "$src" ] || { say "could not download sigs.k8s.io/kwok@$KWOK_VERSION from the Go module proxy"; exit 3; }
    mkdir -p "$bin/kwok-stages-$KWOK_VERSION"
    cp "$src/kustomize/stage/node/fast/node-initialize.yaml" \
       "$src/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
       "$src/kustomize/stage/pod/fast/pod-ready.yaml" "$src/kustomize/stage/pod/fast/pod-complete.yaml" \
       "$src/kustomize/stage/pod/fast/pod-delete.yaml" \
       "$src/kustomize/crd/bases/kwok.x-k8s.io_logs.yaml" "$src/kustomize/crd/bases/kwok.x-k8s.io_portforwards.yaml" \
       "$bin/kwok-stages-$KWOK_VERSION/"
    chmod u+w "$bin/kwok-stages-$KWOK_VERSION/"*
  fi
  ln -sfn "kwok-stages-$KWOK_VERSION" "$bin/kwok-stages"
}

build_helm() {
  local major=$1 version=$2
  if ! have "helm-$version"; then
    say "building helm $version (cold: ~2 min)"
    local gobin; gobin=$(mktemp -d "$cache/build.XXXXXX")
    (cd /tmp && GOBIN="$gobin" go install -trimpath \
      -ldflags "-X helm.sh/helm/v$major/internal/version.version=$version" \
      "helm.sh/helm/v$major/cmd/helm@$version")
    mv "$gobin/helm" "$bin/helm-$version"; rm -rf "$gobin"
  fi
  link "helm$major" "helm-$version"
}

build_ct() {
  if ! have "ct-$CT_VERSION"; then
    say "building chart-testing (ct) $CT_VERSION (cold: ~30 s)"
    (cd "$tools/ct" && go build -trimpath -o "$bin/ct-$CT_VERSION.tmp" github.com/helm/chart-testing/v3/ct)
    mv "$bin/ct-$CT_VERSION.tmp" "$bin/ct-$CT_VERSION"
  fi
  link ct "ct-$CT_VERSION"
  # ct lint needs its lintconf.yaml and chart_schema.yaml from the module's etc/ folder.
  local etc; etc=$(cd "$tools/ct" && go list -m -f '{{.Dir}}' github.com/helm/chart-testing/v3)/etc
  mkdir -p "$cache/ct-etc"; cp -f "$etc"/*.yaml "$cache/ct-etc/"; chmod u+w "$cache/ct-etc/"*
}

build_helmdocs() {
  # helm-docs writes charts/spark-mr3/README.md's Values table from values.yaml's `# --` comments.
  if ! have "helm-docs-$HELMDOCS_VERSION"; then
    say "building helm-docs $HELMDOCS_VERSION (cold: ~30 s)"
    local gobin; gobin=$(mktemp -d "$cache/build.XXXXXX")
    (cd /tmp && GOBIN="$gobin" go install -trimpath -ldflags "-X main.version=${HELMDOCS_VERSION#v}" \
      "github.com/norwoodj/helm-docs/cmd/helm-docs@$HELMDOCS_VERSION")
    mv "$gobin/helm-docs" "$bin/helm-docs-$HELMDOCS_VERSION"; rm -rf "$gobin"
  fi
  link helm-docs "helm-docs-$HELMDOCS_VERSION"
}

install_yamllint() {
  command -v yamllint >/dev/null && return 0
  say "installing yamllint from Debian"
  if [ "$(id -u)" = 0 ]; then
    (apt-get install -y -q yamllint >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q yamllint >/dev/null; })
  elif command -v sudo >/dev/null; then
    sudo apt-get install -y -q yamllint >/dev/null
  fi
  command -v yamllint >/dev/null || { say "yamllint is missing and could not be installed: run 'apt-get install yamllint'"; exit 3; }
}

need_go
[ $# -gt 0 ] || set -- all
for what in "$@"; do
  case $what in
    all) build_etcd; build_k8s; build_kwok; build_helm 3 "$HELM3_VERSION"; build_helm 4 "$HELM4_VERSION"; build_ct; build_helmdocs; install_yamllint ;;
    cluster) build_etcd; build_k8s; build_kwok ;;
    helm) build_helm 3 "$HELM3_VERSION"; build_helm 4 "$HELM4_VERSION" ;;
    ct) build_ct ;;
    helmdocs) build_helmdocs ;;
    yamllint) install_yamllint ;;
    *) say "unknown tool set '$what': use all, cluster, helm, ct, helmdocs or yamllint"; exit 2 ;;
  esac
done
echo "$bin"
