/* epoll_echo: the single-threaded C baseline for stream echo. One
 * level-triggered epoll loop; read, write straight back; bytes the socket
 * did not take wait in a per-connection buffer and reading pauses until
 * they are gone.
 *
 *   epoll_echo tcp 127.0.0.1:PORT | epoll_echo unix /path
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/epoll.h>

#include "sock.h"

#define BUFSZ 65536

struct conn {
	int fd;
	size_t off, len; /* pending bytes in buf[off:len] */
	char buf[BUFSZ];
};

static int ep;

static void drop(struct conn *c) {
	close(c->fd); /* also leaves the epoll set */
	free(c);
}

static void set_events(struct conn *c, unsigned ev) {
	struct epoll_event e = {.events = ev, .data.ptr = c};
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
}

/* flush writes pending bytes; returns -1 on error, 1 if some remain. */
static int flush(struct conn *c) {
	while (c->off < c->len) {
		ssize_t n = write(c->fd, c->buf + c->off, c->len - c->off);
		if (n < 0) return (errno == EAGAIN) ? 1 : -1;
		c->off += n;
	}
	c->off = c->len = 0;
	return 0;
}

static void on_event(struct conn *c, unsigned ev) {
	if (ev & EPOLLOUT) {
		int r = flush(c);
		if (r < 0) { drop(c); return; }
		if (r == 0) set_events(c, EPOLLIN);
		return;
	}
	ssize_t n = read(c->fd, c->buf, BUFSZ);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) { drop(c); return; }
	if (n < 0) return;
	c->off = 0;
	c->len = n;
	int r = flush(c);
	if (r < 0) drop(c);
	else if (r > 0) set_events(c, EPOLLOUT);
}

static void on_accept(int lfd) {
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) return;
		struct conn *c = malloc(sizeof *c);
		if (!c) { close(fd); return; }
		c->fd = fd;
		c->off = c->len = 0;
		struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0) drop(c);
	}
}

int main(int argc, char **argv) {
	int is_unix = parse_args(argc, argv, "tcp", "unix");
	catch_term();
	int lfd = open_bound(is_unix, SOCK_STREAM | SOCK_NONBLOCK, argv[2]);
	if (listen(lfd, 4096) < 0) die("listen");
	ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event le = {.events = EPOLLIN, .data.ptr = NULL};
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &le);
	struct epoll_event evs[256];
	while (!stopping) {
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL) on_accept(lfd);
			else on_event(evs[i].data.ptr, evs[i].events);
		}
	}
	if (is_unix) unlink(argv[2]);
	return 0;
}
