# shellcheck shell=bash
# lib.sh: helpers shared by the e2e scripts (sourced, not run).
# Every check prints PASS or FAIL with a reason; a script ends non-zero if any check failed.
# Cleanup actions are registered with on_exit and run in reverse order, even on failure.

set -euo pipefail
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this file
REPO=$(cd "$E2E_DIR/../.." && pwd)
failures=0
cleanups=()

say() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
pass() { say "PASS $*"; }
fail() { say "FAIL $*"; failures=$((failures + 1)); }
die() { say "FAIL $*"; exit 1; }

on_exit() { cleanups+=("$*"); }
run_cleanups() {
	local i
	for ((i = ${#cleanups[@]} - 1; i >= 0; i--)); do eval "${cleanups[i]}" || true; done
}
finish() {
	if ((failures > 0)); then say "$(basename "$0"): $failures check(s) failed"; exit 1; fi
	say "$(basename "$0"): all checks passed"
}
trap run_cleanups EXIT

# need TOOL PACKAGE: fail early, saying what to install.
need() { command -v "$1" >/dev/null || die "$1 not found: apt-get install $2"; }
need_root() { [[ $(id -u) == 0 ]] || die "$(basename "$0") needs root (systemd-nspawn, podman, nsenter)"; }

# payload FILE SIZE: SIZE random bytes, so a mangled or truncated echo cannot pass.
payload() { head -c "$2" /dev/urandom >"$1"; }

# free_port: a TCP and UDP port no socket uses, below the ephemeral range (where a busy
# machine's outgoing connections would make a bind fail).
free_port() {
	local p lo
	lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
	for _ in $(seq 50); do
		p=$((10000 + RANDOM % (lo - 10000)))
		if ! ss -Htuan | awk '{print $5}' | grep -qE "[:.]$p\$"; then echo "$p"; return; fi
	done
	die "no free port found"
}

# expect_echo NAME TIMEOUT SOCAT-ADDRESS [RUNNER...]: send a random payload through socat
# (run by RUNNER, e.g. nsenter ...) and compare the reply byte for byte.
# Stream probes send 64 KiB; datagram probes (udp*, unix-sendto) send one 1200-byte datagram.
expect_echo() {
	local name=$1 timeout=$2 addr=$3 size=65536
	shift 3
	case $addr in udp* | UDP* | unix-sendto* | UNIX-SENDTO*) size=1200 ;; esac
	local in out
	in=$(mktemp) out=$(mktemp)
	payload "$in" "$size"
	if "$@" socat -b 65536 -t "$timeout" -T 10 - "$addr" <"$in" >"$out" 2>"$out.err" && cmp -s "$in" "$out"; then
		pass "echo $name ($size bytes, byte-exact)"
	else
		fail "echo $name: sent $size bytes, got $(stat -c %s "$out") back$(head -c 300 "$out.err" | tr '\n' ' ' | sed 's/^/: /')"
	fi
	rm -f "$in" "$out" "$out.err"
}

# expect_eq NAME WANT GOT
expect_eq() {
	if [[ $2 != "$3" ]]; then
		fail "$1: want '$2', got '$3'"
	elif [[ $3 == *$'\n'* ]]; then
		pass "$1 ($(wc -l <<<"$3") lines)"
	else
		pass "$1 = $3"
	fi
}

# expect_no_outbound NAME PID PORT [RUNNER...]: from PID's network namespace, a connect to a
# listener on 127.0.0.1:PORT in the runner's namespace must fail and the listener must see
# nothing. A control connect from the runner's own namespace must get through first, so a
# broken probe cannot pass. PID is as the runner sees it (e.g. inside an nspawn container).
expect_no_outbound() {
	local name=$1 pid=$2 port=$3
	shift 3
	local seen err
	seen=$(mktemp)
	listen_once() {
		"$@" timeout 6 socat -u TCP4-LISTEN:"$port",bind=127.0.0.1,reuseaddr OPEN:/dev/stdout >>"$seen" 2>/dev/null &
		sleep 0.3
	}
	listen_once "$@"
	echo control | "$@" socat -T2 - TCP4:127.0.0.1:"$port" >/dev/null 2>&1 || true
	wait $! 2>/dev/null || true
	if ! grep -q control "$seen"; then
		fail "$name: control connect to 127.0.0.1:$port did not arrive; the probe is broken"
		rm -f "$seen"
		return
	fi
	listen_once "$@"
	if err=$(echo escaped | "$@" nsenter -t "$pid" -n socat -T2 - TCP4:127.0.0.1:"$port" 2>&1); then
		fail "$name: connect from the server's network namespace to 127.0.0.1:$port succeeded"
	elif grep -q escaped "$seen"; then
		fail "$name: the listener received data from the server's namespace"
	else
		pass "$name: outbound connect fails (${err##*: })"
	fi
	kill $! 2>/dev/null || true
	wait $! 2>/dev/null || true
	rm -f "$seen"
}

# cgroups_snapshot, then cgroups_cleanup NAME...: remove the top-level cgroups called NAME that
# did not exist at the snapshot and are empty now (nspawn and podman leave such behind).
cgroups_snapshot() { cgroups_before=$(find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -type d | sort); }
cgroups_cleanup() {
	local n d
	for n in "$@"; do
		for d in /sys/fs/cgroup/*/"$n" /sys/fs/cgroup/"$n"; do
			[[ -d $d ]] || continue
			grep -qxF "$d" <<<"$cgroups_before" && continue
			for _ in $(seq 20); do # a just-exited conmon may still be leaving
				find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
				[[ -d $d ]] || break
				sleep 0.1
			done
		done
	done
}
