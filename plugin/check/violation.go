package check

import (
	"fmt"
	"io"
	"strings"

	"helm.sh/helm/v3/pkg/cli/output"
)

// Violation is one broken rule. Message names both sides (the configuration file, key and
// value, and the object, field and value); Fix says what to change.
type Violation struct {
	// Rule is the rule's name, e.g. "host-aliases".
	Rule string `json:"rule"`
	// Object is the object the violation is reported on, "Kind/name".
	Object string `json:"object"`
	// Source is the object's template path from helm's "# Source:" comment, if known.
	Source string `json:"source,omitempty"`
	// Key is the configuration key or object field at fault, e.g. "mr3-site.xml mr3.k8s.host.aliases".
	Key     string `json:"key,omitempty"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

// String is the violation on one line.
func (v Violation) String() string {
	var b strings.Builder
	b.WriteString(v.Object)
	if v.Key != "" {
		fmt.Fprintf(&b, " [%s]", v.Key)
	}
	fmt.Fprintf(&b, ": %s; fix: %s", v.Message, v.Fix)
	return b.String()
}

// Error makes a non-empty list of violations an error that lists every one.
type Error struct{ Violations []Violation }

func (e *Error) Error() string {
	var b strings.Builder
	// A render into a strings.Builder cannot fail.
	_ = WriteText(&b, e.Violations)
	return strings.TrimRight(b.String(), "\n")
}

// WriteText writes violations for people: a summary line, then one line per violation,
// grouped by rule in rule order. With no violations it writes one line saying so.
func WriteText(w io.Writer, vs []Violation) error {
	if len(vs) == 0 {
		_, err := fmt.Fprintln(w, "spark-mr3 check: no violations")
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "spark-mr3 check: %d violation%s\n", len(vs), plural(len(vs)))
	for _, g := range groupByRule(vs) {
		fmt.Fprintf(&b, "%s (%d):\n", g[0].Rule, len(g))
		for _, v := range g {
			fmt.Fprintf(&b, "  %s\n", v)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Report is the JSON and YAML form of a check: the violations grouped like WriteText.
type Report struct {
	Count      int         `json:"count"`
	Violations []Violation `json:"violations"`
}

// NewReport groups violations by rule, in rule order.
func NewReport(vs []Violation) *Report {
	rep := &Report{Count: len(vs), Violations: []Violation{}}
	for _, g := range groupByRule(vs) {
		rep.Violations = append(rep.Violations, g...)
	}
	return rep
}

// Write prints violations in one of helm's output formats (pkg/cli/output): the table form
// is WriteText's, JSON and YAML are the Report encoded as helm encodes them.
func Write(w io.Writer, vs []Violation, format output.Format) error {
	return format.Write(w, NewReport(vs))
}

// WriteTable writes the report for people (WriteText).
func (r *Report) WriteTable(w io.Writer) error { return WriteText(w, r.Violations) }

// WriteJSON writes the report as one line of JSON, as helm's -o json.
func (r *Report) WriteJSON(w io.Writer) error { return output.EncodeJSON(w, r) }

// WriteYAML writes the report as YAML, as helm's -o yaml.
func (r *Report) WriteYAML(w io.Writer) error { return output.EncodeYAML(w, r) }

func groupByRule(vs []Violation) [][]Violation {
	order := map[string]int{RuleConfFiles: -1}
	for i, r := range Rules() {
		order[r.Name] = i
	}
	var groups [][]Violation
	idx := map[string]int{}
	for _, v := range vs {
		i, ok := idx[v.Rule]
		if !ok {
			i = len(groups)
			idx[v.Rule] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], v)
	}
	rank := func(rule string) int {
		if r, ok := order[rule]; ok {
			return r
		}
		return len(order)
	}
	// Stable insertion sort by rule rank: few groups.
	for i := 1; i < len(groups); i++ {
		for j := i; j > 0 && rank(groups[j][0].Rule) < rank(groups[j-1][0].Rule); j-- {
			groups[j], groups[j-1] = groups[j-1], groups[j]
		}
	}
	return groups
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
