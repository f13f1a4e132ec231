#!/usr/bin/env bash
# Packages both Helm plugins with Helm 4's own plugin tooling (`helm plugin package`), signed:
# one package per OS/CPU, each carrying the prebuilt helm-sparkmr3 binary for it, so that the
# provenance signature covers the binary that runs and the install needs no Go, no network and
# no hook. Output (VERSION from plugin.yaml):
#   DEST/OS-ARCH/sparkmr3-VERSION.tgz(.prov)             the CLI plugin (legacy manifest)
#   DEST/OS-ARCH/sparkmr3-postrender-VERSION.tgz(.prov)  the postrenderer/v1 plugin (Helm 4 only)
# Helm 4 names the file NAME-VERSION.tgz and checks that name against the .prov, so platforms
# are told apart by folder, not by file name. Install (Helm 4):
#   helm plugin install DEST/linux-amd64/sparkmr3-VERSION.tgz --keyring PUBRING
#
# usage: hack/plugin-package.sh --keyring SECRING --key NAME [--passphrase-file FILE]
#                               [--dest DIR] [--platforms "linux/amd64 darwin/arm64 …"|host]
#   --dest       output folder (default dist/helm4)
#   --platforms  default: the release platforms of make dist (hack/plugin-build.sh's platforms=)
# env:   HELM (default: helm on PATH) must be Helm 4; GO (default: go).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd -P)

die() { echo "plugin-package: $*" >&2; exit 1; }

keyring="" key="" passphrase="" dest="dist/helm4"
# Default: the release platforms (the platforms= line of hack/plugin-build.sh, as make dist).
platforms=$(sed -n 's/^platforms="\(.*\)"$/\1/p' hack/plugin-build.sh)
[ -n "$platforms" ] || platforms="linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64"
while [ $# -gt 0 ]; do
  case "$1" in
    --keyring|--key|--passphrase-file|--dest|--platforms)
      [ $# -ge 2 ] || die "$1 needs a value: see hack/plugin-package.sh --help" ;;
  esac
  case "$1" in
    --keyring) keyring=${2:-}; shift 2 ;;
    --key) key=${2:-}; shift 2 ;;
    --passphrase-file) passphrase=${2:-}; shift 2 ;;
    --dest) dest=${2:-}; shift 2 ;;
    --platforms) platforms=${2:-}; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument \"$1\": see hack/plugin-package.sh --help" ;;
  esac
done

helm=${HELM:-helm}
go=${GO:-go}
[ -n "$keyring" ] || die "--keyring is empty: name the OpenPGP keyring holding the signing key's secret part (e.g. gpg --export-secret-keys NAME > secring.gpg)"
[ -f "$keyring" ] || die "--keyring \"$keyring\": no such file"
[ -n "$key" ] || die "--key is empty: name the signing key (a part of its user ID, e.g. its e-mail address)"
[ -z "$passphrase" ] || [ -f "$passphrase" ] || die "--passphrase-file \"$passphrase\": no such file"
command -v "$helm" >/dev/null 2>&1 || die "HELM=\"$helm\": not found; set HELM to a Helm 4 binary"
hv=$("$helm" version --template '{{.Version}}' 2>/dev/null || true)
case "$hv" in
  v4.*) ;;
  *) die "HELM=\"$helm\" is Helm \"${hv:-unknown}\": \`helm plugin package\` needs Helm 4; set HELM to a Helm 4 binary" ;;
esac
command -v "$go" >/dev/null 2>&1 || die "GO=\"$go\": not found; the Go toolchain (1.26+) builds the binaries"
[ "$platforms" != host ] || platforms="$("$go" env GOOS)/$("$go" env GOARCH)"

version=$(sed -n 's/^version: *//p' plugin.yaml | tr -d '"')
prversion=$(sed -n 's/^version: *//p' plugins/sparkmr3-postrender/plugin.yaml | tr -d '"')
[ -n "$version" ] || die "plugin.yaml has no version"
[ "$version" = "$prversion" ] || die "plugin.yaml is version $version but plugins/sparkmr3-postrender/plugin.yaml is $prversion: make them equal"

case "$keyring" in /*) ;; *) keyring="$root/$keyring" ;; esac
case "$passphrase" in ""|/*) ;; *) passphrase="$root/$passphrase" ;; esac
mkdir -p "$dest"
dest=$(cd "$dest" && pwd -P)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# manifest SRC EXE BLOCK: SRC without its leading comment, without the hook block named BLOCK
# (nothing to build: the binary is in the package), the command's binary named EXE.
manifest() {
  awk -v exe="$2" -v block="$3" '
    head && /^#/ { next }
    { head = 0 }
    skip && (/^[[:space:]]*$/ || match($0, /^ */) && RLENGTH > indent) { next }
    { skip = 0 }
    $0 ~ "^ *" block ":" { skip = 1; match($0, /^ */); indent = RLENGTH; next }
    { gsub(/bin\/helm-sparkmr3"/, "bin/" exe "\""); print }
  ' head=1 "$1"
}

for p in $platforms; do
  os=${p%/*} arch=${p#*/}
  [ -n "$os" ] && [ -n "$arch" ] && [ "$os" != "$p" ] || die "--platforms: \"$p\" is not OS/ARCH (e.g. linux/amd64)"
done

# sign_args DIR: `helm plugin package` of DIR into OUT, signed.
sign_args() {
  args=(plugin package "$1" --destination "$2" --keyring "$keyring" --key "$key")
  [ -z "$passphrase" ] || args+=(--passphrase-file "$passphrase")
}
# The key first, on an empty plugin: a wrong key, keyring or passphrase fails before any build.
mkdir -p "$stage/keycheck"
printf 'name: keycheck\nversion: %s\nusage: key check\ncommand: "true"\n' "$version" >"$stage/keycheck/plugin.yaml"
sign_args "$stage/keycheck" "$stage/keycheck-out"
if ! "$helm" "${args[@]}" >"$stage/keycheck.log" 2>&1; then
  cat "$stage/keycheck.log" >&2
  die "cannot sign with --key \"$key\" from --keyring \"$keyring\" (helm's message above): give the keyring holding that key's SECRET part (gpg --export-secret-keys), the passphrase file if it has one; nothing was built"
fi

for p in $platforms; do
  os=${p%/*} arch=${p#*/}
  exe=helm-sparkmr3
  [ "$os" != windows ] || exe=helm-sparkmr3.exe
  out="$dest/$os-$arch"
  cli="$stage/$os-$arch/sparkmr3" pr="$stage/$os-$arch/sparkmr3-postrender"
  mkdir -p "$cli/bin" "$pr/bin"
  echo "plugin-package: building $exe v$version for $os/$arch" >&2
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch "$go" build -trimpath \
    -ldflags "-s -w -X github.com/spark-mr3/spark-mr3/plugin/cli.Version=v$version" \
    -o "$cli/bin/$exe" ./cmd/helm-sparkmr3 || die "go build for $os/$arch failed (above): nothing of $os/$arch was written"
  cp "$cli/bin/$exe" "$pr/bin/$exe"
  {
    echo "# helm sparkmr3 $version for $os/$arch, packaged by hack/plugin-package.sh: the binary is"
    echo "# prebuilt (bin/), so there is no install hook. Helm 3 and Helm 4 (as cli/v1) load this manifest."
    manifest plugin.yaml "$exe" hooks
  } >"$cli/plugin.yaml"
  cp completion.yaml "$cli/"
  if [ "$os" != windows ]; then cp plugin.complete "$cli/"; fi
  {
    echo "# The Helm 4 postrenderer/v1 plugin $version for $os/$arch, packaged by hack/plugin-package.sh"
    echo "# with the prebuilt binary (bin/). Helm 4 only: Helm 3 cannot read this manifest."
    manifest plugins/sparkmr3-postrender/plugin.yaml "$exe" platformHooks
  } >"$pr/plugin.yaml"
  if grep -Eq '^ *(hooks|platformHooks):' "$cli/plugin.yaml" "$pr/plugin.yaml"; then
    die "a packaged manifest still has a hook block (the manifests' layout changed?): fix manifest() in $0"
  fi
  mkdir -p "$out"
  for d in "$cli" "$pr"; do
    rm -f "$out/$(basename "$d")-$version.tgz" "$out/$(basename "$d")-$version.tgz.prov"
    sign_args "$d" "$out"
    "$helm" "${args[@]}" >&2 || die "helm plugin package $(basename "$d") for $os/$arch failed (above); nothing of it is left in $out"
  done
done
echo "plugin-package: signed packages for: $platforms in $dest" >&2
