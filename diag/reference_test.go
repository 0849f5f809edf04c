package diag

import (
	"math"
	"testing"
)

// The reference values below were computed once with numpy 1.24 and scipy 1.10
// by a line-by-line transcription of ArviZ's arviz/stats/diagnostics.py
// (_ess, _split_chains, _z_scale, _rhat, _rhat_rank, _ess_tail, _mcse_mean;
// quantiles type 7). They pin this package to ArviZ's numbers, not only to its
// formulas. Python is not needed to run the tests.

// refA: 3 chains of 7 draws with ties; odd length, so splitting drops the middle draw.
var refA = [][]float64{
	{1.0, 2.0, 2.0, 3.5, 0.5, 4.0, 2.0},
	{2.5, 2.0, 3.0, 1.0, 1.0, 5.0, 0.0},
	{3.0, 3.0, 4.5, 2.0, 6.0, 2.0, 7.0},
}

// refB: 4 chains of 51 draws of an AR(1) (ρ = 0.6) with chain offsets 0.3·c,
// drawn with numpy's default_rng(20261122) and rounded to 6 decimals.
var refB = [][]float64{
	{1.170568, 1.477287, 1.064615, -0.496145, -1.827916, -0.147419, 0.571171, -1.25307, -0.251562, -2.061269, -0.438781, 0.298939, 0.951803, 0.216959, 0.682551, 0.199888, -1.008795, -0.16671, 0.283274, 0.306976, 0.387819, -0.253072, -0.144085, -0.341334, -1.001782, -1.302668, -0.832176, -2.151419, -1.439524, 0.235442, 1.339295, 1.233317, 1.167538, 0.371852, 0.449133, -0.160076, 0.655627, -0.017644, -1.297958, -1.838219, -1.792599, -0.135057, -1.520315, -0.165849, -0.198024, -0.549459, 0.128397, 2.001017, 1.401421, 0.89176, 0.710407},
	{0.761197, -0.392664, -0.9276, -0.633974, 0.187641, -0.997245, -1.294063, -2.10673, -1.304861, -1.270251, -0.38752, -0.189662, -0.758596, 0.805959, 1.083284, 0.343374, -0.531938, -0.446549, 0.9381, -0.444814, -1.056126, -1.206656, -0.603212, 0.666206, 0.885598, 0.780883, 0.814709, -0.144078, 0.267068, 0.220141, 0.075762, 1.382643, 0.612237, 0.364246, -0.64298, -1.369565, 0.279172, -0.408285, -0.758436, -2.186385, -1.315516, -1.717535, -0.888195, 0.091371, 0.061849, 0.389138, 0.666641, 0.365051, -0.153774, 0.079521, 0.074834},
	{3.503631, 3.969467, 1.642701, 1.820757, -0.926333, -0.615127, -0.333365, 0.837698, 1.041062, 0.436696, -1.05826, -0.912374, -1.002368, -1.823115, -1.002155, -1.093923, -0.931418, -0.038833, 0.216128, 0.305439, 0.248297, 0.510154, -0.276685, -0.033594, -0.461218, -0.334117, 0.475294, -0.266177, -1.002538, -0.828523, 0.058116, -0.096488, -0.838933, 1.140626, 1.551014, 0.761134, 1.703928, -0.821432, -1.449486, -0.901719, 0.416955, 0.948202, 0.18674, 1.518722, 1.828588, 2.261813, 1.945685, 1.876632, 1.00139, 0.616207, 0.35337},
	{0.13993, 0.392284, 0.965299, 2.278968, 1.608855, 1.764281, 2.026095, 1.592142, 0.720965, 0.337633, 1.706594, 1.542022, 0.328528, 0.22089, -0.541923, -0.177035, 0.044318, 0.218097, 0.720953, 0.648097, 0.730802, 1.568542, 1.245799, -0.778781, 0.56545, -0.59211, -0.879151, -0.99307, 0.815441, 1.12883, 1.111604, 0.202894, 0.420543, 1.701513, 1.931331, 1.475241, 1.539694, 1.225774, 0.545877, 0.619738, -0.063629, 0.76867, 0.797168, -0.104478, 2.339182, 1.684652, 1.882396, 1.629408, 1.135447, 1.95775, 1.725683},
}

type refValues struct {
	ESS, ESSMean, ESSBulk, ESSTail   float64
	RhatBulk, RhatFolded, SplitRhat  float64
	MCSEMean, Mean, SD, Q5, Q50, Q95 float64
	autocorr                         []float64 // chain 0, lags 0..5
}

var refWant = map[string]refValues{
	"A": {
		ESS: 10.875774878648196, ESSMean: 22.594905091859506, ESSBulk: 22.594905091859506,
		ESSTail: 22.594905091859506, RhatBulk: 1.0664435194783306, RhatFolded: 1.1050864221574062,
		SplitRhat: 1.1050864221574062, MCSEMean: 0.37716985804923114, Mean: 2.7142857142857144,
		SD: 1.7928429140015905, Q5: 0.5, Q50: 2.0, Q95: 6.0,
		autocorr: []float64{1.0, -0.5937840785169028, 0.3162486368593239, -0.18974918211559433, 0.17448200654307516, -0.22464558342420926},
	},
	"B": {
		ESS: 23.56586730184252, ESSMean: 45.47760895473569, ESSBulk: 43.03632004214381,
		ESSTail: 133.06425268415202, RhatBulk: 1.0993078965186331, RhatFolded: 1.007068010253495,
		SplitRhat: 1.0993078965186331, MCSEMean: 0.1603136618673326, Mean: 0.21307358823529407,
		SD: 1.0811086591358974, Q5: -1.4479917, Q50: 0.2205155, Q95: 1.8815313999999999,
		autocorr: []float64{1.0, 0.5376304345982803, 0.21526954463685685, -0.01776166825620771, -0.12799467597530748, -0.17161574237215524},
	},
}

func TestAgainstArviZReference(t *testing.T) {
	data := map[string][][]float64{"A": refA, "B": refB}
	for name, w := range refWant {
		d := data[name]
		tab, err := Summary([]string{name}, [][][]float64{d})
		if err != nil {
			t.Fatal(err)
		}
		r := tab[0]
		got := map[string][2]float64{
			"ESS":        {ESS(d), w.ESS},
			"ESSMean":    {ESSMean(d), w.ESSMean},
			"ESSBulk":    {ESSBulk(d), w.ESSBulk},
			"ESSTail":    {ESSTail(d), w.ESSTail},
			"RhatBulk":   {RhatBulk(d), w.RhatBulk},
			"RhatFolded": {RhatFolded(d), w.RhatFolded},
			"SplitRhat":  {SplitRhat(d), w.SplitRhat},
			"MCSEMean":   {MCSEMean(d), w.MCSEMean},
			"Row.Mean":   {r.Mean, w.Mean},
			"Row.SD":     {r.SD, w.SD},
			"Row.Q5":     {r.Q5, w.Q5},
			"Row.Q50":    {r.Q50, w.Q50},
			"Row.Q95":    {r.Q95, w.Q95},
			"Row.MCSE":   {r.MCSE, w.MCSEMean},
			"Row.Bulk":   {r.ESSBulk, w.ESSBulk},
			"Row.Tail":   {r.ESSTail, w.ESSTail},
			"Row.Rhat":   {r.Rhat, w.SplitRhat},
		}
		for k, v := range got {
			// FFT rounding and a different Φ⁻¹ implementation differ from numpy
			// and scipy in the last few bits only.
			if math.Abs(v[0]-v[1]) > 1e-10*math.Max(1, math.Abs(v[1])) {
				t.Errorf("%s %s = %.16g, reference %.16g", name, k, v[0], v[1])
			}
		}
		for k, v := range Autocorr(d[0], 5) {
			if math.Abs(v-w.autocorr[k]) > 1e-12 {
				t.Errorf("%s Autocorr lag %d = %.16g, reference %.16g", name, k, v, w.autocorr[k])
			}
		}
	}
}
