#!/usr/bin/env sh
# Builds the same helm-sparkmr3 binaries from the source tree this folder belongs to (the entry
# binary serves postrender itself; the complete one answers anything else, e.g. --help).
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
"$root/hack/plugin-build.sh"
mkdir -p "$here/bin"
cp "$root/bin/helm-sparkmr3" "$root/bin/helm-sparkmr3-full" "$here/bin/"
