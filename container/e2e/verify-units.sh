#!/usr/bin/env bash
# verify-units.sh: static checks of units/ with the host's systemd tools.
# - systemd-analyze verify on every unit (in a scratch root holding the units, the binaries
#   their ExecStart= names and the host's stock units): any output at all is a failure,
#   since systemd 252 only warns on unknown keys and still exits 0;
# - systemd-analyze security --offline on the native services, above THRESHOLD is a failure;
# - the socket units list the same sockets, vsock only in echo-vsock.socket, and echo@.service
#   is confined like echo.service;
# - the quadlet file, through quadlet -dryrun (built from source, podman 4.9), then verify.
# shellcheck disable=SC2015,SC2016 # pass and fail always return 0; awk programs are single-quoted
source "$(dirname "$0")/lib.sh"
# systemd-analyze takes the threshold in tenths: 15 means an exposure of 1.5.
THRESHOLD=${THRESHOLD:-15}
BIN=${BIN:-$REPO/bin/echo-server}
need systemd-analyze systemd
[[ -x $BIN ]] || die "$BIN missing: run make build"

root=$(mktemp -d)
on_exit rm -rf "$root"
mkdir -p "$root/etc/systemd/system" "$root/usr/lib/systemd" "$root/usr/local/bin" "$root/usr/bin"
cp -a /lib/systemd/system "$root/usr/lib/systemd/"
cp "$REPO"/units/*.socket "$REPO"/units/*.service "$REPO"/units/quadlet/*.socket "$root/etc/systemd/system/"
cp "$BIN" "$root/usr/local/bin/echo-server"
printf '#!/bin/sh\n' >"$root/usr/bin/podman" # verify only checks that it is executable
chmod +x "$root/usr/bin/podman"

verify() { # verify UNIT...: no output, exit 0
	local out
	if out=$(cd "$root" && systemd-analyze verify --root="$root" "$@" 2>&1) && [[ -z $out ]]; then
		pass "systemd-analyze verify $*"
	else
		fail "systemd-analyze verify $*: ${out:-exit status $?}"
	fi
}
for f in "$REPO"/units/*.socket "$REPO"/units/*.service; do
	u=$(basename "$f")
	verify "${u/@./@3001.}"
done

# the checker must catch what it is meant to catch
echo 'Bogus=1' >>"$root/etc/systemd/system/echo.service"
if out=$(cd "$root" && systemd-analyze verify --root="$root" echo.service 2>&1) && [[ -z $out ]]; then
	fail "systemd-analyze verify does not report an unknown key: the check is blind"
else
	pass "systemd-analyze verify reports an unknown key (control)"
fi
cp "$REPO/units/echo.service" "$root/etc/systemd/system/"

for u in echo.service echo@.service echo-udp.service; do
	if out=$(systemd-analyze security --offline=true --threshold="$THRESHOLD" "$REPO/units/$u" 2>&1); then
		pass "systemd-analyze security $u: ${out##*→ Overall exposure level for }"
	else
		fail "systemd-analyze security $u above $THRESHOLD/10: $(grep -E '✗|Overall|Failed' <<<"$out")"
	fi
done

# control: an unconfined service must fail the same threshold
printf '[Service]\nExecStart=/usr/local/bin/echo-server\n' >"$root/weak.service"
if systemd-analyze security --offline=true --threshold="$THRESHOLD" "$root/weak.service" >/dev/null 2>&1; then
	fail "systemd-analyze security passes an unconfined service: the check is blind"
else
	pass "systemd-analyze security fails an unconfined service (control)"
fi

section() { sed -n "/^\[$1\]/,/^\[/p" "$2" | grep -v '^\[' | grep -v '^#' | grep .; }
want=$(section Socket "$REPO/units/echo.socket")
for f in echo-container.socket echo-container-strict.socket quadlet/echo-quadlet.socket; do
	got=$(section Socket "$REPO/units/$f")
	expect_eq "[Socket] of $f matches echo.socket" "$want" "$got"
done
vsock=$(grep -l '^ListenStream=vsock:' "$REPO"/units/*.socket "$REPO"/units/quadlet/*.socket | xargs -n1 basename | tr '\n' ' ')
expect_eq "vsock only in its own unit (so echo.socket works without vsock)" "echo-vsock.socket " "$vsock"
got=$(section Socket "$REPO/units/echo@.socket" | sed 's/%i/3000/g; s/echo-3000\//echo\//; s/=echo-3000$/=echo/')
expect_eq "[Socket] of echo@.socket (with %i=3000) matches echo.socket" "$want" "$got"
expect_eq "[Service] of echo@.service matches echo.service (but Sockets=)" \
	"$(section Service "$REPO/units/echo.service" | grep -v '^Sockets=')" "$(section Service "$REPO/units/echo@.service")"
expect_eq "[Service] of echo-udp.service matches echo.service (but Sockets= and --loops 2)" \
	"$(section Service "$REPO/units/echo.service" | grep -v '^Sockets=' | sed 's/^ExecStart=.*/& --loops 2/')" \
	"$(section Service "$REPO/units/echo-udp.service")"
expect_eq "echo-udp.socket: two ListenDatagram= per address, ReusePort=yes" \
	"ListenDatagram=127.0.0.1:3000 ListenDatagram=127.0.0.1:3000 ListenDatagram=[::1]:3000 ListenDatagram=[::1]:3000 ReusePort=yes" \
	"$(section Socket "$REPO/units/echo-udp.socket" | grep -E '^(ListenDatagram|ReusePort)=' | tr '\n' ' ' | sed 's/ $//')"

# quadlet: Debian 12's podman 4.3 has none; build quadlet from the module proxy (cached) at the
# first version with the keys used (4.4.0) and a late 4.x, and check what they generate.
# QUADLET=skip leaves this out.
quadlet_check() { # quadlet_check VERSION
	local v=$1 q out svc=$root/etc/systemd/system/echo-quadlet.service
	if ! q=$("$E2E_DIR/quadlet.sh" "$v"); then
		fail "could not build quadlet $v (set QUADLET=skip offline)"
		return
	fi
	if out=$(QUADLET_UNIT_DIRS=$qdir "$q" -dryrun 2>&1) && grep -q '^---echo-quadlet.service---' <<<"$out"; then
		sed -n '/^---echo-quadlet.service---/,/^---/p' <<<"$out" | sed '1d;/^---/d' >"$svc"
		pass "quadlet $v -dryrun generates echo-quadlet.service"
		verify echo-quadlet.service echo-quadlet.socket
		local want ok=yes
		for want in --network=none --sdnotify=container --read-only --cap-drop=all --pull=never \
			--security-opt=no-new-privileges '--user[= ]65534:65534' '^Type=notify' '^NotifyAccess=all'; do
			grep -qE -- "$want" "$svc" || { ok=no && fail "quadlet $v service lacks $want: $(grep ExecStart= "$svc")"; }
		done
		[[ $ok == yes ]] && pass "quadlet $v service: $(grep '^ExecStart=' "$svc")"
	else
		fail "quadlet $v -dryrun: $out"
	fi
}
if [[ ${QUADLET:-build} != skip ]]; then
	qdir=$(mktemp -d)
	on_exit rm -rf "$qdir"
	cp "$REPO"/units/quadlet/*.container "$qdir/"
	for v in v4.4.0 v4.9.5; do quadlet_check "$v"; done
fi
finish
