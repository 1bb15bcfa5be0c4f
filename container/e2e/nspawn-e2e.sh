#!/usr/bin/env bash
# nspawn-e2e.sh: the units under a real systemd (252, Debian 12) booted in systemd-nspawn on
# a cached debootstrapped rootfs (rootfs.sh). The rootfs is mounted with --volatile=overlay,
# so nothing a run does stays in the cache. Checked inside:
# - systemd-analyze verify of the installed units, silent; security of echo.service;
# - echo.socket + echo.service: tcp4, tcp6, udp4, udp6, unix stream and unix datagram echo
#   byte for byte; echo-vsock.socket listens and hands its socket to the same service; the
#   service is active/running, under a dynamic uid, with no capabilities, keeps feeding the
#   watchdog, cannot reach a listener on the container's own loopback (PrivateNetwork=yes),
#   and stops cleanly;
# - its log in journald: each line at its own priority (the <N> prefix), none with a
#   timestamp of its own, the start-up line listing every socket; `journalctl -p warning`
#   finds a warning (echo@4000 with --max-conns=1, over the limit);
# - echo-container and echo-container-strict (nested podman --network=none): the same
#   families except unix datagram (the reply path is outside the container), uid 65534,
#   no outbound connect;
# - echo@4000.socket: a template instance;
# - echo-udp.socket + echo-udp.service: ReusePort=yes with two ListenDatagram= lines per
#   address makes two reuseport groups of two sockets; the service serves each socket on a
#   reader thread of its own, echoes udp4 and udp6 byte for byte, and 32 clients per address
#   reach both sockets of each group (the per-socket counters of its final stats lines).
# shellcheck disable=SC2015,SC2016 # pass and fail always return 0; awk programs are single-quoted
source "$(dirname "$0")/lib.sh"
need_root
need systemd-nspawn systemd-container
need nsenter util-linux
need podman podman
need socat socat
need ss iproute2
BIN=${BIN:-$REPO/bin/echo-server}
THRESHOLD=${THRESHOLD:-15} # tenths
IMAGE=ghcr.io/echo-activation/echo-server:latest # the units' default, loaded, never pulled
[[ -x $BIN ]] || die "$BIN missing: run make build"
# host podman (builds the image) uses the test-only settings; podman in the container its own
hpod() { CONTAINERS_CONF=$E2E_DIR/containers.conf CONTAINERS_STORAGE_CONF=$E2E_DIR/storage.conf podman "$@"; }

rootfs=$("$E2E_DIR/rootfs.sh")
stage=$(mktemp -d /tmp/echo-e2e-nspawn.XXXXXX)
on_exit rm -rf "$stage"
cp "$BIN" "$stage/echo-server"
cp -r "$REPO/units" "$stage/units"
mkdir -p "$stage/ctx" && cp "$BIN" "$stage/ctx/echo-server"
hpod build -q --layers=false -f "$REPO/container/Containerfile.prebuilt" --build-arg VERSION=e2e -t "$IMAGE" "$stage/ctx" >/dev/null
hpod save -q --format oci-archive -o "$stage/image.tar" "$IMAGE"
hpod rmi -f "$IMAGE" >/dev/null 2>&1 || true
# test-only: a short watchdog period and start timeout, so a server that never sends
# WATCHDOG=1 or READY=1 fails here, and fast
mkdir -p "$stage/units/echo.service.d"
printf '[Service]\nWatchdogSec=2s\nTimeoutStartSec=20s\n' >"$stage/units/echo.service.d/e2e.conf"
# test-only: one connection at a time on echo@4000, so that a second one makes a warning
mkdir -p "$stage/units/echo@4000.service.d"
printf '[Service]\nExecStart=\nExecStart=/usr/local/bin/echo-server --sdnotify --max-conns=1\n' >"$stage/units/echo@4000.service.d/e2e.conf"

# --- boot
machine=echo-e2e-$$
cgroups_snapshot
nspawn_dir_existed=$([[ -d /run/systemd/nspawn ]] && echo yes || echo no)
SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn -q -D "$rootfs" --volatile=overlay \
	--bind-ro="$stage:/e2e" --register=no --keep-unit --private-network \
	--system-call-filter=@keyring --system-call-filter=bpf \
	--boot --machine "$machine" --console=pipe </dev/null >"$stage/nspawn.log" 2>&1 &
np=$!
on_exit shutdown_container
shutdown_container() {
	if [[ -n ${leader:-} ]] && { ((failures > 0)) || [[ -n ${E2E_JOURNAL:-} ]]; }; then
		say "journal of the echo units in the container:"
		ns journalctl -b -q --no-pager -o short-monotonic -u 'echo*' -u 'libpod*' | tail -n "${E2E_JOURNAL:-80}" >&2 || true
	fi
	[[ -n ${leader:-} ]] && nsenter -t "$leader" -a -- systemctl poweroff >/dev/null 2>&1 || kill "$np" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$np" 2>/dev/null || break; sleep 0.2; done
	kill -0 "$np" 2>/dev/null && kill -KILL "$np" 2>/dev/null
	wait "$np" 2>/dev/null || true
	cgroups_cleanup payload supervisor
	if [[ $nspawn_dir_existed == no ]]; then
		rmdir /run/systemd/nspawn/locks /run/systemd/nspawn/propagate /run/systemd/nspawn 2>/dev/null || true
	fi
}
leader=
for _ in $(seq 100); do
	leader=$(pgrep -P "$np" -x systemd || true)
	[[ -n $leader ]] && break
	sleep 0.1
done
[[ -n $leader ]] || { cat "$stage/nspawn.log" >&2; die "systemd did not start in systemd-nspawn"; }
ns() { nsenter -t "$leader" -a -- "$@"; }
state=
for _ in $(seq 120); do
	state=$(ns systemctl is-system-running 2>/dev/null || true)
	[[ $state == running || $state == degraded ]] && break
	sleep 0.25
done
expect_eq "systemd in nspawn is up" running "$state"
[[ $state == running || $state == degraded ]] || die "systemd did not finish booting: $state"
say "systemd $(ns systemctl --version | head -n1 | cut -d' ' -f2) booted in nspawn (rootfs $rootfs)"

ns sh -ec '
	install -m 0755 /e2e/echo-server /usr/local/bin/echo-server
	cp -r /e2e/units/*.socket /e2e/units/*.service /e2e/units/*.d /etc/systemd/system/
	mkdir -m 1777 /run/echo-e2e-client
	systemctl daemon-reload
	podman load -q -i /e2e/image.tar >/dev/null'

# --- static checks under the real manager
out=$(ns systemd-analyze verify echo.socket echo-metrics.socket echo-vsock.socket echo.service echo-container.socket echo-container.service \
	echo-container-strict.socket echo-container-strict.service echo@4000.socket echo@4000.service \
	echo-udp.socket echo-udp.service 2>&1) &&
	[[ -z $out ]] && pass "systemd-analyze verify (in nspawn): no output" || fail "systemd-analyze verify (in nspawn): $out"
if out=$(ns systemd-analyze security --threshold="$THRESHOLD" echo.service 2>&1); then
	pass "systemd-analyze security echo.service (in nspawn): ${out##*→ Overall exposure level for echo.service: }"
else
	fail "systemd-analyze security echo.service above $THRESHOLD/10 (in nspawn): $(grep -E '✗|Overall' <<<"$out")"
fi

# show UNIT PROP...: "value value ..." in the order given
show() {
	local u=$1
	shift
	local p out=()
	for p in "$@"; do out+=("$(ns systemctl show -p "$p" --value "$u")"); done
	echo "${out[*]}"
}
umask0() { nsenter -t "$leader" -a -- sh -c 'umask 0; exec "$@"' sh "$@"; }

# probe PORT UNIXDIR DATAGRAM-UNIX(yes/no): every family through the running socket unit
probe() {
	local port=$1 dir=$2 unixgram=$3
	expect_echo "tcp4 (first connection starts the service)" 60 "TCP4:127.0.0.1:$port" ns
	expect_echo tcp6 10 "TCP6:[::1]:$port" ns
	expect_echo udp4 2 "UDP4:127.0.0.1:$port" ns
	expect_echo udp6 2 "UDP6:[::1]:$port" ns
	expect_echo "unix stream" 10 "UNIX-CONNECT:$dir/stream.sock" ns
	if [[ $unixgram == yes ]]; then
		expect_echo "unix datagram" 2 "UNIX-SENDTO:$dir/dgram.sock,bind=/run/echo-e2e-client/c.sock" umask0
	fi
}
# stop_unit NAME: stop service and socket; the service must end with Result=success
stop_unit() {
	ns systemctl stop "$1.socket" "$1.service"
	expect_eq "$1.service after stop (Result ExecMainStatus)" "success 0" "$(show "$1.service" Result ExecMainStatus)"
}

# journal_checks UNIT: journald took each line's <N> prefix as its priority (no line shows a
# prefix or a timestamp of its own; info lines are at priority 6)
journal_checks() {
	local lines bad
	lines=$(ns journalctl -b -q -u "$1" -o cat _COMM=echo-server)
	bad=$(grep -E '^<[0-9]>|time=' <<<"$lines" | head -n3 || true)
	[[ -n $lines && -z $bad ]] && pass "$1 journal: $(wc -l <<<"$lines") lines, no <N> prefix or time= left in the text" ||
		fail "$1 journal lines with a prefix or timestamp (or none): ${bad:-no lines}"
	expect_eq "$1 journal: info lines at priority info" "$(grep -c '^level=INFO' <<<"$lines")" \
		"$(ns journalctl -b -q -u "$1" -o cat _COMM=echo-server -p info..info | grep -c '^level=INFO')"
}

# --- native
ns systemctl start echo.socket echo-vsock.socket || fail "systemctl start echo.socket echo-vsock.socket: $(ns systemctl status --no-pager echo.socket echo-vsock.socket | tail -n5)"
expect_eq "echo.socket state" "active listening" "$(show echo.socket ActiveState SubState)"
expect_eq "echo-vsock.socket state" "active listening" "$(show echo-vsock.socket ActiveState SubState)"
listen=$(ns systemctl show -p Listen --value echo-vsock.socket)
[[ $listen == *"vsock::3000 (Stream)"* ]] && pass "echo-vsock.socket listens on vsock::3000 (echo over vsock needs a VM: not probed)" ||
	fail "echo-vsock.socket does not list vsock::3000: $listen"
probe 3000 /run/echo yes
expect_eq "echo.service state" "active running" "$(show echo.service ActiveState SubState)"
pid=$(show echo.service MainPID)
status=$(ns cat /proc/"$pid"/status)
uid=$(awk '/^Uid:/{print $2}' <<<"$status")
((uid >= 61184 && uid <= 65519)) && pass "echo.service runs as dynamic uid $uid" || fail "echo.service uid $uid is not a dynamic uid"
expect_eq "echo.service effective capabilities" 0000000000000000 "$(awk '/^CapEff:/{print $2}' <<<"$status")"
expect_eq "echo.service no_new_privs seccomp" "1 2" "$(awk '/^NoNewPrivs:/{a=$2} /^Seccomp:/{b=$2} END{print a, b}' <<<"$status")"
[[ $(ns readlink /proc/"$pid"/ns/net) != $(ns readlink /proc/1/ns/net) ]] &&
	pass "echo.service has its own network namespace" || fail "echo.service shares the container's network namespace"
expect_no_outbound "echo.service (PrivateNetwork=yes) to the container's loopback" "$pid" "$(free_port)" ns
# IPAddressDeny=any is kept because echo above worked with it: inherited sockets were made by
# PID 1, not in the service's cgroup. It only means something if the BPF firewall works here:
# a transient unit with IPAddressDeny=any must fail to reach a loopback listener that a
# unit without it reaches.
bpf_probe() { # bpf_probe PORT [-p PROP...]: connect from a transient unit, print what arrived
	local port=$1 seen
	shift
	seen=$(mktemp)
	ns timeout 8 socat -u TCP4-LISTEN:"$port",bind=127.0.0.1,reuseaddr OPEN:/dev/stdout >"$seen" 2>/dev/null &
	local l=$!
	sleep 0.3
	echo arrived | ns systemd-run --wait --pipe --collect -q "$@" socat -T2 - TCP4:127.0.0.1:"$port",connect-timeout=2 >/dev/null 2>&1 || true
	kill "$l" 2>/dev/null || true
	wait "$l" 2>/dev/null || true
	cat "$seen"
	rm -f "$seen"
}
if [[ $(bpf_probe "$(free_port)") != arrived ]]; then
	fail "BPF control: a transient unit without IPAddressDeny could not reach the loopback listener"
elif [[ -n $(bpf_probe "$(free_port)" -p IPAddressDeny=any) ]]; then
	fail "IPAddressDeny=any is not enforced in this container (BPF firewall missing): its check means nothing"
else
	pass "IPAddressDeny=any is enforced here (a transient unit cannot connect), and echo.service works with it"
fi
sleep 5 # more than two watchdog periods of the test drop-in (2 s)
expect_eq "echo.service after 5 s with WatchdogSec=2s (state MainPID NRestarts)" \
	"active running $pid 0" "$(show echo.service ActiveState SubState MainPID NRestarts)"
metrics=$(printf 'GET /metrics HTTP/1.0\r\n\r\n' | ns socat -t2 - UNIX-CONNECT:/run/echo/metrics.sock 2>&1 || true)
expect_eq "echo-metrics.socket state (its service runs)" "active running" "$(show echo-metrics.socket ActiveState SubState)"
expect_eq "metrics: bytes echoed on tcp4" 'echo_sent_bytes_total{network="tcp4",socket="echo"} 65536' \
	"$(grep -F 'echo_sent_bytes_total{network="tcp4"' <<<"$metrics" || echo "no such line in: ${metrics:0:300}")"
expect_eq "metrics: datagrams echoed on unixgram" 'echo_datagrams_sent_total{network="unixgram",socket="echo"} 1' \
	"$(grep -F 'echo_datagrams_sent_total{network="unixgram"' <<<"$metrics" || echo "no such line")"
journal_checks echo.service
started=$(ns journalctl -b -q -u echo.service -p info..info -o cat | grep 'echo-server started' || true)
[[ $started == *"vsock "*"(echo)"* && $started == *"unixgram /run/echo/dgram.sock (echo)"* && $started == *"unix /run/echo/metrics.sock (metrics)"* ]] &&
	pass "start-up line at info priority lists every socket, vsock from echo-vsock.socket too: ${started#*sockets=}" ||
	fail "start-up line at info priority lacks a socket: ${started:-none}"
stop_unit echo
expect_eq "echo-metrics.socket after stopping echo.socket (PartOf=)" inactive "$(show echo-metrics.socket ActiveState)"
expect_eq "echo-vsock.socket after stopping echo.socket (PartOf=)" inactive "$(show echo-vsock.socket ActiveState)"

# --- container units, nested podman
for unit in echo-container echo-container-strict; do
	ns systemctl start "$unit.socket" || fail "systemctl start $unit.socket"
	probe 3000 /run/echo no
	expect_eq "$unit.service state" "active running" "$(show "$unit.service" ActiveState SubState)"
	cpid=$(ns podman inspect -f '{{.State.Pid}}' "$unit" 2>/dev/null || true)
	if [[ -n $cpid && $cpid != 0 ]]; then
		expect_eq "$unit server uid" "65534 65534" "$(ns awk '/^Uid:/{print $2, $3}' /proc/"$cpid"/status)"
		expect_eq "$unit server effective capabilities" 0000000000000000 "$(ns awk '/^CapEff:/{print $2}' /proc/"$cpid"/status)"
		expect_no_outbound "$unit (--network=none) to the container's loopback" "$cpid" "$(free_port)" ns
	else
		fail "$unit: no container found: $(ns journalctl -u "$unit.service" --no-pager | tail -n5)"
	fi
	stop_unit "$unit"
done
expect_eq "echo-container-strict.service RestrictAddressFamilies" "AF_NETLINK AF_UNIX" \
	"$(show echo-container-strict.service RestrictAddressFamilies)"

# --- template instance
ns systemctl start echo@4000.socket || fail "systemctl start echo@4000.socket"
probe 4000 /run/echo-4000 yes
expect_eq "echo@4000.service state" "active running" "$(show echo@4000.service ActiveState SubState)"
# --max-conns=1 (test drop-in): a second connection while one is open is closed and warned about
ns sh -c 'sleep 3 | socat -T5 - TCP4:127.0.0.1:4000 >/dev/null' &
holder=$!
sleep 1
ns socat -T2 /dev/null TCP4:127.0.0.1:4000 >/dev/null 2>&1 || true
wait "$holder" || true
warned=$(ns journalctl -b -q -u echo@4000.service -p warning -o cat || true)
[[ $warned == *"level=WARN msg=\"connection limit reached"* ]] && pass "journalctl -p warning shows the server's warning: $warned" ||
	fail "journalctl -p warning lacks the connection-limit warning: ${warned:-nothing}"
journal_checks echo@4000.service
stop_unit echo@4000

# --- a reuseport group per address
ns systemctl start echo-udp.socket || fail "systemctl start echo-udp.socket: $(ns systemctl status --no-pager echo-udp.socket | tail -n5)"
expect_eq "echo-udp.socket: two datagram sockets per address" \
	"127.0.0.1:3000 (Datagram) 127.0.0.1:3000 (Datagram) [::1]:3000 (Datagram) [::1]:3000 (Datagram)" \
	"$(ns systemctl show -p Listen --value echo-udp.socket | tr '\n' ' ' | sed 's/ $//')"
# socat waits out -t after a UDP reply: 5 s is the service's start and the echo
expect_echo "udp4 over a reuseport group (the first datagram starts the service)" 5 "UDP4:127.0.0.1:3000" ns
expect_echo "udp6 over a reuseport group" 2 "UDP6:[::1]:3000" ns
expect_eq "echo-udp.service state" "active running" "$(show echo-udp.service ActiveState SubState)"
pid=$(show echo-udp.service MainPID)
expect_eq "echo-udp.service reader threads (one per socket)" "udp-reader-0 udp-reader-0 udp-reader-0 udp-reader-0" \
	"$(ns sh -c "cat /proc/$pid/task/*/comm" | grep '^udp-reader-' | sort | tr '\n' ' ' | sed 's/ $//')"
# 32 clients per address, each from its own port, so the kernel's hash reaches both sockets
replies=$(ns sh -c 'for i in $(seq 32); do
	for a in UDP4:127.0.0.1:3000 UDP6:[::1]:3000; do echo "client $i" | socat -t2 - "$a" & done
done; wait' | grep -c '^client ' || true)
expect_eq "echo-udp: replies to 64 clients" 64 "$replies"
stop_unit echo-udp
finals=$(ns journalctl -b -q -u echo-udp.service -o cat | grep 'msg=stats why=final' || true)
expect_eq "echo-udp: final stats lines (one per socket)" 4 "$(grep -c . <<<"$finals")"
idle=$(grep -c 'datagrams_in=0 ' <<<"$finals" || true)
expect_eq "echo-udp: sockets of a group that received nothing" 0 "$idle"
expect_eq "echo-udp: start-up lines for the groups" 4 \
	"$(ns journalctl -b -q -u echo-udp.service -o cat | grep -c 'UDP socket served by several loops.*readers=1 reuseport_group=2' || true)"

failed=$(ns systemctl list-units --failed --no-legend --plain | awk '{print $1}' | tr '\n' ' ')
expect_eq "failed units in the container" "" "$failed"
finish
