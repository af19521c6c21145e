// Package grow owns gradual stacking as data: growth operators (midas, gradstack, double, map) that
// build a Plan — a source-layer map from every layer of the grown model to a layer of the old one —
// and Apply, which maps the flat parameters and both AdamW moments through a plan (SPEC §2). It also
// owns the stage policy of a run (Schedule: the number of stages, the depth of each, how T steps are
// split over them — equal, prop-α, explicit — and its validation) and the FLOPs accounting of a
// schedule against the full-depth baseline (SPEC §3). It knows the parameter layout only through
// package model.
//
// A Plan is also the one on-disk record of a growth, written and read here only: a run's growth
// history in trainer_state.json and config.json's growth_history (AppendHistory, ReadHistory), the
// growth of every stage of the plan JSON for external trainers (PlanJSON, format 1, ParsePlanJSON),
// and what `midas grow` appends after a surgery (Stage 0, no optimizer policy).
//
// The package is pure: a plan and a state in, a new state out, no file I/O. Growing a checkpoint
// directory on disk by a plan is package surgery's.
//
// Layers are grouped into blocks of b consecutive layers; n blocks f1..fn grow by one block per stage:
//
//	gradstack  f1 … fn, copy(fn)
//	midas      f1 … fm, copy(fm), fm+1 … fn   m = ⌈n/2⌉ (odd n: the middle; even n: just below it)
//	double     f1 … fn, copy(f1) … copy(fn)
//	map        an explicit layer list; an old layer's first use is the original, later uses are copies
//
// Worked example: MIDAS from 1 to 6 blocks (b = 1), as printed by Plan.String (copies bracketed), and
// each block labelled with the stage that created it, bottom to top:
//
//	stage 1                               1
//	stage 2  midas b=1: 0 [0]             1,2
//	stage 3  midas b=1: 0 [0] 1           1,3,2
//	stage 4  midas b=1: 0 1 [1] 2         1,3,4,2
//	stage 5  midas b=1: 0 1 [1] 2 3       1,3,5,4,2
//	stage 6  midas b=1: 0 1 2 [2] 3 4     1,3,5,6,4,2
//
// The oldest blocks end up at the bottom and top, the newest in the middle.
//
// Every copy carries its source's AdamW moments unless Plan.ZeroOptim is set; Plan.Identity zeroes the
// copies' o_proj and down_proj so the grown model computes the same function as before (LLaMA-Pro
// style). Apply is pure: it returns new buffers.
//
// Stage i of prop-α (1-based, k stages, T steps) ends at round(T·Σ_{j≤i} j^α / Σ_{j≤k} j^α), half away
// from zero; e.g. T=1000, k=6, prop-1 ends at 48, 143, 286, 476, 714, 1000. One training step costs
// tokens·(6·N + 12·L·T·C) FLOPs, N the parameters touched per token (layers, norms and the lm_head
// matmul; the embedding lookup is not a matmul).
package grow
