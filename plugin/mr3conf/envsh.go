package mr3conf

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
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
	fn    map[string]bool // functions env.sh defines
	src   string
	lines []string
	// readonly maps names made read-only to the line that did it (negative: only maybe, in a
	// block the model does not evaluate).
	readonly map[string]int
	// roAll, when not 0, is the line of a command that may have made any variable read-only.
	roAll int
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
// environment is env, without running anything. env.sh is parsed by mvdan.cc/sh's bash parser;
// this evaluator walks the syntax tree and expands assignment values with mvdan.cc/sh's expand
// package. It understands assignments (NAME=value, export/readonly/declare NAME=value,
// NAME+=value), every quoting form (the chart's NAME='a'\”b' included), $NAME, ${NAME} and
// ${NAME:-word}-style defaults referring to earlier assignments or to env, unset, comments, and
// it knows which commands cannot change variables. What it cannot evaluate (command
// substitution, arithmetic, assignments inside if/case/loops or after && / ||, source, eval,
// function calls, …) is listed in Problems, and the variables it may change are Unknown:
// nothing is guessed. A syntax error stops the evaluation, as it stops bash (the complete
// command it is in does not run). The error is only for oversized input.
func SourceEnvSh(data []byte, env Env) (*EnvSh, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("env.sh: %w: %d bytes, the limit is %d", ErrTooLarge, len(data), MaxFileBytes)
	}
	src := string(data)
	lines := strings.Split(src, "\n")
	if strings.Contains(src, "\r") && !strings.Contains(src, crMark) {
		// bash reads a carriage return as any other character; mvdan.cc/sh drops the one
		// before a newline.
		src = strings.ReplaceAll(src, "\r", crMark)
	}
	e := &EnvSh{vars: map[string]EnvVar{}, env: env, src: src, lines: lines, reads: map[string]bool{}, readonly: map[string]int{}, fn: map[string]bool{}}
	parser := syntax.NewParser(syntax.Variant(syntax.LangBash))
	for i, l := range lines {
		if strings.Contains(l, "#") && (len(l)-len(strings.TrimRight(l, `\`)))%2 == 1 {
			// mvdan.cc/sh joins the next line to a line ending in a backslash even after a
			// comment's #, where bash does not.
			return e.unparsed(parser, i+1, "the line ends in a backslash after a #; the checker cannot tell whether it continues the line, so nothing after it is known", false), nil
		}
	}
	f, err := parser.Parse(strings.NewReader(src), "env.sh")
	if err == nil {
		if l := emptyGroup(f.Stmts); l > 0 {
			return e.unparsed(parser, l, emptyGroupError, true), nil
		}
		e.evalList(f.Stmts, evalMode{})
		return e, nil
	}
	line, msg, incomplete := 1, err.Error(), false
	var pe syntax.ParseError
	if errors.As(err, &pe) {
		line, msg, incomplete = int(pe.Pos.Line()), pe.Text, pe.Incomplete
	}
	switch msg {
	case "reached EOF without closing quote `'`":
		msg = "a single quote is not closed"
	case "reached EOF without closing quote `\"`":
		msg = "a double quote is not closed"
	}
	line = min(max(line, 1), len(e.lines))
	// bash runs env.sh one complete command at a time: those before the one with the
	// error run, it and what follows do not.
	stmts, found := e.completeBefore(parser, line)
	if l := emptyGroup(stmts); l > 0 {
		return e.unparsed(parser, l, emptyGroupError, true), nil
	}
	e.evalList(stmts, evalMode{})
	reason := fmt.Sprintf("syntax error: %s; bash stops reading env.sh here, so nothing after it runs", msg)
	if !found || !incomplete || strings.ContainsAny(msg, "($") {
		// Not the end of the file in the middle of a quote or block: bash may read this
		// part differently from mvdan.cc/sh (${ … } is a command in bash 5.3), or go on
		// after it (or run the rest of env.sh inside an unclosed "("), so nothing is known
		// after it.
		reason = fmt.Sprintf("syntax error: %s; bash stops reading env.sh here or reads it differently, so nothing after it is known", msg)
		e.opaque(line, e.lines[line-1], evalMode{}, reason)
		e.Problems[len(e.Problems)-1].Stops = true
		return e, nil
	}
	e.Problems = append(e.Problems, EnvProblem{Line: line, Text: strings.TrimSpace(strings.TrimSuffix(e.lines[line-1], "\r")), Stops: true, Reason: reason})
	return e, nil
}

// emptyGroup is the line of the first ( ) or { } without a command, or function without a
// name, which mvdan.cc/sh accepts and bash does not; 0 when there is none.
func emptyGroup(stmts []*syntax.Stmt) int {
	first := 0
	for _, s := range stmts {
		syntax.Walk(s, func(n syntax.Node) bool {
			switch n := n.(type) {
			case *syntax.Subshell:
				if len(n.Stmts) == 0 && (first == 0 || line(n) < first) {
					first = line(n)
				}
			case *syntax.FuncDecl:
				if n.Name == nil && (first == 0 || line(n) < first) {
					first = line(n)
				}
			case *syntax.Block:
				if len(n.Stmts) == 0 && (first == 0 || line(n) < first) {
					first = line(n)
				}
			}
			return true
		})
	}
	return first
}

const emptyGroupError = "syntax error: `()` or `{ }` with no command in it, or a function without a name; bash stops reading env.sh here or reads it differently, so nothing after it is known"

// unparsed evaluates the complete commands before line l, which the checker cannot read as
// bash does, and makes everything unknown from there (stops: a syntax error).
func (e *EnvSh) unparsed(parser *syntax.Parser, l int, reason string, stops bool) *EnvSh {
	stmts, _ := e.completeBefore(parser, l)
	if emptyGroup(stmts) > 0 {
		stmts = nil
	}
	e.evalList(stmts, evalMode{})
	e.opaque(l, e.lines[l-1], evalMode{}, reason)
	e.Problems[len(e.Problems)-1].Stops = stops
	return e
}

// completeBefore returns the statements of the complete commands that end before the one
// holding the syntax error on line errLine: those of the longest run of whole lines, up to
// errLine, that parses alone and after which a new command would start on a line of its own.
func (e *EnvSh) completeBefore(parser *syntax.Parser, errLine int) ([]*syntax.Stmt, bool) {
	starts := []int{0}
	for i := 0; i < len(e.src); i++ {
		if e.src[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	for l, tries := min(errLine, len(starts)), 0; l >= 1 && tries < 32; l, tries = l-1, tries+1 {
		prefix := e.src[:starts[l-1]]
		if t := strings.TrimSuffix(prefix, "\n"); (len(t)-len(strings.TrimRight(t, `\`)))%2 == 1 {
			continue // the line before continues into this one
		}
		f, err := parser.Parse(strings.NewReader(prefix+":\n"), "env.sh")
		if err != nil || len(f.Stmts) == 0 {
			continue
		}
		last := f.Stmts[len(f.Stmts)-1]
		if c, ok := last.Cmd.(*syntax.CallExpr); ok && len(c.Assigns) == 0 && len(c.Args) == 1 && line(last) == l && c.Args[0].Lit() == ":" && last.Pos().Offset() == uint(len(prefix)) {
			return f.Stmts[:len(f.Stmts)-1], true
		}
	}
	return nil, false
}

// crMark stands for a carriage return in the text given to the parser.
const crMark = "\uE000"

// uncr puts the carriage returns back.
func uncr(s string) string { return strings.ReplaceAll(s, crMark, "\r") }

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

func (m evalMode) top() bool { return !m.dead && m.cond == "" }

func line(n syntax.Node) int { return int(n.Pos().Line()) }

// text is the source of a node.
func (e *EnvSh) text(n syntax.Node) string {
	a, b := n.Pos().Offset(), n.End().Offset()
	if a > b || b > uint(len(e.src)) {
		return ""
	}
	return uncr(e.src[a:b])
}

func (e *EnvSh) problem(line int, reason string, vars ...string) {
	text := ""
	if line >= 1 && line <= len(e.lines) {
		text = strings.TrimSpace(strings.TrimSuffix(e.lines[line-1], "\r"))
	}
	e.Problems = append(e.Problems, EnvProblem{Line: line, Text: text, Reason: reason, Vars: vars})
}

// takeCondVars returns (sorted, unique) and forgets the variables assigned conditionally since before.
func (e *EnvSh) takeCondVars(before int) []string {
	vars := slices.Clone(e.condVars[before:])
	e.condVars = e.condVars[:before]
	slices.Sort(vars)
	return slices.Compact(vars)
}

func (e *EnvSh) evalList(l []*syntax.Stmt, m evalMode) {
	for _, s := range l {
		e.evalStmt(s, m)
	}
}

func (e *EnvSh) evalStmt(s *syntax.Stmt, m evalMode) {
	if s.Background || s.Coprocess {
		m = evalMode{dead: true} // a background job runs in a subshell
	}
	if s.Cmd == nil {
		return
	}
	e.evalCommand(s.Cmd, m)
}

// isAndOr: c is a && or || list.
func isAndOr(c syntax.Command) (*syntax.BinaryCmd, bool) {
	b, ok := c.(*syntax.BinaryCmd)
	return b, ok && (b.Op == syntax.AndStmt || b.Op == syntax.OrStmt)
}

// evalAndOr evaluates an && / || list: its first command runs, the others only maybe.
func (e *EnvSh) evalAndOr(b *syntax.BinaryCmd, m evalMode) {
	if x, ok := isAndOr(b.X.Cmd); ok && !b.X.Background && !b.X.Coprocess {
		e.evalAndOr(x, m)
	} else {
		e.evalStmt(b.X, m)
	}
	e.evalStmt(b.Y, m.conditional(fmt.Sprintf("after %s on line %d", b.Op, line(b.Y))))
}

func (e *EnvSh) evalCommand(c syntax.Command, m evalMode) {
	top := m.top()
	before := len(e.condVars)
	switch c := c.(type) {
	case *syntax.CallExpr:
		e.evalCall(c, m)
	case *syntax.DeclClause:
		e.evalDecl(c, m)
	case *syntax.BinaryCmd:
		if _, ok := isAndOr(c); !ok {
			return // every part of a pipeline runs in a subshell
		}
		first := c
		for {
			x, ok := isAndOr(first.X.Cmd)
			if !ok {
				break
			}
			first = x
		}
		e.evalAndOr(c, m)
		if top && len(e.condVars) > before {
			e.problem(line(first.Y), fmt.Sprintf("commands after %s are not evaluated (the checker does not run conditions)", first.Op), e.takeCondVars(before)...)
		}
	case *syntax.Block:
		e.evalList(c.Stmts, m)
	case *syntax.TimeClause:
		if c.Stmt != nil {
			e.evalStmt(c.Stmt, m)
		}
	case *syntax.Subshell, *syntax.TestClause, *syntax.CoprocClause:
		// Nothing it does reaches env.sh's shell.
	case *syntax.FuncDecl:
		switch {
		case m.dead:
		case c.Name == nil:
			e.opaque(line(c), e.text(c), m, "defines functions the checker does not follow")
		default:
			e.fn[c.Name.Value] = true
		}
	case *syntax.ArithmCmd, *syntax.LetClause:
		if m.dead {
			return
		}
		text := e.text(c)
		for _, n := range arithNames(text) {
			if n == "let" {
				continue
			}
			e.setUnknown(n, line(c), fmt.Sprintf("env.sh line %d: the arithmetic command %s may change it", line(c), shorten(text)))
			e.condVars = append(e.condVars, n)
		}
		if top && len(e.condVars) > before {
			e.problem(line(c), "arithmetic command not evaluated", e.takeCondVars(before)...)
		}
	case *syntax.IfClause, *syntax.WhileClause, *syntax.ForClause, *syntax.CaseClause:
		if m.dead {
			return
		}
		var kind string
		var body []*syntax.Stmt
		switch c := c.(type) {
		case *syntax.IfClause:
			kind = "if"
			for ic := c; ic != nil; ic = ic.Else {
				body = append(append(body, ic.Cond...), ic.Then...)
			}
		case *syntax.WhileClause:
			kind = "while"
			if c.Until {
				kind = "until"
			}
			body = append(slices.Clone(c.Cond), c.Do...)
		case *syntax.ForClause:
			kind = "for"
			if c.Select {
				kind = "select"
			}
			var loopVars []string
			switch l := c.Loop.(type) {
			case *syntax.WordIter:
				loopVars = []string{l.Name.Value}
			default:
				loopVars = arithNames(e.text(l))
			}
			for _, v := range loopVars {
				e.setUnknown(v, line(c), fmt.Sprintf("env.sh line %d: the loop variable of the %s block", line(c), kind))
				e.condVars = append(e.condVars, v)
			}
			body = c.Do
		case *syntax.CaseClause:
			kind = "case"
			for _, it := range c.Items {
				body = append(body, it.Stmts...)
			}
		}
		from, to := line(c), int(c.End().Line())
		e.evalList(body, m.conditional(fmt.Sprintf("inside the %s block on lines %d–%d", kind, from, to)))
		if top && len(e.condVars) > before {
			e.problem(from, fmt.Sprintf("%s block on lines %d–%d not evaluated (the checker does not run conditions or loops)", kind, from, to), e.takeCondVars(before)...)
		}
	default:
		e.opaque(line(c), e.text(c), m, "is a construct the checker does not evaluate")
	}
}

// builtins that assign the variables named in their arguments.
var assigningBuiltins = map[string]bool{
	"read": true, "mapfile": true, "readarray": true, "getopts": true, "printf": true,
}

// builtins after which anything may have changed.
var opaqueBuiltins = map[string]bool{
	"source": true, ".": true, "eval": true, "exec": true, "command": true, "builtin": true,
	"exit": true, "return": true, "alias": true, "enable": true, "declare": true, "typeset": true,
	"export": true, "readonly": true, "local": true, "let": true,
}

// literal is the word's value when it is plain text (quotes allowed, no expansion of any kind).
func literal(w *syntax.Word) (string, bool) {
	if w == nil {
		return "", false
	}
	for i, p := range w.Parts {
		switch p := p.(type) {
		case *syntax.Lit:
			if mayGlob(p.Value) || i == 0 && strings.HasPrefix(p.Value, "~") {
				return "", false
			}
		case *syntax.SglQuoted:
		case *syntax.DblQuoted:
			for _, q := range p.Parts {
				if _, ok := q.(*syntax.Lit); !ok {
					return "", false
				}
			}
		default:
			return "", false
		}
	}
	s, err := expand.Literal(nil, w)
	return uncr(s), err == nil
}

// mayGlob: unquoted text that pathname or brace expansion may change.
func mayGlob(s string) bool {
	if strings.ContainsAny(s, "*?") {
		return true
	}
	if i := strings.IndexByte(s, '['); i >= 0 && strings.Contains(s[i:], "]") {
		return true
	}
	i := strings.IndexByte(s, '{')
	return i >= 0 && strings.Contains(s[i:], "}")
}

func (e *EnvSh) evalCall(c *syntax.CallExpr, m evalMode) {
	if m.dead {
		return
	}
	if len(c.Args) == 0 {
		if slices.ContainsFunc(c.Assigns, func(a *syntax.Assign) bool { return a.Array != nil }) {
			// bash reads NAME=(…) next to other text differently; none is evaluated.
			var names []string
			for _, a := range c.Assigns {
				names = append(names, a.Name.Value)
			}
			e.opaqueNames(line(c), e.text(c), m, names, true, "array assignment not evaluated")
			return
		}
		for _, a := range c.Assigns {
			if !e.assign(a, m, false) {
				break // bash skips the rest of the command after a read-only variable
			}
		}
		return
	}
	// Prefix assignments of a command last only for that command.
	raw := e.text(c)
	name, lit := literal(c.Args[0])
	args := c.Args[1:]
	switch {
	case !lit:
		e.opaque(line(c), raw, m, fmt.Sprintf("command name %s is not a plain word; the checker cannot tell what it runs", e.text(c.Args[0])))
	case (name == "export" || name == "readonly" || name == "declare" || name == "typeset" || name == "local") && len(c.Assigns) > 0:
		// NAME=v export …: bash's handling of the temporary NAME mixes with the command's own.
		names, ok := e.wordNames(args)
		for _, a := range c.Assigns {
			names = append(names, a.Name.Value)
		}
		e.opaqueNames(line(c), raw, m, names, ok, fmt.Sprintf("%s with an assignment before it is not evaluated", name))
		if name != "export" {
			e.maybeReadonly(line(c), m, names, ok)
		}
	case name == "unset":
		funcsOnly := false
		for _, a := range args {
			s, lit := literal(a)
			switch {
			case lit && s == "-f":
				funcsOnly = true
			case lit && (s == "-v" || s == "--"):
			case lit && isShellName(s) && !funcsOnly && e.isReadonly(s) != 0:
				if m.cond == "" {
					e.problem(line(a), fmt.Sprintf("%s is read-only, so bash refuses to unset it", s))
				}
			case lit && isShellName(s) && !funcsOnly:
				if m.cond != "" {
					e.setUnknown(s, line(a), fmt.Sprintf("env.sh line %d unsets it %s", line(a), m.cond))
					e.condVars = append(e.condVars, s)
				} else {
					e.vars[s] = EnvVar{Name: s, Line: line(a), Source: FromUnsetInEnvSh}
				}
			case lit && isShellName(s):
				delete(e.fn, s)
			default:
				e.opaque(line(c), raw, m, fmt.Sprintf("unset argument %s is not evaluated", e.text(a)))
				return
			}
		}
	case e.fn[name]:
		e.opaque(line(c), raw, m, fmt.Sprintf("calls the function %s defined in env.sh, which may set any variable", name))
	case opaqueBuiltins[name]:
		e.opaque(line(c), raw, m, fmt.Sprintf("%s may set any variable; the checker does not follow it", name))
	case assigningBuiltins[name]:
		if name == "printf" && !slices.ContainsFunc(args, func(w *syntax.Word) bool { s, _ := literal(w); return s == "-v" }) {
			return
		}
		names, ok := e.wordNames(args)
		e.opaqueNames(line(c), raw, m, names, ok, fmt.Sprintf("%s assigns variables the checker does not evaluate", name))
	default:
		// An external program or a harmless builtin: it cannot change env.sh's variables.
	}
}

// wordNames lists the names in literal words (options skipped); false when a word is not literal.
func (e *EnvSh) wordNames(args []*syntax.Word) ([]string, bool) {
	var names []string
	for _, a := range args {
		s, lit := literal(a)
		if !lit {
			return nil, false
		}
		if !strings.HasPrefix(s, "-") {
			names = append(names, arithNames(s)...)
		}
	}
	return names, true
}

func (e *EnvSh) evalDecl(d *syntax.DeclClause, m evalMode) {
	if m.dead {
		return
	}
	name := d.Variant.Value
	raw := e.text(d)
	switch name {
	case "local":
		e.problem(line(d), "local outside a function fails in bash (\"can only be used in a function\") and assigns nothing")
		return
	case "nameref":
		e.opaque(line(d), raw, m, "nameref is not evaluated")
		return
	}
	// declNames: the names d's arguments mention, for the constructs not evaluated.
	declNames := func() ([]string, bool) {
		var names []string
		for _, a := range d.Args {
			if a.Name != nil {
				names = append(names, a.Name.Value)
				continue
			}
			s, lit := literal(a.Value)
			if !lit {
				return nil, false
			}
			if !strings.HasPrefix(s, "-") {
				names = append(names, arithNames(s)...)
			}
		}
		return names, true
	}
	exported := name == "export"
	makeReadonly := name == "readonly"
	allowed := "xrgtp" // flags that do not change how values are stored
	if name == "export" {
		allowed = "fnp"
	}
	if name == "readonly" {
		allowed = "p"
	}
	for _, a := range d.Args {
		if a.Name == nil {
			s, lit := literal(a.Value)
			if lit && strings.HasPrefix(s, "-") && len(s) > 1 {
				if strings.Trim(s[1:], allowed) != "" {
					names, ok := declNames()
					e.opaqueNames(line(d), raw, m, names, ok, fmt.Sprintf("%s %s is not evaluated", name, s))
					if name == "readonly" || strings.Contains(s, "r") {
						e.maybeReadonly(line(d), m, names, ok)
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
			e.opaque(line(d), raw, m, fmt.Sprintf("%s argument %s is not a plain word; it may name any variable", name, e.text(a)))
			return
		}
		if a.Index != nil || a.Naked && a.Array != nil {
			e.opaque(line(d), raw, m, fmt.Sprintf("%s argument %s is not evaluated", name, e.text(a)))
			return
		}
		if !a.Naked {
			if e.assign(a, m, exported) && makeReadonly {
				e.markReadonly(a.Name.Value, line(a), m)
			}
			continue
		}
		s := a.Name.Value
		if v, mine := e.vars[s]; mine && exported && m.cond == "" {
			v.Exported = true
			e.vars[s] = v
		}
		if makeReadonly {
			e.markReadonly(s, line(a), m)
		}
	}
}

// opaque: after this command any variable may have changed.
func (e *EnvSh) opaque(ln int, raw string, m evalMode, why string) {
	if m.dead {
		return
	}
	reason := fmt.Sprintf("env.sh line %d (%s) %s", ln, shorten(raw), why)
	if m.cond != "" {
		reason += " (" + m.cond + ")"
	}
	e.problem(ln, why)
	for k, v := range e.vars {
		v.Value, v.Unknown, v.Line, v.Source = "", reason, ln, FromEnvSh
		e.vars[k] = v
	}
	e.taint = reason
}

// opaqueNames: the command assigns the variables named (all of them when !ok).
func (e *EnvSh) opaqueNames(ln int, raw string, m evalMode, names []string, ok bool, why string) {
	if !ok {
		e.opaque(ln, raw, m, why+" (and names variables indirectly)")
		return
	}
	slices.Sort(names)
	names = slices.Compact(names)
	for _, n := range names {
		e.setUnknown(n, ln, fmt.Sprintf("env.sh line %d (%s): %s", ln, shorten(raw), why))
		if m.cond != "" {
			e.condVars = append(e.condVars, n)
		}
	}
	if m.cond == "" {
		e.problem(ln, why, names...)
	}
}

func (e *EnvSh) setUnknown(name string, line int, why string) {
	v := e.lookup(name, false)
	v.Name, v.Value, v.Line, v.Source, v.Unknown = name, "", line, FromEnvSh, why
	e.vars[name] = v
}

// assign performs one NAME=value (or NAME+=value); false when bash refuses it (a read-only
// variable).
func (e *EnvSh) assign(a *syntax.Assign, m evalMode, exported bool) bool {
	name, ln, raw := a.Name.Value, line(a), e.text(a)
	if a.Index != nil || a.Array != nil {
		e.setUnknown(name, ln, fmt.Sprintf("env.sh line %d assigns an array (%s)", ln, shorten(raw)))
		if m.cond == "" {
			e.problem(ln, "array assignment not evaluated", name)
		} else {
			e.condVars = append(e.condVars, name)
		}
		return true
	}
	switch ro := e.isReadonly(name); {
	case ro > 0:
		if m.cond == "" {
			e.problem(ln, fmt.Sprintf("%s is read-only, so bash refuses the assignment (and the rest of the command)", name))
		}
		return false
	case ro < 0:
		e.setUnknown(name, ln, fmt.Sprintf("env.sh line %d assigns it, but a block the checker does not evaluate may have made it read-only (line %d)", ln, -ro))
		if m.cond == "" {
			e.problem(ln, "assignment to a variable that may be read-only", name)
		} else {
			e.condVars = append(e.condVars, name)
		}
		return true
	}
	if m.cond != "" {
		e.setUnknown(name, ln, fmt.Sprintf("env.sh line %d assigns it %s", ln, m.cond))
		e.condVars = append(e.condVars, name)
		return true
	}
	val, unknown := e.expand(a.Value)
	prev := e.lookup(name, a.Append)
	if a.Append {
		if prev.Unknown != "" && unknown == "" {
			unknown = prev.Unknown
		}
		val = prev.Value + val
	}
	v := EnvVar{Name: name, Value: val, Line: ln, Source: FromEnvSh, Exported: exported || prev.Exported, Unknown: unknown}
	if unknown != "" {
		v.Value = ""
		v.Unknown = fmt.Sprintf("env.sh line %d (%s): %s", ln, shorten(raw), unknown)
		e.problem(ln, unknown, name)
	}
	e.vars[name] = v
	return true
}

// maybeReadonly: the names may have become read-only.
func (e *EnvSh) maybeReadonly(ln int, m evalMode, names []string, ok bool) {
	if !ok && !m.dead && e.roAll == 0 {
		e.roAll = ln // names not known: any variable may have become read-only
	}
	for _, n := range names {
		e.markReadonly(n, ln, evalMode{cond: "maybe", dead: m.dead})
	}
}

// expand evaluates an assignment's value with mvdan.cc/sh's expand package: quote removal,
// parameter expansion of known variables (defaults included), and tilde expansion when HOME is
// known. It returns why the result is unknown, if it is.
func (e *EnvSh) expand(w *syntax.Word) (string, string) {
	if w == nil {
		return "", ""
	}
	why := ""
	names := map[string]bool{}
	syntax.Walk(w, func(n syntax.Node) bool {
		if why != "" {
			return false
		}
		switch n := n.(type) {
		case *syntax.CmdSubst:
			why = fmt.Sprintf("%s is not evaluated (command substitution)", e.text(n))
		case *syntax.ArithmExp:
			why = fmt.Sprintf("%s is not evaluated (arithmetic expansion)", e.text(n))
		case *syntax.ProcSubst:
			why = fmt.Sprintf("%s is not evaluated (process substitution)", e.text(n))
		case *syntax.ExtGlob, *syntax.BraceExp:
			why = fmt.Sprintf("%s is not evaluated", shorten(e.text(n)))
		case *syntax.ParamExp:
			switch {
			case n.Param == nil || !isShellName(n.Param.Value):
				why = fmt.Sprintf("%s is not evaluated (a special parameter)", shorten(e.text(n)))
			case n.Excl || n.Length || n.Width || n.Index != nil || n.Slice != nil || n.Repl != nil || n.Names != 0 || n.Exp != nil && !plainDefault[n.Exp.Op]:
				why = fmt.Sprintf("%s is not evaluated (this parameter expansion)", shorten(e.text(n)))
			case n.Exp != nil && n.Exp.Word != nil && slices.ContainsFunc(n.Exp.Word.Parts, hasTilde):
				why = fmt.Sprintf("%s is not evaluated (tilde expansion in a default)", shorten(e.text(n)))
			default:
				names[n.Param.Value] = true
			}
		}
		return why == ""
	})
	if why != "" {
		return "", why
	}
	parts, why := e.tilde(w.Parts)
	if why != "" {
		return "", why
	}
	parts = unquotedLits(parts, false)
	env := &expandEnv{e: e, names: names}
	s, err := expand.Literal(&expand.Config{Env: env}, &syntax.Word{Parts: parts})
	if env.why != "" {
		return "", env.why
	}
	if err != nil {
		return "", fmt.Sprintf("%s is not evaluated (%v)", shorten(e.text(w)), err)
	}
	return uncr(s), ""
}

var plainDefault = map[syntax.ParExpOperator]bool{
	syntax.DefaultUnset: true, syntax.DefaultUnsetOrNull: true, syntax.AlternateUnset: true,
	syntax.AlternateUnsetOrNull: true, syntax.AssignUnset: true, syntax.AssignUnsetOrNull: true,
}

// unquotedLits replaces the unquoted literal text in parts (outside double quotes) by its
// value after quote removal (expand.Literal keeps the backslashes there, as in a pattern).
func unquotedLits(parts []syntax.WordPart, quoted bool) []syntax.WordPart {
	out := make([]syntax.WordPart, len(parts))
	for i, p := range parts {
		switch p := p.(type) {
		case *syntax.Lit:
			if !quoted {
				out[i] = &syntax.SglQuoted{Value: unescape(p.Value)}
				continue
			}
		case *syntax.DblQuoted:
			q := *p
			q.Parts = unquotedLits(p.Parts, true)
			out[i] = &q
			continue
		case *syntax.ParamExp:
			if p.Exp != nil && p.Exp.Word != nil {
				q, x, w := *p, *p.Exp, *p.Exp.Word
				w.Parts = unquotedLits(w.Parts, quoted)
				x.Word = &w
				q.Exp = &x
				out[i] = &q
				continue
			}
		}
		out[i] = p
	}
	return out
}

// unescape removes the backslashes of unquoted text (a backslash quotes the next character).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			if s[i] == '\n' {
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func hasTilde(p syntax.WordPart) bool {
	l, ok := p.(*syntax.Lit)
	return ok && strings.Contains(l.Value, "~")
}

// expandEnv gives expand the variables a word refers to; a reference to an unknown one makes
// the word unknown (why).
type expandEnv struct {
	e     *EnvSh
	names map[string]bool
	why   string
}

func (x *expandEnv) Get(name string) expand.Variable {
	if !x.names[name] {
		return expand.Variable{}
	}
	v := x.e.Get(name)
	if v.Unknown != "" {
		if x.why == "" {
			x.why = fmt.Sprintf("$%s is unknown (%s)", name, v.Unknown)
		}
		return expand.Variable{}
	}
	if !v.Set() {
		return expand.Variable{}
	}
	return expand.Variable{Set: true, Exported: v.Exported, Kind: expand.String, Str: v.Value}
}

func (x *expandEnv) Each(func(string, expand.Variable) bool) {}

// tilde does an assignment's tilde expansion (at the start of the value and after each unquoted
// ':'), as bash does: the prefix runs to the next '/' or ':'; when it runs into the next part of
// the word (quoted text or an expansion) bash leaves it alone. Each tilde left is quoted so that
// expand does not expand it again.
func (e *EnvSh) tilde(parts []syntax.WordPart) ([]syntax.WordPart, string) {
	var out []syntax.WordPart
	for i, p := range parts {
		l, ok := p.(*syntax.Lit)
		if !ok || !strings.Contains(l.Value, "~") {
			out = append(out, p)
			continue
		}
		s := l.Value
		start := 0
		cand := i == 0
		for k := 0; k < len(s); k++ {
			c := s[k]
			if cand && c == '~' {
				end := k + 1
				for end < len(s) && s[end] != '/' && s[end] != ':' {
					end++
				}
				prefix := s[k+1 : end]
				lit := "~"
				switch {
				case end == len(s) && i != len(parts)-1, strings.ContainsAny(prefix, `\'"`):
					// bash leaves it alone
				case prefix != "":
					return nil, fmt.Sprintf("tilde expansion ~%s is not evaluated", prefix)
				default:
					home := e.Get("HOME")
					if home.Unknown != "" || !home.Set() {
						return nil, "~ needs HOME, which the checker does not know"
					}
					lit = home.Value
				}
				if k > start {
					out = append(out, &syntax.Lit{Value: s[start:k]})
				}
				out = append(out, &syntax.SglQuoted{Value: lit})
				start = k + 1
			}
			cand = false
			switch c {
			case '\\':
				k++
			case ':':
				cand = true
			}
		}
		if start < len(s) {
			out = append(out, &syntax.Lit{Value: s[start:]})
		}
	}
	return out, ""
}

// isReadonly: the line that made name read-only, negative when only maybe, 0 when it is not.
func (e *EnvSh) isReadonly(name string) int {
	if l, ok := e.readonly[name]; ok {
		return l
	}
	if readonlyByBash[name] {
		return 1
	}
	return -e.roAll
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
