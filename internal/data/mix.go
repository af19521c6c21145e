package data

import (
	"fmt"
	"math"

	"midas/internal/splitmix"
)

// MixOptions are the settings of BuildMixture.
type MixOptions struct {
	Bytes          int64   // training-text budget; 0: the largest at which no source repeats
	SyntheticBytes int64   // the budget when Bytes is 0 and every source is synthetic
	ValFrac        float64 // fraction of each file source held out for validation (SplitDocs)
	Seed           uint64  // the sampling seed, and the seed of the synthetic world
	WithTrain      bool    // sample the training text too (false: only validation, for evaluation)
}

// minValBytes is the smallest validation budget of a mixture.
const minValBytes = 1 << 16

// Part is one source of a built mixture.
type Part struct {
	Source
	Share      float64 // the normalised weight
	Train, Val []Doc   // the sampled training and validation text (Train nil without WithTrain)
	Bytes      int64   // training bytes taken: Share of the budget
	Natural    int64   // training bytes the source holds after its validation split (0: synthetic, unbounded)
	Docs       int     // documents read (synthetic: documents generated for training)
	Files      Report  // what a file source's folder walks read and skipped
}

// Repeats is how many times the part's training text covers its source: below 1 the source was
// sampled, above 1 repeated (0 for the unbounded synthetic source).
func (p Part) Repeats() float64 {
	if p.Natural == 0 {
		return 0
	}
	return float64(p.Bytes) / float64(p.Natural)
}

// Mix is a built mixture.
type Mix struct {
	Parts []Part
	Bytes int64    // the training-text budget
	Val   []string // the parts' validation texts interleaved (see Interleave)
	World *World   // the synthetic world, when a part is synthetic
}

// BuildMixture reads every source and samples it to its share of the budget, deterministically:
//   - each file source is read (ReadTexts, or ReadCode for a code source) and split (SplitDocs with
//     ValFrac); its Natural size is its training half;
//   - the budget B is o.Bytes, or when that is 0 the largest at which no source repeats,
//     min over file sources of Natural/Share (o.SyntheticBytes when every source is synthetic);
//   - a file source contributes Sample(train half, Share·B, seed) — sampled when it holds more,
//     repeated when it holds less (B larger than the automatic budget); the synthetic source the
//     first Share·B bytes of the world's training documents (World.Corpus);
//   - validation: a budget V = max(ValFrac·B, 64 KiB), lowered so that no source's held-out half is
//     short of its share; each source contributes Share·V bytes of its held-out half (a Sample with
//     another seed; synthetic: the world's validation documents), and Val interleaves them.
//
// The result is a pure function of (sources, the files' contents, o): a resumed run rebuilds it bit
// for bit. Seeds are drawn from (o.Seed, source name), so reordering the entries changes no sample.
func BuildMixture(sources []Source, o MixOptions) (*Mix, error) {
	m := &Mix{}
	var sum float64
	for _, s := range sources {
		sum += s.Weight
	}
	for _, s := range sources {
		p := Part{Source: s, Share: 1}
		if sum > 0 {
			p.Share = s.Weight / sum
		}
		if err := m.read(&p, o); err != nil {
			return nil, err
		}
		m.Parts = append(m.Parts, p)
	}
	m.Bytes = m.budget(o)
	val := m.valBudget(o)
	for i := range m.Parts {
		m.sample(&m.Parts[i], o, val)
	}
	texts := make([][]string, len(m.Parts))
	shares := make([]float64, len(m.Parts))
	for i, p := range m.Parts {
		texts[i], shares[i] = DocTexts(p.Val), p.Share
	}
	m.Val = Interleave(texts, shares)
	return m, nil
}

// read fills a file part's halves with everything it holds (sample cuts them to size).
func (m *Mix) read(p *Part, o MixOptions) error {
	if p.Kind == KindReasoning {
		return nil
	}
	if p.Kind == KindSynthetic {
		if m.World == nil {
			m.World = NewWorld(o.Seed)
		}
		return nil
	}
	readFn := ReadTexts
	if p.Kind == KindCode {
		readFn = ReadCode
	}
	docs, rep, err := readFn([]string{p.Path})
	p.Files = rep
	if err != nil {
		return err
	}
	p.Docs = len(docs)
	p.Train, p.Val = SplitDocs(docs, o.ValFrac)
	if len(p.Val) == 0 {
		return fmt.Errorf("data: source %q (%s) is too small to hold out a validation split", p.Name, p.Path)
	}
	p.Natural = docBytes(p.Train)
	return nil
}

// budget is the training-text budget (see BuildMixture).
func (m *Mix) budget(o MixOptions) int64 {
	if o.Bytes > 0 {
		return o.Bytes
	}
	b := math.Inf(1)
	for _, p := range m.Parts {
		if p.Kind != KindSynthetic && p.Kind != KindReasoning {
			b = math.Min(b, float64(p.Natural)/p.Share)
		}
	}
	if math.IsInf(b, 1) {
		return o.SyntheticBytes
	}
	return int64(math.Ceil(b)) // the limiting source's share then covers it exactly (sample clamps it)
}

// valBudget is the validation budget V (see BuildMixture).
func (m *Mix) valBudget(o MixOptions) int64 {
	v := math.Max(o.ValFrac*float64(m.Bytes), minValBytes)
	for _, p := range m.Parts {
		if p.Kind != KindSynthetic && p.Kind != KindReasoning {
			v = math.Min(v, float64(docBytes(p.Val))/p.Share)
		}
	}
	return int64(v)
}

// sample cuts a part to its shares of the training budget and of the validation budget val.
func (m *Mix) sample(p *Part, o MixOptions, val int64) {
	p.Bytes = int64(math.Round(p.Share * float64(m.Bytes)))
	if o.Bytes == 0 && p.Natural > 0 {
		p.Bytes = min(p.Bytes, p.Natural) // the budget was rounded up: no source repeats a byte
	}
	vb := int64(p.Share * float64(val))
	if p.Kind == KindReasoning {
		// Training text only: validation measures the other sources' language modelling.
		if o.WithTrain {
			p.Train = textDocs("reasoning", ReasoningText(splitmix.Mix(o.Seed, splitmix.FNV64(p.Name)), int(p.Bytes)))
			p.Docs = len(p.Train)
		}
		return
	}
	if p.Kind == KindSynthetic {
		p.Val = textDocs("synthetic val", m.World.Corpus(Val, int(vb)))
		if o.WithTrain {
			p.Train = textDocs("synthetic train", m.World.Corpus(Train, int(p.Bytes)))
			p.Docs = len(p.Train)
		}
		return
	}
	seed := splitmix.Mix(o.Seed, splitmix.FNV64(p.Name))
	p.Val = Sample(p.Val, vb, splitmix.Mix(seed, 2))
	if o.WithTrain {
		p.Train = Sample(p.Train, p.Bytes, splitmix.Mix(seed, 1))
	} else {
		p.Train = nil
	}
}

// DocTexts returns the texts of docs.
func DocTexts(docs []Doc) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.Text
	}
	return out
}

func textDocs(name string, texts []string) []Doc {
	out := make([]Doc, len(texts))
	for i, t := range texts {
		out[i] = Doc{fmt.Sprintf("%s %d", name, i), t}
	}
	return out
}

func docBytes(docs []Doc) int64 {
	var n int64
	for _, d := range docs {
		n += int64(len(d.Text))
	}
	return n
}
