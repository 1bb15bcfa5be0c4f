//go:build !linux

package echotest

// Linux only: see package linuxonly.
import _ "github.com/echo-activation/echo-server/engine/linuxonly"
