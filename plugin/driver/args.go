package driver

import (
	"fmt"
	"strconv"
	"strings"
)

// MR3's driver scripts (run-spark-submit.sh, run-spark-shell.sh) read their arguments as
// `spark_setup_parse_args_common $@` and pass the rest on as `$REMAINING_ARGS`, both unquoted:
// bash splits every argument again on whitespace and expands glob characters against the
// script's working directory, an empty argument disappears (so the next one takes its place),
// and `--master` is dropped together with the word after it. A Spark argument is therefore
// delivered intact only when it is one non-empty word without glob characters. CheckArgs
// refuses every other argument before anything runs, naming it and the way that works.

// Fixes named by ArgError, one per kind of value.
const (
	fixProperty = "set the property in the release's values instead (spark.extraProperties: {KEY: VALUE}, " +
		"rendered into spark-defaults.conf, which every driver reads), or put it in a properties file inside " +
		"the driver Pod and pass --properties-file PATH"
	fixJavaOptions = "for several JVM options set spark.driver.extraJavaOptions (or spark.executor.extraJavaOptions) " +
		"in the release's values (spark.extraProperties), which land in spark-defaults.conf intact; " +
		"--driver-java-options takes one option"
	fixAppArg = "pass the application a value without whitespace or glob characters (e.g. read it from a file " +
		"the driver can reach, or encode it)"
)

// ArgError is a Spark argument that MR3's driver scripts would not deliver intact.
type ArgError struct {
	// Position is the argument's 1-based position among the Spark arguments.
	Position int
	Value    string
	// Problem says what the script would do with it; Fix what works instead.
	Problem string
	Fix     string
}

func (e *ArgError) Error() string {
	return fmt.Sprintf("Spark argument %d %s: %s; %s", e.Position, strconv.Quote(e.Value), e.Problem, e.Fix)
}

// globChars are the characters bash's pathname expansion acts on (extglob is off in scripts).
const globChars = "*?["

// CheckArgs returns an *ArgError for the first Spark argument that MR3's scripts would not
// pass on intact, or nil.
func CheckArgs(args []string) error {
	for i, a := range args {
		pos := i + 1
		prev := ""
		if i > 0 {
			prev = args[i-1]
		}
		switch {
		case a == "":
			return &ArgError{pos, a, "MR3's driver script drops an empty argument, so the next argument takes its place",
				"leave it out, or " + fixFor(prev, a)}
		case a == "--":
			fix := `submit's and shell's own flags (--driver, --timeout, --local, …) come first, then at most one "--", then Spark's arguments`
			if i > 0 {
				fix += fmt.Sprintf(` (Spark's arguments here start at %s)`, strconv.Quote(args[0]))
			}
			return &ArgError{pos, a, `"--" would be passed on to spark-submit`, fix + `: helm sparkmr3 submit RELEASE [flags] -- SPARK_ARGS`}
		case a == "--master":
			return &ArgError{pos, a, "MR3's driver script drops --master and the word after it (it always runs spark-submit --master spark)",
				"leave it out: MR3 picks the master"}
		case strings.HasPrefix(a, "--master="):
			return &ArgError{pos, a, "it would replace the --master spark that MR3's driver script passes",
				"leave it out: MR3 picks the master"}
		case scriptTakesValue(a) && i == len(args)-1:
			return &ArgError{pos, a, "MR3's driver script reads the word after it with 'shift 2', which fails when it is the last argument, and then loops forever",
				"give it its value (" + a + " VALUE), or leave it out"}
		case strings.HasPrefix(a, "--driver-java-options=") || strings.HasPrefix(a, "--driver-class-path="):
			opt, _, _ := strings.Cut(a, "=")
			return &ArgError{pos, a, "MR3's driver script does not read this form and passes it on after its own " + opt +
				", so it would replace the script's (MR3's -D options or class path)",
				"write it as two arguments (" + opt + " VALUE), which the script merges with its own"}
		}
		if j := strings.IndexAny(a, " \t\n"); j >= 0 {
			n := len(strings.Fields(a))
			return &ArgError{pos, a, fmt.Sprintf("MR3's driver script re-splits its arguments on whitespace, so it would arrive as %d argument(s) (at the %s)",
				n, whitespaceName(a[j])), fixFor(prev, a)}
		}
		if j := strings.IndexAny(a, globChars); j >= 0 {
			return &ArgError{pos, a, fmt.Sprintf("MR3's driver script expands the glob character %q against the files of its working directory", a[j]),
				globFix(prev, a)}
		}
	}
	return nil
}

// scriptTakesValue: the options MR3's script reads together with the next word (`shift 2`).
func scriptTakesValue(a string) bool {
	switch a {
	case "--master", "--driver-java-options", "--driver-class-path", "--jars":
		return true
	}
	return false
}

func whitespaceName(c byte) string {
	switch c {
	case '\t':
		return "tab"
	case '\n':
		return "newline"
	}
	return "space"
}

// fixFor names the way that works for the value a following prev.
func fixFor(prev, a string) string {
	switch {
	case prev == "--driver-java-options" || strings.HasPrefix(a, "--driver-java-options="):
		return fixJavaOptions
	case strings.Contains(a, "extraJavaOptions="):
		return fixJavaOptions
	case prev == "--conf" || prev == "-c" || strings.HasPrefix(a, "--conf="):
		return fixProperty
	}
	return fixAppArg + ", or " + fixProperty
}

func globFix(prev, a string) string {
	if prev == "--jars" || prev == "--driver-class-path" || prev == "--files" || prev == "--py-files" {
		return "list the files one by one (comma-separated), or " + fixProperty + " (e.g. spark.jars)"
	}
	return fixFor(prev, a)
}

// MasterMode is where MR3 runs the DAGAppMaster for these arguments: "kubernetes" (its own
// Pod), "local-thread" or "local-process" (inside the driver). The script keeps the last of
// --kubernetes, --localthread and --localprocess.
func MasterMode(args []string) string {
	mode := "kubernetes"
	for _, a := range args {
		switch a {
		case "--kubernetes":
			mode = "kubernetes"
		case "--localthread":
			mode = "local-thread"
		case "--localprocess":
			mode = "local-process"
		}
	}
	return mode
}
