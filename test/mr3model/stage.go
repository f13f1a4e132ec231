package mr3model

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Objects looks up the ConfigMaps and Secrets a Pod refers to (volumes, env). Absent: nil, nil.
type Objects interface {
	ConfigMap(name string) (*corev1.ConfigMap, error)
	Secret(name string) (*corev1.Secret, error)
}

// APIObjects reads them from the cluster.
type APIObjects struct {
	Ctx       context.Context
	Client    kubernetes.Interface
	Namespace string
}

func (o APIObjects) ConfigMap(name string) (*corev1.ConfigMap, error) {
	cm, err := o.Client.CoreV1().ConfigMaps(o.Namespace).Get(o.Ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return cm, err
}

func (o APIObjects) Secret(name string) (*corev1.Secret, error) {
	s, err := o.Client.CoreV1().Secrets(o.Namespace).Get(o.Ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return s, err
}

// ListObjects serves them from memory (a rendered manifest, or objects a test creates).
type ListObjects struct {
	ConfigMaps map[string]*corev1.ConfigMap
	Secrets    map[string]*corev1.Secret
}

func (o ListObjects) ConfigMap(name string) (*corev1.ConfigMap, error) {
	return o.ConfigMaps[name], nil
}
func (o ListObjects) Secret(name string) (*corev1.Secret, error) { return o.Secrets[name], nil }

// Driver is one staged driver Pod.
type Driver struct {
	// Name is the driver entry's name D (label sparkmr3.io/driver; its folder under Root); Pod
	// is the Pod's name (F-D-0 with the chart, whose StatefulSet and Service F-D is DRIVER_NAME).
	Name, Pod string
	// Root is the host folder standing for the Pod's "/".
	Root string
}

// Host is where the model keeps the Pod's path p.
func (d *Driver) Host(p string) string { return filepath.Join(d.Root, filepath.FromSlash(p)) }

// SubmitScript and ShellScript are the host paths of the model's driver scripts.
func (d *Driver) SubmitScript() string { return d.Host(SubmitScript) }
func (d *Driver) ShellScript() string  { return d.Host(ShellScript) }

func (d *Driver) modelFile(name string) string { return d.Host(path.Join(modelDir, name)) }

// SetExitCode makes the fake spark-submit exit with code n from now on (0 clears it).
func (d *Driver) SetExitCode(n int) error {
	if n == 0 {
		err := os.Remove(d.modelFile("exitcode"))
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	return os.WriteFile(d.modelFile("exitcode"), []byte(strconv.Itoa(n)+"\n"), 0o644)
}

// Stage lays out driver Pod pod under root.PodRoot(driver) for the model: MR3's image folders
// and the model's scripts; every volume mount of the driver container filled as the kubelet
// would (ConfigMap and Secret keys as files, subPath as one file; other volumes as empty
// folders) and shadowing what the image has there; the container's environment resolved into
// pod-env; its working dir; and pod-mounts, which lists every mount point as rw or ro ("/" ro
// when readOnlyRootFilesystem) so the model refuses writes the Pod could not make. The Pod's
// command annotations must point at the staged scripts (install with Root.SetValues).
// Staging again replaces the folder (the records of earlier runs go with it).
func Stage(root Root, driver string, pod *corev1.Pod, objs Objects) (*Driver, error) {
	d := &Driver{Name: driver, Pod: pod.Name, Root: root.PodRoot(driver)}
	c := driverContainer(pod)
	if c == nil {
		return nil, fmt.Errorf("pod %s has no containers", pod.Name)
	}
	for ann, want := range map[string]string{"sparkmr3.io/submit-command": root.SubmitCommand(driver), "sparkmr3.io/shell-command": root.ShellCommand(driver)} {
		if got := pod.Annotations[ann]; got != want {
			return nil, fmt.Errorf("pod %s: annotation %s is %q, want %q (install with mr3model.Root.SetValues)", pod.Name, ann, got, want)
		}
	}
	if err := os.RemoveAll(d.Root); err != nil {
		return nil, err
	}
	for _, dir := range imageDirs {
		if err := os.MkdirAll(d.Host(dir), 0o755); err != nil {
			return nil, err
		}
	}
	if err := copyImage(d, "image", RemoteBase); err != nil {
		return nil, err
	}
	// spark-shell is the same fake as spark-submit, by another name.
	if err := copyFile(d.Host(RemoteBase+"/spark/bin/spark-submit"), d.Host(RemoteBase+"/spark/bin/spark-shell"), 0o755); err != nil {
		return nil, err
	}

	mounts, err := stageMounts(d, pod, c, objs)
	if err != nil {
		return nil, err
	}
	env, err := podEnv(pod, c, objs)
	if err != nil {
		return nil, err
	}
	workdir := c.WorkingDir
	if workdir == "" {
		workdir = ImageWorkDir
	}
	if err := os.MkdirAll(d.Host(workdir), 0o755); err != nil {
		return nil, err
	}
	// The model's own files last, so that no mount hides them.
	if err := copyImage(d, "image/.mr3model", modelDir); err != nil {
		return nil, err
	}
	for name, text := range map[string]string{"pod-env": env, "pod-workdir": workdir + "\n", "pod-mounts": mounts} {
		if err := os.WriteFile(d.modelFile(name), []byte(text), 0o600); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// StageNode lays out a node outside Kubernetes for `submit --local`: the model's scripts in
// BASE_DIR = root/opt/mr3-run (Driver.Base), without env.sh and conf/ (`helm sparkmr3 env
// --write-dir BASE_DIR` writes those). The caller's environment and working directory apply;
// every path is writable, and absolute paths the MR3 client writes (mr3.am.staging-dir) are
// kept under root.
func StageNode(root string) (*Driver, error) {
	d := &Driver{Name: "outside", Root: root}
	if err := os.RemoveAll(root); err != nil {
		return nil, err
	}
	for _, dir := range imageDirs {
		if err := os.MkdirAll(d.Host(dir), 0o755); err != nil {
			return nil, err
		}
	}
	// MR3's files on the node: the scripts, but no conf (env --write-dir writes it).
	if err := os.Remove(d.Host(RemoteBase + "/conf")); err != nil {
		return nil, err
	}
	if err := copyImage(d, "image", RemoteBase); err != nil {
		return nil, err
	}
	if err := copyFile(d.Host(RemoteBase+"/spark/bin/spark-submit"), d.Host(RemoteBase+"/spark/bin/spark-shell"), 0o755); err != nil {
		return nil, err
	}
	return d, os.WriteFile(d.modelFile("pod-mounts"), []byte("root "+root+"\nrw /\n"), 0o600)
}

// Base is the host path of MR3's BASE_DIR (/opt/mr3-run) in the staged Pod or node.
func (d *Driver) Base() string { return d.Host(RemoteBase) }

func driverContainer(pod *corev1.Pod) *corev1.Container {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == "driver" {
			return &pod.Spec.Containers[i]
		}
	}
	if len(pod.Spec.Containers) > 0 {
		return &pod.Spec.Containers[0]
	}
	return nil
}

// copyImage copies the embedded folder from (e.g. "image") to the Pod path to.
func copyImage(d *Driver, from, to string) error {
	return fs.WalkDir(image, from, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, from), "/")
		dst := d.Host(path.Join(to, rel))
		if e.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := image.ReadFile(p)
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(p, ".sh") && strings.Contains(p, "/spark/run-") || strings.Contains(p, "/bin/") {
			mode = 0o755
		}
		return os.WriteFile(dst, data, mode)
	})
}

func copyFile(from, to string, mode os.FileMode) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, mode)
}

// stageMounts fills the container's mounts, parents first, and returns pod-mounts' text.
func stageMounts(d *Driver, pod *corev1.Pod, c *corev1.Container, objs Objects) (string, error) {
	volumes := map[string]*corev1.Volume{}
	for i := range pod.Spec.Volumes {
		volumes[pod.Spec.Volumes[i].Name] = &pod.Spec.Volumes[i]
	}
	ms := append([]corev1.VolumeMount(nil), c.VolumeMounts...)
	sort.SliceStable(ms, func(i, j int) bool { return depth(ms[i].MountPath) < depth(ms[j].MountPath) })

	rootMode := "rw"
	if sc := c.SecurityContext; sc != nil && sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem {
		rootMode = "ro"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "root %s\n%s /\n", d.Root, rootMode)
	for _, m := range ms {
		mp := path.Clean(m.MountPath)
		v := volumes[m.Name] // nil: a StatefulSet's volumeClaimTemplate (a PVC)
		files, ro, err := volumeFiles(v, objs)
		if err != nil {
			return "", fmt.Errorf("pod %s: volume %s: %w", pod.Name, m.Name, err)
		}
		ro = ro || m.ReadOnly
		host := d.Host(mp)
		// A mount hides whatever the image has at that path.
		if err := os.RemoveAll(host); err != nil {
			return "", err
		}
		switch {
		case m.SubPath != "" && files != nil:
			data, ok := files[m.SubPath]
			if !ok {
				return "", fmt.Errorf("pod %s: volume %s has no key %s for subPath (the kubelet would not start the container)", pod.Name, m.Name, m.SubPath)
			}
			if err := os.MkdirAll(filepath.Dir(host), 0o755); err != nil {
				return "", err
			}
			if err := os.WriteFile(host, data, 0o644); err != nil {
				return "", err
			}
		default:
			if err := os.MkdirAll(host, 0o755); err != nil {
				return "", err
			}
			for name, data := range files {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(host, name)), 0o755); err != nil {
					return "", err
				}
				if err := os.WriteFile(filepath.Join(host, name), data, 0o644); err != nil {
					return "", err
				}
			}
		}
		mode := "rw"
		if ro {
			mode = "ro"
		}
		fmt.Fprintf(&b, "%s %s\n", mode, mp)
	}
	return b.String(), nil
}

func depth(p string) int { return strings.Count(path.Clean(p), "/") }

// volumeFiles returns the files of a ConfigMap or Secret volume (nil for other kinds) and
// whether the kubelet mounts it read-only whatever the mount says (it does for those kinds).
func volumeFiles(v *corev1.Volume, objs Objects) (map[string][]byte, bool, error) {
	if v == nil {
		return nil, false, nil
	}
	switch {
	case v.ConfigMap != nil:
		cm, err := objs.ConfigMap(v.ConfigMap.Name)
		if err != nil {
			return nil, true, err
		}
		if cm == nil {
			if v.ConfigMap.Optional != nil && *v.ConfigMap.Optional {
				return map[string][]byte{}, true, nil
			}
			return nil, true, fmt.Errorf("ConfigMap %s does not exist (the kubelet would not start the container)", v.ConfigMap.Name)
		}
		data := map[string][]byte{}
		for k, s := range cm.Data {
			data[k] = []byte(s)
		}
		for k, b := range cm.BinaryData {
			data[k] = b
		}
		return project(data, v.ConfigMap.Items), true, nil
	case v.Secret != nil:
		s, err := objs.Secret(v.Secret.SecretName)
		if err != nil {
			return nil, true, err
		}
		if s == nil {
			if v.Secret.Optional != nil && *v.Secret.Optional {
				return map[string][]byte{}, true, nil
			}
			return nil, true, fmt.Errorf("Secret %s does not exist (the kubelet would not start the container)", v.Secret.SecretName)
		}
		data := map[string][]byte{}
		for k, b := range s.Data {
			data[k] = b
		}
		for k, str := range s.StringData {
			data[k] = []byte(str)
		}
		return project(data, v.Secret.Items), true, nil
	case v.Projected != nil, v.DownwardAPI != nil:
		return map[string][]byte{}, true, nil
	}
	return nil, false, nil
}

func project(data map[string][]byte, items []corev1.KeyToPath) map[string][]byte {
	if len(items) == 0 {
		return data
	}
	out := map[string][]byte{}
	for _, it := range items {
		if b, ok := data[it.Key]; ok {
			out[it.Path] = b
		}
	}
	return out
}

// podEnv resolves the container's environment as the kubelet would give it to an exec'd
// process: HOSTNAME, envFrom, then env in order with $(VAR) references expanded.
func podEnv(pod *corev1.Pod, c *corev1.Container, objs Objects) (string, error) {
	type kv struct{ k, v string }
	var list []kv
	vals := map[string]string{}
	set := func(k, v string) {
		if _, ok := vals[k]; !ok {
			list = append(list, kv{k: k})
		}
		vals[k] = v
	}
	set("HOSTNAME", pod.Name)
	for _, ef := range c.EnvFrom {
		var data map[string]string
		switch {
		case ef.ConfigMapRef != nil:
			cm, err := objs.ConfigMap(ef.ConfigMapRef.Name)
			if err != nil {
				return "", err
			}
			if cm == nil {
				if ef.ConfigMapRef.Optional != nil && *ef.ConfigMapRef.Optional {
					continue
				}
				return "", fmt.Errorf("pod %s: envFrom ConfigMap %s does not exist", pod.Name, ef.ConfigMapRef.Name)
			}
			data = cm.Data
		case ef.SecretRef != nil:
			s, err := objs.Secret(ef.SecretRef.Name)
			if err != nil {
				return "", err
			}
			if s == nil {
				if ef.SecretRef.Optional != nil && *ef.SecretRef.Optional {
					continue
				}
				return "", fmt.Errorf("pod %s: envFrom Secret %s does not exist", pod.Name, ef.SecretRef.Name)
			}
			data = map[string]string{}
			for k, b := range s.Data {
				data[k] = string(b)
			}
		}
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			set(ef.Prefix+k, data[k])
		}
	}
	for _, e := range c.Env {
		v, ok, err := envValue(pod, c, e, objs, vals)
		if err != nil {
			return "", fmt.Errorf("pod %s: env %s: %w", pod.Name, e.Name, err)
		}
		if ok {
			set(e.Name, v)
		}
	}
	var b strings.Builder
	for _, e := range list {
		fmt.Fprintf(&b, "export %s=%s\n", e.k, shQuote(vals[e.k]))
	}
	return b.String(), nil
}

var envRef = regexp.MustCompile(`\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)`)

func envValue(pod *corev1.Pod, c *corev1.Container, e corev1.EnvVar, objs Objects, defined map[string]string) (string, bool, error) {
	if e.ValueFrom == nil {
		return envRef.ReplaceAllStringFunc(e.Value, func(m string) string {
			if m == "$$" {
				return "$"
			}
			if v, ok := defined[m[2:len(m)-1]]; ok {
				return v
			}
			return m
		}), true, nil
	}
	f := e.ValueFrom
	optional := func(p *bool) bool { return p != nil && *p }
	switch {
	case f.SecretKeyRef != nil:
		s, err := objs.Secret(f.SecretKeyRef.Name)
		if err != nil {
			return "", false, err
		}
		if s == nil || s.Data[f.SecretKeyRef.Key] == nil {
			if optional(f.SecretKeyRef.Optional) {
				return "", false, nil
			}
			return "", false, fmt.Errorf("Secret %s has no key %s (the kubelet would not start the container)", f.SecretKeyRef.Name, f.SecretKeyRef.Key)
		}
		return string(s.Data[f.SecretKeyRef.Key]), true, nil
	case f.ConfigMapKeyRef != nil:
		cm, err := objs.ConfigMap(f.ConfigMapKeyRef.Name)
		if err != nil {
			return "", false, err
		}
		v, ok := "", false
		if cm != nil {
			v, ok = cm.Data[f.ConfigMapKeyRef.Key]
		}
		if !ok {
			if optional(f.ConfigMapKeyRef.Optional) {
				return "", false, nil
			}
			return "", false, fmt.Errorf("ConfigMap %s has no key %s (the kubelet would not start the container)", f.ConfigMapKeyRef.Name, f.ConfigMapKeyRef.Key)
		}
		return v, true, nil
	case f.FieldRef != nil:
		return fieldValue(pod, f.FieldRef.FieldPath)
	case f.ResourceFieldRef != nil:
		return resourceValue(c, f.ResourceFieldRef)
	}
	return "", false, nil
}

var labelRef = regexp.MustCompile(`^metadata\.(labels|annotations)\['(.+)'\]$`)

func fieldValue(pod *corev1.Pod, p string) (string, bool, error) {
	switch p {
	case "metadata.name":
		return pod.Name, true, nil
	case "metadata.namespace":
		return pod.Namespace, true, nil
	case "metadata.uid":
		return string(pod.UID), true, nil
	case "spec.nodeName":
		return pod.Spec.NodeName, true, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, true, nil
	case "status.podIP":
		return pod.Status.PodIP, true, nil
	case "status.hostIP":
		return pod.Status.HostIP, true, nil
	}
	if m := labelRef.FindStringSubmatch(p); m != nil {
		if m[1] == "labels" {
			return pod.Labels[m[2]], true, nil
		}
		return pod.Annotations[m[2]], true, nil
	}
	return "", false, fmt.Errorf("fieldRef %s: not modelled", p)
}

func resourceValue(c *corev1.Container, r *corev1.ResourceFieldSelector) (string, bool, error) {
	kind, name, _ := strings.Cut(r.Resource, ".")
	list := c.Resources.Limits
	if kind == "requests" {
		list = c.Resources.Requests
	}
	q, ok := list[corev1.ResourceName(name)]
	if !ok {
		return "0", true, nil
	}
	div := r.Divisor
	if div.IsZero() {
		div = resource.MustParse("1")
	}
	v := math.Ceil(q.AsApproximateFloat64() / div.AsApproximateFloat64())
	return strconv.FormatInt(int64(v), 10), true, nil
}

func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
