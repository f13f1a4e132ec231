package cli

import (
	"context"
	"errors"
	"strings"

	"github.com/spark-mr3/spark-mr3/plugin/rollout"
)

func isNotReady(err error) bool {
	var nr *rollout.NotReadyError
	return errors.As(err, &nr)
}

func isInterrupted(err error) bool { return errors.Is(err, context.Canceled) }

// isBadValues recognises helm's refusals of the values: the chart's schema, or a template
// `fail` (the chart's cross-field rules). Both name the key; the exit code says "fix your input".
func isBadValues(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "values don't meet the specifications of the schema") ||
		strings.Contains(msg, "execution error at (")
}
