package train

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"midas/internal/ckpt"
	"midas/internal/grow"
	"midas/internal/objective"
	"midas/internal/tok"
)

// ul2Options are runOptions (a tiny midas run, stages of 3 and 5 steps) with the UL2 objective.
func ul2Options() Options {
	o := runOptions()
	o.Objective = objective.NameUL2
	return o
}

// TestRunUL2 trains a growing ul2 run through the library: the tokenizer ends with the mode tokens
// and sentinels, config.json and the training state say ul2 (with the knobs resolved), the trainer
// makes UL2 batches, the FLOPs count every position of every window (as causal runs do), and a
// stop at the growth step and resume give the uninterrupted run bit for bit.
func TestRunUL2(t *testing.T) {
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole")
	var isUL2 bool
	s := trainDir(t, RunConfig{Dir: whole, Options: ul2Options(),
		Events: Events{Start: func(r *Run) { _, isUL2 = r.Trainer.Objective.(*objective.UL2) }}})
	if !isUL2 {
		t.Error("the trainer's objective is not UL2")
	}
	tk, err := tok.Load(filepath.Join(whole, FileTokenizer))
	if err != nil {
		t.Fatal(err)
	}
	st, err := LoadState(whole)
	if err != nil {
		t.Fatal(err)
	}
	want := st.Options.SpecialTokens()
	if !slices.Equal(tk.Specials(), want) || int(tk.EOT()) != tk.VocabSize()-len(want)-1 || tk.VocabSize() != st.Options.Model.VocabSize {
		t.Errorf("tokenizer specials %v (EOT %d of %d), want %v after EOT", tk.Specials(), tk.EOT(), tk.VocabSize(), want)
	}
	if st.Options.Objective != "ul2" || st.Options.UL2 == nil || st.Options.UL2.Mix != objective.DefaultUL2().Mix {
		t.Errorf("state options: objective %q, ul2 %+v", st.Options.Objective, st.Options.UL2)
	}
	raw, _ := os.ReadFile(filepath.Join(whole, FileConfig))
	hf, err := ckpt.ParseLlamaConfig(raw)
	if err != nil || string(hf.Extra[ObjectiveKey]) != `"ul2"` {
		t.Errorf("config.json %s = %s (%v), want \"ul2\"", ObjectiveKey, hf.Extra[ObjectiveKey], err)
	}
	o := st.Options
	tokens := o.Batch * o.Accum * o.Model.SeqLen
	if f := 3*grow.StepFLOPs(o.Model, 1, tokens) + 5*grow.StepFLOPs(o.Model, 2, tokens); s.FLOPs != f {
		t.Errorf("FLOPs %g, want %g (every position of 3 steps at 1 layer and 5 at 2)", s.FLOPs, f)
	}
	split := filepath.Join(dir, "split")
	trainDir(t, RunConfig{Dir: split, Options: ul2Options(), StopAt: 3})
	trainDir(t, RunConfig{Resume: split})
	a, b := loadRun(t, whole), loadRun(t, split)
	if !slices.Equal(a.Params, b.Params) || !slices.Equal(a.M, b.M) || !slices.Equal(a.V, b.V) {
		t.Fatal("stopped and resumed ul2 run differs from the uninterrupted one")
	}
}

// TestCausalStateUnchanged: a causal run's options write no objective keys, so its trainer_state.json
// and config.json are those of before the objective existed, and old files load.
func TestCausalStateUnchanged(t *testing.T) {
	raw, err := json.Marshal(runOptions())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), `"objective"`) || strings.Contains(string(raw), `"ul2"`) {
		t.Errorf("causal options marshal objective keys: %s", raw)
	}
	o, err := ParseOptions([]byte(`{"steps": 5}`), runOptions())
	if err != nil || o.IsUL2() || o.Validate() != nil {
		t.Errorf("options without objective keys: %+v, %v", o, err)
	}
}

// TestParseUL2Options: a config file's "ul2" key overrides the default knobs key by key (the mix too:
// its four keys are given), keeping the denoisers and the prefix minimum.
func TestParseUL2Options(t *testing.T) {
	o, err := ParseOptions([]byte(`{"objective": "ul2", "ul2": {"mix": {"causal": 0.5, "prefix": 0.5, "r": 0, "x": 0}, "prefix_max": 0.5}}`), runOptions())
	if err != nil {
		t.Fatal(err)
	}
	d := objective.DefaultUL2()
	if c := o.UL2Config(); c.Mix != (objective.Mix{Causal: 0.5, Prefix: 0.5}) || c.PrefixMax != 0.5 || c.PrefixMin != d.PrefixMin ||
		!slices.Equal(c.R, d.R) || !slices.Equal(c.X, d.X) {
		t.Errorf("parsed ul2 knobs %+v", c)
	}
	if err := o.Validate(); err != nil {
		t.Error(err)
	}
}

// TestUL2OptionsRefused: bad UL2 knobs, a vocabulary too small for the special tokens, knobs without
// the objective and an unknown objective are reported by Validate, each in its one-line error.
func TestUL2OptionsRefused(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(o *Options)
		want string
	}{
		{"rate", func(o *Options) { u := objective.DefaultUL2(); u.X[2].Rate = 1.5; o.UL2 = &u }, "ul2 x-denoiser 3: rate 1.5 outside (0, 1)"},
		{"mix", func(o *Options) { u := objective.DefaultUL2(); u.Mix.R = 0.3; o.UL2 = &u }, "ul2 mix 0.6,0.2,0.3,0.1 sums to 1.2, want 1"},
		{"vocab", func(o *Options) { o.Model.VocabSize = 260 },
			"vocab 260 is too small for ul2: its 11 special tokens (3 mode tokens, 8 sentinels at seq 64) and the 257 of a byte-level BPE need at least 268"},
		{"knobs without ul2", func(o *Options) { u := objective.DefaultUL2(); o.Objective, o.UL2 = "", &u },
			"ul2 options are set but the objective is causal"},
		{"unknown", func(o *Options) { o.Objective = "bert" }, `objective must be causal or ul2, got "bert"`},
	} {
		o := ul2Options()
		c.set(&o)
		err := o.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), "train: invalid options: ") || !strings.Contains(err.Error(), c.want) ||
			strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line containing %q", c.name, err, c.want)
		}
	}
	// A tokenizer without the special tokens (a causal run's, say) cannot make UL2 batches.
	tk, err := tok.Train([]string{"ab ab ab cd"}, 260)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ul2Options().NewObjective(tk); err == nil || !strings.Contains(err.Error(), `the tokenizer has no special token "[NLU]"`) {
		t.Errorf("NewObjective without specials: %v", err)
	}
}
