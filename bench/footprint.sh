#!/bin/bash
# footprint.sh BIN ARGS...: goroutines, threads and RSS (KiB) of a serving server, the start of
# median goroutine count of 5 (goroutines from the SIGQUIT dump, threads and VmRSS from
# /proc/PID/status, 0.3 s after the start-up line). Prints "goroutines threads rss_kib".
set -eu
bin=$1; shift
err=$(mktemp); trap 'rm -f "$err"' EXIT
for _ in 1 2 3 4 5; do
  GOTRACEBACK=all "$bin" "$@" 2>"$err" & pid=$!
  for _ in $(seq 50); do grep -q "echo-server started" "$err" && break; sleep 0.05; done
  sleep 0.3
  th=$(awk '/^Threads/{print $2}' /proc/$pid/status); rss=$(awk '/^VmRSS/{print $2}' /proc/$pid/status)
  kill -QUIT $pid; wait $pid 2>/dev/null || true
  echo "$(grep -c '^goroutine [0-9]' "$err") $th $rss"
done | sort -n | sed -n 3p
