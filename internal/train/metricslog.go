package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"midas/internal/ckpt"
)

// metricsLog appends Metrics lines to a run's metrics.jsonl.
type metricsLog struct{ f *os.File }

// openMetricsLog opens dir's metrics log for appending after step. Lines past step (written after the
// checkpoint a run resumes from) are dropped first, atomically. When a run resumes from another
// directory, that directory's log is carried along; dir must not have a log of its own then.
func openMetricsLog(dir, from string, step int) (*metricsLog, error) {
	path := filepath.Join(dir, FileMetrics)
	if from != "" && filepath.Clean(dir) != filepath.Clean(from) {
		if _, err := os.Stat(path); err == nil {
			return nil, fmt.Errorf("train: %s already has a %s; resume into an empty directory", dir, FileMetrics)
		}
		if raw, err := os.ReadFile(filepath.Join(from, FileMetrics)); err == nil {
			if err := ckpt.WriteFileAtomic(path, raw); err != nil {
				return nil, err
			}
		}
	}
	if err := trimMetrics(path, step); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("train: %v", err)
	}
	return &metricsLog{f}, nil
}

func (l *metricsLog) write(m Metrics) error {
	line, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("train: metrics of step %d: %v", m.Step, err)
	}
	if _, err := l.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("train: %v", err)
	}
	return nil
}

func (l *metricsLog) close() error { return l.f.Close() }

// trimMetrics drops metrics lines after step (a resumed run rewrites them) — atomically.
func trimMetrics(path string, step int) error {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("train: %v", err)
	}
	var keep bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m struct{ Step int }
		if json.Unmarshal(sc.Bytes(), &m) == nil && m.Step <= step {
			keep.Write(sc.Bytes())
			keep.WriteByte('\n')
		}
	}
	if slices.Equal(keep.Bytes(), raw) {
		return nil
	}
	return ckpt.WriteFileAtomic(path, keep.Bytes())
}

// ReadMetrics reads the metrics log of a run directory.
func ReadMetrics(dir string) ([]Metrics, error) {
	path := filepath.Join(dir, FileMetrics)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("train: %v", err)
	}
	defer f.Close()
	var out []Metrics
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var m Metrics
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("train: %s:%d: %v", path, line, err)
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("train: %s: %v", path, err)
	}
	return out, nil
}
