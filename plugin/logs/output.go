package logs

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"helm.sh/helm/v3/pkg/cli/output"
)

// RunList is a driver's runs as `logs RELEASE` prints them.
type RunList struct {
	Release string `json:"release"`
	Driver  string `json:"driver"`
	Pod     string `json:"pod"`
	Runs    []Run  `json:"runs"`
}

var _ output.Writer = (*RunList)(nil)

// WriteJSON writes the list as one line of JSON, as helm's -o json.
func (l *RunList) WriteJSON(w io.Writer) error { return output.EncodeJSON(w, l) }

// WriteYAML writes the list as YAML, as helm's -o yaml.
func (l *RunList) WriteYAML(w io.Writer) error { return output.EncodeYAML(w, l) }

// WriteTable writes one line per run, newest first: its ID (the --run), the script that made
// it, its start time and its log files ("-": none).
func (l *RunList) WriteTable(w io.Writer) error {
	if len(l.Runs) == 0 {
		_, err := fmt.Fprintf(w, "Driver %s (Pod %s) has no runs yet: 'helm sparkmr3 submit %s --driver %s' makes one.\n", l.Driver, l.Pod, l.Release, l.Driver)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tKIND\tSTARTED\tLOG")
	for _, r := range l.Runs {
		started := "-"
		if r.Started != nil {
			started = r.Started.Format("2006-01-02 15:04:05")
		}
		log := "-"
		if len(r.Logs) > 0 {
			log = strings.Join(r.Logs, ",")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Kind, started, log)
	}
	return tw.Flush()
}
