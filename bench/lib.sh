# Shell helpers the bench scripts source (bench/idle.sh, connrate-counts.sh, connrate-pairs.sh).
# shellcheck shell=bash

# free_port: a loopback TCP port that was free a moment ago.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_echo ADDR: until a TCP echo server at ADDR (127.0.0.1:PORT) answers, at most 5 s.
wait_echo() {
	for _ in $(seq 50); do
		[ "$(echo ping | timeout 1 socat -t1 - TCP:"$1" 2>/dev/null)" = ping ] && return 0
		sleep 0.1
	done
	return 1
}
