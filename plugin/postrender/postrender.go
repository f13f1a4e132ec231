// Package postrender owns the helm post-renderer of spark-mr3: it reads helm's rendered
// manifests, optionally applies the user's kustomize overlay in-process (krusty), and runs
// every consistency rule of package check on the result. Any violation fails the render with
// an error listing every violation, and no manifest is returned, so helm installs nothing
// inconsistent.
//
// Overlay convention: the overlay directory holds a kustomization.yaml whose resources list
// includes the file name RenderedFile ("helm-output.yaml"). That file is never written to
// disk: the post-renderer serves helm's output under that name from memory, on top of the
// overlay directory, so patches, components and other files the overlay refers to are read
// from disk as usual. A helm-output.yaml that exists on disk is shadowed.
//
// An overlay that only adds annotations (commonAnnotations), adds labels (labels without
// selectors) or changes images (images) is applied by package overlay, with kustomize's result
// and a fraction of its cost; any other overlay, or input that package declines, goes through
// kustomize (krusty). Options.KustomizeOnly sends every overlay through kustomize.
package postrender

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	helmpostrender "helm.sh/helm/v3/pkg/postrender"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/spark-mr3/spark-mr3/plugin/check"
	"github.com/spark-mr3/spark-mr3/plugin/manifest"
	"github.com/spark-mr3/spark-mr3/plugin/overlay"
)

// RenderedFile is the name under which an overlay's kustomization.yaml refers to helm's output.
const RenderedFile = "helm-output.yaml"

// Options configure a PostRenderer.
type Options struct {
	// KustomizeDir is a kustomize overlay directory applied to helm's output; "" for none.
	KustomizeDir string
	// FS is where the overlay is read from; nil means the local disk.
	FS filesys.FileSystem
	// Limits bound the manifests read (helm's output and the overlay's result).
	Limits manifest.Limits
	// Rules are the rules run; nil means all of check.Rules().
	Rules []check.Rule
	// KustomizeOnly applies the overlay with kustomize even when package overlay could
	// (SPARKMR3_OVERLAY=kustomize in the commands): to compare, or to rule us out.
	KustomizeOnly bool
	// AllowRemote lets kustomize fetch what the overlay names by URL (HTTP, git clone);
	// without it such an overlay is refused (RemoteError) before anything is fetched.
	AllowRemote bool
}

// EnvOverlay is the environment variable the commands read to choose the overlay engine:
// unset, "" or "auto" (package overlay when it can, kustomize otherwise) or "kustomize".
const EnvOverlay = "SPARKMR3_OVERLAY"

// KustomizeOnlyFromEnv reads EnvOverlay through getenv for Options.KustomizeOnly.
func KustomizeOnlyFromEnv(getenv func(string) string) (bool, error) {
	switch v := getenv(EnvOverlay); v {
	case "", "auto":
		return false, nil
	case "kustomize":
		return true, nil
	default:
		return false, fmt.Errorf("%s=%q in the environment: use \"kustomize\" (every overlay through kustomize) or \"auto\", or unset it", EnvOverlay, v)
	}
}

// PostRenderer implements helm's postrender.PostRenderer.
type PostRenderer struct {
	opts   Options
	dir    string          // cleaned absolute overlay directory, "" for none
	native *overlay.Native // the overlay when package overlay applies it, else nil
	why    string          // why kustomize applies the overlay, when it does
}

var _ helmpostrender.PostRenderer = (*PostRenderer)(nil)

// New checks the options (the overlay directory exists, has a kustomization file listing
// RenderedFile) and returns a PostRenderer.
func New(opts Options) (*PostRenderer, error) {
	p := &PostRenderer{opts: opts}
	if opts.KustomizeDir == "" {
		return p, nil
	}
	if p.opts.FS == nil {
		p.opts.FS = filesys.MakeFsOnDisk()
	}
	dir, _, err := p.opts.FS.CleanedAbs(opts.KustomizeDir)
	if err != nil || !p.opts.FS.IsDir(dir.String()) {
		return nil, fmt.Errorf("--kustomize %s: not a directory; give the overlay directory that holds kustomization.yaml", opts.KustomizeDir)
	}
	p.dir = dir.String()
	k, raw, name, err := readKustomization(p.opts.FS, p.dir)
	if err != nil {
		return nil, fmt.Errorf("--kustomize %s: %w", opts.KustomizeDir, err)
	}
	if !opts.AllowRemote {
		if e := scanRemote(filepath.Join(opts.KustomizeDir, name), raw, false); e != nil {
			return nil, fmt.Errorf("--kustomize %s: %w", opts.KustomizeDir, e)
		}
	}
	if !slices.Contains(k.Resources, RenderedFile) {
		return nil, fmt.Errorf("--kustomize %s: %s does not list %s under resources, so the overlay would not see helm's output; add \"resources: [%s]\" (the post-renderer serves helm's manifests under that name)",
			opts.KustomizeDir, name, RenderedFile, RenderedFile)
	}
	if opts.KustomizeOnly {
		p.why = "KustomizeOnly"
	} else {
		p.native, p.why = overlay.Compile(raw, RenderedFile)
	}
	return p, nil
}

// UsesKustomize reports whether the overlay goes to kustomize (see Engine).
func (p *PostRenderer) UsesKustomize() bool { return p.dir != "" && p.native == nil }

// Engine says what applies the overlay: "" without one, "spark-mr3" (package overlay) or
// "kustomize: REASON" (the kustomization has something package overlay does not apply).
// Input package overlay declines at run time also goes to kustomize.
func (p *PostRenderer) Engine() string {
	switch {
	case p.dir == "":
		return ""
	case p.native != nil:
		return "spark-mr3"
	default:
		return "kustomize: " + p.why
	}
}

func readKustomization(fs filesys.FileSystem, dir string) (*types.Kustomization, []byte, string, error) {
	for _, name := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		path := filepath.Join(dir, name)
		if !fs.Exists(path) {
			continue
		}
		data, err := fs.ReadFile(path)
		if err != nil {
			return nil, nil, name, fmt.Errorf("read %s: %w", name, err)
		}
		var k types.Kustomization
		if err := yaml.Unmarshal(data, &k); err != nil {
			return nil, nil, name, fmt.Errorf("%s is not a kustomization: %w", name, err)
		}
		return &k, data, name, nil
	}
	return nil, nil, "", fmt.Errorf("no kustomization.yaml in the directory; create one with \"resources: [%s]\" and your patches", RenderedFile)
}

// Run post-renders helm's output: overlay (if any), then every rule. On success it returns the
// manifests (helm's own bytes when there is no overlay); on a violation it returns a
// *check.Error listing every violation and no manifests.
func (p *PostRenderer) Run(rendered *bytes.Buffer) (*bytes.Buffer, error) {
	out, docs, err := p.overlay(rendered.Bytes())
	if err != nil {
		return nil, err
	}
	if docs == nil {
		if docs, err = manifest.Parse(out, p.opts.Limits); err != nil {
			if p.dir != "" {
				return nil, fmt.Errorf("read the overlay's output: %w", err)
			}
			return nil, fmt.Errorf("read helm's rendered manifests: %w", err)
		}
	}
	rel, err := check.FromManifests(docs)
	if err != nil {
		return nil, err
	}
	if vs := check.Run(rel, p.opts.Rules); len(vs) > 0 {
		return nil, &check.Error{Violations: vs}
	}
	return bytes.NewBuffer(out), nil
}

// Overlay applies the kustomize overlay (if any) to rendered manifests without checking them;
// without an overlay it returns rendered unchanged. `helm sparkmr3 check` uses it to report
// violations instead of failing.
func (p *PostRenderer) Overlay(rendered []byte) ([]byte, error) {
	out, _, err := p.overlay(rendered)
	return out, err
}

// overlay returns the overlay's output and, when package overlay applied it, the documents
// already read (nil otherwise).
func (p *PostRenderer) overlay(rendered []byte) ([]byte, []*manifest.Document, error) {
	if p.dir == "" {
		return rendered, nil, nil
	}
	if p.native != nil {
		// Input that does not read, or that package overlay declines, goes to kustomize: it
		// applies the overlay or reports the error it has always reported.
		if docs, err := manifest.Parse(rendered, p.opts.Limits); err == nil {
			err := p.native.Apply(docs)
			if err == nil {
				var out bytes.Buffer
				if err := manifest.Write(&out, docs); err != nil {
					return nil, nil, err
				}
				return out.Bytes(), docs, nil
			}
			if d := (*overlay.Declined)(nil); !errors.As(err, &d) {
				return nil, nil, fmt.Errorf("apply kustomize overlay %s to helm's output: %w", p.opts.KustomizeDir, err)
			}
		}
	}
	out, err := p.kustomize(rendered)
	return out, nil, err
}

func (p *PostRenderer) kustomize(rendered []byte) ([]byte, error) {
	lim := p.opts.Limits
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = manifest.DefaultMaxBytes
	}
	if int64(len(rendered)) > lim.MaxBytes {
		return nil, fmt.Errorf("%w: helm's output is %d bytes, the limit is %d", manifest.ErrTooLarge, len(rendered), lim.MaxBytes)
	}
	fs := &renderedFS{FileSystem: p.opts.FS, path: filepath.Join(p.dir, RenderedFile), data: rendered}
	if !p.opts.AllowRemote {
		fs.guard = p.displayPath
	}
	opts := krusty.MakeDefaultOptions()
	res, err := krusty.MakeKustomizer(opts).Run(fs, p.dir)
	if fs.refused != nil {
		// kustomize wraps (or, trying other file names, drops) the read error: the refusal
		// is what the user must see.
		return nil, fmt.Errorf("--kustomize %s: %w", p.opts.KustomizeDir, fs.refused)
	}
	if err != nil {
		return nil, fmt.Errorf("apply kustomize overlay %s to helm's output: %w", p.opts.KustomizeDir, err)
	}
	// Each resource's own YAML node, written as is: ResMap.AsYaml goes YAML node → JSON → generic
	// value → YAML per resource, which was a third of an overlay's time (P2).
	var out bytes.Buffer
	for i, r := range res.Resources() {
		y, err := r.RNode.String()
		if err != nil {
			return nil, fmt.Errorf("write the overlay's output (%s): %w", r.CurId(), err)
		}
		if i > 0 {
			out.WriteString("---\n")
		}
		out.WriteString(y)
	}
	return out.Bytes(), nil
}

// displayPath names a file kustomize reads relative to where the user's --kustomize is (a
// base at overlays/prod/../../base is base/…).
func (p *PostRenderer) displayPath(path string) string {
	if rel, err := filepath.Rel(p.dir, path); err == nil {
		return filepath.Join(p.opts.KustomizeDir, rel)
	}
	return path
}

// renderedFS serves helm's output as one read-only file on top of another file system. With
// guard set it refuses to hand kustomize a kustomization or builtin plugin configuration that
// names a remote reference (see remote.go), and keeps the first refusal.
type renderedFS struct {
	filesys.FileSystem
	path    string
	data    []byte
	guard   func(path string) string // display name of a path; nil: remote loading allowed
	refused *RemoteError
}

func (f *renderedFS) ReadFile(path string) ([]byte, error) {
	if filepath.Clean(path) == f.path {
		return slices.Clone(f.data), nil
	}
	data, err := f.FileSystem.ReadFile(path)
	if err != nil || f.guard == nil {
		return data, err
	}
	if f.refused != nil {
		return nil, f.refused
	}
	isKust := kustomizationNames[filepath.Base(path)]
	if !isKust && !bytes.Contains(data, []byte("builtin")) {
		return data, nil
	}
	if e := scanRemote(f.guard(path), data, !isKust); e != nil {
		f.refused = e
		return nil, e
	}
	return data, nil
}

func (f *renderedFS) Exists(path string) bool {
	return filepath.Clean(path) == f.path || f.FileSystem.Exists(path)
}

func (f *renderedFS) IsDir(path string) bool {
	return filepath.Clean(path) != f.path && f.FileSystem.IsDir(path)
}

func (f *renderedFS) CleanedAbs(path string) (filesys.ConfirmedDir, string, error) {
	abs := path
	if !filepath.IsAbs(abs) {
		wd, err := os.Getwd()
		if err != nil {
			return "", "", err
		}
		abs = filepath.Join(wd, path)
	}
	if filepath.Clean(abs) == f.path {
		return filesys.ConfirmedDir(filepath.Dir(f.path)), filepath.Base(f.path), nil
	}
	return f.FileSystem.CleanedAbs(path)
}
