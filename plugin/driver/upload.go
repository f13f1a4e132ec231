package driver

// submit --upload: local files copied into the driver Pod before the job, and the Spark
// arguments that name them rewritten to the Pod's paths.

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
	"unicode"
)

// Upload is one local file copied into the driver Pod.
type Upload struct {
	// Local is the path as given; Abs its absolute, cleaned form (how arguments are matched).
	Local, Abs string
	// Name is the file's name in the run dir; Remote its path in the Pod (set by Remote).
	Name, Remote string
	Size         int64
	Mode         os.FileMode
}

// listOptions are spark-submit's options whose value is a comma-separated list of files.
var listOptions = map[string]bool{"--jars": true, "--files": true, "--py-files": true, "--archives": true}

// PlanUploads checks the local files named by --upload (each value may be a comma-separated
// list) and returns them in order; a path given twice counts once. It refuses, naming the
// value and the fix: a file that does not exist or cannot be read, a directory or other
// non-regular file, a file name MR3's script would not pass on intact (whitespace, glob
// characters, a backslash; a comma would split --jars/--files lists, Spark reads '#' as an
// alias), and two files with the same name (they would land on the same path in the Pod).
func PlanUploads(values []string) ([]Upload, error) {
	var ups []Upload
	byName := map[string]string{}
	seen := map[string]bool{}
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if p == "" {
				return nil, fmt.Errorf("--upload %q: empty path; give one file per --upload, or a comma-separated list without empty entries", v)
			}
			abs, err := filepath.Abs(p)
			if err != nil {
				return nil, fmt.Errorf("--upload %s: %w", p, err)
			}
			if seen[abs] {
				continue
			}
			seen[abs] = true
			fi, err := os.Stat(p)
			if err != nil {
				return nil, fmt.Errorf("--upload %s: %w; give the path of a local file to copy into the driver Pod", p, unwrapPathError(err))
			}
			if fi.IsDir() {
				return nil, fmt.Errorf("--upload %s is a directory: upload its files one by one (--upload a.jar,b.jar), or pack them into one archive and pass it with --archives", p)
			}
			if !fi.Mode().IsRegular() {
				return nil, fmt.Errorf("--upload %s is not a regular file (%s): copy it to a regular file and upload that", p, fi.Mode().Type())
			}
			f, err := os.Open(p)
			if err != nil {
				return nil, fmt.Errorf("--upload %s: %w", p, unwrapPathError(err))
			}
			f.Close()
			name := filepath.Base(abs)
			if problem := badUploadName(name); problem != "" {
				return nil, fmt.Errorf("--upload %s: the file name %q %s; copy it to a name of letters, digits and . _ - (e.g. cp %s app.jar) and upload that",
					p, name, problem, shellQuote(p))
			}
			if other, ok := byName[name]; ok {
				return nil, fmt.Errorf("--upload %s and --upload %s have the same file name %s and would land on the same path in the driver Pod: rename one of them", other, p, name)
			}
			byName[name] = p
			ups = append(ups, Upload{Local: p, Abs: abs, Name: name, Size: fi.Size(), Mode: fi.Mode().Perm()})
		}
	}
	return ups, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// badUploadName says why a file name cannot be one word of MR3's re-split arguments, or "".
func badUploadName(name string) string {
	for _, r := range name {
		switch {
		case r == ' ' || r == '\t' || r == '\n':
			return "has whitespace, which MR3's driver script would split into several arguments"
		case strings.ContainsRune(globChars, r):
			return fmt.Sprintf("has the glob character %q, which MR3's driver script would expand", r)
		case r == '\\':
			return "has a backslash, which MR3's driver script may treat as a glob escape"
		case r == ',':
			return "has a comma, which would split the lists of --jars, --files and --py-files"
		case r == '#':
			return "has a '#', which Spark reads as the start of an alias (a URI fragment)"
		case unicode.IsControl(r) || unicode.IsSpace(r):
			return fmt.Sprintf("has the control or space character %q", r)
		}
	}
	return ""
}

// placeUploads sets each upload's Remote path in the run dir.
func placeUploads(ups []Upload, runDir string) {
	for i := range ups {
		ups[i].Remote = path.Join(runDir, ups[i].Name)
	}
}

// RewriteArgs replaces every Spark argument that names an uploaded file (the same absolute
// path), and every such entry of a comma-separated --jars, --files, --py-files or --archives
// list (also in their --opt=LIST form; an entry's #alias is kept), with the file's path in the
// Pod. used[i] reports whether uploads[i] was named.
func RewriteArgs(args []string, ups []Upload) (out []string, used []bool) {
	used = make([]bool, len(ups))
	remote := func(p string) (string, bool) {
		if p == "" || strings.Contains(p, "://") {
			return p, false
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return p, false
		}
		for i, u := range ups {
			if u.Abs == abs {
				used[i] = true
				return u.Remote, true
			}
		}
		return p, false
	}
	// A list entry may carry Spark's #alias (the name in the executors' working dir).
	list := func(v string) string {
		parts := strings.Split(v, ",")
		for i, p := range parts {
			file, alias, hasAlias := strings.Cut(p, "#")
			if r, ok := remote(file); ok && hasAlias {
				parts[i] = r + "#" + alias
			} else if ok {
				parts[i] = r
			}
		}
		return strings.Join(parts, ",")
	}
	out = make([]string, len(args))
	for i, a := range args {
		prev := ""
		if i > 0 {
			prev = args[i-1]
		}
		opt, val, eq := strings.Cut(a, "=")
		switch {
		case listOptions[prev]:
			out[i] = list(a)
		case eq && listOptions[opt]:
			out[i] = opt + "=" + list(val)
		default:
			out[i], _ = remote(a)
		}
	}
	return out, used
}

// writeTar streams the files as a tar archive (names only, no folders) to w, reading each
// file as it goes: nothing is staged locally. A file that changed size since it was checked
// fails the archive.
func writeTar(w io.Writer, ups []Upload) error {
	tw := tar.NewWriter(w)
	for _, u := range ups {
		if err := addFile(tw, u); err != nil {
			return err
		}
	}
	return tw.Close()
}

func addFile(tw *tar.Writer, u Upload) error {
	f, err := os.Open(u.Local)
	if err != nil {
		return fmt.Errorf("--upload %s: %w", u.Local, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("--upload %s: %w", u.Local, err)
	}
	mode := int64(0o644)
	if fi.Mode().Perm()&0o111 != 0 {
		mode = 0o755
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: u.Name, Size: fi.Size(), Mode: mode, ModTime: fi.ModTime().Truncate(time.Second)}); err != nil {
		return err
	}
	n, err := io.Copy(tw, f)
	if err != nil {
		return fmt.Errorf("--upload %s: %w", u.Local, err)
	}
	if n != fi.Size() {
		return fmt.Errorf("--upload %s: the file changed while it was read (%d of %d bytes)", u.Local, n, fi.Size())
	}
	return nil
}

// uploadScript unpacks the archive on stdin into the run dir $1. tar is in every Debian-based
// image (it is Essential; MR3's image is built FROM openjdk:8-jre-slim, a Debian); -o does not
// restore the archive's owner.
const uploadScript = `mkdir -p -- "$1" && exec tar -x -o -f - -C "$1"`

// uploadFiles copies the files into runDir in the Pod with one exec (tar over its stdin).
func (o *Options) uploadFiles(ctx context.Context, pod, container, runDir string, ups []Upload) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeTar(pw, ups)) }()
	var stderr strings.Builder
	code, err := Exec(ctx, o.Config, ExecOptions{Namespace: o.Namespace, Pod: pod, Container: container,
		Command: []string{Bash, "-c", uploadScript, "sparkmr3-upload", runDir},
		Stdin:   pr, Stdout: io.Discard, Stderr: &stderr})
	pr.Close()
	where := fmt.Sprintf("pod %s/%s container %s", o.Namespace, pod, container)
	switch {
	case err != nil:
		return err
	case code == 127:
		return fmt.Errorf("--upload: the driver image has no tar (%s: %s); install tar in the image, or put the files where the driver can read them (an object store, a volume) and name them instead", where, strings.TrimSpace(stderr.String()))
	case code != 0:
		return fmt.Errorf("--upload: unpacking into %s in %s failed with code %d: %s; the run dir is under the driver script's result dir, which the chart mounts writable", runDir, where, code, strings.TrimSpace(stderr.String()))
	}
	return nil
}
