package mr3conf

import (
	"strings"
	"testing"
)

const sampleSite = `<?xml version="1.0"?>
<configuration>
  <property>
    <name>mr3.k8s.host.aliases</name>
    <value>gold0=10.1.90.9</value>
  </property>
  <!-- a comment -->
  <property>
    <name> mr3.dag.recovery.enabled </name>
    <value>false</value>
    <final>true</final>
    <description>explicit: MR3 defaults to true</description>
  </property>
  <property>
    <name>mr3.empty</name>
  </property>
</configuration>
`

func TestParseSite(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		order   []string
		wantErr string
	}{
		{name: "sample", in: sampleSite,
			want:  map[string]string{"mr3.k8s.host.aliases": "gold0=10.1.90.9", "mr3.dag.recovery.enabled": "false", "mr3.empty": ""},
			order: []string{"mr3.k8s.host.aliases", "mr3.dag.recovery.enabled", "mr3.empty"}},
		{name: "escapes and CDATA", in: `<configuration><property><name>a</name><value>x&amp;y&lt;<![CDATA[<z>]]></value></property></configuration>`,
			want: map[string]string{"a": "x&y<<z>"}, order: []string{"a"}},
		{name: "other elements skipped", in: `<configuration><include><x/></include><property><name>a</name><value>1</value></property></configuration>`,
			want: map[string]string{"a": "1"}, order: []string{"a"}},
		{name: "empty configuration", in: `<configuration/>`, want: map[string]string{}},
		{name: "duplicate names both lines", in: "<configuration>\n<property><name>a</name><value>1</value></property>\n<property><name>a</name><value>2</value></property>\n</configuration>",
			wantErr: `mr3-site.xml line 3: a is set twice (line 2: "1", line 3: "2"); keep one of them`},
		{name: "missing name", in: "<configuration>\n<property><value>1</value></property></configuration>",
			wantErr: "mr3-site.xml line 2: <property> without a <name>"},
		{name: "wrong root", in: `<conf></conf>`, wantErr: "root element is <conf>, want <configuration>"},
		{name: "no root", in: ``, wantErr: "no <configuration> element"},
		{name: "two roots", in: `<configuration/><configuration/>`, wantErr: "a second <configuration> element"},
		{name: "text outside", in: `hello<configuration/>`, wantErr: "text outside <configuration>"},
		{name: "unclosed property", in: `<configuration><property>`, wantErr: "mr3-site.xml line 1: invalid <property>"},
		{name: "unclosed root", in: `<configuration>`, wantErr: "mr3-site.xml: invalid XML"},
		{name: "unknown entity", in: `<configuration><property><name>a</name><value>&bomb;</value></property></configuration>`, wantErr: "invalid"},
		{name: "too large", in: strings.Repeat(" ", MaxFileBytes+1), wantErr: "input too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSite("mr3-site.xml", []byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSite() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.want {
				if got, ok := s.Get(k); !ok || got != v {
					t.Errorf("Get(%q) = %q, %v; want %q", k, got, ok, v)
				}
			}
			var order []string
			for _, p := range s.Properties() {
				order = append(order, p.Name)
			}
			if strings.Join(order, ",") != strings.Join(tt.order, ",") {
				t.Errorf("order = %v, want %v", order, tt.order)
			}
		})
	}
}

func TestSiteEditAndRender(t *testing.T) {
	s, err := ParseSite("mr3-site.xml", []byte(sampleSite))
	if err != nil {
		t.Fatal(err)
	}
	s.Set("mr3.k8s.host.aliases", "a=1.2.3.4")
	s.Set("mr3.new", "x<y")
	if !s.Delete("mr3.empty") || s.Delete("mr3.empty") {
		t.Fatal("Delete() result wrong")
	}
	want := `<?xml version="1.0"?>
<configuration>

  <property>
    <name>mr3.k8s.host.aliases</name>
    <value>a=1.2.3.4</value>
  </property>

  <property>
    <name>mr3.dag.recovery.enabled</name>
    <value>false</value>
    <final>true</final>
    <description>explicit: MR3 defaults to true</description>
  </property>

  <property>
    <name>mr3.new</name>
    <value>x&lt;y</value>
  </property>

</configuration>
`
	got := string(s.Render())
	if got != want {
		t.Errorf("Render() =\n%s\nwant\n%s", got, want)
	}
	again, err := ParseSite("mr3-site.xml", []byte(got))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := again.Get("mr3.new"); v != "x<y" {
		t.Errorf("round trip value = %q", v)
	}
	if p, _ := again.Property("mr3.dag.recovery.enabled"); !p.Final {
		t.Error("final lost in round trip")
	}
}

const sampleDefaults = `# Spark defaults
spark.shuffle.service.enabled   true
spark.shuffle.service.port=7337
  spark.local.dir : /data1/k8s,/data2/k8s
! bang comment
spark.executor.extraJavaOptions -Da=b \
    -Dc=d
spark.key\ with\ space value
spark.unicode \u0041BC
spark.trailing   value with spaces   
spark.empty
`

func TestParseSparkDefaults(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		lines   map[string]int
		wantErr string
	}{
		{name: "sample", in: sampleDefaults,
			want: map[string]string{
				"spark.shuffle.service.enabled":   "true",
				"spark.shuffle.service.port":      "7337",
				"spark.local.dir":                 "/data1/k8s,/data2/k8s",
				"spark.executor.extraJavaOptions": "-Da=b -Dc=d",
				"spark.key with space":            "value",
				"spark.unicode":                   "ABC",
				"spark.trailing":                  "value with spaces",
				"spark.empty":                     "",
			},
			lines: map[string]int{"spark.local.dir": 4, "spark.key with space": 8}},
		{name: "CRLF", in: "a=1\r\nb 2\r\n", want: map[string]string{"a": "1", "b": "2"}},
		{name: "continuation at end of file", in: "a 1\\", want: map[string]string{"a": "1"}},
		{name: "escaped backslash is not a continuation", in: "a x\\\\\nb 2\n", want: map[string]string{"a": `x\`, "b": "2"}},
		{name: "empty", in: "", want: map[string]string{}},
		{name: "duplicate key", in: "a 1\n# c\na 2\n", wantErr: `spark-defaults.conf line 3: a is set twice (line 1: "1", line 3: "2"); keep one of them`},
		{name: "empty key", in: "=value\n", wantErr: "spark-defaults.conf line 1: entry \"=value\" has an empty key"},
		{name: "bad unicode escape", in: "a \\u12\n", wantErr: `line 1: value of a: malformed \uXXXX escape`},
		{name: "bad unicode digits", in: "a \\uZZZZ\n", wantErr: `malformed \uXXXX escape "\\uZZZZ"`},
		{name: "not utf8", in: "a \xff\n", wantErr: "not valid UTF-8"},
		{name: "too large", in: strings.Repeat("#", MaxFileBytes+1), wantErr: "input too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseSparkDefaults("spark-defaults.conf", []byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSparkDefaults() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Entries()) != len(tt.want) {
				t.Errorf("%d entries, want %d: %+v", len(p.Entries()), len(tt.want), p.Entries())
			}
			for k, v := range tt.want {
				if got, ok := p.Get(k); !ok || got != v {
					t.Errorf("Get(%q) = %q, %v; want %q", k, got, ok, v)
				}
			}
			for k, l := range tt.lines {
				if e, _ := p.Entry(k); e.Line != l {
					t.Errorf("Entry(%q).Line = %d, want %d", k, e.Line, l)
				}
			}
		})
	}
}

func TestSparkDefaultsRender(t *testing.T) {
	p, err := ParseSparkDefaults("spark-defaults.conf", []byte(sampleDefaults))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(p.Render()); got != sampleDefaults {
		t.Errorf("unchanged Render() =\n%q\nwant\n%q", got, sampleDefaults)
	}
	p.Set("spark.shuffle.service.port", "7447")
	p.Set("new key", " lead")
	p.Delete("spark.empty")
	got := string(p.Render())
	if !strings.Contains(got, "\nspark.shuffle.service.port 7447\n") || !strings.HasSuffix(got, "new\\ key \\ lead\n") || strings.Contains(got, "spark.empty") {
		t.Errorf("edited Render() =\n%s", got)
	}
	again, err := ParseSparkDefaults("spark-defaults.conf", []byte(got))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := again.Get("new key"); v != "lead" { // Spark trims values
		t.Errorf("round trip of new key = %q", v)
	}
	if v, _ := again.Get("spark.shuffle.service.port"); v != "7447" {
		t.Errorf("round trip of port = %q", v)
	}
}

func TestParseHostAliases(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "", want: ""},
		{in: "  ", want: ""},
		{in: "gold0=10.1.90.9", want: "gold0=10.1.90.9"},
		{in: " gold0 = 10.1.90.9 , nn.example.com=10.0.0.1,v6=fd00::1", want: "gold0=10.1.90.9,nn.example.com=10.0.0.1,v6=fd00::1"},
		{in: "a=1.1.1.1,a=1.1.1.1", want: "a=1.1.1.1"},
		{in: "gold0=", wantErr: `entry 1 "gold0=" has no IP address after '='; write it as gold0=<ip>`},
		{in: "a=1.1.1.1,=10.0.0.1", wantErr: `entry 2 "=10.0.0.1" has no host before '='`},
		{in: "a=1.1.1.1,gold0", wantErr: `entry 2 "gold0" has no '='`},
		{in: "a=1.1.1.1,,b=2.2.2.2", wantErr: "entry 2 is empty"},
		{in: "a=1.1.1.1,", wantErr: "entry 2 is empty"},
		{in: "a=300.1.1.1", wantErr: `entry 1 "a=300.1.1.1": "300.1.1.1" is not an IP address`},
		{in: "a=fe80::1%eth0", wantErr: "is not an IP address"},
		{in: "a=1.1.1.1=2", wantErr: "has more than one '='"},
		{in: "Gold0=1.1.1.1", wantErr: `host "Gold0" is not a valid hostname`},
		{in: "a=1.1.1.1,b=2.2.2.2,a=3.3.3.3", wantErr: `entry 3 "a=3.3.3.3": host a is already mapped to 1.1.1.1 by entry 1; keep one IP per host`},
		{in: strings.Repeat("a", MaxListBytes+1), wantErr: "input too large"},
	}
	for _, tt := range tests {
		t.Run(tt.in[:min(len(tt.in), 40)], func(t *testing.T) {
			got, err := ParseHostAliases(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseHostAliases(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := FormatHostAliases(got); s != tt.want {
				t.Errorf("ParseHostAliases(%q) = %q, want %q", tt.in, s, tt.want)
			}
		})
	}
}

func TestParseLabels(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]string
		wantErr string
	}{
		{in: "", want: map[string]string{}},
		{in: "sparkmr3_app=mr3", want: map[string]string{"sparkmr3_app": "mr3"}},
		{in: "a=1, example.com/b = x ,c=", want: map[string]string{"a": "1", "example.com/b": "x", "c": ""}},
		{in: "a=1,a=2", wantErr: `entry 2 "a=2": label a is set twice`},
		{in: "a", wantErr: `entry 1 "a" has no '='`},
		{in: "=x", wantErr: "has no key"},
		{in: "a=1,", wantErr: "entry 2 is empty"},
		{in: "a b=1", wantErr: "is not a valid label key"},
		{in: "a=" + strings.Repeat("x", 64), wantErr: "is not a valid label value"},
	}
	for _, tt := range tests {
		t.Run(tt.in[:min(len(tt.in), 30)], func(t *testing.T) {
			got, err := ParseLabels(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseLabels(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m := LabelMap(got)
			if len(m) != len(tt.want) {
				t.Errorf("ParseLabels(%q) = %v, want %v", tt.in, m, tt.want)
			}
			for k, v := range tt.want {
				if m[k] != v {
					t.Errorf("ParseLabels(%q)[%s] = %q, want %q", tt.in, k, m[k], v)
				}
			}
		})
	}
}

func TestParseBool(t *testing.T) {
	tests := []struct {
		in      string
		want    bool
		wantErr bool
	}{
		{"true", true, false}, {" TRUE ", true, false}, {"False", false, false},
		{"yes", false, true}, {"1", false, true}, {"", false, true},
	}
	for _, tt := range tests {
		got, err := ParseBool(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseBool(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		bits    int
		wantErr bool
	}{
		{"7337", 7337, 32, false}, {" 0 ", 0, 32, false}, {"-1", -1, 32, false}, {"+5", 5, 32, false},
		{"0x1F", 31, 32, false}, {"2147483647", 2147483647, 32, false}, {"-2147483648", -2147483648, 32, false},
		{"2147483648", 0, 32, true}, {"-2147483649", 0, 32, true}, {"1_000", 0, 32, true},
		{"", 0, 32, true}, {"0x", 0, 32, true}, {"--1", 0, 32, true}, {"1.5", 0, 32, true}, {"1e3", 0, 32, true},
		{"9223372036854775807", 9223372036854775807, 64, false}, {"-9223372036854775808", -9223372036854775808, 64, false},
		{"9223372036854775808", 0, 64, true},
	}
	for _, tt := range tests {
		var got int64
		var err error
		if tt.bits == 32 {
			var n int32
			n, err = ParseInt(tt.in)
			got = int64(n)
		} else {
			got, err = ParseLong(tt.in)
		}
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parse %d-bit %q = %v, %v", tt.bits, tt.in, got, err)
		}
	}
}

func TestSplitList(t *testing.T) {
	if got := SplitList(" /a, ,/b ,"); strings.Join(got, "|") != "/a|/b" {
		t.Errorf("SplitList() = %q", got)
	}
}
