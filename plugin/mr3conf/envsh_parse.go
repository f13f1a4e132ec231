package mr3conf

import (
	"strconv"
	"strings"
)

// The subset of bash's grammar that env.sh files use, parsed into commands whose effect on
// variables SourceEnvSh evaluates. Constructs are recognised so that they can be reported (and
// their bodies skipped), not run.

type partKind int

const (
	partLit   partKind = iota // text after quote removal
	partParam                 // $NAME, ${NAME}, ${NAME<op>word}
	partOther                 // an expansion the model does not evaluate
)

type shPart struct {
	kind   partKind
	text   string // literal text; the parameter name; the construct as written (partOther)
	quoted bool   // literal from quotes or a backslash: no tilde expansion
	op     string // parameter operator: "", ":-", "-", ":=", "=", ":+", "+"
	arg    []shPart
	why    string // partOther: what it is
}

type shWord struct {
	parts []shPart
	raw   string
	line  int
}

// literal returns the word's text when it is made of literal parts only.
func (w *shWord) literal() (string, bool) {
	var b strings.Builder
	for _, p := range w.parts {
		if p.kind != partLit {
			return "", false
		}
		b.WriteString(p.text)
	}
	return b.String(), true
}

// keyword reports whether the word is the unquoted reserved word k.
func (w *shWord) keyword(k string) bool {
	return len(w.parts) == 1 && w.parts[0].kind == partLit && !w.parts[0].quoted && w.parts[0].text == k
}

// assignmentOf reports whether w is NAME=value (or NAME+=value, NAME[i]=value): the part before
// '=' must be unquoted literal text.
func assignmentOf(w *shWord) (name string, appendTo, ok bool) {
	if len(w.parts) == 0 || w.parts[0].kind != partLit || w.parts[0].quoted {
		return "", false, false
	}
	head, _, found := strings.Cut(w.parts[0].text, "=")
	if !found {
		return "", false, false
	}
	if strings.HasSuffix(head, "+") {
		head, appendTo = head[:len(head)-1], true
	}
	base := head
	if i := strings.IndexByte(head, '['); i > 0 && strings.HasSuffix(head, "]") {
		base = head[:i]
	}
	if !isShellName(base) {
		return "", false, false
	}
	return head, appendTo, true
}

// valueParts are the parts after NAME=.
func (w *shWord) valueParts() []shPart {
	_, rest, _ := strings.Cut(w.parts[0].text, "=")
	out := make([]shPart, 0, len(w.parts))
	if rest != "" {
		out = append(out, shPart{kind: partLit, text: rest})
	}
	return append(out, w.parts[1:]...)
}

type shCommand interface{ cmdLine() int }

type shSimple struct {
	words []*shWord
	line  int
	text  string
}

func (c *shSimple) cmdLine() int { return c.line }
func (c *shSimple) raw() string  { return c.text }

type shCompound struct {
	kind          string // if, while, until, for, select, case, group, subshell, function, test, arith
	line, endLine int
	text          string
	body          []*shAndOr
	loopVar, name string
}

func (c *shCompound) cmdLine() int { return c.line }

type shPipeline struct {
	cmds []shCommand
	line int
}

type shAndOr struct {
	pipes      []*shPipeline
	ops        []string // "&&" or "||" between pipes
	background bool
}

type synErr struct {
	line      int
	text, msg string
	// opaque: not a syntax error, but a construct after which the model knows nothing.
	opaque bool
}

type tokKind int

const (
	tWord tokKind = iota
	tOp
	tNewline
	tEOF
)

type shToken struct {
	kind tokKind
	op   string
	word *shWord
	line int
}

type heredoc struct {
	delim string
	strip bool
}

type shLexer struct {
	s        string
	pos      int
	line     int
	lines    []string
	heredocs []heredoc
}

func newShLexer(s string) *shLexer {
	return &shLexer{s: s, line: 1, lines: strings.Split(s, "\n")}
}

func (l *shLexer) lineText(n int) string {
	if n >= 1 && n <= len(l.lines) {
		return strings.TrimSpace(strings.TrimSuffix(l.lines[n-1], "\r"))
	}
	return ""
}

func (l *shLexer) errorf(line int, msg string) *synErr {
	return &synErr{line: line, text: l.lineText(line), msg: msg}
}

var shOps = []string{";;&", "&>>", "<<<", "<<-", "&&", "||", ";;", ";&", "|&", "&>", ">>", "<<", "<>", ">|", "<&", ">&", "((", ";", "&", "|", "(", ")", "<", ">"}

func isRedirOp(op string) bool {
	op = strings.TrimLeft(op, "0123456789")
	switch op {
	case "<", ">", ">>", "<<", "<<-", "<<<", "<>", ">|", "<&", ">&", "&>", "&>>":
		return true
	}
	return false
}

func isMeta(c byte) bool {
	switch c {
	case ' ', '\t', '\n', ';', '&', '|', '(', ')', '<', '>':
		return true
	}
	return false
}

func (l *shLexer) next() (*shToken, *synErr) {
	for l.pos < len(l.s) {
		c := l.s[l.pos]
		switch {
		case c == ' ' || c == '\t':
			l.pos++
		case c == '\\' && l.pos+1 < len(l.s) && l.s[l.pos+1] == '\n':
			l.pos += 2
			l.line++
		case c == '#':
			for l.pos < len(l.s) && l.s[l.pos] != '\n' {
				l.pos++
			}
		case c == '\n':
			line := l.line
			l.pos++
			l.line++
			if err := l.skipHeredocs(); err != nil {
				return nil, err
			}
			return &shToken{kind: tNewline, line: line}, nil
		default:
			for _, op := range shOps {
				if strings.HasPrefix(l.s[l.pos:], op) {
					l.pos += len(op)
					return &shToken{kind: tOp, op: op, line: l.line}, nil
				}
			}
			w, err := l.word(true, false)
			if err != nil {
				return nil, err
			}
			// A file descriptor number right before a redirection belongs to it.
			if s, lit := w.literal(); lit && l.pos < len(l.s) && (l.s[l.pos] == '<' || l.s[l.pos] == '>') && strings.Trim(s, "0123456789") == "" {
				for _, op := range shOps {
					if strings.HasPrefix(l.s[l.pos:], op) && isRedirOp(op) {
						l.pos += len(op)
						return &shToken{kind: tOp, op: s + op, line: w.line}, nil
					}
				}
			}
			return &shToken{kind: tWord, word: w, line: w.line}, nil
		}
	}
	if len(l.heredocs) > 0 {
		return nil, l.errorf(l.line, "here-document without its end line")
	}
	return &shToken{kind: tEOF, line: l.line}, nil
}

// skipHeredocs skips the bodies of here-documents started on the line just ended.
func (l *shLexer) skipHeredocs() *synErr {
	for len(l.heredocs) > 0 {
		h := l.heredocs[0]
		l.heredocs = l.heredocs[1:]
		start := l.line
		for {
			if l.pos >= len(l.s) {
				return l.errorf(start, "here-document ends without its delimiter "+strconv.Quote(h.delim))
			}
			end := strings.IndexByte(l.s[l.pos:], '\n')
			var ln string
			if end < 0 {
				ln, l.pos = l.s[l.pos:], len(l.s)
			} else {
				ln, l.pos = l.s[l.pos:l.pos+end], l.pos+end+1
			}
			l.line++
			if h.strip {
				ln = strings.TrimLeft(ln, "\t")
			}
			if ln == h.delim {
				break
			}
		}
	}
	return nil
}

// word lexes one word. stopAtMeta: end at an unquoted metacharacter (else at the end of the
// input, for the word inside ${X:-word}). dq: the text is inside double quotes.
func (l *shLexer) word(stopAtMeta, dq bool) (*shWord, *synErr) {
	start, line := l.pos, l.line
	w := &shWord{line: line}
	addLit := func(s string, quoted bool) {
		if n := len(w.parts); n > 0 && w.parts[n-1].kind == partLit && w.parts[n-1].quoted == quoted {
			w.parts[n-1].text += s
			return
		}
		w.parts = append(w.parts, shPart{kind: partLit, text: s, quoted: quoted})
	}
	for l.pos < len(l.s) {
		c := l.s[l.pos]
		if stopAtMeta && isMeta(c) {
			break
		}
		switch {
		case c == '\\':
			if l.pos+1 >= len(l.s) {
				addLit("\\", dq)
				l.pos++
				continue
			}
			n := l.s[l.pos+1]
			l.pos += 2
			switch {
			case n == '\n':
				l.line++
			case dq && !strings.ContainsRune("$`\"\\", rune(n)):
				addLit("\\"+string(n), true)
			default:
				addLit(string(n), true)
			}
		case c == '\'' && !dq:
			end := strings.IndexByte(l.s[l.pos+1:], '\'')
			if end < 0 {
				return nil, l.errorf(l.line, "a single quote is not closed")
			}
			text := l.s[l.pos+1 : l.pos+1+end]
			l.line += strings.Count(text, "\n")
			l.pos += end + 2
			addLit(text, true)
		case c == '"':
			if dq { // only inside ${…} within double quotes: a nested quoted string
				l.pos++
				continue
			}
			l.pos++
			if err := l.double(w, addLit); err != nil {
				return nil, err
			}
		case c == '$':
			p, lit, err := l.dollar(dq)
			if err != nil {
				return nil, err
			}
			if p == nil {
				addLit(lit, dq)
				continue
			}
			if p.kind == partLit {
				addLit(p.text, true)
				continue
			}
			w.parts = append(w.parts, *p)
		case c == '`':
			raw, err := l.backquote()
			if err != nil {
				return nil, err
			}
			w.parts = append(w.parts, shPart{kind: partOther, text: raw, why: "command substitution"})
		default:
			if c == '\n' {
				l.line++
			}
			addLit(string(c), dq)
			l.pos++
		}
	}
	w.raw = l.s[start:l.pos]
	return w, nil
}

// double lexes the inside of "…" (the opening quote consumed) into w.
func (l *shLexer) double(w *shWord, addLit func(string, bool)) *synErr {
	line := l.line
	addLit("", true) // even "" is quoted text: it ends a tilde prefix and makes a word
	for {
		if l.pos >= len(l.s) {
			return l.errorf(line, "a double quote is not closed")
		}
		c := l.s[l.pos]
		switch c {
		case '"':
			l.pos++
			return nil
		case '\\':
			if l.pos+1 >= len(l.s) {
				return l.errorf(line, "a double quote is not closed")
			}
			n := l.s[l.pos+1]
			l.pos += 2
			switch {
			case n == '\n':
				l.line++
			case strings.ContainsRune("$`\"\\", rune(n)):
				addLit(string(n), true)
			default:
				addLit("\\"+string(n), true)
			}
		case '$':
			p, lit, err := l.dollar(true)
			if err != nil {
				return err
			}
			switch {
			case p == nil:
				addLit(lit, true)
			case p.kind == partLit:
				addLit(p.text, true)
			default:
				w.parts = append(w.parts, *p)
			}
		case '`':
			raw, err := l.backquote()
			if err != nil {
				return err
			}
			w.parts = append(w.parts, shPart{kind: partOther, text: raw, why: "command substitution"})
		default:
			if c == '\n' {
				l.line++
			}
			addLit(string(c), true)
			l.pos++
		}
	}
}

// dollar lexes an expansion at '$'. It returns a part, or (nil, text) when the '$' is literal.
func (l *shLexer) dollar(dq bool) (*shPart, string, *synErr) {
	for strings.HasPrefix(l.s[l.pos+1:], "\\\n") { // bash joins "$\<newline>x" into "$x"
		l.s = l.s[:l.pos+1] + l.s[l.pos+3:]
		l.line++
	}
	rest := l.s[l.pos+1:]
	line := l.line
	switch {
	case strings.HasPrefix(rest, "(("):
		raw, err := l.balanced(l.pos+1, '(', ')')
		if err != nil {
			return nil, "", err
		}
		return &shPart{kind: partOther, text: "$" + raw, why: "arithmetic expansion"}, "", nil
	case strings.HasPrefix(rest, "("):
		raw, err := l.balanced(l.pos+1, '(', ')')
		if err != nil {
			return nil, "", err
		}
		// bash parses a command substitution when it reads it: a syntax error inside is one.
		sub := &shParser{lx: newShLexer(raw[1 : len(raw)-1])}
		for {
			_, done, err := sub.completeCommand()
			if err != nil && err.opaque {
				break // valid, just not evaluated (and a command substitution is not evaluated anyway)
			}
			if err != nil {
				return nil, "", l.errorf(line+err.line-1, "inside $(…): "+err.msg)
			}
			if done {
				break
			}
		}
		return &shPart{kind: partOther, text: "$" + raw, why: "command substitution"}, "", nil
	case strings.HasPrefix(rest, "{"):
		end, err := l.braceEnd(l.pos + 1)
		if err != nil {
			return nil, "", err
		}
		raw := l.s[l.pos+1 : end+1]
		l.line += strings.Count(raw, "\n")
		l.pos = end + 1
		return l.braced(raw, dq, line), "", nil
	case len(rest) > 0 && (rest[0] == '_' || rest[0] >= 'A' && rest[0] <= 'Z' || rest[0] >= 'a' && rest[0] <= 'z'):
		// The name runs on across a backslash-newline: bash joins lines before it reads names.
		var name strings.Builder
		i := l.pos + 1
		for i < len(l.s) {
			c := l.s[i]
			if c == '\\' && i+1 < len(l.s) && l.s[i+1] == '\n' {
				i += 2
				l.line++
				continue
			}
			if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
				break
			}
			name.WriteByte(c)
			i++
		}
		l.pos = i
		return &shPart{kind: partParam, text: name.String()}, "", nil
	case len(rest) > 0 && strings.IndexByte("0123456789@*#?-$!", rest[0]) >= 0:
		l.pos += 2
		return &shPart{kind: partOther, text: "$" + rest[:1], why: "a special parameter"}, "", nil
	case len(rest) > 0 && rest[0] == '\'' && !dq:
		s, err := l.ansiC()
		if err != nil {
			return nil, "", err
		}
		return &shPart{kind: partLit, text: s, quoted: true}, "", nil
	case len(rest) > 0 && rest[0] == '"' && !dq:
		l.pos++ // $"…" is "…" translated; no translation here
		return nil, "", nil
	}
	l.pos++
	return nil, "$", nil
}

// braced interprets ${…}: ${NAME} and ${NAME<op>word} with op one of :- - := = :+ +.
func (l *shLexer) braced(raw string, dq bool, line int) *shPart {
	inner := raw[1 : len(raw)-1]
	other := &shPart{kind: partOther, text: "$" + raw, why: "this parameter expansion"}
	if !nestedBracesClose(inner) {
		// bash's reader ended the expansion at this '}', but its expander, which reads "$${"
		// as "$" and "${", finds no end: "bad substitution" at run time.
		return &shPart{kind: partOther, text: "$" + raw, why: "bash reports a bad substitution"}
	}
	n := 0
	for n < len(inner) && (inner[n] == '_' || inner[n] >= 'A' && inner[n] <= 'Z' || inner[n] >= 'a' && inner[n] <= 'z' || n > 0 && inner[n] >= '0' && inner[n] <= '9') {
		n++
	}
	if n == 0 {
		return other
	}
	name, rest := inner[:n], inner[n:]
	if rest == "" {
		return &shPart{kind: partParam, text: name}
	}
	op := ""
	for _, o := range []string{":-", ":=", ":+", "-", "=", "+"} {
		if strings.HasPrefix(rest, o) {
			op = o
			break
		}
	}
	if op == "" {
		return other
	}
	sub := &shLexer{s: rest[len(op):], line: line}
	w, err := sub.word(false, dq)
	if err != nil {
		return other
	}
	return &shPart{kind: partParam, text: name, op: op, arg: w.parts}
}

// braceEnd returns the index of the '}' that ends the parameter expansion whose '{' is at at.
// Like bash, the first unquoted '}' ends it (a bare '{' does not nest; "${" does), and quotes
// of either kind protect what they enclose.
func (l *shLexer) braceEnd(at int) (int, *synErr) {
	line := l.line
	for i := at + 1; i < len(l.s); i++ {
		switch c := l.s[i]; c {
		case '\\':
			i++
		case '\'':
			j := strings.IndexByte(l.s[i+1:], '\'')
			if j < 0 {
				return 0, l.errorf(line, "a single quote is not closed")
			}
			i += j + 1
		case '"':
			for i++; i < len(l.s) && l.s[i] != '"'; i++ {
				if l.s[i] == '\\' {
					i++
				}
			}
			if i >= len(l.s) {
				return 0, l.errorf(line, "a double quote is not closed")
			}
		case '$':
			switch {
			case i+1 >= len(l.s):
			case l.s[i+1] == '{':
				end, err := l.braceEnd(i + 1)
				if err != nil {
					return 0, err
				}
				i = end
			case l.s[i+1] == '$': // $$ is one parameter: a '{' after it is bare
				i++
			case l.s[i+1] == '(':
				depth := 0
				for i++; i < len(l.s); i++ {
					if l.s[i] == '(' {
						depth++
					} else if l.s[i] == ')' {
						if depth--; depth == 0 {
							break
						}
					}
				}
			}
		case '}':
			return i, nil
		}
	}
	return 0, l.errorf(line, "${ is not closed")
}

// nestedBracesClose reports whether every "${" in s is closed by a '}' in s (quotes and
// backslashes protect).
func nestedBracesClose(s string) bool {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '\'':
			if j := strings.IndexByte(s[i+1:], '\''); j >= 0 {
				i += j + 1
			}
		case '$':
			if i+1 < len(s) && s[i+1] == '{' {
				depth++
				i++
			}
		case '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return depth == 0
}

// balanced returns the text from at (an opening bracket) to its matching close, skipping quoted
// text, and moves past it.
func (l *shLexer) balanced(at int, open, close byte) (string, *synErr) {
	depth := 0
	line := l.line
	for i := at; i < len(l.s); i++ {
		switch c := l.s[i]; c {
		case '\\':
			i++
		case '\'':
			j := strings.IndexByte(l.s[i+1:], '\'')
			if j < 0 {
				return "", l.errorf(line, "a single quote is not closed")
			}
			i += j + 1
		case '"':
			for i++; i < len(l.s) && l.s[i] != '"'; i++ {
				if l.s[i] == '\\' {
					i++
				}
			}
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				raw := l.s[at : i+1]
				l.line += strings.Count(l.s[l.pos:i+1], "\n")
				l.pos = i + 1
				return raw, nil
			}
		}
	}
	return "", l.errorf(line, "$"+string(open)+" is not closed")
}

func (l *shLexer) backquote() (string, *synErr) {
	line := l.line
	for i := l.pos + 1; i < len(l.s); i++ {
		switch l.s[i] {
		case '\\':
			i++
		case '`':
			raw := l.s[l.pos : i+1]
			l.line += strings.Count(raw, "\n")
			l.pos = i + 1
			return raw, nil
		}
	}
	return "", l.errorf(line, "a backquote is not closed")
}

// ansiC decodes $'…' (at '$').
func (l *shLexer) ansiC() (string, *synErr) {
	line := l.line
	var b strings.Builder
	for i := l.pos + 2; i < len(l.s); i++ {
		c := l.s[i]
		if c == '\'' {
			l.line += strings.Count(l.s[l.pos:i], "\n")
			l.pos = i + 1
			return b.String(), nil
		}
		if c != '\\' || i+1 >= len(l.s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch n := l.s[i]; n {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'e', 'E':
			b.WriteByte(0x1b)
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case '\\', '\'', '"', '?':
			b.WriteByte(n)
		case 'x':
			j := i + 1
			for j < len(l.s) && j < i+3 && isHex(l.s[j]) {
				j++
			}
			if j == i+1 {
				b.WriteString(`\x`)
				continue
			}
			v, _ := strconv.ParseUint(l.s[i+1:j], 16, 8)
			if v != 0 { // bash ends the string at a NUL
				b.WriteByte(byte(v))
			}
			i = j - 1
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(l.s) && j < i+3 && l.s[j] >= '0' && l.s[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(l.s[i:j], 8, 16)
			if v&0xff != 0 {
				b.WriteByte(byte(v))
			}
			i = j - 1
		default:
			b.WriteByte('\\')
			b.WriteByte(n)
		}
	}
	return "", l.errorf(line, "$' is not closed")
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// arith reads the rest of an arithmetic command after "((" up to the matching "))".
func (l *shLexer) arith() (string, *synErr) {
	line := l.line
	depth := 2
	for i := l.pos; i < len(l.s); i++ {
		switch l.s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				raw := l.s[l.pos : i-1]
				l.line += strings.Count(l.s[l.pos:i+1], "\n")
				l.pos = i + 1
				return raw, nil
			}
		}
	}
	return "", l.errorf(line, "(( is not closed")
}

type shParser struct {
	lx   *shLexer
	peek *shToken
}

func (p *shParser) next() (*shToken, *synErr) {
	if t := p.peek; t != nil {
		p.peek = nil
		return t, nil
	}
	return p.lx.next()
}

func (p *shParser) look() (*shToken, *synErr) {
	if p.peek == nil {
		t, err := p.lx.next()
		if err != nil {
			return nil, err
		}
		p.peek = t
	}
	return p.peek, nil
}

func (p *shParser) skipNewlines() *synErr {
	for {
		t, err := p.look()
		if err != nil {
			return err
		}
		if t.kind != tNewline {
			return nil
		}
		p.peek = nil
	}
}

// completeCommand parses the commands of one line (bash runs a line only once all of it
// parses). done is true at the end of the input.
func (p *shParser) completeCommand() (cmds []*shAndOr, done bool, err *synErr) {
	if err := p.skipNewlines(); err != nil {
		return nil, false, err
	}
	t, err := p.look()
	if err != nil {
		return nil, false, err
	}
	if t.kind == tEOF {
		return nil, true, nil
	}
	for {
		c, err := p.andOr()
		if err != nil {
			return nil, false, err
		}
		cmds = append(cmds, c)
		t, err := p.next()
		if err != nil {
			return nil, false, err
		}
		switch {
		case t.kind == tNewline:
			return cmds, false, nil
		case t.kind == tEOF:
			return cmds, true, nil
		case t.kind == tOp && (t.op == ";" || t.op == "&"):
			c.background = t.op == "&"
			n, err := p.look()
			if err != nil {
				return nil, false, err
			}
			switch n.kind {
			case tNewline:
				p.peek = nil
				return cmds, false, nil
			case tEOF:
				return cmds, true, nil
			}
		default:
			return nil, false, p.lx.errorf(t.line, "unexpected "+tokText(t))
		}
	}
}

func tokText(t *shToken) string {
	switch t.kind {
	case tOp:
		return strconv.Quote(t.op)
	case tWord:
		return strconv.Quote(t.word.raw)
	case tNewline:
		return "end of line"
	}
	return "end of file"
}

// list parses commands until one of the reserved words (or operators) in ends at command
// position, which is left unread. Like bash, it wants at least one command.
func (p *shParser) list(ends ...string) ([]*shAndOr, *synErr) {
	l, err := p.listMaybeEmpty(ends...)
	if err == nil && len(l) == 0 {
		t, _ := p.look()
		return nil, p.lx.errorf(t.line, "unexpected "+tokText(t)+" (a block needs a command)")
	}
	return l, err
}

// listMaybeEmpty is list that accepts no command (a case item).
func (p *shParser) listMaybeEmpty(ends ...string) ([]*shAndOr, *synErr) {
	var out []*shAndOr
	for {
		if err := p.skipNewlines(); err != nil {
			return nil, err
		}
		t, err := p.look()
		if err != nil {
			return nil, err
		}
		if t.kind == tEOF {
			return nil, p.lx.errorf(t.line, "the file ends inside a block (missing "+strings.Join(ends, " or ")+")")
		}
		if isEnd(t, ends) {
			return out, nil
		}
		c, err := p.andOr()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		t, err = p.look()
		if err != nil {
			return nil, err
		}
		switch {
		case t.kind == tOp && (t.op == ";" || t.op == "&"):
			p.peek = nil
			c.background = t.op == "&"
		case t.kind == tNewline, isEnd(t, ends):
		default:
			return nil, p.lx.errorf(t.line, "unexpected "+tokText(t))
		}
	}
}

func isEnd(t *shToken, ends []string) bool {
	for _, e := range ends {
		if t.kind == tWord && t.word.keyword(e) || t.kind == tOp && t.op == e {
			return true
		}
	}
	return false
}

func (p *shParser) expectWord(k string) (*shToken, *synErr) {
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	if t.kind == tWord && t.word.keyword(k) || t.kind == tOp && t.op == k {
		return t, nil
	}
	return nil, p.lx.errorf(t.line, "expected "+strconv.Quote(k)+", found "+tokText(t))
}

func (p *shParser) andOr() (*shAndOr, *synErr) {
	c := &shAndOr{}
	for {
		pl, err := p.pipeline()
		if err != nil {
			return nil, err
		}
		c.pipes = append(c.pipes, pl)
		t, err := p.look()
		if err != nil {
			return nil, err
		}
		if t.kind != tOp || t.op != "&&" && t.op != "||" {
			return c, nil
		}
		p.peek = nil
		c.ops = append(c.ops, t.op)
		if err := p.skipNewlines(); err != nil {
			return nil, err
		}
	}
}

func (p *shParser) pipeline() (*shPipeline, *synErr) {
	t, err := p.look()
	if err != nil {
		return nil, err
	}
	pl := &shPipeline{line: t.line}
	if t.kind == tWord && t.word.keyword("!") {
		p.peek = nil
	}
	for {
		c, err := p.command()
		if err != nil {
			return nil, err
		}
		pl.cmds = append(pl.cmds, c)
		t, err := p.look()
		if err != nil {
			return nil, err
		}
		if t.kind != tOp || t.op != "|" && t.op != "|&" {
			return pl, nil
		}
		p.peek = nil
		if err := p.skipNewlines(); err != nil {
			return nil, err
		}
	}
}

var misplaced = []string{"then", "do", "done", "fi", "else", "elif", "esac", "}", "in", "]]"}

func (p *shParser) command() (shCommand, *synErr) {
	t, err := p.look()
	if err != nil {
		return nil, err
	}
	line := t.line
	block := func(kind string) *shCompound {
		return &shCompound{kind: kind, line: line, text: p.lx.lineText(line)}
	}
	var c *shCompound
	switch {
	case t.kind == tOp && t.op == "((":
		p.peek = nil
		raw, err := p.lx.arith()
		if err != nil {
			return nil, err
		}
		c = block("arith")
		c.text = "((" + raw + "))"
	case t.kind == tOp && t.op == "(":
		p.peek = nil
		c = block("subshell")
		if c.body, err = p.list(")"); err != nil {
			return nil, err
		}
		if _, err := p.expectWord(")"); err != nil {
			return nil, err
		}
	case t.kind == tWord && (t.word.keyword("if")):
		p.peek = nil
		c = block("if")
		for kw := "if"; kw != "fi"; {
			if kw == "if" || kw == "elif" {
				cond, err := p.list("then")
				if err != nil {
					return nil, err
				}
				c.body = append(c.body, cond...)
				if _, err := p.expectWord("then"); err != nil {
					return nil, err
				}
			}
			body, err := p.list("elif", "else", "fi")
			if err != nil {
				return nil, err
			}
			c.body = append(c.body, body...)
			t, _ := p.next()
			kw, _ = t.word.literal()
		}
	case t.kind == tWord && (t.word.keyword("while") || t.word.keyword("until")):
		p.peek = nil
		kind, _ := t.word.literal()
		c = block(kind)
		cond, err := p.list("do")
		if err != nil {
			return nil, err
		}
		if err := p.doDone(c, cond); err != nil {
			return nil, err
		}
	case t.kind == tWord && (t.word.keyword("for") || t.word.keyword("select")):
		p.peek = nil
		kind, _ := t.word.literal()
		c = block(kind)
		n, err := p.next()
		if err != nil {
			return nil, err
		}
		switch {
		case n.kind == tOp && n.op == "((":
			raw, err := p.lx.arith()
			if err != nil {
				return nil, err
			}
			c.body = append(c.body, &shAndOr{pipes: []*shPipeline{{line: line, cmds: []shCommand{&shCompound{kind: "arith", line: line, text: raw}}}}})
		case n.kind == tWord:
			name, lit := n.word.literal()
			if !lit || !isShellName(name) {
				return nil, p.lx.errorf(n.line, "`"+n.word.raw+"' is not a valid loop variable")
			}
			c.loopVar = name
		default:
			return nil, p.lx.errorf(n.line, "expected a loop variable after "+kind)
		}
		// Skip "in words…" up to ';' or the end of the line.
		for {
			t, err := p.next()
			if err != nil {
				return nil, err
			}
			if t.kind == tNewline || t.kind == tOp && t.op == ";" {
				break
			}
			if t.kind == tWord && t.word.keyword("do") {
				p.peek = t
				break
			}
			if t.kind != tWord {
				return nil, p.lx.errorf(t.line, "unexpected "+tokText(t)+" in "+kind)
			}
		}
		if err := p.skipNewlines(); err != nil {
			return nil, err
		}
		if err := p.doDone(c, nil); err != nil {
			return nil, err
		}
	case t.kind == tWord && t.word.keyword("case"):
		p.peek = nil
		c = block("case")
		if _, err := p.next(); err != nil { // the word
			return nil, err
		}
		if err := p.skipNewlines(); err != nil {
			return nil, err
		}
		if _, err := p.expectWord("in"); err != nil {
			return nil, err
		}
		for {
			if err := p.skipNewlines(); err != nil {
				return nil, err
			}
			t, err := p.next()
			if err != nil {
				return nil, err
			}
			if t.kind == tWord && t.word.keyword("esac") {
				break
			}
			if t.kind == tOp && t.op == "(" {
				if t, err = p.next(); err != nil {
					return nil, err
				}
			}
			for t.kind == tWord || t.kind == tOp && t.op == "|" {
				if t, err = p.next(); err != nil {
					return nil, err
				}
			}
			if t.kind != tOp || t.op != ")" {
				return nil, p.lx.errorf(t.line, "expected ')' after a case pattern, found "+tokText(t))
			}
			body, err := p.listMaybeEmpty(";;", ";&", ";;&", "esac")
			if err != nil {
				return nil, err
			}
			c.body = append(c.body, body...)
			t, err = p.look()
			if err != nil {
				return nil, err
			}
			if t.kind == tOp {
				p.peek = nil
			}
		}
	case t.kind == tWord && t.word.keyword("{"):
		p.peek = nil
		c = block("group")
		if c.body, err = p.list("}"); err != nil {
			return nil, err
		}
		if _, err := p.expectWord("}"); err != nil {
			return nil, err
		}
	case t.kind == tWord && t.word.keyword("[["):
		p.peek = nil
		c = block("test")
		for {
			t, err := p.next()
			if err != nil {
				return nil, err
			}
			if t.kind == tWord && t.word.keyword("]]") {
				break
			}
			if t.kind == tNewline || t.kind == tEOF {
				return nil, p.lx.errorf(t.line, "[[ is not closed by ]]")
			}
		}
	case t.kind == tWord && t.word.keyword("function"):
		p.peek = nil
		n, err := p.next()
		if err != nil {
			return nil, err
		}
		name, lit := "", false
		if n.kind == tWord {
			name, lit = n.word.literal()
		}
		if !lit {
			return nil, p.lx.errorf(n.line, "expected a function name after function")
		}
		if err := p.parens(); err != nil {
			return nil, err
		}
		return p.funcBody(line, name)
	case t.kind == tWord:
		for _, k := range misplaced {
			if t.word.keyword(k) {
				return nil, p.lx.errorf(t.line, "unexpected "+strconv.Quote(k))
			}
		}
		return p.simple()
	default:
		return nil, p.lx.errorf(t.line, "unexpected "+tokText(t))
	}
	c.endLine = p.lx.line
	if err := p.redirections(); err != nil {
		return nil, err
	}
	return c, nil
}

// parens consumes an optional "()" after a function name.
func (p *shParser) parens() *synErr {
	t, err := p.look()
	if err != nil {
		return err
	}
	if t.kind == tOp && t.op == "(" {
		p.peek = nil
		if _, err := p.expectWord(")"); err != nil {
			return err
		}
	}
	return nil
}

func (p *shParser) funcBody(line int, name string) (shCommand, *synErr) {
	if err := p.skipNewlines(); err != nil {
		return nil, err
	}
	body, err := p.command()
	if err != nil {
		return nil, err
	}
	if _, ok := body.(*shCompound); !ok {
		return nil, p.lx.errorf(line, "the body of function "+name+" must be a block such as { …; }")
	}
	return &shCompound{kind: "function", name: name, line: line, endLine: p.lx.line, text: p.lx.lineText(line),
		body: []*shAndOr{{pipes: []*shPipeline{{line: line, cmds: []shCommand{body}}}}}}, nil
}

func (p *shParser) doDone(c *shCompound, cond []*shAndOr) *synErr {
	c.body = append(c.body, cond...)
	if _, err := p.expectWord("do"); err != nil {
		return err
	}
	body, err := p.list("done")
	if err != nil {
		return err
	}
	c.body = append(c.body, body...)
	_, err = p.expectWord("done")
	return err
}

func (p *shParser) redirections() *synErr {
	for {
		t, err := p.look()
		if err != nil {
			return err
		}
		if t.kind != tOp || !isRedirOp(t.op) {
			return nil
		}
		p.peek = nil
		if err := p.redirTarget(t); err != nil {
			return err
		}
	}
}

func (p *shParser) redirTarget(op *shToken) *synErr {
	t, err := p.next()
	if err != nil {
		return err
	}
	if t.kind != tWord {
		return p.lx.errorf(op.line, "a redirection "+strconv.Quote(op.op)+" without a target")
	}
	if o := strings.TrimLeft(op.op, "0123456789"); o == "<<" || o == "<<-" {
		delim, lit := t.word.literal() // quote removal; an expansion in a delimiter is not expanded
		if !lit {
			delim = t.word.raw
		}
		p.lx.heredocs = append(p.lx.heredocs, heredoc{delim: delim, strip: o == "<<-"})
	}
	return nil
}

func (p *shParser) simple() (shCommand, *synErr) {
	t, _ := p.look()
	c := &shSimple{line: t.line, text: p.lx.lineText(t.line)}
	for {
		t, err := p.look()
		if err != nil {
			return nil, err
		}
		switch {
		case t.kind == tWord:
			p.peek = nil
			c.words = append(c.words, t.word)
		case t.kind == tOp && isRedirOp(t.op):
			p.peek = nil
			if err := p.redirTarget(t); err != nil {
				return nil, err
			}
		case t.kind == tOp && len(c.words) > 0 && (t.op == "(" || t.op == "((") && isArrayStart(c.words[len(c.words)-1]):
			// NAME=( … ): bash reads array elements with rules of their own (even its reaction to
			// errors in them differs); the model stops here and knows nothing after it.
			e := p.lx.errorf(t.line, "an array assignment; the checker does not evaluate arrays, nor anything after one")
			e.opaque = true
			return nil, e
		case t.kind == tOp && t.op == "(" && len(c.words) == 1:
			name, lit := c.words[0].literal()
			if !lit || !isFuncName(name) {
				return nil, p.lx.errorf(t.line, "unexpected \"(\"")
			}
			if err := p.parens(); err != nil {
				return nil, err
			}
			return p.funcBody(c.line, name)
		default:
			if len(c.words) == 0 {
				return nil, p.lx.errorf(t.line, "unexpected "+tokText(t))
			}
			return c, nil
		}
	}
}

// isArrayStart: the word is NAME= (or NAME+=) with nothing after the '='.
func isArrayStart(w *shWord) bool {
	_, _, ok := assignmentOf(w)
	return ok && len(w.parts) == 1 && strings.HasSuffix(w.parts[0].text, "=")
}

func isFuncName(s string) bool {
	return s != "" && !strings.ContainsAny(s, "$`'\"\\=")
}
