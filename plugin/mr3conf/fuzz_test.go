package mr3conf

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzParseSite: no crash; whatever parses renders to a file that parses to the same
// properties.
func FuzzParseSite(f *testing.F) {
	f.Add([]byte(sampleSite))
	f.Add([]byte(`<configuration><property><name>a</name><value>x&amp;y<![CDATA[<z>]]></value></property></configuration>`))
	f.Add([]byte("<configuration>\n<property><name>a</name><value>1</value></property>\n<property><name>a</name><value>2</value></property>\n</configuration>"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := ParseSite("f.xml", in)
		if err != nil {
			return
		}
		again, err := ParseSite("f.xml", s.Render())
		if err != nil {
			t.Fatalf("rendered file does not parse: %v\n%s", err, s.Render())
		}
		a, b := s.Properties(), again.Properties()
		if len(a) != len(b) {
			t.Fatalf("round trip: %d properties, then %d", len(a), len(b))
		}
		for i := range a {
			if a[i].Name != b[i].Name || a[i].Value != b[i].Value || a[i].Final != b[i].Final {
				t.Fatalf("round trip changed property %d: %+v → %+v", i, a[i], b[i])
			}
		}
	})
}

// FuzzParseSparkDefaults: no crash; unchanged files render byte for byte (modulo CRLF and the
// final newline); entries set in code survive a render/parse round trip.
func FuzzParseSparkDefaults(f *testing.F) {
	f.Add([]byte(sampleDefaults))
	f.Add([]byte("a=1\r\nb 2\\\r\n  c\n"))
	f.Add([]byte("\\u0041\\=b:c\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := ParseSparkDefaults("f.conf", in)
		if err != nil {
			return
		}
		q, err := ParseSparkDefaults("f.conf", p.Render())
		if err != nil {
			t.Fatalf("rendered file does not parse: %v\n%q", err, p.Render())
		}
		for _, e := range p.Entries() {
			if v, ok := q.Get(e.Key); !ok || v != e.Value {
				t.Fatalf("round trip of %q: %q → %q (%v)", e.Key, e.Value, v, ok)
			}
			q.Set(e.Key, e.Value+" x")
		}
		r, err := ParseSparkDefaults("f.conf", q.Render())
		if err != nil {
			t.Fatalf("edited file does not parse: %v\n%q", err, q.Render())
		}
		for _, e := range p.Entries() {
			want := e.Value + " x"
			if e.Value == "" {
				want = "x"
			}
			if v, _ := r.Get(e.Key); v != want {
				t.Fatalf("edited %q: want %q, got %q\n%q", e.Key, want, v, q.Render())
			}
		}
	})
}

// FuzzParseHostAliases: no crash; accepted aliases are valid and format/parse round trips.
func FuzzParseHostAliases(f *testing.F) {
	for _, s := range []string{"gold0=10.1.90.9", " a = 1.1.1.1 ,b=fd00::1", "a=", "=1.1.1.1", "a=1.1.1.1,a=2.2.2.2", "a=1.1.1.1,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseHostAliases(in)
		if err != nil {
			return
		}
		seen := map[string]netip.Addr{}
		for _, a := range got {
			if a.Host == "" || !a.IP.IsValid() {
				t.Fatalf("accepted invalid alias %+v from %q", a, in)
			}
			if _, dup := seen[a.Host]; dup {
				t.Fatalf("host %s twice in result of %q", a.Host, in)
			}
			seen[a.Host] = a.IP
		}
		again, err := ParseHostAliases(FormatHostAliases(got))
		if err != nil || len(again) != len(got) {
			t.Fatalf("round trip of %q: %v, %d vs %d", in, err, len(again), len(got))
		}
		for i := range got {
			if got[i] != again[i] {
				t.Fatalf("round trip of %q changed %+v → %+v", in, got[i], again[i])
			}
		}
	})
}

// FuzzSourceEnvSh: no crash or hang; every value the model says it knows survives a render in
// the chart's format (NAME='v', quotes as '\”) and a second evaluation; the driver's -D options
// can be built from whatever was read.
func FuzzSourceEnvSh(f *testing.F) {
	for _, c := range envCases {
		f.Add(c.in)
	}
	f.Add(contractEnvSh)
	f.Add("A=\"${B:-'x'}\"\ncase $x in (a|b) A=1;; esac\nfunction g { :; }\ng\n")
	f.Add("cat <<-'E'\n\tA=1\n\tE\nfor ((i=0;i<2;i++)); do :; done\n")
	f.Fuzz(func(t *testing.T, in string) {
		e, err := SourceEnvSh([]byte(in), Env{Values: map[string]string{"HOME": "/h"}})
		if err != nil {
			return
		}
		lines := strings.Count(in, "\n") + 1
		for _, p := range e.Problems {
			if p.Line < 1 || p.Line > lines {
				t.Fatalf("problem on line %d of %d: %+v", p.Line, lines, p)
			}
		}
		var b strings.Builder
		var known []EnvVar
		for _, v := range e.Assigned() {
			if v.Unknown == "" && v.Set() && isShellName(v.Name) {
				known = append(known, v)
				b.WriteString(v.Name + "=" + ShellQuote(v.Value) + "\n")
			}
		}
		again, err := SourceEnvSh([]byte(b.String()), Env{})
		if err != nil || len(again.Problems) > 0 {
			t.Fatalf("rendered env.sh: %v %v\n%s", err, again.Problems, b.String())
		}
		for _, v := range known {
			if got := again.Get(v.Name); got.Value != v.Value || got.Unknown != "" {
				t.Fatalf("%s: %q became %+v", v.Name, v.Value, got)
			}
		}
		e.JavaOptions(ScriptRun{FileExists: func(p string) (bool, bool) { return len(p)%2 == 0, len(p)%3 != 0 }, DriverJavaOptions: in})
	})
}
