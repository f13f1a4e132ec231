package manifest

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// AppendYAML appends obj, made of JSON-compatible values (map[string]any, []any, string,
// int64, int, float64, bool, nil), to b as one block-style YAML document: sorted keys, lists
// at their key's indentation, multi-line strings as literal blocks where that reads back
// exactly, other strings plain when no YAML 1.1 or 1.2 reader could take them for anything
// but a string, double-quoted otherwise. It is a fraction of the cost of going through
// encoding/json and a generic YAML encoder, which matters for post-rendering big releases
// (docs/PERFORMANCE.md, P2).
func AppendYAML(b []byte, obj map[string]any) ([]byte, error) {
	if len(obj) == 0 {
		return append(b, "{}\n"...), nil
	}
	e := encoder{b: b}
	if err := e.mapping(obj, 0, false); err != nil {
		return b, err
	}
	return e.b, nil
}

// maxSimpleKey is the longest key, as written, in the implicit "key: value" form (YAML allows
// at most 1024 characters there).
const maxSimpleKey = 1000

type encoder struct {
	b    []byte
	keys []string // reused scratch for sorting
}

func (e *encoder) indent(n int) {
	for range n {
		e.b = append(e.b, ' ')
	}
}

// mapping writes m at indent n; inline means the first key continues the current line
// (after "- ").
func (e *encoder) mapping(m map[string]any, n int, inline bool) error {
	start := len(e.keys)
	for k := range m {
		e.keys = append(e.keys, k)
	}
	keys := e.keys[start:]
	slices.Sort(keys)
	defer func() { e.keys = e.keys[:start] }()
	for i, k := range keys {
		if i > 0 || !inline {
			e.indent(n)
		}
		at := len(e.b)
		if err := e.str(k); err != nil {
			return fmt.Errorf("key %.40q: %w", k, err)
		}
		if len(e.b)-at > maxSimpleKey {
			// YAML limits implicit keys to 1024 characters; longer ones take the explicit form.
			e.b = append(e.b[:at], "? "...)
			_ = e.str(k)
			e.b = append(e.b, '\n')
			e.indent(n)
		}
		e.b = append(e.b, ':')
		v := m[k]
		switch t := v.(type) {
		case map[string]any:
			if len(t) == 0 {
				e.b = append(e.b, " {}\n"...)
				continue
			}
			e.b = append(e.b, '\n')
			if err := e.mapping(t, n+2, false); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		case []any:
			if len(t) == 0 {
				e.b = append(e.b, " []\n"...)
				continue
			}
			e.b = append(e.b, '\n')
			if err := e.sequence(t, n, false); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		default:
			e.b = append(e.b, ' ')
			if err := e.scalar(v, n+2); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
	}
	return nil
}

func (e *encoder) sequence(s []any, n int, inline bool) error {
	for i, v := range s {
		if i > 0 || !inline {
			e.indent(n)
		}
		e.b = append(e.b, "- "...)
		var err error
		switch t := v.(type) {
		case map[string]any:
			if len(t) == 0 {
				e.b = append(e.b, "{}\n"...)
				continue
			}
			err = e.mapping(t, n+2, true)
		case []any:
			if len(t) == 0 {
				e.b = append(e.b, "[]\n"...)
				continue
			}
			err = e.sequence(t, n+2, true)
		default:
			err = e.scalar(v, n+2)
		}
		if err != nil {
			return fmt.Errorf("[%d]: %w", i, err)
		}
	}
	return nil
}

// scalar writes v and a line break; a literal block's lines are indented by n.
func (e *encoder) scalar(v any, n int) error {
	switch t := v.(type) {
	case nil:
		e.b = append(e.b, "null"...)
	case bool:
		e.b = strconv.AppendBool(e.b, t)
	case int64:
		e.b = strconv.AppendInt(e.b, t, 10)
	case int:
		e.b = strconv.AppendInt(e.b, int64(t), 10)
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return fmt.Errorf("unsupported value %v", t)
		}
		if t == math.Trunc(t) && math.Abs(t) < 1e21 {
			// Integral: written as JSON would, so it reads back as this number.
			e.b = strconv.AppendFloat(e.b, t, 'f', -1, 64)
		} else {
			e.b = strconv.AppendFloat(e.b, t, 'g', -1, 64)
		}
	case string:
		if literalOK(t) {
			e.literal(t, n)
			return nil
		}
		if err := e.str(t); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unsupported value of type %T", v)
	}
	e.b = append(e.b, '\n')
	return nil
}

// str writes s plain when that is safe, double-quoted otherwise.
func (e *encoder) str(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("string is not valid UTF-8")
	}
	if plainOK(s) {
		e.b = append(e.b, s...)
		return nil
	}
	e.b = strconv.AppendQuote(e.b, s)
	return nil
}

// plainOK reports whether s can be written without quotes and read back as the same string by
// YAML 1.1 (go-yaml v2, what helm and kubectl read with) and YAML 1.2 readers alike. It is
// deliberately narrow: a letter or '/' first (numbers, dates, sexagesimals, .inf, indicators
// all start otherwise), then letters, digits and a few safe punctuation marks, no ": " or
// " #", no trailing blank or colon, and none of the words either YAML version reads as a
// boolean or null.
func plainOK(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == '/', c == '=', c == '+', c == '@', c == '%', c == '~':
		case c == ':':
			if i == len(s)-1 || s[i+1] == ' ' {
				return false
			}
		case c == ' ':
			if i == len(s)-1 || s[i+1] == '#' || s[i+1] == ' ' {
				return false
			}
		default:
			return false
		}
	}
	if len(s) <= 5 {
		switch strings.ToLower(s) {
		case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
			return false
		}
	}
	return true
}

// literalOK reports whether s reads back exactly from a literal block scalar ("|"): several
// lines of printable text without carriage returns, Unicode line separators or a byte order
// mark, no line with a trailing blank (or made only of blanks), a first line that starts with
// neither a blank nor a line break (those need an indentation indicator).
func literalOK(s string) bool {
	if !strings.Contains(s, "\n") || s[0] == ' ' || s[0] == '\t' || s[0] == '\n' {
		return false
	}
	if !utf8.ValidString(s) {
		return false
	}
	prev := rune(0)
	for _, r := range s {
		switch {
		case r == '\n':
			if prev == ' ' || prev == '\t' {
				return false
			}
		case r == '\t':
		case r < 0x20, r == 0x7f, r == 0x85, r == 0x2028, r == 0x2029, r == 0xfeff, r >= 0x80 && r < 0xa0:
			return false
		case r >= 0xd800 && r < 0xe000, r == 0xfffe, r == 0xffff:
			return false
		}
		prev = r
	}
	return prev != ' ' && prev != '\t'
}

// literal writes s as a literal block whose lines are indented by n, with the chomping
// indicator that keeps its trailing line breaks exactly.
func (e *encoder) literal(s string, n int) {
	body := strings.TrimRight(s, "\n")
	switch trailing := len(s) - len(body); {
	case trailing == 0:
		e.b = append(e.b, "|-\n"...)
	case trailing == 1:
		e.b = append(e.b, "|\n"...)
	default:
		e.b = append(e.b, "|+\n"...)
	}
	for line := range strings.SplitSeq(body, "\n") {
		if line != "" {
			e.indent(n)
			e.b = append(e.b, line...)
		}
		e.b = append(e.b, '\n')
	}
	for range len(s) - len(body) - 1 {
		e.b = append(e.b, '\n')
	}
}
