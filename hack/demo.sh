#!/usr/bin/env bash
# make demo: the main job on the local test cluster, step by step.
#   build the tools and the plugin -> start the cluster -> helm plugin install (private
#   HELM_DATA_HOME) -> install a release with two drivers -> submit a job to a driver ->
#   status -> teardown -> stop the cluster (KEEP_CLUSTER=1 keeps it).
# No Spark image can be pulled here: the simulated driver Pods (kwok) run the driver command on
# this machine, so the demo points it at a stand-in script that prints what it received.
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
run "$helm" plugin install "$root"
run "$helm" sparkmr3 version

step "A stand-in for run-spark-submit.sh (kwok runs driver commands on this machine)"
standin=$HELM_DATA_HOME/run-spark-submit.sh
cat > "$standin" <<'SCRIPT'
#!/bin/sh
echo "stand-in run-spark-submit.sh started on $(hostname) with $# arguments:"
i=0
for a in "$@"; do i=$((i + 1)); echo "  [$i] $a"; done
echo "  (a real driver image would now run spark-submit --master spark ...)"
SCRIPT
chmod +x "$standin"
cat "$standin"

step "Install release 'demo' with two drivers through the plugin (token generated once, checked, waited for by watch)"
run "$helm" sparkmr3 install demo -n sparkmr3-demo --create-namespace \
  --set 'drivers[0].name=spark1' --set 'drivers[1].name=spark2' \
  --set "driverDefaults.command.submit=$standin" \
  --set 'hostAliases[0].ip=10.1.90.9' --set 'hostAliases[0].hostnames[0]=gold0'

step "Submit a job to driver spark1 (waits for the rollout, then execs the driver command)"
run "$helm" sparkmr3 submit demo -n sparkmr3-demo --driver spark1 -- \
  --conf spark.executor.instances=2 --class com.example.WordCount app.jar "hdfs://gold0:8020/in put" /out

step "Simulate what MR3 does at run time: the first driver creates a DAGAppMaster, which creates ContainerWorkers"
# A real driver image would do this itself; here kubectl creates the same objects under MR3's own
# names and labels (docs/DESIGN.md), so that status and teardown have them to find.
ts=$("$bin/kubectl" -n sparkmr3-demo get secret demo-token -o jsonpath='{.data.MR3_APPLICATION_ID_TIMESTAMP}' | base64 -d)
"$bin/kubectl" -n sparkmr3-demo apply -f - <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: mr3master-spark-$ts-0}
spec:
  replicas: 1
  selector: {matchLabels: {sparkmr3_app: mr3}}
  template:
    metadata: {labels: {sparkmr3_app: mr3, mr3-pod-role: master-role}}
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
spec: {ports: [{port: 9862}], selector: {sparkmr3_app: mr3}}
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
