package serve_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/score"
	"github.com/ebm-go/ebm/serve"
)

// A server for one model (here a standard normal energy instead of a saved
// folder) answering one scoring request.
func ExampleNew() {
	load := func(string) (*score.Scorer, error) {
		g, _ := energy.NewDiagGaussian([]float64{0, 0}, []float64{1, 1})
		return score.New(g, true)
	}
	s, err := serve.New(map[string]string{"normal": ""}, load, serve.Config{Workers: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	resp, err := http.Post(ts.URL+"/v1/models/normal/score", "application/json",
		strings.NewReader(`{"rows": [[0, 0], [3, 4]]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var r serve.Response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, r.Model, r.Rows)
	fmt.Printf("energy %.4g, -log p %.4f, score norm %.4g\n", r.Energy, r.NegLogP, r.ScoreNorm)
	// Output:
	// 200 normal 2
	// energy [0 12.5], -log p [1.8379 14.3379], score norm [0 5]
}
