package gen_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/gen"
)

// A noisy generator from a spec: draws on a tape together with the surrogate
// whose gradient estimates −∇H(q), ready for a loss such as adversarial
// training's mean E(x) − H(q).
func ExampleParse() {
	v, err := gen.Parse("noisy:hidden=32x32,latent=2,sigma=0.2,is=20", 2, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	q := v.(*gen.Noisy[float32])
	t := autodiff.NewTape[float32]()
	x, negH, exact, err := q.DrawNegEntropy(t, 128, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		fmt.Println(err)
		return
	}
	autodiff.Backward(negH, q.Params())
	fmt.Println(x.Rows(), x.Cols(), exact, len(q.Params()), q.Sigma() > 0.19 && q.Sigma() < 0.21)
	// Output: 128 2 false 7 true
}
