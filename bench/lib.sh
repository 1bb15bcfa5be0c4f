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

# start_server BIN ADDR LOG: a TCP echo server on ADDR in the background, as benchrun starts it:
# on core 0 with GOMAXPROCS=1 and nice -10, output to LOG; $! is its PID. BIN is gnet-native,
# stdlib, nbio or c (the peers in bench/bin), or the project's binary (under
# systemd-socket-activate, --loops 1).
start_server() {
	local log=$3 bins
	bins=$(dirname "${BASH_SOURCE[0]}")/bin
	case $1 in
	gnet-native) set -- "$bins"/gnetnative -net tcp -addr "$2" ;;
	stdlib | nbio) set -- "$bins/$1" -net tcp -addr "$2" ;;
	c) set -- "$bins"/epoll_echo tcp "$2" ;;
	*) set -- systemd-socket-activate -E GOMAXPROCS=1 -l "$2" "$1" --loops 1 ;;
	esac
	GOMAXPROCS=1 nice -n -10 taskset -c 0 "$@" >"$log" 2>&1 &
}
