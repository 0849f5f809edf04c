package crf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ebm-go/ebm/model"
)

// Kind is the model-folder kind of CRF and structured-SVM models.
const Kind = "crf"

// maxLabels caps the label set a model file may declare.
const maxLabels = 1 << 12

func init() {
	model.Register(Kind, func(dir string, meta *model.Meta, ts map[string]model.Tensor) (any, error) {
		return fromFolder(dir, meta, ts)
	})
}

// architecture is the model.json "architecture" of a CRF.
type architecture struct {
	Labels     []string  `json:"labels"`
	Templates  Templates `json:"templates"`
	Columns    int       `json:"columns"`
	Attributes int       `json:"attributes"`
	Features   int       `json:"features"`
	// Edge attributes and features; absent (zero) in models without them,
	// including every model written before edge features existed.
	EdgeAttributes int `json:"edge_attributes,omitempty"`
	EdgeFeatures   int `json:"edge_features,omitempty"`
}

// Save writes m as a model folder of kind "crf" at dir (atomically, see
// model.Save): weights (F64), the feature index (attr_offsets and
// feat_labels, I32) and the attribute names (attr_names, U8, one per line)
// in model.safetensors, with the edge features (edge_offsets, edge_pairs,
// edge_names, alike) when the model has any; labels and templates in
// model.json's architecture. The weights are laid out as in Model.W.
// meta supplies the other model.json fields (seed, training, data, metrics);
// its Kind and Architecture are set by Save.
func (m *Model) Save(dir string, meta model.Meta) error {
	arch, err := json.Marshal(architecture{
		Labels: m.Labels, Templates: m.Templates, Columns: m.Columns,
		Attributes: len(m.Attrs), Features: len(m.FeatLabel),
		EdgeAttributes: len(m.EdgeAttrs), EdgeFeatures: len(m.EdgePair),
	})
	if err != nil {
		return err
	}
	meta.Kind, meta.Architecture = Kind, arch
	nb := joinNames(m.Attrs)
	ts := []model.Tensor{
		{Name: "weights", DType: "F64", Shape: []int{len(m.W)}, F64: m.W},
		{Name: "attr_offsets", DType: "I32", Shape: []int{len(m.AttrOff)}, I32: m.AttrOff},
		{Name: "feat_labels", DType: "I32", Shape: []int{len(m.FeatLabel)}, I32: m.FeatLabel},
		{Name: "attr_names", DType: "U8", Shape: []int{len(nb)}, U8: nb},
	}
	if len(m.EdgePair) > 0 {
		en := joinNames(m.EdgeAttrs)
		ts = append(ts,
			model.Tensor{Name: "edge_offsets", DType: "I32", Shape: []int{len(m.EdgeOff)}, I32: m.EdgeOff},
			model.Tensor{Name: "edge_pairs", DType: "I32", Shape: []int{len(m.EdgePair)}, I32: m.EdgePair},
			model.Tensor{Name: "edge_names", DType: "U8", Shape: []int{len(en)}, U8: en})
	}
	return model.Save(dir, &meta, ts)
}

// joinNames returns the names, each followed by a newline.
func joinNames(names []string) []byte {
	var b bytes.Buffer
	for _, a := range names {
		b.WriteString(a)
		b.WriteByte('\n')
	}
	if b.Len() == 0 {
		return []byte{}
	}
	return b.Bytes()
}

// splitNames checks that b holds n newline-terminated names and returns them.
func splitNames(b []byte, n int) ([]string, bool) {
	if bytes.Count(b, []byte{'\n'}) != n || (len(b) > 0 && b[len(b)-1] != '\n') {
		return nil, false
	}
	if n == 0 {
		return nil, true
	}
	return strings.Split(string(b[:len(b)-1]), "\n"), true
}

// checkIndex checks a CSR feature index: off runs from 0 to len(vals) without
// decreasing, and the values of each row increase strictly and lie in [0, limit).
func checkIndex(off, vals []int32, limit int32) error {
	rows := len(off) - 1
	if off[0] != 0 || int(off[rows]) != len(vals) {
		return fmt.Errorf("offsets must run from 0 to %d", len(vals))
	}
	for a := 0; a < rows; a++ {
		lo, hi := off[a], off[a+1]
		if hi < lo {
			return fmt.Errorf("offsets decrease at row %d", a)
		}
		for k := lo; k < hi; k++ {
			y := vals[k]
			if y < 0 || y >= limit || (k > lo && y <= vals[k-1]) {
				return fmt.Errorf("value [%d] = %d is out of range or out of order", k, y)
			}
		}
	}
	return nil
}

// Load reads a CRF model folder. A folder of another kind is an error that
// names both kinds.
func Load(dir string) (*Model, error) {
	v, meta, err := model.Load(dir)
	if err != nil {
		return nil, err
	}
	m, ok := v.(*Model)
	if !ok {
		return nil, fmt.Errorf("crf: %s holds a %q model, not a %q one", dir, meta.Kind, Kind)
	}
	return m, nil
}

// fromFolder checks every size and index of a saved model against its
// tensors before building it.
func fromFolder(dir string, meta *model.Meta, ts map[string]model.Tensor) (*Model, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("crf: %s: %s", dir, fmt.Sprintf(format, a...))
	}
	var arch architecture
	dec := json.NewDecoder(bytes.NewReader(meta.Architecture))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&arch); err != nil {
		return nil, bad("architecture: %v", err)
	}
	l := len(arch.Labels)
	if l < 1 || l > maxLabels {
		return nil, bad("%d labels, want 1 to %d", l, maxLabels)
	}
	if arch.Columns < 1 || arch.Attributes < 0 || arch.Features < 0 || arch.EdgeAttributes < 0 || arch.EdgeFeatures < 0 {
		return nil, bad("columns %d, attributes %d, features %d, edge attributes %d, edge features %d out of range",
			arch.Columns, arch.Attributes, arch.Features, arch.EdgeAttributes, arch.EdgeFeatures)
	}
	if err := arch.Templates.Validate(); err != nil {
		return nil, bad("%v", err)
	}
	nw := int64(arch.Features) + int64(l)*int64(l) + 2*int64(l) + int64(arch.EdgeFeatures)
	w, err := model.Expect(ts, "weights", "F64", int(nw))
	if err != nil {
		return nil, bad("%v", err)
	}
	off, err := model.Expect(ts, "attr_offsets", "I32", arch.Attributes+1)
	if err != nil {
		return nil, bad("%v", err)
	}
	fl, err := model.Expect(ts, "feat_labels", "I32", arch.Features)
	if err != nil {
		return nil, bad("%v", err)
	}
	names, err := model.Expect(ts, "attr_names", "U8", -1)
	if err != nil {
		return nil, bad("%v", err)
	}
	attrs, ok := splitNames(names.U8, arch.Attributes)
	if !ok {
		return nil, bad("attr_names does not hold %d newline-terminated names", arch.Attributes)
	}
	if err := checkIndex(off.I32, fl.I32, int32(l)); err != nil {
		return nil, bad("attr_offsets, feat_labels: %v", err)
	}
	m := &Model{
		Labels: arch.Labels, Templates: arch.Templates, Columns: arch.Columns,
		AttrOff: off.I32, FeatLabel: fl.I32, W: w.F64, Attrs: attrs,
	}
	if arch.EdgeFeatures > 0 || arch.EdgeAttributes > 0 {
		eo, err := model.Expect(ts, "edge_offsets", "I32", arch.EdgeAttributes+1)
		if err != nil {
			return nil, bad("%v", err)
		}
		ep, err := model.Expect(ts, "edge_pairs", "I32", arch.EdgeFeatures)
		if err != nil {
			return nil, bad("%v", err)
		}
		en, err := model.Expect(ts, "edge_names", "U8", -1)
		if err != nil {
			return nil, bad("%v", err)
		}
		if m.EdgeAttrs, ok = splitNames(en.U8, arch.EdgeAttributes); !ok {
			return nil, bad("edge_names does not hold %d newline-terminated names", arch.EdgeAttributes)
		}
		if err := checkIndex(eo.I32, ep.I32, int32(l*l)); err != nil {
			return nil, bad("edge_offsets, edge_pairs: %v", err)
		}
		m.EdgeOff, m.EdgePair = eo.I32, ep.I32
	}
	m.edgeTpl, _ = parseEdge(m.Templates.Edge)
	m.attrIndex = indexOf(m.Attrs)
	m.labelIndex = indexOf(m.Labels)
	m.edgeIndex = indexOf(m.EdgeAttrs)
	if len(m.attrIndex) != len(m.Attrs) || len(m.edgeIndex) != len(m.EdgeAttrs) {
		return nil, bad("attribute names are not unique")
	}
	if len(m.labelIndex) != l {
		return nil, bad("label names are not unique")
	}
	return m, nil
}

// TrainReport describes a training run: the model's size, the optimizer's
// summary and, when a test file was given, the evaluation on it.
type TrainReport struct {
	Labels     int `json:"labels"`
	Attributes int `json:"attributes"`
	Features   int `json:"features"`
	// EdgeFeatures counts the edge features (edge attribute, label pair).
	EdgeFeatures int          `json:"edge_features"`
	Train        *TrainResult `json:"train"`
	Test         *Evaluation  `json:"test,omitempty"`
	Algo         string       `json:"algo"`
	Build        BuildOptions `json:"build"`
	Data         []string     `json:"data"`
}

// NewTrainReport fills a report for a trained model.
func NewTrainReport(m *Model, algo string, bo BuildOptions, res *TrainResult, test *Evaluation, data ...string) *TrainReport {
	return &TrainReport{Labels: len(m.Labels), Attributes: len(m.Attrs), Features: m.NumFeatures(),
		EdgeFeatures: m.NumEdgeFeatures(), Train: res, Test: test, Algo: algo, Build: bo, Data: data}
}

// SaveWithReport saves m (see Save) with the report's settings in
// model.json's training and data fields and its accuracies in metrics.
func (m *Model) SaveWithReport(dir string, seed uint64, r *TrainReport) error {
	meta := model.Meta{Seed: seed, Metrics: map[string]float64{"train_seconds": r.Train.Seconds}}
	meta.Training, _ = json.Marshal(map[string]any{"algo": r.Algo, "build": r.Build, "result": r.Train})
	meta.Data, _ = json.Marshal(r.Data)
	if r.Test != nil {
		meta.Metrics["test_accuracy"] = r.Test.Accuracy
		if r.Test.Chunks != nil {
			meta.Metrics["test_chunk_f1"] = r.Test.Chunks.F1
		}
	}
	return m.Save(dir, meta)
}

// WriteText prints the report: one line on the model and the run, then the
// test evaluation if there is one.
func (r *TrainReport) WriteText(w io.Writer) error {
	t := r.Train
	edge := ""
	if r.EdgeFeatures > 0 {
		edge = fmt.Sprintf(", %d edge features", r.EdgeFeatures)
	}
	fmt.Fprintf(w, "%s: %d labels, %d attributes, %d features%s; %d iterations in %.1fs (%s), objective %.6g\n",
		t.Algorithm, r.Labels, r.Attributes, r.Features, edge, t.Iterations, t.Seconds, t.Status, t.Objective)
	if r.Test != nil {
		return r.Test.WriteText(w)
	}
	return nil
}
