package train

import (
	"errors"
	"fmt"
	"runtime"

	"midas/internal/data"
	"midas/internal/tok"
)

// Corpus is the tokenized training and validation text of a run.
type Corpus struct {
	Tok        *tok.Tokenizer
	Train, Val []int32
	World      *data.World // the synthetic world, when no user data was given (for its held-out questions)
	TrainBytes int64
	Files      data.Report // which user files were read and which skipped (empty for the synthetic corpus)
}

// Progress reports a phase of work (name, done, total); nil means silent.
type Progress func(phase string, done, total int64)

// PrepareCorpus reads the run's text (user files, or the synthetic corpus when opt.Data is empty),
// trains a BPE tokenizer with opt.Model.VocabSize entries on a sample of the training text (the last
// of them the run's special tokens, opt.SpecialTokens) — or uses tk when it is not nil (resume) — and
// tokenizes both splits. It is deterministic in opt.
func PrepareCorpus(opt Options, tk *tok.Tokenizer, progress Progress) (*Corpus, error) {
	c := &Corpus{}
	trainTexts, valTexts, world, err := texts(opt, true, &c.Files)
	if err != nil {
		return nil, err
	}
	c.World = world
	for _, s := range trainTexts {
		c.TrainBytes += int64(len(s))
	}
	if tk == nil {
		if tk, err = trainTokenizer(opt, trainTexts, progress); err != nil {
			return nil, err
		}
	}
	if tk.VocabSize() > opt.Model.VocabSize {
		return nil, fmt.Errorf("train: tokenizer has %d tokens, the model's vocab is %d", tk.VocabSize(), opt.Model.VocabSize)
	}
	c.Tok = tk
	var prog func(done, total int64)
	if progress != nil {
		prog = func(done, total int64) { progress("tokenize", done, total) }
	}
	workers := runtime.GOMAXPROCS(0)
	c.Train = data.Tokenize(trainTexts, tk, workers, prog)
	c.Val = data.Tokenize(valTexts, tk, workers, nil)
	return c, nil
}

// trainTokenizer trains the run's BPE on a sample of the training texts and appends its special tokens.
func trainTokenizer(opt Options, trainTexts []string, progress Progress) (*tok.Tokenizer, error) {
	if progress != nil {
		progress("tokenizer", 0, 1)
	}
	specials := opt.SpecialTokens()
	texts := sample(trainTexts, opt.TokenizerBytes)
	tk, err := tok.Train(texts, opt.Model.VocabSize-len(specials))
	var ve *tok.VocabError
	if errors.As(err, &ve) {
		// The text has fewer distinct pairs than the vocabulary asked (the synthetic world's
		// vocabulary is small): use the largest vocabulary it supports. The caller sizes the model
		// from Corpus.Tok.
		if progress != nil {
			n := ve.Max + len(specials)
			progress(fmt.Sprintf("the training text supports at most %d tokens; using vocab %d", n, n), 0, 0)
		}
		tk, err = tok.Train(texts, ve.Max)
	}
	if err == nil && len(specials) > 0 {
		tk, err = tk.WithSpecial(specials...)
	}
	if err != nil {
		return nil, err
	}
	if progress != nil {
		progress("tokenizer", 1, 1)
	}
	return tk, nil
}

// texts returns the run's training (when withTrain) and validation texts, and the synthetic world when
// the run has no user data.
func texts(opt Options, withTrain bool, rep *data.Report) (trainTexts, valTexts []string, w *data.World, err error) {
	if len(opt.Data) == 0 {
		w = data.NewWorld(opt.Seed)
		if withTrain {
			trainTexts = w.Corpus(data.Train, opt.SyntheticBytes)
		}
		return trainTexts, w.Corpus(data.Val, max(opt.SyntheticBytes/20, 1<<16)), w, nil
	}
	docs, r, err := data.ReadTexts(opt.Data)
	*rep = r
	if err != nil {
		return nil, nil, nil, err
	}
	tr, va := data.SplitDocs(docs, opt.ValFrac)
	for _, d := range tr {
		trainTexts = append(trainTexts, d.Text)
	}
	for _, d := range va {
		valTexts = append(valTexts, d.Text)
	}
	if len(valTexts) == 0 {
		return nil, nil, nil, fmt.Errorf("train: the data is too small to hold out a validation split")
	}
	return trainTexts, valTexts, nil, nil
}

// PrepareVal tokenizes only the validation split of a run's data (for evaluating a checkpoint), and
// returns the synthetic world when the run has no user data.
func PrepareVal(opt Options, tk *tok.Tokenizer) ([]int32, *data.World, error) {
	var rep data.Report
	_, val, w, err := texts(opt, false, &rep)
	if err != nil {
		return nil, nil, err
	}
	return data.Tokenize(val, tk, runtime.GOMAXPROCS(0), nil), w, nil
}

// sample takes about n bytes of text spread evenly over texts: every text when they fit; with many
// texts, whole texts at an even stride; with few (long files), the same fraction of each text's start,
// so the tokenizer sees every source.
func sample(texts []string, n int) []string {
	total := 0
	for _, s := range texts {
		total += len(s)
	}
	if total <= n {
		return texts
	}
	out := make([]string, 0, len(texts))
	if len(texts) >= 64 {
		stride := float64(total) / float64(n)
		for i := 0.0; int(i) < len(texts); i += stride {
			out = append(out, texts[int(i)])
		}
		return out
	}
	frac := float64(n) / float64(total)
	for _, s := range texts {
		k := int(float64(len(s))*frac + 0.5)
		if k <= 0 {
			continue
		}
		// Cut at a rune boundary: the tokenizer only needs representative text, not whole documents.
		for k < len(s) && s[k]&0xC0 == 0x80 {
			k++
		}
		out = append(out, s[:k])
	}
	return out
}
