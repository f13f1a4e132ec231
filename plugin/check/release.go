// Package check owns the consistency rules of a Spark on MR3 release: each rule is one
// function over the rendered release (the objects helm or a kustomize overlay produced, not
// the chart's values), so the rules catch hand edits and overlays as well as chart bugs. A
// rule returns Violations that name both sides of a disagreement and the fix.
package check

import (
	"fmt"
	"io"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/manifest"
	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

// The driver Pod's env variables check reads (docs/DESIGN.md "Driver Pod contract"); the
// contract's names (labels, annotations, file and token keys) are in plugin/contract.
const (
	EnvDriverName   = "DRIVER_NAME"
	EnvDriverCores  = "SPARK_DRIVER_CORES"
	EnvDriverMemory = "SPARK_DRIVER_MEMORY_MB"
	EnvDriverPort   = "SPARK_DRIVER_PORT"
	EnvUIPort       = "SPARK_UI_PORT"
)

// Object names one object of the release for messages.
type Object struct {
	Kind, Name string
	// Source is the template path from helm's "# Source:" comment, if any.
	Source string
}

// String is "Kind/name".
func (o Object) String() string { return o.Kind + "/" + o.Name }

func objectOf(d *manifest.Document) Object {
	return Object{Kind: d.Head.Kind, Name: d.Head.Name(), Source: d.Source}
}

// Conf is the configuration ConfigMap (F-conf) with its files parsed. A file that is absent
// or does not parse is nil; FromManifests reports why as a violation.
type Conf struct {
	Object
	// Site, Outside and Hive are the effective configuration: the files with the -D options
	// MR3's scripts build from env.sh laid over them (mr3conf.Overlay), as MR3 and Hive read
	// them. The rules read these.
	Site    *mr3conf.Site // mr3-site.xml, what drivers inside Kubernetes use
	Outside *mr3conf.Site // mr3-site-outside.xml, only with outside drivers
	Hive    *mr3conf.Site // hive-site.xml, when rendered
	// SiteFile, OutsideFile and HiveFile are the files as rendered.
	SiteFile, OutsideFile, HiveFile *mr3conf.Site
	SparkDefaults                   *mr3conf.SparkDefaults // spark-defaults.conf
	// Keys are the ConfigMap's keys (the files a volume of it shows).
	Keys map[string]bool
}

// Secret is a Secret with its data decoded (stringData wins over data, as on the server).
type Secret struct {
	Object
	Data   map[string]string
	Labels map[string]string
}

// Service is a Service of the release.
type Service struct {
	Ref Object
	*corev1.Service
}

// String is "Service/name".
func (s *Service) String() string { return s.Ref.String() }

// Driver is one in-cluster Spark driver: its StatefulSet, the driver container of its Pod
// template, and the Service of the same name (nil when missing).
type Driver struct {
	Object
	StatefulSet *appsv1.StatefulSet
	Container   *corev1.Container // nil when the Pod template has no containers
	Service     *Service
	// Scripts is how MR3's driver scripts run in this driver's container (nil without env.sh).
	Scripts *Scripts
}

// Pod is the driver's Pod template.
func (d *Driver) Pod() *corev1.PodTemplateSpec { return &d.StatefulSet.Spec.Template }

// Release is the rendered release as the rules see it.
type Release struct {
	// Documents are all objects, in stream order (the token rule scans their text).
	Documents []*manifest.Document
	Conf      *Conf
	// Env is the env.sh Secret (F-env); nil when absent.
	Env *Secret
	// Scripts is how MR3's scripts run on env.sh in the image (BASE_DIR /opt/mr3-run) without
	// a driver's Pod env, in master mode kubernetes: the effective Conf is built from it. nil
	// without env.sh.
	Scripts *Scripts
	// OutsideScripts is the same for a driver outside Kubernetes (nil without
	// mr3-site-outside.xml): env.sh in an environment the checker cannot see.
	OutsideScripts *Scripts
	// Secrets are the release's Secrets by name; ConfigMapKeys the keys of its ConfigMaps.
	Secrets       map[string]*Secret
	ConfigMapKeys map[string]map[string]bool
	Token         *Secret
	AMService     *Service
	Services      []*Service
	Drivers       []*Driver
	PVCs          []*corev1.PersistentVolumeClaim
	// OutsideHosts are the hosts of drivers outside Kubernetes (contract.AnnotationOutsideHosts).
	OutsideHosts []string
	// Problems are violations found while reading the release (files that do not parse).
	Problems []Violation
}

// ReadRelease reads a manifest stream and builds the Release.
func ReadRelease(r io.Reader, lim manifest.Limits) (*Release, error) {
	docs, err := manifest.Read(r, lim)
	if err != nil {
		return nil, err
	}
	return FromManifests(docs)
}

// FromManifests builds the Release from manifest documents. It fails only when a document
// of a kind it reads cannot be decoded as that kind; unparseable configuration files become
// violations of the rule "conf-files" so that every other problem is still reported.
func FromManifests(docs []*manifest.Document) (*Release, error) {
	r := &Release{Documents: docs, Secrets: map[string]*Secret{}, ConfigMapKeys: map[string]map[string]bool{}}
	var (
		confs   []*corev1.ConfigMap
		confDoc []*manifest.Document
		tokens  []*Secret
	)
	objs, errs := decodeKinds(docs)
	// Errors in the order a one-by-one reading would meet them: every kind but StatefulSets
	// in document order, then StatefulSets.
	for i, d := range docs {
		if errs[i] != nil && d.Head.Kind != "StatefulSet" {
			return nil, errs[i]
		}
	}
	for i, d := range docs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		switch o := objs[i].(type) {
		case *corev1.ConfigMap:
			keys := map[string]bool{}
			for k := range o.Data {
				keys[k] = true
			}
			for k := range o.BinaryData {
				keys[k] = true
			}
			r.ConfigMapKeys[o.Name] = keys
			if _, ok := o.Data[contract.FileMR3Site]; ok {
				confs, confDoc = append(confs, o), append(confDoc, d)
			}
		case *corev1.Secret:
			sec := &Secret{Object: objectOf(d), Data: map[string]string{}, Labels: o.Labels}
			for k, v := range o.Data {
				sec.Data[k] = string(v)
			}
			for k, v := range o.StringData {
				sec.Data[k] = v
			}
			r.Secrets[sec.Name] = sec
			if _, ok := sec.Data[contract.KeyToken]; ok {
				tokens = append(tokens, sec)
			}
			if _, ok := sec.Data[contract.FileEnvSh]; ok && r.Env == nil {
				r.Env = sec
			}
		case *corev1.Service:
			r.Services = append(r.Services, &Service{Ref: objectOf(d), Service: o})
		case *corev1.PersistentVolumeClaim:
			r.PVCs = append(r.PVCs, o)
		}
	}

	// The AM Service: labelled am-service, else named mr3.
	for _, s := range r.Services {
		if s.Labels[contract.LabelComponent] == "am-service" {
			r.AMService = s
			break
		}
	}
	if r.AMService == nil {
		for _, s := range r.Services {
			if s.Name == contract.DefaultAMServiceName {
				r.AMService = s
			}
		}
	}
	r.Token = pick(tokens, func(s *Secret) bool { return s.Labels[contract.LabelComponent] == "token" })

	if i := pickIndex(confs, func(c *corev1.ConfigMap) bool { return c.Labels[contract.LabelComponent] == "conf" }); i >= 0 {
		r.Conf = r.parseConf(confs[i], confDoc[i])
		r.OutsideHosts = mr3conf.SplitList(confs[i].Annotations[contract.AnnotationOutsideHosts])
	}

	services := make(map[string]*Service, len(r.Services))
	for _, s := range r.Services {
		services[s.Name] = s // of two with one name, the later, as before
	}
	for i, d := range docs {
		sts, ok := objs[i].(*appsv1.StatefulSet)
		if !ok || !isDriver(sts) {
			continue
		}
		drv := &Driver{Object: objectOf(d), StatefulSet: sts}
		cs := sts.Spec.Template.Spec.Containers
		if i := slices.IndexFunc(cs, func(c corev1.Container) bool { return c.Name == contract.DriverContainer }); i >= 0 {
			drv.Container = &cs[i]
		} else if len(cs) > 0 {
			drv.Container = &cs[0]
		}
		drv.Service = services[sts.Name]
		r.Drivers = append(r.Drivers, drv)
	}
	r.runScripts()
	return r, nil
}

// decodeKinds decodes the documents of the kinds a Release holds (apiVersion v1 or apps/v1
// ConfigMaps, Secrets, Services, StatefulSets, PersistentVolumeClaims) into their Go types, on
// all CPUs: on a big release, decoding is most of the rules' time (docs/PERFORMANCE.md, P2).
// Other documents get nil.
func decodeKinds(docs []*manifest.Document) ([]any, []error) {
	objs := make([]any, len(docs))
	errs := make([]error, len(docs))
	var todo []int
	for i, d := range docs {
		if d.Head.APIVersion != "v1" && d.Head.APIVersion != "apps/v1" {
			continue
		}
		switch d.Head.Kind {
		case "ConfigMap":
			objs[i] = &corev1.ConfigMap{}
		case "Secret":
			objs[i] = &corev1.Secret{}
		case "Service":
			objs[i] = &corev1.Service{}
		case "StatefulSet":
			objs[i] = &appsv1.StatefulSet{}
		case "PersistentVolumeClaim":
			objs[i] = &corev1.PersistentVolumeClaim{}
		default:
			continue
		}
		todo = append(todo, i)
	}
	manifest.Parallel(len(todo), func(k int) {
		i := todo[k]
		errs[i] = docs[i].Decode(objs[i])
	})
	return objs, errs
}

// isDriver: the chart labels drivers; an overlay may have dropped the component label, so a
// StatefulSet whose Pods carry a driver label or run a "driver" container counts too.
func isDriver(s *appsv1.StatefulSet) bool {
	l := s.Spec.Template.Labels
	if s.Labels[contract.LabelComponent] == "driver" || l[contract.LabelDriver] != "" || l[contract.LabelApp] != "" {
		return true
	}
	return slices.ContainsFunc(s.Spec.Template.Spec.Containers, func(c corev1.Container) bool { return c.Name == contract.DriverContainer })
}

func pick[T any](xs []T, prefer func(T) bool) T {
	var zero T
	if i := pickIndex(xs, prefer); i >= 0 {
		return xs[i]
	}
	return zero
}

func pickIndex[T any](xs []T, prefer func(T) bool) int {
	if i := slices.IndexFunc(xs, prefer); i >= 0 {
		return i
	}
	if len(xs) > 0 {
		return 0
	}
	return -1
}

func (r *Release) parseConf(cm *corev1.ConfigMap, d *manifest.Document) *Conf {
	c := &Conf{Object: objectOf(d), Keys: r.ConfigMapKeys[cm.Name]}
	const fix = "fix the file in the chart values (or the overlay that edits this ConfigMap) so that it parses"
	site, err := mr3conf.ParseSite(contract.FileMR3Site, []byte(cm.Data[contract.FileMR3Site]))
	if err != nil {
		r.problem(c.Object, contract.FileMR3Site, fmt.Sprintf("ConfigMap %s key %s does not parse: %v", cm.Name, contract.FileMR3Site, err), fix)
	}
	c.Site, c.SiteFile = site, site
	if v, ok := cm.Data[contract.FileMR3SiteOutside]; ok {
		out, err := mr3conf.ParseSite(contract.FileMR3SiteOutside, []byte(v))
		if err != nil {
			r.problem(c.Object, contract.FileMR3SiteOutside, fmt.Sprintf("ConfigMap %s key %s does not parse: %v", cm.Name, contract.FileMR3SiteOutside, err), fix)
		}
		c.Outside, c.OutsideFile = out, out
	}
	if v, ok := cm.Data[contract.FileHiveSite]; ok {
		hive, err := mr3conf.ParseSite(contract.FileHiveSite, []byte(v))
		if err != nil {
			r.problem(c.Object, contract.FileHiveSite, fmt.Sprintf("ConfigMap %s key %s does not parse: %v", cm.Name, contract.FileHiveSite, err), fix)
		}
		c.Hive, c.HiveFile = hive, hive
	}
	if v, ok := cm.Data[contract.FileSparkDefaults]; ok {
		sd, err := mr3conf.ParseSparkDefaults(contract.FileSparkDefaults, []byte(v))
		if err != nil {
			r.problem(c.Object, contract.FileSparkDefaults, fmt.Sprintf("ConfigMap %s key %s does not parse: %v", cm.Name, contract.FileSparkDefaults, err), fix)
		}
		c.SparkDefaults = sd
	} else {
		r.problem(c.Object, contract.FileSparkDefaults, fmt.Sprintf("ConfigMap %s has no key %s, which drivers, the DAGAppMaster and workers all read", cm.Name, contract.FileSparkDefaults),
			"render spark-defaults.conf into the conf ConfigMap (do not remove it in an overlay)")
	}
	return c
}

func (r *Release) problem(o Object, key, msg, fix string) {
	r.Problems = append(r.Problems, Violation{Rule: RuleConfFiles, Object: o.String(), Source: o.Source, Key: key, Message: msg, Fix: fix})
}
