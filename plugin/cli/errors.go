package cli

import (
	"context"
	"errors"

	"github.com/spark-mr3/spark-mr3/plugin/rollout"
)

func isNotReady(err error) bool {
	var nr *rollout.NotReadyError
	return errors.As(err, &nr)
}

func isInterrupted(err error) bool { return errors.Is(err, context.Canceled) }
