#!/bin/bash
# Paired connrate runs: PAIRS repetitions, each running every SERVER once
# in a shuffled order, each run as benchrun runs it (server on core 0 with
# GOMAXPROCS=1, loadgen on core 1, both at nice -10, 1.5 s measured after
# 300 ms warm-up); then each server's median conn/s and, for every two
# servers, the median over repetitions of the ratio of their conn/s in the
# same repetition (each server over every server named before it), with
# its range.
#
#   bench/connrate-pairs.sh CONNS PAIRS SERVER...
#
# SERVER is NAME=BIN, BIN being the project binary (under
# systemd-socket-activate, --loops 1) or a peer: gnet-native, stdlib, nbio
# or c (start_server in bench/lib.sh); two names of gnet-native make the
# A/A control. Every line of raw results goes to stderr. Run it under
# flock /tmp/bench.lock; keep CONNS x PAIRS x servers x 2.5 s under 5 min.
set -eu
conns=$1 pairs=$2
shift 2
bins=$(dirname "$0")/bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

# run NAME BIN: one run; prints "rep name conn/s errors".
run() {
	local addr pid
	addr=127.0.0.1:$(free_port)
	start_server "$2" "$addr" "$tmp"/srv.log
	pid=$!
	wait_echo "$addr" || true
	GOMAXPROCS=1 nice -n -10 taskset -c 1 "$bins"/loadgen -quiet -mode connrate -net tcp -addr "$addr" \
		-conns "$conns" -len 64 -duration 1.5s -warmup 300ms -server-pid "$pid" -server "$1" >"$tmp"/lg.json 2>/dev/null || true
	kill -TERM "$pid"
	wait "$pid" || true
	jq -r --arg rep "$rep" '"\($rep) \(.server) \(.msg_per_sec|floor) \(.errors) \(.mismatches) \(.server_cpu_us_per_msg)"' "$tmp"/lg.json
}

for rep in $(seq "$pairs"); do
	for s in $(printf '%s\n' "$@" | shuf); do
		run "${s%%=*}" "${s#*=}"
	done
done | tee /dev/stderr >"$tmp"/raw

python3 - "$tmp"/raw "${@%%=*}" <<'EOF'
import sys, statistics
by = {}
for rep, name, rate, err, mis, cpu in (l.split() for l in open(sys.argv[1])):
    by.setdefault(name, {})[rep] = (float(rate), int(err), int(mis), float(cpu))
names = sys.argv[2:]
for a in names:
    r = by[a].values()
    print(f"{a:14s} median {statistics.median(x[0] for x in r):8.0f} conn/s  cpu {statistics.median(x[3] for x in r):5.1f} us/conn  "
          f"errors {sum(x[1] for x in r)} mismatches {sum(x[2] for x in r)}")
for i, b in enumerate(names):
    for a in names[i + 1:]:
            q = sorted(by[a][k][0] / by[b][k][0] for k in by[a] if k in by[b])
            print(f"{a} / {b}: median {statistics.median(q):.3f} [{q[0]:.2f}..{q[-1]:.2f}] over {len(q)} pairs")
EOF
