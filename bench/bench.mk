# Benchmark targets, included by the top Makefile. See bench/README.md.
BENCH_BIN    := bench/bin
BENCH_CFLAGS := -O2 -Wall -Wextra
BENCH_REPS   ?= 5

.PHONY: bench bench-quick bench-ab bench-bins bench-setup bench-startup bench-multicore bench-idle soak

# The whole matrix, BENCH_REPS runs per cell (default 5, the fewest the paired verdicts need): writes bench/results/<date>-<host>[-N].{md,jsonl,png}.
bench: build bench-bins
	$(BENCH_BIN)/benchrun -profile full -reps $(BENCH_REPS) -command "make bench BENCH_REPS=$(BENCH_REPS)"

# A smoke subset, one short run per cell; results go to bench/bin/quick/.
bench-quick: build bench-bins
	$(BENCH_BIN)/benchrun -profile quick -reps 1 -duration 500ms -warmup 100ms \
		-out $(BENCH_BIN)/quick -command "make bench-quick"

# A/B of the project against a baseline, paired per repetition, on the cells an A/B is judged on
# (pingpong, flood, connrate C=1/C=50, UDP, unix): BASE=<git rev> builds that revision as the
# baseline with its own `make build`; without BASE the baseline is this build with BASE_ARGS (e.g. BASE_ARGS=--confine=off).
BASE      ?=
BASE_ARGS ?=
BASE_BIN  := $(if $(BASE),$(BENCH_BIN)/echo-server-base,$(BIN))
bench-ab: build bench-bins
	$(if $(BASE),rm -rf $(BENCH_BIN)/base-src && mkdir -p $(BENCH_BIN)/base-src && git archive $(BASE) | tar -x -C $(BENCH_BIN)/base-src && \
	  $(MAKE) -C $(BENCH_BIN)/base-src build BIN=$(abspath $(BASE_BIN)) VERSION=$(BASE))
	$(BENCH_BIN)/benchrun -profile ab -reps $(BENCH_REPS) -servers echo-server,echo-server-base,gnet-native,gnet-native-2,c \
	  -baseline $(BASE_BIN) -baseline-args "$(BASE_ARGS)" -command "make bench-ab BASE=$(BASE) BASE_ARGS=$(BASE_ARGS) BENCH_REPS=$(BENCH_REPS)"

# Cold start with six inherited sockets: exec to READY=1 and to the first echo (root: it starts
# the server as PID 1 of a new PID namespace so that LISTEN_PID is right without a shell);
# in turn with a hello-world Go binary and gnet-native, built as `make build` builds;
# prints the table and writes bench/results/startup-<date>-<host>[-N].md.
bench-startup: build bench-bins
	$(BENCH_BIN)/startup -server $(BIN) -go $(GO) -runs 50 -loops 1,2 -command "make bench-startup"

# One event loop on one core against two loops on both cores (the load generator on core 1);
# prints the table and writes bench/results/multicore-<date>-<host>[-N].md.
bench-multicore: build bench-bins
	bench/multicore.sh 3 "make bench-multicore"

# Server CPU per message with 1,000 and 10,000 mostly idle persistent connections, beside
# gnet-native (bench/idle.sh, ~5 min); writes bench/results/idle-<date>-<host>[-N].md.
bench-idle: build bench-bins
	bench/idle.sh 3 "make bench-idle"

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
