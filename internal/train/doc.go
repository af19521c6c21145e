// Package train owns a training run. Open starts a fresh run in a directory or resumes one (finishing
// or discarding an interrupted checkpoint write first, refusing directories that hold anything else);
// Run.Train runs it to the end, to a stop step or to Ctrl-C, with the metrics log (metrics.jsonl,
// trimmed to the checkpoint on resume) and a Summary. The file names of a run directory are the File*
// constants of this package.
//
// Under a run, the Trainer runs the loop: micro-batches (made by the run's objective: causal LM, or
// the UL2 mixture with the mode tokens and sentinels the run's tokenizer ends with) with gradient
// accumulation, NaN/Inf checks, global norm clipping, AdamW and a global learning-rate schedule, with
// named hooks (log, evaluate, checkpoint, grow, and gradient — between backward and clipping, for
// regularisers) instead of flags. It also reads and writes checkpoints: a directory that Hugging Face
// loads as LlamaForCausalLM (config.json, model.safetensors, tokenizer.json) plus the training state
// (optimizer.safetensors with both AdamW moments, trainer_state.json with step, data position, the
// growth history and the resolved options), committed as a group so a crash never leaves a
// half-written checkpoint. The growth policy (which stage has which depth, when it starts) and the
// schema of growth records belong to package grow; the loop asks grow.Schedule and records grow.Plans.
//
// Looped runs (Options.Loop, SPEC §6) train P+K+Q physical layers at depth P+K·R+Q: AdamW, its moments
// and the update chunks cover the physical parameters, FLOPs count the unrolled depth. Their checkpoint
// is written unrolled (every logical layer in model.safetensors, the loop under config.json's
// "midas_loop", ckpt.LoopKey) so Hugging Face loads a plain Llama; optimizer.safetensors holds each
// physical moment once, under the name of the layer's first use. LoadModel turns it back into the looped
// model. Options.SimReg attaches the similarity regulariser −λ·R(k) (SimReg) to the gradient hook.
//
// Determinism: the data order is a pure function of (seed, epoch), UL2's corruption a pure function of
// (seed, micro-batch index) and every kernel is deterministic, so a run with the same seed and thread
// count reproduces its loss trajectory bit for bit, also when it is killed and resumed from a
// checkpoint.
package train
