# Targets are what CI and people run; each calls the real tool.
GO      ?= go
BIN     := bin/echo-server
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: build test test-go lint run clean
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/echo-server

# test: everything CI runs (root, Debian 12; .ci/run installs the tools): the Go tests, then the
# units under systemd in nspawn and the image under podman (container/container.mk).
test: test-go test-e2e

test-go: build lint
	$(GO) test -race -count=1 -p 1 -timeout 12m ./...
	cd bench && $(GO) test -race -count=1 ./...
	$(GO) test -run '^$$' -fuzz FuzzParseActivation -fuzztime 10s ./engine

lint:
	test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)
	$(GO) vet ./...
	cd bench && $(GO) vet ./...

# run: the seed's demo set in the foreground; the log prints a socat line per socket.
RUN_DIR ?= $(or $(XDG_RUNTIME_DIR),/tmp)/echo-server
run: build
	mkdir -p $(RUN_DIR)
	$(BIN) --listen tcp4://127.0.0.1:3000 --listen tcp6://[::1]:3000 \
	  --listen udp4://127.0.0.1:3000 --listen udp6://[::1]:3000 \
	  --listen unix://$(RUN_DIR)/stream.sock --listen unixgram://$(RUN_DIR)/dgram.sock

clean:
	rm -rf bin

-include bench/bench.mk
-include container/container.mk
