package report

import (
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Chart saves a PNG of two grouped bar charts, one above the other: every
// server's median throughput divided by ref's, then by baseline's, per
// workload. A missing bar is a server that does not serve that network.
func Chart(path string, t *Table, ref, baseline, title string) error {
	var rows [][]*plot.Plot
	for i, against := range []string{ref, baseline} {
		p, err := ratioPlot(t, against)
		if err != nil {
			return err
		}
		if i == 0 {
			p.Title.Text = title
		}
		rows = append(rows, []*plot.Plot{p})
	}
	img := vgimg.New(16*vg.Inch, 12*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(6), PadBottom: vg.Points(6), PadY: vg.Points(12),
		PadLeft: vg.Points(6), PadRight: vg.Points(6)}
	canvases := plot.Align(rows, tiles, dc)
	for i := range rows {
		rows[i][0].Draw(canvases[i][0])
	}
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

func ratioPlot(t *Table, ref string) (*plot.Plot, error) {
	p := plot.New()
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
			return nil, err
		}
		bars.Color = plotutil.Color(i)
		bars.LineStyle.Width = 0
		bars.Offset = width * vg.Length(float64(i)-float64(n-1)/2)
		p.Add(bars)
		p.Legend.Add(s, bars)
	}
	one, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: 1}, {X: float64(len(t.Workloads)) - 0.5, Y: 1}})
	if err != nil {
		return nil, err
	}
	one.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(one, plotter.NewGrid())
	labels := make([]string, len(t.Workloads))
	for j, w := range t.Workloads {
		labels[j] = w.String()
	}
	p.NominalX(labels...)
	p.X.Tick.Label.Rotation = math.Pi / 8
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = text.YTop
	p.Legend.Top, p.Legend.Left = true, true
	p.Y.Min, p.Y.Max = 0, p.Y.Max*1.3 // headroom so the legend does not cover the bars
	return p, nil
}
