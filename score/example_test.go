package score_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/score"
)

// Scoring a CSV stream with a standard normal energy: the row far from the
// mode has the highest energy, and the labels (last column, 1 = anomaly)
// give the ranking figures.
func ExampleStream() {
	g, _ := energy.NewDiagGaussian([]float64{0, 0}, []float64{1, 1})
	s, _ := score.New(g, true)
	in, _ := data.NewCSVRows(strings.NewReader("x,y,anomaly\n0,0,0\n1,0,0\n0,-1,0\n4,3,1\n"), "example.csv",
		data.RowOptions{Label: "anomaly", BinaryLabels: true})
	rep, err := score.Stream(context.Background(), s, in, nil, score.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Columns())
	fmt.Printf("rows %d, max energy %.1f, AUROC %.2f, AP %.2f, best F1 %.2f at energy ≥ %.1f\n",
		rep.Rows, rep.EnergyMax, *rep.AUROC, *rep.AP, *rep.BestF1, *rep.BestF1Threshold)
	// Output:
	// [energy neg_log_p score_norm]
	// rows 4, max energy 12.5, AUROC 1.00, AP 1.00, best F1 1.00 at energy ≥ 12.5
}
