// Package mr3runtimetest builds objects shaped like the ones MR3 creates at run time (exact
// names and labels from docs/DESIGN.md), and like a spark-mr3 release's own objects, for unit
// and end-to-end tests of status and teardown.
package mr3runtimetest

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
)

// Image is a small image for simulated Pods; on a cluster without kubelets it never runs.
const Image = "registry.k8s.io/pause:3.10"

// ReleaseLabels are the labels every release object carries.
func ReleaseLabels(release, component string) map[string]string {
	return map[string]string{
		contract.LabelName:      contract.ChartName,
		contract.LabelInstance:  release,
		contract.LabelManagedBy: "Helm",
		contract.LabelPartOf:    contract.ChartName,
		contract.LabelComponent: component,
	}
}

// TokenSecret is the release's F-token Secret. The token value is a fixed fake.
func TokenSecret(ns, fullname, release, ts string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: contract.TokenName(fullname), Namespace: ns, Labels: ReleaseLabels(release, contract.ComponentToken)},
		Data: map[string][]byte{
			contract.KeyToken:     []byte("00000000-test-token-do-not-print"),
			contract.KeyTimestamp: []byte(ts),
		},
	}
}

// ConfConfigMap is the release's F-conf ConfigMap with the given master labels in mr3-site.xml.
func ConfConfigMap(ns, fullname, release, masterLabels string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: contract.ConfName(fullname), Namespace: ns, Labels: ReleaseLabels(release, contract.ComponentConf)},
		Data: map[string]string{contract.FileMR3Site: `<?xml version="1.0"?>
<configuration>
  <property><name>mr3.k8s.master.pod.additional.labels</name><value>` + masterLabels + `</value></property>
</configuration>
`},
	}
}

func podTemplate(fullname string, lbls map[string]string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: lbls},
		Spec: corev1.PodSpec{
			ServiceAccountName: fullname + contract.SuffixMaster,
			Containers:         []corev1.Container{{Name: "master", Image: Image}},
			Volumes: []corev1.Volume{{Name: "conf", VolumeSource: corev1.VolumeSource{
				ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: contract.ConfName(fullname)}}}}},
		},
	}
}

// AMDeployment is MR3's DAGAppMaster Deployment mr3master-spark-<ts>-0 whose Pod template
// carries the master labels and mr3-pod-role=master-role and mounts F-conf.
func AMDeployment(ns, fullname, ts string, masterLabels map[string]string) *appsv1.Deployment {
	lbls := map[string]string{contract.LabelPodRole: contract.RoleMaster}
	for k, v := range masterLabels {
		lbls[k] = v
	}
	one := int32(1)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: contract.AMDeploymentNames(ts)[0], Namespace: ns, UID: types.UID("uid-am-" + ts)},
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: lbls},
			Template: podTemplate(fullname, lbls),
		},
	}
}

// AMPod is the Pod of AMDeployment (as the ReplicaSet would name it).
func AMPod(d *appsv1.Deployment) *corev1.Pod {
	t := d.Spec.Template
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: d.Name + "-5d8f7c9b4-x2x7q", Namespace: d.Namespace, Labels: t.Labels,
			UID: types.UID("uid-ampod-" + d.Name)},
		Spec: *t.Spec.DeepCopy(),
	}
}

// WorkerPod is a bare ContainerWorker Pod mr3executor-<hex>-<n>. owner, when not nil, becomes
// its ownerReference (MR3 may or may not set one); fullname "" leaves out the release mounts.
func WorkerPod(ns, hex string, n int, fullname string, owner *corev1.Pod) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("mr3executor-%s-%d", hex, n), Namespace: ns,
			Labels: map[string]string{contract.LabelWorkerPodID: fmt.Sprint(n), contract.LabelPodRole: contract.RoleContainer},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "worker", Image: Image}}},
	}
	if fullname != "" {
		p.Spec.ServiceAccountName = fullname + contract.SuffixWorker
		p.Spec.Volumes = []corev1.Volume{{Name: "conf", VolumeSource: corev1.VolumeSource{
			ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: contract.ConfName(fullname)}}}}}
	}
	if owner != nil {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: owner.Name, UID: owner.UID}}
	}
	return p
}

// DriverPod is a release's driver Pod D-0: it carries mr3-pod-role=master-role and the master
// labels' key with its own value, as the chart renders it.
func DriverPod(ns, release, driver string) *corev1.Pod {
	lbls := ReleaseLabels(release, contract.ComponentDriver)
	lbls[contract.LabelApp] = driver
	lbls[contract.LabelPodRole] = contract.RoleMaster
	lbls[contract.LabelDriver] = driver
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: driver + "-0", Namespace: ns, Labels: lbls},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "driver", Image: Image}}},
	}
}

// MR3ConfigMapsAndServices are the four objects MR3 makes besides Pods: service-master-<ts>-0,
// mr3conf-configmap-master, mr3conf-configmap-worker and service-worker.
func MR3ConfigMapsAndServices(ns, ts string) []runtime.Object {
	svc := func(name string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "p", Port: 9862}}}}
	}
	cm := func(name string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: map[string]string{"mr3-conf.properties": "x=y\n"}}
	}
	return []runtime.Object{svc(contract.AMServiceName(ts)), cm(contract.ConfigMapMaster), cm(contract.ConfigMapWorker), svc(contract.ServiceWorker)}
}
