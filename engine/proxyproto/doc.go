// Package proxyproto parses the PROXY protocol header, version 1 (text) and
// version 2 (binary), that an L4 proxy such as HAProxy (send-proxy,
// send-proxy-v2) puts in front of a connection's first bytes to name the
// client it forwards.
//
// [Parse] works on the bytes received so far, as an event loop holds them:
// it reads a slice (gnet's inbound buffer, peeked, not consumed) and says
// whether it holds a complete header (how many bytes to discard, and the
// addresses it names), a valid beginning of one ([ErrIncomplete]: call
// again when more bytes arrive), or something that is not a valid header
// (any other error: close the connection). It never blocks, never copies
// the input and never allocates on the complete or incomplete path. How
// much an incomplete header may hold back is capped: a version 1 line is
// at most [MaxV1Len] bytes, a version 2 header at most 16+[MaxV2Length].
//
// Why not github.com/pires/go-proxyproto (v0.16.0 is served): its parser,
// Read, takes a *bufio.Reader and blocks until the bytes it peeks at arrive;
// its other entry points wrap a net.Conn or net.Listener. An event loop has
// neither: it has the bytes received so far, and must not block. Fed a
// bufio.Reader over that slice, the library copies the bytes into the
// reader's buffer, cannot tell a header split across reads (io.EOF, turned
// into ErrNoProxyProtocol) from no header at all, and allocates a *Header,
// net.Addr values and a TLV slice for every connection. v0.16.0 also
// requires go 1.26.9, newer than this module's toolchain.
//
// TLVs (version 2's type-length-value extensions) are skipped: only the
// addresses are used. Which peers may send a header is the caller's
// decision: a header must be parsed only on connections from trusted
// proxies, since anyone else could name any source.
package proxyproto
