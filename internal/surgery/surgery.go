package surgery

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"midas/internal/ckpt"
	"midas/internal/grow"
	"midas/internal/tok"
)

// Options are the choices of a checkpoint surgery.
type Options struct {
	// Force replaces an existing out, but only once the new checkpoint is complete.
	Force bool
	// Progress, if not nil, is called after each tensor is written with the tensors done and the total.
	Progress func(done, total int64)
}

// Summary describes a Hugging Face Llama checkpoint directory as Inspect reads it (headers only).
type Summary struct {
	Layers  int      // num_hidden_layers of config.json
	DTypes  []string // distinct safetensors dtypes of the tensors, sorted ("BF16", "F32", ...)
	Shards  int      // 0 for a single model.safetensors, else the number of shard files
	Tensors int      // number of tensors
	Bytes   int64    // total tensor data in bytes
}

// configFile is the name of the HF model config in a checkpoint directory.
const configFile = "config.json"

// hfOutTensor is one tensor of the grown checkpoint: where its bytes come from.
type hfOutTensor struct {
	info ckpt.Info // Name, DType, Shape of the output tensor
	src  string    // input tensor whose raw bytes are copied
	zero bool      // write zeros of the same dtype and size instead (identity copies)
}

// hfInput is an opened and checked input checkpoint.
type hfInput struct {
	dir      string
	cfg      *ckpt.LlamaConfig
	model    *ckpt.Model
	sharded  bool
	maxShard int64             // tensor bytes in the largest shard (sharded input)
	meta     map[string]string // safetensors metadata of the (first) input file
	index    map[string]json.RawMessage
	layers   [][]string // per layer: suffixes present, in output order
	before   []string   // non-layer tensors written before the layers (embeddings)
	after    []string   // other non-layer tensors (final norm, lm_head, ...)
}

// Inspect reads config.json and the safetensors headers of the Hugging Face Llama checkpoint in dir.
// Errors are those of Grow's input checks (not a directory, no config.json, not Llama, corrupt
// safetensors, a missing layer tensor).
func Inspect(dir string) (Summary, error) {
	in, err := openHF(dir)
	if err != nil {
		return Summary{}, err
	}
	defer in.model.Close()
	s := Summary{Layers: in.cfg.NumHiddenLayers}
	if in.sharded {
		shards := map[string]bool{}
		for _, n := range in.model.Names() {
			_, shard, _ := in.model.Info(n)
			shards[shard] = true
		}
		s.Shards = len(shards)
	}
	for _, n := range in.model.Names() {
		info, _, _ := in.model.Info(n)
		if !slices.Contains(s.DTypes, info.DType) {
			s.DTypes = append(s.DTypes, info.DType)
		}
		s.Tensors++
		s.Bytes += info.End - info.Begin
	}
	slices.Sort(s.DTypes)
	return s, nil
}

// Grow applies plan p to the Hugging Face Llama checkpoint directory in and writes the grown
// checkpoint to out.
//
// New layer i gets every tensor of old layer p.Src[i] — every tensor named model.layers.N.<suffix>
// belongs to layer N, whatever the suffix (e.g. rotary inv_freq buffers) — renamed to
// model.layers.i.<suffix>; the standard suffixes (LayerTensorNames) must exist for every layer. With
// p.Identity the copies get zeros of the same dtype for o_proj and down_proj (and their biases, if
// any), so the grown model computes the same function. Other tensors (embed_tokens, norm, lm_head)
// are copied unchanged. Raw bytes are copied, so every dtype is kept as it is.
//
// Single-file or sharded safetensors (model.safetensors.index.json) are both accepted and the output
// keeps the scheme: sharded output has an index and shards named model-0000i-of-0000n.safetensors of
// about the size of the input's largest shard. config.json gets the new num_hidden_layers and an entry
// {"op","block","from","to","src","copy","identity"} appended to its "growth_history" list; other keys
// are kept. Every safetensors file written has the metadata of the input's (first) file, with
// "format": "pt" added when it has no format. Every other regular file at the top of in
// (tokenizer.json, generation_config.json, ...) is copied, except stale weights and training state that describe the old depth: other *.safetensors,
// PyTorch/TF/Flax/GGUF weight files and their indexes, and midas' optimizer.safetensors and
// trainer_state.json, metrics.jsonl and eval-n*.json. Subdirectories are not copied. A missing
// generation_config.json is made from config.json's token ids, and a midas tokenizer.json without
// tokenizer_config.json or special_tokens_map.json gets them (see addClientFiles). Leftovers of a killed
// earlier grow into out (out.tmp-*) are cleaned first.
//
// Tensors are read and written one at a time, so memory stays near the largest tensor. Everything is
// written into a temp dir out + ".tmp-<random>" and renamed to out at the end (ckpt.WriteDirAtomic);
// on any error the temp dir is removed and out is untouched. An existing out is an error wrapping fs.ErrExist unless
// opt.Force. Free disk space is not checked.
func Grow(in, out string, p grow.Plan, opt Options) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := checkOut(in, out, opt.Force); err != nil {
		return err
	}
	src, err := openHF(in)
	if err != nil {
		return err
	}
	defer src.model.Close()
	if src.cfg.NumHiddenLayers != p.From {
		return fmt.Errorf("surgery: the plan is for %d layers, the checkpoint has %d", p.From, src.cfg.NumHiddenLayers)
	}
	var werr error // writeTo's own error, already "surgery: ..."
	err = ckpt.WriteDirAtomic(out, opt.Force, func(tmp string) error {
		werr = src.writeTo(tmp, p, opt.Progress)
		return werr
	})
	if err != nil && err != werr {
		return fmt.Errorf("surgery: %w", err)
	}
	return err
}

// checkOut refuses an existing out without force, and an out that is in or contains it.
func checkOut(in, out string, force bool) error {
	ain, err1 := filepath.Abs(in)
	aout, err2 := filepath.Abs(out)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("surgery: %v", err)
	}
	if rel, err := filepath.Rel(aout, ain); err == nil && (rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)))) {
		return fmt.Errorf("surgery: output %s is the input directory or contains it", out)
	}
	if _, err := os.Lstat(out); err == nil && !force {
		return fmt.Errorf("surgery: %s: %w", out, fs.ErrExist)
	}
	return nil
}

// checkSizes requires the size keys of config.json that the surgery reads or writes to be present and
// positive, naming every one that is not.
func checkSizes(dir string, c *ckpt.LlamaConfig) error {
	var bad []string
	for _, k := range []struct {
		key string
		v   int
	}{{"vocab_size", c.VocabSize}, {"hidden_size", c.HiddenSize}, {"intermediate_size", c.IntermediateSize},
		{"num_hidden_layers", c.NumHiddenLayers}, {"num_attention_heads", c.NumAttentionHeads}} {
		if k.v < 1 {
			bad = append(bad, fmt.Sprintf("%s is %d", k.key, k.v))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("surgery: %s: config.json: %s (missing or not positive)", dir, strings.Join(bad, ", "))
	}
	return nil
}

// openHF opens the checkpoint in dir and sorts its tensors into layers and the rest.
func openHF(dir string) (*hfInput, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("surgery: %s is not a directory", dir)
	}
	raw, err := os.ReadFile(filepath.Join(dir, configFile))
	if err != nil {
		return nil, fmt.Errorf("surgery: %s has no %s", dir, configFile)
	}
	cfg, err := ckpt.ParseLlamaConfigLoose(raw)
	if err != nil {
		return nil, fmt.Errorf("surgery: %s: %v", dir, err)
	}
	if err := checkSizes(dir, cfg); err != nil {
		return nil, err
	}
	m, err := ckpt.OpenModel(dir)
	if err != nil {
		return nil, fmt.Errorf("surgery: %v", err)
	}
	in := &hfInput{dir: dir, cfg: cfg, model: m}
	if err := in.scan(); err != nil {
		m.Close()
		return nil, err
	}
	return in, nil
}

// scan classifies the tensors, checks that every layer has the standard tensors and reads the
// metadata that the output keeps (sharding, safetensors metadata, index metadata).
func (in *hfInput) scan() error {
	L := in.cfg.NumHiddenLayers
	std := grow.LayerTensorNames()
	extra := make([][]string, L)
	for _, name := range in.model.Names() { // sorted
		layer, suffix, ok := layerOf(name)
		switch {
		case !ok && strings.HasPrefix(name, "model.embed_tokens."):
			in.before = append(in.before, name)
		case !ok:
			in.after = append(in.after, name)
		case layer >= L:
			return fmt.Errorf("surgery: %s: tensor %s is in layer %d, but num_hidden_layers is %d", in.dir, name, layer, L)
		case !slices.Contains(std, suffix):
			extra[layer] = append(extra[layer], suffix)
		}
	}
	in.layers = make([][]string, L)
	for l := range L {
		for _, suf := range std {
			if _, _, ok := in.model.Info(layerName(l, suf)); !ok {
				return fmt.Errorf("surgery: %s is missing", layerName(l, suf))
			}
		}
		in.layers[l] = append(slices.Clone(std), extra[l]...)
	}
	if _, err := os.Stat(filepath.Join(in.dir, ckpt.SingleFileName)); err != nil {
		in.sharded = true // OpenModel found no model.safetensors, so it read the index
	}
	return in.readFileMeta()
}

// readFileMeta records the safetensors metadata of the file holding the first tensor, the tensor
// bytes of the largest shard and the index metadata.
func (in *hfInput) readFileMeta() error {
	shardData := map[string]int64{}
	first := ""
	for _, n := range in.model.Names() {
		info, shard, _ := in.model.Info(n)
		if first == "" {
			first = shard
		}
		shardData[shard] += info.End - info.Begin
	}
	if first != "" {
		f, err := ckpt.Open(filepath.Join(in.dir, first))
		if err != nil {
			return fmt.Errorf("surgery: %v", err)
		}
		in.meta = f.Metadata()
		f.Close()
	}
	if !in.sharded {
		return nil
	}
	for _, n := range shardData {
		in.maxShard = max(in.maxShard, n)
	}
	raw, err := os.ReadFile(filepath.Join(in.dir, ckpt.IndexFileName))
	if err != nil {
		return fmt.Errorf("surgery: %v", err)
	}
	var idx struct {
		Metadata map[string]json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		return fmt.Errorf("surgery: %s: %v", ckpt.IndexFileName, err)
	}
	in.index = idx.Metadata
	return nil
}

// layerOf splits "model.layers.N.suffix" into N and suffix.
func layerOf(name string) (int, string, bool) {
	rest, ok := strings.CutPrefix(name, "model.layers.")
	if !ok {
		return 0, "", false
	}
	num, suffix, ok := strings.Cut(rest, ".")
	if !ok || suffix == "" || num == "" || (len(num) > 1 && num[0] == '0') {
		return 0, "", false
	}
	for _, c := range num {
		if c < '0' || c > '9' {
			return 0, "", false
		}
	}
	n, err := strconv.Atoi(num)
	if err != nil {
		return 0, "", false
	}
	return n, suffix, true
}

func layerName(layer int, suffix string) string {
	return "model.layers." + strconv.Itoa(layer) + "." + suffix
}

// zeroedByIdentity reports whether an identity copy gets zeros for this per-layer suffix: the output
// projections and, for checkpoints that have them, their biases.
func zeroedByIdentity(suffix string) bool {
	return grow.IsZeroedByIdentity(suffix) || suffix == "self_attn.o_proj.bias" || suffix == "mlp.down_proj.bias"
}

// plan lists the output tensors in order: embeddings, the new layers, then the rest.
func (in *hfInput) plan(p grow.Plan) []hfOutTensor {
	var out []hfOutTensor
	same := func(name string) hfOutTensor {
		info, _, _ := in.model.Info(name)
		return hfOutTensor{info: ckpt.Info{Name: name, DType: info.DType, Shape: info.Shape}, src: name}
	}
	for _, n := range in.before {
		out = append(out, same(n))
	}
	for i, s := range p.Src {
		for _, suf := range in.layers[s] {
			t := same(layerName(s, suf))
			t.info.Name = layerName(i, suf)
			t.zero = p.Identity && p.Copy[i] && zeroedByIdentity(suf)
			out = append(out, t)
		}
	}
	for _, n := range in.after {
		out = append(out, same(n))
	}
	return out
}

// shards splits the output tensors into files: one for single-file input, else consecutive runs of at
// most the tensor bytes of the input's largest shard (a larger tensor gets a shard of its own), like
// transformers' max_shard_size.
func (in *hfInput) shards(ts []hfOutTensor) [][]hfOutTensor {
	if !in.sharded {
		return [][]hfOutTensor{ts}
	}
	var out [][]hfOutTensor
	var cur []hfOutTensor
	var size int64
	for _, t := range ts {
		n := tensorBytes(t.info)
		if len(cur) > 0 && size+n > in.maxShard {
			out, cur, size = append(out, cur), nil, 0
		}
		cur, size = append(cur, t), size+n
	}
	return append(out, cur)
}

func tensorBytes(in ckpt.Info) int64 {
	size, _ := ckpt.DTypeSize(in.DType) // the dtype was validated when the input was opened
	return in.NumElements() * int64(size)
}

// shardName is the Hugging Face name of shard i (0-based) of n.
func shardName(i, n int) string {
	return fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, n)
}

// writeTo writes the whole grown checkpoint into the empty directory dir.
func (in *hfInput) writeTo(dir string, p grow.Plan, progress func(done, total int64)) error {
	ts := in.plan(p)
	groups := in.shards(ts)
	total, done := int64(len(ts)), int64(0)
	weightMap := map[string]string{}
	var totalSize int64
	for gi, g := range groups {
		name := ckpt.SingleFileName
		if in.sharded {
			name = shardName(gi, len(groups))
		}
		if err := in.writeFile(filepath.Join(dir, name), g, func() {
			done++
			if progress != nil {
				progress(done, total)
			}
		}); err != nil {
			return err
		}
		for _, t := range g {
			weightMap[t.info.Name] = name
			totalSize += tensorBytes(t.info)
		}
	}
	if in.sharded {
		if err := in.writeIndex(dir, weightMap, totalSize); err != nil {
			return err
		}
	}
	if err := in.writeConfig(dir, p); err != nil {
		return err
	}
	if err := in.copyOthers(dir); err != nil {
		return err
	}
	return in.addClientFiles(dir)
}

// addClientFiles writes the files Hugging Face clients look for that the input lacks:
// generation_config.json from config.json's token ids, and — when the input's tokenizer.json is
// one that package tok reads (a midas tokenizer) — tokenizer_config.json and
// special_tokens_map.json as a midas checkpoint has them. A foreign tokenizer without them is left
// as it is.
func (in *hfInput) addClientFiles(dir string) error {
	have := func(name string) bool {
		_, err := os.Stat(filepath.Join(dir, name))
		return err == nil
	}
	if !have(ckpt.GenerationFileName) {
		if err := writeFile(filepath.Join(dir, ckpt.GenerationFileName), ckpt.GenerationConfig(in.cfg)); err != nil {
			return err
		}
	}
	if !have(tok.FileJSON) || (have(tok.FileConfig) && have(tok.FileSpecialTokens)) {
		return nil
	}
	tk, err := tok.Load(filepath.Join(dir, tok.FileJSON))
	if err != nil {
		return nil // not a tokenizer midas can describe: copied as it is
	}
	files, err := tk.HFFiles(in.cfg.MaxPositionEmbeddings)
	if err != nil {
		return fmt.Errorf("surgery: %v", err)
	}
	for _, name := range []string{tok.FileConfig, tok.FileSpecialTokens} {
		if !have(name) {
			if err := writeFile(filepath.Join(dir, name), files[name]); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeFile streams one safetensors file.
func (in *hfInput) writeFile(path string, ts []hfOutTensor, tick func()) error {
	infos := make([]ckpt.Info, len(ts))
	for i, t := range ts {
		infos[i] = t.info
	}
	w, err := ckpt.NewWriter(path, infos, in.meta)
	if err != nil {
		return fmt.Errorf("surgery: %v", err)
	}
	for _, t := range ts {
		var raw []byte
		if t.zero {
			raw = make([]byte, tensorBytes(t.info)) // +0.0 is all zero bits in every float dtype
		} else if raw, err = in.model.ReadRaw(t.src); err != nil {
			w.Abort()
			return fmt.Errorf("surgery: %v", err)
		}
		if err := w.WriteRaw(t.info.Name, raw); err != nil {
			w.Abort()
			return fmt.Errorf("surgery: %v", err)
		}
		tick()
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("surgery: %v", err)
	}
	return nil
}

// writeIndex writes model.safetensors.index.json like transformers (indent 2, sorted keys), keeping
// the input index's metadata with total_size updated.
func (in *hfInput) writeIndex(dir string, weightMap map[string]string, totalSize int64) error {
	meta := map[string]json.RawMessage{}
	for k, v := range in.index {
		meta[k] = v
	}
	meta["total_size"] = json.RawMessage(strconv.FormatInt(totalSize, 10))
	idx := struct {
		Metadata  map[string]json.RawMessage `json:"metadata"`
		WeightMap map[string]string          `json:"weight_map"`
	}{meta, weightMap}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(idx); err != nil {
		return fmt.Errorf("surgery: %s: %v", ckpt.IndexFileName, err)
	}
	return writeFile(filepath.Join(dir, ckpt.IndexFileName), b.Bytes())
}

// writeConfig writes config.json with the new depth and the plan appended to growth_history.
func (in *hfInput) writeConfig(dir string, p grow.Plan) error {
	c := *in.cfg
	c.NumHiddenLayers = p.To()
	var err error
	if c.Extra, err = grow.AppendHistory(in.cfg.Extra, p); err != nil {
		return fmt.Errorf("surgery: %s: %w", filepath.Join(in.dir, configFile), err)
	}
	// A looped checkpoint's tensors are unrolled: grown, they are a plain model, and its loop would
	// no longer match num_hidden_layers.
	delete(c.Extra, ckpt.LoopKey)
	data, err := c.Marshal()
	if err != nil {
		return fmt.Errorf("surgery: %v", err)
	}
	return writeFile(filepath.Join(dir, configFile), data)
}

// skipFile reports whether a top-level file of the input is not copied: files this surgery writes,
// weights or training state of the old depth that would contradict the grown checkpoint, and a
// training run's log and evaluations.
func skipFile(name string) bool {
	switch name {
	case configFile, ckpt.IndexFileName, "optimizer.safetensors", "trainer_state.json",
		"pytorch_model.bin.index.json", "tf_model.h5", "flax_model.msgpack":
		return true
	case "metrics.jsonl": // a midas run's log (train.FileMetrics): the grown model has not trained
		return true
	}
	// A midas run's cached evaluations (train.FileEval) measured the old model.
	if strings.HasPrefix(name, "eval-n") && strings.HasSuffix(name, ".json") {
		return true
	}
	for _, ext := range []string{".safetensors", ".bin", ".pth", ".pt", ".ckpt", ".h5", ".msgpack", ".gguf"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// copyOthers copies every other regular file (or symlink to one) at the top of the input into dir.
func (in *hfInput) copyOthers(dir string) error {
	entries, err := os.ReadDir(in.dir)
	if err != nil {
		return fmt.Errorf("surgery: %v", err)
	}
	for _, e := range entries {
		if skipFile(e.Name()) {
			continue
		}
		src := filepath.Join(in.dir, e.Name())
		st, err := os.Stat(src) // follows symlinks
		if err != nil || !st.Mode().IsRegular() {
			continue // dangling symlinks, directories, devices
		}
		if err := copyFile(src, filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies src to dst, streamed, and fsyncs it.
func copyFile(src, dst string) error {
	r, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("surgery: %v", err)
	}
	defer r.Close()
	if err := ckpt.WriteFileAtomicFrom(dst, r); err != nil {
		return fmt.Errorf("surgery: copy %s: %v", src, err)
	}
	return nil
}

// writeFile writes a file of the checkpoint (in the temp dir that is renamed as a whole later).
func writeFile(path string, data []byte) error {
	if err := ckpt.WriteFileAtomic(path, data); err != nil {
		return fmt.Errorf("surgery: %v", err)
	}
	return nil
}
