package report

import (
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Chart saves a grouped bar chart of every server's median throughput
// divided by ref's, per workload, as a PNG.
func Chart(path string, t *Table, ref, title string) error {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "median throughput ÷ " + ref
	width := vg.Points(7)
	n := len(t.Servers)
	for i, s := range t.Servers {
		vals := make(plotter.Values, len(t.Workloads))
		for j, w := range t.Workloads {
			vals[j], _ = t.Ratio(w, s, ref)
		}
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return err
		}
		bars.Color = plotutil.Color(i)
		bars.LineStyle.Width = 0
		bars.Offset = width * vg.Length(float64(i)-float64(n-1)/2)
		p.Add(bars)
		p.Legend.Add(s, bars)
	}
	one, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: 1}, {X: float64(len(t.Workloads)) - 0.5, Y: 1}})
	if err != nil {
		return err
	}
	one.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(one, plotter.NewGrid())
	labels := make([]string, len(t.Workloads))
	for j, w := range t.Workloads {
		labels[j] = w.String()
	}
	p.NominalX(labels...)
	p.X.Tick.Label.Rotation = math.Pi / 5
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = text.YTop
	p.Legend.Top = true
	p.Legend.Left = true
	return p.Save(16*vg.Inch, 7*vg.Inch, path)
}
