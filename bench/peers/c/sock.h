/* Shared by the C peers: open a bound socket from "tcp|udp|unix|unixgram"
 * and "host:port" or a path, and a SIGTERM flag. */
#ifndef PEER_SOCK_H
#define PEER_SOCK_H

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

/* bind_reuseport: open_bound sets SO_REUSEPORT before binding (mmsg_echo reuseport). */
static int bind_reuseport;

static void on_term(int sig) { (void)sig; stopping = 1; }

/* catch_term makes SIGTERM/SIGINT interrupt blocking calls and set stopping,
 * ignores SIGPIPE, and raises the fd limit to its maximum for many connections. */
static void catch_term(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term; /* no SA_RESTART: syscalls return EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a client that resets must not kill the server */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void die(const char *what) {
	perror(what);
	exit(1);
}

/* open_bound returns a socket of the given type bound to addr: a unix path
 * for AF_UNIX, else numeric "host:port" or "[v6]:port". */
static int open_bound(int is_unix, int type, const char *addr) {
	int fd, one = 1;
	if (is_unix) {
		struct sockaddr_un su = {.sun_family = AF_UNIX};
		if (strlen(addr) >= sizeof su.sun_path) die("unix path too long");
		strcpy(su.sun_path, addr);
		unlink(addr);
		fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&su, sizeof su) < 0) die("bind unix");
		return fd;
	}
	char host[256];
	const char *colon = strrchr(addr, ':');
	if (!colon || (size_t)(colon - addr) >= sizeof host) die("addr must be host:port");
	memcpy(host, addr, colon - addr);
	host[colon - addr] = 0;
	char *h = host;
	if (h[0] == '[') { h++; h[strlen(h) - 1] = 0; }
	struct addrinfo hints = {.ai_socktype = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV}, *ai;
	if (getaddrinfo(h, colon + 1, &hints, &ai) != 0) die("getaddrinfo");
	fd = socket(ai->ai_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0) die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind_reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) die("bind");
	freeaddrinfo(ai);
	return fd;
}

/* parse_args reads "NET ADDR" and reports whether NET is a unix family. */
static int parse_args(int argc, char **argv, const char *stream, const char *ustream) {
	if (argc != 3 || (strcmp(argv[1], stream) && strcmp(argv[1], ustream))) {
		fprintf(stderr, "usage: %s %s|%s ADDR\n", argv[0], stream, ustream);
		exit(2);
	}
	return strcmp(argv[1], ustream) == 0;
}

#endif
