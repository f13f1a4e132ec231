package outside

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

// MR3's driver script on an outside node sources BASE_DIR/env.sh (then BASE_DIR/env-secret.sh
// when present) and reads BASE_DIR/conf; mr3-setup.sh turns env.sh variables into -D options
// that override mr3-site.xml, whatever it says. MR3's stock env.sh names namespace sparkmr3 and
// sample object names, so a node left with it would make a DAGAppMaster that is not the
// release's. BaseDir.Check compares those variables with the release's env.sh.

// DOptionVars are the env.sh variables that become mr3.* -D options in mr3-setup.sh (and so
// decide which namespace, service accounts, image, ConfigMap and Secrets the DAGAppMaster and
// its workers get), with the key each sets.
var DOptionVars = []struct{ Var, Key string }{
	{"SPARK_MR3_NAMESPACE", "mr3.k8s.namespace"},
	{"MASTER_SERVICE_ACCOUNT", "mr3.k8s.pod.master.serviceaccount"},
	{"WORKER_SERVICE_ACCOUNT", "mr3.k8s.pod.worker.serviceaccount"},
	{"DOCKER_SPARK_IMG", "mr3.k8s.pod.master.image, mr3.k8s.pod.worker.image"},
	{"SPARK_DOCKER_USER", "mr3.k8s.pod.master.user, mr3.k8s.pod.worker.user"},
	{"SPARK_REMOTE_WORK_DIR", "mr3.k8s.master.working.dir, mr3.k8s.worker.working.dir"},
	{"SPARK_CONF_DIR_CONFIGMAP", "mr3.k8s.conf.dir.configmap"},
	{"CONF_DIR_MOUNT_DIR", "mr3.k8s.conf.dir.mount.dir"},
	{"SPARK_KEYTAB_SECRET", "mr3.k8s.keytab.secret"},
	{"SPARK_WORKER_SECRET", "mr3.k8s.worker.secret"},
	{"CREATE_KEYTAB_SECRET", "mr3.k8s.mount.keytab.secret"},
	{"CREATE_WORKER_SECRET", "mr3.k8s.mount.worker.secret"},
	{"KEYTAB_MOUNT_DIR", "mr3.k8s.keytab.mount.dir"},
	{"KEYTAB_MOUNT_FILE", "mr3.k8s.keytab.mount.file"},
	{"WORK_DIR_PERSISTENT_VOLUME_CLAIM", "mr3.k8s.master.persistentvolumeclaim.mounts"},
	{"WORK_DIR_PERSISTENT_VOLUME_CLAIM_MOUNT_DIR", "mr3.k8s.master.persistentvolumeclaim.mounts"},
	{"REMOTE_BASE_DIR", "mr3.cluster.additional.classpath"},
}

// PassedVars are the variables the outside driver's environment carries; env.sh must not
// assign them, or it would replace what submit passes.
var PassedVars = []string{"CLIENT_TO_AM_TOKEN_KEY", "MR3_APPLICATION_ID_TIMESTAMP", VarDriverName, VarDriverCores, VarDriverMemoryMB}

// StagingDirKey is where the MR3 client writes .mr3/application_* on the driver's machine.
const StagingDirKey = "mr3.am.staging-dir"

// BaseDir is MR3's BASE_DIR on this machine, as its driver script reads it.
type BaseDir struct {
	Dir string
	// env holds env.sh and, when present, env-secret.sh (sourced after it).
	env []envFile
	// Site is BASE_DIR/conf/mr3-site.xml.
	Site *mr3conf.Site
}

type envFile struct {
	path string
	data []byte
}

// FixWriteDir is the command that makes BASE_DIR dir agree with the release.
func FixWriteDir(rel, ns, dir string) string {
	return fmt.Sprintf("helm sparkmr3 env %s -n %s --write-dir %s", rel, ns, dir)
}

// ReadBaseDir reads env.sh, env-secret.sh (when present) and conf/mr3-site.xml of dir. A
// missing env.sh or mr3-site.xml is a Refusal naming the command that writes them.
func ReadBaseDir(dir, rel, ns string) (*BaseDir, error) {
	b := &BaseDir{Dir: dir}
	fix := FixWriteDir(rel, ns, dir)
	for _, name := range []string{EnvShKey, "env-secret.sh"} {
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist) && name != EnvShKey:
			continue
		case errors.Is(err, fs.ErrNotExist):
			return nil, refusef("%s does not exist: MR3's driver script sources it from BASE_DIR %s (the parent of the script's folder); write the release's with: %s", path, dir, fix)
		case err != nil:
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		b.env = append(b.env, envFile{path: path, data: data})
	}
	path := filepath.Join(dir, "conf", SiteFile)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, refusef("%s does not exist: MR3's driver script reads its configuration from BASE_DIR/conf; write the release's with: %s", path, fix)
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if b.Site, err = mr3conf.ParseSite(path, data); err != nil {
		return nil, refusef("%v; write the release's with: %s", err, fix)
	}
	return b, nil
}

// StagingDir is mr3.am.staging-dir of conf/mr3-site.xml ("" when unset).
func (b *BaseDir) StagingDir() string {
	v, _ := b.Site.Get(StagingDirKey)
	return strings.TrimSpace(v)
}

// EnsureStagingDir creates mr3.am.staging-dir on this machine when it is missing (the MR3
// client writes .mr3/application_* there). It returns the directory, "" when unset.
func (b *BaseDir) EnsureStagingDir() (string, error) {
	dir := b.StagingDir()
	if dir == "" {
		return "", nil
	}
	if strings.Contains(dir, "${") || !filepath.IsAbs(dir) {
		return dir, fmt.Errorf("%s %q in %s is not an absolute path: set it to a directory this machine can write", StagingDirKey, dir, b.Site.File)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return dir, fmt.Errorf("create %s %s (from %s) on this machine: %w; create it writable for this user "+
			"(e.g. sudo mkdir -p %s && sudo chown \"$USER\" %s), or change mr3.am.staging-dir in the release's mr3-site-outside.xml",
			StagingDirKey, dir, b.Site.File, err, dir, dir)
	}
	return dir, nil
}

// sourced is env.sh (then env-secret.sh) evaluated the way the script sources them.
type sourced struct {
	files []envFile
	sh    []*mr3conf.EnvSh
}

func (b *BaseDir) source(environ map[string]string) (*sourced, error) {
	s := &sourced{files: b.env}
	env := environ
	for _, f := range b.env {
		sh, err := mr3conf.SourceEnvSh(f.data, env)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f.path, err)
		}
		s.sh = append(s.sh, sh)
		// The next file is sourced in the shell this one left.
		next := map[string]string{}
		for k, v := range env {
			next[k] = v
		}
		for _, v := range sh.Assigned() {
			if v.Set() && v.Unknown == "" {
				next[v.Name] = v.Value
			} else {
				delete(next, v.Name)
			}
		}
		env = next
	}
	return s, nil
}

// value is what MR3's script sees for name; where names the assignment, "the environment" or
// "unset"; unknown says why the value cannot be told without running the shell.
func (s *sourced) value(name string) (value, where, unknown string) {
	for i := len(s.sh) - 1; i >= 0; i-- {
		v := s.sh[i].Get(name)
		if v.Unknown != "" {
			where = s.files[i].path
			if v.Line > 0 {
				where = fmt.Sprintf("%s line %d", s.files[i].path, v.Line)
			}
			return "", where, v.Unknown
		}
		switch v.Source {
		case mr3conf.FromEnvSh:
			return v.Value, fmt.Sprintf("%s line %d", s.files[i].path, v.Line), ""
		case mr3conf.FromUnsetInEnvSh:
			return "", fmt.Sprintf("unset by %s line %d", s.files[i].path, v.Line), ""
		}
	}
	if len(s.sh) > 0 {
		if v := s.sh[0].Get(name); v.Source == mr3conf.FromEnvironment {
			return v.Value, "the environment", ""
		}
	}
	return "", "unset", ""
}

// assignedAt returns where the env files assign name, if they do.
func (s *sourced) assignedAt(name string) []string {
	var out []string
	for i, sh := range s.sh {
		for _, v := range sh.Assigned() {
			if v.Name == name && v.Line > 0 {
				out = append(out, fmt.Sprintf("%s line %d", s.files[i].path, v.Line))
			}
		}
	}
	return out
}

// Mismatch is one way BASE_DIR disagrees with the release.
type Mismatch struct {
	Var     string
	Message string
}

// Check compares BASE_DIR with the release: every variable of DOptionVars must have the
// release's value (the namespace the release's, SPARK_CONF_DIR_CONFIGMAP its conf ConfigMap),
// and env.sh must not assign PassedVars. environ is the environment the script will get. It
// returns the mismatches (refuse to run) and warnings: mr3-site.xml keys that differ from the
// release's mr3-site-outside.xml (the -D options override the keys above anyway).
func (b *BaseDir) Check(rel *ReleaseFiles, environ map[string]string) (mismatches []Mismatch, warnings []string, err error) {
	relEnv, err := mr3conf.SourceEnvSh(rel.EnvSh, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("read env.sh of Secret %s: %w", rel.EnvSecret, err)
	}
	local, err := b.source(environ)
	if err != nil {
		return nil, nil, err
	}
	truth := map[string]string{"SPARK_MR3_NAMESPACE": rel.Namespace, "SPARK_CONF_DIR_CONFIGMAP": rel.Conf.Name}
	for _, dv := range DOptionVars {
		want, known := truth[dv.Var]
		source := "the release (namespace " + rel.Namespace + ")"
		if dv.Var == "SPARK_CONF_DIR_CONFIGMAP" {
			source = "the release (its conf ConfigMap)"
		}
		if !known {
			v := relEnv.Get(dv.Var)
			if v.Source != mr3conf.FromEnvSh || v.Unknown != "" {
				continue // an older env.sh, or one this check cannot read: nothing to compare with
			}
			want, source = v.Value, fmt.Sprintf("the release (env.sh of Secret %s)", rel.EnvSecret)
		}
		got, where, unknown := local.value(dv.Var)
		switch {
		case unknown != "":
			mismatches = append(mismatches, Mismatch{dv.Var, fmt.Sprintf("%s (%s) cannot be told without running the shell (%s); %s has %q",
				dv.Var, where, unknown, source, want)})
		case got != want:
			mismatches = append(mismatches, Mismatch{dv.Var, fmt.Sprintf("%s is %q on this machine (%s) but %q in %s; it becomes -D%s=… for the DAGAppMaster",
				dv.Var, got, where, want, source, strings.Split(dv.Key, ",")[0])})
		}
	}
	for _, name := range PassedVars {
		for _, at := range local.assignedAt(name) {
			mismatches = append(mismatches, Mismatch{name, fmt.Sprintf("%s assigns %s, which replaces the value submit passes: remove the line", at, name)})
		}
	}
	if outside, ok := rel.Conf.Data[SiteOutsideFile]; ok {
		relSite, err := mr3conf.ParseSite(SiteOutsideFile, []byte(outside))
		if err == nil {
			if diff, n := siteDiff(b.Site, relSite); n > 0 {
				warnings = append(warnings, fmt.Sprintf("%s differs from %s of ConfigMap %s in %d key(s): %s; MR3 uses this machine's copy for this driver (and for the DAGAppMaster if this driver starts it): rewrite it with %s",
					b.Site.File, SiteOutsideFile, rel.Conf.Name, n, strings.Join(diff, "; "), FixWriteDir(rel.Release, rel.Namespace, b.Dir)))
			}
		}
	}
	return mismatches, warnings, nil
}

// siteDiff names the keys whose values differ (at most 5, then a count) and counts them.
func siteDiff(local, rel *mr3conf.Site) ([]string, int) {
	keys := map[string]bool{}
	for _, p := range local.Properties() {
		keys[p.Name] = true
	}
	for _, p := range rel.Properties() {
		keys[p.Name] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []string
	for _, k := range names {
		lv, lok := local.Get(k)
		rv, rok := rel.Get(k)
		if lok == rok && lv == rv {
			continue
		}
		show := func(v string, ok bool) string {
			if !ok {
				return "unset"
			}
			return fmt.Sprintf("%q", v)
		}
		out = append(out, fmt.Sprintf("%s is %s here, %s in the release", k, show(lv, lok), show(rv, rok)))
	}
	n := len(out)
	if n > 5 {
		out = append(out[:5], fmt.Sprintf("%d more", n-5))
	}
	return out, n
}

// MismatchError is the Refusal for a BASE_DIR that disagrees with the release.
func MismatchError(rel *ReleaseFiles, dir string, ms []Mismatch) error {
	var b strings.Builder
	fmt.Fprintf(&b, "BASE_DIR %s (the parent of the driver script's folder) does not match release %q in namespace %q:", dir, rel.Release, rel.Namespace)
	for _, m := range ms {
		b.WriteString("\n  - " + m.Message)
	}
	fmt.Fprintf(&b, "\nwrite the release's env.sh and conf/ there with: %s", FixWriteDir(rel.Release, rel.Namespace, dir))
	return &Refusal{b.String()}
}
