package report

import (
	"fmt"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// ChartSpec names the servers the chart compares and where it was run.
type ChartSpec struct {
	Project   string // the server under test: every ratio is its throughput ÷ a peer's
	Reference string // the peer the A/A control is a copy of
	Control   string // the A/A control, or ""
	Host      string
}

// Chart saves a PNG forest plot of the paired ratios (paired.go): for each
// workload, one row per peer with the project's throughput ÷ the peer's
// within each repetition, a dot at the median and a whisker from min to
// max, and the A/A control's ratio to its twin as the noise band. A peer
// that does not serve a workload is marked "n/a".
func Chart(path string, t *Table, spec ChartSpec) error {
	ss := chartSeries(t, spec)
	p, err := forest(t, ss)
	if err != nil {
		return err
	}
	reps := maxReps(t, ss)
	p.Title.Text = chartTitle(reps, spec)
	leg := legend(ss)
	w, h := 15*vg.Inch, vg.Length(len(t.Workloads))*0.62*vg.Inch+1.6*vg.Inch
	img := vgimg.New(w, h)
	c := draw.New(img)
	margin, legendWidth := vg.Points(12), 4*vg.Inch
	p.Draw(draw.Crop(c, margin, -legendWidth, margin, -margin))
	side := draw.Crop(c, w-legendWidth+margin, -margin, 0, -vg.Inch)
	leg.Draw(side)
	readingNote(side, spec, reps, vg.Length(len(ss))*0.36*vg.Inch+0.5*vg.Inch)
	return savePNG(path, img)
}

// readingNote explains, under the legend (below depth from the top of c),
// how to tell a difference from noise and where the numbers are.
func readingNote(c draw.Canvas, spec ChartSpec, reps int, below vg.Length) {
	note := "Each row is one workload. A difference counts\nonly where it repeats: see the verdicts (sign test)\nin the Paired ratios table of the .md."
	switch {
	case reps <= 1:
		note = "One repetition shows no spread, and one run\ncan be off by 10-30% on a shared machine:\n" +
			"read no difference from it. make bench runs\n5 repetitions and gives verdicts."
	case spec.Control != "":
		note = "The grey whisker is how far two identical\nservers drift apart on this machine: a median\ninside it may well be noise. " +
			"The verdicts\n(sign test) are in the .md's Paired ratios table."
	}
	sty := plot.NewLegend().TextStyle
	sty.Font.Size = vg.Points(12)
	sty.Color = controlColor
	sty.YAlign = draw.YTop
	c.FillText(sty, vg.Point{X: c.Min.X, Y: c.Max.Y - below}, note)
}

// maxReps is the most repetitions any ratio of the chart pairs.
func maxReps(t *Table, ss []series) int {
	reps := 0
	for _, s := range ss {
		for _, w := range t.Workloads {
			if p, ok := s.paired(t, w); ok {
				reps = max(reps, p.Rate.N)
			}
		}
	}
	return reps
}

// chartTitle says what a dot and a whisker are, in the runs' own count.
func chartTitle(reps int, spec ChartSpec) string {
	what := fmt.Sprintf("dot: median of %d repetitions, whisker: min..max", reps)
	if reps <= 1 {
		what = "one repetition: each dot is the ratio of one run to one run, no spread"
	}
	return fmt.Sprintf("%s throughput ÷ each peer's, paired within each repetition (%s)\n%s; right of 1: %s faster",
		spec.Project, spec.Host, what, spec.Project)
}

func legend(ss []series) plot.Legend {
	leg := plot.NewLegend()
	leg.Top, leg.Left = true, true
	leg.TextStyle.Font.Size = vg.Points(13)
	leg.Padding = vg.Points(6)
	for _, s := range ss {
		leg.Add(s.label, s.thumb())
	}
	return leg
}

func savePNG(path string, img *vgimg.Canvas) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
