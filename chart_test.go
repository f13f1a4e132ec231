package sparkmr3

import "testing"

func TestEmbeddedChartLoads(t *testing.T) {
	c, err := Chart()
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "spark-mr3" || len(c.Templates) == 0 || c.Schema == nil {
		t.Fatalf("embedded chart: name %q, %d templates, schema %v", c.Name(), len(c.Templates), c.Schema != nil)
	}
}
