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
	World      *data.World // the synthetic world, when the run uses it (for its held-out questions)
	TrainBytes int64
	Files      data.Report // which files of plain --data paths were read and which skipped (empty otherwise)
	Parts      []Part      // the sources of a mixture, in the order given (nil without one)
}

// Part is one source of a mixture run: its share, sizes and validation text (Val: the source's
// part of the run's validation split, for a per-source validation loss). Its training text is
// dropped once tokenized.
type Part struct {
	data.Part
	Tokens int // training tokens
}

// Progress reports a phase of work (name, done, total); nil means silent.
type Progress func(phase string, done, total int64)

// PrepareCorpus reads the run's text (user files, a mixture of sources, or the synthetic corpus when
// opt.Data is empty), trains a BPE tokenizer with opt.Model.VocabSize entries on a sample of the
// training text (the last of them the run's special tokens, opt.SpecialTokens) — or uses tk when it is
// not nil (resume) — and tokenizes both splits. It is deterministic in opt.
func PrepareCorpus(opt Options, tk *tok.Tokenizer, progress Progress) (*Corpus, error) {
	rt, err := texts(opt, true)
	if err != nil {
		return nil, err
	}
	c := &Corpus{World: rt.world, Files: rt.files}
	for _, s := range rt.allTrain() {
		c.TrainBytes += int64(len(s))
	}
	if tk == nil {
		if tk, err = trainTokenizer(opt, rt.tokenizerSample(opt.TokenizerBytes), progress); err != nil {
			return nil, err
		}
	}
	if tk.VocabSize() > opt.Model.VocabSize {
		return nil, fmt.Errorf("train: tokenizer has %d tokens, the model's vocab is %d", tk.VocabSize(), opt.Model.VocabSize)
	}
	c.Tok = tk
	c.tokenize(rt, progress)
	return c, nil
}

// trainTokenizer trains the run's BPE on texts (a sample of the training text) and appends the run's
// special tokens (opt.SpecialTokens) after it.
func trainTokenizer(opt Options, texts []string, progress Progress) (*tok.Tokenizer, error) {
	if progress != nil {
		progress("tokenizer", 0, 1)
	}
	specials := opt.SpecialTokens()
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

// tokenize encodes both splits; a mixture's training text part by part (the same tokens as all at
// once: every text is encoded on its own), counting each part's tokens.
func (c *Corpus) tokenize(rt runText, progress Progress) {
	workers := runtime.GOMAXPROCS(0)
	var done int64
	prog := func(d, _ int64) {
		if progress != nil {
			progress("tokenize", done+d, c.TrainBytes)
		}
	}
	if rt.parts == nil {
		c.Train = data.Tokenize(rt.train, c.Tok, workers, prog)
	}
	for _, p := range rt.parts {
		ids := data.Tokenize(data.DocTexts(p.Train), c.Tok, workers, prog)
		done += p.Bytes
		c.Train = append(c.Train, ids...)
		p.Train = nil
		c.Parts = append(c.Parts, Part{Part: p, Tokens: len(ids)})
	}
	c.Val = data.Tokenize(rt.val, c.Tok, workers, nil)
}

// runText is a run's text before tokenization: plain texts, or a mixture's parts.
type runText struct {
	train, val []string // train is empty for a mixture (see parts)
	world      *data.World
	files      data.Report
	parts      []data.Part
}

// allTrain is every training text, a mixture's parts in order.
func (rt runText) allTrain() []string {
	if rt.parts == nil {
		return rt.train
	}
	var out []string
	for _, p := range rt.parts {
		out = append(out, data.DocTexts(p.Train)...)
	}
	return out
}

// tokenizerSample is the text the BPE is trained on: about n bytes spread over the training text,
// each source of a mixture in its share.
func (rt runText) tokenizerSample(n int) []string {
	if rt.parts == nil {
		return sample(rt.train, n)
	}
	var out []string
	for _, p := range rt.parts {
		out = append(out, sample(data.DocTexts(p.Train), int(p.Share*float64(n)))...)
	}
	return out
}

// texts returns the run's training (when withTrain) and validation texts.
func texts(opt Options, withTrain bool) (runText, error) {
	var rt runText
	switch {
	case len(opt.Data) == 0:
		rt.world = data.NewWorld(opt.TextSeed())
		if withTrain {
			rt.train = rt.world.Corpus(data.Train, opt.SyntheticBytes)
		}
		rt.val = rt.world.Corpus(data.Val, max(opt.SyntheticBytes/20, 1<<16))
		return rt, nil
	case data.IsMixture(opt.Data):
		return mixtureText(opt, withTrain)
	}
	docs, r, err := data.ReadTexts(opt.Data)
	rt.files = r
	if err != nil {
		return rt, err
	}
	tr, va := data.SplitDocs(docs, opt.ValFrac)
	rt.train, rt.val = data.DocTexts(tr), data.DocTexts(va)
	if !withTrain {
		rt.train = nil
	}
	if len(rt.val) == 0 {
		return rt, fmt.Errorf("train: the data is too small to hold out a validation split")
	}
	return rt, nil
}

// mixtureText builds the mixture of opt.Data (data.BuildMixture).
func mixtureText(opt Options, withTrain bool) (runText, error) {
	sources, err := data.ParseMixture(opt.Data)
	if err != nil {
		return runText{}, err
	}
	m, err := data.BuildMixture(sources, data.MixOptions{Bytes: opt.DataBytes, SyntheticBytes: int64(opt.SyntheticBytes),
		ValFrac: opt.ValFrac, Seed: opt.TextSeed(), WithTrain: withTrain})
	if err != nil {
		return runText{}, err
	}
	return runText{val: m.Val, world: m.World, parts: m.Parts}, nil
}

// PrepareVal tokenizes only the validation split of a run's data (for evaluating a checkpoint), and
// returns the synthetic world when the run uses it.
func PrepareVal(opt Options, tk *tok.Tokenizer) ([]int32, *data.World, error) {
	rt, err := texts(opt, false)
	if err != nil {
		return nil, nil, err
	}
	return data.Tokenize(rt.val, tk, runtime.GOMAXPROCS(0), nil), rt.world, nil
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
