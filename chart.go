// Package sparkmr3 ships the spark-mr3 chart inside the plugin binary, so `helm sparkmr3
// install` needs no chart path or repository: the chart and the plugin always match.
package sparkmr3

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
)

//go:embed all:charts/spark-mr3
var chartFS embed.FS

const chartRoot = "charts/spark-mr3"

// Chart loads the chart shipped with the plugin.
func Chart() (*chart.Chart, error) {
	var files []*loader.BufferedFile
	err := fs.WalkDir(chartFS, chartRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := chartFS.ReadFile(path)
		if err != nil {
			return err
		}
		files = append(files, &loader.BufferedFile{Name: strings.TrimPrefix(path, chartRoot+"/"), Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the chart shipped with the plugin: %w", err)
	}
	c, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("load the chart shipped with the plugin: %w", err)
	}
	return c, nil
}
