# Targets are what CI and people run; each calls the real tool.
GO      ?= go
BIN     := bin/echo-server
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: build test lint run fuzz clean
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/echo-server

test: build lint
	$(GO) test -race -count=1 -timeout 12m ./...
	$(GO) test -run '^$$' -fuzz FuzzParseActivation -fuzztime 10s ./engine

lint:
	test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)
	$(GO) vet ./...

run: build
	$(BIN) --demo

clean:
	rm -rf bin

-include bench/bench.mk
-include container/container.mk
