package driver

import (
	"bytes"
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/spark-mr3/spark-mr3/plugin/rollout"
)

// refusedByPodSecurity is the ReplicaFailure message the Deployment controller copies from
// the ReplicaSet when PodSecurity restricted refuses the DAGAppMaster's Pod.
const refusedByPodSecurity = `pods "mr3master-spark-4242-0-6d9f7c-x2x4q" is forbidden: violates PodSecurity "restricted:latest": ` +
	`allowPrivilegeEscalation != false (container "master" must set securityContext.allowPrivilegeEscalation=false)`

// amDeployment is the DAGAppMaster Deployment of timestamp 4242 (the test token Secret's),
// reporting failure as its ReplicaFailure condition when not empty.
func amDeployment(rv, failure string) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "mr3master-spark-4242-0", Namespace: testNS, ResourceVersion: rv}}
	if failure != "" {
		d.Status.Conditions = []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate", Message: failure}}
	}
	return d
}

// createOnceWatched creates d as MR3's client would, once a watch of Deployments is open (the
// fake client does not replay earlier events to a later watch).
func createOnceWatched(t *testing.T, client *fake.Clientset, d *appsv1.Deployment) {
	go func() {
		for i := 0; i < 500; i++ {
			for _, a := range client.Actions() {
				if a.GetVerb() == "watch" && a.GetResource().Resource == "deployments" {
					_, _ = client.AppsV1().Deployments(testNS).Create(context.Background(), d, metav1.CreateOptions{})
					return
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Error("no watch of Deployments was opened")
	}()
}

// noWatchGoroutines fails when a goroutine of the DAGAppMaster watch is still running shortly
// after Run returned.
func noWatchGoroutines(t *testing.T) {
	t.Helper()
	var stacks string
	for i := 0; i < 100; i++ {
		buf := make([]byte, 1<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(stacks, "rollout.WatchDAGAppMaster") && !strings.Contains(stacks, "rollout.follow") &&
			!strings.Contains(stacks, "driver.(*Options).withAMWatch") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the DAGAppMaster watch outlived the job:\n%s", stacks)
}

func TestSubmitStopsTheJobWhenTheDAGAppMasterIsRefused(t *testing.T) {
	listForbidden := func(c *fake.Clientset) {
		c.PrependReactor("list", "deployments", func(k8stesting.Action) (bool, k8sruntime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "", nil)
		})
	}
	cases := []struct {
		name  string
		local bool
		args  []string
		// setup adds objects or reactors to the release's fake client.
		setup   func(t *testing.T, c *fake.Clientset)
		stopped bool // else the job's own exit code 7
	}{
		{name: "refused while the job runs", stopped: true,
			setup: func(t *testing.T, c *fake.Clientset) {
				createOnceWatched(t, c, amDeployment("5", refusedByPodSecurity))
			}},
		{name: "refused before the job started", stopped: true,
			setup: func(t *testing.T, c *fake.Clientset) {
				must(t, c.Tracker().Add(amDeployment("5", refusedByPodSecurity)))
			}},
		{name: "local: refused while the job runs", local: true, stopped: true,
			setup: func(t *testing.T, c *fake.Clientset) {
				createOnceWatched(t, c, amDeployment("5", refusedByPodSecurity))
			}},
		{name: "admitted",
			setup: func(t *testing.T, c *fake.Clientset) { createOnceWatched(t, c, amDeployment("5", "")) }},
		{name: "cannot watch: the job goes on",
			setup: func(t *testing.T, c *fake.Clientset) { listForbidden(c) }},
		{name: "local: cannot watch", local: true,
			setup: func(t *testing.T, c *fake.Clientset) { listForbidden(c) }},
		{name: "--localthread: the DAGAppMaster is in the driver", args: []string{"--localthread"},
			setup: func(t *testing.T, c *fake.Clientset) {
				must(t, c.Tracker().Add(amDeployment("5", refusedByPodSecurity)))
			}},
		{name: "local --localprocess", local: true, args: []string{"--localprocess"},
			setup: func(t *testing.T, c *fake.Clientset) {
				must(t, c.Tracker().Add(amDeployment("5", refusedByPodSecurity)))
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The job: long unless stopped, exit 7 after a short while when let be (long
			// enough for the watch to see a Deployment created beside it).
			body := "for i in $(seq 1 15); do sleep 0.1; done\n[ -n \"$STAY\" ] && exec sleep 30\nexit 7\n"
			var o *Options
			var client *fake.Clientset
			var out, errOut bytes.Buffer
			io := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
			args := append(tc.args, "app.jar")
			stay := ""
			if tc.stopped {
				stay = "1"
			}
			if tc.local {
				site := siteWithAliases("h=10.1.1.1")
				_, script := baseDir(t, testEnvSh, site, body)
				client = fake.NewClientset(releaseObjects(site)...)
				o = &Options{Verb: Submit, Release: testRel, Namespace: testNS, Local: true, Script: script, DriverHost: "h",
					Args: args, IO: io, Client: client, DriverCores: "1", DriverMemoryMB: "1024",
					Environ: func() []string { return []string{"PATH=" + os.Getenv("PATH"), "STAY=" + stay} }}
			} else {
				cfg, _ := kubeletServer(t, true)
				script := writeScript(t, t.TempDir(), "run-spark-submit.sh", strings.ReplaceAll(body, "$STAY", stay))
				client = fake.NewClientset(append(releaseObjects(siteWithAliases(""), "spark1"), readyPod("spark1", script))...)
				o = &Options{Verb: Submit, Release: testRel, Namespace: testNS, Timeout: 5 * time.Second,
					Args: args, IO: io, Config: cfg, Client: client}
			}
			tc.setup(t, client)
			if err := o.Complete(); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err := o.Run(context.Background())
			took := time.Since(start)
			noWatchGoroutines(t)

			if len(tc.args) > 0 {
				for _, a := range client.Actions() {
					if a.GetVerb() == "watch" && a.GetResource().Resource == "deployments" {
						t.Errorf("%s: Deployments watched", tc.args[0])
					}
				}
			}
			if !tc.stopped {
				var ce *CommandExitError
				if !errors.As(err, &ce) || ce.Code != 7 {
					t.Fatalf("want the job's own exit 7, got %v", err)
				}
				return
			}
			var stopped *AMStoppedError
			if !errors.As(err, &stopped) || !rollout.IsAMRefused(err) {
				t.Fatalf("want the job stopped for the refused DAGAppMaster, got %v", err)
			}
			if took > 10*time.Second {
				t.Fatalf("took %s: the job was not stopped", took)
			}
			for _, want := range []string{"stopped the driver command", "the DAGAppMaster cannot start",
				"Deployment spark/mr3master-spark-4242-0", `violates PodSecurity "restricted:latest"`,
				"kubectl label namespace spark pod-security.kubernetes.io/enforce=baseline --overwrite"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%s", want, err)
				}
			}
		})
	}
}

// A user's interrupt stays an interrupt (130), and ends the watch too.
func TestSubmitInterruptedWhileWatchingTheDAGAppMaster(t *testing.T) {
	cfg, _ := kubeletServer(t, true)
	script := writeScript(t, t.TempDir(), "run-spark-submit.sh", "sleep 30\n")
	client := fake.NewClientset(append(releaseObjects(siteWithAliases(""), "spark1"), readyPod("spark1", script))...)
	ctx, cancel := context.WithCancel(context.Background())
	o := &Options{Verb: Submit, Release: testRel, Namespace: testNS, Timeout: 5 * time.Second, Args: []string{"app.jar"},
		IO:     genericiooptions.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}},
		Config: cfg, Client: client, Hooks: Hooks{Started: func(time.Time) {
			go func() { time.Sleep(200 * time.Millisecond); cancel() }()
		}}}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	if err := o.Run(ctx); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("want ErrInterrupted, got %v", err)
	}
	noWatchGoroutines(t)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
