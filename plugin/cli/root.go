// Package cli holds the `helm sparkmr3` commands: one file per verb, each reading flags into an
// Options struct and calling a package below (release, rollout, driver, check, teardown, …).
// No business logic lives here.
package cli

import (
	"fmt"
	"io"
	"log"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"helm.sh/helm/v3/pkg/action"
	helmcli "helm.sh/helm/v3/pkg/cli"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"

	"github.com/spark-mr3/spark-mr3/plugin/exitcode"
)

// Exit codes of helm-sparkmr3 (plugin/exitcode). A driver command's own exit code is passed
// through by submit and shell.
const (
	ExitOK          = exitcode.OK
	ExitError       = exitcode.Error
	ExitUsage       = exitcode.Usage
	ExitCheckFailed = exitcode.CheckFailed
	ExitNotReady    = exitcode.NotReady
	ExitInterrupted = exitcode.Interrupted
	ExitTerminated  = exitcode.Terminated
	ExitHangup      = exitcode.Hangup
)

// ExitErr carries the process exit code for an error; main maps it with exitcode.Of.
type ExitErr = exitcode.ExitErr

// WithCode wraps err so that main exits with code.
func WithCode(code int, err error) error { return exitcode.WithCode(code, err) }

// UsageError is a bad-input error (exit code 2).
func UsageError(format string, a ...any) error { return exitcode.UsageError(format, a...) }

// ExitCode is the process exit code for an error returned by the root command.
func ExitCode(err error) int { return exitcode.Of(err) }

// Settings is everything a verb needs from its environment. main builds it from the process
// (helm's HELM_* variables and flags); tests build it by hand.
type Settings struct {
	// Helm holds helm's global settings: namespace, kube context, kubeconfig, driver, debug.
	Helm *helmcli.EnvSettings
	// IO is where every verb reads and writes.
	IO genericiooptions.IOStreams
	// Clock is the time source for waits and ages.
	Clock clock.Clock
	// Getenv reads the environment (HELM_DRIVER, HELM_PLUGIN_DIR, …).
	Getenv func(string) string
	// IsTerminal reports whether a stream is an interactive terminal.
	IsTerminal func(any) bool
	// Completing is true when the shell asks for completions (cobra's __complete), set by
	// Execute: submit and shell then let cobra read their flags after RELEASE too, so
	// `submit R --driver <TAB>` reaches the --driver completion.
	Completing bool
}

// Execute runs the root command on args (the process's arguments after its name).
func Execute(s *Settings, args []string) error {
	if len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		s.Completing = true
	}
	root := NewRootCommand(s)
	root.SetArgs(args)
	return root.Execute()
}

// NewSettings reads helm's environment the way helm passes it to plugins.
func NewSettings(in io.Reader, out, errOut io.Writer) *Settings {
	return &Settings{
		Helm:       helmcli.New(),
		IO:         genericiooptions.IOStreams{In: in, Out: out, ErrOut: errOut},
		Clock:      clock.RealClock{},
		Getenv:     os.Getenv,
		IsTerminal: IsTerminal,
	}
}

// Namespace is the namespace from -n or HELM_NAMESPACE, else the kubeconfig's, else default.
func (s *Settings) Namespace() string { return s.Helm.Namespace() }

// RESTConfig is the client configuration from --kubeconfig/KUBECONFIG and --kube-context.
func (s *Settings) RESTConfig() (*rest.Config, error) {
	cfg, err := s.Helm.RESTClientGetter().ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig (set --kubeconfig or KUBECONFIG, or check --kube-context %q): %w", s.Helm.KubeContext, err)
	}
	return cfg, nil
}

// KubeClient is a typed client for the configured cluster.
func (s *Settings) KubeClient() (kubernetes.Interface, error) {
	cfg, err := s.RESTConfig()
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}

// Clients is the REST config and the clientset built from it, for verbs that need both (exec
// and port-forward take the config; everything else the clientset).
func (s *Settings) Clients() (*rest.Config, kubernetes.Interface, error) {
	cfg, err := s.RESTConfig()
	if err != nil {
		return nil, nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	return cfg, client, err
}

// ActionConfig is helm's action configuration for the namespace, with the release storage
// driver from HELM_DRIVER (secret by default).
func (s *Settings) ActionConfig() (*action.Configuration, error) {
	cfg := new(action.Configuration)
	logf := func(format string, v ...any) {
		if s.Helm.Debug {
			log.New(s.IO.ErrOut, "", 0).Printf(format, v...)
		}
	}
	if err := cfg.Init(s.Helm.RESTClientGetter(), s.Namespace(), s.Getenv("HELM_DRIVER"), logf); err != nil {
		return nil, fmt.Errorf("set up helm for namespace %q: %w", s.Namespace(), err)
	}
	return cfg, nil
}

// NewRootCommand builds `helm sparkmr3` and all its verbs.
func NewRootCommand(s *Settings) *cobra.Command {
	root := &cobra.Command{
		Use:   "sparkmr3",
		Short: "Install, check, submit to and tear down Spark on MR3 on Kubernetes",
		Long: `helm sparkmr3 runs Spark on MR3 on Kubernetes from one release:
install/upgrade the spark-mr3 chart keeping the shared DAGAppMaster token, check that
its settings agree, submit jobs to a driver once the release is ready, and tear down
everything, including the Pods that MR3 creates at run time.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Shell completion is helm's (`helm completion bash|zsh|fish`): helm asks the plugin
		// through plugin.complete (cobra's hidden __complete) and completion.yaml. A cobra
		// `completion` verb would print a script for a `sparkmr3` command that does not exist.
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetIn(s.IO.In)
	root.SetOut(s.IO.Out)
	root.SetErr(s.IO.ErrOut)
	s.Helm.AddFlags(root.PersistentFlags())
	for _, add := range verbs {
		root.AddCommand(add(s))
	}
	usageErrors(root)
	explainErrors(s, root)
	addReleaseCompletion(s, root)
	return root
}

// IsTerminal reports whether stream is an interactive terminal.
func IsTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// usageErrors makes cobra's own refusals (unknown flag, wrong number of arguments, unknown
// verb) in c and its sub-commands exit with ExitUsage, naming the verb's --help.
func usageErrors(c *cobra.Command) {
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
		usageErrors(sub)
	}
}
