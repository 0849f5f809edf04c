package plot

import (
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/ebm-go/ebm/tensor"
)

// gaussianMixture returns n points from four Gaussians at (±2, ±2).
func gaussianMixture(n int, seed uint64) *tensor.Dense[float64] {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := tensor.New[float64](n, 2)
	for i := range n {
		cx, cy := 2.0, 2.0
		if rng.IntN(2) == 0 {
			cx = -2
		}
		if rng.IntN(2) == 0 {
			cy = -2
		}
		m.Set(i, 0, cx+0.4*rng.NormFloat64())
		m.Set(i, 1, cy+0.4*rng.NormFloat64())
	}
	return m
}

// mixtureEnergy is −log of an unnormalized four-Gaussian mixture.
func mixtureEnergy(x, y float64) float64 {
	s := 0.0
	for _, cx := range []float64{-2, 2} {
		for _, cy := range []float64{-2, 2} {
			s += math.Exp(-((x-cx)*(x-cx) + (y-cy)*(y-cy)) / (2 * 0.16))
		}
	}
	return -math.Log(s)
}

// checkPNG decodes path and checks its size and that it is not blank.
func checkPNG(t *testing.T, path string, wantW, wantH int) image.Image {
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
	b := img.Bounds()
	if b.Dx() == 0 || b.Dy() == 0 {
		t.Fatalf("%s: empty image", path)
	}
	if (wantW > 0 && b.Dx() != wantW) || (wantH > 0 && b.Dy() != wantH) {
		t.Errorf("%s: %d×%d pixels, want %d×%d", path, b.Dx(), b.Dy(), wantW, wantH)
	}
	colors := map[[4]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			colors[[4]uint32{r, g, bl, a}] = true
		}
	}
	if len(colors) < 3 {
		t.Errorf("%s: only %d colours, looks blank", path, len(colors))
	}
	return img
}

// noTemp fails if dir holds anything but the named files.
func noTemp(t *testing.T, dir string, keep ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		ok := false
		for _, k := range keep {
			ok = ok || e.Name() == k
		}
		if !ok {
			t.Errorf("unexpected file %s left in %s", e.Name(), dir)
		}
	}
}

// px is the pixel size of a length at DPI.
func px(l vg.Length) int { return int(math.Round(l.Dots(DPI))) }

func TestScatter2D(t *testing.T) {
	dir := t.TempDir()
	pts := gaussianMixture(2000, 1)
	plain := filepath.Join(dir, "plain.png")
	if err := Scatter2D(plain, "samples", pts, ScatterOptions{}); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, plain, px(Size), px(Size))

	contour := filepath.Join(dir, "sub", "contour.png") // folder is created
	opts := ScatterOptions{Contour: mixtureEnergy, Shade: true, XRange: [2]float64{-4, 4}, YRange: [2]float64{-4, 4}, GridN: 60}
	if err := Scatter2D(contour, "samples over E", pts, opts); err != nil {
		t.Fatal(err)
	}
	img := checkPNG(t, contour, px(Size), px(Size))
	// The contour lines use the blue-red palette: some strongly coloured
	// pixels must exist apart from the blue points.
	reddish := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r > 0xb000 && g < 0x8000 && bl < 0x8000 {
				reddish++
			}
		}
	}
	if reddish < 20 {
		t.Errorf("only %d red contour pixels", reddish)
	}
	noTemp(t, dir, "plain.png", "sub")
	noTemp(t, filepath.Join(dir, "sub"), "contour.png")

	// Non-finite points and points outside fixed axes are left out and counted.
	pts.Set(0, 0, math.NaN())
	pts.Set(1, 1, math.Inf(1))
	pts.Set(2, 0, 100)
	p, err := Scatter2DPlot("t", pts, opts)
	if err != nil {
		t.Fatal(err)
	}
	if want := "t (2 non-finite not shown) (1 outside the axes)"; p.Title.Text != want {
		t.Errorf("title %q, want %q", p.Title.Text, want)
	}
	// An energy that is +Inf in places still draws.
	inf := func(x, y float64) float64 {
		if x > 1 {
			return math.Inf(1)
		}
		return x*x + y*y
	}
	if err := Scatter2D(filepath.Join(dir, "inf.png"), "", pts, ScatterOptions{Contour: inf}); err != nil {
		t.Fatal(err)
	}
}

func TestScatter2DErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.png")
	ok := gaussianMixture(10, 2)
	nan := tensor.Full(3, 2, math.NaN())
	cases := []struct {
		name string
		pts  *tensor.Dense[float64]
		opts ScatterOptions
		want string
	}{
		{"nil", nil, ScatterOptions{}, "no points"},
		{"3 cols", tensor.New[float64](5, 3), ScatterOptions{}, "points are 5×3, want n×2"},
		{"all NaN", nan, ScatterOptions{}, "all 3 points are non-finite"},
		{"bad range", ok, ScatterOptions{XRange: [2]float64{1, -1}}, "XRange [1 -1] is not an increasing"},
		{"bad alpha", ok, ScatterOptions{Alpha: 2}, "Alpha outside"},
		{"NaN energy", ok, ScatterOptions{Contour: func(x, y float64) float64 { return math.NaN() }}, "no finite value"},
		{"tiny grid", ok, ScatterOptions{Contour: mixtureEnergy, GridN: 1}, "GridN must be at least 2"},
	}
	for _, c := range cases {
		err := Scatter2D(out, "t", c.pts, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	noTemp(t, dir)
}

func TestPairGrid(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 3))
	pts := tensor.New[float64](6000, 5) // more than PairGridMaxPoints
	for i := range pts.Data {
		pts.Data[i] = rng.NormFloat64()
	}
	for i := range pts.Rows { // correlate x₂ with x₁
		pts.Set(i, 1, pts.At(i, 0)+0.3*pts.At(i, 1))
	}
	pts.Set(7, 3, math.NaN())
	path := filepath.Join(dir, "pairs.png")
	if err := PairGrid(path, "5-D samples", pts, 4); err != nil {
		t.Fatal(err)
	}
	side := px(8 * vg.Inch)
	img := checkPNG(t, path, side, 0)
	if img.Bounds().Dy() <= side {
		t.Errorf("height %d leaves no room for the title", img.Bounds().Dy())
	}
	one := filepath.Join(dir, "one.png")
	if err := PairGrid(one, "", pts, 1); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, one, px(5*vg.Inch), px(5*vg.Inch))
	for _, c := range []struct {
		pts  *tensor.Dense[float64]
		max  int
		want string
	}{
		{nil, 3, "no points"},
		{pts, 0, "maxDims is 0"},
		{tensor.Full(2, 3, math.Inf(-1)), 3, "all 2 points are non-finite"},
	} {
		if err := PairGrid(filepath.Join(dir, "bad.png"), "", c.pts, c.max); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
	noTemp(t, dir, "pairs.png", "one.png")
}

func TestDensity2D(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "density.png")
	logp := func(x, y float64) float64 { return -mixtureEnergy(x, y) }
	if err := Density2D(path, "model density", logp, -4, 4, 100, gaussianMixture(300, 4)); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, path, px(Size), px(Size))
	// Without overlay, with NaN and −Inf cells.
	holes := func(x, y float64) float64 {
		switch {
		case x < -3:
			return math.NaN()
		case x > 3:
			return math.Inf(-1)
		}
		return -(x*x + y*y)
	}
	if err := Density2D(filepath.Join(dir, "holes.png"), "holes", holes, -4, 4, 50, nil); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, filepath.Join(dir, "holes.png"), px(Size), px(Size))
	for _, c := range []struct {
		f      func(x, y float64) float64
		lo, hi float64
		n      int
		ov     *tensor.Dense[float64]
		want   string
	}{
		{nil, -1, 1, 10, nil, "nil logDensity"},
		{logp, 1, -1, 10, nil, "not an increasing finite range"},
		{logp, -1, 1, 1, nil, "grid size 1"},
		{logp, -1, 1, 10, tensor.New[float64](3, 3), "overlay points are 3×3"},
		{func(x, y float64) float64 { return math.Inf(-1) }, -1, 1, 10, nil, "no finite value on the grid"},
		{func(x, y float64) float64 {
			if x > 0 {
				return math.Inf(1)
			}
			return 0
		}, -1, 1, 10, nil, "logDensity is +Inf"},
	} {
		if err := Density2D(filepath.Join(dir, "bad.png"), "", c.f, c.lo, c.hi, c.n, c.ov); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
	noTemp(t, dir, "density.png", "holes.png")
}

func TestLines(t *testing.T) {
	dir := t.TempDir()
	n := 200
	train, test := make([]float64, n), make([]float64, n)
	steps := make([]float64, n)
	for i := range n {
		steps[i] = float64(10 * i)
		train[i] = 3*math.Exp(-float64(i)/40) + 0.1
		test[i] = train[i] + 0.05
	}
	test[50] = math.NaN()
	path := filepath.Join(dir, "loss.png")
	series := []Series{{Name: "train", X: steps, Y: train}, {Name: "test", X: steps, Y: test}}
	if err := Lines(path, "loss", "step", "loss", series, LineOptions{LogY: true}); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, path, px(LineWidth), px(LineHeight))
	p, _ := LinesPlot("loss", "step", "loss", series, LineOptions{})
	if p.Title.Text != "loss (1 non-finite not shown)" {
		t.Errorf("title %q", p.Title.Text)
	}
	// Unnamed series, X defaulting to the index, a single point.
	if err := Lines(filepath.Join(dir, "plain.png"), "acceptance", "iteration", "rate", []Series{{Y: []float64{0.2, 0.5, 0.6}}, {Y: []float64{0.4}}}, LineOptions{}); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, filepath.Join(dir, "plain.png"), px(LineWidth), px(LineHeight))
	for _, c := range []struct {
		s    []Series
		opts LineOptions
		want string
	}{
		{nil, LineOptions{}, "no series"},
		{[]Series{{Name: "a", X: []float64{1}, Y: []float64{1, 2}}}, LineOptions{}, "a has 1 X values and 2 Y values"},
		{[]Series{{Name: "nll", Y: []float64{1, -0.5}}}, LineOptions{LogY: true}, "nll has Y[1] = -0.5"},
		{[]Series{{Y: []float64{math.NaN()}}}, LineOptions{}, "no finite points"},
	} {
		if err := Lines(filepath.Join(dir, "bad.png"), "", "", "", c.s, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
	noTemp(t, dir, "loss.png", "plain.png")
}

func TestImageGrid(t *testing.T) {
	dir := t.TempDir()
	const h, w, n = 8, 6, 10
	imgs := tensor.New[float64](n, h*w)
	for k := range n {
		for i := range h * w {
			imgs.Set(k, i, float64((i+k)%7)/6)
		}
	}
	imgs.Set(0, 0, math.NaN())
	imgs.Set(1, 0, 7) // clamped
	path := filepath.Join(dir, "grid.png")
	if err := ImageGrid(path, imgs, h, w, 4, 3); err != nil {
		t.Fatal(err)
	}
	img := checkPNG(t, path, 4*w*3+5*3, 3*h*3+4*3)
	if r, g, b, _ := img.At(3, 3).RGBA(); r>>8 != 255 || g != 0 || b != 0 {
		t.Errorf("NaN pixel is (%d, %d, %d), want red", r>>8, g>>8, b>>8)
	}
	if c := img.At(0, 0); c != gapColor {
		r, g, b, _ := c.RGBA()
		t.Errorf("border pixel (%d, %d, %d), want the gap colour", r>>8, g>>8, b>>8)
	}
	for _, c := range []struct {
		imgs          *tensor.Dense[float64]
		h, w, cols, s int
		want          string
	}{
		{nil, h, w, 4, 1, "no images"},
		{imgs, h, w + 1, 4, 1, "want n×56 for 8×7 tiles"},
		{imgs, h, w, 0, 1, "must all be at least 1"},
		{imgs, h, w, 4, 0, "must all be at least 1"},
		{imgs, h, w, 4, 5000, "too large"},
	} {
		if err := ImageGrid(filepath.Join(dir, "bad.png"), c.imgs, c.h, c.w, c.cols, c.s); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
	noTemp(t, dir, "grid.png")
}

func TestPanels(t *testing.T) {
	dir := t.TempDir()
	data := gaussianMixture(500, 5)
	a, err := Scatter2DPlot("data", data, ScatterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Scatter2DPlot("samples", gaussianMixture(500, 6), ScatterOptions{Contour: mixtureEnergy, GridN: 40})
	if err != nil {
		t.Fatal(err)
	}
	c, err := LinesPlot("loss", "step", "loss", []Series{{Y: []float64{3, 2, 1.5, 1.2}}}, LineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "panels.png")
	if err := Panels(path, "comparison", 2, a, b, c); err != nil {
		t.Fatal(err)
	}
	img := checkPNG(t, path, px(8*vg.Inch), 0)
	if img.Bounds().Dy() <= px(8*vg.Inch) {
		t.Errorf("height %d: no room for the title", img.Bounds().Dy())
	}
	if err := Panels(path, "", 0, a); err == nil {
		t.Error("cols 0 accepted")
	}
	if err := Panels(path, "", 1); err == nil {
		t.Error("no panels accepted")
	}
	// Save reports drawing panics (a log axis over negative values) as errors
	// and leaves no file behind.
	bad := gplot.New()
	bad.Y.Scale = gplot.LogScale{}
	bad.Y.Tick.Marker = gplot.LogTicks{}
	bad.Y.Min, bad.Y.Max = -1, 1
	if err := Save(filepath.Join(dir, "bad.png"), bad, Size, Size); err == nil {
		t.Error("no error for a log axis over negative values")
	}
	noTemp(t, dir, "panels.png")
}

func TestWriteAtomicFailure(t *testing.T) {
	dir := t.TempDir()
	// The target is an existing folder: the rename fails and the temporary
	// file must be removed.
	target := filepath.Join(dir, "taken.png")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(target, "keep"), nil, 0o644)
	if err := ImageGrid(target, tensor.Full(1, 4, 0.5), 2, 2, 1, 1); err == nil {
		t.Fatal("no error writing over a folder")
	}
	noTemp(t, dir, "taken.png")
}

func TestLogTicks(t *testing.T) {
	var labels []string
	for _, tk := range (logTicks{}).Ticks(0.15, 3.2) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "0.2 0.5 1 2" {
		t.Errorf("labels %q", got)
	}
	labels = nil
	for _, tk := range (logTicks{}).Ticks(0.01, 1000) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "0.01 0.1 1 10 100 1000" {
		t.Errorf("wide labels %q", got)
	}
}
