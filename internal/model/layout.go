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

// Layout is the table of every parameter tensor in flat-buffer order, and the layer map: which
// physical parameter block each logical layer (position in depth) computes with.
type Layout struct {
	Tensors []Tensor
	Size    int // total floats
	// Map[l] is the physical layer whose tensors logical layer l uses; len(Map) is the depth. The
	// identity for an untied model; a weight-shared (looped) model maps several positions to one block,
	// whose gradient is then the sum over its uses.
	Map    []int
	layers [][2]int
	byName map[string]int
}

// Per-layer tensor order; q,k,v and gate,up must stay adjacent (fused matmuls).
var layerTensors = []struct {
	suffix string
	kind   Kind
	shape  func(c Config) []int
}{
	{"input_layernorm.weight", KindNorm, func(c Config) []int { return []int{c.Dim} }},
	{"self_attn.q_proj.weight", KindMatrix, func(c Config) []int { return []int{c.QDim(), c.Dim} }},
	{"self_attn.k_proj.weight", KindMatrix, func(c Config) []int { return []int{c.KVDim(), c.Dim} }},
	{"self_attn.v_proj.weight", KindMatrix, func(c Config) []int { return []int{c.KVDim(), c.Dim} }},
	{"self_attn.o_proj.weight", KindMatrix, func(c Config) []int { return []int{c.Dim, c.QDim()} }},
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

// NewLayout lays out the parameters of c, with c.NumLayers physical layers and the identity layer map.
func NewLayout(c Config) *Layout {
	l := &Layout{byName: map[string]int{}, Map: make([]int, c.NumLayers)}
	for i := range l.Map {
		l.Map[i] = i
	}
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

// NewLayoutMap lays out the c.NumLayers physical layers of c and computes with depth len(layerMap):
// logical layer l uses physical layer layerMap[l]. Every physical layer must be used.
func NewLayoutMap(c Config, layerMap []int) (*Layout, error) {
	l := NewLayout(c)
	used := make([]bool, c.NumLayers)
	for i, p := range layerMap {
		if p < 0 || p >= c.NumLayers {
			return nil, fmt.Errorf("model: layer map: position %d uses layer %d of %d", i, p, c.NumLayers)
		}
		used[p] = true
	}
	for p, u := range used {
		if !u {
			return nil, fmt.Errorf("model: layer map: layer %d of %d is never used", p, c.NumLayers)
		}
	}
	l.Map = append([]int(nil), layerMap...)
	return l, nil
}

// Depth is the number of logical layers a forward pass runs (len(Map)).
func (l *Layout) Depth() int { return len(l.Map) }

// LayerRange returns the flat range [lo, hi) of decoder layer i.
func (l *Layout) LayerRange(i int) (lo, hi int) { return l.layers[i][0], l.layers[i][1] }

// NumLayers is the number of physical decoder layers (parameter blocks) in the layout.
func (l *Layout) NumLayers() int { return len(l.layers) }

// Lookup finds a tensor by its Hugging Face name.
func (l *Layout) Lookup(name string) (Tensor, bool) {
	i, ok := l.byName[name]
	if !ok {
		return Tensor{}, false
	}
	return l.Tensors[i], true
}

// layerTensor returns tensor k (one of the t* indices) of the physical layer that logical layer i uses.
func (l *Layout) layerTensor(i, k int) Tensor { return l.Tensors[1+l.Map[i]*tensorsPerLayer+k] }

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
