#!/usr/bin/env bash
# Server CPU per message with many mostly idle persistent connections, the project (its idle
# timeout on, so its per-loop wheel ticks) beside gnet-native (no idle timeout at all): each
# connection sends LEN=1 byte and waits PAUSE after each echo (loadgen -pause). Server on core 0
# (GOMAXPROCS=1, one loop), load generator on core 1; the servers alternate run by run; REPS
# rounds; prints a markdown table of the median CPU µs per message and the per-round ratio, and
# writes it, with the command, the machine and its load, to bench/results/idle-<date>-<host>[-N].md.
# Usage: bench/idle.sh [REPS] [COMMAND]   (needs make build bench-bins; root for 20,000 fds)
# IDLE_CONNS="1000 10000", IDLE_PAUSE=500ms, IDLE_TIMEOUT=1s, IDLE_DURATION=20s.
set -euo pipefail
reps=${1:-3}
command=${2:-"bench/idle.sh $reps"}
conns_list=${IDLE_CONNS:-1000 10000}
pause=${IDLE_PAUSE:-500ms}
idle=${IDLE_TIMEOUT:-1s}
duration=${IDLE_DURATION:-20s}
bin=bin/echo-server
lg=bench/bin/loadgen
out=${IDLE_OUT:-bench/results}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ulimit -n "$(ulimit -Hn)" # 10,000 connections: that many fds in the server and in loadgen

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

run() { # server conns -> "msg/s cpu_us_per_msg"
  local server=$1 conns=$2 port spid
  port=$(free_port)
  if [ "$server" = echo-server ]; then
    GOMAXPROCS=1 taskset -c 0 "$bin" --listen "tcp4://127.0.0.1:$port" --loops 1 --idle-timeout "$idle" \
      --max-conns 30000 --max-conns-per-source 0 2>/dev/null &
  else
    GOMAXPROCS=1 taskset -c 0 bench/bin/gnetnative -net tcp -addr "127.0.0.1:$port" >/dev/null 2>&1 &
  fi
  spid=$!
  wait_echo "127.0.0.1:$port" || true
  GOMAXPROCS=1 taskset -c 1 timeout 120 "$lg" -quiet -mode pingpong -net tcp -addr "127.0.0.1:$port" \
    -conns "$conns" -len 1 -pause "$pause" -duration "$duration" -warmup 2s -server-pid "$spid" >"$tmp/r.json" 2>/dev/null
  kill -TERM "$spid"; wait "$spid" || true
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["msg_per_sec"], r["server_cpu_us_per_msg"])' "$tmp/r.json"
}

load_before=$(cut -d' ' -f1 /proc/loadavg)
rows=""
for conns in $conns_list; do
  : >"$tmp/cells"
  for rep in $(seq "$reps"); do
    a=$(run echo-server "$conns"); b=$(run gnet-native "$conns")
    echo "$conns $rep $a $b" | tee -a "$tmp/cells" >&2
  done
  rows+=$(python3 - "$tmp/cells" <<'PY'
import statistics, sys
cells = [l.split() for l in open(sys.argv[1])]
ours = [float(c[3]) for c in cells]; peer = [float(c[5]) for c in cells]
ratios = [float(c[3]) / float(c[5]) for c in cells]
rates = [float(c[2]) for c in cells]
print(f"| {cells[0][0]} | {statistics.median(rates):.0f} | {statistics.median(ours):.2f} | {statistics.median(peer):.2f} | "
      f"**{statistics.median(ratios):.2f}x** ({', '.join(f'{r:.2f}' for r in ratios)}) |")
PY
)$'\n'
done
load_after=$(cut -d' ' -f1 /proc/loadavg)
n=""; i=1
while [ -e "$out/idle-$(date -u +%F)-$(hostname -s)$n.md" ]; do i=$((i+1)); n="-$i"; done
file="$out/idle-$(date -u +%F)-$(hostname -s)$n.md"
{
  echo "# Idle persistent connections: server CPU per message, $(date -u '+%F %H:%M UTC') on $(hostname -s)"
  echo
  echo "- Command: \`$command\` (IDLE_CONNS=\"$conns_list\" IDLE_PAUSE=$pause IDLE_TIMEOUT=$idle IDLE_DURATION=$duration)"
  echo "- Machine: nproc $(nproc), kernel $(uname -r); 1-minute load $load_before before, $load_after after"
  echo "- Method: each connection sends 1 byte and waits $pause after each echo; echo-server \`--idle-timeout $idle\` (its wheel ticks every $idle/4; nobody is closed), gnet-native has no idle timeout; server \`GOMAXPROCS=1 taskset -c 0\`, loadgen \`taskset -c 1\`; $duration measured after 2 s; servers alternated; $reps rounds. CPU is the server's utime+stime over the window ÷ echoed messages."
  echo
  echo "| connections | msg/s (echo-server) | echo-server CPU µs/msg | gnet-native CPU µs/msg | echo-server ÷ gnet-native: median (rounds) |"
  echo "|---:|---:|---:|---:|---|"
  printf '%s' "$rows"
} >"$file"
cat "$file"
echo "idle: record written to $file" >&2
