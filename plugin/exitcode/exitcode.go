// Package exitcode holds the process exit codes of helm-sparkmr3 (docs/PLUGIN.md) and the
// error type that carries one from a verb to main. A remote or local driver command's own exit
// code is passed through unchanged by submit and shell.
package exitcode

import (
	"errors"
	"fmt"
	"strings"
)

// The exit codes.
const (
	OK          = 0
	Error       = 1   // a failure talking to the cluster or running an action
	Usage       = 2   // bad flags, arguments or input values
	CheckFailed = 3   // consistency rules found violations
	NotReady    = 4   // the release did not become ready before --timeout
	Interrupted = 130 // interrupted by SIGINT
	Hangup      = 129 // ended by SIGHUP: the terminal or SSH session closed (submit/shell stop the job first)
	Terminated  = 143 // ended by SIGTERM (submit/shell stop the job in the Pod first)
)

// ExitErr carries the process exit code for an error; main maps it with Of.
type ExitErr struct {
	Code int
	Err  error
}

func (e *ExitErr) Error() string { return e.Err.Error() }
func (e *ExitErr) Unwrap() error { return e.Err }

// WithCode wraps err so that main exits with code; nil stays nil.
func WithCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &ExitErr{Code: code, Err: err}
}

// UsageError is a bad-input error (exit code Usage).
func UsageError(format string, a ...any) error {
	return &ExitErr{Code: Usage, Err: fmt.Errorf(format, a...)}
}

// Of is the process exit code for an error returned by the root command: the code of the
// outermost ExitErr in its chain, Usage for cobra's unknown verb, else Error.
func Of(err error) int {
	if err == nil {
		return OK
	}
	var e *ExitErr
	if errors.As(err, &e) {
		return e.Code
	}
	// cobra reports an unknown verb before any of our code runs.
	if strings.HasPrefix(err.Error(), "unknown command ") {
		return Usage
	}
	return Error
}
