package driver

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		pos  int      // 0: accepted
		want []string // in the message
	}{
		{"plain", []string{"--class", "org.example.Main", "--conf", "spark.executor.cores=2", "--jars", "a.jar,b.jar", "app.jar", "arg1"}, 0, nil},
		{"quotes and dollars arrive intact", []string{"--conf", `spark.app.name="x"`, "$HOME", "it's"}, 0, nil},
		{"local modes", []string{"--localprocess", "--kubernetes", "--localthread", "app.jar"}, 0, nil},
		{"none", nil, 0, nil},
		{"empty", []string{"--conf", "", "app.jar"}, 2, []string{`Spark argument 2 ""`, "drops an empty argument", "spark.extraProperties"}},
		{"space in conf value", []string{"--conf", "spark.app.name=my app"}, 2, []string{`"spark.app.name=my app"`, "re-splits", "2 argument(s)", "space", "spark.extraProperties", "--properties-file"}},
		{"several JVM options", []string{"--conf", "spark.driver.extraJavaOptions=-Da=1 -Db=2", "app.jar"}, 2, []string{"2 argument(s)", "spark.driver.extraJavaOptions", "takes one option"}},
		{"driver-java-options", []string{"--driver-java-options", "-Da=1 -Db=2"}, 2, []string{"spark.driver.extraJavaOptions"}},
		{"--conf= form", []string{"--conf=spark.x=a b"}, 1, []string{"spark.extraProperties"}},
		{"tab", []string{"app.jar", "a\tb"}, 2, []string{"(at the tab)", "application a value"}},
		{"newline", []string{"app.jar", "a\nb"}, 2, []string{"(at the newline)"}},
		{"star", []string{"--jars", "/opt/lib/*.jar", "app.jar"}, 2, []string{`glob character '*'`, "list the files one by one", "spark.jars"}},
		{"question mark", []string{"app.jar", "what?"}, 2, []string{`glob character '?'`}},
		{"bracket", []string{"--conf", "spark.x=[1]"}, 2, []string{`glob character '['`, "spark.extraProperties"}},
		{"--master", []string{"--master", "yarn", "app.jar"}, 1, []string{"drops --master and the word after it", "leave it out"}},
		{"--master=", []string{"--master=local[2]", "app.jar"}, 1, []string{"replace the --master spark"}},
		{"stray --", []string{"--conf", "spark.executor.instances=8", "--", "app.py"}, 3, []string{`"--" would be passed on to spark-submit`, `Spark's arguments here start at "--conf"`, "helm sparkmr3 submit RELEASE [flags] -- SPARK_ARGS"}},
		{"leading --", []string{"--", "app.py"}, 1, []string{`then at most one "--"`}},
		{"trailing --jars", []string{"app.jar", "--jars"}, 2, []string{"'shift 2'", "loops forever", "--jars VALUE"}},
		{"trailing --driver-java-options", []string{"app.jar", "--driver-java-options"}, 2, []string{"loops forever"}},
		{"trailing --driver-class-path", []string{"--driver-class-path"}, 1, []string{"loops forever"}},
		{"--driver-java-options=", []string{"--driver-java-options=-Da=1", "app.jar"}, 1, []string{"replace the script's", "--driver-java-options VALUE"}},
		{"--driver-class-path=", []string{"--driver-class-path=/x.jar", "app.jar"}, 1, []string{"replace the script's"}},
		{"--jars with its value", []string{"--jars", "a.jar", "app.jar"}, 0, nil},
		{"--jars= is passed on", []string{"--jars=a.jar", "app.jar"}, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckArgs(tc.args)
			if tc.pos == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ae *ArgError
			if !errors.As(err, &ae) {
				t.Fatalf("want *ArgError, got %v", err)
			}
			if ae.Position != tc.pos || ae.Value != tc.args[tc.pos-1] {
				t.Errorf("position %d value %q, want %d %q", ae.Position, ae.Value, tc.pos, tc.args[tc.pos-1])
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message lacks %q:\n%s", w, err)
				}
			}
		})
	}
}

func TestMasterMode(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "kubernetes"},
		{[]string{"--localthread", "app.jar"}, "local-thread"},
		{[]string{"--localprocess"}, "local-process"},
		{[]string{"--localprocess", "--kubernetes"}, "kubernetes"},
		{[]string{"--kubernetes", "--localthread"}, "local-thread"},
	} {
		if got := MasterMode(tc.args); got != tc.want {
			t.Errorf("%q: %s, want %s", tc.args, got, tc.want)
		}
	}
}
