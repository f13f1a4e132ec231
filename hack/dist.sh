#!/usr/bin/env bash
# The plugin's release artifacts (`make dist`): cross-builds helm-sparkmr3 with plugin.yaml's
# version stamped, for every platform the install hook downloads for (the `platforms=` line of
# hack/plugin-build.sh), into OUT (default dist/):
#   helm-sparkmr3_<version>_<os>_<arch>.tar.gz  the binary at the archive's root (helm-sparkmr3,
#                                               helm-sparkmr3.exe for windows; tar.gz everywhere)
#                                               and LICENSE
#   helm-sparkmr3_<version>_checksums.txt       their sha256, in `sha256sum` format
# Upload these files as the assets of the GitHub release tagged v<version>: the hook fetches
# <release location>/v<version>/<file>.
#   hack/dist.sh [--host] [--out DIR]
#   --host     only this machine's platform (the e2e test; ~1 minute instead of ~5-10)
#   --out DIR  output folder (default dist/); earlier artifacts of this version there are replaced
# Builds run one after another (each uses every core) with CGO_ENABLED=0 (static binaries).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/dist
host=0
while [ $# -gt 0 ]; do
  case $1 in
    --host) host=1 ;;
    --out)
      [ $# -ge 2 ] || { echo "hack/dist.sh: --out needs a folder" >&2; exit 2; }
      out=$2
      shift
      ;;
    --out=*) out=${1#--out=} ;;
    *) echo "hack/dist.sh: unknown argument '$1': use --host and/or --out DIR" >&2; exit 2 ;;
  esac
  shift
done
cd "$root"
version=$(sed -n 's/^version: *//p' plugin.yaml | tr -d "\"' \r")
platforms=$(sed -n 's/^platforms="\(.*\)"$/\1/p' hack/plugin-build.sh)
if [ -z "$version" ] || [ -z "$platforms" ]; then
  echo "hack/dist.sh: no version in plugin.yaml or no platforms= line in hack/plugin-build.sh" >&2
  exit 1
fi
if [ "$host" = 1 ]; then
  hp=$(go env GOOS)/$(go env GOARCH)
  case " $platforms " in
    *" $hp "*) platforms=$hp ;;
    *) echo "hack/dist.sh: this machine ($hp) is not a release platform ($platforms)" >&2; exit 1 ;;
  esac
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/helm-sparkmr3_"$version"_*
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# Same bytes for the same binaries where GNU tar allows it (sorted, no owner, fixed mtime).
tar_opts=()
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
  tar_opts=(--sort=name --owner=0 --group=0 --numeric-owner --mtime=@"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}")
fi
archives=()
for p in $platforms; do
  os=${p%/*} arch=${p#*/}
  start=$(date +%s)
  dir=$stage/${os}_$arch
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch hack/plugin-build.sh --build-to "$dir"
  [ ! -f LICENSE ] || cp LICENSE "$dir/"
  archive=helm-sparkmr3_${version}_${os}_${arch}.tar.gz
  (cd "$dir" && tar "${tar_opts[@]}" -cf - -- *) | gzip -9n >"$out/$archive"
  archives+=("$archive")
  echo "dist: $archive ($(($(date +%s) - start))s)" >&2
done
sums=helm-sparkmr3_${version}_checksums.txt
(
  cd "$out"
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "${archives[@]}"; else shasum -a 256 "${archives[@]}"; fi
) >"$out/$sums.tmp"
mv "$out/$sums.tmp" "$out/$sums"
echo "dist: $out/$sums" >&2
