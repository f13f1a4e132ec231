# spark-mr3: `make demo` runs the main job on the local test cluster, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CLUSTER_DIR ?= .cluster

.PHONY: help tools cluster cluster-down demo test lint unit e2e bench fuzz build clean

help:
	@echo "make demo          build everything, start the local cluster, install + submit + status + teardown"
	@echo "make test          every test: gofmt/vet, unit, chart lint (helm, ct, helm-docs), e2e on the local cluster, ct install"
	@echo "make lint          gofmt, go vet, helm lint (helm 3 and 4), ct lint, chart README up to date (helm-docs)"
	@echo "make unit          unit tests (go test -short; builds no cluster tools)"
	@echo "make e2e           e2e tests and ct install on the local cluster"
	@echo "make build         build the plugin binaries into bin/"
	@echo "make cluster       start (or reuse) the local Kubernetes in $(CLUSTER_DIR)/; make cluster-down stops it"
	@echo "make tools         build the pinned tools (Kubernetes, etcd, kwok, helm 3/4, ct, helm-docs) into the cache"
	@echo "make bench         benchmarks side by side with helm and kubectl (docs/PERFORMANCE.md)"
	@echo "make fuzz          run every fuzz target for FUZZTIME (default 2m) each"
	@echo "make clean         remove bin/"

tools:
	@hack/tools.sh all >/dev/null

build:
	@mkdir -p bin
	go build -o bin/ ./cmd/helm-sparkmr3

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
