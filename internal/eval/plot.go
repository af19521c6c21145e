package eval

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"midas/internal/ckpt"
)

// Figure sizes in points; PNGs are rendered at 96 DPI, so 600×375 pt is 800×500 pixels.
const (
	plotDPI              = 96
	plotWidth  vg.Length = 600
	plotHeight vg.Length = 375
	heatWidth  vg.Length = 600
	heatHeight vg.Length = 510 // 800×680 px: the matrix is drawn square, the colour bar beside it
)

// seriesColors is the Tableau-10 palette: distinct hues that stay distinguishable when printed.
var seriesColors = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	{0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff},
}

func seriesColor(i int) color.Color { return seriesColors[i%len(seriesColors)] }

// markerShapes (filled first) cycle with the series so that series stay apart without colour too.
var markerShapes = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}, draw.RingGlyph{},
}

// Series is one curve of a LinePlot. X and Y have the same length.
type Series struct {
	Name    string    // legend entry ("" = not in the legend)
	X, Y    []float64 // points in drawing order
	Points  bool      // draw a marker at every point in addition to the line
	Scatter bool      // markers only, no line
	Color   int       // 0: the series' own color; k > 0: the color of series k−1 (a fit drawn with its points)
}

// Bars is one series of a grouped BarPlot: Values[i] is its bar in category i.
type Bars struct {
	Name   string
	Values []float64
	Errs   []float64 // nil, or ± half-length of the error bar per category (≥ 0)
}

// newPlot makes a plot with a title, axis labels, readable fonts and a light grid.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(12)
		a.Tick.Label.Font.Size = vg.Points(10)
		a.Tick.Marker = niceTicks{}
	}
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{0xdd}
	g.Horizontal.Color = color.Gray{0xdd}
	p.Add(g)
	return p
}

// newLegend makes a legend for drawing in a strip to the right of the data, so it never covers them.
func newLegend() plot.Legend {
	l := plot.NewLegend()
	l.Top, l.Left = true, true
	l.TextStyle.Font.Size = vg.Points(11)
	l.ThumbnailWidth = vg.Points(24)
	l.Padding = vg.Points(2)
	return l
}

// render draws p and, if it has entries, the legend to the right of it, and writes the PNG to path.
func render(path string, p *plot.Plot, legend *plot.Legend, hasLegend bool, w, h vg.Length) error {
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(plotDPI))
	dc := draw.New(img)
	if hasLegend {
		gap := vg.Points(10)
		r := legend.Rectangle(dc)
		lw := r.Max.X - r.Min.X
		legend.YOffs = -p.Title.TextStyle.FontExtents().Height - p.Title.Padding - vg.Points(4)
		// Paint the background first: p.Draw only paints its own, cropped, canvas.
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
		legend.Draw(draw.Crop(dc, w-lw-gap, -gap, 0, 0))
		dc = draw.Crop(dc, 0, -lw-2*gap, 0, 0)
	}
	p.Draw(dc)
	return writePNG(path, img)
}

// writePNG encodes img and writes it atomically (temp file + rename).
func writePNG(path string, img *vgimg.Canvas) error {
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return fmt.Errorf("eval: %s: encoding PNG: %v", path, err)
	}
	if err := ckpt.WriteFileAtomic(path, buf.Bytes()); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	return nil
}

// checkFinite returns an error naming what and the index of the first NaN or ±Inf in xs.
func checkFinite(what string, xs []float64) error {
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("eval: %s[%d] is %v", what, i, x)
		}
	}
	return nil
}

// addSeries draws one series (line and/or markers) in color ci and returns its legend thumbnails.
func addSeries(p *plot.Plot, s Series, xys plotter.XYs, ci int) ([]plot.Thumbnailer, error) {
	var thumbs []plot.Thumbnailer
	if !s.Scatter {
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		line.Color, line.Width = seriesColor(ci), vg.Points(2)
		p.Add(line)
		thumbs = append(thumbs, line)
	}
	if s.Points || s.Scatter || len(xys) == 1 {
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, err
		}
		sc.Color, sc.Shape, sc.Radius = seriesColor(ci), markerShapes[ci%len(markerShapes)], vg.Points(3.5)
		p.Add(sc)
		thumbs = append(thumbs, sc)
	}
	return thumbs, nil
}

// LinePlot draws one or more series as lines (with markers when Series.Points, or when a series has
// a single point) into a PNG of 800×500 pixels at path, with the legend to the right of the data. With
// logX the X axis is logarithmic and every X must be > 0. An empty series list, a series with no
// points or with len(X) ≠ len(Y), and NaN or ±Inf values are errors.
func LinePlot(path, title, xlabel, ylabel string, logX bool, series ...Series) error {
	if len(series) == 0 {
		return errors.New("eval: LinePlot: no series")
	}
	p := newPlot(title, xlabel, ylabel)
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	legend := newLegend()
	named := false
	for i, s := range series {
		what := fmt.Sprintf("series %d (%q)", i, s.Name)
		if len(s.X) != len(s.Y) {
			return fmt.Errorf("eval: LinePlot: %s has %d X and %d Y values", what, len(s.X), len(s.Y))
		}
		if len(s.X) == 0 {
			return fmt.Errorf("eval: LinePlot: %s has no points", what)
		}
		if err := checkFinite(what+" X", s.X); err != nil {
			return err
		}
		if err := checkFinite(what+" Y", s.Y); err != nil {
			return err
		}
		xys := make(plotter.XYs, len(s.X))
		for k := range s.X {
			if logX && s.X[k] <= 0 {
				return fmt.Errorf("eval: LinePlot: %s: X[%d] = %g is not positive (log scale)", what, k, s.X[k])
			}
			xys[k].X, xys[k].Y = s.X[k], s.Y[k]
		}
		ci := i
		if s.Color > 0 {
			ci = s.Color - 1
		}
		thumbs, err := addSeries(p, s, xys, ci)
		if err != nil {
			return fmt.Errorf("eval: LinePlot: %s: %v", what, err)
		}
		if s.Name != "" {
			legend.Add(s.Name, thumbs...)
			named = true
		}
	}
	padRange(&p.Y, 0.04)
	return render(path, p, &legend, named, plotWidth, plotHeight)
}

// BarPlot draws grouped bars into a PNG of 800×500 pixels at path: one group per category (in
// order, labelled on the X axis), one bar per Bars series inside each group, each with a ± error bar
// when its Errs is given. Every Values (and non-nil Errs) must have len(categories) entries; values
// must be finite and errors finite and ≥ 0.
func BarPlot(path, title, ylabel string, categories []string, bars ...Bars) error {
	if len(categories) == 0 {
		return errors.New("eval: BarPlot: no categories")
	}
	if len(bars) == 0 {
		return errors.New("eval: BarPlot: no bar series")
	}
	for i, b := range bars {
		what := fmt.Sprintf("bars %d (%q)", i, b.Name)
		if len(b.Values) != len(categories) {
			return fmt.Errorf("eval: BarPlot: %s has %d values for %d categories", what, len(b.Values), len(categories))
		}
		if b.Errs != nil && len(b.Errs) != len(categories) {
			return fmt.Errorf("eval: BarPlot: %s has %d errors for %d categories", what, len(b.Errs), len(categories))
		}
		if err := checkFinite(what+" value", b.Values); err != nil {
			return err
		}
		if err := checkFinite(what+" error", b.Errs); err != nil {
			return err
		}
		for k, e := range b.Errs {
			if e < 0 {
				return fmt.Errorf("eval: BarPlot: %s error[%d] = %g is negative", what, k, e)
			}
		}
	}
	p := newPlot(title, "", ylabel)
	p.NominalX(categories...)
	p.X.Tick.Label.Font.Size = vg.Points(11)
	if len(categories) > 8 { // too many to sit side by side: read them upwards
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	g := &barGroups{bars: bars, n: len(categories)}
	p.Add(g)
	padRange(&p.Y, 0.05)
	legend := newLegend()
	named := false
	for i, b := range bars {
		if b.Name != "" {
			legend.Add(b.Name, swatch{seriesColor(i)})
			named = true
		}
	}
	return render(path, p, &legend, named, plotWidth, plotHeight)
}

// barGroups draws the bars of a BarPlot: category i spans [i-0.4, i+0.4] in data units, split evenly
// between the series.
type barGroups struct {
	bars []Bars
	n    int
}

// DataRange covers every category and every bar, its error bar and zero.
func (g *barGroups) DataRange() (xmin, xmax, ymin, ymax float64) {
	for _, b := range g.bars {
		for i, v := range b.Values {
			e := 0.0
			if b.Errs != nil {
				e = b.Errs[i]
			}
			ymin, ymax = math.Min(ymin, v-e), math.Max(ymax, v+e)
		}
	}
	return -0.5, float64(g.n) - 0.5, ymin, ymax
}

// Plot draws the bars, outlined, and their error bars with caps.
func (g *barGroups) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	groupW := 0.8 * (trX(1) - trX(0))
	barW := groupW / vg.Length(len(g.bars))
	outline := draw.LineStyle{Color: color.Gray{0x40}, Width: vg.Points(0.5)}
	errStyle := draw.LineStyle{Color: color.Black, Width: vg.Points(1.2)}
	for j, b := range g.bars {
		for i, v := range b.Values {
			x0 := trX(float64(i)) - groupW/2 + vg.Length(j)*barW
			y0, y1 := trY(0), trY(v)
			pts := []vg.Point{{X: x0, Y: y0}, {X: x0 + barW, Y: y0}, {X: x0 + barW, Y: y1}, {X: x0, Y: y1}}
			c.FillPolygon(seriesColor(j), c.ClipPolygonXY(pts))
			c.StrokeLines(outline, c.ClipLinesXY(append(pts, pts[0]))...)
			if b.Errs == nil || b.Errs[i] == 0 {
				continue
			}
			xm, cap := x0+barW/2, min(barW/4, vg.Points(6))
			lo, hi := trY(v-b.Errs[i]), trY(v+b.Errs[i])
			c.StrokeLine2(errStyle, xm, lo, xm, hi)
			c.StrokeLine2(errStyle, xm-cap, lo, xm+cap, lo)
			c.StrokeLine2(errStyle, xm-cap, hi, xm+cap, hi)
		}
	}
}

// swatch is a legend thumbnail: a filled square of one colour.
type swatch struct{ c color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	side := min(r.Max.X-r.Min.X, r.Max.Y-r.Min.Y)
	x0 := r.Min.X + (r.Max.X-r.Min.X-side)/2
	pts := []vg.Point{{X: x0, Y: r.Min.Y}, {X: x0 + side, Y: r.Min.Y}, {X: x0 + side, Y: r.Min.Y + side}, {X: x0, Y: r.Min.Y + side}}
	c.FillPolygon(s.c, pts)
}

// Heatmap draws the square matrix m (row i, column j = m[i][j]; row 0 at the top) into a PNG at path
// with a blue–white–red colour scale from min to max (values outside are drawn in the end colours, NaN
// in grey), labels on both axes (thinned to at most 16 when the matrix is larger) and, when the matrix
// is at most 16×16, the values written in the cells. len(labels) must be len(m), every row must have
// len(m) entries and min < max must be finite.
func Heatmap(path, title string, labels []string, m [][]float64, min, max float64) error {
	if err := checkHeatmap(labels, m, min, max); err != nil {
		return err
	}
	cmap := moreland.SmoothBlueRed()
	cmap.SetMin(min)
	cmap.SetMax(max)
	p := heatPlot(title, labels, m, cmap)
	img := vgimg.NewWith(vgimg.UseWH(heatWidth, heatHeight), vgimg.UseDPI(plotDPI))
	full := draw.New(img)
	full.SetColor(color.White)
	full.Fill(full.Rectangle.Path())
	barStrip := vg.Points(90)
	dc := draw.Crop(full, 0, -barStrip, 0, 0)
	// Make the data area square by giving up width or height, keeping the title on top.
	da := p.DataCanvas(dc)
	if w, h := da.Max.X-da.Min.X, da.Max.Y-da.Min.Y; w > h {
		dc = draw.Crop(dc, 0, -(w - h), 0, 0)
	} else if h > w {
		dc = draw.Crop(dc, 0, 0, h-w, 0)
	}
	p.Draw(dc)
	drawColorBar(full, p.DataCanvas(dc), cmap)
	return writePNG(path, img)
}

// checkHeatmap returns Heatmap's error for a matrix that is empty or not square, labels that do not
// match it, or a colour range that is not a finite interval.
func checkHeatmap(labels []string, m [][]float64, min, max float64) error {
	n := len(m)
	if n == 0 {
		return errors.New("eval: Heatmap: empty matrix")
	}
	for i, row := range m {
		if len(row) != n {
			return fmt.Errorf("eval: Heatmap: matrix is not square: row %d has %d entries, want %d", i, len(row), n)
		}
	}
	if len(labels) != n {
		return fmt.Errorf("eval: Heatmap: %d labels for a %d×%d matrix", len(labels), n, n)
	}
	if !(min < max) || math.IsInf(min, 0) || math.IsInf(max, 0) {
		return fmt.Errorf("eval: Heatmap: colour range [%g, %g] is not a finite interval", min, max)
	}
	return nil
}

// heatPlot is the matrix part of a Heatmap: the cells in the colours of cmap (its range set), the
// thinned labels on both axes and, up to 16×16, the values in the cells.
func heatPlot(title string, labels []string, m [][]float64, cmap palette.ColorMap) *plot.Plot {
	n := len(m)
	min, max := cmap.Min(), cmap.Max()
	pal := cmap.Palette(255)
	colors := pal.Colors()
	hm := plotter.NewHeatMap(matGrid(m), pal)
	hm.Min, hm.Max = min, max
	hm.Underflow, hm.Overflow, hm.NaN = colors[0], colors[len(colors)-1], color.Gray{0xb0}

	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.Title.Padding = vg.Points(8)
	p.X.Padding, p.Y.Padding = 0, 0
	var xt, yt plot.ConstantTicks
	step := (n + 15) / 16
	for i := 0; i < n; i += step {
		xt = append(xt, plot.Tick{Value: float64(i), Label: labels[i]})
		yt = append(yt, plot.Tick{Value: float64(n - 1 - i), Label: labels[i]})
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = xt, yt
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Tick.Label.Font.Size = vg.Points(11)
	}
	p.Add(hm)
	if n <= 16 {
		p.Add(&cellValues{m: m, colorOf: func(v float64) color.Color {
			if math.IsNaN(v) {
				return hm.NaN
			}
			c, err := cmap.At(math.Min(math.Max(v, min), max))
			if err != nil {
				return hm.NaN
			}
			return c
		}})
	}
	return p
}

// drawColorBar draws the colour scale of cmap on full, in a strip right of the data area da and as
// tall as it.
func drawColorBar(full draw.Canvas, da draw.Canvas, cmap palette.ColorMap) {
	bar := plot.New()
	bar.HideX()
	bar.Y.Padding = 0
	bar.Y.Tick.Label.Font.Size = vg.Points(11)
	bar.Y.Tick.Marker = niceTicks{}
	bar.Add(&plotter.ColorBar{ColorMap: cmap, Vertical: true})
	bc := draw.Crop(full, da.Max.X+vg.Points(14), 0, 0, 0)
	bc.Max.X = bc.Min.X + vg.Points(50)
	bc.Min.Y, bc.Max.Y = da.Min.Y, da.Max.Y
	bar.Draw(bc)
}

// matGrid shows a square matrix as a plotter.GridXYZ: column c at x = c, row r at y = n-1-r (row 0 on top).
type matGrid [][]float64

func (g matGrid) Dims() (c, r int)   { return len(g), len(g) }
func (g matGrid) Z(c, r int) float64 { return g[len(g)-1-r][c] }
func (g matGrid) X(c int) float64    { return float64(c) }
func (g matGrid) Y(r int) float64    { return float64(r) }

// cellValues writes each matrix entry (two decimals) at the centre of its heatmap cell, in black or
// white depending on the brightness of the cell's colour.
type cellValues struct {
	m       [][]float64
	colorOf func(float64) color.Color
}

func (cv *cellValues) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	n := len(cv.m)
	cell := trX(1) - trX(0)
	sty := plt.X.Tick.Label
	sty.Font = font.From(sty.Font, max(vg.Points(6), min(vg.Points(12), cell/3.4)))
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
	for i, row := range cv.m {
		for j, v := range row {
			r, g, b, _ := cv.colorOf(v).RGBA()
			sty.Color = color.Black
			if 0.299*float64(r)+0.587*float64(g)+0.114*float64(b) < 0.5*0xffff {
				sty.Color = color.White
			}
			txt := fmt.Sprintf("%.2f", v)
			if txt == "-0.00" {
				txt = "0.00"
			}
			c.FillText(sty, vg.Point{X: trX(float64(j)), Y: trY(float64(n - 1 - i))}, txt)
		}
	}
}

// niceTicks labels a linear axis about every (max-min)/6 at a step of 1, 2, 2.5 or 5 × 10^k (gonum's
// default gives only about three labels, too few to read values off a plot).
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	raw := (hi - lo) / 6
	mag := math.Pow10(int(math.Floor(math.Log10(raw))))
	step := 10 * mag
	for _, f := range []float64{1, 2, 2.5, 5} {
		if f*mag >= raw {
			step = f * mag
			break
		}
	}
	// Decimals needed to print multiples of step exactly (2.5 needs one more than its magnitude).
	prec := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	if r := step / math.Pow10(-prec); math.Abs(r-math.Round(r)) > 1e-9 {
		prec++
	}
	var ticks []plot.Tick
	for k := math.Ceil(lo/step - 1e-9); k*step <= hi+step*1e-9; k++ {
		v := k * step
		if v == 0 {
			v = 0 // no "-0"
		}
		label := strconv.FormatFloat(v, 'f', prec, 64)
		if a := math.Abs(v); a != 0 && (a >= 1e6 || a < 1e-4) {
			label = strconv.FormatFloat(v, 'g', 3, 64)
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	return ticks
}

// padRange widens the Y range of p by frac of its span on each side, so that no curve, bar or error
// bar touches the frame; a bound at zero stays at zero (bars start there).
func padRange(a *plot.Axis, frac float64) {
	span := a.Max - a.Min
	if span <= 0 {
		span = math.Max(math.Abs(a.Max), 1)
	}
	if a.Min != 0 {
		a.Min -= frac * span
	}
	if a.Max != 0 {
		a.Max += frac * span
	}
}
