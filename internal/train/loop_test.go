package train

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"midas/internal/ckpt"
	"midas/internal/model"
)

// loopOptions are a tiny middle-looped run: 4 layers = 1 untied + a 1-layer block applied twice + 1.
func loopOptions() Options {
	o := runOptions()
	o.Growth, o.Stages, o.Model.NumLayers = "none", "prop-1", 4
	o.Loop = model.Loop{K: 1, R: 2, P: 1, Q: 1}
	return o
}

// TestLoopOptions: every problem of the loop and regulariser options is reported in one error, and
// options without them keep the JSON of old trainer_state.json files (no loop or sim_reg key).
func TestLoopOptions(t *testing.T) {
	o := runOptions() // midas growth, 2 layers
	o.Loop = model.Loop{K: 4, R: 1}
	o.SimReg = SimReg{Lambda: -1, Block: 1}
	err := o.Validate()
	for _, want := range []string{"loop block of 4 layers does not divide the looped span of 2 layers",
		"loop 4x1 cannot be combined with growth midas", "sim-reg λ must be a finite number ≥ 0, got -1"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v; want it to mention %q", err, want)
		}
	}
	o = loopOptions()
	o.SimReg = SimReg{Lambda: 0.5, Block: 1}
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "sim-reg applies to untied models; this one is looped (loop 1x2 (untied 1,1))") {
		t.Errorf("sim-reg on a looped model: %v", err)
	}
	o = loopOptions()
	o.Loop.R = 3
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "= 5 layers, not the model's 4") {
		t.Errorf("P+K·R+Q ≠ layers: %v", err)
	}
	o = loopOptions()
	o.Loop, o.SimReg = model.Loop{}, SimReg{Lambda: 1, Block: 3}
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "sim-reg-block 3 must divide the 4 layers into at least 2 blocks") {
		t.Errorf("sim-reg-block: %v", err)
	}
	raw, _ := json.Marshal(runOptions())
	if strings.Contains(string(raw), `"loop"`) || strings.Contains(string(raw), `"sim_reg"`) {
		t.Errorf("options without a loop write %s", raw)
	}
	if back, err := ParseOptions(raw, DefaultOptions(model.Presets["tiny"])); err != nil || len(OptionsDiff(back, runOptions())) > 0 {
		t.Errorf("round trip: %v %v", err, OptionsDiff(back, runOptions()))
	}
}

// TestLoopRun trains a middle-looped run, checks the checkpoint is written unrolled (HF-loadable: every
// logical layer, the loop in config.json, physical moments once under their first use's names), that
// it reloads as the looped model, and that stopping and resuming gives the same bits.
func TestLoopRun(t *testing.T) {
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole")
	s := trainDir(t, RunConfig{Dir: whole, Options: loopOptions()})
	if s.FLOPs != s.BaselineFLOPs {
		t.Errorf("a looped run's FLOPs %g should count the unrolled depth (%g)", s.FLOPs, s.BaselineFLOPs)
	}
	raw, _ := os.ReadFile(filepath.Join(whole, FileConfig))
	h, err := ckpt.ParseLlamaConfig(raw)
	if err != nil || h.NumHiddenLayers != 4 || string(h.Extra[ckpt.LoopKey]) != `{"k":1,"r":2,"p":1,"q":1}` {
		t.Fatalf("config.json: %v %d %s", err, h.NumHiddenLayers, h.Extra[ckpt.LoopKey])
	}
	f, _ := ckpt.Open(filepath.Join(whole, FileModel))
	if _, ok := f.Info("model.layers.3.mlp.down_proj.weight"); !ok {
		t.Error("model.safetensors lacks logical layer 3")
	}
	f.Close()
	opt, _ := ckpt.Open(filepath.Join(whole, FileOptimizer))
	_, has1 := opt.Info("exp_avg.model.layers.1.mlp.up_proj.weight")
	_, has2 := opt.Info("exp_avg.model.layers.2.mlp.up_proj.weight")
	_, has3 := opt.Info("exp_avg_sq.model.layers.3.mlp.up_proj.weight")
	opt.Close()
	if !has1 || has2 || !has3 {
		t.Errorf("optimizer moments: layer 1 %v, 2 (a repetition) %v, 3 %v; want true false true", has1, has2, has3)
	}
	m, err := LoadModel(whole, 0)
	if err != nil || m.Cfg.NumLayers != 3 || !slices.Equal(m.Layout.Map, []int{0, 1, 1, 2}) {
		t.Fatalf("reloaded: %v; layers %d map %v", err, m.Cfg.NumLayers, m.Layout.Map)
	}
	mt, _ := ReadMetrics(whole)
	if mt[0].Layers != 4 || mt[0].Params != len(m.Params) {
		t.Errorf("metrics: layers %d params %d; want 4 and %d", mt[0].Layers, mt[0].Params, len(m.Params))
	}
	checkStopResume(t, dir, whole, loopOptions(), 5, "looped")
}

// TestLoopCheckpointErrors: a repetition that does not equal its block, and a loop that does not fit
// num_hidden_layers, are refused by LoadModel in one line.
func TestLoopCheckpointErrors(t *testing.T) {
	cfg := model.Presets["tiny"]
	cfg.NumLayers = 4
	m, _ := model.NewLoop(cfg, model.Loop{K: 1, R: 2, P: 1, Q: 1})
	m.InitWeights(1)
	dir := t.TempDir()
	if err := SaveCheckpoint(dir, m, CheckpointFiles{EOT: -1}, nil); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, FileConfig)
	raw, _ := os.ReadFile(cfgPath)
	h, _ := ckpt.ParseLlamaConfig(raw)
	h.Extra[ckpt.LoopKey] = []byte(`{"k":1,"r":3,"p":1,"q":1}`)
	bad, _ := h.Marshal()
	os.WriteFile(cfgPath, bad, 0o644)
	_, err := LoadModel(dir, 0)
	if err == nil || !strings.Contains(err.Error(), `midas_loop {"k":1,"r":3,"p":1,"q":1} does not match num_hidden_layers 4`) {
		t.Errorf("loop over the wrong depth: %v", err)
	}
	os.WriteFile(cfgPath, raw, 0o644)
	// Rewrite the weights with logical layer 2 (the second use of physical layer 1) perturbed.
	un, up := m.Unrolled()
	u, _ := model.New(un)
	copy(u.Params, up)
	q, _ := u.Layout.Lookup("model.layers.2.self_attn.q_proj.weight")
	u.Params[q.Offset+7] += 1e-3
	if err := ckpt.WriteFile(filepath.Join(dir, FileModel), tensors(u.Layout.Tensors, "", u.Params), nil); err != nil {
		t.Fatal(err)
	}
	_, err = LoadModel(dir, 0)
	if err == nil || !strings.Contains(err.Error(), `tensor "model.layers.2.self_attn.q_proj.weight" differs from "model.layers.1.self_attn.q_proj.weight", which it repeats`) {
		t.Errorf("unequal repetition: %v", err)
	}
}
