package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/cli/output"
)

// Output formats beside helm's table, json and yaml (pkg/cli/output).
const (
	// formatShell is env's default: export lines for eval.
	formatShell output.Format = "shell"
	// formatText is check's older name for its table form, still accepted for scripts.
	formatText = "text"
)

// outputValue is a verb's -o/--output, as helm's own (cmd/helm/flags.go bindOutputFlag):
// the formats of helm's pkg/cli/output that the verb prints, plus its own (env's shell) and
// older names kept as aliases (check's text for table).
type outputValue struct {
	format  *output.Format
	formats []output.Format
	aliases map[string]output.Format
}

// bindOutputFlag adds -o/--output to cmd with the formats it accepts (the first is the
// default), their shell completion, and aliases accepted but not offered.
func bindOutputFlag(cmd *cobra.Command, p *output.Format, formats []output.Format, aliases map[string]output.Format) {
	*p = formats[0]
	v := &outputValue{format: p, formats: formats, aliases: aliases}
	cmd.Flags().VarP(v, "output", "o", "prints the output in the specified format. Allowed values: "+v.names())
	desc := output.FormatsWithDesc()
	desc[formatShell.String()] = "Output export lines for eval in a POSIX shell"
	err := cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var names []cobra.Completion
		for _, f := range formats {
			names = append(names, cobra.CompletionWithDesc(f.String(), desc[f.String()]))
		}
		sort.Strings(names)
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	if err != nil {
		// Only when the flag is missing: a programming error in this file.
		panic(err)
	}
}

func (v *outputValue) names() string {
	var s []string
	for _, f := range v.formats {
		s = append(s, f.String())
	}
	return strings.Join(s, ", ")
}

func (v *outputValue) String() string { return v.format.String() }

func (v *outputValue) Type() string { return "format" }

func (v *outputValue) Set(s string) error {
	for _, f := range v.formats {
		if s == f.String() {
			*v.format = f
			return nil
		}
	}
	if f, ok := v.aliases[s]; ok {
		*v.format = f
		return nil
	}
	return fmt.Errorf("use one of %s", v.names())
}
