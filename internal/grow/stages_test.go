package grow

import (
	"slices"
	"strings"
	"testing"
)

func TestStages(t *testing.T) {
	cases := []struct {
		spec string
		T, k int
		want []int
	}{
		// The brief's hand computation: Σj = 21; 1000·{1,3,6,10,15,21}/21 = 47.6, 142.86, 285.7, 476.19, 714.29, 1000.
		{"prop-1", 1000, 6, []int{48, 143, 286, 476, 714, 1000}},
		// Σj² = 14: 100·{1,5,14}/14 = 7.14, 35.71, 100.
		{"prop-2", 100, 3, []int{7, 36, 100}},
		// 1/(1+√2) = 0.41421: 41.42 → 41.
		{"prop-0.5", 100, 2, []int{41, 100}},
		// Ties round half away from zero: 10·{1,2,3}/4 = 2.5, 5, 7.5 (banker's rounding would give 2, 8).
		{"equal", 10, 4, []int{3, 5, 8, 10}},
		{"prop-0", 10, 4, []int{3, 5, 8, 10}},
		// 3·{1,3}/6 = 0.5, 1.5 → 1, 2 (round-half-even would give 0 and fail).
		{"prop-1", 3, 2, []int{1, 3}},
		{"prop-1", 6, 3, []int{1, 3, 6}},
		{"prop-1", 3, 3, []int{1, 2, 3}}, // 3·{1,3,6}/6 = 0.5, 1.5, 3
		{"equal", 7, 7, []int{1, 2, 3, 4, 5, 6, 7}},
		{"equal", 5, 1, []int{5}},
		{"explicit:100,300", 1000, 3, []int{100, 300, 1000}},
		{"explicit: 5 , 9", 10, 3, []int{5, 9, 10}},
		{"explicit:", 10, 1, []int{10}},
		{"explicit:1,2", 3, 3, []int{1, 2, 3}},
	}
	for _, c := range cases {
		got, err := Stages(c.spec, c.T, c.k)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("Stages(%q, %d, %d) = %v, %v; want %v", c.spec, c.T, c.k, got, err, c.want)
		}
	}
}

func TestStagesErrors(t *testing.T) {
	cases := []struct {
		spec string
		T, k int
		want string
	}{
		{"linear", 100, 2, `grow: unknown stage spec "linear"`},
		{"", 100, 2, `grow: unknown stage spec ""`},
		{"equal", 100, 0, "grow: need at least 1 stage, got 0"},
		{"equal", 3, 4, "grow: 3 steps cannot fill 4 stages"},
		// Σj³ = 441 for k=6: stage 1 ends at round(10/441) = 0.
		{"prop-3", 10, 6, `grow: stage spec "prop-3" with 10 steps and 6 stages gives stage 1 no steps`},
		// Signed exponents are refused (stages never shrink; the paper's α ≥ 0).
		{"prop--1", 12, 2, "bad exponent"},
		{"prop--10", 4, 3, "bad exponent"},
		{"prop-+1", 12, 2, "bad exponent"},
		{"prop-x", 10, 2, `grow: bad exponent in stage spec "prop-x"`},
		{"prop-", 10, 2, "bad exponent"},
		{"prop-NaN", 10, 2, "bad exponent"},
		{"prop-Inf", 10, 2, "bad exponent"},
		{"explicit:5", 10, 3, `grow: stage spec "explicit:5" has 1 boundaries, 3 stages need 2`},
		{"explicit:5,5", 10, 3, "not strictly increasing"},
		{"explicit:6,5", 10, 3, "not strictly increasing"},
		{"explicit:0,5", 10, 3, "outside (0, 10)"},
		{"explicit:5,10", 10, 3, "outside (0, 10)"},
		{"explicit:5,x", 10, 3, `grow: bad boundary "x"`},
		{"explicit:5,", 10, 3, `grow: bad boundary ""`},
	}
	for _, c := range cases {
		got, err := Stages(c.spec, c.T, c.k)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "grow: ") {
			t.Errorf("Stages(%q, %d, %d) = %v, %v; want error %q", c.spec, c.T, c.k, got, err, c.want)
		}
	}
}
