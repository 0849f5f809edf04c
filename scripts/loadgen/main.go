// Command loadgen is a bounded load generator for ebm serve on the loopback
// interface: C concurrent clients POST batches of random rows for a fixed
// duration (or until the server goes away), then it prints one JSON line
// with requests/s, latency quantiles and error counts; with -rss-pid it also
// samples the server's resident memory every 5 s.
//
//	go run ./scripts/loadgen -url http://127.0.0.1:8080/v1/models/m/score -dim 2 -batch 256 -c 8 -d 20s
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "", "score endpoint")
	dim := flag.Int("dim", 2, "values per row")
	batch := flag.Int("batch", 1, "rows per request")
	conc := flag.Int("c", 8, "concurrent clients")
	dur := flag.Duration("d", 10*time.Second, "duration")
	maxReq := flag.Int("n", 0, "stop after this many requests in all (0: no limit)")
	rssPid := flag.Int("rss-pid", 0, "sample VmRSS of this process every 5 s")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *url == "" {
		fmt.Fprintln(os.Stderr, "loadgen: -url is required")
		os.Exit(2)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc}, Timeout: 30 * time.Second}
	var (
		mu        sync.Mutex
		lat       []float64
		ok, bad   int
		transport int
		sent      int
		rss       []int
	)
	stop := make(chan struct{})
	deadline := time.Now().Add(*dur)
	if *rssPid > 0 {
		go func() {
			t := time.NewTicker(5 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					if kb := vmRSS(*rssPid); kb > 0 {
						mu.Lock()
						rss = append(rss, kb)
						mu.Unlock()
					}
				}
			}
		}()
	}
	var wg sync.WaitGroup
	start := time.Now()
	for c := range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(*seed, uint64(c)))
			rows := make([][]float64, *batch)
			for time.Now().Before(deadline) {
				mu.Lock()
				if *maxReq > 0 && sent >= *maxReq {
					mu.Unlock()
					return
				}
				sent++
				mu.Unlock()
				for i := range rows {
					rows[i] = make([]float64, *dim)
					for j := range rows[i] {
						rows[i][j] = rng.NormFloat64() * 2
					}
				}
				body, _ := json.Marshal(map[string]any{"rows": rows})
				t0 := time.Now()
				resp, err := client.Post(*url, "application/json", bytes.NewReader(body))
				if err != nil {
					mu.Lock()
					transport++
					mu.Unlock()
					if strings.Contains(err.Error(), "connection refused") {
						return // the server is gone
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				el := time.Since(t0).Seconds()
				mu.Lock()
				if resp.StatusCode == 200 {
					ok++
					lat = append(lat, el)
				} else {
					bad++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(stop)
	secs := time.Since(start).Seconds()
	slices.Sort(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return 1000 * lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	out := map[string]any{"batch": *batch, "clients": *conc, "seconds": secs, "ok": ok, "http_errors": bad,
		"transport_errors": transport, "req_per_s": float64(ok) / secs, "rows_per_s": float64(ok**batch) / secs,
		"p50_ms": q(0.50), "p99_ms": q(0.99)}
	if len(rss) > 0 {
		out["rss_kb"] = rss
	}
	json.NewEncoder(os.Stdout).Encode(out)
}

// vmRSS returns the resident set size of pid in kB, or 0.
func vmRSS(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.Atoi(f[0])
				return n
			}
		}
	}
	return 0
}
