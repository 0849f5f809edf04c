package rbm

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
)

// TestEvenSlices checks the batches against scikit-learn's gen_even_slices:
// 23 examples in batches of 5 give ⌈23/5⌉ = 5 slices of sizes 5, 5, 5, 4, 4;
// every epoch covers every example once, a shuffled epoch's order depends
// only on (seed, epoch), and a batch only on its iteration.
func TestEvenSlices(t *testing.T) {
	s := &evenSlices{N: 23, Size: 5}
	wantLo := []int{0, 5, 10, 15, 19, 23}
	for it := 0; it < 10; it++ {
		b, err := s.Batch(it, 5)
		if err != nil {
			t.Fatal(err)
		}
		k := it % 5
		for j, v := range b {
			if v != wantLo[k]+j || len(b) != wantLo[k+1]-wantLo[k] {
				t.Fatalf("iteration %d: batch %v, want [%d, %d)", it, b, wantLo[k], wantLo[k+1])
			}
		}
	}
	epoch := func(s *evenSlices, ep int) []int {
		var all []int
		for k := 0; k < s.PerEpoch(); k++ {
			b, _ := s.Batch(ep*s.PerEpoch()+k, s.Size)
			all = append(all, b...)
		}
		return all
	}
	a, b := &evenSlices{N: 23, Size: 5, Shuffle: true, Seed: 3}, &evenSlices{N: 23, Size: 5, Shuffle: true, Seed: 3}
	e1, e0 := epoch(a, 1), epoch(a, 0)
	if got := epoch(b, 1); !slices.Equal(got, e1) {
		t.Errorf("epoch 1 depends on what came before: %v vs %v", got, e1)
	}
	if slices.Equal(e0, e1) {
		t.Errorf("epochs 0 and 1 have the same order %v", e0)
	}
	for _, e := range [][]int{e0, e1} {
		sorted := slices.Sorted(slices.Values(e))
		for i, v := range sorted {
			if v != i {
				t.Fatalf("a shuffled epoch is not a permutation of 0…22: %v", e)
			}
		}
	}
	if _, err := (&evenSlices{N: 0, Size: 5}).Batch(0, 5); err == nil {
		t.Error("no examples: want an error")
	}
}

// flaky is a GradObjective on one parameter with gradient 1 (so SGD lowers
// it by the learning rate every update) whose loss is NaN at the calls listed
// in bad (counting from 0), or at every call with always.
type flaky struct {
	calls  int
	bad    []int
	always bool
}

func (f *flaky) Groups() []string { return []string{"p"} }

type flakyObj struct {
	*flaky
	p *autodiff.Param[float64]
}

func (o flakyObj) Grads(_ []int, _ *rand.Rand) (train.Stats, error) {
	o.p.Grad.Data[0] = 1
	c := o.calls
	o.calls++
	if o.always || slices.Contains(o.bad, c) {
		return train.Stats{Loss: math.NaN()}, nil
	}
	return train.Stats{}, nil
}

func flakyRun(t *testing.T, f *flaky, lr float64) (*fitRun[float64], *autodiff.Param[float64]) {
	t.Helper()
	p := autodiff.NewParam("x", tensor.New[float64](1, 1))
	opt, err := optim.NewSGD[float64](optim.SGDConfig{LR: lr})
	if err != nil {
		t.Fatal(err)
	}
	return &fitRun[float64]{groups: []train.Group[float64]{{Name: "p", Params: []*autodiff.Param[float64]{p}, Optimizer: opt, LR: lr}},
		obj: flakyObj{f, p}, src: &evenSlices{N: 10, Size: 5}, epochs: 3}, p
}

// TestFitRollback: a NaN loss in the second batch of epoch 2 rolls the run
// back to the end of epoch 1 with the rate halved, so the parameter ends at
// −(2·lr + 4·lr/2) and the history has three epochs, the last two at lr/2.
func TestFitRollback(t *testing.T) {
	const lr = 0.25
	run, p := flakyRun(t, &flaky{bad: []int{3}}, lr)
	res, err := run.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Value.Data[0], -(2*lr + 4*lr/2); got != want {
		t.Errorf("parameter %v, want %v", got, want)
	}
	if res.Epochs != 3 || res.Retries != 1 || len(res.History) != 3 {
		t.Fatalf("result %+v: want 3 epochs and 1 rollback", res)
	}
	for i, st := range res.History {
		want := lr
		if i > 0 {
			want = lr / 2
		}
		if st.Epoch != i+1 || st.LR != want {
			t.Errorf("epoch %d: %+v, want epoch %d at rate %v", i, st, i+1, want)
		}
	}

	// A run that never recovers ends with a *train.DivergenceError and the
	// parameters of the last good snapshot (the start).
	run, p = flakyRun(t, &flaky{always: true}, lr)
	_, err = run.run(context.Background())
	var div *train.DivergenceError
	if !errors.As(err, &div) || p.Value.Data[0] != 0 {
		t.Errorf("always diverging: err %v, parameter %v", err, p.Value.Data[0])
	}
}
