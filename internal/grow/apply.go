package grow

import (
	"fmt"
	"strings"

	"midas/internal/model"
)

// Tensor name suffixes (after "model.layers.N.") that an Identity plan zeroes in the copies: the output
// projections of attention and MLP, so that each copied layer adds nothing to the residual stream.
const (
	SuffixOProj    = "self_attn.o_proj.weight"
	SuffixDownProj = "mlp.down_proj.weight"
)

// LayerTensorNames lists the per-layer tensor name suffixes in layout order ("input_layernorm.weight",
// "self_attn.q_proj.weight", ...), as the model package lays them out; a Hugging Face tensor name is
// "model.layers.N." + suffix. The slice is fresh on every call.
func LayerTensorNames() []string {
	l := model.NewLayout(model.Config{VocabSize: 1, Dim: 1, NumLayers: 1, NumHeads: 1, FFNDim: 1, SeqLen: 1})
	var out []string
	for _, t := range l.Tensors {
		if t.Layer == 0 {
			out = append(out, strings.TrimPrefix(t.Name, "model.layers.0."))
		}
	}
	return out
}

// IsZeroedByIdentity reports whether an Identity plan zeroes the tensor with this per-layer suffix in
// the copied layers (o_proj and down_proj).
func IsZeroedByIdentity(suffix string) bool { return suffix == SuffixOProj || suffix == SuffixDownProj }

// Apply grows flat buffers laid out for cfg (cfg.NumLayers == p.From) into buffers for the grown config
// newCfg (cfg with NumLayers = p.To()), copying each new layer's range from its source layer's range;
// the embedding, final norm and lm_head (before and after the layers in the layout) are copied
// unchanged. params, m and v (the AdamW moments) are all mapped by the same plan. With p.Identity the
// copies' o_proj and down_proj are zeroed in params (their moments follow ZeroOptim as usual). With
// p.ZeroOptim the copies' ranges in m and v are zero.
//
// m or v may be nil (then the result for it is nil). Apply is pure: the inputs are not modified and the
// results share no memory with them. An invalid plan or config, or a plan for another depth, is an
// error; a buffer whose length is not the layout size of cfg is a caller bug and panics.
func Apply(p Plan, cfg model.Config, params, m, v []float32) (newCfg model.Config, np, nm, nv []float32, err error) {
	if err := p.Validate(); err != nil {
		return model.Config{}, nil, nil, nil, err
	}
	if err := cfg.Validate(); err != nil {
		return model.Config{}, nil, nil, nil, fmt.Errorf("grow: %w", err)
	}
	if cfg.NumLayers != p.From {
		return model.Config{}, nil, nil, nil, fmt.Errorf("grow: plan %q grows %d layers, the model has %d", p.String(), p.From, cfg.NumLayers)
	}
	ol := model.NewLayout(cfg)
	for _, b := range []struct {
		name string
		buf  []float32
	}{{"params", params}, {"m", m}, {"v", v}} {
		if (b.buf != nil || b.name == "params") && len(b.buf) != ol.Size {
			panic(fmt.Sprintf("grow: Apply: len(%s) = %d, want %d (layout of %d layers)", b.name, len(b.buf), ol.Size, cfg.NumLayers))
		}
	}
	newCfg = cfg
	newCfg.NumLayers = p.To()
	nl := model.NewLayout(newCfg)
	np = remap(p, ol, nl, params, false)
	if p.Identity {
		zeroIdentity(p, nl, np)
	}
	if m != nil {
		nm = remap(p, ol, nl, m, p.ZeroOptim)
	}
	if v != nil {
		nv = remap(p, ol, nl, v, p.ZeroOptim)
	}
	return newCfg, np, nm, nv, nil
}

// remap builds the buffer for layout nl from src (layout ol): the parts before and after the layers
// verbatim, then every new layer from its source layer (left zero for copies when zeroCopies).
func remap(p Plan, ol, nl *model.Layout, src []float32, zeroCopies bool) []float32 {
	dst := make([]float32, nl.Size)
	oLo, _ := ol.LayerRange(0)
	_, oHi := ol.LayerRange(ol.NumLayers() - 1)
	_, nHi := nl.LayerRange(nl.NumLayers() - 1)
	copy(dst[:oLo], src[:oLo]) // embedding
	copy(dst[nHi:], src[oHi:]) // final norm, lm_head
	for i, s := range p.Src {
		if zeroCopies && p.Copy[i] {
			continue
		}
		lo, hi := nl.LayerRange(i)
		slo, shi := ol.LayerRange(s)
		copy(dst[lo:hi], src[slo:shi])
	}
	return dst
}

// zeroIdentity zeroes o_proj and down_proj of every copied layer in params (layout nl).
func zeroIdentity(p Plan, nl *model.Layout, params []float32) {
	for i, c := range p.Copy {
		if !c {
			continue
		}
		for _, suf := range []string{SuffixOProj, SuffixDownProj} {
			t, ok := nl.Lookup(fmt.Sprintf("model.layers.%d.%s", i, suf))
			if !ok {
				panic("grow: layout has no " + suf) // the model package renamed a tensor
			}
			clear(params[t.Offset : t.Offset+t.Size])
		}
	}
}
