# Targets are what CI and people run; each calls the real tool.
GO      ?= go
BIN     := bin/echo-server
# The version printed by --version: git describe here; without git the binary falls back to
# its build info (the module version under `go install ...@vX.Y.Z`).
VERSION ?= $(shell git describe --always --dirty 2>/dev/null)
LDFLAGS := -s -w $(if $(VERSION),-X main.version=$(VERSION))
PREFIX  ?= /usr/local
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=
UNITDIR ?= /etc/systemd/system

.PHONY: build deps test test-go lint run man install uninstall clean
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/echo-server

# deps: the Debian packages the tests need; installed when missing as root, else named (exit 1).
deps:
	.ci/install-deps

# test: everything CI runs (root, Debian 12 or Ubuntu): the Go tests, then the units under
# systemd in nspawn and the image under podman (container/container.mk). CI=true turns a test
# whose prerequisite is missing from a skip into a failure.
test: deps test-go test-e2e

test-go: deps build lint
	$(GO) test -race -count=1 -p 1 -timeout 12m ./...
	cd bench && $(GO) test -race -count=1 ./...
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 10s ./engine/activation

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

# man: read echo-server(8), generated from the flag definitions
man: build
	$(BIN) --man | man -l -

# install: the binary, its man page and the units (then: systemctl daemon-reload)
install: build
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/echo-server
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	$(BIN) --man >$(DESTDIR)$(MANDIR)/man8/echo-server.8
	chmod 0644 $(DESTDIR)$(MANDIR)/man8/echo-server.8
	install -m 0644 units/*.socket units/*.service $(DESTDIR)$(UNITDIR)/
	@echo 'now: systemctl daemon-reload && systemctl enable --now echo.socket'

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/echo-server $(DESTDIR)$(MANDIR)/man8/echo-server.8
	cd units && for u in *.socket *.service; do rm -f $(DESTDIR)$(UNITDIR)/$$u; done

clean:
	rm -rf bin

-include bench/bench.mk
-include container/container.mk
