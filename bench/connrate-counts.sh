#!/bin/bash
# Per-connection system calls and wake-ups of a server, and of the load
# generator, under the connrate load; one round per server given, in the
# order given:
#
#   bench/connrate-counts.sh CONNS SERVER...
#
# SERVER is NAME=BIN (the project binary BIN, started as benchrun starts
# it: systemd-socket-activate, --loops 1), gnet-native
# (bench/bin/gnetnative), c (bench/bin/epoll_echo), stdlib or nbio (the
# peers of those names). Each server runs
# pinned to core 0 (GOMAXPROCS=1, nice -10), loadgen on core 1 for 4 s;
# from 1.2 s in, perf stat counts the system calls of the server and of
# loadgen for 2 s, and /proc/PID/task/*/status gives their threads' context
# switches over the same window. Counts are divided by the connections the
# server accepted in the window (accept4 returning an fd). Two lines per
# round, the server's (srv) and loadgen's (lg):
#   syscalls epoll_pwait poll(timeout 0) may-block accept4 read write close
#   epoll_ctl futex nanosleep epoll_wait, then voluntary and involuntary context
#   switches (all threads) and the voluntary ones of the busiest thread;
# the srv line ends with the server's CPU µs per connection (loadgen's
# figure) and each core's busy share (all processes) split into user,
# system, softirq and steal. Root is needed for the tracepoints and nice -10.
# Run it under flock /tmp/bench.lock.
set -eu
conns=$1
shift
bins=$(dirname "$0")/bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

# ctxsw PID: "tid voluntary involuntary" per thread.
ctxsw() {
	for f in /proc/"$1"/task/*/status; do
		awk -v t="${f%/status}" '/^voluntary_ctxt_switches/ {v=$2} /^nonvoluntary_ctxt_switches/ {n=$2} END {sub(".*/", "", t); print t, v, n}' "$f" 2>/dev/null || true
	done | sort
}

events=(-e raw_syscalls:sys_enter
	-e syscalls:sys_enter_epoll_pwait
	-e syscalls:sys_enter_epoll_pwait --filter 'timeout == 0'
	-e syscalls:sys_enter_epoll_pwait --filter 'timeout != 0'
	-e syscalls:sys_enter_accept4
	-e syscalls:sys_exit_accept4 --filter 'ret >= 0'
	-e syscalls:sys_enter_read -e syscalls:sys_enter_write -e syscalls:sys_enter_close
	-e syscalls:sys_enter_epoll_ctl -e syscalls:sys_enter_futex -e syscalls:sys_enter_nanosleep
	-e syscalls:sys_enter_epoll_wait)

# counts TAG: the per-connection line of perf file TAG and context switch
# files TAG.0/TAG.1, divided by the server's accepted connections ($acc).
counts() {
	join "$tmp/$1".0 "$tmp/$1".1 | awk '{v+=$4-$2; n+=$5-$3; if ($4-$2>m) m=$4-$2} END {print v, n, m}' >"$tmp/$1".cs
	grep -v '^#' "$tmp/$1".perf | grep . | cut -d, -f1 | sed 's/<not counted>/0/' | paste -sd' ' | cat - "$tmp/$1".cs | paste -sd' ' |
		awk -v c="$acc" '{for (i=1; i<=NF; i++) if (i!=6) printf " %5.2f", $i/c}'
}

round() {
	local name=$1 addr pid lg acc
	addr=127.0.0.1:$(free_port)
	start_server "$2" "$addr" "$tmp"/srv.log
	pid=$!
	wait_echo "$addr" || true
	GOMAXPROCS=1 nice -n -10 taskset -c 1 "$bins"/loadgen -quiet -mode connrate -net tcp -addr "$addr" \
		-conns "$conns" -len 64 -duration 4s -warmup 200ms -server-pid "$pid" -server "$name" >"$tmp"/lg.json 2>"$tmp"/lg.err &
	lg=$!
	sleep 1.2
	ctxsw "$pid" >"$tmp"/srv.0
	ctxsw "$lg" >"$tmp"/lg.0
	grep -E '^cpu[01] ' /proc/stat >"$tmp"/st0
	perf stat -x, -p "$lg" "${events[@]}" -o "$tmp"/lg.perf -- sleep 2 >/dev/null 2>&1 &
	local lp=$!
	perf stat -x, -p "$pid" "${events[@]}" -o "$tmp"/srv.perf -- sleep 2 >/dev/null 2>&1
	wait "$lp" || true
	ctxsw "$pid" >"$tmp"/srv.1
	ctxsw "$lg" >"$tmp"/lg.1
	grep -E '^cpu[01] ' /proc/stat >"$tmp"/st1
	wait "$lg" || true
	kill -TERM "$pid"
	wait "$pid" || true
	acc=$(grep -v '^#' "$tmp"/srv.perf | grep . | sed -n 6p | cut -d, -f1)
	printf '%-12s %6d conn/s %6d conns srv' "$name" "$(jq -r '.msg_per_sec|floor' "$tmp"/lg.json)" "$acc"
	counts srv
	printf ' | %5.1f us' "$(jq -r '.server_cpu_us_per_msg' "$tmp"/lg.json)"
	paste "$tmp"/st0 "$tmp"/st1 | awk '{t=0; for (i=2; i<=11; i++) t+=$(i+11)-$i
		printf " | cpu%s %3.0f%% = u%2.0f s%2.0f si%2.0f st%2.0f", substr($1,4), 100*(1-($16+$17-$5-$6)/t),
			100*($13+$14-$2-$3)/t, 100*($15-$4)/t, 100*($19-$8)/t, 100*($20-$9)/t}'
	printf '\n%-12s %6s        %6s       lg ' "" "" ""
	counts lg
	printf '\n'
}

echo "# per connection: syscalls epoll_pwait poll may-block accept4 read write close epoll_ctl futex nanosleep epoll_wait | vol-cs invol-cs vol-cs(busiest thread)"
for s in "$@"; do
	case $s in
	gnet-native | c | stdlib | nbio) round "$s" "$s" ;;
	*=*) round "${s%%=*}" "${s#*=}" ;;
	*) echo "bad server $s" >&2; exit 2 ;;
	esac
done
