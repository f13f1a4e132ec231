package outside

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
)

// Refusal is bad input or a release state that the command cannot work with; nothing was
// changed. The CLI exits 2 for it.
type Refusal struct{ Message string }

func (r *Refusal) Error() string { return r.Message }

func refusef(format string, a ...any) error { return &Refusal{fmt.Sprintf(format, a...)} }

// ReleaseFiles is what an outside node's BASE_DIR must hold for a release: the release's
// env.sh (Secret F-env) and its conf ConfigMap F-conf.
type ReleaseFiles struct {
	Namespace, Release string
	Conf               *corev1.ConfigMap
	// EnvSecret names the Secret env.sh came from.
	EnvSecret string
	EnvSh     []byte
}

// Fullname is the release's fullname F, from the conf ConfigMap's name F-conf.
func (r *ReleaseFiles) Fullname() string { return strings.TrimSuffix(r.Conf.Name, contract.SuffixConf) }

// ReadReleaseFiles reads the env Secret of a release whose conf ConfigMap is conf; with conf
// nil it finds the ConfigMap first (label app.kubernetes.io/component=conf).
func ReadReleaseFiles(ctx context.Context, client kubernetes.Interface, ns, rel string, conf *corev1.ConfigMap) (*ReleaseFiles, error) {
	if conf == nil {
		cms, err := client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{
			LabelSelector: contract.LabelInstance + "=" + rel + "," + contract.LabelComponent + "=" + contract.ComponentConf,
		})
		if err != nil {
			return nil, fmt.Errorf("find the conf ConfigMap of release %q in namespace %q: %w", rel, ns, err)
		}
		for i := range cms.Items {
			if strings.HasSuffix(cms.Items[i].Name, contract.SuffixConf) {
				conf = &cms.Items[i]
				break
			}
		}
		if conf == nil {
			return nil, fmt.Errorf("release %q has no conf ConfigMap in namespace %q: check the release name and -n NAMESPACE ('helm list -n %s')", rel, ns, ns)
		}
	}
	r := &ReleaseFiles{Namespace: ns, Release: rel, Conf: conf}
	r.EnvSecret = r.Fullname() + contract.SuffixEnv
	sec, err := client.CoreV1().Secrets(ns).Get(ctx, r.EnvSecret, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, fmt.Errorf("release %q has no Secret %s (its env.sh) in namespace %q: upgrade the release with this plugin's chart (helm sparkmr3 upgrade %s -n %s)", rel, r.EnvSecret, ns, rel, ns)
	case err != nil:
		return nil, fmt.Errorf("read Secret %s/%s (the release's env.sh): %w", ns, r.EnvSecret, err)
	}
	env, ok := sec.Data[contract.FileEnvSh]
	if !ok {
		return nil, fmt.Errorf("Secret %s/%s has no key %s: upgrade the release with this plugin's chart (helm sparkmr3 upgrade %s -n %s)", ns, r.EnvSecret, contract.FileEnvSh, rel, ns)
	}
	r.EnvSh = env
	return r, nil
}

// OutsideSite is the mr3-site.xml of an outside node: the ConfigMap's mr3-site-outside.xml.
// A release without it does not serve drivers outside Kubernetes: a Refusal says how to
// enable it.
func (r *ReleaseFiles) OutsideSite() ([]byte, error) {
	text, ok := r.Conf.Data[contract.FileMR3SiteOutside]
	if !ok {
		return nil, refusef("ConfigMap %s of release %q has no %s: the release does not serve drivers outside Kubernetes "+
			"(outsideDrivers.enabled=false); enable it with: helm sparkmr3 upgrade %s -n %s --reuse-values "+
			"--set outsideDrivers.enabled=true --set outsideDrivers.apiServerUrl=https://API-SERVER:6443 "+
			"(and this node in outsideDrivers.hosts and hostAliases)", r.Conf.Name, r.Release, contract.FileMR3SiteOutside, r.Release, r.Namespace)
	}
	return []byte(text), nil
}

// ConfFiles are the files of BASE_DIR/conf on an outside node: every file of the ConfigMap,
// with mr3-site.xml holding mr3-site-outside.xml's content (and no mr3-site-outside.xml,
// which MR3 does not read).
func (r *ReleaseFiles) ConfFiles() (map[string][]byte, error) {
	outside, err := r.OutsideSite()
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for k, v := range r.Conf.Data {
		files[k] = []byte(v)
	}
	for k, v := range r.Conf.BinaryData {
		files[k] = v
	}
	delete(files, contract.FileMR3SiteOutside)
	files[contract.FileMR3Site] = outside
	for k := range files {
		if !safeFileName(k) {
			return nil, fmt.Errorf("ConfigMap %s has a key %q that is not a plain file name", r.Conf.Name, k)
		}
	}
	return files, nil
}

func safeFileName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\`+"\x00")
}

// Written says what WriteBaseDir wrote.
type Written struct {
	EnvSh   string
	ConfDir string
	// Files are the names written into ConfDir, sorted.
	Files []string
	// Extra are files already in ConfDir that the release does not have; they are left alone,
	// but MR3's scripts read every file there.
	Extra []string
}

// WriteBaseDir writes env.sh and conf/ of MR3's BASE_DIR dir (the parent of the folder that
// holds run-spark-submit.sh). Nothing is written until every check passed. Each file is
// written to a temporary name beside its target and renamed over it, so a reader sees the
// old file or the new one and a symbolic link at the target is replaced, not followed;
// env.sh (it may hold credentials) is 0600 from its first byte. A new conf/ appears whole
// (its temporary directory is renamed); an existing one gets each file renamed into it.
func WriteBaseDir(dir string, envSh []byte, conf map[string][]byte) (*Written, error) {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, refusef("--write-dir %s does not exist: give MR3's BASE_DIR, the folder that holds spark/run-spark-submit.sh and env.sh", dir)
	case err != nil:
		return nil, fmt.Errorf("--write-dir %s: %w", dir, err)
	case !fi.IsDir():
		return nil, refusef("--write-dir %s is not a directory: give MR3's BASE_DIR, the folder that holds spark/run-spark-submit.sh and env.sh", dir)
	}
	w := &Written{EnvSh: filepath.Join(dir, contract.FileEnvSh), ConfDir: filepath.Join(dir, "conf")}
	for name := range conf {
		w.Files = append(w.Files, name)
	}
	sort.Strings(w.Files)

	// Checks first: a target that is a directory would stop a rename half-way.
	if fi, err := os.Lstat(w.EnvSh); err == nil && fi.IsDir() {
		return nil, refusef("%s is a directory: move it away, then write again", w.EnvSh)
	}
	confExists := false
	switch fi, err := os.Lstat(w.ConfDir); {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		return nil, refusef("%s is a symbolic link: replace it with a directory (or remove it) so that the release's files are not written elsewhere", w.ConfDir)
	case err == nil && !fi.IsDir():
		return nil, refusef("%s is not a directory: move it away, then write again", w.ConfDir)
	case err == nil:
		confExists = true
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: %w", w.ConfDir, err)
	}
	if confExists {
		have := map[string]bool{}
		entries, err := os.ReadDir(w.ConfDir)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", w.ConfDir, err)
		}
		for _, e := range entries {
			have[e.Name()] = true
			if _, ours := conf[e.Name()]; ours && e.IsDir() {
				return nil, refusef("%s is a directory: move it away, then write again", filepath.Join(w.ConfDir, e.Name()))
			}
			if _, ours := conf[e.Name()]; !ours {
				w.Extra = append(w.Extra, e.Name())
			}
		}
	}

	// Write everything under temporary names first; only renames follow.
	envTmp, err := writeTemp(dir, ".env.sh-sparkmr3-", envSh) // 0600 from the start
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", w.EnvSh, err)
	}
	defer os.Remove(envTmp) // gone after the rename
	tmp, err := os.MkdirTemp(dir, ".conf-sparkmr3-")
	if err != nil {
		return nil, fmt.Errorf("write into %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp) // empty (or gone) after the renames
	for _, name := range w.Files {
		if err := writeFile(filepath.Join(tmp, name), conf[name], 0o644); err != nil {
			return nil, err
		}
	}
	if !confExists {
		if err := os.Chmod(tmp, 0o755); err != nil {
			return nil, err
		}
		if err := os.Rename(tmp, w.ConfDir); err != nil {
			return nil, fmt.Errorf("move the new conf dir to %s: %w", w.ConfDir, err)
		}
	} else {
		for _, name := range w.Files {
			if err := os.Rename(filepath.Join(tmp, name), filepath.Join(w.ConfDir, name)); err != nil {
				return nil, fmt.Errorf("replace %s: %w", filepath.Join(w.ConfDir, name), err)
			}
		}
	}
	if err := os.Rename(envTmp, w.EnvSh); err != nil {
		return nil, fmt.Errorf("replace %s: %w", w.EnvSh, err)
	}
	return w, nil
}

// writeTemp writes data to a new 0600 file in dir and returns its name.
func writeTemp(dir, pattern string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// writeFile creates path (which must not exist) with mode and writes data to it.
func writeFile(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
