# container.mk: build the image, run the end-to-end tests.
# Included by the top Makefile; uses its BIN, VERSION, deps and build targets.
PODMAN   ?= podman
IMAGE_VERSION := $(or $(VERSION),dev)
IMAGE    ?= localhost/echo-server:$(IMAGE_VERSION)
E2E      := container/e2e

.PHONY: image image-source test-e2e test-units test-podman test-nspawn test-image-source e2e-rootfs test-fleet test-k8s

# offline: FROM scratch + the binary from `make build`; the build context is bin/ alone
image: build
	$(PODMAN) build --layers=false -f container/Containerfile.prebuilt --build-arg VERSION=$(IMAGE_VERSION) -t $(IMAGE) bin

# from source, in a golang builder stage (needs to pull docker.io/library/golang)
image-source:
	$(PODMAN) build -f container/Containerfile --ignorefile container/containerignore \
		--build-arg VERSION=$(IMAGE_VERSION) -t $(IMAGE) .

# static unit checks, the image under podman, the units under systemd in nspawn (root), the
# Kubernetes manifests (the fleet tests in container/fleet run with test-go: they are Go tests)
test-e2e: test-units test-podman test-nspawn test-k8s

test-units: deps build
	shellcheck -x --source-path=SCRIPTDIR $(E2E)/*.sh .ci/run .ci/install-deps
	$(E2E)/verify-units.sh

test-podman: deps build
	$(E2E)/podman-e2e.sh

test-nspawn: deps build
	$(E2E)/nspawn-e2e.sh

# container/Containerfile (from source) with a local stand-in for the golang image; not part of
# test-e2e: ~3 min, copies the Go toolchain into the image store, needs the Go module proxy
test-image-source:
	$(E2E)/image-source.sh

# build (or find) the cached Debian rootfs for test-nspawn
e2e-rootfs:
	$(E2E)/rootfs.sh

# the fleet alone (root; network namespaces, HAProxy, nftables, podman kube play): ~1 min
test-fleet: deps
	$(GO) test -race -count=1 -timeout 5m -v ./container/fleet/

# the Kubernetes manifests, decoded strictly with k8s.io/api in a module of its own
test-k8s:
	cd container/k8s/validate && $(GO) vet ./... && $(GO) test -race -count=1 ./...
