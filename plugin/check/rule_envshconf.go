package check

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

// EnvShConf: the -D options MR3's scripts build from env.sh override mr3-site.xml (and, for
// hive.*, hive-site.xml), an empty value included, so each key they pass must have the value
// the file says, or live in one place only. Checked for every driver (env.sh sees its Pod's
// env), and against mr3-site-outside.xml for drivers outside Kubernetes. env.sh's own syntax
// errors, values the checker cannot evaluate, and values that break the driver's JVM options
// are reported too.
func EnvShConf(r *Release) []Violation {
	if r.Env == nil || r.Scripts == nil || r.Conf == nil {
		return nil
	}
	c := r.Conf
	var out []Violation
	for _, p := range r.Scripts.EnvSh.Problems {
		if p.Stops {
			out = append(out, violation(RuleEnvShConf, r.Env.Object, contract.FileEnvSh,
				fmt.Sprintf("%s line %d (%s, Secret %s): %s", contract.FileEnvSh, p.Line, p.Text, r.Env.Name, p.Reason),
				fmt.Sprintf("fix env.sh: envSh.extraLines in the values, or the overlay that edits Secret %s", r.Env.Name)))
		}
	}
	// Drivers that share an evaluation share its findings; a finding of several evaluations
	// is reported once, naming where it holds unless that is everywhere.
	var groups []*Scripts
	drivers := map[*Scripts][]string{}
	for _, d := range r.Drivers {
		if d.Scripts == nil {
			continue
		}
		if _, ok := drivers[d.Scripts]; !ok {
			groups = append(groups, d.Scripts)
		}
		drivers[d.Scripts] = append(drivers[d.Scripts], d.Name)
	}
	type merged struct {
		f       finding
		drivers []string
		outside bool
	}
	var order []string
	all := map[string]*merged{}
	note := func(fs []finding, names []string, outside bool) {
		once := map[string]bool{}
		for _, f := range fs {
			k := f.key + "\x00" + f.message
			if once[k] {
				continue
			}
			once[k] = true
			m, ok := all[k]
			if !ok {
				m = &merged{f: f}
				all[k] = m
				order = append(order, k)
			}
			m.drivers = append(m.drivers, names...)
			m.outside = m.outside || outside
		}
	}
	for _, s := range groups {
		note(slices.Concat(scriptFindings(r, s, c.SiteFile), scriptFindings(r, s, c.HiveFile), optionProblems(s)), drivers[s], false)
	}
	if r.OutsideScripts != nil && c.OutsideFile != nil {
		note(slices.Concat(scriptFindings(r, r.OutsideScripts, c.OutsideFile), optionProblems(r.OutsideScripts)), nil, true)
	}
	for _, k := range order {
		m := all[k]
		w := ""
		switch every := len(m.drivers) == len(r.Drivers); {
		case len(m.drivers) == 0 && m.outside:
			w = " (drivers outside Kubernetes)"
		case every && m.outside:
			w = " (every driver, and outside Kubernetes)"
		case every:
		case m.outside:
			w = " (drivers " + strings.Join(m.drivers, ", ") + ", and outside Kubernetes)"
		default:
			w = " (drivers " + strings.Join(m.drivers, ", ") + ")"
		}
		out = append(out, violation(RuleEnvShConf, r.Env.Object, m.f.key, strings.ReplaceAll(m.f.message, whereMark, w), m.f.fix))
	}
	return out
}

// whereMark stands for the drivers a finding holds for, in a finding's message.
const whereMark = "\x00where\x00"

// finding is one disagreement of one evaluation; its message holds whereMark.
type finding struct{ key, message, fix string }

// scriptFindings compares one evaluation's -D options with one conf file.
func scriptFindings(r *Release, s *Scripts, site *mr3conf.Site) []finding {
	const where = whereMark
	if site == nil {
		return nil
	}
	prefix, user := mr3conf.PrefixMR3, "MR3"
	if site.File == contract.FileHiveSite {
		prefix, user = mr3conf.PrefixHive, "Spark's Hive client"
	}
	confName := r.Conf.Name
	var out []finding
	for _, d := range mr3conf.Disagreements(site, s.Options, prefix) {
		o, p := d.Option, d.Property
		key := siteKey(site.File, o.Key)
		if o.Unknown != "" {
			out = append(out, finding{key,
				fmt.Sprintf("the checker cannot tell what -D%s MR3's scripts pass%s: %s; %s (ConfigMap %s) says %s, and %s uses the option's value",
					o.Key, where, o.Unknown, site.File, confName, show(p.Value), user),
				"write the variable literally in env.sh (NAME='value', as the chart does), without command substitutions or conditions"})
			continue
		}
		opt := "-D" + o.Key + "=" + o.Value
		uses := show(o.Value)
		if o.Value == "" {
			opt += " (an empty value)"
			uses = "the empty value"
		}
		var assigned, missing []string
		for _, v := range o.From {
			switch v.Source {
			case mr3conf.FromEnvSh:
				assigned = append(assigned, fmt.Sprintf("%s line %d: %s=%s", contract.FileEnvSh, v.Line, v.Name, mr3conf.ShellQuote(v.Value)))
			case mr3conf.FromEnvironment:
				assigned = append(assigned, fmt.Sprintf("%s=%s from the container's env (%s does not assign it)", v.Name, mr3conf.ShellQuote(v.Value), contract.FileEnvSh))
			case mr3conf.FromUnsetInEnvSh:
				missing = append(missing, fmt.Sprintf("%s line %d unsets %s", contract.FileEnvSh, v.Line, v.Name))
			default:
				missing = append(missing, fmt.Sprintf("%s does not assign %s", contract.FileEnvSh, v.Name))
			}
		}
		var cause string
		switch {
		case len(o.From) == 0:
			cause = fmt.Sprintf("MR3's scripts always pass %s", opt)
		case len(assigned) == 0:
			cause = strings.Join(missing, " and ") + ", so MR3's scripts pass " + opt
		default:
			verb := "makes"
			if len(assigned)+len(missing) > 1 {
				verb = "make"
			}
			cause = strings.Join(append(assigned, missing...), " and ") + " " + verb + " MR3's scripts pass " + opt
		}
		out = append(out, finding{key,
			fmt.Sprintf("%s%s, but %s (ConfigMap %s) says %s; %s uses %s", cause, where, site.File, confName, show(p.Value), user, uses),
			envShFix(o, site.File, missing)})
	}
	return out
}

// optionProblems are the JVM options of one evaluation that break the driver.
func optionProblems(s *Scripts) []finding {
	const where = whereMark
	var out []finding
	for _, p := range s.Options.Problems {
		var names []string
		for _, v := range p.Vars {
			if v.Line > 0 {
				names = append(names, fmt.Sprintf("%s (%s line %d)", v.Name, contract.FileEnvSh, v.Line))
			} else {
				names = append(names, v.Name)
			}
		}
		msg := p.Message + where
		if len(names) > 0 {
			msg += "; it comes from " + strings.Join(names, ", ")
		}
		out = append(out, finding{contract.FileEnvSh, msg,
			"give these variables values without blanks, quotes or backslashes: MR3's scripts paste them into one string that spark-submit splits into JVM arguments"})
	}
	return out
}

func envShFix(o mr3conf.DOption, file string, missing []string) string {
	const both = "if envSh.extraLines or an overlay changed env.sh or the ConfigMap, change both or neither"
	switch {
	case o.Key == "hive.metastore.uris":
		return "set hiveSite.metastoreUris to one thrift://HOST:PORT: the chart writes SPARK_METASTORE_HOST and SPARK_METASTORE_PORT and hive-site.xml from it; " + both
	case o.Key == "hive.metastore.warehouse.dir":
		return "set the warehouse directory once in the values: the chart writes SPARK_METASTORE_WAREHOUSE and hive-site.xml from it; " + both
	case o.Key == KeyWorkerPVCMounts:
		return fmt.Sprintf("leave %s out of %s (or empty): MR3's mr3-setup.sh sets it empty whenever WORK_DIR_PERSISTENT_VOLUME_CLAIM is set, so workers never mount the work-dir claim", o.Key, file)
	case len(o.From) == 0:
		return fmt.Sprintf("remove %s from %s: MR3's scripts always set it (mr3.master.mode from --kubernetes, --localthread or --localprocess)", o.Key, file)
	case len(missing) > 0:
		var names []string
		for _, v := range o.From {
			if v.Source == mr3conf.FromUnset || v.Source == mr3conf.FromUnsetInEnvSh {
				names = append(names, v.Name)
			}
		}
		return fmt.Sprintf("assign %s in env.sh to the value %s has: the chart's env.sh assigns every variable MR3's scripts read (docs/DESIGN.md), so an overlay or envSh.extraLines removed or unset it", strings.Join(names, " and "), file)
	}
	return fmt.Sprintf("set the value once through the chart values, which render env.sh and %s alike; %s", file, both)
}

// show writes a configuration value for a message: as is, or quoted when empty or unusual.
func show(v string) string {
	if v == "" || strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(v)
	}
	return v
}
