// Package linuxonly stops a build for any other system with one message.
//
// The server is made of Linux interfaces (epoll through gnet, recvmmsg and
// sendmmsg, SO_DOMAIN, accept4, /proc, socket activation), so its packages
// carry //go:build linux, and each has a !linux file that imports this
// package. On another GOOS the compiler then stops here, at the line in
// notlinux.go whose undefined name is the message, instead of deep in the
// datagram code.
package linuxonly
