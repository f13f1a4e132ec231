#!/usr/bin/env bash
# make demo: the main job on the local test cluster, step by step.
#   build the tools and the plugin -> start the cluster -> helm plugin install (private
#   HELM_DATA_HOME) -> doctor -> install a release with two drivers -> submit a job to a
#   driver, one with an uploaded jar -> its logs -> a refused argument, a failed job -> status ->
#   teardown -> stop the cluster
#   (KEEP_CLUSTER=1 keeps it).
# No Spark image can be pulled here: the simulated driver Pods (kwok) run the driver command on
# this machine, so the demo points it at a model of MR3's driver scripts (test/mr3model) that
# builds MR3's real command line and ends in a fake spark-submit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
n=0
step() { n=$((n + 1)); printf '\n\033[1m[%d] %s\033[0m\n' "$n" "$*"; }
run() { printf '$'; printf ' %q' "$@"; printf '\n'; "$@"; }

step "Build the pinned tools (cached by version; the first run takes several minutes)"
bin=$(hack/tools.sh all | tail -n1)
export SPARKMR3_TOOLS=$bin
helm=$bin/helm3

step "Start the local Kubernetes cluster (etcd, kube-apiserver, controller-manager, scheduler, kwok)"
was_running=0
go run ./test/cluster/cmd/localcluster status --dir .cluster >/dev/null 2>&1 && was_running=1
go run ./test/cluster/cmd/localcluster up --dir .cluster
export KUBECONFIG=$root/.cluster/kubeconfig
# Stop the cluster at the end only if the demo started it (a `make cluster` one is left alone).
if [ "${KEEP_CLUSTER:-0}" != 1 ] && [ "$was_running" = 0 ]; then
  trap 'printf "\n[cleanup] stopping the local cluster (KEEP_CLUSTER=1 keeps it)\n"; go run ./test/cluster/cmd/localcluster down --dir .cluster' EXIT
fi
run "$bin/kubectl" get nodes

step "Install the plugin into a private Helm home with 'helm plugin install' (its hook builds it from source)"
export HELM_DATA_HOME=$(mktemp -d)
export HELM_PLUGINS=$HELM_DATA_HOME/plugins HELM_CONFIG_HOME=$HELM_DATA_HOME/config HELM_CACHE_HOME=$HELM_DATA_HOME/cache
export SPARKMR3_RELEASE_URL=none   # install the working tree, never a release download
run "$helm" plugin install "$root"
run "$helm" sparkmr3 version

step "MR3's driver scripts, modelled (kwok runs driver commands on this machine, not in an image)"
# test/mr3model: run-spark-submit.sh and what it sources, written from what MR3's scripts do
# (docs/DESIGN.md, "The model of MR3's driver scripts"), ending in a fake spark-submit. Each
# driver Pod gets a folder standing for its "/" (its mounts, env and writable paths are staged
# from the API after the install); the release points each driver's command there.
model=$HELM_DATA_HOME/mr3model
read -r -a model_values <<<"$(go run ./test/mr3model/cmd/mr3model-stage --root "$model" --print-values spark1,spark2)"
printf '  %s\n' "${model_values[@]}"

step "Check the prerequisites before installing (ok/warn/fail per check; kwok's nodes do not report swap)"
code=0
run "$helm" sparkmr3 doctor -n sparkmr3-demo --create-namespace "${model_values[@]}" || code=$?
echo "exit code: $code"
[ "$code" = 0 ]

step "Install release 'demo' with two drivers through the plugin (token generated once, checked, waited for by watch)"
run "$helm" sparkmr3 install demo -n sparkmr3-demo --create-namespace "${model_values[@]}" \
  --set 'hostAliases[0].ip=10.1.90.9' --set 'hostAliases[0].hostnames[0]=gold0'

step "Stage the driver Pods for the model: env.sh and conf from the release's Secret and ConfigMap, the Pod's env, its writable paths"
go run ./test/mr3model/cmd/mr3model-stage --kubeconfig "$KUBECONFIG" -n sparkmr3-demo --release demo --root "$model"
run cat "$model/spark1/opt/mr3-run/.mr3model/pod-mounts"

step "Submit a job to driver spark1: MR3's script turns env.sh into -D options, adds its --conf list, makes the result and staging dirs"
run "$helm" sparkmr3 submit demo -n sparkmr3-demo --driver spark1 -- \
  --conf spark.executor.instances=2 --class com.example.WordCount app.jar hdfs://gold0:8020/input /out
printf '\nWhat the job left in the driver Pod (its result dir and the MR3 staging dir):\n'
(cd "$model/spark1" && find opt/mr3-run/spark/spark-submit-result opt/mr3-run/work-dir -mindepth 1 | sed 's|^|  /|')

step "Copy a local jar into the driver Pod with the job (--upload): the argument naming it is rewritten to its path there"
printf 'not a real jar\n' >"$HELM_DATA_HOME/wordcount.jar"
run "$helm" sparkmr3 submit demo -n sparkmr3-demo --driver spark1 --upload "$HELM_DATA_HOME/wordcount.jar" -- \
  --class com.example.WordCount "$HELM_DATA_HOME/wordcount.jar" /out 2>&1 | grep -v '^\[mr3model\]   '

step "The driver's runs, newest first, and the last run's driver log (MR3's script tees it into the result dir)"
run "$helm" sparkmr3 logs demo -n sparkmr3-demo --driver spark1
run "$helm" sparkmr3 logs demo -n sparkmr3-demo --driver spark1 --last | tail -n 5

step "An argument MR3's script would split (a space) is refused before anything runs (exit 2)"
code=0
run "$helm" sparkmr3 submit demo -n sparkmr3-demo --driver spark1 -- app.jar "hdfs://gold0:8020/in put" || code=$?
echo "exit code: $code"

step "A failed job is a failed submit (the model's spark-submit exits 3; MR3's script alone would exit 0)"
code=0
run "$helm" sparkmr3 submit demo -n sparkmr3-demo --driver spark1 -- app.jar mr3model-exit=3 2>&1 |
  grep -v '^\[mr3model\]   ' || code=${PIPESTATUS[0]}
echo "exit code: $code"

step "Simulate what MR3 does at run time: the first driver creates a DAGAppMaster, which creates ContainerWorkers"
# A real driver image would do this itself; here kubectl creates the same objects under MR3's own
# names and labels (docs/DESIGN.md), so that status and teardown have them to find.
# The timestamp the drivers carry, as MR3's client used it for its application folder above.
ts=$(ls "$model/spark1/opt/mr3-run/work-dir/.mr3" | sed -n 's/^application_\([0-9]*\)_0000$/\1/p' | head -n 1)
"$bin/kubectl" -n sparkmr3-demo apply -f - <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: mr3master-spark-$ts-0}
spec:
  replicas: 1
  selector: {matchLabels: {sparkmr3_app: demo-mr3}}
  template:
    metadata: {labels: {sparkmr3_app: demo-mr3, mr3-pod-role: master-role}}
    spec:
      serviceAccountName: demo-master
      containers: [{name: am, image: mr3project/spark3:3.5.2}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: mr3conf-configmap-master}
---
apiVersion: v1
kind: Service
metadata: {name: service-master-$ts-0}
spec: {ports: [{port: 9862}], selector: {sparkmr3_app: demo-mr3}}
YAML
for w in 1 2 3; do
  "$bin/kubectl" -n sparkmr3-demo apply -f - <<YAML
apiVersion: v1
kind: Pod
metadata: {name: mr3executor-ab12-$w, labels: {mr3-worker-pod-id: "$w", mr3-pod-role: container-role}}
spec:
  serviceAccountName: demo-worker
  containers: [{name: worker, image: mr3project/spark3:3.5.2, env: [{name: MR3_APPLICATION_ID_TIMESTAMP, value: "$ts"}]}]
YAML
done

step "Status of the release, its drivers, and the Pods MR3 created"
run "$helm" sparkmr3 status demo -n sparkmr3-demo

step "Tear everything down (release, MR3-made objects, cluster-scoped RBAC, PV)"
# A real DAGAppMaster removes its ContainerWorkers when it stops; the simulated one cannot, so
# teardown force-deletes them after --worker-timeout.
run "$helm" sparkmr3 teardown demo -n sparkmr3-demo --yes --worker-timeout 3s

rm -rf "$HELM_DATA_HOME"
printf '\nDemo finished.\n'
