package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"midas/internal/ckpt"
	"midas/internal/grow"
	"midas/internal/model"
	"midas/internal/tok"
	"midas/internal/train"
)

// midasref is the Go side of the Python bridge's equality tests (bridge.txtar puts it on the script's
// PATH): it runs midas's own code on files the Python tests made, so that they compare torch's results
// with midas's.
//
//	midasref grow RECORD.json IN_DIR OUT_DIR   grow.Apply of a growth record (the JSON of grow.Plan) to
//	                                           IN_DIR's weights and AdamW moments (zeros without
//	                                           optimizer.safetensors); writes OUT_DIR/model.safetensors
//	                                           and OUT_DIR/optimizer.safetensors
//	midasref tokens RUN_DIR OUT.json           the training tokens of a midas run (from its options and
//	                                           tokenizer), as one JSON array
func midasref(args []string) int {
	var err error
	switch {
	case len(args) == 4 && args[0] == "grow":
		err = refGrow(args[1], args[2], args[3])
	case len(args) == 3 && args[0] == "tokens":
		err = refTokens(args[1], args[2])
	default:
		err = errors.New("usage: midasref grow RECORD.json IN_DIR OUT_DIR | midasref tokens RUN_DIR OUT.json")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "midasref:", err)
		return 1
	}
	return 0
}

func refGrow(record, in, out string) error {
	raw, err := os.ReadFile(record)
	if err != nil {
		return err
	}
	var p grow.Plan
	if err := json.Unmarshal(raw, &p); err != nil {
		return err
	}
	m, err := train.LoadModel(in, 0)
	if err != nil {
		return err
	}
	mv := [2][]float32{make([]float32, len(m.Params)), make([]float32, len(m.Params))}
	if _, err := os.Stat(filepath.Join(in, train.FileOptimizer)); err == nil {
		f, err := ckpt.Open(filepath.Join(in, train.FileOptimizer))
		if err != nil {
			return err
		}
		defer f.Close()
		for i, prefix := range []string{"exp_avg.", "exp_avg_sq."} {
			for _, t := range m.Layout.Tensors {
				v, err := f.ReadFloat32(prefix + t.Name)
				if err != nil {
					return err
				}
				copy(mv[i][t.Offset:t.Offset+t.Size], v)
			}
		}
	}
	cfg, np, nm, nv, err := grow.Apply(p, m.Cfg, m.Params, mv[0], mv[1])
	if err != nil {
		return err
	}
	l := model.NewLayout(cfg)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := refWrite(filepath.Join(out, train.FileModel), refTensors(l, "", np)); err != nil {
		return err
	}
	return refWrite(filepath.Join(out, train.FileOptimizer), append(refTensors(l, "exp_avg.", nm), refTensors(l, "exp_avg_sq.", nv)...))
}

func refTensors(l *model.Layout, prefix string, buf []float32) []ckpt.Tensor {
	out := make([]ckpt.Tensor, len(l.Tensors))
	for i, t := range l.Tensors {
		out[i] = ckpt.Tensor{Name: prefix + t.Name, Shape: t.Shape, Data: buf[t.Offset : t.Offset+t.Size]}
	}
	return out
}

func refWrite(path string, ts []ckpt.Tensor) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := ckpt.Encode(f, ts, nil); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func refTokens(run, out string) error {
	st, err := train.LoadState(run)
	if err != nil {
		return err
	}
	tk, err := tok.Load(filepath.Join(run, train.FileTokenizer))
	if err != nil {
		return err
	}
	c, err := train.PrepareCorpus(st.Options, tk, nil)
	if err != nil {
		return err
	}
	b, err := json.Marshal(c.Train)
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o644)
}
