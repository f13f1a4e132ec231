package chart_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

func tokenSum(key, ts string) string {
	h := sha256.Sum256([]byte(key + "\n" + ts))
	return hex.EncodeToString(h[:])
}

func tokenAnnotation(t *testing.T, manifest string) string {
	t.Helper()
	r := parseRelease(t, manifest)
	if len(r.statefulSets) == 0 {
		t.Fatal("no driver StatefulSet")
	}
	sum := r.statefulSets[0].Spec.Template.Annotations["checksum/token"]
	for _, s := range r.statefulSets {
		if s.Spec.Template.Annotations["checksum/token"] != sum {
			t.Errorf("drivers carry different checksum/token annotations")
		}
	}
	return sum
}

// TestTokenChecksumRestartsDrivers: the driver Pod template carries the sha256 of the token the
// chart resolves (pinned, generated or from the existing Secret), so a changed token or
// timestamp (rotation, rollback) replaces the driver Pods; token.checksum overrides it.
func TestTokenChecksumRestartsDrivers(t *testing.T) {
	if got, want := tokenAnnotation(t, mustRender(t, pinnedToken)), tokenSum(pinnedKey, pinnedTS); got != want {
		t.Errorf("pinned: checksum/token %q, want sha256(key\\nts) %q", got, want)
	}
	// Generated on first install: the annotation matches the Secret rendered beside it.
	out := mustRender(t)
	key, ts := tokenOf(t, out)
	if got := tokenAnnotation(t, out); got != tokenSum(key, ts) {
		t.Errorf("generated token: checksum/token %q does not match the rendered Secret's token", got)
	}
	rotated := map[string]any{"token": map[string]any{"clientToAMTokenKey": pinnedKey, "applicationIdTimestamp": 29527}}
	if tokenAnnotation(t, mustRender(t, rotated)) == tokenAnnotation(t, mustRender(t, pinnedToken)) {
		t.Error("a new timestamp did not change checksum/token")
	}
	given := map[string]any{"token": map[string]any{"checksum": "0123abcd"}}
	if got := tokenAnnotation(t, mustRender(t, pinnedToken, given)); got != "0123abcd" {
		t.Errorf("token.checksum given: annotation %q", got)
	}
	// Upgrade with cluster access: the token of the existing Secret.
	cfg := fakeAPIServer(t, map[string]map[string]string{"demo-token": {
		"CLIENT_TO_AM_TOKEN_KEY": "e07c35ca-1a2c-4d97-9037-9fb84de5f7c4", "MR3_APPLICATION_ID_TIMESTAMP": "4242"}})
	c := loadChart(t)
	vals, err := chartutil.ToRenderValues(c, nil, chartutil.ReleaseOptions{
		Name: releaseName, Namespace: namespace, IsUpgrade: true, Revision: 2}, chartutil.DefaultCapabilities.Copy())
	must(t, err)
	files, err := engine.New(cfg).Render(c, vals)
	must(t, err)
	var sts appsv1.StatefulSet
	for _, doc := range strings.Split(files["spark-mr3/templates/statefulset.yaml"], "\n---\n") {
		if strings.Contains(doc, "kind: StatefulSet") {
			must(t, yaml.Unmarshal([]byte(doc), &sts))
		}
	}
	if got, want := sts.Spec.Template.Annotations["checksum/token"], tokenSum("e07c35ca-1a2c-4d97-9037-9fb84de5f7c4", "4242"); got != want {
		t.Errorf("upgrade reading the Secret: checksum/token %q, want %q", got, want)
	}
}

// mountsOf returns the driver container's mounts by path, and the Pod's volumes by name.
func mountsOf(t *testing.T, sts appsv1.StatefulSet) (map[string]corev1.VolumeMount, map[string]corev1.Volume) {
	t.Helper()
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range sts.Spec.Template.Spec.Containers[0].VolumeMounts {
		if _, dup := mounts[m.MountPath]; dup {
			t.Errorf("driver %s mounts two volumes at %s", sts.Name, m.MountPath)
		}
		mounts[m.MountPath] = m
	}
	vols := map[string]corev1.Volume{}
	for _, v := range sts.Spec.Template.Spec.Volumes {
		vols[v.Name] = v
	}
	return mounts, vols
}

// TestWritablePaths: the driver can write where MR3's image and scripts write
// (kubernetes/spark/Dockerfile chowns them to uid 1000): by default through a writable root
// filesystem plus volumes at the staging dir and the result dirs; with
// readOnlyRootFilesystem=true through emptyDirs at /tmp (the working directory), the staging dir
// and the result dirs.
func TestWritablePaths(t *testing.T) {
	ro := map[string]any{"containerSecurityContext": map[string]any{"readOnlyRootFilesystem": true}}
	cases := []struct {
		name        string
		values      map[string]any
		readOnly    bool
		stagingPVC  bool
		extraMounts []string
	}{
		{"default", nil, false, false, nil},
		{"read-only root", ro, true, false, []string{"/tmp"}},
		{"read-only root, work dir claim on drivers", map[string]any{
			"containerSecurityContext": map[string]any{"readOnlyRootFilesystem": true},
			"workDir":                  map[string]any{"enabled": true, "existingClaim": "work"}}, true, true, []string{"/tmp"}},
		{"work dir claim not on drivers", map[string]any{
			"workDir": map[string]any{"enabled": true, "existingClaim": "work", "mountOnDrivers": false}}, false, false, nil},
		{"writableDirs repeating the chart's own", map[string]any{
			"containerSecurityContext": map[string]any{"readOnlyRootFilesystem": true},
			"driverDefaults":           map[string]any{"writableDirs": []any{"/tmp", "/opt/mr3-run/work-dir", "/home/spark"}}}, true, false, []string{"/tmp", "/home/spark"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := parseRelease(t, mustRender(t, pinnedToken, tc.values))
			sts := r.statefulSets[0]
			c := sts.Spec.Template.Spec.Containers[0]
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || *sc.ReadOnlyRootFilesystem != tc.readOnly {
				t.Fatalf("readOnlyRootFilesystem %v, want %v", sc, tc.readOnly)
			}
			if tc.readOnly && c.WorkingDir != "/tmp" || !tc.readOnly && c.WorkingDir != "" {
				t.Errorf("workingDir %q (read-only root %v): want /tmp when read-only, else the image's WORKDIR", c.WorkingDir, tc.readOnly)
			}
			mounts, vols := mountsOf(t, sts)
			staging, ok := mounts["/opt/mr3-run/work-dir"]
			switch {
			case !ok:
				t.Error("no volume at the staging dir mr3.am.staging-dir")
			case tc.stagingPVC && vols[staging.Name].PersistentVolumeClaim == nil:
				t.Errorf("staging dir on volume %s, want the work-dir claim", staging.Name)
			case !tc.stagingPVC && vols[staging.Name].EmptyDir == nil:
				t.Errorf("staging dir on volume %s, want an emptyDir", staging.Name)
			}
			for _, p := range append([]string{"/opt/mr3-run/spark/spark-submit-result", "/opt/mr3-run/spark/spark-shell-result", "/opt/mr3-run/work-local-dir"}, tc.extraMounts...) {
				m, ok := mounts[p]
				if !ok || m.ReadOnly {
					t.Errorf("no writable volume at %s", p)
				}
			}
			if _, ok := mounts["/tmp"]; ok != (len(tc.extraMounts) > 0) {
				t.Errorf("volume at /tmp: %v", ok)
			}
		})
	}
}

// TestPropertiesEscaping: spark-defaults.conf values survive java.util.Properties.load as given.
func TestPropertiesEscaping(t *testing.T) {
	extra := map[string]any{
		`spark.driver.extraJavaOptions`: `-Dwin=C:\dir -Dx=a=b`,
		"spark.a:b":                     "colon key",
		"spark.lead":                    "  two leading blanks",
		"spark.hash":                    "#not a comment",
	}
	out := mustRender(t, pinnedToken, map[string]any{"spark": map[string]any{"extraProperties": extra}})
	got := confProps(t, parseRelease(t, out).configMaps[releaseName+"-conf"].Data["spark-defaults.conf"])
	for k, v := range extra {
		if got[k] != v {
			t.Errorf("spark-defaults.conf %s reads back as %q, want %q", k, got[k], v)
		}
	}
}
