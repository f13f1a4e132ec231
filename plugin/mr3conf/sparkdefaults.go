package mr3conf

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SparkDefaults is spark-defaults.conf: Java properties as Spark reads them
// (java.util.Properties.load, then values trimmed). Comments, blank lines and the original
// text of unchanged entries are kept, so rendering a parsed file gives it back unchanged.
type SparkDefaults struct {
	// File names the file in messages, e.g. "spark-defaults.conf".
	File  string
	lines []propLine
	index map[string]int // key → position in lines
}

type propLine struct {
	raw   string // original text, continuation lines included, without the final newline
	key   string // "" for comments and blank lines
	value string
	line  int // 1-based first line
	dirty bool
}

// Entry is one key/value of spark-defaults.conf.
type Entry struct {
	Key, Value string
	Line       int
}

// NewSparkDefaults returns an empty file named file.
func NewSparkDefaults(file string) *SparkDefaults {
	return &SparkDefaults{File: file, index: map[string]int{}}
}

// Get returns the (trimmed, as Spark trims it) value of key and whether it is set.
func (p *SparkDefaults) Get(key string) (string, bool) {
	if i, ok := p.index[key]; ok {
		return p.lines[i].value, true
	}
	return "", false
}

// Entry returns key's entry, with its line.
func (p *SparkDefaults) Entry(key string) (Entry, bool) {
	if i, ok := p.index[key]; ok {
		l := p.lines[i]
		return Entry{Key: l.key, Value: l.value, Line: l.line}, true
	}
	return Entry{}, false
}

// Entries returns the entries in file order.
func (p *SparkDefaults) Entries() []Entry {
	out := make([]Entry, 0, len(p.index))
	for _, l := range p.lines {
		if l.key != "" {
			out = append(out, Entry{Key: l.key, Value: l.value, Line: l.line})
		}
	}
	return out
}

// Set sets key to value, in place when it exists, else at the end.
func (p *SparkDefaults) Set(key, value string) {
	if i, ok := p.index[key]; ok {
		p.lines[i].value, p.lines[i].dirty = value, true
		return
	}
	p.index[key] = len(p.lines)
	p.lines = append(p.lines, propLine{key: key, value: value, dirty: true})
}

// Delete removes key; it reports whether it was set.
func (p *SparkDefaults) Delete(key string) bool {
	i, ok := p.index[key]
	if !ok {
		return false
	}
	p.lines = append(p.lines[:i], p.lines[i+1:]...)
	delete(p.index, key)
	for j := i; j < len(p.lines); j++ {
		if p.lines[j].key != "" {
			p.index[p.lines[j].key] = j
		}
	}
	return true
}

// ParseSparkDefaults parses spark-defaults.conf. Keys end at the first unescaped '=', ':' or
// blank; "\" continues a line; "#" and "!" start comments; \t \n \r \f \uXXXX escapes are
// decoded. Input must be UTF-8 (Spark reads the file as UTF-8). A key set twice is an error:
// Spark would silently keep the last one.
func ParseSparkDefaults(file string, data []byte) (*SparkDefaults, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: %w: %d bytes, the limit is %d (a ConfigMap holds at most 1 MiB)", file, ErrTooLarge, len(data), MaxFileBytes)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%s: not valid UTF-8; save the file as UTF-8", file)
	}
	p := NewSparkDefaults(file)
	// Java ends lines at \n, \r or \r\n.
	text := strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r", "\n")
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return p, nil
	}
	phys := strings.Split(text, "\n")
	for i := 0; i < len(phys); i++ {
		start := i
		first := strings.TrimLeft(phys[i], " \t\f")
		if first == "" || first[0] == '#' || first[0] == '!' {
			p.lines = append(p.lines, propLine{raw: phys[i], line: start + 1})
			continue
		}
		// Join continuation lines: an odd number of trailing backslashes continues.
		logical := first
		for endsWithContinuation(logical) && i+1 < len(phys) {
			i++
			logical = logical[:len(logical)-1] + strings.TrimLeft(phys[i], " \t\f")
		}
		if endsWithContinuation(logical) { // continuation at end of file: Java drops the "\"
			logical = logical[:len(logical)-1]
		}
		key, value, err := splitProperty(logical)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", file, start+1, err)
		}
		if j, dup := p.index[key]; dup {
			prev := p.lines[j]
			return nil, fmt.Errorf("%s line %d: %s is set twice (line %d: %q, line %d: %q); keep one of them", file, start+1, key, prev.line, prev.value, start+1, value)
		}
		p.index[key] = len(p.lines)
		p.lines = append(p.lines, propLine{raw: strings.Join(phys[start:i+1], "\n"), key: key, value: value, line: start + 1})
	}
	return p, nil
}

func endsWithContinuation(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitProperty splits a logical line (leading blanks removed) into its unescaped key and
// trimmed value.
func splitProperty(s string) (string, string, error) {
	end := len(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' {
			i++
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			end = i
			break
		}
	}
	rawKey := s[:end]
	rest := strings.TrimLeft(s[end:], " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	key, err := unescapeProperty(rawKey)
	if err != nil {
		return "", "", fmt.Errorf("key %q: %w", rawKey, err)
	}
	if key == "" {
		return "", "", fmt.Errorf("entry %q has an empty key; write it as \"key value\"", s)
	}
	value, err := unescapeProperty(rest)
	if err != nil {
		return "", "", fmt.Errorf("value of %s: %w", key, err)
	}
	return key, strings.TrimSpace(value), nil
}

func unescapeProperty(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			break
		}
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", fmt.Errorf(`malformed \uXXXX escape at %q; write four hex digits`, s[i-1:])
			}
			r, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", fmt.Errorf(`malformed \uXXXX escape %q; write four hex digits`, s[i-1:i+5])
			}
			b.WriteRune(rune(r))
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

// Render writes the file back. Unchanged entries, comments and blank lines keep their text;
// entries set in code are written as "key value" with Java escapes where needed.
func (p *SparkDefaults) Render() []byte {
	var b bytes.Buffer
	for _, l := range p.lines {
		if l.key == "" || !l.dirty {
			b.WriteString(l.raw)
		} else {
			b.WriteString(escapeProperty(l.key, true))
			b.WriteByte(' ')
			b.WriteString(escapeProperty(l.value, false))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func escapeProperty(s string, key bool) string {
	var b strings.Builder
	for i, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\f':
			b.WriteString(`\f`)
		case '=', ':':
			if key || i == 0 { // a leading one in a value would read as the separator
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		case ' ':
			if key || i == 0 {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		case '#', '!':
			if key && i == 0 {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
