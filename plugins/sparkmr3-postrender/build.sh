#!/usr/bin/env sh
# Builds the same helm-sparkmr3 binary from the source tree this folder belongs to; this plugin
# runs its postrender verb.
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
"$root/hack/plugin-build.sh"
mkdir -p "$here/bin"
cp "$root/bin/helm-sparkmr3" "$here/bin/"
