package ising

import (
	"math/rand/v2"
	"testing"
)

// benchSweep times one sweep of f on a 64×64 lattice at T_c and reports sweeps/s
// and spin updates per second.
func benchSweep(b *testing.B, m *Ising, f func()) {
	for range 20 {
		f() // equilibrate a little
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f()
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/sec, "sweeps/s")
	b.ReportMetric(float64(b.N)*float64(m.N)/sec/1e6, "Mspin/s")
}

func newBench(b *testing.B, L int) *Ising {
	m, err := NewIsing(L, 1, 0, Tc, 1)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func BenchmarkGibbsSweep64(b *testing.B) { m := newBench(b, 64); benchSweep(b, m, m.GibbsSweep) }
func BenchmarkMetropolisSweep64(b *testing.B) {
	m := newBench(b, 64)
	benchSweep(b, m, m.MetropolisSweep)
}
func BenchmarkSWSweep64(b *testing.B) { m := newBench(b, 64); benchSweep(b, m, m.SWSweep) }

// BenchmarkWolff64 times one Wolff sweep (clusters flipping about N spins) at T_c.
func BenchmarkWolff64(b *testing.B) {
	m := newBench(b, 64)
	for range 50 {
		m.SWSweep() // equilibrate quickly before tuning the clusters per sweep
	}
	m.TuneWolff(20)
	benchSweep(b, m, m.WolffSweep)
}

func BenchmarkGibbsSweep256(b *testing.B) { m := newBench(b, 256); benchSweep(b, m, m.GibbsSweep) }

func BenchmarkPottsGibbsSweep64(b *testing.B) {
	p, _ := NewPotts(64, 3, 1, 0, 1.0, 1)
	benchPotts(b, p, p.GibbsSweep)
}

func BenchmarkPottsSWSweep64(b *testing.B) {
	p, _ := NewPotts(64, 3, 1, 0, 1.0, 1)
	benchPotts(b, p, func() { _ = p.SWSweep() })
}

func benchPotts(b *testing.B, p *Potts, f func()) {
	b.ReportAllocs()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sweeps/s")
}

func BenchmarkRestoreICM256(b *testing.B) { benchRestore(b, ICM) }
func BenchmarkRestoreMeanField256(b *testing.B) {
	benchRestore(b, MeanField)
}

func benchRestore(b *testing.B, m Method) {
	clean, _ := NewImage(256, 256)
	for y := 64; y < 192; y++ {
		for x := 64; x < 192; x++ {
			clean.Set(x, y, 1)
		}
	}
	noisy, _ := Corrupt(clean, 0.1, rand.New(rand.NewPCG(1, 1)))
	cfg := DefaultRestoreConfig(m)
	for b.Loop() {
		if _, err := Restore(noisy, cfg); err != nil {
			b.Fatal(err)
		}
	}
}
