#!/usr/bin/env bash
# rootfs.sh: print the path of a cached Debian bookworm rootfs for systemd-nspawn,
# building it with debootstrap first if needed. The cache key is the package list,
# the suite and the mirror, so a changed list gets a fresh rootfs.
set -euo pipefail

suite=bookworm
packages=systemd,systemd-sysv,dbus,socat,podman,runc,containernetworking-plugins,iproute2
cache=${ECHO_E2E_CACHE:-/var/cache/echo-e2e}

# The mirror is the machine's own: the first deb.debian.org-style URI of its apt sources.
mirror() {
	local uri
	uri=$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
		grep -oE 'https?://[^ ]+' | head -n1 || true)
	echo "${uri:-http://deb.debian.org/debian}"
}

main() {
	command -v debootstrap >/dev/null || { echo "rootfs.sh: debootstrap missing: apt-get install debootstrap" >&2; exit 1; }
	local url key dir
	url=$(mirror)
	key=$(printf '%s\n' "$suite" "$packages" "$url" | sha256sum | cut -c1-12)
	dir=$cache/rootfs-$key
	if [[ ! -e $dir/.complete ]]; then
		rm -rf "$dir.tmp"
		mkdir -p "$cache"
		echo "rootfs.sh: debootstrap $suite into $dir (first run only, ~2-3 min)" >&2
		debootstrap --variant=minbase --include="$packages" "$suite" "$dir.tmp" "$url" >"$cache/debootstrap-$key.log" 2>&1 ||
			{ tail -n 20 "$cache/debootstrap-$key.log" >&2; exit 1; }
		configure "$dir.tmp"
		rm -rf "$dir" && mv "$dir.tmp" "$dir" && touch "$dir/.complete"
	fi
	echo "$dir"
}

# configure makes nested podman work inside the nspawn container (vfs, runc, no pids limit)
# and keeps the boot short.
configure() {
	local root=$1
	mkdir -p "$root/etc/containers"
	printf '[storage]\ndriver = "vfs"\nrunroot = "/run/containers/storage"\ngraphroot = "/var/lib/containers/storage"\n' \
		>"$root/etc/containers/storage.conf"
	printf '[containers]\npids_limit = 0\n\n[engine]\nruntime = "runc"\ncgroup_manager = "systemd"\n' \
		>"$root/etc/containers/containers.conf"
	echo echo-e2e >"$root/etc/hostname"
	# nothing in the container needs these at boot
	for u in systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
		ln -sf /dev/null "$root/etc/systemd/system/$u"
	done
}

main "$@"
