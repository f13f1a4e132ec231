#!/usr/bin/env sh
# Installs bin/helm-sparkmr3, the plugin's one binary (every verb, helm's post-renderer included).
# Run by helm's plugin install/update hooks (HELM_PLUGIN_DIR is this folder) and by the demo and
# tests:
#   1. the release archive for this OS and CPU, downloaded from
#      $SPARKMR3_RELEASE_URL/v<version>/ (default: the project's GitHub releases; <version> is
#      plugin.yaml's), its sha256 checked against the release's checksums file: no Go needed;
#   2. otherwise built from this source tree with the local Go toolchain, but ONLY when there is
#      no archive for this platform, the release location has no such version (HTTP 404), or
#      SPARKMR3_RELEASE_URL=none (contributors, tests: nothing is downloaded but Go modules).
# A checksum mismatch, a checksums file without this platform's archive, an archive that cannot
# be downloaded or unpacked, or a release location that cannot be reached FAIL, naming what was
# wrong: a tampered or broken download is never papered over by a source build. Nothing is
# half-installed: everything is made in a temporary folder here, then moved into bin/.
#   hack/plugin-build.sh                 what the hooks run (above)
#   hack/plugin-build.sh --build-to DIR  only build from source into DIR, for $GOOS/$GOARCH
#                                        (hack/dist.sh)
set -eu

# The platforms release archives are built for (hack/dist.sh reads this line).
platforms="linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64"
default_release_url=https://github.com/spark-mr3/spark-mr3/releases/download

say() { echo "helm-sparkmr3: $*" >&2; }
fail() {
  say "$*"
  exit 1
}
build_to=""
if [ "${1:-}" = --build-to ] && [ $# -eq 2 ]; then
  mkdir -p "$2"
  build_to=$(cd "$2" && pwd)
elif [ $# -ne 0 ]; then
  fail "unknown arguments '$*': run hack/plugin-build.sh with none (the hooks) or with --build-to DIR"
fi
cd "$(dirname "$0")/.."
version=$(sed -n 's/^version: *//p' plugin.yaml | tr -d "\"' \r")
[ -n "$version" ] || fail "plugin.yaml in $(pwd) has no version: it cannot say which release to install"

# go_build DIR: the binary for $GOOS/$GOARCH (default: this machine) into DIR, version stamped.
go_build() {
  go build -trimpath -ldflags "-s -w -X github.com/spark-mr3/spark-mr3/plugin/cli.Version=v$version" -o "$1/" ./cmd/helm-sparkmr3
}

if [ -n "$build_to" ]; then
  go_build "$build_to"
  exit 0
fi

tmp=$(mktemp -d ./.install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'rm -rf "$tmp"; exit 1' HUP INT TERM

# install_from DIR EXE: moves DIR/EXE into bin/ (a rename in the same folder: never half-written).
install_from() {
  chmod 755 "$1/$2"
  mkdir -p bin
  mv -f "$1/$2" "bin/$2"
}

build_from_source() { # REASON
  say "$1: building v$version from source"
  if [ ! -d cmd/helm-sparkmr3 ] || [ ! -f go.mod ]; then
    fail "$(pwd) holds no source to build from (cmd/helm-sparkmr3, go.mod): install the plugin from a release that has an archive for $(uname -sm), or from a clone of the repository with Go installed"
  fi
  if ! command -v go >/dev/null 2>&1; then
    fail "the Go toolchain (1.26 or newer) is needed to build the plugin: install it from https://go.dev/dl and run 'helm plugin update sparkmr3'"
  fi
  say "building with $(go version | cut -d' ' -f3) (first build downloads Go modules: a few minutes)"
  go_build "$tmp"
  exe=helm-sparkmr3
  [ -f "$tmp/$exe" ] || exe=helm-sparkmr3.exe
  install_from "$tmp" "$exe"
  say "built bin/$exe"
}

# fetch URL FILE: downloads URL into FILE with curl or wget (timeouts, no endless retries).
# Returns 0 on HTTP 200; otherwise sets fetch_err to what went wrong and fetch_code to the HTTP
# status (empty when the server was not reached).
fetch() {
  fetch_err="" fetch_code=""
  if command -v curl >/dev/null 2>&1; then
    if fetch_code=$(curl -sS -L --connect-timeout 15 --max-time 600 -o "$2" -w '%{http_code}' "$1" 2>"$tmp/fetch.err"); then
      [ "$fetch_code" = 200 ] && return 0
      fetch_err="HTTP $fetch_code"
    else
      fetch_code="" fetch_err=$(tr '\n' ' ' <"$tmp/fetch.err")
    fi
  elif command -v wget >/dev/null 2>&1; then
    tries="" # GNU wget retries a timeout 20 times by default; busybox wget has no -t
    case $(wget --version 2>/dev/null) in *"GNU Wget"*) tries="-t 2" ;; esac
    # shellcheck disable=SC2086
    if wget -q -S -T 30 $tries -O "$2" "$1" 2>"$tmp/fetch.err"; then
      return 0
    fi
    fetch_code=$(sed -n 's/^ *HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' "$tmp/fetch.err" | tail -n 1)
    if [ -n "$fetch_code" ]; then
      fetch_err="HTTP $fetch_code"
    else
      fetch_err="wget: $(tr '\n' ' ' <"$tmp/fetch.err")"
    fi
  else
    fetch_err="neither curl nor wget is installed"
  fi
  return 1
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    fail "neither sha256sum nor shasum is installed: cannot verify the downloaded archive (install coreutils or perl's shasum, or set SPARKMR3_RELEASE_URL=none to build from source with Go)"
  fi
}

case $(uname -s) in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  MINGW* | MSYS* | CYGWIN* | Windows_NT) os=windows ;;
  *) os=$(uname -s) ;;
esac
case $(uname -m) in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac

base=${SPARKMR3_RELEASE_URL:-$default_release_url}
case " $platforms " in
  *" $os/$arch "*) known=1 ;;
  *) known=0 ;;
esac
if [ "$base" = none ]; then
  build_from_source "SPARKMR3_RELEASE_URL=none: no download"
  exit 0
elif [ "$known" = 0 ]; then
  build_from_source "no release archive for $os/$arch (archives: $platforms)"
  exit 0
fi

url=${base%/}/v$version
archive=helm-sparkmr3_${version}_${os}_${arch}.tar.gz
sums=helm-sparkmr3_${version}_checksums.txt
if ! fetch "$url/$sums" "$tmp/$sums"; then
  case $fetch_code in
    404 | 410)
      build_from_source "$url has no release v$version ($sums: $fetch_err)"
      exit 0
      ;;
  esac
  fail "cannot download $url/$sums: $fetch_err; nothing was installed. Retry when $url is reachable, set SPARKMR3_RELEASE_URL to a mirror holding v$version/$sums, or set SPARKMR3_RELEASE_URL=none to build from source with Go"
fi

# sha256sum format: "<64 hex>  <name>" (or " *<name>", binary mode).
want=$(sed -n "s/^\([0-9a-fA-F]\{64\}\) [ *]$archive\$/\1/p" "$tmp/$sums" | tr -d '\r' | head -n 1 | tr 'A-F' 'a-f')
if [ -z "$want" ]; then
  fail "$url/$sums has no sha256 entry for $archive: refusing to install an archive that cannot be verified; nothing was installed ('helm plugin uninstall sparkmr3' removes what helm registered). Report it at https://github.com/spark-mr3/spark-mr3/issues, or set SPARKMR3_RELEASE_URL=none to build from source with Go"
fi
if ! fetch "$url/$archive" "$tmp/$archive"; then
  fail "cannot download $url/$archive ($fetch_err) although $sums lists it; nothing was installed. Retry, or set SPARKMR3_RELEASE_URL=none to build from source with Go"
fi
got=$(sha256 "$tmp/$archive")
if [ "$got" != "$want" ]; then
  fail "checksum mismatch for $archive downloaded from $url: its sha256 is $got, $sums says $want. The download is corrupted or was tampered with, so nothing was installed and nothing is built instead ('helm plugin uninstall sparkmr3' removes what helm registered). Retry; if it persists, report it at https://github.com/spark-mr3/spark-mr3/issues"
fi
exe=helm-sparkmr3
[ "$os" = windows ] && exe=helm-sparkmr3.exe
mkdir "$tmp/unpacked"
if ! tar -xzf "$tmp/$archive" -C "$tmp/unpacked" 2>"$tmp/tar.err"; then
  fail "cannot unpack $archive from $url (sha256 verified): $(tr '\n' ' ' <"$tmp/tar.err"); nothing was installed"
fi
[ -f "$tmp/unpacked/$exe" ] || fail "$archive from $url holds no $exe; nothing was installed. Report it at https://github.com/spark-mr3/spark-mr3/issues"
install_from "$tmp/unpacked" "$exe"
say "installed v$version for $os/$arch from $url/$archive (sha256 verified)"
