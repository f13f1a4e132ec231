package manifest

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// fastParse reads a document written the way helm's templates and toYaml write them — block
// mappings and sequences, plain, quoted and literal-block scalars, comments, "{}" and "[]" —
// straight into JSON-compatible values, about four times faster than go-yaml. It is kept only
// because P2 misses without it: with the library reader alone a post-render in process took
// 1.4–1.7× helm's render at 100–500 drivers (docs/PERFORMANCE.md, "P2: the YAML reader").
// It gives exactly what libraryParse (sigs.k8s.io/yaml's YAMLToJSON, then the API machinery's
// JSON reader: what helm reads) gives, or ok=false whenever the document has anything else
// (anchors, tags, flow collections, folded or multi-line scalars, tabs outside block scalars,
// unusual keys, any doubt about a scalar's type), and then the caller uses libraryParse.
// FuzzFastParse holds the two to the same result.
func fastParse(raw []byte) (map[string]any, bool) {
	if !utf8.Valid(raw) || bytes.Contains(raw, []byte("\r")) ||
		bytes.Contains(raw, []byte("\u0085")) || bytes.Contains(raw, []byte("\u2028")) ||
		bytes.Contains(raw, []byte("\u2029")) || bytes.Contains(raw, []byte("\ufeff")) {
		return nil, false
	}
	for i := 0; i < len(raw); {
		c := raw[i]
		if c < 0x80 {
			if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
				return nil, false
			}
			i++
			continue
		}
		// go-yaml refuses what YAML calls non-printable: C1 controls, U+FFFE, U+FFFF.
		r, n := utf8.DecodeRune(raw[i:])
		if r < 0xa0 || r == 0xfffe || r == 0xffff {
			return nil, false
		}
		i += n
	}
	p := fastParser{src: string(raw)}
	p.split()
	p.skip()
	if p.i >= len(p.lines) || p.lines[p.i].indent != 0 {
		return nil, false
	}
	m, ok := p.mapping(0)
	if !ok {
		return nil, false
	}
	p.skip()
	if p.i != len(p.lines) {
		return nil, false
	}
	return m, true
}

type fastLine struct {
	indent int    // leading spaces
	text   string // the line after them, without the line break
	raw    string // the whole line, for block scalars
}

type fastParser struct {
	src   string
	lines []fastLine
	i     int
}

func (p *fastParser) split() {
	s := p.src
	p.lines = make([]fastLine, 0, strings.Count(s, "\n")+1)
	for len(s) > 0 {
		line := s
		if j := strings.IndexByte(s, '\n'); j >= 0 {
			line, s = s[:j], s[j+1:]
		} else {
			s = ""
		}
		n := 0
		for n < len(line) && line[n] == ' ' {
			n++
		}
		p.lines = append(p.lines, fastLine{indent: n, text: line[n:], raw: line})
	}
}

// skip moves past blank and comment-only lines.
func (p *fastParser) skip() {
	for p.i < len(p.lines) {
		t := p.lines[p.i].text
		if t != "" && t[0] != '#' {
			return
		}
		p.i++
	}
}

// next returns the next significant line, if any.
func (p *fastParser) next() (*fastLine, bool) {
	p.skip()
	if p.i >= len(p.lines) {
		return nil, false
	}
	return &p.lines[p.i], true
}

func isItem(t string) bool { return t == "-" || strings.HasPrefix(t, "- ") }

// mapping reads the block mapping whose keys are at column n, starting at the current line.
func (p *fastParser) mapping(n int) (map[string]any, bool) {
	m := map[string]any{}
	for {
		l, ok := p.next()
		if !ok || l.indent < n || (l.indent == n && isItem(l.text)) {
			return m, true
		}
		if l.indent > n {
			return nil, false
		}
		key, rest, ok := splitKey(l.text)
		if !ok {
			return nil, false
		}
		if _, dup := m[key]; dup {
			return nil, false
		}
		p.i++
		v, ok := p.value(rest, n, true)
		if !ok {
			return nil, false
		}
		m[key] = v
	}
}

// sequence reads the block sequence whose "- " are at column n.
func (p *fastParser) sequence(n int) ([]any, bool) {
	var s []any
	for {
		l, ok := p.next()
		if !ok || l.indent < n || (l.indent == n && !isItem(l.text)) {
			if s == nil {
				s = []any{}
			}
			return s, true
		}
		if l.indent > n {
			return nil, false
		}
		rest := strings.TrimLeft(l.text[1:], " ")
		col := n + len(l.text) - len(rest)
		if rest != "" && rest[0] != '#' {
			if isItem(rest) {
				return nil, false // "- - x"
			}
			if _, _, isKey := splitKey(rest); isKey {
				// "- key: value": a mapping whose keys are at the column of "key".
				l.indent, l.text = col, rest
				v, ok := p.mapping(col)
				if !ok {
					return nil, false
				}
				s = append(s, v)
				continue
			}
		}
		p.i++
		v, ok := p.value(rest, n, false)
		if !ok {
			return nil, false
		}
		s = append(s, v)
	}
}

// value reads what follows "key:" or "- " (rest, the current line already consumed) for a
// node whose parent is at column n.
func (p *fastParser) value(rest string, n int, inMap bool) (any, bool) {
	if rest == "" || rest[0] == '#' {
		l, ok := p.next()
		switch {
		case !ok || l.indent < n:
			return nil, true
		case isItem(l.text) && (l.indent > n || (inMap && l.indent == n)):
			return p.sequence(l.indent)
		case l.indent > n:
			return p.mapping(l.indent)
		case l.indent == n:
			return nil, true
		}
		return nil, false
	}
	var v any
	switch rest[0] {
	case '|':
		return p.literal(rest, n)
	case '"':
		s, after, ok := doubleQuoted(rest)
		if !ok || !onlyComment(after) {
			return nil, false
		}
		v = s
	case '\'':
		s, after, ok := singleQuoted(rest)
		if !ok || !onlyComment(after) {
			return nil, false
		}
		v = s
	case '{':
		if len(rest) < 2 || rest[:2] != "{}" || !onlyComment(rest[2:]) {
			return nil, false
		}
		v = map[string]any{}
	case '[':
		l, after, ok := flowSequence(rest)
		if !ok || !onlyComment(after) {
			return nil, false
		}
		v = l
	default:
		s := plainValue(rest)
		if s == "" {
			return nil, false
		}
		var ok bool
		if v, ok = resolvePlain(s); !ok {
			return nil, false
		}
	}
	// A more indented line after a scalar would continue it (or be an error).
	if l, ok := p.next(); ok && l.indent > n {
		return nil, false
	}
	return v, true
}

// onlyComment reports whether s is blanks, optionally followed by a comment.
func onlyComment(s string) bool {
	t := strings.TrimLeft(s, " ")
	return t == "" || (t[0] == '#' && len(t) < len(s))
}

// splitKey splits "key: rest" or "key:"; isKey is false when the line is not a simple key.
func splitKey(t string) (key, rest string, isKey bool) {
	switch t[0] {
	case '"':
		k, after, ok := doubleQuoted(t)
		if !ok || len(t)-len(after) > 1000 {
			return "", "", false
		}
		return quotedKeyRest(k, after)
	case '\'':
		k, after, ok := singleQuoted(t)
		if !ok || len(t)-len(after) > 1000 {
			return "", "", false
		}
		return quotedKeyRest(k, after)
	}
	i := strings.Index(t, ": ")
	if i < 0 {
		if !strings.HasSuffix(t, ":") {
			return "", "", false
		}
		i = len(t) - 1
	}
	k := t[:i]
	if len(k) > 1000 || !plainKeyOK(k) { // YAML takes at most 1024 characters as an implicit key
		return "", "", false
	}
	return k, strings.TrimLeft(t[i+1:], " "), true
}

func quotedKeyRest(k, after string) (string, string, bool) {

	if after == ":" {
		return k, "", true
	}
	if strings.HasPrefix(after, ": ") {
		return k, strings.TrimLeft(after[1:], " "), true
	}
	return "", "", false
}

// plainKeyOK: a plain key go-yaml reads as this very string: a letter or '/' first, then
// letters, digits and "-_./" (what Kubernetes keys are made of), not a YAML 1.1 boolean or
// null word.
func plainKeyOK(k string) bool {
	if k == "" {
		return false
	}
	c := k[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/') {
		return false
	}
	if !keyChars(k) {
		return false
	}
	_, special := yaml11Words[k]
	return !special
}

// yaml11Words are the plain scalars go-yaml v2 reads as booleans or null.
var yaml11Words = map[string]any{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"true": true, "True": true, "TRUE": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
	"false": false, "False": false, "FALSE": false,
	"null": nil, "Null": nil, "NULL": nil, "~": nil,
}

// plainValue returns the plain scalar at the start of s (up to a comment, blanks trimmed), or
// "" when it is not one this parser takes.
func plainValue(s string) string {
	switch s[0] {
	case '-', '?', ':':
		if len(s) == 1 || s[1] == ' ' {
			return ""
		}
	case ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return ""
	}
	if i := strings.Index(s, " #"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimRight(s, " ")
	if strings.Contains(s, ": ") || strings.HasSuffix(s, ":") || strings.IndexByte(s, '\t') >= 0 {
		return ""
	}
	return s
}

// resolvePlain gives a plain scalar's value as libraryParse makes it.
func resolvePlain(s string) (any, bool) {
	if v, ok := yaml11Words[s]; ok {
		return v, true
	}
	c := s[0]
	switch {
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/':
		return s, true
	case c >= '0' && c <= '9':
		if isDecimal(s) {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && (s == "0" || s[0] != '0') {
				return n, true
			}
		}
		if notANumber(s) {
			return s, true
		}
	}
	// Anything else (floats, signs, leading zeros, dots, dates): the library decides.
	v, err := libraryParse([]byte("k: " + s))
	if err != nil {
		return nil, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	jv, ok := m["k"]
	return jv, ok
}

func isDecimal(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// notANumber: a scalar starting with a digit that no YAML 1.1 rule can read as a number or a
// date: a letter no number, date or time has ("512Mi", "10m"), or three or more dot-separated
// digit groups ("3.5.2", "10.1.90.9").
func notANumber(s string) bool {
	if strings.ContainsAny(s, ": ") {
		return false
	}
	if strings.ContainsAny(s, "ghijklmnpqrsuvwyGHIJKLMNPQRSUVWY") {
		return true
	}
	groups := 1
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '.':
			if i == 0 || s[i-1] == '.' || i == len(s)-1 {
				return false
			}
			groups++
		case s[i] < '0' || s[i] > '9':
			return false
		}
	}
	return groups >= 3
}

// flowSequence reads a one-line flow sequence of scalars ("[]", `["", "apps"]`, "[a, b]") at
// the start of s.
func flowSequence(s string) (l []any, after string, ok bool) {
	l = []any{}
	i := 1
	for {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) {
			return nil, "", false
		}
		if s[i] == ']' && len(l) == 0 {
			return l, s[i+1:], true
		}
		var v any
		switch s[i] {
		case '"', '\'':
			var str, rest string
			if s[i] == '"' {
				str, rest, ok = doubleQuoted(s[i:])
			} else {
				str, rest, ok = singleQuoted(s[i:])
			}
			if !ok {
				return nil, "", false
			}
			v, i = str, len(s)-len(rest)
		default:
			j := strings.IndexAny(s[i:], ",]")
			if j < 0 {
				return nil, "", false
			}
			plain := strings.TrimRight(s[i:i+j], " ")
			if !flowPlainOK(plain) {
				return nil, "", false
			}
			if v, ok = resolvePlain(plain); !ok {
				return nil, "", false
			}
			i += j
		}
		l = append(l, v)
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) {
			return nil, "", false
		}
		switch s[i] {
		case ']':
			return l, s[i+1:], true
		case ',':
			i++
			for i < len(s) && s[i] == ' ' {
				i++
			}
			if i >= len(s) || s[i] == ']' || s[i] == ',' {
				return nil, "", false // "[a, ]", "[a,,b]"
			}
		default:
			return nil, "", false
		}
	}
}

// flowPlainOK: a plain scalar inside a flow sequence made only of letters, digits and "-_./",
// not starting with "-" or ".": flow context has more indicators than block context.
func flowPlainOK(s string) bool {
	return s != "" && s[0] != '-' && s[0] != '.' && keyChars(s)
}

// keyChars reports whether s is made only of letters, digits and "-_./", the characters of
// Kubernetes names and label keys.
func keyChars(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '/':
		default:
			return false
		}
	}
	return true
}

// literal reads a literal block scalar ("|", "|-", "|+") whose parent is at column n.
func (p *fastParser) literal(header string, n int) (any, bool) {
	chomp := byte(0)
	rest := header[1:]
	if rest != "" && (rest[0] == '-' || rest[0] == '+') {
		chomp, rest = rest[0], rest[1:]
	}
	if !onlyComment(rest) {
		return nil, false // indentation indicators and the like
	}
	// The block's indentation is that of its first non-empty line; empty lines before it
	// must not be longer.
	start, indent, maxEmpty := p.i, -1, 0
	for j := p.i; j < len(p.lines); j++ {
		l := p.lines[j]
		if l.text == "" {
			maxEmpty = max(maxEmpty, len(l.raw))
			continue
		}
		indent = l.indent
		break
	}
	if indent <= n || maxEmpty > indent {
		return nil, false // empty block or odd leading lines: go-yaml decides
	}
	var content []string
	trailing := 0 // empty lines at the end of content
	j := start
	for ; j < len(p.lines); j++ {
		l := p.lines[j]
		if strings.HasPrefix(l.text, "\t") {
			return nil, false // tabs in the indentation: go-yaml decides
		}
		if l.text == "" && len(l.raw) <= indent {
			content = append(content, "")
			trailing++
			continue
		}
		if l.indent < indent {
			break
		}
		content = append(content, l.raw[indent:])
		trailing = 0
	}
	s := strings.Join(content[:len(content)-trailing], "\n")
	switch chomp {
	case '-':
	case '+':
		s += strings.Repeat("\n", trailing+1)
	default:
		s += "\n"
	}
	if j == len(p.lines) && !strings.HasSuffix(p.src, "\n") {
		return nil, false // the last line has no line break: go-yaml decides
	}
	p.i = j
	if l, ok := p.next(); ok && l.indent > n {
		return nil, false
	}
	return s, true
}

// doubleQuoted reads a one-line double-quoted scalar at the start of s.
func doubleQuoted(s string) (val, after string, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			return b.String(), s[i+1:], true
		case '\\':
			i++
			if i >= len(s) {
				return "", "", false
			}
			switch e := s[i]; e {
			case '0':
				b.WriteByte(0)
			case 'a':
				b.WriteByte('\a')
			case 'b':
				b.WriteByte('\b')
			case 't', '\t':
				b.WriteByte('\t')
			case 'n':
				b.WriteByte('\n')
			case 'v':
				b.WriteByte('\v')
			case 'f':
				b.WriteByte('\f')
			case 'r':
				b.WriteByte('\r')
			case 'e':
				b.WriteByte(0x1b)
			case ' ', '"', '\\':
				b.WriteByte(e)
			case 'N':
				b.WriteRune('\u0085')
			case '_':
				b.WriteRune('\u00a0')
			case 'L':
				b.WriteRune('\u2028')
			case 'P':
				b.WriteRune('\u2029')
			case 'x', 'u', 'U':
				w := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
				if i+w >= len(s) {
					return "", "", false
				}
				r, err := strconv.ParseUint(s[i+1:i+1+w], 16, 32)
				if err != nil || !utf8.ValidRune(rune(r)) {
					return "", "", false
				}
				b.WriteRune(rune(r))
				i += w
			default:
				return "", "", false
			}
		case '\t':
			return "", "", false
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false // not closed on this line
}

// singleQuoted reads a one-line single-quoted scalar at the start of s.
func singleQuoted(s string) (val, after string, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'':
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String(), s[i+1:], true
		case '\t':
			return "", "", false
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}
