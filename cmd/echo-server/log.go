package main

import (
	"context"
	"io"
	"log/slog"
	"sync"

	"github.com/coreos/go-systemd/v22/journal"
)

// logFormats are the values of --log-format.
var logFormats = []string{"auto", "text", "json", "journal"}

// newLogger writes logfmt text (text), JSON (json), or journal lines
// (journal: logfmt without a timestamp, which journald adds itself, behind
// the <N> priority prefix of sd-daemon(3), so that `journalctl -p warning`
// finds warnings). auto is journal when isJournal says stderr is connected
// to the journal (JOURNAL_STREAM), else text.
func newLogger(w io.Writer, format string, debug bool, isJournal func() bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if debug {
		opts.Level = slog.LevelDebug
	}
	if format == "auto" {
		format = "text"
		if isJournal() {
			format = "journal"
		}
	}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts))
	case "journal":
		return slog.New(newJournalHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// stderrIsJournal reports whether stderr is the journal's stream: the
// device and inode in JOURNAL_STREAM are stderr's (a child that inherited
// the variable but not the stream does not match).
func stderrIsJournal() bool {
	ok, err := journal.StderrIsJournalStream()
	return ok && err == nil
}

// journalHandler is a slog text handler without the time attribute whose
// every line starts with the record's syslog priority, "<3>" to "<7>".
type journalHandler struct {
	inner slog.Handler
	out   *prefixWriter
}

func newJournalHandler(w io.Writer, opts *slog.HandlerOptions) journalHandler {
	o := *opts
	o.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	out := &prefixWriter{w: w}
	return journalHandler{inner: slog.NewTextHandler(out, &o), out: out}
}

func (h journalHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

// Handle sets the prefix and writes the record under one lock: the text
// handler writes each record with a single Write.
func (h journalHandler) Handle(ctx context.Context, r slog.Record) error {
	h.out.mu.Lock()
	defer h.out.mu.Unlock()
	h.out.prefix = priorityPrefix(r.Level)
	return h.inner.Handle(ctx, r)
}

func (h journalHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return journalHandler{inner: h.inner.WithAttrs(as), out: h.out}
}

func (h journalHandler) WithGroup(name string) slog.Handler {
	return journalHandler{inner: h.inner.WithGroup(name), out: h.out}
}

// priorityPrefix maps slog levels to syslog priorities: error 3, warning 4,
// info 6, debug 7.
func priorityPrefix(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "<3>"
	case l >= slog.LevelWarn:
		return "<4>"
	case l >= slog.LevelInfo:
		return "<6>"
	}
	return "<7>"
}

// prefixWriter writes prefix and the line in one write, so that lines
// from several goroutines never interleave in the journal's stream.
type prefixWriter struct {
	mu     sync.Mutex // held by journalHandler.Handle around each record
	w      io.Writer
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	line := make([]byte, 0, len(p.prefix)+len(b))
	line = append(append(line, p.prefix...), b...)
	if _, err := p.w.Write(line); err != nil {
		return 0, err
	}
	return len(b), nil
}
