# Targets are what CI and people run; each calls the real tool.
GO      ?= go
BIN     := bin/echo-server
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: build test lint run fuzz clean
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/echo-server

test: build lint
	$(GO) test -race -count=1 -p 1 -timeout 12m ./...
	$(GO) test -run '^$$' -fuzz FuzzParseActivation -fuzztime 10s ./engine

lint:
	test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)
	$(GO) vet ./...

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
