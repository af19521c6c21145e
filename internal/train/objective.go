package train

import (
	"encoding/json"
	"fmt"

	"midas/internal/objective"
	"midas/internal/tok"
)

// IsUL2 reports whether the run trains with the UL2 mixture.
func (o Options) IsUL2() bool { return o.Objective == objective.NameUL2 }

// UL2Config is the run's UL2 configuration: Options.UL2, or objective.DefaultUL2 when it is nil.
func (o Options) UL2Config() objective.UL2Config {
	if o.UL2 != nil {
		return *o.UL2
	}
	return objective.DefaultUL2()
}

// resolveObjective writes the default UL2 knobs into a ul2 run's options that have none, so that the
// checkpoint records the knobs it was trained with.
func (o *Options) resolveObjective() {
	if o.IsUL2() && o.UL2 == nil {
		c := objective.DefaultUL2()
		o.UL2 = &c
	}
}

// ul2OverDefaults makes a config file's "ul2" key override the default knobs key by key, at every
// level (o is data decoded over base, which already succeeded): data is decoded again over base with
// the defaults in place, since decoding into a nil *UL2Config starts from zero knobs.
func ul2OverDefaults(data []byte, base, o Options) Options {
	if o.UL2 == nil || base.UL2 != nil {
		return o
	}
	d := objective.DefaultUL2()
	base.UL2 = &d
	if err := json.Unmarshal(data, &base); err != nil {
		return o
	}
	return base
}

// SpecialTokens are the special tokens the run's tokenizer needs besides EOT: for ul2, the mode tokens
// and the sentinels of its window length (objective.UL2Config.SpecialTokens); none for causal.
func (o Options) SpecialTokens() []string {
	if !o.IsUL2() {
		return nil
	}
	return o.UL2Config().SpecialTokens(o.Model.SeqLen)
}

// minBPEVocab is what tok.Train needs: the 256 bytes and EOT.
const minBPEVocab = 257

// objectiveProblems lists what is wrong with the objective options.
func (o Options) objectiveProblems() []string {
	switch o.Objective {
	case "", objective.NameCausal:
		if o.UL2 != nil {
			return []string{"ul2 options are set but the objective is causal (use --objective ul2)"}
		}
		return nil
	case objective.NameUL2:
	default:
		return []string{fmt.Sprintf("objective must be causal or ul2, got %q", o.Objective)}
	}
	c, T := o.UL2Config(), o.Model.SeqLen
	p := c.Problems(T)
	if len(p) > 0 {
		return p
	}
	if n := 3 + c.Sentinels(T); o.Model.VocabSize < minBPEVocab+n {
		p = append(p, fmt.Sprintf("vocab %d is too small for ul2: its %d special tokens (3 mode tokens, %d sentinels at seq %d) "+
			"and the %d of a byte-level BPE need at least %d", o.Model.VocabSize, n, n-3, T, minBPEVocab, minBPEVocab+n))
	}
	return p
}

// NewObjective is the run's objective over the tokenizer tk: objective.Causal, or UL2 with the ids of
// tk's mode tokens and sentinels (EOT pads), drawing from the run's seed.
func (o Options) NewObjective(tk *tok.Tokenizer) (objective.Objective, error) {
	if !o.IsUL2() {
		return objective.Causal{}, nil
	}
	id := func(s string) (int32, error) {
		v, ok := tk.Special(s)
		if !ok {
			return 0, fmt.Errorf("train: the tokenizer has no special token %q, which the ul2 objective needs", s)
		}
		return v, nil
	}
	var ids objective.UL2Tokens
	var err error
	for _, m := range []struct {
		dst  *int32
		text string
	}{{&ids.R, objective.ModeR}, {&ids.X, objective.ModeX}, {&ids.S, objective.ModeS}} {
		if *m.dst, err = id(m.text); err != nil {
			return nil, err
		}
	}
	c := o.UL2Config()
	for k := range c.Sentinels(o.Model.SeqLen) {
		v, err := id(objective.Sentinel(k))
		if err != nil {
			return nil, err
		}
		ids.Sentinel = append(ids.Sentinel, v)
	}
	ids.Pad = tk.EOT()
	u, err := objective.NewUL2(c, ids, o.Seed)
	if err != nil {
		return nil, fmt.Errorf("train: %v", err)
	}
	return u, nil
}
