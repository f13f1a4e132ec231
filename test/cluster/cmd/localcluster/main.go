// Command localcluster starts and stops the project's local Kubernetes control plane:
//
//	localcluster up   [--dir .cluster] [--nodes 2]   start (or reuse) and print how to use it
//	localcluster down [--dir .cluster]               stop exactly what up started
//	localcluster status [--dir .cluster]             say whether it runs
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spark-mr3/spark-mr3/test/cluster"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: localcluster up|down|status [--dir DIR] [--nodes N]")
		os.Exit(2)
	}
	verb := os.Args[1]
	fs := flag.NewFlagSet(verb, flag.ExitOnError)
	dir := fs.String("dir", ".cluster", "state directory (certificates, etcd data, logs, kubeconfig)")
	nodes := fs.Int("nodes", 2, "number of simulated nodes")
	_ = fs.Parse(os.Args[2:])
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch verb {
	case "up":
		var st *cluster.State
		st, err = cluster.Up(ctx, cluster.Options{Dir: *dir, Nodes: *nodes, Log: os.Stderr})
		if err == nil {
			fmt.Printf("Local cluster is up (API server https://127.0.0.1:%d). Use it with:\n  export KUBECONFIG=%s\n  kubectl get nodes\nStop it with: make cluster-down\n", st.Ports.APIServer, st.Kubeconfig)
		}
	case "down":
		err = cluster.Down(*dir, os.Stderr)
	case "status":
		var st *cluster.State
		st, err = cluster.Running(*dir)
		if err == nil {
			fmt.Printf("running: kubeconfig %s, API server port %d\n", st.Kubeconfig, st.Ports.APIServer)
		}
	default:
		err = fmt.Errorf("unknown verb %q: use up, down or status", verb)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "localcluster %s: %v\n", verb, err)
		os.Exit(1)
	}
}
