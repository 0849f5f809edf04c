package jem

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// Labelled is a labelled data set for a classifier.
type Labelled struct {
	Name       string
	X          *tensor.Dense[float64]
	Y          []int
	ClassNames []string
	Image      [2]int      // (height, width) of a row read as an image, or zero
	Box        *sample.Box // the range of the values: [0, 1] for images, else nil
}

// Classes returns 1 + the largest label (at least 2).
func (l *Labelled) Classes() int {
	k := 2
	for _, y := range l.Y {
		k = max(k, y+1)
	}
	return k
}

// LoadLabelled reads the training (test false) or test (test true) part of a
// labelled data source:
//
//	digits     the embedded 8×8 digits: train = the first 1500 rows, test = the
//	           last 297 (file order); pixels/16 ∈ [0, 1]
//	idx:DIR    a folder with MNIST-layout IDX files: train-images-idx3-ubyte and
//	           train-labels-idx1-ubyte (train), t10k-… (test), each plain or .gz
//	           (MNIST, Fashion-MNIST); pixels/255 ∈ [0, 1]
//	csv:PATH   a numeric CSV file with the integer class label in the last
//	           column (optional header); the whole file, whichever part
//
// limit > 0 keeps the first limit rows. Labels must be integers ≥ 0; a
// source that cannot be read or is malformed gives an error naming the file
// (and line); an unknown source a *spec.Error.
func LoadLabelled(source string, test bool, limit int) (*Labelled, error) {
	kind, path, _ := strings.Cut(source, ":")
	l := &Labelled{Name: source}
	switch {
	case source == "digits":
		ds, err := data.Digits()
		if err != nil {
			return nil, err
		}
		x := ds.X.Clone()
		for i := range x.Data {
			x.Data[i] /= 16
		}
		const ntr = 1500
		d := x.Cols
		if test {
			l.X, l.Y = tensor.FromSlice(x.Rows-ntr, d, x.Data[ntr*d:]), ds.Labels[ntr:]
		} else {
			l.X, l.Y = tensor.FromSlice(ntr, d, x.Data[:ntr*d]), ds.Labels[:ntr]
		}
		l.ClassNames, l.Image, l.Box = ds.ClassNames, [2]int{8, 8}, sample.ScalarBox(0, 1)
	case kind == "idx" && path != "":
		prefix := "train"
		if test {
			prefix = "t10k"
		}
		imgs, err := idxFile(path, prefix+"-images-idx3-ubyte")
		if err != nil {
			return nil, err
		}
		labs, err := idxFile(path, prefix+"-labels-idx1-ubyte")
		if err != nil {
			return nil, err
		}
		x32, err := data.LoadMNISTImages(imgs, limit)
		if err != nil {
			return nil, err
		}
		y, err := data.LoadIDXLabels(labs)
		if err != nil {
			return nil, err
		}
		if limit <= 0 && len(y) != x32.Rows || limit > 0 && len(y) < x32.Rows {
			return nil, fmt.Errorf("jem: %s has %d images but %s has %d labels", imgs, x32.Rows, labs, len(y))
		}
		l.X, l.Y = tensor.Convert[float64](nil, x32), y[:x32.Rows]
		l.Image, l.Box = data.ImageShape(x32.Cols), sample.ScalarBox(0, 1)
	case kind == "csv" && path != "":
		ds, err := data.LoadCSV(path, data.CSVOptions{Header: data.HeaderAuto, LabelColumn: data.LastColumn})
		if err != nil {
			return nil, err
		}
		for i, y := range ds.Labels {
			if y < 0 {
				return nil, &DataError{fmt.Sprintf("%s: row %d has label %d; labels must be 0, 1, …", path, i+1, y)}
			}
		}
		l.X, l.Y, l.ClassNames = ds.X, ds.Labels, ds.ClassNames
	default:
		return nil, spec.Errorf("data", "%q: want digits, idx:DIR or csv:PATH", source)
	}
	if limit > 0 && limit < l.X.Rows {
		d := l.X.Cols
		l.X, l.Y = tensor.FromSlice(limit, d, l.X.Data[:limit*d]), l.Y[:limit]
	}
	return l, nil
}

// idxFile finds name or name.gz in dir.
func idxFile(dir, name string) (string, error) {
	for _, n := range []string{name + ".gz", name} {
		p := filepath.Join(dir, n)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("jem: %s: no %s or %s.gz", dir, name, name)
}

// ParseSampler reads a sampler spec "sgld:step=1,noise=0.01,steps=20,clip=0"
// or "ula:step=1e-4,steps=20" (defaults: DefaultSampler's values for sgld;
// step 1e-4 for ula); where names the option in errors (*spec.Error).
func ParseSampler(where, s string) (Sampler, error) {
	sp, err := spec.Parse(where, s)
	if err != nil {
		return Sampler{}, err
	}
	def := DefaultSampler()
	out := Sampler{Kind: sp.Name}
	stepDef := def.Step
	switch sp.Name {
	case "sgld":
	case "ula":
		stepDef = 1e-4
	default:
		return Sampler{}, spec.Errorf(where, "sampler %q unknown (valid: sgld, ula)", sp.Name)
	}
	if out.Step, err = sp.Float("step", stepDef); err != nil {
		return Sampler{}, err
	}
	if out.Steps, err = sp.Int("steps", def.Steps); err != nil {
		return Sampler{}, err
	}
	if sp.Name == "sgld" {
		if out.Noise, err = sp.Float("noise", def.Noise); err != nil {
			return Sampler{}, err
		}
		if out.Clip, err = sp.Float("clip", 0); err != nil {
			return Sampler{}, err
		}
	}
	if err := sp.CheckUnused(); err != nil {
		return Sampler{}, err
	}
	if err := out.Validate(); err != nil {
		return Sampler{}, spec.Errorf(where, "%v", err)
	}
	return out, nil
}
