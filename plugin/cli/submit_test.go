package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/spark-mr3/spark-mr3/plugin/driver"
	"github.com/spark-mr3/spark-mr3/plugin/rollout"
)

func TestSplitOwnFlags(t *testing.T) {
	s := NewSettings(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	cmd := NewRootCommand(s)
	sub, _, err := cmd.Find([]string{"submit"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.ParseFlags(nil); err != nil { // merges helm's global flags, as Execute does
		t.Fatal(err)
	}
	tests := []struct {
		args      []string
		own, rest string
	}{
		{[]string{"--driver", "d", "--conf", "a=b", "app.jar"}, "--driver d", "--conf a=b app.jar"},
		{[]string{"--timeout=1m", "-i", "--local", "--", "--driver", "x"}, "--timeout=1m -i --local", "--driver x"},
		{[]string{"-n", "ns", "--class", "Main", "app.jar", "--driver", "x"}, "-n ns", "--class Main app.jar --driver x"},
		{[]string{"--driver-java-options", "-Da=1 -Db=2", "app.jar"}, "", "--driver-java-options -Da=1 -Db=2 app.jar"},
		{[]string{"--dry-run"}, "--dry-run", ""},
	}
	for _, tc := range tests {
		own, rest, err := splitOwnFlags(sub.Flags(), tc.args)
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if strings.Join(own, " ") != tc.own || strings.Join(rest, " ") != tc.rest {
			t.Errorf("%q: own %q rest %q, want %q / %q", tc.args, own, rest, tc.own, tc.rest)
		}
	}
	if _, _, err := splitOwnFlags(sub.Flags(), []string{"--driver"}); err == nil {
		t.Error("a flag without its value should be an error")
	}
}

func TestDriverExitCodes(t *testing.T) {
	tests := []struct {
		err  error
		code int
	}{
		{nil, ExitOK},
		{&driver.CommandExitError{Code: 7}, 7},
		{driver.ErrInterrupted, ExitInterrupted},
		{&rollout.NotReadyError{Release: "r"}, ExitNotReady},
		{&rollout.UnknownDriverError{Release: "r", Driver: "x"}, ExitUsage},
		{errors.New("boom"), ExitError},
	}
	for _, tc := range tests {
		if got := ExitCode(driverExit(tc.err)); got != tc.code {
			t.Errorf("%v: exit %d, want %d", tc.err, got, tc.code)
		}
	}
}
