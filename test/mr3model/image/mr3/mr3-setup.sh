#!/bin/bash
# spark-mr3 test model of MR3's mr3/mr3-setup.sh: env.sh variables become -D options in
# HADOOP_OPTS, which MR3 adds to its configuration AFTER reading mr3-site.xml (so they win).
# Written from what that file does, not copied. See docs/DESIGN.md.

model_mr3_paths() {
  MODEL_MR3_LIB_DIR=$MR3_BASE_DIR/mr3lib
  MODEL_MR3_SPARK_JAR=mr3-spark-assembly.jar
}

# model_mr3_options MODE appends to HADOOP_OPTS (exported; whatever env.sh or the caller put
# there first stays in front). Every variable is expanded even when unset: an unset variable
# gives an EMPTY value, and that empty value still overrides mr3-site.xml.
model_mr3_options() {
  local mode=$1 k8s
  k8s="-Dmr3.k8s.namespace=$SPARK_MR3_NAMESPACE"
  k8s="$k8s -Dmr3.k8s.pod.master.serviceaccount=$MASTER_SERVICE_ACCOUNT"
  k8s="$k8s -Dmr3.k8s.pod.worker.serviceaccount=$WORKER_SERVICE_ACCOUNT"
  k8s="$k8s -Dmr3.k8s.pod.master.image=$DOCKER_SPARK_IMG"
  k8s="$k8s -Dmr3.k8s.pod.worker.image=$DOCKER_SPARK_IMG"
  k8s="$k8s -Dmr3.k8s.pod.master.user=$SPARK_DOCKER_USER"
  k8s="$k8s -Dmr3.k8s.master.working.dir=$SPARK_REMOTE_WORK_DIR"
  k8s="$k8s -Dmr3.k8s.pod.worker.user=$SPARK_DOCKER_USER"
  k8s="$k8s -Dmr3.k8s.worker.working.dir=$SPARK_REMOTE_WORK_DIR"
  k8s="$k8s -Dmr3.k8s.java.io.tmpdir=$SPARK_REMOTE_WORK_DIR/tmp"
  k8s="$k8s -Dmr3.k8s.conf.dir.configmap=$SPARK_CONF_DIR_CONFIGMAP"
  k8s="$k8s -Dmr3.k8s.conf.dir.mount.dir=$CONF_DIR_MOUNT_DIR"
  k8s="$k8s -Dmr3.k8s.keytab.secret=$SPARK_KEYTAB_SECRET"
  k8s="$k8s -Dmr3.k8s.worker.secret=$SPARK_WORKER_SECRET"
  k8s="$k8s -Dmr3.k8s.mount.keytab.secret=$CREATE_KEYTAB_SECRET"
  k8s="$k8s -Dmr3.k8s.mount.worker.secret=$CREATE_WORKER_SECRET"
  k8s="$k8s -Dmr3.k8s.keytab.mount.dir=$KEYTAB_MOUNT_DIR"
  k8s="$k8s -Dmr3.k8s.keytab.mount.file=$KEYTAB_MOUNT_FILE"
  # The work-dir claim only when env.sh names one; the workers then get NO claim (empty value).
  if [[ -n $WORK_DIR_PERSISTENT_VOLUME_CLAIM ]]; then
    k8s="$k8s -Dmr3.k8s.master.persistentvolumeclaim.mounts=$WORK_DIR_PERSISTENT_VOLUME_CLAIM=$WORK_DIR_PERSISTENT_VOLUME_CLAIM_MOUNT_DIR"
    k8s="$k8s -Dmr3.k8s.worker.persistentvolumeclaim.mounts="
  fi
  export HADOOP_OPTS="$HADOOP_OPTS $k8s"
  export HADOOP_OPTS="$HADOOP_OPTS -Dmr3.master.mode=$mode"
  # Fixed jar paths under REMOTE_BASE_DIR (the * is not expanded: it is quoted all the way).
  export HADOOP_OPTS="$HADOOP_OPTS -Dmr3.cluster.additional.classpath=$REMOTE_BASE_DIR/mr3/mr3lib/$MODEL_MR3_SPARK_JAR:$REMOTE_BASE_DIR/spark/jars/*"
}
