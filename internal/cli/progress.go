package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows a bar with ETA on a terminal and, elsewhere (CI logs, pipes), a plain line every 10 s,
// so long jobs are never silent.
type progress struct {
	bar   *progressbar.ProgressBar
	w     io.Writer
	total int64
	desc  string
	last  time.Time
	start time.Time
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newProgress(w io.Writer, total int64, desc string) *progress {
	p := &progress{w: w, total: total, desc: desc, start: time.Now(), last: time.Now()}
	if isTerminal(w) {
		p.bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(desc),
			progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
	}
	return p
}

// Set moves the bar to done and updates the description.
func (p *progress) Set(done int64, desc string) {
	if p.bar != nil {
		p.bar.Describe(desc)
		_ = p.bar.Set64(done)
		return
	}
	// Without a terminal: a line every 10 s, and a last one for jobs that took more than 2 s.
	now := time.Now()
	final := done >= p.total
	if (final && now.Sub(p.start) < 2*time.Second) || (!final && now.Sub(p.last) < 10*time.Second) {
		return
	}
	p.last = now
	el := now.Sub(p.start)
	eta := "?"
	if done > 0 {
		eta = (time.Duration(float64(el) / float64(done) * float64(p.total-done))).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "%s %d/%d %s elapsed %s eta %s\n", p.desc, done, p.total, desc, el.Round(time.Second), eta)
}

// Done finishes the bar.
func (p *progress) Done() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// Note prints a line of its own without breaking the bar.
func (p *progress) Note(msg string) {
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	fmt.Fprintln(p.w, msg)
}
