package train

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// AvailableMemory is the memory the system can hand out without swapping (MemAvailable in
// /proc/meminfo), in bytes; 0 when it is unknown (not Linux).
func AvailableMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// CheckMemory refuses work that needs more than limit bytes (0: the available memory, when known;
// negative: no check). what names the work and detail how the need is made up.
func CheckMemory(what string, need float64, limit int64, detail string) error {
	if limit < 0 {
		return nil
	}
	src := "the memory limit (--max-memory)"
	if limit == 0 {
		if limit = AvailableMemory(); limit == 0 {
			return nil
		}
		src = "the available memory (override with --max-memory)"
	}
	if need <= float64(limit) {
		return nil
	}
	return fmt.Errorf("train: %s needs about %s (%s) but %s is %s", what, FormatBytes(need), detail, src, FormatBytes(float64(limit)))
}

// FormatBytes writes a byte count with a binary unit (e.g. "1.5 GiB").
func FormatBytes(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	if b >= 1e4 {
		return fmt.Sprintf("%.3g %s", b, units[i])
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}

// ParseBytes reads a size such as 512M, 20G, 1.5GiB or 1000000 (bytes); "none" is −1 (no limit).
func ParseBytes(s string) (int64, error) {
	if s == "none" {
		return -1, nil
	}
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "B"), "I")
	mult := 1.0
	if n := len(t); n > 0 {
		if i := strings.IndexByte("KMGTP", t[n-1]); i >= 0 {
			mult, t = float64(int64(1)<<(10*(i+1))), t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || v*mult > 1<<62 {
		return 0, fmt.Errorf("train: %q is not a size (e.g. 512M, 20G, or none)", s)
	}
	return int64(v * mult), nil
}
