package check

import (
	"fmt"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

// Scripts is MR3's driver scripts (run-spark-submit.sh, run-spark-shell.sh) run on the release's
// env.sh in one environment: env.sh as they source it and the -D options they then build.
type Scripts struct {
	EnvSh   *mr3conf.EnvSh
	Options *mr3conf.JavaOptions
	// BaseDir is the scripts' BASE_DIR (the parent of their folder).
	BaseDir string
	// Where names the environment in messages, e.g. "in driver spark1".
	Where string
}

// baseDirOf is BASE_DIR for a driver: the parent of the folder of its submit command.
func baseDirOf(d *Driver) string {
	if c := d.Pod().Annotations[contract.AnnotationSubmitCommand]; path.IsAbs(c) {
		return path.Dir(path.Dir(path.Clean(c)))
	}
	return contract.DefaultBaseDir
}

// scriptVars are what run-spark-submit.sh sets before it sources env.sh.
func scriptVars(base string) map[string]string {
	return map[string]string{"BASE_DIR": base, "DIR": base + "/spark"}
}

// runScripts evaluates env.sh and the -D options for the release, for an outside driver and
// for each driver, and lays the options over the conf files (Conf.Site, Conf.Outside,
// Conf.Hive). Drivers whose environment agrees in every variable the evaluation reads share
// one evaluation.
func (r *Release) runScripts() {
	if r.Env == nil {
		return
	}
	data := []byte(r.Env.Data[contract.FileEnvSh])
	if len(data) > mr3conf.MaxFileBytes {
		r.problem(r.Env.Object, contract.FileEnvSh, fmt.Sprintf("Secret %s key %s: %v", r.Env.Name, contract.FileEnvSh, fmt.Errorf("%w: %d bytes, the limit is %d", mr3conf.ErrTooLarge, len(data), mr3conf.MaxFileBytes)),
			"keep env.sh small: it holds settings, not files (put files in keytabFiles)")
		return
	}
	eval := func(env mr3conf.Env, exists func(*mr3conf.EnvSh) func(string) (bool, bool), base, where string) *Scripts {
		e, _ := mr3conf.SourceEnvSh(data, env) // the size is checked above
		return &Scripts{EnvSh: e, Options: e.JavaOptions(mr3conf.ScriptRun{FileExists: exists(e)}), BaseDir: base, Where: where}
	}
	r.Scripts = eval(mr3conf.Env{Values: scriptVars(contract.DefaultBaseDir)}, r.keytabFiles, contract.DefaultBaseDir, "")
	if c := r.Conf; c != nil {
		if c.SiteFile != nil {
			c.Site = mr3conf.Overlay(c.SiteFile, r.Scripts.Options, mr3conf.PrefixMR3)
		}
		if c.HiveFile != nil {
			c.Hive = mr3conf.Overlay(c.HiveFile, r.Scripts.Options, mr3conf.PrefixHive)
		}
		if c.OutsideFile != nil {
			unknown := func(*mr3conf.EnvSh) func(string) (bool, bool) {
				return func(string) (bool, bool) { return false, false }
			}
			r.OutsideScripts = eval(mr3conf.Env{Unknown: map[string]string{"BASE_DIR": "the folder MR3 is installed in on the outside node"}},
				unknown, "", "outside Kubernetes")
			c.Outside = mr3conf.Overlay(c.OutsideFile, r.OutsideScripts.Options, mr3conf.PrefixMR3)
		}
	}
	reads := r.Scripts.EnvSh.EnvironmentReads()
	trust := r.Scripts.EnvSh.Get(EnvTrustStore).Value
	cache := map[string]*Scripts{}
	for _, d := range r.Drivers {
		env := r.driverEnv(d)
		base := baseDirOf(d)
		for k, v := range scriptVars(base) {
			env.Values[k] = v
		}
		files := r.driverFiles(d)
		var key strings.Builder
		fmt.Fprintf(&key, "%s\x00", base)
		for _, n := range reads {
			if why, ok := env.Unknown[n]; ok {
				fmt.Fprintf(&key, "%s?%s\x00", n, why)
			} else if v, ok := env.Values[n]; ok {
				fmt.Fprintf(&key, "%s=%s\x00", n, v)
			} else {
				fmt.Fprintf(&key, "%s\x00", n)
			}
		}
		ok, known := files(trust)
		fmt.Fprintf(&key, "%v%v", ok, known)
		s, hit := cache[key.String()]
		if !hit {
			s = eval(env, func(*mr3conf.EnvSh) func(string) (bool, bool) { return files }, base, "")
			cache[key.String()] = s
		}
		d.Scripts = s
	}
}

// EnvTrustStore is the env.sh variable of the driver's trust store.
const EnvTrustStore = "SPARK_SSL_TRUSTSTORE"

// keytabFiles: without a driver, the files of the Secret env.sh names (SPARK_KEYTAB_SECRET)
// under KEYTAB_MOUNT_DIR, where the chart mounts it in drivers.
func (r *Release) keytabFiles(e *mr3conf.EnvSh) func(string) (bool, bool) {
	dir := e.Get("KEYTAB_MOUNT_DIR").Value
	sec := r.Secrets[e.Get("SPARK_KEYTAB_SECRET").Value]
	return func(p string) (bool, bool) {
		rel, ok := strings.CutPrefix(path.Clean(p), path.Clean(dir)+"/")
		if dir == "" || !ok || strings.Contains(rel, "/") {
			return false, false
		}
		if sec == nil {
			return false, false
		}
		_, has := sec.Data[rel]
		return has, true
	}
}

// driverEnv is the driver container's environment as env.sh sees it: literal values, and
// (unknown) values from references.
func (r *Release) driverEnv(d *Driver) mr3conf.Env {
	env := mr3conf.Env{Values: map[string]string{}, Unknown: map[string]string{}}
	if d.Container == nil {
		return env
	}
	for _, ef := range d.Container.EnvFrom {
		switch {
		case ef.SecretRef != nil && r.Secrets[ef.SecretRef.Name] != nil:
			for k := range r.Secrets[ef.SecretRef.Name].Data {
				env.Unknown[ef.Prefix+k] = fmt.Sprintf("the env of %s from Secret %s", d, ef.SecretRef.Name)
			}
		case ef.ConfigMapRef != nil:
			for k := range r.ConfigMapKeys[ef.ConfigMapRef.Name] {
				env.Unknown[ef.Prefix+k] = fmt.Sprintf("the env of %s from ConfigMap %s", d, ef.ConfigMapRef.Name)
			}
		}
	}
	for _, e := range d.Container.Env {
		delete(env.Unknown, e.Name)
		delete(env.Values, e.Name)
		switch {
		case e.ValueFrom != nil:
			env.Unknown[e.Name] = fmt.Sprintf("the env of %s takes it from a reference", d)
		case strings.Contains(e.Value, "$("):
			env.Unknown[e.Name] = fmt.Sprintf("the env of %s sets it with a $(VAR) reference", d)
		default:
			env.Values[e.Name] = e.Value
		}
	}
	return env
}

// driverFiles answers `[ -f PATH ]` in the driver container: files of the release's Secrets
// and ConfigMaps mounted there exist, an emptyDir starts empty, anything else is unknown.
func (r *Release) driverFiles(d *Driver) func(string) (bool, bool) {
	var mounts []corev1.VolumeMount
	if d.Container != nil {
		mounts = slices.Clone(d.Container.VolumeMounts)
	}
	// Deepest mount first: it hides what is mounted above it.
	slices.SortStableFunc(mounts, func(a, b corev1.VolumeMount) int { return len(path.Clean(b.MountPath)) - len(path.Clean(a.MountPath)) })
	return func(p string) (bool, bool) {
		if p == "" || !path.IsAbs(p) {
			return false, false
		}
		p = path.Clean(p)
		for _, m := range mounts {
			mp := path.Clean(m.MountPath)
			if p != mp && !strings.HasPrefix(p, strings.TrimSuffix(mp, "/")+"/") {
				continue
			}
			rel := strings.TrimPrefix(strings.TrimPrefix(p, mp), "/")
			if m.SubPath != "" {
				if rel != "" {
					return false, false
				}
				rel = m.SubPath
			}
			return r.volumeFile(d, m.Name, rel)
		}
		return false, false // the image's own files: not known here
	}
}

// volumeFile reports whether the volume called name holds the file rel.
func (r *Release) volumeFile(d *Driver, name, rel string) (bool, bool) {
	vols := d.Pod().Spec.Volumes
	i := slices.IndexFunc(vols, func(v corev1.Volume) bool { return v.Name == name })
	if i < 0 {
		return false, false
	}
	v := vols[i]
	keyFile := func(keys map[string]bool, items []corev1.KeyToPath) (bool, bool) {
		if keys == nil {
			return false, false
		}
		if len(items) == 0 {
			return keys[rel], true
		}
		for _, it := range items {
			if path.Clean(it.Path) == rel {
				return keys[it.Key], true
			}
		}
		return false, true
	}
	switch {
	case v.Secret != nil:
		sec := r.Secrets[v.Secret.SecretName]
		if sec == nil {
			return false, false
		}
		keys := map[string]bool{}
		for k := range sec.Data {
			keys[k] = true
		}
		return keyFile(keys, v.Secret.Items)
	case v.ConfigMap != nil:
		return keyFile(r.ConfigMapKeys[v.ConfigMap.Name], v.ConfigMap.Items)
	case v.EmptyDir != nil:
		return false, true
	}
	return false, false
}
