# spark-mr3: `make demo` runs the main job on the local test cluster, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CLUSTER_DIR ?= .cluster

.PHONY: help tools cluster cluster-down demo test lint unit e2e bench fuzz build dist clean chart-release

help:
	@echo "make demo          build everything, start the local cluster, install + submit + status + teardown"
	@echo "make test          every test: gofmt/vet, unit, chart lint (helm, ct, helm-docs), e2e on the local cluster, ct install"
	@echo "make lint          gofmt, go vet, helm lint (helm 3 and 4), ct lint, chart README up to date (helm-docs)"
	@echo "make unit          unit tests (go test -short; builds no cluster tools)"
	@echo "make e2e           e2e tests and ct install on the local cluster"
	@echo "make build         build the plugin binaries into bin/"
	@echo "make dist          release archives of the plugin (5 platforms, version stamped) + sha256 checksums into dist/"
	@echo "make cluster       start (or reuse) the local Kubernetes in $(CLUSTER_DIR)/; make cluster-down stops it"
	@echo "make tools         build the pinned tools (Kubernetes, etcd, kwok, helm 3/4, ct, helm-docs) into the cache"
	@echo "make bench         benchmarks side by side with helm and kubectl (docs/PERFORMANCE.md)"
	@echo "make fuzz          run every fuzz target for FUZZTIME (default 2m) each"
	@echo "make clean         remove bin/"
	@echo "make chart-release CHART_REGISTRY=oci://HOST[:PORT]/PATH   package the chart (version from Chart.yaml) and push it there (plain HTTP only to loopback)"
	@echo "make plugin-package SIGN_KEYRING=SECRING SIGN_KEY=NAME   both plugins as signed Helm 4 packages, one per OS/CPU, into dist/helm4/ (PLATFORMS=host: this machine only)"

tools:
	@hack/tools.sh all >/dev/null

build:
	@mkdir -p bin
	go build -o bin/ ./cmd/helm-sparkmr3

# Cross-builds 5 platforms (minutes each): not part of `make test` (hack/dist.sh --host: one).
dist:
	@hack/dist.sh

cluster:
	@hack/tools.sh cluster >/dev/null
	@go run ./test/cluster/cmd/localcluster up --dir $(CLUSTER_DIR)

cluster-down:
	@go run ./test/cluster/cmd/localcluster down --dir $(CLUSTER_DIR)

demo:
	@hack/demo.sh

test:
	@hack/test.sh all

lint:
	@hack/test.sh lint

unit:
	@hack/test.sh unit

e2e:
	@hack/test.sh e2e

bench:
	@hack/bench.sh

fuzz:
	@hack/fuzz.sh

clean:
	rm -rf bin

# CHART_REGISTRY: the OCI repository the chart is pushed under, e.g. oci://127.0.0.1:5000/charts.
chart-release:
	@CHART_REGISTRY="$(CHART_REGISTRY)" hack/chart-release.sh

# SIGN_KEYRING: an OpenPGP keyring with the signing key's secret part (gpg --export-secret-keys);
# SIGN_KEY: part of the key's user ID; SIGN_PASSPHRASE_FILE if the key has a passphrase.
# HELM: a Helm 4 binary (default: the pinned helm 4 of hack/tools.sh, in $SPARKMR3_TOOLS).
.PHONY: plugin-package
plugin-package:
	@HELM=$${HELM:-$${SPARKMR3_TOOLS:-$$(hack/tools.sh helm | tail -n1)}/helm4} hack/plugin-package.sh --keyring "$(SIGN_KEYRING)" --key "$(SIGN_KEY)" \
		$(if $(SIGN_PASSPHRASE_FILE),--passphrase-file "$(SIGN_PASSPHRASE_FILE)") $(if $(PLATFORMS),--platforms "$(PLATFORMS)")
