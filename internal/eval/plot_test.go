package eval

import (
	"flag"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// -plotdir keeps the test PNGs in a directory so that a person can look at them:
// go test ./internal/eval/ -run Plot -plotdir /tmp/plots
var plotDir = flag.String("plotdir", "", "write the plot tests' PNGs to this directory")

func outPath(t *testing.T, name string) string {
	t.Helper()
	if *plotDir != "" {
		if err := os.MkdirAll(*plotDir, 0o755); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(*plotDir, name)
	}
	return filepath.Join(t.TempDir(), name)
}

// checkPNG decodes path and checks its pixel size; it also checks that no temp file is left behind.
func checkPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("%s: %d×%d pixels, want %d×%d", path, b.Dx(), b.Dy(), w, h)
	}
	// A blank image would mean nothing was drawn: count the distinct colours.
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	if len(seen) < 8 {
		t.Errorf("%s: only %d distinct colours; the plot looks empty", path, len(seen))
	}
	ents, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temp file %s left behind", e.Name())
		}
	}
}

// The figure sizes in pixels: 600×375 pt and 600×510 pt at 96 DPI.
const (
	linePX, lineH = 800, 500
	heatPX, heatH = 800, 680
)

func TestLinePlot(t *testing.T) {
	var steps, base, midas, single []float64
	for i := 1; i <= 40; i++ {
		s := float64(i * 25)
		steps = append(steps, s)
		base = append(base, 2+3*math.Exp(-s/200))
		midas = append(midas, 2.1+3*math.Exp(-s/150))
	}
	single = []float64{1000}
	p := outPath(t, "line.png")
	err := LinePlot(p, "Validation loss", "step", "loss", false,
		Series{Name: "baseline", X: steps, Y: base},
		Series{Name: "midas", X: steps, Y: midas, Points: true},
		Series{Name: "final", X: single, Y: []float64{2.05}})
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, p, linePX, lineH)

	p = outPath(t, "line_logx.png")
	if err := LinePlot(p, "Accuracy vs FLOPs", "FLOPs", "accuracy", true,
		Series{Name: "baseline", X: []float64{1e12, 3e12, 1e13, 3e13}, Y: []float64{0.1, 0.2, 0.35, 0.5}, Points: true},
		Series{X: []float64{2e12, 4e13}, Y: []float64{0.15, 0.6}}); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, p, linePX, lineH)
}

func TestBarPlot(t *testing.T) {
	p := outPath(t, "bars.png")
	cats := []string{"copy", "varassign", "psm-2", "psm-4"}
	err := BarPlot(p, "Primitive accuracy (3 seeds)", "exact match", cats,
		Bars{Name: "baseline", Values: []float64{0.9, 0.4, 0.3, 0.1}, Errs: []float64{0.02, 0.05, 0.04, 0.03}},
		Bars{Name: "gradstack", Values: []float64{0.88, 0.45, 0.33, 0.12}},
		Bars{Name: "midas", Values: []float64{0.91, 0.55, 0.42, 0.2}, Errs: []float64{0.01, 0, 0.05, 0.04}})
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, p, linePX, lineH)

	p = outPath(t, "bars_negative.png")
	if err := BarPlot(p, "Loss change", "Δ loss", []string{"a", "b"}, Bars{Values: []float64{-0.3, 0.2}}); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, p, linePX, lineH)
}

func TestHeatmap(t *testing.T) {
	for _, n := range []int{1, 4, 16, 24} {
		labels := make([]string, n)
		m := make([][]float64, n)
		for i := range m {
			labels[i] = "L" + strconv.Itoa(i)
			m[i] = make([]float64, n)
			for j := range m[i] {
				m[i][j] = math.Cos(float64(i-j) / 3)
			}
		}
		if n == 4 {
			m[0][3], m[3][0] = math.NaN(), math.NaN() // drawn grey, not an error
			m[1][2] = -2                              // below min: drawn in the end colour
		}
		p := outPath(t, "heat"+strconv.Itoa(n)+".png")
		if err := Heatmap(p, "Layer similarity", labels, m, -1, 1); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		checkPNG(t, p, heatPX, heatH)
	}
}

func TestPlotErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.png")
	sq := [][]float64{{1, 0}, {0, 1}}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"no series", LinePlot(path, "t", "x", "y", false), "no series"},
		{"mismatched", LinePlot(path, "t", "x", "y", false, Series{X: []float64{1, 2}, Y: []float64{1}}), "2 X and 1 Y"},
		{"empty series", LinePlot(path, "t", "x", "y", false, Series{Name: "a"}), "no points"},
		{"NaN", LinePlot(path, "t", "x", "y", false, Series{X: []float64{1}, Y: []float64{math.NaN()}}), "Y[0] is NaN"},
		{"log of zero", LinePlot(path, "t", "x", "y", true, Series{X: []float64{0, 1}, Y: []float64{1, 2}}), "not positive"},
		{"no categories", BarPlot(path, "t", "y", nil, Bars{}), "no categories"},
		{"no bars", BarPlot(path, "t", "y", []string{"a"}), "no bar series"},
		{"bar values", BarPlot(path, "t", "y", []string{"a", "b"}, Bars{Values: []float64{1}}), "1 values for 2 categories"},
		{"bar errs", BarPlot(path, "t", "y", []string{"a"}, Bars{Values: []float64{1}, Errs: []float64{1, 2}}), "2 errors for 1 categories"},
		{"negative err", BarPlot(path, "t", "y", []string{"a"}, Bars{Values: []float64{1}, Errs: []float64{-1}}), "negative"},
		{"bar Inf", BarPlot(path, "t", "y", []string{"a"}, Bars{Values: []float64{math.Inf(1)}}), "is +Inf"},
		{"empty matrix", Heatmap(path, "t", nil, nil, -1, 1), "empty matrix"},
		{"not square", Heatmap(path, "t", []string{"a", "b"}, [][]float64{{1, 0}, {0}}, -1, 1), "not square"},
		{"labels", Heatmap(path, "t", []string{"a"}, sq, -1, 1), "1 labels for a 2×2"},
		{"range", Heatmap(path, "t", []string{"a", "b"}, sq, 1, 1), "not a finite interval"},
		{"bad dir", Heatmap(filepath.Join(dir, "no", "x.png"), "t", []string{"a", "b"}, sq, -1, 1), "no such file"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.HasPrefix(c.err.Error(), "eval: ") || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want \"eval: ...%s...\"", c.name, c.err, c.want)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a failed plot left %s behind (stat: %v)", path, err)
	}
}
