//go:build !linux

package linuxonly

var _ = echo_server_builds_only_on_linux__it_uses_epoll_recvmmsg_and_socket_activation__build_with_GOOS_linux
