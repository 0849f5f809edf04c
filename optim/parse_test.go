package optim

import (
	"math"
	"testing"

	"github.com/ebm-go/ebm/spec"
)

func TestParseSchedule(t *testing.T) {
	s, err := ParseSchedule("cosine:warmup=10", 0.1, 110)
	if err != nil {
		t.Fatal(err)
	}
	// Warm-up from lr/100, then the cosine from lr to lr/100 over 100 steps.
	for _, c := range []struct {
		step int
		want float64
	}{{0, 0.001}, {5, 0.001 + 0.099*0.5}, {10, 0.1}, {60, 0.0505}, {110, 0.001}} {
		if got := s.LR(c.step); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("LR(%d) = %v, want %v", c.step, got, c.want)
		}
	}
	st, _ := ParseSchedule("step", 1, 8)
	if st.LR(1) != 1 || st.LR(2) != 0.5 || st.LR(7) != 0.125 {
		t.Errorf("step schedule: %v %v %v", st.LR(1), st.LR(2), st.LR(7))
	}
	if c, _ := ParseSchedule("", 0.3, 5); c.LR(4) != 0.3 {
		t.Errorf("empty spec is not constant")
	}
	for _, bad := range []struct {
		s     string
		lr    float64
		iters int
	}{{"exp", 0.1, 10}, {"cosine:warmup=10", 0.1, 10}, {"cosine:warmup=-1", 0.1, 10},
		{"constant:gamma=2", 0.1, 10}, {"constant", 0, 10}, {"constant", math.NaN(), 10}, {"constant", 0.1, 0},
		{"step:every=0", 0.1, 10}, {"step:factor=0", 0.1, 10}, {"step:factor=1.5", 0.1, 10},
		{"linear:final=-0.1", 0.1, 10}, {"cosine:final=2", 0.1, 10}, {"linear:every=2", 0.1, 10}} {
		if _, err := ParseSchedule(bad.s, bad.lr, bad.iters); !spec.IsInvalid(err) {
			t.Errorf("%+v: want a *spec.Error, got %v", bad, err)
		}
	}
}

// TestParseScheduleEpochs checks the settings counted in epochs against the
// closed forms: step LR(t) = lr·factor^⌊t/(every·perEpoch)⌋, linear from lr at
// update 0 to final·lr at the last update, warm-up in whole epochs.
func TestParseScheduleEpochs(t *testing.T) {
	const lr, per, epochs = 0.2, 7, 12
	st, err := ParseScheduleEpochs("step:every=3,factor=0.25", lr, per, epochs)
	if err != nil {
		t.Fatal(err)
	}
	for u := 0; u < per*epochs; u++ {
		want := lr * math.Pow(0.25, float64(u/(3*per)))
		if got := st.LR(u); math.Abs(got-want) > 1e-15 {
			t.Fatalf("step LR(%d) = %v, want %v", u, got, want)
		}
	}
	lin, err := ParseScheduleEpochs("linear:final=0.1", lr, per, epochs)
	if err != nil {
		t.Fatal(err)
	}
	last := per*epochs - 1
	for _, u := range []int{0, last / 2, last} {
		want := lr + (0.1*lr-lr)*float64(u)/float64(last)
		if got := lin.LR(u); math.Abs(got-want) > 1e-15 {
			t.Errorf("linear LR(%d) = %v, want %v", u, got, want)
		}
	}
	if c, err := ParseScheduleEpochs("linear", lr, 1, 1); err != nil || c.LR(0) != lr {
		t.Errorf("linear over one update: %v, %v", c, err)
	}
	w, err := ParseScheduleEpochs("constant:warmup=2", lr, per, epochs)
	if err != nil {
		t.Fatal(err)
	}
	if w.LR(0) != lr/100 || w.LR(2*per) != lr || w.LR(2*per-1) >= lr {
		t.Errorf("warm-up of 2 epochs: LR(0) %v, LR(%d) %v, LR(%d) %v", w.LR(0), 2*per-1, w.LR(2*per-1), 2*per, w.LR(2*per))
	}
	if _, err := ParseScheduleEpochs("constant:warmup=12", lr, per, epochs); !spec.IsInvalid(err) {
		t.Errorf("a warm-up as long as the run: want a *spec.Error, got %v", err)
	}
	if _, err := ParseScheduleEpochs("constant", lr, 0, epochs); !spec.IsInvalid(err) {
		t.Errorf("0 updates per epoch: want a *spec.Error, got %v", err)
	}
}
