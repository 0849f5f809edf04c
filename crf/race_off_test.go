//go:build !race

package crf

const raceEnabled = false
