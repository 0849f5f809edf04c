package metric

import (
	"fmt"
	"io"
)

// DemoReport is the record of the 8gaussians demonstration: a trained 2-D
// energy's training report and grid NLL against the best achievable NLL (the
// entropy of the data density), the MMD² (RBF, h = 0.5) of its MALA samples
// against data next to the MMD² of two data samples (the noise floor), and the
// sampler's mean acceptance probability.
type DemoReport struct {
	Train      *TrainReport `json:"train"`
	NLLGrid    float64      `json:"nll_grid"`
	NLLBest    float64      `json:"nll_best"`
	MMD2       float64      `json:"mmd2_model_samples"`
	MMD2Floor  float64      `json:"mmd2_data_vs_data"`
	AcceptRate float64      `json:"sampler_accept_rate"`
	// Out is the folder of the demonstration's files.
	Out string `json:"out"`
}

// WriteMarkdown writes the report as a short Markdown document: the setting,
// a table of the figures, and a list of the pictures in Out.
func (r *DemoReport) WriteMarkdown(w io.Writer) error {
	fmt.Fprintf(w, "# ebm demo\n\nAn MLP energy 2-128-128-1 (SiLU) trained on FFJORD's 8gaussians by sliced score matching\n")
	fmt.Fprintf(w, "(%d iterations, batch 256, Adam 1e-3, weight EMA 0.99), in %.1f s (%.0f it/s).\n\n", r.Train.Iters, r.Train.Seconds, r.Train.ItersPerSec)
	fmt.Fprintf(w, "| figure | value |\n|---|---|\n")
	fmt.Fprintf(w, "| grid NLL of 10,000 held-out points | %.4f nats |\n", r.NLLGrid)
	fmt.Fprintf(w, "| best possible (entropy of the data density) | %.4f nats |\n", r.NLLBest)
	if r.Train.LogZGrid != nil {
		fmt.Fprintf(w, "| grid log Z | %.4f |\n", *r.Train.LogZGrid)
	}
	fmt.Fprintf(w, "| MMD² of 2,000 MALA samples vs 2,000 data points (RBF, h = 0.5) | %.5f |\n", r.MMD2)
	fmt.Fprintf(w, "| MMD² of data vs data (noise floor) | %.5f |\n", r.MMD2Floor)
	fmt.Fprintf(w, "| MALA mean acceptance | %.3f |\n\n", r.AcceptRate)
	_, err := fmt.Fprint(w, "Pictures: `density.png` (learned exp(−E)/Z with data), `samples.png` (model samples over the energy's\ncontours), `data.png` (data over the true density), `loss.png` (training loss). The model is in `model/`:\n`ebm eval --model "+r.Out+"` and `ebm sample --model "+r.Out+"` use it.\n")
	return err
}

// WriteText writes the report's main figures for a reader.
func (r *DemoReport) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "grid NLL %.3f nats on held-out data (best possible %.3f, the entropy of the data)\n", r.NLLGrid, r.NLLBest)
	fmt.Fprintf(w, "MMD² of 2000 model samples vs data %.4f (data vs data: %.4f)\n", r.MMD2, r.MMD2Floor)
	_, err := fmt.Fprintf(w, "training: %d iterations at %.0f it/s\n", r.Train.Iters, r.Train.ItersPerSec)
	return err
}
