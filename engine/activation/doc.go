// Package activation reads the sockets a service manager passes: LISTEN_PID,
// LISTEN_FDS and LISTEN_FDNAMES as sd_listen_fds_with_names(3) defines them.
//
// It owns no fd and opens none: Parse is pure (table-tested and fuzzed over
// an injected getenv), and ListenFDs only marks the inherited numbers
// close-on-exec and unsets the variables. What each fd is, and who closes
// it, is decided by package engine (Classify, AdoptAll).
package activation
