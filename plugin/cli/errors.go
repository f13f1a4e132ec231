package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

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

// explainErrors passes the error of every verb under c through explainClusterError: the one
// place where cluster errors get their explanation, whichever verb met them. The exit code a
// verb chose is kept (the explanation wraps its error).
func explainErrors(s *Settings, c *cobra.Command) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			return explainClusterError(run(cmd, args), s)
		}
	}
	for _, sub := range c.Commands() {
		explainErrors(s, sub)
	}
}

// explainedError is a cluster error with its explanation; it still wraps the original chain
// (exit code, network error, API status).
type explainedError struct {
	msg string
	err error
}

func (e *explainedError) Error() string { return e.msg }
func (e *explainedError) Unwrap() error { return e.err }

// explainClusterError turns the API failures users hit first — an unreachable API server,
// credentials it rejects or that lack a permission, a namespace that does not exist — into
// one message that says what to fix. Other errors, and errors explained already, pass through
// unchanged.
func explainClusterError(err error, s *Settings) error {
	if err == nil || errors.As(err, new(*explainedError)) {
		return err
	}
	server := func() string {
		if cfg, cerr := s.RESTConfig(); cerr == nil {
			return cfg.Host
		}
		return "(no server in the kubeconfig)"
	}
	var opErr *net.OpError
	var status apierrors.APIStatus
	var msg string
	switch {
	case isInterrupted(err):
		return err
	case errors.As(err, &opErr):
		msg = fmt.Sprintf("cannot reach the Kubernetes API server %s: %v; check that --kubeconfig (or KUBECONFIG) and --kube-context name a running cluster", server(), opErr)
	case apierrors.IsUnauthorized(err):
		msg = fmt.Sprintf("the Kubernetes API server %s rejected the credentials (expired or revoked token, or an unknown client certificate): %v; log in again or refresh the kubeconfig", server(), err)
	case apierrors.IsForbidden(err) && errors.As(err, &status):
		msg = fmt.Sprintf("%s; use credentials (--kube-context, --kubeconfig) that have this permission in namespace %q, or ask a cluster admin to grant it", status.Status().Message, s.Namespace())
	case apierrors.IsNotFound(err) && errors.As(err, &status) && status.Status().Details != nil && status.Status().Details.Kind == "namespaces":
		msg = fmt.Sprintf("namespace %q does not exist: pass the right -n NAMESPACE (install and upgrade create it with --create-namespace)", status.Status().Details.Name)
	default:
		return err
	}
	return &explainedError{msg: msg, err: err}
}
