package mr3conf

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// MaxListBytes bounds the comma-separated values parsed here (host aliases, labels, lists).
const MaxListBytes = 64 << 10

// HostAlias is one host=ip entry of mr3.k8s.host.aliases.
type HostAlias struct {
	Host string
	IP   netip.Addr
}

// ParseHostAliases parses mr3.k8s.host.aliases: "host=ip,host2=ip2". Blanks around entries,
// hosts and IPs are ignored; an empty value means no aliases. Hosts must be valid Kubernetes
// hostAliases hostnames (DNS-1123 subdomains, lower case) because MR3 copies them into every
// ContainerWorker Pod, and the API server rejects anything else. A host listed twice with the
// same IP is accepted once; with different IPs it is an error.
func ParseHostAliases(value string) ([]HostAlias, error) {
	if len(value) > MaxListBytes {
		return nil, fmt.Errorf("%w: host aliases are %d bytes, the limit is %d", ErrTooLarge, len(value), MaxListBytes)
	}
	if strings.TrimSpace(value) == "" {
		return nil, nil
	}
	var out []HostAlias
	seen := map[string]int{}
	for i, raw := range strings.Split(value, ",") {
		entry := strings.TrimSpace(raw)
		n := i + 1
		if entry == "" {
			return nil, fmt.Errorf("entry %d is empty (a doubled or trailing comma); write host=ip,host2=ip2", n)
		}
		host, ip, ok := strings.Cut(entry, "=")
		host, ip = strings.TrimSpace(host), strings.TrimSpace(ip)
		switch {
		case !ok:
			return nil, fmt.Errorf("entry %d %q has no '='; write it as host=ip", n, entry)
		case host == "":
			return nil, fmt.Errorf("entry %d %q has no host before '='; write it as host=ip", n, entry)
		case ip == "":
			return nil, fmt.Errorf("entry %d %q has no IP address after '='; write it as %s=<ip>", n, entry, host)
		case strings.Contains(ip, "="):
			return nil, fmt.Errorf("entry %d %q has more than one '='; separate entries with ','", n, entry)
		}
		addr, err := netip.ParseAddr(ip)
		if err != nil || addr.Zone() != "" {
			return nil, fmt.Errorf("entry %d %q: %q is not an IP address; host aliases map a host to an IPv4 or IPv6 address", n, entry, ip)
		}
		if errs := validation.IsDNS1123Subdomain(host); len(errs) > 0 {
			return nil, fmt.Errorf("entry %d %q: host %q is not a valid hostname (%s); use a lower-case DNS name", n, entry, host, strings.Join(errs, "; "))
		}
		if j, dup := seen[host]; dup {
			if out[j].IP != addr {
				return nil, fmt.Errorf("entry %d %q: host %s is already mapped to %s by entry %d; keep one IP per host", n, entry, host, out[j].IP, j+1)
			}
			continue
		}
		seen[host] = len(out)
		out = append(out, HostAlias{Host: host, IP: addr})
	}
	return out, nil
}

// FormatHostAliases renders aliases as mr3.k8s.host.aliases.
func FormatHostAliases(aliases []HostAlias) string {
	parts := make([]string, len(aliases))
	for i, a := range aliases {
		parts[i] = a.Host + "=" + a.IP.String()
	}
	return strings.Join(parts, ",")
}

// Label is one key=value of a label list.
type Label struct{ Key, Value string }

// ParseLabels parses a Kubernetes label list "k=v,k2=v2" as used by
// mr3.k8s.master.pod.additional.labels. Keys and values must be valid Kubernetes label keys
// and values; a key may appear once.
func ParseLabels(value string) ([]Label, error) {
	if len(value) > MaxListBytes {
		return nil, fmt.Errorf("%w: labels are %d bytes, the limit is %d", ErrTooLarge, len(value), MaxListBytes)
	}
	if strings.TrimSpace(value) == "" {
		return nil, nil
	}
	var out []Label
	seen := map[string]bool{}
	for i, raw := range strings.Split(value, ",") {
		entry := strings.TrimSpace(raw)
		n := i + 1
		k, v, ok := strings.Cut(entry, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case entry == "":
			return nil, fmt.Errorf("entry %d is empty (a doubled or trailing comma); write key=value,key2=value2", n)
		case !ok:
			return nil, fmt.Errorf("entry %d %q has no '='; write it as key=value", n, entry)
		case k == "":
			return nil, fmt.Errorf("entry %d %q has no key before '='", n, entry)
		}
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return nil, fmt.Errorf("entry %d %q: %q is not a valid label key (%s)", n, entry, k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			return nil, fmt.Errorf("entry %d %q: %q is not a valid label value (%s)", n, entry, v, strings.Join(errs, "; "))
		}
		if seen[k] {
			return nil, fmt.Errorf("entry %d %q: label %s is set twice; keep one", n, entry, k)
		}
		seen[k] = true
		out = append(out, Label{Key: k, Value: v})
	}
	return out, nil
}

// LabelMap returns labels as a map.
func LabelMap(labels []Label) map[string]string {
	m := make(map[string]string, len(labels))
	for _, l := range labels {
		m[l.Key] = l.Value
	}
	return m
}

// ParseBool parses a boolean the way Hadoop's Configuration.getBoolean and Spark do: "true"
// or "false", any case, blanks ignored. Hadoop silently uses the default for anything else
// ("yes", "1"); that hides typos, so here it is an error.
func ParseBool(value string) (bool, error) {
	switch v := strings.TrimSpace(value); {
	case strings.EqualFold(v, "true"):
		return true, nil
	case strings.EqualFold(v, "false"):
		return false, nil
	default:
		return false, fmt.Errorf("%q is not a boolean; write true or false", value)
	}
}

// ParseInt parses a 32-bit integer the way Hadoop's Configuration.getInt does: blanks
// ignored, optional sign, decimal or 0x-prefixed hexadecimal.
func ParseInt(value string) (int32, error) {
	n, err := parseHadoopInt(value, 32)
	return int32(n), err
}

// ParseLong parses a 64-bit integer the way Hadoop's Configuration.getLong does.
func ParseLong(value string) (int64, error) {
	return parseHadoopInt(value, 64)
}

func parseHadoopInt(value string, bits int) (int64, error) {
	v := strings.TrimSpace(value)
	neg := false
	body := v
	if strings.HasPrefix(body, "-") {
		neg, body = true, body[1:]
	} else if strings.HasPrefix(body, "+") {
		body = body[1:]
	}
	base := 10
	if strings.HasPrefix(body, "0x") || strings.HasPrefix(body, "0X") {
		base, body = 16, body[2:]
	}
	if body == "" || strings.ContainsAny(body, "+-_") {
		return 0, fmt.Errorf("%q is not an integer; write digits, e.g. 7337", value)
	}
	u, err := strconv.ParseUint(body, base, bits)
	if errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("%q is out of range for a %d-bit integer", value, bits)
	}
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer; write digits, e.g. 7337", value)
	}
	limit := uint64(1) << (bits - 1)
	if neg {
		if u > limit {
			return 0, fmt.Errorf("%q is out of range for a %d-bit integer", value, bits)
		}
		return -int64(u), nil
	}
	if u >= limit {
		return 0, fmt.Errorf("%q is out of range for a %d-bit integer", value, bits)
	}
	return int64(u), nil
}

// SplitList splits a comma-separated list (spark.local.dir, mr3.k8s.pod.worker.hostpaths),
// trimming blanks and dropping empty items.
func SplitList(value string) []string {
	var out []string
	for _, s := range strings.Split(value, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
