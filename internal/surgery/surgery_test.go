package surgery_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"midas/internal/ckpt"
	"midas/internal/grow"
	"midas/internal/model"
	"midas/internal/surgery"
	"midas/internal/train"
)

// hfSpec describes a synthetic HF Llama checkpoint. Tensor bytes are random (seeded by the tensor
// name), so a tensor copied from the wrong place cannot compare equal; shapes are small and need not
// be consistent with a runnable model, since the surgery treats tensors as opaque.
type hfSpec struct {
	name   string
	dtype  string
	layers int
	tied   bool
	shards int  // 0: a single model.safetensors
	extras bool // GQA + rope_scaling config, inv_freq buffers, tokenizer/generation config, stale files
}

var hfSpecs = []hfSpec{
	{name: "f32-untied", dtype: ckpt.F32, layers: 4},
	{name: "bf16-sharded", dtype: ckpt.BF16, layers: 4, shards: 3, extras: true},
	{name: "f32-tied", dtype: ckpt.F32, layers: 4, tied: true},
	{name: "f16-sharded-tied", dtype: ckpt.F16, layers: 4, tied: true, shards: 2},
}

// Dimensions of the synthetic checkpoints (C, F, V; KV the GQA key/value width).
const hfC, hfF, hfV, hfKV = 8, 12, 16, 4

// Files a synthetic checkpoint with extras holds besides config and weights, and whether Grow copies them.
var hfOtherFiles = map[string]bool{
	"tokenizer.json":         true,
	"generation_config.json": true,
	"README.md":              true,
	"pytorch_model.bin":      false, // stale weights of the old depth
	"optimizer.safetensors":  false,
	"trainer_state.json":     false,
}

func hfTensors(s hfSpec) []ckpt.Info {
	kv := hfC
	if s.extras {
		kv = hfKV
	}
	infos := []ckpt.Info{{Name: "model.embed_tokens.weight", DType: s.dtype, Shape: []int{hfV, hfC}}}
	for l := range s.layers {
		shapes := map[string][]int{
			"input_layernorm.weight": {hfC}, "post_attention_layernorm.weight": {hfC},
			"self_attn.q_proj.weight": {hfC, hfC}, "self_attn.k_proj.weight": {kv, hfC},
			"self_attn.v_proj.weight": {kv, hfC}, "self_attn.o_proj.weight": {hfC, hfC},
			"mlp.gate_proj.weight": {hfF, hfC}, "mlp.up_proj.weight": {hfF, hfC}, "mlp.down_proj.weight": {hfC, hfF},
		}
		for _, suf := range grow.LayerTensorNames() {
			infos = append(infos, ckpt.Info{Name: fmt.Sprintf("model.layers.%d.%s", l, suf), DType: s.dtype, Shape: shapes[suf]})
		}
		if s.extras { // an F32 buffer in a BF16 model: dtypes are per tensor
			infos = append(infos, ckpt.Info{Name: fmt.Sprintf("model.layers.%d.self_attn.rotary_emb.inv_freq", l), DType: ckpt.F32, Shape: []int{2}})
		}
	}
	infos = append(infos, ckpt.Info{Name: "model.norm.weight", DType: s.dtype, Shape: []int{hfC}})
	if !s.tied {
		infos = append(infos, ckpt.Info{Name: "lm_head.weight", DType: s.dtype, Shape: []int{hfV, hfC}})
	}
	return infos
}

// rawFor returns n random bytes seeded by name.
func rawFor(name string, n int64) []byte {
	h := fnv.New64a()
	h.Write([]byte(name))
	r := rand.New(rand.NewPCG(h.Sum64(), 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func infoBytes(in ckpt.Info) int64 {
	n, _ := ckpt.DTypeSize(in.DType)
	return in.NumElements() * int64(n)
}

func writeST(t *testing.T, path string, infos []ckpt.Info) {
	t.Helper()
	w, err := ckpt.NewWriter(path, infos, map[string]string{"format": "pt"})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		if err := w.WriteRaw(in.Name, rawFor(in.Name, infoBytes(in))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// makeHF writes the checkpoint of spec s into dir (created).
func makeHF(t *testing.T, dir string, s hfSpec) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{
		"architectures": []string{"LlamaForCausalLM"}, "model_type": "llama", "vocab_size": hfV,
		"hidden_size": hfC, "intermediate_size": hfF, "num_hidden_layers": s.layers, "num_attention_heads": 2,
		"tie_word_embeddings": s.tied, "torch_dtype": strings.ToLower(s.dtype), "rms_norm_eps": 1e-5,
		"custom_key": map[string]any{"a": []any{1, 2.5, "x"}},
	}
	if s.extras {
		cfg["num_key_value_heads"] = 1
		cfg["rope_scaling"] = map[string]any{"type": "linear", "factor": 2.0}
	}
	writeJSON(t, filepath.Join(dir, "config.json"), cfg)
	infos := hfTensors(s)
	if s.shards == 0 {
		writeST(t, filepath.Join(dir, ckpt.SingleFileName), infos)
	} else {
		weightMap := map[string]string{}
		var total int64
		for i := range s.shards {
			part := infos[i*len(infos)/s.shards : (i+1)*len(infos)/s.shards]
			name := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, s.shards)
			writeST(t, filepath.Join(dir, name), part)
			for _, in := range part {
				weightMap[in.Name] = name
				total += infoBytes(in)
			}
		}
		writeJSON(t, filepath.Join(dir, ckpt.IndexFileName), map[string]any{
			"metadata": map[string]any{"total_size": total, "note": "kept"}, "weight_map": weightMap})
	}
	if s.extras {
		for name := range hfOtherFiles {
			if err := os.WriteFile(filepath.Join(dir, name), []byte("contents of "+name), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.MkdirAll(filepath.Join(dir, "original"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

var layerRE = regexp.MustCompile(`^model\.layers\.(\d+)\.(.+)$`)

// isIdentityZeroed is the test's own list of the tensors an identity copy zeroes.
func isIdentityZeroed(suffix string) bool {
	return suffix == "self_attn.o_proj.weight" || suffix == "mlp.down_proj.weight"
}

// expectedTensors maps every output tensor name to its source tensor and whether it must be zero.
func expectedTensors(src []string, p grow.Plan) map[string]struct {
	src  string
	zero bool
} {
	type e = struct {
		src  string
		zero bool
	}
	out := map[string]e{}
	for _, name := range src {
		m := layerRE.FindStringSubmatch(name)
		if m == nil {
			out[name] = e{src: name}
			continue
		}
		old, _ := strconv.Atoi(m[1])
		for i, s := range p.Src {
			if s == old {
				out[fmt.Sprintf("model.layers.%d.%s", i, m[2])] = e{name, p.Identity && p.Copy[i] && isIdentityZeroed(m[2])}
			}
		}
	}
	return out
}

func openModel(t *testing.T, dir string) *ckpt.Model {
	t.Helper()
	m, err := ckpt.OpenModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// checkTensors: every output tensor is its (renamed) source's bytes, dtype and shape, or zeros.
func checkTensors(t *testing.T, in, out string, p grow.Plan) {
	t.Helper()
	sm, om := openModel(t, in), openModel(t, out)
	want := expectedTensors(sm.Names(), p)
	if got := om.Names(); len(got) != len(want) {
		t.Fatalf("%d output tensors, want %d", len(got), len(want))
	}
	zeros := 0
	for name, w := range want {
		oi, _, ok := om.Info(name)
		if !ok {
			t.Fatalf("output lacks %s", name)
		}
		si, _, _ := sm.Info(w.src)
		if oi.DType != si.DType || !slices.Equal(oi.Shape, si.Shape) {
			t.Errorf("%s: %s %v, source %s is %s %v", name, oi.DType, oi.Shape, w.src, si.DType, si.Shape)
		}
		got, err := om.ReadRaw(name)
		if err != nil {
			t.Fatal(err)
		}
		if w.zero {
			zeros++
			if !bytes.Equal(got, make([]byte, len(got))) || int64(len(got)) != infoBytes(si) {
				t.Errorf("%s: identity copy is not %d zero bytes", name, infoBytes(si))
			}
			continue
		}
		srcRaw, _ := sm.ReadRaw(w.src)
		if !bytes.Equal(got, srcRaw) {
			t.Errorf("%s: bytes differ from %s", name, w.src)
		}
	}
	copies := 0
	for _, c := range p.Copy {
		if c {
			copies++
		}
	}
	if p.Identity && zeros != 2*copies {
		t.Errorf("%d zeroed tensors, want 2 per copy (%d copies)", zeros, copies)
	}
}

// checkConfig: new depth, the plan appended to growth_history (after prevHist entries), all else equal.
func checkConfig(t *testing.T, in, out string, p grow.Plan, prevHist int) {
	t.Helper()
	read := func(dir string) (*ckpt.LlamaConfig, []map[string]any) {
		raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		c, err := ckpt.ParseLlamaConfigLoose(raw)
		if err != nil {
			t.Fatal(err)
		}
		var hist []map[string]any
		if h, ok := c.Extra["growth_history"]; ok {
			if err := json.Unmarshal(h, &hist); err != nil {
				t.Fatal(err)
			}
		}
		return c, hist
	}
	ic, ih := read(in)
	oc, oh := read(out)
	if oc.NumHiddenLayers != p.To() {
		t.Errorf("num_hidden_layers %d, want %d", oc.NumHiddenLayers, p.To())
	}
	if len(ih) != prevHist || len(oh) != prevHist+1 {
		t.Fatalf("growth_history has %d entries (input %d), want %d", len(oh), len(ih), prevHist+1)
	}
	gotJSON, _ := json.Marshal(oh[:prevHist])
	wantJSON, _ := json.Marshal(ih)
	if prevHist > 0 && !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("earlier history changed: %s, want %s", gotJSON, wantJSON)
	}
	last, _ := json.Marshal(oh[prevHist])
	want, _ := json.Marshal(map[string]any{"op": p.Op, "block": p.Block, "from": p.From, "to": p.To(),
		"src": p.Src, "copy": p.Copy, "identity": p.Identity})
	if !bytes.Equal(last, want) {
		t.Errorf("history entry %s, want %s", last, want)
	}
	delete(ic.Extra, "growth_history")
	delete(oc.Extra, "growth_history")
	oc.NumHiddenLayers = ic.NumHiddenLayers
	a, _ := ic.Marshal()
	b, _ := oc.Marshal()
	if !bytes.Equal(a, b) {
		t.Errorf("other config keys changed:\n%s\nwant\n%s", b, a)
	}
	if !bytes.Contains(b, []byte(`"custom_key": {`)) {
		t.Errorf("unknown key custom_key lost:\n%s", b)
	}
}

// checkFiles: other files copied byte for byte, stale ones left out, sharding scheme kept.
func checkFiles(t *testing.T, in, out string, s hfSpec) {
	t.Helper()
	for name, copied := range hfOtherFiles {
		want, err := os.ReadFile(filepath.Join(in, name))
		if err != nil {
			continue // spec without extras
		}
		got, err := os.ReadFile(filepath.Join(out, name))
		if copied && !bytes.Equal(got, want) {
			t.Errorf("%s: not copied (%v)", name, err)
		}
		if !copied && err == nil {
			t.Errorf("%s: stale file copied", name)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "original")); err == nil {
		t.Errorf("subdirectory copied")
	}
	_, errSingle := os.Stat(filepath.Join(out, ckpt.SingleFileName))
	_, errIndex := os.Stat(filepath.Join(out, ckpt.IndexFileName))
	if s.shards == 0 {
		if errSingle != nil || errIndex == nil {
			t.Fatalf("single-file input: model.safetensors %v, index %v", errSingle, errIndex)
		}
		return
	}
	if errSingle == nil || errIndex != nil {
		t.Fatalf("sharded input: model.safetensors %v, index %v", errSingle, errIndex)
	}
	checkIndex(t, in, out)
}

var shardRE = regexp.MustCompile(`^model-(\d{5})-of-(\d{5})\.safetensors$`)

// checkIndex: shard names 1..n of n, total_size, index metadata kept, shards no larger than the
// input's largest, and every .safetensors file of out named by the index.
func checkIndex(t *testing.T, in, out string) {
	t.Helper()
	var idx struct {
		Metadata  map[string]any    `json:"metadata"`
		WeightMap map[string]string `json:"weight_map"`
	}
	raw, _ := os.ReadFile(filepath.Join(out, ckpt.IndexFileName))
	if err := json.Unmarshal(raw, &idx); err != nil {
		t.Fatal(err)
	}
	om := openModel(t, out)
	var total int64
	shards := map[string]bool{}
	for name, shard := range idx.WeightMap {
		in, _, _ := om.Info(name)
		total += infoBytes(in)
		shards[shard] = true
	}
	if idx.Metadata["total_size"] != float64(total) || idx.Metadata["note"] != "kept" {
		t.Errorf("index metadata %v, want total_size %d and note kept", idx.Metadata, total)
	}
	var inMax int64 // tensor bytes of the input's largest shard
	entries, _ := os.ReadDir(in)
	for _, e := range entries {
		if shardRE.MatchString(e.Name()) {
			inMax = max(inMax, shardData(t, filepath.Join(in, e.Name())))
		}
	}
	data := make([]int64, len(shards))
	for shard := range shards {
		m := shardRE.FindStringSubmatch(shard)
		i := 0
		if m != nil {
			i, _ = strconv.Atoi(m[1])
		}
		if m == nil || m[2] != fmt.Sprintf("%05d", len(shards)) || i < 1 || i > len(shards) {
			t.Errorf("shard %q: want model-0000i-of-%05d.safetensors", shard, len(shards))
			continue
		}
		data[i-1] = shardData(t, filepath.Join(out, shard))
		if data[i-1] > inMax {
			t.Errorf("shard %s holds %d bytes of tensors, more than the input's largest shard (%d)", shard, data[i-1], inMax)
		}
	}
	for i := 1; i < len(data); i++ { // packed greedily: a shard is closed only when the next tensor does not fit
		if data[i-1]+data[i] <= inMax {
			t.Errorf("shards %d and %d (%d and %d bytes) would fit in one of %d", i, i+1, data[i-1], data[i], inMax)
		}
	}
	entries, _ = os.ReadDir(out)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".safetensors") && !shards[e.Name()] {
			t.Errorf("%s is not named by the index", e.Name())
		}
	}
}

// shardData returns the tensor bytes of a safetensors file.
func shardData(t *testing.T, path string) int64 {
	f, err := ckpt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var n int64
	for _, in := range f.Tensors() {
		n += infoBytes(in)
	}
	return n
}

// checkNoTemp: nothing but the expected entries in the parent of out.
func checkNoTemp(t *testing.T, parent string) {
	t.Helper()
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") || strings.HasSuffix(e.Name(), ".old") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func mustPlan(t *testing.T, op string, from, block int, src string) grow.Plan {
	t.Helper()
	var s []int
	if src != "" {
		var err error
		if s, err = grow.ParseSrc(src); err != nil {
			t.Fatal(err)
		}
	}
	p, err := grow.New(op, from, block, s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGrow(t *testing.T) {
	plans := []struct {
		op       string
		block    int
		src      string
		identity bool
	}{
		{"midas", 1, "", false}, {"midas", 2, "", true}, {"gradstack", 2, "", false},
		{"double", 1, "", true}, {"map", 1, "0-3,1-2", true}, {"map", 1, "3,2,1,0", false},
	}
	for _, s := range hfSpecs {
		base := t.TempDir()
		in := filepath.Join(base, "in")
		makeHF(t, in, s)
		for _, pc := range plans {
			p := mustPlan(t, pc.op, s.layers, pc.block, pc.src)
			p.Identity = pc.identity
			t.Run(s.name+"/"+p.String(), func(t *testing.T) {
				out := filepath.Join(base, strings.NewReplacer(" ", "_", ":", "", "[", "", "]", "").Replace(p.String()))
				var calls, last, total int64
				err := surgery.Grow(in, out, p, surgery.Options{Progress: func(d, n int64) { calls, last, total = calls+1, d, n }})
				if err != nil {
					t.Fatal(err)
				}
				if calls != total || last != total || total == 0 {
					t.Errorf("progress: %d calls, last %d of %d", calls, last, total)
				}
				checkTensors(t, in, out, p)
				checkConfig(t, in, out, p, 0)
				checkFiles(t, in, out, s)
				checkNoTemp(t, base)
			})
		}
	}
}

// TestGrowTwice: a second growth appends to growth_history and keeps the first entry.
func TestGrowTwice(t *testing.T) {
	base := t.TempDir()
	s := hfSpecs[1]
	in, mid, out := filepath.Join(base, "in"), filepath.Join(base, "mid"), filepath.Join(base, "out")
	makeHF(t, in, s)
	p1 := mustPlan(t, "midas", 4, 2, "")
	if err := surgery.Grow(in, mid, p1, surgery.Options{}); err != nil {
		t.Fatal(err)
	}
	p2 := mustPlan(t, "gradstack", 6, 1, "")
	p2.Identity = true
	if err := surgery.Grow(mid, out, p2, surgery.Options{}); err != nil {
		t.Fatal(err)
	}
	checkConfig(t, mid, out, p2, 1)
	checkTensors(t, mid, out, p2)
	checkFiles(t, mid, out, s)
	sum, err := surgery.Inspect(out)
	if err != nil {
		t.Fatal(err)
	}
	// 7 layers of 10 tensors (9 + inv_freq) + embedding + norm + head; inv_freq is F32.
	if sum.Layers != 7 || !slices.Equal(sum.DTypes, []string{"BF16", "F32"}) || sum.Shards < 3 || sum.Tensors != 73 {
		t.Errorf("Inspect = %+v", sum)
	}
}

// TestGrowMatchesApply: growing a midas checkpoint on disk and loading it with midas' own loader
// gives bitwise the parameters of growing in memory with Apply; identity growth keeps the loss.
func TestGrowMatchesApply(t *testing.T) {
	for _, tied := range []bool{false, true} {
		cfg := model.Config{VocabSize: 32, Dim: 16, NumLayers: 4, NumHeads: 2, FFNDim: 24, SeqLen: 8,
			RopeTheta: 10000, NormEps: 1e-5, TiedEmbeddings: tied}
		m, err := model.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m.InitWeights(1)
		base := t.TempDir()
		in := filepath.Join(base, "in")
		if err := train.SaveCheckpoint(in, m, train.CheckpointFiles{EOT: -1}, nil); err != nil {
			t.Fatal(err)
		}
		tokens := []int32{1, 5, 9, 2, 31, 0, 7, 3}
		targets := []int32{5, 9, 2, 31, 0, 7, 3, 4}
		before := m.Loss(tokens, targets, 1, len(tokens))
		for _, p := range []grow.Plan{mustPlan(t, "midas", 4, 1, ""), mustPlan(t, "double", 4, 2, ""),
			mustPlan(t, "map", 4, 1, "0,1,1,2,3,3")} {
			for _, id := range []bool{false, true} {
				p.Identity = id
				name := fmt.Sprintf("tied=%v/%s", tied, p)
				out := filepath.Join(base, fmt.Sprintf("out-%d", len(p.Src))+strconv.FormatBool(id)+p.Op)
				if err := surgery.Grow(in, out, p, surgery.Options{}); err != nil {
					t.Fatal(err)
				}
				g, err := train.LoadModel(out, 0)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				wantCfg, want, _, _, err := grow.Apply(p, cfg, m.Params, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				if g.Cfg != wantCfg {
					t.Errorf("%s: config %+v, want %+v", name, g.Cfg, wantCfg)
				}
				for i := range want {
					if math.Float32bits(g.Params[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s: params[%d] = %g, Apply gives %g", name, i, g.Params[i], want[i])
					}
				}
				if after := g.Loss(tokens, targets, 1, len(tokens)); id && after != before {
					t.Errorf("%s: identity growth changed the loss %v → %v", name, before, after)
				}
			}
		}
	}
}

func TestGrowErrors(t *testing.T) {
	base := t.TempDir()
	good := filepath.Join(base, "good")
	makeHF(t, good, hfSpecs[0])
	p4 := mustPlan(t, "midas", 4, 1, "")
	mutate := func(name string, f func(dir string)) string {
		dir := filepath.Join(base, name)
		makeHF(t, dir, hfSpecs[0])
		f(dir)
		return dir
	}
	editConfig := func(old, new string) func(string) {
		return func(dir string) {
			path := filepath.Join(dir, "config.json")
			b, _ := os.ReadFile(path)
			if !bytes.Contains(b, []byte(old)) {
				t.Fatalf("config.json has no %q", old)
			}
			os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644)
		}
	}
	// A checkpoint whose layer 3 lacks up_proj, and one with a tensor of a layer beyond the config.
	dropUp := func(dir string) {
		infos := slices.DeleteFunc(hfTensors(hfSpecs[0]), func(in ckpt.Info) bool { return in.Name == "model.layers.3.mlp.up_proj.weight" })
		writeST(t, filepath.Join(dir, ckpt.SingleFileName), infos)
	}
	extraLayer := func(dir string) {
		infos := append(hfTensors(hfSpecs[0]), ckpt.Info{Name: "model.layers.4.input_layernorm.weight", DType: ckpt.F32, Shape: []int{hfC}})
		writeST(t, filepath.Join(dir, ckpt.SingleFileName), infos)
	}
	truncate := func(dir string) {
		path := filepath.Join(dir, ckpt.SingleFileName)
		st, _ := os.Stat(path)
		os.Truncate(path, st.Size()-10)
	}
	cases := []struct {
		name, in string
		p        grow.Plan
		want     string
	}{
		{"missing in", filepath.Join(base, "nowhere"), p4, "surgery: " + filepath.Join(base, "nowhere") + " is not a directory"},
		{"in is a file", filepath.Join(good, "config.json"), p4, "is not a directory"},
		{"no config", mutate("nocfg", func(d string) { os.Remove(filepath.Join(d, "config.json")) }), p4, "has no config.json"},
		{"not llama", mutate("gpt2", editConfig(`"llama"`, `"gpt2"`)), p4, `model_type "gpt2" is not a Llama checkpoint`},
		{"plan for other depth", good, mustPlan(t, "midas", 6, 2, ""), "surgery: the plan is for 6 layers, the checkpoint has 4"},
		{"invalid plan", good, grow.Plan{Op: "midas", Block: 1, From: 4, Src: []int{0, 1}, Copy: []bool{false, false}}, "grow: midas plan from 4 layers"},
		{"missing layer tensor", mutate("noup", dropUp), p4, "surgery: model.layers.3.mlp.up_proj.weight is missing"},
		{"layer beyond config", mutate("layer4", extraLayer), p4, "model.layers.4.input_layernorm.weight is in layer 4, but num_hidden_layers is 4"},
		{"truncated", mutate("trunc", truncate), p4, "truncated"},
		{"no weights", mutate("nowt", func(d string) { os.Remove(filepath.Join(d, ckpt.SingleFileName)) }), p4, "neither model.safetensors nor"},
		{"bad history", mutate("hist", editConfig(`"custom_key"`, `"growth_history": 3, "x"`)), p4, "growth_history is not a list"},
		{"out is in", good, p4, "is the input directory or contains it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(base, "out-"+strings.ReplaceAll(c.name, " ", "-"))
			if c.name == "out is in" {
				out = good
			}
			err := surgery.Grow(c.in, out, c.p, surgery.Options{Force: true})
			prefix := "surgery: "
			if strings.HasPrefix(c.want, "grow: ") {
				prefix = "grow: " // the plan's own error, returned as it is
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), prefix) ||
				strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line starting %s containing %q", err, prefix, c.want)
			}
			if c.name != "out is in" {
				if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("out was created (%v)", err)
				}
			}
			checkNoTemp(t, base)
		})
	}
}

// TestGrowOutExists: an existing out is refused without Force and replaced, only when complete, with it.
func TestGrowOutExists(t *testing.T) {
	base := t.TempDir()
	in, out := filepath.Join(base, "in"), filepath.Join(base, "out")
	makeHF(t, in, hfSpecs[1])
	os.MkdirAll(out, 0o755)
	marker := filepath.Join(out, "old-marker")
	os.WriteFile(marker, []byte("old"), 0o644)
	p := mustPlan(t, "double", 4, 1, "")
	err := surgery.Grow(in, out, p, surgery.Options{})
	if !errors.Is(err, fs.ErrExist) || !strings.HasPrefix(err.Error(), "surgery: "+out) {
		t.Fatalf("err = %v, want surgery: %s: ... exists", err, out)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("out was touched: %v", err)
	}
	// A failure while writing (the input shard is truncated after the first tensor) leaves out as it was.
	shard := filepath.Join(in, "model-00003-of-00003.safetensors")
	whole, _ := os.ReadFile(shard)
	err = surgery.Grow(in, out, p, surgery.Options{Force: true, Progress: func(done, _ int64) {
		if done == 1 {
			os.Truncate(shard, 64)
		}
	}})
	if err == nil || !strings.HasPrefix(err.Error(), "surgery: ") {
		t.Fatalf("err = %v after truncating a shard mid-growth", err)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("out was touched by a failed growth: %v", err)
	}
	checkNoTemp(t, base)
	os.WriteFile(shard, whole, 0o644)
	if err := surgery.Grow(in, out, p, surgery.Options{Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("Force kept the old out's files")
	}
	checkTensors(t, in, out, p)
	checkNoTemp(t, base)
}

// TestInspect reads layers, dtypes and sharding from the headers.
func TestInspect(t *testing.T) {
	base := t.TempDir()
	for _, s := range hfSpecs {
		dir := filepath.Join(base, s.name)
		makeHF(t, dir, s)
		got, err := surgery.Inspect(dir)
		if err != nil {
			t.Fatal(err)
		}
		infos := hfTensors(s)
		var size int64
		for _, in := range infos {
			size += infoBytes(in)
		}
		dt := []string{s.dtype}
		if s.extras && s.dtype != ckpt.F32 {
			dt = []string{s.dtype, ckpt.F32}
			slices.Sort(dt)
		}
		want := surgery.Summary{Layers: s.layers, DTypes: dt, Shards: s.shards, Tensors: len(infos), Bytes: size}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: Inspect = %+v, want %+v", s.name, got, want)
		}
	}
}

// TestGrowLooped: a looped checkpoint is stored unrolled, so growing it gives a plain model: the loop
// is dropped from config.json and the grown model loads untied, its layers the unrolled ones.
func TestGrowLooped(t *testing.T) {
	cfg := model.Config{VocabSize: 32, Dim: 16, NumLayers: 4, NumHeads: 2, FFNDim: 24, SeqLen: 8, RopeTheta: 10000, NormEps: 1e-5}
	m, err := model.NewLoop(cfg, model.Loop{K: 2, R: 2})
	if err != nil {
		t.Fatal(err)
	}
	m.InitWeights(1)
	base := t.TempDir()
	in, out := filepath.Join(base, "in"), filepath.Join(base, "out")
	if err := train.SaveCheckpoint(in, m, train.CheckpointFiles{EOT: -1}, nil); err != nil {
		t.Fatal(err)
	}
	if err := surgery.Grow(in, out, mustPlan(t, "midas", 4, 1, ""), surgery.Options{}); err != nil {
		t.Fatal(err)
	}
	g, err := train.LoadModel(out, 0)
	if err != nil {
		t.Fatal(err)
	}
	if g.Cfg.NumLayers != 5 || !slices.Equal(g.Layout.Map, []int{0, 1, 2, 3, 4}) {
		t.Fatalf("grown: %d layers, map %v; want a plain 5-layer model", g.Cfg.NumLayers, g.Layout.Map)
	}
	_, un := m.Unrolled()
	lo, _ := g.Layout.LayerRange(0)
	if !slices.Equal(g.Params[:lo], un[:lo]) {
		t.Error("grown embedding differs from the looped model's")
	}
}
