#!/usr/bin/env bash
# podman-e2e.sh: the image, built from bin/echo-server, run by podman --network=none under
# systemd-socket-activate, as the seed article does it:
# - image: under 10 MB, uid 65534, OCI labels, nothing in it but the binary (no shell);
# - stream run: tcp4, tcp6 and unix stream echo byte for byte;
# - datagram run: udp4 and udp6 echo byte for byte;
# - the server runs as 65534 with no capabilities and no_new_privs, in its own network
#   namespace with only a loopback, and cannot connect to a listener on the host's 127.0.0.1;
# - SIGTERM (podman stop) ends it with status 0.
# Podman uses test-only settings (containers.conf, storage.conf beside this file).
source "$(dirname "$0")/lib.sh"
need_root
need podman podman
need runc runc
need socat socat
need systemd-socket-activate systemd
need ss iproute2
BIN=${BIN:-$REPO/bin/echo-server}
IMAGE=localhost/echo-server:e2e
[[ -x $BIN ]] || die "$BIN missing: run make build"
export CONTAINERS_CONF=$E2E_DIR/containers.conf CONTAINERS_STORAGE_CONF=$E2E_DIR/storage.conf
pod() { podman "$@"; }
cgroups_snapshot
on_exit cgroups_cleanup libpod_parent

work=$(mktemp -d /tmp/echo-e2e.XXXXXX)
on_exit rm -rf "$work"
mkdir "$work/ctx" && cp "$BIN" "$work/ctx/echo-server"
pod build -q --layers=false -f "$REPO/container/Containerfile.prebuilt" --build-arg VERSION=e2e -t "$IMAGE" "$work/ctx" >/dev/null ||
	die "podman build failed"
on_exit "podman rmi -f $IMAGE >/dev/null 2>&1"

# --- the image
size=$(pod image inspect -f '{{.Size}}' "$IMAGE")
if ((size < 10 * 1000 * 1000)); then pass "image size $size bytes (< 10 MB)"; else fail "image size $size bytes (>= 10 MB)"; fi
expect_eq "image user" "65534:65534" "$(pod image inspect -f '{{.Config.User}}' "$IMAGE")"
expect_eq "image entrypoint" "[/usr/local/bin/echo-server]" "$(pod image inspect -f '{{.Config.Entrypoint}}' "$IMAGE")"
for l in source version description; do
	v=$(pod image inspect -f "{{index .Labels \"org.opencontainers.image.$l\"}}" "$IMAGE")
	if [[ -n $v && $v != "<no value>" ]]; then pass "label org.opencontainers.image.$l = $v"; else fail "label org.opencontainers.image.$l missing"; fi
done
cid=$(pod create --pull=never "$IMAGE")
files=$(pod export "$cid" | tar -t | grep -v '/$' | sort | tr '\n' ' ')
pod rm -f "$cid" >/dev/null
# podman adds empty mount points and run/.containerenv; the one file of substance is the binary
extra=$(tr ' ' '\n' <<<"$files" | grep -vxE 'usr/local/bin/echo-server|run/\.containerenv|etc/(hosts|resolv\.conf|hostname)|' || true)
if [[ $files != *usr/local/bin/echo-server* ]]; then fail "image lacks usr/local/bin/echo-server: $files"
elif [[ -z $extra ]]; then pass "image holds only the server binary ($files)"; else fail "image holds more than the binary: $extra"; fi

# run NAME MODE ADDR...: serve ADDRs (MODE: stream or --datagram) from a container; sets $sap.
run() {
	local name=$1 mode=$2
	shift 2
	local args=() a
	for a in "$@"; do args+=(-l "$a"); done
	[[ $mode == --datagram ]] && args+=(--datagram)
	systemd-socket-activate "${args[@]}" --fdname=echo \
		-E CONTAINERS_CONF -E CONTAINERS_STORAGE_CONF -E PATH \
		podman run --rm --pull=never --name "$name" --network=none --read-only --cap-drop=all \
		--security-opt=no-new-privileges --user=65534:65534 "$IMAGE" --debug \
		>"$work/$name.log" 2>&1 &
	sap=$!
	on_exit "podman rm -f --ignore -t 2 $name >/dev/null 2>&1"
	sleep 0.3
	kill -0 "$sap" 2>/dev/null || { cat "$work/$name.log" >&2; die "systemd-socket-activate $name did not start"; }
}
# running NAME: wait until the container runs, print its host pid
running() {
	local pid
	for _ in $(seq 100); do
		pid=$(pod inspect -f '{{.State.Pid}}' "$1" 2>/dev/null || true)
		[[ -n $pid && $pid != 0 ]] && { echo "$pid"; return; }
		sleep 0.1
	done
	cat "$work/$1.log" >&2
	die "container $1 did not start"
}
# confined NAME PID: uid, capabilities, no_new_privs, network namespace, outbound connect
confined() {
	local name=$1 pid=$2
	expect_eq "$name uid (real effective saved fs)" "65534 65534 65534 65534" "$(awk '/^Uid:/{print $2, $3, $4, $5}' /proc/"$pid"/status)"
	expect_eq "$name effective capabilities" 0000000000000000 "$(awk '/^CapEff:/{print $2}' /proc/"$pid"/status)"
	expect_eq "$name bounding capabilities" 0000000000000000 "$(awk '/^CapBnd:/{print $2}' /proc/"$pid"/status)"
	expect_eq "$name no_new_privs" 1 "$(awk '/^NoNewPrivs:/{print $2}' /proc/"$pid"/status)"
	if [[ $(readlink /proc/"$pid"/ns/net) != $(readlink /proc/self/ns/net) ]]; then pass "$name has its own network namespace"; else fail "$name shares the host network namespace"; fi
	expect_eq "$name network interfaces" "lo" "$(awk -F: 'NR > 2 {gsub(/ /, "", $1); print $1}' /proc/"$pid"/net/dev | tr '\n' ' ' | sed 's/ $//')"
	expect_no_outbound "$name" "$pid" "$(free_port)"
}
# stop NAME: SIGTERM through podman stop; the server must exit 0
stop() {
	pod stop -t 5 "$1" >/dev/null 2>&1 || true
	local rc=0
	wait "$sap" || rc=$?
	expect_eq "$1 exit status after SIGTERM" 0 "$rc"
}

# --- stream run
port=$(free_port)
name=echo-e2e-stream-$$
run "$name" stream "127.0.0.1:$port" "[::1]:$port" "$work/stream.sock"
expect_echo "tcp4 (first connection starts the container)" 5 "TCP4:127.0.0.1:$port"
pid=$(running "$name")
expect_echo tcp6 5 "TCP6:[::1]:$port"
expect_echo "unix stream" 5 "UNIX-CONNECT:$work/stream.sock"
confined "$name" "$pid"
stop "$name"

# --- datagram run
port=$(free_port)
name=echo-e2e-dgram-$$
run "$name" --datagram "127.0.0.1:$port" "[::1]:$port"
echo wake | socat -u - "UDP4-SENDTO:127.0.0.1:$port" # the first datagram starts the container
pid=$(running "$name")
expect_echo udp4 2 "UDP4:127.0.0.1:$port"
expect_echo udp6 2 "UDP6:[::1]:$port"
confined "$name" "$pid"
stop "$name"
finish
