#!/usr/bin/env bash
# quadlet.sh [VERSION]: print the path of a quadlet binary (podman's systemd generator; default
# v4.9.5), built from the Go module proxy once and cached. Debian 12's podman 4.3 has none.
set -euo pipefail
version=${1:-v4.9.5}
cache=${ECHO_E2E_CACHE:-/var/cache/echo-e2e}
bin=$cache/quadlet-$version
if [[ ! -x $bin ]]; then
	mod=$(mktemp -d)
	trap 'rm -rf "$mod"' EXIT
	(
		cd "$mod"
		go mod init quadlet-build >/dev/null 2>&1
		go get "github.com/containers/podman/v4/cmd/quadlet@$version" >/dev/null 2>&1
		mkdir -p "$cache"
		CGO_ENABLED=0 go build -o "$bin.tmp" github.com/containers/podman/v4/cmd/quadlet
	) >&2
	mv "$bin.tmp" "$bin"
fi
echo "$bin"
