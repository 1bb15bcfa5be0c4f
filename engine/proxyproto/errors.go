package proxyproto

import "fmt"

// These build the errors of malformed headers. They allocate; a malformed
// header closes its connection, so that path is not hot.

func wrap(ctx string, err error) error {
	return fmt.Errorf("%s: %w", ctx, err)
}

func errV1(field string, val []byte, err error) error {
	return fmt.Errorf("proxyproto v1: %s %q: %w", field, val, err)
}

func errV2(detail string, v int, err error) error {
	return fmt.Errorf("proxyproto v2: %s 0x%02x: %w", detail, v, err)
}

func errV2Len(n int) error {
	return fmt.Errorf("proxyproto v2: length %d over %d: %w", n, MaxV2Length, ErrTooLong)
}
