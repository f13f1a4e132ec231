//go:build tools

// Package tools pins chart-testing (ct), which lints and installs the chart in CI.
package tools

import _ "github.com/helm/chart-testing/v3/ct"
