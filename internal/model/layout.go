package model

import "fmt"

// Kind classifies a parameter tensor (for weight decay and growth).
type Kind int

const (
	KindEmbed  Kind = iota // model.embed_tokens.weight
	KindNorm               // RMSNorm scales
	KindMatrix             // projections inside a layer
	KindHead               // lm_head.weight
)

// Tensor is one named parameter tensor: Size floats starting at Offset in the flat buffers.
type Tensor struct {
	Name   string // Hugging Face name
	Shape  []int  // [out, in] for projections
	Offset int
	Size   int
	Layer  int // decoder layer, or -1 for embedding, final norm and head
	Kind   Kind
}

// Layout is the table of every parameter tensor in flat-buffer order.
type Layout struct {
	Tensors []Tensor
	Size    int // total floats
	layers  [][2]int
	byName  map[string]int
}

// Per-layer tensor order; q,k,v and gate,up must stay adjacent (fused matmuls).
var layerTensors = []struct {
	suffix string
	kind   Kind
	shape  func(c Config) []int
}{
	{"input_layernorm.weight", KindNorm, func(c Config) []int { return []int{c.Dim} }},
	{"self_attn.q_proj.weight", KindMatrix, func(c Config) []int { return []int{c.Dim, c.Dim} }},
	{"self_attn.k_proj.weight", KindMatrix, func(c Config) []int { return []int{c.Dim, c.Dim} }},
	{"self_attn.v_proj.weight", KindMatrix, func(c Config) []int { return []int{c.Dim, c.Dim} }},
	{"self_attn.o_proj.weight", KindMatrix, func(c Config) []int { return []int{c.Dim, c.Dim} }},
	{"post_attention_layernorm.weight", KindNorm, func(c Config) []int { return []int{c.Dim} }},
	{"mlp.gate_proj.weight", KindMatrix, func(c Config) []int { return []int{c.FFNDim, c.Dim} }},
	{"mlp.up_proj.weight", KindMatrix, func(c Config) []int { return []int{c.FFNDim, c.Dim} }},
	{"mlp.down_proj.weight", KindMatrix, func(c Config) []int { return []int{c.Dim, c.FFNDim} }},
}

// Indices into layerTensors.
const (
	tLN1 = iota
	tQ
	tK
	tV
	tO
	tLN2
	tGate
	tUp
	tDown
	tensorsPerLayer
)

// NewLayout lays out the parameters of c.
func NewLayout(c Config) *Layout {
	l := &Layout{byName: map[string]int{}}
	add := func(name string, shape []int, layer int, kind Kind) {
		n := 1
		for _, s := range shape {
			n *= s
		}
		l.byName[name] = len(l.Tensors)
		l.Tensors = append(l.Tensors, Tensor{Name: name, Shape: shape, Offset: l.Size, Size: n, Layer: layer, Kind: kind})
		l.Size += n
	}
	add("model.embed_tokens.weight", []int{c.VocabSize, c.Dim}, -1, KindEmbed)
	for i := 0; i < c.NumLayers; i++ {
		lo := l.Size
		for _, lt := range layerTensors {
			add(fmt.Sprintf("model.layers.%d.%s", i, lt.suffix), lt.shape(c), i, lt.kind)
		}
		l.layers = append(l.layers, [2]int{lo, l.Size})
	}
	add("model.norm.weight", []int{c.Dim}, -1, KindNorm)
	if !c.TiedEmbeddings {
		add("lm_head.weight", []int{c.VocabSize, c.Dim}, -1, KindHead)
	}
	return l
}

// LayerRange returns the flat range [lo, hi) of decoder layer i.
func (l *Layout) LayerRange(i int) (lo, hi int) { return l.layers[i][0], l.layers[i][1] }

// NumLayers is the number of decoder layers in the layout.
func (l *Layout) NumLayers() int { return len(l.layers) }

// Lookup finds a tensor by its Hugging Face name.
func (l *Layout) Lookup(name string) (Tensor, bool) {
	i, ok := l.byName[name]
	if !ok {
		return Tensor{}, false
	}
	return l.Tensors[i], true
}

// layerTensor returns tensor k (one of the t* indices) of layer i.
func (l *Layout) layerTensor(i, k int) Tensor { return l.Tensors[1+i*tensorsPerLayer+k] }

// global returns the embedding, final norm and head tensors (head = embedding when tied).
func (l *Layout) global() (embed, norm, head Tensor) {
	embed = l.Tensors[0]
	norm = l.Tensors[1+len(l.layers)*tensorsPerLayer]
	head = embed
	if h, ok := l.Lookup("lm_head.weight"); ok {
		head = h
	}
	return
}
