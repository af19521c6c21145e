package optim

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// adamwGolden is testdata/adamw_golden.json, written by testdata/gen_adamw.py with torch.optim.AdamW.
type adamwGolden struct {
	TorchVersion string  `json:"torch_version"`
	Beta1        float64 `json:"beta1"`
	Beta2        float64 `json:"beta2"`
	Eps          float64 `json:"eps"`
	WeightDecay  float64 `json:"weight_decay"`
	P0           []float32
	Ranges       []struct {
		Lo, Hi int
		Decay  bool
	}
	LR       []float64   `json:"lr"`
	Grad     [][]float32 `json:"grad"`       // [step][i]
	Param    [][]float32 `json:"param"`      // [step][i], after the step
	ExpAvg   [][]float32 `json:"exp_avg"`    // [step][i]
	ExpAvgSq [][]float32 `json:"exp_avg_sq"` // [step][i]
}

// TestAdamWGolden replays 10 steps of torch.optim.AdamW (two param groups, one with weight decay, the
// learning rate changing every step) and compares params and both moments after every step. The
// tolerance is 1e-6 relative (about 8 float32 ulps): torch's vectorized CPU kernels may fuse
// multiply-adds, which Update deliberately does not, so a few elements can differ by an ulp or two.
func TestAdamWGolden(t *testing.T) {
	raw, err := os.ReadFile("testdata/adamw_golden.json")
	if err != nil {
		t.Fatalf("reading golden file (regenerate with testdata/gen_adamw.py): %v", err)
	}
	var gd adamwGolden
	if err := json.Unmarshal(raw, &gd); err != nil {
		t.Fatal(err)
	}
	if len(gd.LR) != 10 || len(gd.Grad) != 10 || len(gd.Param) != 10 || len(gd.Ranges) != 2 {
		t.Fatalf("golden file has %d steps, %d ranges; want 10 and 2", len(gd.LR), len(gd.Ranges))
	}
	o := AdamW{Beta1: gd.Beta1, Beta2: gd.Beta2, Eps: gd.Eps, WeightDecay: gd.WeightDecay}
	if o != DefaultAdamW() {
		t.Fatalf("golden hyper-parameters %+v, want the defaults %+v", o, DefaultAdamW())
	}
	n := len(gd.P0)
	p := append([]float32(nil), gd.P0...)
	m, v := make([]float32, n), make([]float32, n)
	var worst float64
	exact, total := 0, 0
	for s, lr := range gd.LR {
		g := gd.Grad[s]
		for _, r := range gd.Ranges {
			// Split each range in two to exercise chunking as well.
			mid := (r.Lo + r.Hi) / 2
			o.Update(p, g, m, v, r.Lo, mid, r.Decay, lr, s+1)
			o.Update(p, g, m, v, mid, r.Hi, r.Decay, lr, s+1)
		}
		for _, c := range []struct {
			name      string
			got, want []float32
		}{{"param", p, gd.Param[s]}, {"exp_avg", m, gd.ExpAvg[s]}, {"exp_avg_sq", v, gd.ExpAvgSq[s]}} {
			for i := range c.got {
				total++
				if c.got[i] == c.want[i] {
					exact++
					continue
				}
				rel := math.Abs(float64(c.got[i])-float64(c.want[i])) / math.Abs(float64(c.want[i]))
				worst = max(worst, rel)
				if !(rel <= 1e-6) {
					t.Errorf("step %d %s[%d] = %v, torch %v (relative error %.2g)", s+1, c.name, i, c.got[i], c.want[i], rel)
				}
			}
		}
	}
	t.Logf("torch %s: %d of %d values bitwise equal, worst relative error %.3g", gd.TorchVersion, exact, total, worst)
}
