#!/bin/bash
# spark-mr3 test model of MR3's common-setup.sh (mr3-run-k8s, kubernetes/spark/common-setup.sh):
# written for spark-mr3's tests from what that file does, not copied from it. See
# docs/DESIGN.md, "The model of MR3's driver scripts".

# Where everything is, relative to BASE_DIR (the folder above the script's folder). These are
# assigned AFTER env.sh is sourced, so env.sh cannot move them.
LOCAL_CONF_DIR_MOUNT_DIR=$BASE_DIR/conf
MR3_BASE_DIR=$BASE_DIR/mr3
SPARK_BASE_DIR=$BASE_DIR/spark

# Copies the files (not the subfolders) of the conf dir into $1: the glob and $1 unquoted.
model_copy_conf_files() {
  local into=$1
  mr3model_cp $LOCAL_CONF_DIR_MOUNT_DIR/* $into
}

# The submit script stops its background jobs on exit; this does not change its exit status.
model_trap_children() {
  trap model_stop_children EXIT
}

model_stop_children() {
  local pids
  pids=$(jobs -p)
  if [[ -n $pids ]]; then
    kill $pids
    while ps -p $pids; do echo "Waiting for process $pids to stop..."; sleep 1; done
    echo "Process $pids stopped."
  fi
}

# The result folder's time stamp: date's format, of epoch seconds $1 when given.
model_time_text() {
  date +"%Y-%m-%d-%H-%M-%S" ${1:+"-d @$1"}
}
