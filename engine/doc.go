// Package engine serves an RFC 862 echo on every socket it is given: sockets
// inherited through systemd socket activation (sd_listen_fds(3)) or created by
// the caller from --listen URLs.
//
// The data path runs in one direction:
//
//	LISTEN_FDS / --listen -> fds -> Classify -> Adopt (F_DUPFD_CLOEXEC + O_NONBLOCK)
//	  -> stream listeners: accepted connections enter gnet through Client.EnrollContext
//	  -> connected streams (Accept=yes): enrolled in gnet directly
//	  -> datagram sockets: a recvmmsg/sendmmsg loop whose receive buffers are the reply buffers
//	  -> vsock listeners: accepted and echoed with mdlayher/vsock (gnet cannot adopt vsock)
//
// A Server owns the fds it adopted; the inherited originals stay open (and
// close-on-exec) until the process exits, so the kernel keeps queueing
// connections while the server drains or restarts.
package engine
