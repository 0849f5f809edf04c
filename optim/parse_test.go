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
	}{{"linear", 0.1, 10}, {"cosine:warmup=10", 0.1, 10}, {"cosine:warmup=-1", 0.1, 10},
		{"constant:gamma=2", 0.1, 10}, {"constant", 0, 10}, {"constant", math.NaN(), 10}, {"constant", 0.1, 0}} {
		if _, err := ParseSchedule(bad.s, bad.lr, bad.iters); !spec.IsInvalid(err) {
			t.Errorf("%+v: want a *spec.Error, got %v", bad, err)
		}
	}
}
