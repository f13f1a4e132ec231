package mr3conf

import (
	"fmt"
	"strings"
)

// EnvAssignment is one top-level NAME=value line of env.sh.
type EnvAssignment struct {
	Name, Value string
	Line        int
}

// ParseEnvSh reads the plain top-level assignments of env.sh ("NAME=value" or
// "export NAME=value", value unquoted, '…' or "…"). It does not run the shell: expansions such
// as ${X:-y} are returned as written, and lines that are not simple assignments (if blocks,
// function calls) are skipped. Later assignments win, as in the shell.
func ParseEnvSh(data []byte) (map[string]EnvAssignment, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("env.sh: %w: %d bytes, the limit is %d", ErrTooLarge, len(data), MaxFileBytes)
	}
	out := map[string]EnvAssignment{}
	for i, line := range strings.Split(string(data), "\n") {
		s := strings.TrimSpace(line)
		if s == "" || s[0] == '#' {
			continue
		}
		s = strings.TrimSpace(strings.TrimPrefix(s, "export "))
		name, value, ok := strings.Cut(s, "=")
		if !ok || !isShellName(name) {
			continue
		}
		out[name] = EnvAssignment{Name: name, Value: shellWord(value), Line: i + 1}
	}
	return out, nil
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

// shellWord returns the first word of an assignment's value with its quotes removed and a
// trailing comment dropped.
func shellWord(v string) string {
	v = strings.TrimRight(v, " \t\r")
	if v == "" {
		return ""
	}
	switch v[0] {
	case '"', '\'':
		if end := strings.IndexByte(v[1:], v[0]); end >= 0 {
			return v[1 : end+1]
		}
		return v[1:]
	}
	if i := strings.IndexAny(v, " \t;"); i >= 0 {
		v = v[:i]
	}
	return v
}
