# container.mk: build the image, run the end-to-end tests.
# Included by the top Makefile; uses its BIN, VERSION, deps and build targets.
PODMAN   ?= podman
IMAGE_VERSION := $(or $(VERSION),dev)
IMAGE    ?= localhost/echo-server:$(IMAGE_VERSION)
E2E      := container/e2e

.PHONY: image image-source test-e2e test-units test-podman test-nspawn test-image-source e2e-rootfs

# offline: FROM scratch + the binary from `make build`; the build context is bin/ alone
image: build
	$(PODMAN) build --layers=false -f container/Containerfile.prebuilt --build-arg VERSION=$(IMAGE_VERSION) -t $(IMAGE) bin

# from source, in a golang builder stage (needs to pull docker.io/library/golang)
image-source:
	$(PODMAN) build -f container/Containerfile --ignorefile container/containerignore \
		--build-arg VERSION=$(IMAGE_VERSION) -t $(IMAGE) .

# static unit checks, the image under podman, the units under systemd in nspawn (root)
test-e2e: test-units test-podman test-nspawn

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
