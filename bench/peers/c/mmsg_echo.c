/* mmsg_echo: the C baseline for datagram echo. One thread; recvmmsg takes
 * up to 64 datagrams per call (blocking for the first), sendmmsg returns
 * them to their senders in one call.
 *
 *   mmsg_echo udp 127.0.0.1:PORT | mmsg_echo unixgram /path
 */
#define _GNU_SOURCE
#include "sock.h"

#define BATCH 64
#define DGRAM 65536

static char bufs[BATCH][DGRAM];
static struct sockaddr_storage peers[BATCH];
static struct iovec iov[BATCH];
static struct mmsghdr msgs[BATCH];

static void reset(void) {
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = DGRAM;
		msgs[i].msg_hdr = (struct msghdr){.msg_name = &peers[i], .msg_namelen = sizeof peers[i],
		                                 .msg_iov = &iov[i], .msg_iovlen = 1};
	}
}

/* echo sends the n received datagrams back; unaddressed ones (an unbound
 * unix client) and failed sends are skipped. */
static void echo(int fd, int n) {
	int k = 0;
	for (int i = 0; i < n; i++) {
		if (msgs[i].msg_hdr.msg_namelen == 0 ||
		    (peers[i].ss_family == AF_UNIX && msgs[i].msg_hdr.msg_namelen <= sizeof(sa_family_t)))
			continue;
		iov[i].iov_len = msgs[i].msg_len;
		if (k != i) msgs[k] = msgs[i];
		k++;
	}
	for (int done = 0; done < k && !stopping;) {
		int s = sendmmsg(fd, msgs + done, k - done, 0);
		if (s < 0) {
			if (errno == EINTR) continue;
			done++; /* drop the datagram that failed (e.g. its sender left) */
			continue;
		}
		done += s;
	}
}

int main(int argc, char **argv) {
	int is_unix = parse_args(argc, argv, "udp", "unixgram");
	catch_term();
	int fd = open_bound(is_unix, SOCK_DGRAM, argv[2]);
	int sz = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	while (!stopping) {
		reset();
		int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		if (n > 0) echo(fd, n);
		else if (n < 0 && errno != EINTR) die("recvmmsg");
	}
	if (is_unix) unlink(argv[2]);
	return 0;
}
