package cli

import (
	"github.com/spf13/pflag"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
)

// valueFlags are helm's value flags -f/--values, --set, --set-string, --set-file, --set-json
// and --set-literal, shared by every verb that renders the chart (install, upgrade, check):
// registered, tested for and merged in one place, as helm merges them.
type valueFlags struct {
	opts values.Options
}

// register adds the flags to fs.
func (v *valueFlags) register(fs *pflag.FlagSet) {
	fs.StringSliceVarP(&v.opts.ValueFiles, "values", "f", nil, "specify values in a YAML file or a URL (can specify multiple)")
	fs.StringArrayVar(&v.opts.Values, "set", nil, "set values on the command line (key1=val1,key2=val2)")
	fs.StringArrayVar(&v.opts.StringValues, "set-string", nil, "set STRING values on the command line")
	fs.StringArrayVar(&v.opts.FileValues, "set-file", nil, "set values from files (key=path)")
	fs.StringArrayVar(&v.opts.JSONValues, "set-json", nil, "set JSON values on the command line (key=jsonval)")
	fs.StringArrayVar(&v.opts.LiteralValues, "set-literal", nil, "set a literal STRING value on the command line (no commas or escapes parsed)")
}

// given reports whether any of the flags was used.
func (v *valueFlags) given() bool {
	o := v.opts
	return len(o.ValueFiles)+len(o.Values)+len(o.StringValues)+len(o.FileValues)+len(o.JSONValues)+len(o.LiteralValues) > 0
}

// merge reads and merges the values in helm's order; a failure is a usage error.
func (v *valueFlags) merge(s *Settings) (map[string]any, error) {
	vals, err := v.opts.MergeValues(getter.All(s.Helm))
	if err != nil {
		return nil, UsageError("read values (-f/--set…): %v", err)
	}
	return vals, nil
}
