package teardown

import (
	"context"
	"io"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/kube"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/resource"
)

func info(kind, name string) *resource.Info {
	return &resource.Info{Name: name, Mapping: &meta.RESTMapping{GroupVersionKind: schema.GroupVersionKind{Version: "v1", Kind: kind}}}
}

func TestUninstallClientKeepData(t *testing.T) {
	rl := kube.ResourceList{info("Secret", "a-token"), info("PersistentVolumeClaim", "a-workdir"), info("PersistentVolume", "spark-a-workdir"), info("ConfigMap", "a-conf")}
	c := &uninstallClient{Interface: &kubefake.PrintingKubeClient{Out: io.Discard}, keepData: true, ctx: context.Background()}
	res, errs := c.DeleteWithPropagationPolicy(rl, "Background")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var deleted []string
	for _, i := range res.Deleted {
		deleted = append(deleted, i.Name)
	}
	if len(deleted) != 2 || deleted[0] != "a-token" || deleted[1] != "a-conf" {
		t.Errorf("deleted %v", deleted)
	}
	if len(c.kept) != 2 {
		t.Errorf("kept %v", c.kept)
	}
	// Kept objects are not waited for (they have no client here, so nothing would be).
	if err := c.WaitForDelete(rl, time.Second); err != nil {
		t.Error(err)
	}
	all := &uninstallClient{Interface: &kubefake.PrintingKubeClient{Out: io.Discard}, ctx: context.Background()}
	if res, _ := all.Delete(rl); len(res.Deleted) != 4 {
		t.Errorf("without keep-data deleted %d", len(res.Deleted))
	}
}
