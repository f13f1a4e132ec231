// Package quickcli holds what `helm sparkmr3` serves without the Kubernetes and Helm SDKs: the
// exit codes, and the verbs `version` and `postrender`. Linking those SDKs costs about 15 ms of
// package initialization before main runs, on every start; helm runs the post-renderer once per
// install, upgrade or template, and `version` is the start-up benchmark (docs/PERFORMANCE.md, P2
// and P3). So the plugin's entry binary (cmd/helm-sparkmr3) links only this package and
// plugin/postrender, serves these two verbs itself and hands every other command line to the
// complete binary (cmd/helm-sparkmr3-full), which registers the same two verbs from here.
//
// Nothing here may import helm.sh/helm/v3 (other than pkg/postrender's interface),
// k8s.io/client-go or plugin/cli; TestNoHeavyImports checks it.
package quickcli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/spark-mr3/spark-mr3/plugin/check"
	"github.com/spark-mr3/spark-mr3/plugin/manifest"
	"github.com/spark-mr3/spark-mr3/plugin/postrender"
)

// Exit codes of helm-sparkmr3 (docs/PLUGIN.md). A remote or local driver command's own exit
// code is passed through unchanged by submit and shell.
const (
	ExitOK          = 0
	ExitError       = 1   // a failure talking to the cluster or running an action
	ExitUsage       = 2   // bad flags, arguments or input values
	ExitCheckFailed = 3   // consistency rules found violations
	ExitNotReady    = 4   // the release did not become ready before --timeout
	ExitInterrupted = 130 // interrupted by SIGINT
)

// ExitErr carries the process exit code for an error; main maps it with ExitCode.
type ExitErr struct {
	Code int
	Err  error
}

func (e *ExitErr) Error() string { return e.Err.Error() }
func (e *ExitErr) Unwrap() error { return e.Err }

// WithCode wraps err so that main exits with code.
func WithCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &ExitErr{Code: code, Err: err}
}

// UsageError is a bad-input error (exit code 2).
func UsageError(format string, a ...any) error {
	return &ExitErr{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

// ExitCode is the process exit code for an error returned by the root command.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *ExitErr
	if errors.As(err, &e) {
		return e.Code
	}
	// cobra reports an unknown verb before any of our code runs.
	if strings.HasPrefix(err.Error(), "unknown command ") {
		return ExitUsage
	}
	return ExitError
}

// UsageErrors makes cobra's own refusals (unknown flag, wrong number of arguments, unknown
// verb) in c and its sub-commands exit with ExitUsage, naming the verb's --help.
func UsageErrors(c *cobra.Command) {
	c.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return UsageError("%v (see 'helm sparkmr3 %s --help')", err, cmd.Name())
	})
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return UsageError("%s: %v (usage: helm %s)", cmd.Name(), err, cmd.UseLine())
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		UsageErrors(sub)
	}
}

// IsTerminal reports whether stream is an interactive terminal.
func IsTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Streams are what the quick verbs read and write, and how they see their environment.
type Streams struct {
	In         io.Reader
	Out        io.Writer
	ErrOut     io.Writer
	Getenv     func(string) string
	IsTerminal func(any) bool
}

// Version is stamped at build time with -ldflags "-X .../plugin/quickcli.Version=v…".
var Version = "dev"

// NewVersionCmd is `helm sparkmr3 version`.
func NewVersionCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the plugin version",
		Example: "  helm sparkmr3 version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := Version
			if v == "dev" {
				if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
					v = bi.Main.Version
				}
			}
			_, err := fmt.Fprintf(s.Out, "helm-sparkmr3 %s\n", v)
			return err
		},
	}
}

// NewPostrenderCmd is `helm sparkmr3 postrender`, helm's post-renderer.
func NewPostrenderCmd(s Streams) *cobra.Command {
	var kustomize postrender.Flags
	cmd := &cobra.Command{
		Use:   "postrender [--kustomize DIR [--kustomize-allow-remote]]",
		Short: "Helm post-renderer: apply an overlay, check every rule, pass the manifests on",
		Long: `postrender reads helm's rendered manifests on stdin, applies the kustomize overlay
(its kustomization.yaml must list helm-output.yaml under resources: the manifests are served
under that name), runs every consistency rule and writes the manifests to stdout. On any
violation it writes nothing to stdout, lists every violation on stderr and exits 3, so helm
installs nothing.`,
		Example: `  helm install spark ./charts/spark-mr3 --post-renderer helm-sparkmr3 --post-renderer-args postrender
  helm template spark ./charts/spark-mr3 | helm sparkmr3 postrender --kustomize overlays/prod`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := kustomize.Options(s.Getenv)
			if err != nil {
				return UsageError("%v", err)
			}
			p, err := postrender.New(opts)
			if err != nil {
				return UsageError("%v", err)
			}
			if !p.UsesKustomize() && s.Getenv("GOGC") == "" {
				// Without an overlay, or with one package overlay applies, the live heap stays
				// near twice the input (80 MiB peak at 500 drivers with this setting): collect
				// less often in this short process (-15% time at 100 drivers). kustomize keeps
				// far more alive, so not with it.
				debug.SetGCPercent(400)
			}
			// One byte over the limit lets the reader report "too large" instead of truncating.
			in, err := io.ReadAll(io.LimitReader(s.In, manifest.DefaultMaxBytes+1))
			if err != nil {
				return fmt.Errorf("read manifests from stdin: %w", err)
			}
			out, err := p.Run(bytes.NewBuffer(in))
			if err != nil {
				reportToTerminalUnderHelm4(s, err)
				if IsCheckFailure(err) {
					return WithCode(ExitCheckFailed, err)
				}
				if re := (*postrender.RemoteError)(nil); errors.As(err, &re) {
					return UsageError("%v", err)
				}
				return err
			}
			_, err = s.Out.Write(out.Bytes())
			return err
		},
	}
	kustomize.Register(cmd.Flags(), "kustomize overlay directory (its kustomization.yaml lists helm-output.yaml under resources)")
	return cmd
}

// IsCheckFailure reports whether err lists rule violations.
func IsCheckFailure(err error) bool {
	var ce *check.Error
	return errors.As(err, &ce)
}

// helm4PostRendererPlugin is the name of the postrenderer/v1 plugin in plugins/.
const helm4PostRendererPlugin = "sparkmr3-postrender"

// reportToTerminalUnderHelm4 works around Helm 4.3, which captures a postrenderer/v1 plugin's
// stderr and drops it ("plugin … exited with error"): the user would never see which rule
// broke. When run as that plugin, the violations also go to the controlling terminal, if any.
// Without a terminal (CI), `helm sparkmr3 check` shows them; docs/PLUGIN.md says so.
func reportToTerminalUnderHelm4(s Streams, err error) {
	if s.Getenv("HELM_PLUGIN_NAME") != helm4PostRendererPlugin || s.IsTerminal(s.ErrOut) {
		return
	}
	tty, oerr := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if oerr != nil {
		return
	}
	defer tty.Close()
	fmt.Fprintf(tty, "%s: %v\n", helm4PostRendererPlugin, err)
}

// Serves reports whether the quick binary answers args (the words after `helm sparkmr3`)
// exactly as the complete one would: `version` alone, or `postrender` with no other flag than
// its --kustomize and --kustomize-allow-remote. Anything else (help, global flags such as --namespace, another verb,
// completion, a missing flag value) goes to the complete binary.
func Serves(args []string) bool {
	if len(args) == 0 {
		return false
	}
	switch args[0] {
	case "version":
		return len(args) == 1
	case "postrender":
		rest := args[1:]
		for i := 0; i < len(rest); i++ {
			switch a := rest[i]; {
			case strings.HasPrefix(a, "--kustomize="):
			case a == "--kustomize" && i+1 < len(rest):
				i++
			case a == "--"+postrender.FlagAllowRemote, strings.HasPrefix(a, "--"+postrender.FlagAllowRemote+"="):
			default:
				return false
			}
		}
		return true
	}
	return false
}

// Main runs a command line that Serves accepted and returns the exit code; errors are
// printed as the complete binary prints them.
func Main(args []string, s Streams) int {
	root := &cobra.Command{
		Use:           "sparkmr3",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	root.AddCommand(NewVersionCmd(s), NewPostrenderCmd(s))
	root.CompletionOptions.DisableDefaultCmd = true
	UsageErrors(root)
	err := root.Execute()
	if err != nil {
		fmt.Fprintf(s.ErrOut, "Error: %v\n", err)
	}
	return ExitCode(err)
}
