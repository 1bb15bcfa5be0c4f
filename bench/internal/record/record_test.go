package record

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFreeBaseDoesNotOverwrite(t *testing.T) {
	base := filepath.Join(t.TempDir(), "2026-11-26-vm")
	for i, want := range []string{base, base + "-2", base + "-3"} {
		got := FreeBase(base)
		if got != want {
			t.Fatalf("run %d: %s, want %s", i+1, got, want)
		}
		ext := []string{".jsonl", ".md", ".jsonl"}[i] // either file claims the name
		if err := os.WriteFile(got+ext, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBaseNamesKindDateAndHost(t *testing.T) {
	dir := t.TempDir()
	if got := filepath.Base(Base(dir, "startup")); !strings.HasPrefix(got, "startup-20") {
		t.Errorf("Base = %s, want startup-<date>-<host>", got)
	}
	if got := filepath.Base(Base(dir, "")); !strings.HasPrefix(got, "20") {
		t.Errorf("Base = %s, want <date>-<host>", got)
	}
}
