// Package e2e holds the end-to-end tests: each runs against the real local control plane
// (test/cluster), started once per test binary or reused from $SPARKMR3_KUBECONFIG.
package e2e

import (
	"os"
	"testing"

	"github.com/spark-mr3/spark-mr3/test/cluster"
)

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }
