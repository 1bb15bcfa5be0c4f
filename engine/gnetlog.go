//go:build linux

package engine

import (
	"fmt"
	"log/slog"
)

// gnetLogger routes gnet's own log lines into slog, so the process has one
// log format. Debug lines only pass when the server runs with Debug.
type gnetLogger struct {
	log   *slog.Logger
	debug bool
}

func (l gnetLogger) Debugf(format string, args ...any) {
	if l.debug {
		l.log.Debug(fmt.Sprintf(format, args...), "from", "gnet")
	}
}
func (l gnetLogger) Infof(format string, args ...any) {
	l.log.Debug(fmt.Sprintf(format, args...), "from", "gnet")
}
func (l gnetLogger) Warnf(format string, args ...any) {
	l.log.Warn(fmt.Sprintf(format, args...), "from", "gnet")
}
func (l gnetLogger) Errorf(format string, args ...any) {
	l.log.Error(fmt.Sprintf(format, args...), "from", "gnet")
}
func (l gnetLogger) Fatalf(format string, args ...any) {
	l.log.Error(fmt.Sprintf(format, args...), "from", "gnet")
}
