package host

import "testing"

func TestWarning(t *testing.T) {
	for _, tt := range []struct {
		name      string
		load      Load
		used, own int
		warn      bool
	}{
		{name: "idle machine, run uses both CPUs", load: Load{Avg1: 0.3, CPUs: 2}, used: 2},
		{name: "issue 14: load 12 on 2 CPUs", load: Load{Avg1: 12, CPUs: 2}, used: 2, warn: true},
		{name: "one other busy task, run uses both", load: Load{Avg1: 1, CPUs: 2}, used: 2, warn: true},
		{name: "one other busy task on the free CPU", load: Load{Avg1: 1, CPUs: 4}, used: 2},
		{name: "during the run: its own two tasks", load: Load{Avg1: 2.3, CPUs: 2}, used: 2, own: 2},
		{name: "during the run: two more", load: Load{Avg1: 4, CPUs: 2}, used: 2, own: 2, warn: true},
		{name: "unknown load", load: Load{}, used: 2},
	} {
		if got := tt.load.Warning(tt.used, tt.own); (got != "") != tt.warn {
			t.Errorf("%s: warning %q, want one: %v", tt.name, got, tt.warn)
		}
	}
}

func TestCPUs(t *testing.T) {
	for _, tt := range []struct {
		lists []string
		want  int
	}{
		{lists: []string{"0", "1"}, want: 2},
		{lists: []string{"0-1", "1"}, want: 2},
		{lists: []string{"0-3,6"}, want: 5},
	} {
		if got := CPUs(tt.lists...); got != tt.want {
			t.Errorf("CPUs(%q) = %d, want %d", tt.lists, got, tt.want)
		}
	}
}
