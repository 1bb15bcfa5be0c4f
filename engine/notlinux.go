//go:build !linux

package engine

// Linux only: see package linuxonly.
import _ "github.com/echo-activation/echo-server/engine/linuxonly"
