package ckpt

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeSharded writes a two-shard checkpoint (second shard in BF16) with the given index.
func writeSharded(t *testing.T, dir string, weightMap map[string]string) {
	t.Helper()
	if err := WriteFile(filepath.Join(dir, "model-00001-of-00002.safetensors"), []Tensor{
		{Name: "model.embed_tokens.weight", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}},
		{Name: "model.layers.0.mlp.up_proj.weight", Shape: []int{1, 2}, Data: []float32{5, 6}},
	}, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(filepath.Join(dir, "model-00002-of-00002.safetensors"), []Info{
		{Name: "model.norm.weight", DType: BF16, Shape: []int{2}},
		{Name: "lm_head.weight", DType: BF16, Shape: []int{2, 2}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFloat32("model.norm.weight", []float32{1, 0.5}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFloat32("lm_head.weight", []float32{-1, -2, 0.1, 8}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	idx, _ := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": 40}, "weight_map": weightMap})
	if err := os.WriteFile(filepath.Join(dir, IndexFileName), idx, 0o644); err != nil {
		t.Fatal(err)
	}
}

var fullMap = map[string]string{
	"model.embed_tokens.weight":         "model-00001-of-00002.safetensors",
	"model.layers.0.mlp.up_proj.weight": "model-00001-of-00002.safetensors",
	"model.norm.weight":                 "model-00002-of-00002.safetensors",
	"lm_head.weight":                    "model-00002-of-00002.safetensors",
}

func TestOpenModelSharded(t *testing.T) {
	dir := t.TempDir()
	writeSharded(t, dir, fullMap)
	m, err := OpenModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	want := []string{"lm_head.weight", "model.embed_tokens.weight", "model.layers.0.mlp.up_proj.weight", "model.norm.weight"}
	if got := m.Names(); !reflect.DeepEqual(got, want) {
		t.Errorf("Names = %v, want %v", got, want)
	}
	in, shard, ok := m.Info("lm_head.weight")
	if !ok || shard != "model-00002-of-00002.safetensors" || in.DType != BF16 || !reflect.DeepEqual(in.Shape, []int{2, 2}) {
		t.Errorf("Info(lm_head) = %+v, %q, %v", in, shard, ok)
	}
	got, err := m.ReadFloat32("lm_head.weight")
	// 0.1 in bf16 is 0x3dcd = 0.10009765625; the others are exact.
	if err != nil || !reflect.DeepEqual(got, []float32{-1, -2, 0.10009765625, 8}) {
		t.Errorf("ReadFloat32(lm_head) = %v, %v", got, err)
	}
	got, err = m.ReadFloat32("model.layers.0.mlp.up_proj.weight")
	if err != nil || !reflect.DeepEqual(got, []float32{5, 6}) {
		t.Errorf("ReadFloat32(up_proj) = %v, %v", got, err)
	}
	raw, err := m.ReadRaw("model.norm.weight")
	if err != nil || !reflect.DeepEqual(raw, []byte{0x80, 0x3f, 0x00, 0x3f}) { // bf16 1, 0.5
		t.Errorf("ReadRaw(norm) = %x, %v", raw, err)
	}
	if _, err := m.ReadRaw("missing"); err == nil || !strings.Contains(err.Error(), `no tensor "missing"`) {
		t.Errorf("ReadRaw(missing) err = %v", err)
	}
	if _, _, ok := m.Info("missing"); ok {
		t.Error("Info(missing) ok")
	}
}

func TestOpenModelSingleFile(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFile(filepath.Join(dir, SingleFileName), []Tensor{
		{Name: "b", Shape: []int{1}, Data: []float32{2}}, {Name: "a", Shape: []int{1}, Data: []float32{1}},
	}, nil); err != nil {
		t.Fatal(err)
	}
	// A stale index next to model.safetensors is ignored, as transformers does.
	os.WriteFile(filepath.Join(dir, IndexFileName), []byte(`{"weight_map":{"x":"gone.safetensors"}}`), 0o644)
	m, err := OpenModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got := m.Names(); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("Names = %v", got)
	}
	if _, shard, _ := m.Info("b"); shard != SingleFileName {
		t.Errorf("shard = %q", shard)
	}
	if v, err := m.ReadFloat32("b"); err != nil || v[0] != 2 {
		t.Errorf("ReadFloat32(b) = %v, %v", v, err)
	}
}

func TestOpenModelErrors(t *testing.T) {
	withMap := func(extra map[string]string, drop ...string) map[string]string {
		m := map[string]string{}
		for k, v := range fullMap {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		for _, k := range drop {
			delete(m, k)
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{"empty dir", func(t *testing.T, dir string) {}, "neither model.safetensors nor model.safetensors.index.json found"},
		{"missing shard", func(t *testing.T, dir string) {
			writeSharded(t, dir, withMap(map[string]string{"extra": "model-00003-of-00003.safetensors"}))
		}, `shard "model-00003-of-00003.safetensors" named by model.safetensors.index.json is missing`},
		{"tensor not in its shard", func(t *testing.T, dir string) {
			writeSharded(t, dir, withMap(map[string]string{"lm_head.weight": "model-00001-of-00002.safetensors"}))
		}, `maps tensor "lm_head.weight" to shard "model-00001-of-00002.safetensors", which does not contain it`},
		{"corrupt shard", func(t *testing.T, dir string) {
			writeSharded(t, dir, fullMap)
			// The file is 196 bytes: a 168-byte header ({"format":"pt"} metadata and two tensors), then 20 of data.
			os.Truncate(filepath.Join(dir, "model-00002-of-00002.safetensors"), 192)
		}, "model-00002-of-00002.safetensors: truncated: data ends at byte 192, header needs 196"},
		{"index not JSON", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, IndexFileName), []byte("{"), 0o644)
		}, "model.safetensors.index.json: not a safetensors index"},
		{"empty weight_map", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, IndexFileName), []byte(`{"metadata":{}}`), 0o644)
		}, "weight_map is missing or empty"},
		{"shard outside dir", func(t *testing.T, dir string) {
			writeSharded(t, dir, withMap(map[string]string{"lm_head.weight": "../model-00002-of-00002.safetensors"}))
		}, `invalid shard file name "../model-00002-of-00002.safetensors"`},
		{"corrupt single file", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, SingleFileName), []byte("short"), 0o644)
		}, "model.safetensors: file is 5 bytes"},
	} {
		dir := t.TempDir()
		tc.setup(t, dir)
		m, err := OpenModel(dir)
		if err == nil {
			m.Close()
			t.Errorf("%s: OpenModel succeeded", tc.name)
			continue
		}
		if !strings.HasPrefix(err.Error(), "ckpt: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %q, want %q", tc.name, err, tc.want)
		}
	}
}
