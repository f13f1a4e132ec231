#!/bin/bash
# spark-mr3 test model of MR3's spark/run-spark-shell.sh, written for spark-mr3's tests from
# what that script does (mr3-run-k8s, kubernetes/spark/), not copied from it. Like
# run-spark-submit.sh, except: spark-shell instead of spark-submit, the result folder
# spark-shell-result, no EXIT trap, and no tee (MR3's comment: Ctrl-C would hang the shell),
# so its exit status is spark-shell's. See docs/DESIGN.md, "The model of MR3's driver scripts".

# Model only: become the driver Pod (its env, working directory, filesystem); see lib.sh.
source "$(dirname "$0")/../.mr3model/lib.sh"
mr3model_enter_pod

DIR="$(cd "$(dirname "$0")" && pwd)"
BASE_DIR=$(readlink -f $DIR/..)
source $BASE_DIR/env.sh
if [[ -f "$BASE_DIR/env-secret.sh" ]]; then
  source $BASE_DIR/env-secret.sh
fi
source $BASE_DIR/common-setup.sh
source $MR3_BASE_DIR/mr3-setup.sh
source $SPARK_BASE_DIR/spark-setup.sh

model_shell() {
  model_parse_args $@

  model_mr3_paths
  model_spark_paths
  model_result_dir $SPARK_BASE_DIR/spark-shell-result

  local log_dir=$OUT/spark-logs
  mr3model_mkdir_p $log_dir
  model_hadoop_options $LOCAL_MODE
  model_driver_options

  export HTTP2_DISABLE=true
  $SPARK_HOME/bin/spark-shell \
    --driver-java-options "$MODEL_DRIVER_OPTS" \
    --master spark \
    --jars "$MODEL_DRIVER_JARS" \
    --driver-class-path "$MODEL_DRIVER_CP" \
    --conf spark.driver.cores=$SPARK_DRIVER_CORES \
    --conf spark.driver.memory="${SPARK_DRIVER_MEMORY_MB}m" \
    --conf spark.yarn.populateHadoopClasspath=false \
    --conf spark.hadoop.yarn.timeline-service.enabled=false \
    --conf spark.driver.port=$SPARK_DRIVER_PORT \
    --conf spark.ui.port=$SPARK_UI_PORT \
    --conf spark.ui.proxyBase=${PROXY_BASE}/${DRIVER_NAME} \
    --conf spark.driver.bindAddress=0.0.0.0 \
    --conf spark.driver.host=${DRIVER_NAME}.${SPARK_MR3_NAMESPACE}.svc.cluster.local \
    --conf spark.kerberos.keytab=$SPARK_KERBEROS_KEYTAB \
    --conf spark.kerberos.principal=$SPARK_KERBEROS_PRINCIPAL \
    --conf spark.hadoop.yarn.resourcemanager.principal=$SPARK_KERBEROS_USER \
    $REMAINING_ARGS \
    2>&1
}

model_shell $@
