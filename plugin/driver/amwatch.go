package driver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/rollout"
)

// AMStoppedError says the driver command was stopped because the DAGAppMaster it would talk
// to cannot start: the API server refuses its Pod (rollout.AMRefusedError, e.g. PodSecurity).
// MR3's client would otherwise wait until mr3.k8s.pod.creation.timeout.ms. It unwraps to the
// refusal, so rollout.IsAMRefused holds; the CLI exits 4, as for a release that is not ready.
type AMStoppedError struct {
	// Where is the driver command's place ("in pod NS/P container C", or the local script).
	Where   string
	Refusal error
}

func (e *AMStoppedError) Error() string {
	return fmt.Sprintf("stopped the driver command %s: %v", e.Where, e.Refusal)
}

func (e *AMStoppedError) Unwrap() error { return e.Refusal }

// watchesAM reports whether a job with these Spark arguments has its DAGAppMaster in its own
// Pod (mr3.master.mode kubernetes), the Pod PodSecurity or a quota may refuse. With
// --localthread / --localprocess it runs inside the driver.
func watchesAM(args []string) bool { return MasterMode(args) == "kubernetes" }

// withAMWatch runs job beside rollout.WatchDAGAppMaster for the release's timestamp (its
// token Secret), in kubernetes master mode. job calls onStart as the driver command starts
// (its OnStart), and the watch starts then: its requests do not delay the exec. When the watch
// reports that the DAGAppMaster's Pod is refused, the job's context is cancelled (the exec
// stream closes; a local process group gets SIGTERM, as on an interrupt) and an
// *AMStoppedError is returned. Any other watch error (no RBAC to watch Deployments, …) leaves
// the job running unwatched. The watch ends before withAMWatch returns.
// amWatchDelay is how long after the exec is opened the DAGAppMaster watch starts.
const amWatchDelay = 100 * time.Millisecond

func (o *Options) withAMWatch(ctx context.Context, ready *rollout.Ready, where string, job func(ctx context.Context, onStart func()) error) error {
	ts := ""
	if ready.TokenSecret != nil {
		ts = string(ready.TokenSecret.Data[contract.KeyTimestamp])
	}
	if !watchesAM(o.Args) || ts == "" || o.Client == nil {
		return job(ctx, o.started)
	}
	jobCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var refused, watchErr error
	var done chan struct{}
	startWatch := func() {
		o.started()
		done = make(chan struct{})
		go func() {
			defer close(done)
			// The driver's MR3 client creates the DAGAppMaster seconds after the command
			// starts (a JVM first): wait a moment so that the watch's LIST never races the
			// exec request on the API server (the watch lists first, so nothing is missed).
			select {
			case <-o.Clock.After(amWatchDelay):
			case <-jobCtx.Done():
				return
			}
			err := rollout.WatchDAGAppMaster(jobCtx, o.Client, o.Namespace, ts)
			if rollout.IsAMRefused(err) {
				refused = err
				cancel()
				return
			}
			watchErr = err
		}()
	}
	err := job(jobCtx, startWatch)
	cancel()
	if done == nil {
		return err
	}
	<-done
	if refused != nil && ctx.Err() == nil && errors.Is(err, ErrInterrupted) {
		return &AMStoppedError{Where: where, Refusal: refused}
	}
	if watchErr != nil && o.Debug {
		fmt.Fprintf(o.IO.ErrOut, "# the DAGAppMaster was not watched: %v\n", watchErr)
	}
	return err
}
