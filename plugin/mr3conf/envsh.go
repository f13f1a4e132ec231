package mr3conf

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// VarSource says where a variable's value came from when MR3's scripts read it.
type VarSource int

const (
	// FromUnset: neither env.sh nor the known environment sets it; the shell expands it to "".
	FromUnset VarSource = iota
	// FromEnvSh: an assignment in env.sh (Line says which).
	FromEnvSh
	// FromEnvironment: the environment env.sh was sourced in (e.g. the driver Pod's env).
	FromEnvironment
	// FromUnsetInEnvSh: env.sh ran `unset NAME` (Line says where).
	FromUnsetInEnvSh
)

// EnvVar is a shell variable after env.sh has been sourced.
type EnvVar struct {
	Name string
	// Value is the variable's value; meaningless when Unknown is set.
	Value string
	// Line is the 1-based line of the assignment (or unset) in env.sh that set it last; 0 when
	// env.sh does not set it.
	Line   int
	Source VarSource
	// Exported is true after `export NAME[=…]` (or declare -x).
	Exported bool
	// Unknown, when not empty, says why the value cannot be told without running the shell
	// (a command substitution, an assignment inside an if block, …). Nothing is guessed.
	Unknown string
}

// Set reports whether the shell has a value for the variable (an unset variable expands to "").
func (v EnvVar) Set() bool { return v.Source == FromEnvSh || v.Source == FromEnvironment }

// EnvProblem is a part of env.sh the model does not evaluate. Variables it may change are
// reported Unknown; the problem says why.
type EnvProblem struct {
	Line int
	// Text is the start of the construct as written.
	Text   string
	Reason string
	// Vars are the variables the construct may set (empty when it may set any).
	Vars []string
	// Stops is true for a syntax error: bash stops sourcing env.sh there, so nothing after it runs.
	Stops bool
}

func (p EnvProblem) String() string {
	return fmt.Sprintf("env.sh line %d: %s", p.Line, p.Reason)
}

// EnvSh is env.sh as MR3's scripts see it after `source env.sh`: the value of every variable
// it sets, where each came from, and what could not be evaluated.
type EnvSh struct {
	vars map[string]EnvVar
	env  Env
	// reads are the names looked up before (or without) env.sh assigning them: what the
	// result depends on in the environment.
	reads map[string]bool
	// taint, when not empty, is the reason every variable not assigned after an opaque command
	// (source, eval, a function call) is unknown.
	taint string
	fn    funcSet // functions env.sh defines
	lines []string
	// readonly maps names made read-only to the line that did it (negative: only maybe, in a
	// block the model does not evaluate).
	readonly map[string]int
	// condVars collects variables assigned inside the construct being evaluated.
	condVars []string
	// Problems are the constructs not evaluated, in file order.
	Problems []EnvProblem
}

// Env is the environment env.sh is sourced in: the variables the shell has before it runs
// (the driver Pod's env, or what the script sets first, such as BASE_DIR).
type Env struct {
	Values map[string]string
	// Unknown are variables the environment has with a value the caller cannot see (e.g. a
	// Pod env from a secretKeyRef), each with the reason.
	Unknown map[string]string
}

// ParseEnvSh evaluates env.sh sourced in an empty environment; see SourceEnvSh.
func ParseEnvSh(data []byte) (*EnvSh, error) { return SourceEnvSh(data, Env{}) }

// SourceEnvSh evaluates env.sh the way bash's `source env.sh` would in a shell whose
// environment is env, without running anything. It understands assignments (NAME=value,
// export/readonly/declare NAME=value, NAME+=value), every quoting form (the chart's
// NAME='a'\”b' included), $NAME, ${NAME} and ${NAME:-word}-style defaults referring to earlier
// assignments or to env, unset, comments, and it knows which commands cannot change variables.
// What it cannot evaluate (command substitution, arithmetic, assignments inside if/case/loops or
// after && / ||, source, eval, function calls, …) is listed in Problems, and the variables it may
// change are Unknown: nothing is guessed. A syntax error stops the evaluation, as it stops bash.
// The error is only for oversized input.
func SourceEnvSh(data []byte, env Env) (*EnvSh, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("env.sh: %w: %d bytes, the limit is %d", ErrTooLarge, len(data), MaxFileBytes)
	}
	lx := newShLexer(string(data))
	e := &EnvSh{vars: map[string]EnvVar{}, env: env, lines: lx.lines, reads: map[string]bool{}, readonly: map[string]int{}}
	p := &shParser{lx: lx}
	for {
		cmds, done, err := p.completeCommand()
		if err != nil && err.opaque {
			e.opaque(&shSimple{line: err.line, text: err.text}, evalMode{}, err.msg)
			break
		}
		if err != nil {
			e.Problems = append(e.Problems, EnvProblem{Line: err.line, Text: err.text, Stops: true,
				Reason: fmt.Sprintf("syntax error: %s; bash stops reading env.sh here, so nothing after it runs", err.msg)})
			break
		}
		for _, c := range cmds {
			e.evalAndOr(c, evalMode{})
		}
		if done {
			break
		}
	}
	return e, nil
}

// Get returns the variable called name as the scripts see it after env.sh. A variable env.sh
// does not set comes from the environment given to SourceEnvSh, else it is unset ("").
func (e *EnvSh) Get(name string) EnvVar { return e.lookup(name, true) }

// lookup is Get; record says whether the value is used (EnvironmentReads).
func (e *EnvSh) lookup(name string, record bool) EnvVar {
	if v, ok := e.vars[name]; ok {
		return v
	}
	if e.taint != "" {
		return EnvVar{Name: name, Unknown: e.taint}
	}
	if v, ok := shellSet[name]; ok {
		if v == "" {
			return EnvVar{Name: name, Source: FromEnvironment, Unknown: "bash sets " + name + " itself"}
		}
		return EnvVar{Name: name, Value: v, Source: FromEnvironment}
	}
	if record {
		e.reads[name] = true
	}
	if why, ok := e.env.Unknown[name]; ok {
		return EnvVar{Name: name, Source: FromEnvironment, Exported: true, Unknown: why}
	}
	if v, ok := e.env.Values[name]; ok {
		return EnvVar{Name: name, Value: v, Source: FromEnvironment, Exported: true}
	}
	return EnvVar{Name: name}
}

// shellSet are variables bash sets itself whatever the environment says: "" when the value
// is not known here (a process id, the host name, a counter, …), else bash's fixed default.
var shellSet = map[string]string{
	"BASH": "", "BASHOPTS": "", "BASHPID": "", "BASH_ALIASES": "", "BASH_ARGC": "", "BASH_ARGV": "",
	"BASH_ARGV0": "", "BASH_CMDS": "", "BASH_COMMAND": "", "BASH_LINENO": "", "BASH_SOURCE": "",
	"BASH_SUBSHELL": "", "BASH_VERSINFO": "", "BASH_VERSION": "", "DIRSTACK": "", "EPOCHREALTIME": "",
	"EPOCHSECONDS": "", "EUID": "", "FUNCNAME": "", "GROUPS": "", "HISTCMD": "", "HOSTNAME": "",
	"HOSTTYPE": "", "LINENO": "", "MACHTYPE": "", "OLDPWD": "", "OSTYPE": "", "PIPESTATUS": "",
	"PPID": "", "PWD": "", "RANDOM": "", "SECONDS": "", "SHELLOPTS": "", "SHLVL": "", "SRANDOM": "",
	"UID": "", "_": "", "IFS": " \t\n", "OPTIND": "1", "OPTERR": "1", "PS4": "+ ",
}

// readonlyByBash are read-only in every bash.
var readonlyByBash = map[string]bool{"BASHOPTS": true, "BASH_VERSINFO": true, "EUID": true, "PPID": true, "SHELLOPTS": true, "UID": true}

// EnvironmentReads lists, sorted, the variables whose value was taken from the environment
// (or found unset there) by the evaluation so far, JavaOptions included: the result for
// another environment differs only if it differs in these.
func (e *EnvSh) EnvironmentReads() []string {
	return slices.Sorted(maps.Keys(e.reads))
}

// Assigned lists the variables env.sh itself sets, unsets or makes unknown, by name.
func (e *EnvSh) Assigned() []EnvVar {
	out := make([]EnvVar, 0, len(e.vars))
	for _, k := range slices.Sorted(maps.Keys(e.vars)) {
		out = append(out, e.vars[k])
	}
	return out
}

// evalMode says how a command runs: normally, only under a condition (its assignments may or
// may not happen), or in a subshell / function body (its assignments never reach env.sh's shell).
type evalMode struct {
	cond string // non-empty: the construct that makes it conditional
	dead bool
}

func (m evalMode) conditional(why string) evalMode {
	if m.dead || m.cond != "" {
		return m
	}
	return evalMode{cond: why}
}

func (e *EnvSh) problem(line int, text, reason string, vars ...string) {
	if line >= 1 && line <= len(e.lines) {
		text = strings.TrimSpace(strings.TrimSuffix(e.lines[line-1], "\r"))
	}
	e.Problems = append(e.Problems, EnvProblem{Line: line, Text: text, Reason: reason, Vars: vars})
}

func (e *EnvSh) evalAndOr(c *shAndOr, m evalMode) {
	if c.background {
		m = evalMode{dead: true} // a background job runs in a subshell
	}
	top := !m.dead && m.cond == ""
	before := len(e.condVars)
	for i, pl := range c.pipes {
		pm := m
		if i > 0 {
			pm = m.conditional(fmt.Sprintf("after %s on line %d", c.ops[i-1], pl.line))
		}
		if len(pl.cmds) > 1 {
			pm = evalMode{dead: true} // every part of a pipeline runs in a subshell
		}
		for _, cmd := range pl.cmds {
			e.evalCommand(cmd, pm)
		}
	}
	if top && len(e.condVars) > before {
		e.problem(c.pipes[1].line, "", fmt.Sprintf("commands after %s are not evaluated (the checker does not run conditions)", c.ops[0]), e.takeCondVars(before)...)
	}
}

// takeCondVars returns (sorted, unique) and forgets the variables assigned conditionally since before.
func (e *EnvSh) takeCondVars(before int) []string {
	vars := slices.Clone(e.condVars[before:])
	e.condVars = e.condVars[:before]
	slices.Sort(vars)
	return slices.Compact(vars)
}

func (e *EnvSh) evalList(l []*shAndOr, m evalMode) {
	for _, c := range l {
		e.evalAndOr(c, m)
	}
}

func (e *EnvSh) evalCommand(c shCommand, m evalMode) {
	switch c := c.(type) {
	case *shSimple:
		e.evalSimple(c, m)
	case *shCompound:
		top := !m.dead && m.cond == ""
		before := len(e.condVars)
		switch c.kind {
		case "group":
			e.evalList(c.body, m)
			return
		case "subshell":
			return // its assignments never reach env.sh's shell
		case "test":
			return
		case "function":
			if !m.dead {
				e.funcs().add(c.name)
			}
			return
		case "arith":
			if m.dead {
				return
			}
			for _, n := range arithNames(c.text) {
				e.setUnknown(n, c.line, fmt.Sprintf("env.sh line %d: the arithmetic command %s may change it", c.line, shorten(c.text)))
				e.condVars = append(e.condVars, n)
			}
			if top && len(e.condVars) > before {
				e.problem(c.line, c.text, "arithmetic command not evaluated", e.takeCondVars(before)...)
			}
			return
		}
		// if, while, until, for, select, case
		if m.dead {
			return
		}
		why := fmt.Sprintf("inside the %s block on lines %d–%d", c.kind, c.line, c.endLine)
		if c.loopVar != "" {
			e.setUnknown(c.loopVar, c.line, fmt.Sprintf("env.sh line %d: the loop variable of the %s block", c.line, c.kind))
			e.condVars = append(e.condVars, c.loopVar)
		}
		e.evalList(c.body, m.conditional(why))
		if top && len(e.condVars) > before {
			e.problem(c.line, c.text, fmt.Sprintf("%s block on lines %d–%d not evaluated (the checker does not run conditions or loops)", c.kind, c.line, c.endLine), e.takeCondVars(before)...)
		}
	}
}

// builtins that assign the variables named in their arguments.
var assigningBuiltins = map[string]bool{
	"read": true, "mapfile": true, "readarray": true, "getopts": true, "let": true, "printf": true,
}

// builtins after which anything may have changed.
var opaqueBuiltins = map[string]bool{
	"source": true, ".": true, "eval": true, "exec": true, "command": true, "builtin": true,
	"exit": true, "return": true, "alias": true, "enable": true,
}

func (e *EnvSh) evalSimple(c *shSimple, m evalMode) {
	if m.dead {
		return
	}
	// Leading NAME=value words.
	i := 0
	for i < len(c.words) {
		if _, _, ok := assignmentOf(c.words[i]); !ok {
			break
		}
		i++
	}
	if i == len(c.words) {
		for _, w := range c.words {
			if !e.assign(w, m, false) {
				break // bash skips the rest of the command after a read-only variable
			}
		}
		return
	}
	// Prefix assignments of a command last only for that command.
	name, lit := c.words[i].literal()
	args := c.words[i+1:]
	switch {
	case !lit:
		e.opaque(c, m, fmt.Sprintf("command name %s is not a plain word; the checker cannot tell what it runs", c.words[i].raw))
	case name == "local":
		e.problem(c.line, c.raw(), "local outside a function fails in bash (\"can only be used in a function\") and assigns nothing")
	case (name == "export" || name == "readonly" || name == "declare" || name == "typeset") && i > 0:
		// NAME=v export …: bash's handling of the temporary NAME mixes with the command's own.
		e.opaqueNames(c, m, c.words, fmt.Sprintf("%s with an assignment before it is not evaluated", name))
		if name != "export" {
			e.maybeReadonly(c, m, c.words)
		}
	case name == "export" || name == "readonly" || name == "declare" || name == "typeset":
		exported := name == "export"
		makeReadonly := name == "readonly"
		allowed := "xrgtp" // flags that do not change how values are stored
		if name == "export" {
			allowed = "fnp"
		}
		if name == "readonly" {
			allowed = "p"
		}
		for _, a := range args {
			s, lit := a.literal()
			if lit && strings.HasPrefix(s, "-") && len(s) > 1 {
				if strings.Trim(s[1:], allowed) != "" {
					e.opaqueNames(c, m, args, fmt.Sprintf("%s %s is not evaluated", name, s))
					if name == "readonly" || strings.Contains(s, "r") {
						e.maybeReadonly(c, m, args)
					}
					return
				}
				if name == "export" && strings.ContainsAny(s, "fn") {
					return // export -f (functions) / -n (un-export): values do not change
				}
				exported = exported || strings.Contains(s, "x")
				makeReadonly = makeReadonly || strings.Contains(s, "r")
				continue
			}
			if n, _, ok := assignmentOf(a); ok {
				if e.assign(a, m, exported) && makeReadonly {
					e.markReadonly(n, a.line, m)
				}
				continue
			}
			if lit && isShellName(s) {
				if v, mine := e.vars[s]; mine && exported && m.cond == "" {
					v.Exported = true
					e.vars[s] = v
				}
				if makeReadonly {
					e.markReadonly(s, a.line, m)
				}
				continue
			}
			e.opaque(c, m, fmt.Sprintf("%s argument %s is not a plain word; it may name any variable", name, a.raw))
			return
		}
	case name == "unset":
		funcsOnly := false
		for _, a := range args {
			s, lit := a.literal()
			switch {
			case lit && s == "-f":
				funcsOnly = true
			case lit && (s == "-v" || s == "--"):
			case lit && isShellName(s) && !funcsOnly && e.isReadonly(s) != 0:
				if m.cond == "" {
					e.problem(a.line, a.raw, fmt.Sprintf("%s is read-only, so bash refuses to unset it", s))
				}
			case lit && isShellName(s) && !funcsOnly:
				if m.cond != "" {
					e.setUnknown(s, a.line, fmt.Sprintf("env.sh line %d unsets it %s", a.line, m.cond))
					e.condVars = append(e.condVars, s)
				} else {
					e.vars[s] = EnvVar{Name: s, Line: a.line, Source: FromUnsetInEnvSh}
				}
			case lit && isShellName(s):
				delete(e.funcs(), s)
			default:
				e.problem(a.line, a.raw, fmt.Sprintf("unset argument %s is not evaluated", a.raw))
			}
		}
	case e.funcs()[name]:
		e.opaque(c, m, fmt.Sprintf("calls the function %s defined in env.sh, which may set any variable", name))
	case opaqueBuiltins[name]:
		e.opaque(c, m, fmt.Sprintf("%s may set any variable; the checker does not follow it", name))
	case assigningBuiltins[name]:
		if name == "printf" && !slices.ContainsFunc(args, func(w *shWord) bool { s, _ := w.literal(); return s == "-v" }) {
			return
		}
		e.opaqueNames(c, m, args, fmt.Sprintf("%s assigns variables the checker does not evaluate", name))
	default:
		// An external program or a harmless builtin: it cannot change env.sh's variables.
	}
}

type funcSet map[string]bool

func (f funcSet) add(n string) { f[n] = true }

func (e *EnvSh) funcs() funcSet {
	if e.fn == nil {
		e.fn = funcSet{}
	}
	return e.fn
}

// opaque: after this command any variable may have changed.
func (e *EnvSh) opaque(c *shSimple, m evalMode, why string) {
	reason := fmt.Sprintf("env.sh line %d (%s) %s", c.line, shorten(c.raw()), why)
	if m.cond != "" {
		reason += " (" + m.cond + ")"
	}
	e.problem(c.line, c.raw(), why)
	for k, v := range e.vars {
		v.Value, v.Unknown, v.Line, v.Source = "", reason, c.line, FromEnvSh
		e.vars[k] = v
	}
	e.taint = reason
}

// opaqueNames: the command assigns the variables named among its arguments.
func (e *EnvSh) opaqueNames(c *shSimple, m evalMode, args []*shWord, why string) {
	var names []string
	for _, a := range args {
		s, lit := a.literal()
		if !lit {
			e.opaque(c, m, why+" (and names variables indirectly)")
			return
		}
		if strings.HasPrefix(s, "-") {
			continue
		}
		for _, n := range arithNames(s) {
			names = append(names, n)
		}
	}
	for _, n := range names {
		e.setUnknown(n, c.line, fmt.Sprintf("env.sh line %d (%s): %s", c.line, shorten(c.raw()), why))
	}
	e.problem(c.line, c.raw(), why, names...)
}

func (e *EnvSh) setUnknown(name string, line int, why string) {
	v := e.lookup(name, false)
	v.Name, v.Value, v.Line, v.Source, v.Unknown = name, "", line, FromEnvSh, why
	e.vars[name] = v
}

// assign performs one NAME=value (or NAME+=value) word.
// assign performs one NAME=value (or NAME+=value) word; false when bash refuses it (a
// read-only variable).
func (e *EnvSh) assign(w *shWord, m evalMode, exported bool) bool {
	name, appendTo, ok := assignmentOf(w)
	if !ok {
		return true
	}
	if strings.Contains(name, "[") {
		e.setUnknown(name[:strings.IndexByte(name, '[')], w.line, fmt.Sprintf("env.sh line %d assigns an array element (%s)", w.line, shorten(w.raw)))
		e.problem(w.line, w.raw, "array assignment not evaluated", name[:strings.IndexByte(name, '[')])
		return true
	}
	switch ro := e.isReadonly(name); {
	case ro > 0:
		if m.cond == "" {
			e.problem(w.line, w.raw, fmt.Sprintf("%s is read-only, so bash refuses the assignment (and the rest of the command)", name))
		}
		return false
	case ro < 0:
		e.setUnknown(name, w.line, fmt.Sprintf("env.sh line %d assigns it, but a block the checker does not evaluate may have made it read-only (line %d)", w.line, -ro))
		if m.cond == "" {
			e.problem(w.line, w.raw, "assignment to a variable that may be read-only", name)
		} else {
			e.condVars = append(e.condVars, name)
		}
		return true
	}
	val, unknown := e.expand(w.valueParts(), true)
	if m.cond != "" {
		e.setUnknown(name, w.line, fmt.Sprintf("env.sh line %d assigns it %s", w.line, m.cond))
		e.condVars = append(e.condVars, name)
		return true
	}
	prev := e.lookup(name, appendTo)
	if appendTo {
		if prev.Unknown != "" && unknown == "" {
			unknown = prev.Unknown
		}
		val = prev.Value + val
	}
	v := EnvVar{Name: name, Value: val, Line: w.line, Source: FromEnvSh, Exported: exported || prev.Exported, Unknown: unknown}
	if unknown != "" {
		v.Value = ""
		v.Unknown = fmt.Sprintf("env.sh line %d (%s): %s", w.line, shorten(w.raw), unknown)
		e.problem(w.line, w.raw, unknown, name)
	}
	e.vars[name] = v
	return true
}

// maybeReadonly: the names among args may have become read-only.
func (e *EnvSh) maybeReadonly(c *shSimple, m evalMode, args []*shWord) {
	for _, a := range args {
		if s, lit := a.literal(); lit && !strings.HasPrefix(s, "-") {
			for _, n := range arithNames(s) {
				e.markReadonly(n, c.line, evalMode{cond: "maybe", dead: m.dead})
			}
		}
	}
}

// isReadonly: the line that made name read-only, negative when only maybe, 0 when it is not.
func (e *EnvSh) isReadonly(name string) int {
	if l, ok := e.readonly[name]; ok {
		return l
	}
	if readonlyByBash[name] {
		return 1
	}
	return 0
}

func (e *EnvSh) markReadonly(name string, line int, m evalMode) {
	if m.dead {
		return
	}
	if m.cond != "" {
		if e.readonly[name] <= 0 {
			e.readonly[name] = -line
		}
		return
	}
	e.readonly[name] = line
}

// expand evaluates word parts: quote removal, parameter expansion of known variables, and
// tilde expansion when HOME is known. It returns why the result is unknown, if it is.
func (e *EnvSh) expand(parts []shPart, assignment bool) (string, string) {
	var b strings.Builder
	for i, p := range parts {
		switch p.kind {
		case partLit:
			s := p.text
			if !p.quoted && strings.Contains(s, "~") {
				t, why := e.tilde(s, i == 0, assignment, i == len(parts)-1)
				if why != "" {
					return "", why
				}
				s = t
			}
			b.WriteString(s)
		case partParam:
			v, why := e.param(p)
			if why != "" {
				return "", why
			}
			b.WriteString(v)
		default:
			return "", fmt.Sprintf("%s is not evaluated (%s)", p.text, p.why)
		}
	}
	return b.String(), ""
}

// tilde expands a tilde prefix in the unquoted text s: at the start of the word (atStart) and,
// in assignments, after each ':'. The prefix runs to the next '/' (or ':'); when it runs into
// the next part of the word (quoted text or an expansion, last is false) bash leaves it alone.
func (e *EnvSh) tilde(s string, atStart, assignment, last bool) (string, string) {
	segs := []string{s}
	if assignment {
		segs = strings.Split(s, ":")
	}
	for j, seg := range segs {
		if !strings.HasPrefix(seg, "~") || j == 0 && !atStart {
			continue
		}
		prefix, rest, slash := strings.Cut(seg, "/")
		if !slash && j == len(segs)-1 && !last {
			continue
		}
		if prefix != "~" {
			return "", fmt.Sprintf("tilde expansion %s is not evaluated", prefix)
		}
		home := e.Get("HOME")
		if home.Unknown != "" || !home.Set() {
			return "", "~ needs HOME, which the checker does not know"
		}
		segs[j] = home.Value
		if slash {
			segs[j] += "/" + rest
		}
	}
	return strings.Join(segs, ":"), ""
}

func (e *EnvSh) param(p shPart) (string, string) {
	v := e.Get(p.text)
	if v.Unknown != "" {
		return "", fmt.Sprintf("$%s is unknown (%s)", p.text, v.Unknown)
	}
	set := v.Set()
	useWord := false
	switch p.op {
	case "":
		return v.Value, ""
	case ":-", ":=":
		useWord = !set || v.Value == ""
	case "-", "=":
		useWord = !set
	case ":+":
		if set && v.Value != "" {
			return e.expand(p.arg, false)
		}
		return "", ""
	case "+":
		if set {
			return e.expand(p.arg, false)
		}
		return "", ""
	}
	if !useWord {
		return v.Value, ""
	}
	w, why := e.expand(p.arg, false)
	if why != "" {
		return "", why
	}
	if p.op == ":=" || p.op == "=" {
		return "", fmt.Sprintf("${%s%s…} assigns %s, which is not evaluated", p.text, p.op, p.text)
	}
	return w, ""
}

// arithNames lists the shell names in an arithmetic expression or argument list.
func arithNames(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		c := byte(0)
		if i < len(s) {
			c = s[i]
		}
		word := c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || start >= 0 && c >= '0' && c <= '9'
		if word && start < 0 {
			start = i
		} else if !word && start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func isShellName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}

func shorten(s string) string {
	s, _, cut := strings.Cut(strings.TrimSpace(s), "\n")
	if r := []rune(s); len(r) > 60 {
		s, cut = string(r[:57]), true
	}
	if cut {
		s += "…"
	}
	return s
}

// ShellQuote writes s as one single-quoted shell word, the chart's format: 'a'\”b'.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
