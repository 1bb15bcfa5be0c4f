#!/usr/bin/env bash
# bench/cmd/udpwait/run.sh MODE CONNS: one line per run (needs bench/bin/udpwait and bench/bin/loadgen,
# run from the repository root); the record is bench/results/udp-readers-2026-12-04.md
set -u
mode=$1 conns=$2
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
GOMAXPROCS=2 taskset -c 0-1 bench/bin/udpwait -mode $mode -readers 2 -addr 127.0.0.1:$port >/tmp/uw.out &
spid=$!
sleep 0.3
cs() { cat /proc/$spid/task/*/status | awk '/ctxt_switches/ {s+=$2} END {print s}'; }
c0=$(cs)
bench/bin/loadgen -quiet -mode udp -net udp -addr 127.0.0.1:$port -conns $conns -len 64 -duration 3s -warmup 300ms -server-pid $spid >/tmp/uw.json 2>/dev/null
c1=$(cs)
kill -TERM $spid; wait $spid
python3 - "$mode" "$conns" "$c0" "$c1" <<'PY'
import json,sys
r=json.load(open('/tmp/uw.json'))
mode,conns,c0,c1=sys.argv[1],sys.argv[2],int(sys.argv[3]),int(sys.argv[4])
lines=open('/tmp/uw.out').read().split('\n')[1:]
split=[l.split() for l in lines if l.startswith('reader')]
ech=[int(s[3]) for s in split]; tot=sum(ech) or 1
wakes=sum(int(s[5]) for s in split); empty=sum(int(s[7]) for s in split)
print(f"{mode:9} conns={conns:3} {r['msg_per_sec']:9.0f} msg/s  cpu {r.get('server_cpu_us_per_msg',0):.2f} us/msg  ctxsw/msg {(c1-c0)/max(r['messages'],1):.3f}  wakes/dgram {wakes/tot:.3f} empty {empty/max(wakes,1):.2f}  split {'/'.join(f'{100*e/tot:.0f}' for e in ech)}  cpu {' '.join(s[9] for s in split)}")
PY
