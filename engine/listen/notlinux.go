//go:build !linux

package listen

// Linux only: see package linuxonly.
import _ "github.com/echo-activation/echo-server/engine/linuxonly"
