package rbm

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/tensor"
)

// The model kinds this package saves and registers with package model.
const (
	KindRBM  = "rbm"
	KindDBN  = "dbn"
	KindDBM  = "dbm"
	KindFVBM = "fvbm"
)

func init() {
	model.Register(KindRBM, func(dir string, meta *model.Meta, ts map[string]model.Tensor) (any, error) {
		return rbmFromFolder(dir, meta, ts)
	})
	model.Register(KindDBN, func(dir string, meta *model.Meta, ts map[string]model.Tensor) (any, error) {
		return dbnFromFolder(dir, meta, ts)
	})
	model.Register(KindDBM, func(dir string, meta *model.Meta, ts map[string]model.Tensor) (any, error) {
		return dbmFromFolder(dir, meta, ts)
	})
	model.Register(KindFVBM, func(dir string, meta *model.Meta, ts map[string]model.Tensor) (any, error) {
		return fvbmFromFolder(dir, meta, ts)
	})
}

// DataInfo describes the training data as far as using a saved model needs it.
// It is saved beside the parameters and restored by the Load functions.
type DataInfo struct {
	// Image is the (height, width) of the visible layer read as an image, for
	// pictures of samples; (0, 0) when unknown.
	Image [2]int
	// Preprocessing says how the values were derived from the raw data (for
	// example "pixel >= 8 -> 1").
	Preprocessing string
	// Mean and Std standardize Gaussian visible units: the model sees
	// (x − Mean)/Std per column. Both nil when the data was not standardized.
	Mean, Std []float64
	// BaseBias holds the visible biases of the base-rate RBM of the training
	// data (see BaseRateBias), the start of AIS; nil when not saved.
	BaseBias []float32
}

// validate checks the lengths of d's vectors against nv visible units.
func (d *DataInfo) validate(nv int) error {
	if d == nil {
		return nil
	}
	if (d.Mean == nil) != (d.Std == nil) {
		return errors.New("rbm: data standardization needs both Mean and Std")
	}
	if d.Mean != nil && (len(d.Mean) != nv || len(d.Std) != nv) {
		return fmt.Errorf("rbm: standardization of %d and %d columns for %d visible units", len(d.Mean), len(d.Std), nv)
	}
	for i, s := range d.Std {
		if !(s > 0) || math.IsInf(s, 0) || math.IsNaN(d.Mean[i]) || math.IsInf(d.Mean[i], 0) {
			return fmt.Errorf("rbm: standardization column %d has mean %v and std %v", i, d.Mean[i], s)
		}
	}
	if d.BaseBias != nil && len(d.BaseBias) != nv {
		return fmt.Errorf("rbm: %d base-rate biases for %d visible units", len(d.BaseBias), nv)
	}
	if d.Image[0] < 0 || d.Image[1] < 0 {
		return fmt.Errorf("rbm: image shape %v", d.Image)
	}
	return nil
}

// Unstandardize maps rows of x from the model's standardized scale back to the
// data's: x·Std + Mean per column. It does nothing when d is nil or holds no
// standardization.
func (d *DataInfo) Unstandardize(x *tensor.Dense[float32]) {
	if d == nil || d.Mean == nil {
		return
	}
	for i := 0; i < x.Rows; i++ {
		r := x.Row(i)
		for k := range r {
			r[k] = float32(float64(r[k])*d.Std[k] + d.Mean[k])
		}
	}
}

// rbmArch is the architecture document of a saved RBM (model.json's
// "architecture").
type rbmArch struct {
	Visible     string  `json:"visible"`
	NVisible    int     `json:"n_visible"`
	NHidden     int     `json:"n_hidden"`
	Image       [2]int  `json:"image"`
	Energy      string  `json:"energy"`
	Standardize bool    `json:"standardize,omitempty"`
	Prep        string  `json:"preprocessing"`
	InitStd     float64 `json:"init_std"`
}

// energyDoc returns the energy function of an RBM as saved in model.json.
func energyDoc(v Visible) string {
	if v == Gaussian {
		return "E(v,h) = sum (v_i-b_i)^2/(2 s_i^2) - sum (v_i/s_i^2) W_ij h_j - c'h, s_i^2 = exp(log_var_i)"
	}
	return "E(v,h) = -v'Wh - b'v - c'h"
}

// tensors returns the parameters of r as named tensors: prefix+"W" (V×H),
// prefix+"b", prefix+"c" and, for Gaussian units, prefix+"log_var".
func (r *RBM) tensors(prefix string) []model.Tensor {
	ts := []model.Tensor{
		model.FromDense(prefix+"W", r.W),
		{Name: prefix + "b", DType: "F32", Shape: []int{len(r.B)}, F32: r.B},
		{Name: prefix + "c", DType: "F32", Shape: []int{len(r.C)}, F32: r.C},
	}
	if r.LogVar != nil {
		ts = append(ts, model.Tensor{Name: prefix + "log_var", DType: "F32", Shape: []int{len(r.LogVar)}, F32: r.LogVar})
	}
	return ts
}

func f64Tensor(name string, v []float64) model.Tensor {
	return model.Tensor{Name: name, DType: "F64", Shape: []int{len(v)}, F64: v}
}

// withKind returns a copy of meta (or a new Meta) with Kind and Architecture
// set.
func withKind(meta *model.Meta, kind string, arch any) (*model.Meta, error) {
	m := model.Meta{}
	if meta != nil {
		m = *meta
	}
	js, err := json.Marshal(arch)
	if err != nil {
		return nil, err
	}
	m.Kind, m.Architecture = kind, js
	return &m, nil
}

// Save writes r as a model folder at dir (kind "rbm"): model.safetensors with
// W [V,H], b [V], c [H], log_var [V] (Gaussian units), and from r.Data the
// tensors base_bias [V] (F32), data_mean and data_std [V] (F64) when set;
// model.json with meta (Seed, Training, Data and Metrics are the caller's; Kind
// and Architecture are set here). meta may be nil. See model.Save for how the
// folder is replaced.
func (r *RBM) Save(dir string, meta *model.Meta) error {
	if err := r.Validate(); err != nil {
		return err
	}
	d := r.Data
	if d == nil {
		d = &DataInfo{}
	}
	arch := rbmArch{Visible: r.Visible.String(), NVisible: r.NumVisible(), NHidden: r.NumHidden(), Image: d.Image,
		Energy: energyDoc(r.Visible), Standardize: d.Mean != nil, Prep: d.Preprocessing, InitStd: InitStd}
	m, err := withKind(meta, KindRBM, arch)
	if err != nil {
		return err
	}
	ts := r.tensors("")
	if d.BaseBias != nil {
		ts = append(ts, model.Tensor{Name: "base_bias", DType: "F32", Shape: []int{len(d.BaseBias)}, F32: d.BaseBias})
	}
	if d.Mean != nil {
		ts = append(ts, f64Tensor("data_mean", d.Mean), f64Tensor("data_std", d.Std))
	}
	return model.Save(dir, m, ts)
}

// rbmFromTensors rebuilds an RBM from tensors written by (*RBM).tensors, after
// checking every shape against nv and nh (and so against the file) before it
// allocates.
func rbmFromTensors(ts map[string]model.Tensor, prefix string, visible Visible, nv, nh int) (*RBM, error) {
	if err := checkSize("RBM", nv, nh); err != nil {
		return nil, err
	}
	w, err := model.Expect(ts, prefix+"W", "F32", nv, nh)
	if err != nil {
		return nil, err
	}
	b, err := model.Expect(ts, prefix+"b", "F32", nv)
	if err != nil {
		return nil, err
	}
	c, err := model.Expect(ts, prefix+"c", "F32", nh)
	if err != nil {
		return nil, err
	}
	r := &RBM{Visible: visible, W: &tensor.Dense[float32]{Rows: nv, Cols: nh, Data: w.F32}, B: b.F32, C: c.F32}
	if visible == Gaussian {
		lv, err := model.Expect(ts, prefix+"log_var", "F32", nv)
		if err != nil {
			return nil, err
		}
		r.LogVar = lv.F32
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

func rbmFromFolder(dir string, meta *model.Meta, ts map[string]model.Tensor) (*RBM, error) {
	var arch rbmArch
	if err := json.Unmarshal(meta.Architecture, &arch); err != nil {
		return nil, fmt.Errorf("rbm: model %s: architecture: %w", dir, err)
	}
	vis, err := ParseVisible(arch.Visible)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	r, err := rbmFromTensors(ts, "", vis, arch.NVisible, arch.NHidden)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	d := &DataInfo{Image: arch.Image, Preprocessing: arch.Prep}
	if arch.Standardize {
		m, err := model.Expect(ts, "data_mean", "F64", arch.NVisible)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", dir, err)
		}
		sd, err := model.Expect(ts, "data_std", "F64", arch.NVisible)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", dir, err)
		}
		d.Mean, d.Std = m.F64, sd.F64
	}
	if _, ok := ts["base_bias"]; ok {
		t, err := model.Expect(ts, "base_bias", "F32", arch.NVisible)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", dir, err)
		}
		d.BaseBias = t.F32
	}
	if err := d.validate(arch.NVisible); err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	r.Data = d
	return r, nil
}

// KindError reports a model folder of another kind than the one asked for.
type KindError struct {
	Dir, Kind, Want string
}

func (e *KindError) Error() string {
	return fmt.Sprintf("rbm: %s holds a model of kind %q, not %q", e.Dir, e.Kind, e.Want)
}

// loadKind loads dir through the registry and checks its kind.
func loadKind(dir, want string) (any, *model.Meta, error) {
	m, meta, err := model.Load(dir)
	if err != nil {
		return nil, nil, err
	}
	if meta.Kind != want {
		return nil, nil, &KindError{Dir: dir, Kind: meta.Kind, Want: want}
	}
	return m, meta, nil
}

// Load reads an RBM saved by (*RBM).Save (or by the command line, which writes
// the same format), with its DataInfo in the Data field. A folder of another
// kind gives a *KindError.
func Load(dir string) (*RBM, *model.Meta, error) {
	m, meta, err := loadKind(dir, KindRBM)
	if err != nil {
		return nil, nil, err
	}
	return m.(*RBM), meta, nil
}

// dbnArch is the architecture document of a saved DBN.
type dbnArch struct {
	Sizes   []int  `json:"sizes"`
	Visible string `json:"visible"`
	Image   [2]int `json:"image"`
	Prep    string `json:"preprocessing"`
}

// Save writes d as a model folder at dir (kind "dbn"): the tensors of layer l
// as "l.W", "l.b", "l.c" (and "0.log_var" for Gaussian visible units), the
// layer sizes, and the image shape and preprocessing of d.Data in model.json.
func (d *DBN) Save(dir string, meta *model.Meta) error {
	if err := d.Validate(); err != nil {
		return err
	}
	arch := dbnArch{Sizes: d.Sizes(), Visible: d.Layers[0].Visible.String()}
	if d.Data != nil {
		arch.Image, arch.Prep = d.Data.Image, d.Data.Preprocessing
	}
	m, err := withKind(meta, KindDBN, arch)
	if err != nil {
		return err
	}
	var ts []model.Tensor
	for l, r := range d.Layers {
		ts = append(ts, r.tensors(fmt.Sprintf("%d.", l))...)
	}
	return model.Save(dir, m, ts)
}

func dbnFromFolder(dir string, meta *model.Meta, ts map[string]model.Tensor) (*DBN, error) {
	var arch dbnArch
	if err := json.Unmarshal(meta.Architecture, &arch); err != nil {
		return nil, fmt.Errorf("rbm: model %s: architecture: %w", dir, err)
	}
	if len(arch.Sizes) < 2 || 3*(len(arch.Sizes)-1) > len(ts) {
		return nil, fmt.Errorf("rbm: model %s: %d layer sizes for %d tensors", dir, len(arch.Sizes), len(ts))
	}
	vis := Bernoulli
	if arch.Visible != "" {
		v, err := ParseVisible(arch.Visible)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", dir, err)
		}
		vis = v
	}
	net := &DBN{Data: &DataInfo{Image: arch.Image, Preprocessing: arch.Prep}}
	for l := 0; l+1 < len(arch.Sizes); l++ {
		kind := Bernoulli
		if l == 0 {
			kind = vis
		}
		r, err := rbmFromTensors(ts, fmt.Sprintf("%d.", l), kind, arch.Sizes[l], arch.Sizes[l+1])
		if err != nil {
			return nil, fmt.Errorf("model %s: layer %d: %w", dir, l, err)
		}
		net.Layers = append(net.Layers, r)
	}
	if err := net.Validate(); err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	return net, nil
}

// LoadDBN reads a deep belief net saved by (*DBN).Save.
func LoadDBN(dir string) (*DBN, *model.Meta, error) {
	m, meta, err := loadKind(dir, KindDBN)
	if err != nil {
		return nil, nil, err
	}
	return m.(*DBN), meta, nil
}

// dbmArch is the architecture document of a saved DBM.
type dbmArch struct {
	Sizes  [3]int `json:"sizes"`
	Energy string `json:"energy"`
}

// Save writes m as a model folder at dir (kind "dbm"): tensors W1 [V,H1],
// W2 [H1,H2], b [V], c1 [H1], c2 [H2] (F32).
func (m *DBM) Save(dir string, meta *model.Meta) error {
	if err := m.Validate(); err != nil {
		return err
	}
	nv, nh1, nh2 := m.Sizes()
	md, err := withKind(meta, KindDBM, dbmArch{Sizes: [3]int{nv, nh1, nh2},
		Energy: "E(v,h1,h2) = -v'W1h1 - h1'W2h2 - b'v - c1'h1 - c2'h2"})
	if err != nil {
		return err
	}
	vec := func(name string, v []float32) model.Tensor {
		return model.Tensor{Name: name, DType: "F32", Shape: []int{len(v)}, F32: v}
	}
	return model.Save(dir, md, []model.Tensor{model.FromDense("W1", m.W1), model.FromDense("W2", m.W2),
		vec("b", m.B), vec("c1", m.C1), vec("c2", m.C2)})
}

func dbmFromFolder(dir string, meta *model.Meta, ts map[string]model.Tensor) (*DBM, error) {
	var arch dbmArch
	if err := json.Unmarshal(meta.Architecture, &arch); err != nil {
		return nil, fmt.Errorf("rbm: model %s: architecture: %w", dir, err)
	}
	nv, nh1, nh2 := arch.Sizes[0], arch.Sizes[1], arch.Sizes[2]
	if err := checkSize("DBM", nv, nh1, nh2); err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	get := func(name string, shape ...int) ([]float32, error) {
		t, err := model.Expect(ts, name, "F32", shape...)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", dir, err)
		}
		return t.F32, nil
	}
	w1, err := get("W1", nv, nh1)
	if err != nil {
		return nil, err
	}
	w2, err := get("W2", nh1, nh2)
	if err != nil {
		return nil, err
	}
	b, err := get("b", nv)
	if err != nil {
		return nil, err
	}
	c1, err := get("c1", nh1)
	if err != nil {
		return nil, err
	}
	c2, err := get("c2", nh2)
	if err != nil {
		return nil, err
	}
	m := &DBM{W1: &tensor.Dense[float32]{Rows: nv, Cols: nh1, Data: w1}, W2: &tensor.Dense[float32]{Rows: nh1, Cols: nh2, Data: w2},
		B: b, C1: c1, C2: c2}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	return m, nil
}

// LoadDBM reads a deep Boltzmann machine saved by (*DBM).Save.
func LoadDBM(dir string) (*DBM, *model.Meta, error) {
	m, meta, err := loadKind(dir, KindDBM)
	if err != nil {
		return nil, nil, err
	}
	return m.(*DBM), meta, nil
}

// fvbmArch is the architecture document of a saved FVBM.
type fvbmArch struct {
	D      int    `json:"d"`
	Energy string `json:"energy"`
}

// Save writes m as a model folder at dir (kind "fvbm"): tensors W [d,d] and
// b [d] (F64).
func (m *FVBM) Save(dir string, meta *model.Meta) error {
	if err := m.Validate(); err != nil {
		return err
	}
	md, err := withKind(meta, KindFVBM, fvbmArch{D: m.Dim(), Energy: "E(x) = -x'Wx - b'x, W symmetric, zero diagonal"})
	if err != nil {
		return err
	}
	return model.Save(dir, md, []model.Tensor{model.FromDense("W", m.W), f64Tensor("b", m.B)})
}

func fvbmFromFolder(dir string, meta *model.Meta, ts map[string]model.Tensor) (*FVBM, error) {
	// The size comes from b; folders written before the architecture recorded
	// d are read the same way.
	b, err := model.Expect(ts, "b", "F64", -1)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	d := b.Shape[0]
	var arch fvbmArch
	if len(meta.Architecture) > 0 && json.Unmarshal(meta.Architecture, &arch) == nil && arch.D != 0 && arch.D != d {
		return nil, fmt.Errorf("rbm: model %s: architecture says d = %d but b has %d values", dir, arch.D, d)
	}
	if err := checkSize("FVBM", d, d); err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	w, err := model.Expect(ts, "W", "F64", d, d)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	m := &FVBM{W: &tensor.Dense[float64]{Rows: d, Cols: d, Data: w.F64}, B: b.F64}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	return m, nil
}

// LoadFVBM reads a fully visible Boltzmann machine saved by (*FVBM).Save.
func LoadFVBM(dir string) (*FVBM, *model.Meta, error) {
	m, meta, err := loadKind(dir, KindFVBM)
	if err != nil {
		return nil, nil, err
	}
	return m.(*FVBM), meta, nil
}
