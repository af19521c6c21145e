package eval

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"midas/internal/ckpt"
	"midas/internal/data"
	"midas/internal/model"
	"midas/internal/tok"
	"midas/internal/train"
)

// TaskAccuracies scores the primitives (and, with a synthetic world, its questions) k-shot on
// o.EvalTasks held-out examples each — the evaluation during training (a train.TaskEval). The queries
// are the same at every evaluation (seed 1), so curves compare.
func TaskAccuracies(m *model.Model, c *train.Corpus, o train.Options) (map[string]float64, error) {
	d := NewDecoder(m, c.Tok)
	res, err := Primitives(d, o.EvalShots, o.EvalTasks, 1)
	if err != nil {
		return nil, err
	}
	if c.World != nil {
		qa, err := QA(d, c.World, o.EvalShots, o.EvalTasks, 1)
		if err != nil {
			return nil, err
		}
		res = append(res, qa...)
	}
	out := map[string]float64{}
	for _, r := range res {
		out[r.Name] = r.Acc
	}
	return out, nil
}

// FinalOptions choose the final evaluation of a training run.
type FinalOptions struct {
	N        int // held-out examples per task
	Finetune int // > 0: also the fine-tuning protocol on this many examples
	// RepeatBlock, RepeatTimes > 0: evaluate the checkpoint with its centred block of RepeatBlock layers
	// applied RepeatTimes times (model.MiddleMap), the repeated layers sharing its weights.
	RepeatBlock, RepeatTimes int
}

// file is the name of the cached evaluation in the run directory.
func (o FinalOptions) file() string {
	if o.RepeatTimes > 0 {
		return train.FileEvalRepeat(o.N, o.Finetune, o.RepeatBlock, o.RepeatTimes)
	}
	return train.FileEval(o.N, o.Finetune)
}

// finalSeed is the seed of the final evaluation's held-out queries (training evaluates on seed 1).
const finalSeed = 2

// cachedFinal is a final evaluation as cached in the run directory, with what it was computed from.
type cachedFinal struct {
	Step    int           `json:"step"`
	Options train.Options `json:"options"`
	Report  Report        `json:"report"`
}

// Final evaluates the checkpoint of a training run directory — validation loss on 4× the run's
// validation batches, k-shot accuracy on o.N held-out examples per task (seed 2), and optionally the
// fine-tuning protocol — in float32 whatever the run trained with. The result is cached in the
// directory (train.FileEval) and reused while the run's step and options are the same.
func Final(dir string, o FinalOptions) (Report, error) {
	st, err := train.LoadState(dir)
	if err != nil {
		return Report{}, err
	}
	if rep, ok := cached(dir, o, st); ok {
		return rep, nil
	}
	if err := train.SetMatmul(train.MatmulFloat32); err != nil {
		return Report{}, err
	}
	m, err := train.LoadModel(dir, 0)
	if err != nil {
		return Report{}, err
	}
	if o.RepeatTimes > 0 {
		if m, err = m.RepeatMiddle(o.RepeatBlock, o.RepeatTimes); err != nil {
			return Report{}, err
		}
	}
	val, world, tk, err := validation(dir, st.Options)
	if err != nil {
		return Report{}, err
	}
	eo := Options{Shots: st.Options.EvalShots, N: o.N, Seed: finalSeed, World: world, Finetune: o.Finetune,
		Val: data.ValBatches(val, m.Cfg.SeqLen, st.Options.Batch, 4*st.Options.EvalBatches)}
	rep, err := Run(m, tk, eo)
	if err != nil {
		return rep, err
	}
	b, err := json.MarshalIndent(cachedFinal{Step: st.Step, Options: st.Options, Report: rep}, "", "  ")
	if err != nil {
		return rep, nil // a NaN validation loss cannot be cached in JSON: evaluate again next time
	}
	return rep, ckpt.WriteFileAtomic(filepath.Join(dir, o.file()), b)
}

// HasFinal reports whether dir holds a valid cached final evaluation for o (Final would not compute).
func HasFinal(dir string, o FinalOptions) bool {
	st, err := train.LoadState(dir)
	if err != nil {
		return false
	}
	_, ok := cached(dir, o, st)
	return ok
}

// cached reads the cached final evaluation of dir, valid while the run's step and options are the ones
// it was computed from.
func cached(dir string, o FinalOptions, st train.State) (Report, bool) {
	var c cachedFinal
	raw, err := os.ReadFile(filepath.Join(dir, o.file()))
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Step != st.Step || len(train.OptionsDiff(c.Options, st.Options)) > 0 {
		return Report{}, false
	}
	return c.Report, true
}

// valMemo keeps the validation tokens (and world) of the last few runs evaluated in this process,
// keyed by all they are made from: the run's data options and its tokenizer's bytes. The runs of a
// comparison share their data (the arms of one seed, exactly), and reading and tokenizing it again
// was ~7% of each run's final evaluation.
var valMemo struct {
	sync.Mutex
	keys []string
	vals []memoVal
}

type memoVal struct {
	tokens []int32
	world  *data.World
}

// valMemoSize bounds valMemo: a comparison evaluates its arms one seed after another or one arm's
// seeds after another, so a few entries catch both orders.
const valMemoSize = 8

// validation loads the tokenizer of the run in dir and tokenizes its validation split
// (train.PrepareVal), reusing valMemo's copy when it holds the same one.
func validation(dir string, opt train.Options) ([]int32, *data.World, *tok.Tokenizer, error) {
	raw, err := os.ReadFile(filepath.Join(dir, train.FileTokenizer))
	if err != nil {
		return nil, nil, nil, err
	}
	tk, err := tok.Load(filepath.Join(dir, train.FileTokenizer))
	if err != nil {
		return nil, nil, nil, err
	}
	key := fmt.Sprintf("%q %d %d %v %d %x", opt.Data, opt.DataBytes, opt.SyntheticBytes, opt.ValFrac, opt.TextSeed(), sha256.Sum256(raw))
	valMemo.Lock()
	defer valMemo.Unlock()
	for i, k := range valMemo.keys {
		if k == key {
			return valMemo.vals[i].tokens, valMemo.vals[i].world, tk, nil
		}
	}
	val, world, err := train.PrepareVal(opt, tk)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(valMemo.keys) == valMemoSize {
		valMemo.keys, valMemo.vals = valMemo.keys[1:], valMemo.vals[1:]
	}
	valMemo.keys, valMemo.vals = append(valMemo.keys, key), append(valMemo.vals, memoVal{val, world})
	return val, world, tk, nil
}
