package outside

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

// MR3's driver script on an outside node sources BASE_DIR/env.sh (then BASE_DIR/env-secret.sh
// when present) and reads BASE_DIR/conf; mr3-setup.sh turns env.sh variables into -D options
// that override mr3-site.xml, whatever it says. MR3's stock env.sh names namespace sparkmr3 and
// sample object names, so a node left with it would make a DAGAppMaster that is not the
// release's. BaseDir.Check builds both sides' -D options with plugin/mr3conf's model of the
// scripts and compares them.

// comparedOption reports whether the -D option key decides what the DAGAppMaster and its
// workers are (namespace, service accounts, image, ConfigMap, Secrets, dirs, claims): the
// mr3.* options mr3-setup.sh builds, except the master mode (the Spark arguments pick it).
func comparedOption(key string) bool {
	return strings.HasPrefix(key, "mr3.k8s.") || key == "mr3.cluster.additional.classpath"
}

// PassedVars are the variables the outside driver's environment carries; env.sh must not
// assign them, or it would replace what submit passes.
var PassedVars = []string{contract.KeyToken, contract.KeyTimestamp, VarDriverName, VarDriverCores, VarDriverMemoryMB}

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
	for _, name := range []string{contract.FileEnvSh, "env-secret.sh"} {
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist) && name != contract.FileEnvSh:
			continue
		case errors.Is(err, fs.ErrNotExist):
			return nil, refusef("%s does not exist: MR3's driver script sources it from BASE_DIR %s (the parent of the script's folder); write the release's with: %s", path, dir, fix)
		case err != nil:
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		b.env = append(b.env, envFile{path: path, data: data})
	}
	path := filepath.Join(dir, "conf", contract.FileMR3Site)
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
	v, _ := b.Site.Get(contract.SiteStagingDir)
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
		return dir, fmt.Errorf("%s %q in %s is not an absolute path: set it to a directory this machine can write", contract.SiteStagingDir, dir, b.Site.File)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return dir, fmt.Errorf("create %s %s (from %s) on this machine: %w; create it writable for this user "+
			"(e.g. sudo mkdir -p %s && sudo chown \"$USER\" %s), or change mr3.am.staging-dir in the release's mr3-site-outside.xml",
			contract.SiteStagingDir, dir, b.Site.File, err, dir, dir)
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
	env := mr3conf.Env{Values: environ, Unknown: map[string]string{}}
	for _, f := range b.env {
		sh, err := mr3conf.SourceEnvSh(f.data, env)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f.path, err)
		}
		s.sh = append(s.sh, sh)
		// The next file is sourced in the shell this one left.
		next := mr3conf.Env{Values: map[string]string{}, Unknown: map[string]string{}}
		for k, v := range env.Values {
			next.Values[k] = v
		}
		for k, v := range env.Unknown {
			next.Unknown[k] = v
		}
		for _, v := range sh.Assigned() {
			delete(next.Values, v.Name)
			delete(next.Unknown, v.Name)
			switch {
			case v.Unknown != "":
				next.Unknown[v.Name] = v.Unknown
			case v.Set():
				next.Values[v.Name] = v.Value
			}
		}
		env = next
	}
	return s, nil
}

// last is the shell after the last file: what the script's -D options are built from.
func (s *sourced) last() *mr3conf.EnvSh { return s.sh[len(s.sh)-1] }

// where says which file and line gave a variable its value, "the environment" or "unset".
func (s *sourced) where(name string) string {
	for i := len(s.sh) - 1; i >= 0; i-- {
		v := s.sh[i].Get(name)
		switch {
		case v.Source == mr3conf.FromEnvSh || v.Source == mr3conf.FromUnsetInEnvSh || v.Unknown != "" && v.Line > 0:
			return fmt.Sprintf("%s line %d", s.files[i].path, v.Line)
		case v.Source == mr3conf.FromEnvironment && i == 0:
			return "the environment"
		}
	}
	return "unset"
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

// Check compares BASE_DIR with the release: the mr3.* -D options MR3's script builds from
// this machine's env.sh (environ is the environment the script will get) must equal those it
// builds from the release's env.sh, with the release's namespace and conf ConfigMap; env.sh
// must not assign PassedVars. It returns the mismatches (refuse to run) and warnings:
// mr3-site.xml keys that differ from the release's mr3-site-outside.xml.
func (b *BaseDir) Check(rel *ReleaseFiles, environ map[string]string) (mismatches []Mismatch, warnings []string, err error) {
	relEnv, err := mr3conf.SourceEnvSh(rel.EnvSh, mr3conf.Env{})
	if err != nil {
		return nil, nil, fmt.Errorf("read env.sh of Secret %s: %w", rel.EnvSecret, err)
	}
	local, err := b.source(environ)
	if err != nil {
		return nil, nil, err
	}
	relOpts := relEnv.JavaOptions(mr3conf.ScriptRun{})
	localOpts := local.last().JavaOptions(mr3conf.ScriptRun{})
	truth := map[string]string{contract.SiteNamespace: rel.Namespace, contract.SiteConfigMap: rel.Conf.Name}
	want := map[string]mr3conf.DOption{}
	var keys []string
	for _, o := range relOpts.Effective() {
		if comparedOption(o.Key) && o.Unknown == "" {
			want[o.Key] = o
			keys = append(keys, o.Key)
		}
	}
	for k, v := range truth {
		o, ok := want[k]
		if !ok {
			keys = append(keys, k)
		}
		o.Key, o.Value = k, v
		want[k] = o
	}
	for _, o := range localOpts.Effective() {
		if _, ok := want[o.Key]; !ok && comparedOption(o.Key) {
			keys = append(keys, o.Key)
		}
	}
	seen := map[string]bool{}
	for _, key := range keys {
		w, inRelease := want[key]
		got, here := localOpts.Lookup(key)
		vars := varNames(got.From, w.From)
		if seen[strings.Join(vars, ",")] && len(vars) > 0 {
			continue // one variable, several options (DOCKER_SPARK_IMG: master and worker image)
		}
		relSource := "env.sh of Secret " + rel.EnvSecret
		switch key {
		case contract.SiteNamespace:
			relSource = "its namespace"
		case contract.SiteConfigMap:
			relSource = "its conf ConfigMap"
		}
		subject, gotWhere := "-D"+key, b.describe(local, vars)
		if len(vars) == 1 {
			subject, gotWhere = vars[0], local.where(vars[0])
		}
		passes := "; MR3's script passes it as -D" + key
		if len(vars) != 1 {
			passes = ""
		}
		var msg string
		switch {
		case here && got.Unknown != "":
			msg = fmt.Sprintf("%s (%s) cannot be told without running the shell: %s%s", subject, gotWhere, got.Unknown, passes)
		case !inRelease:
			msg = fmt.Sprintf("%s gives -D%s=%s on this machine (%s), which the release's env.sh does not give", subject, key, mr3conf.ShellQuote(got.Value), gotWhere)
		case !here:
			msg = fmt.Sprintf("-D%s is %s for the release (%s) but absent on this machine", key, mr3conf.ShellQuote(w.Value), relSource)
		case got.Value != w.Value:
			msg = fmt.Sprintf("%s is %s on this machine (%s) but %s for the release (%s)%s",
				subject, mr3conf.ShellQuote(got.Value), gotWhere, mr3conf.ShellQuote(w.Value), relSource, passes)
		default:
			continue
		}
		seen[strings.Join(vars, ",")] = true
		name := key
		if len(vars) > 0 {
			name = vars[0]
		}
		mismatches = append(mismatches, Mismatch{Var: name, Message: msg})
	}
	for _, name := range PassedVars {
		for _, at := range local.assignedAt(name) {
			mismatches = append(mismatches, Mismatch{name, fmt.Sprintf("%s assigns %s, which replaces the value submit passes: remove the line", at, name)})
		}
	}
	if outside, ok := rel.Conf.Data[contract.FileMR3SiteOutside]; ok {
		relSite, err := mr3conf.ParseSite(contract.FileMR3SiteOutside, []byte(outside))
		if err == nil {
			if diff, n := siteDiff(b.Site, relSite); n > 0 {
				warnings = append(warnings, fmt.Sprintf("%s differs from %s of ConfigMap %s in %d key(s): %s; MR3 uses this machine's copy for this driver (and for the DAGAppMaster if this driver starts it): rewrite it with %s",
					b.Site.File, contract.FileMR3SiteOutside, rel.Conf.Name, n, strings.Join(diff, "; "), FixWriteDir(rel.Release, rel.Namespace, b.Dir)))
			}
		}
	}
	return mismatches, warnings, nil
}

func varNames(a, b []mr3conf.EnvVar) []string {
	var names []string
	for _, v := range append(append([]mr3conf.EnvVar{}, a...), b...) {
		if !slices.Contains(names, v.Name) {
			names = append(names, v.Name)
		}
	}
	return names
}

// describe names variables and where each got its value on this machine.
func (b *BaseDir) describe(s *sourced, vars []string) string {
	if len(vars) == 0 {
		return "set by the script"
	}
	parts := make([]string, len(vars))
	for i, v := range vars {
		parts[i] = v + " from " + s.where(v)
	}
	return strings.Join(parts, "; ")
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
