package postrender

import (
	"github.com/spf13/pflag"
)

// FlagAllowRemote is the flag that sets Options.AllowRemote.
const FlagAllowRemote = "kustomize-allow-remote"

// Flags are the overlay flags of every verb that post-renders (check, install, upgrade,
// postrender): --kustomize and --kustomize-allow-remote, registered and read in one place.
type Flags struct {
	Dir         string
	AllowRemote bool
}

// Register adds the flags to fs; dirUsage is --kustomize's help (it differs per verb).
func (f *Flags) Register(fs *pflag.FlagSet, dirUsage string) {
	fs.StringVar(&f.Dir, "kustomize", "", dirUsage)
	fs.BoolVar(&f.AllowRemote, FlagAllowRemote, false, "let the --kustomize overlay fetch what it names by URL (HTTP, git clone); without it such an overlay is refused")
}

// Options returns the post-renderer's options for the flags, with the overlay engine read from
// EnvOverlay through getenv.
func (f *Flags) Options(getenv func(string) string) (Options, error) {
	only, err := KustomizeOnlyFromEnv(getenv)
	if err != nil {
		return Options{}, err
	}
	return Options{KustomizeDir: f.Dir, KustomizeOnly: only, AllowRemote: f.AllowRemote}, nil
}
