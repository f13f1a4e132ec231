package chart_test

import (
	"encoding/xml"
	"fmt"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// release is a rendering parsed into typed objects.
type release struct {
	all          []map[string]any
	configMaps   map[string]corev1.ConfigMap
	secrets      map[string]corev1.Secret
	services     map[string]corev1.Service
	statefulSets []appsv1.StatefulSet
	roles        []rbacv1.Role
	clusterRoles []rbacv1.ClusterRole
	pods         []corev1.Pod
	pvcs         []corev1.PersistentVolumeClaim
	pvs          []corev1.PersistentVolume
}

func parseRelease(t *testing.T, text string) release {
	t.Helper()
	r := release{configMaps: map[string]corev1.ConfigMap{}, secrets: map[string]corev1.Secret{}, services: map[string]corev1.Service{}}
	for _, doc := range strings.Split(text, "\n---\n") {
		var head struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("parse document: %v\n%s", err, doc)
		}
		if head.Kind == "" {
			continue
		}
		var generic map[string]any
		must(t, yaml.Unmarshal([]byte(doc), &generic))
		r.all = append(r.all, generic)
		switch head.Kind {
		case "ConfigMap":
			var o corev1.ConfigMap
			must(t, yaml.UnmarshalStrict([]byte(doc), &o))
			r.configMaps[o.Name] = o
		case "Secret":
			var o corev1.Secret
			must(t, yaml.UnmarshalStrict([]byte(doc), &o))
			r.secrets[o.Name] = o
		case "Service":
			var o corev1.Service
			must(t, yaml.UnmarshalStrict([]byte(doc), &o))
			r.services[o.Name] = o
		case "StatefulSet":
			var o appsv1.StatefulSet
			must(t, yaml.UnmarshalStrict([]byte(doc), &o))
			r.statefulSets = append(r.statefulSets, o)
		case "Role":
			var o rbacv1.Role
			must(t, yaml.UnmarshalStrict([]byte(doc), &o))
			r.roles = append(r.roles, o)
		case "ClusterRole":
			var o rbacv1.ClusterRole
			must(t, yaml.UnmarshalStrict([]byte(doc), &o))
			r.clusterRoles = append(r.clusterRoles, o)
		case "Pod":
			var o corev1.Pod
			must(t, yaml.UnmarshalStrict([]byte(doc), &o))
			r.pods = append(r.pods, o)
		case "PersistentVolumeClaim":
			var o corev1.PersistentVolumeClaim
			must(t, yaml.UnmarshalStrict([]byte(doc), &o))
			r.pvcs = append(r.pvcs, o)
		case "PersistentVolume":
			var o corev1.PersistentVolume
			must(t, yaml.UnmarshalStrict([]byte(doc), &o))
			r.pvs = append(r.pvs, o)
		}
	}
	return r
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// xmlProps parses a Hadoop-style configuration file.
func xmlProps(t *testing.T, text string) map[string]string {
	t.Helper()
	var c struct {
		Props []struct {
			Name  string `xml:"name"`
			Value string `xml:"value"`
		} `xml:"property"`
	}
	if err := xml.Unmarshal([]byte(text), &c); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, text)
	}
	m := map[string]string{}
	for _, p := range c.Props {
		if _, dup := m[p.Name]; dup {
			t.Errorf("property %s appears twice", p.Name)
		}
		m[p.Name] = p.Value
	}
	return m
}

// confProps reads spark-defaults.conf as Spark does (java.util.Properties.load), for the lines
// the chart writes (no continuation lines): a backslash escapes the next character, an
// unescaped '=', ':' or blank ends the key, blanks around the separator are skipped.
func confProps(t *testing.T, text string) map[string]string {
	t.Helper()
	blank := func(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }
	unescape := func(c byte) byte {
		switch c {
		case 't':
			return '\t'
		case 'n':
			return '\n'
		case 'r':
			return '\r'
		case 'f':
			return '\f'
		}
		return c
	}
	m := map[string]string{}
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimLeft(l, " \t\f")
		if l == "" || l[0] == '#' || l[0] == '!' {
			continue
		}
		if n := len(l) - len(strings.TrimRight(l, `\`)); n%2 == 1 {
			t.Errorf("spark-defaults.conf line %q ends in a backslash: Java joins it with the next line", l)
		}
		var key, val strings.Builder
		i := 0
		for ; i < len(l); i++ {
			c := l[i]
			if c == '\\' && i+1 < len(l) {
				i++
				key.WriteByte(unescape(l[i]))
				continue
			}
			if c == '=' || c == ':' || blank(c) {
				break
			}
			key.WriteByte(c)
		}
		if i == len(l) {
			t.Errorf("spark-defaults.conf line %q is not key=value", l)
		}
		for i < len(l) && blank(l[i]) {
			i++
		}
		if i < len(l) && (l[i] == '=' || l[i] == ':') {
			i++
		}
		for i < len(l) && blank(l[i]) {
			i++
		}
		for ; i < len(l); i++ {
			c := l[i]
			if c == '\\' && i+1 < len(l) {
				i++
				c = unescape(l[i])
			}
			val.WriteByte(c)
		}
		m[key.String()] = val.String()
	}
	return m
}

// splitPairs parses "a=1,b=2".
func splitPairs(s string) map[string]string {
	m := map[string]string{}
	for _, p := range strings.Split(s, ",") {
		if k, v, ok := strings.Cut(p, "="); ok {
			m[k] = v
		}
	}
	return m
}

var components = map[string]bool{"driver": true, "master": true, "worker": true, "conf": true, "token": true, "am-service": true, "workdir": true, "rbac": true, "test": true}

// TestContract checks, for every ci scenario, the cross-object rules of docs/DESIGN.md and
// the MR3 cross-file rules the plugin's checker enforces on rendered releases.
func TestContract(t *testing.T) {
	for _, name := range allScenarios() {
		t.Run(name, func(t *testing.T) {
			r := parseRelease(t, mustRender(t, scenarioValues(t, name), pinnedToken))
			checkContract(t, r)
		})
	}
}

func checkContract(t *testing.T, r release) {
	// Standard labels on every object.
	for _, o := range r.all {
		md := o["metadata"].(map[string]any)
		labels, _ := md["labels"].(map[string]any)
		for _, k := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by", "app.kubernetes.io/part-of", "app.kubernetes.io/version", "helm.sh/chart"} {
			if labels[k] == nil {
				t.Errorf("%s %s lacks label %s", o["kind"], md["name"], k)
			}
		}
		if labels["app.kubernetes.io/name"] != "spark-mr3" || labels["app.kubernetes.io/instance"] != releaseName {
			t.Errorf("%s %s: name/instance labels %v", o["kind"], md["name"], labels)
		}
		if c, _ := labels["app.kubernetes.io/component"].(string); !components[c] {
			t.Errorf("%s %s: component label %q not one of DESIGN.md's", o["kind"], md["name"], c)
		}
	}

	conf, ok := r.configMaps["demo-conf"]
	if !ok {
		t.Fatal("no ConfigMap demo-conf")
	}
	mr3 := xmlProps(t, conf.Data["mr3-site.xml"])
	spark := confProps(t, conf.Data["spark-defaults.conf"])
	xmlProps(t, conf.Data["core-site.xml"])

	// mr3.dag.recovery.enabled is always explicit (MR3 defaults it to true).
	rec, ok := mr3["mr3.dag.recovery.enabled"]
	if !ok || (rec != "true" && rec != "false") {
		t.Errorf("mr3.dag.recovery.enabled = %q (present %v), want explicit true/false", rec, ok)
	}
	if rec == "true" {
		claim, dir, _ := strings.Cut(mr3["mr3.k8s.master.persistentvolumeclaim.mounts"], "=")
		if claim == "" || dir != mr3["mr3.am.staging-dir"] {
			t.Errorf("recovery on: master PVC mount %q does not cover mr3.am.staging-dir %q", mr3["mr3.k8s.master.persistentvolumeclaim.mounts"], mr3["mr3.am.staging-dir"])
		}
	}
	if mr3["mr3.k8s.pod.worker.security.context.sysctls"] != "" {
		t.Errorf("worker sysctls %q: a privileged init container would break PodSecurity", mr3["mr3.k8s.pod.worker.security.context.sysctls"])
	}

	// Shuffle: service on <=> daemon handlers 0; ports equal; spark.mr3.* copies equal.
	switch spark["spark.shuffle.service.enabled"] {
	case "true":
		if mr3["mr3.use.daemon.shufflehandler"] != "0" {
			t.Errorf("external shuffle service with mr3.use.daemon.shufflehandler=%s", mr3["mr3.use.daemon.shufflehandler"])
		}
	case "false":
		if mr3["mr3.use.daemon.shufflehandler"] == "0" {
			t.Error("built-in shuffle with mr3.use.daemon.shufflehandler=0")
		}
	default:
		t.Errorf("spark.shuffle.service.enabled = %q", spark["spark.shuffle.service.enabled"])
	}
	if spark["spark.shuffle.service.port"] != mr3["mr3.k8s.shuffle.process.ports"] {
		t.Errorf("spark.shuffle.service.port %s != mr3.k8s.shuffle.process.ports %s", spark["spark.shuffle.service.port"], mr3["mr3.k8s.shuffle.process.ports"])
	}
	for k, v := range spark {
		if twin, ok := strings.CutPrefix(k, "spark."); ok && strings.HasPrefix(twin, "mr3.") {
			if mv, ok := mr3[twin]; ok && mv != v {
				t.Errorf("%s=%s but %s=%s", k, v, twin, mv)
			}
		}
	}

	// AM Service: selector = master pod labels; port 9862 -> 8080.
	am, ok := r.services[releaseName+"-mr3"]
	if !ok {
		t.Fatalf("no Service %s-mr3", releaseName)
	}
	if got, want := fmt.Sprint(am.Spec.Selector), fmt.Sprint(splitPairs(mr3["mr3.k8s.master.pod.additional.labels"])); got != want {
		t.Errorf("mr3 Service selector %s != mr3.k8s.master.pod.additional.labels %s", got, want)
	}
	if len(am.Spec.Ports) != 1 || am.Spec.Ports[0].Port != 9862 || am.Spec.Ports[0].TargetPort.IntValue() != 8080 {
		t.Errorf("mr3 Service ports %+v", am.Spec.Ports)
	}

	// Inside flavor leaves the client keys unset; outside flavor sets them to match the Service.
	outsideOnly := []string{"mr3.k8s.api.server.url", "mr3.k8s.client.config.file", "mr3.k8s.service.account.use.token.ca.cert.path", "mr3.k8s.am.service.host", "mr3.k8s.am.service.port"}
	for _, k := range outsideOnly {
		if _, ok := mr3[k]; ok {
			t.Errorf("mr3-site.xml (inside flavor) sets %s", k)
		}
	}
	if text, ok := conf.Data["mr3-site-outside.xml"]; ok {
		out := xmlProps(t, text)
		for _, k := range outsideOnly {
			if out[k] == "" {
				t.Errorf("mr3-site-outside.xml lacks %s", k)
			}
		}
		if out["mr3.k8s.service.account.use.token.ca.cert.path"] != "false" {
			t.Error("outside flavor must set mr3.k8s.service.account.use.token.ca.cert.path=false")
		}
		host := out["mr3.k8s.am.service.host"]
		okHost := am.Spec.LoadBalancerIP == host || am.Spec.Type == corev1.ServiceTypeNodePort
		for _, ip := range am.Spec.ExternalIPs {
			okHost = okHost || ip == host
		}
		if !okHost {
			t.Errorf("mr3.k8s.am.service.host %s is not an address of Service mr3 (externalIPs %v)", host, am.Spec.ExternalIPs)
		}
		if out["mr3.k8s.am.service.port"] != fmt.Sprint(am.Spec.Ports[0].Port) && out["mr3.k8s.am.service.port"] != fmt.Sprint(am.Spec.Ports[0].NodePort) {
			t.Errorf("mr3.k8s.am.service.port %s does not match Service mr3 %+v", out["mr3.k8s.am.service.port"], am.Spec.Ports[0])
		}
		for k, v := range mr3 {
			if out[k] != v {
				t.Errorf("outside flavor differs from inside on shared key %s: %q vs %q", k, out[k], v)
			}
		}
	}

	// No RBAC wildcards.
	for _, role := range r.roles {
		checkRules(t, "Role "+role.Name, role.Rules)
	}
	for _, role := range r.clusterRoles {
		checkRules(t, "ClusterRole "+role.Name, role.Rules)
	}

	// Drivers.
	aliases := splitPairs(mr3["mr3.k8s.host.aliases"])
	localDirs := strings.Split(spark["spark.local.dir"], ",")
	if len(r.statefulSets) == 0 {
		t.Error("no driver StatefulSet")
	}
	for _, sts := range r.statefulSets {
		checkDriver(t, sts, r, aliases, localDirs)
	}
	for _, p := range r.pods {
		checkRestricted(t, "Pod "+p.Name, p.Spec, false)
	}
}

func checkRules(t *testing.T, what string, rules []rbacv1.PolicyRule) {
	for _, rule := range rules {
		for _, s := range append(append(append([]string{}, rule.Verbs...), rule.Resources...), rule.APIGroups...) {
			if strings.Contains(s, "*") {
				t.Errorf("%s has a wildcard: %+v", what, rule)
			}
		}
	}
}

func checkDriver(t *testing.T, sts appsv1.StatefulSet, r release, aliases map[string]string, localDirs []string) {
	d := sts.Name
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas != 1 || sts.Spec.ServiceName != d {
		t.Errorf("StatefulSet %s: replicas/serviceName %v/%s", d, sts.Spec.Replicas, sts.Spec.ServiceName)
	}
	pod := sts.Spec.Template
	// d is F-<entry>: the entry's name (the handle) is what follows the release's fullname.
	entry := strings.TrimPrefix(d, releaseName+"-")
	for k, v := range map[string]string{"sparkmr3_app": d, "mr3-pod-role": "master-role", "sparkmr3.io/driver": entry, "app.kubernetes.io/component": "driver", "app.kubernetes.io/instance": releaseName} {
		if pod.Labels[k] != v {
			t.Errorf("driver %s Pod label %s=%q, want %q", d, k, pod.Labels[k], v)
		}
	}
	for k, v := range sts.Spec.Selector.MatchLabels {
		if pod.Labels[k] != v {
			t.Errorf("driver %s: selector %s=%s does not match the Pod template", d, k, v)
		}
	}
	for _, a := range []string{"sparkmr3.io/submit-command", "sparkmr3.io/shell-command", "checksum/conf"} {
		if !strings.HasPrefix(pod.Annotations[a], "/") && a != "checksum/conf" || pod.Annotations[a] == "" {
			t.Errorf("driver %s: annotation %s = %q", d, a, pod.Annotations[a])
		}
	}
	svc, ok := r.services[d]
	if !ok {
		t.Fatalf("driver %s has no Service", d)
	}
	if svc.Spec.ClusterIP != "None" || svc.Spec.Selector["sparkmr3_app"] != d || svc.Spec.Selector["app.kubernetes.io/instance"] != releaseName || len(svc.Spec.Selector) != 3 {
		t.Errorf("driver Service %s: clusterIP %q selector %v", d, svc.Spec.ClusterIP, svc.Spec.Selector)
	}
	ports := map[string]int32{}
	for _, p := range svc.Spec.Ports {
		ports[p.Name] = p.Port
	}
	if ports["driver"] != 9850 || ports["webui"] != 4040 {
		t.Errorf("driver Service %s ports %v", d, ports)
	}

	// hostAliases == mr3.k8s.host.aliases.
	podAliases := map[string]string{}
	for _, a := range pod.Spec.HostAliases {
		for _, h := range a.Hostnames {
			podAliases[h] = a.IP
		}
	}
	if fmt.Sprint(podAliases) != fmt.Sprint(aliases) {
		t.Errorf("driver %s hostAliases %v != mr3.k8s.host.aliases %v", d, podAliases, aliases)
	}

	c := pod.Spec.Containers[0]
	if c.Name != "driver" {
		t.Errorf("driver %s: first container %q", d, c.Name)
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	if env["DRIVER_NAME"].Value != d || env["SPARK_MR3_NAMESPACE"].Value != namespace ||
		env["SPARK_DRIVER_PORT"].Value != "9850" || env["SPARK_UI_PORT"].Value != "4040" {
		t.Errorf("driver %s env %v", d, c.Env)
	}
	for _, k := range []string{"CLIENT_TO_AM_TOKEN_KEY", "MR3_APPLICATION_ID_TIMESTAMP"} {
		ref := env[k].ValueFrom
		if ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != "demo-token" || ref.SecretKeyRef.Key != k {
			t.Errorf("driver %s: %s is not a secretKeyRef to demo-token", d, k)
		}
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m
	}
	for _, dir := range localDirs {
		if _, ok := mounts[dir]; !ok {
			t.Errorf("driver %s: spark.local.dir entry %s is not a volume mount", d, dir)
		}
	}
	for _, p := range []string{"/opt/mr3-run/conf", "/opt/mr3-run/env.sh", "/opt/mr3-run/key", "/opt/mr3-run/spark/spark-submit-result", "/opt/mr3-run/spark/spark-shell-result"} {
		if _, ok := mounts[p]; !ok {
			t.Errorf("driver %s: no mount at %s", d, p)
		}
	}
	usesHostPath := false
	for _, v := range pod.Spec.Volumes {
		usesHostPath = usesHostPath || v.HostPath != nil
	}
	checkRestricted(t, "driver "+d, pod.Spec, usesHostPath)
}

// checkRestricted: the fields PodSecurity `restricted` checks (hostPath only when opted in).
func checkRestricted(t *testing.T, what string, spec corev1.PodSpec, hostPathAllowed bool) {
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod securityContext %+v is not restricted", what, psc)
	}
	for _, c := range spec.Containers {
		sc := c.SecurityContext
		if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || fmt.Sprint(sc.Capabilities.Drop) != "[ALL]" || len(sc.Capabilities.Add) > 0 {
			t.Errorf("%s container %s: securityContext %+v is not restricted", what, c.Name, sc)
		}
	}
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		t.Errorf("%s uses host namespaces", what)
	}
	for _, v := range spec.Volumes {
		if v.HostPath != nil && !hostPathAllowed {
			t.Errorf("%s: hostPath volume %s", what, v.Name)
		}
	}
}

// TestDefaultHasNoHostPath: hostPath appears only when opted in.
func TestDefaultHasNoHostPath(t *testing.T) {
	for _, name := range scenarios {
		out := mustRender(t, ciValues(t, name), pinnedToken)
		if strings.Contains(out, "hostPath:") != (name == "hostpath") {
			t.Errorf("scenario %s: hostPath present = %v", name, strings.Contains(out, "hostPath:"))
		}
	}
}

// TestXMLEscaping: values with XML metacharacters survive into well-formed XML unchanged.
func TestXMLEscaping(t *testing.T) {
	nasty := `a<b>&"c'd]]>`
	out := mustRender(t, pinnedToken, map[string]any{
		"mr3":      map[string]any{"extraProperties": map[string]any{"mr3.test.nasty": nasty}},
		"coreSite": map[string]any{"extraProperties": map[string]any{"fs.test.nasty": nasty}},
		"hiveSite": map[string]any{"enabled": true, "extraProperties": map[string]any{"hive.test.nasty": nasty}},
	})
	conf := parseRelease(t, out).configMaps["demo-conf"]
	for file, key := range map[string]string{"mr3-site.xml": "mr3.test.nasty", "core-site.xml": "fs.test.nasty", "hive-site.xml": "hive.test.nasty"} {
		if got := xmlProps(t, conf.Data[file])[key]; got != nasty {
			t.Errorf("%s round trip: %q, want %q", file, got, nasty)
		}
	}
}

// TestChecksumRollsDrivers: a conf change changes the driver Pod template (so drivers restart),
// an unrelated change (test image) does not.
func TestChecksumRollsDrivers(t *testing.T) {
	sum := func(vals map[string]any) string {
		r := parseRelease(t, mustRender(t, pinnedToken, vals))
		return r.statefulSets[0].Spec.Template.Annotations["checksum/conf"]
	}
	base := sum(nil)
	if base == sum(map[string]any{"spark": map[string]any{"executorCores": 3}}) {
		t.Error("changing spark.executorCores did not change checksum/conf")
	}
	if base != sum(map[string]any{"tests": map[string]any{"image": "busybox"}}) {
		t.Error("changing tests.image changed checksum/conf")
	}
}

// TestEnvShQuoting: env.sh values are single-quoted so any text survives sh.
func TestEnvShQuoting(t *testing.T) {
	out := mustRender(t, pinnedToken, map[string]any{"envSh": map[string]any{"vars": map[string]any{"SECRET": `it's $HOME "x"`, "N": 3}}})
	env := string(parseRelease(t, out).secrets["demo-env"].Data["env.sh"])
	for _, want := range []string{`export SECRET='it'\''s $HOME "x"'`, `export N='3'`, "\nSPARK_MR3_NAMESPACE='sparkmr3'\n", "\nSPARK_CONF_DIR_CONFIGMAP='demo-conf'\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("env.sh lacks %q:\n%s", want, env)
		}
	}
}

// TestThreeDriversDistinct: every driver gets its own Service and StatefulSet and the sizes
// given for it.
func TestThreeDriversDistinct(t *testing.T) {
	r := parseRelease(t, mustRender(t, ciValues(t, "three-drivers"), pinnedToken))
	var names []string
	for _, s := range r.statefulSets {
		names = append(names, s.Name)
		env := map[string]string{}
		for _, e := range s.Spec.Template.Spec.Containers[0].Env {
			env[e.Name] = e.Value
		}
		if s.Name == releaseName+"-spark2" && (env["SPARK_DRIVER_CORES"] != "2" || env["SPARK_DRIVER_MEMORY_MB"] != "6553" || env["EXTRA_OPTION"] != "yes") {
			t.Errorf("spark2 env %v", env)
		}
		if s.Name == releaseName+"-etl-nightly" && s.Spec.Template.Annotations["sparkmr3.io/shell-command"] != "/opt/mr3-run/spark/run-spark-shell.sh" {
			t.Errorf("etl-nightly lost the default shell command when overriding submit: %v", s.Spec.Template.Annotations)
		}
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "demo-etl-nightly,demo-spark1,demo-spark2" {
		t.Errorf("StatefulSets %v", names)
	}
}
