package postrender

import (
	"fmt"
	"strings"
)

// genRelease writes a consistent release with n drivers shaped like the chart's output
// (docs/DESIGN.md names; about the chart's size per driver), for tests and benchmarks.
func genRelease(n int) []byte {
	var b strings.Builder
	b.WriteString(`---
# Source: spark-mr3/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: rel-driver
  namespace: ns1
  labels:
    app.kubernetes.io/name: spark-mr3
    app.kubernetes.io/instance: rel
    app.kubernetes.io/component: rbac
---
# Source: spark-mr3/templates/secret-token.yaml
apiVersion: v1
kind: Secret
metadata:
  name: rel-token
  namespace: ns1
  labels:
    app.kubernetes.io/component: token
type: Opaque
data:
  CLIENT_TO_AM_TOKEN_KEY: ZTA3YzM1Y2EtMWEyYy00ZDk3LTkwMzctOWZiODRkZTVmN2M0
  MR3_APPLICATION_ID_TIMESTAMP: Mjk1MjY=
---
# Source: spark-mr3/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: rel-conf
  namespace: ns1
  labels:
    app.kubernetes.io/component: conf
data:
  mr3-site.xml: |
    <?xml version="1.0"?>
    <configuration>
      <property>
        <name>mr3.k8s.host.aliases</name>
        <value>gold0=10.1.90.9</value>
      </property>
      <property>
        <name>mr3.am.staging-dir</name>
        <value>/opt/mr3-run/work-dir</value>
      </property>
      <property>
        <name>mr3.dag.recovery.enabled</name>
        <value>false</value>
      </property>
      <property>
        <name>mr3.use.daemon.shufflehandler</name>
        <value>0</value>
      </property>
      <property>
        <name>mr3.k8s.shuffle.process.ports</name>
        <value>7337</value>
      </property>
      <property>
        <name>mr3.k8s.pod.worker.emptydirs</name>
        <value>/data1/k8s</value>
      </property>
      <property>
        <name>mr3.k8s.master.pod.additional.labels</name>
        <value>sparkmr3_app=mr3</value>
      </property>
    </configuration>
  spark-defaults.conf: |
    spark.local.dir=/data1/k8s
    spark.shuffle.service.enabled=true
    spark.shuffle.service.port=7337
---
# Source: spark-mr3/templates/service-am.yaml
apiVersion: v1
kind: Service
metadata:
  name: mr3
  namespace: ns1
  labels:
    app.kubernetes.io/component: am-service
spec:
  type: ClusterIP
  selector:
    sparkmr3_app: mr3
  ports:
    - name: am
      protocol: TCP
      port: 9862
      targetPort: 8080
`)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `---
# Source: spark-mr3/templates/service-driver.yaml
apiVersion: v1
kind: Service
metadata:
  name: spark%[1]d
  namespace: ns1
  labels:
    app.kubernetes.io/name: spark-mr3
    app.kubernetes.io/instance: rel
    app.kubernetes.io/managed-by: Helm
    app.kubernetes.io/part-of: spark-mr3
    app.kubernetes.io/component: driver
    sparkmr3.io/driver: spark%[1]d
spec:
  clusterIP: None
  selector:
    sparkmr3_app: spark%[1]d
  ports:
    - name: driver
      protocol: TCP
      port: 9850
      targetPort: 9850
    - name: webui
      protocol: TCP
      port: 4040
      targetPort: 4040
---
# Source: spark-mr3/templates/statefulset.yaml
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: spark%[1]d
  namespace: ns1
  labels:
    app.kubernetes.io/name: spark-mr3
    app.kubernetes.io/instance: rel
    app.kubernetes.io/managed-by: Helm
    app.kubernetes.io/part-of: spark-mr3
    app.kubernetes.io/component: driver
    sparkmr3.io/driver: spark%[1]d
spec:
  replicas: 1
  serviceName: spark%[1]d
  podManagementPolicy: Parallel
  selector:
    matchLabels:
      app.kubernetes.io/name: spark-mr3
      app.kubernetes.io/instance: rel
      sparkmr3_app: spark%[1]d
  template:
    metadata:
      labels:
        app.kubernetes.io/name: spark-mr3
        app.kubernetes.io/instance: rel
        app.kubernetes.io/component: driver
        sparkmr3_app: spark%[1]d
        mr3-pod-role: master-role
        sparkmr3.io/driver: spark%[1]d
      annotations:
        sparkmr3.io/submit-command: "/opt/mr3-run/spark/run-spark-submit.sh"
        sparkmr3.io/shell-command: "/opt/mr3-run/spark/run-spark-shell.sh"
        checksum/conf: 5d41402abc4b2a76b9719d911017c592
    spec:
      serviceAccountName: rel-driver
      enableServiceLinks: false
      hostAliases:
        - hostnames:
            - gold0
          ip: 10.1.90.9
      securityContext:
        fsGroup: 1000
        runAsNonRoot: true
      containers:
        - name: driver
          image: mr3project/spark3:3.5.3
          imagePullPolicy: IfNotPresent
          command: ["/bin/bash", "-c", "trap 'exit 0' TERM INT; sleep infinity & wait"]
          workingDir: /opt/mr3-run/spark
          env:
            - name: DRIVER_NAME
              value: "spark%[1]d"
            - name: SPARK_MR3_NAMESPACE
              value: "ns1"
            - name: SPARK_DRIVER_CORES
              value: "2"
            - name: SPARK_DRIVER_MEMORY_MB
              value: "13107"
            - name: SPARK_DRIVER_PORT
              value: "9850"
            - name: SPARK_UI_PORT
              value: "4040"
            - name: CLIENT_TO_AM_TOKEN_KEY
              valueFrom:
                secretKeyRef:
                  name: rel-token
                  key: CLIENT_TO_AM_TOKEN_KEY
            - name: MR3_APPLICATION_ID_TIMESTAMP
              valueFrom:
                secretKeyRef:
                  name: rel-token
                  key: MR3_APPLICATION_ID_TIMESTAMP
          ports:
            - name: driver
              containerPort: 9850
              protocol: TCP
            - name: webui
              containerPort: 4040
              protocol: TCP
          resources:
            requests:
              cpu: 2
              memory: 16Gi
            limits:
              cpu: 2
              memory: 16Gi
          volumeMounts:
            - name: conf
              mountPath: /opt/mr3-run/conf
              readOnly: true
            - name: env
              mountPath: /opt/mr3-run/env.sh
              subPath: env.sh
              readOnly: true
            - name: local-dir-0
              mountPath: /data1/k8s
      volumes:
        - name: conf
          configMap:
            name: rel-conf
        - name: env
          secret:
            secretName: rel-env
        - name: local-dir-0
          emptyDir: {}
`, i)
	}
	return []byte(b.String())
}
