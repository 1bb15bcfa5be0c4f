package proxyproto_test

import (
	"errors"
	"fmt"

	"github.com/echo-activation/echo-server/engine/proxyproto"
)

// An event loop parses what it has received so far, without consuming it:
// incomplete means wait for the next read; complete means discard Len
// bytes and serve the rest with Source as the client.
func ExampleParse() {
	inbound := []byte("PROXY TCP4 192.0.2.1 198.51.100.2 56324 7\r\nhello")
	for _, n := range []int{20, len(inbound)} {
		h, err := proxyproto.Parse(inbound[:n])
		switch {
		case errors.Is(err, proxyproto.ErrIncomplete):
			fmt.Println(n, "bytes: wait for more")
		case err != nil:
			fmt.Println("close:", err)
		default:
			fmt.Printf("source %v, payload %q\n", h.Source, inbound[h.Len:])
		}
	}
	// Output:
	// 20 bytes: wait for more
	// source 192.0.2.1:56324, payload "hello"
}
