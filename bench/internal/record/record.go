// Package record names the files a benchmark writes its record to, so that
// no run overwrites another's: <dir>/[<kind>-]<date>-<host>[-N].
package record

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/echo-activation/echo-server/bench/internal/host"
)

// Base is the path, without extension, of a new record of kind ("" for
// the main benchmark, "startup", "soak", ...) made today on this host.
func Base(dir, kind string) string {
	name := time.Now().Format("2006-01-02") + "-" + host.Name()
	if kind != "" {
		name = kind + "-" + name
	}
	return FreeBase(filepath.Join(dir, name))
}

// FreeBase returns base, or base-2, base-3, ... if a record by that name
// (.md or .jsonl) exists already, so a later run the same day does not
// overwrite an earlier one.
func FreeBase(base string) string {
	for i := 1; ; i++ {
		b := base
		if i > 1 {
			b = fmt.Sprintf("%s-%d", base, i)
		}
		if !exists(b+".md") && !exists(b+".jsonl") {
			return b
		}
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !os.IsNotExist(err)
}
