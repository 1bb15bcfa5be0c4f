#!/usr/bin/env bash
# How the server scales from one event loop on one core to two loops on two cores, on a 2-core
# machine: the load generator stays on core 1 in both cases, so with two loops it shares that
# core with the server. Median of REPS runs per cell; prints markdown tables and writes them, with
# the command, the machine and its load, to bench/results/multicore-<date>-<host>[-N].md.
# The TCP table is the server alone; the UDP table sets it beside gnet-native with as many loops
# (gnet binds one SO_REUSEPORT socket per loop) and the C baseline with as many threads, each
# on one inherited socket and as a reuseport group (README "UDP on every core").
# Usage: bench/multicore.sh [REPS] [COMMAND]   (make bench-multicore; needs make build bench-bins)
# MULTICORE_TABLES="tcp udp" (the default) picks the tables.
set -euo pipefail
reps=${1:-3}
command=${2:-"bench/multicore.sh $reps"}
bin=bin/echo-server
lg=bench/bin/loadgen
out=${MULTICORE_OUT:-bench/results}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() { # loops cpus mode conns len -> msg/s
  local loops=$1 cpus=$2 mode=$3 conns=$4 len=$5 port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  GOMAXPROCS=$loops taskset -c "$cpus" systemd-socket-activate -l "127.0.0.1:$port" \
    "$bin" --loops "$loops" 2>/dev/null &
  local spid=$!
  sleep 0.2
  echo x | timeout 5 socat -t2 - "tcp4:127.0.0.1:$port" >/dev/null
  taskset -c 1 timeout 30 "$lg" -quiet -mode "$mode" -net tcp -addr "127.0.0.1:$port" \
    -conns "$conns" -len "$len" -duration 2s -warmup 300ms -server-pid "$spid" >"$tmp/r.json" 2>/dev/null
  kill -TERM "$spid"; wait "$spid" || true
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["msg_per_sec"], r.get("server_cpu_us_per_msg",0))' "$tmp/r.json"
}

free_udp_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# group_py N PORT CMD...: exec CMD with N SO_REUSEPORT UDP sockets on 127.0.0.1:PORT as fds 3..,
# LISTEN_FDS and LISTEN_PID set, as systemd passes ReusePort=yes with N ListenDatagram= lines
# (systemd-socket-activate has no ReusePort). It execs in place: the server keeps its PID.
group_py='
import os, socket, sys
n, port, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("127.0.0.1", port))
    socks.append(s)
fds = [s.detach() for s in socks]
assert fds == list(range(3, 3 + n)), fds
for fd in fds:
    os.set_inheritable(fd, True)
os.environ.update(LISTEN_FDS=str(n), LISTEN_PID=str(os.getpid()))
os.execv(argv[0], argv)'

# udp SERVER N CPUS -> "msg/s cpu_us_per_msg": SERVER with N loops or threads on CPUS, pingpong
# of 64 datagram sockets (64 B), the load generator on core 1. No GOMAXPROCS: Go takes the
# affinity's CPU count, and the server adds its spare P (engine/datagramgroup.go).
udp() {
  local server=$1 n=$2 cpus=$3 port
  port=$(free_udp_port)
  case $server in
  echo-server) taskset -c "$cpus" systemd-socket-activate --datagram -l "127.0.0.1:$port" "$bin" --loops "$n" 2>/dev/null & ;;
  echo-server-group) taskset -c "$cpus" python3 -c "$group_py" "$n" "$port" "$bin" --loops "$n" 2>/dev/null & ;;
  gnet-native) taskset -c "$cpus" bench/bin/gnetnative -net udp -addr "127.0.0.1:$port" -loops "$n" >/dev/null 2>&1 & ;;
  c) taskset -c "$cpus" bench/bin/mmsg_echo udp "127.0.0.1:$port" "$n" & ;;
  c-reuseport) taskset -c "$cpus" bench/bin/mmsg_echo udp "127.0.0.1:$port" "$n" reuseport & ;;
  esac
  local spid=$!
  sleep 0.3
  echo x | timeout 5 socat -t2 - "udp4:127.0.0.1:$port" >/dev/null
  taskset -c 1 timeout 30 "$lg" -quiet -mode udp -net udp -addr "127.0.0.1:$port" \
    -conns 64 -len 64 -duration 2s -warmup 300ms -server-pid "$spid" >"$tmp/r.json" 2>/dev/null
  kill -TERM "$spid"; wait "$spid" || true
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["msg_per_sec"], r.get("server_cpu_us_per_msg",0))' "$tmp/r.json"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

load1() { cut -d' ' -f1 /proc/loadavg; }

# loaded LOAD OWN: other work (LOAD less the run's own OWN busy tasks) above the CPUs the run
# leaves free (it uses cores 0 and 1) by more than half a CPU, as bench/internal/host warns.
loaded() {
  awk -v l="$1" -v own="$2" -v n="$(nproc)" 'BEGIN { f = n > 2 ? n - 2 : 0; exit !(l - own > f + 0.5) }'
}

table() {
  echo "| workload | 1 loop, core 0 (msg/s) | 2 loops, cores 0-1 (msg/s) | 2 loops ÷ 1 loop |"
  echo "|---|---:|---:|---:|"
  for cell in "pingpong 50 64" "pingpong 1000 512" "flood 50 4096" "connrate 50 64"; do
    read -r mode conns len <<<"$cell"
    one=$(for _ in $(seq "$reps"); do run 1 0 "$mode" "$conns" "$len" | cut -d' ' -f1; done | median)
    two=$(for _ in $(seq "$reps"); do run 2 0-1 "$mode" "$conns" "$len" | cut -d' ' -f1; done | median)
    printf '| %s tcp n=%s l=%s | %.0f | %.0f | %.2f |\n' "$mode" "$conns" "$len" "$one" "$two" "$(echo "$two / $one" | bc -l)"
  done
}

udp_table() {
  echo "| UDP pingpong n=64 l=64 | 1 loop/thread, core 0 (msg/s) | 2, cores 0-1 (msg/s) | 2 ÷ 1 | CPU µs/datagram, 1 → 2 |"
  echo "|---|---:|---:|---:|---:|"
  for server in echo-server echo-server-group gnet-native c c-reuseport; do
    for _ in $(seq "$reps"); do udp "$server" 1 0; done >"$tmp/one"
    for _ in $(seq "$reps"); do udp "$server" 2 0-1; done >"$tmp/two"
    one=$(cut -d' ' -f1 "$tmp/one" | median); two=$(cut -d' ' -f1 "$tmp/two" | median)
    cpu1=$(cut -d' ' -f2 "$tmp/one" | median); cpu2=$(cut -d' ' -f2 "$tmp/two" | median)
    printf '| %s | %.0f | %.0f | %.2f | %.2f → %.2f |\n' "$(udp_label "$server")" "$one" "$two" "$(echo "$two / $one" | bc -l)" "$cpu1" "$cpu2"
  done
}

udp_label() {
  case $1 in
  echo-server) echo "echo-server, one inherited socket, --loops N (N readers)" ;;
  echo-server-group) echo "echo-server, reuseport group of N sockets, --loops N" ;;
  gnet-native) echo "gnet-native, N loops (N reuseport sockets)" ;;
  c) echo "C mmsg_echo, N threads on one socket" ;;
  c-reuseport) echo "C mmsg_echo, N threads, N reuseport sockets" ;;
  esac
}

tables=${MULTICORE_TABLES:-tcp udp}
before=$(load1)
warning=""
if loaded "$before" 0; then
  warning="the machine was loaded: 1-minute load average $before before the run on $(nproc) CPUs, of which the run leaves $(( $(nproc) > 2 ? $(nproc) - 2 : 0 )) free; other work competed with the run and its numbers are disturbed: rerun on a quiet machine"
  echo "multicore.sh: WARNING: $warning" >&2
fi
: >"$tmp/table.md"
case " $tables " in *" tcp "*) table | tee -a "$tmp/table.md"; echo | tee -a "$tmp/table.md" ;; esac
case " $tables " in *" udp "*) udp_table | tee -a "$tmp/table.md" ;; esac
after=$(load1)

runs="median of $reps runs"
[ "$reps" != 1 ] || runs="one run"
base="$out/multicore-$(date +%F)-$(hostname | tr / _)"
rec="$base.md"
for n in $(seq 2 100); do [ -e "$rec" ] || break; rec="$base-$n.md"; done
{
  echo "# One event loop against two, $(date -u '+%F %H:%M UTC') on $(hostname)"
  echo
  if [ "$command" = "bench/multicore.sh $reps" ]; then echo "- Command: \`$command\`"
  else echo "- Command: \`$command\` (\`bench/multicore.sh $reps\`)"; fi
  echo "- Machine: nproc $(nproc), CPU $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -sr)"
  echo "- Load: 1-minute load average $before before, $after after, on $(nproc) CPUs; the runs use cores 0 and 1"
  [ -z "$warning" ] || echo "- **Warning: $warning.**"
  echo "- Method: the server on core 0 (1 loop) or cores 0-1 (2 loops), the load generator always on core 1; $runs of 2 s. TCP: GOMAXPROCS=loops. UDP: no GOMAXPROCS (Go takes the affinity's CPU count; the server adds one spare P when it has several readers), 64 client sockets ping-ponging 64-byte datagrams; the CPU column is the server's CPU time per datagram echoed."
  echo "- Tables: $tables"
  echo
  cat "$tmp/table.md"
} >"$rec"
echo "multicore.sh: record written to $rec"
