#!/usr/bin/env bash
# How the server scales from one event loop on one core to two loops on two cores, on a 2-core
# machine: the load generator stays on core 1 in both cases, so with two loops it shares that
# core with the server. Median of REPS runs per cell; prints a markdown table and writes it, with
# the command, the machine and its load, to bench/results/multicore-<date>-<host>[-N].md.
# Usage: bench/multicore.sh [REPS] [COMMAND]   (make bench-multicore; needs make build bench-bins)
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

before=$(load1)
warning=""
if loaded "$before" 0; then
  warning="the machine was loaded: 1-minute load average $before before the run on $(nproc) CPUs, of which the run leaves $(( $(nproc) > 2 ? $(nproc) - 2 : 0 )) free; other work competed with the run and its numbers are disturbed: rerun on a quiet machine"
  echo "multicore.sh: WARNING: $warning" >&2
fi
table | tee "$tmp/table.md"
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
  echo "- Method: GOMAXPROCS=loops, the server on core 0 (1 loop) or cores 0-1 (2 loops), the load generator always on core 1; $runs of 2 s."
  echo
  cat "$tmp/table.md"
} >"$rec"
echo "multicore.sh: record written to $rec"
