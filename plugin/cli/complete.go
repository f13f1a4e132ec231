package cli

import (
	"context"
	"fmt"
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"helm.sh/helm/v3/pkg/action"

	"github.com/spark-mr3/spark-mr3/plugin/logs"
)

// completionTimeout bounds the API calls a completion makes: a slow cluster must not hang the
// user's shell.
const completionTimeout = 5 * time.Second

// completeReleases offers the spark-mr3 releases of the namespace for a RELEASE argument
// (`helm sparkmr3 status <TAB>`; helm 3.8+/4 ask the plugin through cobra's __complete).
func completeReleases(s *Settings) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveDefault
		}
		cfg, err := s.ActionConfig()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		list := action.NewList(cfg)
		list.All = true
		rels, err := list.Run()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []cobra.Completion
		for _, r := range rels {
			if r.Chart != nil && r.Chart.Metadata != nil && r.Chart.Metadata.Name == contract.ChartName && strings.HasPrefix(r.Name, toComplete) {
				names = append(names, r.Name)
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// addReleaseCompletion gives every verb whose first argument is RELEASE release completion,
// every verb with --driver the release's driver entries, and logs --run the driver's runs.
// (-o completes through bindOutputFlag.) submit and shell take their flags after RELEASE
// without cobra's parsing (Spark's arguments follow), except while completing
// (Settings.Completing), so `submit R --driver <TAB>` completes like the other verbs.
func addReleaseCompletion(s *Settings, root *cobra.Command) {
	for _, c := range root.Commands() {
		if fields := strings.Fields(c.Use); len(fields) > 1 && fields[1] == "RELEASE" && c.ValidArgsFunction == nil {
			c.ValidArgsFunction = completeReleases(s)
		}
		register := func(flag string, f cobra.CompletionFunc) {
			if c.Flags().Lookup(flag) == nil {
				return
			}
			if _, ok := c.GetFlagCompletionFunc(flag); ok {
				return
			}
			if err := c.RegisterFlagCompletionFunc(flag, f); err != nil {
				panic(err) // only when the flag is missing, checked above
			}
		}
		register("driver", completeDrivers(s))
		if c.Name() == "logs" {
			register("run", completeRuns(s))
		}
	}
}

// releaseDrivers finds the drivers of the release named by the first argument.
func releaseDrivers(ctx context.Context, s *Settings, args []string) ([]logs.Driver, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return nil, fmt.Errorf("no release yet")
	}
	client, err := s.KubeClient()
	if err != nil {
		return nil, err
	}
	return logs.FindDrivers(ctx, client, s.Namespace(), args[0])
}

// completeDrivers offers the driver entry names of the release (`--driver <TAB>`), found by
// the driver Pods' labels as every verb finds them.
func completeDrivers(s *Settings) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		ctx, cancel := context.WithTimeout(contextOf(cmd), completionTimeout)
		defer cancel()
		drivers, err := releaseDrivers(ctx, s, args)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []cobra.Completion
		for _, n := range logs.Names(drivers) {
			if strings.HasPrefix(n, toComplete) {
				names = append(names, n)
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeRuns offers the run IDs of the driver (`logs R [--driver D] --run <TAB>`), newest
// first, with their kind and start time. It lists them over exec in the driver Pod: one API
// call and one exec, bounded by completionTimeout.
func completeRuns(s *Settings) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		ctx, cancel := context.WithTimeout(contextOf(cmd), completionTimeout)
		defer cancel()
		drivers, err := releaseDrivers(ctx, s, args)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		name, _ := cmd.Flags().GetString("driver")
		d, _, err := logs.PickDriver(drivers, name, args[0], s.Namespace())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		cfg, err := s.RESTConfig()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		runs, err := logs.ListRuns(ctx, logs.ExecIn(cfg, d), logs.ResultDirs(d))
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var ids []cobra.Completion
		for _, r := range runs {
			if !strings.HasPrefix(r.ID, toComplete) {
				continue
			}
			desc := string(r.Kind)
			if len(r.Logs) == 0 {
				desc += ", no log"
			}
			ids = append(ids, cobra.CompletionWithDesc(r.ID, desc))
		}
		return ids, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
	}
}

// completionYAML is helm's static completion file (completion.yaml at the plugin root) for
// this command tree: every verb with its own flags. TestCompletionYAML keeps the file current.
func completionYAML(root *cobra.Command) string {
	var b strings.Builder
	b.WriteString("# Static shell completion for `helm sparkmr3` (verbs and their flags); plugin.complete\n")
	b.WriteString("# answers the rest (release names). Regenerate: go test ./plugin/cli -run TestCompletionYAML -update\n")
	b.WriteString("name: sparkmr3\ncommands:\n")
	for _, c := range root.Commands() {
		if c.Name() == "help" || c.Name() == "completion" || c.Hidden {
			continue
		}
		var flags []string
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden { // deprecated spellings (install --atomic) are accepted, not offered
				return
			}
			// Quoted: YAML 1.1 reads a bare y or n as a boolean.
			flags = append(flags, fmt.Sprintf("%q", f.Name))
			if f.Shorthand != "" {
				flags = append(flags, fmt.Sprintf("%q", f.Shorthand))
			}
		})
		fmt.Fprintf(&b, "  - name: %s\n    flags: [%s]\n", c.Name(), strings.Join(flags, ", "))
	}
	return b.String()
}
