package ckpt

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// File names of a Hugging Face checkpoint directory.
const (
	SingleFileName = "model.safetensors"
	IndexFileName  = "model.safetensors.index.json"
)

// Model is a read view over a HF checkpoint directory: model.safetensors, or
// model.safetensors.index.json ({"metadata":{...},"weight_map":{"name":"model-00001-of-00002.safetensors",...}})
// with its shards. Like transformers, it prefers model.safetensors when both exist. The tensors of a
// sharded model are exactly those named by weight_map. Its methods are safe for concurrent use.
type Model struct {
	dir    string
	shards map[string]*File  // shard file name → open file
	where  map[string]string // tensor name → shard file name
	names  []string          // sorted
}

// OpenModel opens the checkpoint in dir. It fails with a clear error if neither file exists, a
// shard is missing or corrupt, or the index names a tensor its shard lacks. It does not call
// Recover: callers that own the directory do so first.
func OpenModel(dir string) (*Model, error) {
	single := filepath.Join(dir, SingleFileName)
	if _, err := os.Stat(single); err == nil {
		f, err := Open(single)
		if err != nil {
			return nil, err
		}
		m := &Model{dir: dir, shards: map[string]*File{SingleFileName: f}, where: map[string]string{}}
		for _, in := range f.infos {
			m.where[in.Name] = SingleFileName
			m.names = append(m.names, in.Name)
		}
		slices.Sort(m.names)
		return m, nil
	}
	index := filepath.Join(dir, IndexFileName)
	data, err := os.ReadFile(index)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("ckpt: %s: neither %s nor %s found", dir, SingleFileName, IndexFileName)
	}
	if err != nil {
		return nil, fmt.Errorf("ckpt: %w", err)
	}
	weightMap, err := parseIndex(data)
	if err != nil {
		return nil, fmt.Errorf("ckpt: %s: %w", index, err)
	}
	m := &Model{dir: dir, shards: map[string]*File{}, where: weightMap}
	for name := range weightMap {
		m.names = append(m.names, name)
	}
	slices.Sort(m.names) // deterministic: the first problem found is always the same one
	for _, name := range m.names {
		shard := weightMap[name]
		f, ok := m.shards[shard]
		if !ok {
			f, err = Open(filepath.Join(dir, shard))
			if errors.Is(err, fs.ErrNotExist) {
				m.Close()
				return nil, fmt.Errorf("ckpt: %s: shard %q named by %s is missing", dir, shard, IndexFileName)
			}
			if err != nil {
				m.Close()
				return nil, err
			}
			m.shards[shard] = f
		}
		if _, ok := f.byName[name]; !ok {
			m.Close()
			return nil, fmt.Errorf("ckpt: %s: %s maps tensor %q to shard %q, which does not contain it",
				dir, IndexFileName, name, shard)
		}
	}
	return m, nil
}

// parseIndex decodes a model.safetensors.index.json and checks its shard names.
func parseIndex(data []byte) (map[string]string, error) {
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("not a safetensors index: %v", err)
	}
	if len(idx.WeightMap) == 0 {
		return nil, errors.New("weight_map is missing or empty")
	}
	for name, shard := range idx.WeightMap {
		// A shard must be a plain file in the directory: the index must not reach elsewhere.
		if shard == "" || shard == "." || shard == ".." || strings.ContainsAny(shard, `/\`) {
			return nil, fmt.Errorf("tensor %q: invalid shard file name %q", name, shard)
		}
	}
	return idx.WeightMap, nil
}

// Names returns all tensor names, sorted.
func (m *Model) Names() []string { return slices.Clone(m.names) }

// Info returns the header entry of the named tensor (offsets within its shard) and the shard's
// file name (relative to the directory).
func (m *Model) Info(name string) (Info, string, bool) {
	shard, ok := m.where[name]
	if !ok {
		return Info{}, "", false
	}
	in, _ := m.shards[shard].Info(name)
	return in, shard, true
}

// file returns the shard holding name.
func (m *Model) file(name string) (*File, error) {
	shard, ok := m.where[name]
	if !ok {
		return nil, fmt.Errorf("ckpt: %s: no tensor %q", m.dir, name)
	}
	return m.shards[shard], nil
}

// ReadFloat32 returns the named tensor converted to float32 (see File.ReadFloat32).
func (m *Model) ReadFloat32(name string) ([]float32, error) {
	f, err := m.file(name)
	if err != nil {
		return nil, err
	}
	return f.ReadFloat32(name)
}

// ReadRaw returns the raw bytes of the named tensor.
func (m *Model) ReadRaw(name string) ([]byte, error) {
	f, err := m.file(name)
	if err != nil {
		return nil, err
	}
	return f.ReadRaw(name)
}

// Close closes every shard and returns the first error.
func (m *Model) Close() error {
	var first error
	for _, f := range m.shards {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
