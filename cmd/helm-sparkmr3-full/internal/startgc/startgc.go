// Package startgc keeps the garbage collector off while Go initializes the packages the
// plugin links (helm, client-go, kustomize: about 6 MiB allocated by package init, which
// otherwise triggers collections before main runs). It depends on nothing but the runtime, so
// it is initialized before those packages; main calls Restore first thing.
//
// Measured on 2 cores: `helm-sparkmr3 version` takes 24 ms with collections during init and
// 18–20 ms without (docs/PERFORMANCE.md, P3).
package startgc

import "runtime/debug"

var percent = debug.SetGCPercent(-1)

// Restore turns the collector back on with the setting it had ($GOGC, default 100).
func Restore() { debug.SetGCPercent(percent) }
