package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress reports how far a long job has come, on stderr. On a terminal it is
// a bar with count, rate and ETA. Elsewhere (a pipe, a log file) it prints a
// plain line such as
//
//	ebm: training 1300/2000 (65%), 24.3 it/s, ETA 29s
//
// at a modest rate: when at least a tenth of the work is done since the last
// line and at least 3 s have passed, or after 10 s in any case; nothing for
// jobs shorter than 3 s. With quiet every method is a no-op.
type Progress struct {
	bar   *progressbar.ProgressBar
	plain *plainProgress
}

// Rates of the plain progress lines.
const (
	plainMinGap = 3 * time.Second
	plainMaxGap = 10 * time.Second
)

// NewProgress starts a progress report for total steps with a description.
func NewProgress(total int, desc string, quiet bool) *Progress {
	if quiet {
		return &Progress{}
	}
	if !IsTerminal(os.Stderr) {
		return newPlainProgress(os.Stderr, total, desc, time.Now)
	}
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("it"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	return &Progress{bar: bar}
}

func newPlainProgress(w io.Writer, total int, desc string, now func() time.Time) *Progress {
	t := now()
	return &Progress{plain: &plainProgress{w: w, total: total, desc: desc, now: now, start: t, last: t}}
}

// Add advances the report by n steps.
func (p *Progress) Add(n int) {
	switch {
	case p.bar != nil:
		_ = p.bar.Add(n)
	case p.plain != nil:
		p.plain.add(n)
	}
}

// Skip advances the report by n steps done earlier (a resumed run), which do
// not count towards the rate.
func (p *Progress) Skip(n int) {
	switch {
	case p.bar != nil:
		_ = p.bar.Add(n)
	case p.plain != nil:
		p.plain.done += n
		p.plain.skipped += n
		p.plain.lastDone = p.plain.done
	}
}

// Done finishes and clears the bar; a plain report that printed anything ends
// with a last line giving the total time.
func (p *Progress) Done() {
	switch {
	case p.bar != nil:
		_ = p.bar.Finish()
		fmt.Fprintln(os.Stderr)
	case p.plain != nil && p.plain.lines > 0:
		pp := p.plain
		fmt.Fprintf(pp.w, "ebm: %s %d/%d done in %s\n", pp.desc, pp.done, pp.total, fmtDur(pp.now().Sub(pp.start)))
	}
}

type plainProgress struct {
	w                    io.Writer
	desc                 string
	total, done, skipped int
	lastDone, lines      int
	start, last          time.Time
	now                  func() time.Time
}

func (p *plainProgress) add(n int) {
	p.done += n
	t := p.now()
	gap := t.Sub(p.last)
	tenth := max(p.total/10, 1)
	if gap < plainMinGap || (gap < plainMaxGap && p.done-p.lastDone < tenth) {
		return
	}
	p.last, p.lastDone = t, p.done
	p.lines++
	el := t.Sub(p.start).Seconds()
	rate := float64(p.done-p.skipped) / el
	line := fmt.Sprintf("ebm: %s %d/%d", p.desc, p.done, p.total)
	if p.total > 0 {
		line += fmt.Sprintf(" (%.0f%%)", 100*float64(p.done)/float64(p.total))
	}
	line += fmt.Sprintf(", %.3g it/s", rate)
	if rate > 0 && p.total > p.done {
		line += ", ETA " + fmtDur(time.Duration(float64(p.total-p.done)/rate*float64(time.Second)))
	}
	fmt.Fprintln(p.w, line)
}

// fmtDur formats a duration to the second, as 29s, 4m05s or 2h03m.
func fmtDur(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
}
