#!/usr/bin/env bash
# image-source.sh: build container/Containerfile (the from-source, multi-stage path) without
# pulling: a stand-in for docker.io/library/golang is assembled from this machine's Go
# toolchain, busybox-static (as /bin/sh) and CA certificates, and tagged with the name the
# Containerfile asks for. `go mod download` inside still needs the Go module proxy.
# Then the image must be FROM scratch-small, run as 65534 and print its version.
source "$(dirname "$0")/lib.sh"
need_root
need podman podman
need busybox busybox-static
need go golang
goroot=$(go env GOROOT)
gover=$(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')
builder=docker.io/library/golang:$gover
IMAGE=localhost/echo-server:e2e-source
hpod() { CONTAINERS_CONF=$E2E_DIR/containers.conf CONTAINERS_STORAGE_CONF=$E2E_DIR/storage.conf podman "$@"; }
cgroups_snapshot
on_exit cgroups_cleanup libpod_parent

ctx=$(mktemp -d /tmp/echo-e2e-golang.XXXXXX)
on_exit rm -rf "$ctx"
cp -a "$goroot" "$ctx/go"
cp "$(command -v busybox)" "$ctx/sh"
cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca.crt"
cat >"$ctx/Containerfile" <<'CF'
FROM scratch
COPY go /usr/local/go
COPY sh /bin/sh
COPY ca.crt /etc/ssl/certs/ca-certificates.crt
ENV PATH=/usr/local/go/bin:/bin GOPATH=/go HOME=/root GOTOOLCHAIN=local
WORKDIR /tmp
CF
hpod build -q --layers=false -t "$builder" "$ctx" >/dev/null || die "could not assemble the stand-in $builder"
on_exit "CONTAINERS_CONF=$E2E_DIR/containers.conf CONTAINERS_STORAGE_CONF=$E2E_DIR/storage.conf podman rmi -f $builder $IMAGE >/dev/null 2>&1"

if hpod build -q --pull=never --layers=false -f "$REPO/container/Containerfile" \
	--ignorefile "$REPO/container/containerignore" --build-arg GO_VERSION="$gover" \
	--build-arg VERSION=e2e-source -t "$IMAGE" "$REPO" >"$ctx/build.log" 2>&1; then
	pass "podman build -f container/Containerfile (from source, golang:$gover stand-in)"
else
	tail -n 20 "$ctx/build.log" >&2
	die "podman build -f container/Containerfile failed"
fi
size=$(hpod image inspect -f '{{.Size}}' "$IMAGE")
if ((size < 10 * 1000 * 1000)); then pass "image size $size bytes (< 10 MB)"; else fail "image size $size bytes (>= 10 MB)"; fi
expect_eq "image user" "65534:65534" "$(hpod image inspect -f '{{.Config.User}}' "$IMAGE")"
expect_eq "image version label" e2e-source "$(hpod image inspect -f '{{index .Labels "org.opencontainers.image.version"}}' "$IMAGE")"
out=$(hpod run --rm --pull=never --network=none --read-only --cap-drop=all "$IMAGE" --version 2>&1 || true)
if [[ $out == *e2e-source* ]]; then pass "the image's server reports its version: $out"; else fail "--version: want e2e-source in: $out"; fi
finish
