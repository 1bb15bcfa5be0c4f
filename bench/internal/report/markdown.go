package report

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Meta says how and where the results were produced.
type Meta struct {
	Command   string // the command that produced the file
	Machine   string // nproc, CPU model, kernel
	Load      string // the load average around the runs, or ""
	Warning   string // why the numbers may be disturbed (a loaded machine), or ""
	Host      string
	Date      time.Time
	Settings  string // durations, repetitions, pinning
	Project   string // the server under test
	Reference string // gnet-native
	Baseline  string // the C peers
	Control   string // a second copy of Reference (A/A control), or ""
	Before    string // an A/B baseline of Project (another build or other flags), or ""
	Chart     string // file name of the PNG, relative to the markdown
}

// Markdown writes the human record: headline, cost, details, failures.
func Markdown(w io.Writer, t *Table, m Meta) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Echo benchmark, %s on %s\n\n", m.Date.Format("2006-01-02 15:04 MST"), m.Host)
	fmt.Fprintf(&b, "- Command: `%s`\n- Machine: %s\n", m.Command, m.Machine)
	if m.Load != "" {
		fmt.Fprintf(&b, "- Load: %s\n", m.Load)
	}
	if m.Warning != "" {
		fmt.Fprintf(&b, "- **Warning: %s.**\n", m.Warning)
	}
	fmt.Fprintf(&b, "- Settings: %s\n\n", m.Settings)
	headline(&b, t, m)
	if m.Chart != "" {
		fmt.Fprintf(&b, "\n![%s's throughput ÷ each peer's, paired per repetition: median and min..max](%s)\n", m.Project, m.Chart)
	}
	paired(&b, t, m)
	cost(&b, t)
	details(&b, t, m)
	failures(&b, t)
	_, err := io.WriteString(w, b.String())
	return err
}

// Headline writes only the headline table (for the top README).
func headline(b *strings.Builder, t *Table, m Meta) {
	fmt.Fprintf(b, "## Throughput (median of runs; higher is better)\n\n| workload | unit |")
	for _, s := range t.Servers {
		fmt.Fprintf(b, " %s |", s)
	}
	fmt.Fprintf(b, " %s ÷ %s | %s ÷ %s |\n|---|---|", m.Project, m.Reference, m.Project, m.Baseline)
	b.WriteString(strings.Repeat("---:|", len(t.Servers)+2) + "\n")
	for _, w := range t.Workloads {
		fmt.Fprintf(b, "| %s | %s |", w, w.Unit())
		for _, s := range t.Servers {
			fmt.Fprintf(b, " %s |", median(t.Get(w, s)))
		}
		fmt.Fprintf(b, " %s | %s |\n", ratio(t, w, m.Project, m.Reference), ratio(t, w, m.Project, m.Baseline))
	}
}

// paired writes the per-repetition ratios and verdicts (see paired.go),
// with the A/A control's when it ran.
func paired(b *strings.Builder, t *Table, m Meta) {
	b.WriteString("\n## Paired ratios (median [min..max] of per-repetition ratios; CPU: µs per message, lower is cheaper)\n\n")
	fmt.Fprintf(b, "| workload | %[1]s ÷ %[2]s | CPU | verdict | %[1]s ÷ %[3]s | CPU | verdict |", m.Project, m.Reference, m.Baseline)
	cols := 7
	if m.Control != "" {
		fmt.Fprintf(b, " A/A: %s ÷ %s | CPU | verdict |", m.Control, m.Reference)
		cols += 3
	}
	if m.Before != "" {
		fmt.Fprintf(b, " A/B: %s ÷ %s | CPU | verdict |", m.Project, m.Before)
		cols += 3
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", cols-1) + "\n")
	pairs := [][2]string{{m.Project, m.Reference}, {m.Project, m.Baseline}} // server, reference
	if m.Control != "" {
		pairs = append(pairs, [2]string{m.Control, m.Reference})
	}
	if m.Before != "" {
		pairs = append(pairs, [2]string{m.Project, m.Before})
	}
	for _, w := range t.Workloads {
		fmt.Fprintf(b, "| %s |", w)
		for _, pr := range pairs {
			p, ok := t.Paired(w, pr[0], pr[1])
			if !ok {
				b.WriteString(" — | — | — |")
				continue
			}
			fmt.Fprintf(b, " %s | %s | %s |", span(p.Rate), span(p.CPU), p.Verdict())
		}
		b.WriteString("\n")
	}
}

func span(s Stat) string {
	if s.N == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f [%.2f..%.2f]", s.Median, s.Min, s.Max)
}

// cost writes server CPU per message and peak RSS side by side.
func cost(b *strings.Builder, t *Table) {
	b.WriteString("\n## Server cost: CPU µs per echoed message / CPU % of its core / peak RSS MiB (lower is cheaper)\n\n| workload |")
	for _, s := range t.Servers {
		fmt.Fprintf(b, " %s |", s)
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(t.Servers)) + "\n")
	for _, w := range t.Workloads {
		fmt.Fprintf(b, "| %s |", w)
		for _, s := range t.Servers {
			a := t.Get(w, s)
			if a == nil || a.Metric.N == 0 {
				b.WriteString(" — |")
				continue
			}
			fmt.Fprintf(b, " %.2f / %.0f%% / %.1f |", a.CPUPerMsg, a.CPUPct, float64(a.PeakRSSKB)/1024)
		}
		b.WriteString("\n")
	}
}

func details(b *strings.Builder, t *Table, m Meta) {
	b.WriteString("\n## Details per workload\n")
	for _, w := range t.Workloads {
		fmt.Fprintf(b, "\n### %s (%s)\n\n| server | median | min..max | ÷ %s | ÷ %s | p50 µs | p99 µs | p99.9 µs | CPU µs/msg | CPU %% | peak RSS MiB | mismatches | errors | losses | late |\n",
			w, w.Unit(), m.Reference, m.Baseline)
		b.WriteString("|---|" + strings.Repeat("---:|", 14) + "\n")
		for _, s := range t.Servers {
			a := t.Get(w, s)
			if a == nil {
				continue
			}
			fmt.Fprintf(b, "| %s | %s | %s..%s | %s | %s | %.0f | %.0f | %.0f | %.2f | %.0f | %.1f | %d | %d | %d | %d |\n",
				s, median(a), num(a.Metric.Min), num(a.Metric.Max), ratio(t, w, s, m.Reference), ratio(t, w, s, m.Baseline),
				a.P50, a.P99, a.P999, a.CPUPerMsg, a.CPUPct, float64(a.PeakRSSKB)/1024,
				a.Mismatches, a.Errors, a.Losses, a.Late)
		}
	}
}

func failures(b *strings.Builder, t *Table) {
	var lines []string
	for _, w := range t.Workloads {
		for _, s := range t.Servers {
			if a := t.Get(w, s); a != nil {
				for _, n := range a.Notes {
					lines = append(lines, fmt.Sprintf("- %s, %s: %s", w, s, n))
				}
			}
		}
	}
	if len(lines) == 0 {
		b.WriteString("\n## Failures\n\nNone: every run echoed every byte unchanged and every server exited 0 on SIGTERM.\n")
		return
	}
	b.WriteString("\n## Failures and notes\n\n" + strings.Join(lines, "\n") + "\n")
}

func median(a *Agg) string {
	if a == nil {
		return "—"
	}
	if a.Metric.N == 0 {
		return "failed"
	}
	return num(a.Metric.Median)
}

func ratio(t *Table, w Workload, s, ref string) string {
	r, ok := t.Ratio(w, s, ref)
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.2f", r)
}

// num prints a rate with sensible precision: 123456, 1234.5, 12.34.
func num(x float64) string {
	switch {
	case x >= 10000:
		return fmt.Sprintf("%.0f", x)
	case x >= 100:
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.2f", x)
}
