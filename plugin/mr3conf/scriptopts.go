package mr3conf

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
)

// MasterMode is where the DAGAppMaster runs, chosen by the driver script's flags.
type MasterMode string

// The master modes of run-spark-submit.sh / run-spark-shell.sh.
const (
	ModeKubernetes   MasterMode = "kubernetes"    // the default, --kubernetes
	ModeLocalThread  MasterMode = "local-thread"  // --localthread
	ModeLocalProcess MasterMode = "local-process" // --localprocess
)

// Files MR3's scripts name in -D options.
const (
	// MR3SparkAssemblyJar is the jar mr3-setup.sh puts first on mr3.cluster.additional.classpath.
	MR3SparkAssemblyJar = "mr3-spark-assembly.jar"
)

// ScriptRun is what the driver script's -D options depend on besides env.sh.
type ScriptRun struct {
	// Mode is the master mode; "" means kubernetes.
	Mode MasterMode
	// FileExists answers spark-setup.sh's `[ -f PATH ]` in the driver: whether PATH is a file,
	// and whether that is known. nil: nothing is known to exist.
	FileExists func(path string) (exists, known bool)
	// DriverJavaOptions is the script's --driver-java-options argument; the script puts it
	// before its own -D options, so an equal key loses to them.
	DriverJavaOptions string
}

// DOption is one -Dkey=value JVM option of the driver.
type DOption struct {
	Key, Value string
	// Word is the JVM argument as spark-submit passes it.
	Word string
	// From lists the variables whose values went into the option, in order (none when the
	// script writes it alone, e.g. mr3.master.mode).
	From []EnvVar
	// Unknown, when not empty, says why the value cannot be told (Value is then meaningless).
	Unknown string
	// FromArgument is true for an option given in ScriptRun.DriverJavaOptions.
	FromArgument bool
}

// ScriptProblem is something in the driver's JVM options that breaks the driver or that the
// model cannot tell.
type ScriptProblem struct {
	Message string
	// Vars are the variables involved.
	Vars []EnvVar
}

// JavaOptions are the JVM options MR3's driver scripts give the Spark driver.
type JavaOptions struct {
	// Options are the -D options in command-line order. The JVM keeps the last of equal keys.
	Options []DOption
	// Problems are options the JVM would not accept as meant, and what could not be evaluated.
	Problems []ScriptProblem
}

// Lookup returns the option the JVM uses for key: the last one.
func (j *JavaOptions) Lookup(key string) (DOption, bool) {
	for i := len(j.Options) - 1; i >= 0; i-- {
		if j.Options[i].Key == key {
			return j.Options[i], true
		}
	}
	return DOption{}, false
}

// Effective returns the option the JVM uses for each key, in the order of each key's first
// appearance.
func (j *JavaOptions) Effective() []DOption {
	idx := map[string]int{}
	var out []DOption
	for _, o := range j.Options {
		if i, ok := idx[o.Key]; ok {
			out[i] = o
			continue
		}
		idx[o.Key] = len(out)
		out = append(out, o)
	}
	return out
}

// piece is a run of the option string: script text (v nil) or a variable's value.
type piece struct {
	text    string
	v       *EnvVar
	arg     bool // from --driver-java-options
	unknown string
}

// unknownText stands in for a value that is not known; it has no blank or quote, so the split
// goes on around it.
const unknownText = "\uFFFDunknown\uFFFD"

// JavaOptions builds the driver's JVM options the way MR3's scripts do after sourcing env.sh:
// mr3-setup.sh's mr3_setup_update_hadoop_opts (the mr3.k8s.* options from env.sh variables,
// the work-dir PVC options when WORK_DIR_PERSISTENT_VOLUME_CLAIM is not empty, mr3.master.mode,
// mr3.cluster.additional.classpath), then spark-setup.sh's hive.metastore.uris and
// hive.metastore.warehouse.dir (always), the Kerberos metastore options when
// HIVE_METASTORE_SECURE_MODE=true, and javax.net.ssl.trustStore(Type) when
// `[ -f $SPARK_SSL_TRUSTSTORE ]` is true, which it is for an empty or unset variable. The string
// is passed as --driver-java-options, which spark-submit splits into words the way Spark's
// launcher does (blanks separate, quotes and backslashes are interpreted), so a value with a
// blank becomes two JVM arguments. An unset variable gives an empty value, and the empty value
// still overrides mr3-site.xml.
func (e *EnvSh) JavaOptions(run ScriptRun) *JavaOptions {
	j := &JavaOptions{}
	var ps []piece
	lit := func(s string) { ps = append(ps, piece{text: s}) }
	ref := func(name string) {
		v := e.Get(name)
		p := piece{text: v.Value, v: &v}
		if v.Unknown != "" {
			p.text, p.unknown = unknownText, fmt.Sprintf("%s is unknown: %s", name, v.Unknown)
		}
		ps = append(ps, p)
	}
	opt := func(key, name string) {
		lit(" -D" + key + "=")
		ref(name)
	}

	// mr3-setup.sh: HADOOP_OPTS="$HADOOP_OPTS $MR3_KUBERNETES_OPTS" and so on.
	ref("HADOOP_OPTS")
	lit(" ")
	for i, kv := range []struct{ key, v string }{
		{"mr3.k8s.namespace", "SPARK_MR3_NAMESPACE"},
		{"mr3.k8s.pod.master.serviceaccount", "MASTER_SERVICE_ACCOUNT"},
		{"mr3.k8s.pod.worker.serviceaccount", "WORKER_SERVICE_ACCOUNT"},
		{"mr3.k8s.pod.master.image", "DOCKER_SPARK_IMG"},
		{"mr3.k8s.pod.worker.image", "DOCKER_SPARK_IMG"},
		{"mr3.k8s.pod.master.user", "SPARK_DOCKER_USER"},
		{"mr3.k8s.master.working.dir", "SPARK_REMOTE_WORK_DIR"},
		{"mr3.k8s.pod.worker.user", "SPARK_DOCKER_USER"},
		{"mr3.k8s.worker.working.dir", "SPARK_REMOTE_WORK_DIR"},
	} {
		if i > 0 {
			lit(" ")
		}
		lit("-D" + kv.key + "=")
		ref(kv.v)
	}
	opt("mr3.k8s.java.io.tmpdir", "SPARK_REMOTE_WORK_DIR")
	lit("/tmp")
	opt("mr3.k8s.conf.dir.configmap", "SPARK_CONF_DIR_CONFIGMAP")
	opt("mr3.k8s.conf.dir.mount.dir", "CONF_DIR_MOUNT_DIR")
	opt("mr3.k8s.keytab.secret", "SPARK_KEYTAB_SECRET")
	opt("mr3.k8s.worker.secret", "SPARK_WORKER_SECRET")
	opt("mr3.k8s.mount.keytab.secret", "CREATE_KEYTAB_SECRET")
	opt("mr3.k8s.mount.worker.secret", "CREATE_WORKER_SECRET")
	opt("mr3.k8s.keytab.mount.dir", "KEYTAB_MOUNT_DIR")
	opt("mr3.k8s.keytab.mount.file", "KEYTAB_MOUNT_FILE")
	claim := e.Get("WORK_DIR_PERSISTENT_VOLUME_CLAIM")
	pvcStart := len(ps)
	if claim.Unknown != "" || claim.Value != "" { // [[ ! -z $WORK_DIR_PERSISTENT_VOLUME_CLAIM ]]
		opt(contract.SiteMasterPVCMounts, "WORK_DIR_PERSISTENT_VOLUME_CLAIM")
		lit("=")
		ref("WORK_DIR_PERSISTENT_VOLUME_CLAIM_MOUNT_DIR")
		lit(" -Dmr3.k8s.worker.persistentvolumeclaim.mounts=")
		ps = append(ps, piece{v: &claim}) // the option is there because of the claim
	}
	if claim.Unknown != "" {
		markUnknown(ps[pvcStart:], "whether mr3-setup.sh adds the work-dir PVC options depends on WORK_DIR_PERSISTENT_VOLUME_CLAIM, which is unknown: "+claim.Unknown)
	}
	mode := run.Mode
	if mode == "" {
		mode = ModeKubernetes
	}
	lit(" -Dmr3.master.mode=" + string(mode))
	lit(" -Dmr3.cluster.additional.classpath=")
	ref("REMOTE_BASE_DIR")
	lit("/mr3/mr3lib/" + MR3SparkAssemblyJar + ":")
	ref("REMOTE_BASE_DIR")
	lit("/spark/jars/*")

	// spark-setup.sh, spark_setup_init_run_configs.
	lit(" -Dhive.metastore.uris=thrift://")
	ref("SPARK_METASTORE_HOST")
	lit(":")
	ref("SPARK_METASTORE_PORT")
	opt("hive.metastore.warehouse.dir", "SPARK_METASTORE_WAREHOUSE")
	secure := e.Get("HIVE_METASTORE_SECURE_MODE")
	secStart := len(ps)
	if secure.Unknown != "" || secure.Value == "true" { // [[ $HIVE_METASTORE_SECURE_MODE = "true" ]]
		opt("hive.metastore.sasl.enabled", "HIVE_METASTORE_SECURE_MODE")
		opt("hive.metastore.kerberos.keytab.file", "HIVE_METASTORE_KERBEROS_KEYTAB")
		opt("hive.metastore.kerberos.principal", "HIVE_METASTORE_KERBEROS_PRINCIPAL")
		// The script's line ends in a backslash with no blank before it, so the next option is
		// glued to the principal (MR3's own slip, reproduced).
		lit("-Djavax.security.auth.useSubjectCredsOnly=false -Djava.security.auth.login.config=")
		ref("REMOTE_BASE_DIR")
		lit("/conf/jgss.conf -Djava.security.krb5.conf=")
		ref("REMOTE_BASE_DIR")
		lit("/conf/krb5.conf -Dsun.security.jgss.debug=true -Dhive.security.authorization.enabled=false -Dhive.metastore.execute.setugi=true")
	}
	if secure.Unknown != "" {
		markUnknown(ps[secStart:], "whether spark-setup.sh adds the Kerberos metastore options depends on HIVE_METASTORE_SECURE_MODE, which is unknown: "+secure.Unknown)
	}
	ts := e.Get("SPARK_SSL_TRUSTSTORE")
	added, why := fileTest(ts, run.FileExists)
	tsStart := len(ps)
	if added || why != "" {
		opt("javax.net.ssl.trustStore", "SPARK_SSL_TRUSTSTORE")
		opt("javax.net.ssl.trustStoreType", "SPARK_SSL_TRUSTSTORETYPE")
	}
	if why != "" {
		markUnknown(ps[tsStart:], why)
	}

	// spark_setup_extra_opts: SPARK_DRIVER_OPTS="$EXTRA_DRIVER_OPTIONS $SPARK_DRIVER_OPTS".
	all := append([]piece{{text: run.DriverJavaOptions, arg: true}, {text: " "}}, ps...)

	// Spark's launcher adds SPARK_SUBMIT_OPTS (when in the environment) before the driver options.
	var sources [][]piece
	if so := e.Get("SPARK_SUBMIT_OPTS"); so.Unknown != "" || so.Set() && so.Exported && so.Value != "" {
		sources = append(sources, []piece{{text: so.Value, v: &so, unknown: so.Unknown}})
	}
	sources = append(sources, all)
	for _, src := range sources {
		j.addWords(src)
	}
	return j
}

func markUnknown(ps []piece, why string) {
	for i := range ps {
		if ps[i].unknown == "" {
			ps[i].unknown = why
		}
	}
}

// fileTest evaluates `[ -f $VAR ]` (unquoted): the value is split on blanks and each field
// expanded as a file pattern. It returns whether the test is true, or why that is not known.
func fileTest(v EnvVar, exists func(string) (bool, bool)) (bool, string) {
	if v.Unknown != "" {
		return false, fmt.Sprintf("whether spark-setup.sh adds the trustStore options depends on %s, which is unknown: %s", v.Name, v.Unknown)
	}
	fields := strings.FieldsFunc(v.Value, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' })
	switch {
	case len(fields) == 0:
		return true, "" // [ -f ] tests that "-f" is not empty: true
	case len(fields) > 1:
		for _, f := range fields {
			if strings.HasPrefix(f, "-") || slices.Contains([]string{"=", "==", "!=", "<", ">", "!", "(", ")"}, f) {
				return false, fmt.Sprintf("%s=%s makes [ -f $%s ] a test expression the checker does not evaluate", v.Name, ShellQuote(v.Value), v.Name)
			}
		}
		return false, "" // too many arguments: the test fails
	case strings.ContainsAny(fields[0], "*?["):
		return false, fmt.Sprintf("%s=%s is a file pattern; whether [ -f $%s ] is true depends on the files in the driver", v.Name, ShellQuote(v.Value), v.Name)
	}
	if exists == nil {
		return false, ""
	}
	ok, known := exists(fields[0])
	if !known {
		return false, fmt.Sprintf("whether %s (%s) is a file in the driver is not known", fields[0], v.Name)
	}
	return ok, ""
}

// addWords splits one option string the way Spark's launcher does (CommandBuilderUtils
// .parseOptionString: blanks separate words; single quotes, double quotes and backslashes are
// interpreted) and records the -D options among the words.
func (j *JavaOptions) addWords(ps []piece) {
	type word struct {
		b       strings.Builder
		from    []int
		hasData bool
	}
	var words []*word
	var cur *word
	inSingle, inDouble, escape := false, false, false
	for pi, p := range ps {
		touch := func() {
			if n := len(cur.from); n == 0 || cur.from[n-1] != pi {
				cur.from = append(cur.from, pi)
			}
		}
		if p.text == "" && cur != nil {
			touch() // an empty value inside a word still made it
		}
		for _, c := range p.text {
			if cur == nil {
				if isJavaSpace(c) {
					continue
				}
				cur = &word{hasData: true}
				words = append(words, cur)
				touch()
				switch c {
				case '\'':
					inSingle = true
				case '"':
					inDouble = true
				case '\\':
					escape = true
				default:
					cur.b.WriteRune(c)
				}
				continue
			}
			if isJavaSpace(c) && !inSingle && !inDouble && !escape {
				cur = nil
				continue
			}
			touch()
			switch {
			case escape:
				cur.b.WriteRune(c)
				escape = false
			case c == '\\' && !inSingle:
				escape = true
			case c == '\'' && !inDouble:
				inSingle = !inSingle
			case c == '"' && !inSingle:
				inDouble = !inDouble
			default:
				cur.b.WriteRune(c)
			}
		}
	}
	if inSingle || inDouble || escape {
		j.Problems = append(j.Problems, ScriptProblem{Message: "the driver's Java options have an unclosed quote or a trailing backslash, so spark-submit refuses them (\"Invalid option string\") and the driver does not start",
			Vars: varsOf(ps, allIdx(len(ps)))})
		return
	}
	for _, w := range words {
		text := w.b.String()
		vars := varsOf(ps, w.from)
		unknown, arg := "", false
		for _, i := range w.from {
			if ps[i].unknown != "" && unknown == "" {
				unknown = ps[i].unknown
			}
			arg = arg || ps[i].arg
		}
		if !strings.HasPrefix(text, "-") {
			if unknown != "" {
				j.Problems = append(j.Problems, ScriptProblem{Vars: vars, Message: "cannot tell the driver's Java options: " + unknown})
				continue
			}
			j.Problems = append(j.Problems, ScriptProblem{Vars: vars,
				Message: fmt.Sprintf("the driver's Java options contain the word %q (a value with a blank is split there), which the JVM takes as its main class, so the driver does not start", text)})
			continue
		}
		body, ok := strings.CutPrefix(text, "-D")
		if !ok {
			continue // another JVM option
		}
		key, value, _ := strings.Cut(body, "=")
		switch {
		case strings.Contains(key, unknownText):
			j.Problems = append(j.Problems, ScriptProblem{Vars: vars, Message: fmt.Sprintf("cannot tell the name of a -D option: %s", unknown)})
			continue
		case key == "":
			j.Problems = append(j.Problems, ScriptProblem{Vars: vars, Message: fmt.Sprintf("the driver's Java options contain %q, which is no -Dkey=value option", text)})
			continue
		}
		o := DOption{Key: key, Value: value, Word: text, From: vars, FromArgument: arg}
		if unknown != "" {
			o.Value, o.Word, o.Unknown = "", "", unknown
		}
		j.Options = append(j.Options, o)
	}
}

func allIdx(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func varsOf(ps []piece, idx []int) []EnvVar {
	var out []EnvVar
	for _, i := range idx {
		if v := ps[i].v; v != nil && !slices.ContainsFunc(out, func(o EnvVar) bool { return o.Name == v.Name }) {
			out = append(out, *v)
		}
	}
	return out
}

// isJavaSpace is Java's Character.isWhitespace: the space separators except the no-break
// ones, line and paragraph separators, and \t \n \v \f \r and U+001C–U+001F.
func isJavaSpace(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r' || r >= 0x1c && r <= 0x1f:
		return true
	case r == 0xa0 || r == 0x2007 || r == 0x202f:
		return false
	}
	return unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)
}
