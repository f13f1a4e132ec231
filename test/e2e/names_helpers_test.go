package e2e

import "github.com/spark-mr3/spark-mr3/plugin/contract"

// driverPodName is the Pod of driver entry d of a release installed without fullnameOverride
// (fullname = release): StatefulSet and Service F-d, Pod F-d-0 (docs/DESIGN.md "Names"). Tests
// take driver object names from here or find the Pods by labels, never by concatenation.
func driverPodName(release, d string) string {
	return contract.DriverPodName(driverObjectName(release, d))
}

// driverObjectName is driver entry d's StatefulSet and headless Service, F-d.
func driverObjectName(release, d string) string { return contract.DriverObjectName(release, d) }
