# Benchmark targets, included by the top Makefile. See bench/README.md.
BENCH_BIN    := bench/bin
BENCH_CFLAGS := -O2 -Wall -Wextra
BENCH_REPS   ?= 5

.PHONY: bench bench-quick bench-bins bench-setup bench-startup bench-multicore soak

# The whole matrix, BENCH_REPS runs per cell (default 5, the fewest the paired verdicts need): writes bench/results/<date>-<host>[-N].{md,jsonl,png}.
bench: build bench-bins
	$(BENCH_BIN)/benchrun -profile full -reps $(BENCH_REPS) -command "make bench BENCH_REPS=$(BENCH_REPS)"

# A smoke subset, one short run per cell; results go to bench/bin/quick/.
bench-quick: build bench-bins
	$(BENCH_BIN)/benchrun -profile quick -reps 1 -duration 500ms -warmup 100ms \
		-out $(BENCH_BIN)/quick -command "make bench-quick"

# Cold start with six inherited sockets: exec to READY=1 and to the first echo (root: it starts
# the server as PID 1 of a new PID namespace so that LISTEN_PID is right without a shell);
# prints the table and writes bench/results/startup-<date>-<host>[-N].md.
bench-startup: build bench-bins
	$(BENCH_BIN)/startup -server $(BIN) -runs 50 -loops 1,2 -command "make bench-startup"

# One event loop on one core against two loops on both cores (the load generator on core 1);
# prints the table and writes bench/results/multicore-<date>-<host>[-N].md.
bench-multicore: build bench-bins
	bench/multicore.sh 3 "make bench-multicore"

# Mixed load, abusive clients and restarts for SOAK_TIME (not in CI); writes bench/results/soak-*.md.
SOAK_TIME ?= 10m
soak: build bench-bins
	$(BENCH_BIN)/soak -server $(BIN) -duration $(SOAK_TIME) -command "make soak SOAK_TIME=$(SOAK_TIME)"

# loadgen, benchrun and every peer server, Go (the bench module, bench/go.mod) and C.
bench-bins:
	@mkdir -p $(BENCH_BIN)
	cd bench && $(GO) build -o $(abspath $(BENCH_BIN))/ ./cmd/... ./peers/...
	$(CC) $(BENCH_CFLAGS) -o $(BENCH_BIN)/epoll_echo bench/peers/c/epoll_echo.c
	$(CC) $(BENCH_CFLAGS) -o $(BENCH_BIN)/mmsg_echo bench/peers/c/mmsg_echo.c

# What the bench needs from Debian: taskset, systemd-socket-activate, a C compiler.
bench-setup:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y util-linux systemd gcc libc6-dev
