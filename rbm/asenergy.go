package rbm

import (
	"fmt"
	"math"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// AsEnergy returns r as an energy over rows in the data's own units (it
// implements energy.Provider, so energy.LoadEnergy hands out saved RBMs as
// energies): the free energy
//
//	E(x) = F((x − m)/s) + Σᵢ log sᵢ
//
// when r.Data holds a standardization (mean m, scale s), and E(x) = F(x)
// otherwise. The constant Σ log sᵢ is the log-Jacobian of the
// standardization, so exp(−E) is proportional to the model's density of the
// raw rows. Rows must otherwise be what the model was trained on (for
// example binarized as r.Data.Preprocessing says; Bernoulli units accept
// values in [0, 1]). The parameters are read at every call, so the energy
// is safe for concurrent use as long as r is not being trained.
func (r *RBM) AsEnergy() energy.Energy {
	e := &dataFreeEnergy{r: r}
	if r.Data != nil && r.Data.Mean != nil {
		e.mean, e.std = r.Data.Mean, r.Data.Std
		for _, s := range e.std {
			e.logStd += math.Log(s)
		}
	}
	return e
}

// dataFreeEnergy is the free energy of an RBM over rows in the data's units.
type dataFreeEnergy struct {
	r         *RBM
	mean, std []float64
	logStd    float64
}

func (e *dataFreeEnergy) Dim() int { return e.r.NumVisible() }

// Energy writes E(xₙ) into e[n]; it panics on a batch of the wrong shape (a
// programming error), as energy.Energy implementations do.
func (e *dataFreeEnergy) Energy(x *tensor.Dense[float64], out []float64) {
	nv := e.r.NumVisible()
	if x.Cols != nv || len(out) != x.Rows {
		panic(fmt.Sprintf("rbm: free energy of %s into %d values for %d visible units", x.Shape(), len(out), nv))
	}
	x32 := tensor.New[float32](x.Rows, nv)
	for i := range x.Rows {
		for j := range nv {
			v := x.Data[i*x.Cols+j]
			if e.mean != nil {
				v = (v - e.mean[j]) / e.std[j]
			}
			x32.Data[i*nv+j] = float32(v)
		}
	}
	FreeEnergyModel{R: e.r}.energy32(x32, out)
	for i := range out {
		out[i] += e.logStd
	}
}
