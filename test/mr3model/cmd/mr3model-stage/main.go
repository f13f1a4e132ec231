// Command mr3model-stage stages the driver Pods of an installed release for the model of
// MR3's driver scripts (package test/mr3model), for `make demo`:
//
//	go run ./test/mr3model/cmd/mr3model-stage --kubeconfig K -n NS --release R --root DIR
//
// Install the release with drivers[i].command.submit/shell = DIR/<driver>/opt/mr3-run/spark/
// run-spark-submit.sh / run-spark-shell.sh first (the values it prints with --print-values).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/spark-mr3/spark-mr3/test/mr3model"
)

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster")
	ns := flag.String("n", "default", "namespace of the release")
	release := flag.String("release", "", "release name")
	root := flag.String("root", "", "folder that holds one folder per driver (the Pods' /)")
	printValues := flag.String("print-values", "", "print the --set arguments for these comma-separated drivers and exit")
	flag.Parse()
	if *root == "" {
		fail("--root is required")
	}
	r := mr3model.Root(*root)
	if *printValues != "" {
		fmt.Println(strings.Join(r.SetValues(strings.Split(*printValues, ",")...), " "))
		return
	}
	if *release == "" {
		fail("--release is required")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fail("kubeconfig %s: %v", *kubeconfig, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		fail("%v", err)
	}
	ds, err := mr3model.StageRelease(context.Background(), cs, *ns, *release, r)
	if err != nil {
		fail("%v", err)
	}
	var names []string
	for n := range ds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Printf("driver %s (pod %s): its / is %s\n", n, ds[n].Pod, ds[n].Root)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "mr3model-stage: "+format+"\n", args...)
	os.Exit(2)
}
