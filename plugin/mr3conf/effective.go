package mr3conf

import "strings"

// Prefixes of the -D options each configuration reads: MR3 copies every -Dmr3.* system property
// into its MR3Conf over mr3-site.xml; Hive's HiveConf does the same with hive.* over hive-site.xml.
const (
	PrefixMR3  = "mr3."
	PrefixHive = "hive."
)

// Clone returns a copy of the file that can be changed without changing s.
func (s *Site) Clone() *Site {
	c := &Site{File: s.File, properties: make([]Property, len(s.properties)), index: make(map[string]int, len(s.index))}
	copy(c.properties, s.properties)
	for k, v := range s.index {
		c.index[k] = v
	}
	return c
}

// Effective is the configuration MR3 and Hive use in a driver: the conf files with the driver
// script's -D options laid over them.
type Effective struct {
	// MR3Site is mr3-site.xml (or mr3-site-outside.xml) with the -Dmr3.* options.
	MR3Site *Site
	// HiveSite is hive-site.xml with the -Dhive.* options (nil when there is no hive-site.xml).
	HiveSite *Site
	Options  *JavaOptions
}

// EffectiveConf lays the options over mr3Site (required) and hiveSite (may be nil).
func EffectiveConf(mr3Site, hiveSite *Site, opts *JavaOptions) Effective {
	e := Effective{MR3Site: Overlay(mr3Site, opts, PrefixMR3), Options: opts}
	if hiveSite != nil {
		e.HiveSite = Overlay(hiveSite, opts, PrefixHive)
	}
	return e
}

// Overlay returns a copy of site in which each -D option whose key starts with prefix replaces
// the file's value or is added at the end, as the JVM's last option for the key says: a -D
// option wins, an empty value included. The replaced or added properties carry the option in
// Override. Options whose value is Unknown leave the file's value (callers report them, e.g.
// through Disagreements).
func Overlay(site *Site, opts *JavaOptions, prefix string) *Site {
	out := site.Clone()
	if opts == nil {
		return out
	}
	for _, o := range opts.Effective() {
		if !strings.HasPrefix(o.Key, prefix) || o.Unknown != "" {
			continue
		}
		o := o
		out.Set(o.Key, o.Value)
		i := out.index[o.Key]
		out.properties[i].Override = &o
	}
	return out
}

// Disagreement is a key that a -D option and the conf file both set to different values (or a
// -D option whose value is unknown for a key the file sets).
type Disagreement struct {
	Option DOption
	// Property is the file's property of the same key.
	Property Property
	File     string
}

// Disagreements lists, in option order, each key with prefix that the options (the JVM's last
// option for the key) and site both set, where the values are not the same (SameValue) or the
// option's value is unknown. A key that lives in one place only is fine.
func Disagreements(site *Site, opts *JavaOptions, prefix string) []Disagreement {
	if site == nil || opts == nil {
		return nil
	}
	var out []Disagreement
	for _, o := range opts.Effective() {
		if !strings.HasPrefix(o.Key, prefix) {
			continue
		}
		p, ok := site.Property(o.Key)
		if !ok || o.Unknown == "" && SameValue(o.Value, p.Value) {
			continue
		}
		out = append(out, Disagreement{Option: o, Property: p, File: site.File})
	}
	return out
}

// SameValue reports whether two configuration values read the same: equal after trimming
// blanks, or booleans equal ignoring case, or integers equal in Hadoop's syntax (0x… included).
func SameValue(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if a == b {
		return true
	}
	if x, err := ParseBool(a); err == nil {
		y, err := ParseBool(b)
		return err == nil && x == y
	}
	if x, err := ParseLong(a); err == nil {
		y, err := ParseLong(b)
		return err == nil && x == y
	}
	return false
}
