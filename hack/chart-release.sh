#!/usr/bin/env bash
# Package the chart and push it to an OCI registry: `make chart-release CHART_REGISTRY=oci://HOST[:PORT]/PATH`.
#   CHART_REGISTRY  the OCI repository the chart is pushed under (required), e.g. oci://ghcr.io/spark-mr3/charts;
#                   the chart lands at $CHART_REGISTRY/spark-mr3 with its Chart.yaml version as the tag.
#   CHART_DIR       the chart to package (default charts/spark-mr3).
#   HELM            the helm binary (default: the pinned helm 4 of hack/tools.sh, in $SPARKMR3_TOOLS).
#   ORAS            the oras binary that pushes artifacthub-repo.yml (default: oras on PATH; skipped if absent).
# Credentials: log in first with `helm registry login HOST` (helm keeps them in its registry config,
# HELM_REGISTRY_CONFIG). A registry on a loopback address (127.0.0.0/8, ::1, localhost) is spoken to
# over plain HTTP, every other one over HTTPS only.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "chart-release: $*" >&2; exit 1; }

registry=${CHART_REGISTRY:-}
[ -n "$registry" ] || fail "CHART_REGISTRY is not set: name the OCI repository to push to, e.g.
  make chart-release CHART_REGISTRY=oci://127.0.0.1:5000/charts     (a local registry: docker run -p 5000:5000 registry:2)
  make chart-release CHART_REGISTRY=oci://ghcr.io/OWNER/charts      (after helm registry login ghcr.io)"
case $registry in
  oci://*) ;;
  *) fail "CHART_REGISTRY=$registry is not an OCI reference: write oci://HOST[:PORT]/PATH, e.g. oci://127.0.0.1:5000/charts" ;;
esac
registry=${registry%/}
rest=${registry#oci://}
hostport=${rest%%/*}
[ -n "$hostport" ] && [ "$rest" != "$hostport" ] || fail "CHART_REGISTRY=$registry names no repository path after the host: write oci://HOST[:PORT]/PATH, e.g. oci://$hostport/charts"
case $registry in
  */spark-mr3) fail "CHART_REGISTRY=$registry ends in the chart's name: give the repository above it (helm push appends /spark-mr3), e.g. ${registry%/spark-mr3}" ;;
esac

# Host and port, [v6] brackets kept apart; the default port is HTTPS's unless loopback.
if [[ $hostport == \[*\]* ]]; then
  host=${hostport%%]*}; host=${host#[}
  port=${hostport#*]}; port=${port#:}
else
  host=${hostport%%:*}
  port=${hostport#"$host"}; port=${port#:}
fi
plain=()
case $host in
  localhost|127.*|::1) plain=(--plain-http); port=${port:-80} ;;
  *) port=${port:-443} ;;
esac

tools=${SPARKMR3_TOOLS:-}
if [ -z "${HELM:-}" ]; then
  [ -n "$tools" ] || tools=$(hack/tools.sh helm | tail -n1)
  HELM=$tools/helm4
fi
[ -x "$HELM" ] || fail "helm not found at $HELM: build the pinned tools with 'make tools', or set HELM to a helm 3.8+ or 4 binary"

chart=${CHART_DIR:-charts/spark-mr3}
[ -f "$chart/Chart.yaml" ] || fail "CHART_DIR=$chart holds no Chart.yaml: give the chart directory (default charts/spark-mr3)"
version=$(sed -n 's/^version:[[:space:]]*"\{0,1\}\([^"[:space:]]*\)"\{0,1\}[[:space:]]*$/\1/p' "$chart/Chart.yaml")
name=$(sed -n 's/^name:[[:space:]]*\([^[:space:]]*\)[[:space:]]*$/\1/p' "$chart/Chart.yaml")
[ -n "$version" ] && [ -n "$name" ] || fail "$chart/Chart.yaml has no name or version line"

# Reachable before packaging: a TCP connection within 5 seconds.
connect_host=$host
if ! timeout 5 bash -c "exec 3<>/dev/tcp/$connect_host/$port" 2>/dev/null; then
  fail "cannot reach the registry of CHART_REGISTRY=$registry at $host:$port: start it (a local one: docker run -d -p ${port}:5000 registry:2) or fix the host and port in CHART_REGISTRY"
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$HELM" lint --strict "$chart" >/dev/null || { "$HELM" lint --strict "$chart" >&2; fail "helm lint --strict $chart failed: fix the chart before releasing it"; }
"$HELM" package "$chart" --destination "$out" >/dev/null
pkg=$out/$name-$version.tgz
[ -f "$pkg" ] || fail "helm package wrote no $name-$version.tgz in $out"
if ! log=$("$HELM" push "$pkg" "$registry" ${plain[@]+"${plain[@]}"} 2>&1); then
  echo "$log" >&2
  case $log in
    *"server gave HTTP response to HTTPS client"*)
      fail "the registry of CHART_REGISTRY=$registry answers plain HTTP: releases go over HTTPS (plain HTTP only to a loopback registry, 127.0.0.1 or localhost)" ;;
    *401*|*nauthorized*|*denied*)
      fail "the registry of CHART_REGISTRY=$registry refused the push: log in with 'helm registry login $hostport' (or check that your account may push to $registry)" ;;
    *)
      fail "helm push $pkg $registry failed (above)" ;;
  esac
fi
digest=$(printf '%s\n' "$log" | sed -n 's/^Digest:[[:space:]]*//p' | head -n1)
echo "pushed $registry/$name:$version"
echo "digest $digest"
echo "install: helm install RELEASE $registry/$name --version $version"
echo "pinned:  helm install RELEASE $registry/$name@$digest"

# Artifact Hub reads an OCI repository's metadata (artifacthub-repo.yml) from the artifact tagged
# artifacthub.io beside the chart's versions. Helm cannot push that artifact; oras can.
if ! grep -q '^repositoryID:[[:space:]]*[0-9a-f]' artifacthub-repo.yml; then
  echo "artifacthub-repo.yml: not pushed (no repositoryID yet: add the repository on Artifact Hub, then put its ID there)"
elif ! command -v "${ORAS:-oras}" >/dev/null; then
  echo "artifacthub-repo.yml: not pushed (oras not found; set ORAS or run:"
  echo "  oras push ${registry#oci://}/$name:artifacthub.io --config /dev/null:application/vnd.cncf.artifacthub.config.v1+yaml artifacthub-repo.yml:application/vnd.cncf.artifacthub.repository-metadata.layer.v1.yaml)"
else
  "${ORAS:-oras}" push ${plain[@]+"${plain[@]}"} "${registry#oci://}/$name:artifacthub.io" \
    --config /dev/null:application/vnd.cncf.artifacthub.config.v1+yaml \
    artifacthub-repo.yml:application/vnd.cncf.artifacthub.repository-metadata.layer.v1.yaml >/dev/null
  echo "pushed ${registry#oci://}/$name:artifacthub.io (Artifact Hub repository metadata)"
fi
