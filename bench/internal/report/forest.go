package report

import (
	"image/color"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// series is one kind of dot in the chart: server ÷ ref, paired.
type series struct {
	label, short string // the legend's label; the name in an n/a note
	server, ref  string
	color        color.Color
	shape        draw.GlyphDrawer
}

// peerColors are Okabe and Ito's colours for colour-blind readers, in
// the order the peers come (gnet-native, c, nbio, stdlib, ...); the A/A
// control is grey. Each peer also has its own glyph shape.
var (
	peerColors = []color.Color{
		color.RGBA{0, 114, 178, 255},   // blue
		color.RGBA{213, 94, 0, 255},    // vermillion
		color.RGBA{0, 158, 115, 255},   // bluish green
		color.RGBA{204, 121, 167, 255}, // reddish purple
		color.RGBA{230, 159, 0, 255},   // orange
		color.RGBA{86, 180, 233, 255},  // sky blue
	}
	peerShapes   = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, diamondGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}}
	controlColor = color.RGBA{110, 110, 110, 255}
)

// chartSeries is the project against every other server, then the A/A
// control against its twin.
func chartSeries(t *Table, spec ChartSpec) []series {
	var ss []series
	for _, peer := range t.Servers {
		if peer == spec.Project || peer == spec.Control {
			continue
		}
		i := len(ss)
		ss = append(ss, series{label: spec.Project + " ÷ " + peer, short: peer, server: spec.Project, ref: peer,
			color: peerColors[i%len(peerColors)], shape: peerShapes[i%len(peerShapes)]})
	}
	if spec.Control != "" && slices.Contains(t.Servers, spec.Control) {
		ss = append(ss, series{label: "A/A control: " + spec.Control + " ÷ " + spec.Reference + "\n(two identical servers: the noise)",
			short: "the A/A control", server: spec.Control, ref: spec.Reference, color: controlColor, shape: draw.RingGlyph{}})
	}
	return ss
}

func (s series) paired(t *Table, w Workload) (Paired, bool) { return t.Paired(w, s.server, s.ref) }

func (s series) glyph() draw.GlyphStyle {
	return draw.GlyphStyle{Color: s.color, Radius: vg.Points(5), Shape: s.shape}
}

func (s series) line() draw.LineStyle {
	return draw.LineStyle{Color: s.color, Width: vg.Points(2)}
}

// thumb draws a whisker with its dot, for the legend.
func (s series) thumb() plot.Thumbnailer { return thumb(s) }

type thumb series

func (th thumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(series(th).line(), c.Min.X, y, c.Max.X, y)
	c.DrawGlyph(series(th).glyph(), c.Center())
}

// diamondGlyph is a filled diamond (gonum has no filled fourth shape).
type diamondGlyph struct{}

func (diamondGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius * 1.3
	var p vg.Path
	p.Move(vg.Point{X: pt.X, Y: pt.Y + r})
	p.Line(vg.Point{X: pt.X + r, Y: pt.Y})
	p.Line(vg.Point{X: pt.X, Y: pt.Y - r})
	p.Line(vg.Point{X: pt.X - r, Y: pt.Y})
	p.Close()
	c.Fill(p)
}

// rowY is where series k of n sits in the row of workload i (the first
// workload at the top, the first series at the top of its row).
func rowY(t *Table, i, k, n int) float64 {
	const step = 0.16
	return float64(len(t.Workloads)-1-i) + (float64(n-1)/2-float64(k))*step
}

// dots holds one series' points and whiskers.
type dots struct {
	median   plotter.XYs
	whiskers plotter.XYs
	spread   plotter.XErrors
}

func (s series) dots(t *Table, k, n int) dots {
	var d dots
	for i, w := range t.Workloads {
		y := rowY(t, i, k, n)
		p, ok := s.paired(t, w)
		if !ok {
			continue
		}
		r := p.Rate
		d.median = append(d.median, plotter.XY{X: r.Median, Y: y})
		if r.Max > r.Min {
			d.whiskers = append(d.whiskers, plotter.XY{X: r.Median, Y: y})
			d.spread = append(d.spread, struct{ Low, High float64 }{r.Median - r.Min, r.Max - r.Median})
		}
	}
	return d
}

// whyNA says why a series has no ratio on w.
func (s series) whyNA(t *Table, w Workload) string {
	if t.Get(w, s.ref) == nil || t.Get(w, s.server) == nil {
		return "(no " + w.Network + " server)"
	}
	return "(no repetition where both ran)"
}

// naNote names, for the row of w, the series that have no ratio there and
// why: "n/a: gnet-native, nbio, the A/A control\n(no unixgram server)".
func naNote(t *Table, ss []series, w Workload) string {
	var reasons []string
	who := map[string][]string{}
	for _, s := range ss {
		if _, ok := s.paired(t, w); !ok {
			r := s.whyNA(t, w)
			if who[r] == nil {
				reasons = append(reasons, r)
			}
			who[r] = append(who[r], s.short)
		}
	}
	var lines []string
	for _, r := range reasons {
		lines = append(lines, "n/a: "+strings.Join(who[r], ", ")+"\n"+r)
	}
	return strings.Join(lines, "\n")
}

// add puts one series' dots and whiskers on p and widens [lo, hi] to them.
func (s series) add(p *plot.Plot, d dots, lo, hi *float64) error {
	if len(d.whiskers) > 0 {
		eb, err := plotter.NewXErrorBars(struct {
			plotter.XYs
			plotter.XErrors
		}{d.whiskers, d.spread})
		if err != nil {
			return err
		}
		eb.LineStyle, eb.CapWidth = s.line(), vg.Points(7)
		p.Add(eb)
		xmin, xmax, _, _ := eb.DataRange()
		*lo, *hi = min(*lo, xmin), max(*hi, xmax)
	}
	if len(d.median) > 0 {
		sc, err := plotter.NewScatter(d.median)
		if err != nil {
			return err
		}
		sc.GlyphStyle = s.glyph()
		p.Add(sc)
		xmin, xmax, _, _ := sc.DataRange()
		*lo, *hi = min(*lo, xmin), max(*hi, xmax)
	}
	return nil
}

// addNA writes each row's n/a note right-aligned at the right edge, x:
// the peers that are there sit near 1, and the note must not cover their
// whiskers (at the left edge it covered C's in the unixgram row).
func addNA(p *plot.Plot, t *Table, ss []series, x float64) error {
	var at plotter.XYs
	var notes []string
	for i, w := range t.Workloads {
		if n := naNote(t, ss, w); n != "" {
			at = append(at, plotter.XY{X: x, Y: float64(len(t.Workloads) - 1 - i)})
			notes = append(notes, n)
		}
	}
	if len(at) == 0 {
		return nil
	}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: at, Labels: notes})
	if err != nil {
		return err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Color = color.Gray{Y: 60}
		l.TextStyle[i].Font.Size = vg.Points(12)
		l.TextStyle[i].YAlign = text.YCenter
		l.TextStyle[i].XAlign = text.XRight
	}
	l.Offset = vg.Point{X: vg.Points(-6)}
	p.Add(l)
	return nil
}

// ratioTicks are the ticks the log-scaled ratio axis may show: reciprocal
// pairs, so that "twice as fast" and "half as fast" sit equally far from 1.
var ratioTicks = []float64{0.2, 0.25, 1.0 / 3, 0.4, 0.5, 2.0 / 3, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 2, 2.5, 3, 4, 5}

func ticksWithin(lo, hi float64) plot.ConstantTicks {
	var ts plot.ConstantTicks
	for _, v := range ratioTicks {
		if v >= lo && v <= hi {
			ts = append(ts, plot.Tick{Value: v, Label: tickLabel(v)})
		}
	}
	return ts
}

// tickBelow and tickAbove widen the axis to the nearest ticks, so that
// both of its ends are labelled.
func tickBelow(x float64) float64 {
	for i := len(ratioTicks) - 1; i >= 0; i-- {
		if ratioTicks[i] <= x {
			return ratioTicks[i]
		}
	}
	return x
}

func tickAbove(x float64) float64 {
	for _, v := range ratioTicks {
		if v >= x {
			return v
		}
	}
	return x
}

// tickLabel prints a ratio with at most two decimals and no trailing zeros.
func tickLabel(v float64) string {
	s := strings.TrimRight(strconv.FormatFloat(v, 'f', 2, 64), "0")
	return strings.TrimSuffix(s, ".")
}

// forest builds the plot: every series' dots, whiskers and n/a marks, a
// dashed line at 1, a light line between workloads, a log ratio axis.
func forest(t *Table, ss []series) (*plot.Plot, error) {
	p := plot.New()
	lo, hi := 1.0, 1.0
	for k, s := range ss {
		if err := s.add(p, s.dots(t, k, len(ss)), &lo, &hi); err != nil {
			return nil, err
		}
	}
	lo, hi = tickBelow(lo/1.03), tickAbove(hi*1.03)
	if err := addNA(p, t, ss, hi); err != nil {
		return nil, err
	}
	n := float64(len(t.Workloads))
	for i := 0.5; i < n-1; i++ {
		p.Add(hline(lo, hi, i, draw.LineStyle{Color: color.Gray{Y: 200}, Width: vg.Points(0.75)}))
	}
	one := hline(0, 0, 0, draw.LineStyle{Color: color.Black, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(4)}})
	one.XYs = plotter.XYs{{X: 1, Y: -0.5}, {X: 1, Y: n - 0.5}}
	p.Add(one)
	grid := plotter.NewGrid()
	grid.Horizontal.Color = nil
	p.Add(grid)
	ratioAxes(p, t, lo, hi)
	return p, nil
}

func hline(lo, hi, y float64, st draw.LineStyle) *plotter.Line {
	return &plotter.Line{XYs: plotter.XYs{{X: lo, Y: y}, {X: hi, Y: y}}, LineStyle: st}
}

// ratioAxes: workloads down the left, first at the top; the ratio along
// the bottom on a log scale.
func ratioAxes(p *plot.Plot, t *Table, lo, hi float64) {
	names := make([]string, len(t.Workloads))
	for i, w := range t.Workloads {
		names[len(names)-1-i] = w.String()
	}
	p.NominalY(names...)
	p.Y.Min, p.Y.Max = -0.5, float64(len(names))-0.5
	p.Y.Tick.Label.Font.Size = vg.Points(13)
	p.X.Scale = plot.LogScale{}
	p.X.Min, p.X.Max = lo, hi
	p.X.Tick.Marker = ticksWithin(lo, hi)
	p.X.Tick.Label.Font.Size = vg.Points(13)
	p.X.Label.Text = "throughput ratio, paired per repetition (log scale; 1 = as fast as the peer)"
	p.X.Label.TextStyle.Font.Size = vg.Points(13)
	p.Title.TextStyle.Font.Size = vg.Points(15)
	p.Title.Padding = vg.Points(10)
}
