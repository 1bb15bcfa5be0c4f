/* mmsg_echo: the C baseline for datagram echo. Each thread: recvmmsg takes
 * up to 64 datagrams per call (blocking for the first), sendmmsg returns
 * them to their senders in one call.
 *
 *   mmsg_echo udp 127.0.0.1:PORT [THREADS [reuseport]] | mmsg_echo unixgram /path
 *
 * THREADS (default 1) threads read one socket: the kernel queues blocked
 * readers FIFO and wakes one per arrival. With "reuseport" each thread has
 * its own SO_REUSEPORT socket for the address instead (what gnet does for
 * UDP with several loops).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include "sock.h"

#define BATCH 64
#define DGRAM 65536
#define MAX_THREADS 256

struct worker {
	int fd;
	char bufs[BATCH][DGRAM];
	struct sockaddr_storage peers[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
};

static void reset(struct worker *w) {
	for (int i = 0; i < BATCH; i++) {
		w->iov[i].iov_base = w->bufs[i];
		w->iov[i].iov_len = DGRAM;
		w->msgs[i].msg_hdr = (struct msghdr){.msg_name = &w->peers[i], .msg_namelen = sizeof w->peers[i],
		                                    .msg_iov = &w->iov[i], .msg_iovlen = 1};
	}
}

/* echo sends the n received datagrams back; unaddressed ones (an unbound
 * unix client) and failed sends are skipped. */
static void echo(struct worker *w, int n) {
	int k = 0;
	for (int i = 0; i < n; i++) {
		if (w->msgs[i].msg_hdr.msg_namelen == 0 ||
		    (w->peers[i].ss_family == AF_UNIX && w->msgs[i].msg_hdr.msg_namelen <= sizeof(sa_family_t)))
			continue;
		w->iov[i].iov_len = w->msgs[i].msg_len;
		if (k != i) w->msgs[k] = w->msgs[i];
		k++;
	}
	for (int done = 0; done < k && !stopping;) {
		int s = sendmmsg(w->fd, w->msgs + done, k - done, 0);
		if (s < 0) {
			if (errno == EINTR) continue;
			done++; /* drop the datagram that failed (e.g. its sender left) */
			continue;
		}
		done += s;
	}
}

static void *serve(void *arg) {
	struct worker *w = arg;
	while (!stopping) {
		reset(w);
		int n = recvmmsg(w->fd, w->msgs, BATCH, MSG_WAITFORONE, NULL);
		if (n > 0) echo(w, n);
		else if (n < 0 && errno != EINTR) die("recvmmsg");
	}
	return NULL;
}

/* open_reuseport binds another SO_REUSEPORT socket to fd's address. */
static int open_reuseport(int fd) {
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int one = 1, nfd;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) die("getsockname");
	nfd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (nfd < 0 || setsockopt(nfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
	    bind(nfd, (struct sockaddr *)&ss, len) < 0)
		die("reuseport socket");
	return nfd;
}

int main(int argc, char **argv) {
	int threads = argc > 3 ? atoi(argv[3]) : 1;
	bind_reuseport = argc > 4 && strcmp(argv[4], "reuseport") == 0;
	if (threads < 1 || threads > MAX_THREADS) die("THREADS must be 1 to 256");
	int is_unix = parse_args(argc > 3 ? 3 : argc, argv, "udp", "unixgram");
	catch_term();
	int fd = open_bound(is_unix, SOCK_DGRAM, argv[2]), sz = 4 << 20;
	/* the workers never see SIGTERM: main waits for it, then exits, ending them */
	sigset_t term, old;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	pthread_sigmask(SIG_BLOCK, &term, &old);
	for (int i = 0; i < threads; i++) {
		struct worker *w = calloc(1, sizeof *w);
		if (!w) die("calloc");
		w->fd = (bind_reuseport && i > 0) ? open_reuseport(fd) : fd;
		setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
		pthread_t tid;
		if (pthread_create(&tid, NULL, serve, w) != 0) die("pthread_create");
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	while (!stopping) pause();
	if (is_unix) unlink(argv[2]);
	return 0;
}
