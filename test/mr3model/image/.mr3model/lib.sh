# The model's own part (not in MR3's image): the driver Pod's environment, working directory
# and filesystem, which kwok cannot provide because it runs every exec on the test machine.
# The stager (test/mr3model, Stage) writes three files next to this one:
#   pod-env      `export NAME='value'` for every env entry of the driver container, resolved
#                through the API (secretKeyRef, configMapKeyRef, fieldRef), plus HOSTNAME
#   pod-workdir  the container's workingDir (where an exec starts)
#   pod-mounts   `root HOSTDIR` (the host folder that stands for the Pod's /), then one line
#                `rw|ro PATH` per mount point, `/` included (ro when readOnlyRootFilesystem)
# A node outside Kubernetes (StageNode, for `submit --local`) has pod-mounts with `rw /` only
# and no pod-env or pod-workdir: the caller's environment and working directory apply, and the
# node's absolute paths (mr3.am.staging-dir) stay inside the staged folder. Without pod-mounts
# every function below is a plain pass-through.

MR3MODEL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MR3MODEL_ROOT=
if [ -f "$MR3MODEL_DIR/pod-mounts" ]; then
  MR3MODEL_ROOT=$(sed -n 's/^root //p' "$MR3MODEL_DIR/pod-mounts")
fi

# mr3model_enter_pod makes this process look like `kubectl exec` into the driver container:
# only the Pod's environment (the exec'd process inherits the container's, not the caller's),
# started in the container's working directory (globs in the arguments expand there).
mr3model_enter_pod() {
  [ -f "$MR3MODEL_DIR/pod-env" ] || return 0
  local keep=$PATH name
  for name in $(compgen -e); do unset "$name" 2>/dev/null; done
  export PATH=$keep
  source "$MR3MODEL_DIR/pod-env"
  cd "$MR3MODEL_ROOT$(cat "$MR3MODEL_DIR/pod-workdir")" || exit 126
}

# mr3model_host POD_PATH prints where the model keeps that path of the Pod.
mr3model_host() {
  case $1 in
    /*) printf '%s\n' "$MR3MODEL_ROOT$1" ;;
    *) printf '%s\n' "$1" ;;
  esac
}

# mr3model_pod HOST_PATH prints the Pod's name for a path the model keeps.
mr3model_pod() {
  local p=$1
  case $p in /*) ;; *) p=$PWD/$p ;; esac
  if [ -n "$MR3MODEL_ROOT" ]; then
    case $p in
      "$MR3MODEL_ROOT") p=/ ;;
      "$MR3MODEL_ROOT"/*) p=${p#"$MR3MODEL_ROOT"} ;;
    esac
  fi
  printf '%s\n' "$p"
}

# mr3model_writable HOST_PATH: may the Pod create or write that path? The mount point with the
# longest matching prefix decides (a mount shadows what is under it), as in a container.
mr3model_writable() {
  [ -n "$MR3MODEL_ROOT" ] || return 0
  local p mode=ro best=-1 m path
  p=$(mr3model_pod "$1")
  while read -r m path; do
    case $m in rw|ro) ;; *) continue ;; esac
    if [ "$path" = / ] || [ "$p" = "$path" ] || [ "${p#"$path"/}" != "$p" ]; then
      if [ ${#path} -gt $best ]; then best=${#path} mode=$m; fi
    fi
  done < "$MR3MODEL_DIR/pod-mounts"
  [ "$mode" = rw ]
}

# mr3model_first_missing DIR prints the first directory `mkdir -p DIR` would have to create.
mr3model_first_missing() {
  local d=$1
  while [ ! -e "$(dirname "$d")" ]; do d=$(dirname "$d"); done
  printf '%s\n' "$d"
}

# mkdir -p, refused like the image's filesystem would refuse it.
mr3model_mkdir_p() {
  local d first rc=0
  for d in "$@"; do
    if [ -n "$MR3MODEL_ROOT" ] && [ ! -d "$d" ]; then
      first=$(mr3model_first_missing "$d")
      if ! mr3model_writable "$first"; then
        echo "mkdir: cannot create directory '$(mr3model_pod "$first")': Read-only file system" >&2
        rc=1
        continue
      fi
    fi
    mkdir -p "$d" || rc=1
  done
  return $rc
}

# cp SRC... DEST, refused per file like the image's filesystem would refuse it.
mr3model_cp() {
  if [ -z "$MR3MODEL_ROOT" ] || [ $# -lt 2 ]; then
    cp "$@"
    return
  fi
  local dest=${!#} src target rc=0
  local -a ok=()
  for src in "${@:1:$#-1}"; do
    target=$dest
    [ -d "$dest" ] && target=$dest/${src##*/}
    if mr3model_writable "$target"; then
      ok+=("$src")
    else
      echo "cp: cannot create regular file '$(mr3model_pod "$target")': Read-only file system" >&2
      rc=1
    fi
  done
  if [ ${#ok[@]} -gt 0 ]; then cp "${ok[@]}" "$dest" || rc=1; fi
  return $rc
}

# tee FILE: when the file cannot be written, tee still copies its input and exits 1.
mr3model_tee() {
  if [ -n "$MR3MODEL_ROOT" ] && [ $# -eq 1 ] && ! mr3model_writable "$1"; then
    echo "tee: $(mr3model_pod "$1"): Read-only file system" >&2
    cat
    return 1
  fi
  tee "$@"
}

# `[ -f $X ]` with X unquoted, as MR3's scripts write it: no word at all is `[ -f ]`, which is
# TRUE; one word is tested as a path of the Pod; several words are test's syntax error.
mr3model_test_f() {
  if [ $# -eq 1 ]; then
    [ -f "$(mr3model_host "$1")" ]
  else
    [ -f "$@" ]
  fi
}
