#!/bin/bash
# spark-mr3 test model of MR3's spark/spark-setup.sh: argument parsing, the result folder, the
# Hive and truststore -D options, the driver's class path. Written from what that file does,
# not copied. See docs/DESIGN.md, "The model of MR3's driver scripts".

# model_parse_args is called with the script's arguments UNQUOTED ($@), as MR3's scripts do,
# so by the time it runs every argument has been split at whitespace and glob-expanded in the
# working directory, and empty arguments are gone. Then:
#   --localthread / --localprocess / --kubernetes   where the DAGAppMaster runs
#   --master X                                       dropped (the script passes --master spark)
#   --driver-java-options X, --driver-class-path X, --jars X   taken (X: ONE word)
#   anything else                                    appended to REMAINING_ARGS (never reset)
# The loop runs while $1 is non-empty, and `shift 2` with one argument left shifts nothing:
# a trailing --master (or any of the three) loops forever, as in MR3's script. The model says
# so and waits instead of spinning (see model_loops_forever).
model_parse_args() {
  LOCAL_MODE=kubernetes
  MODEL_EXTRA_JAVA_OPTS=
  MODEL_EXTRA_CLASS_PATH=
  MODEL_EXTRA_JARS=
  while [[ -n $1 ]]; do
    case $1 in
      --localthread) LOCAL_MODE=local-thread; shift ;;
      --localprocess) LOCAL_MODE=local-process; shift ;;
      --kubernetes) LOCAL_MODE=kubernetes; shift ;;
      --master) model_loops_forever $# $1; shift 2 ;;
      --driver-java-options) model_loops_forever $# $1; MODEL_EXTRA_JAVA_OPTS=$2; shift 2 ;;
      --driver-class-path) model_loops_forever $# $1; MODEL_EXTRA_CLASS_PATH=$2; shift 2 ;;
      --jars) model_loops_forever $# $1; MODEL_EXTRA_JARS=$2; shift 2 ;;
      *) REMAINING_ARGS="$REMAINING_ARGS $1"; shift ;;
    esac
  done
}

# Model only: where MR3's loop would spin forever (an option taking a value is the last
# argument), the model prints why and never finishes either, but sleeps rather than burning a
# CPU, and gives up after MR3MODEL_HANG_SECONDS (default 300) with exit 124.
model_loops_forever() {
  [ "$1" -lt 2 ] || return 0
  echo "[mr3model] MR3's script loops forever here: $2 is the last argument, and 'shift 2' with one argument left shifts nothing" >&2
  sleep "${MR3MODEL_HANG_SECONDS:-300}"
  exit 124
}

model_spark_paths() {
  MODEL_SPARK_MR3_LIB_DIR=$SPARK_BASE_DIR/sparkmr3
  MODEL_SPARK_MR3_JAR=spark-mr3-assembly.jar
  MODEL_COMMON_LIB_DIR=$BASE_DIR/lib
  MODEL_SPARK_LIB_DIR=$SPARK_BASE_DIR/lib
  export SPARK_HOME=$SPARK_BASE_DIR
  # the conf dir next to the scripts (CONF_DIR_MOUNT_DIR is the Pods' path, unused here)
  export SPARK_CONF_DIR=$LOCAL_CONF_DIR_MOUNT_DIR
}

# model_result_dir BASE: BASE/spark-mr3-<time>-<uuid>/ (exported as OUT) with conf/ holding
# copies of env.sh and of the conf files. mkdir failures are silenced; cp failures are not.
model_result_dir() {
  local base=$1 now
  mr3model_mkdir_p $base >/dev/null 2>&1
  now=$(date +%s)
  export OUT=$base/spark-mr3-$(model_time_text $now)-$(cat /proc/sys/kernel/random/uuid)
  mr3model_mkdir_p $OUT >/dev/null 2>&1
  echo -e "Output Directory: \n$(mr3model_pod $OUT)\n"
  MODEL_OUT_CONF=$OUT/conf
  mr3model_mkdir_p $MODEL_OUT_CONF >/dev/null 2>&1
  mr3model_cp $BASE_DIR/env.sh $MODEL_OUT_CONF
  model_copy_conf_files $MODEL_OUT_CONF
}

# model_hadoop_options MODE: mr3-setup's options, then ALWAYS the metastore URI and warehouse
# (unset variables give thrift://: and an empty dir), the Kerberos metastore options when
# HIVE_METASTORE_SECURE_MODE=true, and the truststore when `[ -f $SPARK_SSL_TRUSTSTORE ]`,
# which is TRUE for an unset or empty variable (then an empty trustStore option is added).
model_hadoop_options() {
  model_mr3_options $1
  export HADOOP_OPTS="$HADOOP_OPTS -Dhive.metastore.uris=thrift://${SPARK_METASTORE_HOST}:${SPARK_METASTORE_PORT} -Dhive.metastore.warehouse.dir=$SPARK_METASTORE_WAREHOUSE"
  if [[ $HIVE_METASTORE_SECURE_MODE = "true" ]]; then
    # No space after the principal in MR3's script: it runs into the next option.
    export HADOOP_OPTS="$HADOOP_OPTS -Dhive.metastore.sasl.enabled=$HIVE_METASTORE_SECURE_MODE -Dhive.metastore.kerberos.keytab.file=$HIVE_METASTORE_KERBEROS_KEYTAB -Dhive.metastore.kerberos.principal=$HIVE_METASTORE_KERBEROS_PRINCIPAL-Djavax.security.auth.useSubjectCredsOnly=false -Djava.security.auth.login.config=$REMOTE_BASE_DIR/conf/jgss.conf -Djava.security.krb5.conf=$REMOTE_BASE_DIR/conf/krb5.conf -Dsun.security.jgss.debug=true -Dhive.security.authorization.enabled=false -Dhive.metastore.execute.setugi=true"
  fi
  if mr3model_test_f $SPARK_SSL_TRUSTSTORE; then
    export HADOOP_OPTS="$HADOOP_OPTS -Djavax.net.ssl.trustStore=$SPARK_SSL_TRUSTSTORE -Djavax.net.ssl.trustStoreType=$SPARK_SSL_TRUSTSTORETYPE"
  fi
}

# model_driver_options: the caller's --driver-java-options go IN FRONT of the -D options (the
# JVM keeps the last of two equal -D, so env.sh's win); the class path and jars.
model_driver_options() {
  MODEL_DRIVER_OPTS="$MODEL_EXTRA_JAVA_OPTS $HADOOP_OPTS"
  MODEL_DRIVER_CP="$MODEL_EXTRA_CLASS_PATH:$LOCAL_CONF_DIR_MOUNT_DIR:$MODEL_SPARK_LIB_DIR:$MODEL_COMMON_LIB_DIR:$MODEL_MR3_LIB_DIR/$MODEL_MR3_SPARK_JAR:$MODEL_SPARK_MR3_LIB_DIR/$MODEL_SPARK_MR3_JAR"
  MODEL_DRIVER_JARS="$MODEL_EXTRA_JARS"
}
